use axum::http::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::*;

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn vapi_key_lifecycle_only_ever_shows_a_preview(pool: PgPool) {
    let (app, token) = TestApp::with_ann(pool).await;
    let none = app.get("/api/v1/vapi-settings", &token).await;
    assert_eq!(
        none.body,
        json!({"has_vapi_key": false, "vapi_api_key_preview": null})
    );

    let saved = app
        .post(
            "/api/v1/vapi-settings",
            &token,
            json!({"vapi_api_key": "sk-abc123xyz789"}),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK);
    assert_eq!(
        saved.body,
        json!({"has_vapi_key": true, "vapi_api_key_preview": "****z789"})
    );
    assert_eq!(
        app.get("/api/v1/vapi-settings", &token).await.body,
        saved.body
    );

    let replaced = app
        .post(
            "/api/v1/vapi-settings",
            &token,
            json!({"vapi_api_key": "sk-new-key-0042"}),
        )
        .await;
    assert_eq!(
        replaced.body["vapi_api_key_preview"], "****0042",
        "POST is an upsert"
    );
    let rows = count(&app.pool, "SELECT count(*) FROM vapi_credentials").await;
    assert_eq!(rows, 1);

    assert_eq!(
        app.delete("/api/v1/vapi-settings", &token).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/api/v1/vapi-settings", &token).await.body,
        none.body
    );
    assert_eq!(
        app.delete("/api/v1/vapi-settings", &token).await.status,
        StatusCode::NO_CONTENT,
        "also when none"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn twilio_credentials_lifecycle(pool: PgPool) {
    let (app, token) = TestApp::with_ann(pool).await;
    assert_eq!(
        app.get("/api/v1/twilio-settings", &token).await.body,
        json!({"has_credentials": false, "account_sid_preview": null, "phone_number": null})
    );
    let body = json!({"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN, "phone_number": TWILIO_NUMBER});
    let saved = app.post("/api/v1/twilio-settings", &token, body).await;
    assert_eq!(saved.status, StatusCode::OK);
    let expected = json!({"has_credentials": true, "account_sid_preview": "AC****cdef", "phone_number": TWILIO_NUMBER});
    assert_eq!(saved.body, expected);
    assert_eq!(
        app.get("/api/v1/twilio-settings", &token).await.body,
        expected
    );

    let without_number = app
        .post(
            "/api/v1/twilio-settings",
            &token,
            json!({"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN}),
        )
        .await;
    assert_eq!(without_number.body["phone_number"], Value::Null);
    assert_eq!(
        app.delete("/api/v1/twilio-settings", &token).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/api/v1/twilio-settings", &token).await.body["has_credentials"],
        false
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn credential_field_rules(pool: PgPool) {
    let (app, token) = TestApp::with_ann(pool).await;
    for (key, code) in [
        ("sk abc 12345", "contains_whitespace"),
        ("short", "too_short"),
        (&*"k".repeat(201), "too_long"),
    ] {
        let reply = app
            .post(
                "/api/v1/vapi-settings",
                &token,
                json!({"vapi_api_key": key}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            reply.field_codes(),
            vec![("vapi_api_key".to_owned(), code.to_owned())]
        );
    }
    let reply = app
        .post(
            "/api/v1/twilio-settings",
            &token,
            json!({"account_sid": "AC123", "auth_token": "token123", "phone_number": "555"}),
        )
        .await;
    assert_eq!(
        reply.field_codes(),
        vec![
            ("account_sid".into(), "invalid_account_sid".into()),
            ("auth_token".into(), "invalid_auth_token".into()),
            ("phone_number".into(), "invalid_phone_number".into()),
        ]
    );
    assert_eq!(
        app.get("/api/v1/twilio-settings", &token).await.body["has_credentials"],
        false
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn secrets_are_stored_encrypted_with_a_fresh_nonce_per_write(pool: PgPool) {
    let (app, token) = TestApp::with_ann(pool).await;
    let key = "sk-plaintext-must-not-appear";
    let mut ciphertexts = Vec::new();
    for _ in 0..2 {
        app.post(
            "/api/v1/vapi-settings",
            &token,
            json!({"vapi_api_key": key}),
        )
        .await;
        let (ciphertext, key_id): (String, String) = sqlx::query_as(
            "SELECT vapi_api_key_encrypted, encryption_key_id FROM vapi_credentials",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert!(!ciphertext.contains(key) && !ciphertext.contains("plaintext"));
        assert_eq!(key_id.len(), 8, "a key id is stored beside the ciphertext");
        ciphertexts.push(ciphertext);
    }
    assert_ne!(
        ciphertexts[0], ciphertexts[1],
        "two writes of the same key differ"
    );

    app.post(
        "/api/v1/twilio-settings",
        &token,
        json!({"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN}),
    )
    .await;
    let stored: String = sqlx::query_scalar("SELECT auth_token_encrypted FROM twilio_credentials")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(!stored.contains(TWILIO_TOKEN));

    let dump: String =
        sqlx::query_scalar("SELECT string_agg(t::text, ' ') FROM vapi_credentials t")
            .fetch_one(&app.pool)
            .await
            .unwrap_or_default();
    assert!(!dump.contains(key), "no column holds the plaintext");
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_tampered_ciphertext_is_a_clear_error_not_garbage(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let token = app.user_with_vapi_key("ann@acme.com").await;
    sqlx::query(
        "UPDATE vapi_credentials SET vapi_api_key_encrypted =
           overlay(vapi_api_key_encrypted placing (CASE WHEN substr(vapi_api_key_encrypted, 20, 1) = 'A' THEN 'B' ELSE 'A' END) from 20 for 1)",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let reply = app
        .post("/api/v1/assistants", &token, assistant_payload("Ava"))
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.code(), "stored_secret_unreadable");
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("save the key again")
    );
    assert_eq!(
        app.fakes.vapi.calls.total(),
        0,
        "nothing was sent to Vapi with a garbled key"
    );
}
