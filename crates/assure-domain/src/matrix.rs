//! A customer's effective responsibility matrix: for every baseline control, who must operate it given the
//! services the customer uses and the options it turned on, with every cell explained.
//!
//! Each (service, control) pair is decided by [`crate::responsibility::resolve`] (model default -> service
//! entry -> option rules). The pairs of one control are then combined across the customer's services:
//!
//! Combining rule (one control, many services):
//! - services whose pair is `not-applicable` take no part;
//! - none left -> `not-applicable` (none of the customer's services needs the control);
//! - any remaining pair says `shared` -> `shared`;
//! - all remaining pairs agree -> that value (`provider` or `customer`);
//! - they disagree (some `provider`, some `customer`) -> `shared`: each party operates it for some services.
//!
//! Provider-owned controls are *inherited*: the customer relies on the provider's evidence for them, linked
//! by control until evidence packages exist. Regions never change a responsibility; they only give the
//! data-residency cell: the tenant's regions where the control's applicable services run.
//!
//! Architecture invariant: the matrix is a pure function of the programme's catalogue and the tenant's
//! profile; [`ResponsibilityModel`] indexes the catalogue once so many tenants can be computed cheaply.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::catalogue::Control;
use crate::programme::Programme;
use crate::responsibility::{
    OptionRule, Resolved, Responsibility, ResponsibilityEntry, ServiceModelDefaults, Step, resolve,
};
use crate::service::Service;
use crate::tenant::{ServiceUse, Tenant};
use crate::{ControlId, DomainId, OptionId, RegionId, ServiceId, TenantId};

/// Why a matrix cannot be computed: the catalogue is incomplete (content validation normally prevents it).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MatrixError {
    #[error("control {0} has no service-model defaults; add `defaults` to it in its baseline file")]
    MissingDefaults(ControlId),
    #[error("tenant {tenant} uses unknown service {service}")]
    UnknownService {
        tenant: TenantId,
        service: ServiceId,
    },
}

/// Which half of the shared responsibility model a control falls in for one customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sphere {
    /// The provider operates it: "security of the cloud".
    OfTheCloud,
    /// The customer operates it, alone or with the provider: "security in the cloud".
    InTheCloud,
    /// None of the customer's services needs it.
    NotApplicable,
}

impl Sphere {
    pub fn of(responsibility: Responsibility) -> Self {
        match responsibility {
            Responsibility::Provider => Self::OfTheCloud,
            Responsibility::Customer | Responsibility::Shared => Self::InTheCloud,
            Responsibility::NotApplicable => Self::NotApplicable,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::OfTheCloud => "security of the cloud",
            Self::InTheCloud => "security in the cloud",
            Self::NotApplicable => "not applicable",
        }
    }
}

/// Combines the responsibilities of one control across services; see the module docs for the rule.
pub fn combine(responsibilities: impl IntoIterator<Item = Responsibility>) -> Responsibility {
    let mut combined = Responsibility::NotApplicable;
    for r in responsibilities {
        combined = match (combined, r) {
            (c, Responsibility::NotApplicable) => c,
            (Responsibility::NotApplicable, r) => r,
            (c, r) if c == r => c,
            _ => Responsibility::Shared,
        };
    }
    combined
}

/// One (service, control) pair of the per-service breakdown, with its explanation chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceCell {
    pub service: ServiceId,
    pub responsibility: Responsibility,
    pub provider_part: Option<String>,
    pub customer_part: Option<String>,
    /// Model default -> service entry -> option rules, in the order they were applied.
    pub chain: Vec<Step>,
    /// The tenant's regions this service runs in.
    pub regions: Vec<RegionId>,
}

impl ServiceCell {
    fn from_resolved(resolved: Resolved, regions: Vec<RegionId>) -> Self {
        Self {
            service: resolved.service,
            responsibility: resolved.assignment.responsibility,
            provider_part: resolved.assignment.provider_part,
            customer_part: resolved.assignment.customer_part,
            chain: resolved.chain,
            regions,
        }
    }
}

/// One party's part in words, with the services it holds for (identical texts are merged).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Part {
    pub services: Vec<ServiceId>,
    pub text: String,
}

/// Renders parts as one line: `text [svc-a, svc-b]; other text [svc-c]`.
pub fn parts_in_words(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| {
            let services: Vec<&str> = p.services.iter().map(ServiceId::as_str).collect();
            format!("{} [{}]", p.text, services.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Where the customer relies on the provider: the provider evidence that covers an inherited control.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Inheritance {
    /// Provider evidence is linked by control until evidence packages exist.
    pub evidence_for: ControlId,
    pub href: String,
    /// What evidence the provider keeps for it.
    pub evidence: Vec<String>,
}

/// One control of a customer's matrix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MatrixRow {
    pub control: ControlId,
    pub domain: DomainId,
    pub title: String,
    pub responsibility: Responsibility,
    pub sphere: Sphere,
    pub provider_parts: Vec<Part>,
    pub customer_parts: Vec<Part>,
    /// Regions where the customer's data for this control's applicable services may live.
    pub residency: Vec<RegionId>,
    /// Set when the control is the provider's alone.
    pub inherited: Option<Inheritance>,
    /// Every service the customer uses, including those for which the control is not applicable.
    pub services: Vec<ServiceCell>,
}

impl MatrixRow {
    pub fn provider_part_in_words(&self) -> String {
        parts_in_words(&self.provider_parts)
    }

    pub fn customer_part_in_words(&self) -> String {
        parts_in_words(&self.customer_parts)
    }
}

/// Counts of a matrix by responsibility.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Split {
    pub provider: usize,
    pub customer: usize,
    pub shared: usize,
    pub not_applicable: usize,
}

/// A customer's whole matrix, rows in baseline order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Matrix {
    pub tenant: TenantId,
    pub services: Vec<ServiceUse>,
    pub regions: Vec<RegionId>,
    pub split: Split,
    pub rows: Vec<MatrixRow>,
}

impl Matrix {
    pub fn row(&self, control: &ControlId) -> Option<&MatrixRow> {
        self.rows.iter().find(|r| &r.control == control)
    }

    /// Rows of one sphere ("security of the cloud" or "in the cloud"), in baseline order.
    pub fn in_sphere(&self, sphere: Sphere) -> impl Iterator<Item = &MatrixRow> {
        self.rows.iter().filter(move |r| r.sphere == sphere)
    }
}

/// The programme's responsibility catalogue, indexed for computing matrices.
#[derive(Debug)]
pub struct ResponsibilityModel<'a> {
    controls: Vec<(&'a Control, &'a ServiceModelDefaults)>,
    services: HashMap<&'a str, &'a Service>,
    entries: HashMap<(&'a str, &'a str), &'a ResponsibilityEntry>,
    rules: HashMap<(&'a str, &'a str), Vec<&'a OptionRule>>,
}

impl<'a> ResponsibilityModel<'a> {
    pub fn new(programme: &'a Programme) -> Result<Self, MatrixError> {
        let defaults: HashMap<&str, &ServiceModelDefaults> = programme
            .defaults
            .iter()
            .map(|d| (d.control.as_str(), d))
            .collect();
        let controls = programme
            .controls
            .iter()
            .map(|c| {
                defaults
                    .get(c.id.as_str())
                    .map(|d| (c, *d))
                    .ok_or_else(|| MatrixError::MissingDefaults(c.id.clone()))
            })
            .collect::<Result<_, _>>()?;
        let mut rules: HashMap<(&str, &str), Vec<&OptionRule>> = HashMap::new();
        for r in &programme.option_rules {
            rules
                .entry((r.service.as_str(), r.control.as_str()))
                .or_default()
                .push(r);
        }
        Ok(Self {
            controls,
            services: programme
                .services
                .iter()
                .map(|s| (s.id.as_str(), s))
                .collect(),
            entries: programme
                .entries
                .iter()
                .map(|e| ((e.service.as_str(), e.control.as_str()), e))
                .collect(),
            rules,
        })
    }

    /// Decides one (service, control) pair with the options the customer turned on, in their order.
    fn resolve_pair(
        &self,
        service: &Service,
        options: &[OptionId],
        defaults: &ServiceModelDefaults,
    ) -> Resolved {
        let key = (service.id.as_str(), defaults.control.as_str());
        let rules: Vec<&OptionRule> = match self.rules.get(&key) {
            Some(rules) => options
                .iter()
                .flat_map(|o| rules.iter().filter(move |r| &r.option == o).copied())
                .collect(),
            None => Vec::new(),
        };
        resolve(
            &service.id,
            service.model,
            defaults,
            self.entries.get(&key).copied(),
            &rules,
        )
    }

    /// The tenant's effective matrix.
    pub fn matrix(&self, tenant: &Tenant) -> Result<Matrix, MatrixError> {
        let used: Vec<(&Service, &ServiceUse)> = tenant
            .services
            .iter()
            .map(|u| {
                self.services
                    .get(u.service.as_str())
                    .map(|s| (*s, u))
                    .ok_or_else(|| MatrixError::UnknownService {
                        tenant: tenant.id.clone(),
                        service: u.service.clone(),
                    })
            })
            .collect::<Result<_, _>>()?;
        let service_regions: Vec<Vec<RegionId>> = used
            .iter()
            .map(|(s, _)| {
                tenant
                    .regions
                    .iter()
                    .filter(|r| s.runs_in(r))
                    .cloned()
                    .collect()
            })
            .collect();
        let mut split = Split::default();
        let rows = self
            .controls
            .iter()
            .map(|(control, defaults)| {
                let cells: Vec<ServiceCell> = used
                    .iter()
                    .zip(&service_regions)
                    .map(|((service, u), regions)| {
                        ServiceCell::from_resolved(
                            self.resolve_pair(service, &u.options, defaults),
                            regions.clone(),
                        )
                    })
                    .collect();
                let row = row_of(control, tenant, cells);
                match row.responsibility {
                    Responsibility::Provider => split.provider += 1,
                    Responsibility::Customer => split.customer += 1,
                    Responsibility::Shared => split.shared += 1,
                    Responsibility::NotApplicable => split.not_applicable += 1,
                }
                row
            })
            .collect();
        Ok(Matrix {
            tenant: tenant.id.clone(),
            services: tenant.services.clone(),
            regions: tenant.regions.clone(),
            split,
            rows,
        })
    }
}

fn merge_parts<'c>(cells: impl Iterator<Item = (&'c ServiceId, &'c str)>) -> Vec<Part> {
    let mut parts: Vec<Part> = Vec::new();
    for (service, text) in cells {
        match parts.iter_mut().find(|p| p.text == text) {
            Some(p) => p.services.push(service.clone()),
            None => parts.push(Part {
                services: vec![service.clone()],
                text: text.to_owned(),
            }),
        }
    }
    parts
}

fn row_of(control: &Control, tenant: &Tenant, cells: Vec<ServiceCell>) -> MatrixRow {
    let responsibility = combine(cells.iter().map(|c| c.responsibility));
    let applicable = || {
        cells
            .iter()
            .filter(|c| c.responsibility != Responsibility::NotApplicable)
    };
    let provider_parts = merge_parts(applicable().filter_map(|c| {
        matches!(
            c.responsibility,
            Responsibility::Provider | Responsibility::Shared
        )
        .then_some(())
        .and(c.provider_part.as_deref())
        .map(|t| (&c.service, t))
    }));
    let customer_parts = merge_parts(applicable().filter_map(|c| {
        matches!(
            c.responsibility,
            Responsibility::Customer | Responsibility::Shared
        )
        .then_some(())
        .and(c.customer_part.as_deref())
        .map(|t| (&c.service, t))
    }));
    let in_use: BTreeSet<&RegionId> = applicable().flat_map(|c| c.regions.iter()).collect();
    // Tenant order, so the cell reads as the profile does.
    let residency = tenant
        .regions
        .iter()
        .filter(|r| in_use.contains(r))
        .cloned()
        .collect();
    let inherited = (responsibility == Responsibility::Provider).then(|| Inheritance {
        evidence_for: control.id.clone(),
        href: format!("/api/v1/controls/{}", control.id),
        evidence: control.evidence.clone(),
    });
    MatrixRow {
        control: control.id.clone(),
        domain: control.domain.clone(),
        title: control.title.clone(),
        responsibility,
        sphere: Sphere::of(responsibility),
        provider_parts,
        customer_parts,
        residency,
        inherited,
        services: cells,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Responsibility::*;

    #[test]
    fn agreement_keeps_the_value_disagreement_or_any_shared_makes_shared() {
        assert_eq!(combine([Provider, Provider]), Provider);
        assert_eq!(combine([Customer, NotApplicable, Customer]), Customer);
        assert_eq!(combine([Provider, Customer]), Shared);
        assert_eq!(combine([Shared]), Shared);
        assert_eq!(combine([Customer, Shared, Customer]), Shared);
    }

    #[test]
    fn no_applicable_service_makes_the_control_not_applicable() {
        assert_eq!(combine([]), NotApplicable);
        assert_eq!(combine([NotApplicable, NotApplicable]), NotApplicable);
    }

    #[test]
    fn spheres_split_provider_from_customer_and_shared() {
        assert_eq!(Sphere::of(Provider), Sphere::OfTheCloud);
        assert_eq!(Sphere::of(Shared), Sphere::InTheCloud);
        assert_eq!(Sphere::of(Customer), Sphere::InTheCloud);
        assert_eq!(Sphere::of(NotApplicable), Sphere::NotApplicable);
    }
}
