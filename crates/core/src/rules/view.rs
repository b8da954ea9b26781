//! What the window draws, built from the draft and the sync status by pure functions, so the
//! shell's commands only delegate and every rule behind a view (who has entered, what step 1
//! still lacks, each step's mark, where calls are handed over) is tested without a window.

use ava_ipc::{AssistantView, HandoffView, StatusView, StepMark, TwilioView, UiError, WizardView};
use ava_model::{AccountSid, FieldName, OpenNow, Step, Timezone, WeeklySchedule};

use crate::rules::state::{Draft, Provisioning};

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

/// What happens to a call Ava cannot handle: the same rule as the assistant's handoff
/// ([`crate::rules::assistant::handoff`]).
pub fn handoff_view(draft: &Draft) -> HandoffView {
    match crate::rules::assistant::handoff(draft) {
        Some(handoff) => HandoffView::Transfer {
            number: handoff.number,
        },
        None => HandoffView::Message {
            email: draft
                .studio
                .fallback_email
                .as_ref()
                .map(|e| e.as_str().to_owned()),
        },
    }
}

/// Everything the window draws. `sequence` numbers the views in the order of the draft states
/// they show; `notices` are said once at start.
pub fn wizard_view(
    draft: &Draft,
    status: StatusView,
    sequence: u64,
    notices: &[UiError],
) -> WizardView {
    WizardView {
        sequence,
        marks: Step::ALL.iter().map(|&s| step_mark(draft, s)).collect(),
        handoff: handoff_view(draft),
        step: draft.step,
        entered: draft.account.is_some() || draft.entered_offline,
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

/// What leaving `left` for `to` leaves unfilled that the window warns about (never blocks
/// on): step 1's missing fields, when step 1 is left.
pub fn left_incomplete(left: Step, to: Step, draft: &Draft) -> Vec<FieldName> {
    match left {
        Step::Profile if to != Step::Profile => draft
            .profile
            .missing_fields()
            .into_iter()
            .map(FieldName::from)
            .collect(),
        _ => Vec::new(),
    }
}

/// Open or closed at `now` by `hours` (step 5's field, maybe not saved yet), on the
/// business's clock; `None` while the hours are free text.
pub fn open_now(draft: &Draft, hours: &str, now: chrono::DateTime<chrono::Utc>) -> Option<OpenNow> {
    let zone = draft.profile.timezone.as_ref();
    WeeklySchedule::parse(hours).map(|week| week.at(Timezone::wall_clock(zone, now)))
}

/// A call as the home lists it, its start on the business's clock.
pub fn call_view(call: ava_vapi::Call, zone: Option<&Timezone>) -> ava_ipc::CallView {
    let started = call
        .started_at
        .as_deref()
        .or(Some(&call.created_at))
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| {
            Timezone::wall_clock(zone, t.to_utc())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        });
    ava_ipc::CallView {
        duration_seconds: call.duration_seconds(),
        id: call.id,
        started,
        caller: call.customer.and_then(|c| c.number),
        status: call.status,
        ended_reason: call.ended_reason,
        summary: call.analysis.and_then(|a| a.summary),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn only_leaving_step_one_names_what_it_lacks() {
        let mut draft = Draft::default();
        draft.apply(crate::rules::state::Edit::Profile(
            ava_model::ProfilePatch::from_json(&serde_json::json!({"full_name": "Ann"})).unwrap(),
        ));
        let lacks = left_incomplete(Step::Profile, Step::Vapi, &draft);
        assert!(lacks.contains(&ava_model::ProfileField::organization_name.into()));
        assert!(!lacks.contains(&ava_model::ProfileField::full_name.into()));
        assert!(left_incomplete(Step::Vapi, Step::Persona, &draft).is_empty());
        assert!(left_incomplete(Step::Profile, Step::Profile, &draft).is_empty());
    }

    #[test]
    fn who_has_entered_is_a_signed_in_account_or_a_choice_to_work_offline() {
        let status = StatusView::quiet(ava_ipc::SyncState::SavedLocally);
        let mut draft = Draft::default();
        assert!(!wizard_view(&draft, status.clone(), 1, &[]).entered);
        draft.entered_offline = true;
        assert!(wizard_view(&draft, status, 2, &[]).entered);
    }
}
