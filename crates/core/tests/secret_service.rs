//! How the app uses the Secret Service on Linux, watched from the bus (`dbus-monitor`) in the
//! private session `tests/test.sh` starts. Alone in its test binary because it counts every
//! session request on the bus and restarts the keyring daemon.
//!
//! Each new connection's first request is where gnome-keyring can abort (see
//! `src/store/secret_service.rs`), so the app makes one session for its whole life; and when
//! the daemon does go away, the next call reconnects instead of failing until a restart.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ava_core::secrets::{Keychain, SecretName, SecretStore};
use secrecy::{ExposeSecret, SecretString};

const WAIT: Duration = Duration::from_secs(30);
const OPEN_SESSION: &str = "member=OpenSession";

/// `dbus-monitor` printing every session request and our own marker signals.
struct BusWatch {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl BusWatch {
    fn start() -> Self {
        let mut child = Command::new("dbus-monitor")
            .args([
                "--session",
                "type='method_call',interface='org.freedesktop.Secret.Service',member='OpenSession'",
                "type='signal',interface='ai.ava.Test'",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-monitor (package dbus-bin)");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut watch = Self { child, lines };
        // A monitor loses its own name when it starts watching: from then on it sees everything.
        watch.read_until("member=NameLost");
        watch
    }

    /// Lines up to and including the first that contains `end`.
    fn read_until(&mut self, end: &str) -> Vec<String> {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("dbus-monitor never printed {end:?}; saw {seen:#?}"));
            let done = line.contains(end);
            seen.push(line);
            if done {
                return seen;
            }
        }
    }

    /// How many sessions were requested since the last count: a marker signal is sent and
    /// everything the monitor printed before it is counted.
    fn sessions_requested(&mut self) -> usize {
        let marker = format!("marker{}", rand::random::<u32>());
        let sent = Command::new("dbus-send")
            .args([
                "--session",
                "--type=signal",
                "/ai/ava/Test",
                &format!("ai.ava.Test.{marker}"),
            ])
            .status()
            .unwrap();
        assert!(sent.success());
        self.read_until(&format!("member={marker}"))
            .iter()
            .filter(|line| line.contains(OPEN_SESSION))
            .count()
    }
}

impl Drop for BusWatch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Asks the bus daemon `method` about the Secret Service's name; the reply's last word.
fn ask_bus(method: &str) -> String {
    let out = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            &format!("org.freedesktop.DBus.{method}"),
            "string:org.freedesktop.secrets",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .last()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn the_app_keeps_one_keychain_session_and_reconnects_when_the_keyring_restarts() {
    let mut bus = BusWatch::start();
    let app = ava_testkit::keychain_id();

    // Open (a write, a read and a delete), then what a sign-in and a sync do.
    let keychain = Keychain::open(&app).expect("keychain");
    for round in 0..5 {
        let token = SecretString::from(format!("token-{round}"));
        keychain
            .set("account-1", SecretName::SessionToken, &token)
            .unwrap();
        let read = keychain.get("account-1", SecretName::SessionToken).unwrap();
        assert_eq!(read.unwrap().expose_secret(), token.expose_secret());
    }
    keychain
        .set(
            "account-1",
            SecretName::VapiKey,
            &SecretString::from("sk-kept-across-restarts"),
        )
        .unwrap();
    assert_eq!(
        bus.sessions_requested(),
        1,
        "one session for twelve keychain calls"
    );

    // The keyring daemon dies under the app (as when it aborts).
    let pid = ask_bus("GetConnectionUnixProcessID");
    assert!(pid.parse::<u32>().is_ok(), "no keyring daemon: {pid}");
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + WAIT;
    while ask_bus("NameHasOwner") == "true" {
        assert!(
            Instant::now() < deadline,
            "the keyring daemon {pid} never went"
        );
    }

    // The next call finds the key the daemon had saved, through a new session.
    let key = keychain
        .get("account-1", SecretName::VapiKey)
        .expect("the keychain reconnects")
        .expect("the key survived the restart");
    assert_eq!(key.expose_secret(), "sk-kept-across-restarts");
    assert_ne!(ask_bus("GetConnectionUnixProcessID"), pid);
    assert_eq!(
        bus.sessions_requested(),
        1,
        "one new session after the restart"
    );

    keychain
        .delete("account-1", SecretName::SessionToken)
        .unwrap();
    keychain.delete("account-1", SecretName::VapiKey).unwrap();
}
