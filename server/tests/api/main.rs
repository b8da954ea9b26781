//! The onboarding API driven through its router against a real PostgreSQL (each test gets its
//! own migrated database from `#[sqlx::test]`) and the Vapi/Twilio fakes. One binary, so it
//! compiles once.

mod helpers;
mod smtp;

mod account;
mod assistants;
mod auth;
mod credentials;
mod envelope;
mod events;
mod isolation;
mod limits;
mod live;
mod migrations;
mod secrets;
mod sessions;
mod transport;
mod user;
