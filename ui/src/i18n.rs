//! Strings by key, one file per language (`ui/locales/*.json`); never written inline.

use std::collections::HashMap;
use std::sync::OnceLock;

use ava_model::Locale;

type Catalog = HashMap<String, String>;

fn catalogs() -> &'static [(Locale, Catalog); 3] {
    static CATALOGS: OnceLock<[(Locale, Catalog); 3]> = OnceLock::new();
    CATALOGS.get_or_init(|| {
        let parse = |text: &str| serde_json::from_str::<Catalog>(text).unwrap_or_default();
        [
            (Locale::En, parse(include_str!("../locales/en.json"))),
            (Locale::Fr, parse(include_str!("../locales/fr.json"))),
            (Locale::He, parse(include_str!("../locales/he.json"))),
        ]
    })
}

/// The string for `key` in `locale`, English when missing, the key itself as a last resort.
pub fn t(locale: Locale, key: &str) -> String {
    let find = |l: Locale| {
        catalogs()
            .iter()
            .find(|(c, _)| *c == l)
            .and_then(|(_, cat)| cat.get(key))
            .cloned()
    };
    find(locale)
        .or_else(|| find(Locale::En))
        .unwrap_or_else(|| key.to_owned())
}

/// A field error in the user's language, from the model's code and parameters.
pub fn error_message(locale: Locale, error: &ava_ipc::UiError) -> String {
    let key = format!("error.{}", error.code);
    let text = t(locale, &key);
    if text == key {
        error.message.clone()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_exists_in_all_three_languages() {
        let [(_, en), (_, fr), (_, he)] = catalogs();
        let mut keys: Vec<&String> = en.keys().chain(fr.keys()).chain(he.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            for (name, catalog) in [("en", en), ("fr", fr), ("he", he)] {
                assert!(
                    catalog.get(key).is_some_and(|v| !v.is_empty()),
                    "{key} is missing in {name}.json"
                );
            }
        }
        assert!(en.len() > 30, "the catalogs were read");
    }

    #[test]
    fn every_step_has_a_title() {
        for step in ava_model::Step::ALL {
            for locale in [Locale::En, Locale::Fr, Locale::He] {
                let key = format!("step.{}", step.key());
                assert_ne!(t(locale, &key), key);
            }
        }
    }
}
