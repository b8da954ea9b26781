//! Accounts: signing up, in and out, the session's tokens in the keychain (renewed silently),
//! and one draft per account on a shared computer.

use ava_model::{Email, Password, Sensitive};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::api::ApiError;
use crate::credentials::scope_of;
use crate::draft::DraftFile;
use crate::error::CoreError;
use crate::onboarding::{Inner, Onboarding, SyncState};
use crate::secrets::SecretName;
use crate::state::{Account, Draft};

impl Onboarding {
    /// Secrets arrive wrapped ([`Sensitive`]) so that no `Debug` of an argument shows them.
    pub async fn sign_up(
        &self,
        email: &str,
        password: impl Into<Sensitive<String>>,
    ) -> Result<Account, CoreError> {
        let email = Email::parse(email).map_err(|v| ava_model::FieldErrors::single("email", v))?;
        let password = Password::parse(password.into().expose())
            .map_err(|v| ava_model::FieldErrors::single("password", v))?;
        let session = self
            .inner
            .api
            .register(
                email.as_str(),
                &SecretString::from(password.expose().to_owned()),
            )
            .await?;
        self.start_session(session).await
    }

    pub async fn sign_in(
        &self,
        email: &str,
        password: impl Into<Sensitive<String>>,
    ) -> Result<Account, CoreError> {
        let password = SecretString::from(password.into().expose().clone());
        let session = self.inner.api.login(email.trim(), &password).await?;
        self.start_session(session).await
    }

    /// Keeps the token in the keychain, binds the draft to the account and, on a computer
    /// that has never seen it, pulls the server's state under any edits made before.
    async fn start_session(&self, session: ava_model::AuthSession) -> Result<Account, CoreError> {
        let token = SecretString::from(session.access_token.clone());
        let account = Account {
            id: session.user.id,
            email: session.user.email.clone(),
        };
        let previous_account = self.inner.lock().account.clone();
        let switching = previous_account.as_ref().is_none_or(|a| a.id != account.id);
        // The draft is bound to the new account (and its secrets moved) before the token is
        // kept: until then the sync task has no token to send with, so it can neither send one
        // account's outbox with another's token nor acknowledge edits that `me` predates.
        if switching {
            let me = self.inner.api.me(&token).await?;
            let local_scope = scope_of(previous_account.as_ref());
            {
                let mut draft = self.inner.lock();
                if let Some(previous) = &previous_account {
                    // Another account's draft is not carried over to this one: it is kept
                    // aside, unsent edits included, until that account signs in here again.
                    self.inner.stash(previous.id, &draft)?;
                    *draft = self.inner.unstash(account.id)?.unwrap_or_default();
                }
                draft.adopt_server(&me);
                self.inner.autosaver.changed(&draft);
            }
            if previous_account.is_none() {
                self.move_local_secrets(&local_scope, &scope_of(Some(&account)))
                    .await?;
            }
        }
        self.inner.keep_session(&session).await?;
        self.begin()?;
        Ok(account)
    }

    /// Forgets the session here and, when the server can be reached, ends it there too (an
    /// unreachable server only means its refresh token runs out by itself).
    pub async fn sign_out(&self) -> Result<(), CoreError> {
        let scope = self.inner.session_scope.clone();
        let secrets = self.inner.secrets.clone();
        let refresh = {
            let (secrets, scope) = (secrets.clone(), scope.clone());
            self.inner
                .blocking(move || secrets.get(&scope, SecretName::RefreshToken))
                .await?
        };
        if let Some(refresh) = refresh
            && let Err(error) = self.inner.api.logout(&refresh).await
        {
            tracing::info!(code = %error.code(), "sign-out not confirmed by the server");
        }
        self.inner
            .blocking(move || {
                secrets.delete(&scope, SecretName::RefreshToken)?;
                secrets.delete(&scope, SecretName::SessionToken)
            })
            .await?;
        self.inner.status.send_modify(|s| {
            s.state = SyncState::SavedLocally;
            s.revision += 1;
        });
        Ok(())
    }

    pub(crate) async fn session_token(&self) -> Result<Option<SecretString>, CoreError> {
        self.inner.session_token().await
    }
}

impl Inner {
    pub(crate) async fn session_token(&self) -> Result<Option<SecretString>, CoreError> {
        let (secrets, scope) = (self.secrets.clone(), self.session_scope.clone());
        Ok(self
            .blocking(move || secrets.get(&scope, SecretName::SessionToken))
            .await?)
    }

    pub(crate) fn stash_file(&self, account_id: i64) -> DraftFile {
        DraftFile::new(
            self.config
                .data_dir
                .join("accounts")
                .join(account_id.to_string()),
        )
    }

    /// Keeps an account's draft aside while another account uses this computer.
    pub(crate) fn stash(&self, account_id: i64, draft: &Draft) -> Result<(), CoreError> {
        self.stash_file(account_id).save(draft)?;
        Ok(())
    }

    /// The draft an account left here, taken back (the stash is removed once in use).
    pub(crate) fn unstash(&self, account_id: i64) -> Result<Option<Draft>, CoreError> {
        let file = self.stash_file(account_id);
        if !file.path().exists() {
            return Ok(None);
        }
        let (draft, _) = file.load()?;
        let _ = std::fs::remove_dir_all(file.dir());
        Ok(Some(draft))
    }

    pub(crate) async fn has_refresh_token(&self) -> Result<bool, CoreError> {
        let (secrets, scope) = (self.secrets.clone(), self.session_scope.clone());
        Ok(self
            .blocking(move || secrets.get(&scope, SecretName::RefreshToken))
            .await?
            .is_some())
    }

    /// Both tokens of a sign-in or a renewal, in the keychain.
    pub(crate) async fn keep_session(
        &self,
        session: &ava_model::AuthSession,
    ) -> Result<(), CoreError> {
        let (secrets, scope) = (self.secrets.clone(), self.session_scope.clone());
        let access = SecretString::from(session.access_token.clone());
        let refresh = SecretString::from(session.refresh_token.clone());
        Ok(self
            .blocking(move || {
                secrets.set(&scope, SecretName::SessionToken, &access)?;
                secrets.set(&scope, SecretName::RefreshToken, &refresh)
            })
            .await?)
    }

    /// After `refused` was turned away (expired, or signed with a retired key): a renewed
    /// access token, or `None` when only signing in again will do. Network trouble is an error
    /// (retried with backoff), never a reason to forget the session.
    pub(crate) async fn renew_session(
        &self,
        refused: &SecretString,
    ) -> Result<Option<SecretString>, CoreError> {
        let _one_at_a_time = self.refreshing.lock().await;
        match self.session_token().await? {
            None => return Ok(None),
            // Renewed by someone else while this one waited.
            Some(current) if current.expose_secret() != refused.expose_secret() => {
                return Ok(Some(current));
            }
            Some(_) => {}
        }
        let (secrets, scope) = (self.secrets.clone(), self.session_scope.clone());
        let Some(refresh) = self
            .blocking(move || secrets.get(&scope, SecretName::RefreshToken))
            .await?
        else {
            return Ok(None);
        };
        match self.api.refresh(&refresh).await {
            Ok(session) => {
                self.keep_session(&session).await?;
                Ok(Some(SecretString::from(session.access_token)))
            }
            Err(ApiError::SignInRequired(_)) => {
                // Spent, revoked or expired for good: drop it, keep the (refused) access
                // token so the status says "sign in" rather than "saved on this computer".
                let (secrets, scope) = (self.secrets.clone(), self.session_scope.clone());
                self.blocking(move || secrets.delete(&scope, SecretName::RefreshToken))
                    .await?;
                Ok(None)
            }
            Err(error) => Err(error.into()),
        }
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
