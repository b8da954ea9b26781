//! The server keeps the live assistant up to date when it holds the owner's Vapi key (issue 33):
//! an edit made on any computer reaches the assistant a computer created and recorded, built by
//! the same functions the computers use; the computers hear through `GET /user/me` whether she
//! runs the latest answers. The worker's passes are run by the test, one at a time, so nothing
//! here waits on a clock.

use ava_fakes::{Fault, FaultRule};
use axum::http::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::*;

const PATCH: &str = "PATCH /assistant/{id}";

/// Ann, her key on the server, and an assistant a computer created in Vapi and recorded.
async fn ann_with_a_recorded_assistant(app: &TestApp) -> (String, String) {
    let token = app.user_with_vapi_key("ann@acme.com").await;
    let http = ava_vapi::http_client(std::time::Duration::from_secs(10)).unwrap();
    let vapi = ava_vapi::VapiClient::new(http, Some(&app.fakes.vapi_url()));
    let spec: ava_model::AssistantSpec =
        serde_json::from_value(assistant_payload("Ava Dental")).unwrap();
    let made = vapi
        .create_assistant(
            &secrecy::SecretString::from(VAPI_KEY),
            &ava_vapi::CreateAssistant::from_spec(&spec),
        )
        .await
        .unwrap();
    app.record_assistant(
        &token,
        json!({"vapi_assistant_id": made.id, "name": "Ava Dental",
        "metadata": {"provisioning_id": "p1", "phone_number_id": null}}),
    )
    .await;
    (token, made.id)
}

/// Writes the guidelines, as any computer would.
async fn guidelines(app: &TestApp, token: &str, text: &str) {
    let reply = app
        .patch(
            "/api/v1/user/studio-config",
            token,
            json!({ "guidelines": text }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

async fn live(app: &TestApp, token: &str) -> Value {
    app.get("/api/v1/user/me", token).await.body["live_assistant"].clone()
}

fn prompt(body: &Value) -> String {
    ava_fakes::system_prompt(body).to_owned()
}

/// Runs worker passes until nothing is due (each claims what is due now).
async fn settle(app: &TestApp) {
    for _ in 0..10 {
        if ava_server::live::pass(&app.state).await.unwrap() == 0 {
            return;
        }
    }
    panic!("still due after 10 passes");
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn an_edit_on_any_computer_reaches_the_live_assistant_through_the_server(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (token, id) = ann_with_a_recorded_assistant(&app).await;
    app.patch(
        "/api/v1/user/studio-config",
        &token,
        json!({"languages": ["fr"], "guidelines": "Never give medical advice",
               "assistant_instructions": null}),
    )
    .await;
    assert_eq!(
        live(&app, &token).await,
        json!({"up_to_date": false, "error": null}),
        "the computers are told she does not run the latest answers yet"
    );
    let before: i64 = app.get("/api/v1/user/me", &token).await.body["revision"]
        .as_i64()
        .unwrap();
    settle(&app).await;
    let patches = app.fakes.vapi.assistant_patches(&id);
    assert_eq!(patches.len(), 1, "one update for the edit");
    assert!(prompt(&patches[0]).contains("Never give medical advice"));
    assert_eq!(
        patches[0]["transcriber"]["language"], "fr",
        "built whole, as the computers build her: {:#}",
        patches[0]
    );
    assert!(patches[0].get("metadata").is_none(), "the marker is kept");
    let me = app.get("/api/v1/user/me", &token).await;
    assert_eq!(
        me.body["live_assistant"],
        json!({"up_to_date": true, "error": null})
    );
    assert!(
        me.body["revision"].as_i64().unwrap() > before,
        "the computers' next \"anything new?\" hears it"
    );

    // A write that changes nothing she says sends Vapi nothing.
    app.patch(
        "/api/v1/user/profile",
        &token,
        json!({"marketing_opt_in": true}),
    )
    .await;
    settle(&app).await;
    assert_eq!(app.fakes.vapi.assistant_patches(&id).len(), 1);
    assert_eq!(live(&app, &token).await["up_to_date"], true);
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn vapi_away_is_tried_again_and_a_refusal_is_told(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let (token, id) = ann_with_a_recorded_assistant(&app).await;
    app.fakes
        .vapi
        .faults
        .add(FaultRule::next(1, Fault::Status(503)).on(PATCH));
    guidelines(&app, &token, "v1").await;
    assert_eq!(ava_server::live::pass(&app.state).await.unwrap(), 1);
    assert!(app.fakes.vapi.assistant_patches(&id).is_empty());
    assert_eq!(
        live(&app, &token).await,
        json!({"up_to_date": false, "error": null}),
        "a 503 is tried again, not told"
    );
    // Not due until its backoff ends: brought forward here rather than waited for.
    assert_eq!(ava_server::live::pass(&app.state).await.unwrap(), 0);
    sqlx::query("UPDATE users SET live_due_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    settle(&app).await;
    assert!(prompt(&app.fakes.vapi.assistant_patches(&id)[0]).contains("Guidelines: v1"));
    assert_eq!(live(&app, &token).await["up_to_date"], true);

    app.fakes
        .vapi
        .faults
        .add(FaultRule::next(1, Fault::Status(400)).on(PATCH));
    guidelines(&app, &token, "v2").await;
    settle(&app).await;
    let told = live(&app, &token).await;
    assert!(
        told["error"].as_str().is_some_and(|e| !e.is_empty()),
        "a refusal is said: {told}"
    );
    // The next edit tries again, and clears it.
    guidelines(&app, &token, "v3").await;
    settle(&app).await;
    assert_eq!(
        live(&app, &token).await,
        json!({"up_to_date": true, "error": null})
    );
    assert!(
        prompt(app.fakes.vapi.assistant_patches(&id).last().unwrap()).contains("Guidelines: v3")
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn without_the_key_the_server_keeps_nothing_and_calls_no_one(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (token, id) = ann_with_a_recorded_assistant(&app).await;
    // "Keys on this computer only": the server's copy is deleted.
    let deleted = app.delete("/api/v1/vapi-settings", &token).await;
    assert!(deleted.status.is_success(), "{}", deleted.body);
    guidelines(&app, &token, "v1").await;
    settle(&app).await;
    assert!(app.fakes.vapi.assistant_patches(&id).is_empty());
    assert_eq!(
        live(&app, &token).await,
        Value::Null,
        "the computer that holds the key keeps her"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn two_replicas_never_apply_one_edit_twice(pool: PgPool) {
    // Replicas share the database, the sealing key and Vapi.
    let sealing = |c: &mut ava_server::config::Config| {
        c.encryption_key = secrecy::SecretBox::new(Box::new([7u8; 32]));
    };
    let app = TestApp::with(pool.clone(), sealing).await;
    let vapi = app.fakes.vapi_url();
    let other = TestApp::with(pool, move |c| {
        sealing(c);
        c.vapi_base_url = Some(vapi);
    })
    .await;
    let (token, id) = ann_with_a_recorded_assistant(&app).await;
    guidelines(&app, &token, "v1").await;
    let (first, second) = tokio::join!(
        ava_server::live::pass(&app.state),
        ava_server::live::pass(&other.state)
    );
    assert_eq!(
        first.unwrap() + second.unwrap(),
        1,
        "claimed by exactly one replica"
    );
    settle(&app).await;
    settle(&other).await;
    assert_eq!(app.fakes.vapi.assistant_patches(&id).len(), 1);
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_replica_that_cannot_read_the_key_leaves_the_update_to_one_that_can(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    // Another sealing key: this replica cannot open what the first one sealed.
    let vapi = app.fakes.vapi_url();
    let stranger = TestApp::with(pool.clone(), move |c| c.vapi_base_url = Some(vapi)).await;
    let (token, id) = ann_with_a_recorded_assistant(&app).await;
    guidelines(&app, &token, "v1").await;
    assert_eq!(ava_server::live::pass(&stranger.state).await.unwrap(), 1);
    assert!(app.fakes.vapi.assistant_patches(&id).is_empty());
    assert_eq!(
        live(&app, &token).await["up_to_date"],
        false,
        "not taken for nothing to do"
    );
    sqlx::query("UPDATE users SET live_due_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    settle(&app).await;
    assert_eq!(app.fakes.vapi.assistant_patches(&id).len(), 1);
}
