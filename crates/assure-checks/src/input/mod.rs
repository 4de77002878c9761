//! Readers that turn each supported input into one [`Store`]. Every reader streams through serde with
//! borrowed keys into the node arena (no intermediate JSON document) and keeps only projected fields.

mod native;
mod records;
mod terraform;
mod tree;

use std::fmt;

use rayon::prelude::*;

use crate::projection::Projection;
use crate::store::{Builder, Interner, Store};

/// The input formats `assure check` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// `{"snapshot_time": ..., "resources": [{"id", "type", ...}]}`.
    Native,
    /// One resource object a line; an optional first line `{"snapshot_time": ...}`.
    Ndjson,
    /// `terraform show -json` output of a plan.
    TerraformPlan,
    /// Access-log records, one JSON object a line (or a JSON array).
    AccessLog,
    /// Key inventory records, one JSON object a line (or a JSON array).
    KeyRecords,
}

impl InputFormat {
    /// The format's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Native => "native",
            InputFormat::Ndjson => "ndjson",
            InputFormat::TerraformPlan => "terraform-plan",
            InputFormat::AccessLog => "access-log",
            InputFormat::KeyRecords => "key-records",
        }
    }

    /// Guesses the format from the file name and first bytes when the user did not say.
    pub fn detect(path: &str, bytes: &[u8]) -> InputFormat {
        if path.ends_with(".ndjson") || path.ends_with(".jsonl") {
            return InputFormat::Ndjson;
        }
        let head = &bytes[..bytes.len().min(4096)];
        let has = |s: &str| head.windows(s.len()).any(|w| w == s.as_bytes());
        if has("\"format_version\"") && (has("\"planned_values\"") || has("\"terraform_version\""))
        {
            InputFormat::TerraformPlan
        } else {
            InputFormat::Native
        }
    }
}

/// Where in the input an error is: a line and column (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// An input that could not be read: what and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InputError {
    /// Position of the problem, when known.
    pub at: Option<Position>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some(p) => write!(f, "line {}, column {}: {}", p.line, p.column, self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl InputError {
    /// From a serde_json error; `line_offset` shifts lines for JSON-lines inputs.
    pub(crate) fn json(e: &serde_json::Error, line_offset: usize) -> Self {
        let message = e.to_string();
        // serde_json appends " at line L column C"; keep the message without it.
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_string(),
            None => message,
        };
        let message = if e.is_eof() {
            format!("{message} (the input is truncated)")
        } else {
            message
        };
        InputError {
            at: (e.line() > 0).then(|| Position {
                line: e.line() + line_offset,
                column: e.column(),
            }),
            message,
        }
    }
}

/// Options for reading an input.
#[derive(Clone)]
pub struct ReadOptions<'a> {
    /// Fields to keep.
    pub projection: &'a Projection,
    /// Overrides the snapshot time (nanoseconds since the epoch).
    pub now: Option<i64>,
    /// Told how many bytes of a native snapshot have been split so far (for a progress bar).
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
}

impl std::fmt::Debug for ReadOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOptions")
            .field("projection", self.projection)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// Reads `bytes` in `format` into a store that starts from `interner` (which holds the checks' symbols).
pub fn read(
    bytes: &[u8],
    format: InputFormat,
    interner: Interner,
    opts: &ReadOptions<'_>,
) -> Result<Store, InputError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_col(bytes, e.valid_up_to());
        InputError {
            at: Some(Position { line, column }),
            message: format!("the input is not UTF-8 (byte offset {})", e.valid_up_to()),
        }
    })?;
    let now_default = || time::OffsetDateTime::now_utc().unix_timestamp() * crate::timefmt::NANOS;
    let (builder, now) = match format {
        InputFormat::Native => native::read_snapshot(text, interner, opts)?,
        InputFormat::Ndjson => native::read_ndjson(text, interner, opts)?,
        InputFormat::TerraformPlan => terraform::read_plan(text, interner, opts)?,
        InputFormat::AccessLog => records::read(text, records::Kind::AccessLog, interner)?,
        InputFormat::KeyRecords => records::read(text, records::Kind::KeyRecord, interner)?,
    };
    let now = opts.now.or(now).unwrap_or_else(now_default);
    Ok(builder.finish(now))
}

fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
    (line, col)
}

/// Splits JSON-lines text into (1-based line number, line) pairs, skipping blank lines.
pub(crate) fn json_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty())
}

/// Items per parallel piece: enough pieces for load balancing, few enough that merging stays cheap.
fn piece_len(n: usize) -> usize {
    (n / (rayon::current_num_threads().max(1) * 4)).max(4096)
}

/// Reads `items` (raw resources, lines) on all cores, each piece into its own builder started from
/// `interner`, then merges the pieces in input order.
pub(crate) fn read_parallel<T: Sync>(
    items: &[T],
    interner: &Interner,
    read: impl Fn(&mut Builder, &T) -> Result<(), InputError> + Sync,
) -> Result<Builder, InputError> {
    let pieces: Vec<Builder> = items
        .par_chunks(piece_len(items.len()))
        .map(|piece| {
            let mut b = Builder::new(interner.clone());
            for item in piece {
                read(&mut b, item)?;
            }
            Ok(b)
        })
        .collect::<Result<_, InputError>>()?;
    if pieces.is_empty() {
        return Ok(Builder::new(interner.clone()));
    }
    Ok(Builder::merge(pieces, interner.count()))
}

/// Moves an error found inside `part` (a slice of `text`) to its position in the whole text.
pub(crate) fn relocate(mut e: InputError, text: &str, part: &str) -> InputError {
    let offset = (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    if let Some(p) = e.at {
        let (line, column) = line_col(text.as_bytes(), offset);
        e.at = Some(if p.line <= 1 {
            Position {
                line,
                column: column + p.column - 1,
            }
        } else {
            Position {
                line: line + p.line - 1,
                column: p.column,
            }
        });
    }
    e
}
