//! The provider's Ed25519 signing key, audit checkpoints signed with it, and audit-trail exports that a
//! customer verifies offline with nothing but the provider's public key.
//!
//! Architecture invariant: verification trusts only the public key the verifier supplies, never a key
//! carried inside the document being verified.

use std::path::Path;

use assure_domain::audit::{
    AuditRecord, ChainBreak, ChainId, ChainSummary, Checkpoint, verify_chain,
};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Problems with keys and exports.
#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    #[error("cannot read key file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write key file {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not an Ed25519 key: expected 64 hex digits")]
    BadKey { path: String },
    #[error("no randomness available to create a key: {0}")]
    Random(String),
    #[error("the export is not an Assure audit export: {0}")]
    BadExport(String),
}

/// The provider's signing key. Its `Debug` shows only the key id.
pub struct ProviderKey {
    signing: SigningKey,
}

impl std::fmt::Debug for ProviderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProviderKey({})", self.key_id())
    }
}

/// Hex of the first 8 bytes of SHA-256 of the public key: names a key without revealing anything.
pub fn key_id(public: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(public.as_bytes())[..8])
}

impl ProviderKey {
    /// Loads the key at `path` (64 hex digits), creating it, readable by its owner only, when missing; the
    /// public key is written beside it as `PATH.pub`.
    pub fn load_or_create(path: &Path) -> Result<Self, AttestError> {
        if path.exists() {
            return Self::load(path);
        }
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| AttestError::Random(e.to_string()))?;
        let key = Self {
            signing: SigningKey::from_bytes(&seed),
        };
        let write = |p: &Path, text: String| {
            std::fs::write(p, text).map_err(|source| AttestError::Write {
                path: p.display().to_string(),
                source,
            })
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| AttestError::Write {
                path: dir.display().to_string(),
                source,
            })?;
        }
        write(path, format!("{}\n", hex::encode(seed)))?;
        restrict_to_owner(path)?;
        write(&public_key_path(path), format!("{}\n", key.public_hex()))?;
        Ok(key)
    }

    pub fn load(path: &Path) -> Result<Self, AttestError> {
        let text = std::fs::read_to_string(path).map_err(|source| AttestError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let seed: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| AttestError::BadKey {
                path: path.display().to_string(),
            })?;
        Ok(Self {
            signing: SigningKey::from_bytes(&seed),
        })
    }

    pub fn public(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    pub fn public_hex(&self) -> String {
        hex::encode(self.public().as_bytes())
    }

    pub fn key_id(&self) -> String {
        key_id(&self.public())
    }

    /// Signs `message`; returns the key id and the hex signature, as checkpoints store them.
    pub fn sign(&self, message: &[u8]) -> (String, String) {
        (
            self.key_id(),
            hex::encode(self.signing.sign(message).to_bytes()),
        )
    }
}

/// Where the public key of a key file is written.
pub fn public_key_path(key: &Path) -> std::path::PathBuf {
    let mut name = key.as_os_str().to_owned();
    name.push(".pub");
    name.into()
}

#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> Result<(), AttestError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|source| {
        AttestError::Write {
            path: path.display().to_string(),
            source,
        }
    })
}

#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path) -> Result<(), AttestError> {
    Ok(())
}

/// Parses a public key given as 64 hex digits (the content of `provider-ed25519.key.pub`).
pub fn parse_public_key(text: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// Whether a checkpoint was signed by `public`.
pub fn checkpoint_signed_by(public: &VerifyingKey, checkpoint: &Checkpoint) -> bool {
    let Some(bytes) = hex::decode(&checkpoint.signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
    else {
        return false;
    };
    checkpoint.key_id == key_id(public)
        && public
            .verify(&checkpoint.signed_message(), &Signature::from_bytes(&bytes))
            .is_ok()
}

/// Format tag of audit exports.
pub const EXPORT_FORMAT: &str = "assure-audit-export/v1";

/// One chain's trail with its checkpoints, as handed to a customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditExport {
    pub format: String,
    pub chain: ChainId,
    pub exported_at: String,
    /// The id of the key that signed the checkpoints (the key itself is obtained from the provider).
    pub key_id: String,
    pub records: Vec<AuditRecord>,
    pub checkpoints: Vec<Checkpoint>,
}

/// Verifies an export with the provider's public key alone: every link and hash, every checkpoint's
/// signature, and that the trail is not cut short of its last checkpoint. An export without any
/// checkpoint is refused: nothing would vouch for it.
pub fn verify_export(
    export: &AuditExport,
    public: &VerifyingKey,
) -> Result<ChainSummary, ExportProblem> {
    if export.format != EXPORT_FORMAT {
        return Err(ExportProblem::Format(export.format.clone()));
    }
    if export.checkpoints.is_empty() {
        return Err(ExportProblem::Unsigned);
    }
    verify_chain(&export.chain, &export.records, &export.checkpoints, |c| {
        checkpoint_signed_by(public, c)
    })
    .map_err(ExportProblem::Break)
}

/// Why an export does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportProblem {
    #[error("unknown export format {0:?} (expected {EXPORT_FORMAT})")]
    Format(String),
    #[error("the export carries no signed checkpoint")]
    Unsigned,
    #[error("{0}")]
    Break(ChainBreak),
}

#[cfg(test)]
mod tests {
    use super::*;
    use assure_domain::audit::{AuditEvent, GENESIS_HASH};
    use time_free::instant;

    mod time_free {
        pub fn instant() -> &'static str {
            "2026-01-01T00:00:00.000Z"
        }
    }

    fn export(key: &ProviderKey) -> AuditExport {
        let chain = ChainId::Tenant("alpha".into());
        let mut records: Vec<AuditRecord> = Vec::new();
        for i in 0..3 {
            let (seq, hash) = records
                .last()
                .map_or((0, GENESIS_HASH.to_owned()), |r| (r.seq, r.hash.clone()));
            let mut r = AuditRecord {
                chain: chain.clone(),
                seq: seq + 1,
                at: instant().into(),
                event: AuditEvent {
                    actor: "system:test".into(),
                    tenant: Some("alpha".into()),
                    action: "tenant.update".into(),
                    object_kind: "tenant".into(),
                    object_id: format!("t{i}"),
                    state_digest: None,
                },
                prev_hash: hash,
                hash: String::new(),
            };
            r.hash = r.compute_hash();
            records.push(r);
        }
        let head = records[2].hash.clone();
        let message = Checkpoint::message(&chain, 3, &head, instant());
        let (key_id, signature) = key.sign(&message);
        AuditExport {
            format: EXPORT_FORMAT.into(),
            chain: chain.clone(),
            exported_at: instant().into(),
            key_id: key_id.clone(),
            records,
            checkpoints: vec![Checkpoint {
                chain,
                seq: 3,
                head_hash: head,
                signed_at: instant().into(),
                key_id,
                signature,
            }],
        }
    }

    #[test]
    fn a_created_key_reloads_and_its_public_half_is_written_beside_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys/provider-ed25519.key");
        let key = ProviderKey::load_or_create(&path).expect("create");
        let again = ProviderKey::load_or_create(&path).expect("load");
        assert_eq!(key.public_hex(), again.public_hex());
        let public = std::fs::read_to_string(public_key_path(&path)).expect("pub");
        assert_eq!(parse_public_key(&public), Some(key.public()));
        assert!(
            !format!("{key:?}").contains(
                &std::fs::read_to_string(&path)
                    .expect("key")
                    .trim()
                    .to_owned()
            )
        );
    }

    #[test]
    fn an_export_verifies_with_the_right_public_key_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = ProviderKey::load_or_create(&dir.path().join("a.key")).expect("key");
        let other = ProviderKey::load_or_create(&dir.path().join("b.key")).expect("key");
        let e = export(&key);
        assert_eq!(verify_export(&e, &key.public()).map(|s| s.records), Ok(3));
        assert!(matches!(
            verify_export(&e, &other.public()),
            Err(ExportProblem::Break(ChainBreak::BadSignature { .. }))
        ));
        let mut tampered = e.clone();
        tampered.records[1].event.actor = "mallory".into();
        assert!(matches!(
            verify_export(&tampered, &key.public()),
            Err(ExportProblem::Break(ChainBreak::Altered { seq: 2, .. }))
        ));
        let mut cut = e;
        cut.records.pop();
        assert!(matches!(
            verify_export(&cut, &key.public()),
            Err(ExportProblem::Break(ChainBreak::Truncated { .. }))
        ));
    }

    #[test]
    fn a_bad_key_file_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bad.key");
        std::fs::write(&path, "not hex").expect("write");
        let err = ProviderKey::load(&path).expect_err("refused");
        assert!(err.to_string().contains("bad.key"), "{err}");
    }
}
