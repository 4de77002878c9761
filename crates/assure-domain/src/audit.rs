//! The audit trail: one hash chain per tenant plus one for the provider, with signed checkpoints.
//!
//! Each record's hash is `SHA-256(previous hash || canonical bytes of the record)`, where the canonical
//! bytes are the JSON of [`CanonicalRecord`] (fields in declaration order, no whitespace). The first record
//! of a chain has the previous hash [`GENESIS_HASH`]. A checkpoint signs a chain's head (sequence and hash)
//! with the provider's Ed25519 key, so a chain cut short after a checkpoint is caught. Every record also
//! carries the digest of the changed object's new state, so a business row changed behind Assure's back no
//! longer matches the last record that describes it.
//!
//! Verification here is pure; signature checking is passed in, so this crate holds no key material.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::TenantId;

/// Previous hash of a chain's first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Which chain a record belongs to: the provider's or one tenant's. Writers of different tenants never
/// contend for the same chain head.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum ChainId {
    Provider,
    Tenant(TenantId),
}

impl ChainId {
    pub fn for_tenant(tenant: Option<&TenantId>) -> Self {
        tenant.map_or(Self::Provider, |t| Self::Tenant(t.clone()))
    }

    pub fn tenant(&self) -> Option<&TenantId> {
        match self {
            Self::Provider => None,
            Self::Tenant(t) => Some(t),
        }
    }
}

impl std::fmt::Display for ChainId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Provider => f.write_str("provider"),
            Self::Tenant(t) => write!(f, "tenant:{t}"),
        }
    }
}

impl From<ChainId> for String {
    fn from(value: ChainId) -> Self {
        value.to_string()
    }
}

impl TryFrom<String> for ChainId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ChainId::parse(&value).ok_or_else(|| format!("not a chain id: {value}"))
    }
}

impl ChainId {
    pub fn parse(value: &str) -> Option<Self> {
        if value == "provider" {
            Some(Self::Provider)
        } else {
            value
                .strip_prefix("tenant:")
                .filter(|t| !t.is_empty())
                .map(|t| Self::Tenant(TenantId::new(t)))
        }
    }
}

/// What happened to an object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Who did it: a user id, or `system:<component>` for Assure itself.
    pub actor: String,
    pub tenant: Option<TenantId>,
    /// A verb in dotted form, e.g. `control.create`, `tenant.update`.
    pub action: String,
    /// The kind of object changed, e.g. `control`, `tenant`.
    pub object_kind: String,
    pub object_id: String,
    /// SHA-256 of the object's new canonical state; `None` when the change deleted it.
    pub state_digest: Option<String>,
}

/// A record of the chain as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub chain: ChainId,
    pub seq: i64,
    /// RFC 3339 in UTC with milliseconds, exactly as hashed (see [`format_instant`]).
    pub at: String,
    pub event: AuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

/// The bytes that are hashed: every field of a record but its own hash, in a fixed order.
#[derive(Debug, Serialize)]
pub struct CanonicalRecord<'a> {
    pub chain: String,
    pub seq: i64,
    pub at: &'a str,
    pub actor: &'a str,
    pub tenant: Option<&'a str>,
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_id: &'a str,
    pub state_digest: Option<&'a str>,
    pub prev_hash: &'a str,
}

impl AuditRecord {
    /// Builds the next record of a chain whose head is `(prev_seq, prev_hash)`.
    pub fn next(
        chain: ChainId,
        prev_seq: i64,
        prev_hash: &str,
        at: OffsetDateTime,
        event: AuditEvent,
    ) -> Self {
        let mut record = Self {
            chain,
            seq: prev_seq + 1,
            at: format_instant(at),
            event,
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        record.hash = record.compute_hash();
        record
    }

    pub fn canonical_bytes(&self) -> Vec<u8> {
        let canonical = CanonicalRecord {
            chain: self.chain.to_string(),
            seq: self.seq,
            at: &self.at,
            actor: &self.event.actor,
            tenant: self.event.tenant.as_ref().map(|t| t.as_str()),
            action: &self.event.action,
            object_kind: &self.event.object_kind,
            object_id: &self.event.object_id,
            state_digest: self.event.state_digest.as_deref(),
            prev_hash: &self.prev_hash,
        };
        // Serializing a struct of strings and integers cannot fail.
        serde_json::to_vec(&canonical).unwrap_or_default()
    }

    pub fn compute_hash(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(self.canonical_bytes());
        hex::encode(hasher.finalize())
    }
}

/// A signed statement that a chain had this head at this time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub chain: ChainId,
    pub seq: i64,
    pub head_hash: String,
    pub signed_at: String,
    /// Hex of the first 8 bytes of SHA-256 of the public key, to pick the key when keys rotate.
    pub key_id: String,
    /// Hex Ed25519 signature over [`Checkpoint::message`].
    pub signature: String,
}

impl Checkpoint {
    /// The exact bytes that are signed.
    pub fn message(chain: &ChainId, seq: i64, head_hash: &str, signed_at: &str) -> Vec<u8> {
        format!("assure-audit-checkpoint-v1\n{chain}\n{seq}\n{head_hash}\n{signed_at}\n")
            .into_bytes()
    }

    pub fn signed_message(&self) -> Vec<u8> {
        Self::message(&self.chain, self.seq, &self.head_hash, &self.signed_at)
    }
}

/// The first place a chain stops being trustworthy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ChainBreak {
    #[error(
        "chain {chain}: record {found} found where record {expected} was due (a record was deleted, inserted or reordered)"
    )]
    Sequence {
        chain: ChainId,
        expected: i64,
        found: i64,
    },
    #[error(
        "chain {chain}: record {seq} does not link to record {prev} (its previous hash differs)"
    )]
    Link { chain: ChainId, seq: i64, prev: i64 },
    #[error("chain {chain}: record {seq} was altered (its hash no longer matches its contents)")]
    Altered { chain: ChainId, seq: i64 },
    #[error("chain {chain}: record {seq} belongs to chain {actual}")]
    WrongChain {
        chain: ChainId,
        seq: i64,
        actual: ChainId,
    },
    #[error("chain {chain}: checkpoint at record {seq} has an invalid signature")]
    BadSignature { chain: ChainId, seq: i64 },
    #[error(
        "chain {chain}: truncated: a checkpoint vouches for record {seq} but the chain ends at record {last}"
    )]
    Truncated { chain: ChainId, seq: i64, last: i64 },
    #[error("chain {chain}: record {seq} differs from the head its checkpoint signed")]
    CheckpointMismatch { chain: ChainId, seq: i64 },
}

impl ChainBreak {
    /// The sequence number of the record the break is reported at.
    pub fn seq(&self) -> i64 {
        match self {
            Self::Sequence { found, .. } => *found,
            Self::Link { seq, .. }
            | Self::Altered { seq, .. }
            | Self::WrongChain { seq, .. }
            | Self::BadSignature { seq, .. }
            | Self::Truncated { seq, .. }
            | Self::CheckpointMismatch { seq, .. } => *seq,
        }
    }
}

/// What a verified chain amounts to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainSummary {
    pub chain: ChainId,
    pub records: i64,
    pub head_hash: String,
    pub checkpoints: usize,
}

/// Walks one chain in sequence order and checks every link, hash and checkpoint.
/// `records` must be sorted by `seq` as stored; `signature_valid` checks one checkpoint's signature.
pub fn verify_chain(
    chain: &ChainId,
    records: &[AuditRecord],
    checkpoints: &[Checkpoint],
    signature_valid: impl Fn(&Checkpoint) -> bool,
) -> Result<ChainSummary, ChainBreak> {
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut expected = 1;
    for record in records {
        if &record.chain != chain {
            return Err(ChainBreak::WrongChain {
                chain: chain.clone(),
                seq: record.seq,
                actual: record.chain.clone(),
            });
        }
        if record.seq != expected {
            return Err(ChainBreak::Sequence {
                chain: chain.clone(),
                expected,
                found: record.seq,
            });
        }
        if record.compute_hash() != record.hash {
            return Err(ChainBreak::Altered {
                chain: chain.clone(),
                seq: record.seq,
            });
        }
        if record.prev_hash != prev_hash {
            return Err(ChainBreak::Link {
                chain: chain.clone(),
                seq: record.seq,
                prev: record.seq - 1,
            });
        }
        prev_hash.clone_from(&record.hash);
        expected += 1;
    }
    let last = expected - 1;
    for checkpoint in checkpoints {
        if !signature_valid(checkpoint) || &checkpoint.chain != chain {
            return Err(ChainBreak::BadSignature {
                chain: chain.clone(),
                seq: checkpoint.seq,
            });
        }
        if checkpoint.seq > last {
            return Err(ChainBreak::Truncated {
                chain: chain.clone(),
                seq: checkpoint.seq,
                last,
            });
        }
        let index = usize::try_from(checkpoint.seq - 1).unwrap_or(usize::MAX);
        match records.get(index) {
            Some(r) if r.hash == checkpoint.head_hash => {}
            _ => {
                return Err(ChainBreak::CheckpointMismatch {
                    chain: chain.clone(),
                    seq: checkpoint.seq,
                });
            }
        }
    }
    Ok(ChainSummary {
        chain: chain.clone(),
        records: last,
        head_hash: prev_hash,
        checkpoints: checkpoints.len(),
    })
}

/// The one textual form of instants in hashed records: UTC, milliseconds, `Z`.
pub fn format_instant(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let millis = utc.millisecond();
    let whole = utc.replace_nanosecond(0).unwrap_or(utc);
    let base = whole.format(&Rfc3339).unwrap_or_default();
    // `base` ends in `Z`; insert the milliseconds before it.
    format!("{}.{millis:03}Z", base.trim_end_matches('Z'))
}

/// Reads the instant an `--as-of` question is about: an RFC 3339 instant, or a calendar date meaning the
/// end of that day in UTC (a report "as of 2026-03-31" includes everything written that day).
pub fn parse_as_of(text: &str) -> Result<OffsetDateTime, String> {
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(at);
    }
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, date_format)
        .ok()
        .and_then(|d| d.with_hms_milli(23, 59, 59, 999).ok())
        .map(time::PrimitiveDateTime::assume_utc)
        .ok_or_else(|| {
            format!("{text:?} is neither a date (2026-03-31) nor an RFC 3339 instant (2026-03-31T12:00:00Z)")
        })
}

/// SHA-256 (hex) of an object's canonical JSON: the digest an audit record keeps of the new state.
pub fn state_digest<T: Serialize + ?Sized>(state: &T) -> String {
    let bytes = serde_json::to_vec(state).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod as_of_tests {
    use super::*;

    #[test]
    fn a_date_means_the_end_of_that_day_and_an_instant_itself() {
        assert_eq!(
            parse_as_of("2026-03-31").map(format_instant),
            Ok("2026-03-31T23:59:59.999Z".to_owned())
        );
        assert_eq!(
            parse_as_of("2026-03-31T10:00:00+02:00").map(format_instant),
            Ok("2026-03-31T08:00:00.000Z".to_owned())
        );
        for bad in ["", "2026-02-30", "31/03/2026", "2026-03-31T25:00:00Z"] {
            let e = parse_as_of(bad).expect_err(bad);
            assert!(e.contains("neither a date"), "{e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn event(n: usize) -> AuditEvent {
        AuditEvent {
            actor: "system:test".into(),
            tenant: Some("northbank".into()),
            action: "tenant.update".into(),
            object_kind: "tenant".into(),
            object_id: format!("obj-{n}"),
            state_digest: Some(state_digest(&n)),
        }
    }

    fn chain(n: usize) -> Vec<AuditRecord> {
        let id = ChainId::Tenant("northbank".into());
        let mut out: Vec<AuditRecord> = Vec::new();
        for i in 0..n {
            let (seq, hash) = out
                .last()
                .map_or((0, GENESIS_HASH.to_owned()), |r| (r.seq, r.hash.clone()));
            out.push(AuditRecord::next(
                id.clone(),
                seq,
                &hash,
                datetime!(2026-01-01 00:00:00.5 UTC),
                event(i),
            ));
        }
        out
    }

    fn id() -> ChainId {
        ChainId::Tenant("northbank".into())
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let records = chain(5);
        let summary = verify_chain(&id(), &records, &[], |_| true).expect("verifies");
        assert_eq!(summary.records, 5);
    }

    #[test]
    fn an_edited_field_is_named_by_its_record() {
        let mut records = chain(5);
        records[2].event.actor = "mallory".into();
        let err = verify_chain(&id(), &records, &[], |_| true).expect_err("breaks");
        assert_eq!(
            err,
            ChainBreak::Altered {
                chain: id(),
                seq: 3
            }
        );
    }

    #[test]
    fn a_deleted_record_is_a_sequence_gap() {
        let mut records = chain(5);
        records.remove(1);
        let err = verify_chain(&id(), &records, &[], |_| true).expect_err("breaks");
        assert_eq!(err.seq(), 3);
        assert!(matches!(err, ChainBreak::Sequence { expected: 2, .. }));
    }

    #[test]
    fn swapped_records_break_the_chain() {
        let mut records = chain(5);
        // Swap contents but keep the positions' sequence numbers, as an UPDATE of two rows would.
        let (a, b) = (records[1].clone(), records[2].clone());
        records[1] = AuditRecord { seq: 2, ..b };
        records[2] = AuditRecord { seq: 3, ..a };
        let err = verify_chain(&id(), &records, &[], |_| true).expect_err("breaks");
        assert_eq!(err.seq(), 2);
    }

    #[test]
    fn a_truncated_tail_is_caught_by_the_last_checkpoint() {
        let records = chain(5);
        let cp = Checkpoint {
            chain: id(),
            seq: 5,
            head_hash: records[4].hash.clone(),
            signed_at: "2026-01-01T00:00:00.000Z".into(),
            key_id: "k".into(),
            signature: "s".into(),
        };
        assert!(verify_chain(&id(), &records, std::slice::from_ref(&cp), |_| true).is_ok());
        let err = verify_chain(&id(), &records[..3], std::slice::from_ref(&cp), |_| true)
            .expect_err("breaks");
        assert_eq!(
            err,
            ChainBreak::Truncated {
                chain: id(),
                seq: 5,
                last: 3
            }
        );
        let err = verify_chain(&id(), &records, &[cp], |_| false).expect_err("breaks");
        assert!(matches!(err, ChainBreak::BadSignature { .. }));
    }

    #[test]
    fn instants_have_one_textual_form() {
        assert_eq!(
            format_instant(datetime!(2026-03-04 05:06:07.891234 +02:00)),
            "2026-03-04T03:06:07.891Z"
        );
        assert_eq!(
            format_instant(datetime!(2026-03-04 05:06:07 UTC)),
            "2026-03-04T05:06:07.000Z"
        );
    }

    #[test]
    fn chain_ids_round_trip() {
        for c in [ChainId::Provider, id()] {
            assert_eq!(ChainId::parse(&c.to_string()), Some(c));
        }
        assert_eq!(ChainId::parse("tenant:"), None);
    }
}
