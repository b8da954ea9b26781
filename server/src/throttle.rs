//! Sign-in and sign-up limits, kept in PostgreSQL so that every replica counts the same
//! attempts and a lock holds whichever replica answers.
//!
//! Failed sign-ins are counted per (account, address) pair, per account and per address, each
//! with its own ceiling. Past a ceiling the scope waits a short delay that doubles with every
//! further failure, up to a cap:
//! - the pair (e-mail from one address): `max_failures`, up to the window (15 min): someone
//!   guessing from one place is slowed down quickly, without touching anyone else;
//! - the account from anywhere: 10× that, capped at 5 minutes, so a distributed guesser is
//!   slowed down but can never lock the owner out for longer than that;
//! - the address for every account: 20× that (credential stuffing), capped at the window, and
//!   never applied to an account that has signed in from that address before, so colleagues
//!   behind one office address are not locked by someone else's failures.
//!
//! At a *known address* (one this account signed in from in the last 30 days) only the pair's
//! own count applies: a guesser spread over many addresses slows down everywhere but there, so
//! the owner is never locked out of their own office or home.
//!
//! Keys are HMAC-SHA-256 under a key derived from the server's JWT secret: the table holds no
//! e-mail address or IP in clear, and without the secret its keys cannot be tested against
//! guesses (the 2³² IPv4 addresses would otherwise be a moment's work). IPv6 clients are
//! counted per /64, the block one subscriber usually holds whole.

use std::net::IpAddr;
use std::time::Duration;

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::config::Config;
use crate::error::ApiError;

/// The first delay once a ceiling is reached; each further failure doubles it.
const FIRST_DELAY_SECS: f64 = 30.0;
const ACCOUNT_FACTOR: u32 = 10;
const ADDRESS_FACTOR: u32 = 20;
const ACCOUNT_MAX_DELAY: Duration = Duration::from_secs(5 * 60);
/// An account that signed in from an address this recently is not held by that address's lock.
const KNOWN_ADDRESS_DAYS: i32 = 30;
const REGISTER_WINDOW: Duration = Duration::from_secs(3600);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Pair,
    Account,
    Address,
    Register,
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::Pair => "pair",
            Scope::Account => "account",
            Scope::Address => "address",
            Scope::Register => "register",
        }
    }
}

/// The address as counted: IPv4 whole, IPv6 by its /64.
fn address_text(ip: Option<IpAddr>) -> String {
    match ip {
        None => "-".to_owned(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// One scope's row key, ceiling and cap.
struct Rule {
    scope: Scope,
    key: Vec<u8>,
    threshold: i32,
    max_delay_secs: i32,
}

pub struct Throttle {
    /// The HMAC key of every row key.
    secret: [u8; 32],
    max_failures: u32,
    window: Duration,
    register_max_per_hour: u32,
}

fn secs(duration: Duration) -> i32 {
    i32::try_from(duration.as_secs()).unwrap_or(i32::MAX)
}

impl Throttle {
    pub fn new(config: &Config) -> Self {
        let secret = Sha256::new()
            .chain_update(b"ava-server throttle keys\n")
            .chain_update(config.jwt_secret.expose_secret().as_bytes())
            .finalize()
            .into();
        Self {
            secret,
            max_failures: config.login_max_failures.max(1),
            window: config.login_window,
            register_max_per_hour: config.register_max_per_hour,
        }
    }

    fn key(&self, scope: Scope, value: &str) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("any key length works");
        mac.update(scope.name().as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    fn rules(&self, email: &str, ip: Option<IpAddr>) -> Vec<Rule> {
        let ceiling = |factor: u32| {
            i32::try_from(self.max_failures.saturating_mul(factor)).unwrap_or(i32::MAX)
        };
        let mut rules = vec![
            Rule {
                scope: Scope::Pair,
                key: self.key(Scope::Pair, &format!("{email}|{}", address_text(ip))),
                threshold: ceiling(1),
                max_delay_secs: secs(self.window),
            },
            Rule {
                scope: Scope::Account,
                key: self.key(Scope::Account, email),
                threshold: ceiling(ACCOUNT_FACTOR),
                max_delay_secs: secs(ACCOUNT_MAX_DELAY.min(self.window)),
            },
        ];
        if let Some(ip) = ip {
            rules.push(Rule {
                scope: Scope::Address,
                key: self.key(Scope::Address, &address_text(Some(ip))),
                threshold: ceiling(ADDRESS_FACTOR),
                max_delay_secs: secs(self.window),
            });
        }
        rules
    }

    /// `Err(TooManyLoginAttempts)` while any scope of this attempt is waiting out a delay.
    pub async fn check_login(
        &self,
        db: &PgPool,
        email: &str,
        ip: Option<IpAddr>,
    ) -> Result<(), ApiError> {
        let rules = self.rules(email, ip);
        let keys: Vec<&[u8]> = rules.iter().map(|r| r.key.as_slice()).collect();
        let wait: Option<i64> = sqlx::query_scalar(
            "SELECT ceil(extract(epoch FROM max(t.locked_until) - now()))::bigint
             FROM auth_throttle t
             WHERE t.key = ANY($1) AND t.locked_until > now()
               AND NOT (t.scope IN ('account', 'address') AND EXISTS (
                   SELECT 1 FROM auth_throttle p
                   WHERE p.key = $2 AND p.last_success_at > now() - make_interval(days => $3)))",
        )
        .bind(&keys)
        .bind(&rules[0].key)
        .bind(KNOWN_ADDRESS_DAYS)
        .fetch_one(db)
        .await?;
        match wait {
            Some(seconds) => Err(ApiError::TooManyLoginAttempts {
                retry_after_secs: u64::try_from(seconds).unwrap_or(0).max(1),
            }),
            None => Ok(()),
        }
    }

    /// Counts one failure in every scope (atomically per row, so two replicas answering at
    /// once count two) and starts or lengthens the delay of each scope past its ceiling.
    pub async fn record_login_failure(
        &self,
        db: &PgPool,
        email: &str,
        ip: Option<IpAddr>,
    ) -> Result<(), ApiError> {
        let rules = self.rules(email, ip);
        let keys: Vec<&[u8]> = rules.iter().map(|r| r.key.as_slice()).collect();
        let scopes: Vec<&str> = rules.iter().map(|r| r.scope.name()).collect();
        let thresholds: Vec<i32> = rules.iter().map(|r| r.threshold).collect();
        let caps: Vec<i32> = rules.iter().map(|r| r.max_delay_secs).collect();
        sqlx::query(
            "INSERT INTO auth_throttle AS t
                 (key, scope, failures, window_started_at, threshold, max_delay_seconds, locked_until, updated_at)
             SELECT r.key, r.scope, 1, now(), r.threshold, r.cap,
                    CASE WHEN r.threshold <= 1 THEN now() + make_interval(secs => least($5, r.cap)) END,
                    now()
             FROM unnest($1::bytea[], $2::text[], $3::int[], $4::int[]) AS r(key, scope, threshold, cap)
             ON CONFLICT (key) DO UPDATE SET
                 failures = CASE WHEN t.window_started_at <= now() - make_interval(secs => $6)
                                 THEN 1 ELSE t.failures + 1 END,
                 window_started_at = CASE WHEN t.window_started_at <= now() - make_interval(secs => $6)
                                          THEN now() ELSE t.window_started_at END,
                 locked_until = CASE
                     WHEN (CASE WHEN t.window_started_at <= now() - make_interval(secs => $6)
                                THEN 1 ELSE t.failures + 1 END) >= EXCLUDED.threshold
                     THEN now() + make_interval(secs => least(
                         $5 * power(2, (CASE WHEN t.window_started_at <= now() - make_interval(secs => $6)
                                             THEN 1 ELSE t.failures + 1 END) - EXCLUDED.threshold),
                         EXCLUDED.max_delay_seconds))
                     ELSE t.locked_until END,
                 threshold = EXCLUDED.threshold,
                 max_delay_seconds = EXCLUDED.max_delay_seconds,
                 updated_at = now()",
        )
        .bind(&keys)
        .bind(&scopes)
        .bind(&thresholds)
        .bind(&caps)
        .bind(FIRST_DELAY_SECS)
        .bind(secs(self.window))
        .execute(db)
        .await?;
        Ok(())
    }

    /// A right password clears its own pair and marks the address as known for the account;
    /// the account's and the address's counts run out with their window.
    pub async fn record_login_success(
        &self,
        db: &PgPool,
        email: &str,
        ip: Option<IpAddr>,
    ) -> Result<(), ApiError> {
        let pair = &self.rules(email, ip)[0];
        sqlx::query(
            "INSERT INTO auth_throttle
                 (key, scope, failures, window_started_at, threshold, max_delay_seconds, last_success_at, updated_at)
             VALUES ($1, 'pair', 0, now(), $2, $3, now(), now())
             ON CONFLICT (key) DO UPDATE SET
                 failures = 0, locked_until = NULL, last_success_at = now(), updated_at = now()",
        )
        .bind(&pair.key)
        .bind(pair.threshold)
        .bind(pair.max_delay_secs)
        .execute(db)
        .await?;
        Ok(())
    }

    /// Counts one sign-up from `ip`; `Err` once the address has made more than the hourly
    /// allowance. Without a known address (or with the limit off) nothing is counted.
    pub async fn count_registration(
        &self,
        db: &PgPool,
        ip: Option<IpAddr>,
    ) -> Result<(), ApiError> {
        let (Some(ip), 1..) = (ip, self.register_max_per_hour) else {
            return Ok(());
        };
        let window = secs(REGISTER_WINDOW);
        let (count, wait): (i32, i64) = sqlx::query_as(
            "INSERT INTO auth_throttle AS t
                 (key, scope, failures, window_started_at, threshold, max_delay_seconds, updated_at)
             VALUES ($1, 'register', 1, now(), $2, $3, now())
             ON CONFLICT (key) DO UPDATE SET
                 failures = CASE WHEN t.window_started_at <= now() - make_interval(secs => $3)
                                 THEN 1 ELSE t.failures + 1 END,
                 window_started_at = CASE WHEN t.window_started_at <= now() - make_interval(secs => $3)
                                          THEN now() ELSE t.window_started_at END,
                 updated_at = now()
             RETURNING failures,
                 ceil(extract(epoch FROM window_started_at + make_interval(secs => $3) - now()))::bigint",
        )
        .bind(self.key(Scope::Register, &address_text(Some(ip))))
        .bind(i32::try_from(self.register_max_per_hour).unwrap_or(i32::MAX))
        .bind(window)
        .fetch_one(db)
        .await?;
        if i64::from(count) > i64::from(self.register_max_per_hour) {
            return Err(ApiError::TooManyRegistrations {
                retry_after_secs: u64::try_from(wait).unwrap_or(0).max(1),
            });
        }
        Ok(())
    }

    /// Drops rows whose counts and delays have run out, and known addresses past their time:
    /// the table stays the size of the last window's traffic.
    pub async fn purge(&self, db: &PgPool) -> Result<u64, sqlx::Error> {
        let window = secs(self.window.max(REGISTER_WINDOW));
        let done = sqlx::query(
            "DELETE FROM auth_throttle
             WHERE updated_at < now() - make_interval(secs => $1)
               AND (locked_until IS NULL OR locked_until < now())
               AND (last_success_at IS NULL OR last_success_at < now() - make_interval(days => $2))",
        )
        .bind(window)
        .bind(KNOWN_ADDRESS_DAYS)
        .execute(db)
        .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_by_their_64_and_mapped_v4_as_v4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_text(Some(a)), address_text(Some(b)));
        assert_ne!(address_text(Some(a)), address_text(Some(other)));
        assert_eq!(
            address_text(Some("::ffff:203.0.113.9".parse().unwrap())),
            "203.0.113.9"
        );
    }

    #[test]
    fn keys_depend_on_the_servers_secret() {
        let mut config = crate::config::test_config(None);
        let one = Throttle::new(&config).key(Scope::Address, "203.0.113.9");
        config.jwt_secret = secrecy::SecretString::from("another secret of at least 32 bytes!!");
        let two = Throttle::new(&config).key(Scope::Address, "203.0.113.9");
        assert_ne!(one, two);
        assert_ne!(
            one,
            Sha256::digest("address:203.0.113.9").to_vec(),
            "not a plain digest anyone can recompute"
        );
    }
}
