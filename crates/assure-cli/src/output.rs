//! Output of every command: `--format` chooses table, json or csv; `-o/--output` a file instead of stdout.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::Failure;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// `--format` and `-o`, flattened into each command that prints.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Rows for table and CSV output: a header and string cells.
pub struct Rows {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

impl OutputArgs {
    /// Prints `value` as JSON, or `rows` as a table or CSV.
    pub fn emit<T: Serialize + ?Sized>(
        &self,
        value: &T,
        rows: impl FnOnce() -> Rows,
    ) -> Result<(), Failure> {
        let text = match self.format {
            Format::Json => {
                let mut s = serde_json::to_string_pretty(value).map_err(anyhow::Error::from)?;
                s.push('\n');
                s
            }
            Format::Csv => {
                let rows = rows();
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record(&rows.header).map_err(anyhow::Error::from)?;
                for r in &rows.rows {
                    w.write_record(r).map_err(anyhow::Error::from)?;
                }
                let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Format::Table => {
                let rows = rows();
                let mut table = comfy_table::Table::new();
                table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
                table.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
                table.set_header(rows.header);
                for r in rows.rows {
                    table.add_row(r);
                }
                format!("{table}\n")
            }
        };
        self.write(&text)
    }

    /// Writes text to the output file or stdout.
    pub fn write(&self, text: &str) -> Result<(), Failure> {
        match &self.output {
            Some(path) => std::fs::write(path, text)
                .map_err(|e| Failure::Input(format!("cannot write {}: {e}", path.display()))),
            None => {
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes())
                    .map_err(anyhow::Error::from)?;
                Ok(())
            }
        }
    }
}
