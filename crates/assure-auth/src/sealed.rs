//! Integration secrets at rest: the secrets Assure must read back to talk to other systems (the HMAC key of
//! an outgoing notification webhook, the shared secret a GitHub or Jira webhook presents) are sealed with
//! AES-256-GCM under a key derived from the master key, with a context naming what the secret is for (the
//! webhook URL, the tracker) as associated data. A database dump alone yields none of them, and a sealed
//! secret copied onto another channel or tracker does not open there.
//!
//! The stored text is `sealed1:` followed by the hex of a fresh 96-bit nonce and the ciphertext with its
//! tag. Unlike TOTP secrets there are no rows from before sealing: the store refuses unsealed text.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use zeroize::Zeroizing;

use crate::random_bytes;

/// Prefix of a sealed integration secret, naming the sealing scheme (AES-256-GCM, context as associated
/// data). The store refuses webhook and tracker secrets without it.
pub const SEALED_SECRET_PREFIX: &str = "sealed1:";

/// The purpose string under which the integration-secret key is derived from the master key
/// (`MasterKey::derive`), so it never doubles as the TOTP or evidence key.
pub const INTEGRATION_KEY_PURPOSE: &str = "assure-integration-secrets-v1";

const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;

/// Why a secret could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the secret must not be empty")]
    Empty,
    #[error("the stored secret is not sealed (expected {SEALED_SECRET_PREFIX}...)")]
    NotSealed,
    #[error("the sealed secret is malformed: {0}")]
    Malformed(&'static str),
    #[error(
        "the sealed secret does not open for {0} with this key (sealed for something else, or under a different master key)"
    )]
    WrongKeyOrContext(String),
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}

/// The key that seals and opens integration secrets. `Debug` never shows it.
#[derive(Clone)]
pub struct SecretSealer {
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for SecretSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretSealer(..)")
    }
}

/// The context of an outgoing webhook's secret: its URL, so the secret signs only deliveries to it.
pub fn webhook_context(url: &str) -> String {
    format!("webhook:{url}")
}

/// The context of a tracker's inbound shared secret (`github`, `jira`).
pub fn tracker_context(tracker: &str) -> String {
    format!("tracker:{tracker}")
}

impl SecretSealer {
    /// A sealer over `key` (derive it from the master key with [`INTEGRATION_KEY_PURPOSE`]).
    pub fn new(key: Zeroizing<[u8; 32]>) -> Self {
        Self { key }
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.key[..]))
    }

    /// The text to store for `secret`, bound to `context` (see [`webhook_context`], [`tracker_context`]).
    pub fn seal(&self, context: &str, secret: &str) -> Result<String, SealError> {
        if secret.is_empty() {
            return Err(SealError::Empty);
        }
        let nonce = random_bytes::<NONCE_BYTES>().map_err(|e| SealError::Random(e.to_string()))?;
        let aad = associated_data(context);
        let sealed = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Malformed("the secret could not be sealed"))?;
        Ok(format!(
            "{SEALED_SECRET_PREFIX}{}{}",
            hex::encode(nonce),
            hex::encode(sealed)
        ))
    }

    /// Opens stored text sealed for `context`; unsealed text is refused.
    pub fn open(&self, context: &str, stored: &str) -> Result<Zeroizing<String>, SealError> {
        let body = stored
            .strip_prefix(SEALED_SECRET_PREFIX)
            .ok_or(SealError::NotSealed)?;
        let bytes = hex::decode(body).map_err(|_| SealError::Malformed("not hex"))?;
        if bytes.len() <= NONCE_BYTES + TAG_BYTES {
            return Err(SealError::Malformed("too short"));
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let aad = associated_data(context);
        let plain = Zeroizing::new(
            self.cipher()
                .decrypt(
                    Nonce::from_slice(nonce),
                    Payload {
                        msg: sealed,
                        aad: &aad,
                    },
                )
                .map_err(|_| SealError::WrongKeyOrContext(context.to_owned()))?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| SealError::Malformed("not UTF-8"))?;
        Ok(Zeroizing::new(text.to_owned()))
    }
}

/// Whether stored text is in the sealed form (the store's check before it writes a secret).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_SECRET_PREFIX)
}

fn associated_data(context: &str) -> Vec<u8> {
    [b"assure-integration-secret:".as_slice(), context.as_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(byte: u8) -> SecretSealer {
        SecretSealer::new(Zeroizing::new([byte; 32]))
    }

    #[test]
    fn a_sealed_secret_hides_its_text_and_opens_for_its_context() {
        let ctx = webhook_context("https://hooks.example/assure");
        let stored = sealer(1).seal(&ctx, "hook-secret-123").expect("seal");
        assert!(is_sealed(&stored), "{stored}");
        assert!(!stored.contains("hook-secret-123"), "{stored}");
        assert_eq!(
            sealer(1).open(&ctx, &stored).expect("opens").as_str(),
            "hook-secret-123"
        );
        assert_ne!(
            stored,
            sealer(1).seal(&ctx, "hook-secret-123").expect("seal"),
            "a fresh nonce every time"
        );
    }

    #[test]
    fn a_secret_opens_neither_elsewhere_nor_under_another_key_nor_altered_nor_unsealed() {
        let ctx = tracker_context("github");
        let stored = sealer(1).seal(&ctx, "gh-secret").expect("seal");
        assert!(matches!(
            sealer(1).open(&tracker_context("jira"), &stored),
            Err(SealError::WrongKeyOrContext(_))
        ));
        assert!(sealer(2).open(&ctx, &stored).is_err());
        let mut altered = stored.clone();
        let last = if altered.ends_with('0') { '1' } else { '0' };
        altered.pop();
        altered.push(last);
        assert!(sealer(1).open(&ctx, &altered).is_err());
        assert!(matches!(
            sealer(1).open(&ctx, "gh-secret"),
            Err(SealError::NotSealed)
        ));
        assert!(sealer(1).open(&ctx, "sealed1:zz").is_err());
        assert!(sealer(1).open(&ctx, "sealed1:00").is_err());
        assert!(matches!(sealer(1).seal(&ctx, ""), Err(SealError::Empty)));
    }

    #[test]
    fn debug_never_shows_the_key() {
        assert_eq!(format!("{:?}", sealer(7)), "SecretSealer(..)");
    }
}
