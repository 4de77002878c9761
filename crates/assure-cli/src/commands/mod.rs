//! The subcommands. Each opens the store named by the settings and works through [`assure_store::Store`].

mod audit;
mod baseline;
mod baseline_files;
mod catalogue;
mod demo_engagements;
mod demo_evidence;
mod demo_findings;
pub mod engagements;
pub mod evidence;
mod findings;
mod import;
mod kev;
mod keys;
mod matrix;
mod scheduler;
mod serve;
mod setup;
mod tenants;
pub mod trust;
mod users;

use assure_store::{AnyStore, Store};
use clap::Subcommand;

use crate::Failure;
use crate::settings::Settings;

// Parsed once per process: the size of the largest variant costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web UI and the API (HTTP on 127.0.0.1:8080). A first start on an empty database creates
    /// it and loads the Contour Cloud demo programme.
    Serve(serve::ServeArgs),
    /// Create and migrate the database, and load the demo programme (or a content folder, or nothing).
    Init(setup::InitArgs),
    /// The controls of the baseline.
    #[command(subcommand)]
    Controls(catalogue::ControlsCommand),
    /// External frameworks and how far the baseline covers them.
    #[command(subcommand)]
    Frameworks(catalogue::FrameworksCommand),
    /// The governed baseline: drafts, edits, review, approval (two-person rule), publication with
    /// customer notices, diff, impact, export and import as content files. Exit 1 when refused (with why).
    #[command(subcommand)]
    Baseline(baseline::BaselineCommand),
    /// Customers of the provider.
    #[command(subcommand)]
    Tenants(tenants::TenantsCommand),
    /// Test controls by machine: run check manifests (CEL) over a snapshot, a Terraform plan, access-log
    /// or key records. Exit 0 when all pass, 1 when any fails, 2 for a usage or input error.
    Check(assure_checks::command::CheckArgs),
    /// Import an OSCAL catalog or profile, a CSV/XLSX framework, or mappings (OSCAL mapping-collection or
    /// CSV crosswalk). Exit 0 imported, 1 the file is malformed or invalid (nothing stored), 2 unreadable
    /// input or a usage error.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Resolve an OSCAL profile into a catalog, as NIST's resolver does.
    Resolve(assure_oscal::command::ResolveArgs),
    /// Validate an OSCAL document: the 1.2.1 JSON schema and referential integrity.
    Validate(assure_oscal::command::ValidateArgs),
    /// A customer's shared-responsibility matrix and its exports (CSV, XLSX, CRM, SoA, OSCAL).
    Matrix(matrix::MatrixArgs),
    /// The hash-chained audit trail: verify, sign checkpoints, export a tenant's trail.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Evidence: add, list, show, get its bytes, verify every blob.
    #[command(subcommand)]
    Evidence(evidence::EvidenceCommand),
    /// Engagements: enrolment (request, intake, NDA, activation), engagements at a tier over a scope,
    /// assessors, the questionnaire as CSV/XLSX and CAIQ v4, test results with samples, signing and
    /// roll-forward. Exit 1 when refused (with why), 2 for a usage or input error (a bad sheet names every
    /// row error).
    #[command(subcommand)]
    Engagements(engagements::EngagementsCommand),
    /// Trust center: list, publish, request, approve, deny, accept-terms, download.
    #[command(subcommand)]
    Trust(trust::TrustCommand),
    /// Findings and their remediation: create, list, show (with the timeline), triage, transition,
    /// accept-risk, retriage. Exit 1 when a step is refused (naming the allowed ones).
    #[command(subcommand)]
    Findings(findings::FindingsCommand),
    /// CISA's Known Exploited Vulnerabilities catalogue: import the JSON file, show the import.
    #[command(subcommand)]
    Kev(kev::KevCommand),
    /// User accounts: create (with a one-time password), list, disable, reset the second factor.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// API tokens (`Authorization: Bearer`): create (shown once), list, revoke.
    #[command(subcommand)]
    Tokens(users::TokensCommand),
}

/// Runs a command; `verify-export` needs no database, every other command opens one.
pub async fn run(settings: Settings, command: Command) -> Result<(), Failure> {
    match &command {
        Command::Audit(audit::AuditCommand::VerifyExport(args)) => {
            return audit::verify_export(args);
        }
        Command::Check(args) => {
            let args = args.clone();
            let code =
                tokio::task::spawn_blocking(move || assure_checks::command::run_and_report(&args))
                    .await
                    .map_err(anyhow::Error::from)?;
            return exit_with(code);
        }
        Command::Resolve(args) => {
            let code = assure_oscal::command::run_resolve(
                args,
                &mut std::io::stdout(),
                &mut std::io::stderr(),
            );
            return exit_with(code);
        }
        Command::Validate(args) => {
            let code = assure_oscal::command::run_validate(
                args,
                &mut std::io::stdout(),
                &mut std::io::stderr(),
            );
            return exit_with(code);
        }
        _ => {}
    }
    settings.ensure_data_dir().map_err(|e| {
        Failure::Input(format!(
            "cannot create data folder {}: {e}",
            settings.data_dir.display()
        ))
    })?;
    let url = settings.database_url();
    let store = AnyStore::connect(&url)
        .await
        .map_err(|e| Failure::Input(format!("cannot open database {url}: {e}")))?;
    match store {
        AnyStore::Sqlite(s) => run_on(s, settings, command).await,
        AnyStore::Postgres(s) => run_on(s, settings, command).await,
    }
}

async fn run_on<S: Store>(store: S, settings: Settings, command: Command) -> Result<(), Failure> {
    match command {
        Command::Serve(args) => serve::run(store, &settings, &args).await,
        Command::Init(args) => setup::init(&store, &settings, &args).await,
        Command::Controls(c) => catalogue::controls(&store, c).await,
        Command::Frameworks(c) => catalogue::frameworks(&store, c).await,
        Command::Tenants(c) => tenants::run(&store, c).await,
        Command::Baseline(c) => baseline::run(&store, c).await,
        Command::Audit(c) => audit::run(&store, &settings, c).await,
        Command::Check(_) | Command::Resolve(_) | Command::Validate(_) => without_store(),
        Command::Evidence(c) => evidence::run(store, &settings, c).await,
        Command::Trust(c) => trust::run(store, &settings, c).await,
        Command::Engagements(c) => engagements::run(&store, c).await,
        Command::Matrix(a) => matrix::run(&store, a).await,
        Command::Import(c) => import::run(&store, c).await,
        Command::Findings(c) => findings::run(&store, c).await,
        Command::Kev(c) => kev::run(&store, c).await,
        Command::Users(c) => users::users(&store, c).await,
        Command::Tokens(c) => users::tokens(&store, c).await,
    }
}

/// Fails with an input error unless the database has been set up.
pub async fn require_initialised<S: Store>(store: &S) -> Result<(), Failure> {
    if store.is_initialised().await? {
        Ok(())
    } else {
        Err(Failure::Input(
            "the database is empty: run `assure init` (or `assure serve`, which loads the demo) first".into(),
        ))
    }
}

/// Commands that work on files alone are handled by [`run`] before a store is opened.
fn without_store() -> Result<(), Failure> {
    Err(Failure::Other(anyhow::anyhow!(
        "internal: this command needs no database and runs before one is opened"
    )))
}

/// Maps an exit code a library command reported (it has printed its own messages).
fn exit_with(code: i32) -> Result<(), Failure> {
    match u8::try_from(code) {
        Ok(0) => Ok(()),
        Ok(code) => Err(Failure::Exit(code)),
        Err(_) => Err(Failure::Exit(2)),
    }
}
