//! A small development binary around [`assure_oscal::command`], for end-to-end tests and the benchmark; the
//! product's CLI is `assure`, which mounts the same commands.

use clap::{Parser, Subcommand};

use assure_oscal::command::{ResolveArgs, ValidateArgs, run_resolve, run_validate};

#[derive(Debug, Parser)]
#[command(
    name = "assure-oscal",
    version,
    about = "OSCAL profile resolution and validation (development binary)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Resolve a profile into a catalog.
    Resolve(ResolveArgs),
    /// Validate a document against the OSCAL 1.2.1 schemas and for referential integrity.
    Validate(ValidateArgs),
}

fn main() {
    let cli = Cli::parse();
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    let code = match &cli.command {
        Command::Resolve(a) => run_resolve(a, &mut out, &mut err),
        Command::Validate(a) => run_validate(a, &mut out, &mut err),
    };
    std::process::exit(code);
}
