//! The nine wizard steps, in order, as the stepper, the draft and the UI name them.

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    #[default]
    Profile,
    Vapi,
    Persona,
    Twilio,
    Telephony,
    Integrations,
    Assistant,
    Plan,
    Done,
}

/// How the user left a step: Continue and Skip are the seed's step events; moving through the
/// rail or Back records nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Move {
    #[default]
    Jump,
    Continue,
    Skip,
}

impl Step {
    pub const ALL: [Step; 9] = [
        Step::Profile,
        Step::Vapi,
        Step::Persona,
        Step::Twilio,
        Step::Telephony,
        Step::Integrations,
        Step::Assistant,
        Step::Plan,
        Step::Done,
    ];

    /// The wire names (`step_id`), in order.
    pub const NAMES: [&'static str; 9] = [
        "profile",
        "vapi",
        "persona",
        "twilio",
        "telephony",
        "integrations",
        "assistant",
        "plan",
        "done",
    ];

    /// 0-based position in the stepper.
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    pub fn next(self) -> Step {
        Self::ALL
            .get(self.index() + 1)
            .copied()
            .unwrap_or(Step::Done)
    }

    pub fn previous(self) -> Step {
        self.index()
            .checked_sub(1)
            .map_or(Step::Profile, |i| Self::ALL[i])
    }

    /// The translation key of the step's title (`step.profile.title`).
    pub fn key(self) -> &'static str {
        Self::NAMES[self.index()]
    }
}
