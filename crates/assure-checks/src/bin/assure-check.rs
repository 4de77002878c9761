//! Stand-alone `assure check` for trying the command end to end before it is wired into `assure`.

use assure_checks::command::{CheckArgs, run_and_report};
use clap::Parser;

/// Run control tests over an input.
#[derive(Debug, Parser)]
#[command(name = "assure-check", version)]
struct Cli {
    #[command(flatten)]
    args: CheckArgs,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let code = run_and_report(&cli.args);
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(2))
}
