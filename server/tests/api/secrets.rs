//! No secret in any response body or any log line, at every log level.

use axum::http::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::*;

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn secrets_never_appear_in_responses_or_logs(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let vapi_key = "sk-leakcheck-4c1d9e7b";
    let auth_token = "deadbeefdeadbeefdeadbeef0badf00d";
    let password = "leakcheck password 0xfeed";
    app.fakes.vapi.add_key(vapi_key);
    app.fakes.twilio.add_account(TWILIO_SID, auth_token);

    let registered = app.register_with("leak@acme.com", password).await;
    let token = registered.body["access_token"].as_str().unwrap().to_owned();
    let mut bodies = vec![registered.body.to_string()];
    let steps = [
        (
            Method::POST,
            "/api/v1/vapi-settings",
            Some(json!({"vapi_api_key": vapi_key})),
        ),
        (Method::GET, "/api/v1/vapi-settings", None),
        (
            Method::POST,
            "/api/v1/twilio-settings",
            Some(
                json!({"account_sid": TWILIO_SID, "auth_token": auth_token, "phone_number": TWILIO_NUMBER}),
            ),
        ),
        (Method::GET, "/api/v1/twilio-settings", None),
        (
            Method::POST,
            "/api/v1/assistants",
            Some(assistant_payload("Ava")),
        ),
        (Method::GET, "/api/v1/assistants", None),
        (Method::GET, "/api/v1/user/me", None),
        (
            Method::POST,
            "/api/v1/vapi-settings",
            Some(json!({"vapi_api_key": format!("{vapi_key} x")})),
        ),
    ];
    for (method, path, body) in steps {
        let reply = app.call(method, path, Some(&token), body).await;
        assert!(
            reply.status.is_success() || reply.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            reply.body
        );
        bodies.push(reply.body.to_string());
    }
    let wrong_login = app
        .post_signed_out(
            "/api/v1/auth/login",
            json!({"email": "leak@acme.com", "password": format!("{password}!")}),
        )
        .await;
    bodies.push(wrong_login.body.to_string());

    let logs = captured_logs();
    assert!(
        logs.contains("/api/v1/vapi-settings"),
        "requests were logged, so the check means something"
    );
    for secret in [vapi_key, auth_token, password, &token] {
        // The access token is, by design, in the register answer and nowhere else.
        let skip = usize::from(secret == token);
        for body in &bodies[skip..] {
            assert!(
                !body.contains(secret),
                "a response carries a secret: {body}"
            );
        }
        assert!(
            !logs.contains(secret),
            "the logs carry a secret ({} chars)",
            secret.len()
        );
    }
}
