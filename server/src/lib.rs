//! The onboarding API of `shared/design/api.md`: axum routes → handlers → sqlx queries on
//! PostgreSQL. Read in this order: [`config`], [`app`] (the route table), `routes::*`
//! (one module per resource), [`error`] (the envelope), `extract`, `auth`, `crypto`.

pub mod config;
pub mod error;
pub mod report;

mod auth;
mod codes;
mod connections;
mod crypto;
mod database;
mod ended;
mod extract;
mod forward;
pub mod live;
pub mod mail;
mod openapi;
mod routes;
mod rows;
mod sessions;
mod throttle;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::{Passwords, Tokens};
use crate::config::Config;
use crate::crypto::SecretSealer;
use crate::error::{ApiError, InternalDetail};
use crate::sessions::Sessions;
use crate::throttle::Throttle;

pub use crate::database::connect;
pub(crate) use crate::database::note_database_error;
pub use crate::forward::ForwardError;
pub use crate::openapi::openapi_document;
pub use crate::sessions::RETRIES_PER_TOKEN;

/// The schema, embedded in the binary and applied at start (and by `#[sqlx::test]`).
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Bodies above this are refused with 413 before any parsing.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Everything a handler may use. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

pub struct Shared {
    pub db: PgPool,
    pub tokens: Tokens,
    pub sealer: SecretSealer,
    pub vapi: ava_vapi::VapiClient,
    pub passwords: Passwords,
    pub sessions: Sessions,
    pub throttle: Throttle,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub request_timeout: Duration,
    pub shutdown_grace: Duration,
    pub forwarder: forward::Forwarder,
    pub limits: Limits,
    pub header_read_timeout: Duration,
    pub max_connections: usize,
    pub client_slots: connections::ClientSlots,
    pub ended_sign_ins: ended::EndedSignIns,
    pub account_rate: Option<AccountRate>,
    pub body_read_timeout: Duration,
    pub codes: codes::Codes,
    pub postman: mail::Postman,
}

/// What one account may keep in the shared database.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub assistants: u32,
    pub events_per_day: u32,
    pub sign_ins: u32,
    pub idempotency_keys: u32,
}

/// Requests per account, per replica (GCRA: a steady rate with bursts of a fifth of a minute's
/// allowance). In memory, not PostgreSQL: a row per request would cost what it protects. With N
/// replicas an account may make N times the rate, which still bounds it.
pub type AccountRate = governor::DefaultKeyedRateLimiter<i32>;

fn account_rate(per_minute: u32) -> Option<AccountRate> {
    let per_minute = std::num::NonZeroU32::new(per_minute)?;
    let burst = std::num::NonZeroU32::new((per_minute.get() / 5).max(1))?;
    Some(governor::RateLimiter::keyed(
        governor::Quota::per_minute(per_minute).allow_burst(burst),
    ))
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.inner
    }
}

impl AppState {
    pub fn new(config: &Config, db: PgPool) -> Result<Self, config::ConfigError> {
        let http = ava_vapi::http_client(config.provider_timeout)?;
        let ended_sign_ins = ended::EndedSignIns::new(config.jwt_ttl);
        Ok(Self {
            inner: Arc::new(Shared {
                db,
                tokens: Tokens::new(config),
                sealer: SecretSealer::new(config),
                vapi: ava_vapi::VapiClient::new(http, config.vapi_base_url.as_deref()),
                passwords: Passwords::new(config.hashing_concurrency, config.hashing_queue),
                sessions: Sessions::new(
                    config.refresh_ttl,
                    config.refresh_family_lifetime,
                    config.refresh_retry_window,
                    ended_sign_ins.clone(),
                    config.max_sign_ins_per_user,
                ),
                throttle: Throttle::new(config),
                trusted_proxies: config.trusted_proxies.clone(),
                request_timeout: config.request_timeout,
                shutdown_grace: config.shutdown_grace,
                forwarder: forward::Forwarder::new(
                    config.posthog.as_ref(),
                    config.provider_timeout,
                )?,
                limits: Limits {
                    assistants: config.max_assistants_per_user,
                    events_per_day: config.max_events_per_day,
                    sign_ins: config.max_sign_ins_per_user,
                    idempotency_keys: config.max_idempotency_keys_per_user,
                },
                account_rate: account_rate(config.max_requests_per_minute),
                header_read_timeout: config.header_read_timeout,
                max_connections: config.max_connections.max(1),
                ended_sign_ins,
                client_slots: connections::ClientSlots::new(
                    config.max_connections_per_client,
                    config.trusted_proxies.clone(),
                ),
                body_read_timeout: config.body_read_timeout,
                codes: codes::Codes::new(config),
                postman: mail::Postman::new(&config.mail)?,
            }),
        })
    }

    /// New events are stored: the forwarder (if any) sends them now.
    pub fn forwarder_wake(&self) {
        self.forwarder.wake();
    }

    /// Sends every mail that is due now, one pass (tests; the server does it in the background).
    pub async fn send_due_mail(&self) -> Result<usize, sqlx::Error> {
        self.postman.send_due(&self.db).await
    }

    /// Deletes in PostHog every deleted account's person waiting for it (tests; the server does
    /// it in the background).
    pub async fn erase_persons(&self) -> Result<usize, forward::ForwardError> {
        self.forwarder.erase_all(&self.db).await
    }

    /// Forwards every waiting event now (tests; the server does it in the background).
    pub async fn forward_events(&self) -> Result<usize, forward::ForwardError> {
        self.forwarder.forward_all(&self.db).await
    }
}

/// The route table. Routes exist under `/api/v1`, and the assistant route also at the seed's
/// `/api/assistants`.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let api = Router::new()
        .route("/auth/register", post(routes::auth::register))
        .route("/auth/login", post(routes::auth::login))
        .route("/auth/refresh", post(routes::auth::refresh))
        .route("/auth/logout", post(routes::auth::logout))
        .route(
            "/auth/password-reset",
            post(routes::account::request_password_reset),
        )
        .route(
            "/auth/password-reset/confirm",
            post(routes::account::confirm_password_reset),
        )
        .route("/user/password", post(routes::account::change_password))
        .route("/user/email", post(routes::account::change_email))
        .route("/user/email/verify", post(routes::account::verify_email))
        .route(
            "/user/email/verification",
            post(routes::account::resend_verification),
        )
        .route("/user/sessions", get(routes::account::list_sign_ins))
        .route(
            "/user/sessions/{id}",
            axum::routing::delete(routes::account::end_sign_in),
        )
        .route("/user/export", get(routes::account::export))
        .route("/user/delete", post(routes::account::delete_account))
        .route("/user/me", get(routes::user::me))
        .route("/user/profile", patch(routes::user::update_profile))
        .route(
            "/user/studio-config",
            patch(routes::user::update_studio_config),
        )
        .route(
            "/user/onboarding",
            get(routes::user::get_flags).patch(routes::user::update_flags),
        )
        .route(
            "/user/complete-onboarding",
            post(routes::user::complete_onboarding),
        )
        .route(
            "/vapi-settings",
            get(routes::credentials::get_vapi)
                .post(routes::credentials::save_vapi)
                .delete(routes::credentials::delete_vapi),
        )
        .route(
            "/twilio-settings",
            get(routes::credentials::get_twilio)
                .post(routes::credentials::save_twilio)
                .delete(routes::credentials::delete_twilio),
        )
        .route(
            "/assistants",
            get(routes::assistants::list).post(routes::assistants::create),
        )
        .route("/events", post(routes::events::record))
        .route("/openapi.json", get(routes::health::openapi));

    Router::new()
        .nest("/api/v1", api)
        .route(
            "/api/assistants",
            get(routes::assistants::list).post(routes::assistants::create),
        )
        .route("/healthz", get(routes::health::healthz))
        .fallback(|request: Request| async move {
            ApiError::RouteNotFound(format!("{} {}", request.method(), request.uri().path()))
        })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // A body that stalls holds its connection's slot: dropped after this long without data
        // (the inner layer turns the timed body back into the body the routes take).
        .layer((
            tower_http::timeout::RequestBodyTimeoutLayer::new(state.body_read_timeout),
            tower_http::map_request_body::MapRequestBodyLayer::new(axum::body::Body::new),
        ))
        .layer(middleware::from_fn_with_state(state.clone(), limit_duration))
        .layer(middleware::from_fn(log_internal_errors))
        .layer(
            // Spans carry the method, the path and the request id; never headers, query
            // strings or bodies, which is where tokens and keys travel.
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// No request holds a connection and a task for ever: past `REQUEST_TIMEOUT_SECONDS` it is
/// dropped and answered 503. (An assistant creation cut off this way leaves its idempotency
/// key in progress, and the next retry reconciles it with Vapi.)
async fn limit_duration(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let limit = state.request_timeout;
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::RequestTimeout {
            limit_secs: limit.as_secs(),
        }
        .into_response(),
    }
}

async fn log_internal_errors(request: Request, next: Next) -> Response {
    let method: Method = request.method().clone();
    let response = next.run(request).await;
    if let Some(InternalDetail(detail)) = response.extensions().get::<InternalDetail>() {
        tracing::error!(%method, detail = %detail, "request failed");
    }
    response
}

/// Serves until Ctrl-C or SIGTERM, then lets in-flight requests finish for at most
/// `SHUTDOWN_GRACE_SECONDS`.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    serve_until(listener, state, shutdown_signal()).await
}

/// [`serve`] with the stop signal given: the server stops accepting when `stop` resolves and
/// returns once in-flight requests are done or the grace period is over, whichever is first.
/// Housekeeping (purging spent limits and idempotency keys) runs beside it.
///
/// Connections are served by hyper directly rather than `axum::serve`, which sets neither a
/// header-read deadline nor a ceiling: a server exposed without a proxy would otherwise hold
/// any number of connections that never finish their headers.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    state: AppState,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::extract::ConnectInfo;
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt;

    let router = app(state.clone());
    let (stopping_tx, stopping) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        stop.await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stopping_tx.send(true);
    });
    let stopped = || {
        let mut stopping = stopping.clone();
        async move {
            let _ = stopping.wait_for(|stopping| *stopping).await;
        }
    };
    let housekeeping = tokio::spawn(housekeeping(state.clone()));
    let keeping_assistants = tokio::spawn(live::keep_assistants_up_to_date(state.clone()));
    let posting = {
        let state = state.clone();
        tokio::spawn(async move { state.postman.run(&state.db).await })
    };
    let listening = tokio::spawn(state.ended_sign_ins.clone().listen(state.db.clone()));
    let forwarding = state.forwarder.enabled().then(|| {
        let state = state.clone();
        tokio::spawn(async move { state.forwarder.run(&state.db).await })
    });
    let slots = Arc::new(tokio::sync::Semaphore::new(state.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(state.header_read_timeout);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = stopped() => break,
        };
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, most likely: give in-flight requests a moment
                    // to finish rather than spinning on accept.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = stopped() => break,
        };
        // Past its share, a client's connection is closed at once and its global slot freed.
        let Some(client_slot) = state.client_slots.take(remote.ip()) else {
            drop(tcp);
            continue;
        };
        // Answers are small and written in one go: Nagle's algorithm would only delay them.
        let _ = tcp.set_nodelay(true);
        let service =
            router
                .clone()
                .map_request(move |mut request: Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(remote));
                    request
                });
        let connection = graceful
            .watch(http.serve_connection(TokioIo::new(tcp), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop((slot, client_slot));
        });
    }
    drop(listener);
    let grace = state.shutdown_grace;
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => tracing::warn!(?grace, "requests still running after the grace period; stopping anyway"),
    }
    housekeeping.abort();
    keeping_assistants.abort();
    posting.abort();
    listening.abort();
    if let Some(forwarding) = forwarding {
        forwarding.abort();
    }
    state.db.close().await;
    Ok(())
}

/// Every replica runs it; the statements are idempotent, so running them on several at once
/// costs a little and breaks nothing.
async fn housekeeping(state: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(300));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Some(rate) = &state.account_rate {
            rate.retain_recent();
            rate.shrink_to_fit();
        }
        if let Err(error) = purge_expired(&state).await {
            tracing::warn!(%error, "housekeeping failed; trying again later");
        }
    }
}

/// Deletes spent sign-in limits, idempotency keys older than a day, refresh tokens a day past
/// their expiry and places for assistants that lapsed; returns how many rows.
pub async fn purge_expired(state: &AppState) -> Result<u64, sqlx::Error> {
    let limits = state.throttle.purge(&state.db).await?;
    let keys = routes::assistants::purge_idempotency_keys(&state.db).await?;
    let sessions = Sessions::purge(&state.db).await?;
    let places = sqlx::query("DELETE FROM assistant_reservations WHERE expires_at < now()")
        .execute(&state.db)
        .await?
        .rows_affected();
    let mails = mail::Postman::purge(&state.db).await?;
    Ok(limits + keys + sessions + places + mails)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
