//! Parsed field values. Each type can only hold a value that passed its rule, so code that
//! receives one never checks again ("parse, don't validate").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::violation::Violation;

/// Declares a string newtype whose only constructor is its rule; serde goes through the rule
/// too, so a value read back from the server or a draft file is as trustworthy as one typed in.
macro_rules! checked_string {
    ($(#[$meta:meta])* $name:ident, $rule:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
        pub struct $name(String);

        impl $name {
            pub fn parse(input: &str) -> Result<Self, Violation> {
                let rule: fn(&str) -> Result<String, Violation> = $rule;
                storable(input)?;
                rule(input).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ViolationText;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value).map_err(ViolationText)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = Violation;
            fn from_str(s: &str) -> Result<Self, Violation> {
                Self::parse(s)
            }
        }
    };
}

/// Lets serde report a rule's English text when a typed value fails to deserialize.
#[derive(Debug)]
pub struct ViolationText(pub Violation);

impl fmt::Display for ViolationText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.english())
    }
}

/// The one rule every text value shares: PostgreSQL's `text` and `jsonb` cannot hold a
/// U+0000, so it is refused where it is typed rather than as a 500 from the database.
pub fn storable(input: &str) -> Result<(), Violation> {
    if input.contains('\0') {
        Err(Violation::ContainsNul)
    } else {
        Ok(())
    }
}

/// Where in the JSON value `name` (if anywhere) a string or an object key holds a U+0000:
/// `name`, `name.key.inner` or `name[2]`, as a field name for a 422.
pub fn unstorable_path(name: &str, value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) => storable(s).err().map(|_| name.to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| unstorable_path(&format!("{name}[{i}]"), item)),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            let path = format!("{name}.{}", key.replace('\0', "\\u0000"));
            if storable(key).is_err() {
                return Some(path);
            }
            unstorable_path(&path, item)
        }),
        _ => None,
    }
}

fn max_chars(input: &str, max: usize) -> Result<(), Violation> {
    if input.chars().count() > max {
        Err(Violation::TooLong { max })
    } else {
        Ok(())
    }
}

/// RFC-style address check, without display names ("Ann <a@b.c>") or IP literals, and with a
/// dot in the domain: the forms a business owner's inbox actually has.
fn email_rule(input: &str) -> Result<String, Violation> {
    let trimmed = input.trim();
    max_chars(trimmed, Email::MAX_CHARS)?;
    let options = email_address::Options::default()
        .without_display_text()
        .without_domain_literal()
        .with_minimum_sub_domains(2);
    email_address::EmailAddress::parse_with_options(trimmed, options)
        .map(|_| lower_case(trimmed))
        .map_err(|_| Violation::InvalidEmail)
}

/// Unicode's full, locale-independent lower case. In the window's wasm it is the browser's
/// `toLowerCase`, which ECMA-262 defines by the same Unicode mappings: std's tables would be
/// 7.7 KB of the gzipped wasm, for the e-mail fields alone. What is kept never depends on it:
/// the shell parses every value the window sends again, with std's.
#[cfg(target_arch = "wasm32")]
fn lower_case(text: &str) -> String {
    js_sys::JsString::from(text).to_lower_case().into()
}

#[cfg(not(target_arch = "wasm32"))]
fn lower_case(text: &str) -> String {
    text.to_lowercase()
}

checked_string!(
    /// An email address, trimmed and lower-cased, at most 254 characters.
    Email,
    email_rule
);

impl Email {
    pub const MAX_CHARS: usize = 254;
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.0)
    }
}

checked_string!(
    /// A one-line name (a person's, an organization's): trimmed, at most 120 characters.
    /// Empty after trimming is not a name; a PATCH uses `""` to clear instead.
    Label,
    |input| {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(Violation::Required);
        }
        max_chars(trimmed, Label::MAX_CHARS)?;
        Ok(trimmed.to_owned())
    }
);

impl Label {
    pub const MAX_CHARS: usize = 120;
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Label({:?})", self.0)
    }
}

/// Free text with a length cap (job to be done, guidelines, business hours, instructions).
/// Kept as typed, line breaks included; only the cap is a rule.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct Text(String);

impl Text {
    pub fn parse(input: &str, max: usize) -> Result<Self, Violation> {
        if input.trim().is_empty() {
            return Err(Violation::Required);
        }
        storable(input)?;
        max_chars(input, max)?;
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Text({:?})", self.0)
    }
}

impl From<Text> for String {
    fn from(value: Text) -> String {
        value.0
    }
}

checked_string!(
    /// An IANA time zone name as the tz database spells it (`America/New_York`).
    Timezone,
    |input| {
        let trimmed = input.trim();
        zone_named(trimmed)
            .map(|tz| tz.name().to_owned())
            .ok_or(Violation::InvalidTimezone)
    }
);

/// The zone spelled exactly `name`. A scan of the ~600 names rather than chrono-tz's `FromStr`:
/// the same answers, without its perfect-hash table (7.5 KB of the window's wasm).
fn zone_named(name: &str) -> Option<chrono_tz::Tz> {
    chrono_tz::TZ_VARIANTS
        .iter()
        .copied()
        .find(|tz| tz.name() == name)
}

impl Timezone {
    /// Every zone name the rule accepts.
    pub fn all_names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }

    /// `instant` on the business's clock: in `zone`, or UTC while the business has none.
    pub fn wall_clock(
        zone: Option<&Self>,
        instant: chrono::DateTime<chrono::Utc>,
    ) -> chrono::DateTime<chrono_tz::Tz> {
        // The name was checked against the same database when it was parsed.
        let rules = zone
            .and_then(|z| zone_named(&z.0))
            .unwrap_or(chrono_tz::UTC);
        instant.with_timezone(&rules)
    }

    /// The zone as a person reads it: "America/New York".
    pub fn readable(name: &str) -> String {
        name.replace('_', " ")
    }

    /// At most `limit` zones matching what the user typed, for a search field rather than a
    /// list of ~600: every word must appear (any case, `_` read as a space); zones whose last
    /// part (the city) starts with the first word come first, then the rest alphabetically.
    /// The names are ASCII, so ASCII case is all a match can need.
    pub fn search(query: &str, limit: usize) -> Vec<&'static str> {
        let words: Vec<String> = query
            .split(|c: char| c.is_whitespace() || c == '/' || c == '_')
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        let Some(first) = words.first() else {
            return Vec::new();
        };
        // The names come in alphabetical order (a test holds it), so two passes keep it.
        let (city_first, others): (Vec<&'static str>, Vec<&'static str>) = Self::all_names()
            .filter(|name| {
                let readable = Self::readable(name).to_ascii_lowercase();
                words.iter().all(|w| readable.contains(w.as_str()))
            })
            .partition(|name| {
                let city = name.rsplit('/').next().unwrap_or_default();
                city.to_ascii_lowercase()
                    .replace('_', " ")
                    .starts_with(first.as_str())
            });
        city_first.into_iter().chain(others).take(limit).collect()
    }
}

impl fmt::Debug for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timezone({})", self.0)
    }
}

checked_string!(
    /// An E.164 phone number: `+`, a first digit 1-9, 7 to 15 digits in all.
    PhoneNumber,
    |input| {
        let digits = input.strip_prefix('+').ok_or(Violation::InvalidPhoneNumber)?;
        let well_formed = (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if well_formed {
            Ok(input.to_owned())
        } else {
            Err(Violation::InvalidPhoneNumber)
        }
    }
);

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.0)
    }
}

impl PhoneNumber {
    /// Turns what people type ("(415) 555-2671", "+972 50-123-4567", "00 33 1 …") into E.164
    /// when it unambiguously is one; a national number needs its country calling code.
    pub fn normalize(input: &str, default_country_code: Option<&str>) -> Result<Self, Violation> {
        let trimmed = input.trim();
        let international = trimmed.starts_with('+') || trimmed.starts_with("00");
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let allowed_noise = trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
        if !allowed_noise || trimmed.matches('+').count() > 1 {
            return Err(Violation::InvalidPhoneNumber);
        }
        let e164 = if trimmed.starts_with('+') {
            format!("+{digits}")
        } else if international {
            format!("+{}", &digits[2..])
        } else if let Some(code) = default_country_code {
            format!("+{code}{}", digits.trim_start_matches('0'))
        } else {
            return Err(Violation::InvalidPhoneNumber);
        };
        Self::parse(&e164)
    }
}

/// ISO 639-1 two-letter codes (the 184 of the standard, `bh` included).
const ISO_639_1: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh",
    "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da",
    "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
    "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj",
    "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb",
    "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi",
    "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk",
    "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti",
    "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo",
    "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

checked_string!(
    /// A lowercase ISO 639-1 language code (`en`, `fr`, `he`).
    LanguageCode,
    |input| {
        if ISO_639_1.binary_search(&input).is_ok() {
            Ok(input.to_owned())
        } else {
            Err(Violation::InvalidLanguage)
        }
    }
);

impl LanguageCode {
    pub fn all() -> &'static [&'static str] {
        ISO_639_1
    }

    /// The languages Ava speaks on the phone (a voice for each): step 3's chips, step 7's voices.
    pub const SPOKEN: [&'static str; 8] = ["en", "fr", "he", "es", "de", "it", "pt", "ar"];
}

impl fmt::Debug for LanguageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LanguageCode({})", self.0)
    }
}

checked_string!(
    /// A workspace app identifier: `[a-z0-9_-]{1,40}`.
    Slug,
    |input| {
        let ok = (1..=40).contains(&input.len())
            && input
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if ok {
            Ok(input.to_owned())
        } else {
            Err(Violation::InvalidSlug)
        }
    }
);

impl fmt::Debug for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Slug({})", self.0)
    }
}

checked_string!(
    /// A Twilio Account SID: `AC` + 32 hex digits. Not a secret; the auth token is.
    AccountSid,
    |input| {
        let ok = input.len() == 34
            && input.starts_with("AC")
            && input[2..].bytes().all(|b| b.is_ascii_hexdigit());
        if ok {
            Ok(input.to_owned())
        } else {
            Err(Violation::InvalidAccountSid)
        }
    }
);

impl AccountSid {
    /// `AC****1234`: what the API and the UI show.
    pub fn preview(&self) -> String {
        format!("AC****{}", &self.0[self.0.len() - 4..])
    }
}

impl fmt::Debug for AccountSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountSid({})", self.preview())
    }
}

checked_string!(
    /// An assistant's name: 1 to 40 characters, Vapi's own limit.
    AssistantName,
    |input| {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(Violation::Required);
        }
        max_chars(trimmed, AssistantName::MAX_CHARS)?;
        Ok(trimmed.to_owned())
    }
);

impl AssistantName {
    pub const MAX_CHARS: usize = 40;
}

impl fmt::Debug for AssistantName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AssistantName({:?})", self.0)
    }
}

/// Seats on a plan: 1 to 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = i32))]
pub struct Seats(u16);

impl Seats {
    pub const MIN: i64 = 1;
    pub const MAX: i64 = 500;

    pub fn parse(value: i64) -> Result<Self, Violation> {
        if (Self::MIN..=Self::MAX).contains(&value) {
            Ok(Self(value as u16))
        } else {
            Err(Violation::OutOfRange {
                min: Self::MIN,
                max: Self::MAX,
            })
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl Default for Seats {
    fn default() -> Self {
        Self(1)
    }
}

impl TryFrom<i64> for Seats {
    type Error = ViolationText;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::parse(value).map_err(ViolationText)
    }
}

impl From<Seats> for i64 {
    fn from(value: Seats) -> i64 {
        i64::from(value.0)
    }
}

/// An LLM sampling temperature, 0 to 2 as Vapi allows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = f64))]
pub struct Temperature(f64);

impl Temperature {
    pub fn parse(value: f64) -> Result<Self, Violation> {
        if (0.0..=2.0).contains(&value) {
            Ok(Self(value))
        } else {
            Err(Violation::OutOfRange { min: 0, max: 2 })
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Temperature {
    type Error = ViolationText;
    fn try_from(value: f64) -> Result<Self, Self::Error> {
        Self::parse(value).map_err(ViolationText)
    }
}

impl From<Temperature> for f64 {
    fn from(value: Temperature) -> f64 {
        value.0
    }
}

/// A password as typed at sign-up: 8 to 1,024 characters (the cap keeps hashing cheap).
/// Never printed, never serialized.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(input: &str) -> Result<Self, Violation> {
        let count = input.chars().count();
        if count < Self::MIN_CHARS {
            return Err(Violation::TooShort {
                min: Self::MIN_CHARS,
            });
        }
        if count > Self::MAX_CHARS {
            return Err(Violation::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A Vapi private API key: 8 to 200 characters, no whitespace. Never printed or serialized;
/// only [`Self::preview`] leaves the process that holds it.
#[derive(Clone, PartialEq, Eq)]
pub struct VapiApiKey(String);

impl VapiApiKey {
    pub fn parse(input: &str) -> Result<Self, Violation> {
        if input.chars().any(char::is_whitespace) {
            return Err(Violation::ContainsWhitespace);
        }
        let count = input.chars().count();
        if count < 8 {
            return Err(Violation::TooShort { min: 8 });
        }
        max_chars(input, 200)?;
        Ok(Self(input.to_owned()))
    }

    /// `****1234`: the last four characters, which the user can match against their dashboard.
    pub fn preview(&self) -> String {
        let tail: String = self
            .0
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("****{tail}")
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for VapiApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VapiApiKey(<redacted>)")
    }
}

/// A Twilio auth token: 32 hex digits. Never printed or serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct TwilioAuthToken(String);

impl TwilioAuthToken {
    pub fn parse(input: &str) -> Result<Self, Violation> {
        if input.len() == 32 && input.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(input.to_owned()))
        } else {
            Err(Violation::InvalidAuthToken)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TwilioAuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TwilioAuthToken(<redacted>)")
    }
}
