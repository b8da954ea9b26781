//! The harness: the app launched through tauri-driver on its own data folder, the WebDriver
//! steps a user takes (click, type, choose, press), and bounded waits on what they cause.

pub use std::path::{Path, PathBuf};
pub use std::process::Stdio;
pub use std::time::Duration;

pub use ava_testkit::{
    Gate, JWT, PASSWORD, TWILIO_NUMBER, TWILIO_SID, TWILIO_TOKEN, VAPI_KEY, World,
};
pub use fantoccini::{Client, ClientBuilder, Locator};
pub use hyper_util::client::legacy::connect::HttpConnector;
pub use serde_json::{Value, json};
pub use sqlx::{PgPool, Row};
pub use tokio::process::{Child, Command};

pub const BINARY: &str = env!("CARGO_BIN_EXE_ava-desktop");
/// The longest wait for anything a user would see happen (the window opening included): a
/// bound for failing, never a pause (every wait polls its condition). Generous, so that a busy
/// machine is slow, not failing.
pub const WAIT: Duration = Duration::from_secs(60);

/// One app window at a time: two WebKit processes on two cores only make each test slower.
pub static ONE_WINDOW: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

pub fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("e2e-screenshots")
}

/// Where the app finds the server and the fakes, and what the "OS" says about language.
pub struct Env {
    pub api_url: String,
    pub vapi_url: String,
    pub twilio_url: String,
    pub keychain: String,
    pub lang: &'static str,
    /// How often the app asks the server for what was saved elsewhere (its own 30 s if unset).
    pub pull_every_ms: Option<u64>,
    /// More of the app's environment (another D-Bus session, say).
    pub extra: Vec<(String, String)>,
}

impl Env {
    /// No server at all (a port nothing listens on): the wizard works offline.
    pub fn offline(world: &World, lang: &'static str) -> Self {
        Self::new(world, &format!("http://127.0.0.1:{}", free_port()), lang)
    }

    pub fn new(world: &World, api_url: &str, lang: &'static str) -> Self {
        Self {
            api_url: api_url.to_owned(),
            vapi_url: world.fakes.vapi_url(),
            twilio_url: world.fakes.twilio_url(),
            keychain: ava_testkit::keychain_id(),
            lang,
            pull_every_ms: None,
            extra: Vec::new(),
        }
    }
}

/// What an app launched by [`launch_offline`] runs on, held for the test's length: its window
/// the only one, a new world with no server, a fresh data folder.
pub struct Offline {
    pub env: Env,
    pub dir: tempfile::TempDir,
    _world: World,
    _one_window: tokio::sync::MutexGuard<'static, ()>,
}

/// Launches the app offline in the OS language `os_locale` (`fr_FR.UTF-8`).
pub async fn launch_offline(pool: PgPool, os_locale: &'static str) -> (App, Offline) {
    let one_window = ONE_WINDOW.lock().await;
    let world = World::new(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let env = Env::offline(&world, os_locale);
    let app = App::launch(&env, dir.path()).await;
    let held = Offline {
        env,
        dir,
        _world: world,
        _one_window: one_window,
    };
    (app, held)
}

/// What an app launched by [`launch_signed_up`] runs on, held for the test's length: its
/// window the only one, a new world and its API server, a fresh data folder.
pub struct Online {
    pub world: World,
    pub server: ava_testkit::Server,
    pub dir: tempfile::TempDir,
    _one_window: tokio::sync::MutexGuard<'static, ()>,
}

/// Launches the app (English) against a new API server and signs up `email` in its window.
pub async fn launch_signed_up(pool: PgPool, email: &str) -> (App, Online) {
    let one_window = ONE_WINDOW.lock().await;
    let (world, server) = World::with_server(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let env = Env::new(&world, &server.url(), "en_US.UTF-8");
    let app = App::launch(&env, dir.path()).await;
    sign_up(&app, email).await;
    let held = Online {
        world,
        server,
        dir,
        _one_window: one_window,
    };
    (app, held)
}

/// Waits until the draft in `dir` holds `text` (written within half a second of an edit).
pub async fn until_draft_has(dir: &Path, text: &str) {
    let draft = dir.join("draft.json");
    let deadline = tokio::time::Instant::now() + WAIT;
    while !std::fs::read_to_string(&draft).is_ok_and(|d| d.contains(text)) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the draft never held {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub struct App {
    pub client: Client,
    pub driver: Child,
    pub data_dir: PathBuf,
}

impl App {
    /// Starts tauri-driver and, through it, the app on `data_dir`; returns once the UI drew.
    pub async fn launch(env: &Env, data_dir: &Path) -> App {
        let port = free_port();
        let native_port = free_port();
        let mut driver = Command::new("tauri-driver");
        if let Some(every) = env.pull_every_ms {
            driver.env("AVA_PULL_EVERY_MS", every.to_string());
        }
        driver.envs(env.extra.iter().map(|(k, v)| (k, v)));
        let driver = driver
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("AVA_API_URL", &env.api_url)
            .env("VAPI_BASE_URL", &env.vapi_url)
            .env("TWILIO_BASE_URL", &env.twilio_url)
            .env("AVA_KEYCHAIN_SERVICE", &env.keychain)
            .env("LANG", env.lang)
            .env("LC_ALL", env.lang)
            .env("TZ", "Europe/Paris")
            // What the driver and the app say, beside the data folder, for a failure to show.
            .stdout(driver_log(data_dir))
            .stderr(driver_log(data_dir))
            // Its own process group, so the driver, WebKitWebDriver and the app go together.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("tauri-driver did not start ({e}); run tests/setup.sh"));
        let caps: serde_json::Map<String, Value> = serde_json::from_value(json!({
            "browserName": "wry",
            "tauri:options": {
                "application": BINARY,
                "args": ["--data-dir", data_dir.to_string_lossy()],
            }
        }))
        .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        wait_for_listener(port).await;
        let deadline = tokio::time::Instant::now() + WAIT;
        let client = loop {
            let mut builder = ClientBuilder::new(HttpConnector::new());
            builder.capabilities(caps.clone());
            match tokio::time::timeout(WAIT, builder.connect(&url)).await {
                Ok(Ok(client)) => break client,
                // tauri-driver listens before WebKitWebDriver behind it does; under load its
                // first answer can be a dropped request. Whatever the failed try started goes
                // before the next one.
                Ok(Err(e)) if tokio::time::Instant::now() < deadline => {
                    eprintln!("no WebDriver session yet ({e}); trying again");
                    kill_app(data_dir);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Ok(Err(e)) => panic!("no WebDriver session: {e}"),
                Err(_) => {
                    // What was running and what the app said, to tell a slow start from an app
                    // that quit (a hand-over to another instance, a start-up error).
                    let ps = std::process::Command::new("ps")
                        .args(["-eo", "pid,ppid,stat,etime,pcpu,args"])
                        .output()
                        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                        .unwrap_or_default();
                    let log =
                        std::fs::read_to_string(driver_log_path(data_dir)).unwrap_or_default();
                    panic!(
                        "the app window did not open within {WAIT:?}; processes:\n{ps}\nthe driver and the app said:\n{log}"
                    )
                }
            }
        };
        let app = App {
            client,
            driver,
            data_dir: data_dir.to_owned(),
        };
        app.until("the UI is drawn", "return !!document.querySelector('.app')")
            .await;
        app
    }

    /// Polls a JS predicate until it holds (WebDriver has no push; this is the wait).
    pub async fn until(&self, what: &str, script: &str) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let value = self
                .client
                .execute(script, vec![])
                .await
                .unwrap_or(Value::Null);
            if !value.is_null() && value != Value::Bool(false) {
                return value;
            }
            if tokio::time::Instant::now() > deadline {
                let shot = self.client.screenshot().await.unwrap_or_default();
                let path = screenshots_dir().join("failure.png");
                let _ = std::fs::create_dir_all(screenshots_dir());
                let _ = std::fs::write(&path, shot);
                let text = self.text("body").await;
                panic!("timed out waiting for {what} (screen in {path:?}):\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        let found = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => element,
            Err(e) => {
                self.shot("failure").await;
                panic!("{css} never appeared (screen in failure.png): {e}")
            }
        }
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        // As a user scrolls to a button before pressing it.
        let _ = self
            .client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'})",
                vec![serde_json::to_value(&element).unwrap()],
            )
            .await;
        // A toast (gone after 6 s) can lie over the control for a moment, as it would under a
        // user's pointer: the click is tried again until nothing covers it, within the wait.
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match element.click().await {
                Ok(()) => return,
                Err(fantoccini::error::CmdError::Standard(e))
                    if e.error == fantoccini::error::ErrorStatus::ElementClickIntercepted
                        && tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => {
                    self.shot("failure").await;
                    panic!("click {css}: {e:?}");
                }
            }
        }
    }

    /// Replaces a field's text as a user does: empty it (one input event, as select-all and
    /// delete would give), then type it key by key.
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        self.client
            .execute(
                "const f = arguments[0]; if (f.value !== '') { f.value = '';
                 f.dispatchEvent(new InputEvent('input', {bubbles: true})); }",
                vec![serde_json::to_value(&field).unwrap()],
            )
            .await
            .unwrap();
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Scrolls the element with `id` to the middle of its scrolling box (for a screenshot).
    pub async fn scroll_to(&self, id: &str) {
        self.client
            .execute(
                &format!(
                    "document.getElementById('{id}').scrollIntoView({{block: 'center'}}); return null"
                ),
                vec![],
            )
            .await
            .unwrap();
    }

    /// axe on Settings with its dialog scrolled to the top: a field half hidden by the dialog's
    /// edge is one it cannot judge.
    pub async fn axe_dialog(&self, name: &str) {
        self.client
            .execute(
                "document.querySelector('.dialog-body').scrollTop = 0; return null",
                vec![],
            )
            .await
            .unwrap();
        self.axe(name).await;
    }

    /// Step 4 filled with the fake's account and verified.
    pub async fn connect_twilio(&self) {
        self.type_into("#account_sid", ava_testkit::TWILIO_SID)
            .await;
        self.type_into("#auth_token", ava_testkit::TWILIO_TOKEN)
            .await;
        self.type_into("#phone_number", ava_testkit::TWILIO_NUMBER)
            .await;
        self.click("#twilio-verify").await;
        self.until(
            "twilio connected",
            "return document.querySelector('.integration.ok') !== null",
        )
        .await;
    }

    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// The element's text content ("" when absent), clipped or not.
    pub async fn text(&self, css: &str) -> String {
        self.client
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : ''",
                vec![json!(css)],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Picks an option the way a user does, then lets the page hear the change.
    pub async fn choose(&self, id: &str, value: &str) {
        self.find(&format!("#{id}")).await;
        self.client
            .execute(
                "const s = document.getElementById(arguments[0]); s.value = arguments[1];
                 s.dispatchEvent(new Event('change', {bubbles: true}));",
                vec![json!(id), json!(value)],
            )
            .await
            .unwrap();
        self.until(
            &format!("{id} = {value}"),
            &format!("return document.getElementById('{id}').value === '{value}'"),
        )
        .await;
    }

    /// Picks a time zone as a user does: types part of its name, clicks it in the list.
    pub async fn pick_zone(&self, typed: &str, zone: &str) {
        self.type_into("#timezone", typed).await;
        self.click(&format!("#timezone-options [data-zone='{zone}']"))
            .await;
        self.until(
            &format!("time zone {zone}"),
            &format!("return document.getElementById('timezone').dataset.zone === '{zone}'"),
        )
        .await;
    }

    /// Sends keys to whatever has the focus, as a keyboard does; returns the focused id after.
    pub async fn press(&self, keys: &str) -> String {
        let focused = self.client.active_element().await.unwrap();
        focused
            .send_keys(keys)
            .await
            .unwrap_or_else(|e| panic!("press {keys:?}: {e}"));
        self.client
            .execute("return document.activeElement.id", vec![])
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    pub async fn on_step(&self, key: &str) {
        self.until(
            &format!("step {key}"),
            &format!("return document.querySelector('#rail-{key}[aria-current=step]') !== null"),
        )
        .await;
    }

    pub async fn continue_to(&self, key: &str) {
        self.click("#continue").await;
        self.on_step(key).await;
    }

    pub async fn pill(&self, state: &str) {
        self.until(
            &format!("status {state}"),
            &format!("return document.querySelector('#status-pill[data-state={state}]') !== null"),
        )
        .await;
    }

    /// A screenshot of what is on screen now: WebKit's snapshot is the last painted frame, so
    /// wait for two animation frames (the DOM change has been painted) first.
    pub async fn shot(&self, name: &str) {
        let _ = self
            .client
            .execute_async(
                "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)))",
                vec![],
            )
            .await;
        let png = self.client.screenshot().await.unwrap();
        std::fs::create_dir_all(screenshots_dir()).unwrap();
        std::fs::write(screenshots_dir().join(format!("{name}.png")), png).unwrap();
    }

    /// Closes the session and waits until the app's process is gone.
    pub async fn quit(self) {
        let _ = self.client.clone().close().await;
        wait_for_exit(&self.data_dir).await;
    }

    /// SIGKILL, as a crash or a power cut would: no close handler runs.
    pub async fn kill(self) {
        kill_app(&self.data_dir);
    }
}

/// Whatever happened (a failed assertion included), nothing of this app outlives the test.
impl Drop for App {
    fn drop(&mut self) {
        kill_app(&self.data_dir);
        if let Some(pid) = self.driver.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
        }
    }
}

fn driver_log_path(data_dir: &Path) -> PathBuf {
    let name = data_dir.file_name().unwrap_or_default().to_string_lossy();
    std::env::temp_dir().join(format!("ava-e2e-driver-{name}.log"))
}

fn driver_log(data_dir: &Path) -> Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(driver_log_path(data_dir))
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

/// Until tauri-driver accepts connections (it needs a moment after it starts).
async fn wait_for_listener(port: u16) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "tauri-driver never listened on {port}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The app's single-instance name on the session bus for a data folder (the shell's
/// `single_instance`: one instance per folder).
fn instance_name(data_dir: &Path) -> String {
    let config: Value = serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
    let identifier = config["identifier"].as_str().unwrap();
    let folder = ava_core::folder_digest(data_dir);
    format!("{identifier}.folder{folder:016x}.SingleInstance")
}

/// Until the session bus has let go of a gone app's single-instance name. On a busy machine
/// the bus still listed it for a moment after the process had died, and an app started then
/// tried to hand over to it and quit ("Message recipient disconnected").
fn wait_until_instance_released(data_dir: &Path) {
    let name = instance_name(data_dir);
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let owned = std::process::Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                &format!("string:{name}"),
            ])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"));
        if !owned {
            return;
        }
        // No panic here: this also runs while a failed test unwinds.
        if std::time::Instant::now() > deadline {
            eprintln!("the bus still lists {name}");
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGKILL, then wait until it is gone, its single-instance name included.
pub fn kill_app(data_dir: &Path) {
    let pattern = data_dir.to_string_lossy().into_owned();
    let _ = std::process::Command::new("pkill")
        .args(["-KILL", "-f", &pattern])
        .status();
    let deadline = std::time::Instant::now() + WAIT;
    while std::process::Command::new("pgrep")
        .args(["-f", &pattern])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        // No panic here: this also runs while a failed test unwinds.
        if std::time::Instant::now() > deadline {
            eprintln!("the app on {pattern} did not die");
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    wait_until_instance_released(data_dir);
}

pub async fn wait_for_exit(data_dir: &Path) {
    let pattern = data_dir.to_string_lossy().into_owned();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let running = Command::new("pgrep")
            .args(["-f", &pattern])
            .stdout(Stdio::null())
            .status()
            .await
            .is_ok_and(|s| s.success());
        if !running {
            wait_until_instance_released(data_dir);
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("the app on {pattern} did not exit");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn files_under(folders: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = folders.to_vec();
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

pub async fn sign_up(app: &App, email: &str) {
    app.type_into("#email", email).await;
    app.type_into("#password", PASSWORD).await;
    app.click("#account-submit").await;
    app.on_step("profile").await;
}

pub async fn user_row(pool: &PgPool, email: &str) -> sqlx::postgres::PgRow {
    sqlx::query("SELECT * FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap()
}

pub async fn flags_row(pool: &PgPool, email: &str) -> sqlx::postgres::PgRow {
    sqlx::query(
        "SELECT o.* FROM user_onboarding o JOIN users u ON u.id = o.user_id WHERE u.email = $1",
    )
    .bind(email)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Ticks the days' boxes in step 5's schedule, one at a time as a user does (each tick saves
/// the week drawn after the previous one).
pub async fn tick_days(app: &App, days: &[&str]) {
    for day in days {
        app.click(&format!("#hours-{day}")).await;
        app.until(
            &format!("{day} open"),
            &format!("return document.querySelector('[data-day={day}] .hours-time') !== null"),
        )
        .await;
    }
}

/// Waits (on the fake's record of PATCHes, never by sleeping) until the live assistant's
/// system prompt holds `text`: typed key by key, the edit may reach Vapi in several updates.
pub async fn until_live_prompt_contains(world: &World, text: &str) {
    const PATCH: &str = "PATCH /assistant/{id}";
    let vapi = &world.fakes.vapi;
    let holds = || {
        vapi.assistants()
            .iter()
            .any(|a| ava_fakes::system_prompt(a).contains(text))
    };
    let waited = tokio::time::timeout(WAIT, async {
        loop {
            let seen = vapi.calls.handled(PATCH);
            if holds() {
                return;
            }
            vapi.calls.wait_handled(PATCH, seen + 1).await;
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "the live assistant never got {text:?}: {:?}",
        vapi.assistants()
    );
}

/// Waits (bounded, polling like [`App::until`]) until `sql` — one text column of one row —
/// reads `want` in PostgreSQL.
pub async fn until_db(pool: &PgPool, sql: &str, want: Option<&str>) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let got: Option<String> = sqlx::query_scalar(sql).fetch_one(pool).await.unwrap();
        if got.as_deref() == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {sql} = {want:?}; it is {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
