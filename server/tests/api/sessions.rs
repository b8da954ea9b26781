//! Refresh tokens (rotation, reuse, logout) and tokens of accounts that are gone.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::*;

async fn refresh(app: &TestApp, token: &str) -> Reply {
    app.post_signed_out("/api/v1/auth/refresh", json!({"refresh_token": token}))
        .await
}

async fn sign_in(app: &TestApp, email: &str) -> Value {
    let reply = app
        .post_signed_out(
            "/api/v1/auth/login",
            json!({"email": email, "password": PASSWORD}),
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
    let (app, _) = TestApp::with_ann(pool).await;
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
    let (app, _) = TestApp::with_ann(pool).await;
    let laptop = text(&sign_in(&app, "ann@acme.com").await, "refresh_token");
    let other_sign_in = text(&sign_in(&app, "ann@acme.com").await, "refresh_token");
    let renewed = text(&refresh(&app, &laptop).await.body, "refresh_token");
    // The successor is in use (a lost answer is ruled out), so the old token coming back is a
    // second party holding it.
    let used = text(&refresh(&app, &renewed).await.body, "refresh_token");

    let replay = refresh(&app, &laptop).await;
    assert_eq!(
        (replay.status, replay.code()),
        (StatusCode::UNAUTHORIZED, "refresh_token_reused")
    );
    let successor = refresh(&app, &used).await;
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
    let (app, _) = TestApp::with_ann(pool).await;
    let token = text(&sign_in(&app, "ann@acme.com").await, "refresh_token");
    let logout = async |token: String| {
        app.post_signed_out("/api/v1/auth/logout", json!({"refresh_token": token}))
            .await
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

    let missing = app.post_signed_out("/api/v1/auth/refresh", json!({})).await;
    assert_eq!(
        missing.field_codes(),
        vec![("refresh_token".to_owned(), "required".to_owned())]
    );
}

/// Every route that takes a token, with a body it would accept.
pub(crate) fn protected_routes() -> Vec<(Method, &'static str, Option<Value>)> {
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

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_refresh_whose_answer_was_lost_is_retried_without_ending_the_sign_in(pool: PgPool) {
    let (app, _) = TestApp::with_ann(pool).await;
    let first = text(&sign_in(&app, "ann@acme.com").await, "refresh_token");
    // The answer carrying `lost` never reached the app, which still holds `first`.
    let lost = text(&refresh(&app, &first).await.body, "refresh_token");
    let retried = refresh(&app, &first).await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.body);
    assert_eq!(
        text(&retried.body, "refresh_token"),
        lost,
        "the retry carries the successor the lost answer carried, not a second one"
    );
    assert!(retried.body["access_token"].is_string());
    let next = refresh(&app, &lost).await;
    assert_eq!(next.status, StatusCode::OK, "the sign-in goes on");
    // Once the successor has been used, the old token coming back is theft again.
    let replay = refresh(&app, &first).await;
    assert_eq!(replay.code(), "refresh_token_reused");
    assert_eq!(
        refresh(&app, &text(&next.body, "refresh_token"))
            .await
            .code(),
        "invalid_refresh_token",
        "and ends the sign-in"
    );
}

/// The review's reproduction (issue 31): with a fresh successor per retry, a copy of a
/// just-spent token retired the owner's successor and kept the sign-in for 90 days.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_copy_of_a_just_spent_token_never_takes_the_sign_in_from_its_owner(pool: PgPool) {
    let (app, _) = TestApp::with_ann(pool).await;
    let r0 = text(&sign_in(&app, "ann@acme.com").await, "refresh_token");
    let owners = text(&refresh(&app, &r0).await.body, "refresh_token");
    let copy = refresh(&app, &r0).await;
    assert_eq!(
        copy.status,
        StatusCode::OK,
        "inside the window: {}",
        copy.body
    );
    assert_eq!(
        text(&copy.body, "refresh_token"),
        owners,
        "the copy learns nothing the owner does not hold"
    );
    let renewed = refresh(&app, &owners).await;
    assert_eq!(
        renewed.status,
        StatusCode::OK,
        "the owner's next renewal still works: {}",
        renewed.body
    );
    // The copy, now behind, comes back with what it got: reuse, and the sign-in ends for both.
    sqlx::query("UPDATE refresh_tokens SET spent_at = now() - interval '61 seconds' WHERE spent_at IS NOT NULL")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(refresh(&app, &owners).await.code(), "refresh_token_reused");
    assert_eq!(
        refresh(&app, &text(&renewed.body, "refresh_token"))
            .await
            .code(),
        "invalid_refresh_token"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_spent_token_is_answered_again_a_bounded_number_of_times(pool: PgPool) {
    let (app, _) = TestApp::with_ann(pool).await;
    let first = text(&sign_in(&app, "ann@acme.com").await, "refresh_token");
    let successor = text(&refresh(&app, &first).await.body, "refresh_token");
    for retry in 0..ava_server::RETRIES_PER_TOKEN {
        let reply = refresh(&app, &first).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "retry {retry}: {}",
            reply.body
        );
    }
    assert_eq!(
        refresh(&app, &first).await.code(),
        "refresh_token_reused",
        "one more is no lost answer"
    );
    assert_eq!(
        refresh(&app, &successor).await.code(),
        "invalid_refresh_token"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn the_database_never_holds_a_refresh_token_that_works(pool: PgPool) {
    let (app, _) = TestApp::with_ann(pool).await;
    let first = text(&sign_in(&app, "ann@acme.com").await, "refresh_token");
    let successor = text(&refresh(&app, &first).await.body, "refresh_token");
    let rows: Vec<(Vec<u8>, Option<Vec<u8>>)> =
        sqlx::query_as("SELECT token_hash, successor_sealed FROM refresh_tokens")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        rows.len(),
        3,
        "the sign-up's token, the sign-in's and its successor"
    );
    for (hash, sealed) in rows {
        for bytes in std::iter::once(hash).chain(sealed) {
            let stored = String::from_utf8_lossy(&bytes);
            assert!(!stored.contains(&successor) && !stored.contains(&first));
        }
    }
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_retry_after_the_window_or_of_an_older_token_is_theft(pool: PgPool) {
    let (app, _) = TestApp::with_ann(pool).await;
    let first = text(&sign_in(&app, "ann@acme.com").await, "refresh_token");
    let second = text(&refresh(&app, &first).await.body, "refresh_token");
    sqlx::query("UPDATE refresh_tokens SET spent_at = now() - interval '61 seconds' WHERE spent_at IS NOT NULL")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        refresh(&app, &first).await.code(),
        "refresh_token_reused",
        "61 s after its rotation a spent token is no retry"
    );
    assert_eq!(refresh(&app, &second).await.code(), "invalid_refresh_token");

    let first = text(&sign_in(&app, "ann@acme.com").await, "refresh_token");
    let second = text(&refresh(&app, &first).await.body, "refresh_token");
    let _third = text(&refresh(&app, &second).await.body, "refresh_token");
    assert_eq!(
        refresh(&app, &first).await.code(),
        "refresh_token_reused",
        "only the newest spent token may be retried"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn eight_refreshes_of_one_token_at_once_leave_the_sign_in_working(pool: PgPool) {
    let (app, _) = TestApp::with_ann(pool).await;
    let first = text(&sign_in(&app, "ann@acme.com").await, "refresh_token");
    let replies = futures_util::future::join_all((0..8).map(|_| refresh(&app, &first))).await;
    let statuses: Vec<StatusCode> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        vec![StatusCode::OK; 8],
        "every one is a retry of the first"
    );
    let tokens: std::collections::HashSet<String> = replies
        .iter()
        .map(|reply| text(&reply.body, "refresh_token"))
        .collect();
    assert_eq!(tokens.len(), 1, "one successor, whichever answer is kept");
    let kept = tokens.into_iter().next().unwrap();
    assert_eq!(refresh(&app, &kept).await.status, StatusCode::OK);
}

/// Until `wanted` requests of this database are waiting for a lock.
async fn until_waiting_for_locks(pool: &PgPool, wanted: i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let waiting = count(
            pool,
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .await;
        if waiting >= wanted {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{waiting} waiting");
        tokio::task::yield_now().await;
    }
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_logout_racing_a_refresh_leaves_no_token_that_works(pool: PgPool) {
    let (app, _) = TestApp::with_ann(pool).await;
    // Both requests are held on the token's row, then let go together: whichever wins, the
    // sign-in must be over once the logout has answered.
    for round in 0..8 {
        let token = text(&sign_in(&app, "ann@acme.com").await, "refresh_token");
        let mut hold = app.pool.begin().await.unwrap();
        sqlx::query("SELECT id FROM refresh_tokens WHERE spent_at IS NULL AND revoked_at IS NULL FOR UPDATE")
            .fetch_all(&mut *hold)
            .await
            .unwrap();
        let logout = app.post_signed_out("/api/v1/auth/logout", json!({"refresh_token": token}));
        let release = async {
            until_waiting_for_locks(&app.pool, 2).await;
            hold.commit().await.unwrap();
        };
        let (renewed, logged_out, ()) = tokio::join!(refresh(&app, &token), logout, release);
        assert_eq!(logged_out.status, StatusCode::NO_CONTENT);
        if renewed.status == StatusCode::OK {
            let after = refresh(&app, &text(&renewed.body, "refresh_token")).await;
            assert_eq!(
                (after.status, after.code()),
                (StatusCode::UNAUTHORIZED, "invalid_refresh_token"),
                "round {round}: a token issued beside a logout must not outlive it"
            );
        }
    }
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_sign_in_ends_at_its_absolute_lifetime_and_keeps_few_rows(pool: PgPool) {
    let app = TestApp::with(pool, |c| {
        c.refresh_family_lifetime = std::time::Duration::from_secs(3600);
    })
    .await;
    app.register("ann@acme.com").await;
    let session = sign_in(&app, "ann@acme.com").await;
    assert!(session["refresh_expires_in"].as_i64().unwrap() <= 3600);
    let mut token = text(&session, "refresh_token");
    for _ in 0..40 {
        let renewed = refresh(&app, &token).await;
        assert!(
            renewed.body["refresh_expires_in"].as_i64().unwrap() <= 3600,
            "refreshing never moves the end"
        );
        token = text(&renewed.body, "refresh_token");
    }
    let rows: i64 = sqlx::query_scalar(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM refresh_tokens GROUP BY family_id) f",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(rows <= 16, "41 tokens issued in one sign-in, {rows} kept");
    sqlx::query("UPDATE refresh_families SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(refresh(&app, &token).await.code(), "invalid_refresh_token");
    sqlx::query("UPDATE refresh_families SET expires_at = now() - interval '2 days'")
        .execute(&app.pool)
        .await
        .unwrap();
    ava_server::purge_expired(&app.state).await.unwrap();
    let left: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM refresh_families), (SELECT count(*) FROM refresh_tokens)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(left, (0, 0), "an ended sign-in leaves nothing behind");
}

/// Issue 31: an access token lived on for up to 15 minutes after its sign-in was ended. Now a
/// logout, or a reused refresh token, refuses the access tokens of that sign-in at once; other
/// sign-ins of the same account go on.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn ending_a_sign_in_refuses_its_access_tokens_at_once(pool: PgPool) {
    let (app, _) = TestApp::with_ann(pool).await;
    let laptop = sign_in(&app, "ann@acme.com").await;
    let office = sign_in(&app, "ann@acme.com").await;
    let laptop_access = text(&laptop, "access_token");
    let office_access = text(&office, "access_token");
    assert_eq!(
        app.get("/api/v1/user/me", &laptop_access).await.status,
        StatusCode::OK
    );
    let out = app
        .post_signed_out(
            "/api/v1/auth/logout",
            json!({"refresh_token": text(&laptop, "refresh_token")}),
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let refused = app.get("/api/v1/user/me", &laptop_access).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::UNAUTHORIZED, "invalid_token"),
        "the signed-out laptop's access token"
    );
    assert_eq!(
        app.get("/api/v1/user/me", &office_access).await.status,
        StatusCode::OK,
        "the office's sign-in goes on"
    );

    // A spent refresh token coming back ends its sign-in: its access tokens too.
    let first = text(&office, "refresh_token");
    let renewed = refresh(&app, &first).await.body;
    let renewed_access = text(&renewed, "access_token");
    sqlx::query("UPDATE refresh_tokens SET spent_at = now() - interval '61 seconds' WHERE spent_at IS NOT NULL")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(refresh(&app, &first).await.code(), "refresh_token_reused");
    for access in [&office_access, &renewed_access] {
        assert_eq!(
            app.get("/api/v1/user/me", access).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}
