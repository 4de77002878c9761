//! External frameworks (ISO/IEC 27001, SOC 2, NIST, GDPR, ...) and their requirements.
//!
//! One canonical requirement ID per framework: OSCAL ids for NIST SP 800-53 (`ac-2.1`, displayed `AC-2(1)`),
//! and the publisher's own form elsewhere (`A.5.15`, `CC6.1`, `PR.AA-01`, `Art. 32(1)(a)`). IDs are stored
//! exactly as written; [`display_requirement_id`] renders NIST's OSCAL ids the way people read them.

use serde::{Deserialize, Serialize};

use crate::{FrameworkId, RequirementId};

/// A framework the baseline maps to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Framework {
    pub id: FrameworkId,
    pub name: String,
    pub version: String,
    pub publisher: String,
    /// Under what terms its requirement texts are held (copyrighted titles are paraphrased).
    pub licence: String,
}

/// Whether a requirement is something to satisfy or only a heading that groups others.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum RequirementKind {
    #[default]
    Requirement,
    Group,
}

impl RequirementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requirement => "requirement",
            Self::Group => "group",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "requirement" => Some(Self::Requirement),
            "group" => Some(Self::Group),
            _ => None,
        }
    }
}

/// A requirement of one framework.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Requirement {
    pub framework: FrameworkId,
    pub id: RequirementId,
    pub title: String,
    /// The published text, only where its licence allows quoting it.
    pub text: Option<String>,
    pub parent: Option<RequirementId>,
    pub kind: RequirementKind,
    /// Position in the publisher's order, so lists read as the publisher's do.
    pub position: i64,
}

/// Renders a requirement ID for people: NIST's OSCAL ids become `AC-2(1)`, every other form is shown as is.
pub fn display_requirement_id(framework: &FrameworkId, id: &RequirementId) -> String {
    if framework.as_str().starts_with("nist-800-53") {
        display_oscal_control_id(id.as_str())
    } else {
        id.as_str().to_owned()
    }
}

/// `ac-2.1` -> `AC-2(1)`; `ac-2` -> `AC-2`; a family id such as `ac` -> `AC`.
pub fn display_oscal_control_id(id: &str) -> String {
    let mut parts = id.split('.');
    let base = parts.next().unwrap_or_default().to_ascii_uppercase();
    parts.fold(base, |mut shown, enhancement| {
        shown.push('(');
        shown.push_str(enhancement);
        shown.push(')');
        shown
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nist_oscal_ids_display_in_the_publication_form() {
        assert_eq!(display_oscal_control_id("ac-2.1"), "AC-2(1)");
        assert_eq!(display_oscal_control_id("ia-2"), "IA-2");
        assert_eq!(display_oscal_control_id("ac"), "AC");
        let nist = FrameworkId::from("nist-800-53-r5");
        assert_eq!(display_requirement_id(&nist, &"sc-28.1".into()), "SC-28(1)");
    }

    #[test]
    fn other_frameworks_display_ids_unchanged() {
        let iso = FrameworkId::from("iso27001-2022");
        assert_eq!(display_requirement_id(&iso, &"A.5.15".into()), "A.5.15");
    }
}
