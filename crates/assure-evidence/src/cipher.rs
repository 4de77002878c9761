//! Streaming encryption of blobs: the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár) over
//! AES-256-GCM, so a blob of any size is encrypted and decrypted in fixed-size chunks, never whole.
//!
//! Layout: a header (`ASSUREEV`, format version, a random 7-byte nonce prefix, the chunk size), then
//! chunks of up to [`CHUNK`] plaintext bytes, each sealed with its own nonce `prefix || counter || last`
//! and the header (and tenant) as associated data. Reordering, dropping or appending chunks, truncating the
//! blob, or moving it to another tenant all fail authentication.

use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::{AeadInPlace, OsRng};
use aes_gcm::{Aes256Gcm, Nonce};
use assure_domain::TenantId;

use crate::keys::DataKey;

/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
const MAGIC: &[u8; 8] = b"ASSUREEV";
const VERSION: u8 = 1;
/// Bytes of the header.
pub const HEADER: usize = 8 + 1 + 7 + 4;

/// Why a blob did not decrypt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("not an Assure evidence blob (bad header)")]
    BadHeader,
    #[error("chunk {0} does not authenticate: the stored bytes were changed")]
    Tampered(u64),
    #[error("the blob ends early (no final chunk): it was truncated")]
    Truncated,
}

fn nonce(prefix: &[u8; 7], counter: u32, last: bool) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..7].copy_from_slice(prefix);
    n[7..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    n
}

fn aad(header: &[u8], tenant: &TenantId) -> Vec<u8> {
    [header, tenant.as_str().as_bytes()].concat()
}

/// Encrypts a stream: feed plaintext with [`Sealer::update`], end with [`Sealer::finish`]; each returns
/// the ciphertext ready so far.
pub struct Sealer {
    cipher: Aes256Gcm,
    prefix: [u8; 7],
    aad: Vec<u8>,
    counter: u32,
    buf: Vec<u8>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("counter", &self.counter)
            .finish()
    }
}

impl Sealer {
    /// A new sealer and the header to write first.
    pub fn new(key: &DataKey, tenant: &TenantId) -> (Self, Vec<u8>) {
        let mut prefix = [0u8; 7];
        OsRng.fill_bytes(&mut prefix);
        let mut header = Vec::with_capacity(HEADER);
        header.extend_from_slice(MAGIC);
        header.push(VERSION);
        header.extend_from_slice(&prefix);
        header.extend_from_slice(&(CHUNK as u32).to_be_bytes());
        let sealer = Self {
            cipher: key.cipher(),
            prefix,
            aad: aad(&header, tenant),
            counter: 0,
            buf: Vec::with_capacity(CHUNK + TAG),
        };
        (sealer, header)
    }

    fn seal(&mut self, last: bool, out: &mut Vec<u8>) {
        let n = nonce(&self.prefix, self.counter, last);
        // Sealing fails only past GCM's message limit (64 GiB per chunk); chunks are 64 KiB.
        let tag = self
            .cipher
            .encrypt_in_place_detached(Nonce::from_slice(&n), &self.aad, &mut self.buf)
            .unwrap_or_default();
        out.extend_from_slice(&self.buf);
        out.extend_from_slice(&tag);
        self.buf.clear();
        self.counter = self.counter.wrapping_add(1);
    }

    /// Adds plaintext; returns the chunks that are complete. A full chunk is sealed only when more
    /// plaintext follows, because the final chunk is marked as final.
    pub fn update(&mut self, mut data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + data.len() / CHUNK * TAG + TAG);
        while !data.is_empty() {
            if self.buf.len() == CHUNK {
                self.seal(false, &mut out);
            }
            let take = (CHUNK - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        out
    }

    /// Seals what is left as the final chunk.
    pub fn finish(mut self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.buf.len() + TAG);
        self.seal(true, &mut out);
        out
    }
}

/// Decrypts a stream: feed ciphertext (header first) with [`Opener::update`], end with
/// [`Opener::finish`]; each returns the plaintext authenticated so far.
pub struct Opener {
    cipher: Aes256Gcm,
    tenant: TenantId,
    header: Option<([u8; 7], Vec<u8>)>,
    counter: u32,
    chunks: u64,
    buf: Vec<u8>,
}

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opener")
            .field("chunks", &self.chunks)
            .finish()
    }
}

impl Opener {
    pub fn new(key: &DataKey, tenant: &TenantId) -> Self {
        Self {
            cipher: key.cipher(),
            tenant: tenant.clone(),
            header: None,
            counter: 0,
            chunks: 0,
            buf: Vec::with_capacity(CHUNK + TAG),
        }
    }

    fn open(&mut self, last: bool, out: &mut Vec<u8>) -> Result<(), OpenError> {
        let Some((prefix, aad)) = &self.header else {
            return Err(OpenError::BadHeader);
        };
        if self.buf.len() < TAG {
            return Err(OpenError::Truncated);
        }
        let n = nonce(prefix, self.counter, last);
        let split = self.buf.len() - TAG;
        let tag = aes_gcm::Tag::clone_from_slice(&self.buf[split..]);
        self.buf.truncate(split);
        self.cipher
            .decrypt_in_place_detached(Nonce::from_slice(&n), aad, &mut self.buf, &tag)
            .map_err(|_| OpenError::Tampered(self.chunks))?;
        out.extend_from_slice(&self.buf);
        self.buf.clear();
        self.counter = self.counter.wrapping_add(1);
        self.chunks += 1;
        Ok(())
    }

    /// Adds ciphertext; returns the plaintext of chunks that authenticated.
    pub fn update(&mut self, mut data: &[u8]) -> Result<Vec<u8>, OpenError> {
        let mut out = Vec::with_capacity(data.len());
        while !data.is_empty() {
            if self.header.is_none() {
                let take = (HEADER - self.buf.len()).min(data.len());
                self.buf.extend_from_slice(&data[..take]);
                data = &data[take..];
                if self.buf.len() == HEADER {
                    let h = std::mem::take(&mut self.buf);
                    if &h[..8] != MAGIC
                        || h[8] != VERSION
                        || h[16..20] != (CHUNK as u32).to_be_bytes()
                    {
                        return Err(OpenError::BadHeader);
                    }
                    let mut prefix = [0u8; 7];
                    prefix.copy_from_slice(&h[9..16]);
                    self.header = Some((prefix, aad(&h, &self.tenant)));
                    self.buf.reserve(CHUNK + TAG);
                }
                continue;
            }
            if self.buf.len() == CHUNK + TAG {
                self.open(false, &mut out)?;
            }
            let take = (CHUNK + TAG - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        Ok(out)
    }

    /// Opens the final chunk; fails when the blob was cut short.
    pub fn finish(mut self) -> Result<Vec<u8>, OpenError> {
        if self.header.is_none() {
            return Err(OpenError::BadHeader);
        }
        let mut out = Vec::new();
        self.open(true, &mut out).map_err(|e| match e {
            OpenError::Tampered(_) if self.buf.is_empty() => OpenError::Truncated,
            other => other,
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal_all(key: &DataKey, tenant: &TenantId, plain: &[u8], piece: usize) -> Vec<u8> {
        let (mut s, mut out) = Sealer::new(key, tenant);
        for p in plain.chunks(piece.max(1)) {
            out.extend(s.update(p));
        }
        out.extend(s.finish());
        out
    }

    fn open_all(
        key: &DataKey,
        tenant: &TenantId,
        sealed: &[u8],
        piece: usize,
    ) -> Result<Vec<u8>, OpenError> {
        let mut o = Opener::new(key, tenant);
        let mut out = Vec::new();
        for p in sealed.chunks(piece.max(1)) {
            out.extend(o.update(p)?);
        }
        out.extend(o.finish()?);
        Ok(out)
    }

    #[test]
    fn round_trips_at_every_size_around_chunk_boundaries() {
        let key = DataKey::generate();
        let t: TenantId = "t".into();
        for size in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 7] {
            let plain: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            for piece in [1000, CHUNK, 7 * CHUNK] {
                let sealed = seal_all(&key, &t, &plain, piece);
                assert_eq!(
                    open_all(&key, &t, &sealed, 777).expect("opens"),
                    plain,
                    "size {size}"
                );
            }
        }
    }

    #[test]
    fn one_changed_byte_truncation_or_another_tenant_fails() {
        let key = DataKey::generate();
        let t: TenantId = "t".into();
        let plain = vec![5u8; 2 * CHUNK + 10];
        let sealed = seal_all(&key, &t, &plain, CHUNK);
        let mut flipped = sealed.clone();
        flipped[HEADER + CHUNK + 20] ^= 1;
        assert_eq!(
            open_all(&key, &t, &flipped, 4096),
            Err(OpenError::Tampered(1))
        );
        let cut = &sealed[..HEADER + CHUNK + TAG];
        assert!(
            open_all(&key, &t, cut, 4096).is_err(),
            "a cut at a chunk boundary is caught"
        );
        assert!(open_all(&key, &"u".into(), &sealed, 4096).is_err());
        assert!(open_all(&DataKey::generate(), &t, &sealed, 4096).is_err());
    }
}
