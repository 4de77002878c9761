//! Validation: the OSCAL 1.2.1 JSON schemas (read at run time from a folder the operator configures; NIST's files
//! are not embedded) and referential integrity beyond the schema (every `#id` / `#uuid` link, parameter insert,
//! party and role reference resolves).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use serde_json::Value;

use crate::document::{read_value, root_of};
use crate::error::{OscalError, pointer_token};
use crate::refs::{fragment_refs, param_inserts};

/// Environment variable naming the folder with NIST's `oscal_*_schema.json` files.
pub const SCHEMA_DIR_ENV: &str = "ASSURE_OSCAL_SCHEMAS";

/// How serious a finding is: errors make a document invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// JSON pointer of the offending value.
    pub pointer: String,
    pub message: String,
}

/// The result of validating one document.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub document: String,
    pub root: String,
    /// Whether the JSON schema was checked (false when no schema folder was given).
    pub schema_checked: bool,
    pub findings: Vec<Finding>,
    /// What a leveraging SSP cites of its leveraged SSP, when checked against one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leveraging: Option<crate::leveraging::Citations>,
}

impl Report {
    /// True when no finding is an error.
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The first error as an [`OscalError`] naming the document and the pointer.
    pub fn first_error(&self) -> Option<OscalError> {
        self.findings
            .iter()
            .find(|f| f.severity == Severity::Error)
            .map(|f| OscalError::Invalid {
                document: self.document.clone(),
                pointer: f.pointer.clone(),
                message: f.message.clone(),
            })
    }
}

/// NIST's OSCAL JSON schemas in a folder, compiled on first use per model.
#[derive(Debug)]
pub struct SchemaSet {
    dir: PathBuf,
    compiled: Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>,
}

/// The schema file of each root.
fn schema_file(root: &str) -> Option<&'static str> {
    Some(match root {
        "catalog" => "oscal_catalog_schema.json",
        "profile" => "oscal_profile_schema.json",
        "component-definition" => "oscal_component_schema.json",
        "system-security-plan" => "oscal_ssp_schema.json",
        "assessment-plan" => "oscal_assessment-plan_schema.json",
        "assessment-results" => "oscal_assessment-results_schema.json",
        "plan-of-action-and-milestones" => "oscal_poam_schema.json",
        "mapping-collection" => "oscal_mapping_schema.json",
        _ => return None,
    })
}

impl SchemaSet {
    /// Uses the schemas in `dir` (it must hold at least `oscal_catalog_schema.json`).
    pub fn from_dir(dir: &Path) -> Result<Self, OscalError> {
        let probe = dir.join("oscal_catalog_schema.json");
        if !probe.is_file() {
            return Err(OscalError::Io {
                document: probe.display().to_string(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!(
                        "OSCAL 1.2.1 JSON schemas not found; download the oscal_*_schema.json files of NIST's \
                         OSCAL v1.2.1 release into a folder and pass it with --schemas or {SCHEMA_DIR_ENV}"
                    ),
                ),
            });
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            compiled: Mutex::new(HashMap::new()),
        })
    }

    /// The folder named by `ASSURE_OSCAL_SCHEMAS`, if set.
    pub fn from_env() -> Option<Result<Self, OscalError>> {
        std::env::var_os(SCHEMA_DIR_ENV).map(|d| Self::from_dir(Path::new(&d)))
    }

    fn validator(&self, root: &str) -> Result<std::sync::Arc<jsonschema::Validator>, OscalError> {
        let mut cache = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = cache.get(root) {
            return Ok(v.clone());
        }
        let file = schema_file(root).ok_or_else(|| OscalError::WrongRoot {
            document: root.to_owned(),
            expected: "an OSCAL model".into(),
            found: root.to_owned(),
        })?;
        let path = self.dir.join(file);
        let schema = read_value(&path)?;
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(&schema)
            .map_err(|e| OscalError::Invalid {
                document: path.display().to_string(),
                pointer: e.instance_path().to_string(),
                message: format!("schema does not compile: {e}"),
            })?;
        let v = std::sync::Arc::new(validator);
        cache.insert(root.to_owned(), v.clone());
        Ok(v)
    }

    /// Schema findings for a document (all errors).
    pub fn check(&self, root: &str, value: &Value) -> Result<Vec<Finding>, OscalError> {
        let validator = self.validator(root)?;
        Ok(validator
            .iter_errors(value)
            .map(|e| Finding {
                severity: Severity::Error,
                pointer: e.instance_path().to_string(),
                message: format!("schema: {}", shorten(&e.to_string(), 300)),
            })
            .collect())
    }
}

/// Cuts long schema messages (which quote the whole offending instance) to `max` characters.
fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

/// Validates a file (JSON or XML): schema when `schemas` is given, and referential integrity.
pub fn validate_file(path: &Path, schemas: Option<&SchemaSet>) -> Result<Report, OscalError> {
    let value = read_value(path)?;
    validate_value(&path.display().to_string(), &value, schemas)
}

/// Validates a parsed document.
pub fn validate_value(
    document: &str,
    value: &Value,
    schemas: Option<&SchemaSet>,
) -> Result<Report, OscalError> {
    let (root, _) = root_of(document, value)?;
    let mut findings = match schemas {
        Some(s) => s.check(root, value)?,
        None => Vec::new(),
    };
    findings.extend(check_references(value));
    Ok(Report {
        document: document.to_owned(),
        root: root.to_owned(),
        schema_checked: schemas.is_some(),
        findings,
        leveraging: None,
    })
}

/// What a document defines and what it refers to.
#[derive(Default)]
struct Scan {
    ids: HashSet<String>,
    uuids: HashSet<String>,
    param_ids: HashSet<String>,
    control_ids: Vec<(String, String)>,
    role_ids: HashSet<String>,
    party_uuids: HashSet<String>,
    /// (pointer, target, kind)
    refs: Vec<(String, String, RefKind)>,
}

#[derive(Clone, Copy, PartialEq)]
enum RefKind {
    Fragment,
    Param,
    Role,
    Party,
}

fn scan(value: &Value, pointer: &mut String, parent_key: &str, s: &mut Scan) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(id)) = map.get("id") {
                s.ids.insert(id.clone());
                match parent_key {
                    "params" => {
                        s.param_ids.insert(id.clone());
                    }
                    "controls" => s.control_ids.push((id.clone(), pointer.clone())),
                    "roles" => {
                        s.role_ids.insert(id.clone());
                    }
                    _ => {}
                }
            }
            if let Some(Value::String(uuid)) = map.get("uuid") {
                s.uuids.insert(uuid.clone());
                if parent_key == "parties" {
                    s.party_uuids.insert(uuid.clone());
                }
            }
            for (k, v) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&pointer_token(k));
                match (k.as_str(), v) {
                    ("href", Value::String(h)) => {
                        if let Some(target) = h.strip_prefix('#') {
                            s.refs
                                .push((pointer.clone(), target.to_owned(), RefKind::Fragment));
                        }
                    }
                    ("role-id", Value::String(r)) if parent_key == "responsible-parties" => {
                        s.refs.push((pointer.clone(), r.clone(), RefKind::Role));
                    }
                    ("party-uuids", Value::Array(a)) if parent_key == "responsible-parties" => {
                        for (i, p) in a.iter().enumerate() {
                            if let Value::String(p) = p {
                                s.refs
                                    .push((format!("{pointer}/{i}"), p.clone(), RefKind::Party));
                            }
                        }
                    }
                    (
                        "prose" | "description" | "remarks" | "guidance" | "statement" | "usage",
                        Value::String(t),
                    ) => {
                        let mut frags = HashSet::new();
                        for target in markdown_links(t) {
                            frags.insert(target);
                        }
                        for f in frags {
                            s.refs.push((pointer.clone(), f, RefKind::Fragment));
                        }
                        let mut params = HashSet::new();
                        param_inserts(t, &mut params);
                        for p in params {
                            s.refs.push((pointer.clone(), p, RefKind::Param));
                        }
                    }
                    _ => scan(v, pointer, k, s),
                }
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                scan(v, pointer, parent_key, s);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// `#targets` of Markdown links (`[text](#target)`) in prose.
fn markdown_links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("](#") {
        rest = &rest[i + 2..];
        let end = rest.find(')').unwrap_or(rest.len());
        let mut set = HashSet::new();
        fragment_refs(&rest[..end], &mut set);
        out.extend(set);
        rest = &rest[end..];
    }
    out
}

fn looks_like_uuid(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

/// Referential integrity findings for any OSCAL document.
pub fn check_references(value: &Value) -> Vec<Finding> {
    let mut s = Scan::default();
    scan(value, &mut String::new(), "", &mut s);
    // A resolved baseline keeps links to controls it did not select: warn, do not fail.
    let resolved = value
        .pointer("/catalog/metadata/links")
        .and_then(Value::as_array)
        .is_some_and(|links| {
            links.iter().any(|l| {
                matches!(
                    l.get("rel").and_then(Value::as_str),
                    Some("source-profile" | "resolution-source")
                )
            })
        });
    let mut findings = Vec::new();
    for (pointer, target, kind) in &s.refs {
        let (ok, what) = match kind {
            RefKind::Fragment => (
                s.ids.contains(target) || s.uuids.contains(target),
                "link target",
            ),
            RefKind::Param => (s.param_ids.contains(target), "parameter"),
            RefKind::Role => (s.role_ids.contains(target), "role"),
            RefKind::Party => (s.party_uuids.contains(target), "party"),
        };
        if ok {
            continue;
        }
        let severity = if resolved && *kind == RefKind::Fragment && !looks_like_uuid(target) {
            Severity::Warning
        } else {
            Severity::Error
        };
        findings.push(Finding {
            severity,
            pointer: pointer.clone(),
            message: format!(
                "dangling reference: {what} `{target}` is not defined in this document"
            ),
        });
    }
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (id, pointer) in &s.control_ids {
        if let Some(first) = seen.insert(id, pointer) {
            findings.push(Finding {
                severity: Severity::Warning,
                pointer: pointer.clone(),
                message: format!("control id `{id}` also at {first}"),
            });
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dangling_uuid_link_and_param_insert_are_errors() {
        let doc = serde_json::json!({"catalog": {"uuid": "u", "metadata": {"title": "t"},
            "controls": [{"id": "c1", "title": "C",
                "links": [{"href": "#0b2b2d4f-93a6-4b3c-9a1c-000000000000", "rel": "reference"}],
                "parts": [{"name": "statement", "prose": "Use {{ insert: param, p9 }} and see [x](#c1)."}]}]}});
        let f = check_references(&doc);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].pointer, "/catalog/controls/0/links/0/href");
        assert!(f.iter().all(|x| x.severity == Severity::Error));
        assert!(f[1].message.contains("p9"));
    }

    #[test]
    fn responsible_party_must_name_known_roles_and_parties() {
        let doc = serde_json::json!({"catalog": {"uuid": "u", "metadata": {"title": "t",
            "roles": [{"id": "creator", "title": "C"}],
            "parties": [{"uuid": "p1", "type": "organization", "name": "N"}],
            "responsible-parties": [{"role-id": "owner", "party-uuids": ["p1", "p2"]}]}}});
        let msgs: Vec<String> = check_references(&doc)
            .into_iter()
            .map(|f| f.message)
            .collect();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
    }
}
