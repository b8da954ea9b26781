use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::*;

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_new_user_starts_empty_on_the_free_plan(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (token, id) = app.register("ann@acme.com").await;
    let me = app.get("/api/v1/user/me", &token).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["id"], id);
    assert_eq!(
        me.body["profile"],
        json!({"full_name": null, "organization_name": null, "industry": null, "timezone": null,
               "locale": null, "marketing_opt_in": false, "accept_terms": false})
    );
    assert_eq!(
        me.body["studio_config"],
        json!({"persona": null, "job_to_be_done": null, "languages": [], "tone": null, "guidelines": null,
               "strategy": null, "number": null, "business_hours": null, "fallback_email": null,
               "fallback_phone": null, "calendar": null, "workspace_apps": [], "crm": null,
               "plan": "free", "seats": 1, "assistant_name": null, "assistant_voice_id": null,
               "assistant_first_message": null, "assistant_instructions": null,
               "assistant_instructions_basis": null, "call_length": null,
               "background_sound": null, "call_recording": null})
    );
    assert_eq!(
        me.body["onboarding"],
        json!({"onboarding_vapi_skipped": false, "onboarding_twilio_skipped": false, "onboarding_assistant_created": false})
    );
    assert_eq!(me.body["onboarding_completed"], false);
    assert_eq!(me.body["onboarding_completed_at"], Value::Null);
    assert!(chrono::DateTime::parse_from_rfc3339(me.body["updated_at"].as_str().unwrap()).is_ok());
}

const FULL_PROFILE: fn() -> Value = || {
    json!({"full_name": "John Doe", "organization_name": "Acme Corp", "industry": "technology",
           "timezone": "America/New_York", "locale": "en", "marketing_opt_in": true, "accept_terms": true})
};

const FULL_STUDIO: fn() -> Value = || {
    json!({"persona": "secretary", "job_to_be_done": "Gérer les appels", "languages": ["en", "fr"],
           "tone": "professional", "guidelines": "Always be polite", "strategy": "attach",
           "number": "+14155550199", "business_hours": "Mon-Fri 9-18", "fallback_email": "ops@acme.com",
           "fallback_phone": "+33612345678", "calendar": "google", "workspace_apps": ["slack", "notion"], "crm": "hubspot", "plan": "pro", "seats": 2,
           "assistant_name": "Maya", "assistant_voice_id": "fr-FR-DeniseNeural",
           "assistant_first_message": "Bonjour, Acme Dental, Maya à l'appareil.",
           "assistant_instructions": "Only book cleanings.", "assistant_instructions_basis": "0123456789abcdef",
           "call_length": "60", "background_sound": "office", "call_recording": "announced"})
};

/// Ann, with `whole` written at `path` in one PATCH, which answers it back as written.
async fn ann_with_whole(pool: PgPool, path: &str, whole: Value) -> (TestApp, String) {
    let (app, token) = TestApp::with_ann(pool).await;
    let written = app.patch(path, &token, whole.clone()).await;
    assert_eq!(written.status, StatusCode::OK);
    assert_eq!(written.body, whole);
    (app, token)
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn profile_patch_is_partial_and_returns_the_whole_profile(pool: PgPool) {
    let (app, token) = ann_with_whole(pool, "/api/v1/user/profile", FULL_PROFILE()).await;

    let untouched = app.patch("/api/v1/user/profile", &token, json!({})).await;
    assert_eq!(
        untouched.body,
        FULL_PROFILE(),
        "an empty patch changes nothing"
    );
    let nulls = app
        .patch(
            "/api/v1/user/profile",
            &token,
            json!({"full_name": null, "accept_terms": null}),
        )
        .await;
    assert_eq!(nulls.body, FULL_PROFILE(), "null leaves a field unchanged");

    let one = app
        .patch(
            "/api/v1/user/profile",
            &token,
            json!({"organization_name": "  Acme Inc  ", "industry": ""}),
        )
        .await;
    let mut expected = FULL_PROFILE();
    expected["organization_name"] = json!("Acme Inc");
    expected["industry"] = Value::Null;
    assert_eq!(one.body, expected, "trimmed, and \"\" clears");
    assert_eq!(
        app.get("/api/v1/user/me", &token).await.body["profile"],
        expected
    );
}

/// The statements are built from the model's field lists; a value edited by hand in the
/// database that the rules no longer accept reads as empty, never as a failed request.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_stored_value_the_rules_refuse_reads_as_empty(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let (token, id) = app.register("ann@acme.com").await;
    app.patch("/api/v1/user/studio-config", &token, FULL_STUDIO())
        .await;
    sqlx::query("UPDATE users SET crm = 'pipedrive', fallback_phone = '12' WHERE id = $1")
        .bind(i32::try_from(id).unwrap())
        .execute(&pool)
        .await
        .unwrap();
    let me = app.get("/api/v1/user/me", &token).await;
    assert_eq!(me.status, StatusCode::OK);
    let mut expected = FULL_STUDIO();
    expected["crm"] = Value::Null;
    expected["fallback_phone"] = Value::Null;
    assert_eq!(me.body["studio_config"], expected);
    let patched = app
        .patch(
            "/api/v1/user/studio-config",
            &token,
            json!({"tone": "casual"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(patched.body["crm"], Value::Null);
    assert_eq!(patched.body["tone"], "casual");
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn studio_patch_is_partial_and_clears_lists_with_empty_arrays(pool: PgPool) {
    let (app, token) = ann_with_whole(pool, "/api/v1/user/studio-config", FULL_STUDIO()).await;

    let cleared = app
        .patch(
            "/api/v1/user/studio-config",
            &token,
            json!({"workspace_apps": [], "guidelines": "", "seats": null}),
        )
        .await;
    let mut expected = FULL_STUDIO();
    expected["workspace_apps"] = json!([]);
    expected["guidelines"] = Value::Null;
    assert_eq!(cleared.body, expected);
    assert_eq!(
        app.get("/api/v1/user/me", &token).await.body["studio_config"],
        expected
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn updated_at_moves_on_every_write(pool: PgPool) {
    let (app, token) = TestApp::with_ann(pool).await;
    let mut last = app.get("/api/v1/user/me", &token).await.body["updated_at"]
        .as_str()
        .unwrap()
        .to_owned();
    for (path, body) in [
        ("/api/v1/user/profile", json!({"full_name": "Ann"})),
        ("/api/v1/user/studio-config", json!({"tone": "casual"})),
        ("/api/v1/user/profile", json!({"accept_terms": true})),
    ] {
        assert_eq!(app.patch(path, &token, body).await.status, StatusCode::OK);
        let now = app.get("/api/v1/user/me", &token).await.body["updated_at"]
            .as_str()
            .unwrap()
            .to_owned();
        let (a, b) = (
            chrono::DateTime::parse_from_rfc3339(&last).unwrap(),
            chrono::DateTime::parse_from_rfc3339(&now).unwrap(),
        );
        assert!(b > a, "{path}: {now} after {last}");
        last = now;
    }
}

/// Every field rule of api.md, with one good and one bad value: the bad one is a 422 that
/// names the field with the model's code, the good one is stored.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn every_field_rule_accepts_good_and_names_bad_values(pool: PgPool) {
    let (app, token) = TestApp::with_ann(pool).await;
    let cases: Vec<(&str, &str, Value, Value, &str)> = vec![
        (
            "profile",
            "full_name",
            json!("Ann Smith"),
            json!("x".repeat(121)),
            "too_long",
        ),
        (
            "profile",
            "organization_name",
            json!("Acme"),
            json!("y".repeat(121)),
            "too_long",
        ),
        (
            "profile",
            "industry",
            json!("home_services"),
            json!("mining"),
            "invalid_choice",
        ),
        (
            "profile",
            "timezone",
            json!("Asia/Jerusalem"),
            json!("Mars/Olympus"),
            "invalid_timezone",
        ),
        (
            "profile",
            "locale",
            json!("he"),
            json!("de"),
            "invalid_choice",
        ),
        (
            "profile",
            "marketing_opt_in",
            json!(false),
            json!("yes"),
            "wrong_type",
        ),
        (
            "profile",
            "accept_terms",
            json!(true),
            json!(1),
            "wrong_type",
        ),
        (
            "studio-config",
            "persona",
            json!("concierge"),
            json!("robot"),
            "invalid_choice",
        ),
        (
            "studio-config",
            "job_to_be_done",
            json!("Answer calls"),
            json!("j".repeat(2001)),
            "too_long",
        ),
        (
            "studio-config",
            "languages",
            json!(["he", "en"]),
            json!(["en", "xx"]),
            "invalid_language",
        ),
        (
            "studio-config",
            "tone",
            json!("formal"),
            json!("grumpy"),
            "invalid_choice",
        ),
        (
            "studio-config",
            "guidelines",
            json!("Be kind"),
            json!("g".repeat(4001)),
            "too_long",
        ),
        (
            "studio-config",
            "strategy",
            json!("purchase"),
            json!("steal"),
            "invalid_choice",
        ),
        (
            "studio-config",
            "number",
            json!("+972501234567"),
            json!("+0123456789"),
            "invalid_phone_number",
        ),
        (
            "studio-config",
            "business_hours",
            json!("24/7"),
            json!("h".repeat(201)),
            "too_long",
        ),
        (
            "studio-config",
            "fallback_email",
            json!("ops@acme.co.il"),
            json!("ops@"),
            "invalid_email",
        ),
        (
            "studio-config",
            "fallback_phone",
            json!("+972501234567"),
            json!("06 12 34 56 78"),
            "invalid_phone_number",
        ),
        (
            "studio-config",
            "calendar",
            json!("outlook"),
            json!("ical"),
            "invalid_choice",
        ),
        (
            "studio-config",
            "workspace_apps",
            json!(["google_drive", "ms-teams"]),
            json!(["Slack"]),
            "invalid_slug",
        ),
        (
            "studio-config",
            "crm",
            json!("none"),
            json!("pipedrive"),
            "invalid_choice",
        ),
        (
            "studio-config",
            "plan",
            json!("business"),
            json!("enterprise"),
            "invalid_choice",
        ),
        (
            "studio-config",
            "seats",
            json!(500),
            json!(501),
            "out_of_range",
        ),
    ];
    for (resource, field, good, bad, code) in cases {
        let path = format!("/api/v1/user/{resource}");
        let ok = app
            .patch(&path, &token, json!({ field: good.clone() }))
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{field}={good}: {}", ok.body);
        assert_eq!(ok.body[field], good, "{field} is stored as given");
        let refused = app
            .patch(&path, &token, json!({ field: bad.clone() }))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={bad}"
        );
        assert_eq!(
            refused.field_codes(),
            vec![(field.to_owned(), code.to_owned())],
            "{field}"
        );
        let message = refused.body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap();
        assert!(
            message.starts_with(field),
            "the message names the field: {message}"
        );
        let kept = app.get("/api/v1/user/me", &token).await;
        let section = if resource == "profile" {
            "profile"
        } else {
            "studio_config"
        };
        assert_eq!(
            kept.body[section][field], good,
            "a refused patch leaves {field} as it was"
        );
    }
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn unknown_fields_and_bad_bodies_are_422_naming_them(pool: PgPool) {
    let (app, token) = TestApp::with_ann(pool).await;
    let typo = app
        .patch(
            "/api/v1/user/profile",
            &token,
            json!({"fullname": "Ann", "industry": "legal"}),
        )
        .await;
    assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        typo.field_codes(),
        vec![("fullname".into(), "unknown_field".into())]
    );
    assert_eq!(
        app.get("/api/v1/user/me", &token).await.body["profile"]["industry"],
        Value::Null,
        "all or nothing"
    );
    let array = app
        .patch("/api/v1/user/studio-config", &token, json!([1]))
        .await;
    assert_eq!(array.status, StatusCode::UNPROCESSABLE_ENTITY);
    let many = app
        .patch(
            "/api/v1/user/studio-config",
            &token,
            json!({"seats": 0, "tone": "x", "languages": ["en", "en"]}),
        )
        .await;
    assert_eq!(
        many.field_codes().len(),
        3,
        "one entry per bad field: {}",
        many.body
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn onboarding_flags_upsert_and_read(pool: PgPool) {
    let (app, token) = TestApp::with_ann(pool).await;
    let none = app.get("/api/v1/user/onboarding", &token).await;
    assert_eq!(
        none.body,
        json!({"onboarding_vapi_skipped": false, "onboarding_twilio_skipped": false, "onboarding_assistant_created": false})
    );
    let first = app
        .patch(
            "/api/v1/user/onboarding",
            &token,
            json!({"onboarding_twilio_skipped": true}),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["onboarding_twilio_skipped"], true);
    let second = app
        .patch(
            "/api/v1/user/onboarding",
            &token,
            json!({"onboarding_assistant_created": true}),
        )
        .await;
    assert_eq!(
        second.body,
        json!({"onboarding_vapi_skipped": false, "onboarding_twilio_skipped": true, "onboarding_assistant_created": true})
    );
    assert_eq!(
        app.get("/api/v1/user/onboarding", &token).await.body,
        second.body
    );
    let rows = count(&app.pool, "SELECT count(*) FROM user_onboarding").await;
    assert_eq!(rows, 1, "one row per user");
    let bad = app
        .patch(
            "/api/v1/user/onboarding",
            &token,
            json!({"onboarding_vapi_skipped": "true"}),
        )
        .await;
    assert_eq!(
        bad.field_codes(),
        vec![("onboarding_vapi_skipped".into(), "wrong_type".into())]
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn completing_needs_the_terms_and_keeps_the_first_timestamp(pool: PgPool) {
    let (app, token) = TestApp::with_ann(pool).await;
    let complete = async || {
        app.call(
            Method::POST,
            "/api/v1/user/complete-onboarding",
            Some(&token),
            None,
        )
        .await
    };
    let early = complete().await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(early.code(), "terms_not_accepted");
    app.patch(
        "/api/v1/user/profile",
        &token,
        json!({"accept_terms": true}),
    )
    .await;
    let done = complete().await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(done.body["onboarding_completed"], true);
    let at = done.body["onboarding_completed_at"].clone();
    assert!(at.is_string());
    let again = complete().await;
    assert_eq!(again.body["onboarding_completed_at"], at, "idempotent");
    let me = app.get("/api/v1/user/me", &token).await;
    assert_eq!(
        (
            me.body["onboarding_completed"].clone(),
            me.body["onboarding_completed_at"].clone()
        ),
        (json!(true), at)
    );
}

fn etag_of(reply: &Reply) -> String {
    reply.headers["etag"].to_str().unwrap().to_owned()
}

/// Issue 33: `GET /user/me` carries the account's revision and its `ETag`; the same `ETag` in
/// `If-None-Match` is answered 304 with no body, until any write moves the revision, and every
/// write answers with the new `ETag`.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn me_answers_304_until_a_write_moves_the_revision(pool: PgPool) {
    let (app, token) = TestApp::with_ann(pool).await;
    let first = app.get("/api/v1/user/me", &token).await;
    let revision = first.body["revision"].as_i64().unwrap();
    let tag = etag_of(&first);
    assert_eq!(tag, format!("\"{revision}\""));
    let ask = async |tag: String| {
        app.call_with(
            Method::GET,
            "/api/v1/user/me",
            Some(&token),
            None,
            &[("if-none-match", &tag)],
        )
        .await
    };
    let unchanged = ask(tag.clone()).await;
    assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
    assert!(unchanged.body.is_null(), "no body: {}", unchanged.body);
    assert_eq!(etag_of(&unchanged), tag);
    assert_eq!(
        ask(format!("\"other\", W/{tag}")).await.status,
        StatusCode::NOT_MODIFIED,
        "a list, and a weak tag, compare by their opaque part"
    );

    // Each of the draft's writes, then the profile again.
    let mut writes: Vec<_> = crate::sessions::protected_routes()
        .into_iter()
        .filter(|(method, ..)| method == Method::PATCH)
        .collect();
    writes.push((
        Method::PATCH,
        "/api/v1/user/profile",
        Some(json!({"accept_terms": true})),
    ));
    let mut seen = vec![revision];
    let mut tag = tag;
    for (method, path, body) in writes {
        let written = app.call(method, path, Some(&token), body).await;
        assert_eq!(written.status, StatusCode::OK, "{path}: {}", written.body);
        let new_tag = etag_of(&written);
        let moved = ask(tag.clone()).await;
        assert_eq!(moved.status, StatusCode::OK, "{path} moved the revision");
        assert_eq!(etag_of(&moved), new_tag, "{path} answered the new ETag");
        seen.push(moved.body["revision"].as_i64().unwrap());
        tag = new_tag;
    }
    let completed = app
        .post("/api/v1/user/complete-onboarding", &token, json!({}))
        .await;
    assert_eq!(completed.status, StatusCode::OK, "{}", completed.body);
    let after = ask(tag).await;
    assert_eq!(after.status, StatusCode::OK, "completion moved it");
    seen.push(after.body["revision"].as_i64().unwrap());
    assert!(
        seen.windows(2).all(|pair| pair[0] < pair[1]),
        "every write moves it forward: {seen:?}"
    );
}

/// A revision never repeats, however many writes race: 32 PATCHes at once, 32 revisions.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_revision_never_repeats_under_concurrent_patches(pool: PgPool) {
    let (app, token) = TestApp::with_ann(pool).await;
    let before = app.get("/api/v1/user/me", &token).await.body["revision"]
        .as_i64()
        .unwrap();
    let replies = futures_util::future::join_all((0..32).map(|n| {
        let path = if n % 2 == 0 {
            "/api/v1/user/profile"
        } else {
            "/api/v1/user/studio-config"
        };
        let body = if n % 2 == 0 {
            json!({"full_name": format!("Ann {n}")})
        } else {
            json!({"guidelines": format!("Rule {n}")})
        };
        app.patch(path, &token, body)
    }))
    .await;
    let mut tags: Vec<String> = replies.iter().map(etag_of).collect();
    tags.sort();
    tags.dedup();
    assert_eq!(tags.len(), 32, "every write its own revision");
    let after = app.get("/api/v1/user/me", &token).await.body["revision"]
        .as_i64()
        .unwrap();
    assert_eq!(after, before + 32);
}
