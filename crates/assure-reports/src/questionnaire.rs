//! The questionnaire's sheets as files: CSV and XLSX to answer offline, read back into a [`Sheet`] for
//! `assure_domain::questionnaire::read_sheet` to check. Also the CAIQ export's sheet.

use std::io::Cursor;

use assure_domain::questionnaire::Sheet;
use rust_xlsxwriter::{Format, Workbook};

use crate::ReportError;

/// A file format of a sheet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SheetFormat {
    Csv,
    Xlsx,
}

impl SheetFormat {
    /// From a file name's extension: `.xlsx` is XLSX, anything else CSV.
    pub fn of_file_name(name: &str) -> Self {
        if name.to_ascii_lowercase().ends_with(".xlsx") {
            Self::Xlsx
        } else {
            Self::Csv
        }
    }
}

/// Why a sheet file cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the sheet: {0}")]
pub struct SheetReadError(pub String);

/// A sheet as CSV bytes.
pub fn sheet_csv(sheet: &Sheet) -> Result<Vec<u8>, ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&sheet.header)?;
    for row in &sheet.rows {
        w.write_record(row)?;
    }
    w.into_inner()
        .map_err(|e| ReportError::Csv(csv::Error::from(e.into_error())))
}

/// A sheet as an XLSX workbook of one worksheet named `name`, header in bold.
pub fn sheet_xlsx(sheet: &Sheet, name: &str) -> Result<Vec<u8>, ReportError> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(name)?;
    let bold = Format::new().set_bold();
    for (c, h) in sheet.header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)?;
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string((r + 1) as u32, c as u16, v)?;
        }
    }
    Ok(book.save_to_buffer()?)
}

/// A sheet in `format`.
pub fn sheet_bytes(sheet: &Sheet, format: SheetFormat, name: &str) -> Result<Vec<u8>, ReportError> {
    match format {
        SheetFormat::Csv => sheet_csv(sheet),
        SheetFormat::Xlsx => sheet_xlsx(sheet, name),
    }
}

/// Reads the first worksheet of an XLSX file, or a CSV file, into a sheet (the first row is the header).
pub fn read_sheet_bytes(bytes: &[u8], format: SheetFormat) -> Result<Sheet, SheetReadError> {
    let mut all: Vec<Vec<String>> = match format {
        SheetFormat::Xlsx => {
            use calamine::Reader;
            let mut wb = calamine::Xlsx::new(Cursor::new(bytes))
                .map_err(|e| SheetReadError(e.to_string()))?;
            let name = wb
                .sheet_names()
                .first()
                .cloned()
                .ok_or_else(|| SheetReadError("the workbook has no sheet".to_owned()))?;
            let range = wb
                .worksheet_range(&name)
                .map_err(|e| SheetReadError(format!("sheet `{name}`: {e}")))?;
            range
                .rows()
                .map(|r| r.iter().map(ToString::to_string).collect())
                .collect()
        }
        SheetFormat::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(bytes);
            let mut out = Vec::new();
            for rec in reader.records() {
                let rec = rec.map_err(|e| SheetReadError(e.to_string()))?;
                out.push(rec.iter().map(str::to_owned).collect());
            }
            out
        }
    };
    if all.is_empty() {
        return Err(SheetReadError("the file is empty".to_owned()));
    }
    let header = all.remove(0);
    Ok(Sheet { header, rows: all })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet() -> Sheet {
        Sheet {
            header: vec!["control".into(), "answer".into()],
            rows: vec![
                vec!["IAM-01".into(), "yes".into()],
                vec!["CRY-01".into(), "partial, see \"notes\"".into()],
            ],
        }
    }

    #[test]
    fn csv_and_xlsx_round_trip() {
        for format in [SheetFormat::Csv, SheetFormat::Xlsx] {
            let bytes = sheet_bytes(&sheet(), format, "Questionnaire").expect("writes");
            let back = read_sheet_bytes(&bytes, format).expect("reads");
            assert_eq!(back, sheet(), "{format:?}");
        }
        assert_eq!(SheetFormat::of_file_name("a.XLSX"), SheetFormat::Xlsx);
        assert_eq!(SheetFormat::of_file_name("a.csv"), SheetFormat::Csv);
        assert!(read_sheet_bytes(b"", SheetFormat::Csv).is_err());
        assert!(read_sheet_bytes(b"not a zip", SheetFormat::Xlsx).is_err());
    }
}
