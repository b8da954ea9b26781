//! Core benchmarks (`tests/bench-core.sh` runs them with a throwaway PostgreSQL):
//! 1. edit → durable on disk: p50/p99 per edit, the write itself, bytes written per edit,
//!    under continuous typing (an edit every 2 ms) and under bursts with pauses;
//! 2. 1,000 edits made offline → requests the server receives on reconnect.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ava_core::autosave::{Autosaver, SaveReport};
use ava_core::draft::DraftFile;
use ava_core::secrets::MemoryStore;
use ava_core::{CoreConfig, Edit, Onboarding, RetryPolicy, SyncState};
use ava_model::ProfilePatch;
use serde_json::json;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((p / 100.0) * (sorted.len() - 1) as f64).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Types `edits` edits with `gap` between them, in bursts of `burst` separated by `pause`.
fn typing(label: &str, edits: u64, gap: Duration, burst: u64, pause: Duration) {
    let dir = tempfile::tempdir().expect("temp dir");
    let reports: Arc<Mutex<Vec<(SaveReport, Instant)>>> = Arc::default();
    let sink = reports.clone();
    let saver = Autosaver::start(
        DraftFile::new(dir.path()),
        Some(Arc::new(move |r| {
            if let Ok(r) = r {
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((r, Instant::now()));
            }
        })),
    );
    let mut draft = ava_core::Draft::default();
    let mut made = Vec::with_capacity(edits as usize);
    for n in 1..=edits {
        let patch =
            ProfilePatch::from_json(&json!({"full_name": format!("Ann {n}")})).expect("valid");
        draft.apply(Edit::Profile(patch));
        saver.changed(&draft);
        made.push(Instant::now());
        std::thread::sleep(if n % burst == 0 { pause } else { gap });
    }
    saver.flush().expect("flush");
    drop(saver);
    let reports = reports.lock().unwrap_or_else(|p| p.into_inner());
    let mut latencies = Vec::with_capacity(made.len());
    let mut queue: VecDeque<(u64, Instant)> = made
        .iter()
        .enumerate()
        .map(|(i, t)| (i as u64 + 1, *t))
        .collect();
    for (report, durable_at) in reports.iter() {
        while queue.front().is_some_and(|(n, _)| *n <= report.edits) {
            let (_, at) = queue.pop_front().expect("front");
            latencies.push(durable_at.duration_since(at));
        }
    }
    latencies.sort();
    let mut writes: Vec<Duration> = reports.iter().map(|(r, _)| r.write_time).collect();
    writes.sort();
    let bytes: usize = reports.iter().map(|(r, _)| r.bytes).sum();
    println!(
        "draft {label}: edits={edits} saves={} edit_to_durable_p50_ms={:.1} p99_ms={:.1} max_ms={:.1} write_p50_ms={:.2} write_p99_ms={:.2} bytes_per_edit={:.0} bytes_per_save={:.0}",
        reports.len(),
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 99.0)),
        ms(latencies.last().copied().unwrap_or_default()),
        ms(percentile(&writes, 50.0)),
        ms(percentile(&writes, 99.0)),
        bytes as f64 / edits as f64,
        bytes as f64 / reports.len().max(1) as f64,
    );
}

async fn offline_edits_then_reconnect(database_url: &str) {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .connect(database_url)
        .await
        .expect("postgres");
    ava_server::MIGRATOR.run(&pool).await.expect("migrations");
    let config = ava_server::config::test_config(None);
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let state = ava_server::AppState::new(&config, pool).expect("state");
    let app = ava_server::app(state).layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                next.run(req).await
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        axum::serve(listener, app.clone())
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .into_future(),
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let core = Onboarding::open(
        CoreConfig {
            retry: RetryPolicy {
                base: Duration::from_millis(50),
                max: Duration::from_millis(200),
                attempts: 3,
            },
            ..CoreConfig::new(dir.path(), &format!("http://{addr}"))
        },
        Arc::new(MemoryStore::default()),
        None,
    )
    .expect("core")
    .onboarding;
    let email = format!("bench-{}@example.com", rand_suffix());
    core.sign_up(&email, "bench password")
        .await
        .expect("sign up");
    let mut status = core.status();
    let _ = status.wait_for(|s| s.state == SyncState::Synced).await;

    let _ = stop.send(());
    let _ = server.await;
    for n in 0..1000 {
        let edit = match n % 4 {
            0 => json!({"full_name": format!("Owner {n}")}),
            1 => json!({"organization_name": format!("Org {n}")}),
            2 => json!({"timezone": if n % 8 == 2 { "Europe/Paris" } else { "Asia/Jerusalem" }}),
            _ => json!({"marketing_opt_in": n % 8 == 3}),
        };
        core.update_profile(&edit).expect("edit");
        core.update_studio(
            &json!({"job_to_be_done": format!("answer call {n}"), "seats": 1 + n % 50}),
        )
        .expect("edit");
    }
    let _ = status.wait_for(|s| s.state == SyncState::Offline).await;
    let pending = status.borrow().pending;

    requests.store(0, Ordering::SeqCst);
    let listener = tokio::net::TcpListener::bind(addr).await.expect("rebind");
    tokio::spawn(axum::serve(listener, app).into_future());
    let _ = tokio::time::timeout(
        Duration::from_secs(30),
        status.wait_for(|s| s.state == SyncState::Synced && s.pending == 0),
    )
    .await;
    println!(
        "offline: edits=2000 (1000 profile + 1000 studio) pending_fields={pending} requests_on_reconnect={} (target <= 3)",
        requests.load(Ordering::SeqCst)
    );
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

use std::future::IntoFuture;

fn main() {
    typing(
        "continuous typing (an edit every 2 ms)",
        2000,
        Duration::from_millis(2),
        u64::MAX,
        Duration::ZERO,
    );
    typing(
        "bursts (20 keys at 60 ms, then 1 s pause)",
        200,
        Duration::from_millis(60),
        20,
        Duration::from_secs(1),
    );
    match std::env::var("DATABASE_URL") {
        Ok(url) => tokio::runtime::Runtime::new()
            .expect("runtime")
            .block_on(offline_edits_then_reconnect(&url)),
        Err(_) => println!("offline: skipped (set DATABASE_URL, or use tests/bench-core.sh)"),
    }
}
