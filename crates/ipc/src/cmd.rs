//! Every command, one type each (see [`Command`]).

use crate::{
    AssistantArgs, CallMeArgs, CallView, ChatArgs, ChatView, Command, CredentialsArgs, FieldEdit,
    FlagArgs, GoToArgs, HoursArgs, Moved, TwilioArgs, UpdateReady, VapiKeyArgs, WizardView,
};

use ava_model::FieldName::{Assistant, Form, Profile};
use ava_model::{AssistantFormField as A, FormField as F, ProfileField};

macro_rules! commands {
    ($( $(#[$doc:meta])* $name:ident = $wire:literal ($args:ty) -> $reply:ty $([checks $($check:expr),+])?; )*) => {
        $(
                $(#[$doc])*
                pub struct $name;
                impl Command for $name {
                    const NAME: &'static str = $wire;
                    $( const CHECKS: &'static [crate::FieldName] = &[$($check),+]; )?
                    type Args = $args;
                    type Reply = $reply;
                }
        )*
        /// Every declared name: the shell's test compares it with what it registers.
        pub const ALL: &[&str] = &[$($wire),*];
    };
}

commands! {
    Load = "load" (()) -> WizardView;
    /// One field of the profile or the studio config.
    Edit = "edit" (FieldEdit) -> WizardView;
    /// Continue, Skip (recorded as the seed's step events), the rail or Back.
    GoTo = "go_to" (GoToArgs) -> Moved;
    Flush = "flush" (()) -> ();
    SignUp = "sign_up" (CredentialsArgs) -> WizardView [checks Form(F::Email), Form(F::Password)];
    SignIn = "sign_in" (CredentialsArgs) -> WizardView [checks Form(F::Email), Form(F::Password)];
    SignOut = "sign_out" (crate::SignOutArgs) -> WizardView;
    ContinueOffline = "continue_offline" (()) -> WizardView;
    /// "Forgot your password?": a code by mail, if an account uses the address.
    AskPasswordReset = "ask_password_reset" (crate::ResetRequestArgs) -> () [checks Form(F::Email)];
    /// The mailed code and a new password: signed in.
    ResetPassword = "reset_password" (crate::ResetArgs) -> WizardView [checks Form(F::Code), Form(F::NewPassword)];
    /// Settings, Account: the address, whether it is confirmed, the computers signed in.
    AccountOverview = "account_overview" (()) -> crate::AccountOverview;
    ChangePassword = "change_password" (crate::PasswordChangeArgs) -> crate::AccountOverview [checks Form(F::CurrentPassword), Form(F::NewPassword)];
    SendEmailConfirmation = "send_email_confirmation" (()) -> ();
    ConfirmEmail = "confirm_email" (crate::CodeArgs) -> crate::AccountOverview [checks Form(F::Code)];
    ChangeEmail = "change_email" (crate::EmailChangeArgs) -> () [checks Form(F::NewEmail), Form(F::Password)];
    EndSignIns = "end_sign_ins" (crate::EndSignInsArgs) -> crate::AccountOverview;
    /// Asks where to save (the system's dialog), then writes the export there.
    ExportAccount = "export_account" (()) -> crate::ExportSaved;
    /// Deletes the account; this computer then holds nothing of it.
    DeleteAccount = "delete_account" (crate::DeleteAccountArgs) -> WizardView [checks Form(F::Password)];
    /// Stop waiting for the keychain's password prompt: keys kept in memory for this run.
    KeepKeysInMemory = "keep_keys_in_memory" (()) -> ();
    SaveVapiKey = "save_vapi_key" (VapiKeyArgs) -> WizardView [checks Form(F::VapiApiKey)];
    DeleteVapiKey = "delete_vapi_key" (()) -> WizardView;
    SaveTwilio = "save_twilio" (TwilioArgs) -> WizardView [checks Form(F::AccountSid), Form(F::AuthToken), Form(F::PhoneNumber)];
    DeleteTwilio = "delete_twilio" (()) -> WizardView;
    SetKeysLocalOnly = "set_keys_local_only" (FlagArgs) -> WizardView;
    SetUsageSharing = "set_usage_sharing" (FlagArgs) -> WizardView;
    AssistantDefaults = "assistant_defaults" (()) -> crate::AssistantDefaults;
    /// Open or closed now by these hours, on the business's clock; `None` for free-form hours.
    IsOpenNow = "is_open_now" (HoursArgs) -> Option<crate::OpenNow>;
    CreateAssistant = "create_assistant" (AssistantArgs) -> WizardView [checks Assistant(A::Name), Assistant(A::Instructions), Assistant(A::FirstMessage)];
    Launch = "launch" (()) -> WizardView [checks Profile(ProfileField::accept_terms)];
    /// The wizard is painted with its draft: logged with the time since process start (the
    /// start-up benchmark and the package check read it).
    Ready = "ready" (()) -> ();
    /// The update downloaded before the window listened for [`crate::event::UpdateReady`].
    PendingUpdate = "pending_update" (()) -> Option<UpdateReady>;
    /// Installs the downloaded update and restarts into it; replies only if that failed.
    InstallUpdate = "install_update" (()) -> ();
    /// "Talk to Ava": one turn, continuing the conversation.
    Chat = "chat" (ChatArgs) -> ChatView;
    /// The conversation so far (empty after a restart or "New conversation").
    ChatSoFar = "chat_so_far" (()) -> ChatView;
    NewChat = "new_chat" (()) -> ChatView;
    /// The assistant's most recent calls, newest first.
    RecentCalls = "recent_calls" (()) -> Vec<CallView>;
    /// "Call my phone": Ava calls the owner from the attached number; the call's progress
    /// follows as [`crate::event::TestCall`].
    CallMe = "call_me" (CallMeArgs) -> CallView;
}
