//! How much of a framework the baseline covers through its mappings.
//!
//! Combining rule: a requirement is *covered* when at least one control maps to it as `equal-to`,
//! `equivalent-to` or `superset-of` (that control alone satisfies it); *partly covered* when controls map to
//! it only as `subset-of` or `intersects-with` (however many: several partial controls are not proven to add
//! up to the whole); *not covered* when nothing maps to it, or only `no-relationship`. Group headings are not
//! requirements and are not counted. Every requirement appears in the result, gaps included.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::framework::{Requirement, RequirementKind};
use crate::mapping::{Contribution, Mapping, Relationship};
use crate::{ControlId, RequirementId};

/// The coverage state of one requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum CoverageStatus {
    Covered,
    PartlyCovered,
    NotCovered,
}

impl CoverageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Covered => "covered",
            Self::PartlyCovered => "partly-covered",
            Self::NotCovered => "not-covered",
        }
    }
}

/// One requirement's coverage with the controls and relationships that produced it (its provenance).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequirementCoverage {
    pub requirement: RequirementId,
    pub title: String,
    pub status: CoverageStatus,
    pub contributors: Vec<(ControlId, Relationship)>,
}

/// A framework's coverage: every requirement, and the counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coverage {
    pub requirements: Vec<RequirementCoverage>,
    pub covered: usize,
    pub partly_covered: usize,
    pub not_covered: usize,
}

impl Coverage {
    pub fn total(&self) -> usize {
        self.requirements.len()
    }

    /// Share of requirements covered or partly covered, in percent.
    pub fn covered_or_partly_percent(&self) -> f64 {
        if self.requirements.is_empty() {
            return 0.0;
        }
        // Counts are far below 2^52, so the conversions are exact.
        #[allow(clippy::cast_precision_loss)]
        let share = (self.covered + self.partly_covered) as f64 / self.total() as f64;
        share * 100.0
    }
}

/// Computes coverage of `requirements` (one framework's, in publisher order) by `mappings`.
pub fn coverage(requirements: &[Requirement], mappings: &[Mapping]) -> Coverage {
    let mut by_requirement: BTreeMap<&RequirementId, Vec<&Mapping>> = BTreeMap::new();
    for m in mappings {
        by_requirement.entry(&m.requirement).or_default().push(m);
    }
    let mut out = Coverage {
        requirements: Vec::new(),
        covered: 0,
        partly_covered: 0,
        not_covered: 0,
    };
    for r in requirements
        .iter()
        .filter(|r| r.kind == RequirementKind::Requirement)
    {
        let contributors: Vec<(ControlId, Relationship)> = by_requirement
            .get(&r.id)
            .map(|ms| {
                ms.iter()
                    .map(|m| (m.control.clone(), m.relationship))
                    .collect()
            })
            .unwrap_or_default();
        let best = contributors
            .iter()
            .map(|(_, rel)| rel.contribution())
            .max()
            .unwrap_or(Contribution::None);
        let status = match best {
            Contribution::Full => CoverageStatus::Covered,
            Contribution::Partial => CoverageStatus::PartlyCovered,
            Contribution::None => CoverageStatus::NotCovered,
        };
        match status {
            CoverageStatus::Covered => out.covered += 1,
            CoverageStatus::PartlyCovered => out.partly_covered += 1,
            CoverageStatus::NotCovered => out.not_covered += 1,
        }
        out.requirements.push(RequirementCoverage {
            requirement: r.id.clone(),
            title: r.title.clone(),
            status,
            contributors,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(id: &str, kind: RequirementKind) -> Requirement {
        Requirement {
            framework: "f".into(),
            id: id.into(),
            title: id.into(),
            text: None,
            parent: None,
            kind,
            position: 0,
        }
    }

    fn map(control: &str, requirement: &str, relationship: Relationship) -> Mapping {
        Mapping {
            control: control.into(),
            framework: "f".into(),
            requirement: requirement.into(),
            relationship,
            rationale: String::new(),
            provenance: None,
        }
    }

    #[test]
    fn full_beats_partial_partials_never_add_up_and_gaps_are_kept() {
        let reqs = vec![
            req("G", RequirementKind::Group),
            req("R1", RequirementKind::Requirement),
            req("R2", RequirementKind::Requirement),
            req("R3", RequirementKind::Requirement),
            req("R4", RequirementKind::Requirement),
        ];
        let maps = vec![
            map("C1", "R1", Relationship::SubsetOf),
            map("C2", "R1", Relationship::EqualTo),
            map("C1", "R2", Relationship::SubsetOf),
            map("C3", "R2", Relationship::IntersectsWith),
            map("C3", "R3", Relationship::NoRelationship),
        ];
        let c = coverage(&reqs, &maps);
        let statuses: Vec<_> = c.requirements.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses,
            vec![
                CoverageStatus::Covered,
                CoverageStatus::PartlyCovered,
                CoverageStatus::NotCovered,
                CoverageStatus::NotCovered
            ]
        );
        assert_eq!((c.covered, c.partly_covered, c.not_covered), (1, 1, 2));
        assert_eq!(c.total(), 4, "groups are not counted, gaps are");
        assert_eq!(
            c.requirements[0].contributors.len(),
            2,
            "provenance keeps every control"
        );
    }
}
