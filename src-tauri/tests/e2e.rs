//! End to end: the real app window (WebKitGTK, driven through tauri-driver and
//! WebKitWebDriver), the real keychain (the test script's private gnome-keyring), the real
//! ava-server over a fresh PostgreSQL database, and the Vapi/Twilio fakes.
//!
//! Run through `tests/test.sh`, which provides Xvfb, the D-Bus session and the keyring. Every
//! step of every language is saved as a screenshot under `$CARGO_TARGET_DIR/e2e-screenshots`.

#[path = "../../crates/core/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{JWT, PASSWORD, TWILIO_NUMBER, TWILIO_SID, TWILIO_TOKEN, VAPI_KEY, World};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use sqlx::{PgPool, Row};
use tokio::process::{Child, Command};

const BINARY: &str = env!("CARGO_BIN_EXE_ava-desktop");
const WAIT: Duration = Duration::from_secs(30);

/// One app window at a time: the app is single-instance, and two WebKit processes on two
/// cores only make each test slower.
static ONE_WINDOW: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("e2e-screenshots")
}

/// Where the app finds the server and the fakes, and what the "OS" says about language.
struct Env {
    api_url: String,
    vapi_url: String,
    twilio_url: String,
    keychain: String,
    lang: &'static str,
}

impl Env {
    /// No server at all (a port nothing listens on): the wizard works offline.
    fn offline(world: &World, lang: &'static str) -> Self {
        Self::new(world, &format!("http://127.0.0.1:{}", free_port()), lang)
    }

    fn new(world: &World, api_url: &str, lang: &'static str) -> Self {
        Self {
            api_url: api_url.to_owned(),
            vapi_url: world.fakes.vapi_url(),
            twilio_url: world.fakes.twilio_url(),
            keychain: common::keychain_id(),
            lang,
        }
    }
}

struct App {
    client: Client,
    driver: Child,
    data_dir: PathBuf,
}

impl App {
    /// Starts tauri-driver and, through it, the app on `data_dir`; returns once the UI drew.
    async fn launch(env: &Env, data_dir: &Path) -> App {
        let port = free_port();
        let native_port = free_port();
        let driver = Command::new("tauri-driver")
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
            .stdout(Stdio::null())
            .stderr(Stdio::null())
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
        let deadline = tokio::time::Instant::now() + WAIT;
        let client = loop {
            // The driver needs a moment to listen; the session request tells when it does.
            let mut builder = ClientBuilder::new(HttpConnector::new());
            builder.capabilities(caps.clone());
            let attempt = builder.connect(&url);
            match tokio::time::timeout(WAIT, attempt).await {
                Ok(Ok(client)) => break client,
                Ok(Err(_)) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                Ok(Err(e)) => panic!("no WebDriver session: {e}"),
                Err(_) => panic!("the app window did not open within {WAIT:?}"),
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
    async fn until(&self, what: &str, script: &str) -> Value {
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

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        // As a user scrolls to a button before pressing it.
        let _ = self
            .client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'})",
                vec![serde_json::to_value(&element).unwrap()],
            )
            .await;
        if let Err(e) = element.click().await {
            self.shot("failure").await;
            panic!("click {css}: {e:?}");
        }
    }

    /// Replaces a field's text as a user does: empty it (one input event, as select-all and
    /// delete would give), then type it key by key.
    async fn type_into(&self, css: &str, text: &str) {
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

    async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// The element's text content ("" when absent), clipped or not.
    async fn text(&self, css: &str) -> String {
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
    async fn choose(&self, id: &str, value: &str) {
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

    /// Sends keys to whatever has the focus, as a keyboard does; returns the focused id after.
    async fn press(&self, keys: &str) -> String {
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

    async fn on_step(&self, key: &str) {
        self.until(
            &format!("step {key}"),
            &format!("return document.querySelector('#rail-{key}[aria-current=step]') !== null"),
        )
        .await;
    }

    async fn continue_to(&self, key: &str) {
        self.click("#continue").await;
        self.on_step(key).await;
    }

    async fn pill(&self, state: &str) {
        self.until(
            &format!("status {state}"),
            &format!("return document.querySelector('#status-pill[data-state={state}]') !== null"),
        )
        .await;
    }

    /// A screenshot of what is on screen now: WebKit's snapshot is the last painted frame, so
    /// wait for two animation frames (the DOM change has been painted) first.
    async fn shot(&self, name: &str) {
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
    async fn quit(self) {
        let _ = self.client.clone().close().await;
        wait_for_exit(&self.data_dir).await;
    }

    /// SIGKILL, as a crash or a power cut would: no close handler runs.
    async fn kill(self) {
        kill_app(&self.data_dir);
    }
}

/// Whatever happened (a failed assertion included), nothing of this app outlives the test:
/// the next test's app would meet it as the single instance, hand over to it and quit.
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

/// SIGKILL, then wait until it is gone (a dying app still holds the single-instance name).
fn kill_app(data_dir: &Path) {
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
}

async fn wait_for_exit(data_dir: &Path) {
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
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("the app on {pattern} did not exit");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn files_under(folders: &[PathBuf]) -> Vec<PathBuf> {
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

async fn sign_up(app: &App, email: &str) {
    app.type_into("#email", email).await;
    app.type_into("#password", PASSWORD).await;
    app.click("#account-submit").await;
    app.on_step("profile").await;
}

async fn user_row(pool: &PgPool, email: &str) -> sqlx::postgres::PgRow {
    sqlx::query("SELECT * FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn flags_row(pool: &PgPool, email: &str) -> sqlx::postgres::PgRow {
    sqlx::query(
        "SELECT o.* FROM user_onboarding o JOIN users u ON u.id = o.user_id WHERE u.email = $1",
    )
    .bind(email)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn the_happy_path_through_nine_steps_lands_in_the_database_and_in_vapi(pool: PgPool) {
    let _one = ONE_WINDOW.lock().await;
    let world = World::new(pool.clone()).await;
    let server = world.start_server(([127, 0, 0, 1], 0).into(), JWT).await;
    let dir = tempfile::tempdir().unwrap();
    let env = Env::new(&world, &server.url(), "en_US.UTF-8");
    let app = App::launch(&env, dir.path()).await;
    sign_up(&app, "owner@acme.com").await;

    // 1. Profile: the OS time zone is already filled in.
    app.until(
        "the OS time zone in step 1",
        "return document.getElementById('timezone').value === 'Europe/Paris'",
    )
    .await;
    app.type_into("#full_name", "Ann Owner").await;
    app.type_into("#organization_name", "Acme Dental").await;
    app.choose("industry", "healthcare").await;
    app.choose("timezone", "America/New_York").await;
    app.click("#marketing_opt_in").await;
    app.click("#accept_terms").await;
    app.until(
        "terms ticked",
        "return document.getElementById('accept_terms').checked",
    )
    .await;
    app.continue_to("vapi").await;

    // 2. Vapi, inline, verified against the fake.
    app.type_into("#vapi_api_key", VAPI_KEY).await;
    app.click("#vapi-verify").await;
    app.until(
        "vapi connected",
        "return document.querySelector('.integration.ok') !== null",
    )
    .await;
    assert_eq!(
        app.value("#vapi_api_key").await,
        "",
        "the window keeps no copy of the key once the keychain has it"
    );
    app.continue_to("persona").await;

    // 3. Persona.
    app.click("#persona [data-value=concierge]").await;
    app.type_into(
        "#job_to_be_done",
        "Book cleanings and answer price questions",
    )
    .await;
    app.click("#languages [data-value=en]").await;
    app.until(
        "en chip",
        "return document.querySelector('#languages [data-value=en][aria-pressed=true]') !== null",
    )
    .await;
    app.click("#languages [data-value=fr]").await;
    app.until(
        "fr chip",
        "return document.querySelector('#languages [data-value=fr][aria-pressed=true]') !== null",
    )
    .await;
    app.choose("tone", "friendly").await;
    app.type_into("#guidelines", "Never give medical advice.")
        .await;
    app.continue_to("twilio").await;

    // 4. Twilio, inline: the number must belong to the account.
    app.type_into("#account_sid", TWILIO_SID).await;
    app.type_into("#auth_token", TWILIO_TOKEN).await;
    app.type_into("#phone_number", TWILIO_NUMBER).await;
    app.click("#twilio-verify").await;
    app.until(
        "twilio connected",
        "return document.querySelector('.integration.ok') !== null",
    )
    .await;
    app.continue_to("telephony").await;

    // 5. Telephony: the number from step 4 is already there.
    assert_eq!(app.value("#number").await, TWILIO_NUMBER);
    tick_days(&app, &["Mon", "Tue", "Wed", "Thu", "Fri"]).await;
    app.until(
        "open now or not, in the business's time zone",
        "return document.getElementById('open-now') !== null",
    )
    .await;
    app.type_into("#fallback_email", "desk@acme.com").await;
    app.continue_to("integrations").await;

    // 6. Integrations.
    app.click("#calendar [data-value=google]").await;
    app.click("#workspace_apps [data-value=slack]").await;
    app.until("slack chip", "return document.querySelector('#workspace_apps [data-value=slack][aria-pressed=true]') !== null").await;
    app.click("#crm [data-value=hubspot]").await;
    app.until(
        "crm",
        "return document.querySelector('#crm [data-value=hubspot][aria-checked=true]') !== null",
    )
    .await;
    // Skip keeps what was chosen; it is recorded as the seed's `onboarding_step_skipped`.
    app.click("#skip").await;
    app.on_step("assistant").await;

    // 7. Assistant: pre-written from steps 3 and 5, then created with visible progress.
    let instructions = app.value("#instructions").await;
    assert!(
        instructions.contains("concierge") && instructions.contains("Acme Dental"),
        "{instructions}"
    );
    assert!(
        instructions.contains(
            "Business hours (America/New_York time): Monday to Friday 09:00–18:00; closed on Saturday and Sunday."
        ),
        "the schedule, spelled out with its zone: {instructions}"
    );
    app.type_into("#name", "Ava Acme").await;
    app.click("#create-assistant").await;
    app.until(
        "assistant and number done",
        "return document.querySelectorAll('#assistant-progress [data-state=done]').length >= 2",
    )
    .await;
    app.continue_to("plan").await;

    // 8. Plan.
    app.click("#plan [data-value=pro]").await;
    app.until(
        "pro",
        "return document.querySelector('#plan [data-value=pro][aria-checked=true]') !== null",
    )
    .await;
    app.type_into("#seats", "3").await;
    app.continue_to("done").await;

    // 9. Done, then Launch → the studio home.
    let summary = app.text("#summary").await;
    assert!(
        summary.contains("Ava Acme") && summary.contains(TWILIO_NUMBER),
        "{summary}"
    );
    app.click("#launch").await;
    let home = app.find("#home-assistant").await.text().await.unwrap();
    assert!(home.contains("Ava Acme"), "{home}");
    assert!(app.text("#home-number").await.contains(TWILIO_NUMBER));
    assert!(app.text("#home-plan").await.contains("Pro"));
    app.find("#assistant-sync[data-state=up-to-date]").await;
    // "Talk to Ava" answers, on the instructions shown beside the chat.
    app.find("#calls-empty").await;
    app.type_into("#chat-input", "Are you open on Saturday?")
        .await;
    app.click("#chat-send").await;
    app.until(
        "Ava's answer",
        "return [...document.querySelectorAll('.chat-line.ava')].some(l => l.textContent.includes('(turn 1)'))",
    )
    .await;
    assert_eq!(
        app.value("#chat-input").await,
        "",
        "a sent message leaves the box"
    );
    assert!(app.text("#system-prompt").await.contains("Acme Dental"));
    // A call in Vapi's log shows up on "Refresh".
    let assistant_id = world.fakes.vapi.assistants()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    world.fakes.vapi.add_call(&ava_fakes::CallSpec {
        assistant_id: &assistant_id,
        caller: "+33612345678",
        started_at: chrono::Utc::now() - chrono::Duration::minutes(30),
        seconds: 125,
        ended_reason: "customer-ended-call",
        summary: Some("Booked a cleaning for Tuesday at 10:00."),
    });
    app.click("#refresh-calls").await;
    app.until(
        "the call in the list",
        "return document.querySelector('#calls .call-caller')?.textContent === '+33612345678'",
    )
    .await;
    let call = app.text("#calls .call").await;
    assert!(
        call.contains("2:05")
            && call.contains("The caller hung up.")
            && call.contains("Booked a cleaning"),
        "{call}"
    );
    // "Call me": the call's progress, until it ends with the reason in words.
    app.type_into("#call-to", "+33 6 12 34 56 78").await;
    app.click("#call-me").await;
    app.find("#test-call[data-status=queued]").await;
    let placed = world.fakes.vapi.outbound_calls();
    assert_eq!(placed.len(), 1);
    assert_eq!(placed[0]["customer"]["number"], "+33612345678");
    let call_id = placed[0]["id"].as_str().unwrap().to_owned();
    for status in ["ringing", "in-progress", "ended"] {
        world.fakes.vapi.advance_call(&call_id);
        app.find(&format!("#test-call[data-status={status}]")).await;
    }
    assert_eq!(
        app.text("#test-call").await,
        "Call ended: The caller hung up."
    );
    app.click("#system-prompt summary").await;
    for lang in ["fr", "he", "en"] {
        app.choose("language-switch", lang).await;
        app.shot(&format!("{lang}-home")).await;
    }

    // After launch, an edit of the guidelines reaches the live assistant in Vapi.
    app.click("#home-number .link").await;
    app.on_step("telephony").await;
    app.click("#rail-persona").await;
    app.on_step("persona").await;
    app.type_into("#guidelines", "Always offer the earliest slot.")
        .await;
    until_live_prompt_contains(&world, "Guidelines: Always offer the earliest slot.").await;
    app.click("#rail-assistant").await;
    app.on_step("assistant").await;
    app.find("#assistant-sync[data-state=up-to-date]").await;
    assert_eq!(app.text("#create-assistant").await.trim(), "Update Ava");
    // "Talk to Ava" is here too, with the conversation from the home.
    app.until(
        "the conversation at step 7",
        "return document.querySelectorAll('#chat-lines .chat-line').length === 2",
    )
    .await;
    app.shot("en-assistant-after-launch").await;
    app.client
        .execute(
            "document.getElementById('chat-panel').scrollIntoView(); return null",
            vec![],
        )
        .await
        .unwrap();
    app.shot("en-assistant-chat").await;
    let live = &world.fakes.vapi.assistants()[0];
    assert_eq!(
        live["model"]["provider"], "openai",
        "the whole model was sent"
    );
    assert!(
        live["model"]["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("Monday to Friday 09:00–18:00"),
        "the rest of the prompt stays: {live}"
    );
    app.pill("synced").await;
    app.until(
        "nothing pending",
        "return document.querySelector('#status-pill').title === ''",
    )
    .await;
    // The seed's six kinds of onboarding event reached PostgreSQL (they go after the edits).
    until_db(
        &pool,
        "SELECT string_agg(DISTINCT name, ',' ORDER BY name) FROM onboarding_events",
        Some("assistant_created,onboarding_completed,onboarding_started,onboarding_step_completed,onboarding_step_skipped,vapi_configured"),
    )
    .await;
    app.quit().await;
    let funnel = ava_server::report::funnel(&pool, None, None).await.unwrap();
    println!(
        "{}",
        ava_server::report::render(&funnel, ava_server::report::Format::Table)
    );
    assert_eq!((funnel.started, funnel.completions), (1, 1));
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT name || properties::text || context::text FROM onboarding_events",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let events = events.concat();
    for private in [
        "owner@acme.com",
        "Ann Owner",
        "Acme Dental",
        "desk@acme.com",
        TWILIO_NUMBER,
        TWILIO_SID,
        VAPI_KEY,
        TWILIO_TOKEN,
        PASSWORD,
    ] {
        assert!(
            !events.contains(private),
            "{private} in an onboarding event"
        );
    }

    let row = user_row(&pool, "owner@acme.com").await;
    let text = |c: &str| row.get::<Option<String>, _>(c).unwrap_or_default();
    assert_eq!(text("full_name"), "Ann Owner");
    assert_eq!(text("organization_name"), "Acme Dental");
    assert_eq!(text("industry"), "healthcare");
    assert_eq!(text("timezone"), "America/New_York");
    assert_eq!(text("locale"), "en");
    assert!(row.get::<bool, _>("marketing_opt_in"));
    assert!(row.get::<bool, _>("accept_terms"));
    assert_eq!(text("persona"), "concierge");
    assert_eq!(
        text("job_to_be_done"),
        "Book cleanings and answer price questions"
    );
    assert_eq!(row.get::<Value, _>("languages"), json!(["en", "fr"]));
    assert_eq!(text("tone"), "friendly");
    assert_eq!(text("guidelines"), "Always offer the earliest slot.");
    assert_eq!(text("strategy"), "attach");
    assert_eq!(text("number"), TWILIO_NUMBER);
    assert_eq!(text("business_hours"), "Mon–Fri 09:00–18:00");
    assert_eq!(text("fallback_email"), "desk@acme.com");
    assert_eq!(text("calendar"), "google");
    assert_eq!(row.get::<Value, _>("workspace_apps"), json!(["slack"]));
    assert_eq!(text("crm"), "hubspot");
    assert_eq!(text("plan"), "pro");
    assert_eq!(row.get::<i32, _>("seats"), 3);
    assert!(row.get::<bool, _>("onboarding_completed"));
    let flags = flags_row(&pool, "owner@acme.com").await;
    assert!(flags.get::<bool, _>("onboarding_assistant_created"));
    assert!(!flags.get::<bool, _>("onboarding_vapi_skipped"));

    // The secrets went to the keychain and the server, never into a file of the app's: not the
    // draft, not the preferences, not the logs.
    let mut folders = vec![dir.path().to_owned()];
    if let Some(data) = std::env::var_os("XDG_DATA_HOME") {
        folders.push(PathBuf::from(data).join("ai.ava.desktop"));
    }
    let files = files_under(&folders);
    assert!(files.iter().any(|f| f.ends_with("draft.json")), "{files:?}");
    for file in &files {
        let bytes = std::fs::read(file).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        for secret in [VAPI_KEY, TWILIO_TOKEN, PASSWORD] {
            assert!(!text.contains(secret), "{file:?} holds a secret");
        }
    }

    let assistants = world.fakes.vapi.assistants();
    assert_eq!(
        assistants.len(),
        1,
        "exactly one assistant in Vapi: {assistants:?}"
    );
    assert_eq!(assistants[0]["name"], "Ava Acme");
    let numbers = world.fakes.vapi.phone_numbers();
    assert_eq!(numbers.len(), 1);
    assert_eq!(numbers[0]["assistantId"], assistants[0]["id"]);
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM assistants")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(recorded, 1);
    server.stop().await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn the_skip_path_sets_the_flags(pool: PgPool) {
    let _one = ONE_WINDOW.lock().await;
    let world = World::new(pool.clone()).await;
    let server = world.start_server(([127, 0, 0, 1], 0).into(), JWT).await;
    let dir = tempfile::tempdir().unwrap();
    let app = App::launch(&Env::new(&world, &server.url(), "en_US.UTF-8"), dir.path()).await;
    sign_up(&app, "skipper@acme.com").await;
    app.click("#rail-vapi").await;
    app.on_step("vapi").await;
    app.click("#vapi-skip").await;
    app.on_step("persona").await;
    app.click("#rail-twilio").await;
    app.on_step("twilio").await;
    app.click("#skip").await;
    app.on_step("telephony").await;
    app.click("#rail-done").await;
    // The summary is drawn after the click returns: wait for it (a CI run read it empty once).
    app.on_step("done").await;
    app.until(
        "the summary",
        "const s = document.querySelector('#summary'); return s !== null && s.textContent.length > 0",
    )
    .await;
    let summary = app.text("#summary").await;
    assert!(
        summary.contains("Set up"),
        "skipped steps link back: {summary}"
    );
    app.click("#change-vapi").await;
    app.on_step("vapi").await;
    app.until(
        "marked skipped",
        "return document.querySelector('.integration.skipped') !== null",
    )
    .await;
    app.pill("synced").await;
    app.quit().await;
    let flags = flags_row(&pool, "skipper@acme.com").await;
    assert!(flags.get::<bool, _>("onboarding_vapi_skipped"));
    assert!(flags.get::<bool, _>("onboarding_twilio_skipped"));
    assert!(!flags.get::<bool, _>("onboarding_assistant_created"));
    server.stop().await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn killed_mid_typing_it_reopens_on_the_same_step_with_the_values(pool: PgPool) {
    let _one = ONE_WINDOW.lock().await;
    let world = World::new(pool).await;
    let dir = tempfile::tempdir().unwrap();
    // No server at all: the whole wizard works offline.
    let env = Env::offline(&world, "en_US.UTF-8");
    let app = App::launch(&env, dir.path()).await;
    app.click("#continue-offline").await;
    app.on_step("profile").await;
    app.type_into("#full_name", "Ann Owner").await;
    app.click("#rail-persona").await;
    app.on_step("persona").await;
    app.type_into("#job_to_be_done", "Answer the phone politely")
        .await;
    // The draft reaches the disk within half a second of the last keystroke; kill right then.
    let draft = dir.path().join("draft.json");
    let deadline = tokio::time::Instant::now() + WAIT;
    while !std::fs::read_to_string(&draft).is_ok_and(|d| d.contains("Answer the phone politely")) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the draft never reached the disk"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.kill().await;

    let app = App::launch(&env, dir.path()).await;
    app.on_step("persona").await;
    assert_eq!(
        app.value("#job_to_be_done").await,
        "Answer the phone politely"
    );
    app.click("#rail-profile").await;
    app.on_step("profile").await;
    assert_eq!(app.value("#full_name").await, "Ann Owner");
    app.quit().await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn an_edit_whose_update_a_crash_cut_off_reaches_the_live_assistant_at_the_next_start(
    pool: PgPool,
) {
    let _one = ONE_WINDOW.lock().await;
    let world = World::new(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let env = Env::offline(&world, "en_US.UTF-8");
    // The assistant exists: made through the core, on the app's data folder and keychain.
    let (core, _) = common::launched_core(&world, dir.path(), &env.keychain).await;
    core.flush().unwrap();
    drop(core);

    let app = App::launch(&env, dir.path()).await;
    app.click("#continue-offline").await;
    // Vapi takes the first update and never answers it.
    world
        .fakes
        .vapi
        .faults
        .add(ava_fakes::FaultRule::next(1, ava_fakes::Fault::Hang).on("PATCH /assistant/{id}"));
    app.click("#rail-persona").await;
    app.on_step("persona").await;
    app.type_into("#guidelines", "v9 Closed on holidays").await;
    let received = world
        .fakes
        .vapi
        .calls
        .wait_received("PATCH /assistant/{id}", 1);
    assert!(
        tokio::time::timeout(WAIT, received).await.is_ok(),
        "an update went out"
    );
    let draft = dir.path().join("draft.json");
    let deadline = tokio::time::Instant::now() + WAIT;
    while !std::fs::read_to_string(&draft).is_ok_and(|d| d.contains("v9 Closed on holidays")) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the draft never reached the disk"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.kill().await;
    assert!(
        !world.fakes.vapi.assistants()[0]["model"]["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("v9 Closed on holidays"),
        "Vapi did not get it before the crash"
    );

    // At the next start the core sends it, before the window is even used.
    let app = App::launch(&env, dir.path()).await;
    until_live_prompt_contains(&world, "Guidelines: v9 Closed on holidays").await;
    app.quit().await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn offline_edits_sync_when_the_server_returns(pool: PgPool) {
    let _one = ONE_WINDOW.lock().await;
    let world = World::new(pool.clone()).await;
    let server = world.start_server(([127, 0, 0, 1], 0).into(), JWT).await;
    let addr = server.addr;
    let dir = tempfile::tempdir().unwrap();
    let app = App::launch(&Env::new(&world, &server.url(), "en_US.UTF-8"), dir.path()).await;
    sign_up(&app, "roamer@acme.com").await;
    app.pill("synced").await;

    server.stop().await;
    app.type_into("#organization_name", "Acme on the road")
        .await;
    app.pill("offline").await;
    app.shot("offline-pill").await;

    let server = world.start_server(addr, JWT).await;
    app.pill("synced").await;
    app.quit().await;
    let row = user_row(&pool, "roamer@acme.com").await;
    assert_eq!(
        row.get::<Option<String>, _>("organization_name").as_deref(),
        Some("Acme on the road")
    );
    server.stop().await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn the_settings_round_trip_comes_back_to_the_same_step(pool: PgPool) {
    let _one = ONE_WINDOW.lock().await;
    let world = World::new(pool.clone()).await;
    let server = world.start_server(([127, 0, 0, 1], 0).into(), JWT).await;
    let dir = tempfile::tempdir().unwrap();
    let app = App::launch(&Env::new(&world, &server.url(), "en_US.UTF-8"), dir.path()).await;
    sign_up(&app, "settings@acme.com").await;
    app.click("#rail-vapi").await;
    app.on_step("vapi").await;
    app.until(
        "not connected yet",
        "return document.querySelector('.integration.missing') !== null",
    )
    .await;
    app.click("#vapi-detailed").await;
    app.find("#settings").await;
    app.type_into("#settings-vapi #vapi_api_key", "wrong-key-0000")
        .await;
    app.click("#settings-vapi #vapi-verify").await;
    let refused = app.find("#vapi-alert").await.text().await.unwrap();
    assert!(refused.contains("Vapi refused this key"), "{refused}");
    app.type_into("#settings-vapi #vapi_api_key", VAPI_KEY)
        .await;
    app.click("#settings-vapi #vapi-verify").await;
    app.until(
        "saved in settings",
        "return document.querySelector('#delete-vapi') !== null",
    )
    .await;
    app.shot("settings-dialog").await;

    // Keeping keys on this computer only deletes the server's copy, so it is asked first;
    // "Cancel" changes nothing.
    let copies = "SELECT count(*)::text FROM vapi_credentials";
    until_db(&pool, copies, Some("1")).await;
    app.click("#keys-local-only").await;
    app.find("#keys-local-confirm").await;
    app.shot("settings-keys-local-confirm").await;
    app.click("#keys-local-confirm-no").await;
    app.until(
        "asked and cancelled",
        "return document.querySelector('#keys-local-confirm') === null && !document.querySelector('#keys-local-only').checked",
    )
    .await;
    until_db(&pool, copies, Some("1")).await;
    app.click("#keys-local-only").await;
    app.click("#keys-local-confirm-yes").await;
    app.until(
        "kept on this computer only",
        "return document.querySelector('#keys-local-confirm') === null && document.querySelector('#keys-local-only').checked",
    )
    .await;
    until_db(&pool, copies, Some("0")).await;
    app.click("#close-settings").await;
    app.on_step("vapi").await;
    app.until(
        "connected on the step",
        "return document.querySelector('.integration.ok') !== null",
    )
    .await;
    assert!(app.text(".integration.ok").await.contains("Connected"));

    // Esc closes the dialog too, and the step is still the same.
    app.click("#open-settings").await;
    app.find("#settings").await;
    app.find("#close-settings")
        .await
        .send_keys("\u{e00c}")
        .await
        .unwrap();
    app.until(
        "dialog closed",
        "return document.querySelector('#settings') === null",
    )
    .await;
    app.on_step("vapi").await;
    app.quit().await;
    server.stop().await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn french_shows_a_bad_phone_number_inline_and_hebrew_lays_out_right_to_left(pool: PgPool) {
    let _one = ONE_WINDOW.lock().await;
    let world = World::new(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let env = Env::offline(&world, "fr_FR.UTF-8");
    let app = App::launch(&env, dir.path()).await;
    // The OS says French: the very first screen is French.
    let title = app.find("#gate-title").await.text().await.unwrap();
    assert_eq!(title, "Bienvenue sur Ava");
    app.click("#continue-offline").await;
    app.on_step("profile").await;
    assert_eq!(app.value("#locale").await, "fr");
    app.click("#rail-telephony").await;
    app.on_step("telephony").await;
    app.type_into("#number", "06 12").await;
    let error = app.find("#number-msg.error").await.text().await.unwrap();
    assert_eq!(
        error,
        "Utilisez le format international, par ex. +33612345678."
    );
    assert_eq!(
        app.value("#number").await,
        "06 12",
        "the refused value stays to be fixed"
    );
    app.shot("fr-telephony-invalid-number").await;

    // Enter continues; the warning toast names what is missing on the way out of Profile.
    app.click("#rail-profile").await;
    app.on_step("profile").await;
    app.find("#full_name")
        .await
        .send_keys("\u{e007}")
        .await
        .unwrap();
    app.on_step("vapi").await;
    let toast = app.find(".toast.warning").await.text().await.unwrap();
    assert!(
        toast.contains("Nom complet") && toast.contains("Secteur"),
        "{toast}"
    );

    app.choose("language-switch", "he").await;
    app.until("rtl", "return document.querySelector('.app').dir === 'rtl'")
        .await;
    let rail_is_right_of_card = app
        .until(
            "rail on the right",
            "const r = document.querySelector('.rail').getBoundingClientRect();
             const c = document.querySelector('.card').getBoundingClientRect();
             return r.left > c.right",
        )
        .await;
    assert_eq!(rail_is_right_of_card, Value::Bool(true));
    let back = app.find("#back").await.rectangle().await.unwrap();
    let cont = app.find("#continue").await.rectangle().await.unwrap();
    assert!(back.0 > cont.0, "Back sits on the right in Hebrew");
    assert_eq!(app.text("#step-title").await, "Vapi");
    assert_eq!(app.text("#continue").await, "המשך");
    app.quit().await;
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn every_step_in_every_language_is_drawn_and_saved_as_a_screenshot(pool: PgPool) {
    let _one = ONE_WINDOW.lock().await;
    let world = World::new(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let env = Env::offline(&world, "en_US.UTF-8");
    let app = App::launch(&env, dir.path()).await;
    app.shot("en-0-account").await;
    app.click("#continue-offline").await;
    // Step 5's weekly schedule, with Saturday's own hours, in every language's screenshot.
    app.click("#rail-telephony").await;
    app.on_step("telephony").await;
    tick_days(&app, &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]).await;
    app.client
        .execute(
            "const to = document.querySelectorAll('[data-day=Sat] .hours-time')[1];
             to.value = '13:00'; to.dispatchEvent(new Event('change', {bubbles: true})); return null",
            vec![],
        )
        .await
        .unwrap();
    app.until(
        "Saturday until 13:00",
        "return document.querySelectorAll('[data-day=Sat] .hours-time')[1].value === '13:00'",
    )
    .await;
    for lang in ["en", "fr", "he"] {
        app.click("#rail-profile").await;
        app.on_step("profile").await;
        app.choose("language-switch", lang).await;
        app.until(
            lang,
            &format!("return document.querySelector('.app').lang === '{lang}'"),
        )
        .await;
        for (n, step) in ava_model::Step::NAMES.iter().enumerate() {
            app.click(&format!("#rail-{step}")).await;
            app.on_step(step).await;
            // Nothing is cut off: the card's content fits its width at the window's size.
            let overflow = app
                .client
                .execute(
                    "const c = document.querySelector('.card'); return c.scrollWidth - c.clientWidth",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(overflow, json!(0), "{lang}/{step} overflows sideways");
            app.shot(&format!("{lang}-{}-{step}", n + 1)).await;
        }
        app.click("#open-settings").await;
        app.find("#settings").await;
        app.shot(&format!("{lang}-settings")).await;
        // Privacy (keys, usage sharing) is further down the dialog.
        app.find("#usage-sharing").await;
        app.client
            .execute(
                "document.getElementById('settings-privacy').scrollIntoView(); return null",
                vec![],
            )
            .await
            .unwrap();
        app.shot(&format!("{lang}-settings-privacy")).await;
        app.click("#close-settings").await;
    }
    app.quit().await;
    let saved = std::fs::read_dir(screenshots_dir()).unwrap().count();
    assert!(saved >= 31, "{saved} screenshots");
}

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn the_keyboard_alone_walks_step_one_in_order_and_continues(pool: PgPool) {
    let _one = ONE_WINDOW.lock().await;
    let world = World::new(pool).await;
    let dir = tempfile::tempdir().unwrap();
    let app = App::launch(&Env::offline(&world, "en_US.UTF-8"), dir.path()).await;
    app.click("#continue-offline").await;
    app.on_step("profile").await;
    app.click("#full_name").await;
    const TAB: &str = "\u{e004}";
    // Tab goes down the form in reading order, then to the footer (Back is disabled on step 1).
    for expected in [
        "organization_name",
        "industry",
        "timezone",
        "locale",
        "marketing_opt_in",
        "accept_terms",
    ] {
        assert_eq!(app.press(TAB).await, expected);
    }
    app.press(" ").await;
    app.until(
        "terms ticked with Space",
        "return document.getElementById('accept_terms').checked",
    )
    .await;
    assert_eq!(app.press(TAB).await, "skip");
    assert_eq!(app.press(TAB).await, "continue");
    // Every control has an accessible name: a label, aria-label or its own text.
    let unnamed = app
        .client
        .execute(
            "return [...document.querySelectorAll('input, select, textarea, button')]
               .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                            && !e.textContent.trim())
               .map(e => e.id || e.outerHTML.slice(0, 60))",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(unnamed, json!([]), "controls without an accessible name");
    app.press("\u{e007}").await;
    app.on_step("vapi").await;
    app.quit().await;
}

/// Waits (bounded, polling like [`App::until`]) until `sql` — one text column of one row —
/// reads `want` in PostgreSQL.
/// Ticks the days' boxes in step 5's schedule, one at a time as a user does (each tick saves
/// the week drawn after the previous one).
async fn tick_days(app: &App, days: &[&str]) {
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
async fn until_live_prompt_contains(world: &World, text: &str) {
    const PATCH: &str = "PATCH /assistant/{id}";
    let vapi = &world.fakes.vapi;
    let holds = || {
        vapi.assistants().iter().any(|a| {
            a["model"]["messages"][0]["content"]
                .as_str()
                .is_some_and(|p| p.contains(text))
        })
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

async fn until_db(pool: &PgPool, sql: &str, want: Option<&str>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
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

#[sqlx::test(migrator = "ava_server::MIGRATOR")]
async fn sessions_outlive_their_token_sign_in_is_in_place_and_accounts_never_mix(pool: PgPool) {
    let _one = ONE_WINDOW.lock().await;
    let world = World::new(pool.clone()).await;
    let server = world.start_server(([127, 0, 0, 1], 0).into(), JWT).await;
    let addr = server.addr;
    let dir = tempfile::tempdir().unwrap();
    let app = App::launch(&Env::new(&world, &server.url(), "en_US.UTF-8"), dir.path()).await;
    sign_up(&app, "ann@acme.com").await;
    app.pill("synced").await;
    let ann = "SELECT full_name FROM users WHERE email = 'ann@acme.com'";

    // The access token stops working (the server's signing key changes, as expiry would):
    // the next edit still reaches PostgreSQL, renewed silently with the refresh token.
    server.stop().await;
    let server = world
        .start_server(addr, "a-rotated-jwt-secret-that-is-long-enough-42")
        .await;
    app.type_into("#full_name", "Ann Renewed").await;
    until_db(&pool, ann, Some("Ann Renewed")).await;
    app.pill("synced").await;

    // The sign-in is ended on the server too: the pill asks, and signing in from it (the
    // e-mail already there) sends what was queued.
    server.stop().await;
    sqlx::query("UPDATE refresh_tokens SET revoked_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    let _server = world
        .start_server(addr, "and-a-third-jwt-secret-that-is-long-enough-7")
        .await;
    app.type_into("#full_name", "Ann Queued").await;
    app.pill("sign_in_required").await;
    app.shot("sign-in-required-pill").await;
    app.click("#status-pill").await;
    app.find("#account-submit").await;
    assert_eq!(app.value("#email").await, "ann@acme.com");
    app.shot("sign-in-again").await;
    app.type_into("#password", PASSWORD).await;
    app.click("#account-submit").await;
    app.on_step("profile").await;
    until_db(&pool, ann, Some("Ann Queued")).await;
    app.pill("synced").await;

    // Ann signs out with an edit of hers still unsent; Bob signs up on this computer from the
    // pill. Nothing of Ann's reaches Bob, and Ann's row keeps what she had sent.
    app.click("#open-settings").await;
    app.click("#sign-out").await;
    app.find("#sign-in-later").await;
    app.shot("settings-signed-out").await;
    for (locale, signed_out) in [("fr", "déconnecté"), ("he", "מנותק"), ("en", "signed out")]
    {
        app.choose("language-switch", locale).await;
        app.until(
            &format!("{locale}: signed out"),
            &format!(
                "return document.querySelector('#settings').textContent.includes('{signed_out}')"
            ),
        )
        .await;
        app.shot(&format!("{locale}-settings-signed-out")).await;
    }
    app.click("#close-settings").await;
    app.pill("saved_locally").await;
    app.type_into("#full_name", "Ann, never sent to Bob").await;
    // Bounded wait until the core has it on disk (the window sends edits after a pause).
    let draft = dir.path().join("draft.json");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&draft).is_ok_and(|t| t.contains("Ann, never sent to Bob")) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the edit never reached the draft"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.click("#status-pill").await;
    app.click("#tab-sign-up").await;
    sign_up(&app, "bob@acme.com").await;
    app.pill("synced").await;
    assert_eq!(
        app.value("#full_name").await,
        "",
        "Bob does not see Ann's draft"
    );
    let bob = "SELECT full_name FROM users WHERE email = 'bob@acme.com'";
    until_db(&pool, bob, None).await;
    until_db(&pool, ann, Some("Ann Queued")).await;
    app.quit().await;
}
