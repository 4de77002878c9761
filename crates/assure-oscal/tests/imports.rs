//! Imports into neutral types: OSCAL catalogs, CSV/XLSX frameworks with a column mapping, OSCAL mapping
//! collections and CSV crosswalks. Spreadsheet imports list every row error and produce nothing unless valid.

mod common;
mod support;

use std::collections::HashMap;

use assure_oscal::import::{CatalogImportOptions, RequirementKind, import_catalog_file};
use assure_oscal::mapping::{
    CrosswalkOptions, MappingImportError, MappingImportOptions, Relationship, import_crosswalk,
    import_mapping_collection,
};
use assure_oscal::tabular::{
    ColumnMapping, TableError, TableImportOptions, import_framework_table,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn ccm_options() -> TableImportOptions {
    TableImportOptions {
        framework_id: "csa-ccm-4".into(),
        name: "CSA Cloud Controls Matrix".into(),
        version: "4.0.12".into(),
        publisher: Some("Cloud Security Alliance".into()),
        columns: ColumnMapping {
            id: "Control ID".into(),
            title: "Control Title".into(),
            parent: Some("Domain".into()),
            text: Some("Specification".into()),
            kind: Some("Kind".into()),
        },
        ..TableImportOptions::default()
    }
}

#[test]
fn csv_framework_imports_with_a_column_mapping() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("ccm.csv");
    std::fs::write(
        &path,
        "Domain,Control ID,Control Title,Specification,Kind\n\
         ,IAM,Identity & Access Management,,group\n\
         IAM,IAM-01,Policy and Procedures,\"Establish, document, approve...\",\n\
         IAM,IAM-02,Strong Password Policy,,requirement\n",
    )?;
    let fw = import_framework_table(&path, &ccm_options())?;
    assert_eq!(fw.id, "csa-ccm-4");
    let got: Vec<_> = fw
        .requirements
        .iter()
        .map(|r| (r.id.as_str(), r.parent.as_deref(), r.kind))
        .collect();
    assert_eq!(
        got,
        [
            ("IAM", None, RequirementKind::Group),
            ("IAM-01", Some("IAM"), RequirementKind::Requirement),
            ("IAM-02", Some("IAM"), RequirementKind::Requirement),
        ]
    );
    assert_eq!(
        fw.requirements[1].text.as_deref(),
        Some("Establish, document, approve...")
    );
    Ok(())
}

#[test]
fn every_row_error_is_listed_and_nothing_is_imported() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bad.csv");
    std::fs::write(
        &path,
        "Domain,Control ID,Control Title,Specification,Kind\n\
         ,IAM,Identity,,group\n\
         IAM,IAM-01,,,\n\
         IAM,IAM-01,Duplicate,,\n\
         XYZ,IAM-03,Unknown parent,,\n\
         IAM,IAM-04,Bad kind,,heading\n",
    )?;
    let Err(TableError::Rows { errors, .. }) = import_framework_table(&path, &ccm_options()) else {
        return Err("expected row errors".into());
    };
    let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
    assert_eq!(
        got,
        [
            (3, "Control Title"),
            (4, "Control ID"),
            (5, "Domain"),
            (6, "Kind")
        ],
        "{errors:?}"
    );
    Ok(())
}

#[test]
fn a_mapped_column_missing_from_the_header_is_named() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("cis.csv");
    std::fs::write(&path, "Safeguard,Title\n1.1,Inventory\n")?;
    let err = import_framework_table(&path, &ccm_options())
        .err()
        .ok_or("must fail")?;
    assert!(
        matches!(err, TableError::MissingColumn { ref column, .. } if column == "Control ID"),
        "{err}"
    );
    Ok(())
}

#[test]
fn xlsx_framework_imports_from_the_named_sheet_with_column_letters() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("cis.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("Controls")?;
    for (r, row) in [
        ["CIS Safeguard", "Title", "Parent"],
        ["1", "Inventory of Enterprise Assets", ""],
        ["1.1", "Establish inventory", "1"],
        ["6.10", "Centralize access control", ""],
    ]
    .iter()
    .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(u32::try_from(r)?, u16::try_from(c)?, *v)?;
        }
    }
    wb.save(&path)?;
    let options = TableImportOptions {
        framework_id: "cis-8.1".into(),
        name: "CIS Controls".into(),
        version: "8.1".into(),
        sheet: Some("Controls".into()),
        columns: ColumnMapping {
            id: "A".into(),
            title: "B".into(),
            parent: Some("Parent".into()),
            ..ColumnMapping::default()
        },
        ..TableImportOptions::default()
    };
    let fw = import_framework_table(&path, &options)?;
    let ids: Vec<&str> = fw.requirements.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["1", "1.1", "6.10"],
        "ids stored as text keep their trailing zero"
    );
    assert_eq!(fw.requirements[1].parent.as_deref(), Some("1"));
    Ok(())
}

#[test]
fn csv_crosswalk_becomes_typed_mappings_with_provenance() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("xwalk.csv");
    std::fs::write(
        &path,
        "source,target,relationship,rationale\nIAM-01,A.5.15,subset-of,covers access policy\nIAM-02,A.5.17,Intersects With,\n",
    )?;
    let options = CrosswalkOptions {
        target_framework: "iso27001-2022".into(),
        ..CrosswalkOptions::default()
    };
    let maps = import_crosswalk(&path, &options)?;
    assert_eq!(maps.len(), 2);
    assert_eq!(maps[0].relationship, Relationship::SubsetOf);
    assert_eq!(maps[0].rationale.as_deref(), Some("covers access policy"));
    assert_eq!(maps[1].relationship, Relationship::IntersectsWith);
    assert_eq!(maps[1].provenance.row, Some(3));
    assert_eq!(maps[1].target_framework, "iso27001-2022");
    Ok(())
}

#[test]
fn crosswalk_row_errors_are_all_listed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("xwalk.csv");
    std::fs::write(
        &path,
        "source,target,relationship\n,A.5.15,subset-of\nIAM-02,A.5.17,related\n",
    )?;
    let options = CrosswalkOptions {
        target_framework: "iso27001-2022".into(),
        ..CrosswalkOptions::default()
    };
    let Err(MappingImportError::Table(TableError::Rows { errors, .. })) =
        import_crosswalk(&path, &options)
    else {
        return Err("expected row errors".into());
    };
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!((errors[0].row, errors[1].row), (2, 3));
    Ok(())
}

#[test]
fn oscal_mapping_collections_import_with_provenance() -> TestResult {
    let Some(data) = common::shared_data() else {
        return Ok(());
    };
    let path = data.join("trestle-fixtures/mapping-collection-pci.json");
    let options = MappingImportOptions {
        frameworks: HashMap::from([(
            "catalogs/FedRAMP_rev5_HIGH/catalog.json".to_owned(),
            "fedramp-r5-high".to_owned(),
        )]),
    };
    let maps = import_mapping_collection(&path, &options)?;
    assert!(!maps.is_empty());
    let first = &maps[0];
    assert_eq!(first.source_control, "PCI-6.3.1");
    assert_eq!(first.target_framework, "fedramp-r5-high");
    assert_eq!(first.target_requirement, "ra-5");
    assert_eq!(first.target_statement.as_deref(), Some("ra-5_smt.a"));
    assert_eq!(first.relationship, Relationship::IntersectsWith);
    assert_eq!(first.provenance.format, "oscal-mapping-collection");
    assert!(first.provenance.map_uuid.is_some());
    Ok(())
}

#[test]
fn nist_catalog_imports_over_the_demo_subset_and_reports_what_it_lacks() -> TestResult {
    let Some(data) = common::shared_data() else {
        return Ok(());
    };
    let path = data.join("nist-800-53-rev5-v5.0.1/NIST_SP-800-53_rev5_catalog.json");
    let fw = import_catalog_file(&path, &CatalogImportOptions::default())?;
    assert_eq!(fw.id, "nist-800-53-r5");
    assert_eq!(fw.version, "5.0.1");
    assert_eq!(
        fw.requirements
            .iter()
            .filter(|r| r.kind == RequirementKind::Group)
            .count(),
        20
    );
    let ac21 = fw
        .requirements
        .iter()
        .find(|r| r.id == "ac-2.1")
        .ok_or("ac-2.1")?;
    assert_eq!(ac21.parent.as_deref(), Some("ac-2"));
    assert_eq!(ac21.label.as_deref(), Some("AC-2(1)"));
    assert_eq!(assure_oscal::ids::display_control_id(&ac21.id), "AC-2(1)");
    let ac1 = fw
        .requirements
        .iter()
        .find(|r| r.id == "ac-1")
        .ok_or("ac-1")?;
    assert!(
        ac1.text
            .as_deref()
            .is_some_and(|t| t.contains("[Assignment: organization-defined personnel or roles]"))
    );
    assert_eq!(
        fw.missing_requirements(["ac-2", "AC-2(1)", "sc-7.5", "xx-1"]),
        ["xx-1".to_owned()]
    );
    let original: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    let rebuilt = serde_json::to_value(fw.to_catalog().ok_or("rebuilds")?)?;
    assert_eq!(
        rebuilt, original["catalog"],
        "the import keeps everything needed to export the catalog again"
    );
    Ok(())
}

#[test]
fn csf_2_xml_catalog_with_a_v_prefixed_version_imports() -> TestResult {
    let Some(data) = common::shared_data() else {
        return Ok(());
    };
    let path = data.join("nist-csf-2.0/NIST_CSF_v2.0_catalog.xml");
    let fw = import_catalog_file(&path, &CatalogImportOptions::default())?;
    assert_eq!(fw.id, "nist-csf-2.0");
    let pr_aa_01 = fw
        .requirements
        .iter()
        .find(|r| r.id == "PR.AA-01")
        .ok_or("PR.AA-01")?;
    assert_eq!(pr_aa_01.parent.as_deref(), Some("PR.AA"));
    let pr_aa = fw
        .requirements
        .iter()
        .find(|r| r.id == "PR.AA")
        .ok_or("PR.AA")?;
    assert_eq!(pr_aa.parent.as_deref(), Some("PR"));
    assert_eq!(
        fw.requirements
            .iter()
            .filter(|r| r.kind == RequirementKind::Group)
            .count(),
        6
    );
    Ok(())
}
