//! In-process fakes of the Vapi, Twilio and PostHog HTTP APIs, faithful to `shared/notes/` (`vapi-twilio.md`, `analytics.md`):
//! the same paths, statuses (201 on creation), error shapes and validation messages, no
//! idempotency and no `Retry-After`. Each fake counts the calls per route and can be told to
//! fail the next N calls (500, 429, a hang past the client's timeout, a dropped connection),
//! before or after doing the work, which is what tests of retries and de-duplication need.

// Handlers answer with axum `Response`s on both paths; boxing them would only add noise.
#![allow(clippy::result_large_err)]

pub mod contract;
mod conversations;
mod faults;
pub mod mail;
mod posthog;
mod twilio;
mod vapi;

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use conversations::CallSpec;
pub use faults::{Calls, Fault, FaultPoint, FaultRule, Faults};
pub use mail::Mail;
pub use posthog::FakePostHog;
pub use twilio::FakeTwilio;
pub use vapi::FakeVapi;

/// A fake listening on a loopback port until dropped.
pub struct RunningFake {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl RunningFake {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningFake {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `router` on `addr` (port 0 picks a free one) in a background task.
pub async fn serve(router: axum::Router, addr: SocketAddr) -> std::io::Result<RunningFake> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        if let Err(error) = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!(%error, "fake server stopped");
        }
    });
    Ok(RunningFake {
        addr,
        stop: Some(stop),
    })
}

/// Both fakes, wired so that Vapi's number import checks the fake Twilio's accounts.
pub struct FakeProviders {
    pub vapi: FakeVapi,
    pub twilio: FakeTwilio,
    pub vapi_server: RunningFake,
    pub twilio_server: RunningFake,
}

impl FakeProviders {
    /// Starts both on free loopback ports.
    pub async fn start() -> std::io::Result<Self> {
        let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
        Self::start_on(loopback, loopback).await
    }

    pub async fn start_on(vapi_addr: SocketAddr, twilio_addr: SocketAddr) -> std::io::Result<Self> {
        let twilio = FakeTwilio::new();
        let vapi = FakeVapi::new(twilio.clone());
        let vapi_server = serve(vapi.router(conversations::routes()), vapi_addr).await?;
        let twilio_server = serve(twilio.router(), twilio_addr).await?;
        Ok(Self {
            vapi,
            twilio,
            vapi_server,
            twilio_server,
        })
    }

    pub fn vapi_url(&self) -> String {
        self.vapi_server.url()
    }

    pub fn twilio_url(&self) -> String {
        self.twilio_server.url()
    }

    /// What both fakes recorded against their providers' contracts, emptied: every line is a
    /// request our clients should not have sent or an answer the real service would not give.
    pub fn drift(&self) -> Vec<String> {
        let mut drift = self.vapi.drift.take();
        drift.extend(self.twilio.drift.take());
        drift
    }
}

/// An assistant's instructions as Vapi holds them (its system message), `""` when it has none.
pub fn system_prompt(assistant: &serde_json::Value) -> &str {
    assistant["model"]["messages"][0]["content"]
        .as_str()
        .unwrap_or_default()
}
