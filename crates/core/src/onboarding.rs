//! [`Onboarding`]: the one object the shell talks to, a thin facade. It opens the owners and
//! the clients, starts the two background tasks (sync, live assistant) and hands every call to
//! its service. Nothing inside the core imports it.

use std::sync::{Arc, Mutex};

use ava_ipc::{
    AssistantDefaults, CallView, ChatView, Moved, Provider, StatusView, SyncState, UiError,
    UnsentEdits, WizardView,
};
use ava_model::{Move, OpenNow, ProfilePatch, Sensitive, Step, StudioPatch, VapiMethod};
use serde_json::Value;
use tokio::sync::watch;

use crate::api::{ApiClient, ApiError};
use crate::config::{CoreConfig, folder_digest};
use crate::context::{Context, Providers, ToWindow, Turns, Wakes};
use crate::error::{CoreError, Precondition};
use crate::rules::state::{Account, AssistantChoices, Draft, Edit, Provisioning};
use crate::rules::{assistant, view};
use crate::services::credentials::CredentialStatus;
use crate::services::provision::ProvisionReport;
use crate::services::{
    account_life, accounts, credentials, live, provision, pull, studio, sync, wizard,
};
use crate::store::draft::LoadNote;
use crate::store::drafts::DraftStore;
use crate::store::secrets::{KeychainProblem, OpeningKeychain, SecretStore, Vault};
use crate::store::session::Sessions;
use crate::store::status::StatusBoard;

/// The desktop core. Cheap to clone; needs a tokio runtime (its background tasks run on it).
#[derive(Clone)]
pub struct Onboarding {
    ctx: Arc<Context>,
}

pub struct Opened {
    pub onboarding: Onboarding,
    pub load_note: LoadNote,
}

impl Onboarding {
    pub fn open(
        config: CoreConfig,
        secrets: Arc<dyn SecretStore>,
        keychain_problem: Option<KeychainProblem>,
    ) -> Result<Opened, CoreError> {
        let (drafts, load_note) = DraftStore::open(&config.data_dir)?;
        let vault = Vault::new(secrets, config.keychain_timeout);
        // Two OS users (or two data folders) never share a sign-in, even on one keyring.
        let token_scope = format!("session-{:016x}", folder_digest(&config.data_dir));
        let account = drafts.read(|d| d.account.clone());
        let sessions = Sessions::open(vault.clone(), token_scope, account);
        let (pending, refused) = drafts.read(|d| (d.outbox.len(), d.refused.clone()));
        let status = StatusView {
            pending,
            refused,
            keychain_persistent: vault.is_persistent(),
            ..StatusView::quiet(SyncState::SavedLocally)
        };
        let mut notices: Vec<UiError> = keychain_problem
            .map(|p| UiError::new(p.code, p.message))
            .into_iter()
            .collect();
        notices.extend(load_note.notice());
        // The providers' keys travel to these addresses: the API address's rule holds for them
        // too, in every build (an environment variable must not send a key over plain HTTP).
        for provider_url in [&config.vapi_base_url, &config.twilio_base_url]
            .into_iter()
            .flatten()
        {
            if !crate::config::is_https_or_loopback(provider_url) {
                return Err(ApiError::Refused {
                    status: 0,
                    code: ava_model::ErrorCode::InsecureApiUrl,
                    message: format!(
                        "a provider's address must start with https:// (got {provider_url:?})"
                    ),
                }
                .into());
            }
        }
        let http = ava_vapi::http_client(config.provider_timeout)?;
        let ctx = Arc::new(Context {
            api: ApiClient::new(&config.api_base_url, config.request_timeout)?,
            providers: Providers {
                vapi: ava_vapi::VapiClient::new(http.clone(), config.vapi_base_url.as_deref()),
                twilio: ava_vapi::TwilioClient::new(http, config.twilio_base_url.as_deref()),
                retry: config.retry,
            },
            config,
            drafts,
            vault,
            sessions,
            status: StatusBoard::new(status),
            notices,
            wake: Wakes::default(),
            turns: Turns::default(),
            to_window: ToWindow::default(),
            opening_keychain: Mutex::new(None),
            chat: Mutex::default(),
            events_pause: Mutex::new((0, None)),
        });
        tokio::spawn(sync::sync_loop(Arc::downgrade(&ctx)));
        tokio::spawn(live::live_loop(Arc::downgrade(&ctx)));
        tokio::spawn(pull::pull_loop(Arc::downgrade(&ctx)));
        Ok(Opened {
            onboarding: Onboarding { ctx },
            load_note,
        })
    }

    /// [`Self::open`] on a keychain that may still be opening: the core is usable at once;
    /// the status says the keychain waits until it settles, then whether keys are kept.
    pub fn open_while_keychain_opens(
        config: CoreConfig,
        opening: Arc<OpeningKeychain>,
        settled: tokio::sync::oneshot::Receiver<Option<KeychainProblem>>,
    ) -> Result<Opened, CoreError> {
        let opened = Self::open(config, opening.clone(), None)?;
        let ctx = &opened.onboarding.ctx;
        *ctx.opening_keychain
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(opening);
        ctx.status.change(|s| s.keychain_waiting = true);
        let waiting = Arc::downgrade(ctx);
        tokio::spawn(async move {
            let problem = settled.await.ok().flatten();
            let Some(ctx) = waiting.upgrade() else {
                return;
            };
            ctx.status.change(|s| {
                s.keychain_waiting = false;
                s.keychain_persistent = ctx.vault.is_persistent();
                s.keychain_problem = problem.map(|p| UiError::new(p.code, p.message));
            });
        });
        Ok(opened)
    }

    /// "Continue without the keychain" while it waits for its password prompt.
    pub fn keep_keys_in_memory(&self) {
        let opening = self
            .ctx
            .opening_keychain
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(opening) = opening {
            opening.keep_in_memory();
        }
    }

    // ---- the draft and the wizard ----

    pub fn snapshot(&self) -> Draft {
        self.ctx.drafts.read(Clone::clone)
    }

    pub fn status(&self) -> watch::Receiver<StatusView> {
        self.ctx.status.subscribe()
    }

    /// Each stage of [`Self::provision`] as it is saved (assistant, number, record).
    pub fn provision_progress(&self) -> watch::Receiver<Option<Provisioning>> {
        self.ctx.to_window.progress.subscribe()
    }

    /// Applies a validated edit: in memory now, on disk within 0.5 s, on the server when it
    /// can be reached.
    pub fn apply(&self, edit: Edit) {
        wizard::apply(&self.ctx, edit);
    }

    /// One field edited in the window (judged by the model's rules as it was decoded).
    pub fn edit(&self, edit: ava_ipc::FieldEdit) {
        wizard::edit(&self.ctx, edit);
    }

    /// A profile patch as api.md spells it (JSON), judged by the model.
    pub fn update_profile(&self, patch: &Value) -> Result<(), CoreError> {
        self.apply(Edit::Profile(ProfilePatch::from_json(patch)?));
        Ok(())
    }

    pub fn update_studio(&self, patch: &Value) -> Result<(), CoreError> {
        self.apply(Edit::Studio(StudioPatch::from_json(patch)?));
        Ok(())
    }

    /// Pre-fills step 1's time zone and language from the computer where they are empty.
    pub fn fill_os_defaults(&self, os_timezone: Option<&str>, os_locale: &str) {
        wizard::fill_os_defaults(&self.ctx, os_timezone, os_locale);
    }

    /// Moving between steps saves at once.
    pub fn go_to(&self, step: Step) -> Result<(), CoreError> {
        wizard::move_to(&self.ctx, step, Move::Jump)
    }

    pub fn move_to(&self, step: Step, how: Move) -> Result<(), CoreError> {
        wizard::move_to(&self.ctx, step, how)
    }

    /// Leaves the current step for `step` and says what leaving step 1 left empty.
    pub fn leave_for(&self, step: Step, how: Move) -> Result<Moved, CoreError> {
        wizard::leave_for(&self.ctx, step, how)
    }

    /// The owner enters the wizard (signed in, or chose to work offline).
    pub fn begin(&self) -> Result<(), CoreError> {
        wizard::begin(&self.ctx)
    }

    pub fn continue_offline(&self) -> Result<(), CoreError> {
        wizard::continue_offline(&self.ctx)
    }

    pub fn set_usage_sharing(&self, on: bool) -> Result<(), CoreError> {
        wizard::set_usage_sharing(&self.ctx, on)
    }

    pub fn skip(&self, provider: Provider) -> Result<(), CoreError> {
        wizard::skip(&self.ctx, provider)
    }

    pub async fn set_keys_local_only(&self, local_only: bool) -> Result<(), CoreError> {
        wizard::set_keys_local_only(&self.ctx, local_only).await
    }

    /// Writes the draft now (blur, quit) and waits for the disk.
    pub fn flush(&self) -> Result<(), CoreError> {
        Ok(self.ctx.drafts.flush()?)
    }

    /// "Launch Ava": needs the terms; reaches the server now or as soon as it can.
    pub fn complete(&self) -> Result<(), CoreError> {
        wizard::complete(&self.ctx)
    }

    /// Everything the window draws.
    pub fn view(&self) -> WizardView {
        wizard::view(&self.ctx)
    }

    /// Step 7's form, pre-written from steps 3 and 5, and the voices to offer.
    pub fn assistant_defaults(&self) -> AssistantDefaults {
        self.ctx.drafts.read(assistant::assistant_defaults)
    }

    /// Open or closed at `now` by `hours`, on the business's clock.
    pub fn open_now(&self, hours: &str, now: chrono::DateTime<chrono::Utc>) -> Option<OpenNow> {
        self.ctx.drafts.read(|d| view::open_now(d, hours, now))
    }

    // ---- accounts and sync ----

    pub async fn sign_up(
        &self,
        email: &str,
        password: impl Into<Sensitive<String>>,
    ) -> Result<Account, CoreError> {
        accounts::sign_up(&self.ctx, email, password.into()).await
    }

    pub async fn sign_in(
        &self,
        email: &str,
        password: impl Into<Sensitive<String>>,
    ) -> Result<Account, CoreError> {
        accounts::sign_in(&self.ctx, email, password.into()).await
    }

    /// Signs out, with the owner's choice about edits the server does not have yet: asked
    /// first when there are any ([`UnsentEdits::Ask`]), kept for the next sign-in on this
    /// computer, or sent first (signing out only once the server has every one).
    pub async fn sign_out(&self, unsent: UnsentEdits) -> Result<(), CoreError> {
        let pending = || self.ctx.drafts.read(|d| d.outbox.len());
        match unsent {
            UnsentEdits::Ask if pending() > 0 => {
                return Err(CoreError::Precondition(Precondition::UnsentEdits));
            }
            UnsentEdits::SendFirst => {
                sync::sync_now(&self.ctx).await?;
                if pending() > 0 {
                    // The round ended without sending everything (a refusal, a sign-in
                    // needed): what is left is the owner's to decide again.
                    return Err(CoreError::Precondition(Precondition::UnsentEdits));
                }
            }
            UnsentEdits::Ask | UnsentEdits::KeepForNextSignIn => {}
        }
        accounts::sign_out(&self.ctx).await
    }

    /// Runs one sync round now and reports how it went (the sync task also runs on its own).
    pub async fn sync_now(&self) -> Result<(), CoreError> {
        sync::sync_now(&self.ctx).await
    }

    /// Asks the server now for what other computers saved and merges it; returns the fields
    /// that changed here (the pull task also runs on its own, every
    /// [`CoreConfig::pull_every`]).
    pub async fn pull_now(&self) -> Result<crate::rules::state::Merged, CoreError> {
        pull::pull_once(&self.ctx).await
    }

    /// The window came back to the front: what changed elsewhere meanwhile is asked for.
    pub fn window_focused(&self) {
        self.ctx.wake.pull.notify_one();
    }

    /// Each pull that brought values from elsewhere, numbered.
    pub fn pulled(&self) -> watch::Receiver<ava_ipc::Pulled> {
        self.ctx.to_window.pulled.subscribe()
    }

    // ---- the account's life ----

    /// Mails a reset code to `email` if an account uses it (the server answers alike either
    /// way).
    pub async fn ask_password_reset(&self, email: &str) -> Result<(), CoreError> {
        account_life::ask_password_reset(&self.ctx, email).await
    }

    /// The mailed code and a new password: signed in here, every other sign-in ended.
    pub async fn reset_password(
        &self,
        email: &str,
        code: &str,
        new_password: impl Into<Sensitive<String>>,
    ) -> Result<Account, CoreError> {
        account_life::reset_password(&self.ctx, email, code, new_password.into()).await
    }

    pub async fn change_password(
        &self,
        current: impl Into<Sensitive<String>>,
        new: impl Into<Sensitive<String>>,
    ) -> Result<(), CoreError> {
        account_life::change_password(&self.ctx, current.into(), new.into()).await
    }

    /// The address, whether it is confirmed, and the computers signed in to the account.
    pub async fn account_overview(&self) -> Result<ava_ipc::AccountOverview, CoreError> {
        account_life::account_overview(&self.ctx).await
    }

    pub async fn send_email_confirmation(&self) -> Result<(), CoreError> {
        account_life::send_confirmation(&self.ctx).await
    }

    pub async fn confirm_email(&self, code: &str) -> Result<ava_model::EmailStatus, CoreError> {
        account_life::confirm_email(&self.ctx, code).await
    }

    pub async fn change_email(
        &self,
        new_email: &str,
        password: impl Into<Sensitive<String>>,
    ) -> Result<(), CoreError> {
        account_life::change_email(&self.ctx, new_email, password.into()).await
    }

    /// Ends one other computer's sign-in, or every other one (`None`).
    pub async fn end_sign_ins(
        &self,
        id: Option<&str>,
    ) -> Result<ava_ipc::AccountOverview, CoreError> {
        account_life::end_sign_ins(&self.ctx, id).await
    }

    /// Writes everything the server holds about the account to `path`, the file the owner
    /// chose (`None`: they closed the dialog; nothing is written).
    pub async fn export_account(
        &self,
        path: Option<&std::path::Path>,
    ) -> Result<ava_ipc::ExportSaved, CoreError> {
        account_life::export_to(&self.ctx, path).await
    }

    /// The name the save dialog offers for the export, dated today on this computer's clock.
    pub fn export_file_name(&self) -> String {
        ava_model::export_file_name(chrono::Local::now().date_naive())
    }

    /// Deletes the account, then its draft, keys and tokens on this computer.
    pub async fn delete_account(
        &self,
        password: impl Into<Sensitive<String>>,
        vapi_assistants: ava_model::VapiAssistantsOnDeletion,
    ) -> Result<ava_model::DeletionReceipt, CoreError> {
        account_life::delete_account(&self.ctx, password.into(), vapi_assistants).await
    }

    // ---- credentials ----

    pub async fn save_vapi_key(
        &self,
        key: impl Into<Sensitive<String>>,
        method: VapiMethod,
    ) -> Result<CredentialStatus, CoreError> {
        credentials::save_vapi_key(&self.ctx, key.into(), method).await
    }

    pub async fn vapi_status(&self) -> Result<CredentialStatus, CoreError> {
        credentials::vapi_status(&self.ctx).await
    }

    pub async fn delete_vapi_key(&self) -> Result<(), CoreError> {
        credentials::delete_vapi_key(&self.ctx).await
    }

    pub async fn save_twilio(
        &self,
        account_sid: &str,
        auth_token: impl Into<Sensitive<String>>,
        phone_number: Option<&str>,
    ) -> Result<CredentialStatus, CoreError> {
        credentials::save_twilio(&self.ctx, account_sid, auth_token.into(), phone_number).await
    }

    pub async fn twilio_status(&self) -> Result<CredentialStatus, CoreError> {
        credentials::twilio_status(&self.ctx).await
    }

    pub async fn delete_twilio(&self) -> Result<(), CoreError> {
        credentials::delete_twilio(&self.ctx).await
    }

    // ---- the assistant ----

    /// Creates the assistant exactly once (see [`crate::services::provision`]).
    pub async fn provision(
        &self,
        choices: &AssistantChoices,
    ) -> Result<ProvisionReport, CoreError> {
        provision::provision(&self.ctx, choices).await
    }

    pub async fn chat(&self, text: &str) -> Result<ChatView, CoreError> {
        studio::chat(&self.ctx, text).await
    }

    pub fn chat_view(&self) -> ChatView {
        studio::chat_view(&self.ctx)
    }

    pub fn new_chat(&self) -> ChatView {
        studio::new_chat(&self.ctx)
    }

    /// "Call my phone"; the call is then followed until it ends ([`Self::test_call`]).
    pub async fn call_me(&self, number: &str) -> Result<CallView, CoreError> {
        let placed = studio::call_me(&self.ctx, number).await?;
        tokio::spawn(studio::follow_call(
            Arc::downgrade(&self.ctx),
            placed.id.clone(),
        ));
        Ok(placed)
    }

    /// Where the test call stands, as last asked of Vapi.
    pub fn test_call(&self) -> watch::Receiver<Option<ava_ipc::TestCallUpdate>> {
        self.ctx.to_window.test_call.subscribe()
    }

    pub async fn call_status(&self, id: &str) -> Result<CallView, CoreError> {
        studio::call_status(&self.ctx, id).await
    }

    pub async fn recent_calls(&self) -> Result<Vec<CallView>, CoreError> {
        studio::recent_calls(&self.ctx).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::secrets::MemoryStore;

    fn open(dir: &std::path::Path) -> Onboarding {
        let config = CoreConfig::new(dir, "http://127.0.0.1:9");
        Onboarding::open(config, Arc::new(MemoryStore::default()), None)
            .unwrap()
            .onboarding
    }

    #[tokio::test]
    async fn leaving_step_one_names_what_it_lacks_and_continuing_offline_enters() {
        let dir = tempfile::tempdir().unwrap();
        let core = open(dir.path());
        assert!(!core.view().entered, "neither signed in nor offline");
        core.continue_offline().unwrap();
        assert!(core.view().entered);
        core.update_profile(&serde_json::json!({"full_name": "Ann"}))
            .unwrap();
        let moved = core.leave_for(Step::Vapi, Move::Continue).unwrap();
        assert_eq!(moved.view.step, Step::Vapi);
        assert!(
            moved
                .left_incomplete
                .contains(&ava_model::ProfileField::organization_name.into())
        );
        let moved = core.leave_for(Step::Persona, Move::Skip).unwrap();
        assert!(moved.left_incomplete.is_empty(), "only step 1 warns");
        assert!(
            moved.view.flags.onboarding_vapi_skipped,
            "skipping step 2 is the seed's skip of Vapi"
        );
        assert_eq!(moved.view.status.state, SyncState::SavedLocally);
    }

    #[tokio::test]
    async fn an_owner_who_worked_offline_before_the_update_is_not_asked_to_sign_in_again() {
        let dir = tempfile::tempdir().unwrap();
        let old_preferences = dir.path().join("ui-preferences.json");
        std::fs::write(&old_preferences, r#"{"continued_offline":true}"#).unwrap();
        assert!(open(dir.path()).view().entered);
        assert!(!old_preferences.exists(), "the draft holds the choice now");
        assert!(open(dir.path()).view().entered, "and keeps it");

        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join("ui-preferences.json"), "{}").unwrap();
        assert!(!open(other.path()).view().entered);
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
                            let view = core.view();
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
}
