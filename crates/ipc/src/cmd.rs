//! Every command, one type each (see [`Command`]).

use crate::{
    AssistantArgs, CallIdArgs, CallMeArgs, CallView, ChatArgs, ChatView, Command, CredentialsArgs,
    FlagArgs, GoToArgs, HoursArgs, Moved, PatchArgs, SkipArgs, TwilioArgs, UpdateReady,
    VapiKeyArgs, WizardView,
};

macro_rules! commands {
    ($( $(#[$doc:meta])* $name:ident = $wire:literal ($args:ty) -> $reply:ty; )*) => {
        $(
                $(#[$doc])*
                pub struct $name;
                impl Command for $name {
                    const NAME: &'static str = $wire;
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
    UpdateProfile = "update_profile" (PatchArgs) -> WizardView;
    UpdateStudio = "update_studio" (PatchArgs) -> WizardView;
    /// Continue, Skip (recorded as the seed's step events), the rail or Back.
    GoTo = "go_to" (GoToArgs) -> Moved;
    Flush = "flush" (()) -> ();
    SignUp = "sign_up" (CredentialsArgs) -> WizardView;
    SignIn = "sign_in" (CredentialsArgs) -> WizardView;
    SignOut = "sign_out" (()) -> WizardView;
    ContinueOffline = "continue_offline" (()) -> WizardView;
    /// Skipping step 2 or 4 sets its flag.
    Skip = "skip" (SkipArgs) -> WizardView;
    SaveVapiKey = "save_vapi_key" (VapiKeyArgs) -> WizardView;
    DeleteVapiKey = "delete_vapi_key" (()) -> WizardView;
    SaveTwilio = "save_twilio" (TwilioArgs) -> WizardView;
    DeleteTwilio = "delete_twilio" (()) -> WizardView;
    SetKeysLocalOnly = "set_keys_local_only" (FlagArgs) -> WizardView;
    SetUsageSharing = "set_usage_sharing" (FlagArgs) -> WizardView;
    AssistantDefaults = "assistant_defaults" (()) -> crate::AssistantDefaults;
    /// Open or closed now by these hours, on the business's clock; `None` for free-form hours.
    IsOpenNow = "is_open_now" (HoursArgs) -> Option<crate::OpenNow>;
    CreateAssistant = "create_assistant" (AssistantArgs) -> WizardView;
    Launch = "launch" (()) -> WizardView;
    /// The wizard is drawn with its draft: logged with the time since process start (the
    /// start-up benchmark and the package check read it).
    Ready = "ready" (()) -> ();
    /// The update downloaded before the window listened for [`crate::UPDATE_READY_EVENT`].
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
    /// "Call my phone": Ava calls the owner from the attached number.
    CallMe = "call_me" (CallMeArgs) -> CallView;
    /// Where a call stands (the test call's progress).
    CallStatus = "call_status" (CallIdArgs) -> CallView;
}
