//! The window's strings, one catalog per language, compiled into the shell rather than the
//! wasm: the window asks for its language (`cmd::Words`) with its draft and carries no text.

use std::collections::HashMap;

use ava_ipc::{ErrorCode, UiError};
use ava_model::Locale;

/// `locale`'s strings by key.
pub fn catalog(locale: Locale) -> Result<HashMap<String, String>, UiError> {
    let text = match locale {
        Locale::En => include_str!("../../ui/locales/en.json"),
        Locale::Fr => include_str!("../../ui/locales/fr.json"),
        Locale::He => include_str!("../../ui/locales/he.json"),
    };
    serde_json::from_str(text).map_err(|e| {
        UiError::new(
            ErrorCode::IpcFailed,
            format!("The app's {} words could not be read: {e}", locale.as_str()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_its_words() {
        for locale in [Locale::En, Locale::Fr, Locale::He] {
            let words = catalog(locale).unwrap();
            assert!(words.len() > 100, "{locale:?}: {}", words.len());
            assert!(words.contains_key("nav.continue"));
        }
        assert_eq!(catalog(Locale::Fr).unwrap()["nav.continue"], "Continuer");
    }
}
