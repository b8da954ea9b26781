//! A draft written by any earlier build loads, with everything its owner entered: one file of
//! every earlier format is kept in `tests/drafts/`, written as those builds wrote them.

use ava_core::draft::{DraftFile, FORMAT, LoadNote};
use ava_core::{Draft, assistant};

fn load(format: u32) -> Draft {
    let fixture = format!(
        "{}/tests/drafts/format-{format}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&fixture, dir.path().join("draft.json"))
        .unwrap_or_else(|e| panic!("no draft of format {format} kept ({fixture}): {e}"));
    let (draft, note) = DraftFile::new(dir.path()).load().unwrap();
    assert_eq!(note, LoadNote::Loaded, "format {format}");
    draft
}

#[test]
fn every_earlier_format_is_kept_and_loads() {
    for format in 1..FORMAT {
        let draft = load(format);
        assert_eq!(
            draft.profile.organization_name.unwrap().as_str(),
            "Acme Dental",
            "format {format}"
        );
    }
}

#[test]
fn format_1_keeps_the_step_edits_and_queued_key() {
    let draft = load(1);
    assert_eq!(
        draft.step,
        ava_model::Step::Telephony,
        "the step was an index"
    );
    assert_eq!(draft.profile.locale, Some(ava_model::Locale::He));
    assert_eq!(draft.studio.languages.len(), 2);
    assert_eq!(draft.outbox.profile.field_names(), ["full_name"]);
    assert_eq!(draft.outbox.studio.field_names(), ["guidelines"]);
    assert_eq!(
        draft.outbox.vapi_key,
        Some(true),
        "the key upload still goes out"
    );
    assert!(!draft.outbox.record_assistant);
}

#[test]
fn format_2_moves_step_7_into_the_studio_and_queues_it_for_the_server() {
    let draft = load(2);
    let chosen = draft.studio.assistant_choices();
    assert_eq!(chosen.name.as_deref(), Some("Ava Dental"));
    assert_eq!(
        chosen.instructions.as_deref(),
        Some("Only book cleanings and check-ups.")
    );
    assert_eq!(chosen.voice_id.as_deref(), Some("fr-FR-DeniseNeural"));
    assert_eq!(chosen.first_message, None, "still follows the wizard");
    assert_eq!(
        draft.outbox.studio.field_names(),
        [
            "assistant_name",
            "assistant_voice_id",
            "assistant_instructions"
        ],
        "so the other computers build the same assistant"
    );
    assert_eq!(draft.outbox.profile.field_names(), ["marketing_opt_in"]);
    assert_eq!(
        draft.provisioning.unwrap().assistant_id.as_deref(),
        Some("asst-1")
    );
    assert!(draft.completed);
    assert_eq!(
        draft.server_revision, None,
        "pulled whole at the next start"
    );
    // What the live assistant is built from is unchanged by the move.
    assert!(
        assistant::live_spec(&load(2))
            .unwrap()
            .unwrap()
            .1
            .instructions
            .as_str()
            .starts_with("Only book cleanings")
    );
}
