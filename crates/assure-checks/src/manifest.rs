//! Check manifests: the YAML or JSON a check is written in, strictly parsed (unknown fields rejected) and
//! located, so that any error points at file, line and column.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Deserialize;

use crate::cel::{Param, Ty, V};
use crate::timefmt;

/// How bad a failure of the check is: the domain's one severity scale.
pub use assure_domain::severity::Severity;

/// Which resources a check applies to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    /// Resource type (`iam_user`, `aws_s3_bucket`, `key_record`, ...).
    #[serde(rename = "type")]
    pub ty: String,
    /// Optional CEL filter; resources for which it is false are not applicable.
    #[serde(default)]
    pub filter: Option<String>,
}

/// A declared parameter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamDecl {
    /// `bool`, `int`, `double`, `string`, `duration`, `timestamp`, `list(string)`, `list(int)`.
    #[serde(rename = "type")]
    pub ty: String,
    /// The value used unless an operator overrides it.
    pub default: serde_json::Value,
    /// What the parameter means.
    #[serde(default)]
    pub description: Option<String>,
}

/// Fixture resources that must pass and fail; tested for every built-in check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Snapshot time for the fixtures (epoch seconds or RFC 3339); default 1790000000.
    #[serde(default)]
    pub now: Option<serde_json::Value>,
    /// Resources (without `id`/`type`, which are filled in) for which the assertion holds.
    pub pass: Vec<serde_json::Value>,
    /// Resources for which it does not.
    pub fail: Vec<serde_json::Value>,
    /// Resources the selector excludes (optional).
    #[serde(default)]
    pub not_applicable: Vec<serde_json::Value>,
    /// Parameter overrides for the fixtures (name -> value), as an operator would `--set` them.
    #[serde(default)]
    pub params: BTreeMap<String, serde_json::Value>,
}

/// One check as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Stable identifier (`net.sg.no-ssh-from-world`).
    pub id: String,
    /// One line for humans.
    pub title: String,
    /// Longer explanation (optional).
    #[serde(default)]
    pub description: Option<String>,
    /// Which resources it applies to.
    pub resource: Selector,
    /// CEL assertion over `r`, `now` and `params`; true means pass.
    #[serde(rename = "assert")]
    pub assertion: String,
    /// How bad a failure is.
    pub severity: Severity,
    /// Baseline control IDs (`IAM-01`).
    pub controls: Vec<String>,
    /// What to do about a failure.
    pub remediation: String,
    /// Tunable values, bound as `params.NAME`.
    #[serde(default)]
    pub parameters: BTreeMap<String, ParamDecl>,
    /// Peer rules it corresponds to (`checkov:CKV_AWS_19`), for the README and reports.
    #[serde(default)]
    pub references: Vec<String>,
    /// Fixtures.
    #[serde(default)]
    pub examples: Option<Examples>,
}

/// A manifest with the file it came from.
#[derive(Debug, Clone)]
pub struct Source {
    /// File name shown in errors.
    pub file: String,
    /// The file's text.
    pub text: String,
}

/// A manifest or parameter that could not be loaded, with its location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl LoadError {
    /// An error for a whole file.
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        LoadError {
            file: file.to_string(),
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

/// Parses a manifest (JSON when the file name ends in `.json`, else YAML).
pub fn parse(src: &Source) -> Result<Manifest, LoadError> {
    let at = |line: usize, column: usize, message: String| LoadError {
        file: src.file.clone(),
        line: Some(line),
        column: Some(column),
        message,
    };
    if src.file.ends_with(".json") {
        serde_json::from_str(&src.text).map_err(|e| {
            let m = e.to_string();
            let m = m
                .rfind(" at line ")
                .map_or(m.clone(), |i| m[..i].to_string());
            at(e.line(), e.column(), m)
        })
    } else {
        serde_yaml_ng::from_str(&src.text).map_err(|e| {
            let (l, c) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            let m = e.to_string();
            let m = m
                .rfind(" at line ")
                .map_or(m.clone(), |i| m[..i].to_string());
            at(l, c, m)
        })
    }
}

/// Maps a byte offset inside the expression stored under `key` to a file line and column (1-based).
/// Exact for plain, single-line quoted and `|` block scalars; approximate when escapes precede the offset.
pub fn locate(text: &str, key: &str, expr: &str, offset: usize) -> (usize, usize) {
    let yaml_key = format!("{key}:");
    let json_key = format!("\"{key}\"");
    let lines: Vec<&str> = text.lines().collect();
    let Some((ln, line)) = lines.iter().enumerate().find(|(_, l)| {
        let t = l.trim_start().trim_start_matches("- ");
        t.starts_with(&yaml_key) || t.starts_with(&json_key)
    }) else {
        return (1, 1);
    };
    let key_pos = line.find(&json_key).map_or_else(
        || line.find(&yaml_key).map_or(0, |p| p + yaml_key.len()),
        |p| {
            let after = p + json_key.len();
            after + line[after..].find(':').map_or(0, |c| c + 1)
        },
    );
    let rest = &line[key_pos..];
    let value_col = key_pos + (rest.len() - rest.trim_start().len());
    let first = rest.trim_start().chars().next();
    let prefix = &expr[..offset.min(expr.len())];
    let expr_line = prefix.matches('\n').count();
    let col_in_line = prefix.len() - prefix.rfind('\n').map_or(0, |i| i + 1);
    match first {
        Some('|' | '>') => {
            let target = ln + 1 + expr_line;
            let indent = lines
                .get(ln + 1)
                .map_or(0, |l| l.len() - l.trim_start().len());
            (target + 1, indent + col_in_line + 1)
        }
        Some('"' | '\'') => (ln + 1 + expr_line, value_col + 1 + col_in_line + 1),
        _ => (ln + 1 + expr_line, value_col + col_in_line + 1),
    }
}

/// Converts a JSON value (a default, or an override parsed as JSON) to a parameter value of type `ty`.
pub fn param_value(ty: &Ty, v: &serde_json::Value) -> Result<V, String> {
    use serde_json::Value as J;
    let wrong = || format!("expected a {ty}, found {v}");
    Ok(match (ty, v) {
        (Ty::Bool, J::Bool(b)) => V::Bool(*b),
        (Ty::Int, J::Number(n)) => V::Int(n.as_i64().ok_or_else(wrong)?),
        (Ty::Double, J::Number(n)) => V::Double(n.as_f64().ok_or_else(wrong)?),
        (Ty::String, J::String(s)) => V::Text(Arc::from(s.as_str())),
        (Ty::Duration, J::String(s)) => V::Dur(timefmt::parse_duration(s)?),
        (Ty::Duration, J::Number(n)) => {
            let secs = n.as_i64().ok_or_else(wrong)?;
            V::Dur(timefmt::from_epoch_seconds(secs)?)
        }
        (Ty::Timestamp, J::String(s)) => V::Ts(timefmt::parse_timestamp(s)?),
        (Ty::Timestamp, J::Number(n)) => {
            V::Ts(timefmt::from_epoch_seconds(n.as_i64().ok_or_else(wrong)?)?)
        }
        (Ty::List(t), J::Array(items)) => {
            let v: Result<Vec<V>, String> = items.iter().map(|i| param_value(t, i)).collect();
            V::List(v?.into())
        }
        _ => return Err(wrong()),
    })
}

/// Parses an operator's `--set` text for a parameter of type `ty`: JSON when it parses as JSON of the
/// right shape, else the raw text (a string, a duration such as `8760h`, or a comma-separated list).
pub fn param_from_text(ty: &Ty, text: &str) -> Result<V, String> {
    if let Ok(j) = serde_json::from_str::<serde_json::Value>(text)
        && let Ok(v) = param_value(ty, &j)
    {
        return Ok(v);
    }
    match ty {
        Ty::List(inner) => {
            let items: Result<Vec<V>, String> = text
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| param_from_text(inner, s))
                .collect();
            Ok(V::List(items?.into()))
        }
        _ => param_value(ty, &serde_json::Value::String(text.to_string()))
            .map_err(|e| format!("'{text}' is not a valid {ty}: {e}")),
    }
}

/// Declared parameters with their defaults, overridden by `overrides` (name -> text).
pub fn bind_params(
    m: &Manifest,
    overrides: &BTreeMap<String, String>,
) -> Result<Vec<Param>, String> {
    for name in overrides.keys() {
        if !m.parameters.contains_key(name) {
            let known: Vec<&str> = m.parameters.keys().map(String::as_str).collect();
            return Err(format!(
                "check {} has no parameter '{name}' (declared: {})",
                m.id,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ));
        }
    }
    m.parameters
        .iter()
        .map(|(name, d)| {
            let ty = Ty::parse_param(&d.ty).ok_or_else(|| {
                format!("parameter '{name}': unknown type '{}' (bool, int, double, string, duration, timestamp, list(T))", d.ty)
            })?;
            let value = match overrides.get(name) {
                Some(text) => param_from_text(&ty, text)
                    .map_err(|e| format!("--set {}.{name}: {e}", m.id))?,
                None => param_value(&ty, &d.default)
                    .map_err(|e| format!("parameter '{name}' default: {e}"))?,
            };
            Ok(Param {
                name: name.clone(),
                ty,
                value,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_points_into_plain_quoted_and_block_scalars() {
        let text = "id: x\nassert: r.a && b\n";
        assert_eq!(locate(text, "assert", "r.a && b", 7), (2, 16));
        let text = "id: x\nassert: '!r.a || c'\n";
        assert_eq!(locate(text, "assert", "!r.a || c", 8), (2, 18));
        let text = "id: x\nassert: |\n  r.a &&\n    zz\n";
        assert_eq!(locate(text, "assert", "r.a &&\n  zz\n", 9), (4, 5));
        let text = "{\n  \"assert\": \"r.a == 1\"\n}";
        assert_eq!(locate(text, "assert", "r.a == 1", 4), (2, 18));
    }

    #[test]
    fn durations_accept_cel_text_or_seconds() {
        let d = param_from_text(&Ty::Duration, "31536000");
        assert!(matches!(d, Ok(V::Dur(n)) if n == 31_536_000 * timefmt::NANOS));
        let d = param_from_text(&Ty::Duration, "8760h");
        assert!(matches!(d, Ok(V::Dur(n)) if n == 31_536_000 * timefmt::NANOS));
        assert!(param_from_text(&Ty::Duration, "a year").is_err());
        let l = param_from_text(&Ty::List(Box::new(Ty::String)), "eu-west, eu-central");
        assert!(matches!(l, Ok(V::List(v)) if v.len() == 2));
        assert!(param_from_text(&Ty::Int, "x").is_err());
    }
}
