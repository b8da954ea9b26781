//! The closed lists of api.md. Each enum knows its wire names, so the server, the core and the
//! UI's selects and cards all enumerate the same values.

macro_rules! choice {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const NAMES: &'static [&'static str] = &[$($wire),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            pub fn parse(input: &str) -> Result<Self, $crate::Violation> {
                match input {
                    $($wire => Ok($name::$variant),)+
                    _ => Err($crate::Violation::NotOneOf { allowed: Self::NAMES }),
                }
            }
        }

        // Written by hand: utoipa's derive does not see serde renames made inside a
        // macro_rules expansion and would document the Rust variant names.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some(Self::NAMES.iter().copied()))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

choice!(Industry {
    Technology = "technology",
    Healthcare = "healthcare",
    Legal = "legal",
    RealEstate = "real_estate",
    Hospitality = "hospitality",
    Retail = "retail",
    Finance = "finance",
    Education = "education",
    HomeServices = "home_services",
    Other = "other",
});

choice!(
    /// The app's language; Hebrew is laid out right-to-left.
    Locale {
        En = "en",
        Fr = "fr",
        He = "he",
    }
);

impl Locale {
    pub fn is_rtl(self) -> bool {
        matches!(self, Locale::He)
    }

    /// The best match for an OS locale such as `fr_CA.UTF-8` or `he-IL`; English otherwise.
    pub fn from_os_locale(os: &str) -> Self {
        let lang = os
            .split(['_', '-', '.'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match lang.as_str() {
            "fr" => Locale::Fr,
            // `iw` is the pre-1989 code some systems still report for Hebrew.
            "he" | "iw" => Locale::He,
            _ => Locale::En,
        }
    }
}

choice!(Persona {
    Secretary = "secretary",
    Concierge = "concierge",
    Sdr = "sdr",
    CustomerSuccess = "cs",
});

choice!(Tone {
    Professional = "professional",
    Friendly = "friendly",
    Casual = "casual",
    Formal = "formal",
    Enthusiastic = "enthusiastic",
});

choice!(Strategy {
    Attach = "attach",
    Purchase = "purchase",
});

choice!(Calendar {
    Google = "google",
    Outlook = "outlook",
    None = "none",
});

choice!(Crm {
    Hubspot = "hubspot",
    Salesforce = "salesforce",
    None = "none",
});

choice!(
    /// How long a call may last, in minutes (Vapi's `maxDurationSeconds`; Vapi itself cuts
    /// calls at 10 minutes). Unset: 30.
    CallLength {
        Minutes10 = "10",
        Minutes30 = "30",
        Minutes60 = "60",
        Minutes120 = "120",
    }
);

impl CallLength {
    pub fn minutes(self) -> u32 {
        match self {
            CallLength::Minutes10 => 10,
            CallLength::Minutes30 => 30,
            CallLength::Minutes60 => 60,
            CallLength::Minutes120 => 120,
        }
    }
}

choice!(
    /// What callers hear behind Ava (Vapi's `backgroundSound`; Vapi plays office noise on phone
    /// calls unless told). Unset: off.
    BackgroundSound {
        Off = "off",
        Office = "office",
    }
);

choice!(
    /// Whether calls are recorded (Vapi records unless told); recorded calls start by telling
    /// the caller, in their language. Unset: off.
    CallRecording {
        Off = "off",
        Announced = "announced",
    }
);

choice!(
    /// A new user starts on `free`.
    Plan {
        Free = "free",
        Pro = "pro",
        Business = "business",
    }
);

// The macro cannot mark a `#[default]` variant, so this one is written out.
#[allow(clippy::derivable_impls)]
impl Default for Plan {
    fn default() -> Self {
        Plan::Free
    }
}
