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
//! At a *known address* only the pair's own count applies: a guesser spread over many
//! addresses slows down everywhere but there, so the owner is never locked out of their own
//! office or home. An address becomes known for an account by a sign-up, a sign-in or a
//! refresh from it (the desktop signs in once and then only refreshes), and stays known for as
//! long as a sign-in lasts (`REFRESH_FAMILY_MAX_SECONDS`, 90 days).
//!
//! Keys are HMAC-SHA-256 under a key derived from the server's JWT secret: the table holds no
//! e-mail address or IP in clear, and without the secret its keys cannot be tested against
//! guesses (the 2³² IPv4 addresses would otherwise be a moment's work). IPv6 clients are
//! counted per /64, the block one subscriber usually holds whole, and also per /56 and per /48
//! with ceilings twice and four times as high: a /48 holds 65,536 /64s, so counting /64s alone
//! gave anyone with one a fresh allowance for every guess.

use std::net::IpAddr;
use std::time::Duration;

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::config::Config;
use crate::error::ApiError;
use crate::extract::canonical;

/// The first delay once a ceiling is reached; each further failure doubles it.
const FIRST_DELAY_SECS: f64 = 30.0;
const ACCOUNT_FACTOR: u32 = 10;
const ADDRESS_FACTOR: u32 = 20;
const ACCOUNT_MAX_DELAY: Duration = Duration::from_secs(5 * 60);
const REGISTER_WINDOW: Duration = Duration::from_secs(3600);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Pair,
    Account,
    Address,
    /// The IPv6 /56 and /48 around an address.
    Block56,
    Block48,
    Register,
    Register56,
    Register48,
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::Pair => "pair",
            Scope::Account => "account",
            Scope::Address => "address",
            Scope::Block56 => "block56",
            Scope::Block48 => "block48",
            Scope::Register => "register",
            Scope::Register56 => "register56",
            Scope::Register48 => "register48",
        }
    }
}

/// The address as counted: IPv4 whole, IPv6 by its /64.
fn address_text(ip: Option<IpAddr>) -> String {
    match ip.map(canonical) {
        None => "-".to_owned(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// The wider IPv6 blocks an address is also counted in, with how many times the /64's ceiling
/// each allows: its /56 (×2) and its /48 (×4). None for IPv4.
fn wider_blocks(ip: IpAddr) -> Vec<(u8, String, u32)> {
    let IpAddr::V6(v6) = canonical(ip) else {
        return Vec::new();
    };
    let s = v6.segments();
    vec![
        (
            56,
            format!("{:x}:{:x}:{:x}:{:x}::/56", s[0], s[1], s[2], s[3] & 0xff00),
            2,
        ),
        (48, format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]), 4),
    ]
}

/// How an admitted attempt ended, when it was no failure.
#[derive(Clone, Copy)]
enum Verdict {
    RightPassword,
    NotJudged,
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
    /// How long an address stays known for an account after its last sign-in or refresh there.
    known_for: Duration,
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
            known_for: config.refresh_family_lifetime,
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
            for (prefix, block, times) in wider_blocks(ip) {
                let scope = if prefix == 56 {
                    Scope::Block56
                } else {
                    Scope::Block48
                };
                rules.push(Rule {
                    scope,
                    key: self.key(scope, &block),
                    threshold: ceiling(ADDRESS_FACTOR * times),
                    max_delay_secs: secs(self.window),
                });
            }
        }
        rules
    }

    /// Admits one sign-in attempt, counted as a failure *before* its password is hashed: the
    /// scopes' rows are locked (in key order, so two attempts never deadlock), and an attempt
    /// is refused while any scope that applies to it is waiting out a delay; otherwise every
    /// scope counts it and starts or lengthens its delay past the ceiling. Attempts sent at
    /// the same moment thus queue on the rows and each sees the ones before it, on any replica:
    /// 32 parallel wrong passwords get `max_failures` verdicts, not one each. A right password
    /// takes its count back ([`Throttle::record_login_success`]).
    pub async fn admit_login(
        &self,
        db: &PgPool,
        email: &str,
        ip: Option<IpAddr>,
    ) -> Result<(), ApiError> {
        let mut rules = self.rules(email, ip);
        let pair_key = rules[0].key.clone();
        rules.sort_by(|a, b| a.key.cmp(&b.key));
        let keys: Vec<&[u8]> = rules.iter().map(|r| r.key.as_slice()).collect();
        let scopes: Vec<&str> = rules.iter().map(|r| r.scope.name()).collect();
        let thresholds: Vec<i32> = rules.iter().map(|r| r.threshold).collect();
        let caps: Vec<i32> = rules.iter().map(|r| r.max_delay_secs).collect();
        let mut tx = db.begin().await?;
        sqlx::query(
            "INSERT INTO auth_throttle
                 (key, scope, failures, window_started_at, threshold, max_delay_seconds, updated_at)
             SELECT r.key, r.scope, 0, now(), r.threshold, r.cap, now()
             FROM unnest($1::bytea[], $2::text[], $3::int[], $4::int[]) AS r(key, scope, threshold, cap)
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(&keys)
        .bind(&scopes)
        .bind(&thresholds)
        .bind(&caps)
        .execute(&mut *tx)
        .await?;
        let held: Vec<(Vec<u8>, String, Option<i64>, bool)> = sqlx::query_as(
            "SELECT key, scope,
                    CASE WHEN locked_until > now()
                         THEN ceil(extract(epoch FROM locked_until - now()))::bigint END,
                    coalesce(last_success_at > now() - make_interval(secs => $2), false)
             FROM auth_throttle WHERE key = ANY($1) ORDER BY key FOR UPDATE",
        )
        .bind(&keys)
        .bind(secs(self.known_for))
        .fetch_all(&mut *tx)
        .await?;
        // At an address this account signed in from lately, only the pair's own count holds.
        let known = held
            .iter()
            .any(|(key, _, _, known)| *key == pair_key && *known);
        let wait = held
            .iter()
            .filter(|(_, scope, _, _)| scope == Scope::Pair.name() || !known)
            .filter_map(|(_, _, wait, _)| *wait)
            .max();
        if let Some(seconds) = wait {
            tx.rollback().await?;
            return Err(ApiError::TooManyLoginAttempts {
                retry_after_secs: u64::try_from(seconds).unwrap_or(0).max(1),
            });
        }
        sqlx::query(
            "UPDATE auth_throttle AS t SET
                 failures = CASE WHEN t.window_started_at <= now() - make_interval(secs => $4)
                                 THEN 1 ELSE t.failures + 1 END,
                 window_started_at = CASE WHEN t.window_started_at <= now() - make_interval(secs => $4)
                                          THEN now() ELSE t.window_started_at END,
                 locked_until = CASE
                     WHEN (CASE WHEN t.window_started_at <= now() - make_interval(secs => $4)
                                THEN 1 ELSE t.failures + 1 END) >= r.threshold
                     THEN now() + make_interval(secs => least(
                         $3 * power(2, (CASE WHEN t.window_started_at <= now() - make_interval(secs => $4)
                                             THEN 1 ELSE t.failures + 1 END) - r.threshold),
                         r.cap))
                     ELSE t.locked_until END,
                 threshold = r.threshold,
                 max_delay_seconds = r.cap,
                 updated_at = now()
             FROM unnest($1::bytea[], $2::int[], $5::int[]) AS r(key, threshold, cap)
             WHERE t.key = r.key",
        )
        .bind(&keys)
        .bind(&thresholds)
        .bind(FIRST_DELAY_SECS)
        .bind(secs(self.window))
        .bind(&caps)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A right password takes back the failure its attempt was counted as: its pair is cleared
    /// and the address becomes known for the account; the account and the address get their
    /// count back.
    pub async fn record_login_success(
        &self,
        db: &PgPool,
        email: &str,
        ip: Option<IpAddr>,
    ) -> Result<(), ApiError> {
        self.take_back_attempt(db, email, ip, Verdict::RightPassword)
            .await
    }

    /// An attempt admitted but never judged (the server too busy to hash its password) was no
    /// failure: every scope gets its count back.
    pub async fn refund_login(
        &self,
        db: &PgPool,
        email: &str,
        ip: Option<IpAddr>,
    ) -> Result<(), ApiError> {
        self.take_back_attempt(db, email, ip, Verdict::NotJudged)
            .await
    }

    async fn take_back_attempt(
        &self,
        db: &PgPool,
        email: &str,
        ip: Option<IpAddr>,
        verdict: Verdict,
    ) -> Result<(), ApiError> {
        let rules = self.rules(email, ip);
        let mut tx = db.begin().await?;
        lock_in_key_order(&mut tx, &rules).await?;
        match verdict {
            Verdict::NotJudged => take_back(&mut tx, &rules).await?,
            Verdict::RightPassword => {
                take_back(&mut tx, &rules[1..]).await?;
                sqlx::query(
                    "INSERT INTO auth_throttle
                         (key, scope, failures, window_started_at, threshold, max_delay_seconds, last_success_at, updated_at)
                     VALUES ($1, 'pair', 0, now(), $2, $3, now(), now())
                     ON CONFLICT (key) DO UPDATE SET
                         failures = 0, locked_until = NULL, last_success_at = now(), updated_at = now()",
                )
                .bind(&rules[0].key)
                .bind(rules[0].threshold)
                .bind(rules[0].max_delay_secs)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The address is known for the account from now on (a sign-up, or a refresh of a sign-in
    /// made elsewhere), without touching any count.
    pub async fn mark_known(
        &self,
        db: &PgPool,
        email: &str,
        ip: Option<IpAddr>,
    ) -> Result<(), ApiError> {
        if ip.is_none() {
            return Ok(());
        }
        let pair = &self.rules(email, ip)[0];
        sqlx::query(
            "INSERT INTO auth_throttle
                 (key, scope, failures, window_started_at, threshold, max_delay_seconds, last_success_at, updated_at)
             VALUES ($1, 'pair', 0, now(), $2, $3, now(), now())
             ON CONFLICT (key) DO UPDATE SET last_success_at = now(), updated_at = now()",
        )
        .bind(&pair.key)
        .bind(pair.threshold)
        .bind(pair.max_delay_secs)
        .execute(db)
        .await?;
        Ok(())
    }

    /// Counts one sign-up from `ip` (and, for IPv6, from its /56 and /48, which allow twice and
    /// four times as many); `Err` once any of them has made more than its hourly allowance.
    /// Without a known address (or with the limit off) nothing is counted.
    pub async fn count_registration(
        &self,
        db: &PgPool,
        ip: Option<IpAddr>,
    ) -> Result<(), ApiError> {
        let (Some(ip), 1..) = (ip, self.register_max_per_hour) else {
            return Ok(());
        };
        let allowance = i32::try_from(self.register_max_per_hour).unwrap_or(i32::MAX);
        let mut buckets = vec![(Scope::Register, address_text(Some(ip)), 1)];
        for (prefix, block, times) in wider_blocks(ip) {
            let scope = if prefix == 56 {
                Scope::Register56
            } else {
                Scope::Register48
            };
            buckets.push((scope, block, times));
        }
        // In key order, as every statement that touches several rows of this table.
        let mut rows: Vec<(Vec<u8>, &str, i32)> = buckets
            .iter()
            .map(|(scope, text, times)| {
                let ceiling = allowance.saturating_mul(i32::try_from(*times).unwrap_or(1));
                (self.key(*scope, text), scope.name(), ceiling)
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        let keys: Vec<&[u8]> = rows.iter().map(|r| r.0.as_slice()).collect();
        let scopes: Vec<&str> = rows.iter().map(|r| r.1).collect();
        let ceilings: Vec<i32> = rows.iter().map(|r| r.2).collect();
        let window = secs(REGISTER_WINDOW);
        let over: Vec<(i32, i32, i64)> = sqlx::query_as(
            "INSERT INTO auth_throttle AS t
                 (key, scope, failures, window_started_at, threshold, max_delay_seconds, updated_at)
             SELECT r.key, r.scope, 1, now(), r.ceiling, $4, now()
             FROM unnest($1::bytea[], $2::text[], $3::int[]) AS r(key, scope, ceiling)
             ON CONFLICT (key) DO UPDATE SET
                 failures = CASE WHEN t.window_started_at <= now() - make_interval(secs => $4)
                                 THEN 1 ELSE t.failures + 1 END,
                 window_started_at = CASE WHEN t.window_started_at <= now() - make_interval(secs => $4)
                                          THEN now() ELSE t.window_started_at END,
                 threshold = EXCLUDED.threshold,
                 updated_at = now()
             RETURNING failures, threshold,
                 ceil(extract(epoch FROM window_started_at + make_interval(secs => $4) - now()))::bigint",
        )
        .bind(&keys)
        .bind(&scopes)
        .bind(&ceilings)
        .bind(window)
        .fetch_all(db)
        .await?;
        let wait = over
            .iter()
            .filter(|(count, ceiling, _)| count > ceiling)
            .map(|(_, _, wait)| *wait)
            .max();
        if let Some(wait) = wait {
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
               AND (last_success_at IS NULL OR last_success_at < now() - make_interval(secs => $2))",
        )
        .bind(window)
        .bind(secs(self.known_for))
        .execute(db)
        .await?;
        Ok(done.rows_affected())
    }
}

/// Locks `rules`' rows in the order [`Throttle::admit_login`] locks them, so that a success or
/// a refund never waits on an attempt that waits on it (a deadlock PostgreSQL would end with
/// an error).
async fn lock_in_key_order(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    rules: &[Rule],
) -> Result<(), sqlx::Error> {
    let keys: Vec<&[u8]> = rules.iter().map(|r| r.key.as_slice()).collect();
    sqlx::query("SELECT 1 FROM auth_throttle WHERE key = ANY($1) ORDER BY key FOR UPDATE")
        .bind(&keys)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// One failure fewer in each of `rules`' rows, lifting a delay the count no longer reaches.
async fn take_back(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    rules: &[Rule],
) -> Result<(), sqlx::Error> {
    let keys: Vec<&[u8]> = rules.iter().map(|r| r.key.as_slice()).collect();
    sqlx::query(
        "UPDATE auth_throttle SET
             failures = greatest(failures - 1, 0),
             locked_until = CASE WHEN failures - 1 < threshold THEN NULL ELSE locked_until END,
             updated_at = now()
         WHERE key = ANY($1)",
    )
    .bind(&keys)
    .execute(&mut **tx)
    .await?;
    Ok(())
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
    fn ipv6_addresses_are_also_counted_in_their_56_and_48() {
        let ip: IpAddr = "2001:db8:1:2a3b:4::1".parse().unwrap();
        let blocks: Vec<(u8, String, u32)> = wider_blocks(ip);
        assert_eq!(
            blocks,
            vec![
                (56, "2001:db8:1:2a00::/56".to_owned(), 2),
                (48, "2001:db8:1::/48".to_owned(), 4)
            ]
        );
        assert!(wider_blocks("203.0.113.9".parse().unwrap()).is_empty());
        assert!(wider_blocks("::ffff:203.0.113.9".parse().unwrap()).is_empty());
        let config = crate::config::test_config(None);
        let scopes: Vec<&str> = Throttle::new(&config)
            .rules("ann@acme.com", Some(ip))
            .iter()
            .map(|rule| rule.scope.name())
            .collect();
        assert_eq!(scopes, ["pair", "account", "address", "block56", "block48"]);
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
