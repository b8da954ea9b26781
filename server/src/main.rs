//! `ava-server`: the onboarding API. Configuration comes from the environment (see the
//! README); migrations run at start; Ctrl-C or SIGTERM drain in-flight requests.
//!
//! `ava-server healthcheck` asks the server configured by the same environment for `/healthz`
//! and exits 0 when it answers 200: the container's health check, in an image with no shell
//! and no curl.
//!
//! `ava-server report funnel [--since DATE] [--until DATE] [--format table|json|csv|html]`
//! prints the onboarding funnel from the events in `DATABASE_URL` (read only).

use std::process::ExitCode;

use ava_server::config::Config;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("healthcheck") => return Ok(healthcheck().await),
        Some("report") => return Ok(report(&args[1..]).await),
        _ => {}
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
    if let Some(folder) = state.postman.folder() {
        // Local mode without SMTP_URL: say where the mails are, so a reset can be walked by hand.
        tracing::info!(folder = %folder.display(), "no SMTP_URL: mail is written to this folder as .eml files");
    }
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

async fn report(args: &[String]) -> ExitCode {
    use ava_server::report::{FunnelArgs, ReportError, funnel, render};
    let run = async {
        let rest = match args.first().map(String::as_str) {
            Some("funnel") => &args[1..],
            other => {
                return Err(ReportError::Usage(format!(
                    "unknown report {:?}: the one report is `funnel`",
                    other.unwrap_or("")
                )));
            }
        };
        let parsed = FunnelArgs::parse(rest)?;
        let url = std::env::var("DATABASE_URL").map_err(|_| ReportError::NoDatabase)?;
        let db = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(&url)
            .await?;
        let figures = funnel(&db, parsed.since, parsed.until).await?;
        Ok(render(&figures, parsed.format))
    };
    match run.await {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("ava-server report: {error}");
            ExitCode::from(2)
        }
    }
}
