//! The window's state: a pure reducer (`reducer.rs`: what is on screen and how each message
//! changes it, tested natively) and the effects (`effects/`: the actions that call the
//! shell and dispatch what comes back, by family). Async replies arrive as messages, so a reply never
//! overwrites state with a stale copy.

mod effects;
mod reducer;

pub use effects::{Action, run};
pub use reducer::*;
