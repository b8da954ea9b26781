//! One owner, two computers: two cores on two data folders and two keychain scopes, signed in
//! to one account on the real server. What one saves shows up on the other within a pull,
//! nothing older comes back (to our server or to the live assistant), and an edit made offline
//! arrives last and wins on both (arrival order: docs/architecture.md, "Several computers").

use std::time::Duration;

use ava_core::{CoreConfig, Onboarding};
use ava_testkit::*;
use serde_json::{Value, json};
use sqlx::PgPool;

/// Pulls often, so a test waits for a pull (by watching for it), never for a clock.
fn eager(config: CoreConfig) -> CoreConfig {
    CoreConfig {
        pull_every: Duration::from_millis(100),
        ..config
    }
}

/// A computer of Ann's, pulling often, against `server`; signed up when `first`, signed in
/// otherwise.
async fn anns_computer(
    world: &World,
    server: &Server,
    folder: &std::path::Path,
    first: bool,
) -> Onboarding {
    let core = open_core(eager(world.config(folder, &server.url())), &keychain_id());
    if first {
        core.sign_up("ann@acme.com", PASSWORD).await.unwrap();
    } else {
        core.sign_in("ann@acme.com", PASSWORD).await.unwrap();
    }
    core
}

/// Waits, watching the core's pulls, until its draft satisfies `want`.
async fn shows(core: &Onboarding, what: &str, want: impl Fn(&ava_core::Draft) -> bool) {
    let mut pulled = core.pulled();
    let waited = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if want(&core.snapshot()) {
                return;
            }
            if pulled.changed().await.is_err() {
                return;
            }
        }
    })
    .await;
    assert!(
        waited.is_ok() && want(&core.snapshot()),
        "timed out waiting for {what}; the draft has {:?}",
        core.snapshot().studio
    );
}

fn guidelines(core: &Onboarding) -> Option<String> {
    core.snapshot()
        .studio
        .guidelines
        .map(|g| g.as_str().to_owned())
}

async fn stored(pool: &PgPool, column: &str) -> Option<String> {
    sqlx::query_scalar(&format!(
        "SELECT {column}::text FROM users WHERE email = 'ann@acme.com'"
    ))
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn what_one_computer_saves_shows_on_the_other_and_nothing_is_undone(pool: PgPool) {
    let (world, server) = World::with_server(pool.clone()).await;
    let (office, laptop) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = anns_computer(&world, &server, office.path(), true).await;
    a.update_profile(&json!({"organization_name": "Acme Dental"}))
        .unwrap();
    synced(&a).await;

    let b = anns_computer(&world, &server, laptop.path(), false).await;
    assert_eq!(
        b.snapshot().profile.organization_name.unwrap().as_str(),
        "Acme Dental",
        "the second computer starts from the server's copy"
    );
    b.update_studio(&json!({"guidelines": "Written on the laptop"}))
        .unwrap();
    synced(&b).await;

    shows(&a, "the laptop's guidelines on the office computer", |d| {
        d.studio.guidelines.as_ref().map(|g| g.as_str()) == Some("Written on the laptop")
    })
    .await;
    let notice = a.pulled().borrow().clone();
    assert!(
        notice
            .fields
            .contains(&ava_model::StudioField::guidelines.into()),
        "the window is told which fields came from elsewhere: {notice:?}"
    );

    // The office edits another field: the laptop's guidelines are not sent back over.
    let before = server.patches().len();
    a.update_profile(&json!({"full_name": "Ann at the office"}))
        .unwrap();
    synced(&a).await;
    assert_eq!(
        server.patches()[before..],
        [(
            "/api/v1/user/profile".to_owned(),
            json!({"full_name": "Ann at the office"})
        )],
        "only what the office changed"
    );
    assert_eq!(
        stored(&pool, "guidelines").await.as_deref(),
        Some("Written on the laptop")
    );
    shows(&b, "the office's name on the laptop", |d| {
        d.profile.full_name.as_ref().map(|n| n.as_str()) == Some("Ann at the office")
    })
    .await;
    assert_eq!(guidelines(&b).as_deref(), Some("Written on the laptop"));
    server.stop().await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn an_edit_made_offline_arrives_last_and_wins_on_both_computers(pool: PgPool) {
    let (world, server) = World::with_server(pool.clone()).await;
    let (office, laptop) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = anns_computer(&world, &server, office.path(), true).await;
    synced(&a).await;
    // The laptop reaches the same database through a replica of its own.
    let replica = world.start_server(([127, 0, 0, 1], 0).into(), JWT).await;
    let b = anns_computer(&world, &replica, laptop.path(), false).await;
    synced(&b).await;

    // The office loses its server and edits the guidelines; the laptop edits them too.
    let office_addr = server.addr;
    server.stop().await;
    a.update_studio(&json!({"guidelines": "Edited offline at the office"}))
        .unwrap();
    wait_for(&a, "the office offline", |s| {
        s.state == ava_ipc::SyncState::Offline
    })
    .await;
    b.update_studio(&json!({"guidelines": "Edited on the laptop"}))
        .unwrap();
    synced(&b).await;
    assert_eq!(
        guidelines(&a).as_deref(),
        Some("Edited offline at the office"),
        "offline, the office keeps what its owner typed"
    );

    // Back online: the office's edit, still queued, arrives last and wins.
    let back = world.start_server(office_addr, JWT).await;
    synced(&a).await;
    assert_eq!(
        stored(&pool, "guidelines").await.as_deref(),
        Some("Edited offline at the office")
    );
    shows(&b, "the office's later edit on the laptop", |d| {
        d.studio.guidelines.as_ref().map(|g| g.as_str()) == Some("Edited offline at the office")
    })
    .await;
    a.pull_now().await.unwrap();
    assert_eq!(
        guidelines(&a).as_deref(),
        Some("Edited offline at the office")
    );
    back.stop().await;
    replica.stop().await;
}

/// The office created Ava; the laptop edits her guidelines. Returns the office, the laptop and
/// the assistant's id, once the laptop's edit is on the server.
async fn office_created_ava_laptop_edits(
    world: &World,
    server: &Server,
    keys_on_the_office_only: bool,
    folders: (&std::path::Path, &std::path::Path),
) -> (Onboarding, Onboarding, String, String) {
    let office_keychain = keychain_id();
    let (a, id) = launched_core_on(
        eager(world.config(folders.0, &server.url())),
        &office_keychain,
    )
    .await;
    if keys_on_the_office_only {
        a.set_keys_local_only(true).await.unwrap();
    }
    a.sign_up("ann@acme.com", PASSWORD).await.unwrap();
    synced(&a).await;
    let b = anns_computer(world, server, folders.1, false).await;
    assert_eq!(
        b.snapshot().studio.assistant_choices().name.as_deref(),
        Some("Ava Dental"),
        "the laptop knows the assistant's name without creating it"
    );
    (a, b, id, office_keychain)
}

fn has_laptop_guidelines(body: &Value) -> bool {
    ava_fakes::system_prompt(body).contains("From the laptop")
}

/// The server holds the key (the default): it applies the laptop's edit to the live assistant
/// while the office is closed, and both computers hear that Ava is up to date.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn with_the_key_on_the_server_an_edit_anywhere_reaches_ava(pool: PgPool) {
    let (world, server) = World::with_server(pool.clone()).await;
    let (office, laptop) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b, id, office_keychain) =
        office_created_ava_laptop_edits(&world, &server, false, (office.path(), laptop.path()))
            .await;
    assert_eq!(
        stored(&pool, "assistant_name").await.as_deref(),
        Some("Ava Dental"),
        "step 7's choices are on the server, for the other computers"
    );
    // The office is closed.
    drop(a);
    b.update_studio(&json!({"guidelines": "From the laptop"}))
        .unwrap();
    synced(&b).await;
    wait_for(&b, "the laptop told Ava is up to date", |s| {
        s.assistant == ava_ipc::AssistantSync::UpToDate
    })
    .await;
    let patches = world.fakes.vapi.assistant_patches(&id);
    assert!(
        patches.last().is_some_and(has_laptop_guidelines),
        "the server updated her: {patches:#?}"
    );
    assert!(has_laptop_guidelines(
        &world.fakes.vapi.assistant(&id).unwrap()
    ));

    // The office opens again: it sends Vapi nothing of its own, and says she is up to date.
    let before = world.fakes.vapi.assistant_patches(&id).len();
    let a = open_core(
        eager(world.config(office.path(), &server.url())),
        &office_keychain,
    );
    a.pull_now().await.unwrap();
    wait_for(&a, "the office told Ava is up to date", |s| {
        s.assistant == ava_ipc::AssistantSync::UpToDate
    })
    .await;
    assert_eq!(world.fakes.vapi.assistant_patches(&id).len(), before);
    server.stop().await;
}

/// "Keys on this computer only": the office keeps Ava up to date; the laptop says so, and the
/// office builds her from what every computer saved.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn with_the_key_on_one_computer_it_passes_every_edit_on(pool: PgPool) {
    let (world, server) = World::with_server(pool.clone()).await;
    let (office, laptop) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b, id, _) =
        office_created_ava_laptop_edits(&world, &server, true, (office.path(), laptop.path()))
            .await;
    wait_for(&b, "the laptop told the office keeps Ava up to date", |s| {
        s.assistant == ava_ipc::AssistantSync::UpdatedElsewhere
    })
    .await;
    b.update_studio(&json!({"guidelines": "From the laptop"}))
        .unwrap();
    synced(&b).await;

    // The office merges it and updates the live assistant with it.
    shows(&a, "the laptop's guidelines at the office", |d| {
        d.studio.guidelines.as_ref().map(|g| g.as_str()) == Some("From the laptop")
    })
    .await;
    world
        .fakes
        .vapi
        .calls
        .wait_handled("PATCH /assistant/{id}", 1)
        .await;
    wait_for(&a, "the live assistant up to date", |s| {
        s.assistant == ava_ipc::AssistantSync::UpToDate
    })
    .await;
    // The office changes the tone: what it sends Vapi still carries the laptop's guidelines.
    let before = world.fakes.vapi.assistant_patches(&id).len();
    a.update_studio(&json!({"tone": "friendly"})).unwrap();
    world
        .fakes
        .vapi
        .calls
        .wait_handled("PATCH /assistant/{id}", before + 1)
        .await;
    wait_for(&a, "the live assistant up to date", |s| {
        s.assistant == ava_ipc::AssistantSync::UpToDate
    })
    .await;
    let patches = world.fakes.vapi.assistant_patches(&id);
    assert!(
        patches.iter().all(has_laptop_guidelines),
        "no update took the laptop's guidelines back out: {patches:#?}"
    );
    let live = world.fakes.vapi.assistant(&id).unwrap();
    assert!(has_laptop_guidelines(&live));
    assert!(ava_fakes::system_prompt(&live).contains("warm and friendly"));
    server.stop().await;
}
