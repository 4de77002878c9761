//! `assure check` end to end: exit codes, clean errors on bad input, and the report formats.

mod common;

use std::fs;

use common::{assure_check, outcome, shared_dir};
use serde_json::Value;

const SNAPSHOT: &str = r#"{"snapshot_time": 1790000000, "resources": [
 {"id":"sg-open","type":"security_group","ingress":[{"protocol":"tcp","from_port":22,"to_port":22,"cidr":"0.0.0.0/0"}]},
 {"id":"sg-closed","type":"security_group","ingress":[{"protocol":"tcp","from_port":22,"to_port":22,"cidr":"10.0.0.0/8"}]},
 {"id":"b1","type":"storage_bucket","encryption":{"enabled":true,"algorithm":"aws:kms"},"logging":{"enabled":true,"target":"l"},"public_access_block":true}
]}"#;

fn write(dir: &tempfile::TempDir, name: &str, text: &[u8]) -> String {
    let p = dir.path().join(name);
    fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
    p.display().to_string()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn exit_code_is_zero_when_all_pass_and_one_when_any_fails() {
    let d = tmp();
    let input = write(&d, "snap.json", SNAPSHOT.as_bytes());
    let (code, out, _) = outcome(&assure_check(&[
        "--input",
        &input,
        "--check",
        "cry.bucket-encrypted",
    ]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASS   cry.bucket-encrypted"), "{out}");
    let (code, out, _) = outcome(&assure_check(&[
        "--input",
        &input,
        "--check",
        "net.sg.no-ssh-from-world",
    ]));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("sg-open") && !out.contains("sg-closed"),
        "{out}"
    );
}

#[test]
fn truncated_json_is_a_clean_error_with_line_and_column() {
    let d = tmp();
    let input = write(&d, "snap.json", &SNAPSHOT.as_bytes()[..200]);
    let (code, _, err) = outcome(&assure_check(&["--input", &input]));
    assert_eq!(code, 2);
    assert!(
        err.contains("snap.json: line 3, column 34") && err.contains("(the input is truncated)"),
        "{err}"
    );
}

#[test]
fn wrong_types_are_clean_errors() {
    let d = tmp();
    for (text, want) in [
        (
            r#"{"snapshot_time": 1, "resources": 5}"#,
            "invalid type: integer `5`, expected an array of resources",
        ),
        (r#"{"snapshot_time": 1}"#, "missing field `resources`"),
        (
            r#"{"resources": [{"id": 5, "type": "vm"}]}"#,
            "expected a string (the resource \"id\")",
        ),
        (r#"{"resources": [{"id": "a"}]}"#, "without a \"type\""),
        (
            r#"{"snapshot_time": "yesterday", "resources": []}"#,
            "not an RFC 3339 timestamp",
        ),
        (r#"[1, 2]"#, "a snapshot object"),
    ] {
        let input = write(&d, "snap.json", text.as_bytes());
        let (code, _, err) = outcome(&assure_check(&[
            "--input",
            &input,
            "--input-format",
            "native",
        ]));
        assert_eq!(code, 2, "{text}");
        assert!(
            err.contains(want) && err.contains("line 1, column"),
            "{text}: {err}"
        );
    }
}

#[test]
fn errors_inside_resources_read_in_parallel_keep_their_line_and_column() {
    let d = tmp();
    let mut text = String::from("{\"snapshot_time\": 1790000000, \"resources\": [\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "{{\"id\": \"r{i}\", \"type\": \"vm\", \"public_ip\": false}},\n"
        ));
    }
    text.push_str("  {\"id\": \"bad\", \"type\": 7}\n]}\n");
    let input = write(&d, "snap.json", text.as_bytes());
    let (code, _, err) = outcome(&assure_check(&["--input", &input]));
    assert_eq!(code, 2);
    assert!(err.contains("line 20002, column 25: invalid type: integer `7`, expected a string (the resource \"type\")"), "{err}");
}

#[test]
fn five_megabytes_of_garbage_is_a_clean_error() {
    let d = tmp();
    let mut garbage = Vec::with_capacity(5 << 20);
    let mut x: u32 = 12345;
    while garbage.len() < 5 << 20 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        garbage.push((x % 94 + 33) as u8);
    }
    let input = write(&d, "garbage.json", &garbage);
    for format in [
        "native",
        "ndjson",
        "terraform-plan",
        "access-log",
        "key-records",
    ] {
        let (code, _, err) = outcome(&assure_check(&[
            "--input",
            &input,
            "--input-format",
            format,
        ]));
        assert_eq!(code, 2, "{format}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains("line 1, column"),
            "{format}: {err}"
        );
    }
    garbage[10] = 0xff;
    let input = write(&d, "binary.json", &garbage);
    let (code, _, err) = outcome(&assure_check(&["--input", &input]));
    assert_eq!(code, 2);
    assert!(err.contains("not UTF-8 (byte offset 10)"), "{err}");
}

#[test]
fn a_manifest_with_a_type_error_is_rejected_with_file_line_and_column() {
    let d = tmp();
    let checks = d.path().join("checks");
    fs::create_dir(&checks).unwrap_or_else(|e| panic!("{e}"));
    fs::write(
        checks.join("bad.yaml"),
        "id: bad\ntitle: t\nresource:\n  type: kms_key\nassert: r.rotation_enabled && now - r.last_rotated <= 31536000\nseverity: high\ncontrols: [CRY-03]\nremediation: r\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let input = write(&d, "snap.json", SNAPSHOT.as_bytes());
    let (code, _, err) = outcome(&assure_check(&[
        "--input",
        &input,
        "--checks",
        &checks.display().to_string(),
    ]));
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.yaml:5:") && err.contains("type error"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_two() {
    let d = tmp();
    let input = write(&d, "snap.json", SNAPSHOT.as_bytes());
    for args in [
        vec!["--input", &input, "--set", "nonsense"],
        vec![
            "--input",
            &input,
            "--set",
            "cry.kms-rotated.max_age=forever",
        ],
        vec!["--input", &input, "--check", "no.such.check"],
        vec!["--input", "/nonexistent/snap.json"],
        vec!["--input", &input, "--now", "tomorrow"],
    ] {
        let (code, _, err) = outcome(&assure_check(&args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{err}");
    }
}

fn run_json(format: &str, input: &str, extra: &[&str]) -> Value {
    let d = tmp();
    let out = d.path().join("report.json");
    let out_s = out.display().to_string();
    let mut args = vec!["--input", input, "--format", format, "-o", &out_s];
    args.extend_from_slice(extra);
    let (code, _, err) = outcome(&assure_check(&args));
    assert!(code == 0 || code == 1, "{err}");
    let text = fs::read_to_string(&out).unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let d = tmp();
    let input = write(&d, "snap.json", SNAPSHOT.as_bytes());
    let sarif = run_json("sarif", &input, &[]);
    let schema: Value = serde_json::from_str(include_str!("data/sarif-2.1.0-subset.schema.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{e}"));
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "net.sg.no-ssh-from-world"
                && r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "sg-open")
    );
    assert!(
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .is_some_and(|r| r.len() >= 60)
    );
}

#[test]
fn oscal_ar_output_validates_against_the_oscal_1_2_1_schema() {
    let Some(shared) = shared_dir() else {
        eprintln!(
            "skipped: the shared reference folder (ASSURE_SHARED_DIR or ../shared) is absent"
        );
        return;
    };
    let schema_path = shared.join("data/oscal-schemas-1.2.1/oscal_assessment-results_schema.json");
    let Ok(schema_text) = fs::read_to_string(&schema_path) else {
        eprintln!("skipped: {} is absent", schema_path.display());
        return;
    };
    let d = tmp();
    let input = write(&d, "snap.json", SNAPSHOT.as_bytes());
    let ar = run_json("oscal-ar", &input, &[]);
    assert_eq!(
        ar["assessment-results"]["metadata"]["oscal-version"],
        "1.2.1"
    );
    let schema: Value = serde_json::from_str(&schema_text).unwrap_or_else(|e| panic!("{e}"));
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{e}"));
    let errors: Vec<String> = validator
        .iter_errors(&ar)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn json_output_lists_failing_resources_and_parameters() {
    let d = tmp();
    let input = write(&d, "snap.json", SNAPSHOT.as_bytes());
    let report = run_json(
        "json",
        &input,
        &[
            "--check",
            "net.sg.no-ssh-from-world",
            "--check",
            "cry.kms-rotated",
        ],
    );
    let by_id = |id: &str| {
        report["checks"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["id"] == id))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        by_id("net.sg.no-ssh-from-world")["failing_resources"],
        serde_json::json!(["sg-open"])
    );
    assert_eq!(
        by_id("cry.kms-rotated")["parameters"]["max_age"],
        "31536000s"
    );
    assert_eq!(report["snapshot_time"], "2026-09-21T14:13:20Z");
}

#[test]
fn terraform_plans_read_nested_modules_and_indexed_addresses() {
    let plan = r#"{"format_version":"1.2","terraform_version":"1.9.0","planned_values":{"root_module":{
      "resources":[
        {"address":"aws_kms_key.a[0]","mode":"managed","type":"aws_kms_key","name":"a","index":0,"values":{"enable_key_rotation":false,"customer_master_key_spec":"SYMMETRIC_DEFAULT"}},
        {"address":"data.aws_kms_key.x","mode":"data","type":"aws_kms_key","name":"x","values":{"enable_key_rotation":false}}],
      "child_modules":[{"address":"module.keys","resources":[
        {"address":"module.keys.aws_kms_key.b[\"eu\"]","mode":"managed","type":"aws_kms_key","name":"b","index":"eu","values":{"enable_key_rotation":true,"customer_master_key_spec":"SYMMETRIC_DEFAULT"}}],
        "child_modules":[{"address":"module.keys.module.inner","resources":[
          {"address":"module.keys.module.inner.aws_kms_key.c","mode":"managed","type":"aws_kms_key","name":"c","values":{"enable_key_rotation":false,"customer_master_key_spec":"SYMMETRIC_DEFAULT"}}]}]}]}},
      "resource_changes":[], "configuration":{}}"#;
    let d = tmp();
    let input = write(&d, "plan.json", plan.as_bytes());
    let report = run_json("json", &input, &["--check", "cry.tf-kms-rotation"]);
    assert_eq!(report["input_format"], "terraform-plan");
    assert_eq!(report["checks"][0]["applicable"], 3);
    assert_eq!(
        report["checks"][0]["failing_resources"],
        serde_json::json!(["aws_kms_key.a[0]", "module.keys.module.inner.aws_kms_key.c"])
    );
}

#[test]
fn record_inputs_validate_their_schema_with_line_numbers() {
    let d = tmp();
    let log = "{\"principal\":\"alice\",\"privileged\":true,\"mfa_used\":true,\"time\":\"2026-09-20T10:00:00Z\",\"source_address\":\"10.20.0.1\"}\n\n{\"principal\":\"bob\",\"privileged\":\"yes\",\"mfa_used\":true,\"time\":1,\"source_address\":\"x\"}\n";
    let input = write(&d, "access.jsonl", log.as_bytes());
    let (code, _, err) = outcome(&assure_check(&[
        "--input",
        &input,
        "--input-format",
        "access-log",
    ]));
    assert_eq!(code, 2);
    assert!(
        err.contains("line 3, column")
            && err.contains("invalid type: string \"yes\", expected a boolean"),
        "{err}"
    );
    let keys = "{\"key\":\"k1\",\"created\":\"2026-01-01T00:00:00Z\",\"algorithm\":\"AES\",\"size\":256,\"hsm_backed\":true,\"fips_140_3_cert\":4745,\"fips_status\":\"active\",\"colour\":1}\n";
    let input = write(&d, "keys.jsonl", keys.as_bytes());
    let (code, _, err) = outcome(&assure_check(&[
        "--input",
        &input,
        "--input-format",
        "key-records",
    ]));
    assert_eq!(code, 2);
    assert!(err.contains("unknown field `colour`"), "{err}");
}
