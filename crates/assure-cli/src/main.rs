//! `assure`: the command line of Assure. Exit codes: 0 success, 1 a negative result (a verification or
//! check failed), 2 a usage or input error.

mod commands;
mod output;
mod settings;

use std::process::ExitCode;

use clap::Parser;

use crate::commands::Command;
use crate::settings::Settings;

/// Assure: a cloud provider's customer security programme, kept as data, tested by machine and signed.
#[derive(Debug, Parser)]
#[command(name = "assure", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

/// How a command ended, beyond success.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// A verification or check found a problem (exit 1).
    #[error("{0}")]
    Negative(String),
    /// The user's input was wrong (exit 2).
    #[error("{0}")]
    Input(String),
    /// The command already reported its outcome; exit with this code.
    #[error("exit {0}")]
    Exit(u8),
    /// Anything else that stopped the command (exit 2).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<assure_store::StoreError> for Failure {
    fn from(e: assure_store::StoreError) -> Self {
        Self::Other(e.into())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    settings::init_logging(&cli.settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(commands::run(cli.settings, cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Exit(code)) => ExitCode::from(code),
        Err(Failure::Negative(message)) => {
            eprintln!("{message}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
