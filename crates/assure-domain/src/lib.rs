//! Assure's domain: the entities of a customer security programme and the rules between them.
//!
//! Architecture invariant: this crate is pure. It performs no I/O and compiles without tokio, sqlx or axum;
//! storage, HTTP and the CLI depend on it, never the other way round.

pub mod access;
pub mod audit;
pub mod baseline;
pub mod catalogue;
pub mod coverage;
pub mod cycle;
pub mod engagement;
pub mod enrolment;
pub mod escalation;
pub mod evidence;
pub mod finding;
pub mod finding_metrics;
pub mod framework;
pub mod framework_view;
pub mod id;
pub mod kev;
pub mod mapping;
pub mod matrix;
pub mod profile;
pub mod programme;
pub mod questionnaire;
pub mod remediation;
pub mod responsibility;
pub mod service;
pub mod severity;
pub mod soa;
pub mod tenant;
pub mod testing;
pub mod tracker;
pub mod trust;
pub mod user;
pub mod webhook;

pub use id::*;
