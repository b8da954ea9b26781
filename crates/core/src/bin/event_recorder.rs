//! Opens the core on a data folder with no reachable server, records one onboarding event
//! (`onboarding_started`, as entering the wizard offline does), prints `recorded` once the core
//! says it is saved, then waits to be killed. The SIGKILL test of the analytics runs it.
//!
//! Usage: `ava-event-recorder DIR`

use std::io::Write;
use std::sync::Arc;

use ava_core::secrets::MemoryStore;
use ava_core::{CoreConfig, Onboarding};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: ava-event-recorder DIR");
        std::process::exit(2);
    };
    let config = CoreConfig::new(dir, "http://127.0.0.1:9");
    let core = match Onboarding::open(config, Arc::new(MemoryStore::default()), None) {
        Ok(opened) => opened.onboarding,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = core.begin() {
        eprintln!("{error}");
        std::process::exit(1);
    }
    let _ = writeln!(std::io::stdout(), "recorded");
    let _ = std::io::stdout().flush();
    std::future::pending::<()>().await;
}
