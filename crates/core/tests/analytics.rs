//! The seed's onboarding events, from the core's actions to PostgreSQL through the real server:
//! the exact sequence for a happy path, a skip path and a Settings round trip, each event once,
//! and nothing in them that names the owner.

use ava_core::AssistantChoices;
use ava_model::{Move, Step, VapiMethod};
use ava_testkit::*;
use serde_json::{Value, json};
use sqlx::PgPool;

/// (name, properties) of every stored event, in the order they happened.
async fn stored(pool: &PgPool) -> Vec<(String, Value)> {
    sqlx::query_as(
        "SELECT name, properties FROM onboarding_events ORDER BY occurred_at, received_at",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn all_sent(core: &ava_core::Onboarding) {
    wait_for(core, "every event sent", |s| {
        s.state == ava_core::SyncState::Synced && s.pending == 0
    })
    .await;
    core.sync_now().await.unwrap();
    assert!(core.snapshot().analytics.pending.is_empty());
}

fn continue_through(core: &ava_core::Onboarding, steps: &[(Step, Move)]) {
    for (step, how) in steps {
        core.go_to(*step).unwrap();
        core.move_to(step.next(), *how).unwrap();
    }
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn the_happy_path_records_the_seeds_events_once_each(pool: PgPool) {
    let (world, server) = World::with_server(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let core = open_core(world.config(dir.path(), &server.url()), &keychain_id());
    core.sign_up("ann@acme.com", PASSWORD).await.unwrap();
    core.update_profile(&json!({"full_name": "Ann Owner", "organization_name": "Acme Dental", "accept_terms": true}))
        .unwrap();
    continue_through(&core, &[(Step::Profile, Move::Continue)]);
    core.save_vapi_key(VAPI_KEY, VapiMethod::Inline)
        .await
        .unwrap();
    continue_through(
        &core,
        &[
            (Step::Vapi, Move::Continue),
            (Step::Persona, Move::Continue),
        ],
    );
    core.save_twilio(TWILIO_SID, TWILIO_TOKEN, Some(TWILIO_NUMBER))
        .await
        .unwrap();
    continue_through(
        &core,
        &[
            (Step::Twilio, Move::Continue),
            (Step::Telephony, Move::Continue),
            (Step::Integrations, Move::Continue),
        ],
    );
    core.provision(&AssistantChoices {
        name: Some("Ava".into()),
        ..AssistantChoices::default()
    })
    .await
    .unwrap();
    // A second run adopts the same assistant: not a second creation.
    core.provision(&AssistantChoices::default()).await.unwrap();
    continue_through(
        &core,
        &[
            (Step::Assistant, Move::Continue),
            (Step::Plan, Move::Continue),
        ],
    );
    // Moving through the rail records nothing.
    core.go_to(Step::Persona).unwrap();
    core.go_to(Step::Done).unwrap();
    core.complete().unwrap();
    core.complete().unwrap();
    all_sent(&core).await;

    let events = stored(&pool).await;
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    let mut expected = vec![
        "onboarding_started",
        "onboarding_step_completed",
        "vapi_configured",
    ];
    expected.extend(["onboarding_step_completed"; 5]);
    expected.extend([
        "assistant_created",
        "onboarding_step_completed",
        "onboarding_step_completed",
        "onboarding_completed",
    ]);
    assert_eq!(names, expected);
    let steps: Vec<i64> = events
        .iter()
        .filter(|(n, _)| n == "onboarding_step_completed")
        .map(|(_, p)| p["step_number"].as_i64().unwrap())
        .collect();
    assert_eq!(steps, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(events[2].1, json!({"method": "inline"}));
    let created = &events[8].1;
    assert_eq!(created["name"], "Ava");
    assert_eq!(created["from"], "onboarding");
    let completed = &events.last().unwrap().1;
    assert_eq!(completed["steps_skipped"], json!([]));
    assert_eq!(completed["plan_selected"], "free");
    assert!(completed["duration_seconds"].as_i64().unwrap() >= 0);

    // Nothing that names or reaches the owner, nothing secret.
    let everything: Vec<String> =
        sqlx::query_scalar("SELECT properties::text || context::text FROM onboarding_events")
            .fetch_all(&pool)
            .await
            .unwrap();
    let everything = everything.concat();
    for private in [
        "ann@acme.com",
        "Ann Owner",
        "Acme Dental",
        TWILIO_NUMBER,
        TWILIO_TOKEN,
        TWILIO_SID,
        VAPI_KEY,
        PASSWORD,
    ] {
        assert!(!everything.contains(private), "{private} in an event");
    }
    server.stop().await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn skips_and_a_settings_round_trip_are_told_apart(pool: PgPool) {
    let (world, server) = World::with_server(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let core = open_core(world.config(dir.path(), &server.url()), &keychain_id());
    core.sign_up("bob@acme.com", PASSWORD).await.unwrap();
    core.update_profile(&json!({"accept_terms": true})).unwrap();
    core.update_studio(&json!({"plan": "pro"})).unwrap();
    continue_through(&core, &[(Step::Profile, Move::Continue)]);
    core.skip(ava_ipc::Provider::Vapi).unwrap();
    continue_through(
        &core,
        &[(Step::Vapi, Move::Skip), (Step::Persona, Move::Continue)],
    );
    core.skip(ava_ipc::Provider::Twilio).unwrap();
    continue_through(&core, &[(Step::Twilio, Move::Skip)]);
    // Later, the key is saved from Settings after all.
    core.save_vapi_key(VAPI_KEY, VapiMethod::Settings)
        .await
        .unwrap();
    core.go_to(Step::Done).unwrap();
    core.complete().unwrap();
    all_sent(&core).await;

    let events = stored(&pool).await;
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "onboarding_started",
            "onboarding_step_completed",
            "onboarding_step_skipped",
            "onboarding_step_completed",
            "onboarding_step_skipped",
            "vapi_configured",
            "onboarding_completed",
        ]
    );
    assert_eq!(events[2].1, json!({"step_id": "vapi", "step_number": 2}));
    assert_eq!(events[4].1, json!({"step_id": "twilio", "step_number": 4}));
    assert_eq!(events[5].1, json!({"method": "settings"}));
    let completed = &events[6].1;
    assert_eq!(completed["steps_skipped"], json!(["vapi", "twilio"]));
    assert_eq!(completed["plan_selected"], "pro");

    // Sharing turned off: what was not sent is gone, and nothing more is recorded.
    core.set_usage_sharing(false).unwrap();
    core.go_to(Step::Profile).unwrap();
    core.move_to(Step::Vapi, Move::Continue).unwrap();
    assert!(core.snapshot().analytics.pending.is_empty());
    server.stop().await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn events_recorded_offline_before_signing_up_arrive_once(pool: PgPool) {
    let (world, server) = World::with_server(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let app = keychain_id();
    {
        // Working offline (no account yet), then the app is closed.
        let core = open_core(world.config(dir.path(), &server.url()), &app);
        core.begin().unwrap();
        continue_through(&core, &[(Step::Profile, Move::Continue)]);
        assert_eq!(core.snapshot().analytics.pending.len(), 2);
    }
    let core = open_core(world.config(dir.path(), &server.url()), &app);
    assert_eq!(core.snapshot().analytics.pending.len(), 2, "kept on disk");
    core.sign_up("cy@acme.com", PASSWORD).await.unwrap();
    all_sent(&core).await;
    let names: Vec<String> = stored(&pool).await.into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["onboarding_started", "onboarding_step_completed"],
        "started once, sent once"
    );
    server.stop().await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn an_event_recorded_just_before_a_sigkill_arrives_once_after_the_restart(pool: PgPool) {
    use std::io::{BufRead, BufReader};
    let (world, server) = World::with_server(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ava-event-recorder"))
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "recorded");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let app = keychain_id();
    for _ in 0..2 {
        // Restarted (twice: the second run must not send it again).
        let core = open_core(world.config(dir.path(), &server.url()), &app);
        if core.snapshot().account.is_none() {
            core.sign_up("dee@acme.com", PASSWORD).await.unwrap();
        }
        all_sent(&core).await;
    }
    let names: Vec<String> = stored(&pool).await.into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["onboarding_started"]);
    server.stop().await;
}
