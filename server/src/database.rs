//! The connection pool, and how it heals after PostgreSQL restarts or fails over.
//!
//! Connections handed out are not pinged (a second round trip per query halved throughput under
//! load), except one idle long enough to have been dropped by a NAT. So after a restart every
//! pooled connection is dead, and each would fail one request in turn: through two replicas one
//! answered 503 for more than 3 s after the database was back. Now the first error that says
//! the server went away marks every connection made before it as suspect for a minute: those
//! are pinged before use and replaced if dead, so a replica serves again after a request or two.

use std::str::FromStr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::MIGRATOR;
use crate::config::Config;

/// How long connections older than a loss are checked before use.
const SUSPECT_FOR: Duration = Duration::from_secs(60);
/// A connection idle this long may have been dropped by something between us and PostgreSQL.
const IDLE_CHECK_AFTER: Duration = Duration::from_secs(30);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// When (ms after [`epoch`], plus one so that 0 means never) the database was last seen to drop
/// connections. Per process: every pool of the process checks its older connections once.
static LOST_AT: AtomicU64 = AtomicU64::new(0);

fn millis_since_epoch() -> u64 {
    u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Called with every database error: one that means the server closed or refused connections
/// (a restart, a failover, an administrator's kill) marks the pool's older connections.
pub(crate) fn note_database_error(error: &sqlx::Error) {
    let lost = match error {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => true,
        // admin_shutdown, crash_shutdown, cannot_connect_now, and the connection exceptions.
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("57P") || code.starts_with("08")),
        _ => false,
    };
    if lost {
        LOST_AT.store(millis_since_epoch() + 1, Ordering::Relaxed);
    }
}

/// A connection made `age` ago is suspect when a loss was seen after it was made, lately.
fn suspect(age: Duration) -> bool {
    let lost_at = LOST_AT.load(Ordering::Relaxed);
    if lost_at == 0 {
        return false;
    }
    let now = millis_since_epoch() + 1;
    let made_at = now.saturating_sub(u64::try_from(age.as_millis()).unwrap_or(u64::MAX));
    made_at <= lost_at && now.saturating_sub(lost_at) < SUSPECT_FOR.as_millis() as u64
}

/// Opens the pool (failing fast when Postgres is down) and applies pending migrations.
/// `DATABASE_URL` is read whole by sqlx, `sslmode` and `sslrootcert` included; every
/// connection gets the configured `statement_timeout` and says it is `ava-server`
/// (`pg_stat_activity.application_name`).
pub async fn connect(config: &Config) -> anyhow::Result<PgPool> {
    epoch();
    let options = PgConnectOptions::from_str(config.database_url())?
        .application_name("ava-server")
        .options([(
            "statement_timeout",
            format!("{}ms", config.statement_timeout.as_millis()),
        )]);
    let pool = PgPoolOptions::new()
        .max_connections(config.database_max_connections)
        .acquire_timeout(Duration::from_secs(3))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > IDLE_CHECK_AFTER || suspect(meta.age) {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}
