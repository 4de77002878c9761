//! The engine's rules: type errors at load time with file:line:column, CEL semantics over the store, the
//! number-type trap, projection, and parameters.

use assure_checks::{Engine, InputFormat, Overrides, Source};

fn src(file: &str, text: &str) -> Source {
    Source {
        file: file.to_string(),
        text: text.to_string(),
    }
}

fn manifest(assert: &str) -> String {
    format!(
        "id: t.check\ntitle: t\nresource:\n  type: thing\nassert: '{assert}'\nseverity: low\ncontrols: [IAM-01]\nremediation: fix\n"
    )
}

fn load_err(text: &str) -> String {
    match Engine::load(&[src("checks/t.yaml", text)], &Overrides::new()) {
        Ok(_) => panic!("should not load: {text}"),
        Err(e) => e.to_string(),
    }
}

/// Runs one assertion over resources of type `thing`; returns (applicable, failed ids, error count).
fn run(assert: &str, resources: &str) -> (u64, Vec<String>, usize) {
    let engine = Engine::load(&[src("t.yaml", &manifest(assert))], &Overrides::new())
        .unwrap_or_else(|e| panic!("{e}"));
    let input = format!(r#"{{"snapshot_time": 1790000000, "resources": {resources}}}"#);
    let store = engine
        .read(input.as_bytes(), InputFormat::Native, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let r = &engine.evaluate(&store)[0];
    let failed = r.failed.iter().map(|&i| store.id(i).to_string()).collect();
    (r.applicable, failed, r.errors.len())
}

#[test]
fn comparing_a_timestamp_with_an_int_is_rejected_at_load_with_its_position() {
    let e = load_err(&manifest("now - 31536000 > r.created"));
    assert!(e.starts_with("checks/t.yaml:5:"), "{e}");
    assert!(e.contains("no such overload: timestamp - int"), "{e}");
    // The trap of CHECKS.md: `now` minus a dynamic field is a timestamp or a duration, never a number.
    let e = load_err(&manifest("now - r.last_rotated <= 31536000"));
    assert!(
        e.contains("no such overload: timestamp or duration <= int"),
        "{e}"
    );
    let e = load_err(&manifest("now > 1790000000"));
    assert!(e.contains("no such overload: timestamp > int"), "{e}");
}

#[test]
fn syntax_errors_point_at_file_line_and_column() {
    let e = load_err(&manifest("r.a && (r.b"));
    // `assert: '` is 9 characters; the error is at the end of the expression (offset 11).
    assert!(
        e.starts_with("checks/t.yaml:5:21: in assert: syntax error"),
        "{e}"
    );
}

#[test]
fn unknown_manifest_fields_and_bad_severities_are_rejected_with_a_line() {
    let e = load_err(&(manifest("true") + "colour: red\n"));
    assert!(e.starts_with("checks/t.yaml:"), "{e}");
    assert!(e.contains("unknown field `colour`"), "{e}");
    let e = load_err(&manifest("true").replace("severity: low", "severity: urgent"));
    assert!(e.contains("unknown variant `urgent`"), "{e}");
}

#[test]
fn a_non_bool_assertion_and_unknown_names_are_type_errors() {
    assert!(load_err(&manifest("1 + 1")).contains("expected a bool expression, found int"));
    assert!(load_err(&manifest("x.a")).contains("undeclared reference to 'x'"));
    assert!(load_err(&manifest("params.nope")).contains("unknown parameter 'nope'"));
    assert!(load_err(&manifest("r.a.frobnicate()")).contains("unknown function"));
    assert!(load_err(&manifest("1 + 1.0 > 0")).contains("no such overload: int + double"));
    assert!(
        load_err(&manifest(r#"duration("10 days") > duration("1h")"#)).contains("not a duration")
    );
    assert!(load_err(&manifest(r#"r.a.matches("(")"#)).contains("invalid regular expression"));
}

#[test]
fn epoch_seconds_become_timestamps_and_compare_with_now_exactly_at_the_boundary() {
    let resources = r#"[{"id":"edge","type":"thing","t":1758464000},{"id":"old","type":"thing","t":1758463999},{"id":"iso","type":"thing","t":"2026-09-21T14:13:20Z"}]"#;
    let (n, failed, errors) = run(r#"now - timestamp(r.t) <= duration("8760h")"#, resources);
    assert_eq!((n, failed, errors), (3, vec!["old".to_string()], 0));
}

#[test]
fn a_runtime_type_mismatch_is_an_error_never_a_silent_result() {
    // r.t is dyn at load time; at run time it is an int, and timestamp - int has no overload.
    let (n, failed, errors) = run(
        "now - r.t <= duration(\"1h\")",
        r#"[{"id":"a","type":"thing","t":5}]"#,
    );
    assert_eq!((n, failed.len(), errors), (1, 0, 1));
}

#[test]
fn ints_and_doubles_compare_by_value() {
    let resources = r#"[{"id":"a","type":"thing","v":2},{"id":"b","type":"thing","v":2.5},{"id":"c","type":"thing","v":1e1}]"#;
    let (_, failed, errors) = run("r.v <= 2.5 && r.v >= 2", resources);
    assert_eq!((failed, errors), (vec!["c".to_string()], 0));
    let (_, failed, _) = run("r.v == 2.0", resources);
    assert_eq!(failed, vec!["b".to_string(), "c".to_string()]);
}

#[test]
fn logical_operators_absorb_errors_like_cel() {
    let resources = r#"[{"id":"a","type":"thing","ok":true}]"#;
    assert_eq!(run("r.ok || r.missing", resources), (1, vec![], 0));
    assert_eq!(
        run("!r.ok && r.missing", resources),
        (1, vec!["a".to_string()], 0)
    );
    assert_eq!(run("r.ok && r.missing", resources).2, 1);
}

#[test]
fn macros_strings_literals_and_ternaries_work_over_the_store() {
    let resources = r#"[{"id":"a","type":"thing","name":"web-01","tags":{"env":"prod"},"ports":[22,80,443],"rules":[{"p":22},{"p":80}]}]"#;
    for (expr, pass) in [
        ("has(r.tags.env) && !has(r.tags.owner)", true),
        (
            r#"r.tags.env == "prod" && "env" in r.tags && r.tags["env"] in ["prod", "dev"]"#,
            true,
        ),
        (
            "r.ports.exists(p, p == 22) && r.ports.all(p, p > 0) && r.ports.exists_one(p, p > 100)",
            true,
        ),
        (
            "r.rules.map(x, x.p) == [22, 80] && r.rules.filter(x, x.p > 50).size() == 1",
            true,
        ),
        (
            r#"r.name.startsWith("web") && r.name.endsWith("01") && r.name.contains("-") && r.name.matches("^[a-z]+-[0-9]+$")"#,
            true,
        ),
        (
            "size(r.ports) == 3 && size(r.name) == 6 && size(r.tags) == 1 && r.ports[2] == 443",
            true,
        ),
        (
            r#"(r.ports[0] > 100 ? "high" : "low") == "low" && {"a": 1}["a"] + 2 * 3 - 7 % 4 == 4"#,
            true,
        ),
        (
            r#"r.name.upperAscii() == "WEB-01" && string(r.ports[0]) + "/tcp" == "22/tcp" && int("7") == 7 && double(1) == 1.0"#,
            true,
        ),
        (
            r#"timestamp("2026-01-01T00:00:00Z") + duration("24h") == timestamp("2026-01-02T00:00:00Z") && int(timestamp("1970-01-01T00:01:00Z")) == 60"#,
            true,
        ),
        ("r.ports.exists(p, p == 8080)", false),
    ] {
        let (_, failed, errors) = run(expr, resources);
        assert_eq!(errors, 0, "{expr}");
        assert_eq!(failed.is_empty(), pass, "{expr}");
    }
}

#[test]
fn the_reader_keeps_only_projected_fields_and_still_answers_every_check() {
    let engine = Engine::load(&[src("t.yaml", &manifest("r.a.b == 1"))], &Overrides::new())
        .unwrap_or_else(|e| panic!("{e}"));
    let p = engine.projection();
    assert!(!p.whole);
    assert!(
        p.field("a")
            .is_some_and(|(a, _)| a.field("b").is_some_and(|(b, _)| b.whole))
    );
    assert!(p.field("zzz").is_none());
}

#[test]
fn set_overrides_a_parameter_and_unknown_overrides_are_errors() {
    let text = "id: t.age\ntitle: t\nresource: {type: thing}\nassert: now - timestamp(r.t) <= params.max_age\nseverity: low\ncontrols: [CRY-03]\nremediation: r\nparameters:\n  max_age: {type: duration, default: 8760h}\n";
    let resources = br#"{"snapshot_time": 1790000000, "resources": [{"id":"a","type":"thing","t":1780000000}]}"#;
    let count = |set: &[&str]| -> Result<usize, String> {
        let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        let o = assure_checks::command::parse_overrides(&set)?;
        let e = Engine::load(&[src("t.yaml", text)], &o).map_err(|e| e.to_string())?;
        let s = e
            .read(resources, InputFormat::Native, None)
            .map_err(|e| e.to_string())?;
        Ok(e.evaluate(&s)[0].failed.len())
    };
    assert_eq!(count(&[]), Ok(0));
    assert_eq!(count(&["t.age.max_age=86400"]), Ok(1));
    assert_eq!(count(&["t.age.max_age=240h"]), Ok(1));
    assert!(count(&["t.age.nope=1"]).is_err_and(|e| e.contains("no parameter 'nope'")));
    assert!(count(&["other.max_age=1"]).is_err_and(|e| e.contains("no loaded check")));
    assert!(count(&["t.age.max_age=soon"]).is_err_and(|e| e.contains("not a valid duration")));
}

#[test]
fn record_inputs_have_schemas_checked_at_load() {
    let record = |assert: &str| {
        format!(
            "id: t.k\ntitle: t\nresource: {{type: key_record}}\nassert: '{assert}'\nseverity: low\ncontrols: [CRY-05]\nremediation: r\n"
        )
    };
    let e = load_err(&record("r.created > 1790000000"));
    assert!(e.contains("no such overload: timestamp > int"), "{e}");
    let e = load_err(&record("r.hsm"));
    assert!(e.contains("key_record has no field 'hsm'"), "{e}");
    let e = load_err(&record("r.size == \"256\""));
    assert!(e.contains("no such overload: int == string"), "{e}");
    let ok = Engine::load(
        &[src(
            "t.yaml",
            &record("now - r.created < duration(\"24h\") && r.last_rotated == null"),
        )],
        &Overrides::new(),
    );
    assert!(ok.is_ok(), "{:?}", ok.err());
}

#[test]
fn ndjson_headers_and_record_arrays_are_read() {
    let engine = Engine::load(
        &pack_sources(&["cry.kms-rotated", "cry.key-fips-140-3"]),
        &Overrides::new(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ndjson = "{\"snapshot_time\": \"2026-09-21T14:13:20Z\"}\n{\"id\":\"k1\",\"type\":\"kms_key\",\"rotation_enabled\":true,\"last_rotated\":1789000000}\n\n{\"id\":\"k2\",\"type\":\"kms_key\",\"rotation_enabled\":true,\"last_rotated\":1700000000}\n";
    let store = engine
        .read(ndjson.as_bytes(), InputFormat::Ndjson, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(store.now(), 1_790_000_000 * 1_000_000_000);
    let r = engine.evaluate(&store);
    assert_eq!((r[0].applicable, r[0].failed.len()), (0, 0));
    assert_eq!((r[1].applicable, r[1].failed.len()), (2, 1));
    let keys = r#"[{"key":"a","created":1,"algorithm":"AES","size":256,"hsm_backed":true,"fips_140_3_cert":"4745","fips_status":"active"},
                   {"key":"b","created":"2026-01-01T00:00:00Z","algorithm":"AES","size":256,"hsm_backed":false,"fips_status":"none","enabled":true}]"#;
    let store = engine
        .read(keys.as_bytes(), InputFormat::KeyRecords, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let r = engine.evaluate(&store);
    assert_eq!(
        r[0].failed.iter().map(|&i| store.id(i)).collect::<Vec<_>>(),
        vec!["b"]
    );
}

fn pack_sources(ids: &[&str]) -> Vec<Source> {
    assure_checks::pack::builtin()
        .into_iter()
        .filter(|s| {
            ids.iter()
                .any(|id| s.file.ends_with(&format!("/{id}.yaml")))
        })
        .collect()
}

#[test]
fn every_truncation_and_byte_flip_of_an_input_is_an_error_or_a_result_never_a_panic() {
    let engine = Engine::load(&assure_checks::pack::builtin(), &Overrides::new())
        .unwrap_or_else(|e| panic!("{e}"));
    let inputs = [
        (
            InputFormat::Native,
            "{\"snapshot_time\": 1790000000, \"resources\": [\n{\"id\":\"a\",\"type\":\"security_group\",\"ingress\":[{\"protocol\":\"tcp\",\"from_port\":22,\"to_port\":22,\"cidr\":\"0.0.0.0/0\"}]},\n{\"id\":\"b\",\"type\":\"kms_key\",\"rotation_enabled\":true,\"last_rotated\":1789000000}\n]}\n",
        ),
        (
            InputFormat::Ndjson,
            "{\"snapshot_time\": 1790000000}\n{\"id\":\"a\",\"type\":\"vm\",\"public_ip\":true,\"subnet\":{\"id\":\"s\",\"tier\":\"data\"}}\n",
        ),
        (
            InputFormat::TerraformPlan,
            "{\"format_version\":\"1.2\",\"planned_values\":{\"root_module\":{\"resources\":[{\"address\":\"aws_kms_key.k\",\"mode\":\"managed\",\"type\":\"aws_kms_key\",\"name\":\"k\",\"values\":{\"enable_key_rotation\":false}}],\"child_modules\":[]}}}",
        ),
        (
            InputFormat::AccessLog,
            "{\"principal\":\"a\",\"privileged\":true,\"mfa_used\":false,\"time\":\"2026-09-20T10:00:00Z\",\"source_address\":\"10.0.0.1\"}\n",
        ),
        (
            InputFormat::KeyRecords,
            "{\"key\":\"k\",\"created\":1,\"algorithm\":\"AES\",\"size\":256,\"hsm_backed\":true,\"fips_status\":\"active\"}\n",
        ),
    ];
    for (format, text) in inputs {
        let whole = engine.read(text.as_bytes(), format, Some(0));
        assert!(whole.is_ok(), "{format:?}: {:?}", whole.err());
        let bytes = text.as_bytes();
        for cut in 0..bytes.len() {
            if let Ok(store) = engine.read(&bytes[..cut], format, Some(0)) {
                engine.evaluate(&store);
            }
        }
        for i in 0..bytes.len() {
            for flip in [b'"', b'{', b']', b'9', b'\\', 0xff] {
                let mut b = bytes.to_vec();
                b[i] = flip;
                if let Ok(store) = engine.read(&b, format, Some(0)) {
                    engine.evaluate(&store);
                }
            }
        }
    }
}

#[test]
fn json_manifests_load_and_locate_their_errors() {
    let good = r#"{
  "id": "j.check", "title": "t", "resource": {"type": "thing"},
  "assert": "r.a == 1",
  "severity": "low", "controls": ["LOG-01"], "remediation": "r"
}"#;
    assert!(Engine::load(&[src("c/j.json", good)], &Overrides::new()).is_ok());
    let bad = good.replace("r.a == 1", "r.a == ");
    let e = Engine::load(&[src("c/j.json", &bad)], &Overrides::new())
        .err()
        .map(|e| e.to_string());
    // Line 3 holds `  "assert": "r.a == "`; the error is at the end of the expression (offset 7), column 21.
    assert_eq!(
        e.as_deref().map(|e| e.split(": in").next()),
        Some(Some("c/j.json:3:21")),
        "{e:?}"
    );
    let unknown = good.replace("\"severity\"", "\"sevrity\"");
    let e = Engine::load(&[src("c/j.json", &unknown)], &Overrides::new())
        .err()
        .map(|e| e.to_string());
    assert!(
        e.as_deref().is_some_and(
            |e| e.starts_with("c/j.json:4:11:") && e.contains("unknown field `sevrity`")
        ),
        "{e:?}"
    );
}
