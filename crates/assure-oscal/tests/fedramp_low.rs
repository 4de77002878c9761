//! FedRAMP's rev5 LOW profile (OSCAL 1.0.4) against NIST's 800-53 5.0.1 catalog: it parses, resolves, its alters
//! apply where their targets exist, and its `set-parameters` that use 5.1-style ODP alias ids the 5.0.1 catalog
//! lacks are reported, one by one, never silently dropped.

mod common;

use std::collections::{BTreeSet, HashMap};

use assure_oscal::model::ProfileDocument;
use assure_oscal::{ResolveOptions, Warning, resolve_profile_file};
use serde_json::Value;

fn ids_in(value: &Value, key: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(m) => {
            if let Some(Value::Array(items)) = m.get(key) {
                for i in items {
                    if let Some(id) = i.get("id").and_then(Value::as_str) {
                        out.insert(id.to_owned());
                    }
                }
            }
            m.values().for_each(|v| ids_in(v, key, out));
        }
        Value::Array(a) => a.iter().for_each(|v| ids_in(v, key, out)),
        _ => {}
    }
}

fn index_controls<'a>(value: &'a Value, out: &mut HashMap<String, &'a Value>) {
    match value {
        Value::Object(m) => {
            for c in m
                .get("controls")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(id) = c.get("id").and_then(Value::as_str) {
                    out.insert(id.to_owned(), c);
                }
            }
            m.values().for_each(|v| index_controls(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| index_controls(v, out)),
        _ => {}
    }
}

fn all_ids(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(m) => {
            if let Some(id) = m.get("id").and_then(Value::as_str) {
                out.insert(id.to_owned());
            }
            m.values().for_each(|v| all_ids(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| all_ids(v, out)),
        _ => {}
    }
}

#[test]
fn fedramp_low_resolves_and_reports_unresolved_alias_parameters()
-> Result<(), Box<dyn std::error::Error>> {
    let Some(data) = common::shared_data() else {
        return Ok(());
    };
    let profile_path = data.join("fedramp-rev5/FedRAMP_rev5_LOW-baseline_profile.json");
    let catalog_path = data.join("nist-800-53-rev5-v5.0.1/NIST_SP-800-53_rev5_catalog.json");
    let profile_text = std::fs::read_to_string(&profile_path)?;
    let profile: ProfileDocument = serde_json::from_str(&profile_text)?;
    let modify = profile.profile.modify.clone().unwrap_or_default();
    assert_eq!(modify.set_parameters.len(), 156);

    // The profile's back-matter points at "NIST_SP-800-53_rev5_catalog.json" (5.1.1); we map it to 5.0.1.
    let options = ResolveOptions {
        href_map: HashMap::from([(
            "NIST_SP-800-53_rev5_catalog.json".to_owned(),
            catalog_path.clone(),
        )]),
        ..ResolveOptions::default()
    };
    let resolution = resolve_profile_file(&profile_path, &options)?;

    // Which set-parameters can possibly resolve: ids of the catalog's params.
    let catalog: Value = serde_json::from_str(&std::fs::read_to_string(&catalog_path)?)?;
    let mut param_ids = BTreeSet::new();
    ids_in(&catalog, "params", &mut param_ids);
    let expected_unresolved: BTreeSet<&str> = modify
        .set_parameters
        .iter()
        .map(|s| s.param_id.as_str())
        .filter(|id| !param_ids.contains(*id))
        .collect();
    let unresolved: BTreeSet<&str> = resolution.unresolved_parameters().into_iter().collect();
    assert_eq!(unresolved, expected_unresolved);
    assert_eq!(
        unresolved.len(),
        146,
        "every ODP alias id (ac-01_odp.05, ...) is reported"
    );
    assert!(unresolved.contains("ac-01_odp.05"));

    // Settings that did resolve were applied: at-2_prm_1 carries FedRAMP's constraint.
    let doc = resolution.to_document();
    let text = serde_json::to_string(&doc)?;
    let at2 = modify
        .set_parameters
        .iter()
        .find(|s| s.param_id == "at-2_prm_1")
        .and_then(|s| s.constraints.first())
        .and_then(|c| c.get("description"))
        .and_then(Value::as_str)
        .ok_or("at-2_prm_1 has a constraint")?;
    assert!(text.contains(at2));

    // Alters: every add whose by-id exists inside its control in 5.0.1 landed; the others are reported as
    // inoperative (5.1 renamed the assessment-objective parts FedRAMP annotates).
    let mut controls_by_id: HashMap<String, &Value> = HashMap::new();
    index_controls(&catalog, &mut controls_by_id);
    let mut operative = 0;
    let mut adds = 0;
    let mut fedramp_ns_added = 0;
    for alter in &modify.alters {
        let mut inside = BTreeSet::new();
        if let Some(c) = controls_by_id.get(&alter.control_id) {
            all_ids(c, &mut inside);
        }
        for add in &alter.adds {
            adds += 1;
            if add.by_id.as_ref().is_some_and(|id| inside.contains(id)) {
                operative += 1;
                fedramp_ns_added += serde_json::to_string(add)?
                    .matches("https://fedramp.gov/ns/oscal")
                    .count();
            }
        }
    }
    let inoperative = resolution
        .warnings
        .iter()
        .filter(|w| matches!(w, Warning::InoperativeAdd { .. }))
        .count();
    assert_eq!(operative, 508);
    assert_eq!(operative + inoperative, adds);
    let fedramp_props = text.matches("https://fedramp.gov/ns/oscal").count();
    assert_eq!(
        fedramp_props, fedramp_ns_added,
        "every operative add's content is in the result"
    );

    // The controls are those the profile selects.
    let mut control_ids = BTreeSet::new();
    ids_in(&doc, "controls", &mut control_ids);
    let selected: BTreeSet<String> = profile.profile.imports[0].include_controls[0]
        .with_ids
        .iter()
        .cloned()
        .collect();
    assert_eq!(control_ids, selected);
    Ok(())
}
