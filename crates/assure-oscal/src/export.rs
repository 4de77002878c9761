//! Export of what was imported: a framework keeps the OSCAL catalog it came from (a catalog, or a profile's
//! resolved catalog), and exporting gives that catalog back as published, declaring the OSCAL version Assure
//! exports so that 1.2 tools load it. Only the document's own `last-modified` moves: the export is a new
//! instance of the same content.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::document::{declare_export_version, parse_text, root_of};
use crate::error::OscalError;

/// The stored catalog `text`, ready to write: same content, `oscal-version` 1.2.1, `last-modified` now.
pub fn stored_catalog(text: &str) -> Result<Value, OscalError> {
    const DOCUMENT: &str = "stored catalog";
    let mut value = parse_text(DOCUMENT, text)?;
    let (root, _) = root_of(DOCUMENT, &value)?;
    if root != "catalog" {
        return Err(OscalError::WrongRoot {
            document: DOCUMENT.into(),
            expected: "catalog".into(),
            found: format!("root key `{root}`"),
        });
    }
    declare_export_version(&mut value);
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok());
    if let (Some(now), Some(metadata)) = (
        now,
        value
            .get_mut("catalog")
            .and_then(|body| body.get_mut("metadata"))
            .and_then(Value::as_object_mut),
    ) {
        metadata.insert("last-modified".into(), Value::String(now));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_stored_catalog_is_given_back_with_its_content_declaring_1_2_1() {
        let stored = json!({"catalog": {"uuid": "u", "metadata": {"title": "T", "version": "5.0.1",
            "oscal-version": "1.0.0", "last-modified": "2020-01-01T00:00:00Z"},
            "groups": [{"id": "g", "title": "G", "controls": [{"id": "c-1", "title": "C"}]}]}});
        let out = stored_catalog(&stored.to_string()).expect("catalog");
        assert_eq!(out["catalog"]["metadata"]["oscal-version"], "1.2.1");
        assert_eq!(out["catalog"]["metadata"]["version"], "5.0.1");
        assert_ne!(
            out["catalog"]["metadata"]["last-modified"],
            "2020-01-01T00:00:00Z"
        );
        assert_eq!(out["catalog"]["groups"], stored["catalog"]["groups"]);
        assert_eq!(out["catalog"]["uuid"], "u");
    }

    #[test]
    fn a_stored_document_that_is_not_a_catalog_is_refused() {
        let err = stored_catalog(r#"{"profile": {"uuid": "p"}}"#).expect_err("not a catalog");
        assert!(matches!(err, OscalError::WrongRoot { .. }), "{err}");
        assert!(stored_catalog("not json").is_err());
    }
}
