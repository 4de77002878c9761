//! The subcommands. Each opens the store named by the settings and works through [`assure_store::Store`].

mod audit;
mod catalogue;
mod matrix;
mod serve;
mod setup;
mod tenants;

use assure_store::{AnyStore, Store};
use clap::Subcommand;

use crate::Failure;
use crate::settings::Settings;

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
    /// Customers of the provider.
    #[command(subcommand)]
    Tenants(tenants::TenantsCommand),
    /// A customer's shared-responsibility matrix and its exports (CSV, XLSX, CRM, SoA, OSCAL).
    Matrix(matrix::MatrixArgs),
    /// The hash-chained audit trail: verify, sign checkpoints, export a tenant's trail.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
}

/// Runs a command; `verify-export` needs no database, every other command opens one.
pub async fn run(settings: Settings, command: Command) -> Result<(), Failure> {
    if let Command::Audit(audit::AuditCommand::VerifyExport(args)) = &command {
        return audit::verify_export(args);
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
        Command::Audit(c) => audit::run(&store, &settings, c).await,
        Command::Matrix(a) => matrix::run(&store, a).await,
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
