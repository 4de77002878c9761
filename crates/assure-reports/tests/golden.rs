//! The full matrices of two demo tenants, kept as expected files and reproduced exactly: `northbank` (an
//! IaaS-heavy bank) and `brightpath` (a SaaS-only start-up). After an intended change, regenerate with
//! `ASSURE_UPDATE_GOLDEN=1 cargo test -p assure-reports --test golden` and review the diff.

use std::path::PathBuf;

use assure_domain::matrix::ResponsibilityModel;
use assure_reports::tables::matrix_table;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn check_golden(name: &str, actual: &str) {
    let path = golden_dir().join(name);
    if std::env::var_os("ASSURE_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with ASSURE_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "(length differs)".to_owned(),
                |n| format!("line {}", n + 1),
            );
        panic!(
            "{} differs from the computed matrix at {line}; if intended, regenerate with ASSURE_UPDATE_GOLDEN=1 and review the diff",
            path.display()
        );
    }
}

fn golden_matrix(tenant: &str) {
    let programme = assure_content::demo().expect("demo loads");
    let model = ResponsibilityModel::new(&programme).expect("model");
    let t = programme
        .tenants
        .iter()
        .find(|t| t.id.as_str() == tenant)
        .expect("demo tenant");
    let matrix = model.matrix(t).expect("matrix");
    let mut json = serde_json::to_string_pretty(&matrix).expect("json");
    json.push('\n');
    check_golden(&format!("{tenant}.matrix.json"), &json);
    let csv = assure_reports::to_csv(&matrix_table(&matrix)).expect("csv");
    check_golden(
        &format!("{tenant}.matrix.csv"),
        &String::from_utf8(csv).expect("utf-8"),
    );
}

#[test]
fn northbank_iaas_heavy_bank_matrix_is_reproduced_exactly() {
    golden_matrix("northbank");
}

#[test]
fn brightpath_saas_only_startup_matrix_is_reproduced_exactly() {
    golden_matrix("brightpath");
}
