//! [`Sensitive`]: a secret in transit (a password, a key, a token). Its `Debug` prints
//! `<redacted>`, and it has no `Serialize`: a struct holding one can only be serialized where
//! its field says so explicitly (`#[serde(serialize_with = "ava_model::serialize_sensitive")]`),
//! so no log line, panic or accidental `to_string` carries the secret.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, PartialEq, Eq, Default)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl From<&str> for Sensitive<String> {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sensitive<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Self)
    }
}

/// For the one field that must travel: `#[serde(serialize_with = "ava_model::serialize_sensitive")]`.
pub fn serialize_sensitive<T: Serialize, S: Serializer>(
    value: &Sensitive<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    value.0.serialize(serializer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret_and_the_value_round_trips_only_on_purpose() {
        #[derive(Debug, Serialize, Deserialize)]
        struct Args {
            email: String,
            #[serde(serialize_with = "serialize_sensitive")]
            password: Sensitive<String>,
        }
        let args = Args {
            email: "ann@acme.com".into(),
            password: "correct horse".to_owned().into(),
        };
        let printed = format!("{args:?}");
        assert!(!printed.contains("correct horse"), "{printed}");
        assert!(printed.contains("<redacted>"), "{printed}");
        let json = serde_json::to_string(&args).unwrap();
        let back: Args = serde_json::from_str(&json).unwrap();
        assert_eq!(back.password.expose(), "correct horse");
    }
}
