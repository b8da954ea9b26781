//! The field rules of api.md, each with good and bad values, plus property tests for the
//! rules whose input space is large (E.164, e-mail, zones, slugs, lengths).

use ava_model::*;
use proptest::prelude::*;
use serde_json::json;

fn codes(errors: &FieldErrors) -> Vec<(String, &'static str)> {
    errors
        .0
        .iter()
        .map(|e| (e.field.clone(), e.code()))
        .collect()
}

/// Each refused field with its code, in field order.
fn sorted_codes(errors: &FieldErrors) -> Vec<(String, &'static str)> {
    let mut found = codes(errors);
    found.sort();
    found
}

#[test]
fn e164_examples() {
    for good in [
        "+14155550199",
        "+972501234567",
        "+3312345",
        "+123456789012345",
    ] {
        assert!(PhoneNumber::parse(good).is_ok(), "{good} is E.164");
    }
    for bad in [
        "14155550199",
        "+04155550199",
        "+1 415 555 0199",
        "+123456",
        "+1234567890123456",
        "+",
        "",
        "+1415555019a",
    ] {
        assert_eq!(
            PhoneNumber::parse(bad),
            Err(Violation::InvalidPhoneNumber),
            "{bad:?} is not E.164"
        );
    }
}

#[test]
fn phone_normalisation_accepts_what_people_type() {
    assert_eq!(
        PhoneNumber::normalize("(415) 555-2671", Some("1"))
            .unwrap()
            .as_str(),
        "+14155552671"
    );
    assert_eq!(
        PhoneNumber::normalize("+972 50-123-4567", None)
            .unwrap()
            .as_str(),
        "+972501234567"
    );
    assert_eq!(
        PhoneNumber::normalize("0033 1 23 45 67 89", None)
            .unwrap()
            .as_str(),
        "+33123456789"
    );
    assert!(
        PhoneNumber::normalize("415 555 2671", None).is_err(),
        "a national number needs a country code"
    );
    assert!(PhoneNumber::normalize("call me", Some("1")).is_err());
}

#[test]
fn emails_are_trimmed_lowercased_and_capped() {
    assert_eq!(
        Email::parse("  Ops@Acme.COM ").unwrap().as_str(),
        "ops@acme.com"
    );
    // Unicode's lower case, not only ASCII's (the window asks the browser for the same mapping).
    assert_eq!(
        Email::parse("ÉLODIE.ΣΟΦΙΑΣ@Café.FR").unwrap().as_str(),
        "élodie.σοφιας@café.fr"
    );
    for bad in [
        "not-an-email",
        "a@b",
        "Ann <ann@acme.com>",
        "ann@[127.0.0.1]",
        "@acme.com",
        "ann@",
        "",
    ] {
        assert_eq!(Email::parse(bad), Err(Violation::InvalidEmail), "{bad:?}");
    }
    let long = format!("{}@example.com", "a".repeat(250));
    assert_eq!(Email::parse(&long), Err(Violation::TooLong { max: 254 }));
}

#[test]
fn timezones_are_iana_names() {
    assert_eq!(
        Timezone::parse("Asia/Jerusalem").unwrap().as_str(),
        "Asia/Jerusalem"
    );
    assert!(Timezone::parse("America/New_York").is_ok());
    for bad in ["Mars/Olympus", "america/new_york", "GMT+25", ""] {
        assert_eq!(
            Timezone::parse(bad),
            Err(Violation::InvalidTimezone),
            "{bad:?}"
        );
    }
    assert!(Timezone::all_names().count() > 400);
}

/// The rule scans the names instead of using chrono-tz's own lookup (its hash table is 7.5 KB
/// of the window's wasm): the two agree on every name and on near misses.
#[test]
fn the_zone_rule_agrees_with_chrono_tz() {
    use std::str::FromStr;
    let mut tried = 0;
    for name in Timezone::all_names() {
        let near_misses = [
            name.to_owned(),
            format!(" {name} "),
            name.to_lowercase(),
            name.to_uppercase(),
            name.replace('_', " "),
            format!("{name}/"),
            name[..name.len() - 1].to_owned(),
        ];
        for input in near_misses {
            let ours = Timezone::parse(&input).map(String::from).ok();
            let theirs = chrono_tz::Tz::from_str(input.trim())
                .ok()
                .map(|tz| tz.name().to_owned());
            assert_eq!(ours, theirs, "{input:?}");
            tried += 1;
        }
    }
    assert!(tried > 2800, "{tried}");
}

/// `Timezone::search` lists its matches in this order without sorting them.
#[test]
fn zones_are_listed_alphabetically() {
    let names: Vec<&str> = Timezone::all_names().collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
}

#[test]
fn twilio_and_vapi_credentials() {
    let sid = format!("AC{}", "0123456789abcdef".repeat(2));
    assert_eq!(AccountSid::parse(&sid).unwrap().preview(), "AC****cdef");
    assert_eq!(
        AccountSid::parse("AC123"),
        Err(Violation::InvalidAccountSid)
    );
    assert_eq!(
        AccountSid::parse(&sid.replace("AC", "SK")),
        Err(Violation::InvalidAccountSid)
    );
    assert!(TwilioAuthToken::parse(&"ab12".repeat(8)).is_ok());
    assert_eq!(
        TwilioAuthToken::parse("token123"),
        Err(Violation::InvalidAuthToken)
    );

    let key = VapiApiKey::parse("sk-abc123xyz789").unwrap();
    assert_eq!(key.preview(), "****z789");
    assert_eq!(
        VapiApiKey::parse("short"),
        Err(Violation::TooShort { min: 8 })
    );
    assert_eq!(
        VapiApiKey::parse("sk abc 123 456"),
        Err(Violation::ContainsWhitespace)
    );
    assert_eq!(
        VapiApiKey::parse(&"k".repeat(201)),
        Err(Violation::TooLong { max: 200 })
    );
    assert!(
        !format!("{key:?}").contains("abc123"),
        "a key's Debug must not print it"
    );
}

#[test]
fn profile_patch_reads_every_field_and_reports_every_bad_one() {
    let patch = ProfilePatch::from_json(&json!({
        "full_name": "  John Doe ", "organization_name": "", "industry": "real_estate",
        "timezone": "Asia/Jerusalem", "locale": "he", "marketing_opt_in": true, "accept_terms": null
    }))
    .unwrap();
    assert_eq!(
        patch.full_name,
        Change::Set(Label::parse("John Doe").unwrap())
    );
    assert_eq!(patch.organization_name, Change::Clear);
    assert_eq!(patch.industry, Change::Set(Industry::RealEstate));
    assert_eq!(patch.locale, Change::Set(Locale::He));
    assert_eq!(patch.accept_terms, None, "null leaves a field unchanged");

    let errors = ProfilePatch::from_json(&json!({
        "full_name": "x".repeat(121), "industry": "mining", "timezone": "Nowhere/City",
        "locale": "de", "marketing_opt_in": "yes", "fullname": "typo"
    }))
    .unwrap_err();
    assert_eq!(
        sorted_codes(&errors),
        vec![
            ("full_name".into(), "too_long"),
            ("fullname".into(), "unknown_field"),
            ("industry".into(), "invalid_choice"),
            ("locale".into(), "invalid_choice"),
            ("marketing_opt_in".into(), "wrong_type"),
            ("timezone".into(), "invalid_timezone"),
        ]
    );
}

#[test]
fn studio_patch_rules() {
    let ok = StudioPatch::from_json(&json!({
        "persona": "cs", "languages": ["en", "fr"], "workspace_apps": [], "seats": 2,
        "plan": "pro", "number": "+14155550199", "fallback_email": "ops@acme.com"
    }))
    .unwrap();
    assert_eq!(ok.workspace_apps, Some(vec![]), "[] clears a list");
    assert_eq!(ok.seats.map(Seats::get), Some(2));

    let cases = [
        (
            json!({"languages": ["en", "en"]}),
            "languages",
            "duplicate_item",
        ),
        (
            json!({"languages": ["EN"]}),
            "languages",
            "invalid_language",
        ),
        (
            json!({"languages": ["en","fr","he","de","es","it","pt","ru","ar","zh","ja"]}),
            "languages",
            "too_many_items",
        ),
        (
            json!({"workspace_apps": ["Slack"]}),
            "workspace_apps",
            "invalid_slug",
        ),
        (json!({"seats": 0}), "seats", "out_of_range"),
        (json!({"seats": 501}), "seats", "out_of_range"),
        (json!({"seats": 2.5}), "seats", "wrong_type"),
        (json!({"seats": "2"}), "seats", "wrong_type"),
        (json!({"plan": ""}), "plan", "invalid_choice"),
        (json!({"strategy": "buy"}), "strategy", "invalid_choice"),
        (json!({"tone": "grumpy"}), "tone", "invalid_choice"),
        (json!({"calendar": "ical"}), "calendar", "invalid_choice"),
        (json!({"crm": "pipedrive"}), "crm", "invalid_choice"),
        (json!({"persona": "robot"}), "persona", "invalid_choice"),
        (
            json!({"number": "555-0199"}),
            "number",
            "invalid_phone_number",
        ),
        (
            json!({"fallback_email": "ops"}),
            "fallback_email",
            "invalid_email",
        ),
        (
            json!({"job_to_be_done": "x".repeat(2001)}),
            "job_to_be_done",
            "too_long",
        ),
        (
            json!({"guidelines": "x".repeat(4001)}),
            "guidelines",
            "too_long",
        ),
        (
            json!({"business_hours": "x".repeat(201)}),
            "business_hours",
            "too_long",
        ),
    ];
    for (body, field, code) in cases {
        let errors = StudioPatch::from_json(&body).unwrap_err();
        assert_eq!(codes(&errors), vec![(field.to_owned(), code)], "{body}");
    }
}

#[test]
fn patches_coalesce_to_the_latest_value_per_field() {
    let first = ProfilePatch::from_json(&json!({"full_name": "Ann", "industry": "legal"})).unwrap();
    let second = ProfilePatch::from_json(&json!({"full_name": "Anna", "locale": "fr"})).unwrap();
    let third = ProfilePatch::from_json(&json!({"industry": ""})).unwrap();
    let merged = first.then(second).then(third);
    assert_eq!(
        serde_json::to_value(&merged).unwrap(),
        json!({"full_name": "Anna", "industry": "", "locale": "fr"})
    );
    let mut profile = Profile::default();
    profile.apply(&merged);
    assert_eq!(profile.full_name.as_ref().map(Label::as_str), Some("Anna"));
    assert_eq!(profile.industry, None);
}

/// What Vapi would refuse after the call is refused before it, naming the field: a model or
/// voice its document does not list, or a provider that needs fields the route cannot carry.
#[test]
fn an_assistant_vapi_would_refuse_is_refused_here_first() {
    let body = |voice: serde_json::Value, model: serde_json::Value| json!({"name": "Ava", "instructions": "hi", "voice": voice, "model": model});
    let azure = json!({"provider": "azure", "voiceId": "en-US-JennyNeural"});
    let openai = json!({"provider": "openai", "model": "gpt-4o-mini"});
    let refused = |voice, model| {
        let errors = AssistantRequest::from_json(&body(voice, model)).unwrap_err();
        errors.0.iter().map(|e| e.field.clone()).collect::<Vec<_>>()
    };
    assert_eq!(
        refused(
            azure.clone(),
            json!({"provider": "openai", "model": "gpt4o-mini"})
        ),
        ["model.model"]
    );
    assert_eq!(
        refused(
            json!({"provider": "sesame", "voiceId": "x"}),
            openai.clone()
        ),
        ["voice.provider"],
        "sesame needs a `model` the route cannot carry"
    );
    assert_eq!(
        refused(
            azure.clone(),
            json!({"provider": "custom-llm", "model": "mine"})
        ),
        ["model.provider"],
        "custom-llm needs a `url`"
    );
    assert_eq!(
        refused(
            json!({"provider": "deepgram", "voiceId": "nobody"}),
            openai.clone()
        ),
        ["voice.voiceId"],
        "Deepgram's voices are listed"
    );
    assert!(AssistantRequest::from_json(&body(azure, openai)).is_ok());
    assert!(
        AssistantRequest::from_json(&body(
            json!({"provider": "cartesia", "voiceId": "any-id-at-all"}),
            json!({"provider": "openrouter", "model": "any/model"})
        ))
        .is_ok(),
        "where the document lists no names, any identifier goes"
    );
}

#[test]
fn assistant_requests() {
    let create = AssistantRequest::from_json(&json!({
        "name": "Ava Assistant", "instructions": "Tu es une secrétaire", "phoneNumber": "+14155550199",
        "firstMessage": "Bonjour!", "voice": {"provider": "azure", "voiceId": "en-US-JennyNeural"},
        "model": {"provider": "openai", "model": "gpt-4o-mini", "temperature": 0.7},
        "metadata": {"created_from": "onboarding"}
    }))
    .unwrap();
    assert!(
        matches!(create, AssistantRequest::Create(ref s) if s.voice.provider == VoiceProvider::Azure)
    );

    let record =
        AssistantRequest::from_json(&json!({"name": "Ava", "vapi_assistant_id": "a1b2"})).unwrap();
    assert!(
        matches!(record, AssistantRequest::Record { ref vapi_assistant_id, .. } if vapi_assistant_id == "a1b2")
    );

    let errors = AssistantRequest::from_json(&json!({
        "name": "x".repeat(41), "instructions": "hi",
        "voice": {"provider": "bark", "voiceId": "x", "speed": 2},
        "model": {"provider": "openai", "temperature": 3}
    }))
    .unwrap_err();
    assert_eq!(
        sorted_codes(&errors),
        vec![
            ("model.model".into(), "required"),
            ("model.temperature".into(), "out_of_range"),
            ("name".into(), "too_long"),
            ("voice.provider".into(), "invalid_choice"),
            ("voice.speed".into(), "unknown_field"),
        ]
    );
}

#[test]
fn non_objects_are_refused_with_a_field() {
    let errors = ProfilePatch::from_json(&json!([1, 2])).unwrap_err();
    assert_eq!(codes(&errors), vec![("body".to_owned(), "wrong_type")]);
}

#[test]
fn every_violation_has_a_message_and_key() {
    // The model's own list of every kind (which a unit test keeps complete).
    let all = Violation::EVERY.iter().cloned();
    let mut seen = std::collections::HashSet::new();
    for v in all {
        assert!(seen.insert(v.code()), "codes are unique: {}", v.code());
        assert_eq!(v.message_key(), format!("error.{}", v.code()));
        assert!(!v.english().is_empty());
    }
}

#[test]
fn steps_walk_in_order() {
    assert_eq!(Step::ALL.len(), 9);
    assert_eq!(Step::Profile.next(), Step::Vapi);
    assert_eq!(Step::Done.next(), Step::Done);
    assert_eq!(Step::Vapi.previous(), Step::Profile);
    assert_eq!(Step::Profile.previous(), Step::Profile);
    assert_eq!(Locale::from_os_locale("fr_CA.UTF-8"), Locale::Fr);
    assert_eq!(Locale::from_os_locale("iw_IL"), Locale::He);
    assert_eq!(Locale::from_os_locale("C"), Locale::En);
}

proptest! {
    #[test]
    fn e164_accepts_exactly_plus_nonzero_then_7_to_15_digits(s in "\\+?[0-9a-z ]{0,18}") {
        let digits = s.strip_prefix('+');
        let expected = digits.is_some_and(|d| (7..=15).contains(&d.len())
            && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0'));
        prop_assert_eq!(PhoneNumber::parse(&s).is_ok(), expected);
    }

    #[test]
    fn valid_e164_round_trips(first in 1u8..=9, rest in "[0-9]{6,14}") {
        let n = format!("+{first}{rest}");
        prop_assert_eq!(String::from(PhoneNumber::parse(&n).unwrap()), n);
    }

    #[test]
    fn simple_addresses_parse_and_lowercase(local in "[A-Za-z0-9._%+-]{1,30}", domain in "[a-z0-9]{1,20}", tld in "[a-z]{2,6}") {
        prop_assume!(!local.starts_with('.') && !local.ends_with('.') && !local.contains(".."));
        let addr = format!("{local}@{domain}.{tld}");
        let parsed = Email::parse(&addr);
        prop_assert!(parsed.is_ok(), "{} should be valid", addr);
        prop_assert_eq!(String::from(parsed.unwrap()), addr.to_lowercase());
    }

    #[test]
    fn strings_without_at_are_never_emails(s in "[^@]{0,60}") {
        prop_assert!(Email::parse(&s).is_err());
    }

    #[test]
    fn every_listed_zone_parses(i in 0usize..400) {
        let name = Timezone::all_names().nth(i).unwrap();
        prop_assert_eq!(String::from(Timezone::parse(name).unwrap()), name);
    }

    #[test]
    fn slugs_match_their_pattern(s in "[a-zA-Z0-9_ -]{0,45}") {
        let expected = (1..=40).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        prop_assert_eq!(Slug::parse(&s).is_ok(), expected);
    }

    #[test]
    fn labels_cap_at_120_chars_after_trimming(s in "\\PC{0,130}") {
        let trimmed = s.trim();
        let count = trimmed.chars().count();
        let result = Label::parse(&s);
        if count == 0 { prop_assert_eq!(result, Err(Violation::Required)); }
        else if count > 120 { prop_assert_eq!(result, Err(Violation::TooLong { max: 120 })); }
        else { prop_assert_eq!(String::from(result.unwrap()), trimmed); }
    }

    #[test]
    fn assistant_names_cap_at_40(s in "[a-zA-Zé ]{1,50}") {
        let count = s.trim().chars().count();
        prop_assert_eq!(AssistantName::parse(&s).is_ok(), (1..=40).contains(&count));
    }

    #[test]
    fn seats_range(n in -10i64..600) {
        prop_assert_eq!(Seats::parse(n).is_ok(), (1..=500).contains(&n));
    }

    #[test]
    fn patches_survive_a_json_round_trip(name in "[A-Za-z]{1,20}", seats in 1i64..=500, clear in any::<bool>()) {
        let body = if clear { json!({"full_name": ""}) } else { json!({"full_name": name}) };
        let patch = ProfilePatch::from_json(&body).unwrap();
        let again: ProfilePatch = serde_json::from_value(serde_json::to_value(&patch).unwrap()).unwrap();
        prop_assert_eq!(patch, again);
        let studio = StudioPatch::from_json(&json!({"seats": seats})).unwrap();
        prop_assert_eq!(serde_json::to_value(&studio).unwrap(), json!({"seats": seats}));
    }
}

/// One valid value per studio field, written as a request would carry it.
fn studio_sample(field: &str) -> serde_json::Value {
    match field {
        "persona" => json!("secretary"),
        "languages" => json!(["en", "fr"]),
        "tone" => json!("friendly"),
        "strategy" => json!("attach"),
        "number" => json!("+14155550199"),
        "fallback_email" => json!("desk@example.com"),
        "fallback_phone" => json!("+33612345678"),
        "calendar" => json!("google"),
        "workspace_apps" => json!(["slack"]),
        "crm" => json!("hubspot"),
        "plan" => json!("pro"),
        "seats" => json!(3),
        "call_length" => json!("60"),
        "background_sound" => json!("office"),
        "call_recording" => json!("announced"),
        _ => json!("Some words"),
    }
}

#[test]
fn time_zones_are_found_by_city_words_in_any_case() {
    assert_eq!(Timezone::search("new york", 8), vec!["America/New_York"]);
    assert_eq!(Timezone::search("PARIS", 8), vec!["Europe/Paris"]);
    assert_eq!(Timezone::search("europe par", 8), vec!["Europe/Paris"]);
    let lon = Timezone::search("lon", 8);
    assert!(lon.contains(&"Europe/London"), "{lon:?}");
    // "Ba": cities that start so (Asia/Baghdad) before zones that only contain it (Asia/Dubai).
    let ba = Timezone::search("ba", 600);
    let city = |z: &str| {
        z.rsplit('/')
            .next()
            .unwrap()
            .to_lowercase()
            .starts_with("ba")
    };
    let first_other = ba.iter().position(|z| !city(z)).unwrap();
    assert!(
        ba[..first_other].iter().all(|z| city(z)) && ba[first_other..].iter().all(|z| !city(z)),
        "{ba:?}"
    );
    assert!(ba.contains(&"Asia/Baghdad") && ba.contains(&"Asia/Dubai"));
    assert!(
        Timezone::search("america", 5).len() == 5,
        "capped at the limit"
    );
    assert!(Timezone::search("   ", 8).is_empty());
    assert!(Timezone::search("atlantis", 8).is_empty());
    assert_eq!(Timezone::readable("America/New_York"), "America/New York");
}

#[test]
fn an_instant_reads_on_the_business_clock_and_in_utc_without_a_zone() {
    use chrono::TimeZone;
    let instant = chrono::Utc
        .with_ymd_and_hms(2026, 11, 30, 3, 45, 0)
        .unwrap();
    let kolkata = Timezone::parse("Asia/Kolkata").unwrap();
    let paris = Timezone::parse("Europe/Paris").unwrap();
    let shown = |zone: Option<&Timezone>| {
        Timezone::wall_clock(zone, instant)
            .format("%a %H:%M")
            .to_string()
    };
    assert_eq!(shown(Some(&kolkata)), "Mon 09:15");
    assert_eq!(shown(Some(&paris)), "Mon 04:45");
    assert_eq!(shown(None), "Mon 03:45");
    // Summer time is the zone's rules, not a fixed offset.
    let july = chrono::Utc.with_ymd_and_hms(2026, 7, 1, 3, 45, 0).unwrap();
    assert_eq!(
        Timezone::wall_clock(Some(&paris), july)
            .format("%H:%M")
            .to_string(),
        "05:45"
    );
}

proptest! {
    /// The field list, the count and the restriction are generated from one declaration: each
    /// must agree with what the JSON body says, for any subset of fields.
    #[test]
    fn a_patch_knows_its_fields_without_json(mask in proptest::collection::vec(any::<bool>(), StudioPatch::FIELDS.len()), keep in proptest::collection::vec(any::<bool>(), StudioPatch::FIELDS.len())) {
        let chosen: Vec<&str> = StudioPatch::FIELDS.iter().zip(&mask).filter(|(_, on)| **on).map(|(f, _)| *f).collect();
        let body: serde_json::Map<String, serde_json::Value> = chosen.iter().map(|f| ((*f).to_owned(), studio_sample(f))).collect();
        let patch = StudioPatch::from_json(&serde_json::Value::Object(body)).unwrap();
        prop_assert_eq!(patch.len(), chosen.len());
        prop_assert_eq!(patch.field_names(), chosen.clone());
        prop_assert_eq!(patch.is_empty(), chosen.is_empty());
        let as_json = serde_json::to_value(&patch).unwrap();
        prop_assert_eq!(as_json.as_object().unwrap().len(), chosen.len());
        let subset: Vec<&str> = StudioPatch::FIELDS.iter().zip(&keep).filter(|(_, on)| **on).map(|(f, _)| *f).collect();
        let restricted = patch.only(&subset);
        let expected: Vec<&str> = chosen.iter().copied().filter(|f| subset.contains(f)).collect();
        prop_assert_eq!(restricted.field_names(), expected);
        prop_assert_eq!(patch.only(StudioPatch::FIELDS), patch.clone());
        prop_assert_eq!(restricted.then(patch.clone()), patch);
    }
}

#[test]
fn a_stored_copy_reads_back_and_a_value_its_rules_now_refuse_reads_as_empty() {
    let patch = StudioPatch::from_json(&json!({
        "persona": "sdr", "languages": ["he", "en"], "fallback_phone": "+33612345678",
        "guidelines": "", "seats": 4
    }))
    .unwrap();
    let stored = patch.to_stored();
    assert_eq!(
        stored["guidelines"],
        serde_json::Value::Null,
        "a clear is a NULL column"
    );
    assert_eq!(stored["languages"], json!(["he", "en"]));
    assert!(!stored.contains_key("crm"), "only what the patch touches");
    let mut columns = serde_json::Value::Object(stored);
    columns["crm"] = json!("pipedrive");
    let (studio, problems) = StudioConfig::from_stored(&columns);
    assert_eq!(studio.seats.get(), 4);
    assert_eq!(studio.fallback_phone.unwrap().as_str(), "+33612345678");
    assert_eq!(studio.crm, None, "a value no longer allowed reads as empty");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].field, "crm");
}

#[test]
fn an_acknowledged_patch_leaves_only_newer_edits() {
    let sent = ProfilePatch::from_json(&json!({"full_name": "Ann", "industry": "legal"})).unwrap();
    let newer = ProfilePatch::from_json(&json!({"full_name": "Anna"})).unwrap();
    let pending = sent.clone().then(newer);
    let left = pending.unsent_after(&sent);
    assert_eq!(
        serde_json::to_value(&left).unwrap(),
        json!({"full_name": "Anna"})
    );
    assert!(sent.clone().unsent_after(&sent).is_empty());
}

#[test]
fn a_nul_character_is_refused_in_every_kind_of_text_naming_the_field() {
    assert_eq!(Label::parse("Ann\0"), Err(Violation::ContainsNul));
    assert_eq!(Text::parse("a\0b", 100), Err(Violation::ContainsNul));
    assert_eq!(Email::parse("a\0@b.co"), Err(Violation::ContainsNul));

    let profile = ProfilePatch::from_json(&json!({
        "full_name": "Ann\u{0}", "organization_name": "Acme", "timezone": "\u{0}"
    }))
    .unwrap_err();
    let mut got = codes(&profile);
    got.sort();
    assert_eq!(
        got,
        vec![
            ("full_name".into(), "contains_nul"),
            ("timezone".into(), "contains_nul"),
        ]
    );

    let studio = StudioPatch::from_json(&json!({
        "languages": ["en", "f\u{0}"], "guidelines": "ok\u{0}", "business_hours": "9-5"
    }))
    .unwrap_err();
    let mut got = codes(&studio);
    got.sort();
    assert_eq!(
        got,
        vec![
            ("guidelines".into(), "contains_nul"),
            ("languages".into(), "contains_nul"),
        ]
    );

    let login = Login::from_json(&json!({"email": "a\u{0}@b.co", "password": "pw"})).unwrap_err();
    assert_eq!(codes(&login), vec![("email".to_owned(), "contains_nul")]);

    let assistant = AssistantRequest::from_json(&json!({
        "name": "Ava", "instructions": "hi",
        "voice": {"provider": "azure", "voiceId": "v\u{0}"},
        "model": {"provider": "openai", "model": "gpt-4o-mini"},
        "metadata": {"a": {"list": ["fine", "bad\u{0}"]}}
    }))
    .unwrap_err();
    let mut got = codes(&assistant);
    got.sort();
    assert_eq!(
        got,
        vec![
            ("metadata.a.list[1]".into(), "contains_nul"),
            ("voice.voiceId".into(), "contains_nul"),
        ]
    );
    let key = AssistantRequest::from_json(&json!({
        "name": "Ava", "vapi_assistant_id": "a1", "metadata": {"k\u{0}": 1}
    }))
    .unwrap_err();
    assert_eq!(
        codes(&key),
        vec![("metadata.k\\u0000".to_owned(), "contains_nul")]
    );
    let kept_as_sent = AssistantRequest::from_json(&json!({
        "name": "Ava", "vapi_assistant_id": "a1", "voice": {"voiceId": ["x\u{0}"]}
    }))
    .unwrap_err();
    assert_eq!(
        codes(&kept_as_sent),
        vec![("voice.voiceId[0]".to_owned(), "contains_nul")]
    );
}

#[test]
fn a_whole_number_written_with_a_decimal_point_is_a_whole_number() {
    let patch = StudioPatch::from_json(&json!({"seats": 157.0})).unwrap();
    assert_eq!(patch.seats.map(Seats::get), Some(157));
    let errors = StudioPatch::from_json(&json!({"seats": 1e300})).unwrap_err();
    assert_eq!(codes(&errors), vec![("seats".to_owned(), "out_of_range")]);
}
