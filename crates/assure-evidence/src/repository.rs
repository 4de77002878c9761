//! The repository: upload, download and verify, each through the caller's tenant scope.

use assure_domain::evidence::{Digest, EvidenceClaim, EvidenceId, EvidenceRecord, assess};
use assure_domain::{TenantId, UserId};
use assure_store::{Actor, DataKeyState, NewEvidence, Store, StoreError, TenantScope};
use bytes::Bytes;
use futures_util::Stream;
use futures_util::stream::BoxStream;

use crate::EvidenceError;
use crate::blobs::{BlobCheck, BlobStore};
use crate::keys::{DataKey, MasterKey};

/// The metadata of an upload; the bytes come as a stream beside it.
#[derive(Clone, Debug)]
pub struct UploadRequest {
    pub tenant: TenantId,
    pub claim: EvidenceClaim,
    pub media_type: String,
    pub file_name: Option<String>,
    pub uploader: UserId,
    pub supersedes: Option<EvidenceId>,
}

/// A blob that did not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobProblem {
    pub tenant: TenantId,
    pub digest: Digest,
    pub problem: String,
}

/// What `verify` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub checked: usize,
    /// Blobs of tenants whose key was destroyed: kept as digests only, not read.
    pub tombstones: usize,
    pub problems: Vec<BlobProblem>,
}

/// Evidence records and their blobs.
#[derive(Debug)]
pub struct Repository<S> {
    store: S,
    blobs: BlobStore,
    master: MasterKey,
    max_bytes: u64,
}

impl<S: Store> Repository<S> {
    pub fn new(store: S, blobs: BlobStore, master: MasterKey, max_bytes: u64) -> Self {
        Self {
            store,
            blobs,
            master,
            max_bytes,
        }
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The trust center's library over the same store and blob store, under its own key derived from
    /// this master key: a server that holds the evidence repository serves trust-center documents too.
    pub fn trust_library(&self) -> Result<crate::trust::TrustLibrary<S>, EvidenceError> {
        crate::trust::TrustLibrary::new(
            self.store.clone(),
            self.blobs.clone(),
            &self.master,
            self.max_bytes,
        )
    }

    /// The tenant's data key, created on first use; `NotFound` when the scope does not admit the tenant.
    async fn data_key(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
    ) -> Result<DataKey, EvidenceError> {
        let candidate = self.master.wrap(tenant, &DataKey::generate());
        match self
            .store
            .evidence_data_key(scope, actor, tenant, &candidate)
            .await?
        {
            DataKeyState::Active(wrapped) => self.master.unwrap(tenant, &wrapped),
            DataKeyState::Destroyed(at) => Err(EvidenceError::KeyDestroyed {
                tenant: tenant.clone(),
                at,
            }),
        }
    }

    /// Checks the claim, stores the blob, then commits the record. A rejected claim reads no bytes; a
    /// failed or oversized stream commits nothing.
    pub async fn upload<B, E>(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        request: UploadRequest,
        body: B,
    ) -> Result<EvidenceRecord, EvidenceError>
    where
        B: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        let flags = assess(&request.claim, time::OffsetDateTime::now_utc())?;
        if let Some(old) = &request.supersedes
            && self
                .store
                .get_evidence(scope, &request.tenant, old)
                .await?
                .is_none()
        {
            return Err(StoreError::NotFound(format!("evidence {old}")).into());
        }
        let key = self.data_key(scope, actor, &request.tenant).await?;
        let (digest, size) = self
            .blobs
            .write(&request.tenant, &key, body, self.max_bytes)
            .await?;
        let new = NewEvidence {
            id: EvidenceId::new(uuid::Uuid::now_v7().to_string()),
            tenant: request.tenant,
            claim: request.claim,
            digest,
            size,
            media_type: request.media_type,
            file_name: request.file_name,
            uploader: request.uploader,
            supersedes: request.supersedes,
            flags,
        };
        Ok(self.store.add_evidence(scope, actor, &new).await?)
    }

    /// A record and its plaintext; the download is audited before the first byte is sent.
    pub async fn download(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
        id: &EvidenceId,
    ) -> Result<
        (
            EvidenceRecord,
            BoxStream<'static, Result<Bytes, EvidenceError>>,
        ),
        EvidenceError,
    > {
        let record = self
            .store
            .get_evidence(scope, tenant, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("evidence {id}")))?;
        let key = self.data_key(scope, actor, tenant).await?;
        let stream = self.blobs.read(tenant, &key, &record.digest).await?;
        self.store
            .record_evidence_download(scope, actor, tenant, id)
            .await?;
        Ok((record, stream))
    }

    /// Re-reads and re-hashes every blob the scope's records name.
    pub async fn verify(
        &self,
        scope: &TenantScope,
        actor: &Actor,
    ) -> Result<VerifyReport, EvidenceError> {
        let mut report = VerifyReport::default();
        let mut keys: Option<(TenantId, DataKey)> = None;
        for blob in self.store.evidence_blobs(scope).await? {
            if blob.tombstone {
                report.tombstones += 1;
                continue;
            }
            let key = match &keys {
                Some((t, k)) if *t == blob.tenant => k.clone(),
                _ => {
                    let k = self.data_key(scope, actor, &blob.tenant).await?;
                    keys = Some((blob.tenant.clone(), k.clone()));
                    k
                }
            };
            report.checked += 1;
            let problem = match self
                .blobs
                .check(&blob.tenant, &key, &blob.digest, blob.size)
                .await?
            {
                BlobCheck::Intact => continue,
                BlobCheck::Missing => "missing from the evidence store".to_owned(),
                BlobCheck::Mismatch(why) => format!("does not match its name: {why}"),
            };
            report.problems.push(BlobProblem {
                tenant: blob.tenant,
                digest: blob.digest,
                problem,
            });
        }
        Ok(report)
    }
}
