//! Errors: every failure names the document it concerns and a JSON pointer into it, so a user can find the
//! offending object without guessing.

use std::path::PathBuf;

/// What went wrong while reading, resolving or validating OSCAL.
#[derive(Debug, thiserror::Error)]
pub enum OscalError {
    /// The file could not be read.
    #[error("{document}: cannot read: {source}")]
    Io {
        document: String,
        #[source]
        source: std::io::Error,
    },
    /// The text is not well-formed JSON or XML.
    #[error("{document}{pointer}: not well-formed {format}: {message}")]
    Syntax {
        document: String,
        pointer: String,
        format: &'static str,
        message: String,
    },
    /// The root object is not the OSCAL model expected here.
    #[error("{document}: expected an OSCAL {expected} (root key `{expected}`), found {found}")]
    WrongRoot {
        document: String,
        expected: String,
        found: String,
    },
    /// A required field is missing or has the wrong shape.
    #[error("{document} at {pointer}: {message}")]
    Invalid {
        document: String,
        pointer: String,
        message: String,
    },
    /// An import could not be located or loaded.
    #[error("{document} at {pointer}: import `{href}` cannot be resolved: {reason}")]
    Import {
        document: String,
        pointer: String,
        href: String,
        reason: String,
    },
    /// A profile imports itself, directly or through other profiles.
    #[error("{document} at {pointer}: circular import: {}", chain.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" -> "))]
    CircularImport {
        document: String,
        pointer: String,
        chain: Vec<PathBuf>,
    },
    /// A reference inside the document points at nothing.
    #[error("{document} at {pointer}: dangling reference `{reference}`")]
    DanglingReference {
        document: String,
        pointer: String,
        reference: String,
    },
    /// The OSCAL major version is not 1.
    #[error(
        "{document} at /*/metadata/oscal-version: unsupported OSCAL version `{version}` (1.0.x to 1.2.x are read)"
    )]
    UnsupportedVersion { document: String, version: String },
}

impl OscalError {
    /// The document the error is about.
    pub fn document(&self) -> &str {
        match self {
            Self::Io { document, .. }
            | Self::Syntax { document, .. }
            | Self::WrongRoot { document, .. }
            | Self::Invalid { document, .. }
            | Self::Import { document, .. }
            | Self::CircularImport { document, .. }
            | Self::DanglingReference { document, .. }
            | Self::UnsupportedVersion { document, .. } => document,
        }
    }

    /// The JSON pointer of the offending object ("" for the whole document).
    pub fn pointer(&self) -> &str {
        match self {
            Self::Syntax { pointer, .. }
            | Self::Invalid { pointer, .. }
            | Self::Import { pointer, .. }
            | Self::CircularImport { pointer, .. }
            | Self::DanglingReference { pointer, .. } => pointer,
            Self::WrongRoot { .. } | Self::Io { .. } => "",
            Self::UnsupportedVersion { .. } => "/metadata/oscal-version",
        }
    }
}

/// Escapes one reference token for a JSON pointer (RFC 6901).
pub(crate) fn pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
