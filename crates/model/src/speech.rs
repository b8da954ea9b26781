//! What Ava sounds like on the phone and how she hears callers, per language she speaks: one
//! table ([`SPOKEN`]) holding her voice, her transcribers, her greeting and the words she says
//! before handing a call over. Every provider, model and language named here is one that
//! Vapi's published API document accepts (a contract test in `crates/vapi` validates each
//! assistant built from this table against it).
//!
//! Without a transcriber Vapi hears English: a French or Hebrew assistant would have a French
//! or Hebrew voice and prompt and mishear every caller. So every assistant carries one.

use serde::Serialize;

use crate::values::LanguageCode;

/// One of Vapi's transcribers (`CreateAssistantDTO.transcriber`), as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Transcriber {
    pub provider: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<&'static str>,
    /// Gladia only: how it picks the language of what it hears.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language_behaviour: Option<&'static str>,
    /// Gladia only: the languages a caller may speak.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<&'static str>,
}

impl Transcriber {
    const fn deepgram(language: &'static str) -> Self {
        Self {
            provider: "deepgram",
            model: Some("nova-3"),
            language: Some(language),
            language_behaviour: None,
            languages: Vec::new(),
        }
    }

    /// Azure Speech: a locale (`he-IL`); it has no model to choose.
    const fn azure(locale: &'static str) -> Self {
        Self {
            provider: "azure",
            model: None,
            language: Some(locale),
            language_behaviour: None,
            languages: Vec::new(),
        }
    }

    const fn eleven_labs(language: &'static str) -> Self {
        Self {
            provider: "11labs",
            model: Some("scribe_v1"),
            language: Some(language),
            language_behaviour: None,
            languages: Vec::new(),
        }
    }

    /// Gladia telling apart the languages of `languages` as the caller switches between them.
    fn gladia(languages: Vec<&'static str>) -> Self {
        Self {
            provider: "gladia",
            model: Some("solaria-1"),
            language: None,
            language_behaviour: Some("automatic multiple languages"),
            languages,
        }
    }
}

/// How the assistant hears: a transcriber, and those Vapi switches to when it fails
/// (`transcriber.fallbackPlan`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hearing {
    pub primary: Transcriber,
    pub fallbacks: Vec<Transcriber>,
}

/// A language Ava speaks.
#[derive(Debug)]
pub struct Spoken {
    /// ISO 639-1, as the studio's `languages` holds it.
    pub code: &'static str,
    /// An Azure neural voice that speaks it (step 7 offers each).
    pub voice: &'static str,
    /// How she hears it when it is her only language, and her fallback.
    pub hears: Transcriber,
    pub hears_otherwise: Transcriber,
    /// Deepgram's code-switching `multi` model covers it (Nova-3's list: en, es, fr, de, hi,
    /// ru, pt, ja, it, nl); Hebrew and Arabic are not on it.
    pub in_deepgram_multi: bool,
    /// Her first words, with `{business}` for the business's name, and without one.
    pub greeting: &'static str,
    pub greeting_anonymous: &'static str,
    /// What she says before handing a caller over to the owner.
    pub transfer_message: &'static str,
}

/// The languages Ava speaks, in the order step 3 offers them ([`LanguageCode::SPOKEN`]).
pub static SPOKEN: [Spoken; 8] = [
    Spoken {
        code: "en",
        voice: "en-US-JennyNeural",
        hears: Transcriber::deepgram("en"),
        hears_otherwise: Transcriber::azure("en-US"),
        in_deepgram_multi: true,
        greeting: "Hello, you've reached {business}. This is Ava, how can I help?",
        greeting_anonymous: "Hello, this is Ava. How can I help?",
        transfer_message: "One moment, I'm transferring you to a member of the team.",
    },
    Spoken {
        code: "fr",
        voice: "fr-FR-DeniseNeural",
        hears: Transcriber::deepgram("fr"),
        hears_otherwise: Transcriber::azure("fr-FR"),
        in_deepgram_multi: true,
        greeting: "Bonjour, {business}, Ava à l'appareil. Comment puis-je vous aider ?",
        greeting_anonymous: "Bonjour, Ava à l'appareil. Comment puis-je vous aider ?",
        transfer_message: "Un instant, je vous transfère à un membre de l'équipe.",
    },
    Spoken {
        code: "he",
        voice: "he-IL-HilaNeural",
        hears: Transcriber::azure("he-IL"),
        hears_otherwise: Transcriber::eleven_labs("he"),
        in_deepgram_multi: false,
        greeting: "שלום, הגעתם ל{business}, מדברת אווה. איך אפשר לעזור?",
        greeting_anonymous: "שלום, מדברת אווה. איך אפשר לעזור?",
        transfer_message: "רגע אחד, אני מעבירה אותך לאחד מאנשי הצוות.",
    },
    Spoken {
        code: "es",
        voice: "es-ES-ElviraNeural",
        hears: Transcriber::deepgram("es"),
        hears_otherwise: Transcriber::azure("es-ES"),
        in_deepgram_multi: true,
        greeting: "Hola, ha llamado a {business}. Soy Ava, ¿en qué puedo ayudarle?",
        greeting_anonymous: "Hola, soy Ava. ¿En qué puedo ayudarle?",
        transfer_message: "Un momento, le paso con un miembro del equipo.",
    },
    Spoken {
        code: "de",
        voice: "de-DE-KatjaNeural",
        hears: Transcriber::deepgram("de"),
        hears_otherwise: Transcriber::azure("de-DE"),
        in_deepgram_multi: true,
        greeting: "Guten Tag, Sie sind mit {business} verbunden. Hier ist Ava, wie kann ich helfen?",
        greeting_anonymous: "Guten Tag, hier ist Ava. Wie kann ich helfen?",
        transfer_message: "Einen Moment bitte, ich verbinde Sie mit einem Mitglied des Teams.",
    },
    Spoken {
        code: "it",
        voice: "it-IT-ElsaNeural",
        hears: Transcriber::deepgram("it"),
        hears_otherwise: Transcriber::azure("it-IT"),
        in_deepgram_multi: true,
        greeting: "Buongiorno, ha chiamato {business}. Sono Ava, come posso aiutarla?",
        greeting_anonymous: "Buongiorno, sono Ava. Come posso aiutarla?",
        transfer_message: "Un attimo, la passo a un membro del team.",
    },
    Spoken {
        code: "pt",
        voice: "pt-BR-FranciscaNeural",
        hears: Transcriber::deepgram("pt"),
        hears_otherwise: Transcriber::azure("pt-BR"),
        in_deepgram_multi: true,
        greeting: "Olá, você ligou para {business}. Aqui é a Ava, como posso ajudar?",
        greeting_anonymous: "Olá, aqui é a Ava. Como posso ajudar?",
        transfer_message: "Um momento, vou transferir você para um membro da equipe.",
    },
    Spoken {
        code: "ar",
        voice: "ar-SA-ZariyahNeural",
        hears: Transcriber::azure("ar-SA"),
        hears_otherwise: Transcriber::eleven_labs("ar"),
        in_deepgram_multi: false,
        greeting: "مرحبًا، لقد اتصلت بـ{business}. معك آفا، كيف يمكنني مساعدتك؟",
        greeting_anonymous: "مرحبًا، معك آفا. كيف يمكنني مساعدتك؟",
        transfer_message: "لحظة من فضلك، سأحوّلك إلى أحد أعضاء الفريق.",
    },
];

/// The table's entry for `code`, if Ava speaks it.
pub fn spoken(code: &str) -> Option<&'static Spoken> {
    SPOKEN.iter().find(|s| s.code == code)
}

/// The languages of `languages` that Ava speaks, in order, without repeats; English when
/// none is.
pub fn spoken_of(languages: &[LanguageCode]) -> Vec<&'static Spoken> {
    let mut found: Vec<&'static Spoken> = Vec::new();
    for spoken in languages.iter().filter_map(|l| spoken(l.as_str())) {
        if !found.iter().any(|f| f.code == spoken.code) {
            found.push(spoken);
        }
    }
    if found.is_empty() {
        found.push(&SPOKEN[0]);
    }
    found
}

/// How an assistant speaking `languages` (her first one first) hears callers. One language:
/// that language's transcriber. Several: a transcriber that follows a caller switching
/// between them (Deepgram's `multi` when it covers them all, else Gladia with the list), and
/// the first language's own transcriber as the fallback, so she still hears that one.
pub fn hearing(languages: &[LanguageCode]) -> Hearing {
    let spoken = spoken_of(languages);
    let first = spoken[0];
    if spoken.len() == 1 {
        return Hearing {
            primary: first.hears.clone(),
            fallbacks: vec![first.hears_otherwise.clone()],
        };
    }
    let codes: Vec<&'static str> = spoken.iter().map(|s| s.code).collect();
    let primary = if spoken.iter().all(|s| s.in_deepgram_multi) {
        Transcriber::deepgram("multi")
    } else {
        Transcriber::gladia(codes)
    };
    Hearing {
        primary,
        fallbacks: vec![first.hears.clone()],
    }
}

/// The reasons a call ends because Ava's own pipeline failed (her model, voice or one of her
/// transcribers): on those the call is handed to the owner's phone as it ends
/// (`call.ending` hook). Each is a value of Vapi's `Call.endedReason` (a contract test
/// checks).
pub const HANDOFF_ENDED_REASONS: [&str; 24] = [
    "pipeline-error-openai-llm-failed",
    "call.in-progress.error-providerfault-openai-llm-failed",
    "pipeline-error-google-llm-failed",
    "call.in-progress.error-providerfault-google-llm-failed",
    "pipeline-error-azure-voice-failed",
    "call.in-progress.error-vapifault-azure-voice-failed",
    "pipeline-error-openai-voice-failed",
    "call.in-progress.error-vapifault-openai-voice-failed",
    "pipeline-error-deepgram-voice-failed",
    "call.in-progress.error-vapifault-deepgram-voice-failed",
    "pipeline-error-eleven-labs-voice-failed",
    "call.in-progress.error-vapifault-eleven-labs-voice-failed",
    "pipeline-error-deepgram-transcriber-failed",
    "call.in-progress.error-vapifault-deepgram-transcriber-failed",
    "pipeline-error-azure-speech-transcriber-failed",
    "call.in-progress.error-vapifault-azure-speech-transcriber-failed",
    "pipeline-error-gladia-transcriber-failed",
    "call.in-progress.error-vapifault-gladia-transcriber-failed",
    "pipeline-error-eleven-labs-transcriber-failed",
    "call.in-progress.error-vapifault-eleven-labs-transcriber-failed",
    "pipeline-error-google-transcriber-failed",
    "call.in-progress.error-vapifault-google-transcriber-failed",
    "pipeline-error-openai-transcriber-failed",
    "call.in-progress.error-vapifault-openai-transcriber-failed",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(list: &[&str]) -> Vec<LanguageCode> {
        list.iter()
            .map(|c| LanguageCode::parse(c).unwrap())
            .collect()
    }

    #[test]
    fn the_table_covers_every_spoken_language_in_order() {
        let table: Vec<&str> = SPOKEN.iter().map(|s| s.code).collect();
        assert_eq!(table, LanguageCode::SPOKEN);
        for spoken in &SPOKEN {
            assert!(spoken.greeting.contains("{business}"), "{}", spoken.code);
            assert!(!spoken.greeting_anonymous.contains('{'), "{}", spoken.code);
            assert!(spoken.voice.starts_with(spoken.code), "{}", spoken.voice);
        }
    }

    #[test]
    fn one_language_is_heard_in_that_language_with_a_second_provider_behind() {
        let hebrew = hearing(&codes(&["he"]));
        assert_eq!(hebrew.primary.language, Some("he-IL"));
        assert_eq!(hebrew.fallbacks[0].language, Some("he"));
        assert_ne!(hebrew.primary.provider, hebrew.fallbacks[0].provider);
        assert_eq!(
            hearing(&[]).primary.language,
            Some("en"),
            "English by default"
        );
        assert_eq!(
            hearing(&codes(&["nl", "fr"])).primary.language,
            Some("fr"),
            "a language Ava does not speak is left out"
        );
    }

    #[test]
    fn several_languages_are_heard_together_and_the_first_one_stays_covered() {
        let european = hearing(&codes(&["fr", "en", "fr"]));
        assert_eq!(european.primary.language, Some("multi"));
        assert_eq!(european.fallbacks, vec![SPOKEN[1].hears.clone()]);
        let with_hebrew = hearing(&codes(&["he", "en"]));
        assert_eq!(with_hebrew.primary.provider, "gladia");
        assert_eq!(with_hebrew.primary.languages, vec!["he", "en"]);
        assert_eq!(with_hebrew.fallbacks[0].language, Some("he-IL"));
    }
}
