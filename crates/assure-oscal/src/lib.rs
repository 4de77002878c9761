//! OSCAL for Assure.
//!
//! Reads OSCAL catalogs, profiles and mapping collections (JSON or XML; OSCAL 1.0.x to 1.2.x), resolves profiles
//! the way NIST's specification and its published resolved catalogs say, validates documents against the
//! OSCAL 1.2.1 JSON schemas and for referential integrity, and turns catalogs, spreadsheets and crosswalks into
//! neutral import types ([`import::ImportedFramework`], [`mapping::ImportedMapping`]) that the application
//! converts into its domain and stores. This crate does no storage and no network I/O.
//!
//! Entry points: [`resolve::resolve_profile_file`], [`import::import_catalog`], [`validate::validate_file`],
//! [`tabular::import_framework_table`], [`mapping::import_mapping_collection`], [`mapping::import_crosswalk`],
//! and the CLI surface in [`command`].

pub mod command;
pub mod document;
pub mod error;
pub mod export;
pub mod ids;
pub mod import;
pub mod leveraging;
pub mod mapping;
pub mod model;
pub mod refs;
pub mod resolve;
pub mod tabular;
pub mod validate;
pub mod xml;

pub use document::EXPORT_OSCAL_VERSION;
pub use error::OscalError;
pub use resolve::{Resolution, ResolveOptions, Warning, resolve_profile_file};
