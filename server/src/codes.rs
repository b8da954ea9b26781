//! One-time codes (api.md, "The account's life"): 8 random digits, stored only as an HMAC with a
//! server key (the code's space is small, so a plain hash of a stolen row would be reversed in
//! a second). One row per account and purpose, so a new code replaces the old: only the newest
//! works. Spending locks the row, so two requests with one code cannot both win; a wrong try is
//! counted, and the fifth ends the code. Wrong, expired, used, ended and unknown all answer the
//! same.

use std::time::Duration;

use ava_model::OneTimeCode;
use hmac::{Hmac, Mac};
use rand::Rng;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use crate::config::Config;

/// Wrong tries a code survives.
pub const MAX_WRONG_TRIES: i32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    EmailVerification,
    EmailChange,
}

impl Purpose {
    fn name(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "password_reset",
            Purpose::EmailVerification => "email_verification",
            Purpose::EmailChange => "email_change",
        }
    }

    /// How long a code of this purpose works.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::PasswordReset => Duration::from_secs(30 * 60),
            Purpose::EmailVerification | Purpose::EmailChange => Duration::from_secs(24 * 3600),
        }
    }
}

pub struct Codes {
    key: [u8; 32],
}

/// A code that was right: what it carried.
pub struct Spent {
    pub purpose: Purpose,
    pub new_email: Option<String>,
}

impl Codes {
    pub fn new(config: &Config) -> Self {
        let key = Sha256::new()
            .chain_update(b"ava-server one-time codes\n")
            .chain_update(config.jwt_secret.expose_secret().as_bytes())
            .finalize()
            .into();
        Self { key }
    }

    fn mac(&self, user_id: i32, purpose: Purpose, digits: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length works");
        mac.update(format!("{user_id}:{}:{digits}", purpose.name()).as_bytes());
        mac
    }

    /// A fresh code for `purpose`, replacing any earlier one; returns its digits (for the mail
    /// only).
    pub async fn issue(
        &self,
        conn: &mut PgConnection,
        user_id: i32,
        purpose: Purpose,
        new_email: Option<&str>,
    ) -> Result<String, sqlx::Error> {
        let digits = format!("{:08}", rand::rngs::OsRng.gen_range(0..100_000_000u32));
        let hash = self.mac(user_id, purpose, &digits).finalize().into_bytes();
        sqlx::query(
            "INSERT INTO account_codes (user_id, purpose, code_hash, new_email, expires_at)
             VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
             ON CONFLICT (user_id, purpose) DO UPDATE SET
                 code_hash = EXCLUDED.code_hash, new_email = EXCLUDED.new_email,
                 wrong_tries = 0, expires_at = EXCLUDED.expires_at, spent_at = NULL,
                 created_at = now()",
        )
        .bind(user_id)
        .bind(purpose.name())
        .bind(hash.as_slice())
        .bind(new_email)
        .bind(purpose.lifetime().as_secs_f64())
        .execute(conn)
        .await?;
        Ok(digits)
    }

    /// Spends `code` if it is the live code of one of `purposes` (tried in order), inside the
    /// caller's transaction. A miss counts a wrong try on every live code of those purposes:
    /// the caller commits that even though it answers an error.
    pub async fn spend(
        &self,
        conn: &mut PgConnection,
        user_id: i32,
        purposes: &[Purpose],
        code: Option<&OneTimeCode>,
    ) -> Result<Option<Spent>, sqlx::Error> {
        let names: Vec<&str> = purposes.iter().map(|p| p.name()).collect();
        let live: Vec<(String, Vec<u8>, Option<String>)> = sqlx::query_as(
            "SELECT purpose, code_hash, new_email FROM account_codes
             WHERE user_id = $1 AND purpose = ANY($2) AND spent_at IS NULL
               AND expires_at > now() AND wrong_tries < $3
             ORDER BY purpose
             FOR UPDATE",
        )
        .bind(user_id)
        .bind(&names)
        .bind(MAX_WRONG_TRIES)
        .fetch_all(&mut *conn)
        .await?;
        let digits = code.map_or("", OneTimeCode::digits);
        for purpose in purposes {
            let Some((_, hash, new_email)) = live.iter().find(|(name, ..)| name == purpose.name())
            else {
                continue;
            };
            // Compared in constant time (hmac's verify).
            if code.is_some()
                && self
                    .mac(user_id, *purpose, digits)
                    .verify_slice(hash)
                    .is_ok()
            {
                sqlx::query(
                    "UPDATE account_codes SET spent_at = now() WHERE user_id = $1 AND purpose = $2",
                )
                .bind(user_id)
                .bind(purpose.name())
                .execute(&mut *conn)
                .await?;
                return Ok(Some(Spent {
                    purpose: *purpose,
                    new_email: new_email.clone(),
                }));
            }
        }
        sqlx::query(
            "UPDATE account_codes SET wrong_tries = wrong_tries + 1
             WHERE user_id = $1 AND purpose = ANY($2) AND spent_at IS NULL AND expires_at > now()",
        )
        .bind(user_id)
        .bind(&names)
        .execute(&mut *conn)
        .await?;
        Ok(None)
    }

    /// The work of judging a code, for an address with no account: the answer takes the same
    /// path length either way.
    pub fn judge_nothing(&self, code: Option<&OneTimeCode>) {
        let digits = code.map_or("", OneTimeCode::digits);
        let _ = self
            .mac(0, Purpose::PasswordReset, digits)
            .verify_slice(&[0u8; 32]);
    }
}
