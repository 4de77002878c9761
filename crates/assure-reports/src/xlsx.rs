//! Workbooks: the matrix (summary sheet plus one sheet per framework) and the Statement of Applicability
//! (with the CUECs). Every sheet has a frozen, bold header row, an autofilter and column widths fitted to
//! the content (capped, with wrapped text) so it reads without resizing.

use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet};

use crate::tables::{self, Table};
use crate::{MatrixReport, ReportError};

/// Widest a column gets, in characters; longer text wraps.
const MAX_WIDTH: usize = 60;

fn write_sheet(sheet: &mut Worksheet, table: &Table) -> Result<(), ReportError> {
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    sheet.set_name(&table.name)?;
    for (c, h) in table.header.iter().enumerate() {
        let col = u16::try_from(c).unwrap_or(u16::MAX);
        sheet.write_string_with_format(0, col, *h, &bold)?;
        let widest = table
            .rows
            .iter()
            .filter_map(|r| r.get(c))
            .flat_map(|cell| cell.lines())
            .map(|l| l.chars().count())
            .chain([h.len()])
            .max()
            .unwrap_or(10);
        #[allow(clippy::cast_precision_loss)] // widths are small
        sheet.set_column_width(col, (widest.clamp(8, MAX_WIDTH) + 2) as f64)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let row_no = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, cell) in row.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            sheet.write_string_with_format(row_no, col, cell, &wrap)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    let last_row = u32::try_from(table.rows.len()).unwrap_or(u32::MAX);
    let last_col = u16::try_from(table.header.len().saturating_sub(1)).unwrap_or(0);
    sheet.autofilter(0, 0, last_row, last_col)?;
    Ok(())
}

fn workbook(tables: &[Table]) -> Result<Vec<u8>, ReportError> {
    let mut book = Workbook::new();
    for t in tables {
        write_sheet(book.add_worksheet(), t)?;
    }
    Ok(book.save_to_buffer()?)
}

/// The matrix workbook: the summary sheet (the same rows as the matrix CSV), then one sheet per framework.
pub fn matrix_xlsx(report: &MatrixReport) -> Result<Vec<u8>, ReportError> {
    let mut sheets = vec![tables::matrix_table(&report.matrix)];
    sheets.extend(report.frameworks.iter().map(tables::framework_table));
    workbook(&sheets)
}

/// The SoA workbook: the Statement of Applicability, then the complementary user entity controls.
pub fn soa_xlsx(report: &MatrixReport) -> Result<Vec<u8>, ReportError> {
    let soa = report
        .soa
        .as_deref()
        .ok_or(ReportError::MissingFramework(assure_domain::soa::ISO_27001))?;
    workbook(&[
        tables::soa_table(soa),
        tables::cuec_table(&report.complementary_controls),
    ])
}
