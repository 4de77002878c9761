//! Reading OSCAL files: JSON or XML, root detection, version check, and typed parsing with errors that carry a
//! JSON pointer.

use std::cmp::Ordering;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{OscalError, pointer_token};
use crate::model::{Catalog, MappingCollection, Profile};

/// The OSCAL version Assure declares on every document it emits (compliance-trestle accepts 1.2.0-1.2.1).
pub const EXPORT_OSCAL_VERSION: &str = "1.2.1";

/// Root keys of the OSCAL models.
pub const ROOTS: [&str; 8] = [
    "catalog",
    "profile",
    "component-definition",
    "system-security-plan",
    "assessment-plan",
    "assessment-results",
    "plan-of-action-and-milestones",
    "mapping-collection",
];

/// An OSCAL version such as `1.0.4`, `v1.2.2` or `1.0.0-rc2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OscalVersion {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    /// Pre-release tag (`rc2`); a pre-release sorts before its release.
    pub pre: Option<String>,
}

impl OscalVersion {
    /// Parses a version, accepting a `v` prefix; `None` when it is not `MAJOR.MINOR[.PATCH][-PRE]`.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        let (core, pre) = match t.split_once('-') {
            Some((c, p)) => (c, Some(p.to_owned())),
            None => (t, None),
        };
        let mut nums = core.split('.').map(|n| n.parse::<u64>());
        let major = nums.next()?.ok()?;
        let minor = nums.next()?.ok()?;
        let patch = match nums.next() {
            Some(n) => n.ok()?,
            None => 0,
        };
        if nums.next().is_some() {
            return None;
        }
        Some(Self {
            major,
            minor,
            patch,
            pre,
        })
    }
}

impl std::fmt::Display for OscalVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(pre) = &self.pre {
            write!(f, "-{pre}")?;
        }
        Ok(())
    }
}

impl PartialOrd for OscalVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OscalVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
    }
}

/// Reads a file as OSCAL JSON; XML files (by extension or content) are converted to the JSON shape.
pub fn read_value(path: &Path) -> Result<Value, OscalError> {
    parse_text(&path.display().to_string(), &read_text(path)?)
}

/// Reads a file as text, naming it in the error.
pub fn read_text(path: &Path) -> Result<String, OscalError> {
    std::fs::read_to_string(path).map_err(|source| OscalError::Io {
        document: path.display().to_string(),
        source,
    })
}

/// Fast path for large JSON catalogs: deserialises the model straight from the text. `None` when the text is
/// not a well-formed JSON catalog; the caller then takes the slower path that explains what is wrong.
pub fn parse_catalog_text(
    document: &str,
    text: &str,
) -> Option<Result<(Catalog, OscalVersion), OscalError>> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('<') {
        return None;
    }
    let doc: crate::model::CatalogDocument = serde_json::from_str(text).ok()?;
    let version = match OscalVersion::parse(&doc.catalog.metadata.oscal_version) {
        Some(v) if v.major == 1 => v,
        _ => {
            return Some(Err(OscalError::UnsupportedVersion {
                document: document.to_owned(),
                version: doc.catalog.metadata.oscal_version.clone(),
            }));
        }
    };
    Some(Ok((doc.catalog, version)))
}

/// Parses OSCAL text, JSON or XML (told apart by the first non-blank character).
pub fn parse_text(document: &str, text: &str) -> Result<Value, OscalError> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('<') {
        return crate::xml::xml_to_json(document, text);
    }
    serde_json::from_str(text).map_err(|e| OscalError::Syntax {
        document: document.to_owned(),
        pointer: String::new(),
        format: "JSON",
        message: format!("{e}"),
    })
}

/// The root key of an OSCAL document and the object under it.
pub fn root_of<'a>(document: &str, value: &'a Value) -> Result<(&'a str, &'a Value), OscalError> {
    let found = || match value {
        Value::Object(m) => format!(
            "root keys [{}]",
            m.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
        ),
        other => format!("a JSON {}", json_type(other)),
    };
    let Value::Object(map) = value else {
        return Err(OscalError::WrongRoot {
            document: document.to_owned(),
            expected: "document".into(),
            found: found(),
        });
    };
    map.iter()
        .find(|(k, _)| ROOTS.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v))
        .ok_or_else(|| OscalError::WrongRoot {
            document: document.to_owned(),
            expected: ROOTS.join("|"),
            found: found(),
        })
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Checks `metadata.oscal-version` (1.0.x to 1.2.x, with or without `v`) and returns it.
pub fn check_version(document: &str, root: &str, body: &Value) -> Result<OscalVersion, OscalError> {
    let raw = body
        .get("metadata")
        .and_then(|m| m.get("oscal-version"))
        .and_then(Value::as_str)
        .ok_or_else(|| OscalError::Invalid {
            document: document.to_owned(),
            pointer: format!("/{root}/metadata"),
            message: "missing required field `oscal-version`".into(),
        })?;
    match OscalVersion::parse(raw) {
        Some(v) if v.major == 1 => Ok(v),
        _ => Err(OscalError::UnsupportedVersion {
            document: document.to_owned(),
            version: raw.to_owned(),
        }),
    }
}

/// Deserialises `value` (found at `prefix` in `document`) into a model, reporting the JSON pointer of the
/// first field that does not fit.
pub fn from_value<T: DeserializeOwned>(
    document: &str,
    prefix: &str,
    value: &Value,
) -> Result<T, OscalError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut pointer = prefix.to_owned();
        for seg in e.path().iter() {
            use serde_path_to_error::Segment;
            match seg {
                Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
                Segment::Map { key } => {
                    pointer.push('/');
                    pointer.push_str(&pointer_token(key));
                }
                Segment::Enum { variant } => {
                    pointer.push('/');
                    pointer.push_str(&pointer_token(variant));
                }
                Segment::Unknown => {}
            }
        }
        OscalError::Invalid {
            document: document.to_owned(),
            pointer,
            message: e.inner().to_string(),
        }
    })
}

/// Parses a document that must have the given root, checking its version.
fn parse_root<T: DeserializeOwned>(
    document: &str,
    value: &Value,
    expected: &str,
) -> Result<T, OscalError> {
    let (root, body) = root_of(document, value)?;
    if root != expected {
        return Err(OscalError::WrongRoot {
            document: document.to_owned(),
            expected: expected.to_owned(),
            found: format!("`{root}`"),
        });
    }
    check_version(document, root, body)?;
    from_value(document, &format!("/{root}"), body)
}

/// Parses a catalog document (`{ "catalog": ... }`).
pub fn parse_catalog(document: &str, value: &Value) -> Result<Catalog, OscalError> {
    parse_root(document, value, "catalog")
}

/// Parses a profile document (`{ "profile": ... }`).
pub fn parse_profile(document: &str, value: &Value) -> Result<Profile, OscalError> {
    parse_root(document, value, "profile")
}

/// Parses a mapping-collection document (`{ "mapping-collection": ... }`).
pub fn parse_mapping_collection(
    document: &str,
    value: &Value,
) -> Result<MappingCollection, OscalError> {
    parse_root(document, value, "mapping-collection")
}

/// Reads and parses a catalog file (JSON or XML).
pub fn load_catalog(path: &Path) -> Result<Catalog, OscalError> {
    parse_catalog(&path.display().to_string(), &read_value(path)?)
}

/// Reads and parses a profile file (JSON or XML).
pub fn load_profile(path: &Path) -> Result<Profile, OscalError> {
    parse_profile(&path.display().to_string(), &read_value(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_with_v_prefix_and_prerelease_parse_and_order() {
        let v = OscalVersion::parse("v1.2.2").expect("parses");
        assert_eq!(v.to_string(), "1.2.2");
        let rc = OscalVersion::parse("1.0.0-rc2").expect("parses");
        let rel = OscalVersion::parse("1.0.0").expect("parses");
        assert!(rc < rel);
        assert!(OscalVersion::parse("one").is_none());
    }

    #[test]
    fn wrong_root_is_named() {
        let v: Value = serde_json::json!({"catalogue": {}});
        let err = parse_catalog("x.json", &v).expect_err("wrong root");
        assert!(err.to_string().contains("x.json"), "{err}");
    }

    #[test]
    fn missing_required_field_has_a_pointer() {
        let v: Value = serde_json::json!({"catalog": {"uuid": "u", "metadata": {"title": "t", "oscal-version": "1.1.2"},
            "groups": [{"id": "g", "title": "G", "controls": [{"id": "c1"}]}]}});
        let err = parse_catalog("x.json", &v).expect_err("title missing");
        assert_eq!(err.pointer(), "/catalog/groups/0/controls/0", "{err}");
    }

    #[test]
    fn major_version_two_is_refused() {
        let v: Value = serde_json::json!({"catalog": {"uuid": "u", "metadata": {"title": "t", "oscal-version": "2.0.0"}}});
        assert!(matches!(
            parse_catalog("x.json", &v),
            Err(OscalError::UnsupportedVersion { .. })
        ));
    }
}

/// Makes `document` declare the OSCAL version Assure exports ([`EXPORT_OSCAL_VERSION`]), whatever its root, so
/// that compliance-trestle and other 1.2 tools load it. Returns false when the value is not an OSCAL document.
pub fn declare_export_version(document: &mut Value) -> bool {
    let Value::Object(map) = document else {
        return false;
    };
    let Some((_, body)) = map.iter_mut().find(|(k, _)| ROOTS.contains(&k.as_str())) else {
        return false;
    };
    match body.get_mut("metadata").and_then(Value::as_object_mut) {
        Some(md) => {
            md.insert(
                "oscal-version".into(),
                Value::String(EXPORT_OSCAL_VERSION.into()),
            );
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod export_tests {
    use super::*;

    #[test]
    fn exports_declare_1_2_1() {
        let mut v = serde_json::json!({"profile": {"uuid": "u", "metadata": {"title": "t", "oscal-version": "1.0.4"}}});
        assert!(declare_export_version(&mut v));
        assert_eq!(v["profile"]["metadata"]["oscal-version"], "1.2.1");
    }
}
