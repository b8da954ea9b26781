//! The core's rules, pure: values in, values out; no I/O, no locks, no clock but the one
//! passed in. What the services do is decided here and tested directly.

pub mod analytics;
pub mod assistant;
pub mod call_search;
pub mod chat;
pub mod state;
pub mod view;
