//! NIST's own resolved 800-53 rev5 (5.0.1) LOW and MODERATE catalogs are the oracle: resolving the profiles
//! against the catalog beside them must give the same document, control for control, ignoring only the uuid,
//! last-modified and the link back to the profile.

mod common;

use assure_oscal::{ResolveOptions, resolve_profile_file};
use serde_json::Value;

fn control_ids(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    fn walk(list: &Value, group: &str, out: &mut Vec<(String, String)>) {
        for c in list.as_array().into_iter().flatten() {
            out.push((
                group.to_owned(),
                c["id"].as_str().unwrap_or_default().to_owned(),
            ));
            walk(&c["controls"], group, out);
        }
    }
    for g in doc["catalog"]["groups"].as_array().into_iter().flatten() {
        walk(
            &g["controls"],
            g["id"].as_str().unwrap_or_default(),
            &mut out,
        );
    }
    out
}

fn reproduces(level: &str, controls: usize) -> Result<(), Box<dyn std::error::Error>> {
    let Some(data) = common::shared_data() else {
        return Ok(());
    };
    let dir = data.join("nist-800-53-rev5-v5.0.1");
    let profile = dir.join(format!("NIST_SP-800-53_rev5_{level}-baseline_profile.json"));
    let expected_path = dir.join(format!(
        "NIST_SP-800-53_rev5_{level}-baseline-resolved-profile_catalog.json"
    ));
    let resolution = resolve_profile_file(&profile, &ResolveOptions::default())?;
    assert!(resolution.warnings.is_empty(), "{:?}", resolution.warnings);
    let ours = common::normalise(resolution.to_document());
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(expected_path)?)?;
    let expected = common::normalise(expected);

    assert_eq!(control_ids(&expected).len(), controls);
    assert_eq!(
        control_ids(&ours),
        control_ids(&expected),
        "same controls in the same groups and order"
    );
    if let Some(diff) = common::first_difference(&ours, &expected, "") {
        panic!("{level}: resolved catalog differs from NIST's at {diff}");
    }
    Ok(())
}

#[test]
fn low_baseline_reproduces_nists_resolved_catalog() -> Result<(), Box<dyn std::error::Error>> {
    reproduces("LOW", 149)
}

#[test]
fn moderate_baseline_reproduces_nists_resolved_catalog() -> Result<(), Box<dyn std::error::Error>> {
    reproduces("MODERATE", 287)
}
