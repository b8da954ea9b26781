//! The account's life from this computer: a forgotten password, a new password or address,
//! the other computers signed in, the export and the deletion (api.md, "The account's life").
//! What the server decides stays there; here are the sign-in that follows a reset or a new
//! password, and what deleting the account leaves (nothing of it) on this computer.

use std::future::Future;
use std::path::Path;

use ava_model::{
    DeletionReceipt, Email, EmailStatus, FieldErrors, OneTimeCode, Password, Sensitive,
    VapiAssistantsOnDeletion, Violation,
};
use secrecy::SecretString;
use serde_json::Value;

use ava_ipc::{AccountOverview, SignInView};

use crate::api::ApiError;
use crate::context::Context;
use crate::device::this_computer;
use crate::error::CoreError;
use crate::rules::state::Account;
use crate::services::accounts::{renew_session, start_session};
use crate::store::secrets::SecretName;

/// Runs `call` with the session's access token, renewed once if the server turned it away.
async fn signed_in<T, F, Fut>(ctx: &Context, call: F) -> Result<T, CoreError>
where
    F: Fn(SecretString) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let session = ctx.sessions.current();
    let Some(token) = ctx.sessions.access_token(&session).await? else {
        return Err(ApiError::SignInRequired {
            code: ava_model::ErrorCode::SignInRequired,
            message: "sign in to manage the account".to_owned(),
        }
        .into());
    };
    match call(token.clone()).await {
        Err(ApiError::SignInRequired { code, message }) => {
            match renew_session(ctx, &session, &token).await? {
                Some(renewed) => Ok(call(renewed).await?),
                None => Err(ApiError::SignInRequired { code, message }.into()),
            }
        }
        other => Ok(other?),
    }
}

fn field(name: &str, violation: Violation) -> CoreError {
    FieldErrors::single(name, violation).into()
}

fn code(typed: &str) -> Result<OneTimeCode, CoreError> {
    OneTimeCode::parse(typed).map_err(|v| field("code", v))
}

fn new_password(typed: &Sensitive<String>, name: &str) -> Result<SecretString, CoreError> {
    let password = Password::parse(typed.expose()).map_err(|v| field(name, v))?;
    Ok(SecretString::from(password.expose().to_owned()))
}

/// Asks the server to mail a reset code. The answer is the same whether an account uses the
/// address or not, so the window says "if an account uses it".
pub(crate) async fn ask_password_reset(ctx: &Context, email: &str) -> Result<(), CoreError> {
    let email = Email::parse(email.trim()).map_err(|v| field("email", v))?;
    Ok(ctx.api.password_reset(email.as_str()).await?)
}

/// The mailed code and a new password: this computer is signed in (every other sign-in of the
/// account ended on the server).
pub(crate) async fn reset_password(
    ctx: &Context,
    email: &str,
    typed_code: &str,
    password: Sensitive<String>,
) -> Result<Account, CoreError> {
    let code = code(typed_code)?;
    let password = new_password(&password, "new_password")?;
    let signed_in = ctx
        .api
        .password_reset_confirm(
            email.trim(),
            code.digits(),
            &password,
            this_computer().as_ref(),
        )
        .await?;
    start_session(ctx, signed_in).await
}

/// A new password; this computer keeps its place with the new sign-in the server gives it.
pub(crate) async fn change_password(
    ctx: &Context,
    current: Sensitive<String>,
    new: Sensitive<String>,
) -> Result<(), CoreError> {
    if current.expose().is_empty() {
        return Err(field("current_password", Violation::Required));
    }
    let new = new_password(&new, "new_password")?;
    let current = SecretString::from(current.expose().clone());
    let signed_in = signed_in(ctx, |token| {
        let (current, new) = (current.clone(), new.clone());
        async move { ctx.api.change_password(&token, &current, &new).await }
    })
    .await?;
    start_session(ctx, signed_in).await.map(drop)
}

pub(crate) async fn account_overview(ctx: &Context) -> Result<AccountOverview, CoreError> {
    let me = signed_in(ctx, |token| async move { ctx.api.me(&token).await }).await?;
    let sign_ins = signed_in(ctx, |token| async move { ctx.api.sign_ins(&token).await }).await?;
    Ok(AccountOverview {
        email: me.email,
        email_verified: me.email_verified,
        sign_ins: sign_ins.into_iter().map(Into::into).collect(),
    })
}

pub(crate) async fn send_confirmation(ctx: &Context) -> Result<(), CoreError> {
    signed_in(ctx, |token| async move {
        ctx.api.resend_verification(&token).await
    })
    .await
}

/// A code from the mail: confirms the address, or switches to the new one.
pub(crate) async fn confirm_email(ctx: &Context, typed: &str) -> Result<EmailStatus, CoreError> {
    let code = code(typed)?;
    let status = signed_in(ctx, |token| {
        let code = code.clone();
        async move { ctx.api.verify_email(&token, code.digits()).await }
    })
    .await?;
    // The address is part of the account this computer shows: it is read again.
    ctx.wake.pull.notify_one();
    Ok(status)
}

pub(crate) async fn change_email(
    ctx: &Context,
    new_email: &str,
    password: Sensitive<String>,
) -> Result<(), CoreError> {
    let new_email = Email::parse(new_email.trim()).map_err(|v| field("new_email", v))?;
    if password.expose().is_empty() {
        return Err(field("password", Violation::Required));
    }
    let password = SecretString::from(password.expose().clone());
    signed_in(ctx, |token| {
        let password = password.clone();
        let new_email = new_email.as_str().to_owned();
        async move { ctx.api.change_email(&token, &new_email, &password).await }
    })
    .await
}

/// Ends another computer's sign-in (or, with `all_others`, every one but this).
pub(crate) async fn end_sign_ins(
    ctx: &Context,
    id: Option<&str>,
) -> Result<AccountOverview, CoreError> {
    let overview = account_overview(ctx).await?;
    let ending: Vec<&SignInView> = overview
        .sign_ins
        .iter()
        .filter(|s| !s.current && id.is_none_or(|id| s.id == id))
        .collect();
    for sign_in in ending {
        signed_in(ctx, |token| {
            let id = sign_in.id.clone();
            async move { ctx.api.end_sign_in(&token, &id).await }
        })
        .await?;
    }
    account_overview(ctx).await
}

/// Everything the server holds about the account, written to `path` (a file the owner chose;
/// none when they closed the save dialog, and then nothing is asked of the server).
pub(crate) async fn export_to(
    ctx: &Context,
    path: Option<&Path>,
) -> Result<ava_ipc::ExportSaved, CoreError> {
    let Some(path) = path else {
        return Ok(ava_ipc::ExportSaved { path: None });
    };
    write_export(ctx, path).await?;
    Ok(ava_ipc::ExportSaved {
        path: Some(path.display().to_string()),
    })
}

/// Written whole or not at all: a temporary file beside it, then a rename.
async fn write_export(ctx: &Context, path: &Path) -> Result<(), CoreError> {
    let document: Value =
        signed_in(ctx, |token| async move { ctx.api.export(&token).await }).await?;
    let bytes = serde_json::to_vec_pretty(&document).unwrap_or_default();
    let partial = path.with_extension("json.partial");
    let written = std::fs::write(&partial, &bytes).and_then(|()| std::fs::rename(&partial, path));
    written.map_err(|source| {
        let _ = std::fs::remove_file(&partial);
        CoreError::Draft(crate::store::draft::DraftError::Write {
            path: path.to_path_buf(),
            source,
        })
    })
}

/// Deletes the account on the server, then everything of it on this computer: its draft
/// (unsent edits included: there is no account left to send them to), its keychain items and
/// its tokens. The window goes back to the account screen.
pub(crate) async fn delete_account(
    ctx: &Context,
    password: Sensitive<String>,
    vapi_assistants: VapiAssistantsOnDeletion,
) -> Result<DeletionReceipt, CoreError> {
    if password.expose().is_empty() {
        return Err(field("password", Violation::Required));
    }
    let password = SecretString::from(password.expose().clone());
    let session = ctx.sessions.current();
    let receipt = signed_in(ctx, |token| {
        let password = password.clone();
        async move {
            ctx.api
                .delete_account(&token, &password, vapi_assistants)
                .await
        }
    })
    .await?;
    let scope = session.scope();
    for name in [SecretName::VapiKey, SecretName::TwilioAuthToken] {
        if let Err(error) = ctx.vault.delete(&scope, name).await {
            tracing::warn!(%error, "a deleted account's keychain item could not be removed");
        }
    }
    if let Some(account) = session.account() {
        ctx.drafts.forget_stash(account.id);
    }
    ctx.sessions
        .replace(None, None, |epoch| {
            ctx.drafts
                .enter(epoch, |draft| {
                    *draft = Default::default();
                    Ok(())
                })
                .map_err(CoreError::from)
        })
        .await?;
    ctx.status.change(|s| {
        s.state = ava_ipc::SyncState::SavedLocally;
        s.error = None;
    });
    Ok(receipt)
}
