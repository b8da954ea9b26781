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
    /// Deepgram Nova-3 in one language (a locale where it has one: `fr-CA`), or `multi`.
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

    /// Gladia hearing exactly `languages`. Vapi applies Gladia's language list only with
    /// `languageBehaviour: "manual"` (Vapi changelog 2025-06-06; `GladiaTranscriber.languages`:
    /// "Required when languageBehaviour is 'manual'").
    fn gladia(languages: Vec<&'static str>) -> Self {
        Self {
            provider: "gladia",
            model: Some("solaria-1"),
            language: None,
            language_behaviour: Some("manual"),
            languages,
        }
    }
}

/// How the assistant hears: a transcriber, and those Vapi switches to when it fails
/// (`transcriber.fallbackPlan`), always of another provider (Vapi's "Transcriber fallback plan"
/// page: a fallback of the same provider fails with it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hearing {
    pub primary: Transcriber,
    pub fallbacks: Vec<Transcriber>,
}

/// How the assistant sounds: an Azure neural voice, and the voice Vapi switches to when Azure
/// fails (`voice.fallbackPlan`), so the handoff message is still spoken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speaking {
    pub voice: &'static str,
    pub fallback: FallbackVoice,
}

/// `FallbackOpenAIVoice`: OpenAI's speech reads the text in its own language, so one fallback
/// serves every language (`gpt-4o-mini-tts`, voice `nova`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FallbackVoice {
    pub provider: &'static str,
    pub voice_id: &'static str,
    pub model: &'static str,
}

const OPENAI_FALLBACK_VOICE: FallbackVoice = FallbackVoice {
    provider: "openai",
    voice_id: "nova",
    model: "gpt-4o-mini-tts",
};

/// A regional variant of a language: the time zones that pick it, Deepgram's and Azure's codes
/// for it, and a voice of that region.
#[derive(Debug)]
pub struct Region {
    /// IANA zones (or a prefix ending in `/`, every zone under it) where the business is.
    pub zones: &'static [&'static str],
    /// Deepgram Nova-3's monolingual code, where it has one for this language.
    pub deepgram: Option<&'static str>,
    pub azure: &'static str,
    pub voice: &'static str,
}

/// A language Ava speaks.
#[derive(Debug)]
pub struct Spoken {
    /// ISO 639-1, as the studio's `languages` holds it.
    pub code: &'static str,
    /// Its name in English words, for the prompt ("You speak French and English").
    pub name: &'static str,
    /// Its regions, the default first; the business's time zone picks another.
    pub regions: &'static [Region],
    /// The Azure multilingual voice used when the assistant speaks several languages with
    /// this one first: one voice that speaks each of them natively, where per-language voices
    /// would read English with a French accent (Vapi's voice fallbacks are for outages, they
    /// do not switch voice by the language heard: "Multilingual support" guide).
    pub multilingual_voice: &'static str,
    /// Her first words, with `{business}` for the business's name, and without one.
    pub greeting: &'static str,
    pub greeting_anonymous: &'static str,
    /// What she says before handing a caller over to the owner.
    pub transfer_message: &'static str,
    /// What she says when she ends the call (`endCallMessage`).
    pub goodbye: &'static str,
    /// Said first when calls are recorded (France and Israel expect callers to be told).
    pub recording_notice: &'static str,
}

impl Spoken {
    /// The region of a business in `timezone`: the region naming that zone, else one whose zone
    /// prefix holds it, else the default.
    pub fn region(&self, timezone: Option<&str>) -> &'static Region {
        let zone = timezone.unwrap_or_default();
        let named = |r: &&Region| r.zones.contains(&zone);
        let under = |r: &&Region| {
            r.zones.iter().any(|z| {
                z.strip_suffix('/').is_some_and(|prefix| {
                    zone.strip_prefix(prefix)
                        .is_some_and(|rest| rest.starts_with('/'))
                })
            })
        };
        let regions = self.regions;
        regions
            .iter()
            .find(named)
            .or_else(|| regions.iter().find(under))
            .unwrap_or(&regions[0])
    }

    /// How she hears this language alone in `region`: Deepgram Nova-3 in the region's code with
    /// Azure behind, or, where Nova-3 has no such model, Azure with Deepgram's `multi` behind.
    fn hearing_in(&self, region: &Region) -> Hearing {
        let azure = Transcriber::azure(region.azure);
        match region.deepgram {
            Some(code) => Hearing {
                primary: Transcriber::deepgram(code),
                fallbacks: vec![azure],
            },
            None => Hearing {
                primary: azure,
                fallbacks: vec![Transcriber::deepgram("multi")],
            },
        }
    }
}

// Sources for the table below (each choice is one of Vapi's published enums too: the contract
// test validates every assistant built from it against Vapi's API document):
// - Deepgram Nova-3 monolingual: es/es-419, fr/fr-CA, pt/pt-BR/pt-PT (changelog 2025-09-02),
//   it (2025-09-16), de-CH (2025-11-24), he (2026-02-03); en, de from the start. Arabic has no
//   monolingual Nova-3 model: Azure hears it, Deepgram's `multi` backs it up.
// - Deepgram Nova-3 `multi`: 55 languages, ours all among them, Hebrew and Arabic included
//   (changelog 2026-10-23, "Nova-3 Multilingual Expands to 55 Languages").
// - Azure voices and locales: Azure Speech's language and voice list; the multilingual voices
//   (`…MultilingualNeural`) speak every language of the list in their own voice.
pub static SPOKEN: [Spoken; 8] = [
    Spoken {
        code: "en",
        name: "English",
        regions: &[
            Region {
                zones: &["America/"],
                deepgram: Some("en-US"),
                azure: "en-US",
                voice: "en-US-JennyNeural",
            },
            Region {
                zones: &["Europe/London", "Europe/Dublin"],
                deepgram: Some("en-GB"),
                azure: "en-GB",
                voice: "en-GB-SoniaNeural",
            },
            Region {
                zones: &["Australia/"],
                deepgram: Some("en-AU"),
                azure: "en-AU",
                voice: "en-AU-NatashaNeural",
            },
            Region {
                zones: &[
                    "America/Toronto",
                    "America/Vancouver",
                    "America/Montreal",
                    "America/Halifax",
                    "America/Winnipeg",
                    "America/Edmonton",
                ],
                deepgram: Some("en-CA"),
                azure: "en-CA",
                voice: "en-CA-ClaraNeural",
            },
        ],
        multilingual_voice: "en-US-AvaMultilingualNeural",
        greeting: "Hello, you've reached {business}. This is Ava, how can I help?",
        greeting_anonymous: "Hello, this is Ava. How can I help?",
        transfer_message: "One moment, I'm transferring you to a member of the team.",
        goodbye: "Thank you for calling. Goodbye!",
        recording_notice: "This call may be recorded.",
    },
    Spoken {
        code: "fr",
        name: "French",
        regions: &[
            Region {
                zones: &["Europe/"],
                deepgram: Some("fr"),
                azure: "fr-FR",
                voice: "fr-FR-DeniseNeural",
            },
            Region {
                zones: &[
                    "America/Montreal",
                    "America/Toronto",
                    "America/Moncton",
                    "America/Halifax",
                    "America/Winnipeg",
                    "America/Vancouver",
                    "America/Edmonton",
                ],
                deepgram: Some("fr-CA"),
                azure: "fr-CA",
                voice: "fr-CA-SylvieNeural",
            },
        ],
        multilingual_voice: "fr-FR-VivienneMultilingualNeural",
        greeting: "Bonjour, {business}, Ava à l'appareil. Comment puis-je vous aider ?",
        greeting_anonymous: "Bonjour, Ava à l'appareil. Comment puis-je vous aider ?",
        transfer_message: "Un instant, je vous transfère à un membre de l'équipe.",
        goodbye: "Merci de votre appel. Au revoir !",
        recording_notice: "Cet appel peut être enregistré.",
    },
    Spoken {
        code: "he",
        name: "Hebrew",
        regions: &[Region {
            zones: &["Asia/"],
            deepgram: Some("he"),
            azure: "he-IL",
            voice: "he-IL-HilaNeural",
        }],
        multilingual_voice: "en-US-AvaMultilingualNeural",
        greeting: "שלום, הגעתם ל{business}, מדברת אווה. איך אפשר לעזור?",
        greeting_anonymous: "שלום, מדברת אווה. איך אפשר לעזור?",
        transfer_message: "רגע אחד, אני מעבירה אותך לאחד מאנשי הצוות.",
        goodbye: "תודה שהתקשרת. להתראות!",
        recording_notice: "השיחה עשויה להיות מוקלטת.",
    },
    Spoken {
        code: "es",
        name: "Spanish",
        regions: &[
            Region {
                zones: &["Europe/"],
                deepgram: Some("es"),
                azure: "es-ES",
                voice: "es-ES-ElviraNeural",
            },
            Region {
                zones: &["America/"],
                deepgram: Some("es-419"),
                azure: "es-MX",
                voice: "es-MX-DaliaNeural",
            },
        ],
        multilingual_voice: "en-US-AvaMultilingualNeural",
        greeting: "Hola, ha llamado a {business}. Soy Ava, ¿en qué puedo ayudarle?",
        greeting_anonymous: "Hola, soy Ava. ¿En qué puedo ayudarle?",
        transfer_message: "Un momento, le paso con un miembro del equipo.",
        goodbye: "Gracias por su llamada. ¡Adiós!",
        recording_notice: "Esta llamada puede ser grabada.",
    },
    Spoken {
        code: "de",
        name: "German",
        regions: &[
            Region {
                zones: &["Europe/"],
                deepgram: Some("de"),
                azure: "de-DE",
                voice: "de-DE-KatjaNeural",
            },
            Region {
                zones: &["Europe/Zurich"],
                deepgram: Some("de-CH"),
                azure: "de-CH",
                voice: "de-CH-LeniNeural",
            },
            Region {
                zones: &["Europe/Vienna"],
                deepgram: Some("de"),
                azure: "de-AT",
                voice: "de-AT-IngridNeural",
            },
        ],
        multilingual_voice: "de-DE-SeraphinaMultilingualNeural",
        greeting: "Guten Tag, Sie sind mit {business} verbunden. Hier ist Ava, wie kann ich helfen?",
        greeting_anonymous: "Guten Tag, hier ist Ava. Wie kann ich helfen?",
        transfer_message: "Einen Moment bitte, ich verbinde Sie mit einem Mitglied des Teams.",
        goodbye: "Vielen Dank für Ihren Anruf. Auf Wiederhören!",
        recording_notice: "Dieser Anruf kann aufgezeichnet werden.",
    },
    Spoken {
        code: "it",
        name: "Italian",
        regions: &[Region {
            zones: &["Europe/"],
            deepgram: Some("it"),
            azure: "it-IT",
            voice: "it-IT-ElsaNeural",
        }],
        multilingual_voice: "en-US-AvaMultilingualNeural",
        greeting: "Buongiorno, ha chiamato {business}. Sono Ava, come posso aiutarla?",
        greeting_anonymous: "Buongiorno, sono Ava. Come posso aiutarla?",
        transfer_message: "Un attimo, la passo a un membro del team.",
        goodbye: "Grazie per la chiamata. Arrivederci!",
        recording_notice: "Questa chiamata potrebbe essere registrata.",
    },
    Spoken {
        code: "pt",
        name: "Portuguese",
        regions: &[
            Region {
                zones: &["America/"],
                deepgram: Some("pt-BR"),
                azure: "pt-BR",
                voice: "pt-BR-FranciscaNeural",
            },
            Region {
                zones: &["Europe/Lisbon", "Atlantic/Madeira", "Atlantic/Azores"],
                deepgram: Some("pt-PT"),
                azure: "pt-PT",
                voice: "pt-PT-RaquelNeural",
            },
        ],
        multilingual_voice: "en-US-AvaMultilingualNeural",
        greeting: "Olá, você ligou para {business}. Aqui é a Ava, como posso ajudar?",
        greeting_anonymous: "Olá, aqui é a Ava. Como posso ajudar?",
        transfer_message: "Um momento, vou transferir você para um membro da equipe.",
        goodbye: "Obrigada pela sua ligação. Tchau!",
        recording_notice: "Esta chamada pode ser gravada.",
    },
    Spoken {
        code: "ar",
        name: "Arabic",
        regions: &[
            Region {
                zones: &["Asia/"],
                deepgram: None,
                azure: "ar-SA",
                voice: "ar-SA-ZariyahNeural",
            },
            Region {
                zones: &["Africa/Cairo"],
                deepgram: None,
                azure: "ar-EG",
                voice: "ar-EG-SalmaNeural",
            },
        ],
        multilingual_voice: "en-US-AvaMultilingualNeural",
        greeting: "مرحبًا، لقد اتصلت بـ{business}. معك آفا، كيف يمكنني مساعدتك؟",
        greeting_anonymous: "مرحبًا، معك آفا. كيف يمكنني مساعدتك؟",
        transfer_message: "لحظة من فضلك، سأحوّلك إلى أحد أعضاء الفريق.",
        goodbye: "شكرًا لاتصالك. مع السلامة!",
        recording_notice: "قد يتم تسجيل هذه المكالمة.",
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

/// How an assistant speaking `languages` (her first one first), for a business in `timezone`,
/// hears callers. One language: Deepgram Nova-3 in its regional code, Azure behind it (or, for
/// Arabic, Azure with Deepgram's `multi` behind). Several: Deepgram's `multi`, which follows a
/// caller switching between any of ours, with Gladia on exactly that list behind it.
pub fn hearing(languages: &[LanguageCode], timezone: Option<&str>) -> Hearing {
    let spoken = spoken_of(languages);
    if let [only] = spoken.as_slice() {
        return only.hearing_in(only.region(timezone));
    }
    Hearing {
        primary: Transcriber::deepgram("multi"),
        fallbacks: vec![Transcriber::gladia(spoken.iter().map(|s| s.code).collect())],
    }
}

/// How an assistant speaking `languages` sounds: the region's voice for one language, the
/// first language's multilingual voice for several; OpenAI's voice behind either.
pub fn speaking(languages: &[LanguageCode], timezone: Option<&str>) -> Speaking {
    let spoken = spoken_of(languages);
    let voice = match spoken.as_slice() {
        [only] => only.region(timezone).voice,
        several => several[0].multilingual_voice,
    };
    Speaking {
        voice,
        fallback: OPENAI_FALLBACK_VOICE,
    }
}

/// The language a voice id speaks (`fr-CA-SylvieNeural` → French, in Canada's region), for an
/// assistant given only a voice (the seed's `POST /assistants`).
pub fn spoken_by_voice(voice_id: &str) -> Option<(&'static Spoken, &'static Region)> {
    let locale = voice_id.get(..5)?;
    let spoken = spoken(voice_id.get(..2)?)?;
    let region = spoken
        .regions
        .iter()
        .find(|r| r.azure == locale)
        .unwrap_or(&spoken.regions[0]);
    Some((spoken, region))
}

/// How an assistant whose voice is `voice_id` hears callers: that voice's language and region.
pub fn hearing_for_voice(voice_id: &str) -> Option<Hearing> {
    let (spoken, region) = spoken_by_voice(voice_id)?;
    Some(spoken.hearing_in(region))
}

/// `"pipeline-error"`: Vapi's documented catch-all for `call.endedReason` filters ("Use
/// `oneOf: [\"pipeline-error\"]` as a catch-all filter for any pipeline-related error reason",
/// Assistant hooks page), sent beside every reason of the spec that names a provider of Ava's
/// pipeline ([`crate::vapi_ended_reasons::PIPELINE_FAILED`], generated from the spec).
pub const PIPELINE_ERROR_CATCH_ALL: &str = "pipeline-error";

/// The reasons a call ends because Ava's own pipeline failed: on those the call is handed to
/// the owner's phone as it ends (`call.ending` hook).
pub fn handoff_ended_reasons() -> Vec<&'static str> {
    let mut reasons = vec![PIPELINE_ERROR_CATCH_ALL];
    reasons.extend_from_slice(crate::vapi_ended_reasons::PIPELINE_FAILED);
    reasons
}

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
            for region in spoken.regions {
                assert!(region.voice.starts_with(region.azure), "{}", region.voice);
                assert!(region.azure.starts_with(spoken.code), "{}", region.azure);
            }
            assert!(spoken.multilingual_voice.ends_with("MultilingualNeural"));
        }
    }

    #[test]
    fn one_language_is_heard_in_its_region_with_another_provider_behind() {
        let hebrew = hearing(&codes(&["he"]), Some("Asia/Jerusalem"));
        assert_eq!(hebrew.primary.provider, "deepgram");
        assert_eq!(hebrew.primary.language, Some("he"));
        assert_eq!(hebrew.fallbacks[0].language, Some("he-IL"));
        let montreal = hearing(&codes(&["fr"]), Some("America/Montreal"));
        assert_eq!(montreal.primary.language, Some("fr-CA"));
        assert_eq!(montreal.fallbacks[0].language, Some("fr-CA"));
        assert_eq!(
            speaking(&codes(&["fr"]), Some("America/Montreal")).voice,
            "fr-CA-SylvieNeural",
            "a Montréal business gets Canada's French"
        );
        assert_eq!(
            speaking(&codes(&["fr"]), Some("Europe/Paris")).voice,
            "fr-FR-DeniseNeural"
        );
        let arabic = hearing(&codes(&["ar"]), Some("Africa/Cairo"));
        assert_eq!(
            (arabic.primary.provider, arabic.primary.language),
            ("azure", Some("ar-EG"))
        );
        assert_eq!(arabic.fallbacks[0].language, Some("multi"));
        for spoken in &SPOKEN {
            let one = hearing(&codes(&[spoken.code]), None);
            assert!(
                one.fallbacks
                    .iter()
                    .all(|f| f.provider != one.primary.provider),
                "{}: the fallback is another provider",
                spoken.code
            );
        }
        assert_eq!(
            hearing(&[], None).primary.language,
            Some("en-US"),
            "English by default"
        );
    }

    #[test]
    fn several_languages_get_one_multilingual_voice_and_a_transcriber_that_hears_them_all() {
        let pair = hearing(&codes(&["fr", "en", "fr"]), None);
        assert_eq!(pair.primary.language, Some("multi"));
        assert_eq!(pair.fallbacks[0].provider, "gladia");
        assert_eq!(pair.fallbacks[0].language_behaviour, Some("manual"));
        assert_eq!(pair.fallbacks[0].languages, vec!["fr", "en"]);
        assert_eq!(
            speaking(&codes(&["fr", "en"]), None).voice,
            "fr-FR-VivienneMultilingualNeural"
        );
        assert_eq!(
            speaking(&codes(&["he", "en"]), None).voice,
            "en-US-AvaMultilingualNeural"
        );
        assert_eq!(speaking(&codes(&["he"]), None).fallback.provider, "openai");
    }

    #[test]
    fn a_voice_says_which_language_to_hear() {
        let french = hearing_for_voice("fr-FR-DeniseNeural").unwrap();
        assert_eq!(french.primary.language, Some("fr"));
        let canadian = hearing_for_voice("fr-CA-SylvieNeural").unwrap();
        assert_eq!(canadian.primary.language, Some("fr-CA"));
        assert_eq!(
            hearing_for_voice("he-IL-HilaNeural")
                .unwrap()
                .primary
                .language,
            Some("he")
        );
        assert!(hearing_for_voice("nova").is_none());
        assert!(hearing_for_voice("ja-JP-NanamiNeural").is_none());
    }
}
