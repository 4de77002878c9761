//! Helpers shared by the conformance tests: where NIST's reference data is, and the comparison NIST's outputs
//! are held to.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

/// `shared/data`: `$ASSURE_SHARED_DIR/data`, else `../shared/data` beside the repository. `None` (and a message
/// saying what to fetch) when it is absent, so that the test skips.
pub fn shared_data() -> Option<PathBuf> {
    let shared = match std::env::var_os("ASSURE_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    let data = shared.join("data");
    if data.is_dir() {
        Some(data)
    } else {
        eprintln!(
            "SKIPPED: reference data not found at {}. Set ASSURE_SHARED_DIR to a folder whose data/ holds \
             nist-800-53-rev5-v5.0.1/ (usnistgov/oscal-content nist.gov/SP800-53/rev5/json at a849dbca), \
             oscal-profile-resolution-tests/ (usnistgov/OSCAL src/specifications/profile-resolution), \
             fedramp-rev5/ (GSA/fedramp-automation dist/content/rev5) and oscal-schemas-1.2.1/ (NIST OSCAL \
             v1.2.1 JSON schemas); see shared/data/SOURCES.md",
            data.display()
        );
        None
    }
}

/// Drops what a resolution may legitimately change: the document uuid, `last-modified`, the link back to the
/// profile (`source-profile`, formerly `resolution-source`) and the `resolution-tool` prop.
pub fn normalise(mut doc: Value) -> Value {
    if let Some(cat) = doc.get_mut("catalog").and_then(Value::as_object_mut) {
        cat.remove("uuid");
        if let Some(md) = cat.get_mut("metadata").and_then(Value::as_object_mut) {
            md.remove("last-modified");
            for (key, drop) in [
                ("links", &["source-profile", "resolution-source"][..]),
                ("props", &["resolution-tool"][..]),
            ] {
                let field = if key == "links" { "rel" } else { "name" };
                if let Some(Value::Array(items)) = md.get_mut(key) {
                    items.retain(|i| {
                        !i.get(field)
                            .and_then(Value::as_str)
                            .is_some_and(|v| drop.contains(&v))
                    });
                    if items.is_empty() {
                        md.remove(key);
                    }
                }
            }
        }
    }
    doc
}

/// A short description of the first difference between two JSON values, or `None` when equal.
pub fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => {
                        if let Some(d) = first_difference(va, vb, &format!("{path}/{k}")) {
                            return Some(d);
                        }
                    }
                    (va, vb) => return Some(format!("{path}/{k}: {va:?} vs {vb:?}")),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                if let Some(d) = first_difference(va, vb, &format!("{path}/{i}")) {
                    return Some(d);
                }
            }
            (x.len() != y.len()).then(|| format!("{path}: {} items vs {}", x.len(), y.len()))
        }
        _ => (a != b).then(|| format!("{path}: {a} vs {b}")),
    }
}
