//! Output formats (placeholder, filled below).
