//! The onboarding API of `shared/design/api.md`: axum routes → handlers → sqlx queries on
//! PostgreSQL. Read in this order: [`config`], [`app`] (the route table), `routes::*`
//! (one module per resource), [`error`] (the envelope), `extract`, `auth`, `crypto`.

pub mod config;
pub mod error;

mod auth;
mod crypto;
mod extract;
mod openapi;
mod routes;
mod rows;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, Method};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, patch, post};
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::{LoginLimiter, Tokens};
use crate::config::Config;
use crate::crypto::SecretSealer;
use crate::error::{ApiError, InternalDetail};

pub use crate::openapi::openapi_document;

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
    pub login_limiter: LoginLimiter,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.inner
    }
}

impl AppState {
    pub fn new(config: &Config, db: PgPool) -> Result<Self, ava_vapi::ProviderError> {
        let http = ava_vapi::http_client(config.provider_timeout)?;
        Ok(Self {
            inner: Arc::new(Shared {
                db,
                tokens: Tokens::new(config),
                sealer: SecretSealer::new(config),
                vapi: ava_vapi::VapiClient::new(http, config.vapi_base_url.as_deref()),
                login_limiter: LoginLimiter::new(config.login_max_failures, config.login_window),
            }),
        })
    }
}

/// Opens the pool (failing fast when Postgres is down) and applies pending migrations.
pub async fn connect(config: &Config) -> anyhow::Result<PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(config.database_max_connections)
        .acquire_timeout(Duration::from_secs(3))
        // sqlx pings every connection it hands out by default: a second round trip per query,
        // which halved throughput under load. Only a connection idle long enough to have been
        // dropped (a Postgres restart, a NAT timeout) is checked now.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > Duration::from_secs(30) {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect(config.database_url())
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// The route table. Routes exist under `/api/v1`, and the assistant route also at the seed's
/// `/api/assistants`.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let api = Router::new()
        .route("/auth/register", post(routes::auth::register))
        .route("/auth/login", post(routes::auth::login))
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

async fn log_internal_errors(request: Request, next: Next) -> Response {
    let method: Method = request.method().clone();
    let response = next.run(request).await;
    if let Some(InternalDetail(detail)) = response.extensions().get::<InternalDetail>() {
        tracing::error!(%method, detail = %detail, "request failed");
    }
    response
}

/// Serves until Ctrl-C or SIGTERM, then lets in-flight requests finish.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let router = app(state.clone());
    // Answers are small and written in one go: Nagle's algorithm would only delay them.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    state.db.close().await;
    Ok(())
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
    tracing::info!("shutting down: finishing in-flight requests");
}
