//! The exports of the demo tenants: OSCAL documents valid against the 1.2.1 schemas and referentially
//! sound, loaded by compliance-trestle; the XLSX summary sheet equal to the CSV export once LibreOffice
//! converts it; the SoA complete; the framework view keeping its gaps.
//!
//! Reference data comes from `ASSURE_SHARED_DIR` (the `shared` folder) or `../../../shared` from this crate.
//! Tools (LibreOffice's `soffice`, a Python with compliance-trestle named by `ASSURE_PYTHON`) are required
//! under CI (env `CI` set) and skipped with a message elsewhere.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use assure_domain::programme::Programme;
use assure_domain::tenant::Tenant;
use assure_reports::{MatrixReport, oscal_export, tables, xlsx};
use serde_json::Value;

fn programme() -> &'static Programme {
    static P: std::sync::OnceLock<Programme> = std::sync::OnceLock::new();
    P.get_or_init(|| assure_content::demo().expect("demo loads"))
}

fn tenant(id: &str) -> &'static Tenant {
    programme()
        .tenants
        .iter()
        .find(|t| t.id.as_str() == id)
        .expect("demo tenant")
}

fn report_of(id: &str) -> MatrixReport {
    let t = tenant(id);
    assure_reports::report(programme(), t, &t.frameworks).expect("report")
}

/// Skips (outside CI) or fails (under CI) for a missing prerequisite.
fn missing(what: &str) -> bool {
    assert!(std::env::var("CI").is_err(), "under CI, {what}");
    eprintln!("skipped: {what}");
    true
}

fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("ASSURE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
        .join("data");
    if dir.is_dir() {
        Some(dir)
    } else {
        missing(&format!(
            "the reference data {} is needed (set ASSURE_SHARED_DIR to the shared folder)",
            dir.display()
        ));
        None
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn validate(schema: &Value, doc: &Value, name: &str) {
    let validator = jsonschema::validator_for(schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{name} is not valid OSCAL 1.2.1:\n{}",
        errors.join("\n")
    );
}

/// Every control and enhancement id of the NIST SP 800-53 rev. 5 catalog.
fn catalog_ids(data: &Path) -> BTreeSet<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        if let Some(controls) = v.get("controls").and_then(Value::as_array) {
            for c in controls {
                if let Some(id) = c.get("id").and_then(Value::as_str) {
                    out.insert(id.to_owned());
                }
                walk(c, out);
            }
        }
        if let Some(groups) = v.get("groups").and_then(Value::as_array) {
            for g in groups {
                walk(g, out);
            }
        }
    }
    let catalog = read_json(&data.join("nist-800-53-rev5-v5.0.1/NIST_SP-800-53_rev5_catalog.json"));
    let mut ids = BTreeSet::new();
    walk(&catalog["catalog"], &mut ids);
    ids
}

/// Every value of `key` anywhere in `v`.
fn all_values<'v>(v: &'v Value, key: &str, out: &mut Vec<&'v Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == key {
                    out.push(x);
                }
                all_values(x, key, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| all_values(x, key, out)),
        _ => {}
    }
}

fn strings<'v>(v: &'v Value, key: &str) -> Vec<&'v str> {
    let mut out = Vec::new();
    all_values(v, key, &mut out);
    out.into_iter().filter_map(Value::as_str).collect()
}

fn oscal_documents(id: &str) -> Vec<(String, Value)> {
    let r = report_of(id);
    oscal_export::documents(programme(), tenant(id), &r.matrix).expect("oscal")
}

#[test]
fn oscal_exports_validate_against_the_1_2_1_schemas_and_every_reference_resolves() {
    let Some(data) = shared_data() else { return };
    let schemas = data.join("oscal-schemas-1.2.1");
    let component_schema = read_json(&schemas.join("oscal_component_schema.json"));
    let ssp_schema = read_json(&schemas.join("oscal_ssp_schema.json"));
    let catalog = catalog_ids(&data);
    for id in ["northbank", "brightpath"] {
        let docs = oscal_documents(id);
        assert_eq!(
            docs.len(),
            tenant(id).services.len() + 1,
            "a component-definition per service, one SSP"
        );
        let mut component_uuids = BTreeSet::new();
        for (name, doc) in &docs {
            if doc.get("component-definition").is_some() {
                validate(&component_schema, doc, name);
                component_uuids.extend(
                    doc["component-definition"]["components"][0]["uuid"]
                        .as_str()
                        .map(str::to_owned),
                );
            } else {
                validate(&ssp_schema, doc, name);
            }
            for control in strings(doc, "control-id") {
                assert!(
                    catalog.contains(control),
                    "{name}: control-id {control} is not in the 800-53 catalog"
                );
            }
        }
        let (_, ssp) = docs.last().expect("ssp");
        let ssp = &ssp["system-security-plan"];
        // provided-uuid resolves to a provided item of the same export.
        let mut exports = Vec::new();
        all_values(ssp, "export", &mut exports);
        assert!(!exports.is_empty(), "{id}: the SSP has export blocks");
        let mut responsibilities = 0;
        for e in exports {
            let provided: BTreeSet<&str> = e["provided"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p["uuid"].as_str())
                .collect();
            for r in e["responsibilities"].as_array().into_iter().flatten() {
                responsibilities += 1;
                if let Some(p) = r["provided-uuid"].as_str() {
                    assert!(
                        provided.contains(p),
                        "{id}: provided-uuid {p} resolves in its export"
                    );
                }
            }
        }
        assert!(
            responsibilities > 0,
            "{id}: the customer has responsibilities"
        );
        // component-uuid resolves to a component of the system, and those are the component-definitions'.
        let system_components: BTreeSet<&str> = ssp["system-implementation"]["components"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["uuid"].as_str())
            .collect();
        for c in strings(&ssp["control-implementation"], "component-uuid") {
            assert!(
                system_components.contains(c),
                "{id}: component-uuid {c} resolves"
            );
        }
        for c in &component_uuids {
            assert!(
                system_components.contains(c.as_str()),
                "{id}: the SSP uses the component-definition uuid {c}"
            );
        }
        // UUIDs are unique within each document.
        for (name, doc) in &docs {
            let all = strings(doc, "uuid");
            let unique: BTreeSet<&&str> = all.iter().collect();
            assert_eq!(all.len(), unique.len(), "{name}: uuids are unique");
        }
    }
}

#[test]
fn compliance_trestle_loads_the_oscal_exports() {
    let Some(python) = std::env::var_os("ASSURE_PYTHON") else {
        missing(
            "ASSURE_PYTHON must name a Python with compliance-trestle installed (the test command installs it)",
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for id in ["northbank", "brightpath"] {
        for (name, doc) in oscal_documents(id) {
            let path = dir.path().join(format!("{id}-{name}"));
            std::fs::write(&path, serde_json::to_vec_pretty(&doc).expect("json")).expect("write");
            files.push(path);
        }
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/trestle_load.py");
    let out = Command::new(python)
        .arg(script)
        .args(&files)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "trestle refused an export:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn soffice() -> Option<PathBuf> {
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        for name in ["soffice", "libreoffice"] {
            let p = Path::new(dir).join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn csv_records(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| {
            r.expect("csv record")
                .iter()
                .map(|c| c.replace("\r\n", "\n"))
                .collect()
        })
        .collect()
}

#[test]
fn the_xlsx_summary_sheet_converted_by_libreoffice_has_the_rows_of_the_csv_export() {
    let Some(soffice) = soffice() else {
        missing("LibreOffice (soffice) is needed: apt-get install -y libreoffice-calc-nogui");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let r = report_of("northbank");
    let xlsx_path = dir.path().join("matrix.xlsx");
    std::fs::write(&xlsx_path, xlsx::matrix_xlsx(&r).expect("xlsx")).expect("write");
    let profile = format!(
        "-env:UserInstallation=file://{}/lo-profile",
        dir.path().display()
    );
    let out = Command::new(soffice)
        .args([
            profile.as_str(),
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&xlsx_path)
        .output()
        .expect("run soffice");
    assert!(
        out.status.success(),
        "soffice failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let converted = std::fs::read(dir.path().join("matrix.csv")).expect("converted csv");
    let expected = assure_reports::to_csv(&tables::matrix_table(&r.matrix)).expect("csv");
    let (got, want) = (csv_records(&converted), csv_records(&expected));
    assert_eq!(got.len(), want.len(), "row count");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
}

#[test]
fn the_statement_of_applicability_lists_all_93_annex_a_controls_with_justification() {
    for id in ["northbank", "brightpath"] {
        let soa = report_of(id).soa.expect("iso in the demo");
        assert_eq!(soa.len(), 93, "{id}");
        assert!(soa.iter().all(|r| !r.justification.is_empty()));
        assert!(
            soa.iter()
                .filter(|r| r.applicable)
                .all(|r| r.implemented_by.is_some() || r.controls.is_empty())
        );
        let workbook = xlsx::soa_xlsx(&report_of(id)).expect("soa xlsx");
        assert!(workbook.starts_with(b"PK"), "an xlsx is a zip");
    }
}

#[test]
fn a_framework_view_keeps_every_requirement_gaps_included() {
    let r = report_of("northbank");
    for view in &r.frameworks {
        let total = programme()
            .requirements_of(&view.framework)
            .filter(|q| q.kind == assure_domain::framework::RequirementKind::Requirement)
            .count();
        assert_eq!(view.rows.len(), total, "{}", view.framework);
        assert_eq!(
            view.gaps,
            view.rows
                .iter()
                .filter(|x| x.responsibility.is_none())
                .count()
        );
    }
}

#[test]
fn the_crm_has_a_customer_statement_wherever_the_customer_holds_a_part() {
    let r = report_of("northbank");
    let nist = assure_reports::view_of(programme(), &r.matrix, &oscal_export::NIST_800_53.into());
    let crm = tables::crm_table(&nist, &r.matrix);
    assert!(!crm.rows.is_empty());
    for row in &crm.rows {
        if row[2] == "customer" || row[2] == "shared" {
            assert!(!row[3].is_empty(), "{} has a customer statement", row[0]);
        }
    }
}

/// A customer's leveraging SSP written from the provider's export, as a customer would: one component per
/// service it leverages, inheriting every `provided` item and satisfying every responsibility.
fn leveraging_plan_for(provider_ssp: &Value) -> Value {
    let ssp = &provider_ssp["system-security-plan"];
    let authorization = "99999999-0000-4000-8000-000000000001";
    let mut components = vec![
        serde_json::json!({"uuid": "99999999-0000-4000-8000-000000000000", "type": "this-system"}),
    ];
    let mut requirements = Vec::new();
    for requirement in ssp["control-implementation"]["implemented-requirements"]
        .as_array()
        .expect("requirements")
    {
        let mut by_components = Vec::new();
        for bc in requirement["by-components"]
            .as_array()
            .expect("by-components")
        {
            let provider_component = bc["component-uuid"].as_str().expect("component");
            let mine = format!("mine-{provider_component}");
            if !components.iter().any(|c| c["uuid"] == mine.as_str()) {
                components.push(
                    serde_json::json!({"uuid": mine, "type": "system", "props": [
                        {"name": "leveraged-authorization-uuid", "value": authorization},
                        {"name": "inherited-uuid", "value": provider_component},
                    ]}),
                );
            }
            let inherited: Vec<Value> = bc["export"]["provided"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| serde_json::json!({"provided-uuid": p["uuid"]}))
                .collect();
            let satisfied: Vec<Value> = bc["export"]["responsibilities"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| serde_json::json!({"responsibility-uuid": r["uuid"]}))
                .collect();
            by_components.push(serde_json::json!({
                "component-uuid": mine, "inherited": inherited, "satisfied": satisfied,
            }));
        }
        requirements.push(serde_json::json!({
            "control-id": requirement["control-id"], "by-components": by_components,
        }));
    }
    serde_json::json!({"system-security-plan": {
        "system-implementation": {
            "leveraged-authorizations": [{"uuid": authorization, "title": "Provider"}],
            "components": components,
        },
        "control-implementation": {"implemented-requirements": requirements},
    }})
}

#[test]
fn a_leveraging_ssp_is_checked_against_the_provider_export() {
    use assure_oscal::leveraging::check_leveraging;
    use assure_oscal::validate::Severity;
    let docs = oscal_documents("northbank");
    let (_, provider) = docs
        .iter()
        .find(|(_, d)| d.get("system-security-plan").is_some())
        .expect("provider ssp");
    let mut plan = leveraging_plan_for(provider);
    let (findings, citations) = check_leveraging(provider, &plan);
    assert!(findings.is_empty(), "{findings:?}");
    assert!(
        citations.inherited > 100 && citations.satisfied > 50,
        "{citations:?}"
    );
    assert_eq!(citations.satisfied, citations.responsibilities_exported);

    // The customer drops one responsibility and cites a capability the provider never offered.
    let requirements =
        plan["system-security-plan"]["control-implementation"]["implemented-requirements"]
            .as_array_mut()
            .expect("requirements");
    let (r, b) = requirements
        .iter()
        .enumerate()
        .find_map(|(r, req)| {
            req["by-components"]
                .as_array()?
                .iter()
                .position(|bc| bc["satisfied"].as_array().is_some_and(|s| !s.is_empty()))
                .map(|b| (r, b))
        })
        .expect("a responsibility");
    let dropped = requirements[r]["by-components"][b]["satisfied"]
        .as_array_mut()
        .expect("satisfied")
        .remove(0);
    requirements[r]["by-components"][b]["inherited"] =
        serde_json::json!([{"provided-uuid": "00000000-0000-4000-8000-00000000dead"}]);
    let (findings, citations) = check_leveraging(provider, &plan);
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{findings:?}");
    assert!(
        errors[0]
            .message
            .contains("00000000-0000-4000-8000-00000000dead")
    );
    assert!(errors[0].pointer.contains(&format!(
        "implemented-requirements/{r}/by-components/{b}/inherited/0"
    )));
    assert_eq!(citations.responsibilities_unsatisfied, 1);
    let dropped = dropped["responsibility-uuid"].as_str().expect("uuid");
    assert!(
        findings
            .iter()
            .any(|f| f.severity == Severity::Warning && f.message.contains(dropped)),
        "{findings:?}"
    );
}
