//! A whole programme as one value: what a content import brings in, checked as a unit before anything is
//! written, so a broken import writes nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::catalogue::{Control, ControlDomain};
use crate::framework::{Framework, Requirement, RequirementKind};
use crate::mapping::Mapping;
use crate::responsibility::{OptionRule, ResponsibilityEntry, ServiceModelDefaults};
use crate::service::{Region, Service};
use crate::tenant::{AssessorFirm, Tenant};
use crate::user::{Affiliation, User};
use crate::{ControlId, FrameworkId, RequirementId, ServiceId};

/// The provider that runs the programme.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    pub name: String,
    pub legal_name: String,
    pub website: String,
}

/// Everything a programme holds, as loaded from content or an import.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Programme {
    pub provider: Provider,
    pub regions: Vec<Region>,
    pub domains: Vec<ControlDomain>,
    pub controls: Vec<Control>,
    pub defaults: Vec<ServiceModelDefaults>,
    pub frameworks: Vec<Framework>,
    pub requirements: Vec<Requirement>,
    pub mappings: Vec<Mapping>,
    pub services: Vec<Service>,
    pub entries: Vec<ResponsibilityEntry>,
    pub option_rules: Vec<OptionRule>,
    pub tenants: Vec<Tenant>,
    pub assessor_firms: Vec<AssessorFirm>,
    pub users: Vec<User>,
}

/// What kind of object a validation problem is about; the content loader uses it to find the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Subject {
    Region,
    Domain,
    Control,
    Framework,
    Requirement,
    Mapping,
    Service,
    Entry,
    OptionRule,
    Tenant,
    AssessorFirm,
    User,
}

/// One problem found in a programme: the object, the ID to look for, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub subject: Subject,
    /// The object the problem is in (e.g. the control whose mapping is wrong).
    pub owner: String,
    /// The offending ID, to find it in the source.
    pub id: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.owner, self.message)
    }
}

fn duplicates<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = BTreeSet::new();
    ids.filter(|id| !seen.insert(*id)).collect()
}

impl Programme {
    /// Checks every rule that spans objects. Returns all problems, in a stable order.
    pub fn validate(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut push = |subject, owner: String, id: &str, message: String| {
            problems.push(Problem {
                subject,
                owner,
                id: id.to_owned(),
                message,
            });
        };

        for d in duplicates(self.regions.iter().map(|r| r.id.as_str())) {
            push(
                Subject::Region,
                format!("region {d}"),
                d,
                format!("duplicate region {d}"),
            );
        }
        for d in duplicates(self.domains.iter().map(|x| x.id.as_str())) {
            push(
                Subject::Domain,
                format!("domain {d}"),
                d,
                format!("duplicate domain {d}"),
            );
        }
        for d in duplicates(self.controls.iter().map(|x| x.id.as_str())) {
            push(
                Subject::Control,
                format!("control {d}"),
                d,
                format!("duplicate control {d}"),
            );
        }
        for d in duplicates(self.frameworks.iter().map(|x| x.id.as_str())) {
            push(
                Subject::Framework,
                format!("framework {d}"),
                d,
                format!("duplicate framework {d}"),
            );
        }
        for d in duplicates(self.services.iter().map(|x| x.id.as_str())) {
            push(
                Subject::Service,
                format!("service {d}"),
                d,
                format!("duplicate service {d}"),
            );
        }
        for d in duplicates(self.tenants.iter().map(|x| x.id.as_str())) {
            push(
                Subject::Tenant,
                format!("tenant {d}"),
                d,
                format!("duplicate tenant {d}"),
            );
        }
        for d in duplicates(self.users.iter().map(|x| x.id.as_str())) {
            push(
                Subject::User,
                format!("user {d}"),
                d,
                format!("duplicate user {d}"),
            );
        }

        let regions: BTreeSet<&str> = self.regions.iter().map(|r| r.id.as_str()).collect();
        let domains: BTreeSet<&str> = self.domains.iter().map(|d| d.id.as_str()).collect();
        let frameworks: BTreeSet<&str> = self.frameworks.iter().map(|f| f.id.as_str()).collect();
        let mut requirements: BTreeMap<(&str, &str), &Requirement> = BTreeMap::new();
        for r in &self.requirements {
            let key = (r.framework.as_str(), r.id.as_str());
            if !frameworks.contains(key.0) {
                push(
                    Subject::Requirement,
                    format!("requirement {}", r.id),
                    r.id.as_str(),
                    format!(
                        "requirement {} names unknown framework {}",
                        r.id, r.framework
                    ),
                );
            }
            if let Some(parent) = &r.parent
                && !requirements.contains_key(&(key.0, parent.as_str()))
            {
                push(
                    Subject::Requirement,
                    format!("requirement {}", r.id),
                    parent.as_str(),
                    format!(
                        "requirement {} names parent {parent}, which is not listed before it in {}",
                        r.id, r.framework
                    ),
                );
            }
            if requirements.insert(key, r).is_some() {
                push(
                    Subject::Requirement,
                    format!("requirement {}", r.id),
                    r.id.as_str(),
                    format!("duplicate requirement {} in {}", r.id, r.framework),
                );
            }
        }

        let controls: BTreeSet<&str> = self.controls.iter().map(|c| c.id.as_str()).collect();
        for c in &self.controls {
            if !domains.contains(c.domain.as_str()) {
                push(
                    Subject::Control,
                    format!("control {}", c.id),
                    c.id.as_str(),
                    format!("control {} names unknown domain {}", c.id, c.domain),
                );
            }
        }

        let mut mapped: BTreeSet<&ControlId> = BTreeSet::new();
        for m in &self.mappings {
            mapped.insert(&m.control);
            let owner = format!("control {}", m.control);
            if !controls.contains(m.control.as_str()) {
                push(
                    Subject::Mapping,
                    owner,
                    m.control.as_str(),
                    format!("mapping from unknown control {}", m.control),
                );
                continue;
            }
            if !frameworks.contains(m.framework.as_str()) {
                push(
                    Subject::Mapping,
                    owner,
                    m.framework.as_str(),
                    format!(
                        "control {} maps to unknown framework {}",
                        m.control, m.framework
                    ),
                );
                continue;
            }
            match requirements.get(&(m.framework.as_str(), m.requirement.as_str())) {
                None => push(
                    Subject::Mapping,
                    owner,
                    m.requirement.as_str(),
                    format!(
                        "control {} maps to unknown requirement {} of {}",
                        m.control, m.requirement, m.framework
                    ),
                ),
                Some(r) if r.kind == RequirementKind::Group => push(
                    Subject::Mapping,
                    owner,
                    m.requirement.as_str(),
                    format!(
                        "control {} maps to {} of {}, a heading rather than a requirement",
                        m.control, m.requirement, m.framework
                    ),
                ),
                Some(_) => {}
            }
        }
        for c in &self.controls {
            if !mapped.contains(&c.id) {
                push(
                    Subject::Control,
                    format!("control {}", c.id),
                    c.id.as_str(),
                    format!("control {} has no mapping to any framework", c.id),
                );
            }
        }

        let mut defaulted: BTreeSet<&ControlId> = BTreeSet::new();
        for d in &self.defaults {
            defaulted.insert(&d.control);
            for (model, a) in [("iaas", &d.iaas), ("paas", &d.paas), ("saas", &d.saas)] {
                if let Err(e) = a.validate() {
                    push(
                        Subject::Control,
                        format!("control {}", d.control),
                        d.control.as_str(),
                        format!("control {} default for {model}: {e}", d.control),
                    );
                }
            }
        }
        for c in &self.controls {
            if !defaulted.contains(&c.id) {
                for s in &self.services {
                    push(
                        Subject::Service,
                        format!("service {}", s.id),
                        c.id.as_str(),
                        format!(
                            "service {} ({}) has no default responsibility for control {}",
                            s.id,
                            s.model.label(),
                            c.id
                        ),
                    );
                }
            }
        }

        let services: BTreeMap<&str, &Service> =
            self.services.iter().map(|s| (s.id.as_str(), s)).collect();
        for s in &self.services {
            for r in &s.regions {
                if !regions.contains(r.as_str()) {
                    push(
                        Subject::Service,
                        format!("service {}", s.id),
                        r.as_str(),
                        format!("service {} names unknown region {r}", s.id),
                    );
                }
            }
            for d in duplicates(s.options.iter().map(|o| o.id.as_str())) {
                push(
                    Subject::Service,
                    format!("service {}", s.id),
                    d,
                    format!("duplicate option {d}"),
                );
            }
        }
        let mut entry_keys: BTreeMap<(&ServiceId, &ControlId), &ResponsibilityEntry> =
            BTreeMap::new();
        for e in &self.entries {
            let owner = format!("service {}", e.service);
            if !services.contains_key(e.service.as_str()) {
                push(
                    Subject::Entry,
                    owner,
                    e.service.as_str(),
                    format!("entry for unknown service {}", e.service),
                );
                continue;
            }
            if !controls.contains(e.control.as_str()) {
                push(
                    Subject::Entry,
                    owner,
                    e.control.as_str(),
                    format!(
                        "service {} has an entry for unknown control {}",
                        e.service, e.control
                    ),
                );
                continue;
            }
            if let Err(err) = e.assignment.validate() {
                push(
                    Subject::Entry,
                    owner.clone(),
                    e.control.as_str(),
                    format!("entry for {}: {err}", e.control),
                );
            }
            if entry_keys.insert((&e.service, &e.control), e).is_some() {
                push(
                    Subject::Entry,
                    owner,
                    e.control.as_str(),
                    format!(
                        "service {} has two entries for control {}",
                        e.service, e.control
                    ),
                );
            }
        }
        let defaults: BTreeMap<&ControlId, &ServiceModelDefaults> =
            self.defaults.iter().map(|d| (&d.control, d)).collect();
        for rule in &self.option_rules {
            let owner = format!("service {}", rule.service);
            let Some(service) = services.get(rule.service.as_str()) else {
                push(
                    Subject::OptionRule,
                    owner,
                    rule.service.as_str(),
                    format!("option rule for unknown service {}", rule.service),
                );
                continue;
            };
            let Some(option) = service.options.iter().find(|o| o.id == rule.option) else {
                push(
                    Subject::OptionRule,
                    owner,
                    rule.option.as_str(),
                    format!(
                        "service {} does not offer option {}",
                        rule.service, rule.option
                    ),
                );
                continue;
            };
            if !controls.contains(rule.control.as_str()) {
                push(
                    Subject::OptionRule,
                    owner,
                    rule.control.as_str(),
                    format!(
                        "option {} has a rule for unknown control {}",
                        rule.option, rule.control
                    ),
                );
                continue;
            }
            if let Err(err) = rule.assignment.validate() {
                push(
                    Subject::OptionRule,
                    owner.clone(),
                    rule.control.as_str(),
                    format!("rule of option {}: {err}", rule.option),
                );
            }
            let before = entry_keys
                .get(&(&rule.service, &rule.control))
                .map(|e| e.assignment.responsibility)
                .or_else(|| {
                    defaults
                        .get(&rule.control)
                        .map(|d| d.for_model(service.model).responsibility)
                });
            if let Some(before) = before
                && !before.moves_in(rule.assignment.responsibility, option.direction)
            {
                push(
                    Subject::OptionRule,
                    owner,
                    rule.control.as_str(),
                    format!(
                        "option {} is declared {} but its rule moves control {} from {} to {}",
                        rule.option,
                        option.direction.as_str(),
                        rule.control,
                        before.as_str(),
                        rule.assignment.responsibility.as_str()
                    ),
                );
            }
        }

        let catalogue = crate::profile::ProfileCatalogue {
            services: services.clone(),
            regions: regions.clone(),
            frameworks: frameworks.clone(),
        };
        for t in &self.tenants {
            let owner = format!("tenant {}", t.id);
            if !crate::is_slug(t.id.as_str()) {
                push(
                    Subject::Tenant,
                    owner.clone(),
                    t.id.as_str(),
                    format!("tenant id {} is not a lowercase slug", t.id),
                );
            }
            for problem in crate::profile::Profile::of(t).problems(&catalogue) {
                push(
                    Subject::Tenant,
                    owner.clone(),
                    problem.id(),
                    format!("tenant {}: {problem}", t.id),
                );
            }
        }

        let tenants: BTreeSet<&str> = self.tenants.iter().map(|t| t.id.as_str()).collect();
        let firms: BTreeSet<&str> = self.assessor_firms.iter().map(|f| f.id.as_str()).collect();
        for u in &self.users {
            let owner = format!("user {}", u.id);
            if let Err(e) = u.validate() {
                push(Subject::User, owner.clone(), u.id.as_str(), e.to_string());
            }
            match &u.affiliation {
                Affiliation::Tenant(t) if !tenants.contains(t.as_str()) => {
                    push(
                        Subject::User,
                        owner,
                        t.as_str(),
                        format!("user {} belongs to unknown tenant {t}", u.id),
                    );
                }
                Affiliation::AssessorFirm(f) if !firms.contains(f.as_str()) => {
                    push(
                        Subject::User,
                        owner,
                        f.as_str(),
                        format!("user {} belongs to unknown assessor firm {f}", u.id),
                    );
                }
                _ => {}
            }
        }
        problems
    }

    /// The requirements of one framework, in publisher order.
    pub fn requirements_of<'a>(
        &'a self,
        framework: &'a FrameworkId,
    ) -> impl Iterator<Item = &'a Requirement> + 'a {
        self.requirements
            .iter()
            .filter(move |r| &r.framework == framework)
    }

    /// Whether a requirement exists (used to report a mapping target that an import lacks).
    pub fn has_requirement(&self, framework: &FrameworkId, id: &RequirementId) -> bool {
        self.requirements
            .iter()
            .any(|r| &r.framework == framework && &r.id == id)
    }
}
