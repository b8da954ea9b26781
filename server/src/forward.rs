//! Forwarding accepted onboarding events to PostHog's batch capture API, when `POSTHOG_HOST`
//! and `POSTHOG_API_KEY` are set. Events are claimed with `FOR UPDATE SKIP LOCKED`, so two
//! replicas never send the same one; an event is marked `forwarded_at` in the same transaction
//! once PostHog has accepted its batch, so an outage or a restart loses none. The one window
//! left is a replica dying between PostHog's 200 and the commit: that batch is sent again,
//! with the same `uuid`s (PostHog's own de-duplication then applies, best effort).

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::sync::Notify;

use crate::config::PostHogConfig;

/// Events per request to PostHog.
const BATCH: i64 = 100;
/// Checked this often even without a wake-up (another replica may have received events).
const POLL: Duration = Duration::from_secs(60);
const BACKOFF_MAX: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("PostHog did not answer: {0}")]
    Unreachable(String),
    #[error("PostHog refused the batch with {status}: {body}")]
    Refused { status: u16, body: String },
}

/// An event not yet forwarded, with the id PostHog knows its user by.
#[derive(sqlx::FromRow)]
struct Waiting {
    user_id: i32,
    id: String,
    name: String,
    occurred_at: chrono::DateTime<chrono::Utc>,
    properties: Value,
    context: Value,
    person: String,
}

pub struct Forwarder {
    target: Option<Target>,
    wake: Notify,
}

struct Target {
    batch_url: String,
    api_key: SecretString,
    http: reqwest::Client,
    erasure: Option<Erasure>,
}

/// PostHog's private API for deleting persons (`POST …/persons/bulk_delete/` with
/// `distinct_ids` and `delete_events`, PostHog's `PersonBulkDeleteRequest`).
struct Erasure {
    url: String,
    personal_api_key: SecretString,
}

/// Persons deleted per request (PostHog takes up to 1,000).
const ERASURES_PER_REQUEST: i64 = 100;

impl Target {
    async fn send(&self, body: &Value) -> Result<(), ForwardError> {
        let response = self
            .http
            .post(&self.batch_url)
            .json(body)
            .send()
            .await
            .map_err(|e| ForwardError::Unreachable(e.without_url().to_string()))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        Err(ForwardError::Refused {
            status: status.as_u16(),
            body: body.chars().take(300).collect(),
        })
    }
}

impl Forwarder {
    pub fn new(
        config: Option<&PostHogConfig>,
        timeout: Duration,
    ) -> Result<Self, ava_vapi::ProviderError> {
        let target = match config {
            None => None,
            Some(config) => Some(Target {
                batch_url: format!("{}/batch/", config.host),
                api_key: config.api_key.clone(),
                http: ava_vapi::http_client(timeout)?,
                erasure: config.erasure.as_ref().map(|e| Erasure {
                    url: format!(
                        "{}/api/projects/{}/persons/bulk_delete/",
                        e.app_host, e.project_id
                    ),
                    personal_api_key: e.personal_api_key.clone(),
                }),
            }),
        };
        Ok(Self {
            target,
            wake: Notify::new(),
        })
    }

    pub fn enabled(&self) -> bool {
        self.target.is_some()
    }

    /// A deleted account's person is deleted in PostHog too.
    pub fn erases(&self) -> bool {
        self.target.as_ref().is_some_and(|t| t.erasure.is_some())
    }

    /// New events were stored: forward them now rather than at the next poll.
    pub fn wake(&self) {
        if self.enabled() {
            self.wake.notify_one();
        }
    }

    /// Runs until the task is aborted: forwards whatever is waiting, then sleeps until woken
    /// or polled; failures back off from 1 s to 5 min.
    pub async fn run(&self, db: &PgPool) {
        let mut failures: u32 = 0;
        loop {
            let done = match self.forward_all(db).await {
                Ok(_) => self.erase_all(db).await,
                Err(error) => Err(error),
            };
            match done {
                Ok(_) => failures = 0,
                Err(error) => {
                    failures = failures.saturating_add(1);
                    let delay = Duration::from_secs(1u64 << failures.min(9)).min(BACKOFF_MAX);
                    tracing::warn!(%error, ?delay, "forwarding events to PostHog failed; retrying later");
                    tokio::time::sleep(delay).await;
                    continue;
                }
            }
            let _ = tokio::time::timeout(POLL, self.wake.notified()).await;
        }
    }

    /// Forwards batches until none is left; returns how many events went out.
    pub async fn forward_all(&self, db: &PgPool) -> Result<usize, ForwardError> {
        let mut total = 0;
        loop {
            let sent = self.forward_batch(db).await?;
            total += sent;
            if sent < BATCH as usize {
                return Ok(total);
            }
        }
    }

    /// Deletes in PostHog the persons of deleted accounts, until none is waiting; returns how
    /// many. A failed request leaves them for the next pass (the run loop backs off).
    pub async fn erase_all(&self, db: &PgPool) -> Result<usize, ForwardError> {
        let Some((target, erasure)) = self
            .target
            .as_ref()
            .and_then(|t| t.erasure.as_ref().map(|e| (t, e)))
        else {
            return Ok(0);
        };
        let mut total = 0;
        loop {
            let mut tx = db.begin().await?;
            let waiting: Vec<(i64, String)> = sqlx::query_as(
                "SELECT id, distinct_id FROM analytics_erasures
                 WHERE next_attempt_at <= now()
                 ORDER BY id LIMIT $1
                 FOR UPDATE SKIP LOCKED",
            )
            .bind(ERASURES_PER_REQUEST)
            .fetch_all(&mut *tx)
            .await?;
            if waiting.is_empty() {
                tx.commit().await?;
                return Ok(total);
            }
            let ids: Vec<i64> = waiting.iter().map(|(id, _)| *id).collect();
            let distinct_ids: Vec<&str> = waiting.iter().map(|(_, d)| d.as_str()).collect();
            let sent = target
                .http
                .post(&erasure.url)
                .bearer_auth(erasure.personal_api_key.expose_secret())
                .json(&json!({"distinct_ids": distinct_ids, "delete_events": true}))
                .send()
                .await;
            let outcome = match sent {
                Ok(response) if response.status().is_success() => Ok(()),
                Ok(response) => Err(ForwardError::Refused {
                    status: response.status().as_u16(),
                    body: response
                        .text()
                        .await
                        .unwrap_or_default()
                        .chars()
                        .take(300)
                        .collect(),
                }),
                Err(e) => Err(ForwardError::Unreachable(e.without_url().to_string())),
            };
            match outcome {
                Ok(()) => {
                    // Nothing of the person is kept once PostHog has the request.
                    sqlx::query("DELETE FROM analytics_erasures WHERE id = ANY($1)")
                        .bind(&ids)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    total += ids.len();
                }
                Err(error) => {
                    sqlx::query(
                        "UPDATE analytics_erasures SET attempts = attempts + 1, last_error = $2,
                             next_attempt_at = now() + make_interval(secs => least(300, power(2, attempts)))
                         WHERE id = ANY($1)",
                    )
                    .bind(&ids)
                    .bind(error.to_string())
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    return Err(error);
                }
            }
        }
    }

    async fn forward_batch(&self, db: &PgPool) -> Result<usize, ForwardError> {
        let Some(target) = &self.target else {
            return Ok(0);
        };
        let mut tx = db.begin().await?;
        let rows: Vec<Waiting> = sqlx::query_as(
            "SELECT e.user_id, e.id::text AS id, e.name, e.occurred_at, e.properties, e.context,
                        u.analytics_id::text AS person
                 FROM onboarding_events e JOIN users u ON u.id = e.user_id
                 WHERE e.forwarded_at IS NULL AND e.dead_lettered_at IS NULL
                 ORDER BY e.received_at, e.user_id, e.id
                 LIMIT $1
                 FOR UPDATE OF e SKIP LOCKED",
        )
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            tx.commit().await?;
            return Ok(0);
        }
        // A batch PostHog refuses for good (a 4xx that is not about the key or the rate) is
        // split until the events it refuses are found; those are set aside with PostHog's
        // words, and every other event still goes.
        let mut pending: Vec<&[Waiting]> = vec![&rows];
        let mut sent: Vec<&Waiting> = Vec::new();
        let mut refused: Vec<(&Waiting, String)> = Vec::new();
        let mut stopped = None;
        while let Some(chunk) = pending.pop() {
            let body = json!({"api_key": target.api_key.expose_secret(), "batch": chunk.iter().map(Waiting::capture).collect::<Vec<_>>()});
            match target.send(&body).await {
                Ok(()) => sent.extend(chunk),
                Err(ForwardError::Refused { status, body }) if refused_for_good(status) => {
                    if let [event] = chunk {
                        refused.push((event, format!("PostHog answered {status}: {body}")));
                    } else {
                        let (older, newer) = chunk.split_at(chunk.len() / 2);
                        pending.push(newer);
                        pending.push(older);
                    }
                }
                Err(error) => {
                    stopped = Some(error);
                    break;
                }
            }
        }
        mark(&mut tx, &sent, &refused).await?;
        // At once, also on failure: a transaction merely dropped would keep these rows locked
        // (and skipped by every replica) until its pooled connection happens to be used again.
        tx.commit().await?;
        for (event, reason) in &refused {
            tracing::warn!(event = %event.id, %reason, "PostHog refused an event; set aside");
        }
        match stopped {
            Some(error) => Err(error),
            None => Ok(rows.len()),
        }
    }
}

/// A refusal that sending again cannot fix. A wrong key (401, 403), a rate limit (429) and a
/// timeout (408) are PostHog's or the operator's to fix, and the events wait for it.
fn refused_for_good(status: u16) -> bool {
    (400..500).contains(&status) && !matches!(status, 401 | 403 | 408 | 429)
}

async fn mark(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    sent: &[&Waiting],
    refused: &[(&Waiting, String)],
) -> Result<(), sqlx::Error> {
    let users: Vec<i32> = sent.iter().map(|r| r.user_id).collect();
    let ids: Vec<String> = sent.iter().map(|r| r.id.clone()).collect();
    sqlx::query(
        "UPDATE onboarding_events e SET forwarded_at = now()
         FROM unnest($1::int[], $2::uuid[]) AS sent(user_id, id)
         WHERE e.user_id = sent.user_id AND e.id = sent.id",
    )
    .bind(&users)
    .bind(&ids)
    .execute(&mut **tx)
    .await?;
    let users: Vec<i32> = refused.iter().map(|(r, _)| r.user_id).collect();
    let ids: Vec<String> = refused.iter().map(|(r, _)| r.id.clone()).collect();
    let reasons: Vec<&str> = refused.iter().map(|(_, why)| why.as_str()).collect();
    sqlx::query(
        "UPDATE onboarding_events e SET dead_lettered_at = now(), dead_letter_reason = r.why
         FROM unnest($1::int[], $2::uuid[], $3::text[]) AS r(user_id, id, why)
         WHERE e.user_id = r.user_id AND e.id = r.id",
    )
    .bind(&users)
    .bind(&ids)
    .bind(&reasons)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Waiting {
    fn capture(&self) -> Value {
        capture(
            &self.id,
            &self.name,
            &self.occurred_at,
            &self.properties,
            &self.context,
            &self.person,
        )
    }
}

/// One event in PostHog's batch shape: the user's random analytics id as `distinct_id`, the
/// event's own id as `uuid`, its properties and context as properties; no address, no GeoIP.
fn capture(
    id: &str,
    name: &str,
    at: &chrono::DateTime<chrono::Utc>,
    properties: &Value,
    context: &Value,
    person: &str,
) -> Value {
    let mut merged = properties.as_object().cloned().unwrap_or_default();
    if let Some(context) = context.as_object() {
        for (key, value) in context {
            merged.insert(key.clone(), value.clone());
        }
    }
    merged.insert("$ip".to_owned(), Value::Null);
    merged.insert("$geoip_disable".to_owned(), Value::Bool(true));
    json!({
        "event": name,
        "distinct_id": person,
        "uuid": id,
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "properties": merged,
    })
}
