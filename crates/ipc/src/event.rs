//! Every event from the shell to the window, one type each (see [`Event`]).

use crate::{AssistantView, Event, PulledView, StatusView, TestCallUpdate};

macro_rules! events {
    ($( $(#[$doc:meta])* $name:ident = $wire:literal ($payload:ty); )*) => {
        $(
            $(#[$doc])*
            pub struct $name;
            impl Event for $name {
                const NAME: &'static str = $wire;
                type Payload = $payload;
            }
        )*
        /// Every declared name: the window's test compares it with what it listens to.
        pub const ALL: &[&str] = &[$($wire),*];
    };
}

events! {
    /// The sync status changed (the pill, the assistant's line).
    SyncStatus = "sync-status" (StatusView);
    /// Values saved on another computer were merged here: the window shows them in place and
    /// says so, politely.
    DraftPulled = "draft-pulled" (PulledView);
    /// Each stage of the assistant's creation.
    ProvisionProgress = "provision-progress" (Option<AssistantView>);
    /// "Call my phone": where the test call stands, from when it is placed until it ends (the
    /// core asks Vapi every two seconds).
    TestCall = "test-call" (TestCallUpdate);
    /// A newer version is downloaded and verified.
    UpdateReady = "update-ready" (crate::UpdateReady);
}
