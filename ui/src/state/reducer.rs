//! What is on screen, as one value, and how each message changes it: pure, so every rule here
//! runs in native tests.

use litemap::LiteMap;
use std::rc::Rc;

use ava_ipc::{
    AssistantDefaults, AssistantForm, AssistantView, CallView, ChatView, Provider, StatusView,
    UiError, UpdateReady, WizardView,
};
use ava_model::{FieldName, FormField, Locale, Step};
use yew::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Wizard,
    /// The Settings dialog over the wizard, opened at one section; closing it shows the same
    /// step again (the step is in the draft and never changed).
    Settings(Provider),
    /// The studio home, after "Launch Ava".
    Home,
    /// The account gate again, to sign in after starting offline.
    Account,
}

/// The home's list of calls.
#[derive(Debug, Clone, PartialEq)]
pub enum CallsState {
    NotLoaded,
    /// Asking Vapi; the list shown before, if any, stays while it does.
    Loading(Option<Vec<CallView>>),
    Loaded(Vec<CallView>),
    Failed(UiError),
}

/// Where signing out with unsent edits stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOutStage {
    Idle,
    /// "N changes are not on the server yet": wait and send, or sign out now.
    Asking,
    /// "Wait and send" was chosen: sending, then signing out.
    Sending,
}

/// "Forgot your password?" on the account screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetStage {
    Off,
    /// The address to send a code to.
    AskEmail,
    /// The mailed code and the new password.
    EnterCode,
}

/// The one form open in Settings' Account section (one at a time: two of them both have a
/// `password` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountPanel {
    /// A code was sent to the account's address (or the new one): type it here.
    ConfirmEmail {
        to_new_address: bool,
    },
    ChangeEmail,
    ChangePassword,
    Delete,
}

/// A long action in progress: its button shows it and is not pressed twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    Account,
    /// A reset code asked for, or the new password sent.
    Reset,
    /// One of Settings' account forms, or the export.
    AccountSettings,
    Vapi,
    Twilio,
    Assistant,
    Launch,
}

impl Busy {
    /// Launch's refusals name fields of other steps (the terms, on step 1): shown at the
    /// field alone, they would not be seen from the button that was pressed.
    pub(crate) fn fields_elsewhere(self) -> bool {
        self == Busy::Launch
    }

    /// Where an error without a field is shown.
    pub fn area(self) -> &'static str {
        match self {
            Busy::Account => "account",
            Busy::Reset => "reset",
            Busy::AccountSettings => "account-settings",
            Busy::Vapi => "vapi",
            Busy::Twilio => "twilio",
            Busy::Assistant => "assistant",
            Busy::Launch => "launch",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Warning,
    Danger,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ToastText {
    Key(&'static str),
    Error(UiError),
    /// Fields left empty on the step just left.
    Incomplete(Vec<FieldName>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub id: u32,
    pub kind: ToastKind,
    pub text: ToastText,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ui {
    /// Shared, not copied, by every state that follows until a new view arrives (a state is
    /// cloned on each message, a keystroke included).
    pub view: Option<Rc<WizardView>>,
    /// How many messages made this state: props carry it as it was when they were drawn,
    /// because a `UseReducerHandle` always reads the latest state.
    pub revision: u64,
    pub fatal: Option<UiError>,
    pub os_locale: Locale,
    pub status: Option<StatusView>,
    pub screen: Screen,
    /// What the user typed, by field: drawn instead of the saved value, so a keystroke is
    /// never undone by a reply and a refused value stays on screen to be corrected.
    pub typed: LiteMap<FieldName, String>,
    /// Errors shown at a field, by field.
    pub field_errors: LiteMap<FieldName, UiError>,
    /// Errors without a field, by the area that shows them.
    pub alerts: LiteMap<&'static str, UiError>,
    pub busy: Option<Busy>,
    pub toasts: Vec<Toast>,
    next_toast: u32,
    pub assistant_form: Option<AssistantForm>,
    /// The form as the core last wrote it: a form still equal to it was not edited here, so
    /// newer defaults (the guidelines changed since) replace it.
    assistant_defaults: Option<AssistantForm>,
    pub voices: Vec<String>,
    /// The owner's own instructions were written from answers that changed since.
    pub instructions_outdated: bool,
    pub progress: Option<AssistantView>,
    pub sign_up: bool,
    /// "Keep my keys on this computer only" was ticked while the server holds copies: the
    /// user is asked before they are deleted.
    pub confirming_keys_local: bool,
    /// Signing out with edits the server does not have yet: the owner is asked first.
    pub signing_out: SignOutStage,
    /// A newer version, downloaded and verified: "Restart to update" is offered.
    pub update: Option<UpdateReady>,
    pub installing_update: bool,
    /// "Talk to Ava" on the home.
    pub chat: ChatView,
    pub chat_busy: bool,
    pub calls: CallsState,
    /// "Call my phone": the test call placed from this window, as last heard.
    pub test_call: Option<CallView>,
    pub calling: bool,
    /// Values saved on another computer were just merged here: said once, politely, until
    /// closed or the next step.
    pub pulled_notice: bool,
    pub reset: ResetStage,
    /// Settings' Account section, as last read from the server.
    pub account: Option<ava_ipc::AccountOverview>,
    pub account_panel: Option<AccountPanel>,
}

impl Ui {
    /// The language the window speaks: the draft's, else the computer's.
    pub fn locale(&self) -> Locale {
        self.view
            .as_ref()
            .and_then(|v| v.profile.locale)
            .unwrap_or(self.os_locale)
    }

    /// The state before anything is loaded, in the computer's language (the window asks the
    /// browser for it; tests give it), so the reducer runs natively.
    pub fn new(os_locale: Locale) -> Self {
        Self {
            view: None,
            revision: 0,
            fatal: None,
            os_locale,
            status: None,
            screen: Screen::Wizard,
            typed: LiteMap::new(),
            field_errors: LiteMap::new(),
            alerts: LiteMap::new(),
            busy: None,
            toasts: Vec::new(),
            next_toast: 0,
            assistant_form: None,
            assistant_defaults: None,
            voices: Vec::new(),
            instructions_outdated: false,
            progress: None,
            sign_up: true,
            confirming_keys_local: false,
            signing_out: SignOutStage::Idle,
            update: None,
            installing_update: false,
            chat: ChatView::default(),
            chat_busy: false,
            calls: CallsState::NotLoaded,
            test_call: None,
            calling: false,
            pulled_notice: false,
            reset: ResetStage::Off,
            account: None,
            account_panel: None,
        }
    }
}

pub enum Msg {
    Loaded(Rc<WizardView>),
    View(Box<WizardView>),
    Status(StatusView),
    Fatal(UiError),
    Typed(FieldName, String),
    /// A secret the shell now holds: the window keeps no copy.
    Forget(FieldName),
    FieldError(UiError),
    ClearField(FieldName),
    Alert(&'static str, UiError),
    ClearAlert(&'static str),
    Busy(Option<Busy>),
    Screen(Screen),
    Toast(ToastKind, ToastText),
    Dismiss(u32),
    DismissAll,
    Defaults(AssistantDefaults),
    Form(AssistantForm),
    Progress(Option<AssistantView>),
    SignUpMode(bool),
    ConfirmKeysLocal(bool),
    SignOutStage(SignOutStage),
    UpdateReady(UpdateReady),
    InstallingUpdate(bool),
    Chat(ChatView),
    ChatBusy(bool),
    /// Asking Vapi for the calls again.
    CallsLoading,
    Calls(Result<Vec<CallView>, UiError>),
    TestCall(Option<CallView>),
    /// Where the test call stands, as the core last asked Vapi.
    TestCallUpdate(ava_ipc::TestCallUpdate),
    Calling(bool),
    /// Values saved elsewhere were merged into the draft; `focused` is the field the owner is
    /// in, which keeps what they typed.
    Pulled {
        pulled: Box<ava_ipc::PulledView>,
        focused: Option<FieldName>,
    },
    PulledNoticeSeen,
    Reset(ResetStage),
    Account(Option<ava_ipc::AccountOverview>),
    AccountPanel(Option<AccountPanel>),
}

impl Reducible for Ui {
    type Action = Msg;

    fn reduce(self: Rc<Self>, msg: Msg) -> Rc<Self> {
        let mut ui = (*self).clone();
        ui.revision = ui.revision.wrapping_add(1);
        match msg {
            Msg::Loaded(view) => {
                ui.screen = if view.completed {
                    Screen::Home
                } else {
                    Screen::Wizard
                };
                ui.take_status(view.status.clone());
                for notice in &view.notices {
                    ui.push_toast(ToastKind::Warning, ToastText::Error(notice.clone()));
                }
                ui.view = Some(view);
            }
            // A reply built before the view on screen (it arrived late) would undo on screen
            // what was done since: dropped; the newer view already holds its changes.
            Msg::View(view) if ui.view.as_ref().is_some_and(|v| v.sequence > view.sequence) => {}
            Msg::View(view) => {
                if ui.view.as_ref().is_some_and(|v| v.step != view.step) {
                    ui.pulled_notice = false;
                }
                // Another account now owns the draft: what was typed for the previous one is
                // not drawn over the new one's values.
                let previous = ui.view.as_ref().map(|v| v.account_email.clone());
                if previous.is_some_and(|email| email != view.account_email) {
                    ui.typed.clear();
                    ui.field_errors.clear();
                }
                // A reply computed before the latest event must not bring an older status back.
                if ui
                    .status
                    .as_ref()
                    .is_none_or(|s| view.status.revision >= s.revision)
                {
                    ui.take_status(view.status.clone());
                }
                ui.view = Some(Rc::from(view));
            }
            Msg::Status(status) => {
                if ui
                    .status
                    .as_ref()
                    .is_none_or(|s| status.revision >= s.revision)
                {
                    ui.take_status(status);
                }
            }
            Msg::Pulled { pulled, focused } => {
                let ava_ipc::PulledView {
                    view,
                    fields,
                    completed,
                    assistant,
                } = *pulled;
                for field in &fields {
                    if focused != Some(*field) {
                        ui.typed.remove(field);
                    }
                }
                if completed && view.completed && ui.screen == Screen::Wizard {
                    // Launched from another computer: this one shows the home too.
                    ui.screen = Screen::Home;
                }
                ui.pulled_notice = true;
                let ui = Rc::new(ui).reduce(Msg::View(Box::new(view)));
                return ui.reduce(Msg::Defaults(assistant));
            }
            Msg::PulledNoticeSeen => ui.pulled_notice = false,
            Msg::Reset(stage) => {
                ui.reset = stage;
                ui.alerts.remove(Busy::Reset.area());
            }
            Msg::Account(account) => ui.account = account,
            Msg::AccountPanel(panel) => {
                // What a closed form said goes with it.
                for field in [
                    FormField::Code,
                    FormField::NewEmail,
                    FormField::Password,
                    FormField::CurrentPassword,
                    FormField::NewPassword,
                ] {
                    ui.field_errors.remove(&field.into());
                }
                ui.alerts.remove(Busy::AccountSettings.area());
                ui.account_panel = panel;
            }
            Msg::Fatal(error) => ui.fatal = Some(error),
            Msg::Typed(field, value) => {
                ui.typed.insert(field, value);
            }
            Msg::Forget(field) => {
                ui.typed.remove(&field);
            }
            Msg::FieldError(error) => {
                if let Some(field) = error.field {
                    ui.field_errors.insert(field, error);
                }
            }
            Msg::ClearField(field) => {
                // An alert about this field (Launch's, on the Done step) goes with it.
                ui.alerts.retain(|_, alert| alert.field != Some(field));
                ui.field_errors.remove(&field);
            }
            Msg::Alert(area, error) => {
                ui.alerts.insert(area, error);
            }
            Msg::ClearAlert(area) => {
                ui.alerts.remove(area);
            }
            Msg::Busy(busy) => ui.busy = busy,
            Msg::Screen(screen) => ui.screen = screen,
            Msg::Toast(kind, text) => ui.push_toast(kind, text),
            Msg::Dismiss(id) => ui.toasts.retain(|t| t.id != id),
            Msg::DismissAll => ui.toasts.clear(),
            Msg::Defaults(defaults) => {
                let untouched =
                    ui.assistant_form.is_none() || ui.assistant_form == ui.assistant_defaults;
                if untouched {
                    ui.assistant_form = Some(defaults.form.clone());
                }
                ui.assistant_defaults = Some(defaults.form);
                ui.instructions_outdated = defaults.instructions_outdated;
                ui.voices = defaults.voices;
            }
            Msg::Form(form) => ui.assistant_form = Some(form),
            Msg::Progress(progress) => ui.progress = progress,
            Msg::SignUpMode(on) => ui.sign_up = on,
            Msg::ConfirmKeysLocal(asking) => ui.confirming_keys_local = asking,
            Msg::SignOutStage(stage) => ui.signing_out = stage,
            Msg::UpdateReady(update) => ui.update = Some(update),
            Msg::InstallingUpdate(on) => ui.installing_update = on,
            Msg::Chat(chat) => ui.chat = chat,
            Msg::ChatBusy(on) => ui.chat_busy = on,
            Msg::CallsLoading => {
                let shown = match std::mem::replace(&mut ui.calls, CallsState::NotLoaded) {
                    CallsState::Loaded(calls) | CallsState::Loading(Some(calls)) => Some(calls),
                    _ => None,
                };
                ui.calls = CallsState::Loading(shown);
            }
            Msg::Calls(Ok(calls)) => ui.calls = CallsState::Loaded(calls),
            Msg::Calls(Err(error)) => ui.calls = CallsState::Failed(error),
            Msg::TestCall(call) => ui.test_call = call,
            Msg::TestCallUpdate(update) => {
                // Only the call this window placed (an older one's last word is not news).
                if ui
                    .test_call
                    .as_ref()
                    .is_some_and(|c| c.id == update.call.id)
                {
                    ui.test_call = Some(update.call);
                    match update.problem {
                        Some(problem) => {
                            ui.alerts.insert("call", problem);
                        }
                        None => {
                            ui.alerts.remove("call");
                        }
                    }
                }
            }
            Msg::Calling(on) => ui.calling = on,
        }
        Rc::new(ui)
    }
}

impl Ui {
    /// A newer status: once the keychain settled on keeping keys in memory, the owner is told
    /// why, once.
    fn take_status(&mut self, status: StatusView) {
        let told = self
            .status
            .as_ref()
            .and_then(|s| s.keychain_problem.clone());
        if let Some(problem) = status.keychain_problem.clone()
            && told.as_ref() != Some(&problem)
        {
            self.push_toast(ToastKind::Warning, ToastText::Error(problem));
        }
        self.status = Some(status);
    }

    fn push_toast(&mut self, kind: ToastKind, text: ToastText) {
        self.next_toast += 1;
        self.toasts.push(Toast {
            id: self.next_toast,
            kind,
            text,
        });
    }

    /// The error to show at `field`: this session's, or one the server refused.
    pub fn error_at(&self, field: impl Into<FieldName>) -> Option<UiError> {
        let field = field.into();
        self.field_errors.get(&field).cloned().or_else(|| {
            self.status
                .as_ref()
                .and_then(|s| s.refused.iter().find(|e| e.field == Some(field)))
                .cloned()
        })
    }

    /// What was typed at `field` this session (`""` when nothing was).
    pub fn typed_at(&self, field: impl Into<FieldName>) -> String {
        self.typed.get(&field.into()).cloned().unwrap_or_default()
    }
}

/// The rail's mark for a step, as the core computed it: done, skipped, warning, visited, todo.
pub fn step_mark(marks: &[ava_ipc::StepMark], step: Step) -> &'static str {
    marks.get(step.index()).map_or("todo", |mark| mark.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str) -> FieldName {
        FieldName::parse(name).unwrap()
    }
    use ava_ipc::SyncState;

    fn status(state: SyncState, revision: u64) -> StatusView {
        StatusView {
            revision,
            ..StatusView::quiet(state)
        }
    }

    /// Ann's account loaded (revision 1, synced) and "Ann" typed into the name, not yet saved.
    fn ann_typing_her_name(locale: Locale) -> Ui {
        let ui = reduce(
            Ui::new(locale),
            Msg::Loaded(view(Some("ann@acme.com"), status(SyncState::Synced, 1)).into()),
        );
        reduce(ui, Msg::Typed(f("full_name"), "Ann".into()))
    }

    fn view(email: Option<&str>, status: StatusView) -> Box<WizardView> {
        Box::new(WizardView {
            step: Step::Profile,
            profile: Default::default(),
            studio: Default::default(),
            flags: Default::default(),
            completed: false,
            vapi_key_preview: None,
            twilio: None,
            assistant: None,
            keys_local_only: false,
            keys_on_server: false,
            usage_sharing: true,
            account_email: email.map(str::to_owned),
            entered: true,
            status,
            notices: Vec::new(),
            marks: Vec::new(),
            handoff: Default::default(),
            sequence: 0,
        })
    }

    fn reduce(ui: Ui, msg: Msg) -> Ui {
        (*Rc::new(ui).reduce(msg)).clone()
    }

    /// The screens' props compare revisions (a handle always reads the latest state), so a
    /// state that changed must never keep its revision: it would not be redrawn.
    #[test]
    fn every_message_makes_a_new_revision() {
        let ui = ann_typing_her_name(Locale::En);
        assert_eq!(ui.revision, 2, "loaded, then typed");
        let ui = reduce(ui, Msg::Typed(f("full_name"), "Ann B".into()));
        assert_eq!(ui.revision, 3);
    }

    #[test]
    fn a_reply_older_than_the_last_event_never_brings_its_status_back() {
        let ui = reduce(
            Ui::new(Locale::En),
            Msg::Loaded(view(Some("ann@acme.com"), status(SyncState::Syncing, 3)).into()),
        );
        let ui = reduce(ui, Msg::Status(status(SyncState::Synced, 5)));
        let ui = reduce(
            ui,
            Msg::View(view(Some("ann@acme.com"), status(SyncState::Syncing, 4))),
        );
        assert_eq!(ui.status.as_ref().unwrap().state, SyncState::Synced);
        let ui = reduce(ui, Msg::Status(status(SyncState::Offline, 2)));
        assert_eq!(
            ui.status.as_ref().unwrap().state,
            SyncState::Synced,
            "an older event too"
        );
        let ui = reduce(
            ui,
            Msg::View(view(Some("ann@acme.com"), status(SyncState::Offline, 6))),
        );
        assert_eq!(ui.status.as_ref().unwrap().state, SyncState::Offline);
    }

    #[test]
    fn a_late_reply_never_undoes_on_screen_what_was_done_since() {
        let at = |step: Step, sequence: u64| {
            let mut view = view(Some("ann@acme.com"), status(SyncState::Synced, 1));
            view.step = step;
            view.sequence = sequence;
            view
        };
        let ui = reduce(
            Ui::new(Locale::En),
            Msg::Loaded(at(Step::Assistant, 1).into()),
        );
        let ui = reduce(ui, Msg::View(at(Step::Plan, 3)));
        let ui = reduce(ui, Msg::View(at(Step::Assistant, 2)));
        assert_eq!(ui.view.as_ref().unwrap().step, Step::Plan);
        let ui = reduce(ui, Msg::View(at(Step::Done, 4)));
        assert_eq!(ui.view.as_ref().unwrap().step, Step::Done);
    }

    #[test]
    fn an_alert_about_a_field_goes_when_the_field_is_fixed() {
        let terms =
            UiError::new(ava_ipc::ErrorCode::TermsNotAccepted, "accept").at(f("accept_terms"));
        let other = UiError::new(ava_ipc::ErrorCode::Offline, "offline");
        let ui = reduce(Ui::new(Locale::En), Msg::Alert("launch", terms.clone()));
        let ui = reduce(ui, Msg::Alert("vapi", other));
        let ui = reduce(ui, Msg::FieldError(terms));
        let ui = reduce(ui, Msg::ClearField(f("full_name")));
        assert_eq!(ui.alerts.len(), 2, "another field's fix changes nothing");
        let ui = reduce(ui, Msg::ClearField(f("accept_terms")));
        assert_eq!(ui.alerts.keys().copied().collect::<Vec<_>>(), ["vapi"]);
        assert!(ui.error_at(f("accept_terms")).is_none());
    }

    #[test]
    fn values_from_another_computer_replace_what_was_typed_but_the_focused_field_keeps_it() {
        let ui = ann_typing_her_name(Locale::He);
        let ui = reduce(ui, Msg::Typed(f("organization_name"), "Acme".into()));
        let ui = reduce(ui, Msg::Typed(f("guidelines"), "Be kind".into()));
        let mut pulled = view(Some("ann@acme.com"), status(SyncState::Synced, 2));
        pulled.sequence = 5;
        let form = AssistantForm {
            name: "Maya".into(),
            voice_id: "he-IL-HilaNeural".into(),
            first_message: "שלום".into(),
            instructions: "Only book cleanings.".into(),
        };
        let ui = reduce(
            ui,
            Msg::Pulled {
                pulled: Box::new(ava_ipc::PulledView {
                    view: *pulled,
                    fields: vec![f("full_name"), f("organization_name")],
                    completed: false,
                    assistant: AssistantDefaults {
                        form: form.clone(),
                        voices: Vec::new(),
                        instructions_outdated: true,
                    },
                }),
                focused: Some(f("full_name")),
            },
        );
        assert_eq!(
            ui.typed.get(&f("full_name")).map(String::as_str),
            Some("Ann"),
            "the owner is in it"
        );
        assert_eq!(
            ui.typed.get(&f("organization_name")),
            None,
            "shows the new value"
        );
        assert_eq!(
            ui.typed.get(&f("guidelines")).map(String::as_str),
            Some("Be kind"),
            "unchanged elsewhere"
        );
        assert!(ui.pulled_notice);
        assert_eq!(
            ui.assistant_form.as_ref(),
            Some(&form),
            "step 7's untouched form follows"
        );
        assert!(ui.instructions_outdated);
        assert_eq!(ui.view.as_ref().unwrap().sequence, 5);

        let mut moved = view(Some("ann@acme.com"), status(SyncState::Synced, 3));
        moved.step = Step::Vapi;
        moved.sequence = 6;
        let ui = reduce(ui, Msg::View(moved));
        assert!(!ui.pulled_notice, "said once; gone at the next step");
    }

    #[test]
    fn keys_kept_in_memory_are_said_once_when_the_keychain_settles() {
        let mut waiting = status(SyncState::Synced, 1);
        waiting.keychain_waiting = true;
        let ui = reduce(
            Ui::new(Locale::Fr),
            Msg::Loaded(view(Some("ann@acme.com"), waiting).into()),
        );
        assert!(ui.toasts.is_empty());
        let mut settled = status(SyncState::Synced, 2);
        settled.keychain_problem = Some(UiError::new(ava_ipc::ErrorCode::KeychainLocked, "locked"));
        let ui = reduce(ui, Msg::Status(settled.clone()));
        assert_eq!(ui.toasts.len(), 1);
        settled.revision = 3;
        let ui = reduce(ui, Msg::Status(settled));
        assert_eq!(ui.toasts.len(), 1, "told once");
    }

    #[test]
    fn what_was_typed_for_one_account_is_not_drawn_over_another() {
        let ui = ann_typing_her_name(Locale::Fr);
        let same = reduce(
            ui.clone(),
            Msg::View(view(Some("ann@acme.com"), status(SyncState::Synced, 2))),
        );
        assert_eq!(
            same.typed.get(&f("full_name")).map(String::as_str),
            Some("Ann")
        );
        let other = reduce(
            ui,
            Msg::View(view(Some("bob@acme.com"), status(SyncState::Synced, 2))),
        );
        assert!(other.typed.is_empty());
    }

    #[test]
    fn a_finished_onboarding_opens_on_the_home_and_notices_become_toasts() {
        let mut finished = view(None, status(SyncState::SavedLocally, 0));
        finished.completed = true;
        finished.notices = vec![UiError::new(ava_ipc::ErrorCode::DraftRecovered, "restored")];
        let ui = reduce(Ui::new(Locale::He), Msg::Loaded(finished.into()));
        assert_eq!(ui.screen, Screen::Home);
        assert_eq!(ui.toasts.len(), 1);
        let ui = reduce(ui, Msg::ConfirmKeysLocal(true));
        assert!(ui.confirming_keys_local);
    }

    #[test]
    fn a_ready_update_is_offered_again_after_a_failed_install() {
        let ready = UpdateReady {
            version: "0.2.0".into(),
        };
        let ui = reduce(Ui::new(Locale::En), Msg::UpdateReady(ready.clone()));
        let ui = reduce(ui, Msg::InstallingUpdate(true));
        assert!(ui.installing_update);
        let ui = reduce(ui, Msg::InstallingUpdate(false));
        assert!(!ui.installing_update);
        assert_eq!(ui.update, Some(ready));
    }

    #[test]
    fn step_seven_follows_newer_defaults_unless_its_form_was_edited() {
        let form = |instructions: &str| AssistantForm {
            name: "Ava".into(),
            voice_id: "en-US-JennyNeural".into(),
            first_message: "Hello".into(),
            instructions: instructions.into(),
        };
        let defaults = |f: AssistantForm| {
            Msg::Defaults(AssistantDefaults {
                form: f,
                voices: Vec::new(),
                instructions_outdated: false,
            })
        };
        let ui = reduce(Ui::new(Locale::En), defaults(form("Guidelines: v1")));
        let ui = reduce(ui, defaults(form("Guidelines: v2")));
        assert_eq!(ui.assistant_form, Some(form("Guidelines: v2")));
        let ui = reduce(ui, Msg::Form(form("My own words")));
        let ui = reduce(ui, defaults(form("Guidelines: v3")));
        assert_eq!(ui.assistant_form, Some(form("My own words")));
    }
}
