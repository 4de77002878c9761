//! compliance-trestle's test profiles (Apache-2.0, oscal-compass/compliance-trestle tests/data/json) run through
//! our resolver, their `trestle://` hrefs mapped to local files: adds inside and after sub-parts land where
//! trestle's tests expect them, and a profile written in trestle's Python spelling (`control_id`) is refused
//! with a pointer.

mod common;

use std::collections::HashMap;

use assure_oscal::{ResolveOptions, resolve_profile_file};
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn options(data: &std::path::Path) -> ResolveOptions {
    let simplified = data.join("trestle-fixtures/simplified_nist_catalog.json");
    let nist = data.join("nist-800-53-rev5-v5.0.1/NIST_SP-800-53_rev5_catalog.json");
    ResolveOptions {
        href_map: HashMap::from([
            (
                "trestle://catalogs/simplified_nist_catalog/catalog.json".to_owned(),
                simplified,
            ),
            ("trestle://catalogs/nist_cat/catalog.json".to_owned(), nist),
        ]),
        ..ResolveOptions::default()
    }
}

fn part_ids(v: &Value) -> Vec<&str> {
    v["parts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["id"].as_str())
        .collect()
}

#[test]
fn adds_after_a_statement_and_at_the_end_of_a_sub_part() -> TestResult {
    let Some(data) = common::shared_data() else {
        return Ok(());
    };
    let r = resolve_profile_file(
        &data.join("trestle-fixtures/profile_with_alter_subparts.json"),
        &options(&data),
    )?;
    let doc = r.to_document();
    let ac1 = &doc["catalog"]["groups"][0]["controls"][0];
    assert_eq!(ac1["id"], "ac-1");
    let top = part_ids(ac1);
    let smt = top
        .iter()
        .position(|p| *p == "ac-1_smt")
        .ok_or("statement")?;
    assert_eq!(
        &top[smt + 1..smt + 3],
        ["ac-1_implgdn", "ac-1_expected_evidence"]
    );
    let a = ac1["parts"][smt]["parts"]
        .as_array()
        .and_then(|items| items.iter().find(|p| p["id"] == "ac-1_smt.a"))
        .ok_or("ac-1_smt.a")?;
    assert_eq!(
        part_ids(a).last(),
        Some(&"ac-1_smt.a.above_the_line_guidance")
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    Ok(())
}

#[test]
fn a_profile_in_trestles_python_spelling_is_invalid_at_the_first_such_field() -> TestResult {
    let Some(data) = common::shared_data() else {
        return Ok(());
    };
    let path = data.join("trestle-fixtures/profile_missing_position.json");
    let err = resolve_profile_file(&path, &options(&data))
        .err()
        .ok_or("must fail")?;
    assert!(err.document().ends_with("profile_missing_position.json"));
    assert_eq!(err.pointer(), "/profile/modify/alters/0", "{err}");
    assert!(err.to_string().contains("control-id"), "{err}");
    Ok(())
}
