//! `assure kev`: CISA's Known Exploited Vulnerabilities catalogue, imported from the JSON file the operator
//! brings (`known_exploited_vulnerabilities.json`; Assure never fetches it). The file is read and checked
//! whole before anything is written; the import replaces the previous catalogue and, in the same
//! transaction, moves every open finding whose CVE it newly lists to its policy's shortest clock.
//! Exit codes: 0 imported, 1 the file is not a KEV catalogue (nothing stored), 2 unreadable or usage.

use std::collections::BTreeSet;
use std::path::PathBuf;

use assure_domain::access::Action;
use assure_domain::audit::format_instant;
use assure_domain::finding::FindingId;
use assure_domain::kev::KevCatalogue;
use assure_store::findings::FindingQuery;
use assure_store::{Actor, Store, TenantScope};
use clap::{Args, Subcommand};
use serde_json::json;

use super::require_initialised;
use crate::Failure;
use crate::output::{OutputArgs, Rows};

#[derive(Debug, Subcommand)]
pub enum KevCommand {
    /// Import CISA's KEV JSON file, replacing the previous catalogue; open findings on a listed CVE take
    /// the shortest clock.
    Import(ImportArgs),
    /// The imported catalogue's version, release and size.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CISA's `known_exploited_vulnerabilities.json`.
    file: PathBuf,
    /// Who imports (a provider admin or security lead), as recorded in the audit trail.
    #[arg(long = "as", value_name = "EMAIL")]
    who: String,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    out: OutputArgs,
}

/// The open findings that run on the shortest clock because their CVE is known exploited.
async fn known_exploited<S: Store>(store: &S) -> Result<BTreeSet<FindingId>, Failure> {
    let query = FindingQuery {
        open_only: true,
        ..FindingQuery::default()
    };
    Ok(store
        .list_findings(&TenantScope::AllTenants, &query)
        .await?
        .items
        .into_iter()
        .filter(|f| f.known_exploited)
        .map(|f| f.id)
        .collect())
}

pub async fn run<S: Store>(store: &S, command: KevCommand) -> Result<(), Failure> {
    require_initialised(store).await?;
    match command {
        KevCommand::Import(a) => {
            let text = std::fs::read_to_string(&a.file)
                .map_err(|e| Failure::Input(format!("cannot read {}: {e}", a.file.display())))?;
            let catalogue = KevCatalogue::parse(&text).map_err(|e| {
                Failure::Negative(format!("{}: {e}; nothing imported", a.file.display()))
            })?;
            let actor = acting(store, &a.who).await?;
            let before = known_exploited(store).await?;
            let import = store.import_kev(&actor, &catalogue).await?;
            let reclocked: Vec<FindingId> = known_exploited(store)
                .await?
                .difference(&before)
                .cloned()
                .collect();
            for id in &reclocked {
                let f = store
                    .get_finding(&TenantScope::AllTenants, id)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("finding {id} vanished during the import"))?;
                eprintln!(
                    "{id}: {} is known exploited; due {}",
                    f.cve.as_deref().unwrap_or(""),
                    f.due_at.map(format_instant).unwrap_or_else(|| "none".into())
                );
            }
            a.out.emit(
                &json!({ "import": import, "reclocked": reclocked }),
                || Rows {
                    header: vec!["catalog version", "released", "entries", "findings reclocked"],
                    rows: vec![vec![
                        import.catalog_version.clone(),
                        import.date_released.clone(),
                        import.count.to_string(),
                        reclocked.len().to_string(),
                    ]],
                },
            )
        }
        KevCommand::Show(a) => match store.kev_import().await? {
            Some(import) => a.out.emit(&import, || Rows {
                header: vec!["catalog version", "released", "entries", "sha256 of entries"],
                rows: vec![vec![
                    import.catalog_version.clone(),
                    import.date_released.clone(),
                    import.count.to_string(),
                    import.entries_digest.clone(),
                ]],
            }),
            None => Err(Failure::Negative(
                "no KEV catalogue imported yet: `assure kev import known_exploited_vulnerabilities.json --as EMAIL`"
                    .into(),
            )),
        },
    }
}

/// The actor for `--as EMAIL`, once their role may import content (provider admin, security lead).
async fn acting<S: Store>(store: &S, who: &str) -> Result<Actor, Failure> {
    let user = store
        .get_user(&assure_domain::UserId::from(who))
        .await?
        .ok_or_else(|| {
            Failure::Input(format!(
                "--as {who}: no such user (see `assure users list`)"
            ))
        })?;
    if user.disabled || !assure_domain::access::permits(user.role, Action::ImportContent) {
        return Err(Failure::Negative(format!(
            "refused: {who} ({}) may not import the KEV catalogue: it needs a provider admin or security lead",
            user.role.as_str()
        )));
    }
    Ok(Actor(format!("user:{}", user.id)))
}
