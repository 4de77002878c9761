//! `assure check`: the command-line surface, kept in the library so the `assure` binary only wires it in.
//!
//! Exit codes: 0 when every check passed, 1 when any check failed (or could not be evaluated for some
//! resource), 2 for a usage, manifest or input error.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use crate::engine::{Engine, Overrides};
use crate::input::{InputError, InputFormat};
use crate::manifest::LoadError;
use crate::report::{self, Format, Run};
use crate::{pack, timefmt};

/// Arguments of `assure check`.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// The input to test: a snapshot, a Terraform plan, access-log or key records.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// The input's format (guessed from the name and content when omitted).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormat>,
    /// A directory of check manifests to run instead of the built-in pack.
    #[arg(long, value_name = "DIR")]
    pub checks: Option<PathBuf>,
    /// Run only these checks (repeatable).
    #[arg(long = "check", value_name = "ID")]
    pub only: Vec<String>,
    /// Override a check parameter (repeatable), e.g. `--set cry.kms-rotated.max_age=2160h`.
    #[arg(long = "set", value_name = "CHECK.PARAM=VALUE")]
    pub set: Vec<String>,
    /// The snapshot time (`now`), epoch seconds or RFC 3339; defaults to the input's own.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Why `assure check` could not produce a report (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("usage: {0}")]
    Usage(String),
    #[error("{0}")]
    Manifest(#[from] LoadError),
    #[error("{path}: {source}")]
    Input {
        path: String,
        #[source]
        source: InputError,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Parses `CHECK.PARAM=VALUE` overrides (check ids contain dots, so the parameter is the last segment).
pub fn parse_overrides(set: &[String]) -> Result<Overrides, String> {
    let mut out = Overrides::new();
    for s in set {
        let bad = || {
            format!("--set '{s}': expected CHECK.PARAM=VALUE, e.g. cry.kms-rotated.max_age=2160h")
        };
        let (key, value) = s.split_once('=').ok_or_else(bad)?;
        let (check, param) = key.rsplit_once('.').ok_or_else(bad)?;
        if check.is_empty() || param.is_empty() {
            return Err(bad());
        }
        out.entry(check.to_string())
            .or_default()
            .insert(param.to_string(), value.to_string());
    }
    Ok(out)
}

fn parse_now(text: &str) -> Result<i64, String> {
    match text.parse::<i64>() {
        Ok(secs) => timefmt::from_epoch_seconds(secs),
        Err(_) => timefmt::parse_timestamp(text),
    }
}

/// Inputs at least this large get a progress indicator (when standard error is a terminal).
const PROGRESS_BYTES: u64 = 32 * 1024 * 1024;

struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(size: u64) -> Self {
        if size < PROGRESS_BYTES || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let pb = indicatif::ProgressBar::new(size);
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} ({elapsed})",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        pb.set_style(style);
        pb.enable_steady_tick(Duration::from_millis(100));
        Progress(Some(pb))
    }
    fn phase(&self, msg: String) {
        if let Some(pb) = &self.0 {
            pb.set_message(msg);
        }
    }
    fn at(&self, bytes: u64) {
        if let Some(pb) = &self.0 {
            pb.set_position(bytes);
        }
    }
    fn done(&self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}

/// Loads the checks named by the arguments.
pub fn load_engine(args: &CheckArgs) -> Result<Engine, CommandError> {
    let overrides = parse_overrides(&args.set).map_err(CommandError::Usage)?;
    let sources = match &args.checks {
        Some(dir) => pack::from_dir(dir)?,
        None => pack::builtin(),
    };
    let mut engine = Engine::load(&sources, &overrides)?;
    if !args.only.is_empty() {
        for id in &args.only {
            if !engine.checks().iter().any(|c| c.manifest.id == *id) {
                return Err(CommandError::Usage(format!("--check {id}: no such check")));
            }
        }
        engine.retain(&args.only);
    }
    Ok(engine)
}

/// Runs the command and returns its exit code (0 all passed, 1 some failed); errors mean exit code 2.
pub fn run(args: &CheckArgs) -> Result<i32, CommandError> {
    let engine = load_engine(args)?;
    let now = args
        .now
        .as_deref()
        .map(parse_now)
        .transpose()
        .map_err(|e| CommandError::Usage(format!("--now: {e}")))?;
    let path = args.input.display().to_string();
    let size = std::fs::metadata(&args.input).map(|m| m.len()).unwrap_or(0);
    let progress = Progress::new(size);
    progress.phase(format!("reading {path}"));
    let bytes = std::fs::read(&args.input).map_err(|source| CommandError::Io {
        path: path.clone(),
        source,
    })?;
    let format = args
        .input_format
        .unwrap_or_else(|| InputFormat::detect(&path, &bytes));
    progress.phase(format!("parsing {path} ({})", format.name()));
    let report = |done: u64| progress.at(done);
    let store = engine
        .read_with_progress(&bytes, format, now, Some(&report))
        .map_err(|source| {
            progress.done();
            CommandError::Input {
                path: path.clone(),
                source,
            }
        })?;
    drop(bytes);
    progress.phase(format!(
        "evaluating {} checks over {} resources",
        engine.checks().len(),
        store.len()
    ));
    let results = engine.evaluate(&store);
    progress.done();
    let run = Run {
        input: &path,
        format: format.name(),
        checks: engine.checks(),
        results: &results,
        store: &store,
    };
    let text = report::render(&run, args.format);
    match &args.output {
        Some(out) => std::fs::write(out, text).map_err(|source| CommandError::Io {
            path: out.display().to_string(),
            source,
        })?,
        None => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error of the checks.
            let _ = stdout.write_all(text.as_bytes());
        }
    }
    Ok(if results.iter().all(|r| r.passed()) {
        0
    } else {
        1
    })
}

/// Runs the command, printing any error to standard error; returns the process exit code.
pub fn run_and_report(args: &CheckArgs) -> i32 {
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}
