//! Refresh tokens: 256 random bits, single use, rotated on every refresh and stored only as
//! a SHA-256 digest. One sign-in is one *family* (`refresh_families`): it has an absolute end
//! that no refresh moves, and it is the row that refresh and logout both lock, so a logout
//! racing a refresh always leaves nothing of the family that works.
//!
//! A spent token that comes back means two parties hold it (a stolen copy, most likely), and
//! the whole family is revoked, with one exception: an answer can be lost (a dropped
//! connection, an app killed before it kept the new token), and the app then retries with the
//! token it still has. So a spent token whose successor was never used, sent again within
//! `REFRESH_RETRY_SECONDS` of its rotation, is a retry, and it gets **the same successor**
//! again, at most [`RETRIES_PER_TOKEN`] times. Handing out a different successor would fork the
//! chain: a copy of the spent token would retire the owner's successor and keep the sign-in
//! the owner lost. With one successor, whoever holds a working token of a family holds the
//! same one as everybody else, and whoever falls behind by more than the window ends the
//! family for both (`refresh_token_reused`).
//!
//! To give the same successor again without ever storing a usable token, the successor is
//! kept sealed (AES-256-GCM) under a key derived from the spent token itself: only someone who
//! presents that token can open it, and a copy of the database opens nothing. Kept in
//! PostgreSQL, so any replica can answer.

use std::time::Duration;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{PgPool, Postgres, Transaction};

use crate::ended::{CHANNEL, EndedSignIns};
use crate::error::{ApiError, ApiResult};

/// Tokens kept per family: the newest spent ones still reveal a replay; older ones only take
/// room (a replay of one of them is an unknown token, refused all the same).
const TOKENS_KEPT_PER_FAMILY: i64 = 16;

/// How often one spent token may be answered with its successor again: the lost answer and the
/// eight racing refreshes of api.md fit, an endless stream of replays does not.
pub const RETRIES_PER_TOKEN: i32 = 8;

const NONCE_LEN: usize = 12;

pub struct Sessions {
    ttl: Duration,
    family_lifetime: Duration,
    retry_window: Duration,
    ended: EndedSignIns,
    /// Live sign-ins one account may hold; a new one ends the oldest past it.
    max_per_user: u32,
}

/// A new refresh token, its lifetime in seconds, and the sign-in (family, hex) it belongs to,
/// which the access tokens issued with it name.
pub struct Issued {
    pub token: String,
    pub expires_in: i64,
    pub sign_in: String,
}

/// Who a refresh token belonged to, with its successor.
pub struct Rotated {
    pub user_id: i32,
    pub email: String,
    pub next: Issued,
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The key that seals a token's successor: derived from the token itself, with a label that
/// keeps it apart from the digest the database stores.
fn successor_cipher(token: &str) -> Aes256Gcm {
    let key = Sha256::new()
        .chain_update(b"ava refresh successor v1\0")
        .chain_update(token.as_bytes())
        .finalize();
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key))
}

/// `successor`, sealed so that only `token` opens it; bound to the token's digest.
fn seal_successor(token: &str, successor: &str) -> Result<Vec<u8>, ApiError> {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let sealed = successor_cipher(token)
        .encrypt(
            &nonce,
            Payload {
                msg: successor.as_bytes(),
                aad: &digest(token),
            },
        )
        .map_err(|_| ApiError::Internal("sealing a refresh token's successor".into()))?;
    Ok([nonce.as_slice(), &sealed].concat())
}

fn open_successor(token: &str, sealed: &[u8]) -> Option<String> {
    if sealed.len() <= NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let plain = successor_cipher(token)
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: &digest(token),
            },
        )
        .ok()?;
    String::from_utf8(plain).ok()
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn invalid() -> ApiError {
    ApiError::unauthorized(
        ava_model::ErrorCode::InvalidRefreshToken,
        "This session has ended; sign in again",
    )
}

fn reused() -> ApiError {
    ApiError::unauthorized(
        ava_model::ErrorCode::RefreshTokenReused,
        "This session was used from two places and has been ended; sign in again",
    )
}

/// A token as stored, read under its family's lock.
#[derive(sqlx::FromRow)]
struct Stored {
    family_id: Vec<u8>,
    spent_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    /// Not past its expiry, by the database's clock (the one every replica shares).
    live: bool,
    successor_sealed: Option<Vec<u8>>,
    retries: i32,
}

/// The family, locked, with its user.
#[derive(sqlx::FromRow)]
struct Family {
    user_id: i32,
    email: String,
    active: bool,
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    live: bool,
}

/// What a presented token is, once its family is locked.
enum Verdict {
    Spend,
    /// The same successor again, with its expiry.
    Retry {
        successor: String,
        expires_at: DateTime<Utc>,
    },
    Replay,
    Invalid,
}

impl Sessions {
    pub fn new(
        ttl: Duration,
        family_lifetime: Duration,
        retry_window: Duration,
        ended: EndedSignIns,
        max_per_user: u32,
    ) -> Self {
        Self {
            ttl,
            family_lifetime,
            retry_window,
            ended,
            max_per_user: max_per_user.max(1),
        }
    }

    /// After the transaction that revoked `family` committed: this replica refuses its access
    /// tokens at once (the others hear of it through the notification the transaction sent).
    fn ended(&self, family: &[u8]) {
        self.ended.add(hex(family));
    }

    /// The first refresh token of a new sign-in (a new family).
    ///
    /// An account holds at most `MAX_SIGN_INS_PER_USER` live sign-ins: past it, the oldest end
    /// (their tokens refused at once), so signing in again and again never grows the table.
    pub async fn start(
        &self,
        db: &PgPool,
        user_id: i32,
        device: Option<&ava_model::DeviceName>,
    ) -> ApiResult<Issued> {
        let token = random_token();
        let mut family = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut family);
        let mut tx = db.begin().await?;
        let expires_at: DateTime<Utc> = sqlx::query_scalar(
            "WITH family AS (
                 INSERT INTO refresh_families (family_id, user_id, expires_at, device, last_used_at)
                 SELECT $2, id, now() + make_interval(secs => $5), $6, now() FROM users WHERE id = $1
                 RETURNING family_id, user_id, expires_at)
             INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)
             SELECT user_id, family_id, $3, least(now() + make_interval(secs => $4), expires_at)
             FROM family
             RETURNING expires_at",
        )
        .bind(user_id)
        .bind(family.as_slice())
        .bind(digest(&token))
        .bind(self.ttl.as_secs_f64())
        .bind(self.family_lifetime.as_secs_f64())
        .bind(device.map(ava_model::DeviceName::as_str))
        .fetch_one(&mut *tx)
        .await?;
        // Locked in one order (newest first) by every sign-in of the account, so two at once
        // queue rather than deadlock.
        let oldest: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT family_id FROM refresh_families
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
             ORDER BY created_at DESC, family_id
             OFFSET $2
             FOR UPDATE",
        )
        .bind(user_id)
        .bind(i64::from(self.max_per_user))
        .fetch_all(&mut *tx)
        .await?;
        for family in &oldest {
            revoke_family(&mut tx, family).await?;
        }
        tx.commit().await?;
        for family in &oldest {
            self.ended(family);
        }
        Ok(Issued {
            token,
            expires_in: seconds_until(expires_at),
            sign_in: hex(&family),
        })
    }

    /// Spends `token` and issues its successor, for an active user only; a retry of a refresh
    /// whose answer was lost gets the same successor (see the module's note).
    pub async fn rotate(&self, db: &PgPool, token: &str) -> ApiResult<Rotated> {
        let hash = digest(token);
        let mut tx = db.begin().await?;
        let Some((stored, family)) = lock_family_of(&mut tx, &hash).await? else {
            return Err(invalid());
        };
        let family_usable = family.active && family.revoked_at.is_none() && family.live;
        let verdict = match (&stored.spent_at, &stored.revoked_at) {
            _ if !family_usable => Verdict::Invalid,
            (None, None) if stored.live => Verdict::Spend,
            (None, _) => Verdict::Invalid,
            (Some(spent_at), _) => {
                self.retry_or_replay(&mut tx, token, &stored, *spent_at)
                    .await?
            }
        };
        let (next, expires_at) = match verdict {
            Verdict::Invalid => {
                tx.rollback().await?;
                return Err(invalid());
            }
            Verdict::Replay => {
                revoke_family(&mut tx, &stored.family_id).await?;
                // The owner hears of it by mail too, whichever copy they hold.
                tell_ended_for_safety(&mut tx, family.user_id, &family.email).await?;
                tx.commit().await?;
                self.ended(&stored.family_id);
                return Err(reused());
            }
            Verdict::Retry {
                successor,
                expires_at,
            } => {
                sqlx::query(
                    "UPDATE refresh_tokens SET retries = retries + 1 WHERE token_hash = $1",
                )
                .bind(&hash)
                .execute(&mut *tx)
                .await?;
                (successor, expires_at)
            }
            Verdict::Spend => {
                sqlx::query(
                    "UPDATE refresh_families SET last_used_at = now() WHERE family_id = $1",
                )
                .bind(&stored.family_id)
                .execute(&mut *tx)
                .await?;
                let next = random_token();
                sqlx::query(
                    "UPDATE refresh_tokens SET spent_at = now(), successor_sealed = $2
                     WHERE token_hash = $1",
                )
                .bind(&hash)
                .bind(seal_successor(token, &next)?)
                .execute(&mut *tx)
                .await?;
                let expires_at: DateTime<Utc> = sqlx::query_scalar(
                    "INSERT INTO refresh_tokens (user_id, family_id, token_hash, parent_hash, expires_at)
                     VALUES ($1, $2, $3, $4, least(now() + make_interval(secs => $5), $6))
                     RETURNING expires_at",
                )
                .bind(family.user_id)
                .bind(&stored.family_id)
                .bind(digest(&next))
                .bind(&hash)
                .bind(self.ttl.as_secs_f64())
                .bind(family.expires_at)
                .fetch_one(&mut *tx)
                .await?;
                // The family keeps only its newest tokens: a long-lived sign-in is not a
                // growing pile of rows.
                sqlx::query(
                    "DELETE FROM refresh_tokens WHERE family_id = $1 AND id NOT IN (
                         SELECT id FROM refresh_tokens WHERE family_id = $1
                         ORDER BY id DESC LIMIT $2)",
                )
                .bind(&stored.family_id)
                .bind(TOKENS_KEPT_PER_FAMILY)
                .execute(&mut *tx)
                .await?;
                (next, expires_at)
            }
        };
        tx.commit().await?;
        Ok(Rotated {
            user_id: family.user_id,
            email: family.email,
            next: Issued {
                token: next,
                expires_in: seconds_until(expires_at),
                sign_in: hex(&stored.family_id),
            },
        })
    }

    /// A spent token is a retry when it was spent within the retry window, its successor has
    /// been neither used nor revoked, and it has not been retried too often; the successor is
    /// then opened with the token. Anything else is a replay. A token spent by a replica older
    /// than the sealed successor has none to give: the owner signs in again (no fork either).
    async fn retry_or_replay(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        token: &str,
        stored: &Stored,
        spent_at: DateTime<Utc>,
    ) -> Result<Verdict, sqlx::Error> {
        if stored.revoked_at.is_some() || stored.retries >= RETRIES_PER_TOKEN {
            return Ok(Verdict::Replay);
        }
        let successor: Option<DateTime<Utc>> = sqlx::query_scalar(
            "SELECT expires_at FROM refresh_tokens
             WHERE parent_hash = $1 AND spent_at IS NULL AND revoked_at IS NULL
               AND expires_at > now() AND $2 > now() - make_interval(secs => $3)",
        )
        .bind(digest(token))
        .bind(spent_at)
        .bind(self.retry_window.as_secs_f64())
        .fetch_optional(&mut **tx)
        .await?;
        let Some(expires_at) = successor else {
            return Ok(Verdict::Replay);
        };
        Ok(
            match stored
                .successor_sealed
                .as_deref()
                .and_then(|sealed| open_successor(token, sealed))
            {
                Some(successor) => Verdict::Retry {
                    successor,
                    expires_at,
                },
                None => Verdict::Invalid,
            },
        )
    }

    /// Ends the sign-in `token` belongs to; unknown or already ended tokens are no error. It
    /// takes the family's lock, so a refresh of the same family either finished before (and its
    /// new token is revoked here) or runs after (and finds the family revoked).
    pub async fn revoke(&self, db: &PgPool, token: &str) -> ApiResult<()> {
        let mut tx = db.begin().await?;
        let ended = match lock_family_of(&mut tx, &digest(token)).await? {
            Some((stored, _)) => {
                revoke_family(&mut tx, &stored.family_id).await?;
                Some(stored.family_id)
            }
            None => None,
        };
        tx.commit().await?;
        if let Some(family) = ended {
            self.ended(&family);
        }
        Ok(())
    }

    /// The account's live sign-ins, newest first, with the one `current` names marked.
    pub async fn list(
        &self,
        db: &PgPool,
        user_id: i32,
        current: Option<&str>,
    ) -> ApiResult<Vec<ava_model::SignIn>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            family_id: Vec<u8>,
            created_at: DateTime<Utc>,
            last_used_at: Option<DateTime<Utc>>,
            device: Option<String>,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT family_id, created_at, last_used_at, device FROM refresh_families
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
             ORDER BY coalesce(last_used_at, created_at) DESC, family_id",
        )
        .bind(user_id)
        .fetch_all(db)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let id = hex(&row.family_id);
                ava_model::SignIn {
                    current: current == Some(id.as_str()),
                    id,
                    created_at: row.created_at,
                    last_used_at: row.last_used_at.unwrap_or(row.created_at),
                    device: row.device,
                }
            })
            .collect())
    }

    /// Ends one of the account's sign-ins by its id; false when the account has no such live
    /// sign-in (another account's ids are unknown here).
    pub async fn end_one(&self, db: &PgPool, user_id: i32, id: &str) -> ApiResult<bool> {
        let Some(family) = unhex(id) else {
            return Ok(false);
        };
        let mut tx = db.begin().await?;
        let found: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT family_id FROM refresh_families
             WHERE family_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()
             FOR UPDATE",
        )
        .bind(&family)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        if found.is_none() {
            return Ok(false);
        }
        revoke_family(&mut tx, &family).await?;
        tx.commit().await?;
        self.ended(&family);
        Ok(true)
    }

    /// Ends every sign-in of the account inside the caller's transaction (a new password, a
    /// deletion); call [`Sessions::announce_ended`] with the answer once it committed.
    pub async fn end_all(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        user_id: i32,
    ) -> Result<Vec<Vec<u8>>, sqlx::Error> {
        let families: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT family_id FROM refresh_families
             WHERE user_id = $1 AND revoked_at IS NULL
             ORDER BY created_at DESC, family_id
             FOR UPDATE",
        )
        .bind(user_id)
        .fetch_all(&mut **tx)
        .await?;
        for family in &families {
            revoke_family(tx, family).await?;
        }
        Ok(families)
    }

    /// This replica refuses the access tokens of these (committed) ended sign-ins at once.
    pub fn announce_ended(&self, families: &[Vec<u8>]) {
        for family in families {
            self.ended(family);
        }
    }

    /// Families (and their tokens) a day past their end or their revocation, and tokens a day
    /// past their own expiry.
    pub async fn purge(db: &PgPool) -> Result<u64, sqlx::Error> {
        let families = sqlx::query(
            "WITH gone AS (
                 DELETE FROM refresh_families
                 WHERE expires_at < now() - interval '1 day'
                    OR revoked_at < now() - interval '1 day'
                 RETURNING family_id)
             DELETE FROM refresh_tokens t USING gone WHERE t.family_id = gone.family_id",
        )
        .execute(db)
        .await?;
        let tokens =
            sqlx::query("DELETE FROM refresh_tokens WHERE expires_at < now() - interval '1 day'")
                .execute(db)
                .await?;
        Ok(families.rows_affected() + tokens.rows_affected())
    }
}

/// Finds the token, locks its family's row (creating it for a family an older replica started
/// without one), and reads the token again under that lock.
async fn lock_family_of(
    tx: &mut Transaction<'_, Postgres>,
    hash: &[u8],
) -> Result<Option<(Stored, Family)>, sqlx::Error> {
    let Some(family_id): Option<Vec<u8>> =
        sqlx::query_scalar("SELECT family_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(hash)
            .fetch_optional(&mut **tx)
            .await?
    else {
        return Ok(None);
    };
    sqlx::query(
        "INSERT INTO refresh_families (family_id, user_id, expires_at, revoked_at)
         SELECT family_id, min(user_id), max(expires_at), max(revoked_at)
         FROM refresh_tokens WHERE family_id = $1 GROUP BY family_id
         ON CONFLICT (family_id) DO NOTHING",
    )
    .bind(&family_id)
    .execute(&mut **tx)
    .await?;
    let family: Option<Family> = sqlx::query_as(
        "SELECT f.user_id, u.email::text AS email, u.is_active AS active, f.expires_at,
                f.revoked_at, f.expires_at > now() AS live
         FROM refresh_families f JOIN users u ON u.id = f.user_id
         WHERE f.family_id = $1
         FOR UPDATE OF f",
    )
    .bind(&family_id)
    .fetch_optional(&mut **tx)
    .await?;
    let stored: Option<Stored> = sqlx::query_as(
        "SELECT family_id, spent_at, revoked_at, expires_at > now() AS live, successor_sealed,
                retries
         FROM refresh_tokens WHERE token_hash = $1",
    )
    .bind(hash)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(stored.zip(family))
}

async fn revoke_family(
    tx: &mut Transaction<'_, Postgres>,
    family_id: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE refresh_families SET revoked_at = coalesce(revoked_at, now()) WHERE family_id = $1",
    )
    .bind(family_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE family_id = $1",
    )
    .bind(family_id)
    .execute(&mut **tx)
    .await?;
    // Delivered to every listening replica when (and only if) the transaction commits.
    sqlx::query("SELECT pg_notify($1, encode($2, 'hex'))")
        .bind(CHANNEL)
        .bind(family_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Queues the "we ended a sign-in for safety" mail to the account (issue 31: the owner is told
/// by mail as well as in the window, whichever copy of the sign-in they hold).
async fn tell_ended_for_safety(
    tx: &mut Transaction<'_, Postgres>,
    user_id: i32,
    email: &str,
) -> Result<(), sqlx::Error> {
    let locale: Option<String> = sqlx::query_scalar("SELECT locale FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await?
        .flatten();
    crate::mail::queue(
        tx,
        Some(user_id),
        email,
        crate::mail::Language::of(locale.as_deref()),
        &crate::mail::Letter::SignInEndedForSafety,
    )
    .await
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn seconds_until(at: DateTime<Utc>) -> i64 {
    (at - Utc::now()).num_seconds().max(0)
}
