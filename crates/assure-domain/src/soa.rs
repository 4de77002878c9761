//! The ISO/IEC 27001 Statement of Applicability for one customer's scope, and the complementary user entity
//! controls (CUECs) a SOC 2 report's readers must operate.
//!
//! Applicability rule: an Annex A control is applicable unless every baseline control mapped to it is not
//! applicable to the customer's services; then the justification names those services. A control no
//! baseline control maps to is kept as applicable with the customer to decide (ISO requires every Annex A
//! control to be considered, so a gap is never silently excluded).

use serde::Serialize;

use crate::ControlId;
use crate::framework_view::FrameworkView;
use crate::matrix::{Matrix, Part};
use crate::responsibility::Responsibility;
use crate::{RequirementId, ServiceId};

/// The framework the Statement of Applicability is written for.
pub const ISO_27001: &str = "iso27001-2022";

/// One Annex A control in the Statement of Applicability.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SoaRow {
    pub requirement: RequirementId,
    pub title: String,
    pub applicable: bool,
    pub justification: String,
    /// `None` when no baseline control maps to it (the customer decides and implements).
    pub implemented_by: Option<Responsibility>,
    pub controls: Vec<ControlId>,
}

/// Builds the SoA from the ISO/IEC 27001 view of a customer's matrix.
pub fn statement_of_applicability(view: &FrameworkView) -> Vec<SoaRow> {
    view.rows
        .iter()
        .map(|r| {
            let controls: Vec<ControlId> = r.contributors.iter().map(|c| c.control.clone()).collect();
            let list = controls
                .iter()
                .map(ControlId::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let (applicable, justification) = match r.responsibility {
                None => (
                    true,
                    "Applicable: no baseline control maps to it; the customer decides and implements it in its own ISMS."
                        .to_owned(),
                ),
                Some(Responsibility::NotApplicable) => (
                    false,
                    format!(
                        "Not applicable: the mapped baseline controls ({list}) are needed by none of the services in scope."
                    ),
                ),
                Some(Responsibility::Provider) => (
                    true,
                    format!("Applicable: implemented by the provider through {list}; inherited by the customer."),
                ),
                Some(Responsibility::Customer) => (
                    true,
                    format!("Applicable: implemented by the customer through {list}."),
                ),
                Some(Responsibility::Shared) => (
                    true,
                    format!(
                        "Applicable: implemented jointly through {list}; see the matrix for each party's part."
                    ),
                ),
            };
            SoaRow {
                requirement: r.requirement.clone(),
                title: r.title.clone(),
                applicable,
                justification,
                implemented_by: r.responsibility,
                controls,
            }
        })
        .collect()
}

/// A complementary user entity control: what the customer must operate for the provider's controls to work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cuec {
    pub control: ControlId,
    pub title: String,
    pub responsibility: Responsibility,
    pub customer_parts: Vec<Part>,
    pub services: Vec<ServiceId>,
}

/// The customer-owned parts of the matrix (customer and shared controls), in baseline order.
pub fn complementary_controls(matrix: &Matrix) -> Vec<Cuec> {
    matrix
        .rows
        .iter()
        .filter(|r| {
            matches!(
                r.responsibility,
                Responsibility::Customer | Responsibility::Shared
            )
        })
        .map(|r| Cuec {
            control: r.control.clone(),
            title: r.title.clone(),
            responsibility: r.responsibility,
            services: r
                .customer_parts
                .iter()
                .flat_map(|p| p.services.iter().cloned())
                .collect(),
            customer_parts: r.customer_parts.clone(),
        })
        .collect()
}
