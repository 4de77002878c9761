//! Content loads whole or not at all, and every problem names its file, line and ID.

use std::path::{Path, PathBuf};

use assure_content::{ContentError, load_dir};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini")
}

/// Copies the fixture and applies `edit` to one file, returning the folder.
fn broken(file: &str, edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy(&fixture(), dir.path());
    let path = dir.path().join(file);
    let text = std::fs::read_to_string(&path).expect("fixture file");
    let changed = edit(&text);
    assert_ne!(changed, text, "the edit must change {file}");
    std::fs::write(&path, changed).expect("write");
    dir
}

fn copy(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn problems(dir: &tempfile::TempDir) -> Vec<String> {
    match load_dir(dir.path()) {
        Ok(_) => panic!("broken content loaded"),
        Err(e @ ContentError::Io { .. }) => panic!("unexpected {e}"),
        Err(e) => e.problems().iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn the_fixture_loads_whole() {
    let p = load_dir(&fixture()).expect("fixture is valid");
    assert_eq!(p.controls.len(), 2);
    assert_eq!(p.frameworks.len(), 2);
    assert_eq!(p.services.len(), 3);
    assert_eq!(p.tenants.len(), 2);
    assert_eq!(p.users.len(), 5, "provider, tenant and assessor users");
    assert_eq!(p.mappings.len(), 4);
}

#[test]
fn an_unknown_requirement_is_named_with_file_line_and_id() {
    let dir = broken("baseline/IAM.yaml", |t| {
        t.replace("requirement: A.8.5,", "requirement: A.9.4.2,")
    });
    let p = problems(&dir);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with("baseline/IAM.yaml:12: [A.9.4.2]"),
        "{}",
        p[0]
    );
    assert!(
        p[0].contains("unknown requirement A.9.4.2 of iso27001-2022"),
        "{}",
        p[0]
    );
}

#[test]
fn a_duplicate_control_is_named_at_its_second_declaration() {
    let dir = broken("baseline/CRY.yaml", |t| {
        t.replace("id: CRY-01", "id: IAM-01")
    });
    let p = problems(&dir);
    assert!(
        p.iter().any(|x| x.contains("duplicate control IAM-01")),
        "{p:?}"
    );
}

#[test]
fn a_control_without_mapping_is_refused() {
    let dir = broken("baseline/CRY.yaml", |t| {
        let cut = t.find("    mappings:").expect("mappings");
        t[..cut].to_owned()
    });
    let p = problems(&dir);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with("baseline/CRY.yaml:2: [CRY-01]"),
        "{}",
        p[0]
    );
    assert!(p[0].contains("has no mapping"), "{}", p[0]);
}

#[test]
fn a_service_model_without_a_default_is_refused() {
    let dir = broken("baseline/CRY.yaml", |t| {
        t.replace(
            "      saas: {responsibility: provider, provider_part: Encrypts all stored data.}\n",
            "",
        )
    });
    let p = problems(&dir);
    assert!(
        p.iter()
            .any(|x| x.starts_with("baseline/CRY.yaml:") && x.contains("saas")),
        "{p:?}"
    );
}

#[test]
fn a_missing_default_for_a_control_names_every_service() {
    let dir = broken("baseline/CRY.yaml", |t| {
        let start = t.find("    defaults:").expect("defaults");
        let end = t.find("    mappings:").expect("mappings");
        format!("{}{}", &t[..start], &t[end..])
    });
    let p = problems(&dir);
    assert!(
        p.iter()
            .any(|x| x.contains("CRY-01") && x.contains("no service-model defaults")),
        "{p:?}"
    );
}

#[test]
fn a_malformed_file_names_line_and_column() {
    let dir = broken("services.yaml", |t| {
        t.replace("    model: paas\n", "    model: [paas\n")
    });
    let p = problems(&dir);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("services.yaml:"), "{}", p[0]);
}

#[test]
fn an_unknown_field_is_refused() {
    let dir = broken("tenants.yaml", |t| {
        t.replace(
            "    industry: bank\n",
            "    industry: bank\n    colour: blue\n",
        )
    });
    let p = problems(&dir);
    assert!(
        p[0].starts_with("tenants.yaml:") && p[0].contains("colour"),
        "{p:?}"
    );
}

#[test]
fn an_option_rule_against_its_direction_is_refused() {
    let dir = broken("services.yaml", |t| {
        t.replace("direction: towards-provider", "direction: towards-customer")
    });
    let p = problems(&dir);
    assert!(
        p.iter().any(|x| x.contains("declared towards-customer")),
        "{p:?}"
    );
}

#[test]
fn a_service_outside_the_tenants_region_is_refused() {
    let dir = broken("tenants.yaml", |t| {
        t.replace("regions: [eu-west]", "regions: [eu-west, us-east]")
    });
    let p = problems(&dir);
    assert!(
        p.iter()
            .any(|x| x.contains("service db in region us-east, where it does not run")),
        "{p:?}"
    );
}
