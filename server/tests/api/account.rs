//! The account's life (api.md): a forgotten password, a new password or address, the sign-ins
//! of other computers, the export and the deletion, with the mails read from a real SMTP
//! server (aiosmtpd).

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::*;
use crate::smtp::{Mail, SmtpServer};

async fn app_with_mail(pool: PgPool, smtp: &SmtpServer) -> TestApp {
    let transport = smtp.transport();
    TestApp::with(pool, move |config| config.mail.transport = transport).await
}

/// Until `count` mails of `kind` are in the outbox (a reset is queued after its answer).
async fn until_queued(pool: &PgPool, kind: &str, count: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM mail_outbox WHERE kind = $1")
            .bind(kind)
            .fetch_one(pool)
            .await
            .unwrap();
        if queued >= count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{queued} of {count} {kind} queued"
        );
        tokio::task::yield_now().await;
    }
}

/// Sends what is due and returns the mails to `address` of the given subject's kind.
async fn deliver(app: &TestApp) {
    app.state.send_due_mail().await.unwrap();
}

async fn mail_for(app: &TestApp, smtp: &SmtpServer, kind: &str, to: &str) -> Mail {
    until_queued(&app.pool, kind, 1).await;
    // A sign-up's mail waits for the owner to choose a language; the test does not.
    sqlx::query("UPDATE mail_outbox SET next_attempt_at = now() WHERE kind = $1")
        .bind(kind)
        .execute(&app.pool)
        .await
        .unwrap();
    deliver(app).await;
    smtp.mails_to(to)
        .pop()
        .unwrap_or_else(|| panic!("no {kind} mail to {to}"))
}

async fn ask_reset(app: &TestApp, email: &str) -> Reply {
    app.post_signed_out("/api/v1/auth/password-reset", json!({"email": email}))
        .await
}

async fn confirm(app: &TestApp, email: &str, code: &str, new_password: &str) -> Reply {
    app.post_signed_out(
        "/api/v1/auth/password-reset/confirm",
        json!({"email": email, "code": code, "new_password": new_password, "device": "Office PC · Windows 11"}),
    )
    .await
}

async fn sign_in(app: &TestApp, email: &str, password: &str, device: &str) -> Reply {
    app.post_signed_out(
        "/api/v1/auth/login",
        json!({"email": email, "password": password, "device": device}),
    )
    .await
}

fn token(reply: &Reply, field: &str) -> String {
    reply.body[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {}", reply.body))
        .to_owned()
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_forgotten_password_is_reset_with_the_mailed_code_and_every_other_sign_in_ends(
    pool: PgPool,
) {
    let smtp = SmtpServer::start();
    let app = app_with_mail(pool, &smtp).await;
    let (_, id) = app.register("dana@acme.com").await;
    sqlx::query("UPDATE users SET locale = 'fr' WHERE id = $1")
        .bind(id as i32)
        .execute(&app.pool)
        .await
        .unwrap();
    let laptop = sign_in(&app, "dana@acme.com", PASSWORD, "Dana's laptop").await;

    let asked = ask_reset(&app, "Dana@Acme.com ").await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.body);
    let mail = mail_for(&app, &smtp, "password_reset", "dana@acme.com").await;
    assert_eq!(
        mail.subject, "Votre code de réinitialisation Ava",
        "in the account's language"
    );
    assert!(mail.text.contains("Ce n’était pas vous ?"), "{}", mail.text);
    assert!(mail.html.contains("<bdi dir=\"ltr\">"), "{}", mail.html);
    let code = mail.code().expect("a code in the mail");

    let wrong = confirm(&app, "dana@acme.com", "0000 0000", "a new password").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        wrong.field_codes(),
        [("code".into(), "invalid_code".into())]
    );
    let weak = confirm(&app, "dana@acme.com", &code, "short").await;
    assert_eq!(
        weak.field_codes(),
        [("new_password".into(), "too_short".into())]
    );

    let reset = confirm(&app, "dana@acme.com", &code[..4], "x").await;
    assert_eq!(reset.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reset = confirm(
        &app,
        "dana@acme.com",
        &format!("{} {}", &code[..4], &code[4..]),
        "a new password",
    )
    .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    let here = token(&reset, "access_token");

    // The laptop's sign-in ended at once, access token included.
    let laptop_access = token(&laptop, "access_token");
    assert_eq!(
        app.get("/api/v1/user/me", &laptop_access).await.status,
        StatusCode::UNAUTHORIZED
    );
    let renewal = app
        .post_signed_out(
            "/api/v1/auth/refresh",
            json!({"refresh_token": token(&laptop, "refresh_token")}),
        )
        .await;
    assert_eq!(renewal.status, StatusCode::UNAUTHORIZED);
    let me = app.get("/api/v1/user/me", &here).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        me.body["email_verified"], true,
        "whoever read the mail owns the address"
    );

    assert_eq!(
        sign_in(&app, "dana@acme.com", PASSWORD, "x").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in(&app, "dana@acme.com", "a new password", "x")
            .await
            .status,
        StatusCode::OK
    );
    // The code is spent.
    let again = confirm(&app, "dana@acme.com", &code, "another password").await;
    assert_eq!(
        again.field_codes(),
        [("code".into(), "invalid_code".into())]
    );

    let notice = mail_for(&app, &smtp, "password_changed", "dana@acme.com").await;
    assert_eq!(notice.subject, "Votre mot de passe Ava a été modifié");
    let logs = captured_logs();
    assert!(!logs.contains(&code), "a code reached a log line");
    assert!(!logs.contains("a new password"));
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_reset_is_answered_alike_for_every_address_and_mails_are_limited(pool: PgPool) {
    let smtp = SmtpServer::start();
    let app = app_with_mail(pool, &smtp).await;
    app.register("dana@acme.com").await;
    let known = ask_reset(&app, "dana@acme.com").await;
    let unknown = ask_reset(&app, "nobody@acme.com").await;
    let malformed = ask_reset(&app, "not an address").await;
    for reply in [&known, &unknown, &malformed] {
        assert_eq!(
            (reply.status, &reply.body),
            (StatusCode::ACCEPTED, &json!({}))
        );
    }
    assert_eq!(
        known
            .headers
            .keys()
            .filter(|k| *k != "x-request-id")
            .count(),
        unknown
            .headers
            .keys()
            .filter(|k| *k != "x-request-id")
            .count()
    );
    until_queued(&app.pool, "password_reset", 1).await;
    // Each earlier mail moved back past the minute, one ask after another: five a day.
    let back = "UPDATE mail_outbox SET created_at = created_at - interval '2 minutes'";
    for sent in 2..=5 {
        sqlx::query(back).execute(&app.pool).await.unwrap();
        assert_eq!(
            ask_reset(&app, "dana@acme.com").await.status,
            StatusCode::ACCEPTED
        );
        until_queued(&app.pool, "password_reset", sent).await;
    }
    // Past them, asking is still answered alike and sends nothing: a sixth a minute later, and
    // a seventh within the same minute. Another account's ask, asked after them and waited for,
    // is the sign their work is done (they run in the order asked, each after its answer).
    sqlx::query(back).execute(&app.pool).await.unwrap();
    for _ in 0..2 {
        assert_eq!(
            ask_reset(&app, "dana@acme.com").await.status,
            StatusCode::ACCEPTED
        );
    }
    app.register("eve@acme.com").await;
    ask_reset(&app, "eve@acme.com").await;
    until_queued(&app.pool, "password_reset", 6).await;
    let danas = count(&app.pool, "SELECT count(*) FROM mail_outbox WHERE kind = 'password_reset' AND recipient = 'dana@acme.com'").await;
    assert_eq!(danas, 5, "five codes a day for one address");
    deliver(&app).await;
    deliver(&app).await;
    assert!(
        smtp.mails().iter().all(|m| m.to != "nobody@acme.com"),
        "nothing for unknown addresses"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn one_code_sent_twice_at_once_is_spent_once(pool: PgPool) {
    let smtp = SmtpServer::start();
    let app = app_with_mail(pool, &smtp).await;
    app.register("dana@acme.com").await;
    ask_reset(&app, "dana@acme.com").await;
    let code = mail_for(&app, &smtp, "password_reset", "dana@acme.com")
        .await
        .code()
        .unwrap();
    let (a, b) = tokio::join!(
        confirm(&app, "dana@acme.com", &code, "first new password"),
        confirm(&app, "dana@acme.com", &code, "second new password"),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY]);
    let winner = if a.status == StatusCode::OK {
        "first new password"
    } else {
        "second new password"
    };
    assert_eq!(
        sign_in(&app, "dana@acme.com", winner, "x").await.status,
        StatusCode::OK
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn only_the_newest_code_works_and_five_wrong_tries_end_it(pool: PgPool) {
    let smtp = SmtpServer::start();
    let transport = smtp.transport();
    // The sign-in limits (5 failures) would answer 429 first; here the code's own count is
    // under test.
    let app = TestApp::with(pool, move |config| {
        config.mail.transport = transport;
        config.login_max_failures = 100;
    })
    .await;
    app.register("dana@acme.com").await;
    ask_reset(&app, "dana@acme.com").await;
    let first = mail_for(&app, &smtp, "password_reset", "dana@acme.com")
        .await
        .code()
        .unwrap();
    sqlx::query("UPDATE mail_outbox SET created_at = created_at - interval '2 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    ask_reset(&app, "dana@acme.com").await;
    until_queued(&app.pool, "password_reset", 2).await;
    deliver(&app).await;
    let second = smtp
        .mails_to("dana@acme.com")
        .pop()
        .unwrap()
        .code()
        .unwrap();
    if first != second {
        let old = confirm(&app, "dana@acme.com", &first, "a new password").await;
        assert_eq!(
            old.field_codes(),
            [("code".into(), "invalid_code".into())],
            "an older code"
        );
    }
    let wrong = if second == "11111111" {
        "22222222"
    } else {
        "11111111"
    };
    for _ in 0..5 {
        let reply = confirm(&app, "dana@acme.com", wrong, "a new password").await;
        assert_eq!(
            reply.field_codes(),
            [("code".into(), "invalid_code".into())]
        );
    }
    let ended = confirm(&app, "dana@acme.com", &second, "a new password").await;
    assert_eq!(
        ended.field_codes(),
        [("code".into(), "invalid_code".into())],
        "five wrong tries end it"
    );
    // An expired one is refused alike.
    sqlx::query("UPDATE mail_outbox SET created_at = created_at - interval '2 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    ask_reset(&app, "dana@acme.com").await;
    until_queued(&app.pool, "password_reset", 3).await;
    deliver(&app).await;
    let third = smtp
        .mails_to("dana@acme.com")
        .pop()
        .unwrap()
        .code()
        .unwrap();
    sqlx::query("UPDATE account_codes SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    let expired = confirm(&app, "dana@acme.com", &third, "a new password").await;
    assert_eq!(
        expired.field_codes(),
        [("code".into(), "invalid_code".into())]
    );
    // And the stored code is a keyed hash, not the digits.
    let stored: Vec<u8> = sqlx::query_scalar("SELECT code_hash FROM account_codes")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32);
    assert!(!stored.windows(8).any(|w| w == third.as_bytes()));
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_frozen_smtp_server_delays_a_mail_and_loses_nothing(pool: PgPool) {
    let smtp = SmtpServer::start();
    let transport = smtp.transport();
    let app = TestApp::with(pool, move |config| {
        config.mail.transport = transport;
        config.mail.timeout = Duration::from_secs(1);
        config.mail.retry_base = Duration::from_millis(200);
    })
    .await;
    app.register("dana@acme.com").await;
    let postman = {
        let state = app.state.clone();
        tokio::spawn(async move { state.postman.run(&state.db).await })
    };
    smtp.stop();
    let asked = ask_reset(&app, "dana@acme.com").await;
    assert_eq!(
        asked.status,
        StatusCode::ACCEPTED,
        "answered at once, SMTP or not"
    );
    // The postman tried and failed while the server was frozen.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let failed: Option<String> = sqlx::query_scalar(
            "SELECT last_error FROM mail_outbox WHERE kind = 'password_reset' AND attempts >= 1",
        )
        .fetch_optional(&app.pool)
        .await
        .unwrap()
        .flatten();
        if failed.is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "no failed attempt seen");
        tokio::task::yield_now().await;
    }
    assert!(smtp.mails().is_empty());
    smtp.resume();
    // Sent once the postman marked it so (the relay has it on disk a moment before).
    let deadline = Instant::now() + Duration::from_secs(60);
    let sent: Vec<(Option<chrono::DateTime<chrono::Utc>>, String)> = loop {
        let rows: Vec<(Option<chrono::DateTime<chrono::Utc>>, String)> = sqlx::query_as(
            "SELECT sent_at, recipient FROM mail_outbox WHERE kind = 'password_reset'",
        )
        .fetch_all(&app.pool)
        .await
        .unwrap();
        if rows.iter().all(|(sent_at, _)| sent_at.is_some()) {
            break rows;
        }
        assert!(
            Instant::now() < deadline,
            "the mail was never sent after the thaw"
        );
        tokio::task::yield_now().await;
    };
    postman.abort();
    assert_eq!(sent.len(), 1);
    assert_eq!(smtp.mails_to("dana@acme.com").len(), 1, "sent once");
    assert_eq!(sent[0].1, "", "a sent mail's recipient is not kept");
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn mail_queued_before_a_restart_is_sent_after_it(pool: PgPool) {
    let smtp = SmtpServer::start();
    // The first server's SMTP relay is away (nothing listens on its port).
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let before = TestApp::with(pool.clone(), move |config| {
        config.mail.transport =
            ava_server::config::MailTransport::Smtp(format!("smtp://127.0.0.1:{dead_port}").into());
        config.mail.retry_base = Duration::from_millis(100);
    })
    .await;
    before.register("dana@acme.com").await;
    ask_reset(&before, "dana@acme.com").await;
    until_queued(&pool, "password_reset", 1).await;
    before.state.send_due_mail().await.unwrap();
    let attempts: i32 =
        sqlx::query_scalar("SELECT attempts FROM mail_outbox WHERE kind = 'password_reset'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(attempts, 1);
    drop(before);

    let after = app_with_mail(pool.clone(), &smtp).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while smtp.mails_to("dana@acme.com").is_empty() {
        assert!(Instant::now() < deadline, "the queued mail was lost");
        after.state.send_due_mail().await.unwrap();
        tokio::task::yield_now().await;
    }
    assert_eq!(smtp.mails_to("dana@acme.com")[0].code().unwrap().len(), 8);
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn two_replicas_sending_at_once_never_send_a_mail_twice(pool: PgPool) {
    let smtp = SmtpServer::start();
    let one = app_with_mail(pool.clone(), &smtp).await;
    let two = app_with_mail(pool.clone(), &smtp).await;
    for n in 0..24 {
        one.register(&format!("owner{n}@acme.com")).await;
    }
    sqlx::query("UPDATE mail_outbox SET next_attempt_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        async {
            let mut sent = 0;
            while let Ok(n @ 1..) = one.state.send_due_mail().await {
                sent += n;
            }
            sent
        },
        async {
            let mut sent = 0;
            while let Ok(n @ 1..) = two.state.send_due_mail().await {
                sent += n;
            }
            sent
        },
    );
    assert_eq!(a + b, 24, "every mail claimed once: {a} + {b}");
    let mails = smtp.mails();
    assert_eq!(mails.len(), 24);
    let mut ids: Vec<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 24, "no mail sent twice");
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_new_password_ends_every_other_sign_in_at_once(pool: PgPool) {
    let smtp = SmtpServer::start();
    let app = app_with_mail(pool, &smtp).await;
    app.register("dana@acme.com").await;
    let home = sign_in(&app, "dana@acme.com", PASSWORD, "Home Mac · macOS 15").await;
    let office = sign_in(&app, "dana@acme.com", PASSWORD, "Office PC · Windows 11").await;
    let home_access = token(&home, "access_token");

    let wrong = app
        .post(
            "/api/v1/user/password",
            &home_access,
            json!({"current_password": "not it at all", "new_password": "a new password"}),
        )
        .await;
    assert_eq!(
        wrong.field_codes(),
        [("current_password".into(), "wrong_password".into())]
    );
    let changed = app
        .post(
            "/api/v1/user/password",
            &home_access,
            json!({"current_password": PASSWORD, "new_password": "a new password"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let fresh = token(&changed, "access_token");
    assert_eq!(
        app.get("/api/v1/user/me", &token(&office, "access_token"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/user/me", &home_access).await.status,
        StatusCode::UNAUTHORIZED,
        "this computer's old sign-in too"
    );
    assert_eq!(
        app.get("/api/v1/user/me", &fresh).await.status,
        StatusCode::OK
    );
    let listed = app.get("/api/v1/user/sessions", &fresh).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(
        listed.body[0]["device"], "Home Mac · macOS 15",
        "the computer keeps its name"
    );
    let notice = mail_for(&app, &smtp, "password_changed", "dana@acme.com").await;
    assert_eq!(notice.subject, "Your Ava password was changed");
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn the_address_is_confirmed_and_changed_with_codes_sent_to_it(pool: PgPool) {
    let smtp = SmtpServer::start();
    let app = app_with_mail(pool, &smtp).await;
    let (access, id) = app.register("dana@acme.com").await;
    app.register("taken@acme.com").await;
    sqlx::query("UPDATE users SET locale = 'he' WHERE id = $1")
        .bind(id as i32)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        app.get("/api/v1/user/me", &access).await.body["email_verified"],
        false
    );

    // The sign-up's code, in the language chosen after signing up.
    let welcome = mail_for(&app, &smtp, "email_verification", "dana@acme.com").await;
    assert!(welcome.is_rtl(), "Hebrew mail is right to left");
    assert!(
        welcome.text.contains('\u{2066}'),
        "the code is isolated left to right"
    );
    let verified = app
        .post(
            "/api/v1/user/email/verify",
            &access,
            json!({"code": welcome.code().unwrap()}),
        )
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    assert_eq!(
        verified.body,
        json!({"email": "dana@acme.com", "email_verified": true})
    );

    let taken = app
        .post(
            "/api/v1/user/email",
            &access,
            json!({"new_email": "taken@acme.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        (taken.status, taken.code()),
        (StatusCode::CONFLICT, "email_taken")
    );
    let no_password = app
        .post(
            "/api/v1/user/email",
            &access,
            json!({"new_email": "dana@new.example", "password": "wrong one"}),
        )
        .await;
    assert_eq!(
        no_password.field_codes(),
        [("password".into(), "wrong_password".into())]
    );
    let asked = app
        .post(
            "/api/v1/user/email",
            &access,
            json!({"new_email": "Dana@New.Example", "password": PASSWORD}),
        )
        .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.body);
    let code = mail_for(&app, &smtp, "email_change", "dana@new.example")
        .await
        .code()
        .unwrap();
    let revision = app.get("/api/v1/user/me", &access).await.body["revision"].clone();
    let switched = app
        .post("/api/v1/user/email/verify", &access, json!({"code": code}))
        .await;
    assert_eq!(
        switched.body,
        json!({"email": "dana@new.example", "email_verified": true})
    );
    let me = app.get("/api/v1/user/me", &access).await;
    assert_eq!(me.body["email"], "dana@new.example");
    assert_ne!(
        me.body["revision"], revision,
        "other computers see the new address"
    );
    let told = mail_for(&app, &smtp, "email_changed", "dana@acme.com").await;
    assert!(told.text.contains("dana@new.example"));
    assert_eq!(
        sign_in(&app, "dana@new.example", PASSWORD, "x")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        sign_in(&app, "dana@acme.com", PASSWORD, "x").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn signed_in_computers_are_listed_and_one_can_be_ended(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.register("dana@acme.com").await;
    app.register("eve@acme.com").await;
    let home = sign_in(&app, "dana@acme.com", PASSWORD, "Home Mac\n· macOS 15").await;
    let office = sign_in(&app, "dana@acme.com", PASSWORD, "Office PC · Windows 11").await;
    let eve = sign_in(&app, "eve@acme.com", PASSWORD, "Eve's").await;
    let home_access = token(&home, "access_token");
    let listed = app.get("/api/v1/user/sessions", &home_access).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let sign_ins = listed.body.as_array().unwrap();
    assert_eq!(
        sign_ins.len(),
        3,
        "the sign-up's, home's and office's: {}",
        listed.body
    );
    let current: Vec<&Value> = sign_ins.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["device"], "Home Mac · macOS 15");
    let office_id = sign_ins
        .iter()
        .find(|s| s["device"] == "Office PC · Windows 11")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let eve_id = app
        .get("/api/v1/user/sessions", &token(&eve, "access_token"))
        .await
        .body[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for unknown in [
        eve_id.as_str(),
        "00000000000000000000000000000000",
        "not-an-id",
    ] {
        let reply = app
            .delete(&format!("/api/v1/user/sessions/{unknown}"), &home_access)
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{unknown}");
    }
    assert_eq!(
        app.get("/api/v1/user/me", &token(&eve, "access_token"))
            .await
            .status,
        StatusCode::OK
    );
    let ended = app
        .delete(&format!("/api/v1/user/sessions/{office_id}"), &home_access)
        .await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/user/me", &token(&office, "access_token"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let renewal = app
        .post_signed_out(
            "/api/v1/auth/refresh",
            json!({"refresh_token": token(&office, "refresh_token")}),
        )
        .await;
    assert_eq!(renewal.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/v1/user/me", &home_access).await.status,
        StatusCode::OK
    );
    let long = app
        .post_signed_out(
            "/api/v1/auth/login",
            json!({"email": "dana@acme.com", "password": PASSWORD, "device": "x".repeat(81)}),
        )
        .await;
    assert_eq!(long.field_codes(), [("device".into(), "too_long".into())]);
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn the_export_holds_the_account_and_never_a_secret(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let access = app.user_with_vapi_key("dana@acme.com").await;
    let saved = app
        .post(
            "/api/v1/twilio-settings",
            &access,
            json!({"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN, "phone_number": TWILIO_NUMBER}),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK);
    app.patch(
        "/api/v1/user/profile",
        &access,
        json!({"full_name": "Dana Levi", "locale": "he"}),
    )
    .await;
    let created = app
        .post("/api/v1/assistants", &access, assistant_payload("Ava"))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);

    let export = app.get("/api/v1/user/export", &access).await;
    assert_eq!(export.status, StatusCode::OK);
    let disposition = export.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"ava-export-"),
        "{disposition}"
    );
    let body = &export.body;
    assert_eq!(body["format"], "ava-export/1");
    for key in [
        "exported_at",
        "account",
        "profile",
        "studio_config",
        "onboarding",
        "credentials",
        "assistants",
        "events",
        "sessions",
    ] {
        assert!(!body[key].is_null(), "{key} missing");
    }
    assert_eq!(body["account"]["email"], "dana@acme.com");
    assert_eq!(body["profile"]["full_name"], "Dana Levi");
    assert_eq!(body["assistants"][0]["name"], "Ava");
    assert_eq!(body["credentials"]["vapi"]["has_vapi_key"], true);
    let text = body.to_string();
    for secret in [VAPI_KEY, TWILIO_TOKEN, TWILIO_SID, PASSWORD, "$argon2"] {
        assert!(!text.contains(secret), "the export holds {secret}");
    }
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn deleting_the_account_leaves_no_row_of_it_and_the_address_is_free(pool: PgPool) {
    let smtp = SmtpServer::start();
    let app = app_with_mail(pool, &smtp).await;
    let access = app.user_with_vapi_key("dana@acme.com").await;
    let (other_access, _) = app.register("eve@acme.com").await;
    let id = app.get("/api/v1/user/me", &access).await.body["id"]
        .as_i64()
        .unwrap() as i32;
    let created = app
        .post("/api/v1/assistants", &access, assistant_payload("Ava"))
        .await;
    let vapi_id = created.body["vapi_assistant_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        "/api/v1/events",
        &access,
        json!({"events": [{"id": "6f1c2a4e-0b7d-4c1e-9a55-3e2d7c9b8a10", "name": "onboarding_started",
            "occurred_at": chrono::Utc::now(), "properties": {}, "context": {"app_version": "1.0.0", "os": "linux", "locale": "en"}}]}),
    )
    .await;
    let laptop = sign_in(&app, "dana@acme.com", PASSWORD, "laptop").await;

    let wrong = app
        .post(
            "/api/v1/user/delete",
            &access,
            json!({"password": "not mine", "vapi_assistants": "delete"}),
        )
        .await;
    assert_eq!(
        wrong.field_codes(),
        [("password".into(), "wrong_password".into())]
    );
    let deleted = app
        .post(
            "/api/v1/user/delete",
            &access,
            json!({"password": PASSWORD, "vapi_assistants": "delete"}),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_eq!(
        deleted.body,
        json!({"deleted": true, "vapi": {"deleted": [vapi_id], "failed": []}})
    );
    assert!(
        app.fakes.vapi.assistant(&vapi_id).is_none(),
        "deleted in the owner's Vapi too"
    );

    // Every table that holds a user_id holds nothing of this account.
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.columns
         WHERE column_name = 'user_id' AND table_schema = 'public'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(tables.len() >= 10, "{tables:?}");
    for table in &tables {
        let left: i64 =
            sqlx::query_scalar(&format!("SELECT count(*) FROM {table} WHERE user_id = $1"))
                .bind(id)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        assert_eq!(left, 0, "{table} still holds rows of the account");
    }
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(users, 0);
    for gone in [&access, &token(&laptop, "access_token")] {
        assert_eq!(
            app.get("/api/v1/user/me", gone).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.get("/api/v1/user/me", &other_access).await.status,
        StatusCode::OK
    );
    let last = mail_for(&app, &smtp, "account_deleted", "dana@acme.com").await;
    assert_eq!(last.subject, "Your Ava account was deleted");
    assert!(
        smtp.mails_to("dana@acme.com")
            .iter()
            .all(|m| m.subject == last.subject),
        "the sign-up's code waiting in the outbox was not sent to a deleted account"
    );
    app.register("dana@acme.com").await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_sign_in_ended_for_safety_is_told_by_mail(pool: PgPool) {
    let smtp = SmtpServer::start();
    let app = app_with_mail(pool, &smtp).await;
    app.register("dana@acme.com").await;
    let session = sign_in(&app, "dana@acme.com", PASSWORD, "laptop").await;
    let first = token(&session, "refresh_token");
    let refresh = async |t: String| {
        app.post_signed_out("/api/v1/auth/refresh", json!({"refresh_token": t}))
            .await
    };
    let second = refresh(first.clone()).await;
    let third = refresh(token(&second, "refresh_token")).await;
    assert_eq!(third.status, StatusCode::OK);
    // The first token's successor was used: the first coming back is a copy.
    let copy = refresh(first).await;
    assert_eq!(
        (copy.status, copy.code()),
        (StatusCode::UNAUTHORIZED, "refresh_token_reused")
    );
    let mail = mail_for(&app, &smtp, "sign_in_ended_for_safety", "dana@acme.com").await;
    assert_eq!(mail.subject, "We ended a sign-in to your Ava account");
}
