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
}

impl VersionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InReview => "in-review",
            Self::Approved => "approved",
            Self::Published => "published",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Draft, Self::InReview, Self::Approved, Self::Published]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

/// One version of the baseline; the catalogue rows carry no version of their own until the baseline
/// lifecycle makes them versioned, so today a version records when content was loaded and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BaselineVersion {
    pub id: BaselineVersionId,
    pub state: VersionState,
    pub rationale: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub effective_at: Option<OffsetDateTime>,
}
