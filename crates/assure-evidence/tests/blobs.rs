//! The local blob store: what is written reads back, a failed stream names nothing, limits hold.

use assure_domain::TenantId;
use assure_evidence::{BlobCheck, BlobStore, DataKey, EvidenceError};
use bytes::Bytes;
use futures_util::StreamExt;

fn chunks(data: &[u8]) -> impl futures_util::Stream<Item = Result<Bytes, String>> + Send + use<> {
    let pieces: Vec<Result<Bytes, String>> = data
        .chunks(100_000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    futures_util::stream::iter(pieces)
}

fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

#[tokio::test]
async fn a_blob_reads_back_and_verifies_and_a_changed_byte_is_caught() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = BlobStore::local(dir.path()).expect("store");
    let key = DataKey::generate();
    let tenant: TenantId = "t1".into();
    let data: Vec<u8> = (0..1_000_003u32).map(|i| (i % 241) as u8).collect();
    let (digest, size) = store
        .write(&tenant, &key, chunks(&data), 10_000_000)
        .await
        .expect("write");
    assert_eq!(size, data.len() as u64);
    let mut back = Vec::new();
    let mut stream = store.read(&tenant, &key, &digest).await.expect("read");
    while let Some(piece) = stream.next().await {
        back.extend_from_slice(&piece.expect("authentic"));
    }
    assert_eq!(back, data);
    assert_eq!(
        store
            .check(&tenant, &key, &digest, size)
            .await
            .expect("check"),
        BlobCheck::Intact
    );

    let path = dir.path().join(format!("tenants/t1/blobs/{digest}"));
    let mut stored = std::fs::read(&path).expect("stored");
    assert!(
        !stored.windows(64).any(|w| w == &data[..64]),
        "the blob is encrypted at rest"
    );
    stored[500_000] ^= 0x80;
    std::fs::write(&path, stored).expect("tamper");
    assert!(matches!(
        store
            .check(&tenant, &key, &digest, size)
            .await
            .expect("check"),
        BlobCheck::Mismatch(_)
    ));
    std::fs::remove_file(&path).expect("remove");
    assert_eq!(
        store
            .check(&tenant, &key, &digest, size)
            .await
            .expect("check"),
        BlobCheck::Missing
    );
}

#[tokio::test]
async fn an_interrupted_or_oversized_upload_leaves_no_named_blob() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = BlobStore::local(dir.path()).expect("store");
    let key = DataKey::generate();
    let tenant: TenantId = "t1".into();
    let broken = futures_util::stream::iter(vec![
        Ok(Bytes::from_static(b"first part")),
        Err("connection reset".to_owned()),
    ]);
    let err = store
        .write(&tenant, &key, broken, 1000)
        .await
        .expect_err("fails");
    assert!(matches!(err, EvidenceError::Body(_)), "{err}");
    let err = store
        .write(&tenant, &key, chunks(&[0u8; 5000]), 1000)
        .await
        .expect_err("too large");
    assert!(
        matches!(err, EvidenceError::TooLarge { limit: 1000 }),
        "{err}"
    );
    let named: Vec<_> = files_under(dir.path())
        .into_iter()
        .filter(|f| f.contains("/blobs/"))
        .collect();
    assert!(named.is_empty(), "no blob is named: {named:?}");
    let swept = store
        .sweep_staging(time::OffsetDateTime::now_utc() + time::Duration::minutes(1))
        .await
        .expect("sweep");
    let left: Vec<_> = files_under(dir.path())
        .into_iter()
        .filter(|f| f.contains("staging"))
        .collect();
    assert!(
        left.is_empty(),
        "sweep removes staging leftovers ({swept} removed): {left:?}"
    );
}

#[tokio::test]
async fn the_same_bytes_twice_in_one_tenant_are_one_blob() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = BlobStore::local(dir.path()).expect("store");
    let key = DataKey::generate();
    let tenant: TenantId = "t1".into();
    let (a, _) = store
        .write(&tenant, &key, chunks(b"same"), 100)
        .await
        .expect("write");
    let (b, _) = store
        .write(&tenant, &key, chunks(b"same"), 100)
        .await
        .expect("write");
    assert_eq!(a, b);
    let blobs: Vec<_> = files_under(dir.path())
        .into_iter()
        .filter(|f| f.contains("/blobs/"))
        .collect();
    assert_eq!(blobs.len(), 1, "{blobs:?}");
}
