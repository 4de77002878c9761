//! A customer's matrix seen through one external framework: per requirement, who is responsible and how far
//! the baseline covers it, derived through the typed mappings (N:N), with every contributing control and
//! relationship kept as provenance.
//!
//! Combining rule (one requirement, many controls):
//! - coverage is [`crate::coverage`]'s: covered when some control is `equal-to`, `equivalent-to` or
//!   `superset-of` it; partly covered when controls are only `subset-of` or `intersects-with` it (partials
//!   never add up to the whole); a gap when nothing maps, or only `no-relationship`;
//! - responsibility combines the customer's responsibility of every control that contributes (any
//!   relationship but `no-relationship`) by [`crate::matrix::combine`]: whoever operates a control
//!   operates the part of the requirement it covers, whether that part is the whole (`equal-to`) or a slice
//!   (`subset-of`, `intersects-with`); so all agree -> that value, they disagree or one is shared -> shared,
//!   every contributing control not applicable -> not applicable;
//! - a requirement no control contributes to is a gap: it is listed with no responsibility, never dropped.

use std::collections::HashMap;

use serde::Serialize;

use crate::coverage::{CoverageStatus, coverage};
use crate::framework::{Requirement, display_requirement_id};
use crate::mapping::{Contribution, Mapping, Relationship};
use crate::matrix::{Matrix, combine};
use crate::responsibility::Responsibility;
use crate::{ControlId, FrameworkId, RequirementId};

/// A control's part in a requirement: the provenance of a requirement's row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Contributor {
    pub control: ControlId,
    pub relationship: Relationship,
    /// The control's responsibility in the customer's matrix.
    pub responsibility: Responsibility,
}

/// One requirement of the framework for one customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequirementRow {
    pub requirement: RequirementId,
    pub display_id: String,
    pub title: String,
    pub coverage: CoverageStatus,
    /// `None` for a gap: no control contributes.
    pub responsibility: Option<Responsibility>,
    pub contributors: Vec<Contributor>,
}

impl RequirementRow {
    pub fn is_gap(&self) -> bool {
        self.responsibility.is_none()
    }

    /// `provider`, `customer`, `shared`, `not-applicable`, or `gap`.
    pub fn responsibility_label(&self) -> &'static str {
        self.responsibility.map_or("gap", Responsibility::as_str)
    }
}

/// A framework's requirements, all of them, for one customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FrameworkView {
    pub framework: FrameworkId,
    pub rows: Vec<RequirementRow>,
    pub gaps: usize,
}

/// Derives the view of `framework` (its `requirements` in publisher order; `mappings` may hold any
/// framework's, only this one's are used) from the customer's `matrix`.
pub fn framework_view(
    matrix: &Matrix,
    framework: &FrameworkId,
    requirements: &[Requirement],
    mappings: &[Mapping],
) -> FrameworkView {
    let own_requirements: Vec<Requirement> = requirements
        .iter()
        .filter(|r| &r.framework == framework)
        .cloned()
        .collect();
    let own_mappings: Vec<Mapping> = mappings
        .iter()
        .filter(|m| &m.framework == framework)
        .cloned()
        .collect();
    let by_control: HashMap<&ControlId, Responsibility> = matrix
        .rows
        .iter()
        .map(|r| (&r.control, r.responsibility))
        .collect();
    let rows: Vec<RequirementRow> = coverage(&own_requirements, &own_mappings)
        .requirements
        .into_iter()
        .map(|c| {
            let contributors: Vec<Contributor> = c
                .contributors
                .iter()
                .filter(|(_, rel)| rel.contribution() != Contribution::None)
                .filter_map(|(control, relationship)| {
                    by_control.get(control).map(|r| Contributor {
                        control: control.clone(),
                        relationship: *relationship,
                        responsibility: *r,
                    })
                })
                .collect();
            let responsibility = (!contributors.is_empty())
                .then(|| combine(contributors.iter().map(|c| c.responsibility)));
            RequirementRow {
                display_id: display_requirement_id(framework, &c.requirement),
                requirement: c.requirement,
                title: c.title,
                coverage: c.status,
                responsibility,
                contributors,
            }
        })
        .collect();
    FrameworkView {
        framework: framework.clone(),
        gaps: rows.iter().filter(|r| r.is_gap()).count(),
        rows,
    }
}
