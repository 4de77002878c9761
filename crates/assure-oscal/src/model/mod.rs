//! Serde models of the OSCAL objects Assure reads and writes.
//!
//! Fields are declared in OSCAL's canonical order so that what we emit reads like what NIST publishes, and every
//! model keeps the fields it does not name in `extra`, so a document read and written again loses nothing (the
//! conformance tests compare our resolved catalogs with NIST's as JSON values). Models accept OSCAL 1.0.x, 1.1.x
//! and 1.2.x documents.

pub mod catalog;
pub mod mapping;
pub mod profile;

pub use catalog::{Catalog, CatalogDocument, Control, Group};
pub use mapping::{MappingCollection, MappingCollectionDocument};
pub use profile::{Profile, ProfileDocument};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Fields a model does not name, kept verbatim.
pub type Extra = serde_json::Map<String, Value>;

/// OSCAL's default namespace: a prop or part without `ns` is in it.
pub const OSCAL_NS: &str = "http://csrc.nist.gov/ns/oscal";

/// Document metadata; the fields the resolver and importers read are typed, the rest kept as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub struct Metadata {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default)]
    pub last_modified: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub oscal_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revisions: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_ids: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Property>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locations: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parties: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible_parties: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A name/value property: OSCAL's extension point (labels, sort ids, ODP aliases, FedRAMP annotations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Property {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ns: Option<String>,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Property {
    /// A property with just a name and a value.
    pub fn new(name: &str, value: &str) -> Self {
        Self {
            name: name.to_owned(),
            uuid: None,
            ns: None,
            value: value.to_owned(),
            class: None,
            group: None,
            remarks: None,
            extra: Extra::new(),
        }
    }

    /// True for `keep=always`, which forbids pruning the object that carries it.
    pub fn is_keep_always(&self) -> bool {
        self.name == "keep" && self.value == "always"
    }
}

/// A link to a resource, a control (`#ac-3`) or a back-matter entry (`#uuid`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Link {
    pub href: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_fragment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Link {
    /// A link with a relation.
    pub fn new(href: &str, rel: &str) -> Self {
        Self {
            href: href.to_owned(),
            rel: Some(rel.to_owned()),
            media_type: None,
            resource_fragment: None,
            text: None,
            extra: Extra::new(),
        }
    }
}

/// A part of a control or group: statement, guidance, objective, with prose and sub-parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Part {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ns: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Property>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prose: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A parameter (an organisation-defined parameter, ODP, in 800-53 terms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Parameter {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Property>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guidelines: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Parameter {
    /// Alias ids of this parameter: values of `alt-identifier` and `aggregates` props (800-53 5.1+ ODP ids such
    /// as `ac-01_odp.01`), which FedRAMP profiles use as `param-id`.
    pub fn aliases(&self) -> impl Iterator<Item = (&str, AliasKind)> {
        self.props.iter().filter_map(|p| match p.name.as_str() {
            "alt-identifier" => Some((p.value.as_str(), AliasKind::AltIdentifier)),
            "aggregates" => Some((p.value.as_str(), AliasKind::Aggregates)),
            _ => None,
        })
    }
}

/// How a parameter alias was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AliasKind {
    /// `alt-identifier`: the same parameter under another id.
    AltIdentifier,
    /// `aggregates`: the parameter combines the ODP with this id.
    Aggregates,
}

/// The back-matter: resources that links point to with `#uuid`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub struct BackMatter {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A back-matter resource: a citation, a document, or another OSCAL file (an import target).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Resource {
    pub uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Property>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_ids: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citation: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rlinks: Vec<ResourceLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Resource {
    /// True when the resource carries `keep=always`.
    pub fn is_keep_always(&self) -> bool {
        self.props.iter().any(Property::is_keep_always)
    }
}

/// One location of a resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ResourceLink {
    pub href: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}
