//! Sign-ins that ended (a logout, a reused refresh token, a revocation) while access tokens
//! issued for them may still be alive: every such token is refused at once, not up to its
//! 15 minutes later. Access tokens carry their sign-in (`sid`); each replica keeps the sign-ins
//! that ended within one access-token lifetime in memory, so checking costs a hash look-up and
//! no query per request.
//!
//! The replica that ends a sign-in adds it itself; the others hear of it through PostgreSQL
//! (`NOTIFY ava_sign_ins_ended`, sent by the same transaction, so only once it committed) within
//! milliseconds. A replica that starts, or whose listening connection was lost and made again
//! (notifications sent meanwhile are gone), reads the recently ended sign-ins from the table.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::postgres::PgListener;

pub const CHANNEL: &str = "ava_sign_ins_ended";

#[derive(Clone)]
pub struct EndedSignIns {
    /// Sign-in (hex) → when it was learnt here; kept one access-token lifetime.
    ended: Arc<RwLock<HashMap<String, Instant>>>,
    keep_for: Duration,
}

impl EndedSignIns {
    pub fn new(access_token_lifetime: Duration) -> Self {
        Self {
            ended: Arc::default(),
            keep_for: access_token_lifetime,
        }
    }

    pub fn contains(&self, sign_in: &str) -> bool {
        self.ended
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(sign_in)
    }

    pub fn add(&self, sign_in: String) {
        let now = Instant::now();
        let mut ended = self.ended.write().unwrap_or_else(|p| p.into_inner());
        // Forgetting what no live access token can name keeps the map one lifetime's size.
        if ended.len() % 256 == 255 {
            let keep_for = self.keep_for;
            ended.retain(|_, learnt| now.duration_since(*learnt) < keep_for);
        }
        ended.insert(sign_in, now);
    }

    /// The sign-ins that ended within one access-token lifetime, from the table.
    async fn reload(&self, db: &PgPool) -> Result<(), sqlx::Error> {
        let recent: Vec<String> = sqlx::query_scalar(
            "SELECT encode(family_id, 'hex') FROM refresh_families
             WHERE revoked_at > now() - make_interval(secs => $1)",
        )
        .bind(self.keep_for.as_secs_f64())
        .fetch_all(db)
        .await?;
        for sign_in in recent {
            self.add(sign_in);
        }
        Ok(())
    }

    /// Listens for sign-ins ended by any replica, for the life of the server. Errors (the
    /// database restarting) are retried with a short pause; every (re)connection reads the
    /// table again, since notifications sent while nobody listened are lost.
    pub async fn listen(self, db: PgPool) {
        loop {
            if let Err(error) = self.listen_once(&db).await {
                tracing::warn!(%error, "listening for ended sign-ins failed; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }

    async fn listen_once(&self, db: &PgPool) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(db).await?;
        listener.listen(CHANNEL).await?;
        self.reload(db).await?;
        loop {
            match listener.try_recv().await? {
                Some(notification) => self.add(notification.payload().to_owned()),
                // The connection was lost and is made again on the next call.
                None => self.reload(db).await?,
            }
        }
    }
}
