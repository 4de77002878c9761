//! `assure tenants`: the provider's customers.

use assure_store::{Store, TenantScope};
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
