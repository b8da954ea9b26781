use std::io::Write;
use std::sync::{Mutex, Once};

use ava_fakes::FakeProviders;
use ava_server::config::{Config, test_config};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sqlx::PgPool;
use tower::ServiceExt;

pub const VAPI_KEY: &str = "vapi-test-key-7f3a9c21";
pub const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TWILIO_TOKEN: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
pub const TWILIO_NUMBER: &str = "+14155550199";
pub const PASSWORD: &str = "correct horse battery";

/// Everything the server logged during this test binary's run, at every level.
static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogSink;

impl Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
}

fn capture_logs() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("trace")
            .with_ansi(false)
            .with_writer(|| LogSink)
            .try_init();
    });
}

pub struct TestApp {
    pub router: Router,
    pub state: ava_server::AppState,
    pub fakes: FakeProviders,
    pub pool: PgPool,
    pub jwt_secret: String,
}

/// Every API test also checks that what the server sent Vapi kept to Vapi's contract, and
/// that the fake answered within it.
impl Drop for TestApp {
    fn drop(&mut self) {
        let drift = self.fakes.drift();
        if !drift.is_empty() && !std::thread::panicking() {
            panic!("off the providers' contracts: {drift:#?}");
        }
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub headers: HeaderMap,
}

impl Reply {
    /// The envelope's error code, or "" for a success.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn field_codes(&self) -> Vec<(String, String)> {
        self.body["error"]["fields"]
            .as_array()
            .map(|fields| {
                fields
                    .iter()
                    .map(|f| {
                        (
                            f["field"].as_str().unwrap_or("").to_owned(),
                            f["code"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    pub async fn new(pool: PgPool) -> Self {
        Self::with(pool, |_| {}).await
    }

    /// The usual start: a server with Ann signed up; her access token.
    pub async fn with_ann(pool: PgPool) -> (Self, String) {
        let app = Self::new(pool).await;
        let (token, _) = app.register("ann@acme.com").await;
        (app, token)
    }

    pub async fn with(pool: PgPool, adjust: impl FnOnce(&mut Config)) -> Self {
        capture_logs();
        let fakes = FakeProviders::start().await.expect("fakes start");
        fakes.vapi.add_key(VAPI_KEY);
        fakes.twilio.add_account(TWILIO_SID, TWILIO_TOKEN);
        fakes.twilio.add_number(TWILIO_SID, TWILIO_NUMBER);
        let mut config = test_config(Some(fakes.vapi_url()));
        adjust(&mut config);
        let jwt_secret = secrecy::ExposeSecret::expose_secret(&config.jwt_secret).to_owned();
        let state = ava_server::AppState::new(&config, pool.clone()).expect("state");
        Self {
            router: ava_server::app(state.clone()),
            state,
            fakes,
            pool,
            jwt_secret,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        if status.is_client_error() || status.is_server_error() {
            assert!(
                body["error"]["code"].is_string(),
                "every error uses the envelope: {status} {body}"
            );
            assert!(
                body["error"]["message"].is_string(),
                "every error has a message: {body}"
            );
        }
        Reply {
            status,
            body,
            headers,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.call_with(method, path, token, body, &[]).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = match body {
            Some(body) => builder
                .header("content-type", "application/json")
                .body(Body::from(serde_json::to_vec(&body).unwrap())),
            None => builder.body(Body::empty()),
        }
        .unwrap();
        self.send(request).await
    }

    /// A request as if it came over TCP from `ip` (the router alone sees no peer).
    pub async fn call_from(
        &self,
        ip: &str,
        path: &str,
        body: Value,
        headers: &[(&str, &str)],
    ) -> Reply {
        let peer: std::net::SocketAddr = (ip.parse::<std::net::IpAddr>().unwrap(), 40000).into();
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("content-type", "application/json")
            .extension(axum::extract::ConnectInfo(peer));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        self.send(
            builder
                .body(Body::from(serde_json::to_vec(&body).unwrap()))
                .unwrap(),
        )
        .await
    }

    pub async fn login_from(&self, ip: &str, email: &str, password: &str) -> Reply {
        self.call_from(
            ip,
            "/api/v1/auth/login",
            json!({"email": email, "password": password}),
            &[],
        )
        .await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// The record-only `POST /assistants` of an assistant a computer made in Vapi; it is created.
    pub async fn record_assistant(&self, token: &str, record: Value) {
        let recorded = self.post("/api/v1/assistants", token, record).await;
        assert_eq!(recorded.status, StatusCode::CREATED, "{}", recorded.body);
    }

    /// A POST with no session token (sign-up, sign-in, renewal).
    pub async fn post_signed_out(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, None, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// `POST /auth/register` with these credentials, whatever the answer.
    pub async fn register_with(&self, email: &str, password: &str) -> Reply {
        let credentials = json!({"email": email, "password": password});
        self.post_signed_out("/api/v1/auth/register", credentials)
            .await
    }

    /// A new account; returns its token and id.
    pub async fn register(&self, email: &str) -> (String, i64) {
        let reply = self.register_with(email, PASSWORD).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        (
            reply.body["access_token"].as_str().unwrap().to_owned(),
            reply.body["user"]["id"].as_i64().unwrap(),
        )
    }

    /// A new account with a Vapi key saved.
    pub async fn user_with_vapi_key(&self, email: &str) -> String {
        let (token, _) = self.register(email).await;
        let saved = self
            .post(
                "/api/v1/vapi-settings",
                &token,
                json!({"vapi_api_key": VAPI_KEY}),
            )
            .await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
        token
    }
}

pub fn assistant_payload(name: &str) -> Value {
    json!({
        "name": name,
        "instructions": "Tu es une secrétaire. Réponds poliment.",
        "phoneNumber": TWILIO_NUMBER,
        "firstMessage": "Bonjour!",
        "voice": {"provider": "azure", "voiceId": "en-US-JennyNeural"},
        "model": {"provider": "openai", "model": "gpt-4o-mini", "temperature": 0.7},
        "metadata": {"created_from": "onboarding"}
    })
}

/// How many rows `sql` (a `SELECT count(*) …`) counts.
pub async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}
