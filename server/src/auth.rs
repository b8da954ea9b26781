//! Passwords (argon2id) and access tokens (HS256 JWT with expiry), plus the sign-in limiter.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::ApiError;

/// Hashing is deliberately slow (tens of ms), so it runs off the async workers.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| ApiError::Internal(format!("password hashing: {e}")))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("password hashing task: {e}")))?
}

/// Checks a password; with no stored hash it still spends the same time on a dummy one, so
/// response times do not tell which addresses have accounts.
pub async fn verify_password(
    stored_hash: Option<String>,
    password: String,
) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
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
    .map_err(|e| ApiError::Internal(format!("password check task: {e}")))
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
    pub fn issue(&self, user_id: i32) -> Result<(String, i64), ApiError> {
        let now = chrono::Utc::now().timestamp();
        let ttl = self.ttl.as_secs() as i64;
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now,
            exp: now + ttl,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map(|token| (token, ttl))
            .map_err(|e| ApiError::Internal(format!("token signing: {e}")))
    }

    pub fn verify(&self, token: &str) -> Result<i32, ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => ApiError::unauthorized(
                    "token_expired",
                    "Your session has expired; sign in again",
                ),
                _ => ApiError::unauthorized(
                    "invalid_token",
                    "The access token is not valid; sign in again",
                ),
            })?;
        data.claims.sub.parse().map_err(|_| {
            ApiError::unauthorized(
                "invalid_token",
                "The access token is not valid; sign in again",
            )
        })
    }
}

/// Counts failed sign-ins per address and per client IP in a sliding window; past the limit
/// every attempt (even a right password) gets 429 until the window moves on.
pub struct LoginLimiter {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Each client IP may fail this many times more than one address may: one office shares an IP.
const IP_FACTOR: usize = 10;

impl LoginLimiter {
    pub fn new(max_failures: usize, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::default(),
        }
    }

    fn keys(email: &str, ip: Option<IpAddr>) -> [(Option<String>, usize); 2] {
        [
            (Some(format!("email:{email}")), 1),
            (ip.map(|ip| format!("ip:{ip}")), IP_FACTOR),
        ]
    }

    /// `Err(seconds)` while either the address or the IP is locked out.
    pub fn check(&self, email: &str, ip: Option<IpAddr>, now: Instant) -> Result<(), u64> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for (key, factor) in Self::keys(email, ip) {
            let Some(key) = key else { continue };
            let Some(times) = failures.get_mut(&key) else {
                continue;
            };
            while times
                .front()
                .is_some_and(|t| now.duration_since(*t) >= self.window)
            {
                times.pop_front();
            }
            if times.len() >= self.max_failures * factor {
                let oldest = times.front().copied().unwrap_or(now);
                let wait = self.window.saturating_sub(now.duration_since(oldest));
                return Err(wait.as_secs().max(1));
            }
        }
        Ok(())
    }

    pub fn record_failure(&self, email: &str, ip: Option<IpAddr>, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for (key, _) in Self::keys(email, ip) {
            if let Some(key) = key {
                failures.entry(key).or_default().push_back(now);
            }
        }
    }

    pub fn record_success(&self, email: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(&format!("email:{email}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_locks_after_max_failures_and_releases_after_the_window() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(
                limiter.check("a@b.co", None, t0).is_ok(),
                "attempt {i} allowed"
            );
            limiter.record_failure("a@b.co", None, t0);
        }
        let wait = limiter.check("a@b.co", None, t0).unwrap_err();
        assert_eq!(wait, 60);
        assert!(
            limiter.check("other@b.co", None, t0).is_ok(),
            "other addresses are not locked"
        );
        assert!(
            limiter
                .check("a@b.co", None, t0 + Duration::from_secs(60))
                .is_ok()
        );
    }

    #[test]
    fn one_ip_trying_many_addresses_is_locked_too() {
        let limiter = LoginLimiter::new(2, Duration::from_secs(60));
        let ip: IpAddr = [10, 0, 0, 1].into();
        let t0 = Instant::now();
        for i in 0..20 {
            limiter.record_failure(&format!("u{i}@b.co"), Some(ip), t0);
        }
        assert!(limiter.check("fresh@b.co", Some(ip), t0).is_err());
        assert!(limiter.check("fresh@b.co", None, t0).is_ok());
    }
}
