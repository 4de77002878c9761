//! The provider's control baseline: domains, controls and the versions in which they are published.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{BaselineVersionId, ControlId, DomainId};

/// A group of controls with one concern (identity and access, cryptography, ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ControlDomain {
    pub id: DomainId,
    pub name: String,
    pub description: String,
}

/// A control of the provider's baseline, written in the provider's own words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Control {
    pub id: ControlId,
    pub domain: DomainId,
    pub title: String,
    /// What must be true.
    pub statement: String,
    /// How an assessor tests that it is true.
    pub test_procedure: String,
    /// What evidence satisfies it, one expectation per entry.
    pub evidence: Vec<String>,
}

/// Where a baseline version is in its life; only a published version is in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum VersionState {
    Draft,
    InReview,
    Approved,
    Published,
    /// Abandoned before publication (e.g. a draft over a catalogue that moved since); never in force.
    Withdrawn,
}

impl VersionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InReview => "in-review",
            Self::Approved => "approved",
            Self::Published => "published",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Draft, in review or approved: one such version at a time.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Draft | Self::InReview | Self::Approved)
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Draft,
            Self::InReview,
            Self::Approved,
            Self::Published,
            Self::Withdrawn,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }
}

/// One version of the baseline with its governance record; its content (a
/// [`crate::baseline::Baseline`]) is kept beside it and named here by digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BaselineVersion {
    /// `v1`, `v2`, ...: `v` and the number.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: BaselineVersionId,
    pub number: i64,
    pub state: VersionState,
    pub trigger: crate::baseline::Trigger,
    pub rationale: String,
    /// Who opened the version (an actor as the audit trail names it, e.g. `user:alice@example.com`).
    pub author: String,
    /// Named with the submission for review.
    pub reviewers: Vec<String>,
    pub approved_by: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub published_at: Option<OffsetDateTime>,
    /// From when a published version is in force.
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub effective_at: Option<OffsetDateTime>,
    /// SHA-256 of the version's content, so the audit record of the version covers its content.
    pub content_digest: String,
    /// SHA-256 of the baseline in force when the draft was opened; publication refuses when the live
    /// baseline moved since (an import in between), so nothing is silently reverted.
    pub base_digest: String,
}
