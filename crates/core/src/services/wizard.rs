//! The wizard's own work on the draft: edits, moving between steps, skipping, Launch, the
//! onboarding events they record, and the views the window draws. Edits change the draft
//! shown now; they are on disk within half a second and reach the server through the outbox.

use ava_ipc::{FieldEdit, Moved, Provider, WizardView};
use ava_model::{EventContext, FlagsPatch, Move, Step};

use crate::context::Context;
use crate::error::{CoreError, Precondition};
use crate::rules::analytics::Analytics;
use crate::rules::state::{Draft, Edit};
use crate::rules::view;
use crate::store::session::Session;

/// Applies a validated edit: in memory now, on disk within 0.5 s, on the server when it can
/// be reached, on the live assistant when it shapes her.
pub(crate) fn apply(ctx: &Context, edit: Edit) {
    let (server_change, refusals_changed) = ctx.drafts.edit(|draft| {
        let before = draft.refused.len();
        let changed = draft.apply(edit);
        (changed, draft.refused.len() != before)
    });
    if server_change || refusals_changed {
        outbox_changed(ctx);
    }
    ctx.wake.live.notify_one();
}

/// One field edited in the window (a patch the rules already judged as it was decoded).
pub(crate) fn edit(ctx: &Context, edit: FieldEdit) {
    let edit = match edit {
        FieldEdit::Profile(patch) => Edit::Profile(patch),
        FieldEdit::Studio(patch) => Edit::Studio(*patch),
    };
    apply(ctx, edit);
}

/// Changes the draft outside the reducer (credentials, completion, provisioning), then counts
/// the outbox, wakes the sync task and the live assistant's, and saves at once.
pub(crate) fn change_draft(
    ctx: &Context,
    change: impl FnOnce(&mut Draft),
) -> Result<(), CoreError> {
    ctx.drafts.edit(change);
    outbox_changed(ctx);
    ctx.wake.live.notify_one();
    Ok(ctx.drafts.flush()?)
}

/// The outbox (or what the server refused) changed: the status counts it, the sync task goes.
pub(crate) fn outbox_changed(ctx: &Context) {
    let (pending, refused) = ctx.drafts.read(|d| (d.outbox.len(), d.refused.clone()));
    ctx.status.change(|s| {
        s.pending = pending;
        s.refused = refused;
    });
    ctx.wake.sync.notify_one();
}

/// Changes `session`'s draft (unless that session has ended), then as [`change_draft`].
pub(crate) fn change_draft_in(
    ctx: &Context,
    session: &Session,
    change: impl FnOnce(&mut Draft),
) -> Result<(), CoreError> {
    ctx.drafts.edit_in(session, change)?;
    outbox_changed(ctx);
    ctx.wake.live.notify_one();
    Ok(ctx.drafts.flush()?)
}

/// Records an onboarding event (see [`crate::rules::analytics`]) and saves at once, so an
/// event recorded just before a crash is still sent after the restart.
pub(crate) fn record(
    ctx: &Context,
    event: impl FnOnce(&mut Analytics, chrono::DateTime<chrono::Utc>, &EventContext),
) -> Result<(), CoreError> {
    change_draft(ctx, |draft| record_into(draft, event))
}

/// [`record`] into `session`'s draft, unless that session has ended.
pub(crate) fn record_in(
    ctx: &Context,
    session: &Session,
    event: impl FnOnce(&mut Analytics, chrono::DateTime<chrono::Utc>, &EventContext),
) -> Result<(), CoreError> {
    change_draft_in(ctx, session, |draft| record_into(draft, event))
}

fn record_into(
    draft: &mut Draft,
    event: impl FnOnce(&mut Analytics, chrono::DateTime<chrono::Utc>, &EventContext),
) {
    let context = EventContext {
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        os: std::env::consts::OS.to_owned(),
        locale: draft.profile.locale.unwrap_or(ava_model::Locale::En),
    };
    event(&mut draft.analytics, chrono::Utc::now(), &context);
}

/// Pre-fills step 1's time zone and language from the computer where they are empty.
pub(crate) fn fill_os_defaults(ctx: &Context, os_timezone: Option<&str>, os_locale: &str) {
    if let Some(patch) = ctx.drafts.read(|d| d.os_defaults(os_timezone, os_locale)) {
        apply(ctx, Edit::Profile(patch));
    }
}

/// Leaves the current step for `step`: Continue and Skip are recorded (the seed's step
/// events), the rail and Back are not; a Skip of step 2 or 4 also sets its flag. Saved at once.
pub(crate) fn move_to(ctx: &Context, step: Step, how: Move) -> Result<(), CoreError> {
    let left = ctx.drafts.read(|d| d.step);
    match how {
        Move::Jump => {}
        Move::Continue => record(ctx, |a, now, c| a.continued(left, now, c))?,
        Move::Skip => {
            record(ctx, |a, now, c| a.skipped(left, now, c))?;
            if let Some(provider) = skipped_provider(left) {
                skip(ctx, provider)?;
            }
        }
    }
    apply(ctx, Edit::GoTo(step));
    Ok(ctx.drafts.flush()?)
}

/// Which integration a Skip of `step` skips: the seed keeps a flag for steps 2 and 4.
fn skipped_provider(step: Step) -> Option<Provider> {
    match step {
        Step::Vapi => Some(Provider::Vapi),
        Step::Twilio => Some(Provider::Twilio),
        _ => None,
    }
}

pub(crate) fn skip(ctx: &Context, provider: Provider) -> Result<(), CoreError> {
    let mut flags = FlagsPatch::default();
    match provider {
        Provider::Vapi => flags.onboarding_vapi_skipped = Some(true),
        Provider::Twilio => flags.onboarding_twilio_skipped = Some(true),
    }
    apply(ctx, Edit::Flags(flags));
    Ok(ctx.drafts.flush()?)
}

/// The owner enters the wizard (signed in, or chose to work offline).
pub(crate) fn begin(ctx: &Context) -> Result<(), CoreError> {
    let completed = ctx.drafts.read(|d| d.completed);
    record(ctx, |a, now, c| a.begin(completed, now, c))
}

/// "Continue offline": the wizard without an account; everything syncs once the owner signs
/// in. Remembered with the draft, so the account screen is not shown again.
pub(crate) fn continue_offline(ctx: &Context) -> Result<(), CoreError> {
    change_draft(ctx, |draft| draft.entered_offline = true)?;
    begin(ctx)
}

/// "Share onboarding usage with the Ava team".
pub(crate) fn set_usage_sharing(ctx: &Context, on: bool) -> Result<(), CoreError> {
    change_draft(ctx, |draft| draft.analytics.set_sharing(on))
}

/// "Keep my keys on this computer only". Waits for a key's upload under way to finish, so
/// none starts once the switch is on (the copy just sent is then deleted from the server).
pub(crate) async fn set_keys_local_only(ctx: &Context, local_only: bool) -> Result<(), CoreError> {
    let _no_upload_under_way = ctx.turns.uploading.lock().await;
    apply(ctx, Edit::KeysLocalOnly(local_only));
    Ok(ctx.drafts.flush()?)
}

/// "Launch Ava": needs the terms; reaches the server now or as soon as it can.
pub(crate) fn complete(ctx: &Context) -> Result<(), CoreError> {
    let (terms, plan) = ctx.drafts.read(|d| (d.profile.accept_terms, d.studio.plan));
    if !terms {
        return Err(CoreError::Precondition(Precondition::TermsNotAccepted));
    }
    record(ctx, |a, now, c| a.completed(plan, now, c))?;
    change_draft(ctx, |draft| {
        draft.completed = true;
        draft.outbox.complete = true;
    })
}

/// Everything the window draws.
pub(crate) fn view(ctx: &Context) -> WizardView {
    let status = ctx.status.now();
    ctx.drafts
        .numbered(|draft, sequence| view::wizard_view(draft, status, sequence, &ctx.notices))
}

/// Leaves the current step for `step` and says what leaving step 1 left empty: a warning,
/// never a block.
pub(crate) fn leave_for(ctx: &Context, step: Step, how: Move) -> Result<Moved, CoreError> {
    let left = ctx.drafts.read(|d| d.step);
    move_to(ctx, step, how)?;
    let view = view(ctx);
    let left_incomplete = ctx.drafts.read(|d| view::left_incomplete(left, step, d));
    Ok(Moved {
        left_incomplete,
        view,
    })
}
