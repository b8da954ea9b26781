//! The keychain on Linux: the Secret Service (gnome-keyring, KWallet) over one D-Bus connection
//! and one encrypted session per [`super::secrets::Keychain`], kept for the life of the app.
//!
//! Why not through `keyring` as on macOS and Windows: keyring 3 connects, negotiates a
//! Diffie-Hellman session and disconnects for every operation (two connections for a write).
//! gnome-keyring registers a new client lazily and aborts when a session request arrives from a
//! client it has not registered yet or has already forgotten (`gkd_secret_service_get_pkcs11_session:
//! assertion 'client' failed`, then SIGABRT; reported against Zed, omamail and others using the
//! same pattern). We saw it here: `tests/keychain-stress.sh` killed gnome-keyring 42.1 after
//! about 180 short-lived app processes, and once in CI; the restarted daemon then asked for the
//! keyring password, which no one answers. One connection per app makes one session request per
//! start instead of one or two per call (21 for 12 calls, counted on the bus by
//! `tests/secret_service.rs`), and one Diffie-Hellman exchange instead of as many.
//!
//! Items keep the attributes keyring 3 gave them (`target`, `service`, `username`,
//! `application`), so secrets saved by earlier builds are found and replaced, not duplicated.

use std::collections::HashMap;
use std::sync::Mutex;

pub use dbus_secret_service::Error;
use dbus_secret_service::{EncryptionType, Item, SecretService};

use crate::config::KEYCHAIN_PROMPT_SECONDS as PROMPT_SECONDS;

/// Every item's collection, as keyring 3 named it: the default collection.
const TARGET: &str = "default";

pub struct SecretServiceStore {
    service: String,
    /// `None` until the first call, and again after the connection was found dead. The mutex
    /// also keeps the calls of one app in order: the session is not meant for concurrent use.
    connection: Mutex<Option<SecretService>>,
}

impl SecretServiceStore {
    pub fn new(service: &str) -> Self {
        Self {
            service: service.to_owned(),
            connection: Mutex::new(None),
        }
    }

    fn attributes<'a>(&'a self, account: &'a str) -> HashMap<&'a str, &'a str> {
        HashMap::from([
            ("target", TARGET),
            ("service", self.service.as_str()),
            ("username", account),
        ])
    }

    /// Runs `call` on the live connection. A D-Bus failure may mean the keyring daemon was
    /// restarted under us (its sessions die with it): the call is tried once more on a new
    /// connection. Every call here is safe to repeat (a write replaces, a delete of nothing
    /// succeeds).
    fn with_connection<T>(
        &self,
        call: impl Fn(&SecretService) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut slot = self.connection.lock().unwrap_or_else(|p| p.into_inner());
        let mut fresh = false;
        loop {
            let connection = match slot.as_ref() {
                Some(connection) => connection,
                None => {
                    fresh = true;
                    slot.insert(SecretService::connect_with_max_prompt_timeout(
                        EncryptionType::Dh,
                        PROMPT_SECONDS,
                    )?)
                }
            };
            match call(connection) {
                Err(Error::Dbus(error)) if !fresh => {
                    tracing::info!(
                        error = error.name().unwrap_or_default(),
                        "the Secret Service connection failed; connecting again"
                    );
                    *slot = None;
                }
                result => return result,
            }
        }
    }

    pub fn get(&self, account: &str) -> Result<Option<String>, Error> {
        self.with_connection(|ss| {
            let Some(item) = unique_item(ss, self.attributes(account))? else {
                return Ok(None);
            };
            let bytes = item.get_secret()?;
            String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| Error::UnsupportedSecretFormat)
        })
    }

    pub fn set(&self, account: &str, secret: &str) -> Result<(), Error> {
        self.with_connection(|ss| {
            if let Some(item) = unique_item(ss, self.attributes(account))? {
                return item.set_secret(secret.as_bytes(), "text/plain");
            }
            let collection = ss.get_default_collection()?;
            collection.ensure_unlocked()?;
            let mut attributes = self.attributes(account);
            attributes.insert("application", "rust-keyring");
            collection.create_item(
                &format!("Ava ({}): {account}", self.service),
                attributes,
                secret.as_bytes(),
                true,
                "text/plain",
            )?;
            Ok(())
        })
    }

    pub fn delete(&self, account: &str) -> Result<(), Error> {
        self.with_connection(|ss| {
            let found = ss.search_items(self.attributes(account))?;
            for item in found.unlocked.iter().chain(&found.locked) {
                item.ensure_unlocked()?;
                item.delete()?;
            }
            Ok(())
        })
    }
}

/// The item for these attributes, unlocked. We never make two (`create_item` replaces an item
/// with the same attributes); should another tool have, the first found is the one used.
fn unique_item<'a>(
    ss: &'a SecretService,
    attributes: HashMap<&str, &str>,
) -> Result<Option<Item<'a>>, Error> {
    let found = ss.search_items(attributes)?;
    let Some(item) = found.unlocked.into_iter().chain(found.locked).next() else {
        return Ok(None);
    };
    item.ensure_unlocked()?;
    Ok(Some(item))
}
