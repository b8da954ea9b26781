//! The one error envelope for everything that is not a handler's own error, plus health and
//! the generated OpenAPI document.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::*;

fn raw(
    method: &str,
    path: &str,
    token: &str,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"));
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    builder.body(body.into()).unwrap()
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn malformed_json_wrong_type_and_oversized_bodies(pool: PgPool) {
    let (app, token) = TestApp::with_ann(pool).await;
    let profile_as = async |content_type: &str, body: &'static str| {
        let request = raw(
            "PATCH",
            "/api/v1/user/profile",
            &token,
            Some(content_type),
            body,
        );
        app.send(request).await
    };
    let bad = profile_as("application/json", "{\"full_name\": ").await;
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::BAD_REQUEST, "malformed_json")
    );

    let form = profile_as("application/x-www-form-urlencoded", "full_name=Ann").await;
    assert_eq!(
        (form.status, form.code()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    let none = app
        .send(raw("POST", "/api/v1/vapi-settings", &token, None, "{}"))
        .await;
    assert_eq!(none.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let charset = profile_as(
        "application/json; charset=utf-8",
        "{\"full_name\": \"Ann\"}",
    )
    .await;
    assert_eq!(charset.status, StatusCode::OK);

    let huge = json!({"guidelines": "x".repeat(70 * 1024)}).to_string();
    let too_big = app
        .send(raw(
            "PATCH",
            "/api/v1/user/studio-config",
            &token,
            Some("application/json"),
            huge,
        ))
        .await;
    assert_eq!(
        (too_big.status, too_big.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    let fits = json!({"guidelines": "x".repeat(4000)}).to_string();
    assert_eq!(
        app.send(raw(
            "PATCH",
            "/api/v1/user/studio-config",
            &token,
            Some("application/json"),
            fits
        ))
        .await
        .status,
        StatusCode::OK
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn unknown_routes_and_methods(pool: PgPool) {
    let (app, token) = TestApp::with_ann(pool).await;
    let missing = app.get("/api/v1/nope", &token).await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let wrong = app
        .call(
            Method::PUT,
            "/api/v1/user/profile",
            Some(&token),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn health_reports_the_database(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let up = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(up.status, StatusCode::OK);
    assert_eq!(up.body, json!({"status": "ok", "database": "ok"}));
    let (token, _) = app.register("ann@acme.com").await;

    pool.close().await;
    let down = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(down.body["database"], "unreachable");
    let route = app.get("/api/v1/user/me", &token).await;
    assert_eq!(
        (route.status, route.code()),
        (StatusCode::SERVICE_UNAVAILABLE, "database_unavailable")
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn the_openapi_document_lists_every_route(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let reply = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body["openapi"].as_str().unwrap().starts_with("3."));
    let paths = reply.body["paths"].as_object().unwrap();
    let expected = [
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/user/me", "get"),
        ("/api/v1/user/profile", "patch"),
        ("/api/v1/user/studio-config", "patch"),
        ("/api/v1/vapi-settings", "post"),
        ("/api/v1/vapi-settings", "get"),
        ("/api/v1/vapi-settings", "delete"),
        ("/api/v1/twilio-settings", "post"),
        ("/api/v1/twilio-settings", "get"),
        ("/api/v1/twilio-settings", "delete"),
        ("/api/v1/user/onboarding", "patch"),
        ("/api/v1/user/onboarding", "get"),
        ("/api/v1/user/complete-onboarding", "post"),
        ("/api/v1/assistants", "post"),
        ("/api/v1/assistants", "get"),
        ("/api/assistants", "post"),
        ("/healthz", "get"),
        ("/api/v1/openapi.json", "get"),
    ];
    for (path, method) in expected {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is documented"
        );
    }
    let schemas = reply.body["components"]["schemas"].as_object().unwrap();
    assert_eq!(
        schemas["Plan"]["enum"],
        json!(["free", "pro", "business"]),
        "wire names, not Rust names"
    );
    assert_eq!(schemas["Industry"]["enum"][3], "real_estate");
    let patch = &paths["/api/v1/user/profile"]["patch"]["responses"];
    for status in ["200", "400", "401", "413", "415", "422"] {
        assert!(
            patch.get(status).is_some(),
            "PATCH /user/profile documents {status}"
        );
    }
    for schema in [
        "Profile",
        "StudioConfig",
        "OnboardingFlags",
        "ErrorEnvelope",
        "AssistantRecord",
        "Me",
    ] {
        assert!(schemas.contains_key(schema), "schema {schema}");
    }
}
