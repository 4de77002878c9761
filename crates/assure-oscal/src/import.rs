//! Catalog import: an OSCAL catalog becomes a neutral framework (groups and requirements in document order), with
//! the OSCAL of every group and control kept so the catalog can be exported again unchanged.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::document::{load_catalog, parse_catalog};
use crate::error::OscalError;
use crate::ids::oscal_control_id;
use crate::model::{Catalog, Control, Group, Parameter, Part};

/// Whether a requirement is a heading (a family) or something to comply with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequirementKind {
    /// A heading: not counted in coverage.
    Group,
    /// A control or enhancement.
    Requirement,
}

/// A framework read from a catalog or a spreadsheet, before the application stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedFramework {
    /// Assure's framework id (`nist-800-53-r5`).
    pub id: String,
    pub name: String,
    pub version: String,
    pub publisher: Option<String>,
    /// Groups and requirements in document order; a parent always comes before its children.
    pub requirements: Vec<ImportedRequirement>,
    /// The catalog without its groups and controls (uuid, metadata, loose params, back-matter), for export.
    /// `None` for frameworks imported from spreadsheets.
    pub oscal: Option<Value>,
}

/// One group or requirement of an imported framework.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedRequirement {
    /// The publisher's id; for OSCAL catalogs the OSCAL id (`ac-2.1`).
    pub id: String,
    pub title: String,
    /// The requirement's text (800-53: the statement, parameters shown as `[Assignment: ...]`).
    pub text: Option<String>,
    /// The enclosing group or control.
    pub parent: Option<String>,
    pub kind: RequirementKind,
    /// The publisher's label (`AC-2(1)`), when the catalog gives one.
    pub label: Option<String>,
    /// Withdrawn controls are imported (mappings may point at them) but flagged.
    pub withdrawn: bool,
    pub params: Vec<ImportedParameter>,
    /// The group or control as OSCAL JSON without nested groups and controls, for export.
    pub oscal: Option<Value>,
}

/// A parameter (ODP) of a requirement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedParameter {
    pub id: String,
    pub label: Option<String>,
    /// Alias ids (`ac-01_odp.01`) from `alt-identifier` / `aggregates` props.
    pub aliases: Vec<String>,
    pub choices: Vec<String>,
    pub values: Vec<String>,
}

/// Options of a catalog import.
#[derive(Debug, Clone, Default)]
pub struct CatalogImportOptions {
    /// The framework id to import into; by default derived from the catalog title (`nist-800-53-r5` for 800-53
    /// rev5, else a slug of the title).
    pub framework_id: Option<String>,
}

/// Imports a catalog file (JSON or XML).
pub fn import_catalog_file(
    path: &Path,
    options: &CatalogImportOptions,
) -> Result<ImportedFramework, OscalError> {
    Ok(import_catalog(&load_catalog(path)?, options))
}

/// Imports a parsed catalog document value (`{ "catalog": ... }`).
pub fn import_catalog_value(
    document: &str,
    value: &Value,
    options: &CatalogImportOptions,
) -> Result<ImportedFramework, OscalError> {
    Ok(import_catalog(&parse_catalog(document, value)?, options))
}

/// Converts a catalog into a framework.
pub fn import_catalog(catalog: &Catalog, options: &CatalogImportOptions) -> ImportedFramework {
    let mut requirements = Vec::new();
    let mut anonymous = 0;
    for c in &catalog.controls {
        push_control(c, None, &mut requirements);
    }
    for g in &catalog.groups {
        push_group(g, None, &mut anonymous, &mut requirements);
    }
    let mut skeleton = catalog.clone();
    skeleton.groups.clear();
    skeleton.controls.clear();
    let publisher = catalog
        .metadata
        .parties
        .as_ref()
        .and_then(|p| p.as_array())
        .and_then(|a| {
            a.iter()
                .find(|p| p.get("type").and_then(Value::as_str) == Some("organization"))
        })
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    ImportedFramework {
        id: options
            .framework_id
            .clone()
            .unwrap_or_else(|| framework_id_for(&catalog.metadata.title)),
        name: catalog.metadata.title.clone(),
        version: catalog.metadata.version.clone(),
        publisher,
        requirements,
        oscal: serde_json::to_value(&skeleton).ok(),
    }
}

/// Assure's ids for the NIST catalogs (`nist-800-53-r5`, `nist-csf-2.0`), else a lowercase slug of the title.
pub fn framework_id_for(title: &str) -> String {
    let t = title.to_lowercase();
    if t.contains("800-53")
        && (t.contains("revision 5") || t.contains("rev5") || t.contains("rev. 5"))
    {
        return "nist-800-53-r5".to_owned();
    }
    if t.contains("cybersecurity framework") && t.contains("2.0") {
        return "nist-csf-2.0".to_owned();
    }
    let mut slug = String::new();
    for ch in t.chars() {
        if ch.is_ascii_alphanumeric() || ch == '.' {
            slug.push(ch);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_owned()
}

fn push_group(
    g: &Group,
    parent: Option<&str>,
    anonymous: &mut usize,
    out: &mut Vec<ImportedRequirement>,
) {
    let id = match &g.id {
        Some(id) => id.clone(),
        None => {
            *anonymous += 1;
            format!("group-{anonymous}")
        }
    };
    let mut shell = g.clone();
    shell.controls.clear();
    shell.groups.clear();
    out.push(ImportedRequirement {
        id: id.clone(),
        title: g.title.clone(),
        text: None,
        parent: parent.map(str::to_owned),
        kind: RequirementKind::Group,
        label: g
            .props
            .iter()
            .find(|p| p.name == "label")
            .map(|p| p.value.clone()),
        withdrawn: false,
        params: g.params.iter().map(imported_param).collect(),
        oscal: serde_json::to_value(&shell).ok(),
    });
    for c in &g.controls {
        push_control(c, Some(&id), out);
    }
    for sub in &g.groups {
        push_group(sub, Some(&id), anonymous, out);
    }
}

fn push_control(c: &Control, parent: Option<&str>, out: &mut Vec<ImportedRequirement>) {
    let mut shell = c.clone();
    shell.controls.clear();
    let params: HashMap<&str, &Parameter> = c.params.iter().map(|p| (p.id.as_str(), p)).collect();
    let text = c
        .parts
        .iter()
        .find(|p| p.name == "statement")
        .map(|p| statement_text(p, &params))
        .filter(|t| !t.is_empty());
    out.push(ImportedRequirement {
        id: c.id.clone(),
        title: c.title.clone(),
        text,
        parent: parent.map(str::to_owned),
        kind: RequirementKind::Requirement,
        label: c.label().map(str::to_owned),
        withdrawn: c.is_withdrawn(),
        params: c.params.iter().map(imported_param).collect(),
        oscal: serde_json::to_value(&shell).ok(),
    });
    for k in &c.controls {
        push_control(k, Some(&c.id), out);
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn imported_param(p: &Parameter) -> ImportedParameter {
    ImportedParameter {
        id: p.id.clone(),
        label: p.label.clone(),
        aliases: p.aliases().map(|(a, _)| a.to_owned()).collect(),
        choices: strings(p.select.as_ref().and_then(|s| s.get("choice"))),
        values: strings(p.values.as_ref()),
    }
}

/// The statement with its items (`a.`, `1.`) one per line and parameters written as NIST prints them.
fn statement_text(part: &Part, params: &HashMap<&str, &Parameter>) -> String {
    let mut lines = Vec::new();
    fn walk(
        part: &Part,
        params: &HashMap<&str, &Parameter>,
        depth: usize,
        lines: &mut Vec<String>,
    ) {
        let label = part
            .props
            .iter()
            .find(|p| p.name == "label")
            .map(|p| format!("{} ", p.value))
            .unwrap_or_default();
        if let Some(prose) = &part.prose {
            lines.push(format!(
                "{}{label}{}",
                "  ".repeat(depth),
                render_inserts(prose, params)
            ));
        }
        for p in &part.parts {
            walk(p, params, depth + usize::from(part.prose.is_some()), lines);
        }
    }
    walk(part, params, 0, &mut lines);
    lines.join("\n")
}

/// Replaces `{{ insert: param, id }}` with `[Assignment: label]` or `[Selection: a; b]`.
fn render_inserts(prose: &str, params: &HashMap<&str, &Parameter>) -> String {
    let mut out = String::new();
    let mut rest = prose;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &rest[start + 2..start + end];
        let id = inner
            .split_once(',')
            .map(|(_, id)| id.trim())
            .unwrap_or_default();
        let rendered = match params.get(id) {
            Some(p) => describe_param(p),
            None => format!("[Assignment: {id}]"),
        };
        out.push_str(&rendered);
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

fn describe_param(p: &Parameter) -> String {
    if let Some(select) = &p.select {
        let choices = strings(select.get("choice"));
        let how = match select.get("how-many").and_then(Value::as_str) {
            Some("one-or-more") => "Selection (one or more)",
            _ => "Selection",
        };
        return format!("[{how}: {}]", choices.join("; "));
    }
    format!("[Assignment: {}]", p.label.as_deref().unwrap_or(&p.id))
}

impl ImportedFramework {
    /// Rebuilds the OSCAL catalog this framework was imported from (`None` for spreadsheet imports).
    pub fn to_catalog(&self) -> Option<Catalog> {
        let mut catalog: Catalog = serde_json::from_value(self.oscal.clone()?).ok()?;
        let mut groups: HashMap<String, Group> = HashMap::new();
        let mut controls: HashMap<String, Control> = HashMap::new();
        for r in &self.requirements {
            let oscal = r.oscal.clone()?;
            match r.kind {
                RequirementKind::Group => {
                    groups.insert(r.id.clone(), serde_json::from_value(oscal).ok()?);
                }
                RequirementKind::Requirement => {
                    controls.insert(r.id.clone(), serde_json::from_value(oscal).ok()?);
                }
            }
        }
        // Attach children to parents, deepest first (requirements are in document order, parents first).
        for r in self.requirements.iter().rev() {
            let Some(parent) = &r.parent else { continue };
            match r.kind {
                RequirementKind::Requirement => {
                    let c = controls.remove(&r.id)?;
                    if let Some(p) = controls.get_mut(parent) {
                        p.controls.insert(0, c);
                    } else {
                        groups.get_mut(parent)?.controls.insert(0, c);
                    }
                }
                RequirementKind::Group => {
                    let g = groups.remove(&r.id)?;
                    groups.get_mut(parent)?.groups.insert(0, g);
                }
            }
        }
        for r in self.requirements.iter().filter(|r| r.parent.is_none()) {
            match r.kind {
                RequirementKind::Requirement => catalog.controls.push(controls.remove(&r.id)?),
                RequirementKind::Group => catalog.groups.push(groups.remove(&r.id)?),
            }
        }
        Some(catalog)
    }

    /// Requirement ids of `existing` (e.g. the demo's 800-53 subset; OSCAL or displayed form) that this
    /// framework lacks: importing over them would orphan their mappings.
    pub fn missing_requirements<'a>(
        &self,
        existing: impl IntoIterator<Item = &'a str>,
    ) -> Vec<String> {
        let ids: HashSet<&str> = self.requirements.iter().map(|r| r.id.as_str()).collect();
        existing
            .into_iter()
            .filter(|id| !ids.contains(id) && !ids.contains(oscal_control_id(id).as_str()))
            .map(str::to_owned)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Result<Catalog, OscalError> {
        let v = serde_json::json!({"catalog": {"uuid": "u", "metadata": {"title": "NIST SP 800-53 Revision 5", "last-modified": "2021-01-01T00:00:00Z", "version": "5.0.1", "oscal-version": "1.0.0"},
          "groups": [{"id": "ac", "class": "family", "title": "Access Control", "controls": [
            {"id": "ac-2", "title": "Account Management",
             "params": [{"id": "ac-2_prm_1", "label": "personnel or roles"}, {"id": "ac-2_prm_2", "select": {"how-many": "one-or-more", "choice": ["x", "y"]}}],
             "props": [{"name": "label", "value": "AC-2"}],
             "parts": [{"id": "ac-2_smt", "name": "statement", "parts": [
                {"id": "ac-2_smt.a", "name": "item", "props": [{"name": "label", "value": "a."}], "prose": "Notify {{ insert: param, ac-2_prm_1 }} by {{ insert: param, ac-2_prm_2 }}."}]}],
             "controls": [{"id": "ac-2.1", "title": "Automated", "props": [{"name": "label", "value": "AC-2(1)"}]}]}]}]}});
        parse_catalog("sample.json", &v)
    }

    #[test]
    fn catalog_becomes_groups_and_requirements_with_parents() -> Result<(), OscalError> {
        let fw = import_catalog(&sample()?, &CatalogImportOptions::default());
        assert_eq!(fw.id, "nist-800-53-r5");
        let ids: Vec<_> = fw
            .requirements
            .iter()
            .map(|r| (r.id.as_str(), r.parent.as_deref(), r.kind))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("ac", None, RequirementKind::Group),
                ("ac-2", Some("ac"), RequirementKind::Requirement),
                ("ac-2.1", Some("ac-2"), RequirementKind::Requirement),
            ]
        );
        assert_eq!(
            fw.requirements[1].text.as_deref(),
            Some("a. Notify [Assignment: personnel or roles] by [Selection (one or more): x; y].")
        );
        Ok(())
    }

    #[test]
    fn framework_exports_back_to_the_same_catalog() -> Result<(), OscalError> {
        let catalog = sample()?;
        let fw = import_catalog(&catalog, &CatalogImportOptions::default());
        assert_eq!(fw.to_catalog(), Some(catalog));
        Ok(())
    }

    #[test]
    fn requirements_the_catalog_lacks_are_listed() -> Result<(), OscalError> {
        let fw = import_catalog(&sample()?, &CatalogImportOptions::default());
        assert_eq!(
            fw.missing_requirements(["ac-2", "AC-2(1)", "ac-99"]),
            vec!["ac-99".to_owned()]
        );
        Ok(())
    }
}
