//! Accounts: signing up, in and out, the session's silent renewal, and one draft per account
//! on a shared computer. Each of these replaces the session ([`crate::store::session`]) and,
//! in the same step, the draft store's epoch, so work of the old session is refused.

use ava_model::{Email, Password, Sensitive};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::api::ApiError;
use crate::context::Context;
use crate::error::CoreError;
use crate::rules::state::Account;
use crate::services::wizard;
use crate::store::session::{Session, Tokens};

/// Secrets arrive wrapped ([`Sensitive`]) so that no `Debug` of an argument shows them.
pub(crate) async fn sign_up(
    ctx: &Context,
    email: &str,
    password: Sensitive<String>,
) -> Result<Account, CoreError> {
    let email = Email::parse(email).map_err(|v| ava_model::FieldErrors::single("email", v))?;
    let password = Password::parse(password.expose())
        .map_err(|v| ava_model::FieldErrors::single("password", v))?;
    let signed_up = ctx
        .api
        .register(
            email.as_str(),
            &SecretString::from(password.expose().to_owned()),
            crate::device::this_computer().as_ref(),
        )
        .await?;
    start_session(ctx, signed_up).await
}

pub(crate) async fn sign_in(
    ctx: &Context,
    email: &str,
    password: Sensitive<String>,
) -> Result<Account, CoreError> {
    let password = SecretString::from(password.expose().clone());
    let signed_in = ctx
        .api
        .login(
            email.trim(),
            &password,
            crate::device::this_computer().as_ref(),
        )
        .await?;
    start_session(ctx, signed_in).await
}

/// Binds the draft to the account (on a computer that has never seen it, the server's state
/// is pulled under the edits made before) and keeps the tokens: one new session.
pub(crate) async fn start_session(
    ctx: &Context,
    signed_in: ava_model::AuthSession,
) -> Result<Account, CoreError> {
    let access = SecretString::from(signed_in.access_token.clone());
    let account = Account {
        id: signed_in.user.id,
        email: signed_in.user.email.clone(),
    };
    let before = ctx.sessions.current();
    let previous = before.account().cloned();
    let switching = previous.as_ref().is_none_or(|a| a.id != account.id);
    let me = if switching {
        Some(ctx.api.me(&access).await?)
    } else {
        None
    };
    if previous.is_none() {
        // Keys entered before the first sign-in become this account's.
        let to = crate::store::session::scope_of(Some(&account));
        ctx.vault.move_credentials(&before.scope(), &to).await?;
    }
    let tokens = Tokens {
        access,
        refresh: SecretString::from(signed_in.refresh_token.clone()),
    };
    ctx.sessions
        .replace(Some(account.clone()), Some(tokens), |epoch| {
            ctx.drafts
                .enter(epoch, |draft| {
                    if let Some(me) = &me {
                        if let Some(previous) = &previous {
                            // Another account's draft is not carried over to this one: it is
                            // kept aside, unsent edits included, until that account signs in here
                            // again.
                            ctx.drafts.stash(previous.id, draft)?;
                            *draft = ctx.drafts.unstash(account.id)?.unwrap_or_default();
                        }
                        draft.adopt_server(me);
                    }
                    Ok(())
                })
                .map_err(CoreError::from)
        })
        .await?;
    wizard::outbox_changed(ctx);
    ctx.wake.live.notify_one();
    // The same account again on this computer: what other computers saved meanwhile.
    ctx.wake.pull.notify_one();
    wizard::begin(ctx)?;
    Ok(account)
}

/// Forgets the session here and, when the server can be reached, ends it there too (an
/// unreachable server only means its refresh token runs out by itself). The draft stays bound
/// to the account, its unsent edits waiting for the next sign-in on this computer.
pub(crate) async fn sign_out(ctx: &Context) -> Result<(), CoreError> {
    // No renewal runs during a sign-out, nor after it with the old token.
    let _no_renewal = ctx.turns.renewing.lock().await;
    let session = ctx.sessions.current();
    if let Some(refresh) = ctx.sessions.refresh_token(&session).await?
        && let Err(error) = ctx.api.logout(&refresh).await
    {
        tracing::info!(code = %error.code(), "sign-out not confirmed by the server");
    }
    ctx.sessions
        .replace(session.account().cloned(), None, |epoch| {
            ctx.drafts.enter(epoch, |_| Ok(())).map_err(CoreError::from)
        })
        .await?;
    ctx.status.change(|s| {
        s.state = ava_ipc::SyncState::SavedLocally;
        s.error = None;
    });
    ctx.wake.sync.notify_one();
    Ok(())
}

/// After `refused` was turned away (expired, or signed with a retired key): a renewed access
/// token for `session`, or `None` when no refresh token is left. A refresh token the server
/// turns down is forgotten and its refusal returned (`SignInRequired` with the server's code,
/// so a sign-in ended for safety is told as such). Network trouble is an error (retried with
/// backoff), never a reason to forget the session.
pub(crate) async fn renew_session(
    ctx: &Context,
    session: &Session,
    refused: &SecretString,
) -> Result<Option<SecretString>, CoreError> {
    let _one_at_a_time = ctx.turns.renewing.lock().await;
    match ctx.sessions.access_token(session).await? {
        None => return Ok(None),
        // Renewed by someone else while this one waited.
        Some(current) if current.expose_secret() != refused.expose_secret() => {
            return Ok(Some(current));
        }
        Some(_) => {}
    }
    let Some(refresh) = ctx.sessions.refresh_token(session).await? else {
        return Ok(None);
    };
    match ctx.api.refresh(&refresh).await {
        Ok(renewed) => {
            let access = SecretString::from(renewed.access_token);
            let tokens = Tokens {
                access: access.clone(),
                refresh: SecretString::from(renewed.refresh_token),
            };
            ctx.sessions.renewed(session, tokens).await?;
            Ok(Some(access))
        }
        Err(ApiError::SignInRequired { code, message }) => {
            // Spent, revoked or expired for good (ended from another computer, by a new
            // password, or for safety): the pill says "Sign in to sync" now, whichever work
            // found out (a pull finds out with nothing to send).
            ctx.sessions.refresh_ended(session).await?;
            let told = match code {
                ava_model::ErrorCode::RefreshTokenReused => code.clone(),
                _ => ava_model::ErrorCode::SignInRequired,
            };
            if ctx.drafts.read_in(session, |_| ()).is_ok() {
                ctx.status.change(|s| {
                    s.state = ava_ipc::SyncState::SignInRequired;
                    s.error = Some(ava_model::UiError::new(told, &message));
                });
            }
            Err(ApiError::SignInRequired { code, message }.into())
        }
        Err(error) => Err(error.into()),
    }
}

/// The user id an access token names (its JWT `sub`), read without checking the signature:
/// the server checks that; this only tells which account the token was issued to.
pub(crate) fn token_subject(token: &SecretString) -> Option<i64> {
    use base64::Engine;
    let payload = token.expose_secret().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims["sub"].as_str()?.parse().ok()
}
