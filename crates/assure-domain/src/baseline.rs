//! The baseline lifecycle: the provider's control baseline as governed, versioned content.
//!
//! A [`Baseline`] is the part of a programme the provider edits (domains, controls, service-model defaults,
//! mappings, services, responsibility entries and option rules); frameworks and tenants are not part of it.
//! Edits ([`Change`]) go into a draft version while the published version stays in force. A version moves
//! `draft -> in-review -> approved -> published` by [`next_state`], which refuses every other move and
//! names the allowed ones, and keeps the two-person rule (the author never approves). Before publishing,
//! [`impact`] recomputes every tenant's matrix under both baselines with the same
//! [`ResponsibilityModel`] the matrix views use and lists the cells that move, and the coverage of every
//! framework that moves.
//!
//! Architecture invariant: a baseline is only ever changed by applying a [`Change`] and checking the
//! resulting programme with [`Programme::validate`], the same rules a content load obeys.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::catalogue::{Control, ControlDomain, VersionState};
use crate::coverage::{CoverageStatus, coverage};
use crate::mapping::Mapping;
use crate::matrix::{MatrixError, MatrixRow, ResponsibilityModel};
use crate::programme::{Problem, Programme};
use crate::responsibility::{
    OptionRule, Responsibility, ResponsibilityEntry, ServiceModelDefaults,
};
use crate::service::Service;
use crate::tenant::Tenant;
use crate::{
    BaselineVersionId, ControlId, FrameworkId, OptionId, RequirementId, ServiceId, TenantId,
};

/// The editable part of a programme, as one value: what a baseline version holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Baseline {
    pub domains: Vec<ControlDomain>,
    pub controls: Vec<Control>,
    pub defaults: Vec<ServiceModelDefaults>,
    pub mappings: Vec<Mapping>,
    pub services: Vec<Service>,
    pub entries: Vec<ResponsibilityEntry>,
    pub option_rules: Vec<OptionRule>,
}

impl Baseline {
    /// The baseline part of a programme.
    pub fn of(programme: &Programme) -> Self {
        Self {
            domains: programme.domains.clone(),
            controls: programme.controls.clone(),
            defaults: programme.defaults.clone(),
            mappings: programme.mappings.clone(),
            services: programme.services.clone(),
            entries: programme.entries.clone(),
            option_rules: programme.option_rules.clone(),
        }
    }

    /// The programme with this baseline in place of its own (frameworks, tenants and the rest kept).
    pub fn installed_in(&self, programme: &Programme) -> Programme {
        Programme {
            domains: self.domains.clone(),
            controls: self.controls.clone(),
            defaults: self.defaults.clone(),
            mappings: self.mappings.clone(),
            services: self.services.clone(),
            entries: self.entries.clone(),
            option_rules: self.option_rules.clone(),
            ..programme.clone()
        }
    }

    /// Applies one change, then checks the whole programme it would make (`context` gives the frameworks
    /// and tenants the baseline must stay consistent with). Nothing changes when the change is refused.
    pub fn apply(&mut self, change: &Change, context: &Programme) -> Result<(), ChangeError> {
        let mut next = self.clone();
        next.apply_unchecked(change)?;
        let mut problems = next.installed_in(context).validate();
        // Tenants, users and other non-baseline objects are not this change's business unless the change
        // breaks them; keep only problems that name an object the baseline holds or a tenant's service use.
        problems.retain(|p| !matches!(p.subject, crate::programme::Subject::User));
        if !problems.is_empty() {
            return Err(ChangeError::Invalid(Box::new(problems)));
        }
        next.canonical_order(context);
        *self = next;
        Ok(())
    }

    /// Puts mappings, entries and option rules in the order the store lists them (control, framework
    /// and requirement position; service, option and control), so a version's content and the catalogue
    /// it is published into read back alike, and as-of views match the live ones byte for byte.
    pub fn canonical_order(&mut self, context: &Programme) {
        fn positions<'a>(ids: impl Iterator<Item = &'a str>) -> BTreeMap<&'a str, usize> {
            ids.enumerate().map(|(i, id)| (id, i)).collect()
        }
        let controls = positions(self.controls.iter().map(|c| c.id.as_str()));
        let services = positions(self.services.iter().map(|s| s.id.as_str()));
        let frameworks = positions(context.frameworks.iter().map(|f| f.id.as_str()));
        let requirements: BTreeMap<(&str, &str), i64> = context
            .requirements
            .iter()
            .map(|r| ((r.framework.as_str(), r.id.as_str()), r.position))
            .collect();
        let at = |map: &BTreeMap<&str, usize>, id: &str| map.get(id).copied().unwrap_or(usize::MAX);
        let mut mappings = std::mem::take(&mut self.mappings);
        mappings.sort_by_key(|m| {
            (
                at(&controls, m.control.as_str()),
                at(&frameworks, m.framework.as_str()),
                requirements
                    .get(&(m.framework.as_str(), m.requirement.as_str()))
                    .copied()
                    .unwrap_or(i64::MAX),
            )
        });
        self.mappings = mappings;
        self.entries.sort_by_key(|e| {
            (
                at(&services, e.service.as_str()),
                at(&controls, e.control.as_str()),
            )
        });
        let mut rules = std::mem::take(&mut self.option_rules);
        rules.sort_by(|a, b| {
            (
                at(&services, a.service.as_str()),
                a.option.as_str(),
                at(&controls, a.control.as_str()),
            )
                .cmp(&(
                    at(&services, b.service.as_str()),
                    b.option.as_str(),
                    at(&controls, b.control.as_str()),
                ))
        });
        self.option_rules = rules;
    }

    fn apply_unchecked(&mut self, change: &Change) -> Result<(), ChangeError> {
        match change {
            Change::Control { control } => {
                let slot = self
                    .controls
                    .iter_mut()
                    .find(|c| c.id == control.id)
                    .ok_or_else(|| ChangeError::Unknown(format!("control {}", control.id)))?;
                if slot.domain != control.domain {
                    return Err(ChangeError::DomainFixed(control.id.clone()));
                }
                *slot = control.clone();
            }
            Change::Defaults { defaults } => {
                let slot = self
                    .defaults
                    .iter_mut()
                    .find(|d| d.control == defaults.control)
                    .ok_or_else(|| {
                        ChangeError::Unknown(format!("defaults of control {}", defaults.control))
                    })?;
                *slot = defaults.clone();
            }
            Change::Mapping { mapping } => {
                let key = mapping_key(mapping);
                match self.mappings.iter_mut().find(|m| mapping_key(m) == key) {
                    Some(slot) => *slot = mapping.clone(),
                    None => {
                        // A new mapping goes after the control's last one, so files keep their grouping.
                        let at = self
                            .mappings
                            .iter()
                            .rposition(|m| m.control == mapping.control)
                            .map_or(self.mappings.len(), |i| i + 1);
                        self.mappings.insert(at, mapping.clone());
                    }
                }
            }
            Change::RemoveMapping {
                control,
                framework,
                requirement,
            } => {
                let key = (control.clone(), framework.clone(), requirement.clone());
                let before = self.mappings.len();
                self.mappings.retain(|m| mapping_key(m) != key);
                if self.mappings.len() == before {
                    return Err(ChangeError::Unknown(format!(
                        "mapping {control} -> {framework} {requirement}"
                    )));
                }
            }
            Change::Service { service } => {
                let slot = self
                    .services
                    .iter_mut()
                    .find(|s| s.id == service.id)
                    .ok_or_else(|| ChangeError::Unknown(format!("service {}", service.id)))?;
                *slot = service.clone();
            }
            Change::Entry { entry } => {
                match self
                    .entries
                    .iter_mut()
                    .find(|e| e.service == entry.service && e.control == entry.control)
                {
                    Some(slot) => *slot = entry.clone(),
                    None => self.entries.push(entry.clone()),
                }
            }
            Change::RemoveEntry { service, control } => {
                let before = self.entries.len();
                self.entries
                    .retain(|e| !(&e.service == service && &e.control == control));
                if self.entries.len() == before {
                    return Err(ChangeError::Unknown(format!(
                        "responsibility entry {service}/{control}"
                    )));
                }
            }
            Change::OptionRule { rule } => {
                match self.option_rules.iter_mut().find(|r| {
                    r.service == rule.service
                        && r.option == rule.option
                        && r.control == rule.control
                }) {
                    Some(slot) => *slot = rule.clone(),
                    None => self.option_rules.push(rule.clone()),
                }
            }
            Change::Baseline { baseline } => {
                let ids = |b: &Baseline| {
                    (
                        b.domains
                            .iter()
                            .map(|d| d.id.to_string())
                            .collect::<Vec<_>>(),
                        b.controls
                            .iter()
                            .map(|c| c.id.to_string())
                            .collect::<Vec<_>>(),
                        b.services
                            .iter()
                            .map(|s| s.id.to_string())
                            .collect::<Vec<_>>(),
                    )
                };
                if ids(self) != ids(baseline) {
                    return Err(ChangeError::DifferentObjects);
                }
                *self = (**baseline).clone();
            }
            Change::RemoveOptionRule {
                service,
                option,
                control,
            } => {
                let before = self.option_rules.len();
                self.option_rules.retain(|r| {
                    !(&r.service == service && &r.option == option && &r.control == control)
                });
                if self.option_rules.len() == before {
                    return Err(ChangeError::Unknown(format!(
                        "option rule {service}/{option}/{control}"
                    )));
                }
            }
        }
        Ok(())
    }
}

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

fn mapping_key(m: &Mapping) -> (ControlId, FrameworkId, RequirementId) {
    (
        m.control.clone(),
        m.framework.clone(),
        m.requirement.clone(),
    )
}

/// One edit to a draft baseline. Setting an object that exists replaces it (a retyped mapping, a new
/// statement); entries, option rules and mappings that do not exist yet are added.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Change {
    /// A control's title, statement, test procedure or evidence expectations (its domain is fixed).
    Control { control: Control },
    /// A control's responsibility under each service model.
    Defaults { defaults: ServiceModelDefaults },
    /// Adds a mapping or retypes one (relationship and rationale).
    Mapping { mapping: Mapping },
    RemoveMapping {
        control: ControlId,
        framework: FrameworkId,
        requirement: RequirementId,
    },
    /// A service's name, model, description, regions or options.
    Service { service: Service },
    /// Adds or replaces a service's responsibility entry for a control.
    Entry { entry: ResponsibilityEntry },
    RemoveEntry {
        service: ServiceId,
        control: ControlId,
    },
    /// Adds or replaces an option's rule for a control.
    OptionRule { rule: OptionRule },
    RemoveOptionRule {
        service: ServiceId,
        option: OptionId,
        control: ControlId,
    },
    /// The whole baseline replaced, as an import of baseline files does; the diff against the version
    /// before names each object it changes. Domains, controls and services keep their set.
    Baseline { baseline: Box<Baseline> },
}

impl Change {
    /// What the change is about, as the diff names it: (kind, id).
    pub fn object(&self) -> (ObjectKind, String) {
        match self {
            Self::Control { control } => (ObjectKind::Control, control.id.to_string()),
            Self::Defaults { defaults } => (ObjectKind::Defaults, defaults.control.to_string()),
            Self::Mapping { mapping } => (
                ObjectKind::Mapping,
                mapping_id(&mapping.control, &mapping.framework, &mapping.requirement),
            ),
            Self::RemoveMapping {
                control,
                framework,
                requirement,
            } => (
                ObjectKind::Mapping,
                mapping_id(control, framework, requirement),
            ),
            Self::Service { service } => (ObjectKind::Service, service.id.to_string()),
            Self::Entry { entry } => (
                ObjectKind::Entry,
                format!("{}/{}", entry.service, entry.control),
            ),
            Self::RemoveEntry { service, control } => {
                (ObjectKind::Entry, format!("{service}/{control}"))
            }
            Self::OptionRule { rule } => (
                ObjectKind::OptionRule,
                format!("{}/{}/{}", rule.service, rule.option, rule.control),
            ),
            Self::RemoveOptionRule {
                service,
                option,
                control,
            } => (
                ObjectKind::OptionRule,
                format!("{service}/{option}/{control}"),
            ),
            Self::Baseline { .. } => (ObjectKind::Baseline, "all".to_owned()),
        }
    }
}

fn mapping_id(control: &ControlId, framework: &FrameworkId, requirement: &RequirementId) -> String {
    format!("{control}>{framework}:{requirement}")
}

/// Why a change cannot go into a draft.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    #[error(
        "{0} does not exist in the baseline; only existing controls and services can be edited"
    )]
    Unknown(String),
    #[error("control {0} cannot move to another domain; edit its text, test procedure or evidence")]
    DomainFixed(ControlId),
    #[error(
        "a baseline replacing this one must hold the same domains, controls and services in the same order; \
         adding, removing or reordering them is not supported yet"
    )]
    DifferentObjects,
    #[error("the change would make the baseline invalid: {}", problems_in_words(.0))]
    Invalid(Box<Vec<Problem>>),
}

fn problems_in_words(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| p.message.clone())
        .collect::<Vec<_>>()
        .join("; ")
}

/// What prompted a baseline version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Trigger {
    /// The baseline as first loaded from content, recorded when the first draft is opened.
    ContentLoad,
    /// A scheduled review of the whole baseline.
    PeriodicReview,
    /// A framework the baseline maps to was revised.
    FrameworkUpdate { framework: Option<FrameworkId> },
    /// A threat the baseline must answer, with the reference that reported it.
    ThreatIntelligence { reference: ThreatReference },
}

impl Trigger {
    pub fn label(&self) -> String {
        match self {
            Self::ContentLoad => "content load".to_owned(),
            Self::PeriodicReview => "periodic review".to_owned(),
            Self::FrameworkUpdate { framework: Some(f) } => format!("framework update ({f})"),
            Self::FrameworkUpdate { framework: None } => "framework update".to_owned(),
            Self::ThreatIntelligence { reference } => format!(
                "threat intelligence ({} {})",
                reference.source.as_str(),
                reference.id
            ),
        }
    }

    /// Checks the reference of a threat-intelligence trigger.
    pub fn validate(&self) -> Result<(), TriggerError> {
        match self {
            Self::ThreatIntelligence { reference } => reference.validate(),
            _ => Ok(()),
        }
    }
}

/// Where a threat was reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ThreatSource {
    /// A CVE record, `CVE-2024-3094`.
    Cve,
    /// An entry of CISA's Known Exploited Vulnerabilities catalog (named by its CVE).
    Kev,
    /// A vendor's security advisory, named as the vendor names it.
    VendorAdvisory,
}

impl ThreatSource {
    pub const ALL: [ThreatSource; 3] = [Self::Cve, Self::Kev, Self::VendorAdvisory];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cve => "cve",
            Self::Kev => "kev",
            Self::VendorAdvisory => "vendor-advisory",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// A threat-intelligence reference: what, where to read it, and when it was published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ThreatReference {
    pub source: ThreatSource,
    pub id: String,
    pub url: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    #[serde(with = "iso_date")]
    pub date: Date,
}

/// Why a trigger's reference is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    #[error("{kind} reference {id:?} is not a CVE id such as CVE-2024-3094")]
    NotACve { kind: &'static str, id: String },
    #[error("the reference needs an id")]
    MissingId,
    #[error("reference URL {0:?} must start with https:// or http://")]
    BadUrl(String),
}

impl ThreatReference {
    fn validate(&self) -> Result<(), TriggerError> {
        if self.id.trim().is_empty() {
            return Err(TriggerError::MissingId);
        }
        if matches!(self.source, ThreatSource::Cve | ThreatSource::Kev) && !is_cve_id(&self.id) {
            return Err(TriggerError::NotACve {
                kind: self.source.as_str(),
                id: self.id.clone(),
            });
        }
        if !(self.url.starts_with("https://") || self.url.starts_with("http://"))
            || self.url.len() < 12
        {
            return Err(TriggerError::BadUrl(self.url.clone()));
        }
        Ok(())
    }
}

/// `CVE-YYYY-NNNN` with four or more digits in the sequence part (the CVE program's syntax).
fn is_cve_id(id: &str) -> bool {
    let mut parts = id.split('-');
    let (Some("CVE"), Some(year), Some(seq), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && seq.len() >= 4
        && seq.bytes().all(|b| b.is_ascii_digit())
}

/// A step a version can be asked to take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Transition {
    /// Draft to review, with reviewers named.
    Submit,
    /// Back to draft from review or approval (changes were asked for).
    Return,
    /// Review to approved, by someone other than the author.
    Approve,
    /// Approved to published, with an effective date.
    Publish,
    /// Abandons an open version, so another draft can be opened.
    Withdraw,
}

impl Transition {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Return => "return",
            Self::Approve => "approve",
            Self::Publish => "publish",
            Self::Withdraw => "withdraw",
        }
    }

    /// The transitions a version in `state` may take.
    pub fn allowed_from(state: VersionState) -> &'static [Transition] {
        match state {
            VersionState::Draft => &[Self::Submit, Self::Withdraw],
            VersionState::InReview => &[Self::Approve, Self::Return, Self::Withdraw],
            VersionState::Approved => &[Self::Publish, Self::Return, Self::Withdraw],
            VersionState::Published | VersionState::Withdrawn => &[],
        }
    }

    fn target(self) -> VersionState {
        match self {
            Self::Submit => VersionState::InReview,
            Self::Return => VersionState::Draft,
            Self::Approve => VersionState::Approved,
            Self::Publish => VersionState::Published,
            Self::Withdraw => VersionState::Withdrawn,
        }
    }
}

fn in_words(transitions: &[Transition]) -> String {
    if transitions.is_empty() {
        return "none (a published or withdrawn version is final; open a new draft)".to_owned();
    }
    transitions
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a version cannot take a step; each says why and what is allowed instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error(
        "a {} version cannot {}; allowed from {}: {}",
        .from.as_str(), .attempted.as_str(), .from.as_str(), in_words(Transition::allowed_from(*.from))
    )]
    NotAllowed {
        from: VersionState,
        attempted: Transition,
    },
    #[error(
        "a {} version cannot be published without approval: a second person with authority must approve it first",
        .0.as_str()
    )]
    NotApproved(VersionState),
    #[error("{0} wrote this version and cannot approve it: the two-person rule needs someone else")]
    AuthorCannotApprove(String),
    #[error("name at least one reviewer other than the author to submit a version for review")]
    NoReviewers,
    #[error("{0} wrote this version and cannot be one of its reviewers")]
    AuthorAsReviewer(String),
}

/// Who is asking, and about which version: enough to decide a transition.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub transition: Transition,
    /// The person asking (as the audit trail names them).
    pub actor: &'a str,
    /// Who opened the version.
    pub author: &'a str,
    /// Reviewers named with a submit (ignored by other transitions).
    pub reviewers: &'a [String],
}

/// Decides a transition: the state the version moves to, or why it may not.
pub fn next_state(
    state: VersionState,
    request: Request<'_>,
) -> Result<VersionState, TransitionError> {
    let t = request.transition;
    if !Transition::allowed_from(state).contains(&t) {
        return Err(match (t, state) {
            (Transition::Publish, VersionState::Draft | VersionState::InReview) => {
                TransitionError::NotApproved(state)
            }
            _ => TransitionError::NotAllowed {
                from: state,
                attempted: t,
            },
        });
    }
    match t {
        Transition::Submit => {
            if request.reviewers.is_empty() {
                return Err(TransitionError::NoReviewers);
            }
            if request.reviewers.iter().any(|r| r == request.author) {
                return Err(TransitionError::AuthorAsReviewer(request.author.to_owned()));
            }
        }
        Transition::Approve if request.actor == request.author => {
            return Err(TransitionError::AuthorCannotApprove(
                request.actor.to_owned(),
            ));
        }
        _ => {}
    }
    Ok(t.target())
}

/// The kinds of object a baseline holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ObjectKind {
    /// The whole baseline (an import); never a diff's object.
    Baseline,
    Domain,
    Control,
    Defaults,
    Mapping,
    Service,
    Entry,
    OptionRule,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Baseline => "baseline",
            Self::Domain => "domain",
            Self::Control => "control",
            Self::Defaults => "defaults",
            Self::Mapping => "mapping",
            Self::Service => "service",
            Self::Entry => "entry",
            Self::OptionRule => "option-rule",
        }
    }
}

/// How an object differs between two baselines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum DiffKind {
    Added,
    Removed,
    Modified,
}

/// One object that differs, with the fields that changed and both states.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Difference {
    pub object: ObjectKind,
    pub id: String,
    pub kind: DiffKind,
    /// Top-level fields whose value differs (every field for an added or removed object).
    pub fields: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before: Option<serde_json::Value>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub after: Option<serde_json::Value>,
}

fn keyed<T: Serialize>(
    items: &[T],
    key: impl Fn(&T) -> String,
) -> BTreeMap<String, serde_json::Value> {
    items
        .iter()
        .map(|i| (key(i), serde_json::to_value(i).unwrap_or_default()))
        .collect()
}

fn fields_of(value: Option<&serde_json::Value>) -> BTreeSet<String> {
    value
        .and_then(serde_json::Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn diff_kind(
    object: ObjectKind,
    before: BTreeMap<String, serde_json::Value>,
    mut after: BTreeMap<String, serde_json::Value>,
    out: &mut Vec<Difference>,
) {
    for (id, b) in before {
        let a = after.remove(&id);
        let kind = match &a {
            None => DiffKind::Removed,
            Some(a) if *a == b => continue,
            Some(_) => DiffKind::Modified,
        };
        let fields = fields_of(Some(&b))
            .union(&fields_of(a.as_ref()))
            .filter(|f| b.get(f.as_str()) != a.as_ref().and_then(|a| a.get(f.as_str())))
            .cloned()
            .collect();
        out.push(Difference {
            object,
            id,
            kind,
            fields,
            before: Some(b),
            after: a,
        });
    }
    for (id, a) in after {
        out.push(Difference {
            object,
            id,
            kind: DiffKind::Added,
            fields: fields_of(Some(&a)).into_iter().collect(),
            before: None,
            after: Some(a),
        });
    }
}

/// Every object that differs from `from` to `to`, by kind then id.
pub fn diff(from: &Baseline, to: &Baseline) -> Vec<Difference> {
    let mut out = Vec::new();
    diff_kind(
        ObjectKind::Domain,
        keyed(&from.domains, |d| d.id.to_string()),
        keyed(&to.domains, |d| d.id.to_string()),
        &mut out,
    );
    diff_kind(
        ObjectKind::Control,
        keyed(&from.controls, |c| c.id.to_string()),
        keyed(&to.controls, |c| c.id.to_string()),
        &mut out,
    );
    diff_kind(
        ObjectKind::Defaults,
        keyed(&from.defaults, |d| d.control.to_string()),
        keyed(&to.defaults, |d| d.control.to_string()),
        &mut out,
    );
    let mapping = |m: &Mapping| mapping_id(&m.control, &m.framework, &m.requirement);
    diff_kind(
        ObjectKind::Mapping,
        keyed(&from.mappings, mapping),
        keyed(&to.mappings, mapping),
        &mut out,
    );
    diff_kind(
        ObjectKind::Service,
        keyed(&from.services, |s| s.id.to_string()),
        keyed(&to.services, |s| s.id.to_string()),
        &mut out,
    );
    let entry = |e: &ResponsibilityEntry| format!("{}/{}", e.service, e.control);
    diff_kind(
        ObjectKind::Entry,
        keyed(&from.entries, entry),
        keyed(&to.entries, entry),
        &mut out,
    );
    let rule = |r: &OptionRule| format!("{}/{}/{}", r.service, r.option, r.control);
    diff_kind(
        ObjectKind::OptionRule,
        keyed(&from.option_rules, rule),
        keyed(&to.option_rules, rule),
        &mut out,
    );
    out
}

/// One cell of a customer's matrix (a control's row) as the exports show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cell {
    pub title: String,
    pub responsibility: Responsibility,
    /// `service=responsibility` per service the customer uses.
    pub per_service: Vec<String>,
    pub provider_part: String,
    pub customer_part: String,
    /// Per service, the layers that decided it, in words.
    pub explanation: Vec<String>,
}

impl Cell {
    fn of(row: &MatrixRow) -> Self {
        Self {
            title: row.title.clone(),
            responsibility: row.responsibility,
            per_service: row
                .services
                .iter()
                .map(|c| format!("{}={}", c.service, c.responsibility.as_str()))
                .collect(),
            provider_part: row.provider_part_in_words(),
            customer_part: row.customer_part_in_words(),
            explanation: row
                .services
                .iter()
                .map(|c| {
                    let chain: Vec<String> = c
                        .chain
                        .iter()
                        .map(|s| serde_json::to_string(s).unwrap_or_default())
                        .collect();
                    format!("{}: {}", c.service, chain.join(" -> "))
                })
                .collect(),
        }
    }
}

/// A cell that moves, before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CellChange {
    pub control: ControlId,
    pub before: Option<Cell>,
    pub after: Option<Cell>,
}

/// A tenant whose matrix changes, with each cell that moves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantImpact {
    pub tenant: TenantId,
    pub cells: Vec<CellChange>,
}

/// Covered / partly covered / not covered counts of one framework.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageCounts {
    pub covered: usize,
    pub partly_covered: usize,
    pub not_covered: usize,
}

/// A requirement whose coverage status moves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequirementMove {
    pub requirement: RequirementId,
    pub before: CoverageStatus,
    pub after: CoverageStatus,
}

/// A framework whose coverage moves (a status, or the controls and relationships behind one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageMove {
    pub framework: FrameworkId,
    pub before: CoverageCounts,
    pub after: CoverageCounts,
    /// Requirements whose status changes.
    pub requirements: Vec<RequirementMove>,
    /// Requirements whose status stays but whose contributing controls or relationships change.
    pub provenance_changed: Vec<RequirementId>,
}

/// An engagement in progress whose scope touches a changed control.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EngagementImpact {
    pub engagement: String,
    pub tenant: TenantId,
    pub controls: Vec<ControlId>,
}

/// The engagements in progress, as far as impact needs them. Engagements do not exist yet; when they do,
/// their store implements this and [`impact`] lists them with no other change.
pub trait EngagementScopes {
    /// Engagements in progress whose scope holds any of `controls`, with the ones it holds.
    fn touching(&self, controls: &BTreeSet<ControlId>) -> Vec<EngagementImpact>;
}

/// The engagement source until engagements exist: there are none.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoEngagements;

impl EngagementScopes for NoEngagements {
    fn touching(&self, _controls: &BTreeSet<ControlId>) -> Vec<EngagementImpact> {
        Vec::new()
    }
}

/// The controls whose own definition, defaults, mappings, service entries or option rules differ from
/// `from` to `to`: what an engagement in progress must retest (roll-forward) or be told about (impact).
pub fn changed_controls(from: &Baseline, to: &Baseline) -> BTreeSet<ControlId> {
    let mut touched = BTreeSet::new();
    for d in diff(from, to) {
        match d.object {
            ObjectKind::Control | ObjectKind::Defaults => {
                touched.insert(ControlId::from(d.id.as_str()));
            }
            ObjectKind::Mapping => {
                if let Some((control, _)) = d.id.split_once('>') {
                    touched.insert(ControlId::from(control));
                }
            }
            ObjectKind::Entry | ObjectKind::OptionRule => {
                if let Some(control) = d.id.rsplit('/').next() {
                    touched.insert(ControlId::from(control));
                }
            }
            ObjectKind::Baseline | ObjectKind::Domain | ObjectKind::Service => {}
        }
    }
    touched
}

/// What publishing `next` over the programme's baseline would change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Impact {
    pub tenants: Vec<TenantImpact>,
    pub frameworks: Vec<CoverageMove>,
    pub engagements: Vec<EngagementImpact>,
}

/// Recomputes every tenant's matrix and every framework's coverage under `current` and `next` (each
/// installed in `programme`, which gives frameworks and tenants) and keeps what moves.
pub fn impact(
    programme: &Programme,
    current: &Baseline,
    next: &Baseline,
    engagements: &dyn EngagementScopes,
) -> Result<Impact, MatrixError> {
    let before = current.installed_in(programme);
    let after = next.installed_in(programme);
    let model_before = ResponsibilityModel::new(&before)?;
    let model_after = ResponsibilityModel::new(&after)?;
    let mut tenants = Vec::new();
    let mut touched: BTreeSet<ControlId> = BTreeSet::new();
    for tenant in &programme.tenants {
        let cells = cell_changes(&model_before, &model_after, tenant)?;
        touched.extend(cells.iter().map(|c| c.control.clone()));
        if !cells.is_empty() {
            tenants.push(TenantImpact {
                tenant: tenant.id.clone(),
                cells,
            });
        }
    }
    touched.extend(changed_controls(current, next));
    Ok(Impact {
        tenants,
        frameworks: coverage_moves(&before, &after),
        engagements: engagements.touching(&touched),
    })
}

fn cell_changes(
    before: &ResponsibilityModel<'_>,
    after: &ResponsibilityModel<'_>,
    tenant: &Tenant,
) -> Result<Vec<CellChange>, MatrixError> {
    let old = before.matrix(tenant)?;
    let new = after.matrix(tenant)?;
    let mut out = Vec::new();
    let mut new_rows: BTreeMap<&ControlId, &MatrixRow> =
        new.rows.iter().map(|r| (&r.control, r)).collect();
    for row in &old.rows {
        let new_row = new_rows.remove(&row.control);
        // Most rows do not move: compare the rows before putting either into words.
        if new_row == Some(row) {
            continue;
        }
        let b = Cell::of(row);
        let a = new_row.map(Cell::of);
        if a.as_ref() != Some(&b) {
            out.push(CellChange {
                control: row.control.clone(),
                before: Some(b),
                after: a,
            });
        }
    }
    for row in new
        .rows
        .iter()
        .filter(|r| new_rows.contains_key(&r.control))
    {
        out.push(CellChange {
            control: row.control.clone(),
            before: None,
            after: Some(Cell::of(row)),
        });
    }
    Ok(out)
}

fn coverage_moves(before: &Programme, after: &Programme) -> Vec<CoverageMove> {
    let mut out = Vec::new();
    for f in &before.frameworks {
        let requirements: Vec<_> = before
            .requirements
            .iter()
            .filter(|r| r.framework == f.id)
            .cloned()
            .collect();
        let of = |p: &Programme| {
            let mappings: Vec<Mapping> = p
                .mappings
                .iter()
                .filter(|m| m.framework == f.id)
                .cloned()
                .collect();
            coverage(&requirements, &mappings)
        };
        let (b, a) = (of(before), of(after));
        if b == a {
            continue;
        }
        let mut moves = Vec::new();
        let mut provenance_changed = Vec::new();
        for (rb, ra) in b.requirements.iter().zip(&a.requirements) {
            if rb.status != ra.status {
                moves.push(RequirementMove {
                    requirement: rb.requirement.clone(),
                    before: rb.status,
                    after: ra.status,
                });
            } else if rb.contributors != ra.contributors {
                provenance_changed.push(rb.requirement.clone());
            }
        }
        let counts = |c: &crate::coverage::Coverage| CoverageCounts {
            covered: c.covered,
            partly_covered: c.partly_covered,
            not_covered: c.not_covered,
        };
        out.push(CoverageMove {
            framework: f.id.clone(),
            before: counts(&b),
            after: counts(&a),
            requirements: moves,
            provenance_changed,
        });
    }
    out
}

/// The version in force at `at`: of those with an effective instant (published ones), the one with the
/// latest at or before `at`; of equal instants the later in `versions` wins.
pub fn in_force_at<V>(
    versions: &[V],
    at: OffsetDateTime,
    effective: impl Fn(&V) -> Option<OffsetDateTime>,
) -> Option<&V> {
    versions
        .iter()
        .filter_map(|v| effective(v).map(|e| (e, v)))
        .filter(|(e, _)| *e <= at)
        .max_by_key(|(e, _)| *e)
        .map(|(_, v)| v)
}

/// One change of a version, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeRecord {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub version: BaselineVersionId,
    /// 1, 2, ... within the version.
    pub seq: i64,
    pub change: Change,
    /// Why the change is made.
    pub rationale: String,
    pub author: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
}

/// A reviewer's (or the author's) comment on a version, or on one of its changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comment {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub version: BaselineVersionId,
    pub seq: i64,
    /// The change commented on, or `None` for the version as a whole.
    pub change: Option<i64>,
    pub author: String,
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
}

/// What a customer is told when a version that changes its matrix is published: its own cells and the
/// effective date. Tenant-owned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notice {
    /// `VERSION-TENANT`, e.g. `v2-northbank`.
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub version: BaselineVersionId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub tenant: TenantId,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub effective_at: OffsetDateTime,
    pub cells: Vec<CellChange>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    pub acknowledged_by: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub acknowledged_at: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests;
