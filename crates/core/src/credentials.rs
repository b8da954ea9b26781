//! Credentials: the Vapi key and the Twilio account, checked with the provider, kept in the
//! keychain (per account) and sent to the server unless keys stay on this computer.

use ava_model::{
    AccountSid, PhoneNumber, Sensitive, StudioPatch, TwilioAuthToken, VapiApiKey, VapiMethod,
};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{CoreError, Precondition};
use crate::onboarding::{CredentialStatus, Onboarding};
use crate::secrets::SecretName;
use crate::state::{Account, Edit, TwilioPublic};

impl Onboarding {
    /// Checks the key with Vapi, keeps it in the keychain, then sends it to the server
    /// unless the user keeps keys on this computer only.
    pub async fn save_vapi_key(
        &self,
        key: impl Into<Sensitive<String>>,
        method: VapiMethod,
    ) -> Result<CredentialStatus, CoreError> {
        let key = VapiApiKey::parse(key.into().expose().trim())
            .map_err(|v| ava_model::FieldErrors::single("vapi_api_key", v))?;
        let secret = SecretString::from(key.expose().to_owned());
        self.inner.vapi.verify_key(&secret).await?;
        self.set_secret(self.secret_scope(), SecretName::VapiKey, secret)
            .await?;
        let preview = key.preview();
        self.update_draft(|draft| {
            draft.vapi_key_preview = Some(preview.clone());
            draft.forget_refusals(&["vapi_api_key"]);
            if !draft.keys_local_only {
                draft.outbox.vapi_key = Some(true);
            }
        })?;
        self.record(|a, now, c| a.vapi_configured(method, now, c))?;
        Ok(CredentialStatus {
            configured: true,
            preview: Some(preview),
            phone_number: None,
        })
    }

    pub async fn vapi_status(&self) -> Result<CredentialStatus, CoreError> {
        let key = self.get_secret(SecretName::VapiKey).await?;
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
    pub async fn delete_vapi_key(&self) -> Result<(), CoreError> {
        self.delete_secret(SecretName::VapiKey).await?;
        self.update_draft(|draft| {
            draft.vapi_key_preview = None;
            draft.outbox.vapi_key = Some(false);
        })
    }

    /// Checks the account with Twilio and that the number is one of its own, then keeps the
    /// token in the keychain and sends the settings on (unless keys stay local).
    pub async fn save_twilio(
        &self,
        account_sid: &str,
        auth_token: impl Into<Sensitive<String>>,
        phone_number: Option<&str>,
    ) -> Result<CredentialStatus, CoreError> {
        let auth_token = auth_token.into();
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
        let account = self
            .inner
            .twilio
            .verify_account(sid.as_str(), &secret)
            .await?;
        if let Some(number) = &number
            && !self
                .inner
                .twilio
                .owns_number(sid.as_str(), &secret, number.as_str())
                .await?
        {
            return Err(CoreError::Precondition(Precondition::NumberNotInAccount));
        }
        self.set_secret(self.secret_scope(), SecretName::TwilioAuthToken, secret)
            .await?;
        // Step 5 attaches this number unless the user already chose another.
        if let Some(number) = &number
            && self.inner.lock().studio.number.is_none()
        {
            self.apply(Edit::Studio(StudioPatch {
                number: ava_model::Change::Set(number.clone()),
                strategy: ava_model::Change::Set(ava_model::Strategy::Attach),
                ..StudioPatch::default()
            }));
        }
        self.update_draft(|draft| {
            draft.twilio = Some(TwilioPublic {
                account_sid: sid.as_str().to_owned(),
                phone_number: number.as_ref().map(|n| n.as_str().to_owned()),
                trial: account.kind.eq_ignore_ascii_case("trial"),
            });
            draft.forget_refusals(&["auth_token"]);
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

    pub async fn twilio_status(&self) -> Result<CredentialStatus, CoreError> {
        let token = self.get_secret(SecretName::TwilioAuthToken).await?;
        let public = self.inner.lock().twilio.clone();
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

    pub async fn delete_twilio(&self) -> Result<(), CoreError> {
        self.delete_secret(SecretName::TwilioAuthToken).await?;
        self.update_draft(|draft| {
            draft.twilio = None;
            draft.outbox.twilio = Some(false);
        })
    }

    // ---- helpers ----

    /// Secrets belong to the account (or to this computer before any sign-in).
    pub(crate) fn secret_scope(&self) -> String {
        scope_of(self.inner.lock().account.as_ref())
    }

    pub(crate) async fn get_secret(
        &self,
        name: SecretName,
    ) -> Result<Option<SecretString>, CoreError> {
        let scope = self.secret_scope();
        let secrets = self.inner.secrets.clone();
        Ok(self
            .inner
            .blocking(move || secrets.get(&scope, name))
            .await?)
    }

    pub(crate) async fn delete_secret(&self, name: SecretName) -> Result<(), CoreError> {
        let (scope, secrets) = (self.secret_scope(), self.inner.secrets.clone());
        Ok(self
            .inner
            .blocking(move || secrets.delete(&scope, name))
            .await?)
    }

    pub(crate) async fn set_secret(
        &self,
        scope: String,
        name: SecretName,
        value: SecretString,
    ) -> Result<(), CoreError> {
        let secrets = self.inner.secrets.clone();
        Ok(self
            .inner
            .blocking(move || secrets.set(&scope, name, &value))
            .await?)
    }

    pub(crate) async fn move_local_secrets(&self, from: &str, to: &str) -> Result<(), CoreError> {
        for name in [SecretName::VapiKey, SecretName::TwilioAuthToken] {
            let (secrets, from, to) = (self.inner.secrets.clone(), from.to_owned(), to.to_owned());
            self.inner
                .blocking(move || {
                    if let Some(value) = secrets.get(&from, name)? {
                        secrets.set(&to, name, &value)?;
                        secrets.delete(&from, name)?;
                    }
                    Ok(())
                })
                .await?;
        }
        Ok(())
    }
}

pub(crate) fn scope_of(account: Option<&Account>) -> String {
    account.map_or_else(|| "local".to_owned(), |a| format!("account-{}", a.id))
}
