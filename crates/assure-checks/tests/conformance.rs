//! Counts equal `pycheck.py` (the reference loop of the peer benchmark) on generated snapshots, on a
//! perturbed copy, over NDJSON, and under a changed maximum key age. Needs the shared bench folder and
//! python3 with orjson; skips with a message otherwise.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use assure_checks::command::parse_overrides;
use assure_checks::pack;
use assure_checks::{Engine, InputFormat, Overrides};

fn bench_dir() -> Option<PathBuf> {
    let found = find_bench_dir();
    assert!(
        found.is_some() || std::env::var_os("CI").is_none(),
        "CI must have ../shared/bench and python3 with orjson (scripts/test.sh installs it)"
    );
    found
}

fn find_bench_dir() -> Option<PathBuf> {
    let Some(shared) = common::shared_dir() else {
        eprintln!(
            "skipped: the shared reference folder (ASSURE_SHARED_DIR or ../shared) is absent"
        );
        return None;
    };
    let bench = shared.join("bench");
    if !bench.join("gen.py").is_file() || !bench.join("pycheck.py").is_file() {
        eprintln!("skipped: {} lacks gen.py or pycheck.py", bench.display());
        return None;
    }
    let orjson = Command::new("python3")
        .args(["-c", "import orjson"])
        .status();
    if !orjson.is_ok_and(|s| s.success()) {
        eprintln!("skipped: python3 with the orjson module is needed to run pycheck.py");
        return None;
    }
    Some(bench)
}

fn python(args: &[&str]) -> String {
    let out = Command::new("python3")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("python3 {args:?}: {e}"));
    assert!(
        out.status.success(),
        "python3 {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pycheck(bench: &Path, file: &Path, max_age: Option<i64>) -> String {
    let mut args = vec![
        bench.join("pycheck.py").display().to_string(),
        file.display().to_string(),
    ];
    if let Some(a) = max_age {
        args.push(a.to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = python(&args);
    out.lines()
        .find_map(|l| l.trim().strip_prefix("python results: "))
        .unwrap_or_else(|| panic!("no results in pycheck output: {out}"))
        .to_string()
}

fn assure(file: &Path, format: InputFormat, overrides: &Overrides, now: Option<i64>) -> String {
    assure_with(&pack::reference(), file, format, overrides, now)
}

fn assure_with(
    sources: &[assure_checks::Source],
    file: &Path,
    format: InputFormat,
    overrides: &Overrides,
    now: Option<i64>,
) -> String {
    let engine = Engine::load(sources, overrides).unwrap_or_else(|e| panic!("{e}"));
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{e}"));
    let store = engine
        .read(&bytes, format, now)
        .unwrap_or_else(|e| panic!("{e}"));
    let results = engine.evaluate(&store);
    assert!(
        results.iter().all(|r| r.errors.is_empty()),
        "evaluation errors"
    );
    pack::reference_counts(engine.checks(), &results)
}

fn generate(bench: &Path, dir: &Path, n: usize) -> PathBuf {
    let file = dir.join(format!("snap{n}.json"));
    python(&[
        &bench.join("gen.py").display().to_string(),
        &n.to_string(),
        &file.display().to_string(),
    ]);
    file
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn counts_equal_pycheck_at_10k_and_100k() {
    let Some(bench) = bench_dir() else { return };
    let d = tmp();
    for n in [10_000, 100_000] {
        let file = generate(&bench, d.path(), n);
        let want = pycheck(&bench, &file, None);
        assert_eq!(
            assure(&file, InputFormat::Native, &Overrides::new(), None),
            want,
            "{n} resources"
        );
        if n == 100_000 {
            // The figures CHECKS.md records for 100k.
            assert_eq!(
                want,
                "mfa_privileged=4141/850 bucket_encrypted=20000/3000 no_ssh_world=20000/3828 kms_rotated_365d=20000/12773 access_key_age_365d=20000/8159 bucket_logging=20000/4902 vm_segmentation=20000/1316"
            );
        }
        // The NDJSON copy carries no snapshot_time; give the generator's.
        let ndjson = file.with_extension("ndjson");
        let now = Some(1_790_000_000 * 1_000_000_000);
        assert_eq!(
            assure(&ndjson, InputFormat::Ndjson, &Overrides::new(), now),
            want,
            "{n} NDJSON"
        );
    }
}

#[test]
fn counts_equal_pycheck_on_a_perturbed_copy() {
    let Some(bench) = bench_dir() else { return };
    let d = tmp();
    let file = generate(&bench, d.path(), 10_000);
    let perturbed = d.path().join("perturbed.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/perturb-snapshot.py");
    python(&[
        &script.display().to_string(),
        &file.display().to_string(),
        &perturbed.display().to_string(),
    ]);
    let want = pycheck(&bench, &perturbed, None);
    assert_ne!(
        want,
        pycheck(&bench, &file, None),
        "the perturbation changed nothing"
    );
    assert_eq!(
        assure(&perturbed, InputFormat::Native, &Overrides::new(), None),
        want
    );
}

#[test]
fn setting_the_maximum_key_age_changes_counts_as_pycheck_computes() {
    let Some(bench) = bench_dir() else { return };
    let d = tmp();
    let file = generate(&bench, d.path(), 10_000);
    for secs in [8_640_000_i64, 31_536_000, 50_000_000] {
        let want = pycheck(&bench, &file, Some(secs));
        let set = vec![
            format!("cry.kms-rotated.max_age={secs}"),
            format!("iam.access-key-age.max_age={secs}s"),
        ];
        let overrides = parse_overrides(&set).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            assure(&file, InputFormat::Native, &overrides, None),
            want,
            "max age {secs}"
        );
    }
}

#[test]
fn changing_the_maximum_key_age_in_the_manifests_changes_counts_as_pycheck_computes() {
    let Some(bench) = bench_dir() else { return };
    let d = tmp();
    let file = generate(&bench, d.path(), 10_000);
    // 2400h = 8,640,000 s (100 days).
    let sources: Vec<assure_checks::Source> = pack::reference()
        .into_iter()
        .map(|mut s| {
            s.text = s.text.replace("default: 8760h", "default: 2400h");
            s
        })
        .collect();
    let want = pycheck(&bench, &file, Some(8_640_000));
    let got = assure_with(
        &sources,
        &file,
        InputFormat::Native,
        &Overrides::new(),
        None,
    );
    assert_eq!(got, want);
}
