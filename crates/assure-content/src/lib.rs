//! Programme content as files: the embedded Contour Cloud demo (top-level `content/`), or a user's own folder
//! in the same layout (see `content/README.md`).
//!
//! Loading is all or nothing: every file is parsed with unknown fields refused, the whole programme is
//! validated by [`assure_domain::programme::Programme::validate`], and any problem is reported with its file,
//! line and ID. Only a programme without problems is returned, so a caller never writes half an import.
//!
//! Architecture invariant: this crate reads files and builds domain values; it never touches the store.

mod files;
mod locate;

use std::path::Path;

use assure_domain::programme::Programme;
pub use files::{ContentFile, baseline_files};

static DEMO: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/../../content");

/// A problem in content, located where a person would fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentProblem {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The ID the problem is about, when there is one.
    pub id: Option<String>,
    pub message: String,
}

impl std::fmt::Display for ContentProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if let Some(id) = &self.id {
            write!(f, ": [{id}]")?;
        }
        write!(f, " {}", self.message)
    }
}

/// Content that could not be loaded; nothing of it may be written.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error("cannot read content folder {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{} problem(s) in content:\n{}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<ContentProblem>),
}

impl ContentError {
    pub fn problems(&self) -> &[ContentProblem] {
        match self {
            Self::Invalid(p) => p,
            Self::Io { .. } => &[],
        }
    }
}

/// The demo programme embedded at build time.
pub fn demo() -> Result<Programme, ContentError> {
    let mut files = Vec::new();
    collect_embedded(&DEMO, &mut files);
    load_files(&files)
}

fn collect_embedded(dir: &include_dir::Dir<'static>, out: &mut Vec<ContentFile>) {
    for file in dir.files() {
        if let Some(text) = file.contents_utf8() {
            out.push(ContentFile {
                path: file.path().to_string_lossy().replace('\\', "/"),
                text: text.to_owned(),
            });
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, out);
    }
}

/// A programme from a folder in the content layout.
pub fn load_dir(root: &Path) -> Result<Programme, ContentError> {
    let mut files = Vec::new();
    read_dir_into(root, root, &mut files)?;
    load_files(&files)
}

fn read_dir_into(root: &Path, dir: &Path, out: &mut Vec<ContentFile>) -> Result<(), ContentError> {
    let io = |source| ContentError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort_by_key(std::fs::DirEntry::path);
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            read_dir_into(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            let text = std::fs::read_to_string(&path).map_err(|source| ContentError::Io {
                path: path.display().to_string(),
                source,
            })?;
            let rel = path.strip_prefix(root).unwrap_or(&path);
            out.push(ContentFile {
                path: rel.to_string_lossy().replace('\\', "/"),
                text,
            });
        }
    }
    Ok(())
}

/// A programme from in-memory files (paths relative to the content root).
pub fn load_files(files: &[ContentFile]) -> Result<Programme, ContentError> {
    files::assemble(files)
}
