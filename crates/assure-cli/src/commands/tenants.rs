//! `assure tenants`: the provider's customers.

use assure_domain::profile::{Profile, ProfileCatalogue, ProfileEdit};
use assure_domain::{OptionId, ServiceId};
use assure_store::snapshot::programme_snapshot;
use assure_store::{Actor, Store, TenantScope};
use clap::{Args, Subcommand};

use super::require_initialised;
use crate::Failure;
use crate::output::{OutputArgs, Rows};

#[derive(Debug, Subcommand)]
pub enum TenantsCommand {
    /// List tenants.
    List(ListTenants),
    /// Show one tenant with its contacts and profile.
    Show(ShowTenant),
    /// Show or change a tenant's profile (services, options, regions, frameworks); changes are checked
    /// as a whole, audited, and refused without effect when any part is wrong.
    Profile(Box<EditProfile>),
    /// Require a second factor (TOTP) of every user of a tenant, or allow passwords alone again.
    Mfa(TenantMfa),
}

#[derive(Debug, Args)]
pub struct TenantMfa {
    /// Tenant id, e.g. northbank.
    id: String,
    /// Require a second factor.
    #[arg(
        long,
        conflicts_with = "allow_password_only",
        required_unless_present = "allow_password_only"
    )]
    require: bool,
    /// Allow logins with a password alone (the default of a tenant).
    #[arg(long)]
    allow_password_only: bool,
}

#[derive(Debug, Args)]
pub struct EditProfile {
    /// Tenant id, e.g. northbank.
    id: String,
    /// Start a service (repeatable).
    #[arg(long, value_name = "SERVICE")]
    add_service: Vec<String>,
    /// Stop a service (repeatable).
    #[arg(long, value_name = "SERVICE")]
    remove_service: Vec<String>,
    /// Turn an option on: SERVICE:OPTION, or OPTION alone when exactly one --add-service is given.
    #[arg(long = "option", value_name = "[SERVICE:]OPTION")]
    option: Vec<String>,
    /// Turn an option off: SERVICE:OPTION.
    #[arg(long, value_name = "SERVICE:OPTION")]
    remove_option: Vec<String>,
    /// Add a region where the tenant's data may live (repeatable).
    #[arg(long, value_name = "REGION")]
    region: Vec<String>,
    #[arg(long, value_name = "REGION")]
    remove_region: Vec<String>,
    /// Add a framework of interest (repeatable).
    #[arg(long, value_name = "FRAMEWORK")]
    framework: Vec<String>,
    #[arg(long, value_name = "FRAMEWORK")]
    remove_framework: Vec<String>,
    /// Replace the whole profile with this JSON file (the body of PUT /api/v1/tenants/{id}/profile).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["add_service", "remove_service", "option", "remove_option", "region", "remove_region", "framework", "remove_framework"])]
    file: Option<std::path::PathBuf>,
    #[command(flatten)]
    out: OutputArgs,
}

impl EditProfile {
    fn has_edits(&self) -> bool {
        self.file.is_some()
            || !(self.add_service.is_empty()
                && self.remove_service.is_empty()
                && self.option.is_empty()
                && self.remove_option.is_empty()
                && self.region.is_empty()
                && self.remove_region.is_empty()
                && self.framework.is_empty()
                && self.remove_framework.is_empty())
    }

    /// The edit the flags describe; a bare option needs exactly one --add-service to belong to.
    fn edit(&self) -> Result<ProfileEdit, Failure> {
        let pair = |text: &str, bare_ok: bool| -> Result<(ServiceId, OptionId), Failure> {
            match text.split_once(':') {
                Some((s, o)) => Ok((s.into(), o.into())),
                None if bare_ok && self.add_service.len() == 1 => {
                    Ok((self.add_service[0].as_str().into(), text.into()))
                }
                None => Err(Failure::Input(format!(
                    "option {text:?} names no service: write SERVICE:{text}"
                ))),
            }
        };
        fn ids<T: for<'a> From<&'a str>>(v: &[String]) -> Vec<T> {
            v.iter().map(|x| T::from(x.as_str())).collect()
        }
        Ok(ProfileEdit {
            add_services: ids(&self.add_service),
            remove_services: ids(&self.remove_service),
            add_options: self
                .option
                .iter()
                .map(|o| pair(o, true))
                .collect::<Result<_, _>>()?,
            remove_options: self
                .remove_option
                .iter()
                .map(|o| pair(o, false))
                .collect::<Result<_, _>>()?,
            add_regions: ids(&self.region),
            remove_regions: ids(&self.remove_region),
            add_frameworks: ids(&self.framework),
            remove_frameworks: ids(&self.remove_framework),
        })
    }
}

/// Reads a profile JSON file; unknown fields are refused.
fn read_profile(path: &std::path::Path) -> Result<Profile, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Input(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| Failure::Input(format!("{}: not a profile: {e}", path.display())))
}

async fn edit_profile<S: Store>(
    store: &S,
    scope: &TenantScope,
    a: &EditProfile,
) -> Result<(), Failure> {
    let programme = programme_snapshot(store, scope).await?;
    let tenant = programme
        .tenants
        .iter()
        .find(|t| t.id.as_str() == a.id)
        .ok_or_else(|| Failure::Input(format!("unknown tenant {:?}", a.id)))?;
    let current = Profile::of(tenant);
    let next = if a.has_edits() {
        let catalogue = ProfileCatalogue::new(
            &programme.services,
            programme.regions.iter().map(|r| &r.id),
            programme.frameworks.iter().map(|f| &f.id),
        );
        let checked = match &a.file {
            Some(path) => {
                let p = read_profile(path)?;
                let problems = p.problems(&catalogue);
                if problems.is_empty() {
                    Ok(p)
                } else {
                    Err(problems)
                }
            }
            None => current.edited(&a.edit()?, &catalogue),
        };
        let next = checked.map_err(|problems| {
            Failure::Input(format!(
                "profile of tenant {} not changed:\n{}",
                a.id,
                problems
                    .iter()
                    .map(|p| format!("  - {p}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ))
        })?;
        store
            .update_tenant(scope, &Actor::system("cli"), &next.applied_to(tenant))
            .await?;
        next
    } else {
        current
    };
    a.out.emit(&next, || Rows {
        header: vec!["service", "options"],
        rows: next
            .services
            .iter()
            .map(|u| {
                vec![
                    u.service.to_string(),
                    u.options
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            })
            .chain([
                vec![
                    "(regions)".to_owned(),
                    next.regions
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                ],
                vec![
                    "(frameworks)".to_owned(),
                    next.frameworks
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                ],
            ])
            .collect(),
    })
}

#[derive(Debug, Args)]
pub struct ListTenants {
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ShowTenant {
    /// Tenant id, e.g. northbank.
    id: String,
    #[command(flatten)]
    out: OutputArgs,
}

pub async fn run<S: Store>(store: &S, command: TenantsCommand) -> Result<(), Failure> {
    require_initialised(store).await?;
    // The CLI runs on the provider's side, with the provider-wide scope.
    let scope = TenantScope::AllTenants;
    match command {
        TenantsCommand::Profile(a) => edit_profile(store, &scope, &a).await,
        TenantsCommand::Mfa(a) => {
            store
                .set_tenant_requires_mfa(
                    &scope,
                    &Actor::system("cli"),
                    &a.id.as_str().into(),
                    a.require,
                )
                .await
                .map_err(|e| match e {
                    assure_store::StoreError::NotFound(what) => {
                        Failure::Input(format!("no {what}"))
                    }
                    other => other.into(),
                })?;
            let rule = if a.require {
                "requires a second factor of its users"
            } else {
                "allows logins with a password alone"
            };
            eprintln!("tenant {} now {rule}", a.id);
            Ok(())
        }
        TenantsCommand::List(a) => {
            let tenants = store.list_tenants(&scope).await?;
            a.out.emit(&tenants, || Rows {
                header: vec![
                    "id",
                    "legal name",
                    "industry",
                    "role",
                    "tier",
                    "regions",
                    "services",
                ],
                rows: tenants
                    .iter()
                    .map(|t| {
                        vec![
                            t.id.to_string(),
                            t.legal_name.clone(),
                            t.industry.clone(),
                            t.processing_role.as_str().to_owned(),
                            t.tier.map_or("(not chosen)", |x| x.as_str()).to_owned(),
                            t.regions
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(" "),
                            t.services.len().to_string(),
                        ]
                    })
                    .collect(),
            })
        }
        TenantsCommand::Show(a) => {
            let tenant = store
                .get_tenant(&scope, &a.id.as_str().into())
                .await?
                .ok_or_else(|| Failure::Input(format!("unknown tenant {:?}", a.id)))?;
            a.out.emit(&tenant, || {
                let mut rows = vec![
                    vec!["id".to_owned(), tenant.id.to_string()],
                    vec!["legal name".to_owned(), tenant.legal_name.clone()],
                    vec!["industry".to_owned(), tenant.industry.clone()],
                    vec![
                        "contract".to_owned(),
                        tenant
                            .contract_ref
                            .clone()
                            .unwrap_or_else(|| "(none)".into()),
                    ],
                    vec![
                        "processing role".to_owned(),
                        tenant.processing_role.as_str().to_owned(),
                    ],
                    vec![
                        "assurance tier".to_owned(),
                        tenant
                            .tier
                            .map_or("(not chosen)", |x| x.as_str())
                            .to_owned(),
                    ],
                    vec![
                        "NDA signed".to_owned(),
                        tenant
                            .nda_signed
                            .map_or_else(|| "(not yet)".to_owned(), |d| d.to_string()),
                    ],
                    vec![
                        "regions".to_owned(),
                        tenant
                            .regions
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", "),
                    ],
                    vec![
                        "frameworks".to_owned(),
                        tenant
                            .frameworks
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", "),
                    ],
                ];
                for s in &tenant.services {
                    let options = if s.options.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " (options: {})",
                            s.options
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    rows.push(vec![
                        "service".to_owned(),
                        format!("{}{options}", s.service),
                    ]);
                }
                for c in &tenant.contacts {
                    rows.push(vec![
                        format!("contact: {}", c.role.as_str()),
                        format!("{} <{}>", c.name, c.email),
                    ]);
                }
                Rows {
                    header: vec!["field", "value"],
                    rows,
                }
            })
        }
    }
}
