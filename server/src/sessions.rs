//! Refresh tokens: 256 random bits, single use, rotated on every refresh and stored only as
//! a SHA-256 digest. One sign-in is one family; a spent token that comes back means two
//! parties hold it (a stolen copy, most likely), so the whole family is revoked and the user
//! signs in again. Kept in PostgreSQL, so any replica can refresh any session.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::error::{ApiError, ApiResult};

pub struct Sessions {
    ttl: Duration,
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
        "invalid_refresh_token",
        "This session has ended; sign in again",
    )
}

impl Sessions {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl }
    }

    fn ttl_secs(&self) -> i64 {
        i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX)
    }

    /// The first refresh token of a new sign-in (a new family).
    pub async fn start(&self, db: &PgPool, user_id: i32) -> ApiResult<Issued> {
        let token = random_token();
        let mut family = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut family);
        sqlx::query(
            "INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)
             SELECT id, $2, $3, now() + make_interval(secs => $4) FROM users WHERE id = $1",
        )
        .bind(user_id)
        .bind(family.as_slice())
        .bind(digest(&token))
        .bind(self.ttl.as_secs_f64())
        .execute(db)
        .await?;
        Ok(Issued {
            token,
            expires_in: self.ttl_secs(),
        })
    }

    /// Spends `token` and issues its successor in one statement, for an active user only.
    pub async fn rotate(&self, db: &PgPool, token: &str) -> ApiResult<Rotated> {
        let next = random_token();
        let rotated: Option<(i32, String)> = sqlx::query_as(
            "WITH spent AS (
                 UPDATE refresh_tokens t SET spent_at = now()
                 FROM users u
                 WHERE t.token_hash = $1 AND t.spent_at IS NULL AND t.revoked_at IS NULL
                   AND t.expires_at > now() AND u.id = t.user_id AND u.is_active
                 RETURNING t.user_id, t.family_id, u.email),
             issued AS (
                 INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)
                 SELECT user_id, family_id, $2, now() + make_interval(secs => $3) FROM spent
                 RETURNING user_id)
             SELECT s.user_id, s.email::text FROM spent s JOIN issued i ON i.user_id = s.user_id",
        )
        .bind(digest(token))
        .bind(digest(&next))
        .bind(self.ttl.as_secs_f64())
        .fetch_optional(db)
        .await?;
        if let Some((user_id, email)) = rotated {
            return Ok(Rotated {
                user_id,
                email,
                next: Issued {
                    token: next,
                    expires_in: self.ttl_secs(),
                },
            });
        }
        // Not usable: a spent one is a replay, which ends the whole sign-in.
        let replayed: Option<Vec<u8>> = sqlx::query_scalar(
            "UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())
             WHERE family_id = (SELECT family_id FROM refresh_tokens
                                WHERE token_hash = $1 AND spent_at IS NOT NULL)
             RETURNING family_id",
        )
        .bind(digest(token))
        .fetch_optional(db)
        .await?;
        match replayed {
            Some(_) => Err(ApiError::unauthorized(
                "refresh_token_reused",
                "This session was used from two places and has been ended; sign in again",
            )),
            None => Err(invalid()),
        }
    }

    /// Ends the sign-in `token` belongs to; unknown or already ended tokens are no error.
    pub async fn revoke(&self, db: &PgPool, token: &str) -> ApiResult<()> {
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())
             WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)",
        )
        .bind(digest(token))
        .execute(db)
        .await?;
        Ok(())
    }

    /// Tokens a day past their expiry can no longer be anything but invalid.
    pub async fn purge(db: &PgPool) -> Result<u64, sqlx::Error> {
        let done =
            sqlx::query("DELETE FROM refresh_tokens WHERE expires_at < now() - interval '1 day'")
                .execute(db)
                .await?;
        Ok(done.rows_affected())
    }
}
