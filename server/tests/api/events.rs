//! `POST /api/v1/events`, the funnel report over what it stored, and forwarding to PostHog.

use ava_fakes::{FakePostHog, Fault};
use axum::http::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::*;

pub fn event(n: u32, name: &str, properties: Value) -> Value {
    json!({
        "id": format!("00000000-0000-4000-8000-{n:012}"),
        "name": name,
        "occurred_at": "2026-11-30T09:00:00Z",
        "properties": properties,
        "context": {"app_version": "0.1.0", "os": "linux", "locale": "en"},
    })
}

fn at(mut e: Value, time: &str) -> Value {
    e["occurred_at"] = json!(time);
    e
}

/// An account made on 2026-09-01: the events below are dated in October and November, and an
/// event may not be older than its account.
async fn signed_up_early(app: &TestApp, email: &str) -> (String, i64) {
    let (token, id) = app.register(email).await;
    sqlx::query("UPDATE users SET created_at = '2026-09-01T00:00:00Z' WHERE id = $1")
        .bind(i32::try_from(id).unwrap())
        .execute(&app.pool)
        .await
        .unwrap();
    (token, id)
}

async fn stored(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM onboarding_events")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn an_event_is_stored_once_however_often_it_is_sent(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (alice, _) = signed_up_early(&app, "alice@acme.com").await;
    let (bob, _) = signed_up_early(&app, "bob@acme.com").await;
    let batch = json!({"events": [
        event(1, "onboarding_started", json!({})),
        event(2, "onboarding_step_completed", json!({"step_id": "profile", "step_number": 1, "skipped": false})),
        // The same event twice in one batch (a client that resent inside its own queue).
        event(2, "onboarding_step_completed", json!({"step_id": "profile", "step_number": 1, "skipped": false})),
    ]});
    let first = app.post("/api/v1/events", &alice, batch.clone()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body, json!({"accepted": 2, "duplicates": 1}));
    // The answer was lost and the batch comes again.
    let again = app.post("/api/v1/events", &alice, batch.clone()).await;
    assert_eq!(again.body, json!({"accepted": 0, "duplicates": 3}));
    // Another user's events with the same ids are that user's own.
    let other = app.post("/api/v1/events", &bob, batch).await;
    assert_eq!(other.body, json!({"accepted": 2, "duplicates": 1}));
    assert_eq!(stored(&app.pool).await, 4);
    let per_user: Vec<(String, i64)> = sqlx::query_as(
        "SELECT u.email, count(*) FROM onboarding_events e JOIN users u ON u.id = e.user_id
         GROUP BY u.email ORDER BY u.email",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        per_user,
        [
            ("alice@acme.com".to_owned(), 2),
            ("bob@acme.com".to_owned(), 2)
        ]
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_bad_event_is_refused_naming_it_and_nothing_of_the_batch_is_stored(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (token, _) = signed_up_early(&app, "ann@acme.com").await;
    let reply = app
        .post(
            "/api/v1/events",
            &token,
            json!({"events": [
                event(1, "onboarding_started", json!({})),
                event(2, "onboarding_step_skipped", json!({"step_id": "twilio", "step_number": "4"})),
                event(3, "page_viewed", json!({})),
                at(event(4, "vapi_configured", json!({"method": "inline", "email": "ann@acme.com"})), "2099-01-01T00:00:00Z"),
            ]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = reply.field_codes();
    for expected in [
        ("events[1].properties.step_number", "wrong_type"),
        ("events[2].name", "invalid_choice"),
        ("events[3].properties.email", "unknown_field"),
        ("events[3].occurred_at", "in_the_future"),
    ] {
        assert!(
            fields.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} not in {fields:?}"
        );
    }
    assert_eq!(stored(&app.pool).await, 0);
    let too_many = json!({"events": (0..101).map(|i| event(i, "onboarding_started", json!({}))).collect::<Vec<_>>()});
    let reply = app.post("/api/v1/events", &token, too_many).await;
    assert_eq!(
        reply.field_codes(),
        [("events".to_owned(), "too_many_items".to_owned())]
    );
}

/// Six owners, their events written by hand, and the report's figures checked against what
/// the definitions say (README, `report.rs`).
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn the_funnel_report_counts_what_the_owners_did(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let step = |n: u32, id: &str, number: u32, skipped: bool| {
        if skipped {
            event(
                n,
                "onboarding_step_skipped",
                json!({"step_id": id, "step_number": number}),
            )
        } else {
            event(
                n,
                "onboarding_step_completed",
                json!({"step_id": id, "step_number": number, "skipped": false}),
            )
        }
    };
    // Steps 1–8 (Done has no Continue).
    let steps = &ava_model::Step::NAMES[..8];
    let through = |base: u32, skip: &[u32]| -> Vec<Value> {
        let mut events = vec![event(base, "onboarding_started", json!({}))];
        for (i, id) in steps.iter().enumerate() {
            let number = i as u32 + 1;
            events.push(step(base + number, id, number, skip.contains(&number)));
        }
        events
    };
    let launched = |base: u32, seconds: u32, skipped: &[&str], plan: &str| {
        event(
            base + 20,
            "onboarding_completed",
            json!({"duration_seconds": seconds, "steps_skipped": skipped, "plan_selected": plan}),
        )
    };
    let assistant = |base: u32| {
        event(
            base + 21,
            "assistant_created",
            json!({"name": "Ava", "voice": "en-US-AriaNeural", "from": "onboarding"}),
        )
    };
    let vapi =
        |base: u32, method: &str| event(base + 22, "vapi_configured", json!({"method": method}));
    // 1 and 2 launch (2 skipped Twilio); 3 stops after Persona; 4 skips Vapi and Twilio and
    // stops on Telephony; 5 only started; 6 started before the window.
    let mut owners: Vec<Vec<Value>> = Vec::new();
    let mut one = through(100, &[]);
    one.extend([
        vapi(100, "inline"),
        assistant(100),
        launched(100, 600, &[], "pro"),
    ]);
    owners.push(one);
    let mut two = through(200, &[4]);
    two.extend([
        vapi(200, "settings"),
        assistant(200),
        launched(200, 1_800, &["twilio"], "free"),
    ]);
    owners.push(two);
    let mut three = through(300, &[]);
    three.truncate(4);
    three.push(vapi(300, "inline"));
    owners.push(three);
    let mut four = through(400, &[2, 4]);
    four.truncate(5);
    owners.push(four);
    owners.push(vec![event(500, "onboarding_started", json!({}))]);
    owners.push(vec![at(
        event(600, "onboarding_started", json!({})),
        "2026-10-01T09:00:00Z",
    )]);
    for (i, events) in owners.into_iter().enumerate() {
        let (token, _) = signed_up_early(&app, &format!("owner{i}@acme.com")).await;
        let reply = app
            .post("/api/v1/events", &token, json!({ "events": events }))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }

    let since = Some("2026-11-01T00:00:00Z".parse().unwrap());
    let f = ava_server::report::funnel(&app.pool, since, None)
        .await
        .unwrap();
    assert_eq!(f.started, 5, "the sixth started before the window");
    let column = |pick: fn(&ava_server::report::StepRow) -> u64| {
        f.steps.iter().map(pick).collect::<Vec<_>>()
    };
    assert_eq!(column(|s| s.reached), [5, 4, 4, 4, 3, 2, 2, 2, 2]);
    assert_eq!(column(|s| s.completed), [4, 3, 4, 1, 2, 2, 2, 2, 2]);
    assert_eq!(column(|s| s.skipped), [0, 1, 0, 2, 0, 0, 0, 0, 0]);
    assert_eq!(f.steps[1].conversion_from_start, 80.0);
    assert_eq!(f.steps[8].conversion_from_start, 40.0);
    assert_eq!((f.vapi_inline, f.vapi_settings), (2, 1));
    assert_eq!((f.assistants_created, f.completions), (2, 2));
    assert_eq!(f.median_seconds_to_complete, Some(1_200.0));
    assert_eq!(f.most_skipped[0].step_id, "twilio");
    assert_eq!(f.most_skipped[0].skipped, 2);
    assert_eq!(f.most_skipped[1].step_id, "vapi");

    let everyone = ava_server::report::funnel(&app.pool, None, None)
        .await
        .unwrap();
    assert_eq!(everyone.started, 6);
    let table = ava_server::report::render(&f, ava_server::report::Format::Table);
    assert!(table.contains(" 4  twilio"), "{table}");
    let csv = ava_server::report::render(&f, ava_server::report::Format::Csv);
    assert!(csv.contains("step,2,vapi,4,3,1,80.0,"), "{csv}");
    // Kept for a look in a browser (README: the funnel report).
    let html = ava_server::report::render(&f, ava_server::report::Format::Html);
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        std::path::PathBuf::from,
    );
    let reports = target.join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    std::fs::write(reports.join("funnel.html"), html).unwrap();
}

/// The API forwarding to a PostHog fake that knows the project key `phc_test_project`, and
/// with `erasure` the personal key `phx_personal` of project 4242 that deletes a person.
async fn forwarding_to_posthog(
    pool: PgPool,
    erasure: bool,
) -> (FakePostHog, ava_fakes::RunningFake, TestApp) {
    let posthog = FakePostHog::new();
    posthog.add_project_key("phc_test_project");
    if erasure {
        posthog.add_personal_key("phx_personal", "4242");
    }
    let server = ava_fakes::serve(posthog.router(), ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let url = server.url();
    let app = TestApp::with(pool, |config| {
        config.posthog = Some(ava_server::config::PostHogConfig {
            host: url.clone(),
            api_key: secrecy::SecretString::from("phc_test_project".to_owned()),
            erasure: erasure.then(|| ava_server::config::PostHogErasure {
                app_host: url.clone(),
                project_id: "4242".to_owned(),
                personal_api_key: secrecy::SecretString::from("phx_personal".to_owned()),
            }),
        });
    })
    .await;
    (posthog, server, app)
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn accepted_events_reach_posthog_once_through_an_outage(pool: PgPool) {
    let (posthog, server, app) = forwarding_to_posthog(pool, false).await;
    let url = server.url();
    let (token, _) = signed_up_early(&app, "ann@acme.com").await;
    let events: Vec<Value> = (0..150)
        .map(|i| event(i, "vapi_configured", json!({"method": "inline"})))
        .collect();
    app.post("/api/v1/events", &token, json!({"events": events[..100]}))
        .await;
    app.post("/api/v1/events", &token, json!({"events": events[100..]}))
        .await;

    // PostHog is down: nothing is marked, nothing is lost.
    posthog.faults.fail_next(1, Fault::Status(503));
    assert!(app.state.forward_events().await.is_err());
    assert!(posthog.events().is_empty());
    let waiting = count(
        &app.pool,
        "SELECT count(*) FROM onboarding_events WHERE forwarded_at IS NULL",
    )
    .await;
    assert_eq!(waiting, 150);

    // Back: everything goes, in batches of at most 100, once; a second run sends nothing.
    assert_eq!(app.state.forward_events().await.unwrap(), 150);
    assert_eq!(app.state.forward_events().await.unwrap(), 0);
    let sent = posthog.events();
    assert_eq!(sent.len(), 150);
    assert!(
        posthog
            .batches()
            .iter()
            .all(|b| b["batch"].as_array().unwrap().len() <= 100)
    );
    let uuids: std::collections::BTreeSet<&str> =
        sent.iter().map(|e| e["uuid"].as_str().unwrap()).collect();
    assert_eq!(uuids.len(), 150, "no event twice");
    let first = &sent[0];
    assert_eq!(first["event"], "vapi_configured");
    assert_eq!(first["properties"]["method"], "inline");
    assert_eq!(first["properties"]["os"], "linux");
    assert_eq!(first["properties"]["$ip"], Value::Null);
    // The person is the user's random analytics id: never the e-mail or the row number.
    let person = first["distinct_id"].as_str().unwrap();
    assert!(ava_model::parse_uuid(person).is_ok(), "{person}");
    let text = serde_json::to_string(&posthog.batches()).unwrap();
    assert!(!text.contains("ann@acme.com"));

    // A wrong project key is a clear refusal, and nothing is marked.
    app.post(
        "/api/v1/events",
        &token,
        json!({"events": [event(999, "onboarding_started", json!({}))]}),
    )
    .await;
    let wrong = TestApp::with(app.pool.clone(), |config| {
        config.posthog = Some(ava_server::config::PostHogConfig {
            host: url.clone(),
            api_key: secrecy::SecretString::from("phc_wrong".to_owned()),
            erasure: None,
        });
    })
    .await;
    let refused = wrong.state.forward_events().await.unwrap_err().to_string();
    assert!(refused.contains("401"), "{refused}");
    assert!(
        !refused.contains("phc_wrong"),
        "the key never reaches an error: {refused}"
    );
    assert_eq!(app.state.forward_events().await.unwrap(), 1);
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn an_event_older_than_its_account_is_refused(pool: PgPool) {
    let app = TestApp::new(pool).await;
    // Created now: November's events are from before it existed.
    let (token, _) = app.register("ann@acme.com").await;
    let started = |n| event(n, "onboarding_started", json!({}));
    let events = [
        started(1),
        at(started(2), "0582-09-05T01:25:18.4-19:14"),
        at(started(3), &chrono::Utc::now().to_rfc3339()),
    ];
    let reply = app
        .post("/api/v1/events", &token, json!({ "events": events }))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.field_codes(),
        vec![
            (
                "events[0].occurred_at".to_owned(),
                "too_long_ago".to_owned()
            ),
            (
                "events[1].occurred_at".to_owned(),
                "too_long_ago".to_owned()
            ),
        ]
    );
    assert_eq!(stored(&app.pool).await, 0);
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn an_account_sends_at_most_its_daily_ceiling_of_events(pool: PgPool) {
    let app = TestApp::with(pool, |c| c.max_events_per_day = 150).await;
    let (token, _) = signed_up_early(&app, "ann@acme.com").await;
    let batch = |from: u32, count: u32| -> Value {
        json!({"events": (from..from + count)
            .map(|i| event(i, "vapi_configured", json!({"method": "inline"})))
            .collect::<Vec<_>>()})
    };
    assert_eq!(
        app.post("/api/v1/events", &token, batch(0, 100)).await.body["accepted"],
        100
    );
    let resent = app.post("/api/v1/events", &token, batch(0, 100)).await;
    assert_eq!(
        (resent.status, resent.body["duplicates"].clone()),
        (StatusCode::OK, json!(100)),
        "a batch resent after a lost answer costs nothing"
    );
    let over = app.post("/api/v1/events", &token, batch(100, 60)).await;
    assert_eq!(
        (over.status, over.code()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_events")
    );
    let wait: u64 = over.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&wait), "{wait}");
    assert_eq!(
        stored(&app.pool).await,
        100,
        "nothing of a refused batch is kept"
    );
    assert_eq!(
        app.post("/api/v1/events", &token, batch(100, 50))
            .await
            .status,
        StatusCode::OK
    );
    let (other, _) = signed_up_early(&app, "bob@acme.com").await;
    assert_eq!(
        app.post("/api/v1/events", &other, batch(500, 100))
            .await
            .status,
        StatusCode::OK,
        "the ceiling is per account"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn an_event_posthog_refuses_for_good_is_set_aside_and_the_rest_still_go(pool: PgPool) {
    let (posthog, _server, app) = forwarding_to_posthog(pool, false).await;
    let (token, _) = signed_up_early(&app, "ann@acme.com").await;
    let events: Vec<Value> = (0..10)
        .map(|i| event(i, "vapi_configured", json!({"method": "inline"})))
        .collect();
    app.post("/api/v1/events", &token, json!({"events": events}))
        .await;
    let poisoned = "00000000-0000-4000-8000-000000000006";
    posthog.refuse_event(poisoned);
    // A 5xx first: retried later, nothing set aside.
    posthog.faults.fail_next(1, Fault::Status(502));
    assert!(app.state.forward_events().await.is_err());
    assert_eq!(app.state.forward_events().await.unwrap(), 10);
    let sent: Vec<String> = posthog
        .events()
        .iter()
        .map(|e| e["uuid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sent.len(), 9, "every event but the refused one went");
    assert!(!sent.iter().any(|u| u == poisoned));
    let (dead, reason): (String, String) = sqlx::query_as(
        "SELECT id::text, dead_letter_reason FROM onboarding_events WHERE dead_lettered_at IS NOT NULL",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(dead, poisoned);
    assert!(reason.contains("400"), "{reason}");
    assert_eq!(
        app.state.forward_events().await.unwrap(),
        0,
        "and it is not tried again for ever"
    );
}

/// Issue 31: the day's count was read before the account's lock was granted, so batches queued
/// behind one another all saw the count from before the first and together passed the ceiling.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn batches_sent_at_once_never_pass_the_daily_ceiling(pool: PgPool) {
    let app = TestApp::with(pool, |c| c.max_events_per_day = 100).await;
    let (token, _) = signed_up_early(&app, "ann@acme.com").await;
    let replies = futures_util::future::join_all((0..8u32).map(|b| {
        let events: Vec<Value> = (b * 30..b * 30 + 30)
            .map(|i| event(i, "vapi_configured", json!({"method": "inline"})))
            .collect();
        app.post("/api/v1/events", &token, json!({"events": events}))
    }))
    .await;
    let accepted = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(
        accepted, 3,
        "three batches of 30 fit in 100, a fourth does not"
    );
    assert_eq!(stored(&app.pool).await, 90);
}

/// Issue 32: deleting an account deletes its person in PostHog too (with its events), through
/// the same outbox pattern: queued with the deletion, sent after it, kept through an outage.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_deleted_account_is_erased_from_posthog_through_an_outage(pool: PgPool) {
    let (posthog, _server, app) = forwarding_to_posthog(pool, true).await;
    let (token, id) = signed_up_early(&app, "ann@acme.com").await;
    let sent = app
        .post(
            "/api/v1/events",
            &token,
            json!({"events": [event(1, "onboarding_started", json!({}))]}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    app.state.forward_events().await.unwrap();
    let person: String = sqlx::query_scalar("SELECT analytics_id::text FROM users WHERE id = $1")
        .bind(id as i32)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(posthog.events()[0]["distinct_id"], person.as_str());

    posthog.faults.fail_next(1, Fault::Status(503));
    let deleted = app
        .post(
            "/api/v1/user/delete",
            &token,
            json!({"password": PASSWORD, "vapi_assistants": "keep"}),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert!(app.state.erase_persons().await.is_err(), "PostHog was away");
    assert!(posthog.deleted_persons().is_empty());
    // Tried again once its wait is over.
    sqlx::query("UPDATE analytics_erasures SET next_attempt_at = now()")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.state.erase_persons().await.unwrap(), 1);
    assert_eq!(posthog.deleted_persons(), [person]);
    let left = count(&app.pool, "SELECT count(*) FROM analytics_erasures").await;
    assert_eq!(left, 0, "nothing of the person is kept once PostHog has it");
}
