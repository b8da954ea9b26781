//! Mail, through a PostgreSQL outbox: a mail is a row written in the transaction that caused it
//! ([`queue`]), so a rollback sends nothing and a commit loses nothing; every replica runs a
//! [`Postman`] that claims due rows (`FOR UPDATE SKIP LOCKED`, then a lease), sends them over
//! SMTP and marks them sent. A failure is tried again later, waiting twice as long each time;
//! a permanent refusal (an SMTP 5xx) is not. Once the SMTP server accepted a mail, its row is
//! marked sent (and its code and recipient wiped) before anything else, so it is not sent twice
//! unless the database is unreachable at that very moment, and even then the lease keeps the
//! other replicas away while this one tries again to mark it.
//!
//! Nothing here logs a recipient, a code or a body: the lines say which row and why.

pub mod letters;

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use sqlx::{PgConnection, PgPool};
use tokio::sync::Notify;

use crate::config::{ConfigError, MailConfig, MailTransport};
pub use letters::{Language, Letter};

/// Tries of one mail before it is given up: with the doubling waits (capped at an hour), about
/// half a day of an SMTP outage.
const MAX_ATTEMPTS: i32 = 16;
const MAX_WAIT: Duration = Duration::from_secs(3600);
/// Mails one pass claims; the rest wait for the next pass (or another replica).
const BATCH: u32 = 4;
/// How long sent rows (without recipient or payload) are kept, for the per-address limits.
const KEPT_AFTER_SENDING: &str = "2 days";

/// Queues `letter` to `recipient` inside the caller's transaction; the postman sends it once
/// that transaction commits (call [`Postman::wake`] after the commit to send it at once).
pub async fn queue(
    conn: &mut PgConnection,
    user_id: Option<i32>,
    recipient: &str,
    language: Language,
    letter: &Letter,
) -> Result<(), sqlx::Error> {
    queue_after(conn, user_id, recipient, language, letter, Duration::ZERO).await
}

/// [`queue`], sent no sooner than `delay` from now. A mail is written in the account's language
/// *when it is sent*, so the mail of a sign-up, queued before the owner chose a language, waits
/// for the first minute of the wizard and then speaks theirs.
pub async fn queue_after(
    conn: &mut PgConnection,
    user_id: Option<i32>,
    recipient: &str,
    language: Language,
    letter: &Letter,
    delay: Duration,
) -> Result<(), sqlx::Error> {
    let payload = serde_json::to_value(letter).expect("a letter is plain data");
    sqlx::query(
        "INSERT INTO mail_outbox (user_id, kind, locale, recipient, payload, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))",
    )
    .bind(user_id)
    .bind(letter.kind())
    .bind(language.code())
    .bind(recipient)
    .bind(payload)
    .bind(delay.as_secs_f64())
    .execute(conn)
    .await?;
    Ok(())
}

/// Mails of `kind` queued for `user_id` within the last minute and the last day: what the
/// per-address limits count.
pub async fn recent(
    conn: &mut PgConnection,
    user_id: i32,
    kind: &str,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE created_at > now() - interval '1 minute'),
                count(*)
         FROM mail_outbox
         WHERE user_id = $1 AND kind = $2 AND created_at > now() - interval '1 day'",
    )
    .bind(user_id)
    .bind(kind)
    .fetch_one(conn)
    .await
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(PathBuf),
}

pub struct Postman {
    transport: Transport,
    from: Mailbox,
    retry_base: Duration,
    lease: Duration,
    /// One whole SMTP exchange, greeting to the end of DATA: lettre's own timeout only bounds
    /// the TCP connect on tokio, and a relay that accepts and then says nothing would hold the
    /// pass (and outlive its lease) for ever.
    timeout: Duration,
    wake: Notify,
}

/// A mail claimed for sending.
#[derive(sqlx::FromRow)]
struct Claimed {
    id: i64,
    recipient: String,
    locale: String,
    payload: serde_json::Value,
    attempts: i32,
}

enum Failure {
    /// Worth trying again (a timeout, a refused connection, an SMTP 4xx).
    Transient(String),
    /// The SMTP server or the message itself said no for good.
    Permanent(String),
}

impl Postman {
    pub fn new(config: &MailConfig) -> Result<Self, ConfigError> {
        let from: Mailbox = config.from.parse().map_err(|e| ConfigError::Invalid {
            name: "MAIL_FROM",
            reason: format!("not an address such as `Ava <no-reply@example.com>`: {e}"),
        })?;
        let transport = match &config.transport {
            MailTransport::Smtp(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(|e| ConfigError::Invalid {
                        name: "SMTP_URL",
                        reason: format!("not an smtp:// or smtps:// URL ({e})"),
                    })?
                    .timeout(Some(config.timeout))
                    .build(),
            ),
            MailTransport::Folder(dir) => Transport::Folder(dir.clone()),
        };
        Ok(Self {
            transport,
            from,
            retry_base: config.retry_base.max(Duration::from_millis(100)),
            // Long enough for one whole batch of SMTP exchanges, each within its timeout.
            lease: config.timeout * (BATCH + 1) + Duration::from_secs(5),
            timeout: config.timeout,
            wake: Notify::new(),
        })
    }

    /// Where local mode writes its mails, if it does.
    pub fn folder(&self) -> Option<&PathBuf> {
        match &self.transport {
            Transport::Folder(dir) => Some(dir),
            Transport::Smtp(_) => None,
        }
    }

    /// A mail was queued and committed: send it now rather than at the next pass.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Sends what is due, for ever: after each pass, waits to be woken, or a second (another
    /// replica's mails, retries coming due), or five after a database error.
    pub async fn run(&self, db: &PgPool) {
        loop {
            let pause = match self.send_due(db).await {
                Ok(0) => Duration::from_secs(1),
                Ok(_) => continue,
                Err(error) => {
                    tracing::warn!(%error, "sending mail: the outbox could not be read");
                    Duration::from_secs(5)
                }
            };
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// One pass: claims up to a batch of due mails and tries each once. Returns how many were
    /// claimed.
    pub async fn send_due(&self, db: &PgPool) -> Result<usize, sqlx::Error> {
        let claimed: Vec<Claimed> = sqlx::query_as(
            "UPDATE mail_outbox SET claimed_until = now() + make_interval(secs => $1),
                                    attempts = attempts + 1
             WHERE id IN (SELECT id FROM mail_outbox
                          WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
                            AND (claimed_until IS NULL OR claimed_until < now())
                          ORDER BY id LIMIT $2
                          FOR UPDATE SKIP LOCKED)
             RETURNING id, recipient, payload, attempts,
                       coalesce((SELECT u.locale FROM users u
                                 WHERE u.id = mail_outbox.user_id AND u.locale IN ('en', 'fr', 'he')),
                                locale) AS locale",
        )
        .bind(self.lease.as_secs_f64())
        .bind(i64::from(BATCH))
        .fetch_all(db)
        .await?;
        for mail in &claimed {
            match self.deliver(mail).await {
                Ok(()) => self.mark_sent(db, mail.id).await,
                Err(failure) => self.mark_failed(db, mail, failure).await?,
            }
        }
        Ok(claimed.len())
    }

    async fn deliver(&self, mail: &Claimed) -> Result<(), Failure> {
        let letter: Letter = serde_json::from_value(mail.payload.clone())
            .map_err(|e| Failure::Permanent(format!("an unreadable letter: {e}")))?;
        let to: Mailbox = mail
            .recipient
            .parse()
            .map_err(|_| Failure::Permanent("the recipient is not an address".into()))?;
        let written = letters::write(&letter, Language::of(Some(&mail.locale)));
        let host = self.from.email.domain().to_owned();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(written.subject)
            // One id per outbox row: were a mail ever sent twice, readers would show it once.
            .message_id(Some(format!("<ava-mail-{}@{host}>", mail.id)))
            .multipart(MultiPart::alternative_plain_html(
                written.text,
                written.html,
            ))
            .map_err(|e| Failure::Permanent(format!("the message could not be built: {e}")))?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                match tokio::time::timeout(self.timeout, smtp.send(message)).await {
                    Err(_) => Err(Failure::Transient(
                        "the SMTP server did not finish in time".to_owned(),
                    )),
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) if e.is_permanent() => Err(Failure::Permanent(smtp_reason(&e))),
                    Ok(Err(e)) => Err(Failure::Transient(smtp_reason(&e))),
                }
            }
            Transport::Folder(dir) => write_to_folder(dir, mail.id, &message.formatted())
                .await
                .map_err(|e| Failure::Transient(format!("writing the mail file: {e}"))),
        }
    }

    /// Sent: the row loses its recipient and payload at once. The database being away right
    /// now must not send the mail again, so this tries for as long as the lease holds.
    async fn mark_sent(&self, db: &PgPool, id: i64) {
        let deadline = tokio::time::Instant::now() + self.lease / 2;
        loop {
            let marked = sqlx::query(
                "UPDATE mail_outbox SET sent_at = now(), claimed_until = NULL, recipient = '',
                                        payload = '{}'::jsonb, last_error = NULL
                 WHERE id = $1",
            )
            .bind(id)
            .execute(db)
            .await;
            match marked {
                Ok(_) => return,
                Err(error) if tokio::time::Instant::now() < deadline => {
                    tracing::warn!(mail = id, %error, "a sent mail could not be marked yet; trying again");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(error) => {
                    tracing::error!(mail = id, %error, "a sent mail could not be marked sent; it may be sent again");
                    return;
                }
            }
        }
    }

    async fn mark_failed(
        &self,
        db: &PgPool,
        mail: &Claimed,
        failure: Failure,
    ) -> Result<(), sqlx::Error> {
        let (reason, give_up) = match failure {
            Failure::Permanent(reason) => (reason, true),
            Failure::Transient(reason) => (reason, mail.attempts >= MAX_ATTEMPTS),
        };
        let wait = self
            .retry_base
            .saturating_mul(1u32 << (mail.attempts - 1).clamp(0, 20))
            .min(MAX_WAIT);
        if give_up {
            tracing::error!(mail = mail.id, attempts = mail.attempts, %reason, "a mail was given up");
        } else {
            tracing::warn!(mail = mail.id, attempts = mail.attempts, %reason, retry_in = ?wait, "a mail could not be sent yet");
        }
        sqlx::query(
            "UPDATE mail_outbox SET claimed_until = NULL, last_error = $2,
                 next_attempt_at = now() + make_interval(secs => $3),
                 failed_at = CASE WHEN $4 THEN now() END,
                 recipient = CASE WHEN $4 THEN '' ELSE recipient END,
                 payload = CASE WHEN $4 THEN '{}'::jsonb ELSE payload END
             WHERE id = $1",
        )
        .bind(mail.id)
        .bind(&reason)
        .bind(wait.as_secs_f64())
        .bind(give_up)
        .execute(db)
        .await?;
        Ok(())
    }

    /// Sent rows past their keeping time.
    pub async fn purge(db: &PgPool) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query(&format!(
            "DELETE FROM mail_outbox
             WHERE coalesce(sent_at, failed_at) < now() - interval '{KEPT_AFTER_SENDING}'"
        ))
        .execute(db)
        .await?
        .rows_affected())
    }
}

/// The SMTP server's own words (its code and first line), never the message.
fn smtp_reason(error: &lettre::transport::smtp::Error) -> String {
    match error.status() {
        Some(code) => format!("the SMTP server answered {code}"),
        None if error.is_timeout() => "the SMTP server did not answer in time".to_owned(),
        None => {
            // The transport's error names the connection's failure (refused, TLS); it holds no
            // part of the message.
            let text = error.to_string();
            format!("SMTP: {}", text.chars().take(200).collect::<String>())
        }
    }
}

/// Writes `<id>.eml` whole or not at all (a temporary name, then a rename), owner-only.
async fn write_to_folder(dir: &std::path::Path, id: i64, bytes: &[u8]) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let partial = dir.join(format!(".{id}.eml.partial"));
    let done = dir.join(format!("{id}.eml"));
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(&partial).await?;
    tokio::io::AsyncWriteExt::write_all(&mut file, bytes).await?;
    file.sync_all().await?;
    tokio::fs::rename(&partial, &done).await
}
