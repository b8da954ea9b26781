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

/// Ann, signed up and synced on a core of her own against a fresh server.
async fn ann_signed_up(world: &World, dir: &std::path::Path) -> (Server, ava_core::Onboarding) {
    let server = world.start_server(([127, 0, 0, 1], 0).into(), JWT).await;
    let core = open_core(world.config(dir, &server.url()), &keychain_id());
    core.sign_up("ann@acme.com", PASSWORD).await.unwrap();
    synced(&core).await;
    (server, core)
}

/// [`ann_signed_up`] on a server whose studio PATCHes wait at `gate`; a held request outlasts
/// anything the test does meanwhile, however slow the machine.
async fn ann_behind(
    world: &World,
    gate: &Gate,
    dir: &std::path::Path,
) -> (Server, ava_core::Onboarding) {
    let server = world
        .start_gated_server(([127, 0, 0, 1], 0).into(), JWT, Some(gate.clone()))
        .await;
    let config = ava_core::CoreConfig {
        request_timeout: std::time::Duration::from_secs(600),
        ..world.config(dir, &server.url())
    };
    let core = open_core(config, &keychain_id());
    core.sign_up("ann@acme.com", PASSWORD).await.unwrap();
    synced(&core).await;
    (server, core)
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_refused_access_token_is_renewed_silently_and_the_edit_arrives(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let (server, core) = ann_signed_up(&world, dir.path()).await;
    let addr = server.addr;
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
async fn a_renewal_whose_answer_is_lost_is_retried_without_asking_to_sign_in(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let (server, core) = ann_signed_up(&world, dir.path()).await;
    let addr = server.addr;
    // The access token is refused; the server then rotates the refresh token but the answer
    // never arrives, so the core still holds the token the server has just spent.
    server.stop().await;
    let _server = world
        .start_server_losing(
            addr,
            ROTATED_JWT,
            LostAnswers::next(1, "POST", "/api/v1/auth/refresh"),
        )
        .await;
    core.update_profile(&json!({"full_name": "Ann After A Lost Answer"}))
        .unwrap();
    let status = synced(&core).await;
    assert!(status.error.is_none(), "no sign-in asked for: {status:?}");
    assert_eq!(
        full_name(&pool).await.as_deref(),
        Some("Ann After A Lost Answer")
    );
    assert_eq!(
        refresh_tokens(&pool).await,
        (1, 0),
        "one token spent, and its successor handed again to the retry: nothing retired"
    );
    let revoked = count(
        &pool,
        "SELECT count(*) FROM refresh_families WHERE revoked_at IS NOT NULL",
    )
    .await;
    assert_eq!(revoked, 0);
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_sign_in_ended_for_safety_is_told_as_such_and_keeps_the_edit(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let (server, core) = ann_signed_up(&world, dir.path()).await;
    let addr = server.addr;
    // Somebody else spent the refresh token this computer holds, a while ago: when the core
    // renews with it, the server sees a spent token coming back and ends the sign-in.
    sqlx::query("UPDATE refresh_tokens SET spent_at = now() - interval '5 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    server.stop().await;
    let _server = world.start_server(addr, ROTATED_JWT).await;
    core.update_profile(&json!({"full_name": "Ann Kept"}))
        .unwrap();
    let status = wait_for(&core, "sign-in ended for safety", |s| {
        s.state == ava_core::SyncState::SignInRequired
    })
    .await;
    assert_eq!(
        status.error.map(|e| e.code),
        Some(ava_model::ErrorCode::RefreshTokenReused),
        "the window can say why"
    );
    assert_eq!(status.pending, 1, "the edit waits for the next sign-in");
    let revoked = count(
        &pool,
        "SELECT count(*) FROM refresh_families WHERE revoked_at IS NOT NULL",
    )
    .await;
    assert_eq!(revoked, 1, "the whole sign-in ended on the server");
    core.sign_in("ann@acme.com", PASSWORD).await.unwrap();
    synced(&core).await;
    assert_eq!(full_name(&pool).await.as_deref(), Some("Ann Kept"));
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn signing_out_ends_the_sign_in_on_the_server(pool: PgPool) {
    let (world, server) = World::with_server(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let core = open_core(world.config(dir.path(), &server.url()), &keychain_id());
    core.sign_up("ann@acme.com", PASSWORD).await.unwrap();
    synced(&core).await;
    core.sign_out(ava_ipc::UnsentEdits::KeepForNextSignIn)
        .await
        .unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    let (server, core) = ann_signed_up(&world, dir.path()).await;

    // Ann's session ends on the server while she has an edit queued.
    let _server = world
        .restart_with_every_sign_in_ended(server, ROTATED_JWT)
        .await;
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
    core.sign_out(ava_ipc::UnsentEdits::KeepForNextSignIn)
        .await
        .unwrap();
    core.sign_in("ann@acme.com", PASSWORD).await.unwrap();
    synced(&core).await;
    assert_eq!(full_name(&pool).await.as_deref(), Some("Ann's unsent edit"));
    assert_eq!(core.snapshot().account.unwrap().email, "ann@acme.com");
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn what_was_filled_in_before_signing_up_is_kept(pool: PgPool) {
    let (world, server) = World::with_server(pool.clone()).await;
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
    let (world, server) = World::with_server(pool.clone()).await;
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
                .any(|r| r.field.map(|f| f.as_str()) == Some("vapi_api_key"))
    })
    .await;
    let missing = status
        .refused
        .iter()
        .find(|r| r.field.map(|f| f.as_str()) == Some("vapi_api_key"))
        .unwrap();
    assert_eq!(missing.code, ava_model::ErrorCode::SecretMissing);
    let stored = count(&pool, "SELECT count(*) FROM vapi_credentials").await;
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
    let stored = count(&pool, "SELECT count(*) FROM vapi_credentials").await;
    assert_eq!(stored, 1);
}

/// The preview of the Vapi key the server holds for `email`, if any.
async fn server_vapi_preview(pool: &PgPool, email: &str) -> Option<String> {
    sqlx::query_scalar(
        "SELECT c.vapi_api_key_preview FROM vapi_credentials c JOIN users u ON u.id = c.user_id
         WHERE u.email = $1",
    )
    .bind(email)
    .fetch_optional(pool)
    .await
    .unwrap()
    .flatten()
}

async fn server_guidelines(pool: &PgPool, email: &str) -> Option<String> {
    sqlx::query_scalar("SELECT guidelines FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A sync round still waiting on a slow request when another account signs in on this computer
/// works for the first account only: whatever the second one enters here is never
/// sent with the first one's token, and the first one's answer acknowledges nothing of the
/// second one's outbox.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_round_held_open_across_an_account_switch_sends_nothing_of_the_next_account(
    pool: PgPool,
) {
    let world = World::new(pool.clone()).await;
    const BOB_KEY: &str = "vapi-bob-key-00000099";
    world.fakes.vapi.add_key(BOB_KEY);
    let gate = Gate::closed("PATCH", "/api/v1/user/studio-config");
    let dir = tempfile::tempdir().unwrap();
    let (_server, core) = ann_behind(&world, &gate, dir.path()).await;
    core.save_vapi_key(VAPI_KEY, ava_model::VapiMethod::Inline)
        .await
        .unwrap();
    core.update_studio(&json!({"guidelines": "Ann's guidelines"}))
        .unwrap();
    // Ann's round is now held on its studio PATCH, her key still queued behind it.
    gate.arrived(1).await;

    // Bob signs in on this computer without Ann signing out: her token stays valid, so the
    // request held for her succeeds once let through.
    core.sign_up("bob@acme.com", PASSWORD).await.unwrap();
    core.save_vapi_key(BOB_KEY, ava_model::VapiMethod::Inline)
        .await
        .unwrap();
    core.update_studio(&json!({"guidelines": "Bob's guidelines"}))
        .unwrap();
    // Ann's request now returns, into a computer that works for Bob.
    gate.open();
    let status = synced(&core).await;
    assert_eq!(status.pending, 0, "{status:?}");

    assert_eq!(
        server_guidelines(&pool, "bob@acme.com").await.as_deref(),
        Some("Bob's guidelines"),
        "Bob's edit was sent, not acknowledged by Ann's answer"
    );
    assert_eq!(
        server_vapi_preview(&pool, "bob@acme.com").await.as_deref(),
        Some("****0099")
    );
    assert_ne!(
        server_vapi_preview(&pool, "ann@acme.com").await.as_deref(),
        Some("****0099"),
        "Bob's key never reaches Ann's account"
    );
    assert_eq!(
        server_guidelines(&pool, "ann@acme.com").await.as_deref(),
        Some("Ann's guidelines"),
        "the request already on its way lands where it was addressed"
    );
    // Ann's key waits in her draft, set aside here until she signs in again.
    core.sign_in("ann@acme.com", PASSWORD).await.unwrap();
    synced(&core).await;
    assert_eq!(
        server_guidelines(&pool, "ann@acme.com").await.as_deref(),
        Some("Ann's guidelines")
    );
    assert_eq!(
        server_vapi_preview(&pool, "ann@acme.com").await.as_deref(),
        Some(&*format!("****{}", &VAPI_KEY[VAPI_KEY.len() - 4..])),
        "her own key arrives with her own next session"
    );
}

/// "Keys on this computer only" turned on while a sync round is under way, its key upload still
/// queued behind a slow request: the round sees the switch before the upload and sends nothing.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn keys_kept_local_during_a_round_are_never_uploaded_by_it(pool: PgPool) {
    let world = World::new(pool.clone()).await;
    let gate = Gate::closed("PATCH", "/api/v1/user/studio-config");
    let dir = tempfile::tempdir().unwrap();
    let (_server, core) = ann_behind(&world, &gate, dir.path()).await;
    core.update_studio(&json!({"guidelines": "Be kind"}))
        .unwrap();
    gate.arrived(1).await;
    // The round is held on its PATCH; the key is entered and queued behind it.
    core.save_vapi_key(VAPI_KEY, ava_model::VapiMethod::Inline)
        .await
        .unwrap();
    core.set_keys_local_only(true).await.unwrap();
    gate.open();
    synced(&core).await;
    assert_eq!(
        server_guidelines(&pool, "ann@acme.com").await.as_deref(),
        Some("Be kind")
    );
    assert_eq!(
        server_vapi_preview(&pool, "ann@acme.com").await,
        None,
        "the key stayed on this computer"
    );
    let stored = count(&pool, "SELECT count(*) FROM vapi_credentials").await;
    assert_eq!(stored, 0);
}

/// Signing out with edits the server does not have yet asks first; "wait and send" signs out
/// only once they are all there, and leaves the owner signed in while the server is away.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn signing_out_with_unsent_edits_asks_and_can_send_them_first(pool: PgPool) {
    use ava_ipc::UnsentEdits;
    let world = World::new(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let (server, core) = ann_signed_up(&world, dir.path()).await;
    let addr = server.addr;
    server.stop().await;
    core.update_profile(&json!({"organization_name": "First Secret Org"}))
        .unwrap();

    let asked = core.sign_out(UnsentEdits::Ask).await.unwrap_err();
    assert_eq!(asked.code(), ava_model::ErrorCode::UnsentEdits);
    let away = core.sign_out(UnsentEdits::SendFirst).await.unwrap_err();
    assert_eq!(away.code(), ava_model::ErrorCode::Offline, "{away}");
    assert_ne!(
        core.status().borrow().state,
        ava_ipc::SyncState::SavedLocally,
        "still signed in"
    );
    assert_eq!(core.status().borrow().pending, 1, "the edit still queued");

    let _server = world.start_server(addr, JWT).await;
    core.sign_out(UnsentEdits::SendFirst).await.unwrap();
    let organization: Option<String> =
        sqlx::query_scalar("SELECT organization_name FROM users WHERE email = 'ann@acme.com'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(organization.as_deref(), Some("First Secret Org"));
    let (_, revoked) = refresh_tokens(&pool).await;
    assert_eq!(revoked, 1, "and then signed out on the server too");
    core.sign_out(UnsentEdits::Ask)
        .await
        .expect("nothing unsent: no question");
}
