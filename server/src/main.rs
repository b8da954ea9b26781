//! `ava-server`: the onboarding API. Configuration comes from the environment (see the
//! README); migrations run at start; Ctrl-C or SIGTERM drain in-flight requests.

use ava_server::config::Config;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
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
    Ok(())
}
