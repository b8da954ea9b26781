//! The server as it is deployed: `ava-server` processes in production mode on one PostgreSQL,
//! behind a real nginx (Debian's, started here on loopback), with the Vapi fake. Also the
//! process-level safety rules: what refuses to start, the statement timeout, and the
//! shutdown deadline.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use ava_fakes::{FakeProviders, Fault, FaultRule};
use base64::Engine;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const VAPI_KEY: &str = "vapi-replica-key-0042";
const PASSWORD: &str = "correct horse battery";

/// The URL of the database `#[sqlx::test]` made for this test.
fn database_url(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL (tests/test.sh sets it)");
    let (server, _) = base.rsplit_once('/').expect("a URL with a database name");
    let name = pool
        .connect_options()
        .get_database()
        .unwrap_or("postgres")
        .to_owned();
    format!("{server}/{name}")
}

fn random_base64(bytes: usize) -> String {
    let key: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    base64::engine::general_purpose::STANDARD.encode(key)
}

/// What every replica of one deployment shares.
struct Deployment {
    database_url: String,
    jwt_secret: String,
    encryption_key: String,
    vapi_url: String,
}

impl Deployment {
    fn new(pool: &PgPool, fakes: &FakeProviders) -> Self {
        Self {
            database_url: database_url(pool),
            jwt_secret: random_base64(48),
            encryption_key: random_base64(32),
            vapi_url: fakes.vapi_url(),
        }
    }

    fn command(&self, extra: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ava-server"));
        command
            .env_clear()
            .env("AVA_ENV", "production")
            .env("DATABASE_URL", &self.database_url)
            .env("JWT_SECRET", &self.jwt_secret)
            .env("ENCRYPTION_KEY", &self.encryption_key)
            .env("VAPI_BASE_URL", &self.vapi_url)
            // No relay listens there: mail waits in the outbox, as through an SMTP outage.
            .env("SMTP_URL", "smtp://127.0.0.1:9")
            .env("MAIL_FROM", "Ava <no-reply@ava.example>")
            .env("BIND", "127.0.0.1:0")
            .env("TRUSTED_PROXIES", "127.0.0.1/32")
            .env("RUST_LOG", "info,sqlx=warn")
            .env("NO_COLOR", "1")
            .envs(extra.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Starts a replica and returns once it says where it listens.
    async fn replica(&self, extra: &[(&str, &str)]) -> Replica {
        let mut child = self.command(extra).spawn().expect("ava-server starts");
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next_line()
                .await
                .expect("readable output")
                .expect("ava-server stopped before listening");
            if line.contains("listening")
                && let Some(addr) = line.split("addr=").nth(1)
            {
                break addr.trim().parse::<SocketAddr>().expect("an address");
            }
        };
        // Keep reading, so a full pipe never blocks the server.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Replica { child, addr }
    }
}

/// Two replicas of one deployment (one database, one secret), and the fakes they talk to.
async fn two_replicas(pool: &PgPool, extra: &[(&str, &str)]) -> (FakeProviders, Replica, Replica) {
    let fakes = FakeProviders::start().await.expect("fakes");
    let deployment = Deployment::new(pool, &fakes);
    let a = deployment.replica(extra).await;
    let b = deployment.replica(extra).await;
    (fakes, a, b)
}

struct Replica {
    child: Child,
    addr: SocketAddr,
}

impl Replica {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Debian's nginx, round-robin over the replicas, passing the client address on. It appends
/// to `X-Forwarded-For` (the deployed nginx overwrites it): the tests' own header stands for a
/// first proxy in front, so that one machine can play clients at many addresses.
struct Nginx {
    _child: Child,
    _dir: tempfile::TempDir,
    url: String,
}

impl Nginx {
    async fn start(upstreams: &[SocketAddr]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let servers: String = upstreams.iter().map(|a| format!("server {a};\n")).collect();
        let http = format!(
            "upstream ava {{\n{servers}}}\n\
             server {{\n listen 127.0.0.1:{port};\n location / {{\n proxy_pass http://ava;\n\
             proxy_set_header Host $host;\n\
             proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
             proxy_next_upstream off;\n }}\n }}\n"
        );
        let child = Self::run(dir.path(), &http, port).await;
        Self {
            _child: child,
            _dir: dir,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// `server/deploy/nginx.conf` itself in front of `upstream`: only its upstream, listening
    /// ports and mounted folders are moved to this machine's. TLS with a throwaway certificate
    /// for `localhost` (its PEM returned), and `trusted_hop` written to trusted-hops/ if any.
    async fn deployed(upstream: SocketAddr, trusted_hop: Option<&str>) -> (Self, u16, Vec<u8>) {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        for folder in ["tls", "trusted-hops"] {
            std::fs::create_dir(root.join(folder)).unwrap();
        }
        // A server certificate (not a CA: rustls refuses a CA as the server's own), trusted
        // by the test's client as its own anchor.
        std::fs::write(
            root.join("tls/openssl.cnf"),
            "[req]\ndistinguished_name = dn\nx509_extensions = ext\nprompt = no\n\
             [dn]\nCN = localhost\n[ext]\nsubjectAltName = DNS:localhost\n\
             basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n\
             extendedKeyUsage = serverAuth\n",
        )
        .unwrap();
        let made = std::process::Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ])
            .args(["-nodes", "-days", "1", "-config"])
            .arg(root.join("tls/openssl.cnf"))
            .arg("-keyout")
            .arg(root.join("tls/privkey.pem"))
            .arg("-out")
            .arg(root.join("tls/fullchain.pem"))
            .output()
            .expect("openssl runs");
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        if let Some(hop) = trusted_hop {
            std::fs::write(root.join("trusted-hops/front.conf"), hop).unwrap();
        }
        let (plain, tls) = (free_port(), free_port());
        let deployed =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx.conf"))
                .unwrap();
        let mut config = deployed;
        for (from, to) in [
            ("server api:8000 ", format!("server {upstream} ")),
            ("listen 8080;", format!("listen 127.0.0.1:{plain};")),
            ("listen 8443 ssl;", format!("listen 127.0.0.1:{tls} ssl;")),
            ("/etc/nginx/tls", format!("{}/tls", root.display())),
            (
                "/etc/nginx/trusted-hops",
                format!("{}/trusted-hops", root.display()),
            ),
        ] {
            assert!(
                config.contains(from),
                "server/deploy/nginx.conf no longer has `{from}`"
            );
            config = config.replace(from, &to);
        }
        let child = Self::run(root, &config, tls).await;
        let certificate = std::fs::read(root.join("tls/fullchain.pem")).unwrap();
        let nginx = Self {
            _child: child,
            _dir: dir,
            url: format!("http://127.0.0.1:{plain}"),
        };
        (nginx, tls, certificate)
    }

    /// Debian's nginx with `http` as its http block, in `dir`; returns once `port` listens.
    async fn run(dir: &Path, http: &str, port: u16) -> Child {
        let root = dir.display();
        let config = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {root}/nginx.pid;\n\
             error_log {root}/error.log warn;\nevents {{ worker_connections 256; }}\n\
             http {{\n access_log off;\n client_body_temp_path {root}/body;\n\
             proxy_temp_path {root}/proxy;\n fastcgi_temp_path {root}/fastcgi;\n\
             uwsgi_temp_path {root}/uwsgi;\n scgi_temp_path {root}/scgi;\n{http}}}\n"
        );
        let path = dir.join("nginx.conf");
        std::fs::write(&path, config).expect("config written");
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .expect("nginx is installed (tests/setup.sh installs nginx-light)");
        let child = Command::new(nginx)
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(&path)
            .kill_on_drop(true)
            .spawn()
            .expect("nginx starts");
        // Ready when it accepts connections; bounded, and no fixed wait.
        let target = format!("127.0.0.1:{port}");
        for _ in 0..500 {
            if tokio::net::TcpStream::connect(&target).await.is_ok() {
                return child;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "nginx did not listen: {}",
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

struct Client {
    http: reqwest::Client,
}

impl Client {
    fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: String,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut request = self.http.request(method, url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// A new account at `base` (a replica or the proxy); its session.
    async fn sign_up(&self, base: &str, email: &str) -> Value {
        let (status, session) = self
            .post(
                format!("{base}/api/v1/auth/register"),
                json!({"email": email, "password": PASSWORD}),
                &[],
            )
            .await;
        assert_eq!(status, 201, "{session}");
        session
    }

    async fn post(&self, url: String, body: Value, headers: &[(&str, &str)]) -> (u16, Value) {
        self.send(reqwest::Method::POST, url, Some(body), headers)
            .await
    }

    async fn get(&self, url: String, token: &str) -> (u16, Value) {
        let auth = format!("Bearer {token}");
        self.send(reqwest::Method::GET, url, None, &[("authorization", &auth)])
            .await
    }
}

fn assistant(name: &str) -> Value {
    json!({
        "name": name,
        "instructions": "Answer the phone for Acme.",
        "voice": {"provider": "azure", "voiceId": "en-US-JennyNeural"},
        "model": {"provider": "openai", "model": "gpt-4o-mini"}
    })
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn two_replicas_behind_nginx_share_tokens_limits_and_idempotency(pool: PgPool) {
    let (fakes, a, b) = two_replicas(&pool, &[]).await;
    fakes.vapi.add_key(VAPI_KEY);
    let proxy = Nginx::start(&[a.addr, b.addr]).await;
    let client = Client::new();
    let office = [("x-forwarded-for", "198.51.100.7")];
    let with_password = async |base: &str, action: &str, email: &str, headers: &[(&str, &str)]| {
        let url = format!("{base}/api/v1/auth/{action}");
        let credentials = json!({"email": email, "password": PASSWORD});
        client.post(url, credentials, headers).await
    };

    // A token issued by one replica works on the other.
    let (status, session) = with_password(&a.url(), "login", "nobody@acme.com", &office).await;
    assert_eq!(status, 401);
    let (status, session_body) =
        with_password(&proxy.url, "register", "ann@acme.com", &office).await;
    assert_eq!(status, 201, "{session_body} {session}");
    let (status, signed_in) = with_password(&a.url(), "login", "ann@acme.com", &office).await;
    assert_eq!(status, 200);
    let token = signed_in["access_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    for replica in [&a, &b] {
        let (status, me) = client
            .get(format!("{}/api/v1/user/me", replica.url()), &token)
            .await;
        assert_eq!((status, me["email"].as_str()), (200, Some("ann@acme.com")));
    }

    // Failed sign-ins through the balancer are counted once, whichever replica answers, and
    // the lock then holds on both.
    let guesser = [("x-forwarded-for", "203.0.113.9")];
    for attempt in 0..5 {
        let (status, _) = client
            .post(
                format!("{}/api/v1/auth/login", proxy.url),
                json!({"email": "ann@acme.com", "password": format!("guess {attempt}")}),
                &guesser,
            )
            .await;
        assert_eq!(status, 401, "attempt {attempt}");
    }
    let counted: Vec<(String, i32)> = sqlx::query_as(
        "SELECT scope::text, failures FROM auth_throttle
         WHERE scope <> 'register' AND failures > 1 ORDER BY scope",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        counted,
        vec![
            ("account".to_owned(), 5),
            ("address".to_owned(), 5),
            ("pair".to_owned(), 5)
        ],
        "five failures, counted once each, not per replica"
    );
    for url in [&a.url(), &b.url(), &proxy.url] {
        let (status, body) = client
            .post(
                format!("{url}/api/v1/auth/login"),
                json!({"email": "ann@acme.com", "password": PASSWORD}),
                &guesser,
            )
            .await;
        assert_eq!(status, 429, "{url}: {body}");
        assert!(body["error"]["retry_after_seconds"].as_u64().is_some());
    }
    let (status, _) = with_password(&proxy.url, "login", "ann@acme.com", &office).await;
    assert_eq!(
        status, 200,
        "the owner at her own address is not locked out"
    );

    // An idempotent retry on the other replica gets the first answer; after a lost answer it
    // adopts the assistant Vapi made instead of making another.
    let auth = format!("Bearer {token}");
    let (status, _) = client
        .post(
            format!("{}/api/v1/vapi-settings", proxy.url),
            json!({"vapi_api_key": VAPI_KEY}),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(status, 200);
    let create = async |replica: &Replica, name: &str, headers: &[(&str, &str)]| {
        let url = format!("{}/api/v1/assistants", replica.url());
        client.post(url, assistant(name), headers).await
    };
    let first_key = [
        ("authorization", auth.as_str()),
        ("idempotency-key", "wizard-1"),
    ];
    let (status, first) = create(&a, "Ava", &first_key).await;
    assert_eq!(status, 201, "{first}");
    let (status, replay) = create(&b, "Ava", &first_key).await;
    assert_eq!((status, &replay), (201, &first));
    assert_eq!(fakes.vapi.assistants().len(), 1);

    fakes.vapi.faults.add(
        FaultRule::next(1, Fault::DropConnection)
            .on("POST /assistant")
            .after_handling(),
    );
    let second_key = [
        ("authorization", auth.as_str()),
        ("idempotency-key", "wizard-2"),
    ];
    let (status, _) = create(&a, "Eve", &second_key).await;
    assert_eq!(status, 502);
    let (status, adopted) = create(&b, "Eve", &second_key).await;
    assert_eq!(status, 201, "{adopted}");
    assert_eq!(
        fakes.vapi.assistants().len(),
        2,
        "two assistants, not three"
    );
    assert_eq!(fakes.vapi.calls.handled("POST /assistant"), 2);

    // Bad bytes through the proxy are a 422 naming the field, never a 500.
    let (status, refused) = client
        .send(
            reqwest::Method::PATCH,
            format!("{}/api/v1/user/profile", proxy.url),
            Some(json!({"organization_name": "Acme\u{0}"})),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(refused["error"]["fields"][0]["code"], "contains_nul");
}

async fn fails_to_start(deployment: &Deployment, extra: &[(&str, &str)]) -> String {
    let output = tokio::time::timeout(Duration::from_secs(60), deployment.command(extra).output())
        .await
        .expect("it stops by itself")
        .expect("it runs");
    assert!(!output.status.success(), "{extra:?} must not start");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn unsafe_configurations_refuse_to_start_with_a_reason(pool: PgPool) {
    let fakes = FakeProviders::start().await.expect("fakes");
    let deployment = Deployment::new(&pool, &fakes);

    let public_local =
        fails_to_start(&deployment, &[("AVA_ENV", "local"), ("BIND", "0.0.0.0:0")]).await;
    assert!(
        public_local.contains("AVA_ENV=production") && public_local.contains("0.0.0.0"),
        "says why and what to do: {public_local}"
    );

    // Reset codes must be able to leave: production has a relay and a sender (issue 32).
    let no_relay = fails_to_start(&deployment, &[("SMTP_URL", "")]).await;
    assert!(
        no_relay.contains("SMTP_URL is required when AVA_ENV=production"),
        "{no_relay}"
    );
    let bad_relay = fails_to_start(&deployment, &[("SMTP_URL", "http://mail.example")]).await;
    assert!(bad_relay.contains("SMTP_URL is invalid"), "{bad_relay}");
    let bad_sender = fails_to_start(&deployment, &[("MAIL_FROM", "not an address")]).await;
    assert!(bad_sender.contains("MAIL_FROM is invalid"), "{bad_sender}");

    // The owners' Vapi keys never travel over plain HTTP to another machine (issue 31).
    let plain_vapi = fails_to_start(&deployment, &[("VAPI_BASE_URL", "http://vapi.example")]).await;
    assert!(
        plain_vapi.contains("VAPI_BASE_URL") && plain_vapi.contains("https://"),
        "{plain_vapi}"
    );

    // sslmode in DATABASE_URL is honoured: this cluster has no TLS, so `require` cannot connect.
    let tls = format!("{}?sslmode=require", deployment.database_url);
    let refused = fails_to_start(&deployment, &[("DATABASE_URL", &tls)]).await;
    assert!(
        refused.to_lowercase().contains("tls") || refused.to_lowercase().contains("ssl"),
        "{refused}"
    );
    let prefer = format!("{}?sslmode=prefer", deployment.database_url);
    let replica = deployment.replica(&[("DATABASE_URL", &prefer)]).await;
    assert!(
        replica.addr.port() > 0,
        "prefer falls back to plain TCP here"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn every_connection_has_the_statement_timeout(pool: PgPool) {
    let url = database_url(&pool);
    let config = ava_server::config::Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "DATABASE_STATEMENT_TIMEOUT_MS" => Some("1234".to_owned()),
        "JWT_SECRET" => Some("x".repeat(48)),
        "ENCRYPTION_KEY" => Some(random_base64(32)),
        _ => None,
    })
    .expect("config");
    let connected = ava_server::connect(&config).await.expect("connects");
    for _ in 0..3 {
        let setting: String = sqlx::query_scalar("SHOW statement_timeout")
            .fetch_one(&connected)
            .await
            .unwrap();
        assert_eq!(setting, "1234ms");
    }
    let slow = sqlx::query("SELECT pg_sleep(5)").execute(&connected).await;
    let error = ava_server::error::ApiError::from(slow.expect_err("cancelled after 1.2 s"));
    assert_eq!(
        error.code(),
        ava_model::ErrorCode::DatabaseUnavailable,
        "a 503 to retry, not a 500"
    );
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_stopping_server_waits_for_requests_only_as_long_as_its_grace(pool: PgPool) {
    let fakes = FakeProviders::start().await.expect("fakes");
    fakes.vapi.add_key(VAPI_KEY);
    let deployment = Deployment::new(&pool, &fakes);
    let mut replica = deployment
        .replica(&[
            ("SHUTDOWN_GRACE_SECONDS", "1"),
            ("PROVIDER_TIMEOUT_MS", "600000"),
        ])
        .await;
    let client = Client::new();
    let (_, session) = client
        .post(
            format!("{}/api/v1/auth/register", replica.url()),
            json!({"email": "ann@acme.com", "password": PASSWORD}),
            &[],
        )
        .await;
    let auth = format!(
        "Bearer {}",
        session["access_token"].as_str().expect("token")
    );
    client
        .post(
            format!("{}/api/v1/vapi-settings", replica.url()),
            json!({"vapi_api_key": VAPI_KEY}),
            &[("authorization", &auth)],
        )
        .await;
    // A request that would otherwise run for minutes: Vapi does the work, then never answers.
    fakes.vapi.faults.add(
        FaultRule::next(1, Fault::Hang)
            .on("POST /assistant")
            .after_handling(),
    );
    let url = format!("{}/api/v1/assistants", replica.url());
    let stuck = tokio::spawn(async move {
        Client::new()
            .post(url, assistant("Ava"), &[("authorization", &auth)])
            .await
    });
    fakes.vapi.calls.wait_handled("POST /assistant", 1).await;

    let pid = replica.child.id().expect("running").to_string();
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(signalled.success());
    let exit = tokio::time::timeout(Duration::from_secs(60), replica.child.wait())
        .await
        .expect("stopped after its grace period, not when the stuck request ends")
        .expect("exit status");
    assert!(exit.success(), "a clean stop: {exit:?}");
    stuck.abort();
}

fn healthcheck(bind: &str) -> bool {
    std::process::Command::new(env!("CARGO_BIN_EXE_ava-server"))
        .arg("healthcheck")
        .env_clear()
        .env("BIND", bind)
        .stderr(Stdio::null())
        .status()
        .expect("runs")
        .success()
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn the_container_health_check_asks_the_running_server(pool: PgPool) {
    let fakes = FakeProviders::start().await.expect("fakes");
    let deployment = Deployment::new(&pool, &fakes);
    let mut replica = deployment.replica(&[]).await;
    let bind = replica.addr.to_string();
    let wildcard = format!("0.0.0.0:{}", replica.addr.port());
    let (healthy, healthy_on_wildcard) =
        tokio::task::spawn_blocking(move || (healthcheck(&bind), healthcheck(&wildcard)))
            .await
            .unwrap();
    assert!(healthy, "a serving replica is healthy");
    assert!(
        healthy_on_wildcard,
        "BIND=0.0.0.0:port is checked on loopback"
    );
    replica.child.kill().await.expect("stopped");
    let bind = replica.addr.to_string();
    let after = tokio::task::spawn_blocking(move || healthcheck(&bind))
        .await
        .unwrap();
    assert!(!after, "a stopped replica is not");
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn sessions_and_ceilings_hold_across_replicas(pool: PgPool) {
    let limits = [
        ("MAX_ASSISTANTS_PER_USER", "2"),
        ("MAX_EVENTS_PER_DAY", "3"),
    ];
    let (_fakes, a, b) = two_replicas(&pool, &limits).await;
    let proxy = Nginx::start(&[a.addr, b.addr]).await;
    let client = Client::new();
    let session = client.sign_up(&proxy.url, "ann@acme.com").await;
    let refresh = |url: String, token: String| {
        let client = &client;
        async move {
            client
                .post(
                    format!("{url}/api/v1/auth/refresh"),
                    json!({"refresh_token": token}),
                    &[],
                )
                .await
        }
    };
    let first = session["refresh_token"].as_str().unwrap().to_owned();
    // Replica a rotates, its answer is lost; the retry reaches b and the sign-in goes on.
    let (status, _lost) = refresh(a.url(), first.clone()).await;
    assert_eq!(status, 200);
    let (status, retried) = refresh(b.url(), first.clone()).await;
    assert_eq!(status, 200, "{retried}");
    let kept = retried["refresh_token"].as_str().unwrap().to_owned();
    // A logout on one replica and a refresh on the other, at once: nothing works afterwards.
    let logout = client.post(
        format!("{}/api/v1/auth/logout", a.url()),
        json!({"refresh_token": kept}),
        &[],
    );
    let ((status, renewed), (logged_out, _)) = tokio::join!(refresh(b.url(), kept.clone()), logout);
    assert_eq!(logged_out, 204);
    if status == 200 {
        let next = renewed["refresh_token"].as_str().unwrap().to_owned();
        assert_eq!(refresh(proxy.url.clone(), next).await.0, 401);
    }

    // The per-account ceilings are counted in PostgreSQL, whichever replica answers.
    let (_, signed_in) = client
        .post(
            format!("{}/api/v1/auth/login", proxy.url),
            json!({"email": "ann@acme.com", "password": PASSWORD}),
            &[],
        )
        .await;
    let auth = format!("Bearer {}", signed_in["access_token"].as_str().unwrap());
    let headers = [("authorization", auth.as_str())];
    for (n, replica) in [&a, &b, &a].into_iter().enumerate() {
        let (status, body) = client
            .post(
                format!("{}/api/v1/assistants", replica.url()),
                json!({"name": "Ava", "vapi_assistant_id": format!("asst-{n}")}),
                &headers,
            )
            .await;
        let expected = if n < 2 { 201 } else { 409 };
        assert_eq!(status, expected, "{body}");
    }
    let event = |n: u32| {
        json!({"id": format!("00000000-0000-4000-8000-{n:012}"), "name": "onboarding_started",
               "occurred_at": chrono::Utc::now().to_rfc3339(), "properties": {},
               "context": {"app_version": "0.1.0", "os": "linux", "locale": "en"}})
    };
    let send_events = async |replica: &Replica, first: u32| {
        let url = format!("{}/api/v1/events", replica.url());
        let events = json!({"events": [event(first), event(first + 1)]});
        client.post(url, events, &headers).await
    };
    let (status, _) = send_events(&a, 1).await;
    assert_eq!(status, 200);
    let (status, body) = send_events(&b, 3).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("too_many_events"))
    );
}

#[test]
fn the_deployment_files_trust_nginx_alone_and_pin_their_images() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |path: &str| std::fs::read_to_string(root.join(path)).expect(path);
    let compose = read("server/compose.yaml");
    let nginx = read("server/deploy/nginx.conf");
    let dockerfile = read("server/Dockerfile");
    let ignored = read(".dockerignore");
    assert!(
        compose.contains("TRUSTED_PROXIES: 172.28.0.2/32")
            && compose.contains("ipv4_address: 172.28.0.2"),
        "the replicas believe nginx's address, not the network (its gateway is the host)"
    );
    assert!(
        nginx.contains("X-Forwarded-For $remote_addr;"),
        "nginx overwrites what a client wrote in the header"
    );
    for line in compose
        .lines()
        .chain(dockerfile.lines())
        .filter(|l| l.trim_start().starts_with("image:") || l.starts_with("FROM "))
        .filter(|l| !l.contains("ava-server:"))
    {
        assert!(line.contains("@sha256:"), "not pinned by digest: {line}");
    }
    for secret in ["**/.env", "**/.env.*"] {
        assert!(
            ignored.lines().any(|l| l.trim() == secret),
            "{secret} is kept out of the image's build context"
        );
    }
}

/// The deployed proxy (`server/deploy/nginx.conf`, issue 31): TLS terminated (plain HTTP only
/// redirects), and the client's address as the limits see it: the TCP peer, whatever a client
/// writes in `X-Forwarded-For`, unless the peer is a hop the operator declared trusted.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn the_deployed_proxy_terminates_tls_and_passes_on_the_real_client(pool: PgPool) {
    let fakes = FakeProviders::start().await.expect("fakes");
    let deployment = Deployment::new(&pool, &fakes);
    let replica = deployment.replica(&[("REGISTER_MAX_PER_HOUR", "1")]).await;
    let sign_up = async |client: &reqwest::Client, url: &str, email: &str, claimed: &str| {
        client
            .post(url)
            .header("x-forwarded-for", claimed)
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .expect("an answer")
            .status()
            .as_u16()
    };
    let tls_client = |certificate: &[u8]| {
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(certificate).unwrap())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap()
    };

    // Nothing trusted in front: the peer (127.0.0.1) is the client, whatever it claims, so
    // both sign-ups come from one address. Behind a load balancer declared in trusted-hops/,
    // two clients are told apart and the same one again is held.
    let one_address: &[(&str, &str, u16)] = &[
        ("a@acme.com", "203.0.113.1", 201),
        ("b@acme.com", "203.0.113.2", 429),
    ];
    let two_clients: &[(&str, &str, u16)] = &[
        ("c@acme.com", "198.51.100.1", 201),
        ("d@acme.com", "198.51.100.2", 201),
        ("e@acme.com", "198.51.100.1", 429),
    ];
    let balancer = "set_real_ip_from 127.0.0.1;\n";
    for (trusted, sign_ups) in [(None, one_address), (Some(balancer), two_clients)] {
        let (nginx, tls, certificate) = Nginx::deployed(replica.addr, trusted).await;
        let client = tls_client(&certificate);
        let health = client
            .get(format!("https://localhost:{tls}/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status().as_u16(), 200, "served over TLS");
        let plain = client
            .get(format!("{}/healthz", nginx.url))
            .send()
            .await
            .unwrap();
        assert_eq!(plain.status().as_u16(), 308, "plain HTTP only redirects");
        assert!(
            plain.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("https://"),
        );
        let register = format!("https://localhost:{tls}/api/v1/auth/register");
        for &(email, claimed, answer) in sign_ups {
            let status = sign_up(&client, &register, email, claimed).await;
            assert_eq!(
                status, answer,
                "{email} claiming {claimed}, {trusted:?} trusted"
            );
        }
    }
}

/// Issue 31: after PostgreSQL restarts (a managed database failing over), a replica's pool
/// held dead connections that each failed a request in turn: 503s for seconds after the
/// database was back. The first sign of the loss now has every older connection checked.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_replica_serves_again_within_a_request_after_the_database_drops_its_connections(
    pool: PgPool,
) {
    let fakes = FakeProviders::start().await.expect("fakes");
    let deployment = Deployment::new(&pool, &fakes);
    let replica = deployment.replica(&[]).await;
    let client = Client::new();
    let health = format!("{}/healthz", replica.url());
    // Enough at once that the pool opens several connections, which then sit idle.
    let warm = futures_util::future::join_all((0..32).map(|_| {
        let client = &client;
        let health = health.clone();
        async move { client.get(health, "-").await.0 }
    }))
    .await;
    assert!(warm.iter().all(|status| *status == 200), "{warm:?}");
    let opened: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'ava-server'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(opened >= 3, "the replica holds {opened} connections");
    // What a restart does to them: every backend of the replica is ended.
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'ava-server'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(client.get(health.clone(), "-").await.0);
    }
    let failed = statuses.iter().filter(|status| **status != 200).count();
    assert!(
        failed <= 1,
        "{failed} of 12 requests failed after the connections were lost ({opened} were pooled): {statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&200));
}

/// Issue 31, across replicas: a sign-in ended on one replica refuses its access tokens on the
/// other too (told by PostgreSQL's NOTIFY as the logout commits), not 15 minutes later.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_sign_in_ended_on_one_replica_is_refused_on_the_other(pool: PgPool) {
    let fakes = FakeProviders::start().await.expect("fakes");
    let deployment = Deployment::new(&pool, &fakes);
    let a = deployment.replica(&[]).await;
    let b = deployment.replica(&[]).await;
    let client = Client::new();
    let session = client.sign_up(&a.url(), "ann@acme.com").await;
    let access = session["access_token"].as_str().unwrap().to_owned();
    let me = format!("{}/api/v1/user/me", b.url());
    assert_eq!(client.get(me.clone(), &access).await.0, 200);
    let (status, _) = client
        .post(
            format!("{}/api/v1/auth/logout", a.url()),
            json!({"refresh_token": session["refresh_token"]}),
            &[],
        )
        .await;
    assert_eq!(status, 204);
    // Bounded: the notification takes a moment to cross; before issue 31 it never came.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = client.get(me.clone(), &access).await;
        if status == 401 {
            assert_eq!(body["error"]["code"], "invalid_token");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "replica b still serves a signed-out access token: {status}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A replica started afterwards knows it too (it reads the table at start).
    let c = deployment.replica(&[]).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while client
        .get(format!("{}/api/v1/user/me", c.url()), &access)
        .await
        .0
        != 401
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a new replica serves it"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Issue 31's races, through two replicas behind nginx, where only PostgreSQL is shared: wrong
/// passwords sent at once get no more verdicts than the ceiling, and creates racing for an
/// account's last place make one assistant in Vapi.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn limits_hold_when_requests_race_through_two_replicas(pool: PgPool) {
    let fakes = FakeProviders::start().await.expect("fakes");
    fakes.vapi.add_key(VAPI_KEY);
    let deployment = Deployment::new(&pool, &fakes);
    let limits = [("MAX_ASSISTANTS_PER_USER", "3"), ("HASHING_QUEUE", "64")];
    let a = deployment.replica(&limits).await;
    let b = deployment.replica(&limits).await;
    let proxy = Nginx::start(&[a.addr, b.addr]).await;
    let client = Client::new();
    let session = client.sign_up(&proxy.url, "ann@acme.com").await;

    let guesses = futures_util::future::join_all((0..32).map(|_| {
        client.post(
            format!("{}/api/v1/auth/login", proxy.url),
            json!({"email": "ann@acme.com", "password": "wrong password"}),
            &[("x-forwarded-for", "203.0.113.66")],
        )
    }))
    .await;
    let mut statuses: Vec<u16> = guesses.iter().map(|(status, _)| *status).collect();
    statuses.sort();
    let verdicts = statuses.iter().filter(|s| **s == 401).count();
    let held = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((verdicts, held), (5, 27), "{statuses:?}");

    let auth = format!("Bearer {}", session["access_token"].as_str().unwrap());
    let headers = [("authorization", auth.as_str())];
    let (status, _) = client
        .post(
            format!("{}/api/v1/vapi-settings", proxy.url),
            json!({"vapi_api_key": VAPI_KEY}),
            &headers,
        )
        .await;
    assert!((200..300).contains(&status), "{status}");
    // Two assistants Ann made in her own Vapi, recorded (the server checks they are hers).
    for n in 0..2 {
        let id = format!("00000000-0000-4000-8000-{n:012}");
        fakes.vapi.add_assistant(VAPI_KEY, &id, "Ava");
        let (status, body) = client
            .post(
                format!("{}/api/v1/assistants", proxy.url),
                json!({"name": "Ava", "vapi_assistant_id": id}),
                &headers,
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let creates = futures_util::future::join_all((0..8).map(|_| {
        client.post(
            format!("{}/api/v1/assistants", proxy.url),
            assistant("Ava"),
            &headers,
        )
    }))
    .await;
    let mut outcomes: Vec<(u16, String)> = creates
        .iter()
        .map(|(status, body)| {
            (
                *status,
                body["error"]["code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    outcomes.sort();
    let mut expected = vec![(201, String::new())];
    expected.extend(vec![(409, "assistant_limit".to_owned()); 7]);
    assert_eq!(outcomes, expected);
    assert_eq!(
        fakes.vapi.assistants().len(),
        3,
        "one assistant made in Vapi, beside the two recorded"
    );
}

/// Issue 33 across replicas: the revision lives in PostgreSQL, so a write on one replica is seen
/// by the other's "anything new?" at once: a 304 before the write, a 200 with the writer's ETag
/// after it.
#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn a_write_on_one_replica_moves_the_etag_on_the_other(pool: PgPool) {
    let (_fakes, a, b) = two_replicas(&pool, &[]).await;
    let http = reqwest::Client::new();
    let session = Client::new().sign_up(&a.url(), "ann@acme.com").await;
    let bearer = format!("Bearer {}", session["access_token"].as_str().unwrap());
    let ask_b = |tag: String| {
        http.get(format!("{}/api/v1/user/me", b.url()))
            .header("authorization", &bearer)
            .header("if-none-match", tag)
            .send()
    };
    let first = ask_b("\"none\"".into()).await.unwrap();
    assert_eq!(first.status().as_u16(), 200);
    let tag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(ask_b(tag.clone()).await.unwrap().status().as_u16(), 304);
    let written = http
        .patch(format!("{}/api/v1/user/profile", a.url()))
        .header("authorization", &bearer)
        .json(&json!({"full_name": "Ann on A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(written.status().as_u16(), 200);
    let new_tag = written.headers()["etag"].to_str().unwrap().to_owned();
    let seen = ask_b(tag).await.unwrap();
    assert_eq!(seen.status().as_u16(), 200, "b sees a's write");
    assert_eq!(seen.headers()["etag"].to_str().unwrap(), new_tag);
    let body: Value = seen.json().await.unwrap();
    assert_eq!(body["profile"]["full_name"], "Ann on A");
}
