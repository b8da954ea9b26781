//! Sessions that outlive their access token: the core renews it silently with the refresh
//! token (one renewal at a time), and signing out ends the sign-in on the server too.

use ava_testkit::*;
use serde_json::json;
use sqlx::PgPool;

const ROTATED_JWT: &str = "a-rotated-jwt-secret-that-is-long-enough-42";
const THIRD_JWT: &str = "and-a-third-jwt-secret-that-is-long-enough-7";

/// (spent, revoked) refresh tokens.
async fn refresh_tokens(pool: &PgPool) -> (i64, i64) {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE spent_at IS NOT NULL),
                count(*) FILTER (WHERE revoked_at IS NOT NULL)
         FROM refresh_tokens",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn full_name(pool: &PgPool) -> Option<String> {
    sqlx::query_scalar("SELECT full_name FROM users WHERE email = 'ann@acme.com'")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_refused_access_token_is_renewed_silently_and_the_edit_arrives(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let server = world.start_server(([127, 0, 0, 1], 0).into(), JWT).await;
    let (addr, url) = (server.addr, server.url());
    let dir = tempfile::tempdir().unwrap();
    let core = open_core(world.config(dir.path(), &url), &keychain_id());
    core.sign_up("ann@acme.com", PASSWORD).await.unwrap();
    synced(&core).await;
    assert_eq!(refresh_tokens(&pool).await, (0, 0));

    // A new signing key refuses every access token issued so far, as expiry would; the
    // refresh token is not a JWT and still renews the session.
    server.stop().await;
    let server = world.start_server(addr, ROTATED_JWT).await;
    core.update_profile(&json!({"full_name": "Ann Renewed"}))
        .unwrap();
    let status = synced(&core).await;
    assert!(status.error.is_none(), "no sign-in asked for: {status:?}");
    assert_eq!(full_name(&pool).await.as_deref(), Some("Ann Renewed"));
    assert_eq!(
        refresh_tokens(&pool).await,
        (1, 0),
        "renewed once, nothing revoked"
    );

    // Again, with two rounds at once (and the background task): the token is still spent
    // once. A second spend would look like theft to the server and end the sign-in.
    server.stop().await;
    let _server = world.start_server(addr, THIRD_JWT).await;
    core.update_profile(&json!({"full_name": "Ann Twice"}))
        .unwrap();
    let (first, second) = tokio::join!(core.sync_now(), core.sync_now());
    first.unwrap();
    second.unwrap();
    synced(&core).await;
    assert_eq!(full_name(&pool).await.as_deref(), Some("Ann Twice"));
    assert_eq!(
        refresh_tokens(&pool).await,
        (2, 0),
        "one more renewal, nothing revoked"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn signing_out_ends_the_sign_in_on_the_server(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let server = world.start_server(([127, 0, 0, 1], 0).into(), JWT).await;
    let dir = tempfile::tempdir().unwrap();
    let core = open_core(world.config(dir.path(), &server.url()), &keychain_id());
    core.sign_up("ann@acme.com", PASSWORD).await.unwrap();
    synced(&core).await;
    core.sign_out().await.unwrap();
    assert_eq!(
        refresh_tokens(&pool).await,
        (0, 1),
        "the refresh token no longer renews anything"
    );
    core.update_profile(&json!({"full_name": "After sign-out"}))
        .unwrap();
    let status = wait_for(&core, "saved locally", |s| {
        s.state == ava_core::SyncState::SavedLocally && s.pending == 1
    })
    .await;
    assert!(status.error.is_none());
    assert_eq!(
        full_name(&pool).await,
        None,
        "nothing sent without a session"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn another_account_on_this_computer_never_receives_the_first_ones_edits(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let server = world.start_server(([127, 0, 0, 1], 0).into(), JWT).await;
    let (addr, url) = (server.addr, server.url());
    let dir = tempfile::tempdir().unwrap();
    let core = open_core(world.config(dir.path(), &url), &keychain_id());
    core.sign_up("ann@acme.com", PASSWORD).await.unwrap();
    synced(&core).await;

    // Ann's session ends on the server while she has an edit queued.
    server.stop().await;
    sqlx::query("UPDATE refresh_tokens SET revoked_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    let _server = world.start_server(addr, ROTATED_JWT).await;
    core.update_profile(&json!({"full_name": "Ann's unsent edit"}))
        .unwrap();
    wait_for(&core, "sign-in required", |s| {
        s.state == ava_core::SyncState::SignInRequired && s.pending == 1
    })
    .await;

    // Bob, from the same business, signs up on this computer.
    core.sign_up("bob@acme.com", PASSWORD).await.unwrap();
    synced(&core).await;
    let draft = core.snapshot();
    assert_eq!(draft.account.as_ref().unwrap().email, "bob@acme.com");
    assert!(
        draft.profile.full_name.is_none(),
        "Ann's draft is not Bob's"
    );
    let bobs: Option<String> =
        sqlx::query_scalar("SELECT full_name FROM users WHERE email = 'bob@acme.com'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(bobs, None, "nothing of Ann's reached Bob's account");
    assert_eq!(
        full_name(&pool).await,
        None,
        "nor Ann's, without her session"
    );

    // Ann signs back in: her edit was waiting for her, and now arrives.
    core.sign_out().await.unwrap();
    core.sign_in("ann@acme.com", PASSWORD).await.unwrap();
    synced(&core).await;
    assert_eq!(full_name(&pool).await.as_deref(), Some("Ann's unsent edit"));
    assert_eq!(core.snapshot().account.unwrap().email, "ann@acme.com");
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn what_was_filled_in_before_signing_up_is_kept(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let server = world.start_server(([127, 0, 0, 1], 0).into(), JWT).await;
    let dir = tempfile::tempdir().unwrap();
    let core = open_core(world.config(dir.path(), &server.url()), &keychain_id());
    core.fill_os_defaults(Some("Europe/Paris"), "fr_FR.UTF-8");
    core.sign_up("ann@acme.com", PASSWORD).await.unwrap();
    synced(&core).await;
    let draft = core.snapshot();
    assert_eq!(
        draft.profile.timezone.as_ref().map(|t| t.as_str()),
        Some("Europe/Paris")
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn an_upload_whose_key_left_the_keychain_is_not_counted_as_sent(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let server = world.start_server(([127, 0, 0, 1], 0).into(), JWT).await;
    let dir = tempfile::tempdir().unwrap();
    let app_id = keychain_id();
    let core = open_core(world.config(dir.path(), &server.url()), &app_id);
    // Saved before signing in: the upload waits in the outbox for an account.
    core.save_vapi_key(VAPI_KEY, ava_model::VapiMethod::Inline)
        .await
        .unwrap();
    assert_eq!(core.snapshot().outbox.vapi_key, Some(true));
    // Then removed from the keychain behind the app's back (another tool, a keychain reset).
    let keychain = ava_core::secrets::Keychain::open(&app_id).unwrap();
    ava_core::secrets::SecretStore::delete(
        &keychain,
        "local",
        ava_core::secrets::SecretName::VapiKey,
    )
    .unwrap();

    core.sign_up("ann@acme.com", PASSWORD).await.unwrap();
    let status = wait_for(&core, "the missing key reported", |s| {
        s.pending == 0
            && s.refused
                .iter()
                .any(|r| r.field.as_deref() == Some("vapi_api_key"))
    })
    .await;
    let missing = status
        .refused
        .iter()
        .find(|r| r.field.as_deref() == Some("vapi_api_key"))
        .unwrap();
    assert_eq!(missing.code, ava_model::ErrorCode::SecretMissing);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM vapi_credentials")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "nothing was sent");
    assert_eq!(
        core.snapshot().vapi_key_preview,
        None,
        "the key shows as missing, not as configured"
    );
    assert!(!core.vapi_status().await.unwrap().configured);

    // Entering it again clears the message and sends it.
    core.save_vapi_key(VAPI_KEY, ava_model::VapiMethod::Inline)
        .await
        .unwrap();
    assert!(core.snapshot().refused.is_empty());
    synced(&core).await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM vapi_credentials")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 1);
}
