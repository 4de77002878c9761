//! Every built-in check loads, type-checks, and classifies its own pass and fail fixtures correctly.

use assure_checks::pack::{self, REFERENCE_CHECKS};
use assure_checks::{Engine, InputFormat, Manifest, Overrides};
use serde_json::{Value, json};

const FIXTURE_NOW: i64 = 1_790_000_000;

fn fixture_snapshot(m: &Manifest) -> (Value, Vec<String>, usize) {
    let ex = m.examples.as_ref().expect("checked by the caller");
    let mut resources = Vec::new();
    let mut failing = Vec::new();
    let mut add = |prefix: &str, items: &[Value], failing: &mut Vec<String>| {
        for (i, r) in items.iter().enumerate() {
            let mut r = r.clone();
            let id = format!("{prefix}-{i}");
            if let Some(o) = r.as_object_mut() {
                o.insert("id".into(), json!(id));
                o.insert("type".into(), json!(m.resource.ty));
            }
            if prefix == "fail" {
                failing.push(id);
            }
            resources.push(r);
        }
    };
    add("pass", &ex.pass, &mut failing);
    add("fail", &ex.fail, &mut failing);
    add("na", &ex.not_applicable, &mut failing);
    let now = ex.now.clone().unwrap_or(json!(FIXTURE_NOW));
    let applicable = ex.pass.len() + ex.fail.len();
    (
        json!({"snapshot_time": now, "resources": resources}),
        failing,
        applicable,
    )
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
        let engine = match Engine::load(std::slice::from_ref(&src), &Overrides::new()) {
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
        let (snap, want_failed, applicable) = fixture_snapshot(m);
        let bytes = serde_json::to_vec(&snap).unwrap_or_default();
        let store = match engine.read(&bytes, InputFormat::Native, None) {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("{}: fixture unreadable: {e}", src.file));
                continue;
            }
        };
        let r = &engine.evaluate(&store)[0];
        let got: Vec<String> = r.failed.iter().map(|&i| store.id(i).to_string()).collect();
        let errors: Vec<String> = r
            .errors
            .iter()
            .map(|(i, e)| format!("{}: {e}", store.id(*i)))
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
