//! Load benchmark: registers K users on a running `ava-server`, then drives
//! `PATCH /api/v1/user/profile` from C concurrent connections for D seconds and prints
//! requests/s, p50/p99 latency and errors. `tests/bench.sh` starts Postgres and the server,
//! runs this, then runs pgbench's equivalent single-row UPDATE at the same C for comparison.
//!
//! Arguments (after `--`): `--url http://127.0.0.1:8000 --users 64 --concurrency 32 --seconds 10`;
//! `--reuse-users K` signs in the users of an earlier run; `--tokens-out FILE` only signs in
//! and writes the tokens for `tests/bench-api.lua` (wrk), the lighter load generator.

use std::time::{Duration, Instant};

use serde_json::json;

struct Args {
    url: String,
    users: usize,
    /// Sign the users of an earlier round in again instead of registering new ones.
    reuse: bool,
    /// Only sign the users in and write their tokens here, one a line (for wrk).
    tokens_out: Option<String>,
    concurrency: usize,
    seconds: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        url: "http://127.0.0.1:8000".to_owned(),
        users: 64,
        reuse: false,
        tokens_out: None,
        concurrency: 32,
        seconds: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value()?,
            "--users" => args.users = value()?.parse().map_err(|_| "--users: a number")?,
            "--reuse-users" => {
                args.users = value()?.parse().map_err(|_| "--reuse-users: a number")?;
                args.reuse = true;
            }
            "--concurrency" => {
                args.concurrency = value()?.parse().map_err(|_| "--concurrency: a number")?
            }
            "--seconds" => args.seconds = value()?.parse().map_err(|_| "--seconds: a number")?,
            "--tokens-out" => args.tokens_out = Some(value()?),
            // `cargo bench` passes this to every bench binary.
            "--bench" => {}
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

async fn sign_in(
    http: &reqwest::Client,
    url: &str,
    i: usize,
    reuse: bool,
) -> Result<String, String> {
    let body = json!({"email": format!("bench-{i}@example.com"), "password": "bench password"});
    let (path, expected) = if reuse {
        ("login", 200)
    } else {
        ("register", 201)
    };
    let reply = http
        .post(format!("{url}/api/v1/auth/{path}"))
        .json(&body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if reply.status() != expected {
        return Err(format!("{path} answered {}", reply.status()));
    }
    let session: serde_json::Value = reply.json().await.map_err(|e| e.to_string())?;
    session["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or("no token".to_owned())
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank]) / 1000.0
}

// One client thread: the server and Postgres share the other core(s), as pgbench's client does.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let args = parse_args()?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let mut tokens = Vec::with_capacity(args.users);
    for i in 0..args.users {
        tokens.push(sign_in(&http, &args.url, i, args.reuse).await?);
    }
    if let Some(path) = &args.tokens_out {
        return std::fs::write(path, tokens.join("\n") + "\n").map_err(|e| e.to_string());
    }

    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut workers = Vec::new();
    for worker in 0..args.concurrency {
        let http = http.clone();
        let token = tokens[worker % tokens.len()].clone();
        let url = format!("{}/api/v1/user/profile", args.url);
        workers.push(tokio::spawn(async move {
            let mut latencies_us: Vec<u32> = Vec::new();
            let mut errors = 0usize;
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let body = json!({"full_name": format!("Bench {worker} {n}"), "marketing_opt_in": n.is_multiple_of(2)});
                let started = Instant::now();
                let ok = match http.patch(&url).bearer_auth(&token).json(&body).send().await {
                    Ok(reply) => reply.status() == 200 && reply.bytes().await.is_ok(),
                    Err(_) => false,
                };
                latencies_us.push(started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                if !ok {
                    errors += 1;
                }
            }
            (latencies_us, errors)
        }));
    }
    let started = Instant::now();
    let mut all = Vec::new();
    let mut errors = 0;
    for worker in workers {
        let (latencies, e) = worker.await.map_err(|e| e.to_string())?;
        all.extend(latencies);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64().max(args.seconds as f64);
    all.sort_unstable();
    println!(
        "ava-server PATCH /api/v1/user/profile: users={} concurrency={} seconds={} requests={} rps={:.0} p50_ms={:.2} p99_ms={:.2} errors={}",
        args.users,
        args.concurrency,
        args.seconds,
        all.len(),
        all.len() as f64 / elapsed,
        percentile(&all, 50.0),
        percentile(&all, 99.0),
        errors
    );
    Ok(())
}
