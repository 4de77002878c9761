//! Small OSCAL documents written to a temporary folder, so the rules are tested without reference data.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// Writes `value` as JSON to `dir/name`.
pub fn write(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        serde_json::to_string_pretty(value).unwrap_or_default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    path
}

/// A catalog with family `ac` (ac-1, ac-2 with ac-2.1 and ac-2.2) and family `au` (au-1), params with ODP alias
/// props (as 800-53 5.1 has), and one back-matter resource referenced from ac-1.
pub fn catalog() -> Value {
    json!({"catalog": {
        "uuid": "11111111-1111-4111-8111-111111111111",
        "metadata": {"title": "Test catalog", "last-modified": "2024-01-01T00:00:00Z", "version": "1", "oscal-version": "1.1.2"},
        "groups": [
            {"id": "ac", "class": "family", "title": "Access Control", "controls": [
                {"id": "ac-1", "title": "Policy",
                 "params": [{"id": "ac-1_prm_1", "props": [{"name": "alt-identifier", "value": "ac-01_odp.01"}], "label": "personnel"}],
                 "props": [{"name": "label", "value": "AC-1"}],
                 "links": [{"href": "#22222222-2222-4222-8222-222222222222", "rel": "reference"}],
                 "parts": [{"id": "ac-1_smt", "name": "statement", "prose": "Give {{ insert: param, ac-1_prm_1 }} the policy.",
                            "parts": [{"id": "ac-1_smt.a", "name": "item", "prose": "a"}, {"id": "ac-1_smt.b", "name": "item", "prose": "b"}]},
                           {"id": "ac-1_gdn", "name": "guidance", "prose": "g"}]},
                {"id": "ac-2", "title": "Accounts",
                 "params": [{"id": "ac-2_prm_1", "props": [{"name": "aggregates", "value": "ac-02_odp.01"}], "label": "time period"}],
                 "props": [{"name": "label", "value": "AC-2"}, {"name": "sort-id", "value": "ac-02", "class": "x"}],
                 "parts": [{"id": "ac-2_smt", "name": "statement", "prose": "Review every {{ insert: param, ac-2_prm_1 }}."}],
                 "controls": [
                    {"id": "ac-2.1", "title": "Automated", "props": [{"name": "label", "value": "AC-2(1)"}]},
                    {"id": "ac-2.2", "title": "Temporary", "props": [{"name": "label", "value": "AC-2(2)"}]}]}]},
            {"id": "au", "class": "family", "title": "Audit", "controls": [
                {"id": "au-1", "title": "Audit policy", "props": [{"name": "label", "value": "AU-1"}]}]}],
        "back-matter": {"resources": [
            {"uuid": "22222222-2222-4222-8222-222222222222", "title": "Referenced"},
            {"uuid": "33333333-3333-4333-8333-333333333333", "title": "Unreferenced"}]}
    }})
}

/// A profile importing `catalog.json` with the given import selection and extra top-level fields.
pub fn profile(import: Value, rest: Value) -> Value {
    let mut p = json!({"profile": {
        "uuid": "44444444-4444-4444-8444-444444444444",
        "metadata": {"title": "Test profile", "last-modified": "2024-01-01T00:00:00Z", "version": "1", "oscal-version": "1.0.4"},
        "imports": [import]
    }});
    if let (Some(obj), Value::Object(extra)) = (p["profile"].as_object_mut(), rest) {
        obj.extend(extra);
    }
    p
}
