//! How the core reaches the Ava server: only over https (or on this machine), and never
//! following a redirect, so the owner's password and keys go nowhere but where we chose.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ava_model::ErrorCode;
use ava_testkit::*;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

#[tokio::test]
async fn an_api_address_in_clear_on_another_machine_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = ava_core::CoreConfig::new(dir.path(), "http://api.ava.ai");
    let secrets = Arc::new(ava_core::secrets::MemoryStore::default());
    let Err(error) = ava_core::Onboarding::open(config, secrets, None) else {
        panic!("an http:// API on another machine was accepted");
    };
    assert_eq!(error.code(), ErrorCode::InsecureApiUrl);
    assert!(error.to_string().contains("https://"), "{error}");
}

/// Issue 31: `VAPI_BASE_URL`/`TWILIO_BASE_URL` were honoured without the https rule, so an
/// environment variable could send the owner's keys over plain HTTP.
#[tokio::test]
async fn a_provider_address_in_clear_on_another_machine_is_refused_at_start() {
    for (vapi, twilio) in [
        (Some("http://vapi.example"), None),
        (None, Some("http://twilio.example")),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let config = ava_core::CoreConfig {
            vapi_base_url: vapi.map(str::to_owned),
            twilio_base_url: twilio.map(str::to_owned),
            ..ava_core::CoreConfig::new(dir.path(), "https://api.ava.ai")
        };
        let secrets = Arc::new(ava_core::secrets::MemoryStore::default());
        let Err(error) = ava_core::Onboarding::open(config, secrets, None) else {
            panic!("an http:// provider on another machine was accepted: {vapi:?} {twilio:?}");
        };
        assert_eq!(error.code(), ErrorCode::InsecureApiUrl);
    }
}

/// A server that answers everything with a redirect to `target`.
async fn redirecting_to(target: String) -> String {
    let app = axum::Router::new().fallback(move || {
        let target = target.clone();
        async move { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, target)]).into_response() }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn a_redirect_is_not_followed_with_the_password() {
    let reached = Arc::new(AtomicUsize::new(0));
    let counter = reached.clone();
    let elsewhere = axum::Router::new().fallback(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        async { StatusCode::OK }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let elsewhere_url = format!("http://{}/steal", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, elsewhere).await });
    let api = redirecting_to(elsewhere_url).await;

    let dir = tempfile::tempdir().unwrap();
    let config = ava_core::CoreConfig::new(dir.path(), &api);
    let secrets = Arc::new(ava_core::secrets::MemoryStore::default());
    let core = ava_core::Onboarding::open(config, secrets, None)
        .unwrap()
        .onboarding;
    let error = core.sign_in("ann@acme.com", PASSWORD).await.unwrap_err();
    assert_ne!(error.code(), ErrorCode::InvalidCredentials, "{error}");
    assert_eq!(
        reached.load(Ordering::SeqCst),
        0,
        "the redirect's target never received the password"
    );
}
