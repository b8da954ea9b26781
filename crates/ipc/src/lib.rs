//! Every command between the Yew UI and the Tauri shell, declared once. The UI and the shell
//! both compile this crate, so a renamed field or command fails to build on one side or the
//! other instead of failing at run time.

use ava_model::{Move, OnboardingFlags, Profile, Sensitive, Step, StudioConfig, VapiMethod};
use serde::{Deserialize, Serialize};

pub use ava_model::{AssistantFormField, ErrorCode, FieldName, FormField, OpenNow, UiError};

/// One command between the window and the shell, declared once: its name (the shell's
/// function, as `generate_handler!` registers it), its one argument (the function's parameter
/// `args`; `()` for none) and its reply. The window calls `call::<C>(&args)`; the shell's
/// function is typed `args: Args<C>` and returns `Reply<C>`, so changing either side's type
/// without the other does not build.
pub trait Command {
    const NAME: &'static str;
    /// The fields of a form this command judges: once it succeeds, what was said at them goes
    /// (and the secrets among them leave the window).
    const CHECKS: &'static [FieldName] = &[];
    type Args: Serialize + serde::de::DeserializeOwned;
    type Reply: Serialize + serde::de::DeserializeOwned;
}

/// One event from the shell to the window, declared once in [`event`]: the shell emits its
/// `Payload` under `NAME` and the window decodes that same type, so changing one side's type
/// without the other does not build; a payload that still fails to decode is an error the
/// window shows, never a silent drop.
pub trait Event {
    const NAME: &'static str;
    type Payload: Serialize + serde::de::DeserializeOwned;
}

/// The argument type of a command.
pub type Args<C> = <C as Command>::Args;
/// What a command's function returns: its reply, or an error for the window.
pub type Reply<C> = Result<<C as Command>::Reply, UiError>;

pub mod cmd;
pub mod event;

/// What a pull brought from elsewhere, numbered so a watcher tells one pull from the next.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pulled {
    pub number: u64,
    /// The fields whose value changed here.
    pub fields: Vec<FieldName>,
    /// Launch, made on another computer: this one shows the home too.
    #[serde(default)]
    pub completed: bool,
}

/// The view after a pull, and which fields came from elsewhere: a field the owner is typing
/// in keeps what they typed; the others show the new values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulledView {
    pub view: WizardView,
    pub fields: Vec<FieldName>,
    /// Launch, made on another computer: the home replaces the wizard.
    #[serde(default)]
    pub completed: bool,
    /// Step 7's form as the merged draft writes it.
    pub assistant: AssistantDefaults,
}

/// One look at the test call: as Vapi last described it, and why the last look failed, if it
/// did (the next one is tried).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestCallUpdate {
    pub call: CallView,
    pub problem: Option<UiError>,
}

/// A newer version of the app, downloaded and verified, installed on "Restart".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateReady {
    pub version: String,
}

/// The live assistant in Vapi against what the owner edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssistantSync {
    /// No assistant yet: nothing to keep in sync.
    #[default]
    NotCreated,
    /// Vapi has what the draft describes: "Ava is up to date".
    UpToDate,
    /// An edit is on its way to Vapi (or waits for the network): "Updating Ava…".
    Updating,
    /// Vapi refused the update, or it cannot be sent (no key): the status's
    /// `assistant_error` says why; the next edit tries again.
    Failed,
    /// Another computer of the account created Ava and keeps her up to date: edits made here
    /// reach her from there (it pulls them) when it is open.
    UpdatedElsewhere,
}

/// "Talk to Ava": the conversation so far and the system prompt she runs on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChatView {
    pub lines: Vec<ChatLine>,
    /// The instructions as the draft describes them (what Vapi has once up to date).
    pub system_prompt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatLine {
    /// The owner's words (`true`) or Ava's.
    pub from_owner: bool,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChatArgs {
    pub text: String,
}

/// "Call my phone": the number Ava calls (E.164), checked under [`FormField::CallTo`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallMeArgs {
    pub number: String,
}

/// Business hours as typed (step 5's field may hold an edit not yet saved).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HoursArgs {
    pub hours: String,
}

/// One of the assistant's calls, as the home lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallView {
    pub id: String,
    /// When it started, on the business's clock (`2026-11-30 14:05`).
    pub started: Option<String>,
    pub caller: Option<String>,
    pub duration_seconds: Option<i64>,
    /// Vapi's status (`ended`, `in-progress`, …).
    pub status: Option<String>,
    /// Vapi's `endedReason` code; the window words the common ones.
    pub ended_reason: Option<String>,
    pub summary: Option<String>,
}

/// Something must be done first; the window shows these as warnings, not failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    VapiKeyMissing,
    SignInRequired,
    TermsNotAccepted,
    NumberNotInAccount,
    AssistantMissing,
    /// No number is attached to the assistant, so it cannot place a call.
    NumberMissing,
    /// A trial Twilio account asked to call a number it has not verified.
    TrialNumberNotVerified,
    /// Signing out with edits not yet on the server: the owner chooses first.
    UnsentEdits,
}

impl Precondition {
    /// Every one, for what must cover each code (the translations' test).
    pub const ALL: [Precondition; 8] = [
        Precondition::VapiKeyMissing,
        Precondition::SignInRequired,
        Precondition::TermsNotAccepted,
        Precondition::NumberNotInAccount,
        Precondition::AssistantMissing,
        Precondition::NumberMissing,
        Precondition::TrialNumberNotVerified,
        Precondition::UnsentEdits,
    ];

    /// The stable code the window translates (`error.<code>`).
    pub fn code(self) -> ErrorCode {
        match self {
            Precondition::VapiKeyMissing => ErrorCode::VapiKeyMissing,
            Precondition::SignInRequired => ErrorCode::SignInRequired,
            Precondition::TermsNotAccepted => ErrorCode::TermsNotAccepted,
            Precondition::NumberNotInAccount => ErrorCode::NumberNotInAccount,
            Precondition::AssistantMissing => ErrorCode::AssistantMissing,
            Precondition::NumberMissing => ErrorCode::NumberMissing,
            Precondition::TrialNumberNotVerified => ErrorCode::TrialNumberNotVerified,
            Precondition::UnsentEdits => ErrorCode::UnsentEdits,
        }
    }
}

impl std::fmt::Display for Precondition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Precondition::VapiKeyMissing => "Add your Vapi API key first (step 2).",
            Precondition::SignInRequired => "Sign in to do this.",
            Precondition::TermsNotAccepted => {
                "Accept the terms of service (step 1) before launching Ava."
            }
            Precondition::NumberNotInAccount => {
                "This phone number is not in that Twilio account. Check the number, or use the credentials of the (sub)account that owns it."
            }
            Precondition::AssistantMissing => "Create the assistant first (step 7).",
            Precondition::NumberMissing => {
                "Attach a Twilio number to Ava first (steps 4 and 5): she calls from it."
            }
            Precondition::TrialNumberNotVerified => {
                "Your Twilio account is a trial: it can call only numbers verified in Twilio (up to 5, in your own country). Verify this number in the Twilio console, or upgrade the account."
            }
            Precondition::UnsentEdits => {
                "Some changes are not on the server yet: sign out now (they are sent the next time you sign in on this computer), or wait and send them."
            }
        })
    }
}

/// Where the draft stands against the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// On disk here; not signed in, so nothing to sync to.
    SavedLocally,
    Syncing,
    Synced,
    /// The server cannot be reached; changes wait and will be sent.
    Offline,
    /// The server refused something; retrying or waiting for the user.
    Failed,
    SignInRequired,
}

impl SyncState {
    /// The wire name: the pill's `data-state` and its translation key.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::SavedLocally => "saved_locally",
            SyncState::Syncing => "syncing",
            SyncState::Synced => "synced",
            SyncState::Offline => "offline",
            SyncState::Failed => "failed",
            SyncState::SignInRequired => "sign_in_required",
        }
    }
}

/// What the status pill shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusView {
    pub state: SyncState,
    pub pending: usize,
    pub keychain_persistent: bool,
    /// The keychain is still opening (a password prompt waits for the owner): the window says
    /// so, and offers to go on with keys kept in memory for this run.
    #[serde(default)]
    pub keychain_waiting: bool,
    /// Why keys are kept for this run only, when the keychain settled that way after start.
    #[serde(default)]
    pub keychain_problem: Option<UiError>,
    pub error: Option<UiError>,
    pub refused: Vec<UiError>,
    /// The core's revision of this status: of two copies, the higher is the newer.
    #[serde(default)]
    pub revision: u64,
    #[serde(default)]
    pub assistant: AssistantSync,
    /// Why the live assistant is not up to date (a refusal, no key, or the network).
    #[serde(default)]
    pub assistant_error: Option<UiError>,
}

impl StatusView {
    /// A status in `state` with nothing pending, refused or wrong, on a keychain that keeps keys
    /// and is open, for an assistant not yet created.
    pub fn quiet(state: SyncState) -> Self {
        Self {
            state,
            pending: 0,
            keychain_persistent: true,
            keychain_waiting: false,
            keychain_problem: None,
            error: None,
            refused: Vec::new(),
            revision: 0,
            assistant: AssistantSync::NotCreated,
            assistant_error: None,
        }
    }

    /// The server ended the sign-in because its token came back from two places: the owner is
    /// told so in words until they sign in again (the pill alone reads like an expiry).
    pub fn sign_in_ended_for_safety(&self) -> bool {
        self.state == SyncState::SignInRequired
            && self
                .error
                .as_ref()
                .is_some_and(|e| e.code == ErrorCode::RefreshTokenReused)
    }
}

/// Everything the wizard shows, loaded at start and returned after each change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WizardView {
    pub step: Step,
    pub profile: Profile,
    pub studio: StudioConfig,
    pub flags: OnboardingFlags,
    pub completed: bool,
    pub vapi_key_preview: Option<String>,
    pub twilio: Option<TwilioView>,
    pub assistant: Option<AssistantView>,
    pub keys_local_only: bool,
    /// Keeping keys on this computer only would delete copies the server may hold: the
    /// window asks first.
    #[serde(default)]
    pub keys_on_server: bool,
    /// "Share onboarding usage with the Ava team" (on unless turned off).
    #[serde(default)]
    pub usage_sharing: bool,
    /// The signed-in account's email; `None` when working offline.
    pub account_email: Option<String>,
    /// Signed in, or chose "Continue offline": the account screen is not shown again.
    pub entered: bool,
    pub status: StatusView,
    /// Set when the draft had to be recovered or no keychain works: shown once at start.
    pub notices: Vec<UiError>,
    /// The rail's and the Done summary's mark of each step, in step order.
    #[serde(default)]
    pub marks: Vec<StepMark>,
    #[serde(default)]
    pub handoff: HandoffView,
    /// The core numbers the views it builds in the order of the draft states they show: of
    /// two replies, the higher is the newer. Replies can arrive out of order (a long command,
    /// creating the assistant, answers after a click made since), and an older one must not
    /// undo on screen what the user just did.
    #[serde(default)]
    pub sequence: u64,
}

/// What happens to a call Ava cannot handle (a caller asks for a person, or she cannot help),
/// as step 5 and the home say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// Externally tagged: an internal tag would make the window buffer the map to find it, and
// carry serde's buffering code for this one type.
#[serde(rename_all = "snake_case")]
pub enum HandoffView {
    /// She says so and transfers the call to the owner's phone.
    Transfer { number: String },
    /// She takes a message (promising a reply from this address, when there is one): nobody
    /// is called.
    Message { email: Option<String> },
}

impl Default for HandoffView {
    fn default() -> Self {
        HandoffView::Message { email: None }
    }
}

/// How far a step is, as the rail and the Done step show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepMark {
    Done,
    Skipped,
    /// Left with fields missing (step 1).
    Warning,
    /// Seen, nothing to say yet.
    Visited,
    Todo,
}

impl StepMark {
    /// The CSS class and translation key (`mark.done`).
    pub fn as_str(self) -> &'static str {
        match self {
            StepMark::Done => "done",
            StepMark::Skipped => "skipped",
            StepMark::Warning => "warning",
            StepMark::Visited => "visited",
            StepMark::Todo => "todo",
        }
    }
}

/// The Twilio account as the wizard may show it: never the auth token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwilioView {
    pub account_sid_preview: String,
    pub phone_number: Option<String>,
    /// A trial account: it can call only numbers verified with Twilio.
    #[serde(default)]
    pub trial: bool,
}

/// The assistant created in Vapi (or where its creation stopped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistantView {
    pub name: String,
    pub assistant_id: Option<String>,
    pub phone_number_id: Option<String>,
    pub recorded: bool,
}

/// What signing out does with edits the server does not have yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnsentEdits {
    /// Refuse with [`Precondition::UnsentEdits`] when there are any, so the owner can choose.
    Ask,
    /// Sign out; they wait here for the next sign-in on this computer.
    KeepForNextSignIn,
    /// Send them first; sign out only once the server has them all.
    SendFirst,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SignOutArgs {
    pub unsent: UnsentEdits,
}

/// The account as Settings shows it: its address, whether it is confirmed, and the computers
/// signed in to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountOverview {
    pub email: String,
    pub email_verified: bool,
    pub sign_ins: Vec<SignInView>,
}

/// One computer signed in to the account, as Settings lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInView {
    pub id: String,
    /// When it was last used, in milliseconds since 1970 (UTC): the window writes it in the
    /// owner's locale and zone with the browser's own clock, so no date parser ships in the
    /// wasm (13 KB of chrono, docs/benchmarks.md).
    pub last_used_ms: i64,
    pub device: Option<String>,
    /// This computer.
    pub current: bool,
}

impl From<ava_model::SignIn> for SignInView {
    fn from(sign_in: ava_model::SignIn) -> Self {
        Self {
            id: sign_in.id,
            last_used_ms: sign_in.last_used_at.timestamp_millis(),
            device: sign_in.device,
            current: sign_in.current,
        }
    }
}

/// "Forgot your password?": the address to send a code to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResetRequestArgs {
    pub email: String,
}

/// The mailed code and the new password.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResetArgs {
    pub email: String,
    pub code: String,
    #[serde(serialize_with = "ava_model::serialize_sensitive")]
    pub new_password: Sensitive<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasswordChangeArgs {
    #[serde(serialize_with = "ava_model::serialize_sensitive")]
    pub current_password: Sensitive<String>,
    #[serde(serialize_with = "ava_model::serialize_sensitive")]
    pub new_password: Sensitive<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmailChangeArgs {
    pub new_email: String,
    #[serde(serialize_with = "ava_model::serialize_sensitive")]
    pub password: Sensitive<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeArgs {
    pub code: String,
}

/// One sign-in to end, or (`None`) every one but this computer's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndSignInsArgs {
    pub id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeleteAccountArgs {
    #[serde(serialize_with = "ava_model::serialize_sensitive")]
    pub password: Sensitive<String>,
    pub vapi_assistants: ava_model::VapiAssistantsOnDeletion,
}

/// Where the export was saved; `None` when the owner closed the save dialog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSaved {
    pub path: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CredentialsArgs {
    pub email: String,
    #[serde(serialize_with = "ava_model::serialize_sensitive")]
    pub password: Sensitive<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Vapi,
    Twilio,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VapiKeyArgs {
    #[serde(serialize_with = "ava_model::serialize_sensitive")]
    pub key: Sensitive<String>,
    /// On step 2 itself, or in the Settings dialog (the seed's `vapi_configured.method`).
    pub method: VapiMethod,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TwilioArgs {
    pub account_sid: String,
    #[serde(serialize_with = "ava_model::serialize_sensitive")]
    pub auth_token: Sensitive<String>,
    pub phone_number: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct FlagArgs {
    pub on: bool,
}

/// Step 7's fields: pre-written from steps 3 and 5, editable, sent back to create it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AssistantForm {
    pub name: String,
    pub voice_id: String,
    pub first_message: String,
    pub instructions: String,
}

/// Step 7's form as the window sends it: every field is the owner's choice.
impl From<AssistantForm> for ava_model::AssistantChoices {
    fn from(form: AssistantForm) -> Self {
        Self {
            name: Some(form.name),
            instructions: Some(form.instructions),
            first_message: Some(form.first_message),
            voice_id: Some(form.voice_id),
        }
    }
}

impl AssistantForm {
    /// The form with `field` set to `value`.
    pub fn with(mut self, field: AssistantFormField, value: String) -> Self {
        match field {
            AssistantFormField::Name => self.name = value,
            AssistantFormField::VoiceId => self.voice_id = value,
            AssistantFormField::FirstMessage => self.first_message = value,
            AssistantFormField::Instructions => self.instructions = value,
        }
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistantDefaults {
    pub form: AssistantForm,
    /// Voices offered in the select; the default for the assistant's language first.
    pub voices: Vec<String>,
    /// The owner's own instructions are kept, but the answers the wizard wrote its own from
    /// have changed since (here or on another computer): step 7 says so.
    #[serde(default)]
    pub instructions_outdated: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AssistantArgs {
    pub form: AssistantForm,
}

/// What leaving a step left undone (a warning, never a block).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moved {
    pub view: WizardView,
    pub left_incomplete: Vec<FieldName>,
}

/// One field edited in the window, as the one-field patch the model's rules made of what was
/// typed or chosen: a value that breaks a rule never leaves the window (it is refused at its
/// field there), and the shell judges the patch again as it decodes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "resource", content = "patch", rename_all = "snake_case")]
pub enum FieldEdit {
    Profile(ava_model::ProfilePatch),
    Studio(Box<ava_model::StudioPatch>),
}

impl FieldEdit {
    /// `value` at `field`, judged: the edit, or why the value is refused (at its field).
    /// `None` for a field that is not the draft's (a form's, sent by its button).
    pub fn of(field: FieldName, value: &serde_json::Value) -> Option<Result<Self, UiError>> {
        let refused = |errors: ava_model::FieldErrors| {
            let error = errors.0.first().map_or_else(
                || UiError::new(ErrorCode::ValidationFailed, errors.to_string()),
                UiError::from_field,
            );
            error.at(field)
        };
        match field {
            FieldName::Profile(field) => Some(
                ava_model::ProfilePatch::of(field, value)
                    .map(FieldEdit::Profile)
                    .map_err(refused),
            ),
            FieldName::Studio(field) => Some(
                ava_model::StudioPatch::of(field, value)
                    .map(|patch| FieldEdit::Studio(Box::new(patch)))
                    .map_err(refused),
            ),
            _ => None,
        }
    }

    /// The field edited, where a refusal of it is shown.
    pub fn field(&self) -> Option<FieldName> {
        match self {
            FieldEdit::Profile(patch) => patch.fields().first().copied(),
            FieldEdit::Studio(patch) => patch.fields().first().copied(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct GoToArgs {
    pub step: Step,
    /// Continue and Skip are recorded as the seed's step events; the rail and Back are not.
    #[serde(default)]
    pub how: Move,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_reused_sign_in_is_said_to_have_ended_for_safety() {
        let status = |state, code: Option<ErrorCode>| StatusView {
            error: code.map(|code| UiError::new(code, "")),
            ..StatusView::quiet(state)
        };
        let reused = Some(ErrorCode::RefreshTokenReused);
        assert!(status(SyncState::SignInRequired, reused.clone()).sign_in_ended_for_safety());
        assert!(
            !status(SyncState::SignInRequired, Some(ErrorCode::SignInRequired))
                .sign_in_ended_for_safety()
        );
        assert!(
            !status(SyncState::Synced, reused).sign_in_ended_for_safety(),
            "signed in again: the notice goes"
        );
    }

    #[test]
    fn an_edit_is_a_judged_one_field_patch_of_a_draft_field() {
        let named = |name: &str| FieldName::parse(name).unwrap();
        let edit = FieldEdit::of(named("guidelines"), &"Be kind".into())
            .unwrap()
            .unwrap();
        assert_eq!(edit.field(), Some(named("guidelines")));
        assert!(matches!(&edit, FieldEdit::Studio(patch) if patch.len() == 1));
        let json = serde_json::to_value(&edit).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"resource": "studio", "patch": {"guidelines": "Be kind"}})
        );
        assert_eq!(serde_json::from_value::<FieldEdit>(json).unwrap(), edit);
        assert!(matches!(
            FieldEdit::of(named("full_name"), &"Ann".into()),
            Some(Ok(FieldEdit::Profile(_)))
        ));
        // Seats typed as text are read as the number they hold, and judged.
        let seats = FieldEdit::of(named("seats"), &"3".into()).unwrap().unwrap();
        assert_eq!(serde_json::to_value(&seats).unwrap()["patch"]["seats"], 3);
        let refused = FieldEdit::of(named("seats"), &"0".into())
            .unwrap()
            .unwrap_err();
        assert_eq!(refused.field, Some(named("seats")));
        let refused = FieldEdit::of(named("timezone"), &"Mars/Base".into())
            .unwrap()
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidTimezone);
        // A patch decoded by the shell is judged again.
        let forged = serde_json::json!({"resource": "profile", "patch": {"timezone": "Mars/Base"}});
        assert!(serde_json::from_value::<FieldEdit>(forged).is_err());
        assert_eq!(
            FieldEdit::of(named("chat"), &"not a draft field".into()),
            None
        );
    }

    #[test]
    fn secret_carrying_arguments_never_print_their_secret() {
        let printed = format!(
            "{:?} {:?} {:?}",
            CredentialsArgs {
                email: "ann@acme.com".into(),
                password: "correct horse".into()
            },
            VapiKeyArgs {
                key: "sk-live-1234".into(),
                method: VapiMethod::Inline
            },
            TwilioArgs {
                account_sid: "AC0123".into(),
                auth_token: "a1b2c3d4".to_owned().into(),
                phone_number: "+14155550199".into()
            },
        );
        for secret in ["correct horse", "sk-live-1234", "a1b2c3d4"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert!(printed.contains("ann@acme.com"), "{printed}");
    }

    #[test]
    fn views_round_trip_through_json() {
        let view = WizardView {
            step: Step::Twilio,
            profile: Profile::default(),
            studio: StudioConfig::default(),
            flags: OnboardingFlags::default(),
            completed: false,
            vapi_key_preview: Some("****1234".into()),
            twilio: None,
            assistant: None,
            keys_local_only: false,
            keys_on_server: false,
            usage_sharing: true,
            marks: Vec::new(),
            handoff: HandoffView::Transfer {
                number: "+33612345678".into(),
            },
            sequence: 12,
            account_email: None,
            entered: true,
            status: StatusView {
                revision: 7,
                assistant: AssistantSync::Updating,
                ..StatusView::quiet(SyncState::Synced)
            },
            notices: vec![UiError::new(ErrorCode::KeychainUnavailable, "…")],
        };
        let back: WizardView =
            serde_json::from_value(serde_json::to_value(&view).unwrap()).unwrap();
        assert_eq!(back, view);
        let args: GoToArgs =
            serde_json::from_value(serde_json::json!({"step": "telephony"})).unwrap();
        assert_eq!(args.step, Step::Telephony);
    }
}
