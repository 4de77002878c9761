//! A customer's profile: the services it uses, the options it turned on, the regions its data may live in
//! and the frameworks it cares about. The profile is what decides its responsibility matrix.
//!
//! Rule: a profile is checked as a whole before it replaces the old one, so a bad edit (an unknown service,
//! an option the service does not offer, a region the service does not run in) changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::service::Service;
use crate::tenant::{ServiceUse, Tenant};
use crate::{FrameworkId, OptionId, RegionId, ServiceId};

/// The part of a tenant that decides its matrix; also the body of `PUT /api/v1/tenants/{id}/profile`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default)]
    pub services: Vec<ServiceUse>,
    #[serde(default)]
    pub regions: Vec<RegionId>,
    #[serde(default)]
    pub frameworks: Vec<FrameworkId>,
}

/// Why a profile (or an edit of one) is refused. Each names the offending ID.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("unknown service {0}: see `assure services` or GET /api/v1/services for the catalogue")]
    UnknownService(ServiceId),
    #[error("service {service} does not offer option {option}")]
    UnknownOption {
        service: ServiceId,
        option: OptionId,
    },
    #[error("unknown region {0}")]
    UnknownRegion(RegionId),
    #[error("unknown framework {0}")]
    UnknownFramework(FrameworkId),
    #[error(
        "cannot use service {service} in region {region}, where it does not run: drop the region or the service"
    )]
    RegionNotServed {
        service: ServiceId,
        region: RegionId,
    },
    #[error("service {0} is listed twice")]
    DuplicateService(ServiceId),
    #[error("option {option} of service {service} is listed twice")]
    DuplicateOption {
        service: ServiceId,
        option: OptionId,
    },
    #[error("service {0} is not in the profile, so it cannot be removed or given options")]
    ServiceNotInProfile(ServiceId),
}

impl ProfileError {
    /// The ID a person would search for to fix the problem.
    pub fn id(&self) -> &str {
        match self {
            Self::UnknownService(s) | Self::DuplicateService(s) | Self::ServiceNotInProfile(s) => {
                s.as_str()
            }
            Self::UnknownOption { option, .. } | Self::DuplicateOption { option, .. } => {
                option.as_str()
            }
            Self::UnknownRegion(r) => r.as_str(),
            Self::UnknownFramework(f) => f.as_str(),
            Self::RegionNotServed { service, .. } => service.as_str(),
        }
    }
}

/// What a profile may name: the provider's catalogue.
#[derive(Debug)]
pub struct ProfileCatalogue<'a> {
    pub services: BTreeMap<&'a str, &'a Service>,
    pub regions: BTreeSet<&'a str>,
    pub frameworks: BTreeSet<&'a str>,
}

impl<'a> ProfileCatalogue<'a> {
    pub fn new(
        services: &'a [Service],
        regions: impl IntoIterator<Item = &'a RegionId>,
        frameworks: impl IntoIterator<Item = &'a FrameworkId>,
    ) -> Self {
        Self {
            services: services.iter().map(|s| (s.id.as_str(), s)).collect(),
            regions: regions.into_iter().map(RegionId::as_str).collect(),
            frameworks: frameworks.into_iter().map(FrameworkId::as_str).collect(),
        }
    }
}

impl Profile {
    pub fn of(tenant: &Tenant) -> Self {
        Self {
            services: tenant.services.clone(),
            regions: tenant.regions.clone(),
            frameworks: tenant.frameworks.clone(),
        }
    }

    /// The tenant with this profile in place of its own; everything else is kept.
    pub fn applied_to(&self, tenant: &Tenant) -> Tenant {
        Tenant {
            services: self.services.clone(),
            regions: self.regions.clone(),
            frameworks: self.frameworks.clone(),
            ..tenant.clone()
        }
    }

    /// Every problem of the profile against the catalogue, in a stable order; empty when it is sound.
    pub fn problems(&self, catalogue: &ProfileCatalogue<'_>) -> Vec<ProfileError> {
        let mut problems = Vec::new();
        for r in &self.regions {
            if !catalogue.regions.contains(r.as_str()) {
                problems.push(ProfileError::UnknownRegion(r.clone()));
            }
        }
        for f in &self.frameworks {
            if !catalogue.frameworks.contains(f.as_str()) {
                problems.push(ProfileError::UnknownFramework(f.clone()));
            }
        }
        let mut seen = BTreeSet::new();
        for u in &self.services {
            if !seen.insert(u.service.as_str()) {
                problems.push(ProfileError::DuplicateService(u.service.clone()));
            }
            let Some(service) = catalogue.services.get(u.service.as_str()) else {
                problems.push(ProfileError::UnknownService(u.service.clone()));
                continue;
            };
            let mut options = BTreeSet::new();
            for o in &u.options {
                if !service.offers_option(o) {
                    problems.push(ProfileError::UnknownOption {
                        service: u.service.clone(),
                        option: o.clone(),
                    });
                } else if !options.insert(o.as_str()) {
                    problems.push(ProfileError::DuplicateOption {
                        service: u.service.clone(),
                        option: o.clone(),
                    });
                }
            }
            for r in &self.regions {
                if !service.runs_in(r) {
                    problems.push(ProfileError::RegionNotServed {
                        service: u.service.clone(),
                        region: r.clone(),
                    });
                }
            }
        }
        problems
    }

    /// Applies an edit and checks the result; the profile itself is never changed, so a refused edit
    /// leaves nothing behind.
    pub fn edited(
        &self,
        edit: &ProfileEdit,
        catalogue: &ProfileCatalogue<'_>,
    ) -> Result<Profile, Vec<ProfileError>> {
        let mut next = self.clone();
        let mut problems = Vec::new();
        for s in &edit.remove_services {
            let before = next.services.len();
            next.services.retain(|u| &u.service != s);
            if next.services.len() == before {
                problems.push(ProfileError::ServiceNotInProfile(s.clone()));
            }
        }
        for s in &edit.add_services {
            if !next.services.iter().any(|u| &u.service == s) {
                next.services.push(ServiceUse {
                    service: s.clone(),
                    options: Vec::new(),
                });
            }
        }
        for (s, o) in &edit.add_options {
            match next.services.iter_mut().find(|u| &u.service == s) {
                Some(u) if !u.options.contains(o) => u.options.push(o.clone()),
                Some(_) => {}
                None => problems.push(ProfileError::ServiceNotInProfile(s.clone())),
            }
        }
        for (s, o) in &edit.remove_options {
            match next.services.iter_mut().find(|u| &u.service == s) {
                Some(u) => u.options.retain(|x| x != o),
                None => problems.push(ProfileError::ServiceNotInProfile(s.clone())),
            }
        }
        add_remove(&mut next.regions, &edit.add_regions, &edit.remove_regions);
        add_remove(
            &mut next.frameworks,
            &edit.add_frameworks,
            &edit.remove_frameworks,
        );
        problems.extend(next.problems(catalogue));
        if problems.is_empty() {
            Ok(next)
        } else {
            Err(problems)
        }
    }
}

fn add_remove<T: PartialEq + Clone>(list: &mut Vec<T>, add: &[T], remove: &[T]) {
    list.retain(|x| !remove.contains(x));
    for a in add {
        if !list.contains(a) {
            list.push(a.clone());
        }
    }
}

/// An incremental change of a profile, as the CLI takes it (`--add-service`, `--option`, `--region`, ...).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileEdit {
    pub add_services: Vec<ServiceId>,
    pub remove_services: Vec<ServiceId>,
    pub add_options: Vec<(ServiceId, OptionId)>,
    pub remove_options: Vec<(ServiceId, OptionId)>,
    pub add_regions: Vec<RegionId>,
    pub remove_regions: Vec<RegionId>,
    pub add_frameworks: Vec<FrameworkId>,
    pub remove_frameworks: Vec<FrameworkId>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::{Direction, ServiceModel, ServiceOption};

    fn services() -> Vec<Service> {
        vec![Service {
            id: "vm".into(),
            name: "VM".into(),
            model: ServiceModel::Iaas,
            description: String::new(),
            regions: vec!["eu-west".into()],
            options: vec![ServiceOption {
                id: "managed-patching".into(),
                name: "patching".into(),
                direction: Direction::TowardsProvider,
            }],
        }]
    }

    #[test]
    fn bad_edits_are_refused_with_the_offending_id_and_change_nothing() {
        let services = services();
        let regions: Vec<RegionId> = vec!["eu-west".into(), "us-east".into()];
        let frameworks: Vec<FrameworkId> = vec!["soc2".into()];
        let cat = ProfileCatalogue::new(&services, &regions, &frameworks);
        let profile = Profile {
            regions: vec!["eu-west".into()],
            ..Profile::default()
        };
        let snapshot = profile.clone();
        let cases = [
            (
                ProfileEdit {
                    add_services: vec!["nope".into()],
                    ..ProfileEdit::default()
                },
                "nope",
            ),
            (
                ProfileEdit {
                    add_services: vec!["vm".into()],
                    add_options: vec![("vm".into(), "turbo".into())],
                    ..ProfileEdit::default()
                },
                "turbo",
            ),
            (
                ProfileEdit {
                    add_services: vec!["vm".into()],
                    add_regions: vec!["us-east".into()],
                    ..ProfileEdit::default()
                },
                "vm",
            ),
            (
                ProfileEdit {
                    remove_services: vec!["vm".into()],
                    ..ProfileEdit::default()
                },
                "vm",
            ),
        ];
        for (edit, id) in cases {
            let errs = profile.edited(&edit, &cat).expect_err("refused");
            assert_eq!(errs[0].id(), id, "{errs:?}");
        }
        assert_eq!(profile, snapshot);
        let ok = profile
            .edited(
                &ProfileEdit {
                    add_services: vec!["vm".into()],
                    add_options: vec![("vm".into(), "managed-patching".into())],
                    ..ProfileEdit::default()
                },
                &cat,
            )
            .expect("accepted");
        assert_eq!(
            ok.services[0].options,
            vec![OptionId::from("managed-patching")]
        );
    }
}
