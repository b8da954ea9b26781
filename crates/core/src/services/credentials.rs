//! Credentials: the Vapi key and the Twilio account, checked with the provider, kept in the
//! keychain under the current session's scope and sent to the server unless keys stay on this
//! computer. A check that outlives its session (the owner signed out meanwhile) keeps nothing.

use ava_model::{
    AccountSid, FormField, PhoneNumber, Sensitive, StudioPatch, TwilioAuthToken, VapiApiKey,
    VapiMethod,
};
use secrecy::{ExposeSecret, SecretString};

use crate::context::Context;
use crate::error::{CoreError, Precondition};
use crate::rules::state::{Edit, TwilioPublic};
use crate::services::wizard;
use crate::store::secrets::SecretName;

/// Configured or not, and what may be shown of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CredentialStatus {
    pub configured: bool,
    pub preview: Option<String>,
    pub phone_number: Option<String>,
}

/// Checks the key with Vapi, keeps it in the keychain, then sends it to the server unless the
/// user keeps keys on this computer only.
pub(crate) async fn save_vapi_key(
    ctx: &Context,
    key: Sensitive<String>,
    method: VapiMethod,
) -> Result<CredentialStatus, CoreError> {
    let key = VapiApiKey::parse(key.expose().trim())
        .map_err(|v| ava_model::FieldErrors::single("vapi_api_key", v))?;
    let secret = SecretString::from(key.expose().to_owned());
    let session = ctx.sessions.current();
    ctx.providers.vapi.verify_key(&secret).await?;
    // Kept only if the session it was entered for is still the current one.
    ctx.drafts.read_in(&session, |_| ())?;
    ctx.vault
        .set(&session.scope(), SecretName::VapiKey, secret)
        .await?;
    let preview = key.preview();
    wizard::change_draft_in(ctx, &session, |draft| {
        draft.vapi_key_preview = Some(preview.clone());
        draft.forget_refusals(&[FormField::VapiApiKey.into()]);
        if !draft.keys_local_only {
            draft.outbox.vapi_key = Some(true);
        }
    })?;
    wizard::record_in(ctx, &session, |a, now, c| a.vapi_configured(method, now, c))?;
    Ok(CredentialStatus {
        configured: true,
        preview: Some(preview),
        phone_number: None,
    })
}

pub(crate) async fn vapi_status(ctx: &Context) -> Result<CredentialStatus, CoreError> {
    let scope = ctx.sessions.current().scope();
    let key = ctx.vault.get(&scope, SecretName::VapiKey).await?;
    let preview = key.map(|k| {
        VapiApiKey::parse(k.expose_secret())
            .map(|k| k.preview())
            .unwrap_or_default()
    });
    Ok(CredentialStatus {
        configured: preview.is_some(),
        preview,
        phone_number: None,
    })
}

/// Removes the key here and (through the outbox) from the server.
pub(crate) async fn delete_vapi_key(ctx: &Context) -> Result<(), CoreError> {
    forget_secret(ctx, SecretName::VapiKey, |draft| {
        draft.vapi_key_preview = None;
        draft.outbox.vapi_key = Some(false);
    })
    .await
}

/// Removes a secret from this session's keychain, then what the draft says of it.
async fn forget_secret(
    ctx: &Context,
    name: SecretName,
    forget: impl FnOnce(&mut crate::rules::state::Draft),
) -> Result<(), CoreError> {
    let session = ctx.sessions.current();
    ctx.vault.delete(&session.scope(), name).await?;
    wizard::change_draft_in(ctx, &session, forget)
}

/// Checks the account with Twilio and that the number is one of its own, then keeps the token
/// in the keychain and sends the settings on (unless keys stay local).
pub(crate) async fn save_twilio(
    ctx: &Context,
    account_sid: &str,
    auth_token: Sensitive<String>,
    phone_number: Option<&str>,
) -> Result<CredentialStatus, CoreError> {
    let mut errors = Vec::new();
    let sid = AccountSid::parse(account_sid.trim())
        .map_err(|v| errors.push(ava_model::FieldError::new("account_sid", v)));
    let token = TwilioAuthToken::parse(auth_token.expose().trim())
        .map_err(|v| errors.push(ava_model::FieldError::new("auth_token", v)));
    let number = phone_number
        .filter(|n| !n.trim().is_empty())
        .map(|n| PhoneNumber::normalize(n, None))
        .transpose()
        .map_err(|v| errors.push(ava_model::FieldError::new("phone_number", v)));
    let (Ok(sid), Ok(token), Ok(number)) = (sid, token, number) else {
        return Err(ava_model::FieldErrors(errors).into());
    };
    let secret = SecretString::from(token.expose().to_owned());
    let session = ctx.sessions.current();
    let account = ctx
        .providers
        .twilio
        .verify_account(sid.as_str(), &secret)
        .await?;
    if let Some(number) = &number
        && !ctx
            .providers
            .twilio
            .owns_number(sid.as_str(), &secret, number.as_str())
            .await?
    {
        return Err(CoreError::Precondition(Precondition::NumberNotInAccount));
    }
    ctx.drafts.read_in(&session, |_| ())?;
    ctx.vault
        .set(&session.scope(), SecretName::TwilioAuthToken, secret)
        .await?;
    wizard::change_draft_in(ctx, &session, |draft| {
        // Step 5 attaches this number unless the user already chose another.
        if let Some(number) = &number
            && draft.studio.number.is_none()
        {
            draft.apply(Edit::Studio(StudioPatch {
                number: ava_model::Change::Set(number.clone()),
                strategy: ava_model::Change::Set(ava_model::Strategy::Attach),
                ..StudioPatch::default()
            }));
        }
        draft.twilio = Some(TwilioPublic {
            account_sid: sid.as_str().to_owned(),
            phone_number: number.as_ref().map(|n| n.as_str().to_owned()),
            trial: account.kind.eq_ignore_ascii_case("trial"),
        });
        draft.forget_refusals(&[FormField::AuthToken.into()]);
        if !draft.keys_local_only {
            draft.outbox.twilio = Some(true);
        }
    })?;
    Ok(CredentialStatus {
        configured: true,
        preview: Some(sid.preview()),
        phone_number: number.map(String::from),
    })
}

pub(crate) async fn twilio_status(ctx: &Context) -> Result<CredentialStatus, CoreError> {
    let scope = ctx.sessions.current().scope();
    let token = ctx.vault.get(&scope, SecretName::TwilioAuthToken).await?;
    let public = ctx.drafts.read(|d| d.twilio.clone());
    Ok(match (token, public) {
        (Some(_), Some(public)) => CredentialStatus {
            configured: true,
            preview: AccountSid::parse(&public.account_sid)
                .ok()
                .map(|s| s.preview()),
            phone_number: public.phone_number,
        },
        _ => CredentialStatus {
            configured: false,
            preview: None,
            phone_number: None,
        },
    })
}

pub(crate) async fn delete_twilio(ctx: &Context) -> Result<(), CoreError> {
    forget_secret(ctx, SecretName::TwilioAuthToken, |draft| {
        draft.twilio = None;
        draft.outbox.twilio = Some(false);
    })
    .await
}

/// The Vapi key of `scope`, or what is missing.
pub(crate) async fn vapi_key(ctx: &Context, scope: &str) -> Result<SecretString, CoreError> {
    ctx.vault
        .get(scope, SecretName::VapiKey)
        .await?
        .ok_or(CoreError::Precondition(Precondition::VapiKeyMissing))
}
