//! Evidence metadata: what a piece of evidence is, when it was collected, which period it covers, and
//! the rules that reject or flag it. The bytes live elsewhere (`assure-evidence`); a record names them by
//! the SHA-256 of their plaintext.
//!
//! A record is never changed: a correction is a new record that supersedes the old one, and the old one
//! stays readable as an earlier version.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

use crate::{ControlId, FrameworkId, RequirementId, TenantId, UserId};

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// How far a client clock may run ahead before `collected_at` counts as future-dated.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// An evidence record's identifier (a UUID v7, so IDs sort by upload time).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct EvidenceId(String);

impl EvidenceId {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EvidenceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The SHA-256 of a blob's plaintext, as 64 lowercase hex digits: the blob's name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct Digest(String);

impl Digest {
    /// Accepts 64 hex digits (either case); stores them lowercase.
    pub fn parse(value: &str) -> Option<Self> {
        (value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(value.to_ascii_lowercase()))
    }
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(hex::encode(bytes))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Digest {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
            .ok_or_else(|| format!("{value:?} is not a SHA-256 digest (64 hex digits)"))
    }
}

impl From<Digest> for String {
    fn from(d: Digest) -> Self {
        d.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a piece of evidence is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceKind {
    ConfigurationSnapshot,
    AccessLog,
    KeyRotationRecord,
    PenetrationTestReport,
    Policy,
    RemediationTicketLink,
    QuestionnaireAnswer,
    Other,
}

impl EvidenceKind {
    pub const ALL: [EvidenceKind; 8] = [
        Self::ConfigurationSnapshot,
        Self::AccessLog,
        Self::KeyRotationRecord,
        Self::PenetrationTestReport,
        Self::Policy,
        Self::RemediationTicketLink,
        Self::QuestionnaireAnswer,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConfigurationSnapshot => "configuration-snapshot",
            Self::AccessLog => "access-log",
            Self::KeyRotationRecord => "key-rotation-record",
            Self::PenetrationTestReport => "penetration-test-report",
            Self::Policy => "policy",
            Self::RemediationTicketLink => "remediation-ticket-link",
            Self::QuestionnaireAnswer => "questionnaire-answer",
            Self::Other => "other",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// How the evidence reached Assure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceSource {
    ManualUpload,
    Api,
    CheckRun,
}

impl EvidenceSource {
    pub const ALL: [EvidenceSource; 3] = [Self::ManualUpload, Self::Api, Self::CheckRun];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ManualUpload => "manual-upload",
            Self::Api => "api",
            Self::CheckRun => "check-run",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// The period a piece of evidence speaks for, both days inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Period {
    #[serde(with = "iso_date")]
    pub start: Date,
    #[serde(with = "iso_date")]
    pub end: Date,
}

/// A link from evidence to what it supports.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum EvidenceLink {
    Control {
        control: ControlId,
    },
    Requirement {
        framework: FrameworkId,
        requirement: RequirementId,
    },
}

/// Something about a record a reviewer should know, kept with the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceFlag {
    /// A stable code, e.g. `period-open`.
    pub code: String,
    /// The reason, in words.
    pub reason: String,
}

/// What the uploader says about the evidence; checked by [`assess`] before anything is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceClaim {
    pub kind: EvidenceKind,
    pub title: String,
    pub collected_at: OffsetDateTime,
    pub period: Option<Period>,
    pub expires_on: Option<Date>,
    pub source: EvidenceSource,
    pub links: Vec<EvidenceLink>,
}

/// Why a claim was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceRejection {
    #[error("title: must not be empty")]
    EmptyTitle,
    #[error(
        "collected_at: {collected_at} is in the future (now {now}); evidence cannot be collected before it exists"
    )]
    FutureDated { collected_at: String, now: String },
    #[error("period: starts {start} after it ends {end}")]
    PeriodInverted { start: Date, end: Date },
    #[error("period: collected {collected} before the period it claims to cover began ({start})")]
    CollectedBeforePeriod { collected: Date, start: Date },
    #[error("expires_on: {expires} is before the evidence was collected ({collected})")]
    ExpiresBeforeCollected { expires: Date, collected: Date },
}

/// Checks a claim at upload time `now`: refuses what cannot be true, flags what a reviewer should see.
///
/// Refused: an empty title, `collected_at` in the future (beyond [`CLOCK_SKEW`]), an inverted period,
/// collection before the claimed period began (the evidence cannot speak for days that had not yet
/// happened), expiry before collection. Flagged: a period that has not ended when the evidence was
/// collected (it covers only part of it), evidence already expired at upload.
pub fn assess(
    claim: &EvidenceClaim,
    now: OffsetDateTime,
) -> Result<Vec<EvidenceFlag>, EvidenceRejection> {
    if claim.title.trim().is_empty() {
        return Err(EvidenceRejection::EmptyTitle);
    }
    if claim.collected_at > now + CLOCK_SKEW {
        return Err(EvidenceRejection::FutureDated {
            collected_at: crate::audit::format_instant(claim.collected_at),
            now: crate::audit::format_instant(now),
        });
    }
    let collected = claim.collected_at.to_offset(time::UtcOffset::UTC).date();
    let mut flags = Vec::new();
    if let Some(p) = claim.period {
        if p.start > p.end {
            return Err(EvidenceRejection::PeriodInverted {
                start: p.start,
                end: p.end,
            });
        }
        if collected < p.start {
            return Err(EvidenceRejection::CollectedBeforePeriod {
                collected,
                start: p.start,
            });
        }
        if collected < p.end {
            flags.push(EvidenceFlag {
                code: "period-open".into(),
                reason: format!(
                    "collected {collected}, before the claimed period ends ({}): it covers the period only in part",
                    p.end
                ),
            });
        }
    }
    if let Some(expires) = claim.expires_on {
        if expires < collected {
            return Err(EvidenceRejection::ExpiresBeforeCollected { expires, collected });
        }
        if expires < now.to_offset(time::UtcOffset::UTC).date() {
            flags.push(EvidenceFlag {
                code: "expired".into(),
                reason: format!("expired on {expires}, before it was uploaded"),
            });
        }
    }
    Ok(flags)
}

/// A stored evidence record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceRecord {
    pub id: EvidenceId,
    pub tenant: TenantId,
    pub kind: EvidenceKind,
    pub title: String,
    pub digest: Digest,
    /// Plaintext size in bytes.
    pub size: u64,
    pub media_type: String,
    /// The file name the uploader gave, if any.
    pub file_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub collected_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded_at: OffsetDateTime,
    pub period: Option<Period>,
    #[serde(with = "iso_date::option")]
    pub expires_on: Option<Date>,
    pub source: EvidenceSource,
    pub links: Vec<EvidenceLink>,
    pub uploader: UserId,
    /// The record this one replaces, if it is a new version.
    pub supersedes: Option<EvidenceId>,
    /// The first record of this record's line of versions (itself for a first version).
    pub lineage: EvidenceId,
    pub version: i64,
    pub flags: Vec<EvidenceFlag>,
}

impl EvidenceRecord {
    /// Whether the record has expired on `today`.
    pub fn is_expired(&self, today: Date) -> bool {
        self.expires_on.is_some_and(|e| e < today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn claim() -> EvidenceClaim {
        EvidenceClaim {
            kind: EvidenceKind::AccessLog,
            title: "VPN access log".into(),
            collected_at: datetime!(2026-04-02 10:00 UTC),
            period: Some(Period {
                start: date!(2026 - 01 - 01),
                end: date!(2026 - 03 - 31),
            }),
            expires_on: Some(date!(2027 - 04 - 01)),
            source: EvidenceSource::ManualUpload,
            links: vec![],
        }
    }

    const NOW: OffsetDateTime = datetime!(2026-04-03 00:00 UTC);

    #[test]
    fn evidence_collected_after_its_period_is_accepted_unflagged() {
        assert_eq!(assess(&claim(), NOW), Ok(vec![]));
    }

    #[test]
    fn future_dated_evidence_is_rejected() {
        let mut c = claim();
        c.collected_at = NOW + Duration::hours(1);
        assert!(matches!(
            assess(&c, NOW),
            Err(EvidenceRejection::FutureDated { .. })
        ));
        c.collected_at = NOW + Duration::minutes(1);
        assert!(assess(&c, NOW).is_ok(), "clock skew is tolerated");
    }

    #[test]
    fn evidence_collected_before_its_period_is_rejected() {
        let mut c = claim();
        c.collected_at = datetime!(2025-12-31 23:00 UTC);
        assert!(matches!(
            assess(&c, NOW),
            Err(EvidenceRejection::CollectedBeforePeriod { .. })
        ));
    }

    #[test]
    fn evidence_collected_inside_its_period_is_flagged_period_open() {
        let mut c = claim();
        c.collected_at = datetime!(2026-02-01 00:00 UTC);
        let flags = assess(&c, NOW).expect("accepted");
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].code, "period-open");
    }

    #[test]
    fn inverted_periods_and_expiry_before_collection_are_rejected() {
        let mut c = claim();
        c.period = Some(Period {
            start: date!(2026 - 03 - 31),
            end: date!(2026 - 01 - 01),
        });
        assert!(matches!(
            assess(&c, NOW),
            Err(EvidenceRejection::PeriodInverted { .. })
        ));
        let mut c = claim();
        c.expires_on = Some(date!(2026 - 01 - 01));
        assert!(matches!(
            assess(&c, NOW),
            Err(EvidenceRejection::ExpiresBeforeCollected { .. })
        ));
    }

    #[test]
    fn digests_are_64_hex_digits_stored_lowercase() {
        let d = Digest::parse(&"AB".repeat(32)).expect("valid");
        assert_eq!(d.as_str(), "ab".repeat(32));
        assert!(Digest::parse("abc").is_none());
        assert!(Digest::parse(&"zz".repeat(32)).is_none());
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in EvidenceKind::ALL {
            assert_eq!(EvidenceKind::parse(k.as_str()), Some(k));
        }
    }
}
