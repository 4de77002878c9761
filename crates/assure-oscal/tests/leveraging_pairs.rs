//! The leveraged/leveraging SSP pairs published by NIST (oscal-content examples) and compliance-trestle
//! (its test data) through the leveraging check: trestle's pair is consistent but for one responsibility
//! its leveraging plan leaves open; NIST's pair cites a `provided` item where a `responsibility-uuid` is
//! due, once, and the check must say so.

mod common;

use assure_oscal::document::read_value;
use assure_oscal::leveraging::check_leveraging;
use assure_oscal::validate::Severity;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn trestles_pair_passes_with_one_open_responsibility() -> TestResult {
    let Some(data) = common::shared_data() else {
        return Ok(());
    };
    let leveraged = read_value(&data.join("trestle-fixtures/leveraged_ssp.json"))?;
    let leveraging = read_value(&data.join("trestle-fixtures/leveraging_ssp.json"))?;
    let (findings, citations) = check_leveraging(&leveraged, &leveraging);
    assert!(
        findings.iter().all(|f| f.severity == Severity::Warning),
        "{findings:?}"
    );
    assert_eq!(citations.satisfied, 1);
    assert_eq!(citations.responsibilities_exported, 2);
    assert_eq!(citations.responsibilities_unsatisfied, 1);
    Ok(())
}

#[test]
fn nists_pair_has_one_satisfied_item_citing_a_provided_capability() -> TestResult {
    let Some(data) = common::shared_data() else {
        return Ok(());
    };
    let leveraged = read_value(&data.join("oscal-examples/oscal_leveraged-example_ssp.json"))?;
    let leveraging = read_value(&data.join("oscal-examples/oscal_leveraging-example_ssp.json"))?;
    let (findings, citations) = check_leveraging(&leveraged, &leveraging);
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{findings:?}");
    assert!(
        errors[0]
            .message
            .contains("11111111-0000-4000-9009-002001001001 names a provided capability"),
        "{errors:?}"
    );
    assert!(
        errors[0]
            .pointer
            .ends_with("/satisfied/0/responsibility-uuid")
    );
    assert_eq!((citations.inherited, citations.satisfied), (1, 2));
    Ok(())
}
