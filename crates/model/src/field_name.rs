//! [`FieldName`]: every field the owner fills in or a rule judges, named once, from the model
//! to the window. Errors say where they belong by it, the window keys what was typed and what
//! was refused by it, and each names the locale key of its label, so a misspelt field does not
//! compile and a field without a label fails a test (`ui`'s `every_field_has_a_label`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::onboarding::{FlagField, ProfileField, StudioField};

/// Declares a closed list of form fields: `variant = "wire name" => "label key"`.
macro_rules! form_fields {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$field_meta:meta])* $variant:ident = $wire:literal => $label:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$field_meta])* $variant, )+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name requests, errors and the window's element ids use.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $wire, )+
                }
            }

            /// The locale key of the field's label.
            pub fn label_key(self) -> &'static str {
                match self {
                    $( $name::$variant => $label, )+
                }
            }
        }
    };
}

form_fields! {
    /// Step 7's form: the assistant as the owner shapes it before it is created, named as the
    /// assistant's rules (and Vapi) name them.
    pub enum AssistantFormField {
        Name = "name" => "field.assistant_name",
        VoiceId = "voice_id" => "field.voice",
        FirstMessage = "firstMessage" => "field.first_message",
        Instructions = "instructions" => "field.instructions",
    }
}

form_fields! {
    /// Fields sent by a button rather than saved as typed: credentials, codes, the account's
    /// settings, the studio's boxes.
    pub enum FormField {
        Email = "email" => "field.email",
        Password = "password" => "field.password",
        CurrentPassword = "current_password" => "field.current_password",
        NewPassword = "new_password" => "field.new_password",
        NewEmail = "new_email" => "field.new_email",
        Code = "code" => "field.code",
        VapiApiKey = "vapi_api_key" => "field.vapi_api_key",
        AccountSid = "account_sid" => "field.account_sid",
        AuthToken = "auth_token" => "field.auth_token",
        PhoneNumber = "phone_number" => "field.phone_number",
        /// "Call my phone": the number Ava calls.
        CallTo = "call_to" => "field.call_to",
        /// "Talk to Ava": the owner's next line.
        Chat = "chat" => "field.chat",
        /// Deleting the account: keep or delete the assistants in the owner's Vapi.
        VapiAssistants = "vapi_assistants" => "field.vapi_assistants",
    }
}

impl FormField {
    /// Whether what is typed here is a secret (a password, the Vapi key, the Twilio auth
    /// token): the window keeps it only until the core has it.
    pub fn is_secret(self) -> bool {
        matches!(
            self,
            FormField::Password
                | FormField::CurrentPassword
                | FormField::NewPassword
                | FormField::VapiApiKey
                | FormField::AuthToken
        )
    }
}

/// One field, wherever it lives. Travels as its name (`"full_name"`, `"firstMessage"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum FieldName {
    Profile(ProfileField),
    Studio(StudioField),
    Flag(FlagField),
    Assistant(AssistantFormField),
    Form(FormField),
}

impl FieldName {
    /// Every field, each once.
    pub fn all() -> impl Iterator<Item = FieldName> {
        let profile = ProfileField::ALL.iter().map(|&f| FieldName::Profile(f));
        let studio = StudioField::ALL.iter().map(|&f| FieldName::Studio(f));
        let flags = FlagField::ALL.iter().map(|&f| FieldName::Flag(f));
        let assistant = AssistantFormField::ALL
            .iter()
            .map(|&f| FieldName::Assistant(f));
        let form = FormField::ALL.iter().map(|&f| FieldName::Form(f));
        profile
            .chain(studio)
            .chain(flags)
            .chain(assistant)
            .chain(form)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FieldName::Profile(f) => f.as_str(),
            FieldName::Studio(f) => f.as_str(),
            FieldName::Flag(f) => f.as_str(),
            FieldName::Assistant(f) => f.as_str(),
            FieldName::Form(f) => f.as_str(),
        }
    }

    /// The field named `name`, if there is one. Names are unique across the lists (a test
    /// says so), so the answer does not depend on the order they are searched in.
    pub fn parse(name: &str) -> Option<FieldName> {
        FieldName::all().find(|f| f.as_str() == name)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            FieldName::Profile(f) => f.label_key(),
            FieldName::Studio(f) => f.label_key(),
            FieldName::Flag(f) => f.label_key(),
            FieldName::Assistant(f) => f.label_key(),
            FieldName::Form(f) => f.label_key(),
        }
    }

    pub fn is_secret(self) -> bool {
        matches!(self, FieldName::Form(f) if f.is_secret())
    }

    /// For `#[serde(deserialize_with)]` on an optional field name written by another build
    /// (a draft, the shell): a name this build does not know reads as none, never a failure.
    pub fn deserialize_lenient<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<FieldName>, D::Error> {
        let name = Option::<String>::deserialize(deserializer)?;
        Ok(name.as_deref().and_then(FieldName::parse))
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<FieldName> for &'static str {
    fn from(field: FieldName) -> Self {
        field.as_str()
    }
}

impl TryFrom<String> for FieldName {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        FieldName::parse(&name).ok_or_else(|| format!("no field is named `{name}`"))
    }
}

/// Each list's fields are fields of the window.
macro_rules! field_name_from {
    ($($list:ident => $variant:ident),+) => {
        $(
            impl From<$list> for FieldName {
                fn from(field: $list) -> Self {
                    FieldName::$variant(field)
                }
            }
        )+
    };
}

field_name_from!(
    ProfileField => Profile,
    StudioField => Studio,
    FlagField => Flag,
    AssistantFormField => Assistant,
    FormField => Form
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_unique_and_reads_back_as_its_field() {
        let all: Vec<FieldName> = FieldName::all().collect();
        let mut names: Vec<&str> = all.iter().map(|f| f.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len(), "two fields share a name");
        for field in all {
            assert_eq!(FieldName::parse(field.as_str()), Some(field));
            let json = serde_json::to_value(field).unwrap();
            assert_eq!(json, serde_json::json!(field.as_str()));
            assert_eq!(serde_json::from_value::<FieldName>(json).unwrap(), field);
        }
    }

    #[test]
    fn an_unknown_name_is_an_error_or_none_where_leniency_is_asked() {
        assert!(serde_json::from_value::<FieldName>(serde_json::json!("fulname")).is_err());
        #[derive(Deserialize)]
        struct Holder {
            #[serde(default, deserialize_with = "FieldName::deserialize_lenient")]
            field: Option<FieldName>,
        }
        let read: Holder = serde_json::from_str(r#"{"field": "voice.provider"}"#).unwrap();
        assert_eq!(read.field, None);
        let read: Holder = serde_json::from_str(r#"{"field": "timezone"}"#).unwrap();
        assert_eq!(read.field, Some(FieldName::Profile(ProfileField::timezone)));
    }

    #[test]
    fn only_passwords_keys_and_tokens_are_secret() {
        let secret: Vec<&str> = FieldName::all()
            .filter(|f| f.is_secret())
            .map(FieldName::as_str)
            .collect();
        assert_eq!(
            secret,
            [
                "password",
                "current_password",
                "new_password",
                "vapi_api_key",
                "auth_token"
            ]
        );
    }
}
