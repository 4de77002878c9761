//! `assure import catalog|profile|framework|mapping FILE`: read a file (through `assure-import`), check it
//! against the store, and write it in one transaction. Exit codes as `assure validate`: 0 imported (or
//! previewed with `--dry-run`), 1 the document is malformed or invalid (every problem is listed with its
//! document and JSON pointer or row), 2 unreadable input or a usage error. Nothing is stored unless the whole
//! file is valid.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use assure_import::{
    ImportError, MappingReadOptions, OscalOptions, Outcome, Plan, Preview, apply, preview,
};
use assure_oscal::mapping::{CrosswalkColumns, CrosswalkOptions};
use assure_oscal::tabular::{ColumnMapping, TableImportOptions};
use assure_store::{Actor, Store};
use clap::{Args, Subcommand};
use serde_json::json;

use super::require_initialised;
use crate::Failure;

/// Imports of at least this many objects show a progress bar (when stderr is a terminal).
const PROGRESS_FROM: usize = 100;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// An OSCAL catalog (JSON or XML; OSCAL 1.0 to 1.2) as a framework. Importing NIST's 800-53 catalog over
    /// the demo's `nist-800-53-r5` keeps its framework and requirement IDs and every mapping; requirements the
    /// catalog lacks are kept and listed.
    Catalog(OscalArgs),
    /// An OSCAL profile: resolved as `assure resolve` does, then its resolved catalog imported as a framework
    /// (ID from the profile's title unless `--framework-id`).
    Profile(ProfileArgs),
    /// A framework from a CSV or XLSX spreadsheet with a column mapping (e.g. your licensed CSA CCM, CIS or
    /// ISO/IEC 27001 sheet). Every row error is listed; nothing is stored unless all rows are valid.
    Framework(TableArgs),
    /// Mappings from an OSCAL 1.2 mapping-collection or a CSV/XLSX crosswalk (source control, target
    /// requirement, relationship, rationale), with their provenance.
    Mapping(MappingArgs),
}

/// What every import takes.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// The file to import.
    pub file: PathBuf,
    /// Show what would be imported and store nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format of the report.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
}

/// How the import reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct OscalArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Framework ID to import into (default: `nist-800-53-r5` for NIST SP 800-53 rev5, else from the title).
    #[arg(long)]
    pub framework_id: Option<String>,
    /// Licence text to record (default: an existing framework keeps its own).
    #[arg(long)]
    pub licence: Option<String>,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    #[command(flatten)]
    pub oscal: OscalArgs,
    /// Read an import href from a local file: `--map HREF=PATH` (repeatable). Remote hrefs are never fetched.
    #[arg(long = "map", value_name = "HREF=PATH", value_parser = parse_pair)]
    pub map: Vec<(String, String)>,
}

#[derive(Debug, Args)]
pub struct TableArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Framework ID (e.g. `csa-ccm-4`).
    #[arg(long = "framework-id")]
    pub framework_id: String,
    /// Framework name.
    #[arg(long)]
    pub name: String,
    /// Framework version.
    #[arg(long = "framework-version")]
    pub framework_version: String,
    #[arg(long)]
    pub publisher: Option<String>,
    /// Licence text to record (default: your own licensed copy, never redistributed).
    #[arg(long)]
    pub licence: Option<String>,
    /// Column of the requirement ID (header text or letter).
    #[arg(long, default_value = "id")]
    pub id_column: String,
    /// Column of the title.
    #[arg(long, default_value = "title")]
    pub title_column: String,
    /// Column of the parent's ID.
    #[arg(long)]
    pub parent_column: Option<String>,
    /// Column of the requirement text.
    #[arg(long)]
    pub text_column: Option<String>,
    /// Column saying `group` or `requirement`.
    #[arg(long)]
    pub kind_column: Option<String>,
    /// XLSX sheet (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// 1-based header row.
    #[arg(long, default_value_t = 1)]
    pub header_row: usize,
}

#[derive(Debug, Args)]
pub struct MappingArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The input's format: `oscal` (mapping-collection, JSON or XML), `csv` or `xlsx` (crosswalk); by the
    /// file's extension when absent.
    #[arg(long, value_parser = ["oscal", "json", "xml", "csv", "xlsx"])]
    pub input_format: Option<String>,
    /// OSCAL: the framework ID of a target href (`HREF=ID`, repeatable); by default from the href's name.
    #[arg(long = "framework", value_name = "HREF=ID", value_parser = parse_pair)]
    pub frameworks: Vec<(String, String)>,
    /// Crosswalk: the target framework when no column names it.
    #[arg(long)]
    pub target_framework: Option<String>,
    /// Crosswalk: column of the source (baseline) control.
    #[arg(long, default_value = "source")]
    pub source_column: String,
    /// Crosswalk: column of the target requirement.
    #[arg(long, default_value = "target")]
    pub target_column: String,
    /// Crosswalk: column of the relationship (OSCAL 1.2 names, e.g. `subset-of`).
    #[arg(long, default_value = "relationship")]
    pub relationship_column: String,
    /// Crosswalk: column of the rationale.
    #[arg(long, default_value = "rationale")]
    pub rationale_column: String,
    /// Crosswalk: column of the target framework ID.
    #[arg(long)]
    pub framework_column: Option<String>,
    /// XLSX sheet (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// 1-based header row.
    #[arg(long, default_value_t = 1)]
    pub header_row: usize,
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .ok_or_else(|| format!("expected KEY=VALUE, got `{s}`"))
}

impl ImportCommand {
    fn common(&self) -> &CommonArgs {
        match self {
            Self::Catalog(a) => &a.common,
            Self::Profile(a) => &a.oscal.common,
            Self::Framework(a) => &a.common,
            Self::Mapping(a) => &a.common,
        }
    }

    /// Reads the file into a plan (file work only; no store).
    fn read(&self) -> Result<Plan, ImportError> {
        match self {
            Self::Catalog(a) => assure_import::read_catalog(&a.common.file, &oscal_options(a, &[])),
            Self::Profile(a) => {
                assure_import::read_profile(&a.oscal.common.file, &oscal_options(&a.oscal, &a.map))
            }
            Self::Framework(a) => assure_import::read_table(
                &a.common.file,
                &TableImportOptions {
                    framework_id: a.framework_id.clone(),
                    name: a.name.clone(),
                    version: a.framework_version.clone(),
                    publisher: a.publisher.clone(),
                    columns: ColumnMapping {
                        id: a.id_column.clone(),
                        title: a.title_column.clone(),
                        parent: a.parent_column.clone(),
                        text: a.text_column.clone(),
                        kind: a.kind_column.clone(),
                    },
                    sheet: a.sheet.clone(),
                    header_row: a.header_row,
                },
                a.licence.clone(),
            ),
            Self::Mapping(a) => assure_import::read_mappings(
                &a.common.file,
                &MappingReadOptions {
                    input_format: a.input_format.clone(),
                    frameworks: a.frameworks.iter().cloned().collect(),
                    crosswalk: CrosswalkOptions {
                        target_framework: a.target_framework.clone().unwrap_or_default(),
                        columns: CrosswalkColumns {
                            source: a.source_column.clone(),
                            target: a.target_column.clone(),
                            relationship: a.relationship_column.clone(),
                            rationale: Some(a.rationale_column.clone()),
                            target_framework: a.framework_column.clone(),
                        },
                        sheet: a.sheet.clone(),
                        header_row: a.header_row,
                    },
                },
            ),
        }
    }
}

fn oscal_options(a: &OscalArgs, map: &[(String, String)]) -> OscalOptions {
    OscalOptions {
        framework_id: a.framework_id.clone(),
        licence: a.licence.clone(),
        href_map: map
            .iter()
            .map(|(h, p)| (h.clone(), PathBuf::from(p)))
            .collect::<HashMap<_, _>>(),
    }
}

/// Runs an import: read, check against the store, write (unless `--dry-run`), report.
pub async fn run<S: Store>(store: &S, command: ImportCommand) -> Result<(), Failure> {
    require_initialised(store).await?;
    let common = command.common();
    let format = common.format;
    let dry_run = common.dry_run;
    let command = std::sync::Arc::new(command);
    let reader = std::sync::Arc::clone(&command);
    let plan = tokio::task::spawn_blocking(move || reader.read())
        .await
        .map_err(anyhow::Error::from)?;
    let plan = match plan {
        Ok(p) => p,
        Err(e) => return refused(&e, format),
    };
    let shown = match preview(store, &plan).await {
        Ok(p) => p,
        Err(e) => return refused(&e, format),
    };
    if dry_run {
        report(&shown, None, format);
        return Ok(());
    }
    let bar = progress_bar(plan.total());
    let tick = |n: usize| {
        if let Some(b) = &bar {
            b.set_position(u64::try_from(n).unwrap_or(u64::MAX));
        }
    };
    let outcome = apply(store, &Actor::system("cli"), &plan, &tick).await;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    match outcome {
        Ok(o) => {
            report(&shown, Some(&o), format);
            Ok(())
        }
        Err(e) => refused(&e, format),
    }
}

/// A progress bar on stderr for a long import, only when stderr is a terminal (never in logs or tests).
fn progress_bar(total: usize) -> Option<indicatif::ProgressBar> {
    if total < PROGRESS_FROM || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(u64::try_from(total).unwrap_or(u64::MAX));
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("importing");
    Some(bar)
}

/// Reports why nothing was imported and exits 1 (invalid document) or 2 (unreadable, usage, store).
fn refused(e: &ImportError, format: ReportFormat) -> Result<(), Failure> {
    let problems = e.problems();
    match format {
        ReportFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "imported": false,
                "problems": problems,
            }))
            .unwrap_or_default()
        ),
        ReportFormat::Text => {
            for p in &problems {
                eprintln!("error: {p}");
            }
            eprintln!("nothing imported");
        }
    }
    Err(Failure::Exit(u8::try_from(e.exit_code()).unwrap_or(2)))
}

fn report(shown: &Preview, outcome: Option<&Outcome>, format: ReportFormat) {
    if format == ReportFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "imported": outcome.is_some(),
                "preview": shown,
                "outcome": outcome,
            }))
            .unwrap_or_default()
        );
        return;
    }
    for w in &shown.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(f) = &shown.framework {
        println!(
            "framework {} \"{}\" version {}{}",
            f.id,
            f.name,
            f.version,
            if f.exists {
                " (exists: importing over it)"
            } else {
                " (new)"
            }
        );
        println!(
            "  {} requirements ({} groups), {} new; {} withdrawn left out; {} mappings kept",
            f.requirements, f.groups, f.new_requirements, f.withdrawn_skipped, f.mappings
        );
        if !f.missing.is_empty() {
            println!(
                "  {} requirement(s) the file lacks are kept with their mappings: {}",
                f.missing.len(),
                f.missing.join(", ")
            );
        }
    }
    if let Some(m) = &shown.mappings {
        println!(
            "{} mapping(s) to {} ({} replacing existing ones)",
            m.count,
            m.frameworks.join(", "),
            m.replacing
        );
    }
    match outcome {
        None => println!("dry run: nothing stored"),
        Some(Outcome::Framework(o)) => println!(
            "imported: {} added, {} updated, {} unchanged; {} audit record(s)",
            o.requirements_added, o.requirements_updated, o.requirements_unchanged, o.audit_records
        ),
        Some(Outcome::Mappings(o)) => println!(
            "imported: {} created, {} updated, {} unchanged; {} audit record(s)",
            o.created, o.updated, o.unchanged, o.audit_records
        ),
    }
}
