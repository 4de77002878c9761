//! The trust center's bytes: documents stored in the blob store under the provider's own prefix, encrypted
//! with a key derived from the master key (`TRUST_KEY_PURPOSE`), and served only through
//! [`assure_store::trust::attempt_download`], which records the attempt first; PDFs come back
//! watermarked with the requester and the instant.

use assure_domain::trust::{PackageKind, TrustDocument, TrustDocumentId, watermark_text};
use assure_domain::{TenantId, UserId};
use assure_store::trust::{DownloadAttempt, DownloadDecision, attempt_download};
use assure_store::{Actor, Store, StoreError, TenantScope};
use bytes::Bytes;
use futures_util::StreamExt;
use time::{Date, OffsetDateTime};

use crate::EvidenceError;
use crate::blobs::BlobStore;
use crate::keys::{DataKey, MasterKey};

/// The purpose string of the trust center's blob key (HKDF info).
pub const TRUST_KEY_PURPOSE: &str = "assure trust-center blobs v1";

/// The blob prefix of trust-center documents: not a slug, so no tenant can ever be named so.
fn prefix() -> TenantId {
    TenantId::new("_trust-center")
}

/// What a publisher gives beside the bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTrustDocument {
    pub title: String,
    pub kind: PackageKind,
    pub issued: Date,
    pub period_start: Option<Date>,
    pub period_end: Option<Date>,
    pub terms: String,
    pub media_type: String,
    pub file_name: String,
    pub published_by: UserId,
}

/// A download's outcome.
#[derive(Debug)]
pub enum TrustDownload {
    /// The bytes to send (watermarked when the document is a PDF) and the recorded attempt.
    Granted {
        document: Box<TrustDocument>,
        bytes: Vec<u8>,
        watermarked: bool,
        attempt: DownloadAttempt,
    },
    /// Refused with every reason; the attempt is recorded.
    Refused(DownloadAttempt),
}

/// Trust-center documents and their blobs.
#[derive(Debug)]
pub struct TrustLibrary<S> {
    store: S,
    blobs: BlobStore,
    key: DataKey,
    max_bytes: u64,
}

impl<S: Store> TrustLibrary<S> {
    pub fn new(
        store: S,
        blobs: BlobStore,
        master: &MasterKey,
        max_bytes: u64,
    ) -> Result<Self, EvidenceError> {
        let key = DataKey::from_derived(master.derive(TRUST_KEY_PURPOSE)?);
        Ok(Self {
            store,
            blobs,
            key,
            max_bytes,
        })
    }

    /// Stores the bytes, then publishes the document naming them (a refused document leaves an unnamed
    /// blob at most, never a record without bytes).
    pub async fn publish(
        &self,
        actor: &Actor,
        new: NewTrustDocument,
        body: Bytes,
    ) -> Result<TrustDocument, EvidenceError> {
        let stream = futures_util::stream::iter([Ok::<Bytes, std::convert::Infallible>(body)]);
        let (digest, size) = self
            .blobs
            .write(&prefix(), &self.key, stream, self.max_bytes)
            .await?;
        let document = TrustDocument {
            id: TrustDocumentId::new(uuid::Uuid::now_v7().to_string()),
            title: new.title.trim().to_owned(),
            kind: new.kind,
            issued: new.issued,
            period_start: new.period_start,
            period_end: new.period_end,
            terms: new.terms,
            digest,
            size,
            media_type: new.media_type,
            file_name: new.file_name,
            published_by: new.published_by,
            published_at: OffsetDateTime::now_utc(),
        };
        Ok(self.store.publish_trust_document(actor, &document).await?)
    }

    /// Decides and records the attempt; when granted, reads the bytes and watermarks a PDF with the
    /// requester, the tenant and the instant.
    pub async fn download(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
        document: &TrustDocumentId,
        user: &UserId,
    ) -> Result<TrustDownload, EvidenceError> {
        let at = OffsetDateTime::now_utc();
        match attempt_download(&self.store, scope, actor, tenant, document, user, at).await? {
            DownloadDecision::Refused(attempt) => Ok(TrustDownload::Refused(attempt)),
            DownloadDecision::Granted(document, attempt) => {
                let mut stream = self
                    .blobs
                    .read(&prefix(), &self.key, &document.digest)
                    .await?;
                let mut plain = Vec::new();
                while let Some(chunk) = stream.next().await {
                    plain.extend_from_slice(&chunk?);
                }
                let (bytes, watermarked) = if document.is_pdf() {
                    let line = watermark_text(user, tenant, attempt.at);
                    let marked = assure_reports::trust_pdf::watermark_pdf(&plain, &line)
                        .map_err(|e| EvidenceError::Watermark(e.to_string()))?;
                    (marked, true)
                } else {
                    (plain, false)
                };
                Ok(TrustDownload::Granted {
                    document,
                    bytes,
                    watermarked,
                    attempt,
                })
            }
        }
    }

    /// The document, for callers that list or show it.
    pub async fn document(&self, id: &TrustDocumentId) -> Result<TrustDocument, EvidenceError> {
        self.store
            .get_trust_document(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("trust document {id}")).into())
    }
}
