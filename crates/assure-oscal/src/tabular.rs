//! Frameworks from spreadsheets: users who hold copyrighted catalogues (CSA CCM / CAIQ, CIS Controls, ISO/IEC
//! 27001) import their own CSV or XLSX file with a column mapping. The file stays theirs; Assure ships none.
//!
//! Every row error is listed (row, column, what), and nothing is produced unless the whole file is valid.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::import::{ImportedFramework, ImportedRequirement, RequirementKind};

/// A problem in one cell or row (rows numbered as a spreadsheet shows them, header = 1 by default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "row {}, column {}: {}",
            self.row, self.column, self.message
        )
    }
}

/// Why a table could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The file cannot be opened or parsed as CSV/XLSX.
    #[error("{file}: cannot read: {message}")]
    Unreadable { file: String, message: String },
    /// A mapped column is not in the header row.
    #[error("{file}: no column `{column}` in the header row (found: {found})")]
    MissingColumn {
        file: String,
        column: String,
        found: String,
    },
    /// Rows with errors; nothing was imported.
    #[error("{file}: {} row error(s), nothing imported:\n{}", errors.len(), errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Rows { file: String, errors: Vec<RowError> },
}

/// A sheet read as text: header cells and data rows (with their spreadsheet row numbers).
#[derive(Debug, Clone)]
pub struct Table {
    pub file: String,
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// Reads a CSV file, or the sheet `sheet` (default: the first) of an XLSX/XLS/ODS file; `header_row` is
    /// 1-based.
    pub fn read(path: &Path, sheet: Option<&str>, header_row: usize) -> Result<Self, TableError> {
        let file = path.display().to_string();
        let unreadable = |message: String| TableError::Unreadable {
            file: file.clone(),
            message,
        };
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let all: Vec<Vec<String>> =
            if matches!(ext.as_str(), "xlsx" | "xlsm" | "xls" | "xlsb" | "ods") {
                use calamine::Reader;
                let mut wb =
                    calamine::open_workbook_auto(path).map_err(|e| unreadable(e.to_string()))?;
                let name = match sheet {
                    Some(s) => s.to_owned(),
                    None => wb
                        .sheet_names()
                        .first()
                        .cloned()
                        .ok_or_else(|| unreadable("the workbook has no sheet".into()))?,
                };
                let range = wb
                    .worksheet_range(&name)
                    .map_err(|e| unreadable(format!("sheet `{name}`: {e}")))?;
                range
                    .rows()
                    .map(|r| {
                        r.iter()
                            .map(|c| match c {
                                calamine::Data::Error(e) => format!("#ERROR {e}"),
                                other => other.to_string(),
                            })
                            .collect()
                    })
                    .collect()
            } else {
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_path(path)
                    .map_err(|e| unreadable(e.to_string()))?;
                let mut out = Vec::new();
                for rec in reader.records() {
                    let rec = rec.map_err(|e| unreadable(e.to_string()))?;
                    out.push(rec.iter().map(str::to_owned).collect());
                }
                out
            };
        let skip = header_row.max(1) - 1;
        let mut it = all.into_iter().enumerate().skip(skip);
        let header = it
            .next()
            .map(|(_, h)| h.into_iter().map(|c| c.trim().to_owned()).collect())
            .ok_or_else(|| unreadable(format!("no header row {header_row}")))?;
        let rows = it
            .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
            .map(|(i, r)| (i + 1, r))
            .collect();
        Ok(Self { file, header, rows })
    }

    /// The index of a column named by its header (case-insensitive) or by its letter (`A`, `AB`).
    pub fn column(&self, name: &str) -> Result<usize, TableError> {
        let wanted = name.trim();
        if let Some(i) = self
            .header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(wanted))
        {
            return Ok(i);
        }
        if !wanted.is_empty() && wanted.len() <= 3 && wanted.chars().all(|c| c.is_ascii_uppercase())
        {
            let n = wanted
                .chars()
                .fold(0usize, |acc, c| acc * 26 + (c as usize - 'A' as usize + 1));
            return Ok(n - 1);
        }
        Err(TableError::MissingColumn {
            file: self.file.clone(),
            column: wanted.to_owned(),
            found: self.header.join(", "),
        })
    }

    /// The trimmed cell of a row, empty when the row is short.
    pub fn cell(row: &[String], index: usize) -> &str {
        row.get(index).map(|s| s.trim()).unwrap_or("")
    }
}

/// Which columns hold what; each names a header or a column letter.
#[derive(Debug, Clone, Default)]
pub struct ColumnMapping {
    pub id: String,
    pub title: String,
    pub parent: Option<String>,
    pub text: Option<String>,
    /// A column whose value is `group` or `requirement` (empty means requirement).
    pub kind: Option<String>,
}

/// A spreadsheet framework import.
#[derive(Debug, Clone, Default)]
pub struct TableImportOptions {
    pub framework_id: String,
    pub name: String,
    pub version: String,
    pub publisher: Option<String>,
    pub columns: ColumnMapping,
    /// XLSX sheet name; the first sheet when `None`.
    pub sheet: Option<String>,
    /// 1-based header row; 0 or 1 means the first row.
    pub header_row: usize,
}

/// Imports a framework from CSV or XLSX. Ids must be unique, titles present, parents listed earlier.
pub fn import_framework_table(
    path: &Path,
    options: &TableImportOptions,
) -> Result<ImportedFramework, TableError> {
    let table = Table::read(path, options.sheet.as_deref(), options.header_row)?;
    let cols = &options.columns;
    let id_col = table.column(&cols.id)?;
    let title_col = table.column(&cols.title)?;
    let opt = |c: &Option<String>| c.as_deref().map(|n| table.column(n)).transpose();
    let parent_col = opt(&cols.parent)?;
    let text_col = opt(&cols.text)?;
    let kind_col = opt(&cols.kind)?;

    let mut errors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut requirements = Vec::new();
    for (row, cells) in &table.rows {
        let err = |column: &str, message: String| RowError {
            row: *row,
            column: column.to_owned(),
            message,
        };
        let id = Table::cell(cells, id_col);
        let title = Table::cell(cells, title_col);
        let mut row_ok = true;
        if id.is_empty() {
            errors.push(err(&cols.id, "id is empty".into()));
            row_ok = false;
        } else if let Some(first) = seen.get(id) {
            errors.push(err(
                &cols.id,
                format!("duplicate id `{id}` (first on row {first})"),
            ));
            row_ok = false;
        }
        if title.is_empty() {
            errors.push(err(&cols.title, "title is empty".into()));
            row_ok = false;
        }
        let parent = parent_col
            .map(|c| Table::cell(cells, c))
            .filter(|p| !p.is_empty());
        if let Some(p) = parent
            && !seen.contains_key(p)
        {
            let column = cols.parent.as_deref().unwrap_or_default();
            let message = if p == id {
                "a requirement cannot be its own parent".to_owned()
            } else {
                format!("parent `{p}` is not an id listed on an earlier row")
            };
            errors.push(err(column, message));
            row_ok = false;
        }
        let kind = match kind_col.map(|c| Table::cell(cells, c).to_lowercase()) {
            None => RequirementKind::Requirement,
            Some(k) if k.is_empty() || k == "requirement" => RequirementKind::Requirement,
            Some(k) if k == "group" => RequirementKind::Group,
            Some(k) => {
                errors.push(err(
                    cols.kind.as_deref().unwrap_or_default(),
                    format!("kind `{k}` is neither `group` nor `requirement`"),
                ));
                row_ok = false;
                RequirementKind::Requirement
            }
        };
        for (i, c) in cells.iter().enumerate() {
            if c.starts_with("#ERROR") {
                let column = table
                    .header
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| format!("{}", i + 1));
                errors.push(err(
                    &column,
                    format!("the cell holds a spreadsheet error ({c})"),
                ));
                row_ok = false;
            }
        }
        if !id.is_empty() {
            seen.entry(id.to_owned()).or_insert(*row);
        }
        if row_ok {
            requirements.push(ImportedRequirement {
                id: id.to_owned(),
                title: title.to_owned(),
                text: text_col
                    .map(|c| Table::cell(cells, c).to_owned())
                    .filter(|t| !t.is_empty()),
                parent: parent.map(str::to_owned),
                kind,
                label: None,
                withdrawn: false,
                params: Vec::new(),
                oscal: None,
            });
        }
    }
    if requirements.is_empty() && errors.is_empty() {
        errors.push(RowError {
            row: options.header_row.max(1) + 1,
            column: cols.id.clone(),
            message: "the sheet has no data rows".into(),
        });
    }
    if !errors.is_empty() {
        return Err(TableError::Rows {
            file: table.file,
            errors,
        });
    }
    Ok(ImportedFramework {
        id: options.framework_id.clone(),
        name: options.name.clone(),
        version: options.version.clone(),
        publisher: options.publisher.clone(),
        requirements,
        oscal: None,
    })
}
