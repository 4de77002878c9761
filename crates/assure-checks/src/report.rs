//! Renders check results as a terminal table, JSON, SARIF 2.1.0 or an OSCAL 1.2.1 assessment-results
//! document.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::engine::{CheckResult, CompiledCheck};
use crate::manifest::Severity;
use crate::store::Store;
use crate::timefmt;

/// Output formats of `assure check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per check, for people.
    Table,
    /// Every check with its failing resources.
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// An OSCAL 1.2.1 assessment-results document.
    OscalAr,
}

/// What was checked, for the report headers.
#[derive(Debug, Clone)]
pub struct Run<'a> {
    /// Input path as given.
    pub input: &'a str,
    /// Input format name.
    pub format: &'a str,
    pub checks: &'a [CompiledCheck],
    pub results: &'a [CheckResult],
    pub store: &'a Store,
}

/// At most this many resources are named per check in the table.
const TABLE_EXAMPLES: usize = 3;

fn status(r: &CheckResult) -> &'static str {
    if !r.errors.is_empty() {
        "ERROR"
    } else if !r.failed.is_empty() {
        "FAIL"
    } else if r.applicable == 0 {
        "N/A"
    } else {
        "PASS"
    }
}

/// Renders `run` in `format`.
pub fn render(run: &Run<'_>, format: Format) -> String {
    match format {
        Format::Table => table(run),
        Format::Json => pretty(&json_report(run)),
        Format::Sarif => pretty(&sarif(run)),
        Format::OscalAr => pretty(&oscal_ar(run)),
    }
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// A plain-text table, one row per check.
pub fn table(run: &Run<'_>) -> String {
    let mut out = String::new();
    let w = run
        .checks
        .iter()
        .map(|c| c.manifest.id.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let _ = writeln!(
        out,
        "{:<6} {:<w$} {:<13} {:>10} {:>9}  controls",
        "status", "check", "severity", "applicable", "failed"
    );
    for (c, r) in run.checks.iter().zip(run.results) {
        let _ = writeln!(
            out,
            "{:<6} {:<w$} {:<13} {:>10} {:>9}  {}",
            status(r),
            c.manifest.id,
            c.manifest.severity.name(),
            r.applicable,
            r.failed.len() + r.errors.len(),
            c.manifest.controls.join(",")
        );
        for &res in r.failed.iter().take(TABLE_EXAMPLES) {
            let _ = writeln!(out, "         - {}", run.store.id(res));
        }
        if r.failed.len() > TABLE_EXAMPLES {
            let _ = writeln!(
                out,
                "         ... and {} more",
                r.failed.len() - TABLE_EXAMPLES
            );
        }
        for (res, e) in r.errors.iter().take(TABLE_EXAMPLES) {
            let _ = writeln!(out, "         ! {}: {e}", run.store.id(*res));
        }
    }
    let failing = run.results.iter().filter(|r| !r.passed()).count();
    let _ = writeln!(
        out,
        "\n{} checks, {} passed, {} failed; {} resources in {} ({})",
        run.checks.len(),
        run.checks.len() - failing,
        failing,
        run.store.len(),
        run.input,
        run.format
    );
    out
}

/// Machine-readable results with every failing resource.
pub fn json_report(run: &Run<'_>) -> Value {
    let checks: Vec<Value> = run
        .checks
        .iter()
        .zip(run.results)
        .map(|(c, r)| {
            let params: serde_json::Map<String, Value> = c
                .params
                .iter()
                .map(|p| (p.name.clone(), Value::String(p.value.display(run.store))))
                .collect();
            json!({
                "id": c.manifest.id,
                "title": c.manifest.title,
                "status": status(r).to_ascii_lowercase(),
                "severity": c.manifest.severity,
                "controls": c.manifest.controls,
                "resource_type": c.manifest.resource.ty,
                "parameters": params,
                "applicable": r.applicable,
                "failed": r.failed.len(),
                "errors": r.errors.len(),
                "failing_resources": r.failed.iter().map(|&i| run.store.id(i)).collect::<Vec<_>>(),
                "evaluation_errors": r.errors.iter().map(|(i, e)| json!({"resource": run.store.id(*i), "message": e})).collect::<Vec<_>>(),
                "remediation": c.manifest.remediation,
            })
        })
        .collect();
    let failing = run.results.iter().filter(|r| !r.passed()).count();
    json!({
        "input": run.input,
        "input_format": run.format,
        "snapshot_time": timefmt::format_timestamp(run.store.now()),
        "resources": run.store.len(),
        "summary": {"checks": run.checks.len(), "passed": run.checks.len() - failing, "failed": failing},
        "checks": checks,
    })
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Informational => "note",
    }
}

/// SARIF 2.1.0: one rule per check, one result per failing resource (a logical location named by the
/// resource id, in the input file).
pub fn sarif(run: &Run<'_>) -> Value {
    let rules: Vec<Value> = run
        .checks
        .iter()
        .map(|c| {
            let m = &c.manifest;
            json!({
                "id": m.id,
                "name": m.id.replace(['.', '-'], "_"),
                "shortDescription": {"text": m.title},
                "fullDescription": {"text": m.description.clone().unwrap_or_else(|| m.title.clone())},
                "help": {"text": m.remediation},
                "defaultConfiguration": {"level": sarif_level(m.severity)},
                "properties": {"severity": m.severity, "controls": m.controls, "resourceType": m.resource.ty, "tags": m.controls},
            })
        })
        .collect();
    let mut results = Vec::new();
    for (i, (c, r)) in run.checks.iter().zip(run.results).enumerate() {
        let level = sarif_level(c.manifest.severity);
        let location = |res: u32| {
            json!({
                "physicalLocation": {"artifactLocation": {"uri": uri(run.input)}},
                "logicalLocations": [{"fullyQualifiedName": run.store.id(res), "kind": "resource"}],
            })
        };
        for &res in &r.failed {
            results.push(json!({
                "ruleId": c.manifest.id,
                "ruleIndex": i,
                "kind": "fail",
                "level": level,
                "message": {"text": format!("{}: {} ({})", run.store.id(res), c.manifest.title, c.manifest.remediation)},
                "locations": [location(res)],
            }));
        }
        for (res, e) in &r.errors {
            results.push(json!({
                "ruleId": c.manifest.id,
                "ruleIndex": i,
                "kind": "fail",
                "level": "error",
                "message": {"text": format!("{}: could not evaluate {}: {e}", run.store.id(*res), c.manifest.id)},
                "locations": [location(*res)],
                "properties": {"evaluationError": true},
            }));
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "assure-checks",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [{"executionSuccessful": true}],
            "results": results,
        }],
    })
}

fn uri(path: &str) -> String {
    path.chars()
        .map(|c| match c {
            ' ' => "%20".to_string(),
            '\\' => "/".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// At most this many resources are named in one OSCAL observation.
const OSCAL_EXAMPLES: usize = 50;

/// An OSCAL 1.2.1 assessment-results document: one observation per check and one finding per
/// (check, control) pair, satisfied or not.
pub fn oscal_ar(run: &Run<'_>) -> Value {
    let now = timefmt::format_timestamp(
        time::OffsetDateTime::now_utc().unix_timestamp() * timefmt::NANOS,
    );
    let collected = timefmt::format_timestamp(run.store.now());
    let mut observations = Vec::new();
    let mut findings = Vec::new();
    for (c, r) in run.checks.iter().zip(run.results) {
        let obs = uuid::Uuid::new_v4().to_string();
        let mut desc = format!(
            "Automated test {} ({}) over {}: {} applicable, {} failed, {} could not be evaluated.",
            c.manifest.id,
            c.manifest.title,
            run.input,
            r.applicable,
            r.failed.len(),
            r.errors.len()
        );
        if !r.failed.is_empty() {
            let names: Vec<&str> = r
                .failed
                .iter()
                .take(OSCAL_EXAMPLES)
                .map(|&i| run.store.id(i))
                .collect();
            let _ = write!(desc, " Failing: {}", names.join(", "));
            if r.failed.len() > OSCAL_EXAMPLES {
                let _ = write!(desc, " and {} more", r.failed.len() - OSCAL_EXAMPLES);
            }
            desc.push('.');
        }
        observations.push(json!({
            "uuid": obs,
            "title": c.manifest.title,
            "description": desc,
            "props": [
                {"name": "assessment-check-id", "ns": "https://assure.invalid/ns/oscal", "value": c.manifest.id},
                {"name": "severity", "ns": "https://assure.invalid/ns/oscal", "value": c.manifest.severity.name()},
            ],
            "methods": ["TEST"],
            "types": ["control-objective"],
            "collected": collected,
        }));
        let state = if r.passed() {
            "satisfied"
        } else {
            "not-satisfied"
        };
        for control in &c.manifest.controls {
            findings.push(json!({
                "uuid": uuid::Uuid::new_v4().to_string(),
                "title": format!("{control}: {}", c.manifest.title),
                "description": format!("{} {}", c.manifest.id, if r.passed() { "passed" } else { "failed" }),
                "target": {"type": "objective-id", "target-id": control, "status": {"state": state}},
                "related-observations": [{"observation-uuid": obs}],
            }));
        }
    }
    let mut result = json!({
        "uuid": uuid::Uuid::new_v4().to_string(),
        "title": format!("Automated control tests over {}", run.input),
        "description": format!("{} checks over {} resources ({}).", run.checks.len(), run.store.len(), run.format),
        "start": collected,
        "reviewed-controls": {"control-selections": [{"include-all": {}}]},
    });
    if !observations.is_empty() {
        result["observations"] = Value::Array(observations);
    }
    if !findings.is_empty() {
        result["findings"] = Value::Array(findings);
    }
    json!({
        "assessment-results": {
            "uuid": uuid::Uuid::new_v4().to_string(),
            "metadata": {
                "title": "Assure automated control tests",
                "last-modified": now,
                "version": env!("CARGO_PKG_VERSION"),
                "oscal-version": "1.2.1",
            },
            "import-ap": {"href": "#assessment-plan"},
            "results": [result],
        }
    })
}
