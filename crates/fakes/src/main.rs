//! `ava-fakes`: the Vapi and Twilio fakes as a process, so a local run (AVA_DEMO=1) can point
//! `VAPI_BASE_URL` and `TWILIO_BASE_URL` at them and try everything with no accounts.
//!
//! Environment: `FAKE_VAPI_ADDR` (default 127.0.0.1:8010), `FAKE_TWILIO_ADDR` (127.0.0.1:8011),
//! `FAKE_VAPI_KEY`, `FAKE_TWILIO_ACCOUNT_SID`, `FAKE_TWILIO_AUTH_TOKEN`, `FAKE_TWILIO_NUMBER`
//! (the demo credentials it accepts; defaults printed at start).

use std::net::SocketAddr;

use ava_fakes::FakeProviders;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn addr(name: &str, default: &str) -> Result<SocketAddr, String> {
    let raw = env_or(name, default);
    raw.parse()
        .map_err(|_| format!("{name}={raw} is not an address like 127.0.0.1:8010"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let vapi_addr = addr("FAKE_VAPI_ADDR", "127.0.0.1:8010")?;
    let twilio_addr = addr("FAKE_TWILIO_ADDR", "127.0.0.1:8011")?;
    let fakes = FakeProviders::start_on(vapi_addr, twilio_addr)
        .await
        .map_err(|e| format!("cannot listen: {e}"))?;

    // Demo credentials: fake values, printed so the person trying the app can paste them.
    let vapi_key = env_or("FAKE_VAPI_KEY", "demo-vapi-private-key-1234");
    let sid = env_or(
        "FAKE_TWILIO_ACCOUNT_SID",
        "AC00000000000000000000000000001234",
    );
    let token = env_or("FAKE_TWILIO_AUTH_TOKEN", "0123456789abcdef0123456789abcdef");
    let number = env_or("FAKE_TWILIO_NUMBER", "+14155550199");
    fakes.vapi.add_key(&vapi_key);
    fakes.twilio.add_account(&sid, &token);
    fakes.twilio.add_number(&sid, &number);

    println!("fake Vapi   at {} (key {vapi_key})", fakes.vapi_url());
    println!(
        "fake Twilio at {} (account {sid}, token {token}, number {number})",
        fakes.twilio_url()
    );
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    Ok(())
}
