//! Typed mappings from baseline controls to framework requirements, with OSCAL 1.2's relationships.

use serde::{Deserialize, Serialize};

use crate::{ControlId, FrameworkId, RequirementId};

/// How a control relates to a requirement, read "the control is RELATIONSHIP the requirement"
/// (OSCAL 1.2 mapping-collection vocabulary, after NIST IR 8477).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Relationship {
    EquivalentTo,
    EqualTo,
    SubsetOf,
    SupersetOf,
    IntersectsWith,
    NoRelationship,
}

impl Relationship {
    pub const ALL: [Relationship; 6] = [
        Self::EquivalentTo,
        Self::EqualTo,
        Self::SubsetOf,
        Self::SupersetOf,
        Self::IntersectsWith,
        Self::NoRelationship,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EquivalentTo => "equivalent-to",
            Self::EqualTo => "equal-to",
            Self::SubsetOf => "subset-of",
            Self::SupersetOf => "superset-of",
            Self::IntersectsWith => "intersects-with",
            Self::NoRelationship => "no-relationship",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }

    /// Whether a control in this relationship, operating, satisfies the whole requirement.
    /// `equal-to`, `equivalent-to` and `superset-of` do; `subset-of` and `intersects-with` satisfy part of
    /// it; `no-relationship` records that someone looked and found nothing, and satisfies nothing.
    pub fn contribution(self) -> Contribution {
        match self {
            Self::EquivalentTo | Self::EqualTo | Self::SupersetOf => Contribution::Full,
            Self::SubsetOf | Self::IntersectsWith => Contribution::Partial,
            Self::NoRelationship => Contribution::None,
        }
    }
}

/// What one mapping contributes to covering its requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Contribution {
    None,
    Partial,
    Full,
}

/// A control mapped to a requirement, with the reason someone gave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mapping {
    pub control: ControlId,
    pub framework: FrameworkId,
    pub requirement: RequirementId,
    pub relationship: Relationship,
    pub rationale: String,
    /// Where an imported mapping came from; `None` for mappings written in the programme's own content.
    /// Left out of the serialized form when absent, so the audit digests of content mappings do not change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<MappingProvenance>,
}

/// The origin of an imported mapping: the file and, for OSCAL, the collection and map it came from with the
/// publisher's provenance (method, matching rationale, status, confidence), so an auditor can trace each
/// mapping to its source.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub struct MappingProvenance {
    /// The imported file's name.
    pub source: String,
    /// `oscal-mapping-collection` or `csv-crosswalk`.
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_uuid: Option<String>,
    /// The spreadsheet row of a crosswalk mapping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching_rationale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence_score: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_relationship_round_trips_through_its_oscal_name() {
        for r in Relationship::ALL {
            assert_eq!(Relationship::parse(r.as_str()), Some(r));
        }
        assert_eq!(Relationship::parse("equals"), None);
    }

    #[test]
    fn only_equal_equivalent_and_superset_cover_a_requirement_fully() {
        use Contribution::*;
        let got: Vec<_> = Relationship::ALL.iter().map(|r| r.contribution()).collect();
        assert_eq!(got, vec![Full, Full, Partial, Full, Partial, None]);
    }
}
