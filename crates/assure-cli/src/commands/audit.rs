//! `assure audit`: verify the chains, sign checkpoints, export a tenant's trail and verify such an export
//! offline.

use std::path::PathBuf;

use assure_attest::{
    AuditExport, EXPORT_FORMAT, checkpoint_signed_by, parse_public_key, verify_export as verify_doc,
};
use assure_domain::audit::{ChainId, format_instant};
use assure_store::{Store, TenantScope};
use clap::{Args, Subcommand};

use super::require_initialised;
use super::setup::provider_key;
use crate::Failure;
use crate::output::{Format, OutputArgs, Rows};
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the chains, check every link, hash and signed checkpoint, and compare every audited object
    /// with its last record. Names the first broken record; exit 1 when anything is wrong.
    Verify(VerifyArgs),
    /// Sign the head of every chain that moved since its last checkpoint.
    Checkpoint,
    /// Export one tenant's trail with its checkpoints, verifiable offline with the provider's public key.
    Export(ExportArgs),
    /// Verify an exported trail offline, with the provider's public key only (no database needed).
    VerifyExport(VerifyExportArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Only this tenant's chain.
    #[arg(long)]
    tenant: Option<String>,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The tenant whose trail to export.
    #[arg(long)]
    tenant: String,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyExportArgs {
    /// The export (JSON) to verify.
    file: PathBuf,
    /// The provider's public key: a file holding 64 hex digits (`provider-ed25519.key.pub`).
    #[arg(long, value_name = "FILE")]
    public_key: PathBuf,
}

pub async fn run<S: Store>(
    store: &S,
    settings: &Settings,
    command: AuditCommand,
) -> Result<(), Failure> {
    require_initialised(store).await?;
    match command {
        AuditCommand::Verify(a) => verify(store, settings, &a).await,
        AuditCommand::Checkpoint => {
            let key = provider_key(settings)?;
            let written =
                assure_store::audit::checkpoint(store, time::OffsetDateTime::now_utc(), |m| {
                    key.sign(m)
                })
                .await?;
            eprintln!(
                "signed {} checkpoint(s) with key {}",
                written.len(),
                key.key_id()
            );
            Ok(())
        }
        AuditCommand::Export(a) => export(store, settings, &a).await,
        AuditCommand::VerifyExport(a) => verify_export(&a),
    }
}

async fn known_scope<S: Store>(store: &S, tenant: Option<&str>) -> Result<TenantScope, Failure> {
    let Some(t) = tenant else {
        return Ok(TenantScope::AllTenants);
    };
    let id = t.into();
    if store
        .get_tenant(&TenantScope::AllTenants, &id)
        .await?
        .is_none()
    {
        return Err(Failure::Input(format!("unknown tenant {t:?}")));
    }
    Ok(TenantScope::Tenant(id))
}

async fn verify<S: Store>(store: &S, settings: &Settings, a: &VerifyArgs) -> Result<(), Failure> {
    let scope = known_scope(store, a.tenant.as_deref()).await?;
    let key = provider_key(settings)?;
    let public = key.public();
    let report =
        assure_store::audit::verify(store, &scope, |c| checkpoint_signed_by(&public, c)).await?;
    let mut lines: Vec<String> = Vec::new();
    for s in &report.chains {
        lines.push(format!(
            "chain {}: intact, {} records, {} signed checkpoints",
            s.chain, s.records, s.checkpoints
        ));
    }
    for b in &report.breaks {
        lines.push(format!("BROKEN {b}"));
    }
    for m in &report.mismatches {
        lines.push(format!("MISMATCH {m}"));
    }
    a.out.emit(&report, || Rows {
        header: vec!["result"],
        rows: lines.iter().map(|l| vec![l.clone()]).collect(),
    })?;
    if report.is_intact() {
        Ok(())
    } else {
        let first = report
            .breaks
            .first()
            .map(ToString::to_string)
            .or_else(|| report.mismatches.first().map(ToString::to_string))
            .unwrap_or_default();
        Err(Failure::Negative(format!(
            "audit verification failed: {} broken chain(s), {} object(s) out of step; first: {first}",
            report.breaks.len(),
            report.mismatches.len()
        )))
    }
}

async fn export<S: Store>(store: &S, settings: &Settings, a: &ExportArgs) -> Result<(), Failure> {
    let scope = known_scope(store, Some(&a.tenant)).await?;
    let key = provider_key(settings)?;
    // Sign the current heads first, so the export is vouched for up to its last record.
    assure_store::audit::checkpoint(store, time::OffsetDateTime::now_utc(), |m| key.sign(m))
        .await?;
    let chain = ChainId::Tenant(a.tenant.as_str().into());
    let export = AuditExport {
        format: EXPORT_FORMAT.to_owned(),
        chain: chain.clone(),
        exported_at: format_instant(time::OffsetDateTime::now_utc()),
        key_id: key.key_id(),
        records: store.audit_records(&scope, &chain).await?,
        checkpoints: store.audit_checkpoints(&scope, &chain).await?,
    };
    let out = OutputArgs {
        format: Format::Json,
        output: a.output.clone(),
    };
    out.emit(&export, || Rows {
        header: vec![],
        rows: vec![],
    })?;
    if let Some(path) = &a.output {
        eprintln!(
            "exported {} records and {} checkpoints of {chain} to {}; verify with: assure audit verify-export {} --public-key {}",
            export.records.len(),
            export.checkpoints.len(),
            path.display(),
            path.display(),
            assure_attest::public_key_path(&settings.signing_key()).display()
        );
    }
    Ok(())
}

pub fn verify_export(a: &VerifyExportArgs) -> Result<(), Failure> {
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p)
            .map_err(|e| Failure::Input(format!("cannot read {}: {e}", p.display())))
    };
    let public = parse_public_key(&read(&a.public_key)?).ok_or_else(|| {
        Failure::Input(format!(
            "{}: not an Ed25519 public key (64 hex digits)",
            a.public_key.display()
        ))
    })?;
    let export: AuditExport = serde_json::from_str(&read(&a.file)?)
        .map_err(|e| Failure::Input(format!("{}: not an audit export: {e}", a.file.display())))?;
    match verify_doc(&export, &public) {
        Ok(summary) => {
            println!(
                "{}: chain {} intact, {} records, {} signed checkpoints",
                a.file.display(),
                summary.chain,
                summary.records,
                summary.checkpoints
            );
            Ok(())
        }
        Err(problem) => Err(Failure::Negative(format!(
            "{}: {problem}",
            a.file.display()
        ))),
    }
}
