//! Sign-in and sign-up limits (kept in PostgreSQL), bounded password hashing, NUL bytes, and
//! the housekeeping that keeps the limit and idempotency tables small.

use axum::http::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::*;

const ATTACKER: &str = "203.0.113.66";
const OFFICE: &str = "198.51.100.10";

fn retry_after(reply: &Reply) -> u64 {
    let header: u64 = reply.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        reply.body["error"]["retry_after_seconds"].as_u64(),
        Some(header),
        "the envelope says what the header says"
    );
    header
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_guesser_is_slowed_without_locking_the_owner_or_the_office(pool: PgPool) {
    let (app, _) = TestApp::with_ann(pool).await;
    app.register("bob@acme.com").await;
    for attempt in 0..5 {
        let reply = app
            .login_from(ATTACKER, "ann@acme.com", "wrong password")
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let locked = app.login_from(ATTACKER, "ann@acme.com", PASSWORD).await;
    assert_eq!(
        (locked.status, locked.code()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
        "the guesser's address is held, right password or not"
    );
    let first_delay = retry_after(&locked);
    assert!(
        (1..=30).contains(&first_delay),
        "a short first delay: {first_delay}"
    );

    let owner = app.login_from(OFFICE, "ann@acme.com", PASSWORD).await;
    assert_eq!(owner.status, StatusCode::OK, "the owner elsewhere signs in");
    let colleague = app.login_from(ATTACKER, "bob@acme.com", PASSWORD).await;
    assert_eq!(
        colleague.status,
        StatusCode::OK,
        "another account behind the same address is not locked"
    );

    // Once the delay has run out, the next failure waits twice as long.
    sqlx::query("UPDATE auth_throttle SET locked_until = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    let again = app
        .login_from(ATTACKER, "ann@acme.com", "still wrong")
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    let doubled = retry_after(&app.login_from(ATTACKER, "ann@acme.com", PASSWORD).await);
    assert!((31..=60).contains(&doubled), "the delay doubles: {doubled}");
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn an_account_guessed_from_many_addresses_is_held_for_minutes_at_most(pool: PgPool) {
    let app = TestApp::with(pool, |c| c.login_max_failures = 2).await;
    app.register("ann@acme.com").await;
    // One failure from each of 20 addresses: no pair reaches its ceiling of 2, the account
    // reaches its ceiling of 10 × 2.
    for i in 1..=20 {
        let reply = app
            .login_from(&format!("192.0.2.{i}"), "ann@acme.com", "wrong password")
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "address {i}");
    }
    let held = app.login_from(OFFICE, "ann@acme.com", PASSWORD).await;
    assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        retry_after(&held) <= 300,
        "never more than 5 minutes at a time"
    );
    let caps: Vec<i32> =
        sqlx::query_scalar("SELECT max_delay_seconds FROM auth_throttle WHERE scope = 'account'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(caps, vec![300]);
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn one_address_trying_many_accounts_is_held_except_for_accounts_it_knows(pool: PgPool) {
    let app = TestApp::with(pool, |c| c.login_max_failures = 2).await;
    app.register("ann@acme.com").await;
    app.register("newcomer@acme.com").await;
    assert_eq!(
        app.login_from(ATTACKER, "ann@acme.com", PASSWORD)
            .await
            .status,
        StatusCode::OK,
        "ann has signed in from this address before"
    );
    // 20 × 2 failures, each on another address-book entry: credential stuffing.
    for i in 0..40 {
        let reply = app
            .login_from(ATTACKER, &format!("u{i}@acme.com"), "password1")
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let stranger = app
        .login_from(ATTACKER, "newcomer@acme.com", PASSWORD)
        .await;
    assert_eq!(stranger.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        app.login_from(ATTACKER, "ann@acme.com", PASSWORD)
            .await
            .status,
        StatusCode::OK,
        "an account known at this address is not held by the address's lock"
    );
    assert_eq!(
        app.login_from(OFFICE, "newcomer@acme.com", PASSWORD)
            .await
            .status,
        StatusCode::OK,
        "other addresses are not held"
    );
    let clear_text = count(
        &app.pool,
        "SELECT count(*) FROM auth_throttle WHERE position(convert_to('acme', 'UTF8') in key) > 0
            OR position(convert_to('203.0.113', 'UTF8') in key) > 0",
    )
    .await;
    assert_eq!(clear_text, 0, "no e-mail or address stored in clear");
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn sign_ups_are_limited_per_address(pool: PgPool) {
    let app = TestApp::with(pool, |c| c.register_max_per_hour = 3).await;
    let register = |ip: &'static str, n: u32| {
        app.call_from(
            ip,
            "/api/v1/auth/register",
            json!({"email": format!("user{n}@acme.com"), "password": PASSWORD}),
            &[],
        )
    };
    for n in 0..3 {
        assert_eq!(register(OFFICE, n).await.status, StatusCode::CREATED);
    }
    let refused = register(OFFICE, 3).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_registrations")
    );
    assert!((1..=3600).contains(&retry_after(&refused)));
    assert_eq!(register(ATTACKER, 4).await.status, StatusCode::CREATED);
    let users = count(&app.pool, "SELECT count(*) FROM users").await;
    assert_eq!(users, 4, "the refused sign-up created nothing");
}

/// The API behind a load balancer at 10.0.0.0/8, one sign-up an hour per address.
async fn behind_proxies(pool: PgPool) -> TestApp {
    TestApp::with(pool, |c| {
        c.register_max_per_hour = 1;
        c.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    })
    .await
}

/// Sign-up `n`, arriving from `peer` with `X-Forwarded-For: {forwarded}`.
async fn register_through(app: &TestApp, peer: &str, forwarded: &str, n: u32) -> Reply {
    app.call_from(
        peer,
        "/api/v1/auth/register",
        json!({"email": format!("user{n}@acme.com"), "password": PASSWORD}),
        &[("x-forwarded-for", forwarded)],
    )
    .await
}

/// `rounds` times, a wrong password for ann from each of 192.0.2.1 to .12: each refused, as
/// a wrong password or as too many.
async fn wrong_passwords_from_12_addresses(app: &TestApp, rounds: usize) {
    for round in 0..rounds {
        for i in 1..=12 {
            let reply = app
                .login_from(&format!("192.0.2.{i}"), "ann@acme.com", "wrong password")
                .await;
            assert!(
                [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(&reply.status),
                "round {round}, address {i}: {}",
                reply.status
            );
        }
    }
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn forwarded_for_counts_only_behind_a_trusted_proxy(pool: PgPool) {
    let app = behind_proxies(pool).await;
    let register = async |peer, client, n| register_through(&app, peer, client, n).await;
    // Two clients behind the load balancer are two addresses.
    assert_eq!(
        register("10.0.0.5", OFFICE, 0).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        register("10.0.0.5", ATTACKER, 1).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        register("10.0.0.6", OFFICE, 2).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the same client through another balancer node"
    );
    // An untrusted peer cannot pose as someone else with the header.
    assert_eq!(
        register("192.0.2.1", "192.0.2.99", 3).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        register("192.0.2.1", "192.0.2.100", 4).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_spread_attack_never_locks_the_owner_out_where_they_signed_in_before(pool: PgPool) {
    let (app, _) = TestApp::with_ann(pool).await;
    assert_eq!(
        app.login_from(OFFICE, "ann@acme.com", PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
    // 72 wrong passwords for ann from 12 addresses: past the account's ceiling of 50.
    wrong_passwords_from_12_addresses(&app, 6).await;
    let stranger = app
        .login_from("198.51.100.77", "ann@acme.com", PASSWORD)
        .await;
    assert_eq!(
        stranger.status,
        StatusCode::TOO_MANY_REQUESTS,
        "from anywhere else the account is held"
    );
    let owner = app.login_from(OFFICE, "ann@acme.com", PASSWORD).await;
    assert_eq!(
        owner.status,
        StatusCode::OK,
        "at an address where ann signed in before, the attack does not hold her: {}",
        owner.body
    );
    // The trickle goes on; the owner still gets in.
    app.login_from("192.0.2.13", "ann@acme.com", "wrong password")
        .await;
    assert_eq!(
        app.login_from(OFFICE, "ann@acme.com", PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
}

/// Signs up `user<n>@acme.com` from `ip`.
async fn sign_up_from(app: &TestApp, ip: String, n: u32) -> Reply {
    app.call_from(
        &ip,
        "/api/v1/auth/register",
        json!({"email": format!("user{n}@acme.com"), "password": PASSWORD}),
        &[],
    )
    .await
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn ipv6_sign_ups_are_counted_per_64(pool: PgPool) {
    let app = TestApp::with(pool, |c| c.register_max_per_hour = 2).await;
    let register = |ip: String, n: u32| sign_up_from(&app, ip, n);
    for n in 0..2 {
        let ip = format!("2001:db8:aa:1:{n}::1");
        assert_eq!(register(ip, n).await.status, StatusCode::CREATED);
    }
    let same_block = register("2001:db8:aa:1:ffff:ffff:ffff:ffff".into(), 2).await;
    assert_eq!(
        same_block.code(),
        "too_many_registrations",
        "another address of the same /64 is the same subscriber"
    );
    assert_eq!(
        register("2001:db8:aa:2::1".into(), 3).await.status,
        StatusCode::CREATED,
        "the next /64 is someone else"
    );
}

/// Issue 31: a /48 holds 65,536 /64s, each a fresh allowance when only /64s were counted. The
/// /56 around an address allows twice the /64's sign-ups, the /48 four times.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn ipv6_sign_ups_are_also_counted_per_56_and_48(pool: PgPool) {
    let app = TestApp::with(pool, |c| c.register_max_per_hour = 2).await;
    let register = async |ip: String, n: u32| sign_up_from(&app, ip, n).await.status;
    // One /56 (2001:db8:cc:0::/56), a new /64 each time: 4 pass, the 5th is held.
    for n in 0..4 {
        assert_eq!(
            register(format!("2001:db8:cc:{n:x}::1"), n).await,
            StatusCode::CREATED
        );
    }
    assert_eq!(
        register("2001:db8:cc:4::1".into(), 4).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a fifth /64 of the same /56"
    );
    // One /48 (2001:db8:dd::/48), a new /56 each time: 8 pass, the 9th is held.
    for n in 0..8u32 {
        assert_eq!(
            register(format!("2001:db8:dd:{:x}::1", n << 8), 10 + n).await,
            StatusCode::CREATED,
            "/56 number {n}"
        );
    }
    assert_eq!(
        register("2001:db8:dd:ff00::1".into(), 20).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a ninth /56 of the same /48"
    );
    assert_eq!(
        register("2001:db8:ee::1".into(), 21).await,
        StatusCode::CREATED,
        "another /48 is someone else"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_client_that_writes_its_own_forwarded_for_counts_as_itself(pool: PgPool) {
    let app = behind_proxies(pool).await;
    // What a proxy that appends (`$proxy_add_x_forwarded_for`) passes on: the client's own
    // text first, then the address the proxy saw.
    let register = async |header, n| register_through(&app, "10.0.0.5", header, n).await;
    assert_eq!(
        register("not an address, 192.0.2.1", 0).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        register("also garbage, 192.0.2.2", 1).await.status,
        StatusCode::CREATED,
        "two clients writing garbage are not one proxy that has used its allowance"
    );
    assert_eq!(
        register("10.1.1.1, 192.0.2.1", 2).await.code(),
        "too_many_registrations",
        "and a written address does not make a client someone else"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_burst_beyond_the_hashing_pool_gets_503_with_retry_after(pool: PgPool) {
    let app = TestApp::with(pool, |c| {
        c.hashing_concurrency = 1;
        c.hashing_queue = 0;
    })
    .await;
    let sign_up = |n: u32| {
        app.post_signed_out(
            "/api/v1/auth/register",
            json!({"email": format!("burst{n}@acme.com"), "password": PASSWORD}),
        )
    };
    // join_all polls every request before any is polled again, so the first holds the only
    // hashing slot while the others ask for one.
    let replies = futures_util::future::join_all((0..4).map(sign_up)).await;
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let busy: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert_eq!(created + busy.len(), 4, "nothing but 201 and 503");
    assert!(created >= 1);
    assert_eq!(
        busy.len(),
        3,
        "no queue: the three others are told to come back"
    );
    for reply in busy {
        assert_eq!(reply.code(), "server_busy");
        assert_eq!(retry_after(reply), 1);
    }
    assert_eq!(
        sign_up(9).await.status,
        StatusCode::CREATED,
        "the slot is free again"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_nul_in_any_text_field_is_a_422_naming_it(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let token = app.user_with_vapi_key("ann@acme.com").await;
    let cases = [
        (
            Method::PATCH,
            "/api/v1/user/profile",
            json!({"full_name": "Ann\u{0}"}),
            "full_name",
        ),
        (
            Method::PATCH,
            "/api/v1/user/profile",
            json!({"timezone": "\u{0}"}),
            "timezone",
        ),
        (
            Method::PATCH,
            "/api/v1/user/studio-config",
            json!({"guidelines": "a\u{0}b"}),
            "guidelines",
        ),
        (
            Method::PATCH,
            "/api/v1/user/studio-config",
            json!({"business_hours": "9\u{0}"}),
            "business_hours",
        ),
        (
            Method::PATCH,
            "/api/v1/user/studio-config",
            json!({"workspace_apps": ["a\u{0}"]}),
            "workspace_apps",
        ),
        (
            Method::POST,
            "/api/v1/vapi-settings",
            json!({"vapi_api_key": "abcdefgh\u{0}"}),
            "vapi_api_key",
        ),
        (
            Method::POST,
            "/api/v1/assistants",
            json!({"name": "Ava\u{0}", "vapi_assistant_id": "a1"}),
            "name",
        ),
        (
            Method::POST,
            "/api/v1/assistants",
            json!({"name": "Ava", "vapi_assistant_id": "a1", "metadata": {"note": "x\u{0}"}}),
            "metadata.note",
        ),
    ];
    for (method, path, body, field) in cases {
        let reply = app.call(method, path, Some(&token), Some(body)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {field}: {}",
            reply.body
        );
        assert_eq!(
            reply.field_codes(),
            vec![(field.to_owned(), "contains_nul".to_owned())],
            "{path}"
        );
    }
    for path in ["/api/v1/auth/login", "/api/v1/auth/register"] {
        let reply = app
            .post_signed_out(
                path,
                json!({"email": "a\u{0}@acme.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(reply.field_codes()[0].0, "email");
    }
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn housekeeping_purges_spent_limits_and_day_old_settled_idempotency_keys(pool: PgPool) {
    let (app, token) = TestApp::with_ann(pool).await;
    for ip in [ATTACKER, OFFICE] {
        app.login_from(ip, "ann@acme.com", "wrong password").await;
    }
    for key in ["old", "new"] {
        let reply = app
            .call_with(
                Method::POST,
                "/api/v1/assistants",
                Some(&token),
                Some(json!({"name": "Ava", "vapi_assistant_id": format!("asst-{key}")})),
                &[("idempotency-key", key)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED);
    }
    let rows = |table: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM {table}"))
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let limits_before = rows("auth_throttle").await;
    assert!(
        limits_before >= 3,
        "pairs, account, addresses: {limits_before}"
    );
    // Age one address's row and one key past their time.
    sqlx::query(
        "UPDATE auth_throttle SET updated_at = now() - interval '2 days', locked_until = NULL
         WHERE scope = 'address' AND ctid = (SELECT ctid FROM auth_throttle WHERE scope = 'address' LIMIT 1)",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    // A key whose attempt's outcome was never learnt stays, however old: its retry must still
    // find the assistant rather than make a second one.
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, outcome_unknown, created_at)
         SELECT id, 'unknown', '\\x00', true, now() - interval '30 days' FROM users",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let purged = ava_server::purge_expired(&app.state).await.unwrap();
    assert_eq!(purged, 2);
    assert_eq!(rows("auth_throttle").await, limits_before - 1);
    let mut keys: Vec<String> = sqlx::query_scalar("SELECT key FROM idempotency_keys")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    keys.sort();
    assert_eq!(keys, vec!["new".to_owned(), "unknown".to_owned()]);
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_request_past_its_time_is_cut_off_with_503(pool: PgPool) {
    // The subject is the request timeout: Vapi never answers, and the provider timeout is far
    // longer than the request's.
    let app = TestApp::with(pool, |c| {
        c.request_timeout = std::time::Duration::from_secs(2);
        c.provider_timeout = std::time::Duration::from_secs(600);
    })
    .await;
    let token = app.user_with_vapi_key("ann@acme.com").await;
    app.fakes.vapi.faults.fail_next(1, ava_fakes::Fault::Hang);
    let cut = app
        .post("/api/v1/assistants", &token, assistant_payload("Ava"))
        .await;
    assert_eq!(
        (cut.status, cut.code()),
        (StatusCode::SERVICE_UNAVAILABLE, "request_timeout")
    );
    assert_eq!(retry_after(&cut), 1);
    assert_eq!(
        app.get("/api/v1/user/me", &token).await.status,
        StatusCode::OK,
        "the server goes on serving"
    );
}

/// Issue 31: the check, the hash and the count were three steps, so wrong passwords sent at
/// the same moment all passed the check before any was counted (≥ 9 verdicts of 32).
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn wrong_passwords_sent_at_once_get_no_more_verdicts_than_the_ceiling(pool: PgPool) {
    let (app, _) = TestApp::with_ann(pool).await;
    let replies = futures_util::future::join_all(
        (0..32).map(|_| app.login_from(ATTACKER, "ann@acme.com", "wrong password")),
    )
    .await;
    let verdicts = replies
        .iter()
        .filter(|r| r.status == StatusCode::UNAUTHORIZED)
        .count();
    let held = replies
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        (verdicts, held),
        (5, 27),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
}

/// A right password is no failure, even though every attempt is counted before its hash.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn right_passwords_leave_no_count_behind(pool: PgPool) {
    let (app, _) = TestApp::with_ann(pool).await;
    for _ in 0..12 {
        let reply = app.login_from(OFFICE, "ann@acme.com", PASSWORD).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    let counted: Vec<i32> = sqlx::query_scalar("SELECT failures FROM auth_throttle")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert!(counted.iter().all(|n| *n == 0), "{counted:?}");
}

/// The desktop signs up once and then only refreshes: the places it refreshes from are the
/// owner's, and a spread attack must not lock the owner out there once the sign-in ends.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn where_a_sign_in_is_renewed_or_made_the_owner_is_known(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let signed_up = app
        .call_from(
            OFFICE,
            "/api/v1/auth/register",
            json!({"email": "ann@acme.com", "password": PASSWORD}),
            &[],
        )
        .await;
    assert_eq!(signed_up.status, StatusCode::CREATED);
    const HOME: &str = "198.51.100.20";
    let renewed = app
        .call_from(
            HOME,
            "/api/v1/auth/refresh",
            json!({"refresh_token": signed_up.body["refresh_token"]}),
            &[],
        )
        .await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
    // 60 wrong passwords for ann from 12 addresses: past the account's ceiling of 50.
    wrong_passwords_from_12_addresses(&app, 5).await;
    assert_eq!(
        app.login_from("198.51.100.77", "ann@acme.com", PASSWORD)
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS,
        "from anywhere else the account is held"
    );
    for place in [OFFICE, HOME] {
        let owner = app.login_from(place, "ann@acme.com", PASSWORD).await;
        assert_eq!(owner.status, StatusCode::OK, "{place}: {}", owner.body);
    }
    // Known for as long as a sign-in lasts (90 days), not 30.
    sqlx::query("UPDATE auth_throttle SET last_success_at = now() - interval '60 days'")
        .execute(&app.pool)
        .await
        .unwrap();
    let owner = app.login_from(HOME, "ann@acme.com", PASSWORD).await;
    assert_eq!(owner.status, StatusCode::OK, "60 days on: {}", owner.body);
}

/// Issue 31: one account could grow the database without end. Every login kept a sign-in for
/// 90 days; now an account holds at most `MAX_SIGN_INS_PER_USER` and a new one ends the oldest,
/// its access tokens at once.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn an_account_holds_a_bounded_number_of_sign_ins(pool: PgPool) {
    let app = TestApp::with(pool, |c| c.max_sign_ins_per_user = 3).await;
    app.register("ann@acme.com").await;
    let mut sessions = Vec::new();
    for _ in 0..4 {
        let reply = app.login_from(OFFICE, "ann@acme.com", PASSWORD).await;
        assert_eq!(reply.status, StatusCode::OK);
        sessions.push(reply.body);
    }
    let live = count(
        &app.pool,
        "SELECT count(*) FROM refresh_families WHERE revoked_at IS NULL",
    )
    .await;
    assert_eq!(live, 3);
    // The oldest two went: the sign-up's and the first login's.
    let first = &sessions[0];
    let refused = app
        .post_signed_out(
            "/api/v1/auth/refresh",
            json!({"refresh_token": first["refresh_token"]}),
        )
        .await;
    assert_eq!(refused.code(), "invalid_refresh_token");
    assert_eq!(
        app.get("/api/v1/user/me", first["access_token"].as_str().unwrap())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let newest = &sessions[3];
    assert_eq!(
        app.get("/api/v1/user/me", newest["access_token"].as_str().unwrap())
            .await
            .status,
        StatusCode::OK
    );
}

/// Re-recording an assistant it already holds under a fresh `Idempotency-Key` stored a key row
/// each time; an account now holds at most `MAX_IDEMPOTENCY_KEYS_PER_USER`. A retry of a key it
/// holds still gets its first answer.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn an_account_holds_a_bounded_number_of_idempotency_keys(pool: PgPool) {
    let app = TestApp::with(pool, |c| c.max_idempotency_keys_per_user = 2).await;
    // Records only (no key on the server, so nothing asks Vapi).
    let (token, _) = app.register("ann@acme.com").await;
    let record = async |key: &str| {
        app.call_with(
            Method::POST,
            "/api/v1/assistants",
            Some(&token),
            Some(json!({"name": "Ava", "vapi_assistant_id": "asst-kept"})),
            &[("idempotency-key", key)],
        )
        .await
    };
    assert_eq!(record("key-1").await.status, StatusCode::CREATED);
    assert_eq!(record("key-2").await.status, StatusCode::OK);
    let third = record("key-3").await;
    assert_eq!(
        (third.status, third.code()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
    );
    assert!(third.headers.contains_key("retry-after"));
    assert_eq!(
        record("key-1").await.status,
        StatusCode::CREATED,
        "a key it holds still replays its first answer"
    );
    let keys = count(&app.pool, "SELECT count(*) FROM idempotency_keys").await;
    assert_eq!(keys, 2);
}

/// A per-account request rate: past its burst an account waits (429 with Retry-After), and
/// another account is not held by it.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn an_account_making_requests_without_pause_is_slowed(pool: PgPool) {
    let app = TestApp::with(pool, |c| c.max_requests_per_minute = 5).await;
    let (ann, _) = app.register("ann@acme.com").await;
    let (bob, _) = app.register("bob@acme.com").await;
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(app.get("/api/v1/user/me", &ann).await);
    }
    let held = statuses
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    // 5 a minute, bursts of 1: one more passes every 12 s, so unless 30 requests took four
    // minutes, at least 10 are held.
    assert!(held >= 10, "{held} of 30 held");
    let first_held = statuses
        .iter()
        .find(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .unwrap();
    assert_eq!(first_held.code(), "too_many_requests");
    assert!(retry_after(first_held) >= 1);
    assert_eq!(
        app.get("/api/v1/user/me", &bob).await.status,
        StatusCode::OK,
        "bob is not held by ann's requests"
    );
}
