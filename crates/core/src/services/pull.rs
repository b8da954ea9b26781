//! Pull: what other computers (or any client of the API) saved reaches this one. The server
//! numbers every write to an account (`revision`); this computer remembers the last one it
//! merged and asks `GET /user/me` with it (`If-None-Match`), which answers 304 until something
//! changed. A newer copy is merged field by field under this computer's unsent edits
//! ([`crate::rules::state::Draft::adopt_server`]), so those still go out and, arriving last,
//! win. Runs at launch, at sign-in, on focus, every [`CoreConfig::pull_every`], and before the
//! live assistant is rebuilt.
//!
//! [`CoreConfig::pull_every`]: crate::config::CoreConfig::pull_every

use std::sync::Weak;

use crate::api::ApiError;
use crate::context::Context;
use crate::error::CoreError;
use crate::rules::state::Merged;
use crate::services::accounts::renew_session;

/// How often the server is asked while it applies this account's answers to the live assistant.
const FOLLOWING: std::time::Duration = std::time::Duration::from_secs(1);

/// Merges what the server holds now if it moved since the last pull; returns the fields that
/// changed here. Nothing to pull when this computer never signed in (its draft is the only
/// copy); an account whose sign-in ended cannot be pulled for, which is an error: the caller
/// then cannot be sure it holds the newest state.
pub(crate) async fn pull_once(ctx: &Context) -> Result<Merged, CoreError> {
    let session = ctx.sessions.current();
    let Some(account) = session.account().cloned() else {
        return Ok(Merged::default());
    };
    let sign_in_as = |account: &crate::rules::state::Account| {
        CoreError::from(ApiError::SignInRequired {
            code: ava_model::ErrorCode::SignInRequired,
            message: format!(
                "sign in as {} to see what was saved elsewhere",
                account.email
            ),
        })
    };
    let Some(token) = ctx.sessions.access_token(&session).await? else {
        return Err(sign_in_as(&account));
    };
    let _turn = ctx.turns.exchanging.lock().await;
    let known = ctx.drafts.read_in(&session, |d| d.server_revision)?;
    let answer = match ctx.api.me_since(&token, known).await {
        Err(ApiError::SignInRequired { code, message }) => {
            match renew_session(ctx, &session, &token).await? {
                Some(renewed) => ctx.api.me_since(&renewed, known).await?,
                None => return Err(ApiError::SignInRequired { code, message }.into()),
            }
        }
        other => other?,
    };
    let Some(me) = answer else {
        return Ok(Merged::default());
    };
    if me.id != account.id {
        // A token of another account (an older build's keychain): nothing of it is merged.
        return Err(sign_in_as(&account));
    }
    let changed = ctx.drafts.edit_in(&session, |d| d.adopt_server(&me))?;
    // How the live assistant stands may have moved too (the server applied the answers).
    ctx.wake.live.notify_one();
    if !changed.is_empty() {
        tracing::info!(
            fields = changed.fields.len(),
            revision = me.revision,
            "merged what was saved elsewhere"
        );
        ctx.to_window.pulled.send_modify(|pulled| {
            pulled.number += 1;
            pulled.fields = changed.fields.clone();
            pulled.completed = changed.completed;
        });
    }
    Ok(changed)
}

/// The background pull: at start, then on every wake (focus, sign-in) or after
/// [`CoreConfig::pull_every`], whichever comes first. A failed pull is tried again at the next
/// turn; the sync task is the one that tells the owner the server is away.
///
/// [`CoreConfig::pull_every`]: crate::config::CoreConfig::pull_every
pub(crate) async fn pull_loop(ctx: Weak<Context>) {
    loop {
        let Some(strong) = ctx.upgrade() else {
            return;
        };
        if let Err(error) = pull_once(&strong).await {
            tracing::debug!(code = %error.code(), "nothing pulled this turn");
        }
        let wake = strong.wake.pull.clone();
        // While the server applies answers to the live assistant, its progress is followed
        // closely (a 304 is one indexed read), so "Updating Ava…" does not linger.
        let following = strong
            .drafts
            .read(|d| d.server_live.as_ref().is_some_and(|l| !l.up_to_date));
        let every = if following {
            strong.config.pull_every.min(FOLLOWING)
        } else {
            strong.config.pull_every
        };
        drop(strong);
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(every) => {}
        }
    }
}
