//! OSCAL 1.2.1 exports of the shared responsibility model: a component-definition per service (what the
//! service implements, before any customer option), and the provider's SSP for one customer with
//! `by-components` `export` blocks (`provided` what the customer inherits, `responsibilities` what it must
//! do, tied to the `provided` item when a control is shared).
//!
//! Implemented requirements are NIST SP 800-53 rev. 5 controls, reached through the baseline's mappings to
//! `nist-800-53-r5` (any relationship but `no-relationship`); a baseline control without such a mapping
//! does not appear. UUIDs are version 5, derived from names, so an export is stable across runs and a
//! customer's leveraging SSP can keep pointing at the same `provided-uuid`s.
//!
//! Kept in the reports crate until the OSCAL crate can own it; it depends only on the domain.

use std::collections::BTreeMap;

use assure_domain::mapping::Contribution;
use assure_domain::matrix::{Matrix, ResponsibilityModel, ServiceCell, combine};
use assure_domain::programme::Programme;
use assure_domain::responsibility::Responsibility;
use assure_domain::service::Service;
use assure_domain::tenant::{ServiceUse, Tenant};
use assure_domain::{ControlId, RequirementId, ServiceId};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::ReportError;

/// The framework whose ids the exports' control-ids are.
pub const NIST_800_53: &str = "nist-800-53-r5";
/// The OSCAL version the exports declare and are validated against.
pub const OSCAL_VERSION: &str = "1.2.1";
/// Namespace of Assure's own props.
pub const NS: &str = "https://assure.example/ns/oscal";
const CATALOG_SOURCE: &str = "https://doi.org/10.6028/NIST.SP.800-53r5";
const PROFILE_HREF: &str = "https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_MODERATE-baseline_profile.json";
const UUID_NAMESPACE: Uuid = Uuid::from_u128(0x6a1f_3c0e_8d2b_4e57_9a41_2b7c_5d90_e1f3);

/// A stable UUID for a named OSCAL object.
pub fn uuid_for(name: &str) -> String {
    Uuid::new_v5(&UUID_NAMESPACE, name.as_bytes()).to_string()
}

fn component_uuid(service: &ServiceId) -> String {
    uuid_for(&format!("component:{service}"))
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

fn metadata(title: String, extra: Value) -> Value {
    let mut m = json!({
        "title": title,
        "last-modified": now(),
        "version": env!("CARGO_PKG_VERSION"),
        "oscal-version": OSCAL_VERSION,
    });
    if let (Some(m), Some(extra)) = (m.as_object_mut(), extra.as_object()) {
        m.extend(extra.clone());
    }
    m
}

/// The 800-53 controls each baseline control contributes to, in the framework's order.
fn nist_targets(
    programme: &Programme,
) -> Result<Vec<(RequirementId, Vec<ControlId>)>, ReportError> {
    let nist = assure_domain::FrameworkId::from(NIST_800_53);
    if !programme.frameworks.iter().any(|f| f.id == nist) {
        return Err(ReportError::MissingFramework(NIST_800_53));
    }
    let mut by_requirement: BTreeMap<&RequirementId, Vec<ControlId>> = BTreeMap::new();
    for m in programme
        .mappings
        .iter()
        .filter(|m| m.framework == nist && m.relationship.contribution() != Contribution::None)
    {
        by_requirement
            .entry(&m.requirement)
            .or_default()
            .push(m.control.clone());
    }
    Ok(programme
        .requirements_of(&nist)
        .filter_map(|r| by_requirement.get(&r.id).map(|c| (r.id.clone(), c.clone())))
        .collect())
}

/// The (baseline control, cell) pairs of one service for the baseline controls behind one 800-53 control,
/// leaving out those the service does not need.
fn cells_for<'m>(
    matrix: &'m Matrix,
    service: &ServiceId,
    controls: &[ControlId],
) -> Vec<(&'m ControlId, &'m ServiceCell)> {
    controls
        .iter()
        .filter_map(|c| matrix.row(c))
        .filter_map(|row| {
            row.services
                .iter()
                .find(|cell| &cell.service == service)
                .filter(|cell| cell.responsibility != Responsibility::NotApplicable)
                .map(|cell| (&row.control, cell))
        })
        .collect()
}

fn prop(name: &str, value: &str) -> Value {
    json!({ "name": name, "ns": NS, "value": value })
}

fn describe(cells: &[(&ControlId, &ServiceCell)]) -> String {
    cells
        .iter()
        .map(|(control, cell)| {
            let mut s = format!("{control} ({})", cell.responsibility.as_str());
            if let Some(p) = &cell.provider_part {
                s.push_str(&format!("; provider: {p}"));
            }
            if let Some(c) = &cell.customer_part {
                s.push_str(&format!("; customer: {c}"));
            }
            s
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A tenant using only `service`, without options, in every region it runs in: the service as published.
fn sole_user_of(service: &Service) -> Tenant {
    Tenant {
        id: "oscal-component".into(),
        legal_name: String::new(),
        industry: String::new(),
        contract_ref: None,
        processing_role: assure_domain::tenant::ProcessingRole::Controller,
        nda_signed: None,
        regions: service.regions.clone(),
        contacts: Vec::new(),
        services: vec![ServiceUse {
            service: service.id.clone(),
            options: Vec::new(),
        }],
        frameworks: Vec::new(),
        tier: None,
    }
}

/// The component-definition of one service: its responsibility for each 800-53 control, before options.
pub fn component_definition(
    programme: &Programme,
    service: &Service,
) -> Result<Value, ReportError> {
    let matrix = ResponsibilityModel::new(programme)?.matrix(&sole_user_of(service))?;
    let requirements: Vec<Value> = nist_targets(programme)?
        .into_iter()
        .filter_map(|(requirement, controls)| {
            let cells = cells_for(&matrix, &service.id, &controls);
            (!cells.is_empty()).then(|| {
                let combined = combine(cells.iter().map(|(_, c)| c.responsibility));
                json!({
                    "uuid": uuid_for(&format!("component:{}:{requirement}", service.id)),
                    "control-id": requirement.as_str(),
                    "description": describe(&cells),
                    "props": [prop("responsibility", combined.as_str())],
                })
            })
        })
        .collect();
    let options: Vec<Value> = service
        .options
        .iter()
        .map(|o| prop("option", o.id.as_str()))
        .collect();
    let mut props = vec![prop("service-model", service.model.as_str())];
    props.extend(options);
    let mut component = json!({
        "uuid": component_uuid(&service.id),
        "type": "service",
        "title": service.name,
        "description": service.description,
        "props": props,
    });
    if !requirements.is_empty() {
        component["control-implementations"] = json!([{
            "uuid": uuid_for(&format!("component:{}:implementation", service.id)),
            "source": CATALOG_SOURCE,
            "description": format!("{} responsibilities under the shared responsibility model, by NIST SP 800-53 rev. 5 control, before customer options.", service.name),
            "implemented-requirements": requirements,
        }]);
    }
    Ok(json!({
        "component-definition": {
            "uuid": uuid_for(&format!("component-definition:{}", service.id)),
            "metadata": metadata(format!("{} ({})", service.name, service.model.label()), json!({})),
            "components": [component],
        }
    }))
}

/// The `export` block of one service for one 800-53 control: a `provided` item per baseline control the
/// provider operates (alone or shared), a `responsibility` per one the customer operates, pointing at the
/// `provided` item when the control is shared.
fn export_block(
    tenant: &Tenant,
    requirement: &RequirementId,
    service: &ServiceId,
    cells: &[(&ControlId, &ServiceCell)],
) -> Value {
    let mut provided = Vec::new();
    let mut responsibilities = Vec::new();
    for (control, cell) in cells {
        let base = format!("ssp:{}:{requirement}:{service}:{control}", tenant.id);
        let provided_uuid = uuid_for(&format!("{base}:provided"));
        if let Some(p) = cell.provider_part.as_deref().filter(|_| {
            matches!(
                cell.responsibility,
                Responsibility::Provider | Responsibility::Shared
            )
        }) {
            provided.push(json!({
                "uuid": provided_uuid,
                "description": format!("{control}: {p}"),
                "responsible-roles": [{"role-id": "provider"}],
            }));
        }
        if let Some(c) = cell.customer_part.as_deref().filter(|_| {
            matches!(
                cell.responsibility,
                Responsibility::Customer | Responsibility::Shared
            )
        }) {
            let mut r = json!({
                "uuid": uuid_for(&format!("{base}:responsibility")),
                "description": format!("{control}: {c}"),
                "responsible-roles": [{"role-id": "customer"}],
            });
            if cell.responsibility == Responsibility::Shared {
                r["provided-uuid"] = json!(provided_uuid);
            }
            responsibilities.push(r);
        }
    }
    let mut export = json!({
        "description": format!("What {} inherits from {service} for {requirement}, and what it must do itself.", tenant.id),
    });
    if !provided.is_empty() {
        export["provided"] = json!(provided);
    }
    if !responsibilities.is_empty() {
        export["responsibilities"] = json!(responsibilities);
    }
    export
}

/// The provider's SSP for one customer's services and options, with `export` blocks per service.
pub fn provider_ssp(
    programme: &Programme,
    tenant: &Tenant,
    matrix: &Matrix,
) -> Result<Value, ReportError> {
    let services: Vec<&Service> = tenant
        .services
        .iter()
        .filter_map(|u| programme.services.iter().find(|s| s.id == u.service))
        .collect();
    let this_system = uuid_for("component:this-system");
    let mut implemented = Vec::new();
    for (requirement, controls) in nist_targets(programme)? {
        let by_components: Vec<Value> = services
            .iter()
            .filter_map(|s| {
                let cells = cells_for(matrix, &s.id, &controls);
                (!cells.is_empty()).then(|| {
                    let combined = combine(cells.iter().map(|(_, c)| c.responsibility));
                    json!({
                        "component-uuid": component_uuid(&s.id),
                        "uuid": uuid_for(&format!("ssp:{}:{requirement}:{}", tenant.id, s.id)),
                        "description": describe(&cells),
                        "props": [prop("responsibility", combined.as_str())],
                        "export": export_block(tenant, &requirement, &s.id, &cells),
                    })
                })
            })
            .collect();
        if !by_components.is_empty() {
            implemented.push(json!({
                "uuid": uuid_for(&format!("ssp:{}:{requirement}", tenant.id)),
                "control-id": requirement.as_str(),
                "by-components": by_components,
            }));
        }
    }
    let mut components = vec![json!({
        "uuid": this_system,
        "type": "this-system",
        "title": programme.provider.name.clone() + " platform",
        "description": "The provider's cloud platform as a whole.",
        "status": {"state": "operational"},
    })];
    components.extend(services.iter().map(|s| {
        json!({
            "uuid": component_uuid(&s.id),
            "type": "service",
            "title": s.name,
            "description": s.description,
            "props": [prop("service-model", s.model.as_str())],
            "status": {"state": "operational"},
        })
    }));
    let provider_name = if programme.provider.name.is_empty() {
        "the provider".to_owned()
    } else {
        programme.provider.name.clone()
    };
    let level = "fips-199-moderate";
    Ok(json!({
        "system-security-plan": {
            "uuid": uuid_for(&format!("ssp:{}", tenant.id)),
            "metadata": metadata(
                format!("{provider_name}: shared responsibility for {}", tenant.id),
                json!({
                    "roles": [
                        {"id": "provider", "title": "Cloud service provider"},
                        {"id": "customer", "title": "Customer (leveraging system)"},
                    ],
                }),
            ),
            "import-profile": {"href": PROFILE_HREF},
            "system-characteristics": {
                "system-ids": [{"identifier-type": "https://ietf.org/rfc/rfc4122", "id": uuid_for("system:provider")}],
                "system-name": provider_name,
                "description": format!("The services {} uses, with what it inherits and what it must do for each NIST SP 800-53 control.", tenant.id),
                "security-sensitivity-level": level,
                "system-information": {"information-types": [{
                    "uuid": uuid_for("information-type:customer-content"),
                    "title": "Customer content",
                    "description": "Data customers store and process in the provider's services.",
                    "confidentiality-impact": {"base": level},
                    "integrity-impact": {"base": level},
                    "availability-impact": {"base": level},
                }]},
                "security-impact-level": {
                    "security-objective-confidentiality": level,
                    "security-objective-integrity": level,
                    "security-objective-availability": level,
                },
                "status": {"state": "operational"},
                "authorization-boundary": {"description": "The provider's services listed as components, from the physical facilities up to the service interfaces customers use."},
            },
            "system-implementation": {
                "users": [{"uuid": uuid_for("user:provider-operations"), "title": "Provider operations", "role-ids": ["provider"]}],
                "components": components,
            },
            "control-implementation": {
                "description": "Per NIST SP 800-53 control and service: what the provider provides (inherited by the customer) and the customer's responsibilities.",
                "implemented-requirements": implemented,
            },
        }
    }))
}

/// Every OSCAL document for one customer, with file names: a component-definition per service in use,
/// then the provider SSP.
pub fn documents(
    programme: &Programme,
    tenant: &Tenant,
    matrix: &Matrix,
) -> Result<Vec<(String, Value)>, ReportError> {
    let mut docs = Vec::new();
    for u in &tenant.services {
        if let Some(s) = programme.services.iter().find(|s| s.id == u.service) {
            docs.push((
                format!("component-definition-{}.json", s.id),
                component_definition(programme, s)?,
            ));
        }
    }
    docs.push((
        format!("ssp-{}.json", tenant.id),
        provider_ssp(programme, tenant, matrix)?,
    ));
    Ok(docs)
}
