//! A server that refuses a field (a 422 the model did not predict) must not be retried
//! forever, must say which field, and must not cost the user the value or the other edits.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ava_core::secrets::MemoryStore;
use ava_core::{CoreConfig, Onboarding, RetryPolicy, SyncState};
use axum::Json;
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use serde_json::{Value, json};

fn me_body() -> Value {
    json!({
        "id": 1, "email": "ann@acme.com",
        "profile": {"full_name": null, "organization_name": null, "industry": null, "timezone": null,
                    "locale": null, "marketing_opt_in": false, "accept_terms": false},
        "studio_config": {"persona": null, "job_to_be_done": null, "languages": [], "tone": null, "guidelines": null,
                          "strategy": null, "number": null, "business_hours": null, "fallback_email": null,
                          "calendar": null, "workspace_apps": [], "crm": null, "plan": "free", "seats": 1},
        "onboarding": {"onboarding_vapi_skipped": false, "onboarding_twilio_skipped": false, "onboarding_assistant_created": false},
        "onboarding_completed": false, "onboarding_completed_at": null, "updated_at": "2026-11-24T08:00:00Z"
    })
}

fn refusal(field: &str, code: &str) -> (StatusCode, Json<Value>) {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(
            json!({"error": {"code": "validation_failed", "message": format!("Some fields are invalid: {field}"),
            "fields": [{"field": field, "code": code, "message": format!("{field} is refused")}]}}),
        ),
    )
}

/// The stand-in's answer to a profile PATCH: the name refused, or the profile as saved.
fn profile_reply(refuse_name: bool) -> (StatusCode, Json<Value>) {
    if refuse_name {
        refusal("full_name", "reserved_name")
    } else {
        (StatusCode::OK, Json(me_body()["profile"].clone()))
    }
}

/// Ann, just signed up on a new core against the stand-in at `url`.
async fn signed_up(url: &str) -> (tempfile::TempDir, Onboarding) {
    let dir = tempfile::tempdir().unwrap();
    let core = open(dir.path(), url, QUICK);
    core.sign_up("ann@acme.com", "correct horse").await.unwrap();
    (dir, core)
}

/// A profile PATCH answered with the profile, as saved.
fn accepting_profiles() -> axum::Router {
    axum::Router::new().route(
        "/api/v1/user/profile",
        patch(|| async { Json(me_body()["profile"].clone()) }),
    )
}

/// The API's sign-up and `me`, and whatever routes the test adds, on a free port.
async fn stand_in(routes: axum::Router) -> String {
    let app = axum::Router::new()
        .route("/api/v1/auth/register", post(|| async {
            (StatusCode::CREATED, Json(json!({"access_token": "t0k3n", "token_type": "bearer", "expires_in": 3600,
                                               "refresh_token": "r3fr3sh", "refresh_expires_in": 86400,
                                               "user": {"id": 1, "email": "ann@acme.com"}})))
        }))
        .route("/api/v1/user/me", get(|| async { Json(me_body()) }))
        .merge(routes);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, app).into_future());
    format!("http://{addr}")
}

fn open(dir: &std::path::Path, url: &str, retry: RetryPolicy) -> Onboarding {
    Onboarding::open(
        CoreConfig {
            retry,
            ..CoreConfig::new(dir, url)
        },
        Arc::new(MemoryStore::default()),
        None,
    )
    .unwrap()
    .onboarding
}

const QUICK: RetryPolicy = RetryPolicy {
    base: Duration::from_millis(10),
    max: Duration::from_millis(50),
    attempts: 3,
};

#[tokio::test]
async fn a_refused_field_is_reported_once_and_the_rest_still_syncs() {
    let bodies: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = bodies.clone();
    let url = stand_in(axum::Router::new().route(
        "/api/v1/user/profile",
        patch(move |Json(body): Json<Value>| async move {
            seen.lock().unwrap().push(body.clone());
            profile_reply(body.get("full_name").is_some())
        }),
    ))
    .await;
    let (dir, core) = signed_up(&url).await;
    core.update_profile(&json!({"full_name": "Admin", "industry": "legal"}))
        .unwrap();
    let mut status = core.status();
    let settled = tokio::time::timeout(
        Duration::from_secs(10),
        status
            .wait_for(|s| s.state == SyncState::Synced && s.pending == 0 && !s.refused.is_empty()),
    )
    .await
    .unwrap_or_else(|_| {
        panic!(
            "never settled: {:?} {:?}",
            core.status().borrow().clone(),
            bodies.lock().unwrap()
        )
    })
    .unwrap()
    .clone();
    let refused = &settled.refused[0];
    assert_eq!(
        (refused.field.map(|f| f.as_str()), refused.code.as_str()),
        (Some("full_name"), "reserved_name")
    );
    assert_eq!(
        core.snapshot().profile.full_name.unwrap().as_str(),
        "Admin",
        "the value stays in the draft"
    );
    let sent = bodies.lock().unwrap().clone();
    assert_eq!(
        sent.iter().filter(|b| b.get("full_name").is_some()).count(),
        1,
        "a refusal is not retried"
    );
    assert_eq!(
        sent.last().unwrap(),
        &json!({"industry": "legal"}),
        "the rest still went out"
    );

    // The refusal is kept with the draft: a restart still shows it at its field.
    core.flush().unwrap();
    drop(core);
    let core = open(dir.path(), &url, QUICK);
    let refused = core.status().borrow().refused.clone();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].field.map(|f| f.as_str()), Some("full_name"));

    // Editing the field again clears its error and tries the new value.
    core.update_profile(&json!({"full_name": "Ann"})).unwrap();
    assert!(core.status().borrow().refused.is_empty());
    assert!(core.snapshot().refused.is_empty());
}

#[tokio::test]
async fn an_edit_made_while_the_refused_request_was_out_is_still_sent() {
    let bodies: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = bodies.clone();
    let arrived = Arc::new(tokio::sync::Notify::new());
    let release = Arc::new(tokio::sync::Notify::new());
    let (arrived_tx, release_rx) = (arrived.clone(), release.clone());
    let url = stand_in(axum::Router::new().route(
        "/api/v1/user/profile",
        patch(move |Json(body): Json<Value>| {
            let (seen, arrived, release) = (seen.clone(), arrived_tx.clone(), release_rx.clone());
            async move {
                seen.lock().unwrap().push(body.clone());
                let refuse = body["full_name"] == "Admin";
                if refuse {
                    // Held until the user has typed again, then refused.
                    arrived.notify_one();
                    release.notified().await;
                }
                profile_reply(refuse)
            }
        }),
    ))
    .await;
    let (_dir, core) = signed_up(&url).await;
    core.update_profile(&json!({"full_name": "Admin"})).unwrap();
    arrived.notified().await;
    core.update_profile(&json!({"full_name": "Ann"})).unwrap();
    release.notify_one();

    let mut status = core.status();
    let settled = tokio::time::timeout(
        Duration::from_secs(10),
        status.wait_for(|s| s.state == SyncState::Synced && s.pending == 0),
    )
    .await
    .unwrap_or_else(|_| panic!("never settled: {:?}", core.status().borrow().clone()))
    .unwrap()
    .clone();
    assert!(
        settled.refused.is_empty(),
        "the refusal was about a value since replaced: {:?}",
        settled.refused
    );
    let names: Vec<Value> = bodies
        .lock()
        .unwrap()
        .iter()
        .map(|b| b["full_name"].clone())
        .collect();
    assert_eq!(
        names,
        [json!("Admin"), json!("Ann")],
        "the re-edit went out"
    );
}

#[tokio::test]
async fn a_refusal_that_keeps_coming_back_is_asked_again_with_backoff() {
    let asked: Arc<Mutex<Vec<std::time::Instant>>> = Arc::default();
    let seen = asked.clone();
    let url = stand_in(accepting_profiles().route(
        "/api/v1/user/complete-onboarding",
        post(move || async move {
            seen.lock().unwrap().push(std::time::Instant::now());
            refusal("accept_terms", "terms_not_accepted")
        }),
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    // Every pause is between 30 and 300 ms (full jitter, never under a tenth of the ceiling).
    let steady = RetryPolicy {
        base: Duration::from_millis(300),
        max: Duration::from_millis(300),
        attempts: 3,
    };
    let core = open(dir.path(), &url, steady);
    core.sign_up("ann@acme.com", "correct horse").await.unwrap();
    core.update_profile(&json!({"accept_terms": true})).unwrap();
    core.complete().unwrap();
    let status = common_wait(&core, |s| {
        s.refused
            .iter()
            .any(|r| r.field.map(|f| f.as_str()) == Some("accept_terms"))
    })
    .await;
    assert_eq!(status.state, SyncState::Failed);
    // Ask until three refusals have come back; the gaps between them are the pauses.
    let mut watch = core.status();
    tokio::time::timeout(Duration::from_secs(20), async {
        while asked.lock().unwrap().len() < 3 {
            let _ = watch.changed().await;
        }
    })
    .await
    .expect("Launch is asked again");
    let times = asked.lock().unwrap().clone();
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(30),
            "asked again after {gap:?}: no backoff"
        );
    }
    assert!(
        core.snapshot().outbox.complete,
        "Launch stays queued until the server takes it"
    );
}

async fn common_wait(
    core: &Onboarding,
    want: impl Fn(&ava_core::StatusView) -> bool,
) -> ava_core::StatusView {
    let mut status = core.status();
    tokio::time::timeout(Duration::from_secs(10), status.wait_for(|s| want(s)))
        .await
        .unwrap_or_else(|_| panic!("timed out: {:?}", core.status().borrow().clone()))
        .unwrap()
        .clone()
}

use std::future::IntoFuture;

/// A keychain that never answers until the test lets it (as a locked collection waiting on a
/// password prompt would).
struct StuckKeychain(std::sync::Mutex<std::sync::mpsc::Receiver<()>>);

impl ava_core::secrets::SecretStore for StuckKeychain {
    fn get(
        &self,
        _scope: &str,
        _name: ava_core::secrets::SecretName,
    ) -> Result<Option<secrecy::SecretString>, ava_core::secrets::SecretError> {
        let _ = self.0.lock().map(|r| r.recv());
        Ok(None)
    }
    fn set(
        &self,
        _scope: &str,
        _name: ava_core::secrets::SecretName,
        _value: &secrecy::SecretString,
    ) -> Result<(), ava_core::secrets::SecretError> {
        let _ = self.0.lock().map(|r| r.recv());
        Ok(())
    }
    fn delete(
        &self,
        _scope: &str,
        _name: ava_core::secrets::SecretName,
    ) -> Result<(), ava_core::secrets::SecretError> {
        let _ = self.0.lock().map(|r| r.recv());
        Ok(())
    }
    fn is_persistent(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn a_keychain_that_never_answers_is_a_clear_error_not_a_frozen_button() {
    let (release, stuck) = std::sync::mpsc::channel::<()>();
    let dir = tempfile::tempdir().unwrap();
    let config = CoreConfig {
        // The subject is the keychain timeout; nothing else here waits on time.
        keychain_timeout: std::time::Duration::from_millis(300),
        ..CoreConfig::new(dir.path(), "http://127.0.0.1:9")
    };
    let keychain = std::sync::Arc::new(StuckKeychain(std::sync::Mutex::new(stuck)));
    let core = ava_core::Onboarding::open(config, keychain, None)
        .unwrap()
        .onboarding;
    let error = core
        .sign_out(ava_ipc::UnsentEdits::KeepForNextSignIn)
        .await
        .unwrap_err();
    assert_eq!(error.code(), ava_model::ErrorCode::KeychainUnavailable);
    assert!(
        error.to_string().contains("did not answer within 0.3 s"),
        "{error}"
    );
    // Let the stuck calls (this one and the sync task's) finish, so the runtime can stop.
    for _ in 0..8 {
        let _ = release.send(());
    }
    drop(release);
}

#[tokio::test]
async fn a_server_that_refuses_events_never_turns_the_status_red_and_they_wait() {
    let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = refused.clone();
    let url = stand_in(
        accepting_profiles()
            // An older server, or one in trouble: the events route answers 503.
            .route(
                "/api/v1/events",
                post(move || async move {
                    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        Json(json!({"error": {"code": "database_unavailable", "message": "try later"}})),
                    )
                }),
            ),
    )
    .await;
    let (_dir, core) = signed_up(&url).await;
    core.update_profile(&json!({"full_name": "Ann"})).unwrap();
    let mut status = core.status();
    let mut watch = core.status();
    tokio::time::timeout(Duration::from_secs(10), async {
        while refused.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            let _ = watch.changed().await;
        }
    })
    .await
    .expect("the events were offered");
    let settled = tokio::time::timeout(
        Duration::from_secs(10),
        status.wait_for(|s| s.state == SyncState::Synced && s.pending == 0),
    )
    .await
    .unwrap()
    .unwrap()
    .clone();
    assert!(settled.error.is_none(), "{settled:?}");
    core.sync_now().await.unwrap();
    assert_eq!(core.status().borrow().state, SyncState::Synced);
    let kept = core.snapshot().analytics.pending;
    assert_eq!(
        kept.first().map(|e| e.event.name().as_str()),
        Some("onboarding_started"),
        "kept for later"
    );
}
