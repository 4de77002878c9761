//! Keys: one master key from configuration wraps one data key per tenant. Destroying a tenant's wrapped
//! data key makes its blobs unreadable for good (crypto-shredding) while their digests stay as tombstones.

use std::path::Path;

use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use assure_domain::TenantId;
use zeroize::{Zeroize, Zeroizing};

use crate::EvidenceError;

/// Prefix of a wrapped key's text form, naming the wrapping scheme.
const WRAP_V1: &str = "v1:";

/// The HKDF salt of keys derived from the master key (fixed: the master key is already uniformly random;
/// the salt only separates Assure's derivations from any other use of the same bytes).
const DERIVE_SALT: &[u8] = b"assure-master-key-derivation-v1";

/// The key that wraps every tenant's data key. Never printed: `Debug` shows only that it is there.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// From 64 hex digits (`ASSURE_EVIDENCE_MASTER_KEY`).
    pub fn from_hex(text: &str, origin: &str) -> Result<Self, EvidenceError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), &mut bytes[..]).map_err(|e| {
            EvidenceError::MasterKey {
                origin: origin.to_owned(),
                detail: format!("expected 64 hex digits: {e}"),
            }
        })?;
        Ok(Self(bytes))
    }

    /// From the hex text in `hex` when given, else from the key file at `path`, which is created (mode
    /// 0600, a fresh random key) when missing, so a first start needs no configuration.
    pub fn load(hex: Option<&str>, path: &Path) -> Result<Self, EvidenceError> {
        if let Some(h) = hex {
            return Self::from_hex(h, "ASSURE_EVIDENCE_MASTER_KEY");
        }
        let origin = path.display().to_string();
        let io = |e: std::io::Error| EvidenceError::MasterKey {
            origin: origin.clone(),
            detail: e.to_string(),
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_hex(&text, &origin),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = Zeroizing::new([0u8; 32]);
                OsRng.fill_bytes(&mut key[..]);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                write_new_secret(path, &hex::encode(&key[..])).map_err(io)?;
                Ok(Self(key))
            }
            Err(e) => Err(io(e)),
        }
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0[..]))
    }

    /// A 256-bit key for another purpose, derived from the master key with HKDF-SHA256 (RFC 5869) and
    /// `purpose` as the info string. One configured secret then protects several kinds of data (tenant
    /// data keys, TOTP secrets) while no key ever serves two purposes, and losing a derived key reveals
    /// nothing of the master key or of its siblings.
    pub fn derive(&self, purpose: &str) -> Result<Zeroizing<[u8; 32]>, EvidenceError> {
        let hkdf = hkdf::Hkdf::<sha2_for_hkdf::Sha256>::new(Some(DERIVE_SALT), &self.0[..]);
        let mut key = Zeroizing::new([0u8; 32]);
        hkdf.expand(purpose.as_bytes(), &mut key[..])
            .map_err(|e| EvidenceError::MasterKey {
                origin: format!("derivation of the {purpose} key"),
                detail: e.to_string(),
            })?;
        Ok(key)
    }

    /// Wraps `key` for `tenant` (the tenant is bound in, so a wrapped key moved to another tenant fails).
    pub fn wrap(&self, tenant: &TenantId, key: &DataKey) -> String {
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let aad = wrap_aad(tenant);
        // Encrypting 32 bytes in memory cannot fail.
        let sealed = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &key.0[..],
                    aad: &aad,
                },
            )
            .unwrap_or_default();
        format!("{WRAP_V1}{}{}", hex::encode(nonce), hex::encode(sealed))
    }

    /// Unwraps a key [`MasterKey::wrap`] made for `tenant`.
    pub fn unwrap(&self, tenant: &TenantId, wrapped: &str) -> Result<DataKey, EvidenceError> {
        let bad = |detail: &str| EvidenceError::DataKey {
            tenant: tenant.clone(),
            detail: detail.to_owned(),
        };
        let body = wrapped
            .strip_prefix(WRAP_V1)
            .ok_or_else(|| bad("unknown wrapping scheme"))?;
        let bytes = hex::decode(body).map_err(|_| bad("not hex"))?;
        if bytes.len() != 12 + 32 + 16 {
            return Err(bad("wrong length"));
        }
        let (nonce, sealed) = bytes.split_at(12);
        let aad = wrap_aad(tenant);
        let mut plain = self
            .cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| {
                bad("does not open with this master key (wrong ASSURE_EVIDENCE_MASTER_KEY?)")
            })?;
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&plain);
        plain.zeroize();
        Ok(DataKey(key))
    }
}

fn wrap_aad(tenant: &TenantId) -> Vec<u8> {
    [
        b"assure-evidence-data-key:".as_slice(),
        tenant.as_str().as_bytes(),
    ]
    .concat()
}

/// Writes a new file readable by its owner only.
fn write_new_secret(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// A tenant's data key, which encrypts its blobs.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    /// A key derived from the master key for one purpose ([`MasterKey::derive`]), e.g. the trust center's.
    pub fn from_derived(key: Zeroizing<[u8; 32]>) -> Self {
        Self(key)
    }

    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(&mut key[..]);
        Self(key)
    }

    pub(crate) fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0[..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_key_opens_only_for_its_tenant_and_master() {
        let master = MasterKey::from_hex(&"11".repeat(32), "test").expect("key");
        let other = MasterKey::from_hex(&"22".repeat(32), "test").expect("key");
        let key = DataKey::generate();
        let wrapped = master.wrap(&"a".into(), &key);
        let back = master.unwrap(&"a".into(), &wrapped).expect("unwraps");
        assert_eq!(&back.0[..], &key.0[..]);
        assert!(master.unwrap(&"b".into(), &wrapped).is_err());
        assert!(other.unwrap(&"a".into(), &wrapped).is_err());
    }

    #[test]
    fn derived_keys_differ_by_purpose_and_master_and_are_stable() {
        let master = MasterKey::from_hex(&"11".repeat(32), "test").expect("key");
        let other = MasterKey::from_hex(&"22".repeat(32), "test").expect("key");
        let a = master.derive("totp").expect("derive");
        assert_eq!(a[..], master.derive("totp").expect("derive")[..]);
        assert_ne!(a[..], master.derive("other").expect("derive")[..]);
        assert_ne!(a[..], other.derive("totp").expect("derive")[..]);
        assert_ne!(a[..], master.0[..], "never the master key itself");
    }

    #[test]
    fn a_missing_key_file_is_created_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys/evidence-master.key");
        let a = MasterKey::load(None, &path).expect("created");
        let b = MasterKey::load(None, &path).expect("read");
        assert_eq!(&a.0[..], &b.0[..]);
        assert!(format!("{a:?}").ends_with("(..)"), "Debug hides the key");
    }
}
