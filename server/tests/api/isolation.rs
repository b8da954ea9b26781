//! Every route, called with a second user's token, sees and touches only that user's rows.

use axum::http::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::*;

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_second_user_never_reads_or_writes_the_first_users_rows(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let alice = app.user_with_vapi_key("alice@acme.com").await;
    app.patch(
        "/api/v1/user/profile",
        &alice,
        json!({"full_name": "Alice", "accept_terms": true}),
    )
    .await;
    app.patch(
        "/api/v1/user/studio-config",
        &alice,
        json!({"persona": "sdr", "seats": 9}),
    )
    .await;
    app.patch(
        "/api/v1/user/onboarding",
        &alice,
        json!({"onboarding_vapi_skipped": true}),
    )
    .await;
    app.post("/api/v1/twilio-settings", &alice, json!({"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN, "phone_number": TWILIO_NUMBER})).await;
    let created = app
        .post(
            "/api/v1/assistants",
            &alice,
            assistant_payload("Alice's Ava"),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    app.call(
        Method::POST,
        "/api/v1/user/complete-onboarding",
        Some(&alice),
        None,
    )
    .await;
    let alice_before = app.get("/api/v1/user/me", &alice).await.body;

    let (bob, bob_id) = app.register("bob@acme.com").await;
    let me = app.get("/api/v1/user/me", &bob).await;
    assert_eq!(me.body["id"], bob_id);
    assert_eq!(me.body["profile"]["full_name"], json!(null));
    assert_eq!(me.body["studio_config"]["seats"], 1);
    assert_eq!(me.body["onboarding"]["onboarding_vapi_skipped"], false);
    assert_eq!(me.body["onboarding_completed"], false);
    let read = async |path: &str, field: &str| app.get(path, &bob).await.body[field].clone();
    let bobs_settings = [
        read("/api/v1/user/onboarding", "onboarding_vapi_skipped").await,
        read("/api/v1/vapi-settings", "has_vapi_key").await,
        read("/api/v1/twilio-settings", "has_credentials").await,
    ];
    assert_eq!(bobs_settings, [false, false, false], "none of Alice's");
    assert_eq!(app.get("/api/v1/assistants", &bob).await.body, json!([]));
    assert_eq!(app.get("/api/assistants", &bob).await.body, json!([]));

    // Bob cannot use Alice's Vapi key, and his writes land on his own rows only.
    let no_key = app
        .post("/api/v1/assistants", &bob, assistant_payload("Bob's"))
        .await;
    assert_eq!(no_key.code(), "vapi_key_missing");
    app.patch("/api/v1/user/profile", &bob, json!({"full_name": "Bob"}))
        .await;
    app.patch("/api/v1/user/studio-config", &bob, json!({"seats": 3}))
        .await;
    app.patch(
        "/api/v1/user/onboarding",
        &bob,
        json!({"onboarding_vapi_skipped": false, "onboarding_assistant_created": true}),
    )
    .await;
    app.post(
        "/api/v1/vapi-settings",
        &bob,
        json!({"vapi_api_key": "bob-key-12345"}),
    )
    .await;
    app.post(
        "/api/v1/twilio-settings",
        &bob,
        json!({"account_sid": TWILIO_SID, "auth_token": "0".repeat(32)}),
    )
    .await;
    app.delete("/api/v1/vapi-settings", &bob).await;
    app.delete("/api/v1/twilio-settings", &bob).await;
    let completion = app
        .call(
            Method::POST,
            "/api/v1/user/complete-onboarding",
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(
        completion.code(),
        "terms_not_accepted",
        "Alice's accepted terms are not Bob's"
    );

    let alice_after = app.get("/api/v1/user/me", &alice).await.body;
    assert_eq!(alice_after["profile"], alice_before["profile"]);
    assert_eq!(alice_after["studio_config"], alice_before["studio_config"]);
    assert_eq!(alice_after["onboarding"], alice_before["onboarding"]);
    assert_eq!(
        alice_after["onboarding_completed_at"],
        alice_before["onboarding_completed_at"]
    );
    assert_eq!(
        app.get("/api/v1/vapi-settings", &alice).await.body["has_vapi_key"],
        true
    );
    assert_eq!(
        app.get("/api/v1/twilio-settings", &alice).await.body["phone_number"],
        TWILIO_NUMBER
    );
    assert_eq!(
        app.get("/api/v1/assistants", &alice).await.body,
        json!([created.body])
    );
}
