//! The command surface the `assure` CLI mounts: `resolve PROFILE -o OUT.json` and `validate FILE`. Each command is
//! a `clap::Args` struct and a function returning the process exit code, writing to the given streams so the CLI
//! (and tests) choose where output goes. Imports need the store, so they are library functions
//! ([`crate::import`], [`crate::tabular`], [`crate::mapping`]), not commands here.

use std::io::Write;
use std::path::PathBuf;

use crate::error::OscalError;
use crate::resolve::{ResolveOptions, resolve_profile_file};
use crate::validate::{SCHEMA_DIR_ENV, SchemaSet, Severity, validate_file};

/// Success.
pub const EXIT_OK: i32 = 0;
/// The document is invalid or cannot be resolved.
pub const EXIT_INVALID: i32 = 1;
/// Bad usage or unreadable input.
pub const EXIT_USAGE: i32 = 2;

/// `resolve PROFILE -o OUT.json`: resolve an OSCAL profile into a catalog.
#[derive(Debug, Clone, clap::Args)]
pub struct ResolveArgs {
    /// The profile (JSON or XML).
    pub profile: PathBuf,
    /// Where to write the resolved catalog (JSON); standard output when absent.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Read an import href from a local file instead: `--map HREF=PATH` (repeatable). Remote hrefs are never
    /// fetched.
    #[arg(long = "map", value_name = "HREF=PATH", value_parser = parse_mapping)]
    pub map: Vec<(String, PathBuf)>,
    /// Declare OSCAL 1.2.1 on the output (what compliance-trestle loads) instead of the newest version of the
    /// inputs, which the specification prescribes.
    #[arg(long)]
    pub declare_1_2_1: bool,
}

fn parse_mapping(s: &str) -> Result<(String, PathBuf), String> {
    s.split_once('=')
        .map(|(h, p)| (h.to_owned(), PathBuf::from(p)))
        .ok_or_else(|| format!("expected HREF=PATH, got `{s}`"))
}

fn exit_code(e: &OscalError) -> i32 {
    match e {
        OscalError::Io { .. } => EXIT_USAGE,
        _ => EXIT_INVALID,
    }
}

/// Runs `resolve`; warnings go to `err`, the catalog to `-o` or `out`.
pub fn run_resolve(args: &ResolveArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let options = ResolveOptions {
        href_map: args.map.iter().cloned().collect(),
        ..ResolveOptions::default()
    };
    let resolution = match resolve_profile_file(&args.profile, &options) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return exit_code(&e);
        }
    };
    for w in &resolution.warnings {
        let _ = writeln!(err, "warning: {w}");
    }
    let mut resolution = resolution;
    if args.declare_1_2_1 {
        resolution.catalog.metadata.oscal_version = crate::EXPORT_OSCAL_VERSION.to_owned();
    }
    let written = match &args.output {
        Some(path) => std::fs::File::create(path)
            .map(std::io::BufWriter::new)
            .map_err(|e| e.to_string())
            .and_then(|mut f| {
                resolution.write_json(&mut f).map_err(|e| e.to_string())?;
                writeln!(f)
                    .and_then(|()| f.flush())
                    .map_err(|e| e.to_string())
            })
            .map_err(|e| format!("{}: {e}", path.display())),
        None => resolution
            .write_json(&mut *out)
            .map_err(|e| e.to_string())
            .and_then(|()| writeln!(out).map_err(|e| e.to_string())),
    };
    match written {
        Ok(()) => EXIT_OK,
        Err(e) => {
            let _ = writeln!(err, "error: cannot write: {e}");
            EXIT_USAGE
        }
    }
}

/// `validate FILE`: OSCAL 1.2.1 JSON schema and referential integrity.
#[derive(Debug, Clone, clap::Args)]
pub struct ValidateArgs {
    /// The document (JSON or XML; any OSCAL model).
    pub file: PathBuf,
    /// Folder with NIST's `oscal_*_schema.json` (1.2.1). Without it only referential integrity is checked.
    #[arg(long, env = SCHEMA_DIR_ENV)]
    pub schemas: Option<PathBuf>,
    /// A leveraged (provider) SSP with `export` blocks: check that this leveraging SSP's `inherited` and
    /// `satisfied` items cite what it exports, and list the exported responsibilities left unsatisfied.
    #[arg(long, value_name = "SSP")]
    pub leveraged: Option<PathBuf>,
    /// Output format of the report.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
}

/// How `validate` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// One line per finding and a summary.
    Text,
    /// The report as one JSON document.
    Json,
}

/// Runs `validate`: exit 0 valid, 1 invalid, 2 usage or input error.
pub fn run_validate(args: &ValidateArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let schemas = match args.schemas.as_deref().map(SchemaSet::from_dir).transpose() {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return EXIT_USAGE;
        }
    };
    let report = match validate_file(&args.file, schemas.as_ref()) {
        Ok(mut r) => {
            if let Some(leveraged) = &args.leveraged {
                let pair = crate::document::read_value(leveraged).and_then(|provider| {
                    let plan = crate::document::read_value(&args.file)?;
                    Ok(crate::leveraging::check_leveraging(&provider, &plan))
                });
                match pair {
                    Ok((findings, citations)) => {
                        r.findings.extend(findings);
                        r.leveraging = Some(citations);
                    }
                    Err(e) => {
                        let _ = writeln!(err, "error: {e}");
                        return EXIT_USAGE;
                    }
                }
            }
            r
        }
        Err(
            e @ (OscalError::Io { .. } | OscalError::Syntax { .. } | OscalError::WrongRoot { .. }),
        ) => {
            let _ = writeln!(err, "error: {e}");
            return if matches!(e, OscalError::Io { .. }) {
                EXIT_USAGE
            } else {
                EXIT_INVALID
            };
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return exit_code(&e);
        }
    };
    if args.format == ReportFormat::Json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        for f in &report.findings {
            let level = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let _ = writeln!(
                out,
                "{level}: {} at {}: {}",
                report.document, f.pointer, f.message
            );
        }
        if let Some(c) = &report.leveraging {
            let _ = writeln!(
                out,
                "leveraging: {} inherited, {} satisfied; {} of {} exported responsibilities unsatisfied",
                c.inherited,
                c.satisfied,
                c.responsibilities_unsatisfied,
                c.responsibilities_exported
            );
        }
        if !report.schema_checked {
            let _ = writeln!(
                err,
                "note: JSON schema not checked (give --schemas DIR or {SCHEMA_DIR_ENV}); referential integrity only"
            );
        }
        let errors = report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        let _ = writeln!(
            out,
            "{}: {} ({} error(s), {} warning(s))",
            report.document,
            if report.is_valid() {
                "valid"
            } else {
                "invalid"
            },
            errors,
            report.findings.len() - errors
        );
    }
    if report.is_valid() {
        EXIT_OK
    } else {
        EXIT_INVALID
    }
}
