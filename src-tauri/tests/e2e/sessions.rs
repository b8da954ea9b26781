//! Sessions that last for days, signing in again in place, and accounts that never mix.

use crate::app::*;

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn sessions_outlive_their_token_sign_in_is_in_place_and_accounts_never_mix(pool: PgPool) {
    let (app, online) = launch_signed_up(pool.clone(), "ann@acme.com").await;
    let addr = online.server.addr;
    app.pill("synced").await;
    let ann = "SELECT full_name FROM users WHERE email = 'ann@acme.com'";

    // The access token stops working (the server's signing key changes, as expiry would):
    // the next edit still reaches PostgreSQL, renewed silently with the refresh token.
    online.server.stop().await;
    let server = online
        .world
        .start_server(addr, "a-rotated-jwt-secret-that-is-long-enough-42")
        .await;
    app.type_into("#full_name", "Ann Renewed").await;
    until_db(&pool, ann, Some("Ann Renewed")).await;
    app.pill("synced").await;

    // The sign-in is ended on the server too: the pill asks, and signing in from it (the
    // e-mail already there) sends what was queued.
    let _server = online
        .world
        .restart_with_every_sign_in_ended(server, "and-a-third-jwt-secret-that-is-long-enough-7")
        .await;
    app.type_into("#full_name", "Ann Queued").await;
    app.pill("sign_in_required").await;
    app.shot("sign-in-required-pill").await;
    app.click("#status-pill").await;
    app.find("#account-submit").await;
    assert_eq!(app.value("#email").await, "ann@acme.com");
    app.shot("sign-in-again").await;
    app.type_into("#password", PASSWORD).await;
    app.click("#account-submit").await;
    app.on_step("profile").await;
    until_db(&pool, ann, Some("Ann Queued")).await;
    app.pill("synced").await;

    // Ann signs out with an edit of hers still unsent; Bob signs up on this computer from the
    // pill. Nothing of Ann's reaches Bob, and Ann's row keeps what she had sent.
    app.click("#open-settings").await;
    app.click("#sign-out").await;
    app.find("#sign-in-later").await;
    app.shot("settings-signed-out").await;
    for (locale, signed_out) in [("fr", "déconnecté"), ("he", "מנותק"), ("en", "signed out")]
    {
        app.choose("language-switch", locale).await;
        app.until(
            &format!("{locale}: signed out"),
            &format!(
                "return document.querySelector('#settings').textContent.includes('{signed_out}')"
            ),
        )
        .await;
        app.shot(&format!("{locale}-settings-signed-out")).await;
    }
    app.click("#close-settings").await;
    app.pill("saved_locally").await;
    app.type_into("#full_name", "Ann, never sent to Bob").await;
    // Bounded wait until the core has it on disk (the window sends edits after a pause).
    let draft = online.dir.path().join("draft.json");
    let deadline = tokio::time::Instant::now() + WAIT;
    while !std::fs::read_to_string(&draft).is_ok_and(|t| t.contains("Ann, never sent to Bob")) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the edit never reached the draft"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.click("#status-pill").await;
    app.click("#tab-sign-up").await;
    sign_up(&app, "bob@acme.com").await;
    app.pill("synced").await;
    assert_eq!(
        app.value("#full_name").await,
        "",
        "Bob does not see Ann's draft"
    );
    let bob = "SELECT full_name FROM users WHERE email = 'bob@acme.com'";
    until_db(&pool, bob, None).await;
    until_db(&pool, ann, Some("Ann Queued")).await;
    app.quit().await;
}

/// Signing out while an edit is still on its way asks first, in the owner's language; "Wait
/// and send" signs out once the server has it.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn signing_out_with_an_unsent_edit_asks_first_in_every_language(pool: PgPool) {
    let _one = ONE_WINDOW.lock().await;
    let world = World::new(pool.clone()).await;
    let gate = Gate::closed("PATCH", "/api/v1/user/studio-config");
    let server = world
        .start_gated_server(([127, 0, 0, 1], 0).into(), JWT, Some(gate.clone()))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let app = App::launch(&Env::new(&world, &server.url(), "en_US.UTF-8"), dir.path()).await;
    sign_up(&app, "ann@acme.com").await;
    app.pill("synced").await;
    app.click("#rail-persona").await;
    app.on_step("persona").await;
    app.type_into("#job_to_be_done", "First Secret Plan").await;
    // The edit's PATCH is held on its way: the server does not have it yet.
    gate.arrived(1).await;
    app.click("#open-settings").await;
    app.click("#sign-out").await;
    app.find("#unsent-confirm").await;
    for (locale, words) in [
        ("en", "1 change is not on the server yet"),
        ("fr", "1 modification n'est pas encore sur le serveur"),
        ("he", "שינוי אחד עדיין לא נמצא בשרת"),
    ] {
        app.choose("language-switch", locale).await;
        app.until(
            &format!("{locale}: the question"),
            &format!(
                "return document.getElementById('unsent-confirm-text').textContent.includes(\"{words}\")"
            ),
        )
        .await;
        app.axe_dialog(&format!("{locale}-sign-out-unsent")).await;
        app.scroll_to("unsent-confirm").await;
        app.shot(&format!("{locale}-sign-out-unsent")).await;
    }
    app.choose("language-switch", "en").await;
    app.click("#unsent-send").await;
    gate.open();
    app.find("#sign-in-later").await;
    until_db(
        &pool,
        "SELECT job_to_be_done FROM users WHERE email = 'ann@acme.com'",
        Some("First Secret Plan"),
    )
    .await;
    let revoked = ava_testkit::count(
        &pool,
        "SELECT count(*) FROM refresh_families WHERE revoked_at IS NOT NULL",
    )
    .await;
    assert_eq!(
        revoked, 1,
        "signed out on the server once the edit was there"
    );
    app.quit().await;
}

/// A sign-in the server ended because its refresh token came back from two places (issue 31)
/// is said in words, in the owner's language, until they sign in again.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_sign_in_ended_for_safety_is_said_in_words(pool: PgPool) {
    let (app, online) = launch_signed_up(pool.clone(), "ann@acme.com").await;
    let addr = online.server.addr;
    app.pill("synced").await;
    // Somebody else spent this computer's refresh token minutes ago; the access token then
    // stops working, so the app renews with a token the server knows was spent elsewhere.
    sqlx::query("UPDATE refresh_tokens SET spent_at = now() - interval '5 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    online.server.stop().await;
    let _server = online
        .world
        .start_server(addr, "a-rotated-jwt-secret-that-is-long-enough-42")
        .await;
    app.type_into("#full_name", "Ann Kept").await;
    app.pill("sign_in_required").await;
    for (locale, words) in [
        ("en", "ended for safety"),
        ("fr", "fermée par sécurité"),
        ("he", "ליתר ביטחון"),
    ] {
        app.choose("language-switch", locale).await;
        app.until(
            &format!("{locale}: the sign-in ended for safety"),
            &format!(
                "const n = document.querySelector('#sign-in-ended-for-safety'); \
                 return !!n && n.getAttribute('role') === 'alert' && n.textContent.includes('{words}')"
            ),
        )
        .await;
        app.shot(&format!("{locale}-sign-in-ended-for-safety"))
            .await;
    }
    app.click("#status-pill").await;
    app.type_into("#password", PASSWORD).await;
    app.click("#account-submit").await;
    until_db(
        &pool,
        "SELECT full_name FROM users WHERE email = 'ann@acme.com'",
        Some("Ann Kept"),
    )
    .await;
    app.pill("synced").await;
    app.until(
        "the notice gone once signed in again",
        "return document.querySelector('#sign-in-ended-for-safety') === null",
    )
    .await;
}

/// One owner, two computers (issue 33): what the other computer saves shows up in the open
/// window without a restart, in place, with a polite notice in the owner's language; the field
/// the owner is typing in keeps what they typed; and a window opened later shows it too.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn what_another_computer_saves_shows_in_the_open_window(pool: PgPool) {
    let _one = ONE_WINDOW.lock().await;
    let (world, server) = World::with_server(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        pull_every_ms: Some(300),
        ..Env::new(&world, &server.url(), "en_US.UTF-8")
    };
    let app = App::launch(&env, dir.path()).await;
    sign_up(&app, "ann@acme.com").await;
    app.type_into("#organization_name", "Acme").await;
    app.pill("synced").await;
    let no_notice = app
        .client
        .execute(
            "return document.querySelector('#pulled-notice') === null",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        no_notice,
        Value::Bool(true),
        "nothing came from elsewhere yet"
    );

    let laptop_dir = tempfile::tempdir().unwrap();
    let laptop = ava_testkit::open_core(
        world.config(laptop_dir.path(), &server.url()),
        &ava_testkit::keychain_id(),
    );
    laptop.sign_in("ann@acme.com", PASSWORD).await.unwrap();
    // The owner is typing their name here while the laptop renames the business.
    app.type_into("#full_name", "Ann Typing").await;
    laptop
        .update_profile(&json!({"organization_name": "Acme From The Laptop", "full_name": "Ann From The Laptop"}))
        .unwrap();
    ava_testkit::synced(&laptop).await;
    app.until(
        "the laptop's name in place",
        "return document.querySelector('#organization_name').value === 'Acme From The Laptop'",
    )
    .await;
    assert_eq!(
        app.value("#full_name").await,
        "Ann Typing",
        "the field being typed in keeps what was typed"
    );
    // … and what it shows is what the account holds: sent again, it arrives last and wins.
    until_db(
        &pool,
        "SELECT full_name FROM users WHERE email = 'ann@acme.com'",
        Some("Ann Typing"),
    )
    .await;
    for (locale, words) in [
        ("en", "another computer"),
        ("fr", "un autre ordinateur"),
        ("he", "במחשב אחר"),
    ] {
        app.choose("language-switch", locale).await;
        app.until(
            &format!("{locale}: the notice"),
            &format!(
                "const n = document.querySelector('#pulled-notice'); \
                 return !!n && n.getAttribute('role') === 'status' && n.textContent.includes('{words}')"
            ),
        )
        .await;
        app.shot(&format!("{locale}-pulled-notice")).await;
    }
    app.choose("language-switch", "en").await;
    app.pill("synced").await;
    app.quit().await;

    // Saved elsewhere while this window was closed: shown once it opens again.
    laptop
        .update_studio(&json!({"guidelines": "Saved while the office was closed"}))
        .unwrap();
    laptop
        .update_profile(&json!({"organization_name": "Acme After Restart"}))
        .unwrap();
    ava_testkit::synced(&laptop).await;
    let app = App::launch(&env, dir.path()).await;
    app.until(
        "the name saved elsewhere after the restart",
        "return document.querySelector('#organization_name').value === 'Acme After Restart'",
    )
    .await;
    assert_eq!(app.value("#full_name").await, "Ann Typing");
    app.quit().await;
}
