//! The raw shapes of content files and their conversion into one [`Programme`].

use std::collections::BTreeMap;

use assure_domain::catalogue::{Control, ControlDomain};
use assure_domain::framework::{Framework, Requirement, RequirementKind};
use assure_domain::mapping::{Mapping, Relationship};
use assure_domain::programme::{Programme, Provider, Subject};
use assure_domain::responsibility::{
    Assignment, OptionRule, Responsibility, ResponsibilityEntry, ServiceModelDefaults,
};
use assure_domain::service::{Direction, Region, Service, ServiceModel, ServiceOption};
use assure_domain::tenant::{
    AssessorFirm, AssuranceTier, Contact, ContactRole, ProcessingRole, ServiceUse, Tenant,
};
use assure_domain::user::{Affiliation, Role, User};
use serde::{Deserialize, Serialize};

use crate::locate::SourceIndex;
use crate::{ContentError, ContentProblem};

/// One content file: its path relative to the content root, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentFile {
    pub path: String,
    pub text: String,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ProgrammeFile {
    provider: RawProvider,
    regions: Vec<RawRegion>,
    #[serde(default)]
    users: Vec<RawUser>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    name: String,
    #[serde(default)]
    legal_name: String,
    #[serde(default)]
    website: String,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawRegion {
    id: String,
    name: String,
    country: String,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    email: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FrameworkFile {
    id: String,
    name: String,
    version: String,
    publisher: String,
    licence: String,
    requirements: Vec<RawRequirement>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    id: String,
    title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct DomainsFile {
    domains: Vec<RawDomain>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawDomain {
    id: String,
    name: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ControlsFile {
    controls: Vec<RawControl>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    id: String,
    title: String,
    statement: String,
    test_procedure: String,
    #[serde(default)]
    evidence: Vec<String>,
    defaults: Option<RawDefaults>,
    #[serde(default)]
    mappings: Vec<RawMapping>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    iaas: RawAssignment,
    paas: RawAssignment,
    saas: RawAssignment,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawAssignment {
    responsibility: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    provider_part: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    customer_part: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    framework: String,
    requirement: String,
    relationship: String,
    #[serde(default)]
    rationale: String,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ServicesFile {
    services: Vec<RawService>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    id: String,
    name: String,
    model: String,
    #[serde(default)]
    description: String,
    regions: Vec<String>,
    #[serde(default)]
    options: Vec<RawOption>,
    #[serde(default)]
    entries: Vec<RawEntry>,
    #[serde(default)]
    option_rules: Vec<RawOptionRule>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    id: String,
    name: String,
    direction: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    control: String,
    responsibility: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    provider_part: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    customer_part: Option<String>,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawOptionRule {
    option: String,
    control: String,
    responsibility: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    provider_part: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    customer_part: Option<String>,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantsFile {
    tenants: Vec<RawTenant>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenant {
    id: String,
    legal_name: String,
    #[serde(default)]
    industry: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contract_ref: Option<String>,
    processing_role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nda_signed: Option<String>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    contacts: Vec<RawContact>,
    #[serde(default)]
    services: Vec<RawServiceUse>,
    #[serde(default)]
    frameworks: Vec<String>,
    #[serde(default)]
    users: Vec<RawUser>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContact {
    role: String,
    name: String,
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServiceUse {
    service: String,
    #[serde(default)]
    options: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssessorsFile {
    assessor_firms: Vec<RawFirm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFirm {
    id: String,
    name: String,
    #[serde(default)]
    assessors: Vec<RawUser>,
}

/// Collects problems while converting, each tied to its file.
struct Assembly<'a> {
    programme: Programme,
    index: SourceIndex<'a>,
    problems: Vec<ContentProblem>,
    /// Which file each object came from, by subject and owner ID.
    origin: BTreeMap<(Subject, String), &'a str>,
}

impl<'a> Assembly<'a> {
    fn problem(&mut self, file: &'a str, owner: &str, id: &str, message: String) {
        let line = self.index.line_of(file, owner, id);
        self.problems.push(ContentProblem {
            file: file.to_owned(),
            line,
            column: None,
            id: Some(id.to_owned()),
            message,
        });
    }

    fn parse<T: serde::de::DeserializeOwned>(&mut self, file: &'a ContentFile) -> Option<T> {
        match serde_yaml_ng::from_str::<T>(&file.text) {
            Ok(v) => Some(v),
            Err(e) => {
                let location = e.location();
                self.problems.push(ContentProblem {
                    file: file.path.clone(),
                    line: location.as_ref().map(|l| l.line()),
                    column: location.as_ref().map(|l| l.column()),
                    id: None,
                    message: e.to_string(),
                });
                None
            }
        }
    }

    fn assignment(
        &mut self,
        file: &'a str,
        owner: &str,
        raw: RawAssignmentRef<'_>,
    ) -> Option<Assignment> {
        let Some(responsibility) = Responsibility::parse(raw.responsibility) else {
            self.problem(
                file,
                owner,
                raw.responsibility,
                format!(
                    "{owner}: responsibility {:?} is not one of provider, customer, shared, not-applicable",
                    raw.responsibility
                ),
            );
            return None;
        };
        Some(Assignment {
            responsibility,
            provider_part: raw.provider_part.clone(),
            customer_part: raw.customer_part.clone(),
        })
    }

    fn user(
        &mut self,
        file: &'a str,
        raw: &RawUser,
        default_role: Option<Role>,
        affiliation: Affiliation,
    ) {
        let role = match (&raw.role, default_role) {
            (Some(name), _) => match Role::parse(name) {
                Some(r) => r,
                None => {
                    self.problem(
                        file,
                        &raw.email,
                        name,
                        format!("user {}: unknown role {name:?}", raw.email),
                    );
                    return;
                }
            },
            (None, Some(r)) => r,
            (None, None) => {
                self.problem(
                    file,
                    &raw.email,
                    &raw.email,
                    format!("user {} has no role", raw.email),
                );
                return;
            }
        };
        self.origin.insert((Subject::User, raw.email.clone()), file);
        self.programme.users.push(User {
            id: raw.email.as_str().into(),
            name: raw.name.clone(),
            role,
            affiliation,
            disabled: false,
        });
    }
}

struct RawAssignmentRef<'r> {
    responsibility: &'r str,
    provider_part: &'r Option<String>,
    customer_part: &'r Option<String>,
}

impl RawAssignment {
    fn as_ref(&self) -> RawAssignmentRef<'_> {
        RawAssignmentRef {
            responsibility: &self.responsibility,
            provider_part: &self.provider_part,
            customer_part: &self.customer_part,
        }
    }
}

/// Parses, converts and validates all files; returns the programme only when no file has a problem.
pub fn assemble(files: &[ContentFile]) -> Result<Programme, ContentError> {
    let mut a = Assembly {
        programme: Programme::default(),
        index: SourceIndex::new(files),
        problems: Vec::new(),
        origin: BTreeMap::new(),
    };
    let mut sorted: Vec<&ContentFile> = files.iter().collect();
    sorted.sort_by(|x, y| x.path.cmp(&y.path));
    let by_name = |name: &str| sorted.iter().copied().find(|f| f.path == name);

    let Some(programme_file) = by_name("programme.yaml") else {
        return Err(ContentError::Invalid(vec![ContentProblem {
            file: "programme.yaml".into(),
            line: None,
            column: None,
            id: None,
            message: "missing: every content folder starts with programme.yaml".into(),
        }]));
    };
    if let Some(p) = a.parse::<ProgrammeFile>(programme_file) {
        let file = programme_file.path.as_str();
        a.programme.provider = Provider {
            name: p.provider.name,
            legal_name: p.provider.legal_name,
            website: p.provider.website,
        };
        for r in p.regions {
            a.origin.insert((Subject::Region, r.id.clone()), file);
            a.programme.regions.push(Region {
                id: r.id.into(),
                name: r.name,
                country: r.country,
            });
        }
        for u in &p.users {
            a.user(file, u, None, Affiliation::Provider);
        }
    }

    for f in sorted
        .iter()
        .copied()
        .filter(|f| f.path.starts_with("frameworks/"))
    {
        let Some(fw) = a.parse::<FrameworkFile>(f) else {
            continue;
        };
        let file = f.path.as_str();
        a.origin.insert((Subject::Framework, fw.id.clone()), file);
        for (position, r) in fw.requirements.iter().enumerate() {
            a.origin.insert((Subject::Requirement, r.id.clone()), file);
            let kind = match r.kind.as_deref() {
                None => RequirementKind::Requirement,
                Some(k) => match RequirementKind::parse(k) {
                    Some(kind) => kind,
                    None => {
                        a.problem(
                            file,
                            &r.id,
                            k,
                            format!(
                                "requirement {}: kind {k:?} is not requirement or group",
                                r.id
                            ),
                        );
                        continue;
                    }
                },
            };
            a.programme.requirements.push(Requirement {
                framework: fw.id.as_str().into(),
                id: r.id.as_str().into(),
                title: r.title.clone(),
                text: r.text.clone(),
                parent: r.parent.as_deref().map(Into::into),
                kind,
                position: i64::try_from(position).unwrap_or(i64::MAX),
            });
        }
        a.programme.frameworks.push(Framework {
            id: fw.id.into(),
            name: fw.name,
            version: fw.version,
            publisher: fw.publisher,
            licence: fw.licence,
        });
    }

    let domain_file = by_name("baseline/domains.yaml");
    if let Some(f) = domain_file
        && let Some(d) = a.parse::<DomainsFile>(f)
    {
        for x in d.domains {
            a.origin
                .insert((Subject::Domain, x.id.clone()), f.path.as_str());
            a.programme.domains.push(ControlDomain {
                id: x.id.into(),
                name: x.name,
                description: x.description,
            });
        }
    }
    for f in sorted
        .iter()
        .copied()
        .filter(|f| f.path.starts_with("baseline/") && f.path != "baseline/domains.yaml")
    {
        let Some(cf) = a.parse::<ControlsFile>(f) else {
            continue;
        };
        let file = f.path.as_str();
        let stem = file
            .trim_start_matches("baseline/")
            .trim_end_matches(".yaml")
            .trim_end_matches(".yml");
        let domain = a
            .programme
            .domains
            .iter()
            .find(|d| d.id.as_str().eq_ignore_ascii_case(stem))
            .map(|d| d.id.clone());
        let Some(domain) = domain else {
            a.problems.push(ContentProblem {
                file: file.to_owned(),
                line: None,
                column: None,
                id: Some(stem.to_owned()),
                message: format!(
                    "file names domain {stem:?}, which baseline/domains.yaml does not list"
                ),
            });
            continue;
        };
        for c in cf.controls {
            a.origin.insert((Subject::Control, c.id.clone()), file);
            let owner = format!("control {}", c.id);
            match &c.defaults {
                None => a.problem(
                    file,
                    &c.id,
                    &c.id,
                    format!("{owner} has no service-model defaults (iaas, paas, saas)"),
                ),
                Some(d) => {
                    let iaas = a.assignment(file, &c.id, d.iaas.as_ref());
                    let paas = a.assignment(file, &c.id, d.paas.as_ref());
                    let saas = a.assignment(file, &c.id, d.saas.as_ref());
                    if let (Some(iaas), Some(paas), Some(saas)) = (iaas, paas, saas) {
                        a.programme.defaults.push(ServiceModelDefaults {
                            control: c.id.as_str().into(),
                            iaas,
                            paas,
                            saas,
                        });
                    }
                }
            }
            for m in &c.mappings {
                let Some(relationship) = Relationship::parse(&m.relationship) else {
                    a.problem(
                        file,
                        &c.id,
                        &m.relationship,
                        format!(
                            "{owner}: relationship {:?} is not an OSCAL 1.2 relationship",
                            m.relationship
                        ),
                    );
                    continue;
                };
                a.programme.mappings.push(Mapping {
                    control: c.id.as_str().into(),
                    framework: m.framework.as_str().into(),
                    requirement: m.requirement.as_str().into(),
                    relationship,
                    rationale: m.rationale.clone(),
                    provenance: None,
                });
            }
            a.programme.controls.push(Control {
                id: c.id.into(),
                domain: domain.clone(),
                title: c.title,
                statement: c.statement,
                test_procedure: c.test_procedure,
                evidence: c.evidence,
            });
        }
    }

    // Baseline order: domains as listed, then controls as written in their domain's file.
    let domain_position =
        |id: &assure_domain::DomainId| a.programme.domains.iter().position(|d| &d.id == id);
    let mut controls = std::mem::take(&mut a.programme.controls);
    controls.sort_by_key(|c| domain_position(&c.domain));
    a.programme.controls = controls;
    let control_position =
        |id: &assure_domain::ControlId| a.programme.controls.iter().position(|c| &c.id == id);
    let mut defaults = std::mem::take(&mut a.programme.defaults);
    defaults.sort_by_key(|d| control_position(&d.control));
    a.programme.defaults = defaults;

    if let Some(f) = by_name("services.yaml")
        && let Some(sf) = a.parse::<ServicesFile>(f)
    {
        let file = f.path.as_str();
        for s in sf.services {
            a.origin.insert((Subject::Service, s.id.clone()), file);
            let Some(model) = ServiceModel::parse(&s.model) else {
                a.problem(
                    file,
                    &s.id,
                    &s.model,
                    format!(
                        "service {}: model {:?} is not iaas, paas or saas",
                        s.id, s.model
                    ),
                );
                continue;
            };
            let mut options = Vec::new();
            for o in &s.options {
                match Direction::parse(&o.direction) {
                    Some(direction) => options.push(ServiceOption {
                        id: o.id.as_str().into(),
                        name: o.name.clone(),
                        direction,
                    }),
                    None => a.problem(
                        file,
                        &s.id,
                        &o.direction,
                        format!(
                            "option {}: direction {:?} is not towards-provider or towards-customer",
                            o.id, o.direction
                        ),
                    ),
                }
                let _ = &o.description;
            }
            for e in &s.entries {
                let raw = RawAssignmentRef {
                    responsibility: &e.responsibility,
                    provider_part: &e.provider_part,
                    customer_part: &e.customer_part,
                };
                if let Some(assignment) = a.assignment(file, &s.id, raw) {
                    a.programme.entries.push(ResponsibilityEntry {
                        service: s.id.as_str().into(),
                        control: e.control.as_str().into(),
                        assignment,
                        reason: e.reason.clone(),
                    });
                }
            }
            for r in &s.option_rules {
                let raw = RawAssignmentRef {
                    responsibility: &r.responsibility,
                    provider_part: &r.provider_part,
                    customer_part: &r.customer_part,
                };
                if let Some(assignment) = a.assignment(file, &s.id, raw) {
                    a.programme.option_rules.push(OptionRule {
                        service: s.id.as_str().into(),
                        option: r.option.as_str().into(),
                        control: r.control.as_str().into(),
                        assignment,
                        reason: r.reason.clone(),
                    });
                }
            }
            a.programme.services.push(Service {
                id: s.id.into(),
                name: s.name,
                model,
                description: s.description,
                regions: s.regions.into_iter().map(Into::into).collect(),
                options,
            });
        }
    }

    if let Some(f) = by_name("assessors.yaml")
        && let Some(af) = a.parse::<AssessorsFile>(f)
    {
        let file = f.path.as_str();
        for firm in af.assessor_firms {
            a.origin
                .insert((Subject::AssessorFirm, firm.id.clone()), file);
            for u in &firm.assessors {
                a.user(
                    file,
                    u,
                    Some(Role::Assessor),
                    Affiliation::AssessorFirm(firm.id.as_str().into()),
                );
            }
            a.programme.assessor_firms.push(AssessorFirm {
                id: firm.id.into(),
                name: firm.name,
                assessors: firm
                    .assessors
                    .iter()
                    .map(|u| u.email.as_str().into())
                    .collect(),
            });
        }
    }

    if let Some(f) = by_name("tenants.yaml")
        && let Some(tf) = a.parse::<TenantsFile>(f)
    {
        let file = f.path.as_str();
        for t in tf.tenants {
            a.origin.insert((Subject::Tenant, t.id.clone()), file);
            let Some(processing_role) = ProcessingRole::parse(&t.processing_role) else {
                a.problem(
                    file,
                    &t.id,
                    &t.processing_role,
                    format!("tenant {}: processing_role {:?} is not controller, processor or joint-controller", t.id, t.processing_role),
                );
                continue;
            };
            let tier = match t.tier.as_deref() {
                None => None,
                Some(name) => match AssuranceTier::parse(name) {
                    Some(tier) => Some(tier),
                    None => {
                        a.problem(
                            file,
                            &t.id,
                            name,
                            format!(
                                "tenant {}: tier {name:?} is not self-attestation, third-party-assessment or managed-assurance",
                                t.id
                            ),
                        );
                        continue;
                    }
                },
            };
            let nda_signed = match &t.nda_signed {
                None => None,
                Some(d) => match time::Date::parse(
                    d,
                    time::macros::format_description!("[year]-[month]-[day]"),
                ) {
                    Ok(date) => Some(date),
                    Err(_) => {
                        a.problem(
                            file,
                            &t.id,
                            d,
                            format!(
                                "tenant {}: nda_signed {d:?} is not a date (YYYY-MM-DD)",
                                t.id
                            ),
                        );
                        continue;
                    }
                },
            };
            let mut contacts = Vec::new();
            for c in &t.contacts {
                match ContactRole::parse(&c.role) {
                    Some(role) => contacts.push(Contact {
                        role,
                        name: c.name.clone(),
                        email: c.email.clone(),
                    }),
                    None => a.problem(
                        file,
                        &t.id,
                        &c.role,
                        format!("tenant {}: contact role {:?} is unknown", t.id, c.role),
                    ),
                }
            }
            for u in &t.users {
                a.user(file, u, None, Affiliation::Tenant(t.id.as_str().into()));
            }
            a.programme.tenants.push(Tenant {
                id: t.id.into(),
                legal_name: t.legal_name,
                industry: t.industry,
                contract_ref: t.contract_ref,
                processing_role,
                tier,
                nda_signed,
                regions: t.regions.into_iter().map(Into::into).collect(),
                contacts,
                services: t
                    .services
                    .into_iter()
                    .map(|s| ServiceUse {
                        service: s.service.into(),
                        options: s.options.into_iter().map(Into::into).collect(),
                    })
                    .collect(),
                frameworks: t.frameworks.into_iter().map(Into::into).collect(),
            });
        }
    }

    if a.problems.is_empty() {
        for p in a.programme.validate() {
            let owner_id = p
                .owner
                .split_once(' ')
                .map_or(p.owner.as_str(), |(_, id)| id)
                .to_owned();
            let subject = match p.subject {
                Subject::Mapping => Subject::Control,
                Subject::Entry | Subject::OptionRule => Subject::Service,
                other => other,
            };
            let file = a
                .origin
                .get(&(subject, owner_id.clone()))
                .copied()
                .unwrap_or("(content)");
            a.problem(file, &owner_id, &p.id, p.message.clone());
        }
    }
    if a.problems.is_empty() {
        Ok(a.programme)
    } else {
        Err(ContentError::Invalid(a.problems))
    }
}

fn yaml<T: Serialize>(path: String, value: &T) -> ContentFile {
    ContentFile {
        path,
        // Plain structs of strings and lists always serialize.
        text: serde_yaml_ng::to_string(value).unwrap_or_default(),
    }
}

fn raw_assignment(a: &Assignment) -> RawAssignment {
    RawAssignment {
        responsibility: a.responsibility.as_str().to_owned(),
        provider_part: a.provider_part.clone(),
        customer_part: a.customer_part.clone(),
    }
}

/// The files of a programme's baseline in the content layout, so a baseline can be kept and reviewed as
/// code and read back by [`crate::load_dir`]: `programme.yaml` (the regions services name; the provider
/// and its users are not part of a baseline, so a placeholder provider), `frameworks/` (what mappings
/// name), `baseline/domains.yaml`, `baseline/<DOMAIN>.yaml` and `services.yaml`. Mapping provenance and
/// option descriptions are not part of the content format.
pub fn baseline_files(p: &Programme) -> Vec<ContentFile> {
    let mut files = vec![yaml(
        "programme.yaml".into(),
        &ProgrammeFile {
            provider: RawProvider {
                name: "baseline export".into(),
                legal_name: String::new(),
                website: String::new(),
            },
            regions: p
                .regions
                .iter()
                .map(|r| RawRegion {
                    id: r.id.to_string(),
                    name: r.name.clone(),
                    country: r.country.clone(),
                })
                .collect(),
            users: Vec::new(),
        },
    )];
    for f in &p.frameworks {
        files.push(yaml(
            format!("frameworks/{}.yaml", f.id),
            &FrameworkFile {
                id: f.id.to_string(),
                name: f.name.clone(),
                version: f.version.clone(),
                publisher: f.publisher.clone(),
                licence: f.licence.clone(),
                requirements: p
                    .requirements
                    .iter()
                    .filter(|r| r.framework == f.id)
                    .map(|r| RawRequirement {
                        id: r.id.to_string(),
                        title: r.title.clone(),
                        parent: r.parent.as_ref().map(ToString::to_string),
                        text: r.text.clone(),
                        kind: (r.kind == RequirementKind::Group)
                            .then(|| r.kind.as_str().to_owned()),
                    })
                    .collect(),
            },
        ));
    }
    files.push(yaml(
        "baseline/domains.yaml".into(),
        &DomainsFile {
            domains: p
                .domains
                .iter()
                .map(|d| RawDomain {
                    id: d.id.to_string(),
                    name: d.name.clone(),
                    description: d.description.clone(),
                })
                .collect(),
        },
    ));
    for d in &p.domains {
        let controls = p
            .controls
            .iter()
            .filter(|c| c.domain == d.id)
            .map(|c| RawControl {
                id: c.id.to_string(),
                title: c.title.clone(),
                statement: c.statement.clone(),
                test_procedure: c.test_procedure.clone(),
                evidence: c.evidence.clone(),
                defaults: p
                    .defaults
                    .iter()
                    .find(|x| x.control == c.id)
                    .map(|x| RawDefaults {
                        iaas: raw_assignment(&x.iaas),
                        paas: raw_assignment(&x.paas),
                        saas: raw_assignment(&x.saas),
                    }),
                mappings: p
                    .mappings
                    .iter()
                    .filter(|m| m.control == c.id)
                    .map(|m| RawMapping {
                        framework: m.framework.to_string(),
                        requirement: m.requirement.to_string(),
                        relationship: m.relationship.as_str().to_owned(),
                        rationale: m.rationale.clone(),
                    })
                    .collect(),
            })
            .collect();
        files.push(yaml(
            format!("baseline/{}.yaml", d.id),
            &ControlsFile { controls },
        ));
    }
    files.push(yaml(
        "services.yaml".into(),
        &ServicesFile {
            services: p
                .services
                .iter()
                .map(|s| RawService {
                    id: s.id.to_string(),
                    name: s.name.clone(),
                    model: s.model.as_str().to_owned(),
                    description: s.description.clone(),
                    regions: s.regions.iter().map(ToString::to_string).collect(),
                    options: s
                        .options
                        .iter()
                        .map(|o| RawOption {
                            id: o.id.to_string(),
                            name: o.name.clone(),
                            direction: o.direction.as_str().to_owned(),
                            description: None,
                        })
                        .collect(),
                    entries: p
                        .entries
                        .iter()
                        .filter(|e| e.service == s.id)
                        .map(|e| RawEntry {
                            control: e.control.to_string(),
                            responsibility: e.assignment.responsibility.as_str().to_owned(),
                            provider_part: e.assignment.provider_part.clone(),
                            customer_part: e.assignment.customer_part.clone(),
                            reason: e.reason.clone(),
                        })
                        .collect(),
                    option_rules: p
                        .option_rules
                        .iter()
                        .filter(|r| r.service == s.id)
                        .map(|r| RawOptionRule {
                            option: r.option.to_string(),
                            control: r.control.to_string(),
                            responsibility: r.assignment.responsibility.as_str().to_owned(),
                            provider_part: r.assignment.provider_part.clone(),
                            customer_part: r.assignment.customer_part.clone(),
                            reason: r.reason.clone(),
                        })
                        .collect(),
                })
                .collect(),
        },
    ));
    files
}
