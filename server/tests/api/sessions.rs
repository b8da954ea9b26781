//! Refresh tokens (rotation, reuse, logout) and tokens of accounts that are gone.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::*;

async fn refresh(app: &TestApp, token: &str) -> Reply {
    app.call(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": token})),
    )
    .await
}

async fn sign_in(app: &TestApp, email: &str) -> Value {
    let reply = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": email, "password": PASSWORD})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

fn text(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {value}"))
        .to_owned()
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_refresh_token_is_spent_once_and_replaced(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.register("ann@acme.com").await;
    let session = sign_in(&app, "ann@acme.com").await;
    let first = text(&session, "refresh_token");
    assert!(session["refresh_expires_in"].as_i64().unwrap() >= 29 * 24 * 3600);

    let renewed = refresh(&app, &first).await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
    let second = text(&renewed.body, "refresh_token");
    assert_ne!(second, first, "rotated");
    assert_eq!(renewed.body["user"]["email"], "ann@acme.com");
    let me = app
        .get("/api/v1/user/me", &text(&renewed.body, "access_token"))
        .await;
    assert_eq!(me.status, StatusCode::OK, "the new access token works");

    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT token_hash FROM refresh_tokens")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert!(
        stored
            .iter()
            .all(|hash| hash.len() == 32 && hash.as_slice() != first.as_bytes()),
        "only digests are stored"
    );
    let third = refresh(&app, &second).await;
    assert_eq!(third.status, StatusCode::OK, "each successor works once");
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_spent_token_coming_back_ends_the_whole_sign_in(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.register("ann@acme.com").await;
    let laptop = text(&sign_in(&app, "ann@acme.com").await, "refresh_token");
    let other_sign_in = text(&sign_in(&app, "ann@acme.com").await, "refresh_token");
    let renewed = text(&refresh(&app, &laptop).await.body, "refresh_token");

    let replay = refresh(&app, &laptop).await;
    assert_eq!(
        (replay.status, replay.code()),
        (StatusCode::UNAUTHORIZED, "refresh_token_reused")
    );
    let successor = refresh(&app, &renewed).await;
    assert_eq!(
        (successor.status, successor.code()),
        (StatusCode::UNAUTHORIZED, "invalid_refresh_token"),
        "the thief's successor is revoked too"
    );
    assert_eq!(
        refresh(&app, &other_sign_in).await.status,
        StatusCode::OK,
        "another sign-in of the same account is not touched"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn logout_revokes_and_unknown_or_expired_tokens_are_refused(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.register("ann@acme.com").await;
    let token = text(&sign_in(&app, "ann@acme.com").await, "refresh_token");
    let logout = |token: String| {
        let app = &app;
        async move {
            app.call(
                Method::POST,
                "/api/v1/auth/logout",
                None,
                Some(json!({"refresh_token": token})),
            )
            .await
        }
    };
    assert_eq!(logout(token.clone()).await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        logout(token.clone()).await.status,
        StatusCode::NO_CONTENT,
        "again: still 204"
    );
    assert_eq!(
        logout("never-issued".into()).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(refresh(&app, &token).await.code(), "invalid_refresh_token");
    assert_eq!(
        refresh(&app, "never-issued").await.code(),
        "invalid_refresh_token"
    );

    let expiring = text(&sign_in(&app, "ann@acme.com").await, "refresh_token");
    sqlx::query("UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE revoked_at IS NULL")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        refresh(&app, &expiring).await.code(),
        "invalid_refresh_token"
    );

    let missing = app
        .call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({})))
        .await;
    assert_eq!(
        missing.field_codes(),
        vec![("refresh_token".to_owned(), "required".to_owned())]
    );
}

/// Every route that takes a token, with a body it would accept.
fn protected_routes() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/api/v1/user/me", None),
        (
            Method::PATCH,
            "/api/v1/user/profile",
            Some(json!({"full_name": "Ann"})),
        ),
        (
            Method::PATCH,
            "/api/v1/user/studio-config",
            Some(json!({"tone": "friendly"})),
        ),
        (Method::GET, "/api/v1/user/onboarding", None),
        (
            Method::PATCH,
            "/api/v1/user/onboarding",
            Some(json!({"onboarding_vapi_skipped": true})),
        ),
        (Method::POST, "/api/v1/user/complete-onboarding", None),
        (Method::GET, "/api/v1/vapi-settings", None),
        (
            Method::POST,
            "/api/v1/vapi-settings",
            Some(json!({"vapi_api_key": VAPI_KEY})),
        ),
        (Method::DELETE, "/api/v1/vapi-settings", None),
        (Method::GET, "/api/v1/twilio-settings", None),
        (
            Method::POST,
            "/api/v1/twilio-settings",
            Some(json!({"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN})),
        ),
        (Method::DELETE, "/api/v1/twilio-settings", None),
        (Method::GET, "/api/v1/assistants", None),
        (
            Method::POST,
            "/api/v1/assistants",
            Some(assistant_payload("Ava")),
        ),
        (
            Method::POST,
            "/api/v1/assistants",
            Some(json!({"name": "Ava", "vapi_assistant_id": "asst-1"})),
        ),
        (
            Method::POST,
            "/api/v1/events",
            Some(json!({"events": [crate::events::event(1, "onboarding_started", json!({}))]})),
        ),
    ]
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_deactivated_or_deleted_account_is_refused_on_every_route(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (token, id) = app.register("ann@acme.com").await;
    let refresh_token = text(&sign_in(&app, "ann@acme.com").await, "refresh_token");
    for (method, path, body) in protected_routes() {
        let reply = app.call(method.clone(), path, Some(&token), body).await;
        assert!(
            reply.status != StatusCode::UNAUTHORIZED && !reply.status.is_server_error(),
            "{method} {path} works while active: {} {}",
            reply.status,
            reply.body
        );
    }

    sqlx::query("UPDATE users SET is_active = false WHERE id = $1")
        .bind(id as i32)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_every_route_refuses(&app, &token, "deactivated").await;
    assert_eq!(
        refresh(&app, &refresh_token).await.code(),
        "invalid_refresh_token"
    );

    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id as i32)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_every_route_refuses(&app, &token, "deleted").await;
}

async fn assert_every_route_refuses(app: &TestApp, token: &str, state: &str) {
    for (method, path, body) in protected_routes() {
        // POSTs also with an idempotency key, which takes another statement first.
        let keys: &[&[(&str, &str)]] = if method == Method::POST {
            &[&[], &[("idempotency-key", "k1")]]
        } else {
            &[&[]]
        };
        for headers in keys {
            let reply = app
                .call_with(method.clone(), path, Some(token), body.clone(), headers)
                .await;
            assert_eq!(
                (reply.status, reply.code()),
                (StatusCode::UNAUTHORIZED, "invalid_token"),
                "{method} {path} {headers:?} refuses a {state} account: {}",
                reply.body
            );
        }
    }
}
