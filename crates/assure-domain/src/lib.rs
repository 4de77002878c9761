//! Assure domain model.
