//! Finding references in OSCAL text: `#id` fragments (links, Markdown links in prose) and
//! `{{ insert: param, id }}` parameter insertions. Used to prune unreferenced resources and loose parameters
//! during resolution, and to check referential integrity.

use std::collections::HashSet;

/// Characters an OSCAL token or uuid may contain.
fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')
}

/// Ids after every `#` in the text (trailing dots trimmed).
pub fn fragment_refs(text: &str, into: &mut HashSet<String>) {
    let mut rest = text;
    while let Some(i) = rest.find('#') {
        rest = &rest[i + 1..];
        let end = rest.find(|c: char| !is_token_char(c)).unwrap_or(rest.len());
        let token = rest[..end].trim_end_matches('.');
        if !token.is_empty() {
            into.insert(token.to_owned());
        }
        rest = &rest[end..];
    }
}

/// Parameter ids of every `{{ insert: param, id }}` in the text.
pub fn param_inserts(text: &str, into: &mut HashSet<String>) {
    let mut rest = text;
    while let Some(i) = rest.find("insert:") {
        rest = &rest[i + "insert:".len()..];
        let Some(end) = rest.find("}}") else { break };
        let inner = &rest[..end];
        if let Some((kind, id)) = inner.split_once(',')
            && kind.trim() == "param"
        {
            into.insert(id.trim().to_owned());
        }
        rest = &rest[end..];
    }
}

/// Both kinds of reference in a serialised document.
#[derive(Debug, Default)]
pub struct References {
    pub fragments: HashSet<String>,
    pub params: HashSet<String>,
}

impl References {
    /// Scans any serialisable value (serialised once to JSON text).
    pub fn scan<T: serde::Serialize>(value: &T) -> Self {
        let text = serde_json::to_string(value).unwrap_or_default();
        let mut refs = Self::default();
        refs.add_text(&text);
        refs
    }

    /// Adds the references found in a piece of text.
    pub fn add_text(&mut self, text: &str) {
        fragment_refs(text, &mut self.fragments);
        param_inserts(text, &mut self.params);
    }

    /// True when `id` is referenced either way.
    pub fn mentions(&self, id: &str) -> bool {
        self.fragments.contains(id) || self.params.contains(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_fragments_and_param_inserts() {
        let mut r = References::default();
        r.add_text(r##"{"href":"#ac-3"} see [x](#4a3990e7-2020-4b8f-902c-d679ebea2b58). {{ insert: param, ac-1_prm_1 }}"##);
        assert!(r.fragments.contains("ac-3"));
        assert!(r.fragments.contains("4a3990e7-2020-4b8f-902c-d679ebea2b58"));
        assert!(r.params.contains("ac-1_prm_1"));
    }
}
