//! CLI surface (placeholder).
