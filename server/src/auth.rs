//! Passwords (argon2id, on a bounded pool) and access tokens (HS256 JWT with expiry).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::error::ApiError;

/// Password hashing with bounded work: argon2id holds ~19 MiB and tens of milliseconds of a
/// core per call, so a burst of sign-ups must not run hundreds at once. `concurrency` hashes
/// run on blocking threads, `queue` more may wait for a slot, and anything past that is told
/// to come back (503 + `Retry-After`) instead of piling up in memory.
pub struct Passwords {
    running: Arc<Semaphore>,
    admitted: Arc<Semaphore>,
}

impl Passwords {
    pub fn new(concurrency: usize, queue: usize) -> Self {
        Self {
            running: Arc::new(Semaphore::new(concurrency.max(1))),
            admitted: Arc::new(Semaphore::new(concurrency.max(1) + queue)),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let admitted = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| ApiError::Busy {
                retry_after_secs: 1,
            })?;
        let running = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|e| ApiError::Internal(format!("hashing slots closed: {e}")))?;
        tokio::task::spawn_blocking(move || {
            let result = work();
            drop((running, admitted));
            result
        })
        .await
        .map_err(|e| ApiError::Internal(format!("password hashing task: {e}")))
    }

    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move || {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| ApiError::Internal(format!("password hashing: {e}")))
        })
        .await?
    }

    /// Checks a password; with no stored hash it still spends the same time on a dummy one,
    /// so response times do not tell which addresses have accounts.
    pub async fn verify(
        &self,
        stored_hash: Option<String>,
        password: String,
    ) -> Result<bool, ApiError> {
        self.run(move || {
            let known = stored_hash.is_some();
            let hash_text = stored_hash.unwrap_or_else(|| dummy_hash().to_owned());
            let Ok(hash) = PasswordHash::new(&hash_text) else {
                return false;
            };
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
                && known
        })
        .await
    }
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(b"not a real password", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
    /// The sign-in (refresh family, hex) the token belongs to: ending that sign-in refuses the
    /// token at once. Absent from tokens issued before it existed (they lapse within their TTL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
}

/// Who an access token speaks for, and for which sign-in.
pub struct Bearer {
    pub user_id: i32,
    pub sign_in: Option<String>,
}

pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl: Duration,
}

impl Tokens {
    pub fn new(config: &Config) -> Self {
        let secret = config.jwt_secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl: config.jwt_ttl,
        }
    }

    /// A token for `user_id` and its lifetime in seconds.
    pub fn issue(&self, user_id: i32, sign_in: &str) -> Result<(String, i64), ApiError> {
        let now = chrono::Utc::now().timestamp();
        let ttl = self.ttl.as_secs() as i64;
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now,
            exp: now + ttl,
            sid: Some(sign_in.to_owned()),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map(|token| (token, ttl))
            .map_err(|e| ApiError::Internal(format!("token signing: {e}")))
    }

    pub fn verify(&self, token: &str) -> Result<Bearer, ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => ApiError::unauthorized(
                    ava_model::ErrorCode::TokenExpired,
                    "Your session has expired; sign in again",
                ),
                _ => ApiError::unauthorized(
                    ava_model::ErrorCode::InvalidToken,
                    "The access token is not valid; sign in again",
                ),
            })?;
        let user_id = data.claims.sub.parse().map_err(|_| {
            ApiError::unauthorized(
                ava_model::ErrorCode::InvalidToken,
                "The access token is not valid; sign in again",
            )
        })?;
        Ok(Bearer {
            user_id,
            sign_in: data.claims.sid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_pool_refuses_at_once_instead_of_queueing() {
        let passwords = Passwords::new(1, 1);
        let hold = Arc::clone(&passwords.admitted)
            .try_acquire_many_owned(2)
            .expect("both places free");
        let refused = passwords.hash("correct horse".to_owned()).await;
        assert!(
            matches!(
                refused,
                Err(ApiError::Busy {
                    retry_after_secs: 1
                })
            ),
            "{refused:?}"
        );
        drop(hold);
        let hash = passwords.hash("correct horse".to_owned()).await.unwrap();
        assert!(
            passwords
                .verify(Some(hash), "correct horse".to_owned())
                .await
                .unwrap()
        );
        assert_eq!(
            passwords.admitted.available_permits(),
            2,
            "places are given back"
        );
    }
}
