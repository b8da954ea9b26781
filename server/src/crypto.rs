//! Secrets at rest: AES-256-GCM with a random 96-bit nonce per write, stored as base64 of
//! nonce ‖ ciphertext ‖ tag beside the id of the key that sealed it. The associated data binds
//! each ciphertext to its user and column, so a row copied elsewhere does not decrypt.

use std::collections::HashMap;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::config::{Config, EncryptionKey};

const NONCE_LEN: usize = 12;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UnsealError {
    #[error("it was sealed with key {0}, which this server no longer has")]
    UnknownKey(String),
    #[error("it is damaged or was altered")]
    Tampered,
}

pub struct Sealed {
    pub ciphertext: String,
    pub key_id: String,
}

pub struct SecretSealer {
    current_id: String,
    ciphers: HashMap<String, Aes256Gcm>,
}

/// A short public fingerprint of a key: enough to pick the right key, useless to an attacker.
fn key_id(key: &EncryptionKey) -> String {
    let digest = Sha256::digest(key.expose_secret());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

fn cipher(key: &EncryptionKey) -> Aes256Gcm {
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.expose_secret()))
}

impl SecretSealer {
    pub fn new(config: &Config) -> Self {
        let current_id = key_id(&config.encryption_key);
        let mut ciphers = HashMap::new();
        for key in &config.retired_encryption_keys {
            ciphers.insert(key_id(key), cipher(key));
        }
        ciphers.insert(current_id.clone(), cipher(&config.encryption_key));
        Self {
            current_id,
            ciphers,
        }
    }

    pub fn current_key_id(&self) -> &str {
        &self.current_id
    }

    /// `context` names the column and user (`"vapi_api_key:42"`).
    pub fn seal(&self, plaintext: &str, context: &str) -> Sealed {
        let cipher = &self.ciphers[&self.current_id];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: context.as_bytes(),
        };
        // Encryption of an in-memory buffer with a valid key cannot fail.
        let sealed = cipher.encrypt(&nonce, payload).unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Sealed {
            ciphertext: BASE64.encode(bytes),
            key_id: self.current_id.clone(),
        }
    }

    pub fn unseal(
        &self,
        ciphertext: &str,
        key_id: &str,
        context: &str,
    ) -> Result<SecretString, UnsealError> {
        let cipher = self
            .ciphers
            .get(key_id)
            .ok_or_else(|| UnsealError::UnknownKey(key_id.to_owned()))?;
        let bytes = BASE64
            .decode(ciphertext)
            .map_err(|_| UnsealError::Tampered)?;
        if bytes.len() <= NONCE_LEN {
            return Err(UnsealError::Tampered);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let payload = Payload {
            msg: sealed,
            aad: context.as_bytes(),
        };
        let plain = cipher
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| UnsealError::Tampered)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| UnsealError::Tampered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_config;

    #[test]
    fn round_trip_fresh_nonce_and_tamper_detection() {
        let sealer = SecretSealer::new(&test_config(None));
        let a = sealer.seal("sk-live-secret", "vapi_api_key:1");
        let b = sealer.seal("sk-live-secret", "vapi_api_key:1");
        assert_ne!(a.ciphertext, b.ciphertext, "a fresh nonce per write");
        assert!(!a.ciphertext.contains("sk-live-secret"));
        let plain = sealer
            .unseal(&a.ciphertext, &a.key_id, "vapi_api_key:1")
            .unwrap();
        assert_eq!(plain.expose_secret(), "sk-live-secret");

        assert_eq!(
            sealer
                .unseal(&a.ciphertext, &a.key_id, "vapi_api_key:2")
                .unwrap_err(),
            UnsealError::Tampered,
            "another user's row does not decrypt"
        );
        let mut bytes = BASE64.decode(&a.ciphertext).unwrap();
        bytes[NONCE_LEN + 1] ^= 1;
        let flipped = BASE64.encode(bytes);
        assert_eq!(
            sealer
                .unseal(&flipped, &a.key_id, "vapi_api_key:1")
                .unwrap_err(),
            UnsealError::Tampered
        );
        assert!(matches!(
            sealer.unseal(&a.ciphertext, "00000000", "vapi_api_key:1"),
            Err(UnsealError::UnknownKey(_))
        ));
    }

    #[test]
    fn retired_keys_still_open_old_rows() {
        let old = test_config(None);
        let old_sealer = SecretSealer::new(&old);
        let sealed = old_sealer.seal("token", "twilio_auth_token:7");
        let mut rotated = test_config(None);
        rotated.retired_encryption_keys = vec![secrecy::SecretBox::new(Box::new(
            *old.encryption_key.expose_secret(),
        ))];
        let sealer = SecretSealer::new(&rotated);
        assert_ne!(sealer.current_key_id(), sealed.key_id);
        assert_eq!(
            sealer
                .unseal(&sealed.ciphertext, &sealed.key_id, "twilio_auth_token:7")
                .unwrap()
                .expose_secret(),
            "token"
        );
    }
}
