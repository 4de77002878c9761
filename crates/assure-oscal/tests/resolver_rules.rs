//! The resolution rules, each on a small catalog: selection, merge structures, set-parameters by alias, alters,
//! back-matter pruning, and the errors malformed input must give (document + JSON pointer).

mod support;

use assure_oscal::{OscalError, ResolveOptions, Warning, resolve_profile_file};
use serde_json::{Value, json};
use support::{catalog, profile, write};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn resolve(
    import: Value,
    rest: Value,
) -> Result<(assure_oscal::Resolution, Value), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    write(dir.path(), "catalog.json", &catalog());
    let p = write(dir.path(), "profile.json", &profile(import, rest));
    let r = resolve_profile_file(&p, &ResolveOptions::default())?;
    let doc = r.to_document();
    Ok((r, doc))
}

fn ids(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        if let Some(cs) = v.get("controls").and_then(Value::as_array) {
            for c in cs {
                out.push(c["id"].as_str().unwrap_or_default().to_owned());
                walk(c, out);
            }
        }
        if let Some(gs) = v.get("groups").and_then(Value::as_array) {
            for g in gs {
                walk(g, out);
            }
        }
    }
    walk(&doc["catalog"], &mut out);
    out
}

#[test]
fn an_enhancement_selected_without_its_parent_brings_the_parent() -> TestResult {
    let (_, doc) = resolve(
        json!({"href": "catalog.json", "include-controls": [{"with-ids": ["ac-2.1"]}]}),
        json!({"merge": {"as-is": true}}),
    )?;
    assert_eq!(ids(&doc), ["ac-2", "ac-2.1"]);
    assert_eq!(
        doc["catalog"]["groups"][0]["controls"][0]["controls"][0]["id"],
        "ac-2.1"
    );
    Ok(())
}

#[test]
fn with_child_controls_and_exclusion_which_wins() -> TestResult {
    let (_, doc) = resolve(
        json!({"href": "catalog.json", "include-controls": [{"with-ids": ["ac-2"], "with-child-controls": "yes"}],
               "exclude-controls": [{"with-ids": ["ac-2.2"]}]}),
        json!({"merge": {"as-is": true}}),
    )?;
    assert_eq!(ids(&doc), ["ac-2", "ac-2.1"]);
    Ok(())
}

#[test]
fn matching_uses_globs_and_flat_removes_groups_and_nesting() -> TestResult {
    let (_, doc) = resolve(
        json!({"href": "catalog.json", "include-controls": [{"matching": [{"pattern": "ac-2*"}]}]}),
        json!({}),
    )?;
    assert!(doc["catalog"].get("groups").is_none());
    let top: Vec<&str> = doc["catalog"]["controls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(top, ["ac-2", "ac-2.1", "ac-2.2"]);
    Ok(())
}

#[test]
fn use_first_keeps_the_first_of_duplicate_controls_and_keep_warns() -> TestResult {
    let dir = tempfile::tempdir()?;
    write(dir.path(), "catalog.json", &catalog());
    let import =
        json!({"href": "catalog.json", "include-controls": [{"with-ids": ["ac-1", "au-1"]}]});
    let mut p = profile(
        import.clone(),
        json!({"merge": {"combine": {"method": "use-first"}, "as-is": true}}),
    );
    p["profile"]["imports"]
        .as_array_mut()
        .ok_or("imports")?
        .push(import);
    let path = write(dir.path(), "profile.json", &p);
    let r = resolve_profile_file(&path, &ResolveOptions::default())?;
    assert_eq!(ids(&r.to_document()), ["ac-1", "au-1"]);

    p["profile"]["merge"] = json!({"as-is": true});
    let path = write(dir.path(), "profile.json", &p);
    let r = resolve_profile_file(&path, &ResolveOptions::default())?;
    assert_eq!(ids(&r.to_document()), ["ac-1", "ac-1", "au-1", "au-1"]);
    assert!(r.warnings.contains(&Warning::DuplicateControl {
        control_id: "ac-1".into()
    }));
    Ok(())
}

#[test]
fn custom_structure_places_selected_controls_in_profile_groups() -> TestResult {
    let (_, doc) = resolve(
        json!({"href": "catalog.json", "include-all": {}}),
        json!({"merge": {"custom": {"groups": [{"id": "mine", "title": "Mine", "insert-controls": [
            {"order": "descending", "include-controls": [{"with-ids": ["ac-1", "au-1"]}]}]}]}}}),
    )?;
    let g = &doc["catalog"]["groups"][0];
    assert_eq!(g["id"], "mine");
    let got: Vec<&str> = g["controls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(got, ["au-1", "ac-1"]);
    Ok(())
}

#[test]
fn set_parameters_reach_params_by_alias_ids_and_unknown_ids_are_reported() -> TestResult {
    let (r, doc) = resolve(
        json!({"href": "catalog.json", "include-controls": [{"with-ids": ["ac-1", "ac-2"]}]}),
        json!({"merge": {"as-is": true}, "modify": {"set-parameters": [
            {"param-id": "ac-01_odp.01", "values": ["the CISO"]},
            {"param-id": "ac-02_odp.01", "constraints": [{"description": "at least annually"}]},
            {"param-id": "zz-9_prm_1", "label": "nowhere"}]}}),
    )?;
    let ac1 = &doc["catalog"]["groups"][0]["controls"][0];
    assert_eq!(ac1["params"][0]["values"], json!(["the CISO"]));
    let ac2 = &doc["catalog"]["groups"][0]["controls"][1];
    assert_eq!(
        ac2["params"][0]["constraints"][0]["description"],
        "at least annually"
    );
    assert_eq!(r.unresolved_parameters(), ["zz-9_prm_1"]);
    assert_eq!(r.aliases_used.len(), 2);
    Ok(())
}

#[test]
fn alters_remove_then_add_at_every_position() -> TestResult {
    let (r, doc) = resolve(
        json!({"href": "catalog.json", "include-controls": [{"with-ids": ["ac-1"]}]}),
        json!({"modify": {"alters": [{"control-id": "ac-1",
            "removes": [{"by-name": "guidance"}, {"by-item-name": "link"}],
            "adds": [
                {"position": "starting", "props": [{"name": "first", "value": "1"}]},
                {"position": "before", "by-id": "ac-1_smt.b", "parts": [{"name": "item", "id": "ac-1_smt.a2", "prose": "a2"}]},
                {"position": "after", "by-id": "ac-1_smt.b", "parts": [{"name": "item", "id": "ac-1_smt.c", "prose": "c"}]},
                {"position": "starting", "by-id": "ac-1_smt", "props": [{"name": "p", "value": "v"}]},
                {"position": "ending", "by-id": "ac-1_prm_1", "props": [{"name": "q", "value": "w"}]},
                {"by-id": "no-such-part", "props": [{"name": "x", "value": "y"}]}]}]}}),
    )?;
    let c = &doc["catalog"]["controls"][0];
    assert_eq!(c["props"][0]["name"], "first");
    assert!(c.get("links").is_none());
    let parts: Vec<&str> = c["parts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(parts, ["ac-1_smt"]);
    let items: Vec<&str> = c["parts"][0]["parts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(
        items,
        ["ac-1_smt.a", "ac-1_smt.a2", "ac-1_smt.b", "ac-1_smt.c"]
    );
    assert_eq!(c["parts"][0]["props"][0]["name"], "p");
    assert_eq!(c["params"][0]["props"][1]["name"], "q");
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        matches!(&r.warnings[0], Warning::InoperativeAdd { by_id, .. } if by_id == "no-such-part")
    );
    Ok(())
}

#[test]
fn back_matter_keeps_only_referenced_resources_and_metadata_links_the_profile() -> TestResult {
    let (_, doc) = resolve(
        json!({"href": "catalog.json", "include-controls": [{"with-ids": ["ac-1"]}]}),
        json!({}),
    )?;
    let res: Vec<&str> = doc["catalog"]["back-matter"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["uuid"].as_str())
        .collect();
    assert_eq!(res, ["22222222-2222-4222-8222-222222222222"]);
    let md = &doc["catalog"]["metadata"];
    assert_eq!(md["oscal-version"], "1.1.2", "newest of the inputs");
    assert!(
        md["links"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|l| l["rel"] == "source-profile")
    );
    Ok(())
}

#[test]
fn profiles_import_profiles_and_xml_hrefs_use_the_json_beside_them() -> TestResult {
    let dir = tempfile::tempdir()?;
    write(dir.path(), "catalog.json", &catalog());
    write(
        dir.path(),
        "inner.json",
        &profile(
            json!({"href": "catalog.xml", "include-controls": [{"with-ids": ["ac-1", "ac-2"]}]}),
            json!({}),
        ),
    );
    let outer = write(
        dir.path(),
        "outer.json",
        &profile(
            json!({"href": "inner.json", "include-controls": [{"with-ids": ["ac-2"]}]}),
            json!({}),
        ),
    );
    let r = resolve_profile_file(&outer, &ResolveOptions::default())?;
    assert_eq!(ids(&r.to_document()), ["ac-2"]);
    Ok(())
}

#[test]
fn fields_oscal_does_not_define_are_reported_not_silently_ignored() -> TestResult {
    let (r, _) = resolve(
        json!({"href": "catalog.json", "include-controls": [{"with-ids": ["ac-1"]}]}),
        json!({"modify": {"set_parameters": [{"param_id": "ac-1_prm_1", "values": ["x"]}]}}),
    )?;
    assert_eq!(
        r.warnings,
        [Warning::IgnoredField {
            field: "set_parameters".into(),
            pointer: "/profile/modify".into()
        }]
    );
    Ok(())
}

// ---- malformed input: errors name the document and a JSON pointer ----------------------------------------

fn error_of(
    files: &[(&str, Value)],
    start: &str,
) -> Result<OscalError, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    for (name, v) in files {
        write(dir.path(), name, v);
    }
    match resolve_profile_file(&dir.path().join(start), &ResolveOptions::default()) {
        Ok(_) => Err("resolved but must fail".into()),
        Err(e) => Ok(e),
    }
}

#[test]
fn wrong_root_is_an_error_naming_the_document() -> TestResult {
    let e = error_of(&[("p.json", catalog())], "p.json")?;
    assert!(matches!(e, OscalError::WrongRoot { .. }), "{e}");
    assert!(e.document().ends_with("p.json"));
    Ok(())
}

#[test]
fn missing_required_field_points_at_the_object() -> TestResult {
    let mut c = catalog();
    if let Some(m) = c["catalog"]["groups"][1]["controls"][0].as_object_mut() {
        m.remove("title");
    }
    let p = profile(
        json!({"href": "catalog.json", "include-all": {}}),
        json!({}),
    );
    let e = error_of(&[("catalog.json", c), ("p.json", p)], "p.json")?;
    assert!(e.document().ends_with("catalog.json"), "{e}");
    assert_eq!(e.pointer(), "/catalog/groups/1/controls/0", "{e}");
    Ok(())
}

#[test]
fn a_missing_catalog_is_an_import_error_at_the_import() -> TestResult {
    let p = profile(
        json!({"href": "nowhere.json", "include-all": {}}),
        json!({}),
    );
    let e = error_of(&[("p.json", p)], "p.json")?;
    assert!(matches!(e, OscalError::Import { .. }), "{e}");
    assert_eq!(e.pointer(), "/profile/imports/0/href");
    Ok(())
}

#[test]
fn a_dangling_back_matter_import_is_an_error() -> TestResult {
    let p = profile(
        json!({"href": "#55555555-5555-4555-8555-555555555555", "include-all": {}}),
        json!({}),
    );
    let e = error_of(&[("p.json", p)], "p.json")?;
    assert!(e.to_string().contains("no back-matter resource"), "{e}");
    assert_eq!(e.pointer(), "/profile/imports/0/href");
    Ok(())
}

#[test]
fn a_circular_import_is_an_error() -> TestResult {
    let a = profile(json!({"href": "b.json", "include-all": {}}), json!({}));
    let b = profile(json!({"href": "a.json", "include-all": {}}), json!({}));
    let e = error_of(&[("a.json", a), ("b.json", b)], "a.json")?;
    let OscalError::CircularImport { chain, .. } = &e else {
        return Err(format!("not circular: {e}").into());
    };
    assert_eq!(chain.len(), 3);
    assert!(e.document().ends_with("b.json"));
    Ok(())
}

#[test]
fn two_structuring_directives_are_an_error() -> TestResult {
    let c = catalog();
    let p = profile(
        json!({"href": "catalog.json", "include-all": {}}),
        json!({"merge": {"flat": {}, "as-is": true}}),
    );
    let e = error_of(&[("catalog.json", c), ("p.json", p)], "p.json")?;
    assert_eq!(e.pointer(), "/profile/merge");
    Ok(())
}
