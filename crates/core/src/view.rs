//! What the window draws, built here from the draft and the sync status, so the shell's
//! commands only delegate and every rule behind a view (who has entered, what step 1 still
//! lacks, the assistant's defaults) is tested without a window.

use std::sync::atomic::Ordering;

use ava_ipc::{
    AssistantDefaults, AssistantForm, AssistantView, Moved, StatusView, StepMark, TwilioView,
    UiError, WizardView,
};
use ava_model::{AccountSid, Move, OpenNow, Step, Timezone, WeeklySchedule};

use crate::CoreError;
use crate::draft::LoadNote;
use crate::onboarding::{Onboarding, SyncStatus};
use crate::provision::{VOICES, default_first_message, default_instructions, voice_for};
use crate::state::{Draft, Provisioning};

pub fn status_view(status: &SyncStatus) -> StatusView {
    StatusView {
        state: status.state,
        pending: status.pending,
        keychain_persistent: status.keychain_persistent,
        error: status.error.clone(),
        refused: status.refused.clone(),
        revision: status.revision,
        assistant: status.assistant,
        assistant_error: status.assistant_error.clone(),
    }
}

pub fn assistant_view(run: &Provisioning) -> AssistantView {
    AssistantView {
        name: run.name.clone(),
        assistant_id: run.assistant_id.clone(),
        phone_number_id: run.phone_number_id.clone(),
        recorded: run.recorded,
    }
}

/// A step's mark: done when what it asks for is there, skipped when the user skipped it (steps
/// 2 and 4 keep a flag), a warning when step 1 lacks fields, visited when passed, todo after.
pub fn step_mark(draft: &Draft, step: Step) -> StepMark {
    let (flags, studio) = (&draft.flags, &draft.studio);
    match step {
        Step::Profile if !draft.profile.missing_fields().is_empty() => StepMark::Warning,
        Step::Profile => StepMark::Done,
        Step::Vapi if draft.vapi_key_preview.is_some() => StepMark::Done,
        Step::Vapi if flags.onboarding_vapi_skipped => StepMark::Skipped,
        Step::Twilio if draft.twilio.is_some() => StepMark::Done,
        Step::Twilio if flags.onboarding_twilio_skipped => StepMark::Skipped,
        Step::Assistant if flags.onboarding_assistant_created => StepMark::Done,
        Step::Persona if studio.persona.is_some() => StepMark::Done,
        Step::Telephony if studio.number.is_some() => StepMark::Done,
        Step::Integrations if studio.calendar.is_some() || studio.crm.is_some() => StepMark::Done,
        // A plan always has a value (free by default): seen is done.
        Step::Plan if draft.step.index() > Step::Plan.index() || draft.completed => StepMark::Done,
        Step::Done if draft.completed => StepMark::Done,
        _ if step.index() < draft.step.index() => StepMark::Visited,
        _ => StepMark::Todo,
    }
}

/// What the window says once at start about how the draft was loaded.
pub fn load_notice(note: &LoadNote) -> Option<UiError> {
    match note {
        LoadNote::Fresh | LoadNote::Loaded => None,
        LoadNote::RecoveredFromPrevious { set_aside, .. } => Some(UiError::new(
            ava_model::ErrorCode::DraftRecovered,
            format!(
                "Your last draft could not be read and was kept at {}; the previous copy was restored.",
                set_aside.display()
            ),
        )),
        LoadNote::Unrecoverable { set_aside, .. } => Some(UiError::new(
            ava_model::ErrorCode::DraftUnreadable,
            format!(
                "Your draft could not be read; it was kept at {:?}. The wizard starts empty.",
                set_aside
            ),
        )),
    }
}

impl Onboarding {
    /// Open or closed at `now` by `hours` (step 5's field, maybe not saved yet), on the
    /// business's clock; `None` while the hours are free text.
    pub fn open_now(&self, hours: &str, now: chrono::DateTime<chrono::Utc>) -> Option<OpenNow> {
        let zone = self.inner.lock().profile.timezone.clone();
        WeeklySchedule::parse(hours).map(|week| week.at(Timezone::wall_clock(zone.as_ref(), now)))
    }

    /// Everything the window draws. `offline_chosen`: the user picked "Continue offline" on
    /// this computer (a UI preference the shell keeps); `notices` are said once at start.
    pub fn view(&self, offline_chosen: bool, notices: &[UiError]) -> WizardView {
        let status = status_view(&self.status().borrow());
        // Read in place: the draft also holds the unsent onboarding events (up to 1,000), and a
        // view is built after every keystroke.
        let draft = self.inner.lock();
        // Numbered under the draft's lock, so a higher number never shows an older draft.
        let sequence = self.inner.views_built.fetch_add(1, Ordering::Relaxed) + 1;
        WizardView {
            sequence,
            marks: Step::ALL.iter().map(|&s| step_mark(&draft, s)).collect(),
            step: draft.step,
            entered: draft.account.is_some() || offline_chosen,
            keys_on_server: draft.server_may_hold_keys(),
            usage_sharing: !draft.analytics.sharing_off,
            account_email: draft.account.as_ref().map(|a| a.email.clone()),
            twilio: draft.twilio.as_ref().map(|t| TwilioView {
                account_sid_preview: AccountSid::parse(&t.account_sid)
                    .map(|s| s.preview())
                    .unwrap_or_default(),
                phone_number: t.phone_number.clone(),
                trial: t.trial,
            }),
            assistant: draft.provisioning.as_ref().map(assistant_view),
            keys_local_only: draft.keys_local_only,
            profile: draft.profile.clone(),
            studio: draft.studio.clone(),
            flags: draft.flags,
            completed: draft.completed,
            vapi_key_preview: draft.vapi_key_preview.clone(),
            status,
            notices: notices.to_vec(),
        }
    }

    /// Leaves the current step for `step` (see [`Onboarding::move_to`]) and says what leaving
    /// step 1 left empty: a warning, never a block.
    pub fn leave_for(
        &self,
        step: Step,
        how: Move,
        offline_chosen: bool,
        notices: &[UiError],
    ) -> Result<Moved, CoreError> {
        let left = self.inner.lock().step;
        self.move_to(step, how)?;
        let view = self.view(offline_chosen, notices);
        let left_incomplete = match left {
            Step::Profile if step != Step::Profile => view.profile.missing_fields(),
            _ => Vec::new(),
        };
        Ok(Moved {
            left_incomplete: left_incomplete.into_iter().map(str::to_owned).collect(),
            view,
        })
    }

    /// Step 7's form, pre-written from steps 3 and 5, and the voices to offer (the one that
    /// speaks the assistant's first language first).
    pub fn assistant_defaults(&self) -> AssistantDefaults {
        let draft = self.snapshot();
        let voice = voice_for(&draft.studio).voice_id;
        let mut voices = vec![voice.clone()];
        voices.extend(
            VOICES
                .iter()
                .filter(|v| **v != voice)
                .map(|v| (*v).to_owned()),
        );
        // What the owner wrote at step 7 wins over what the wizard would write.
        let chosen = &draft.assistant_choices;
        AssistantDefaults {
            form: AssistantForm {
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
                    .unwrap_or_else(|| default_first_message(&draft)),
                instructions: chosen
                    .instructions
                    .clone()
                    .unwrap_or_else(|| default_instructions(&draft)),
            },
            voices,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::secrets::MemoryStore;
    use crate::{CoreConfig, Onboarding};

    fn open(dir: &std::path::Path) -> Onboarding {
        let config = CoreConfig::new(dir, "http://127.0.0.1:9");
        Onboarding::open(config, Arc::new(MemoryStore::default()), None)
            .unwrap()
            .onboarding
    }

    #[tokio::test]
    async fn leaving_step_one_names_what_it_lacks_and_only_step_one() {
        let dir = tempfile::tempdir().unwrap();
        let core = open(dir.path());
        assert!(
            !core.view(false, &[]).entered,
            "neither signed in nor offline"
        );
        assert!(core.view(true, &[]).entered);
        core.update_profile(&serde_json::json!({"full_name": "Ann"}))
            .unwrap();
        let moved = core
            .leave_for(Step::Vapi, Move::Continue, true, &[])
            .unwrap();
        assert_eq!(moved.view.step, Step::Vapi);
        assert!(
            moved
                .left_incomplete
                .contains(&"organization_name".to_owned())
        );
        assert!(!moved.left_incomplete.contains(&"full_name".to_owned()));
        let moved = core
            .leave_for(Step::Persona, Move::Skip, true, &[])
            .unwrap();
        assert!(moved.left_incomplete.is_empty(), "only step 1 warns");
        assert_eq!(moved.view.status.state, ava_ipc::SyncState::SavedLocally);
    }

    #[tokio::test]
    async fn a_higher_view_number_never_shows_an_older_draft() {
        let dir = tempfile::tempdir().unwrap();
        let core = open(dir.path());
        let seen = std::thread::scope(|scope| {
            let readers: Vec<_> = (0..3)
                .map(|_| {
                    // Reading until the last edit shows, so the reads overlap the edits (with
                    // a bound, should an edit fail).
                    scope.spawn(|| {
                        let mut seen = Vec::new();
                        for _ in 0..1_000_000 {
                            let view = core.view(true, &[]);
                            seen.push((view.sequence, view.studio.seats.get()));
                            if view.studio.seats.get() == 200 {
                                break;
                            }
                        }
                        seen
                    })
                })
                .collect();
            for seats in 1..=200 {
                core.update_studio(&serde_json::json!({ "seats": seats }))
                    .unwrap();
            }
            let mut seen: Vec<_> = readers
                .into_iter()
                .flat_map(|r| r.join().unwrap())
                .collect();
            seen.sort_unstable();
            seen
        });
        for pair in seen.windows(2) {
            assert!(
                pair[0].0 < pair[1].0,
                "each view has its own number: {pair:?}"
            );
            assert!(
                pair[0].1 <= pair[1].1,
                "numbered out of draft order: {pair:?}"
            );
        }
    }

    #[test]
    fn marks_follow_what_each_step_holds() {
        let mut draft = Draft::default();
        let marks = |d: &Draft| Step::ALL.map(|s| step_mark(d, s).as_str());
        assert_eq!(marks(&draft)[..2], ["warning", "todo"]);
        draft.step = Step::Twilio;
        draft.flags.onboarding_vapi_skipped = true;
        assert_eq!(marks(&draft)[1..4], ["skipped", "visited", "todo"]);
        draft.vapi_key_preview = Some("****1234".into());
        assert_eq!(marks(&draft)[1], "done", "a key saved later beats the skip");
        draft.completed = true;
        assert_eq!(marks(&draft)[7..], ["done", "done"]);
    }

    #[tokio::test]
    async fn the_assistants_voice_speaks_its_first_language_and_comes_first() {
        let dir = tempfile::tempdir().unwrap();
        let core = open(dir.path());
        core.update_studio(&serde_json::json!({"languages": ["fr", "en"]}))
            .unwrap();
        let defaults = core.assistant_defaults();
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
}
