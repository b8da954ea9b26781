//! The account's life from the desktop core, on the real server and the real keychain: a reset
//! from the mailed code, the computers signed in (named), ending one, the export and the
//! deletion that leaves nothing of the account on this computer.

use ava_core::Onboarding;
use ava_model::{ErrorCode, VapiAssistantsOnDeletion};
use ava_testkit::*;
use serde_json::{Value, json};
use sqlx::PgPool;

async fn computer(world: &World, server: &Server, folder: &std::path::Path) -> Onboarding {
    open_core(world.config(folder, &server.url()), &keychain_id())
}

/// Ann's account, signed up on this computer and signed in on another.
struct Computers {
    world: World,
    here: Onboarding,
    there: Onboarding,
    _server: Server,
    _folders: [tempfile::TempDir; 2],
}

async fn two_computers(pool: PgPool) -> Computers {
    let (world, server) = World::with_server(pool).await;
    let folders = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let here = computer(&world, &server, folders[0].path()).await;
    here.sign_up("ann@acme.com", PASSWORD).await.unwrap();
    let there = computer(&world, &server, folders[1].path()).await;
    there.sign_in("ann@acme.com", PASSWORD).await.unwrap();
    Computers {
        world,
        here,
        there,
        _server: server,
        _folders: folders,
    }
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_forgotten_password_is_reset_here_and_the_other_computer_must_sign_in(pool: PgPool) {
    let computers = two_computers(pool).await;
    let Computers {
        world, here, there, ..
    } = &computers;
    here.sign_out(ava_ipc::UnsentEdits::KeepForNextSignIn)
        .await
        .unwrap();

    let malformed = here.ask_password_reset("not an address").await.unwrap_err();
    assert_eq!(malformed.field().map(|f| f.as_str()), Some("email"));
    here.ask_password_reset("ann@acme.com").await.unwrap();
    let mail = world
        .mail_to("ann@acme.com", "Your Ava password reset code")
        .await;
    let code = mail.code().expect("a code in the mail");

    let short = here
        .reset_password("ann@acme.com", &code, "short")
        .await
        .unwrap_err();
    assert_eq!(short.field().map(|f| f.as_str()), Some("new_password"));
    let wrong = here
        .reset_password("ann@acme.com", "0000 0000", "a brand new password")
        .await
        .unwrap_err();
    assert_eq!(
        (wrong.field().map(|f| f.as_str()), wrong.code()),
        (Some("code"), ErrorCode::InvalidCode),
        "the server's refusal is told at its field"
    );
    let typed = format!("{} {}", &code[..4], &code[4..]);
    let account = here
        .reset_password("ann@acme.com", &typed, "a brand new password")
        .await
        .unwrap();
    assert_eq!(account.email, "ann@acme.com");
    assert_eq!(
        here.view().account_email.as_deref(),
        Some("ann@acme.com"),
        "signed in here"
    );

    // The other computer's sign-in ended with the reset: it is asked to sign in again.
    let ended = there.pull_now().await.unwrap_err();
    assert_eq!(ended.code(), ErrorCode::SignInRequired);
    let overview = here.account_overview().await.unwrap();
    assert!(overview.email_verified, "reading the mail confirmed it");
    assert_eq!(overview.sign_ins.len(), 1);
    let named = overview.sign_ins[0].device.clone().unwrap_or_default();
    let system = match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "macOS",
        _ => "Windows",
    };
    assert!(named.ends_with(system), "{named:?} names the computer");
    world
        .mail_to("ann@acme.com", "Your Ava password was changed")
        .await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn another_computer_is_listed_by_name_and_can_be_signed_out_from_here(pool: PgPool) {
    let computers = two_computers(pool).await;
    let Computers { here, there, .. } = &computers;

    let overview = here.account_overview().await.unwrap();
    assert_eq!(overview.email, "ann@acme.com");
    assert!(!overview.email_verified);
    assert_eq!(overview.sign_ins.len(), 2);
    assert_eq!(overview.sign_ins.iter().filter(|s| s.current).count(), 1);
    assert!(overview.sign_ins.iter().all(|s| s.device.is_some()));

    let after = here.end_sign_ins(None).await.unwrap();
    assert_eq!(after.sign_ins.len(), 1);
    assert!(after.sign_ins[0].current, "this computer stays signed in");
    let ended = there.pull_now().await.unwrap_err();
    assert_eq!(ended.code(), ErrorCode::SignInRequired);
    // The other computer says so: "Sign in to sync", its draft kept.
    wait_for(there, "asked to sign in", |s| {
        s.state == ava_core::SyncState::SignInRequired
    })
    .await;
    here.pull_now().await.unwrap();

    // A new password ends the others too, and this computer goes on with its new sign-in.
    there.sign_in("ann@acme.com", PASSWORD).await.unwrap();
    let wrong = here
        .change_password("not the password", "another long password")
        .await
        .unwrap_err();
    assert_eq!(wrong.field().map(|f| f.as_str()), Some("current_password"));
    here.change_password(PASSWORD, "another long password")
        .await
        .unwrap();
    here.pull_now().await.unwrap();
    assert_eq!(
        there.pull_now().await.unwrap_err().code(),
        ErrorCode::SignInRequired
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn the_export_is_a_file_with_no_secret_and_deletion_leaves_nothing_here(pool: PgPool) {
    let (world, server) = World::with_server(pool.clone()).await;
    let home = tempfile::tempdir().unwrap();
    let here = computer(&world, &server, home.path()).await;
    here.sign_up("ann@acme.com", PASSWORD).await.unwrap();
    here.update_profile(&json!({"full_name": "Ann Kept", "locale": "fr"}))
        .unwrap();
    here.save_vapi_key(VAPI_KEY, ava_model::VapiMethod::Inline)
        .await
        .unwrap();
    synced(&here).await;

    let saved = home.path().join("ava-export.json");
    let written = here.export_account(Some(&saved)).await.unwrap();
    assert_eq!(written.path.as_deref(), Some(saved.to_str().unwrap()));
    assert!(
        here.export_account(None).await.unwrap().path.is_none(),
        "a closed dialog writes nothing"
    );
    assert!(here.export_file_name().starts_with("ava-export-"));
    let text = std::fs::read_to_string(&saved).unwrap();
    let export: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(export["format"], "ava-export/1");
    assert_eq!(export["profile"]["full_name"], "Ann Kept");
    assert!(!text.contains(VAPI_KEY), "no key in the export");

    let wrong = here
        .delete_account("not it", VapiAssistantsOnDeletion::Keep)
        .await
        .unwrap_err();
    assert_eq!(
        (wrong.field().map(|f| f.as_str()), wrong.code()),
        (Some("password"), ErrorCode::WrongPassword)
    );
    assert!(
        here.vapi_status().await.unwrap().configured,
        "nothing gone yet"
    );
    let receipt = here
        .delete_account(PASSWORD, VapiAssistantsOnDeletion::Keep)
        .await
        .unwrap();
    assert!(receipt.deleted);

    // Nothing of the account is left on this computer: no draft, no key, no sign-in.
    let draft = here.snapshot();
    assert!(draft.profile.full_name.is_none(), "{:?}", draft.profile);
    assert!(draft.outbox.is_empty());
    assert_eq!(here.view().account_email, None);
    assert!(!here.vapi_status().await.unwrap().configured);
    let stored_elsewhere = count(&pool, "SELECT count(*) FROM users").await;
    assert_eq!(stored_elsewhere, 0);
    let farewell = world
        .mail_to("ann@acme.com", "Votre compte Ava a été supprimé")
        .await;
    assert!(
        farewell.text.contains("dernier message"),
        "{}",
        farewell.text
    );
    // The address can start again.
    here.sign_up("ann@acme.com", PASSWORD).await.unwrap();
}
