//! Strings by key, one file per language (`ui/locales/*.json`); never written inline.
//!
//! The files are not compiled into the wasm (with them, ~86 KB of text and serde_json's
//! parser were a tenth of it): trunk copies them beside it, and [`load`] has all three before
//! the first screen is drawn, so every screen has its words from the start, as when they were
//! compiled in, and a language switch never waits for a file.

use ava_model::{FieldName, Locale};

/// The string for `key` in `locale`, English when missing, the key itself as a last resort.
pub fn t(locale: Locale, key: &str) -> String {
    words::find(locale, key)
        .or_else(|| words::find(Locale::En, key))
        .unwrap_or_else(|| key.to_owned())
}

/// [`t`] as a text node: one call where a screen shows the words, rather than a conversion
/// to a node compiled at each of the ~130 places that do.
#[inline(never)]
pub fn text(locale: Locale, key: &str) -> yew::Html {
    yew::Html::from(t(locale, key))
}

pub use words::load;

/// In the window: the catalogs as the page parsed them (JavaScript objects), each string
/// converted only when a screen asks for it, so the first screen waits for no conversion.
#[cfg(target_arch = "wasm32")]
mod words {
    use std::cell::RefCell;

    use ava_model::Locale;
    use wasm_bindgen::prelude::*;

    thread_local! {
        static CATALOGS: RefCell<Vec<(Locale, JsValue)>> = const { RefCell::new(Vec::new()) };
    }

    pub(super) fn find(locale: Locale, key: &str) -> Option<String> {
        CATALOGS.with_borrow(|all| {
            let (_, catalog) = all.iter().find(|(l, _)| *l == locale)?;
            js_sys::Reflect::get(catalog, &JsValue::from_str(key))
                .ok()?
                .as_string()
        })
    }

    /// Every language's words, read from the window's assets: `words.js` starts the
    /// reading from the page's head, in parallel with fetching and compiling the wasm, so they
    /// are usually here by the time this runs. A language that cannot be read is named in the
    /// error; the window is drawn all the same, in English or, failing that, with the keys.
    pub async fn load() -> Result<(), String> {
        #[wasm_bindgen]
        extern "C" {
            #[wasm_bindgen(thread_local_v2, js_namespace = window, js_name = avaWords)]
            static STARTED: JsValue;
        }
        let started = STARTED.with(JsValue::clone).dyn_into::<js_sys::Promise>();
        let answer = match started {
            Ok(started) => wasm_bindgen_futures::JsFuture::from(started).await.ok(),
            Err(_) => None,
        };
        let read = answer.unwrap_or(JsValue::UNDEFINED);
        let mut unreadable = Vec::new();
        CATALOGS.with_borrow_mut(|all| {
            for &locale in Locale::ALL {
                let catalog = js_sys::Reflect::get(&read, &JsValue::from_str(locale.as_str()));
                match catalog {
                    Ok(catalog) if catalog.is_object() => all.push((locale, catalog)),
                    _ => unreadable.push(locale.as_str()),
                }
            }
        });
        match unreadable.is_empty() {
            true => Ok(()),
            false => Err(format!("words missing for {}", unreadable.join(", "))),
        }
    }
}

/// Off the window (the tests): the files as they are in the tree.
#[cfg(not(target_arch = "wasm32"))]
mod words {
    use std::collections::HashMap;
    use std::sync::OnceLock;

    use ava_model::Locale;

    pub(super) type Catalog = HashMap<String, String>;

    pub(super) fn catalogs() -> &'static [(Locale, Catalog); 3] {
        static CATALOGS: OnceLock<[(Locale, Catalog); 3]> = OnceLock::new();
        CATALOGS.get_or_init(|| {
            let parse = |text: &str| serde_json::from_str::<Catalog>(text).expect("a catalog");
            [
                (Locale::En, parse(include_str!("../locales/en.json"))),
                (Locale::Fr, parse(include_str!("../locales/fr.json"))),
                (Locale::He, parse(include_str!("../locales/he.json"))),
            ]
        })
    }

    pub(super) fn find(locale: Locale, key: &str) -> Option<String> {
        let (_, catalog) = catalogs().iter().find(|(l, _)| *l == locale)?;
        catalog.get(key).cloned()
    }

    /// Nothing to read: the files are compiled in.
    pub async fn load() -> Result<(), String> {
        Ok(())
    }
}

/// An error in the user's language: the translation of its code with its bounds filled in,
/// or the shell's English message when the code has no translation.
pub fn error_message(locale: Locale, error: &ava_ipc::UiError) -> String {
    let key = format!("error.{}", error.code.as_str());
    let text = t(locale, &key);
    if text == key {
        return error.message.clone();
    }
    let bound = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    text.replace("{min}", &bound(error.min))
        .replace("{max}", &bound(error.max))
}

/// The CLDR plural category of a whole number in `locale` (cardinal): English `one` for 1;
/// French `one` for 0 and 1; Hebrew `one` for 1 and `two` for 2 (its dual); `other` otherwise.
/// Written out for three languages rather than taken from a plural-rules crate: three rules for
/// whole numbers do not justify a dependency in the wasm bundle.
pub fn plural_category(locale: Locale, n: u64) -> &'static str {
    match (locale, n) {
        (Locale::En, 1) | (Locale::Fr, 0 | 1) | (Locale::He, 1) => "one",
        (Locale::He, 2) => "two",
        _ => "other",
    }
}

/// "1 seat", "2 seats", "שני מושבים": `{key}.{category}` with `{n}` filled in.
pub fn count(locale: Locale, key: &str, n: u64) -> String {
    t(locale, &format!("{key}.{}", plural_category(locale, n))).replace("{n}", &n.to_string())
}

/// A time of day (minutes after midnight) as the language writes it: a 12-hour clock in
/// English, 24 hours in French and Hebrew.
pub fn time_of_day(locale: Locale, minutes: u16) -> String {
    let (hours, minutes) = (minutes / 60, minutes % 60);
    match locale {
        Locale::En => {
            let half = if hours < 12 { "AM" } else { "PM" };
            let twelve = if hours % 12 == 0 { 12 } else { hours % 12 };
            format!("{twelve}:{minutes:02} {half}")
        }
        Locale::Fr | Locale::He => format!("{hours:02}:{minutes:02}"),
    }
}

/// The warning for leaving a step with fields missing, naming them.
pub fn incomplete_message(locale: Locale, fields: &[FieldName]) -> String {
    let names: Vec<String> = fields.iter().map(|f| t(locale, f.label_key())).collect();
    t(locale, "toast.incomplete").replace("{fields}", &names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_follow_each_languages_clock() {
        assert_eq!(time_of_day(Locale::En, 9 * 60), "9:00 AM");
        assert_eq!(time_of_day(Locale::En, 18 * 60 + 30), "6:30 PM");
        assert_eq!(time_of_day(Locale::En, 0), "12:00 AM");
        assert_eq!(time_of_day(Locale::Fr, 18 * 60), "18:00");
        assert_eq!(time_of_day(Locale::He, 9 * 60), "09:00");
    }

    #[test]
    fn counts_follow_each_languages_plural_rules() {
        let seats = |l, n| count(l, "summary.seats", n);
        assert_eq!(seats(Locale::En, 1), "1 seat");
        assert_eq!(seats(Locale::En, 0), "0 seats");
        assert_eq!(seats(Locale::En, 3), "3 seats");
        assert_eq!(seats(Locale::Fr, 0), "0 poste");
        assert_eq!(seats(Locale::Fr, 1), "1 poste");
        assert_eq!(seats(Locale::Fr, 2), "2 postes");
        assert_eq!(seats(Locale::He, 1), "מושב אחד");
        assert_eq!(seats(Locale::He, 2), "שני מושבים");
        assert_eq!(seats(Locale::He, 7), "7 מושבים");
    }

    #[test]
    fn the_page_reads_a_file_of_words_for_every_language() {
        let script = include_str!("../words.js");
        let page = include_str!("../index.html");
        for locale in Locale::ALL {
            assert!(
                script.contains(&format!("\"{}\"", locale.as_str())),
                "words.js reads {}",
                locale.as_str()
            );
        }
        assert!(
            page.contains(r#"rel="copy-dir" href="locales""#),
            "the files are shipped"
        );
        assert!(
            page.contains(r#"<script src="words.js"></script>"#),
            "and read early"
        );
    }

    #[test]
    fn every_key_exists_in_all_three_languages() {
        let [(_, en), (_, fr), (_, he)] = words::catalogs();
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
    fn every_choice_and_error_code_has_words_in_every_language() {
        use ava_model::{
            BackgroundSound, Calendar, CallLength, CallRecording, Crm, Industry, Persona, Plan,
            Tone,
        };
        let mut keys: Vec<String> = Vec::new();
        let mut add = |prefix: &str, names: &[&str]| {
            keys.extend(names.iter().map(|n| format!("{prefix}.{n}")));
        };
        add("industry", Industry::NAMES);
        add("locale", Locale::NAMES);
        add("persona", Persona::NAMES);
        add("tone", Tone::NAMES);
        add("calendar", Calendar::NAMES);
        add("crm", Crm::NAMES);
        add("plan", Plan::NAMES);
        add("call_length", CallLength::NAMES);
        add("background_sound", BackgroundSound::NAMES);
        add("call_recording", CallRecording::NAMES);
        add("language", &crate::steps::SPOKEN);
        add("app", &crate::steps::WORKSPACE_APPS);
        // Every code an error can carry, from the one declaration of them (the model's rules,
        // the core's, the server's and the shell's).
        let codes: Vec<&str> = ava_ipc::ErrorCode::ALL
            .iter()
            .map(ava_ipc::ErrorCode::as_str)
            .collect();
        add("error", &codes);
        for locale in [Locale::En, Locale::Fr, Locale::He] {
            for key in &keys {
                assert_ne!(t(locale, key), *key, "{key} has no words in {locale:?}");
            }
        }
    }

    #[test]
    fn bounds_are_filled_in_and_unknown_codes_keep_the_shell_message() {
        let too_long = ava_ipc::UiError {
            max: Some(120),
            ..ava_ipc::UiError::new(
                ava_ipc::ErrorCode::TooLong,
                "full_name must be at most 120 characters",
            )
            .at(ava_model::ProfileField::full_name)
        };
        assert!(error_message(Locale::Fr, &too_long).contains("120"));
        assert!(!error_message(Locale::He, &too_long).contains("{max}"));
        let odd = ava_ipc::UiError::new(
            ava_ipc::ErrorCode::parse("something_new"),
            "Something new happened",
        );
        assert_eq!(error_message(Locale::Fr, &odd), "Something new happened");
        let warning = incomplete_message(
            Locale::En,
            &[
                ava_model::ProfileField::full_name.into(),
                ava_model::ProfileField::industry.into(),
            ],
        );
        assert!(
            warning.contains("Full name") && warning.contains("Industry"),
            "{warning}"
        );
    }

    /// Every field the model names has a label in every language: an error or a warning about
    /// any of them names it in the owner's words.
    #[test]
    fn every_field_has_a_label() {
        for field in FieldName::all() {
            for locale in [Locale::En, Locale::Fr, Locale::He] {
                let key = field.label_key();
                let label = words::find(locale, key);
                assert!(label.is_some(), "{key} has no {locale:?} label");
            }
        }
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
