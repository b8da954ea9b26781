//! `ava-server`: the onboarding API. Configuration comes from the environment (see the
//! README); migrations run at start; Ctrl-C or SIGTERM drain in-flight requests.
//!
//! `ava-server healthcheck` asks the server configured by the same environment for `/healthz`
//! and exits 0 when it answers 200: the container's health check, in an image with no shell
//! and no curl.

use std::process::ExitCode;

use ava_server::config::Config;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return Ok(healthcheck().await);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let config = Config::from_env()?;
    tracing::info!(mode = ?config.mode, bind = %config.bind, "starting ava-server");
    let pool = ava_server::connect(&config).await?;
    let state = ava_server::AppState::new(&config, pool)?;
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    ava_server::serve(listener, state).await?;
    Ok(ExitCode::SUCCESS)
}

async fn healthcheck() -> ExitCode {
    let url = ava_server::config::health_url(std::env::var("BIND").ok().as_deref());
    let healthy = match ava_vapi::http_client(std::time::Duration::from_secs(3)) {
        Ok(http) => http
            .get(&url)
            .send()
            .await
            .is_ok_and(|reply| reply.status().is_success()),
        Err(_) => false,
    };
    if healthy {
        ExitCode::SUCCESS
    } else {
        eprintln!("{url} is not healthy");
        ExitCode::FAILURE
    }
}
