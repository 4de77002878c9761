//! TOTP secrets at rest: sealed with AES-256-GCM under a key derived from the server's master key, with
//! the user's id as associated data, so a database dump alone does not yield anyone's second factor, and a
//! sealed secret copied onto another user's row does not open there.
//!
//! The stored text is `totp1:` followed by the hex of a fresh 96-bit nonce and the ciphertext with its tag.
//! Rows written before secrets were sealed hold bare base32; [`TotpVault::open`] still reads them and says
//! so ([`OpenedTotp::needs_sealing`]), and the caller stores the sealed form in their place.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use zeroize::Zeroizing;

use crate::{AuthError, TotpSecret, random_bytes};

/// Prefix of a sealed TOTP secret, naming the sealing scheme (AES-256-GCM, user id as associated data).
pub const SEALED_TOTP_PREFIX: &str = "totp1:";

/// The purpose string under which the TOTP key is derived from the master key (`MasterKey::derive`).
pub const TOTP_KEY_PURPOSE: &str = "assure-totp-secrets-v1";

const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;

/// The key that seals and opens TOTP secrets. `Debug` never shows it.
#[derive(Clone)]
pub struct TotpVault {
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for TotpVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpVault(..)")
    }
}

/// A stored secret, opened.
#[derive(Debug)]
pub struct OpenedTotp {
    pub secret: TotpSecret,
    /// The stored text was bare base32 from before secrets were sealed: store [`TotpVault::seal`]'s
    /// text in its place.
    pub needs_sealing: bool,
}

impl TotpVault {
    /// A vault over `key` (derive it from the master key with [`TOTP_KEY_PURPOSE`]).
    pub fn new(key: Zeroizing<[u8; 32]>) -> Self {
        Self { key }
    }

    /// A vault with a fresh random key that lives as long as the process: for tests and for servers
    /// embedded without a master key. Secrets sealed by it cannot be opened after a restart.
    pub fn ephemeral() -> Result<Self, AuthError> {
        Ok(Self::new(Zeroizing::new(random_bytes::<32>()?)))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.key[..]))
    }

    /// The text to store for `secret` of the user `user_id`.
    pub fn seal(&self, user_id: &str, secret: &TotpSecret) -> Result<String, AuthError> {
        let nonce = random_bytes::<NONCE_BYTES>()?;
        let aad = associated_data(user_id);
        let sealed = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &secret.bytes,
                    aad: &aad,
                },
            )
            .map_err(|_| AuthError::Totp("the secret could not be sealed".into()))?;
        Ok(format!(
            "{SEALED_TOTP_PREFIX}{}{}",
            hex::encode(nonce),
            hex::encode(sealed)
        ))
    }

    /// Opens the stored text of `user_id`'s secret: sealed text must open with this key for this user;
    /// bare base32 (a row from before sealing) is read as it is and flagged for sealing.
    pub fn open(&self, user_id: &str, stored: &str) -> Result<OpenedTotp, AuthError> {
        let Some(body) = stored.strip_prefix(SEALED_TOTP_PREFIX) else {
            return Ok(OpenedTotp {
                secret: TotpSecret::from_base32(stored)?,
                needs_sealing: true,
            });
        };
        let bytes = hex::decode(body)
            .map_err(|_| AuthError::Totp("the sealed secret is not hex".into()))?;
        if bytes.len() <= NONCE_BYTES + TAG_BYTES {
            return Err(AuthError::Totp("the sealed secret is too short".into()));
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let aad = associated_data(user_id);
        let plain = Zeroizing::new(
            self.cipher()
                .decrypt(
                    Nonce::from_slice(nonce),
                    Payload {
                        msg: sealed,
                        aad: &aad,
                    },
                )
                .map_err(|_| {
                    AuthError::Totp(format!(
                        "the sealed secret does not open for {user_id} with this key \
                         (another user's secret, or a different master key)"
                    ))
                })?,
        );
        Ok(OpenedTotp {
            secret: TotpSecret::from_bytes(&plain)?,
            needs_sealing: false,
        })
    }
}

/// Binds a sealed secret to its user and to this use of the key.
fn associated_data(user_id: &str) -> Vec<u8> {
    [b"assure-totp-secret:".as_slice(), user_id.as_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(byte: u8) -> TotpVault {
        TotpVault::new(Zeroizing::new([byte; 32]))
    }

    #[test]
    fn a_sealed_secret_is_not_its_base32_and_opens_for_its_user() {
        let secret = TotpSecret::demo("a@example.test");
        let stored = vault(1).seal("a@example.test", &secret).expect("seal");
        assert!(stored.starts_with(SEALED_TOTP_PREFIX), "{stored}");
        assert!(!stored.contains(&secret.to_base32()), "{stored}");
        let opened = vault(1).open("a@example.test", &stored).expect("opens");
        assert_eq!(opened.secret.to_base32(), secret.to_base32());
        assert!(!opened.needs_sealing);
        let again = vault(1).seal("a@example.test", &secret).expect("seal");
        assert_ne!(stored, again, "a fresh nonce every time");
    }

    #[test]
    fn a_secret_sealed_for_one_user_does_not_open_for_another() {
        let stored = vault(1)
            .seal("a@example.test", &TotpSecret::demo("a@example.test"))
            .expect("seal");
        assert!(vault(1).open("b@example.test", &stored).is_err());
    }

    #[test]
    fn a_secret_does_not_open_under_another_key_or_when_altered() {
        let stored = vault(1)
            .seal("a@example.test", &TotpSecret::demo("a@example.test"))
            .expect("seal");
        assert!(vault(2).open("a@example.test", &stored).is_err());
        let mut altered = stored.clone();
        let last = if altered.ends_with('0') { '1' } else { '0' };
        altered.pop();
        altered.push(last);
        assert!(vault(1).open("a@example.test", &altered).is_err());
        assert!(vault(1).open("a@example.test", "totp1:00").is_err());
        assert!(vault(1).open("a@example.test", "totp1:zz").is_err());
    }

    #[test]
    fn a_bare_base32_row_from_before_sealing_still_opens_and_asks_to_be_sealed() {
        let secret = TotpSecret::demo("a@example.test");
        let opened = vault(1)
            .open("a@example.test", &secret.to_base32())
            .expect("opens");
        assert_eq!(opened.secret.to_base32(), secret.to_base32());
        assert!(opened.needs_sealing);
    }

    #[test]
    fn debug_never_shows_the_key() {
        assert_eq!(format!("{:?}", vault(7)), "TotpVault(..)");
    }
}
