//! NIST's profile-resolution specification examples (`profile-resolution-examples/`, XML): each profile resolved
//! must equal its `output-expected/*_RESOLVED.xml` as JSON (read through the crate's XML reader), ignoring the
//! uuid, last-modified and the resolution link/tool; the broken and circular cases must fail with the error
//! the specification asks for.

mod common;

use std::path::Path;

use assure_oscal::{OscalError, ResolveOptions, resolve_profile_file};

/// Examples whose expected output we reproduce.
const RESOLVED: &[&str] = &[
    "base-test",
    "base2-test",
    "exclude-call-test",
    "full-test",
    "import-twice",
    "include-all-no-children-test",
    "include-all-test",
    "include-call-with-children-test",
    "include-loose-param-test",
    "include-match-test",
    "merge-implicit-keep",
    "merge-keep-resources",
    "merge-keep",
    "modify-adds",
    "without-parent",
];

/// Examples whose `_RESOLVED.xml` is an empty catalog but which the specification says must fail: the import is
/// missing (`broken`) or circular (`circular`, `home`). We hold them to the specification.
const FAILING: &[(&str, &str)] = &[
    ("broken", "import"),
    ("circular", "circular"),
    ("home", "circular"),
];

fn expected_output(
    dir: &Path,
    name: &str,
) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let path = dir
        .join("output-expected")
        .join(format!("{name}_profile_RESOLVED.xml"));
    Ok(assure_oscal::document::read_value(&path)?)
}

#[test]
fn every_example_is_covered() -> Result<(), Box<dyn std::error::Error>> {
    let Some(data) = common::shared_data() else {
        return Ok(());
    };
    let dir = data.join("oscal-profile-resolution-tests/profile-resolution-examples");
    for entry in std::fs::read_dir(&dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix("_profile.xml") {
            assert!(
                RESOLVED.contains(&stem) || FAILING.iter().any(|(f, _)| *f == stem),
                "example {stem} is not in the test lists"
            );
        }
    }
    Ok(())
}

#[test]
fn examples_resolve_to_the_expected_catalogs() -> Result<(), Box<dyn std::error::Error>> {
    let Some(data) = common::shared_data() else {
        return Ok(());
    };
    let dir = data.join("oscal-profile-resolution-tests/profile-resolution-examples");
    let mut failures = Vec::new();
    for name in RESOLVED {
        let profile = dir.join(format!("{name}_profile.xml"));
        let ours = match resolve_profile_file(&profile, &ResolveOptions::default()) {
            Ok(r) => common::normalise(r.to_document()),
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let expected = common::normalise(expected_output(&dir, name)?);
        if let Some(diff) = common::first_difference(&ours, &expected, "") {
            failures.push(format!("{name}: {diff}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

#[test]
fn broken_and_circular_examples_fail_as_the_specification_requires()
-> Result<(), Box<dyn std::error::Error>> {
    let Some(data) = common::shared_data() else {
        return Ok(());
    };
    let dir = data.join("oscal-profile-resolution-tests/profile-resolution-examples");
    for (name, kind) in FAILING {
        let profile = dir.join(format!("{name}_profile.xml"));
        let err = match resolve_profile_file(&profile, &ResolveOptions::default()) {
            Ok(_) => panic!("{name} resolved but must fail"),
            Err(e) => e,
        };
        match (*kind, &err) {
            ("import", OscalError::Import { pointer, .. }) => {
                assert_eq!(pointer, "/profile/imports/0/href")
            }
            ("circular", OscalError::CircularImport { pointer, chain, .. }) => {
                assert_eq!(pointer, "/profile/imports/0/href");
                assert_eq!(chain.len(), 3, "{err}");
            }
            _ => panic!("{name}: unexpected error {err}"),
        }
        assert!(err.document().ends_with(".xml"), "{err}");
    }
    Ok(())
}
