//! Services: what the core does, built on the owners and the rules. Each works through a
//! [`crate::context::Context`]; none imports the facade, and they call one another one way
//! only (provisioning asks the sync for a round, the others use the wizard's draft helpers).

pub(crate) mod account_life;
pub(crate) mod accounts;
pub(crate) mod credentials;
pub(crate) mod live;
pub(crate) mod provision;
pub(crate) mod pull;
pub(crate) mod studio;
pub(crate) mod sync;
pub(crate) mod wizard;
