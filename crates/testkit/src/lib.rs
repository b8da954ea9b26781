//! What the system tests (`crates/core/tests`) and the end-to-end tests
//! (`src-tauri/tests/e2e`) share: a real ava-server (on a real port, over a `#[sqlx::test]`
//! database), the provider fakes, and a core wired to them on the real keychain. Dev-only.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ava_core::secrets::Keychain;
use ava_core::{CoreConfig, Onboarding, RetryPolicy, StatusView, SyncState};
use ava_fakes::FakeProviders;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub const VAPI_KEY: &str = "vapi-core-test-key-0042";
pub const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TWILIO_TOKEN: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
pub const TWILIO_NUMBER: &str = "+14155550199";
pub const PASSWORD: &str = "correct horse battery";

pub struct Server {
    pub addr: SocketAddr,
    /// Requests this server instance received.
    pub requests: Arc<std::sync::atomic::AtomicUsize>,
    /// The path and JSON body of every PATCH it received, in order.
    pub patches: Arc<std::sync::Mutex<Vec<(String, serde_json::Value)>>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The PATCHes received so far: path and body.
    pub fn patches(&self) -> Vec<(String, serde_json::Value)> {
        self.patches.lock().unwrap().clone()
    }

    /// Stops accepting and closes every connection, as a crashed or stopped server would.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

pub struct World {
    pub pool: PgPool,
    pub fakes: FakeProviders,
    pub server_config_secret: String,
    /// Where the servers of this world write their mails (local mode's folder of .eml files).
    pub mail: tempfile::TempDir,
}

pub use ava_fakes::Mail;

/// Every test that used the fakes also checks that nothing the clients sent broke the
/// providers' contracts and nothing the fakes answered strayed from them.
impl Drop for World {
    fn drop(&mut self) {
        let drift = self.fakes.drift();
        if !drift.is_empty() && !std::thread::panicking() {
            panic!("off the providers' contracts: {drift:#?}");
        }
    }
}

impl World {
    pub async fn new(pool: PgPool) -> Self {
        let fakes = FakeProviders::start().await.unwrap();
        fakes.vapi.add_key(VAPI_KEY);
        fakes.twilio.add_account(TWILIO_SID, TWILIO_TOKEN);
        fakes.twilio.add_number(TWILIO_SID, TWILIO_NUMBER);
        Self {
            pool,
            fakes,
            server_config_secret: String::new(),
            mail: tempfile::tempdir().unwrap(),
        }
    }

    /// Every mail sent so far, oldest first.
    pub fn mails(&self) -> Vec<Mail> {
        let mut files: Vec<(i64, std::path::PathBuf)> = std::fs::read_dir(self.mail.path())
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter_map(|e| {
                        let path = e.path();
                        let id = path.file_stem()?.to_str()?.parse().ok()?;
                        (path.extension()? == "eml").then_some((id, path))
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, path)| Mail::parse(&std::fs::read(path).ok()?))
            .collect()
    }

    /// Waits until a mail to `to` whose subject is `subject` was sent, and returns it.
    pub async fn mail_to(&self, to: &str, subject: &str) -> Mail {
        let found = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                if let Some(mail) = self
                    .mails()
                    .into_iter()
                    .rev()
                    .find(|m| m.to == to && m.subject == subject)
                {
                    return mail;
                }
                tokio::task::yield_now().await;
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("no mail \"{subject}\" to {to}: {:?}", self.mails()))
    }

    /// Starts the API on `addr` (port 0 for a free one).
    /// The usual start: a world and its server on a free local port.
    pub async fn with_server(pool: PgPool) -> (World, Server) {
        let world = World::new(pool).await;
        let server = world.start_server(([127, 0, 0, 1], 0).into(), JWT).await;
        (world, server)
    }

    pub async fn start_server(&self, addr: SocketAddr, jwt_secret: &str) -> Server {
        self.start_gated_server(addr, jwt_secret, None).await
    }

    /// Stops `server`, ends every sign-in in the database (as signing out elsewhere would) and
    /// starts the API again on the same address with another signing key: neither the access
    /// token nor the refresh token an app holds works any more.
    pub async fn restart_with_every_sign_in_ended(
        &self,
        server: Server,
        jwt_secret: &str,
    ) -> Server {
        let addr = server.addr;
        server.stop().await;
        sqlx::query("UPDATE refresh_tokens SET revoked_at = now()")
            .execute(&self.pool)
            .await
            .unwrap();
        self.start_server(addr, jwt_secret).await
    }

    /// [`World::start_server`] whose requests matching `gate` wait until the test opens it.
    pub async fn start_gated_server(
        &self,
        addr: SocketAddr,
        jwt_secret: &str,
        gate: Option<Gate>,
    ) -> Server {
        self.start_server_with(addr, jwt_secret, gate, None).await
    }

    /// [`World::start_server`] that does the work of the requests `lost` names and then cuts
    /// the connection before its answer: the server changed something the client never hears.
    pub async fn start_server_losing(
        &self,
        addr: SocketAddr,
        jwt_secret: &str,
        lost: LostAnswers,
    ) -> Server {
        self.start_server_with(addr, jwt_secret, None, Some(lost))
            .await
    }

    async fn start_server_with(
        &self,
        addr: SocketAddr,
        jwt_secret: &str,
        gate: Option<Gate>,
        lost: Option<LostAnswers>,
    ) -> Server {
        let mut config = ava_server::config::test_config(Some(self.fakes.vapi_url()));
        config.jwt_secret = secrecy::SecretString::from(jwt_secret.to_owned());
        config.mail.transport =
            ava_server::config::MailTransport::Folder(self.mail.path().to_path_buf());
        let state = ava_server::AppState::new(&config, self.pool.clone()).unwrap();
        let state_for_live = state.clone();
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = requests.clone();
        let patches = Arc::new(std::sync::Mutex::new(Vec::new()));
        let recorded = patches.clone();
        let app = ava_server::app(state).layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let recorded = recorded.clone();
                let gate = gate.clone().filter(|g| {
                    request.method().as_str() == g.method && request.uri().path() == g.path
                });
                let lose = lost.clone().filter(|l| {
                    request.method().as_str() == l.method
                        && request.uri().path() == l.path
                        && l.left
                            .fetch_update(
                                std::sync::atomic::Ordering::SeqCst,
                                std::sync::atomic::Ordering::SeqCst,
                                |n| n.checked_sub(1),
                            )
                            .is_ok()
                });
                async move {
                    let request = if request.method() == axum::http::Method::PATCH {
                        let (parts, body) = request.into_parts();
                        let bytes = axum::body::to_bytes(body, ava_server::BODY_LIMIT)
                            .await
                            .unwrap_or_default();
                        let json = serde_json::from_slice(&bytes).unwrap_or_default();
                        recorded
                            .lock()
                            .unwrap()
                            .push((parts.uri.path().to_owned(), json));
                        axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))
                    } else {
                        request
                    };
                    if let Some(gate) = gate {
                        gate.arrived.send_modify(|n| *n += 1);
                        let _ = gate.open.acquire().await;
                    }
                    let response = next.run(request).await;
                    match lose {
                        None => response,
                        Some(_) => {
                            // The status line goes out, then the connection breaks.
                            let broken = futures_util::stream::once(async {
                                Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other(
                                    "answer lost",
                                ))
                            });
                            let (parts, _) = response.into_parts();
                            axum::response::Response::from_parts(
                                parts,
                                axum::body::Body::from_stream(broken),
                            )
                        }
                    }
                }
            },
        ));
        let task = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            // As every replica does, it keeps the live assistants of accounts whose key it
            // holds, for as long as it serves (the worker never ends by itself).
            // Its postman too: mail goes out as the server sends it.
            tokio::select! {
                _ = serving => {}
                () = ava_server::live::keep_assistants_up_to_date(state_for_live.clone()) => {}
                () = state_for_live.postman.run(&state_for_live.db) => {}
            }
        });
        Server {
            addr,
            requests,
            patches,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The core on the fakes and `server_url`, with the product's timeouts (a busy machine
    /// never meets them) and fast retries.
    pub fn config(&self, dir: &Path, server_url: &str) -> CoreConfig {
        CoreConfig {
            vapi_base_url: Some(self.fakes.vapi_url()),
            twilio_base_url: Some(self.fakes.twilio_url()),
            retry: RetryPolicy {
                base: Duration::from_millis(20),
                max: Duration::from_millis(300),
                attempts: 4,
            },
            ..CoreConfig::new(dir, server_url)
        }
    }
}

/// The next `times` requests of one route whose answers are lost after the work is done.
#[derive(Clone)]
pub struct LostAnswers {
    method: &'static str,
    path: &'static str,
    left: Arc<std::sync::atomic::AtomicUsize>,
}

impl LostAnswers {
    pub fn next(times: usize, method: &'static str, path: &'static str) -> Self {
        Self {
            method,
            path,
            left: Arc::new(std::sync::atomic::AtomicUsize::new(times)),
        }
    }
}

/// Holds the requests of one route until the test opens it: how a test keeps a request in
/// flight while something else happens.
#[derive(Clone)]
pub struct Gate {
    method: &'static str,
    path: &'static str,
    open: Arc<tokio::sync::Semaphore>,
    arrived: Arc<tokio::sync::watch::Sender<usize>>,
}

impl Gate {
    /// A closed gate on `method path`.
    pub fn closed(method: &'static str, path: &'static str) -> Self {
        Self {
            method,
            path,
            open: Arc::new(tokio::sync::Semaphore::new(0)),
            arrived: Arc::new(tokio::sync::watch::channel(0).0),
        }
    }

    /// Resolves once `n` requests have reached the gate.
    pub async fn arrived(&self, n: usize) {
        let mut arrivals = self.arrived.subscribe();
        let _ = arrivals.wait_for(|count| *count >= n).await;
    }

    /// Lets every held request and every later one through.
    pub fn open(&self) {
        self.open
            .add_permits(tokio::sync::Semaphore::MAX_PERMITS / 2);
    }
}

/// How long the core waits for a provider request that hangs, in the tests whose subject is
/// that timeout ([`World::config_for_hangs`]).
pub const HANG_TIMEOUT: Duration = Duration::from_millis(800);

impl World {
    /// [`World::config`] where a provider request gives up after [`HANG_TIMEOUT`]: for the
    /// tests of requests that hang.
    pub fn config_for_hangs(&self, dir: &Path, server_url: &str) -> CoreConfig {
        CoreConfig {
            provider_timeout: HANG_TIMEOUT,
            ..self.config(dir, server_url)
        }
    }
}

pub const JWT: &str = "core-system-tests-jwt-secret-0123456789abcdef";

/// A keychain namespace of its own per test, on the session's real gnome-keyring.
pub fn keychain_id() -> String {
    format!("ai.ava.desktop.test-{:x}", rand::random::<u64>())
}

pub fn open_core(config: CoreConfig, app_id: &str) -> Onboarding {
    let keychain = Keychain::open(app_id)
        .unwrap_or_else(|e| panic!("no usable Secret Service ({e}); run through tests/test.sh"));
    Onboarding::open(config, Arc::new(keychain), None)
        .unwrap()
        .onboarding
}

/// Waits (by watching the status stream, never by sleeping) until `want` holds.
pub async fn wait_for(
    core: &Onboarding,
    what: &str,
    want: impl Fn(&StatusView) -> bool,
) -> StatusView {
    let mut status = core.status();
    match tokio::time::timeout(Duration::from_secs(20), status.wait_for(|s| want(s))).await {
        Ok(Ok(s)) => s.clone(),
        _ => panic!(
            "timed out waiting for {what}; last status {:?}",
            core.status().borrow().clone()
        ),
    }
}

pub async fn synced(core: &Onboarding) -> StatusView {
    wait_for(core, "synced", |s| {
        s.state == SyncState::Synced && s.pending == 0
    })
    .await
}

/// No server: what talks only to Vapi works without one.
pub const NO_SERVER: &str = "http://127.0.0.1:9";

/// A core working offline whose assistant exists in the fake Vapi ("Ava Dental", for Acme
/// Dental, open Mon–Fri 09:00–18:00, guidelines "v0"); returns the assistant's id.
pub async fn launched_core(world: &World, dir: &Path, app: &str) -> (Onboarding, String) {
    launched_core_on(world.config(dir, NO_SERVER), app).await
}

/// [`launched_core`] with a configuration of the test's own.
pub async fn launched_core_on(config: CoreConfig, app: &str) -> (Onboarding, String) {
    let core = open_core(config, app);
    core.update_profile(&serde_json::json!({"organization_name": "Acme Dental"}))
        .unwrap();
    core.update_studio(
        &serde_json::json!({"persona": "secretary", "languages": ["en"],
        "business_hours": "Mon-Fri 09:00-18:00", "guidelines": "v0"}),
    )
    .unwrap();
    core.save_vapi_key(VAPI_KEY, ava_model::VapiMethod::Inline)
        .await
        .unwrap();
    let report = core
        .provision(&ava_core::AssistantChoices {
            name: Some("Ava Dental".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    (core, report.assistant_id)
}

/// How many rows `sql` (a `SELECT count(*) …`) counts.
pub async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}
