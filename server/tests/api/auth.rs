use axum::http::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::*;

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn register_then_login_returns_sessions(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let reply = app.register_with(" Ann@Acme.COM ", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.body["token_type"], "bearer");
    assert!(reply.body["expires_in"].as_i64().unwrap() > 0);
    assert_eq!(
        reply.body["user"]["email"], "ann@acme.com",
        "stored lower-cased"
    );
    let id = reply.body["user"]["id"].as_i64().unwrap();

    let login = app
        .post_signed_out(
            "/api/v1/auth/login",
            json!({"email": "ANN@acme.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    assert_eq!(login.body["user"]["id"], id);
    let me = app
        .get(
            "/api/v1/user/me",
            login.body["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], "ann@acme.com");

    let hash: String = sqlx::query_scalar("SELECT hashed_password FROM users WHERE id = $1")
        .bind(id as i32)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$"),
        "argon2id hashes, got {hash}"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn duplicate_email_is_a_409(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.register("dup@acme.com").await;
    let again = app.register_with("DUP@acme.com", "another password").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "email_taken");
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn registration_field_rules(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let reply = app.register_with("not-an-email", "short").await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.code(), "validation_failed");
    assert_eq!(
        reply.field_codes(),
        vec![
            ("email".into(), "invalid_email".into()),
            ("password".into(), "too_short".into())
        ]
    );
    let missing = app
        .post_signed_out("/api/v1/auth/register", json!({}))
        .await;
    assert_eq!(missing.field_codes().len(), 2, "{}", missing.body);
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn wrong_password_and_unknown_email_are_the_same_401(pool: PgPool) {
    let (app, _) = TestApp::with_ann(pool).await;
    for body in [
        json!({"email": "ann@acme.com", "password": "wrong password"}),
        json!({"email": "nobody@acme.com", "password": PASSWORD}),
    ] {
        let reply = app.post_signed_out("/api/v1/auth/login", body).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.code(), "invalid_credentials");
    }
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn repeated_failures_are_limited_with_429(pool: PgPool) {
    let (app, _) = TestApp::with_ann(pool).await;
    let wrong = json!({"email": "ann@acme.com", "password": "wrong password"});
    for _ in 0..5 {
        let reply = app
            .post_signed_out("/api/v1/auth/login", wrong.clone())
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let locked = app.post_signed_out("/api/v1/auth/login", wrong).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.code(), "too_many_attempts");
    assert!(locked.headers.get("retry-after").is_some());
    let right = app
        .post_signed_out(
            "/api/v1/auth/login",
            json!({"email": "ann@acme.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        right.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a locked address stays locked, right password or not"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn missing_bad_and_expired_tokens_are_401(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (_, id) = app.register("ann@acme.com").await;
    let none = app.call(Method::GET, "/api/v1/user/me", None, None).await;
    assert_eq!(
        (none.status, none.code()),
        (StatusCode::UNAUTHORIZED, "missing_token")
    );
    let garbage = app.get("/api/v1/user/me", "not.a.jwt").await;
    assert_eq!(
        (garbage.status, garbage.code()),
        (StatusCode::UNAUTHORIZED, "invalid_token")
    );

    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": id.to_string(), "iat": now - 7200, "exp": now - 3600});
    let key = jsonwebtoken::EncodingKey::from_secret(app.jwt_secret.as_bytes());
    let expired = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap();
    let reply = app.get("/api/v1/user/me", &expired).await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::UNAUTHORIZED, "token_expired")
    );

    let forged_key =
        jsonwebtoken::EncodingKey::from_secret(b"someone else's secret, 32+ bytes long");
    let claims = json!({"sub": id.to_string(), "iat": now, "exp": now + 3600});
    let forged =
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &forged_key).unwrap();
    assert_eq!(
        app.get("/api/v1/user/me", &forged).await.status,
        StatusCode::UNAUTHORIZED
    );
}
