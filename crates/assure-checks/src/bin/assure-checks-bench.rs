//! Times the engine on one input: load and compile, read the file, parse into the store, evaluate.
//! Prints the reference checks' counts in `pycheck.py`'s format so the bench script can compare them.

use std::process::ExitCode;
use std::time::Instant;

use assure_checks::command::parse_overrides;
use assure_checks::{Engine, InputFormat, pack};
use clap::Parser;

/// Benchmark the control-test engine on one input file.
#[derive(Debug, Parser)]
struct Args {
    /// The input file.
    input: String,
    /// Run every built-in check instead of the 7 reference checks.
    #[arg(long)]
    all: bool,
    /// Input format.
    #[arg(long, value_enum, default_value = "native")]
    input_format: InputFormat,
    /// Parameter overrides, CHECK.PARAM=VALUE.
    #[arg(long = "set")]
    set: Vec<String>,
    /// Run only these built-in checks (repeatable; overrides --all).
    #[arg(long = "check")]
    only: Vec<String>,
    /// Print the failing resources of these checks, one `CHECK<TAB>RESOURCE` a line.
    #[arg(long = "list-failing")]
    list_failing: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let overrides = parse_overrides(&args.set).map_err(anyhow::Error::msg)?;
    let sources = if args.all || !args.only.is_empty() {
        pack::builtin()
    } else {
        pack::reference()
    };
    let mut engine = Engine::load(&sources, &overrides)?;
    if !args.only.is_empty() {
        engine.retain(&args.only);
    }
    let t_load = t0.elapsed().as_secs_f64();
    let t = Instant::now();
    let bytes = std::fs::read(&args.input)?;
    let t_read = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let store = engine.read(&bytes, args.input_format, None)?;
    let t_parse = t.elapsed().as_secs_f64();
    drop(bytes);
    let t = Instant::now();
    let results = engine.evaluate(&store);
    let t_eval = t.elapsed().as_secs_f64();
    let failing = results.iter().filter(|r| !r.passed()).count();
    let errors: usize = results.iter().map(|r| r.errors.len()).sum();
    println!(
        "  assure: {} checks, {} resources; load {t_load:.4} s, read {t_read:.3} s, parse {t_parse:.3} s, eval {t_eval:.4} s, total {:.3} s; {failing} checks failing, {errors} evaluation errors",
        engine.checks().len(),
        store.len(),
        t0.elapsed().as_secs_f64()
    );
    println!(
        "  assure results: {}",
        pack::reference_counts(engine.checks(), &results)
    );
    for (c, r) in engine.checks().iter().zip(&results) {
        if args.list_failing.contains(&c.manifest.id) {
            for &i in &r.failed {
                println!("{}\t{}", c.manifest.id, store.id(i));
            }
        }
    }
    Ok(())
}
