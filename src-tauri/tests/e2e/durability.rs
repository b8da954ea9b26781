//! Nothing typed is lost: a killed app reopens where it was, a crash between an edit and its
//! update to Vapi is made good at the next start, offline edits reach the server later.

use crate::app::*;

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn killed_mid_typing_it_reopens_on_the_same_step_with_the_values(pool: PgPool) {
    // No server at all: the whole wizard works offline.
    let (app, offline) = launch_offline(pool, "en_US.UTF-8").await;
    app.click("#continue-offline").await;
    app.on_step("profile").await;
    app.type_into("#full_name", "Ann Owner").await;
    app.click("#rail-persona").await;
    app.on_step("persona").await;
    app.type_into("#job_to_be_done", "Answer the phone politely")
        .await;
    // The draft reaches the disk within half a second of the last keystroke; kill right then.
    until_draft_has(offline.dir.path(), "Answer the phone politely").await;
    // A second start on the same data folder hands over to the running window and quits.
    let second = tokio::process::Command::new(BINARY)
        .args(["--data-dir", &offline.dir.path().to_string_lossy()])
        .env("AVA_KEYCHAIN_SERVICE", &offline.env.keychain)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .status();
    let second = tokio::time::timeout(WAIT, second).await;
    assert!(
        second
            .as_ref()
            .is_ok_and(|s| s.as_ref().is_ok_and(|s| s.success())),
        "a second start on the same folder did not hand over: {second:?}"
    );
    app.on_step("persona").await;
    app.kill().await;

    let app = App::launch(&offline.env, offline.dir.path()).await;
    app.on_step("persona").await;
    assert_eq!(
        app.value("#job_to_be_done").await,
        "Answer the phone politely"
    );
    app.click("#rail-profile").await;
    app.on_step("profile").await;
    assert_eq!(app.value("#full_name").await, "Ann Owner");
    app.quit().await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn an_edit_whose_update_a_crash_cut_off_reaches_the_live_assistant_at_the_next_start(
    pool: PgPool,
) {
    let _one = ONE_WINDOW.lock().await;
    let world = World::new(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let env = Env::offline(&world, "en_US.UTF-8");
    // The assistant exists: made through the core, on the app's data folder and keychain.
    let (core, _) = ava_testkit::launched_core(&world, dir.path(), &env.keychain).await;
    core.flush().unwrap();
    drop(core);

    let app = App::launch(&env, dir.path()).await;
    app.click("#continue-offline").await;
    // Vapi takes the first update and never answers it.
    world
        .fakes
        .vapi
        .faults
        .add(ava_fakes::FaultRule::next(1, ava_fakes::Fault::Hang).on("PATCH /assistant/{id}"));
    app.click("#rail-persona").await;
    app.on_step("persona").await;
    app.type_into("#guidelines", "v9 Closed on holidays").await;
    let received = world
        .fakes
        .vapi
        .calls
        .wait_received("PATCH /assistant/{id}", 1);
    assert!(
        tokio::time::timeout(WAIT, received).await.is_ok(),
        "an update went out"
    );
    until_draft_has(dir.path(), "v9 Closed on holidays").await;
    app.kill().await;
    assert!(
        !ava_fakes::system_prompt(&world.fakes.vapi.assistants()[0])
            .contains("v9 Closed on holidays"),
        "Vapi did not get it before the crash"
    );

    // At the next start the core sends it, before the window is even used.
    let app = App::launch(&env, dir.path()).await;
    until_live_prompt_contains(&world, "Guidelines: v9 Closed on holidays").await;
    app.quit().await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn offline_edits_sync_when_the_server_returns(pool: PgPool) {
    let (app, online) = launch_signed_up(pool.clone(), "roamer@acme.com").await;
    let addr = online.server.addr;
    app.pill("synced").await;

    online.server.stop().await;
    app.type_into("#organization_name", "Acme on the road")
        .await;
    app.pill("offline").await;
    app.shot("offline-pill").await;

    let server = online.world.start_server(addr, JWT).await;
    app.pill("synced").await;
    app.quit().await;
    let row = user_row(&pool, "roamer@acme.com").await;
    assert_eq!(
        row.get::<Option<String>, _>("organization_name").as_deref(),
        Some("Acme on the road")
    );
    server.stop().await;
}
