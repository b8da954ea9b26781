//! The session: who the app works for right now, as one value ([`Session`]: the account, and
//! with it the keychain scope of that account's credentials), and the owner of the current one
//! and of its tokens ([`Sessions`]).
//!
//! A session never changes. Signing in, signing out and switching accounts each make a new
//! one with a new epoch; the draft store follows the epoch in the same step. Work that began
//! under a session (a sync round, a renewal, creating the assistant) holds that value and
//! reads and writes the draft and the tokens only through it, so once its session has ended
//! it is refused ([`SessionError::Ended`]) instead of reading the next account's draft or
//! keys, acknowledging the next account's edits, or keeping its tokens over the next one's.
//!
//! Lock order: this owner's lock, then the draft store's (a switch runs the draft's change
//! while holding this one). The lock is held across keychain calls, never across the network.

use std::sync::{Arc, Mutex};

use secrecy::SecretString;

use crate::rules::state::Account;
use crate::store::secrets::{SecretError, SecretName, Vault};

/// Who the app works for, fixed for the life of the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    epoch: u64,
    account: Option<Account>,
}

impl Session {
    /// The account the draft belongs to: signed in, or signed out since (its edits wait for
    /// the next sign-in here); `None` before any sign-in on this computer.
    pub fn account(&self) -> Option<&Account> {
        self.account.as_ref()
    }

    /// Where this session's credentials (the Vapi key, the Twilio token) are kept.
    pub fn scope(&self) -> String {
        scope_of(self.account.as_ref())
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }
}

/// The keychain scope of an account's credentials, or of this computer's before any sign-in.
pub fn scope_of(account: Option<&Account>) -> String {
    account.map_or_else(|| "local".to_owned(), |a| format!("account-{}", a.id))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The session the work started under was replaced (signed out, or another account).
    #[error("you signed out or changed accounts while this was under way; it was stopped")]
    Ended,
    #[error(transparent)]
    Keychain(#[from] SecretError),
}

/// A sign-in's two tokens as the server issued them.
pub struct Tokens {
    pub access: SecretString,
    pub refresh: SecretString,
}

/// A token as this owner knows it. Each is read from the keychain at its first use, not at
/// open: a keychain that does not answer must not stop the app from opening, and the refresh
/// token is needed only when the access token has expired (each keychain read is D-Bus round
/// trips while the window is starting).
enum Known {
    Unread,
    Is(Option<SecretString>),
}

#[derive(Clone, Copy)]
enum Token {
    Access,
    Refresh,
}

struct Held {
    session: Arc<Session>,
    access: Known,
    refresh: Known,
}

/// The current session and its tokens. The tokens live in the keychain under this data
/// folder's scope (one sign-in per folder), and in memory as last kept.
pub struct Sessions {
    vault: Vault,
    token_scope: String,
    held: tokio::sync::Mutex<Held>,
    /// The current session, readable without waiting for a change in progress.
    current: Mutex<Arc<Session>>,
}

impl Sessions {
    /// The session of a draft bound to `account` (or to no one), with the tokens the keychain
    /// holds for this folder (`token_scope`).
    pub fn open(vault: Vault, token_scope: String, account: Option<Account>) -> Self {
        let session = Arc::new(Session { epoch: 1, account });
        Self {
            vault,
            token_scope,
            current: Mutex::new(session.clone()),
            held: tokio::sync::Mutex::new(Held {
                session,
                access: Known::Unread,
                refresh: Known::Unread,
            }),
        }
    }

    pub fn current(&self) -> Arc<Session> {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The access token of `session`, if it holds one.
    pub async fn access_token(
        &self,
        session: &Session,
    ) -> Result<Option<SecretString>, SessionError> {
        self.token_of(session, Token::Access).await
    }

    pub async fn refresh_token(
        &self,
        session: &Session,
    ) -> Result<Option<SecretString>, SessionError> {
        self.token_of(session, Token::Refresh).await
    }

    /// One of the session's tokens, read from the keychain the first time it is asked for.
    async fn token_of(
        &self,
        session: &Session,
        token: Token,
    ) -> Result<Option<SecretString>, SessionError> {
        let mut held = self.held.lock().await;
        Self::same(&held, session)?;
        let (slot, name) = match token {
            Token::Access => (&mut held.access, SecretName::SessionToken),
            Token::Refresh => (&mut held.refresh, SecretName::RefreshToken),
        };
        if let Known::Is(token) = slot {
            return Ok(token.clone());
        }
        let token = self.vault.get(&self.token_scope, name).await?;
        *slot = Known::Is(token.clone());
        Ok(token)
    }

    fn same(held: &Held, session: &Session) -> Result<(), SessionError> {
        if held.session.epoch == session.epoch {
            Ok(())
        } else {
            Err(SessionError::Ended)
        }
    }

    /// Replaces the current session with one for `account` (`tokens` from a sign-in, or none
    /// for a sign-out). `switch` runs first, with the new epoch, while the change holds this
    /// owner's lock: the draft store moves to that epoch there, so no work of the old session
    /// can reach the new draft. Then the tokens are kept, or removed.
    pub async fn replace<E: From<SessionError>>(
        &self,
        account: Option<Account>,
        tokens: Option<Tokens>,
        switch: impl FnOnce(u64) -> Result<(), E>,
    ) -> Result<Arc<Session>, E> {
        let mut held = self.held.lock().await;
        let session = Arc::new(Session {
            epoch: held.session.epoch + 1,
            account,
        });
        switch(session.epoch)?;
        // The draft already follows the new session: memory follows it too whatever the
        // keychain says, so the two never disagree; a keychain that failed is reported (the
        // tokens then last until the app quits, as with no keychain at all).
        let kept = self.keep(tokens.as_ref()).await;
        // Whatever the keychain held is replaced.
        held.access = Known::Is(tokens.as_ref().map(|t| t.access.clone()));
        held.refresh = Known::Is(tokens.map(|t| t.refresh));
        held.session = session.clone();
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = session.clone();
        kept.map_err(SessionError::from)?;
        Ok(session)
    }

    /// Writes `tokens` to the keychain, or removes this folder's when there are none.
    async fn keep(&self, tokens: Option<&Tokens>) -> Result<(), SecretError> {
        let scope = &self.token_scope;
        match tokens {
            Some(tokens) => {
                self.vault
                    .set(scope, SecretName::SessionToken, tokens.access.clone())
                    .await?;
                self.vault
                    .set(scope, SecretName::RefreshToken, tokens.refresh.clone())
                    .await
            }
            None => {
                self.vault.delete(scope, SecretName::RefreshToken).await?;
                self.vault.delete(scope, SecretName::SessionToken).await
            }
        }
    }

    /// Keeps the tokens of a renewal made for `session`, unless that session has ended since
    /// (the renewal then belongs to no one: its tokens are not kept over the new session's).
    pub async fn renewed(&self, session: &Session, tokens: Tokens) -> Result<(), SessionError> {
        let mut held = self.held.lock().await;
        Self::same(&held, session)?;
        let kept = self.keep(Some(&tokens)).await;
        held.access = Known::Is(Some(tokens.access));
        held.refresh = Known::Is(Some(tokens.refresh));
        Ok(kept?)
    }

    /// The server ended the sign-in (its refresh token is spent, revoked or expired): only
    /// signing in again helps. The refused access token stays, so the status says "sign in"
    /// rather than "saved on this computer".
    pub async fn refresh_ended(&self, session: &Session) -> Result<(), SessionError> {
        let mut held = self.held.lock().await;
        Self::same(&held, session)?;
        held.refresh = Known::Is(None);
        self.vault
            .delete(&self.token_scope, SecretName::RefreshToken)
            .await?;
        Ok(())
    }
}
