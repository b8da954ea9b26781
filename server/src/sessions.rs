//! Refresh tokens: 256 random bits, single use, rotated on every refresh and stored only as
//! a SHA-256 digest. One sign-in is one *family* (`refresh_families`): it has an absolute end
//! that no refresh moves, and it is the row that refresh and logout both lock, so a logout
//! racing a refresh always leaves nothing of the family that works.
//!
//! A spent token that comes back means two parties hold it (a stolen copy, most likely), and
//! the whole family is revoked, with one exception: an answer can be lost (a dropped
//! connection, an app killed before it kept the new token), and the app then retries with the
//! token it still has. So the family's newest spent token, whose successor was never used,
//! sent again within `REFRESH_RETRY_SECONDS` of its rotation, is a retry: it gets a fresh pair
//! and the unused successor is retired. Kept in PostgreSQL, so any replica can answer.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{PgPool, Postgres, Transaction};

use crate::error::{ApiError, ApiResult};

/// Tokens kept per family: the newest spent ones still reveal a replay; older ones only take
/// room (a replay of one of them is an unknown token, refused all the same).
const TOKENS_KEPT_PER_FAMILY: i64 = 16;

pub struct Sessions {
    ttl: Duration,
    family_lifetime: Duration,
    retry_window: Duration,
}

/// A new refresh token and its lifetime in seconds.
pub struct Issued {
    pub token: String,
    pub expires_in: i64,
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
    Retry,
    Replay,
    Invalid,
}

impl Sessions {
    pub fn new(ttl: Duration, family_lifetime: Duration, retry_window: Duration) -> Self {
        Self {
            ttl,
            family_lifetime,
            retry_window,
        }
    }

    /// The first refresh token of a new sign-in (a new family).
    pub async fn start(&self, db: &PgPool, user_id: i32) -> ApiResult<Issued> {
        let token = random_token();
        let mut family = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut family);
        let expires_at: DateTime<Utc> = sqlx::query_scalar(
            "WITH family AS (
                 INSERT INTO refresh_families (family_id, user_id, expires_at)
                 SELECT $2, id, now() + make_interval(secs => $5) FROM users WHERE id = $1
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
        .fetch_one(db)
        .await?;
        Ok(Issued {
            token,
            expires_in: seconds_until(expires_at),
        })
    }

    /// Spends `token` and issues its successor, for an active user only; a retry of a refresh
    /// whose answer was lost gets a fresh pair (see the module's note).
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
                if self.is_retry(&mut tx, &hash, &stored, *spent_at).await? {
                    Verdict::Retry
                } else {
                    Verdict::Replay
                }
            }
        };
        match verdict {
            Verdict::Invalid => {
                tx.rollback().await?;
                Err(invalid())
            }
            Verdict::Replay => {
                revoke_family(&mut tx, &stored.family_id).await?;
                tx.commit().await?;
                Err(reused())
            }
            Verdict::Spend | Verdict::Retry => {
                if matches!(verdict, Verdict::Spend) {
                    sqlx::query("UPDATE refresh_tokens SET spent_at = now() WHERE token_hash = $1")
                        .bind(&hash)
                        .execute(&mut *tx)
                        .await?;
                } else {
                    // The successor the lost answer carried was never used: nobody holds it.
                    sqlx::query(
                        "UPDATE refresh_tokens SET revoked_at = now()
                         WHERE parent_hash = $1 AND spent_at IS NULL AND revoked_at IS NULL",
                    )
                    .bind(&hash)
                    .execute(&mut *tx)
                    .await?;
                }
                let next = random_token();
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
                tx.commit().await?;
                Ok(Rotated {
                    user_id: family.user_id,
                    email: family.email,
                    next: Issued {
                        token: next,
                        expires_in: seconds_until(expires_at),
                    },
                })
            }
        }
    }

    /// A spent token is a retry when it was spent within the retry window, is the family's
    /// newest spent token, and what it was spent for has never been used.
    async fn is_retry(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        hash: &[u8],
        stored: &Stored,
        spent_at: DateTime<Utc>,
    ) -> Result<bool, sqlx::Error> {
        if stored.revoked_at.is_some() {
            return Ok(false);
        }
        sqlx::query_scalar(
            "SELECT $3 > now() - make_interval(secs => $4) AND NOT EXISTS (
                 SELECT 1 FROM refresh_tokens
                 WHERE family_id = $1 AND token_hash <> $2
                   AND (spent_at > $3 OR (parent_hash = $2 AND spent_at IS NOT NULL)))",
        )
        .bind(&stored.family_id)
        .bind(hash)
        .bind(spent_at)
        .bind(self.retry_window.as_secs_f64())
        .fetch_one(&mut **tx)
        .await
    }

    /// Ends the sign-in `token` belongs to; unknown or already ended tokens are no error. It
    /// takes the family's lock, so a refresh of the same family either finished before (and its
    /// new token is revoked here) or runs after (and finds the family revoked).
    pub async fn revoke(&self, db: &PgPool, token: &str) -> ApiResult<()> {
        let mut tx = db.begin().await?;
        if let Some((stored, _)) = lock_family_of(&mut tx, &digest(token)).await? {
            revoke_family(&mut tx, &stored.family_id).await?;
        }
        tx.commit().await?;
        Ok(())
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
        "SELECT family_id, spent_at, revoked_at, expires_at > now() AS live
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
    Ok(())
}

fn seconds_until(at: DateTime<Utc>) -> i64 {
    (at - Utc::now()).num_seconds().max(0)
}
