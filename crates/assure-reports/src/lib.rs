//! Writers of a customer's responsibility matrix: CSV, XLSX (summary plus one sheet per framework), a
//! FedRAMP-style customer responsibility matrix (CRM), the ISO/IEC 27001 Statement of Applicability, and
//! OSCAL 1.2.1 exports (module [`oscal_export`], kept here until the OSCAL crate can take it).
//!
//! Architecture invariant: this crate turns domain values into bytes. It computes nothing of its own
//! (the matrix, framework views and SoA come from `assure_domain`) and performs no I/O beyond returning
//! buffers; callers decide where they go.

pub mod oscal_export;
pub mod questionnaire;
pub mod tables;
pub mod trust_pdf;
pub mod xlsx;

use assure_domain::FrameworkId;
use assure_domain::framework_view::{FrameworkView, framework_view};
use assure_domain::matrix::{Matrix, MatrixError, ResponsibilityModel};
use assure_domain::programme::Programme;
use assure_domain::soa::{
    Cuec, ISO_27001, SoaRow, complementary_controls, statement_of_applicability,
};
use assure_domain::tenant::Tenant;
use serde::Serialize;

/// Why a report cannot be produced.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Matrix(#[from] MatrixError),
    #[error("unknown framework {0}: see `assure frameworks list`")]
    UnknownFramework(FrameworkId),
    #[error("the programme has no framework {0}, which this export needs")]
    MissingFramework(&'static str),
    #[error("cannot write the spreadsheet: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// Everything the exports show for one customer.
#[derive(Clone, Debug, Serialize)]
pub struct MatrixReport {
    pub matrix: Matrix,
    /// One view per framework asked for, in the order asked.
    pub frameworks: Vec<FrameworkView>,
    /// ISO/IEC 27001 Statement of Applicability, when the programme holds ISO/IEC 27001.
    pub soa: Option<Vec<SoaRow>>,
    pub complementary_controls: Vec<Cuec>,
}

impl MatrixReport {
    /// The table that csv and terminal output show: the framework's view when one framework was asked
    /// for, else the matrix itself.
    pub fn primary_table(&self, framework_asked: bool) -> tables::Table {
        match self.frameworks.first() {
            Some(view) if framework_asked => tables::framework_table(view),
            _ => tables::matrix_table(&self.matrix),
        }
    }

    /// The FedRAMP-style CRM as CSV, through the programme's NIST SP 800-53 view of the matrix.
    pub fn crm_csv(&self, programme: &Programme) -> Result<Vec<u8>, ReportError> {
        let nist = view_of(programme, &self.matrix, &oscal_export::NIST_800_53.into());
        to_csv(&tables::crm_table(&nist, &self.matrix))
    }
}

/// The frameworks a report covers: the one asked for, or else the tenant's frameworks of interest.
pub fn frameworks_for(
    programme: &Programme,
    tenant: &Tenant,
    asked: Option<&FrameworkId>,
) -> Result<Vec<FrameworkId>, ReportError> {
    match asked {
        Some(f) if programme.frameworks.iter().any(|x| &x.id == f) => Ok(vec![f.clone()]),
        Some(f) => Err(ReportError::UnknownFramework(f.clone())),
        None => Ok(tenant.frameworks.clone()),
    }
}

/// One framework's view of a matrix.
pub fn view_of(programme: &Programme, matrix: &Matrix, framework: &FrameworkId) -> FrameworkView {
    framework_view(
        matrix,
        framework,
        &programme.requirements,
        &programme.mappings,
    )
}

/// Computes a tenant's matrix, its views of `frameworks`, SoA and CUECs.
pub fn report(
    programme: &Programme,
    tenant: &Tenant,
    frameworks: &[FrameworkId],
) -> Result<MatrixReport, ReportError> {
    let matrix = ResponsibilityModel::new(programme)?.matrix(tenant)?;
    let iso = FrameworkId::from(ISO_27001);
    let soa = programme
        .frameworks
        .iter()
        .any(|f| f.id == iso)
        .then(|| statement_of_applicability(&view_of(programme, &matrix, &iso)));
    Ok(MatrixReport {
        frameworks: frameworks
            .iter()
            .map(|f| view_of(programme, &matrix, f))
            .collect(),
        soa,
        complementary_controls: complementary_controls(&matrix),
        matrix,
    })
}

/// Writes a table as CSV (header first).
pub fn to_csv(table: &tables::Table) -> Result<Vec<u8>, ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&table.header)?;
    for r in &table.rows {
        w.write_record(r)?;
    }
    w.into_inner()
        .map_err(|e| ReportError::Csv(e.into_error().into()))
}
