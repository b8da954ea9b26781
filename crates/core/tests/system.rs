//! The core against the real ava-server and PostgreSQL, the provider fakes and the real
//! keychain: offline edits, restarts, sign-in on a new computer, credentials, two users.

use ava_core::api::ApiClient;
use ava_core::{CoreError, SyncState};
use ava_model::Step;
use ava_testkit::*;
use secrecy::SecretString;
use serde_json::json;
use sqlx::PgPool;

async fn server_me(url: &str, email: &str) -> ava_model::Me {
    let api = ApiClient::new(url, std::time::Duration::from_secs(5)).unwrap();
    let session = api
        .login(email, &SecretString::from(PASSWORD), None)
        .await
        .unwrap();
    api.me(&SecretString::from(session.access_token))
        .await
        .unwrap()
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn edits_made_while_the_server_is_down_survive_a_restart_and_reach_it(pool: PgPool) {
    let (world, server) = World::with_server(pool).await;
    let addr = server.addr;
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let app = keychain_id();
    let core = open_core(world.config(dir.path(), &url), &app);
    core.sign_up("ann@acme.com", PASSWORD).await.unwrap();
    synced(&core).await;

    server.stop().await;
    core.update_profile(
        &json!({"full_name": "Ann Owner", "organization_name": "Acme", "industry": "legal",
        "timezone": "Europe/Paris", "locale": "fr", "accept_terms": true}),
    )
    .unwrap();
    for typed in ["Answer", "Answer the phone", "Answer the phone politely"] {
        core.update_studio(&json!({"job_to_be_done": typed}))
            .unwrap();
    }
    core.update_studio(&json!({"persona": "concierge", "languages": ["fr", "en"], "seats": 4, "workspace_apps": ["slack"]})).unwrap();
    core.skip(ava_ipc::Provider::Twilio).unwrap();
    core.go_to(Step::Integrations).unwrap();
    let offline = wait_for(&core, "offline", |s| s.state == SyncState::Offline).await;
    assert!(offline.pending > 0);
    drop(core);

    // The app restarts while the server is still down: everything is still here.
    let core = open_core(world.config(dir.path(), &url), &app);
    let draft = core.snapshot();
    assert_eq!(draft.step, Step::Integrations);
    assert_eq!(
        draft.studio.job_to_be_done.as_ref().unwrap().as_str(),
        "Answer the phone politely"
    );
    assert!(!draft.outbox.is_empty(), "the outbox survived the restart");
    wait_for(&core, "offline again", |s| s.state == SyncState::Offline).await;

    let server = world.start_server(addr, JWT).await;
    synced(&core).await;
    assert_eq!(
        server.requests.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "the queue went out coalesced: one PATCH per resource (profile, studio, flags)"
    );
    let me = server_me(&url, "ann@acme.com").await;
    assert_eq!(me.profile.full_name.unwrap().as_str(), "Ann Owner");
    assert_eq!(me.profile.organization_name.unwrap().as_str(), "Acme");
    assert_eq!(me.profile.timezone.unwrap().as_str(), "Europe/Paris");
    assert!(me.profile.accept_terms);
    assert_eq!(
        me.studio_config.job_to_be_done.unwrap().as_str(),
        "Answer the phone politely"
    );
    assert_eq!(me.studio_config.seats.get(), 4);
    assert_eq!(
        me.studio_config
            .languages
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>(),
        ["fr", "en"]
    );
    assert!(me.onboarding.onboarding_twilio_skipped);
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn signing_in_on_a_new_computer_pulls_the_servers_state(pool: PgPool) {
    let (world, server, _first, core) = ann_signed_up(pool).await;
    core.update_profile(&json!({"full_name": "Ann", "industry": "retail"}))
        .unwrap();
    core.update_studio(&json!({"plan": "business", "tone": "casual"}))
        .unwrap();
    synced(&core).await;

    let second = tempfile::tempdir().unwrap();
    let laptop = open_core(world.config(second.path(), &server.url()), &keychain_id());
    assert!(laptop.snapshot().profile.full_name.is_none());
    laptop.sign_in("ann@acme.com", PASSWORD).await.unwrap();
    let draft = laptop.snapshot();
    assert_eq!(draft.profile.full_name.unwrap().as_str(), "Ann");
    assert_eq!(draft.studio.plan, ava_model::Plan::Business);
    assert!(draft.outbox.is_empty(), "nothing to send back");
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_revoked_sign_in_asks_for_sign_in_and_keeps_the_queue(pool: PgPool) {
    let (world, server) = World::with_server(pool.clone()).await;
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let core = open_core(world.config(dir.path(), &url), &keychain_id());
    core.sign_up("ann@acme.com", PASSWORD).await.unwrap();
    synced(&core).await;
    // The server comes back with another signing key (every access token is now refused) and
    // the sign-in was ended on the server, so the refresh token cannot renew it either.
    let _server = world
        .restart_with_every_sign_in_ended(server, "a-rotated-jwt-secret-that-is-long-enough-42")
        .await;
    core.update_profile(&json!({"full_name": "Queued"}))
        .unwrap();
    let status = wait_for(&core, "sign-in required", |s| {
        s.state == SyncState::SignInRequired
    })
    .await;
    assert_eq!(status.pending, 1);
    assert_eq!(
        status.error.unwrap().code,
        ava_model::ErrorCode::SignInRequired
    );
    core.sign_in("ann@acme.com", PASSWORD).await.unwrap();
    synced(&core).await;
    assert_eq!(
        server_me(&url, "ann@acme.com")
            .await
            .profile
            .full_name
            .unwrap()
            .as_str(),
        "Queued"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn credentials_are_verified_kept_in_the_keychain_and_synced_unless_local(pool: PgPool) {
    let (world, server, dir, core) = ann_signed_up(pool).await;

    let wrong = core
        .save_vapi_key("sk-not-a-real-key", ava_model::VapiMethod::Inline)
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), ava_model::ErrorCode::VapiUnauthorized);
    assert!(
        wrong.to_ui().message.contains("Invalid Key"),
        "{}",
        wrong.to_ui().message
    );
    assert!(
        !core.vapi_status().await.unwrap().configured,
        "a refused key is not kept"
    );
    let bad = core
        .save_vapi_key("has spaces in it", ava_model::VapiMethod::Inline)
        .await
        .unwrap_err();
    assert_eq!(bad.to_ui().field.map(|f| f.as_str()), Some("vapi_api_key"));
    assert_eq!(
        world.fakes.vapi.calls.total(),
        1,
        "a malformed key never reaches Vapi"
    );

    let saved = core
        .save_vapi_key(VAPI_KEY, ava_model::VapiMethod::Inline)
        .await
        .unwrap();
    assert_eq!(saved.preview.as_deref(), Some("****0042"));
    synced(&core).await;
    let api = ApiClient::new(&server.url(), std::time::Duration::from_secs(5)).unwrap();
    let token = SecretString::from(
        api.login("ann@acme.com", &SecretString::from(PASSWORD), None)
            .await
            .unwrap()
            .access_token,
    );
    assert_eq!(
        api.vapi_status(&token)
            .await
            .unwrap()
            .vapi_api_key_preview
            .as_deref(),
        Some("****0042")
    );

    let not_owned = core
        .save_twilio(TWILIO_SID, TWILIO_TOKEN, Some("+14155550100"))
        .await
        .unwrap_err();
    assert_eq!(not_owned.code(), ava_model::ErrorCode::NumberNotInAccount);
    assert!(!core.twilio_status().await.unwrap().configured);
    let twilio = core
        .save_twilio(TWILIO_SID, TWILIO_TOKEN, Some("+1 (415) 555-0199"))
        .await
        .unwrap();
    assert_eq!(
        twilio.phone_number.as_deref(),
        Some(TWILIO_NUMBER),
        "normalised to E.164"
    );
    synced(&core).await;
    assert_eq!(
        api.twilio_status(&token)
            .await
            .unwrap()
            .account_sid_preview
            .as_deref(),
        Some("AC****cdef")
    );

    let text = std::fs::read_to_string(dir.path().join("draft.json")).unwrap();
    for secret in [VAPI_KEY, TWILIO_TOKEN, PASSWORD] {
        assert!(!text.contains(secret), "a secret reached the draft file");
    }

    core.delete_vapi_key().await.unwrap();
    synced(&core).await;
    assert!(!core.vapi_status().await.unwrap().configured);
    assert!(
        !api.vapi_status(&token).await.unwrap().has_vapi_key,
        "deleted everywhere"
    );

    // Keys on the server, then "only on this computer": the server's copies go.
    core.save_vapi_key(VAPI_KEY, ava_model::VapiMethod::Inline)
        .await
        .unwrap();
    synced(&core).await;
    assert!(api.vapi_status(&token).await.unwrap().has_vapi_key);
    core.set_keys_local_only(true).await.unwrap();
    synced(&core).await;
    assert!(!api.vapi_status(&token).await.unwrap().has_vapi_key);
    assert!(!api.twilio_status(&token).await.unwrap().has_credentials);
    assert!(core.vapi_status().await.unwrap().configured, "still here");

    core.save_vapi_key(VAPI_KEY, ava_model::VapiMethod::Inline)
        .await
        .unwrap();
    synced(&core).await;
    assert!(core.vapi_status().await.unwrap().configured);
    assert!(
        !api.vapi_status(&token).await.unwrap().has_vapi_key,
        "local-only keys stay here"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn two_users_on_one_machine_never_see_each_others_draft_or_secrets(pool: PgPool) {
    let (world, server) = World::with_server(pool).await;
    let keyring = keychain_id();
    let (alice_dir, bob_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alice = open_core(world.config(alice_dir.path(), &server.url()), &keyring);
    let bob = open_core(world.config(bob_dir.path(), &server.url()), &keyring);
    alice.sign_up("alice@acme.com", PASSWORD).await.unwrap();
    bob.sign_up("bob@acme.com", PASSWORD).await.unwrap();
    alice
        .update_profile(&json!({"full_name": "Alice"}))
        .unwrap();
    alice
        .save_vapi_key(VAPI_KEY, ava_model::VapiMethod::Inline)
        .await
        .unwrap();
    synced(&alice).await;
    synced(&bob).await;

    assert!(bob.snapshot().profile.full_name.is_none());
    assert!(
        !bob.vapi_status().await.unwrap().configured,
        "Alice's key is not Bob's"
    );
    assert!(matches!(
        bob.provision(&Default::default()).await,
        Err(CoreError::Precondition(
            ava_core::Precondition::VapiKeyMissing
        ))
    ));
    let bob_file = std::fs::read_to_string(bob_dir.path().join("draft.json")).unwrap();
    assert!(!bob_file.contains("Alice") && !bob_file.contains("alice@"));
    assert_eq!(
        server_me(&server.url(), "bob@acme.com")
            .await
            .profile
            .full_name,
        None
    );
    // Bob signing out leaves Alice signed in.
    bob.sign_out(ava_ipc::UnsentEdits::KeepForNextSignIn)
        .await
        .unwrap();
    alice
        .update_profile(&json!({"organization_name": "Alice & Co"}))
        .unwrap();
    synced(&alice).await;
}

/// A server, and Ann signed up on a first computer (its folder kept for the test's life).
async fn ann_signed_up(pool: PgPool) -> (World, Server, tempfile::TempDir, ava_core::Onboarding) {
    let (world, server) = World::with_server(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let core = open_core(world.config(dir.path(), &server.url()), &keychain_id());
    core.sign_up("ann@acme.com", PASSWORD).await.unwrap();
    (world, server, dir, core)
}
