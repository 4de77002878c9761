//! `assure controls` and `assure frameworks`: the baseline and its coverage of external frameworks.

use assure_domain::coverage::coverage;
use assure_domain::framework::display_requirement_id;
use assure_store::{ControlQuery, ControlSort, MappingFilter, Store};
use clap::{Args, Subcommand};
use serde_json::json;

use super::require_initialised;
use crate::Failure;
use crate::output::{OutputArgs, Rows};

#[derive(Debug, Subcommand)]
pub enum ControlsCommand {
    /// List controls, in baseline order unless sorted.
    List(ListControls),
    /// Show one control with its mappings.
    Show(ShowControl),
}

#[derive(Debug, Args)]
pub struct ListControls {
    /// Only controls of this domain (e.g. IAM).
    #[arg(long)]
    domain: Option<String>,
    /// Only controls whose id, title or statement contains this text (any case).
    #[arg(long)]
    search: Option<String>,
    /// Sort by this column.
    #[arg(long, value_enum, default_value = "baseline")]
    sort: SortBy,
    /// Reverse the order.
    #[arg(long)]
    desc: bool,
    /// At most this many controls.
    #[arg(long)]
    limit: Option<u32>,
    /// Skip this many controls first.
    #[arg(long, default_value_t = 0)]
    offset: u32,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SortBy {
    Baseline,
    Id,
    Title,
}

#[derive(Debug, Args)]
pub struct ShowControl {
    /// Control id, e.g. IAM-01.
    id: String,
    /// The control as the baseline version in force on DATE (end of that day, UTC) or at an RFC 3339
    /// instant had it.
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum FrameworksCommand {
    /// List the frameworks the baseline maps to.
    List(OutputOnly),
    /// How much of FRAMEWORK the baseline covers: covered, partly covered, not covered, per requirement.
    Coverage(CoverageArgs),
    /// Write the OSCAL catalog FRAMEWORK was imported from (as imported, declaring OSCAL 1.2.1).
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Framework id of an imported catalog or profile, e.g. nist-800-53-r5.
    framework: String,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct OutputOnly {
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Framework id, e.g. iso27001-2022 (see `assure frameworks list`).
    framework: String,
    /// Coverage by the mappings of the baseline version in force on DATE (end of that day, UTC) or at an
    /// RFC 3339 instant.
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    #[command(flatten)]
    out: OutputArgs,
}

/// The baseline in force at `--as-of`, or `None` for the live catalogue (no `--as-of`, or no version
/// recorded yet, when the catalogue has never changed).
async fn as_of<S: Store>(
    store: &S,
    text: Option<&str>,
) -> Result<Option<assure_domain::baseline::Baseline>, Failure> {
    let Some(text) = text else {
        return Ok(None);
    };
    let at = assure_domain::audit::parse_as_of(text)
        .map_err(|e| Failure::Input(format!("--as-of: {e}")))?;
    Ok(assure_store::baseline::baseline_as_of(store, at)
        .await?
        .map(|(_, b)| b))
}

pub async fn controls<S: Store>(store: &S, command: ControlsCommand) -> Result<(), Failure> {
    require_initialised(store).await?;
    match command {
        ControlsCommand::List(a) => {
            if let Some(d) = &a.domain
                && !store
                    .list_domains()
                    .await?
                    .iter()
                    .any(|x| x.id.as_str() == d)
            {
                return Err(Failure::Input(format!(
                    "unknown domain {d:?}: see `assure controls list` for the domains"
                )));
            }
            let page = store
                .list_controls(&ControlQuery {
                    domain: a.domain.as_deref().map(Into::into),
                    search: a.search.clone(),
                    sort: match a.sort {
                        SortBy::Baseline => ControlSort::Baseline,
                        SortBy::Id => ControlSort::Id,
                        SortBy::Title => ControlSort::Title,
                    },
                    descending: a.desc,
                    limit: a.limit.map(i64::from),
                    offset: i64::from(a.offset),
                })
                .await?;
            a.out.emit(&page.items, || Rows {
                header: vec!["id", "domain", "title"],
                rows: page
                    .items
                    .iter()
                    .map(|c| vec![c.id.to_string(), c.domain.to_string(), c.title.clone()])
                    .collect(),
            })
        }
        ControlsCommand::Show(a) => {
            let (control, mappings) = match as_of(store, a.as_of.as_deref()).await? {
                None => {
                    let control = store
                        .get_control(&a.id.as_str().into())
                        .await?
                        .ok_or_else(|| Failure::Input(format!("unknown control {:?}", a.id)))?;
                    let mappings = store
                        .list_mappings(&MappingFilter {
                            control: Some(control.id.clone()),
                            ..MappingFilter::default()
                        })
                        .await?;
                    (control, mappings)
                }
                Some(b) => {
                    let control = b
                        .controls
                        .iter()
                        .find(|c| c.id.as_str() == a.id)
                        .cloned()
                        .ok_or_else(|| Failure::Input(format!("unknown control {:?}", a.id)))?;
                    let mappings = b
                        .mappings
                        .into_iter()
                        .filter(|m| m.control == control.id)
                        .collect();
                    (control, mappings)
                }
            };
            let value = json!({ "control": control, "mappings": mappings });
            a.out.emit(&value, || {
                let mut rows = vec![
                    vec!["id".to_owned(), control.id.to_string()],
                    vec!["domain".to_owned(), control.domain.to_string()],
                    vec!["title".to_owned(), control.title.clone()],
                    vec!["statement".to_owned(), control.statement.clone()],
                    vec!["test procedure".to_owned(), control.test_procedure.clone()],
                    vec!["evidence".to_owned(), control.evidence.join("\n")],
                ];
                for m in &mappings {
                    rows.push(vec![
                        format!("maps to {}", m.framework),
                        format!(
                            "{} ({}){}",
                            display_requirement_id(&m.framework, &m.requirement),
                            m.relationship.as_str(),
                            if m.rationale.is_empty() {
                                String::new()
                            } else {
                                format!(": {}", m.rationale)
                            }
                        ),
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

pub async fn frameworks<S: Store>(store: &S, command: FrameworksCommand) -> Result<(), Failure> {
    require_initialised(store).await?;
    let frameworks = store.list_frameworks().await?;
    match command {
        FrameworksCommand::List(a) => a.out.emit(&frameworks, || Rows {
            header: vec!["id", "name", "version", "publisher"],
            rows: frameworks
                .iter()
                .map(|f| {
                    vec![
                        f.id.to_string(),
                        f.name.clone(),
                        f.version.clone(),
                        f.publisher.clone(),
                    ]
                })
                .collect(),
        }),
        FrameworksCommand::Export(a) => {
            if !frameworks.iter().any(|f| f.id.as_str() == a.framework) {
                let known: Vec<_> = frameworks.iter().map(|f| f.id.to_string()).collect();
                return Err(Failure::Input(format!(
                    "unknown framework {:?}; known: {}",
                    a.framework,
                    known.join(", ")
                )));
            }
            let sources = store.list_framework_sources().await?;
            let Some(source) = sources.iter().find(|s| s.framework.as_str() == a.framework) else {
                let imported: Vec<_> = sources.iter().map(|s| s.framework.to_string()).collect();
                return Err(Failure::Input(format!(
                    "framework {:?} was not imported from OSCAL, so there is no catalog to export; imported: {}",
                    a.framework,
                    if imported.is_empty() {
                        "none".to_owned()
                    } else {
                        imported.join(", ")
                    }
                )));
            };
            let document = assure_oscal::export::stored_catalog(&source.document).map_err(|e| {
                Failure::Other(anyhow::anyhow!("stored catalog of {}: {e}", a.framework))
            })?;
            let mut text = serde_json::to_string_pretty(&document).map_err(anyhow::Error::from)?;
            text.push('\n');
            match &a.output {
                Some(path) => std::fs::write(path, text)
                    .map_err(|e| Failure::Input(format!("cannot write {}: {e}", path.display())))?,
                None => print!("{text}"),
            }
            Ok(())
        }
        FrameworksCommand::Coverage(a) => {
            let Some(framework) = frameworks.iter().find(|f| f.id.as_str() == a.framework) else {
                let known: Vec<_> = frameworks.iter().map(|f| f.id.to_string()).collect();
                return Err(Failure::Input(format!(
                    "unknown framework {:?}; known: {}",
                    a.framework,
                    known.join(", ")
                )));
            };
            let requirements = store.list_requirements(&framework.id).await?;
            let mappings = match as_of(store, a.as_of.as_deref()).await? {
                None => {
                    store
                        .list_mappings(&MappingFilter {
                            framework: Some(framework.id.clone()),
                            ..MappingFilter::default()
                        })
                        .await?
                }
                Some(b) => b
                    .mappings
                    .into_iter()
                    .filter(|m| m.framework == framework.id)
                    .collect(),
            };
            let c = coverage(&requirements, &mappings);
            let summary = format!(
                "{}: {} requirements; {} covered, {} partly covered, {} not covered ({:.1}% covered or partly)\n",
                framework.name,
                c.total(),
                c.covered,
                c.partly_covered,
                c.not_covered,
                c.covered_or_partly_percent()
            );
            let value = json!({
                "framework": framework.id,
                "total": c.total(),
                "covered": c.covered,
                "partly_covered": c.partly_covered,
                "not_covered": c.not_covered,
                "covered_or_partly_percent": c.covered_or_partly_percent(),
                "requirements": c.requirements,
            });
            if a.out.format == crate::output::Format::Table && a.out.output.is_none() {
                eprint!("{summary}");
            }
            a.out.emit(&value, || Rows {
                header: vec!["requirement", "title", "status", "controls"],
                rows: c
                    .requirements
                    .iter()
                    .map(|r| {
                        vec![
                            display_requirement_id(&framework.id, &r.requirement),
                            r.title.clone(),
                            r.status.as_str().to_owned(),
                            r.contributors
                                .iter()
                                .map(|(c, rel)| format!("{c} ({})", rel.as_str()))
                                .collect::<Vec<_>>()
                                .join(", "),
                        ]
                    })
                    .collect(),
            })
        }
    }
}
