//! The assistant the wizard describes, read from the draft: the rules themselves (the
//! instructions, voice and greeting step 7 pre-writes, how she hears callers and whom she hands
//! them to) are `ava_vapi::build`'s, shared with the server, which builds her the same way when
//! it keeps her up to date. No I/O: the provisioning and live-assistant services send what these
//! functions build.

use ava_model::{AssistantSpec, FieldErrors, StudioPatch};
use ava_vapi::CreateAssistant;
use ava_vapi::build::{self, Answers};
use serde_json::{Map, Value, json};

use crate::rules::state::{AssistantChoices, Draft, Provisioning};

pub use ava_vapi::build::{instructions_fingerprint, voice_for, voices};

/// The draft as the assistant's builder reads it.
pub fn answers(draft: &Draft) -> Answers<'_> {
    Answers {
        profile: &draft.profile,
        studio: &draft.studio,
        phone_number: draft
            .twilio
            .as_ref()
            .and_then(|t| t.phone_number.as_deref()),
    }
}

/// The instructions step 7 pre-writes from steps 3 and 5 (the user may edit them).
pub fn default_instructions(draft: &Draft) -> String {
    build::default_instructions(&answers(draft))
}

/// A greeting in the assistant's first language.
pub fn default_first_message(draft: &Draft) -> String {
    build::default_first_message(&answers(draft))
}

/// Where Ava hands calls over (the owner's phone from step 5), or `None`.
pub fn handoff(draft: &Draft) -> Option<ava_vapi::Handoff> {
    build::handoff(&answers(draft))
}

/// The choices to keep: a field equal to what the wizard would write becomes `None`, so it
/// keeps following the wizard (the instructions name the new hours after an edit).
pub fn kept_choices(choices: &AssistantChoices, draft: &Draft) -> AssistantChoices {
    let differs = |chosen: &Option<String>, generated: String| {
        chosen.clone().filter(|c| c.trim() != generated.trim())
    };
    AssistantChoices {
        name: choices.name.clone(),
        instructions: differs(&choices.instructions, default_instructions(draft)),
        first_message: differs(&choices.first_message, default_first_message(draft)),
        voice_id: differs(
            &choices.voice_id,
            voice_for(&draft.profile, &draft.studio).voice_id,
        ),
    }
}

/// What step 7 kept, as it is stored in the studio config (so every computer builds the same
/// assistant): only the fields that differ from what the draft holds, so no request carries a
/// value this computer did not change. Hand-written instructions carry the fingerprint of what
/// the wizard would have written, to tell the owner later when the answers they came from
/// change.
pub fn choices_patch(
    choices: &AssistantChoices,
    draft: &Draft,
) -> Result<StudioPatch, FieldErrors> {
    let kept = kept_choices(choices, draft);
    let text = |value: &Option<String>| Value::String(value.clone().unwrap_or_default());
    let basis = kept
        .instructions
        .as_ref()
        .map(|_| instructions_fingerprint(&default_instructions(draft)));
    let patch = StudioPatch::from_json(&json!({
        "assistant_name": text(&kept.name),
        "assistant_voice_id": text(&kept.voice_id),
        "assistant_first_message": text(&kept.first_message),
        "assistant_instructions": text(&kept.instructions),
        "assistant_instructions_basis": text(&basis),
    }))?;
    let mut after = draft.studio.clone();
    after.apply(&patch);
    let changed: Vec<&str> = draft
        .studio
        .changed_fields(&after)
        .into_iter()
        .map(|f| f.as_str())
        .collect();
    Ok(patch.only(&changed))
}

/// The owner wrote their own instructions, and the answers the wizard wrote its own from have
/// changed since (on this computer or another): the owner is told, their words are kept.
pub fn instructions_outdated(draft: &Draft) -> bool {
    let studio = &draft.studio;
    studio.assistant_instructions.is_some()
        && studio
            .assistant_instructions_basis
            .as_ref()
            .is_some_and(|basis| {
                basis.as_str() != instructions_fingerprint(&default_instructions(draft))
            })
}

/// The assistant as the draft describes it now (what Vapi should run), with the choices kept
/// at step 7, or `None` before it is created.
pub fn live_spec(draft: &Draft) -> Option<Result<(String, AssistantSpec), FieldErrors>> {
    let run = draft.provisioning.as_ref()?;
    let id = run.assistant_id.clone()?;
    let mut choices = draft.studio.assistant_choices();
    choices.name.get_or_insert_with(|| run.name.clone());
    Some(build_spec(draft, &choices).map(|spec| (id, spec)))
}

/// The whole assistant Vapi should run, as the draft describes it.
pub fn assistant_request(draft: &Draft, spec: &AssistantSpec) -> CreateAssistant {
    build::assistant_request(&answers(draft), spec)
}

/// What updating the assistant sends: all of it but the metadata.
pub fn update_request(draft: &Draft, spec: &AssistantSpec) -> CreateAssistant {
    build::update_request(&answers(draft), spec)
}

/// [`update_request`] as JSON, to compare with what Vapi last confirmed.
pub fn assistant_body(draft: &Draft, spec: &AssistantSpec) -> Value {
    build::update_body(&update_request(draft, spec))
}

/// The assistant to create, checked by the model's rules.
pub fn build_spec(draft: &Draft, choices: &AssistantChoices) -> Result<AssistantSpec, FieldErrors> {
    build::build_spec(&answers(draft), choices)
}

/// Step 7's form, pre-written from steps 3 and 5 (what the owner wrote there wins), and the
/// voices to offer, the one that speaks the assistant's first language first.
pub fn assistant_defaults(draft: &Draft) -> ava_ipc::AssistantDefaults {
    let voice = voice_for(&draft.profile, &draft.studio).voice_id;
    let mut offered = vec![voice.clone()];
    offered.extend(voices().filter(|v| *v != voice).map(str::to_owned));
    let chosen = draft.studio.assistant_choices();
    ava_ipc::AssistantDefaults {
        instructions_outdated: instructions_outdated(draft),
        form: ava_ipc::AssistantForm {
            name: chosen.name.clone().unwrap_or_else(|| {
                draft
                    .provisioning
                    .as_ref()
                    .map_or_else(|| "Ava".to_owned(), |p| p.name.clone())
            }),
            voice_id: chosen.voice_id.clone().unwrap_or(voice),
            first_message: chosen
                .first_message
                .clone()
                .unwrap_or_else(|| default_first_message(draft)),
            instructions: chosen
                .instructions
                .clone()
                .unwrap_or_else(|| default_instructions(draft)),
        },
        voices: offered,
    }
}

/// Metadata sent with the record, so the server row says how it was made.
pub fn record_metadata(run: &Provisioning) -> Map<String, Value> {
    let value = json!({"provisioning_id": run.id, "phone_number_id": run.phone_number_id});
    value.as_object().cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_assistants_voice_speaks_its_first_language_and_comes_first() {
        let mut draft = Draft::default();
        draft.apply(crate::rules::state::Edit::Studio(
            ava_model::StudioPatch::from_json(&serde_json::json!({"languages": ["fr", "en"]}))
                .unwrap(),
        ));
        let defaults = assistant_defaults(&draft);
        assert_eq!(defaults.form.name, "Ava");
        assert_eq!(defaults.voices[0], defaults.form.voice_id);
        assert!(
            defaults.form.voice_id.starts_with("fr-"),
            "{}",
            defaults.form.voice_id
        );
        let unique: std::collections::BTreeSet<_> = defaults.voices.iter().collect();
        assert_eq!(unique.len(), defaults.voices.len());
    }

    #[test]
    fn hand_written_instructions_are_kept_and_said_outdated_once_their_answers_change() {
        let mut draft = Draft::default();
        draft.studio.business_hours =
            Some(ava_model::Text::parse("Mon-Fri 09:00-18:00", 200).unwrap());
        let own = AssistantChoices {
            name: Some("Ava".into()),
            instructions: Some("Only book cleanings.".into()),
            ..Default::default()
        };
        let patch = choices_patch(&own, &draft).unwrap();
        assert_eq!(
            patch.field_names(),
            [
                "assistant_name",
                "assistant_instructions",
                "assistant_instructions_basis"
            ],
            "only what differs from the draft; the rest follows the wizard"
        );
        draft.apply(crate::rules::state::Edit::Studio(patch));
        assert!(!instructions_outdated(&draft));
        assert!(
            choices_patch(&own, &draft).unwrap().is_empty(),
            "saving the same choices again sends nothing"
        );
        // The hours change (here or on another computer): the owner's words stay, and are
        // said to come from older answers.
        draft.studio.business_hours =
            Some(ava_model::Text::parse("Mon-Sat 09:00-18:00", 200).unwrap());
        assert!(instructions_outdated(&draft));
        assert_eq!(
            live_spec(&Draft {
                provisioning: Some(Provisioning {
                    id: "p".into(),
                    name: "Ava".into(),
                    started_at: chrono::Utc::now(),
                    assistant_id: Some("asst".into()),
                    phone_number_id: None,
                    recorded: true,
                }),
                ..draft.clone()
            })
            .unwrap()
            .unwrap()
            .1
            .instructions
            .as_str(),
            "Only book cleanings."
        );
        // Saved again at step 7: reviewed, no longer outdated.
        draft.apply(crate::rules::state::Edit::Studio(
            choices_patch(&own, &draft).unwrap(),
        ));
        assert!(!instructions_outdated(&draft));
        // Instructions that follow the wizard are never outdated.
        draft.studio.assistant_instructions = None;
        draft.studio.assistant_instructions_basis = None;
        assert!(!instructions_outdated(&draft));
    }

    #[test]
    fn choices_equal_to_the_wizard_follow_it_and_the_owners_own_stay() {
        let mut draft = Draft::default();
        draft.studio.business_hours =
            Some(ava_model::Text::parse("Mon-Fri 09:00-18:00", 200).unwrap());
        let generated = AssistantChoices {
            name: Some("Ava".into()),
            instructions: Some(default_instructions(&draft)),
            first_message: Some(format!("{}  ", default_first_message(&draft))),
            voice_id: Some(voice_for(&draft.profile, &draft.studio).voice_id),
        };
        let kept = kept_choices(&generated, &draft);
        assert_eq!(
            kept,
            AssistantChoices {
                name: Some("Ava".into()),
                ..Default::default()
            }
        );
        let own = AssistantChoices {
            instructions: Some("Only book cleanings.".into()),
            voice_id: Some("he-IL-HilaNeural".into()),
            ..generated
        };
        let kept = kept_choices(&own, &draft);
        assert_eq!(kept.instructions.as_deref(), Some("Only book cleanings."));
        assert_eq!(kept.voice_id.as_deref(), Some("he-IL-HilaNeural"));
        assert_eq!(kept.first_message, None);
    }
}
