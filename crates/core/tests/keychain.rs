//! The real keychain: gnome-keyring's Secret Service in the private D-Bus session that
//! `tests/test.sh` starts. Outside that harness these tests fail and say why.

use std::process::Command;

use ava_core::secrets::{Keychain, SecretName, SecretStore};
use secrecy::{ExposeSecret, SecretString};

fn keychain() -> Keychain {
    let app = ava_testkit::keychain_id();
    Keychain::open(&app).unwrap_or_else(|e| {
        panic!("no usable Secret Service ({e}); run the tests through tests/test.sh, which starts gnome-keyring")
    })
}

/// What the keychain holds under `scope`/`name`, in the clear (these are test values).
fn read(store: &Keychain, scope: &str, name: SecretName) -> Option<String> {
    store
        .get(scope, name)
        .unwrap()
        .map(|s| s.expose_secret().to_owned())
}

#[test]
fn secrets_round_trip_through_the_real_keychain_and_vanish_on_delete() {
    let store = keychain();
    assert!(store.is_persistent());
    assert_eq!(read(&store, "account-1", SecretName::VapiKey), None);
    store
        .set(
            "account-1",
            SecretName::VapiKey,
            &SecretString::from("sk-real-keychain-1"),
        )
        .unwrap();
    store
        .set(
            "account-2",
            SecretName::VapiKey,
            &SecretString::from("sk-other-account"),
        )
        .unwrap();
    assert_eq!(
        read(&store, "account-1", SecretName::VapiKey).as_deref(),
        Some("sk-real-keychain-1")
    );
    assert_eq!(
        read(&store, "account-2", SecretName::VapiKey).as_deref(),
        Some("sk-other-account")
    );
    store.delete("account-1", SecretName::VapiKey).unwrap();
    assert_eq!(read(&store, "account-1", SecretName::VapiKey), None);
    store
        .delete("account-1", SecretName::VapiKey)
        .expect("deleting twice is fine");
    store.delete("account-2", SecretName::VapiKey).unwrap();
}

#[test]
fn a_second_process_reads_what_the_first_stored() {
    let app = ava_testkit::keychain_id();
    let store = Keychain::open(&app).expect("keychain");
    store
        .set(
            "account-9",
            SecretName::TwilioAuthToken,
            &SecretString::from("0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
    let probe = Command::new(env!("CARGO_BIN_EXE_ava-keychain-probe"))
        .arg(&app)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&probe.stdout).unwrap();
    assert_eq!(report["persistent"], true, "{report}");
    // A new handle, as after a restart, still finds the token.
    let again = Keychain::open(&app).unwrap();
    assert!(read(&again, "account-9", SecretName::TwilioAuthToken).is_some());
    again
        .delete("account-9", SecretName::TwilioAuthToken)
        .unwrap();
}

#[test]
fn without_a_session_bus_the_core_says_how_to_fix_it() {
    let probe = Command::new(env!("CARGO_BIN_EXE_ava-keychain-probe"))
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/ava-test-bus",
        )
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&probe.stdout).unwrap();
    assert_eq!(report["persistent"], false);
    assert_eq!(report["code"], "keychain_unavailable");
    let message = report["message"].as_str().unwrap();
    assert!(
        message.contains("gnome-keyring") && message.contains("until you quit"),
        "{message}"
    );
}

/// Builds before 2026-12 saved secrets through the `keyring` crate: after the update they are
/// found, replaced in place (keyring would refuse to read two) and deleted, so an owner is never
/// asked for their keys again.
#[cfg(target_os = "linux")]
#[test]
fn secrets_saved_by_earlier_builds_are_found_replaced_and_deleted() {
    let app = ava_testkit::keychain_id();
    let earlier = keyring::Entry::new(&app, "account-3/vapi-api-key").unwrap();
    earlier
        .set_password("sk-saved-by-an-earlier-build")
        .unwrap();

    let store = Keychain::open(&app).expect("keychain");
    assert_eq!(
        read(&store, "account-3", SecretName::VapiKey).as_deref(),
        Some("sk-saved-by-an-earlier-build")
    );
    store
        .set(
            "account-3",
            SecretName::VapiKey,
            &SecretString::from("sk-saved-after-the-update"),
        )
        .unwrap();
    assert_eq!(earlier.get_password().unwrap(), "sk-saved-after-the-update");
    store.delete("account-3", SecretName::VapiKey).unwrap();
    assert!(matches!(
        earlier.get_password(),
        Err(keyring::Error::NoEntry)
    ));
}

/// A keychain whose first use waits for its owner (a locked keyring's password prompt) does not
/// hold the app: the core opens at once, edits and views work, the status says the keychain
/// waits, and it goes on by itself once the keychain opens. The probe here waits for the test's
/// word, as a prompt waits for a person.
#[tokio::test]
async fn the_app_goes_on_while_the_keychain_waits_and_uses_it_once_open() {
    use std::sync::Arc;
    let (unlock, prompt) = std::sync::mpsc::channel::<()>();
    let app = ava_testkit::keychain_id();
    let (opening, settled) = ava_core::secrets::OpeningKeychain::start(move || {
        let _ = prompt.recv();
        Keychain::open(&app).map(|k| Arc::new(k) as Arc<dyn SecretStore>)
    });
    assert!(
        !opening.wait_settled(std::time::Duration::from_millis(1)),
        "the prompt has not been answered"
    );
    let dir = tempfile::tempdir().unwrap();
    let config = ava_core::CoreConfig::new(dir.path(), ava_testkit::NO_SERVER);
    let core = ava_core::Onboarding::open_while_keychain_opens(config, opening, settled)
        .unwrap()
        .onboarding;
    assert!(core.view().status.keychain_waiting);
    core.update_profile(&serde_json::json!({"full_name": "Ann"}))
        .unwrap();
    assert_eq!(
        core.view().profile.full_name.unwrap().as_str(),
        "Ann",
        "the wizard works meanwhile"
    );
    unlock.send(()).unwrap();
    let status = ava_testkit::wait_for(&core, "the keychain open", |s| !s.keychain_waiting).await;
    assert!(status.keychain_persistent);
    assert_eq!(status.keychain_problem, None);
}

/// The owner stops waiting: keys are kept in memory for this run, they are told why, and the
/// keychain answering later changes nothing.
#[tokio::test]
async fn the_owner_can_stop_waiting_for_the_keychain() {
    use std::sync::Arc;
    let (unlock, prompt) = std::sync::mpsc::channel::<()>();
    let app = ava_testkit::keychain_id();
    let (answered, probe_done) = std::sync::mpsc::channel::<()>();
    let (opening, settled) = ava_core::secrets::OpeningKeychain::start(move || {
        let _ = prompt.recv();
        let opened = Keychain::open(&app).map(|k| Arc::new(k) as Arc<dyn SecretStore>);
        let _ = answered.send(());
        opened
    });
    let dir = tempfile::tempdir().unwrap();
    let config = ava_core::CoreConfig::new(dir.path(), ava_testkit::NO_SERVER);
    let core = ava_core::Onboarding::open_while_keychain_opens(config, opening.clone(), settled)
        .unwrap()
        .onboarding;
    core.keep_keys_in_memory();
    let status = ava_testkit::wait_for(&core, "keys kept in memory", |s| !s.keychain_waiting).await;
    assert!(!status.keychain_persistent);
    assert_eq!(
        status.keychain_problem.map(|p| p.code),
        Some(ava_model::ErrorCode::KeychainLocked)
    );
    // The prompt is answered after all: the choice stands.
    unlock.send(()).unwrap();
    probe_done.recv().unwrap();
    assert!(!opening.is_persistent(), "still in memory for this run");
    assert!(!core.status().borrow().keychain_persistent);
}
