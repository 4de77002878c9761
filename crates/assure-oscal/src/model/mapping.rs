//! The mapping-collection model (OSCAL 1.2): crosswalks between controls of two catalogs or profiles.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{BackMatter, Extra, Metadata, Property};

/// `{ "mapping-collection": { ... } }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MappingCollectionDocument {
    #[serde(rename = "mapping-collection")]
    pub mapping_collection: MappingCollection,
}

/// A set of mappings with their provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct MappingCollection {
    pub uuid: String,
    pub metadata: Metadata,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    pub mappings: Vec<Mapping>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back_matter: Option<BackMatter>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// How a mapping was made (1.2 enums: method human/automation/hybrid; matching-rationale
/// syntactic/semantic/functional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub struct Provenance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching_rationale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence_score: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping_description: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The maps between one source resource and one target resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Mapping {
    pub uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching_rationale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub source_resource: ResourceReference,
    pub target_resource: ResourceReference,
    pub maps: Vec<Map>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A catalog or profile named by a mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ResourceReference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ns: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub href: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Property>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One relationship between source items and target items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Map {
    pub uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching_rationale: Option<String>,
    pub relationship: String,
    pub sources: Vec<MappingItem>,
    pub targets: Vec<MappingItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence_score: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Property>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A control or statement on one side of a map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct MappingItem {
    #[serde(rename = "type")]
    pub kind: String,
    pub id_ref: String,
    #[serde(flatten)]
    pub extra: Extra,
}
