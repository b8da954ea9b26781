//! Call counting and fault injection shared by both fakes.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use serde_json::Value;

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and the provider's own error body for it (500, 429, 503 …).
    Status(u16),
    /// Never answer within any sane client timeout.
    Hang,
    /// Send the status line, then cut the connection before the body.
    DropConnection,
}

/// Whether the request's work is done before the fault hits. `AfterHandling` is the nasty
/// case: the assistant exists in Vapi but the client never hears about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    BeforeHandling,
    AfterHandling,
}

#[derive(Debug, Clone)]
pub struct FaultRule {
    /// `"POST /assistant"` (method and route template) or `None` for any call.
    pub route: Option<String>,
    pub fault: Fault,
    pub point: FaultPoint,
    pub times: usize,
}

impl FaultRule {
    pub fn next(times: usize, fault: Fault) -> Self {
        Self {
            route: None,
            fault,
            point: FaultPoint::BeforeHandling,
            times,
        }
    }

    pub fn on(mut self, route: &str) -> Self {
        self.route = Some(route.to_owned());
        self
    }

    pub fn after_handling(mut self) -> Self {
        self.point = FaultPoint::AfterHandling;
        self
    }
}

/// The queue of faults still to inject; rules fire in the order they were added.
#[derive(Clone, Default)]
pub struct Faults(Arc<Mutex<VecDeque<FaultRule>>>);

impl Faults {
    pub fn add(&self, rule: FaultRule) {
        lock(&self.0).push_back(rule);
    }

    /// The next `times` calls, on any route, fail with `fault` before any work is done.
    pub fn fail_next(&self, times: usize, fault: Fault) {
        self.add(FaultRule::next(times, fault));
    }

    pub fn clear(&self) {
        lock(&self.0).clear();
    }

    pub fn pending(&self) -> usize {
        lock(&self.0).iter().map(|r| r.times).sum()
    }

    fn take(&self, route: &str) -> Option<(Fault, FaultPoint)> {
        let mut rules = lock(&self.0);
        let index = rules
            .iter()
            .position(|r| r.times > 0 && r.route.as_deref().is_none_or(|want| want == route))?;
        let rule = &mut rules[index];
        rule.times -= 1;
        let hit = (rule.fault, rule.point);
        if rule.times == 0 {
            rules.remove(index);
        }
        Some(hit)
    }
}

/// Requests per route (`"POST /assistant"`): received (faulted ones included) and handled
/// (the fake did the work, whether or not the answer then got through).
#[derive(Clone)]
pub struct Calls {
    received: Arc<Mutex<HashMap<String, usize>>>,
    handled: Arc<Mutex<HashMap<String, usize>>>,
    changed: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Default for Calls {
    fn default() -> Self {
        Self {
            received: Arc::default(),
            handled: Arc::default(),
            changed: Arc::new(tokio::sync::watch::channel(0).0),
        }
    }
}

impl Calls {
    pub fn count(&self, route: &str) -> usize {
        lock(&self.received).get(route).copied().unwrap_or(0)
    }

    pub fn handled(&self, route: &str) -> usize {
        lock(&self.handled).get(route).copied().unwrap_or(0)
    }

    pub fn total(&self) -> usize {
        lock(&self.received).values().sum()
    }

    pub fn reset(&self) {
        lock(&self.received).clear();
        lock(&self.handled).clear();
    }

    /// Resolves once `route` has been handled `n` times: lets a test act at the exact
    /// moment the provider has done its work (to cut the client off there, say).
    pub async fn wait_handled(&self, route: &str, n: usize) {
        let mut changes = self.changed.subscribe();
        let _ = changes.wait_for(|_| self.handled(route) >= n).await;
    }

    /// Resolves once `route` has been received `n` times (faulted requests included).
    pub async fn wait_received(&self, route: &str, n: usize) {
        let mut changes = self.changed.subscribe();
        let _ = changes.wait_for(|_| self.count(route) >= n).await;
    }

    fn record(&self, route: &str) {
        *lock(&self.received).entry(route.to_owned()).or_default() += 1;
        self.changed.send_modify(|v| *v += 1);
    }

    fn record_handled(&self, route: &str) {
        *lock(&self.handled).entry(route.to_owned()).or_default() += 1;
        self.changed.send_modify(|v| *v += 1);
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not wedge every later call to the fake.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How each provider spells an error of a given status.
pub(crate) type ErrorBody = fn(u16) -> Value;

#[derive(Clone)]
pub(crate) struct Instrumentation {
    pub calls: Calls,
    pub faults: Faults,
    pub error_body: ErrorBody,
}

const HANG: Duration = Duration::from_secs(300);

pub(crate) async fn instrument(
    State(inst): State<Instrumentation>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let template = matched.as_ref().map_or("?", |m| m.as_str());
    let route = format!("{} {}", request.method(), template);
    inst.calls.record(&route);
    match inst.faults.take(&route) {
        None => {
            let response = next.run(request).await;
            inst.calls.record_handled(&route);
            response
        }
        Some((fault, FaultPoint::BeforeHandling)) => inject(fault, inst.error_body).await,
        Some((fault, FaultPoint::AfterHandling)) => {
            let _done = next.run(request).await;
            inst.calls.record_handled(&route);
            inject(fault, inst.error_body).await
        }
    }
}

async fn inject(fault: Fault, error_body: ErrorBody) -> Response {
    match fault {
        Fault::Status(status) => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (code, axum::Json(error_body(status))).into_response()
        }
        Fault::Hang => {
            tokio::time::sleep(HANG).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Fault::DropConnection => {
            let broken = stream::once(async {
                Err::<axum::body::Bytes, _>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "fault injected: connection dropped",
                ))
            });
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .body(Body::from_stream(broken))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}
