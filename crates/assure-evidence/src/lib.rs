//! Assure's evidence repository: the bytes of evidence, content-addressed, encrypted per tenant,
//! streamed, and verified on demand. Metadata lives in the store ([`assure_store::Store`]); this crate
//! orchestrates both, so the server and the CLI share one upload, download and verify path.
//!
//! Architecture invariant: no blob is read or written without the caller's [`TenantScope`] having
//! admitted the tenant (the data key is handed out by the store only then), and a record is committed
//! only after its blob is durably stored under its name.
//!
//! Architecture invariant: de-duplication happens within a tenant only. Blobs live under the tenant's
//! own prefix, encrypted with the tenant's own key, so nothing about another tenant's bytes can change
//! what an upload does or answers.

mod blobs;
pub mod cipher;
pub mod keys;
mod repository;
pub mod trust;

use assure_domain::TenantId;
use assure_domain::evidence::{Digest, EvidenceRejection};
pub use assure_store::TenantScope;

pub use blobs::{BlobCheck, BlobStore};
pub use keys::{DataKey, MasterKey};
pub use repository::{BlobProblem, Repository, UploadRequest, VerifyReport};

/// Errors of the evidence repository, naming what failed and where.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("evidence master key from {origin}: {detail}")]
    MasterKey { origin: String, detail: String },
    #[error("evidence data key of tenant {tenant}: {detail}")]
    DataKey { tenant: TenantId, detail: String },
    #[error(
        "tenant {tenant}'s evidence key was destroyed at {at}: its evidence is kept only as digests"
    )]
    KeyDestroyed { tenant: TenantId, at: String },
    #[error("evidence store {what}: {detail}")]
    Object { what: String, detail: String },
    #[error("the upload exceeds the maximum evidence size of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the upload was interrupted: {0}")]
    Body(String),
    #[error("{0}")]
    Rejected(#[from] EvidenceRejection),
    #[error("blob {digest} of tenant {tenant} is missing from the evidence store")]
    MissingBlob { tenant: TenantId, digest: Digest },
    #[error("{what} is unreadable: {problem}")]
    Unreadable {
        what: String,
        problem: cipher::OpenError,
    },
    #[error("{0}")]
    Config(String),
    #[error("watermarking the document failed: {0}")]
    Watermark(String),
    #[error(transparent)]
    Store(#[from] assure_store::StoreError),
}
