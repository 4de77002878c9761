//! Every built-in check loads, type-checks, and classifies its own pass and fail fixtures correctly.

use assure_checks::pack::{self, REFERENCE_CHECKS};
use assure_checks::{Engine, InputFormat, Manifest, Overrides};
use serde_json::{Value, json};

const FIXTURE_NOW: i64 = 1_790_000_000;

/// The fixtures as an input in the format that carries the check's resource type, with the label
/// (`pass-0`, `fail-1`, `na-0`) of each resource in input order.
fn fixture_input(m: &Manifest) -> (Vec<u8>, InputFormat, Vec<String>) {
    let ex = m.examples.as_ref().expect("checked by the caller");
    let mut items = Vec::new();
    let mut labels = Vec::new();
    for (prefix, list) in [
        ("pass", &ex.pass),
        ("fail", &ex.fail),
        ("na", &ex.not_applicable),
    ] {
        for (i, r) in list.iter().enumerate() {
            items.push(r.clone());
            labels.push(format!("{prefix}-{i}"));
        }
    }
    let record_format = match m.resource.ty.as_str() {
        "key_record" => Some(InputFormat::KeyRecords),
        "access_log_record" => Some(InputFormat::AccessLog),
        _ => None,
    };
    if let Some(format) = record_format {
        let lines: Vec<String> = items.iter().map(Value::to_string).collect();
        return (lines.join("\n").into_bytes(), format, labels);
    }
    let resources: Vec<Value> = items
        .into_iter()
        .zip(&labels)
        .map(|(mut r, label)| {
            if let Some(o) = r.as_object_mut() {
                o.insert("id".into(), json!(label));
                o.insert("type".into(), json!(m.resource.ty));
            }
            r
        })
        .collect();
    let now = ex.now.clone().unwrap_or(json!(FIXTURE_NOW));
    let snap = json!({"snapshot_time": now, "resources": resources});
    (
        serde_json::to_vec(&snap).unwrap_or_default(),
        InputFormat::Native,
        labels,
    )
}

/// The fixtures' parameter overrides, passed the way `--set` passes them (as text).
fn fixture_params(src: &assure_checks::Source) -> Overrides {
    let Ok(m) = assure_checks::manifest::parse(src) else {
        return Overrides::new();
    };
    let mut out = Overrides::new();
    for (k, v) in m.examples.iter().flat_map(|e| e.params.iter()) {
        let text = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.entry(m.id.clone()).or_default().insert(k.clone(), text);
    }
    out
}

#[test]
fn the_pack_has_at_least_sixty_checks_including_the_seven_reference_checks() {
    let sources = pack::builtin();
    let engine = Engine::load(&sources, &Overrides::new()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        engine.checks().len() >= 60,
        "only {} checks",
        engine.checks().len()
    );
    for (id, _) in REFERENCE_CHECKS {
        assert!(
            engine.checks().iter().any(|c| c.manifest.id == id),
            "missing {id}"
        );
    }
}

#[test]
fn every_builtin_check_passes_its_pass_fixtures_and_fails_its_fail_fixtures() {
    let mut problems = Vec::new();
    for src in pack::builtin() {
        let overrides = fixture_params(&src);
        let engine = match Engine::load(std::slice::from_ref(&src), &overrides) {
            Ok(e) => e,
            Err(e) => {
                problems.push(format!("{e}"));
                continue;
            }
        };
        let m = &engine.checks()[0].manifest;
        assert!(
            src.file.ends_with(&format!("/{}.yaml", m.id)),
            "{}: file name must be the check id",
            src.file
        );
        let Some(ex) = &m.examples else {
            problems.push(format!("{}: no examples", src.file));
            continue;
        };
        if ex.pass.is_empty() || ex.fail.is_empty() {
            problems.push(format!("{}: needs a pass and a fail example", src.file));
            continue;
        }
        assert!(!m.controls.is_empty(), "{}: maps to no control", src.file);
        let (bytes, format, labels) = fixture_input(m);
        let want_failed: Vec<String> = labels
            .iter()
            .filter(|l| l.starts_with("fail"))
            .cloned()
            .collect();
        let applicable = ex.pass.len() + ex.fail.len();
        let now = Some(FIXTURE_NOW * 1_000_000_000).filter(|_| format != InputFormat::Native);
        let store = match engine.read(&bytes, format, now) {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("{}: fixture unreadable: {e}", src.file));
                continue;
            }
        };
        let r = &engine.evaluate(&store)[0];
        let label = |i: u32| labels.get(i as usize).cloned().unwrap_or_default();
        let got: Vec<String> = r.failed.iter().map(|&i| label(i)).collect();
        let errors: Vec<String> = r
            .errors
            .iter()
            .map(|(i, e)| format!("{}: {e}", label(*i)))
            .collect();
        if got != want_failed || !errors.is_empty() || r.applicable != applicable as u64 {
            problems.push(format!(
                "{}: failed {got:?} (want {want_failed:?}), applicable {} (want {applicable}), errors {errors:?}",
                src.file, r.applicable
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
