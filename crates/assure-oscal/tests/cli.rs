//! The command surface end to end through the development binary: exit codes 0 (ok / valid), 1 (invalid or
//! unresolvable), 2 (usage or unreadable input).

mod common;
mod support;

use std::process::Command;

use serde_json::json;
use support::{catalog, profile, write};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_assure-oscal"))
}

#[test]
fn resolve_writes_the_catalog_and_exits_zero() -> TestResult {
    let dir = tempfile::tempdir()?;
    write(dir.path(), "catalog.json", &catalog());
    let p = write(
        dir.path(),
        "p.json",
        &profile(
            json!({"href": "catalog.json", "include-all": {}}),
            json!({}),
        ),
    );
    let out = dir.path().join("out.json");
    let status = bin()
        .arg("resolve")
        .arg(&p)
        .arg("-o")
        .arg(&out)
        .arg("--declare-1-2-1")
        .status()?;
    assert_eq!(status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out)?)?;
    assert_eq!(doc["catalog"]["metadata"]["oscal-version"], "1.2.1");
    Ok(())
}

#[test]
fn resolve_of_a_profile_with_a_missing_import_exits_one_naming_the_pointer() -> TestResult {
    let dir = tempfile::tempdir()?;
    let p = write(
        dir.path(),
        "p.json",
        &profile(json!({"href": "gone.json", "include-all": {}}), json!({})),
    );
    let out = bin().arg("resolve").arg(&p).output()?;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("p.json") && stderr.contains("/profile/imports/0/href"),
        "{stderr}"
    );
    Ok(())
}

#[test]
fn validate_exit_codes() -> TestResult {
    let dir = tempfile::tempdir()?;
    let good = write(dir.path(), "good.json", &catalog());
    let mut bad = catalog();
    bad["catalog"]["groups"][0]["controls"][0]["links"][0]["href"] =
        json!("#66666666-6666-4666-8666-666666666666");
    let bad = write(dir.path(), "bad.json", &bad);
    let code = |args: &[&std::ffi::OsStr]| -> Result<Option<i32>, std::io::Error> {
        Ok(bin()
            .arg("validate")
            .args(args)
            .env_remove("ASSURE_OSCAL_SCHEMAS")
            .output()?
            .status
            .code())
    };
    assert_eq!(code(&[good.as_os_str()])?, Some(0));
    assert_eq!(code(&[bad.as_os_str()])?, Some(1));
    assert_eq!(
        code(&[dir.path().join("absent.json").as_os_str()])?,
        Some(2)
    );
    assert_eq!(
        bin().arg("validate").output()?.status.code(),
        Some(2),
        "missing argument is a usage error"
    );
    Ok(())
}

#[test]
fn validate_checks_the_json_schema_when_given() -> TestResult {
    let Some(data) = common::shared_data() else {
        return Ok(());
    };
    let schemas = data.join("oscal-schemas-1.2.1");
    let dir = tempfile::tempdir()?;
    let mut doc = catalog();
    doc["catalog"]["groups"][0]["controls"][0]["id"] = json!("not a token");
    let bad = write(dir.path(), "bad.json", &doc);
    let out = bin()
        .arg("validate")
        .arg(&bad)
        .arg("--schemas")
        .arg(&schemas)
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The group schema is an anyOf, so the finding points at the group that holds the bad id.
    assert!(stdout.contains("at /catalog/groups/0:"), "{stdout}");
    let mut doc = catalog();
    if let Some(md) = doc["catalog"]["metadata"].as_object_mut() {
        md.remove("title");
    }
    let untitled = write(dir.path(), "untitled.json", &doc);
    let out = bin()
        .arg("validate")
        .arg(&untitled)
        .arg("--schemas")
        .arg(&schemas)
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("at /catalog/metadata:"));
    let nist = data.join("nist-800-53-rev5-v5.0.1/NIST_SP-800-53_rev5_catalog.json");
    let out = bin()
        .arg("validate")
        .arg(&nist)
        .arg("--schemas")
        .arg(&schemas)
        .output()?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    Ok(())
}
