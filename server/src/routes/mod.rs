pub mod account;
pub mod assistants;
pub mod auth;
pub mod credentials;
pub mod events;
pub mod health;
pub mod user;
