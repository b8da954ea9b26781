//! End to end: the real app window (WebKitGTK, driven through tauri-driver and
//! WebKitWebDriver), the real keychain (the test script's private gnome-keyring), the real
//! ava-server over a fresh PostgreSQL database, and the Vapi/Twilio fakes.
//!
//! Run through `tests/test.sh`, which provides Xvfb, the D-Bus session and the keyring. Every
//! step of every language is saved as a screenshot under `$CARGO_TARGET_DIR/e2e-screenshots`.
//!
//! One file per topic, as `server/tests/api` is; the harness is in `app.rs`, what the system
//! tests share (server, fakes, keychain) in `ava-testkit`.

mod account;
mod app;
mod axe;
mod durability;
mod keyboard;
mod keychain;
mod languages;
mod screen_reader;
mod sessions;
mod wizard;
