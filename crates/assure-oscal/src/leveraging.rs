//! A leveraging system security plan checked against the leveraged system's `export` blocks.
//!
//! OSCAL expresses shared responsibility between two authorised systems in pairs: the leveraged (provider)
//! SSP exports, per control and component, what it `provided` for inheritance and the `responsibilities`
//! a leveraging system takes on; the leveraging (customer) SSP answers each with `inherited`
//! (`provided-uuid`) and `satisfied` (`responsibility-uuid`). Nothing in the schemas ties the two files
//! together, so a customer SSP can cite a capability the provider never offered, or leave a responsibility
//! unanswered, and still validate. This module is that missing check:
//!
//! - every `provided-uuid` names a `provided` item of the export, for the same control;
//! - every `responsibility-uuid` names a `responsibilities` item of the export, for the same control (one
//!   naming a `provided` item instead is called out as such: NIST's own example pair does this once);
//! - every component carrying a `leveraged-authorization-uuid` prop names a leveraged authorization of the
//!   leveraging SSP, and its `inherited-uuid` prop names a component of the leveraged SSP;
//! - every exported responsibility is satisfied somewhere in the leveraging SSP (a warning per gap: the
//!   customer may still be working on it, but an assessor must see it).
//!
//! Statements and whole-control `by-components` are treated alike: a reference is matched on control id.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::validate::{Finding, Severity};

/// Where an exported item was declared.
#[derive(Debug, Clone)]
struct Exported {
    control: String,
    pointer: String,
}

/// What the leveraged SSP exports.
#[derive(Debug, Default)]
struct Export {
    provided: HashMap<String, Exported>,
    responsibilities: HashMap<String, Exported>,
    components: HashSet<String>,
}

/// Counts of what the leveraging SSP cites, for the summary line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Citations {
    pub inherited: usize,
    pub satisfied: usize,
    pub responsibilities_exported: usize,
    pub responsibilities_unsatisfied: usize,
}

/// Checks `leveraging` (a customer SSP) against `leveraged` (the provider SSP with `export` blocks).
/// Pointers in the findings are into the leveraging document, except for unsatisfied responsibilities,
/// which point into the leveraged one (prefixed `leveraged:`).
pub fn check_leveraging(leveraged: &Value, leveraging: &Value) -> (Vec<Finding>, Citations) {
    let export = collect_export(leveraged);
    let mut findings = Vec::new();
    let mut citations = Citations {
        responsibilities_exported: export.responsibilities.len(),
        ..Citations::default()
    };
    let Some(ssp) = leveraging.get("system-security-plan") else {
        findings.push(error(
            "",
            "the leveraging document is not a system-security-plan",
        ));
        return (findings, citations);
    };
    check_components(ssp, &export, &mut findings);
    let mut satisfied: HashSet<String> = HashSet::new();
    for_each_by_component(
        ssp,
        "/system-security-plan",
        &mut |control, pointer, by_component| {
            for (i, inherited) in items(by_component, "inherited") {
                citations.inherited += 1;
                let at = format!("{pointer}/inherited/{i}/provided-uuid");
                let Some(uuid) = inherited.get("provided-uuid").and_then(Value::as_str) else {
                    findings.push(error(&at, "an inherited item without a provided-uuid"));
                    continue;
                };
                match export.provided.get(uuid) {
                    Some(e) if e.control == control => {}
                    Some(e) => findings.push(error(
                        &at,
                        &format!(
                            "provided-uuid {uuid} is exported for {}, not {control}",
                            e.control
                        ),
                    )),
                    None if export.responsibilities.contains_key(uuid) => findings.push(error(
                        &at,
                        &format!(
                            "provided-uuid {uuid} names an exported responsibility, not a provided capability"
                        ),
                    )),
                    None => findings.push(error(
                        &at,
                        &format!(
                            "provided-uuid {uuid} is not provided by the leveraged system for {control}"
                        ),
                    )),
                }
            }
            for (i, item) in items(by_component, "satisfied") {
                citations.satisfied += 1;
                let at = format!("{pointer}/satisfied/{i}/responsibility-uuid");
                let Some(uuid) = item.get("responsibility-uuid").and_then(Value::as_str) else {
                    findings.push(error(&at, "a satisfied item without a responsibility-uuid"));
                    continue;
                };
                match export.responsibilities.get(uuid) {
                    Some(e) if e.control == control => {
                        satisfied.insert(uuid.to_owned());
                    }
                    Some(e) => findings.push(error(
                        &at,
                        &format!(
                            "responsibility-uuid {uuid} is exported for {}, not {control}",
                            e.control
                        ),
                    )),
                    None if export.provided.contains_key(uuid) => findings.push(error(
                        &at,
                        &format!(
                            "responsibility-uuid {uuid} names a provided capability, not a responsibility"
                        ),
                    )),
                    None => findings.push(error(
                        &at,
                        &format!(
                            "responsibility-uuid {uuid} is not a responsibility the leveraged system exports for {control}"
                        ),
                    )),
                }
            }
        },
    );
    let mut open: Vec<(&String, &Exported)> = export
        .responsibilities
        .iter()
        .filter(|(uuid, _)| !satisfied.contains(*uuid))
        .collect();
    open.sort_by(|a, b| a.1.pointer.cmp(&b.1.pointer));
    citations.responsibilities_unsatisfied = open.len();
    for (uuid, e) in open {
        findings.push(Finding {
            severity: Severity::Warning,
            pointer: format!("leveraged:{}", e.pointer),
            message: format!(
                "responsibility {uuid} for {} is not satisfied by the leveraging system",
                e.control
            ),
        });
    }
    (findings, citations)
}

fn error(pointer: &str, message: &str) -> Finding {
    Finding {
        severity: Severity::Error,
        pointer: pointer.to_owned(),
        message: message.to_owned(),
    }
}

fn items<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = (usize, &'a Value)> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

/// Calls `f(control-id, pointer, by-component)` for every by-component of every implemented requirement,
/// whether at the control or at a statement.
fn for_each_by_component(ssp: &Value, base: &str, f: &mut dyn FnMut(&str, &str, &Value)) {
    let Some(requirements) = ssp
        .pointer("/control-implementation/implemented-requirements")
        .and_then(Value::as_array)
    else {
        return;
    };
    for (r, requirement) in requirements.iter().enumerate() {
        let control = requirement
            .get("control-id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let at = format!("{base}/control-implementation/implemented-requirements/{r}");
        for (b, by_component) in items(requirement, "by-components") {
            f(control, &format!("{at}/by-components/{b}"), by_component);
        }
        for (s, statement) in items(requirement, "statements") {
            for (b, by_component) in items(statement, "by-components") {
                f(
                    control,
                    &format!("{at}/statements/{s}/by-components/{b}"),
                    by_component,
                );
            }
        }
    }
}

fn collect_export(leveraged: &Value) -> Export {
    let mut export = Export::default();
    let Some(ssp) = leveraged.get("system-security-plan") else {
        return export;
    };
    for (_, component) in items(
        ssp.get("system-implementation").unwrap_or(&Value::Null),
        "components",
    ) {
        if let Some(uuid) = component.get("uuid").and_then(Value::as_str) {
            export.components.insert(uuid.to_owned());
        }
    }
    for_each_by_component(
        ssp,
        "/system-security-plan",
        &mut |control, pointer, by_component| {
            let Some(block) = by_component.get("export") else {
                return;
            };
            for (key, into) in [
                ("provided", &mut export.provided),
                ("responsibilities", &mut export.responsibilities),
            ] {
                for (i, item) in items(block, key) {
                    if let Some(uuid) = item.get("uuid").and_then(Value::as_str) {
                        into.insert(
                            uuid.to_owned(),
                            Exported {
                                control: control.to_owned(),
                                pointer: format!("{pointer}/export/{key}/{i}"),
                            },
                        );
                    }
                }
            }
        },
    );
    export
}

fn prop<'a>(component: &'a Value, name: &str) -> Option<&'a str> {
    component
        .get("props")
        .and_then(Value::as_array)?
        .iter()
        .find(|p| p.get("name").and_then(Value::as_str) == Some(name))?
        .get("value")
        .and_then(Value::as_str)
}

fn check_components(ssp: &Value, export: &Export, findings: &mut Vec<Finding>) {
    let implementation = ssp.get("system-implementation").unwrap_or(&Value::Null);
    let authorizations: HashSet<&str> = items(implementation, "leveraged-authorizations")
        .filter_map(|(_, a)| a.get("uuid").and_then(Value::as_str))
        .collect();
    for (i, component) in items(implementation, "components") {
        let at = format!("/system-security-plan/system-implementation/components/{i}");
        if let Some(uuid) = prop(component, "leveraged-authorization-uuid")
            && !authorizations.contains(uuid)
        {
            findings.push(error(
                &format!("{at}/props"),
                &format!("leveraged-authorization-uuid {uuid} names no leveraged authorization of this plan"),
            ));
        }
        if let Some(uuid) = prop(component, "inherited-uuid")
            && !export.components.contains(uuid)
        {
            findings.push(error(
                &format!("{at}/props"),
                &format!("inherited-uuid {uuid} names no component of the leveraged system"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn leveraged() -> Value {
        json!({"system-security-plan": {
            "system-implementation": {"components": [{"uuid": "c-1"}]},
            "control-implementation": {"implemented-requirements": [
                {"control-id": "ac-2", "by-components": [{"component-uuid": "c-1", "export": {
                    "provided": [{"uuid": "p-1"}],
                    "responsibilities": [{"uuid": "r-1", "provided-uuid": "p-1"}]
                }}]},
                {"control-id": "sc-7", "statements": [{"statement-id": "sc-7_smt.a", "by-components": [
                    {"component-uuid": "c-1", "export": {"responsibilities": [{"uuid": "r-2"}]}}
                ]}]}
            ]}
        }})
    }

    fn leveraging(inherit: &str, satisfy: &[(&str, &str)]) -> Value {
        let requirements: Vec<Value> = satisfy
            .iter()
            .map(|(control, uuid)| {
                json!({"control-id": control, "by-components": [{
                    "component-uuid": "mine",
                    "inherited": if *control == "ac-2" { json!([{"provided-uuid": inherit}]) } else { json!([]) },
                    "satisfied": [{"responsibility-uuid": uuid}]
                }]})
            })
            .collect();
        json!({"system-security-plan": {
            "system-implementation": {
                "leveraged-authorizations": [{"uuid": "la-1"}],
                "components": [{"uuid": "mine", "props": [
                    {"name": "leveraged-authorization-uuid", "value": "la-1"},
                    {"name": "inherited-uuid", "value": "c-1"}
                ]}]
            },
            "control-implementation": {"implemented-requirements": requirements}
        }})
    }

    #[test]
    fn a_plan_citing_what_was_exported_passes() {
        let (findings, c) = check_leveraging(
            &leveraged(),
            &leveraging("p-1", &[("ac-2", "r-1"), ("sc-7", "r-2")]),
        );
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(
            (c.inherited, c.satisfied, c.responsibilities_unsatisfied),
            (1, 2, 0)
        );
    }

    #[test]
    fn unknown_misplaced_and_confused_uuids_are_errors_and_gaps_warnings() {
        let (findings, c) = check_leveraging(
            &leveraged(),
            &leveraging("p-9", &[("ac-2", "p-1"), ("sc-7", "r-1")]),
        );
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("provided-uuid p-9 is not provided")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("names a provided capability")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("r-1 is exported for ac-2, not sc-7")),
            "{messages:?}"
        );
        assert_eq!(c.responsibilities_unsatisfied, 2);
        assert_eq!(
            findings
                .iter()
                .filter(|f| f.severity == Severity::Warning)
                .count(),
            2
        );
        assert!(
            findings[0]
                .pointer
                .starts_with("/system-security-plan/control-implementation")
        );
    }

    #[test]
    fn component_props_must_resolve() {
        let mut plan = leveraging("p-1", &[("ac-2", "r-1"), ("sc-7", "r-2")]);
        plan["system-security-plan"]["system-implementation"]["leveraged-authorizations"] =
            json!([]);
        plan["system-security-plan"]["system-implementation"]["components"][0]["props"][1]["value"] =
            json!("c-404");
        let (findings, _) = check_leveraging(&leveraged(), &plan);
        assert_eq!(findings.len(), 2, "{findings:?}");
        assert!(
            findings
                .iter()
                .all(|f| f.pointer.ends_with("/components/0/props"))
        );
    }
}
