//! `assure matrix TENANT`: a customer's shared-responsibility matrix, its view of one framework, and the
//! exports built on it (CSV, XLSX, FedRAMP-style CRM, ISO/IEC 27001 SoA, OSCAL).

use std::path::{Path, PathBuf};

use assure_domain::programme::Programme;
use assure_domain::tenant::Tenant;
use assure_reports::{oscal_export, xlsx};
use assure_store::snapshot::programme_snapshot;
use assure_store::{Store, TenantScope};
use clap::Args;

use super::require_initialised;
use crate::Failure;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MatrixFormat {
    /// The matrix (or, with --framework, that framework's view) as a terminal table.
    Table,
    /// Matrix, framework views, SoA and CUECs as one JSON document.
    Json,
    /// The matrix (or, with --framework, that framework's view) as CSV.
    Csv,
    /// Workbook: summary sheet plus one sheet per framework (needs -o).
    Xlsx,
    /// FedRAMP-style customer responsibility matrix by NIST SP 800-53 control, as CSV.
    Crm,
    /// ISO/IEC 27001 Statement of Applicability with the CUECs, as a workbook (needs -o).
    Soa,
    /// OSCAL 1.2.1: a component-definition per service in use and the provider SSP's export blocks,
    /// written into the folder given by -o.
    Oscal,
}

#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// Tenant id, e.g. northbank.
    tenant: String,
    /// One framework (e.g. iso27001-2022) instead of the tenant's frameworks of interest.
    #[arg(long)]
    framework: Option<String>,
    /// The matrix as it stood on DATE (end of that day, UTC) or at an RFC 3339 instant: the tenant's
    /// profile then in force, over the baseline version then in force.
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: MatrixFormat,
    /// Write to FILE (a folder for oscal) instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Reads the programme and the tenant (as it stood at `as_of`, when given); an unknown tenant, or one
/// with no recorded version by then, is an input error.
pub async fn load_tenant<S: Store>(
    store: &S,
    id: &str,
    as_of: Option<&str>,
) -> Result<(Programme, Tenant), Failure> {
    require_initialised(store).await?;
    // The CLI runs on the provider's side, with the provider-wide scope.
    let programme = programme_snapshot(store, &TenantScope::AllTenants).await?;
    let tenant = programme
        .tenants
        .iter()
        .find(|t| t.id.as_str() == id)
        .cloned()
        .ok_or_else(|| {
            Failure::Input(format!("unknown tenant {id:?}: see `assure tenants list`"))
        })?;
    let Some(text) = as_of else {
        return Ok((programme, tenant));
    };
    let at = assure_domain::audit::parse_as_of(text)
        .map_err(|e| Failure::Input(format!("--as-of: {e}")))?;
    let programme =
        assure_store::baseline::programme_as_of(store, &TenantScope::AllTenants, at).await?;
    let then = store
        .tenant_as_of(&TenantScope::AllTenants, &tenant.id, at)
        .await?
        .ok_or_else(|| {
            Failure::Input(format!(
                "--as-of {text}: tenant {id} had no recorded profile by {}",
                assure_domain::audit::format_instant(at)
            ))
        })?;
    Ok((programme, then))
}

fn report_failure(e: assure_reports::ReportError) -> Failure {
    match e {
        assure_reports::ReportError::UnknownFramework(_)
        | assure_reports::ReportError::MissingFramework(_) => Failure::Input(e.to_string()),
        other => Failure::Other(other.into()),
    }
}

pub async fn run<S: Store>(store: &S, args: MatrixArgs) -> Result<(), Failure> {
    let (programme, tenant) = load_tenant(store, &args.tenant, args.as_of.as_deref()).await?;
    let asked = args
        .framework
        .as_deref()
        .map(assure_domain::FrameworkId::from);
    let frameworks = assure_reports::frameworks_for(&programme, &tenant, asked.as_ref())
        .map_err(report_failure)?;
    let report =
        assure_reports::report(&programme, &tenant, &frameworks).map_err(report_failure)?;
    let needs_file = || {
        args.output.clone().ok_or_else(|| {
            Failure::Input(format!(
                "--format {} writes a file: give -o FILE",
                format!("{:?}", args.format).to_lowercase()
            ))
        })
    };
    match args.format {
        MatrixFormat::Json => {
            let mut text = serde_json::to_string_pretty(&report).map_err(anyhow::Error::from)?;
            text.push('\n');
            write(args.output.as_deref(), text.as_bytes())
        }
        MatrixFormat::Table => {
            let table = report.primary_table(asked.is_some());
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
            // The terminal table leaves out the long texts; csv, xlsx and json have them.
            let keep: Vec<usize> = (0..table.header.len())
                .filter(|i| {
                    !matches!(
                        table.header[*i],
                        "provider part"
                            | "customer part"
                            | "explanation"
                            | "inherited evidence"
                            | "domain"
                    )
                })
                .collect();
            t.set_header(keep.iter().map(|i| table.header[*i]));
            for r in &table.rows {
                t.add_row(keep.iter().map(|i| r[*i].clone()));
            }
            write(args.output.as_deref(), format!("{t}\n").as_bytes())
        }
        MatrixFormat::Csv => {
            let bytes = assure_reports::to_csv(&report.primary_table(asked.is_some()))
                .map_err(report_failure)?;
            write(args.output.as_deref(), &bytes)
        }
        MatrixFormat::Crm => {
            let bytes = report.crm_csv(&programme).map_err(report_failure)?;
            write(args.output.as_deref(), &bytes)
        }
        MatrixFormat::Xlsx => {
            let path = needs_file()?;
            write(
                Some(&path),
                &xlsx::matrix_xlsx(&report).map_err(report_failure)?,
            )
        }
        MatrixFormat::Soa => {
            let path = needs_file()?;
            write(
                Some(&path),
                &xlsx::soa_xlsx(&report).map_err(report_failure)?,
            )
        }
        MatrixFormat::Oscal => {
            let dir = needs_file()?;
            std::fs::create_dir_all(&dir).map_err(|e| {
                Failure::Input(format!("cannot create folder {}: {e}", dir.display()))
            })?;
            for (name, doc) in oscal_export::documents(&programme, &tenant, &report.matrix)
                .map_err(report_failure)?
            {
                let mut text = serde_json::to_string_pretty(&doc).map_err(anyhow::Error::from)?;
                text.push('\n');
                write(Some(&dir.join(name)), text.as_bytes())?;
            }
            Ok(())
        }
    }
}

fn write(path: Option<&Path>, bytes: &[u8]) -> Result<(), Failure> {
    match path {
        Some(p) => std::fs::write(p, bytes)
            .map_err(|e| Failure::Input(format!("cannot write {}: {e}", p.display()))),
        None => {
            use std::io::Write;
            std::io::stdout()
                .lock()
                .write_all(bytes)
                .map_err(|e| Failure::Other(e.into()))
        }
    }
}
