//! Mapping import: OSCAL 1.2 mapping-collections and CSV crosswalks become typed mappings that say where they
//! came from.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::document::{parse_mapping_collection, read_value};
use crate::error::OscalError;
use crate::model::mapping::MappingItem;
use crate::tabular::{RowError, Table, TableError};

/// OSCAL 1.2's relationship vocabulary, read as "the source is RELATIONSHIP the target".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relationship {
    EquivalentTo,
    EqualTo,
    SubsetOf,
    SupersetOf,
    IntersectsWith,
    NoRelationship,
}

impl Relationship {
    /// The OSCAL token.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EquivalentTo => "equivalent-to",
            Self::EqualTo => "equal-to",
            Self::SubsetOf => "subset-of",
            Self::SupersetOf => "superset-of",
            Self::IntersectsWith => "intersects-with",
            Self::NoRelationship => "no-relationship",
        }
    }
}

impl FromStr for Relationship {
    type Err = String;

    /// Accepts the OSCAL token in any case, with spaces or underscores for hyphens.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_lowercase().replace([' ', '_'], "-");
        Ok(match norm.as_str() {
            "equivalent-to" => Self::EquivalentTo,
            "equal-to" => Self::EqualTo,
            "subset-of" => Self::SubsetOf,
            "superset-of" => Self::SupersetOf,
            "intersects-with" => Self::IntersectsWith,
            "no-relationship" => Self::NoRelationship,
            _ => {
                return Err(format!(
                    "relationship `{s}` is not one of equivalent-to, equal-to, subset-of, superset-of, \
                     intersects-with, no-relationship"
                ));
            }
        })
    }
}

/// Where a mapping came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct MappingProvenance {
    /// The file it was read from.
    pub file: String,
    /// `oscal-mapping-collection` or `csv-crosswalk`.
    pub format: String,
    /// Mapping-collection uuid, mapping uuid and map uuid, for OSCAL sources.
    pub collection_uuid: Option<String>,
    pub map_uuid: Option<String>,
    /// CSV row number.
    pub row: Option<usize>,
    /// OSCAL provenance: human / automation / hybrid.
    pub method: Option<String>,
    /// syntactic / semantic / functional.
    pub matching_rationale: Option<String>,
    pub status: Option<String>,
    pub confidence_score: Option<String>,
}

/// One mapping from a source control to a target framework's requirement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedMapping {
    pub source_control: String,
    /// Set when the source is a statement of the control (`ac-2_smt.a`).
    pub source_statement: Option<String>,
    pub target_framework: String,
    pub target_requirement: String,
    /// Set when the target is a statement of the requirement.
    pub target_statement: Option<String>,
    pub relationship: Relationship,
    pub rationale: Option<String>,
    pub provenance: MappingProvenance,
}

/// Mappings read, or the errors that stopped the import.
#[derive(Debug, thiserror::Error)]
pub enum MappingImportError {
    #[error(transparent)]
    Oscal(#[from] OscalError),
    #[error(transparent)]
    Table(#[from] TableError),
    /// Maps with errors (pointer, message); nothing was imported.
    #[error("{file}: {} map error(s), nothing imported:\n{}", errors.len(), errors.iter().map(|(p, m)| format!("{p}: {m}")).collect::<Vec<_>>().join("\n"))]
    Maps {
        file: String,
        errors: Vec<(String, String)>,
    },
}

/// For statement ids (`ra-5_smt.a`), the control id (`ra-5`) and the statement; else the id alone.
fn split_item(item: &MappingItem) -> (String, Option<String>) {
    if item.kind == "statement"
        && let Some((control, _)) = item.id_ref.split_once("_smt")
    {
        return (control.to_owned(), Some(item.id_ref.clone()));
    }
    (item.id_ref.clone(), None)
}

/// Options of a mapping-collection import.
#[derive(Debug, Clone, Default)]
pub struct MappingImportOptions {
    /// Target resource href -> Assure framework id. Unlisted hrefs get a slug of their file name.
    pub frameworks: HashMap<String, String>,
}

fn framework_for(href: &str, options: &MappingImportOptions) -> String {
    if let Some(id) = options.frameworks.get(href) {
        return id.clone();
    }
    let path = Path::new(href);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    // "catalogs/FedRAMP_rev5_HIGH/catalog.json": the folder names the framework better than "catalog".
    let name = if matches!(stem.as_str(), "catalog" | "profile") {
        path.parent()
            .and_then(Path::file_name)
            .map(|s| s.to_string_lossy().to_lowercase())
            .unwrap_or(stem)
    } else {
        stem
    };
    crate::import::framework_id_for(&name)
}

/// Imports an OSCAL mapping-collection (JSON or XML): one mapping per source x target of every map.
pub fn import_mapping_collection(
    path: &Path,
    options: &MappingImportOptions,
) -> Result<Vec<ImportedMapping>, MappingImportError> {
    let file = path.display().to_string();
    let collection = parse_mapping_collection(&file, &read_value(path)?)?;
    let top = collection.provenance.clone().unwrap_or_default();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, mapping) in collection.mappings.iter().enumerate() {
        let target_framework = framework_for(&mapping.target_resource.href, options);
        for (j, map) in mapping.maps.iter().enumerate() {
            let pointer = format!("/mapping-collection/mappings/{i}/maps/{j}");
            let relationship = match map.relationship.parse::<Relationship>() {
                Ok(r) => r,
                Err(e) => {
                    errors.push((format!("{pointer}/relationship"), e));
                    continue;
                }
            };
            let provenance = MappingProvenance {
                file: file.clone(),
                format: "oscal-mapping-collection".into(),
                collection_uuid: Some(collection.uuid.clone()),
                map_uuid: Some(map.uuid.clone()),
                row: None,
                method: mapping.method.clone().or_else(|| top.method.clone()),
                matching_rationale: map
                    .matching_rationale
                    .clone()
                    .or_else(|| mapping.matching_rationale.clone())
                    .or_else(|| top.matching_rationale.clone()),
                status: mapping.status.clone().or_else(|| top.status.clone()),
                confidence_score: map
                    .confidence_score
                    .as_ref()
                    .or(top.confidence_score.as_ref())
                    .map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string())
                    }),
            };
            for source in &map.sources {
                for target in &map.targets {
                    let (source_control, source_statement) = split_item(source);
                    let (target_requirement, target_statement) = split_item(target);
                    out.push(ImportedMapping {
                        source_control,
                        source_statement,
                        target_framework: target_framework.clone(),
                        target_requirement,
                        target_statement,
                        relationship,
                        rationale: map.remarks.clone(),
                        provenance: provenance.clone(),
                    });
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(MappingImportError::Maps { file, errors })
    }
}

/// Columns of a CSV crosswalk; defaults `source`, `target`, `relationship`, `rationale`.
#[derive(Debug, Clone)]
pub struct CrosswalkColumns {
    pub source: String,
    pub target: String,
    pub relationship: String,
    pub rationale: Option<String>,
    /// A column naming the target framework per row; otherwise [`CrosswalkOptions::target_framework`].
    pub target_framework: Option<String>,
}

impl Default for CrosswalkColumns {
    fn default() -> Self {
        Self {
            source: "source".into(),
            target: "target".into(),
            relationship: "relationship".into(),
            rationale: Some("rationale".into()),
            target_framework: None,
        }
    }
}

/// Options of a CSV/XLSX crosswalk import.
#[derive(Debug, Clone, Default)]
pub struct CrosswalkOptions {
    pub target_framework: String,
    pub columns: CrosswalkColumns,
    pub sheet: Option<String>,
    pub header_row: usize,
}

/// Imports a crosswalk table (source, target, relationship, rationale); every row error is listed and nothing
/// is returned unless all rows are valid.
pub fn import_crosswalk(
    path: &Path,
    options: &CrosswalkOptions,
) -> Result<Vec<ImportedMapping>, MappingImportError> {
    let table = Table::read(path, options.sheet.as_deref(), options.header_row)?;
    let c = &options.columns;
    let source_col = table.column(&c.source)?;
    let target_col = table.column(&c.target)?;
    let rel_col = table.column(&c.relationship)?;
    // The rationale column is optional: absent from the header means no rationale.
    let rationale_col = c.rationale.as_deref().and_then(|n| table.column(n).ok());
    let framework_col = c
        .target_framework
        .as_deref()
        .map(|n| table.column(n))
        .transpose()?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (row, cells) in &table.rows {
        let mut err = |column: &str, message: String| {
            errors.push(RowError {
                row: *row,
                column: column.to_owned(),
                message,
            })
        };
        let source = Table::cell(cells, source_col);
        let target = Table::cell(cells, target_col);
        let framework = framework_col
            .map(|i| Table::cell(cells, i))
            .unwrap_or(options.target_framework.as_str());
        let mut ok = true;
        if source.is_empty() {
            err(&c.source, "source is empty".into());
            ok = false;
        }
        if target.is_empty() {
            err(&c.target, "target is empty".into());
            ok = false;
        }
        if framework.is_empty() {
            err(
                c.target_framework.as_deref().unwrap_or("target framework"),
                "no target framework (give a column or a default)".into(),
            );
            ok = false;
        }
        let relationship = match Table::cell(cells, rel_col).parse::<Relationship>() {
            Ok(r) => Some(r),
            Err(e) => {
                err(&c.relationship, e);
                None
            }
        };
        if let (true, Some(relationship)) = (ok, relationship) {
            out.push(ImportedMapping {
                source_control: source.to_owned(),
                source_statement: None,
                target_framework: framework.to_owned(),
                target_requirement: target.to_owned(),
                target_statement: None,
                relationship,
                rationale: rationale_col
                    .map(|i| Table::cell(cells, i).to_owned())
                    .filter(|r| !r.is_empty()),
                provenance: MappingProvenance {
                    file: table.file.clone(),
                    format: "csv-crosswalk".into(),
                    row: Some(*row),
                    ..MappingProvenance::default()
                },
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(TableError::Rows {
            file: table.file,
            errors,
        }
        .into())
    }
}
