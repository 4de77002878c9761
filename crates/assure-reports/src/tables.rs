//! The matrix, framework views, CRM, SoA and CUECs as plain tables: one shape for CSV, XLSX and the CLI's
//! table output, so every format shows the same rows.

use assure_domain::framework_view::FrameworkView;
use assure_domain::matrix::{Matrix, MatrixRow};
use assure_domain::responsibility::Step;
use assure_domain::soa::{Cuec, SoaRow};

/// A header and rows of text cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Sheet name in a workbook (at most 31 characters).
    pub name: String,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

fn join<T: AsRef<str>>(items: &[T], sep: &str) -> String {
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(sep)
}

/// One layer of an explanation chain in words.
fn step_in_words(step: &Step) -> String {
    match step {
        Step::ModelDefault {
            model,
            responsibility,
        } => format!("{} default: {}", model.label(), responsibility.as_str()),
        Step::ServiceEntry {
            responsibility,
            reason,
        } => format!("service entry: {} ({reason})", responsibility.as_str()),
        Step::OptionRule {
            option,
            responsibility,
            reason,
        } => format!("option {option}: {} ({reason})", responsibility.as_str()),
    }
}

/// The explanation of a row: per service, its chain of layers.
pub fn explanation(row: &MatrixRow) -> String {
    row.services
        .iter()
        .map(|c| {
            let chain: Vec<String> = c.chain.iter().map(step_in_words).collect();
            format!("{}: {}", c.service, chain.join(" -> "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The matrix, one row per baseline control.
pub fn matrix_table(matrix: &Matrix) -> Table {
    Table {
        name: "Matrix".into(),
        header: vec![
            "control",
            "domain",
            "title",
            "responsibility",
            "sphere",
            "per service",
            "provider part",
            "customer part",
            "data residency",
            "inherited evidence",
            "explanation",
        ],
        rows: matrix
            .rows
            .iter()
            .map(|r| {
                let per_service: Vec<String> = r
                    .services
                    .iter()
                    .map(|c| format!("{}={}", c.service, c.responsibility.as_str()))
                    .collect();
                vec![
                    r.control.to_string(),
                    r.domain.to_string(),
                    r.title.clone(),
                    r.responsibility.as_str().to_owned(),
                    r.sphere.label().to_owned(),
                    join(&per_service, "; "),
                    r.provider_part_in_words(),
                    r.customer_part_in_words(),
                    join(&r.residency, " "),
                    r.inherited
                        .as_ref()
                        .map(|i| i.href.clone())
                        .unwrap_or_default(),
                    explanation(r),
                ]
            })
            .collect(),
    }
}

/// Excel limits sheet names to 31 characters without `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    name.chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect()
}

/// One framework's view, one row per requirement (gaps included).
pub fn framework_table(view: &FrameworkView) -> Table {
    Table {
        name: sheet_name(view.framework.as_str()),
        header: vec![
            "requirement",
            "title",
            "coverage",
            "responsibility",
            "contributing controls",
        ],
        rows: view
            .rows
            .iter()
            .map(|r| {
                let contributors: Vec<String> = r
                    .contributors
                    .iter()
                    .map(|c| {
                        format!(
                            "{} ({}, {})",
                            c.control,
                            c.relationship.as_str(),
                            c.responsibility.as_str()
                        )
                    })
                    .collect();
                vec![
                    r.display_id.clone(),
                    r.title.clone(),
                    r.coverage.as_str().to_owned(),
                    r.responsibility_label().to_owned(),
                    join(&contributors, "; "),
                ]
            })
            .collect(),
    }
}

/// A customer responsibility matrix in FedRAMP's shape, by NIST SP 800-53 control: the controls the
/// baseline maps to (unmapped 800-53 controls are gaps of the framework view, not rows here).
pub fn crm_table(nist: &FrameworkView, matrix: &Matrix) -> Table {
    Table {
        name: "CRM".into(),
        header: vec![
            "control id",
            "baseline controls",
            "responsibility",
            "customer responsibility statement",
        ],
        rows: nist
            .rows
            .iter()
            .filter(|r| !r.is_gap())
            .map(|r| {
                let controls: Vec<&str> =
                    r.contributors.iter().map(|c| c.control.as_str()).collect();
                let statement: Vec<String> = r
                    .contributors
                    .iter()
                    .filter_map(|c| matrix.row(&c.control))
                    .map(MatrixRow::customer_part_in_words)
                    .filter(|s| !s.is_empty())
                    .collect();
                vec![
                    r.display_id.clone(),
                    controls.join(", "),
                    r.responsibility_label().to_owned(),
                    statement.join("\n"),
                ]
            })
            .collect(),
    }
}

/// The Statement of Applicability.
pub fn soa_table(soa: &[SoaRow]) -> Table {
    Table {
        name: "Statement of Applicability".into(),
        header: vec![
            "Annex A control",
            "title",
            "applicable",
            "justification",
            "implemented by",
            "baseline controls",
        ],
        rows: soa
            .iter()
            .map(|r| {
                vec![
                    r.requirement.to_string(),
                    r.title.clone(),
                    if r.applicable { "yes" } else { "no" }.to_owned(),
                    r.justification.clone(),
                    r.implemented_by
                        .map_or("customer (to decide)", |x| x.as_str())
                        .to_owned(),
                    join(&r.controls, ", "),
                ]
            })
            .collect(),
    }
}

/// Complementary user entity controls.
pub fn cuec_table(cuecs: &[Cuec]) -> Table {
    Table {
        name: "CUECs".into(),
        header: vec!["control", "title", "responsibility", "customer part"],
        rows: cuecs
            .iter()
            .map(|c| {
                vec![
                    c.control.to_string(),
                    c.title.clone(),
                    c.responsibility.as_str().to_owned(),
                    assure_domain::matrix::parts_in_words(&c.customer_parts),
                ]
            })
            .collect(),
    }
}
