//! The blob store: encrypted blobs named `tenants/{tenant}/blobs/{sha256 of plaintext}` in an
//! [`ObjectStore`] (a local folder, or S3-compatible storage with the `aws` feature).
//!
//! Architecture invariant: a blob appears under its name only complete and durable. Bytes are streamed
//! to `staging/{uuid}` as a multipart upload (locally: written, fsynced and renamed; on S3: the completed
//! multipart upload), and only then renamed to their name, which the digest decides once the last byte
//! is in. An interrupted upload leaves at most a staging object, which no record names and
//! [`BlobStore::sweep_staging`] removes.

use std::sync::Arc;

use assure_domain::TenantId;
use assure_domain::evidence::Digest;
use bytes::Bytes;
use futures_util::Stream;
use futures_util::stream::{BoxStream, StreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use sha2::{Digest as _, Sha256};

use crate::EvidenceError;
use crate::cipher::{Opener, Sealer};
use crate::keys::DataKey;

/// Bytes per multipart part (S3's minimum is 5 MiB); at most [`PARTS_IN_FLIGHT`] are buffered.
const PART: usize = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT: usize = 2;

/// Where blobs live.
#[derive(Clone, Debug)]
pub struct BlobStore {
    objects: Arc<dyn ObjectStore>,
    location: String,
}

/// What reading a blob back found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlobCheck {
    Intact,
    Missing,
    /// Read back, but not what its name says: the reason in words.
    Mismatch(String),
}

fn object_error(what: &str, e: object_store::Error) -> EvidenceError {
    EvidenceError::Object {
        what: what.to_owned(),
        detail: e.to_string(),
    }
}

impl BlobStore {
    /// A local folder (created when missing), with fsync on every write.
    pub fn local(dir: &std::path::Path) -> Result<Self, EvidenceError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            EvidenceError::Config(format!(
                "cannot create evidence folder {}: {e}",
                dir.display()
            ))
        })?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| object_error(&dir.display().to_string(), e))?
            .with_fsync(true)
            .with_automatic_cleanup(true);
        Ok(Self {
            objects: Arc::new(fs),
            location: dir.display().to_string(),
        })
    }

    /// `s3://BUCKET[/PREFIX]` (with `endpoint` for S3-compatible servers; credentials and region from
    /// the usual `AWS_*` variables), or a local folder for anything else.
    pub fn open(location: &str, endpoint: Option<&str>) -> Result<Self, EvidenceError> {
        match location.strip_prefix("s3://") {
            Some(rest) => Self::s3(rest, endpoint, location),
            None => Self::local(std::path::Path::new(
                location.strip_prefix("file://").unwrap_or(location),
            )),
        }
    }

    #[cfg(feature = "aws")]
    fn s3(rest: &str, endpoint: Option<&str>, location: &str) -> Result<Self, EvidenceError> {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(url) = endpoint {
            builder = builder
                .with_endpoint(url)
                .with_allow_http(url.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        let s3 = builder
            .build()
            .map_err(|e| EvidenceError::Config(format!("S3 store {location}: {e}")))?;
        let objects: Arc<dyn ObjectStore> = if prefix.trim_matches('/').is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(
                s3,
                prefix.trim_matches('/'),
            ))
        };
        Ok(Self {
            objects,
            location: location.to_owned(),
        })
    }

    #[cfg(not(feature = "aws"))]
    fn s3(_: &str, _: Option<&str>, location: &str) -> Result<Self, EvidenceError> {
        Err(EvidenceError::Config(format!(
            "{location}: this build has no S3 support (build with the `aws` feature)"
        )))
    }

    /// The configured location, for messages.
    pub fn location(&self) -> &str {
        &self.location
    }

    fn blob_path(tenant: &TenantId, digest: &Digest) -> Path {
        Path::from(format!("tenants/{tenant}/blobs/{digest}"))
    }

    /// Encrypts and stores `body`, hashing the plaintext on the way; returns its digest and size. Fails
    /// (storing nothing under a name) when the body errs or exceeds `max_bytes`.
    pub async fn write<S, E>(
        &self,
        tenant: &TenantId,
        key: &DataKey,
        body: S,
        max_bytes: u64,
    ) -> Result<(Digest, u64), EvidenceError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        let staging = Path::from(format!("staging/{}", uuid::Uuid::now_v7()));
        let upload = self
            .objects
            .put_multipart(&staging)
            .await
            .map_err(|e| object_error("starting an upload", e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
        let (mut sealer, header) = Sealer::new(key, tenant);
        writer.write(&header);
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut body = std::pin::pin!(body);
        let streamed: Result<(), EvidenceError> = async {
            while let Some(frame) = body.next().await {
                let bytes = frame.map_err(|e| EvidenceError::Body(e.to_string()))?;
                size += bytes.len() as u64;
                if size > max_bytes {
                    return Err(EvidenceError::TooLarge { limit: max_bytes });
                }
                hasher.update(&bytes);
                let sealed = sealer.update(&bytes);
                writer
                    .wait_for_capacity(PARTS_IN_FLIGHT)
                    .await
                    .map_err(|e| object_error("writing an upload", e))?;
                writer.write(&sealed);
            }
            Ok(())
        }
        .await;
        if let Err(e) = streamed {
            let _ = writer.abort().await;
            return Err(e);
        }
        writer.write(&sealer.finish());
        writer
            .finish()
            .await
            .map_err(|e| object_error("completing an upload", e))?;
        let digest = Digest::from_bytes(hasher.finalize().into());
        let name = Self::blob_path(tenant, &digest);
        match self.objects.head(&name).await {
            // The tenant holds these bytes already (de-duplication within the tenant only).
            Ok(_) => {
                let _ = self.objects.delete(&staging).await;
            }
            Err(object_store::Error::NotFound { .. }) => self
                .objects
                .rename(&staging, &name)
                .await
                .map_err(|e| object_error(&format!("naming blob {digest}"), e))?,
            Err(e) => return Err(object_error(&format!("looking up blob {digest}"), e)),
        }
        Ok((digest, size))
    }

    /// The plaintext of a blob, decrypted chunk by chunk as it is read; an error item ends the stream
    /// when a chunk does not authenticate.
    pub async fn read(
        &self,
        tenant: &TenantId,
        key: &DataKey,
        digest: &Digest,
    ) -> Result<BoxStream<'static, Result<Bytes, EvidenceError>>, EvidenceError> {
        let got = match self.objects.get(&Self::blob_path(tenant, digest)).await {
            Ok(g) => g,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(EvidenceError::MissingBlob {
                    tenant: tenant.clone(),
                    digest: digest.clone(),
                });
            }
            Err(e) => return Err(object_error(&format!("reading blob {digest}"), e)),
        };
        let inner = got.into_stream();
        let opener = Opener::new(key, tenant);
        let what = format!("blob {digest} of tenant {tenant}");
        let stream = futures_util::stream::unfold(
            (inner, Some(opener), what),
            |(mut inner, opener, what)| async move {
                let mut opener = opener?;
                loop {
                    match inner.next().await {
                        Some(Ok(bytes)) => match opener.update(&bytes) {
                            Ok(plain) if plain.is_empty() => continue,
                            Ok(plain) => {
                                return Some((Ok(Bytes::from(plain)), (inner, Some(opener), what)));
                            }
                            Err(e) => {
                                let err = EvidenceError::Unreadable {
                                    what: what.clone(),
                                    problem: e,
                                };
                                return Some((Err(err), (inner, None, what)));
                            }
                        },
                        Some(Err(e)) => {
                            let err = object_error(&format!("reading {what}"), e);
                            return Some((Err(err), (inner, None, what)));
                        }
                        None => {
                            let last = opener.finish().map(Bytes::from).map_err(|e| {
                                EvidenceError::Unreadable {
                                    what: what.clone(),
                                    problem: e,
                                }
                            });
                            return Some((last, (inner, None, what)));
                        }
                    }
                }
            },
        );
        Ok(stream.boxed())
    }

    /// Reads a blob back, decrypts and re-hashes it, and says whether it is what its name claims.
    pub async fn check(
        &self,
        tenant: &TenantId,
        key: &DataKey,
        digest: &Digest,
        size: u64,
    ) -> Result<BlobCheck, EvidenceError> {
        let mut stream = match self.read(tenant, key, digest).await {
            Ok(s) => s,
            Err(EvidenceError::MissingBlob { .. }) => return Ok(BlobCheck::Missing),
            Err(e) => return Err(e),
        };
        let mut hasher = Sha256::new();
        let mut read: u64 = 0;
        while let Some(item) = stream.next().await {
            match item {
                Ok(bytes) => {
                    read += bytes.len() as u64;
                    hasher.update(&bytes);
                }
                Err(EvidenceError::Unreadable { problem, .. }) => {
                    return Ok(BlobCheck::Mismatch(problem.to_string()));
                }
                Err(e) => return Err(e),
            }
        }
        let actual = Digest::from_bytes(hasher.finalize().into());
        Ok(if actual != *digest {
            BlobCheck::Mismatch(format!("its plaintext hashes to {actual}"))
        } else if read != size {
            BlobCheck::Mismatch(format!("{read} bytes, the record says {size}"))
        } else {
            BlobCheck::Intact
        })
    }

    /// Removes staging objects (left by interrupted uploads) last written before `cutoff`.
    pub async fn sweep_staging(
        &self,
        cutoff: time::OffsetDateTime,
    ) -> Result<usize, EvidenceError> {
        let prefix = Path::from("staging");
        let mut listed = self.objects.list(Some(&prefix));
        let mut removed = 0;
        while let Some(meta) = listed.next().await {
            let meta = meta.map_err(|e| object_error("listing staging", e))?;
            let modified =
                time::OffsetDateTime::from_unix_timestamp(meta.last_modified.timestamp())
                    .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            if modified < cutoff {
                self.objects
                    .delete(&meta.location)
                    .await
                    .map_err(|e| object_error("removing a staging object", e))?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}
