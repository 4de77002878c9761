//! Imports into Assure: a file (OSCAL catalog or profile, CSV/XLSX framework, OSCAL mapping-collection or CSV
//! crosswalk) is read by `assure-oscal` into neutral values, converted here into domain values (a [`Plan`]),
//! previewed against the store ([`preview`]: what would be created, kept or reported missing), and written by
//! one store transaction ([`apply`]). The CLI (`assure import`) and the server (`/imports`, background jobs)
//! both go through these functions, so they read, check and write the same way.
//!
//! Architecture invariant: nothing is written unless the whole file was read and checked; a plan either
//! imports completely or not at all (the store methods are one transaction each).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use assure_domain::framework::{Framework, Requirement, RequirementKind};
use assure_domain::mapping::{Mapping, MappingProvenance, Relationship};
use assure_domain::{FrameworkId, RequirementId};
use assure_oscal::OscalError;
use assure_oscal::import::{CatalogImportOptions, ImportedFramework, import_catalog};
use assure_oscal::mapping::{
    CrosswalkOptions, ImportedMapping, MappingImportError, MappingImportOptions,
};
use assure_oscal::tabular::{RowError, TableError, TableImportOptions};
use assure_store::{
    Actor, FrameworkImport, FrameworkImportOutcome, FrameworkSource, MappingFilter,
    MappingImportOutcome, Store, StoreError,
};
use serde::{Deserialize, Serialize};

/// What kind of file an import reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportKind {
    /// An OSCAL catalog (JSON or XML) becomes a framework.
    Catalog,
    /// An OSCAL profile is resolved; its resolved catalog becomes a framework.
    Profile,
    /// A CSV/XLSX spreadsheet with a column mapping becomes a framework.
    Framework,
    /// An OSCAL mapping-collection or a CSV/XLSX crosswalk becomes mappings.
    Mapping,
}

impl ImportKind {
    pub const ALL: [ImportKind; 4] = [Self::Catalog, Self::Profile, Self::Framework, Self::Mapping];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Catalog => "catalog",
            Self::Profile => "profile",
            Self::Framework => "framework",
            Self::Mapping => "mapping",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// One problem found in the input, where it is: a JSON pointer for OSCAL, `row N, column C` for spreadsheets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub document: String,
    /// A JSON pointer (RFC 6901) or a spreadsheet location; empty for the whole document.
    pub location: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.location.is_empty() {
            // The empty JSON pointer names the whole document (RFC 6901).
            write!(
                f,
                "{} at the root (JSON pointer \"\"): {}",
                self.document, self.message
            )
        } else {
            write!(
                f,
                "{} at {}: {}",
                self.document, self.location, self.message
            )
        }
    }
}

/// Why an import did not happen. Nothing was stored in every case.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Oscal(#[from] OscalError),
    #[error(transparent)]
    Table(#[from] TableError),
    #[error(transparent)]
    Mapping(#[from] MappingImportError),
    /// The file read, but what it says cannot be stored (duplicate ids, dangling references).
    #[error("{document}: {} problem(s), nothing imported:\n{}", problems.len(), problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid {
        document: String,
        problems: Vec<Problem>,
    },
    #[error("the store refused the import: {0}")]
    Store(#[from] StoreError),
}

/// Exit code for a document that is malformed or invalid (as `assure validate` and `resolve` use it).
pub const EXIT_INVALID: i32 = assure_oscal::command::EXIT_INVALID;
/// Exit code for unreadable input or bad usage.
pub const EXIT_USAGE: i32 = assure_oscal::command::EXIT_USAGE;

impl ImportError {
    /// Whether the input itself is wrong (malformed or invalid), as opposed to unreadable or a usage error.
    pub fn is_invalid_input(&self) -> bool {
        match self {
            Self::Oscal(e) | Self::Mapping(MappingImportError::Oscal(e)) => {
                !matches!(e, OscalError::Io { .. })
            }
            Self::Table(e) | Self::Mapping(MappingImportError::Table(e)) => {
                matches!(e, TableError::Rows { .. })
            }
            Self::Mapping(MappingImportError::Maps { .. }) | Self::Invalid { .. } => true,
            Self::Store(_) => false,
        }
    }

    /// The process exit code, consistent with `assure validate`: 1 for a malformed or invalid document, 2
    /// for unreadable input, a usage error or a store failure.
    pub fn exit_code(&self) -> i32 {
        if self.is_invalid_input() {
            EXIT_INVALID
        } else {
            EXIT_USAGE
        }
    }

    /// Every problem, each naming its document and location, for JSON output and the preview page.
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            Self::Oscal(e) | Self::Mapping(MappingImportError::Oscal(e)) => vec![oscal_problem(e)],
            Self::Table(e) | Self::Mapping(MappingImportError::Table(e)) => table_problems(e),
            Self::Mapping(MappingImportError::Maps { file, errors }) => errors
                .iter()
                .map(|(pointer, message)| Problem {
                    document: file.clone(),
                    location: pointer.clone(),
                    message: message.clone(),
                })
                .collect(),
            Self::Invalid { problems, .. } => problems.clone(),
            Self::Store(e) => vec![Problem {
                document: String::new(),
                location: String::new(),
                message: e.to_string(),
            }],
        }
    }
}

fn oscal_problem(e: &OscalError) -> Problem {
    let message = e.to_string();
    // The error's text starts with the document and pointer; keep only what follows them.
    let prefix_end = message.find(": ").map_or(0, |i| i + 2);
    Problem {
        document: e.document().to_owned(),
        location: e.pointer().to_owned(),
        message: message[prefix_end..].to_owned(),
    }
}

fn table_problems(e: &TableError) -> Vec<Problem> {
    match e {
        TableError::Rows { file, errors } => errors.iter().map(|r| row_problem(file, r)).collect(),
        TableError::Unreadable { file, message } => vec![Problem {
            document: file.clone(),
            location: String::new(),
            message: format!("cannot read: {message}"),
        }],
        TableError::MissingColumn {
            file,
            column,
            found,
        } => vec![Problem {
            document: file.clone(),
            location: "row 1".into(),
            message: format!("no column `{column}` in the header row (found: {found})"),
        }],
    }
}

fn row_problem(file: &str, r: &RowError) -> Problem {
    Problem {
        document: file.to_owned(),
        location: format!("row {}, column {}", r.row, r.column),
        message: r.message.clone(),
    }
}

/// What an import will write, read and checked from a file; serializable so a background job on any node can
/// run it after the user confirmed a preview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub kind: ImportKind,
    /// The file's name as the user gave it.
    pub file_name: String,
    pub content: PlanContent,
}

/// The objects a plan writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanContent {
    Framework(FrameworkPlan),
    Mappings(Vec<Mapping>),
}

/// A framework to import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkPlan {
    /// The framework's row.
    pub framework: Framework,
    /// The user gave no licence: `framework.licence` is Assure's default, and an existing framework keeps
    /// its own.
    pub default_licence: bool,
    pub requirements: Vec<Requirement>,
    /// The OSCAL catalog (for a profile: the resolved catalog) as JSON text, kept for export.
    pub source_document: Option<String>,
    /// Withdrawn controls left out (as the demo's generated 800-53 leaves them out), counted for the preview.
    pub withdrawn_skipped: usize,
    /// What the reader warned about (e.g. a profile's `set-parameters` that resolved to nothing).
    pub warnings: Vec<String>,
}

impl Plan {
    /// Objects the plan writes: the progress total.
    pub fn total(&self) -> usize {
        match &self.content {
            PlanContent::Framework(f) => f.requirements.len(),
            PlanContent::Mappings(m) => m.len(),
        }
    }
}

/// Options of a catalog or profile import.
#[derive(Clone, Debug, Default)]
pub struct OscalOptions {
    /// The framework ID to import into; derived from the document when absent.
    pub framework_id: Option<String>,
    /// The licence text to record; an existing framework keeps its own when absent.
    pub licence: Option<String>,
    /// Local files for a profile's import hrefs (`HREF=PATH`); remote hrefs are never fetched.
    pub href_map: HashMap<String, std::path::PathBuf>,
}

/// The licence recorded for a new framework when the user gave none.
const DEFAULT_OSCAL_LICENCE: &str = "As stated by the publisher of the imported OSCAL document.";
const DEFAULT_TABLE_LICENCE: &str =
    "The importer's own licensed copy; held for this programme only, never redistributed.";

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Reads an OSCAL catalog into a plan.
pub fn read_catalog(path: &Path, options: &OscalOptions) -> Result<Plan, ImportError> {
    let catalog = assure_oscal::document::load_catalog(path)?;
    let imported = import_catalog(
        &catalog,
        &CatalogImportOptions {
            framework_id: options.framework_id.clone(),
        },
    );
    let document = serde_json::json!({ "catalog": catalog }).to_string();
    framework_plan(
        ImportKind::Catalog,
        path,
        imported,
        Some(document),
        options,
        Vec::new(),
    )
}

/// Resolves an OSCAL profile and reads its resolved catalog into a plan. Without `framework_id` the ID is a
/// slug of the profile's title, so a baseline never lands on the full catalog's framework by accident.
pub fn read_profile(path: &Path, options: &OscalOptions) -> Result<Plan, ImportError> {
    let resolution = assure_oscal::resolve_profile_file(
        path,
        &assure_oscal::ResolveOptions {
            href_map: options.href_map.clone(),
            ..assure_oscal::ResolveOptions::default()
        },
    )?;
    let framework_id = options
        .framework_id
        .clone()
        .unwrap_or_else(|| slug(&resolution.catalog.metadata.title));
    let imported = import_catalog(
        &resolution.catalog,
        &CatalogImportOptions {
            framework_id: Some(framework_id),
        },
    );
    let warnings = resolution
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect();
    framework_plan(
        ImportKind::Profile,
        path,
        imported,
        Some(resolution.to_document().to_string()),
        options,
        warnings,
    )
}

/// Reads a CSV/XLSX framework into a plan; every row error is reported and nothing is planned unless the
/// whole sheet is valid.
pub fn read_table(
    path: &Path,
    options: &TableImportOptions,
    licence: Option<String>,
) -> Result<Plan, ImportError> {
    let imported = assure_oscal::tabular::import_framework_table(path, options)?;
    framework_plan(
        ImportKind::Framework,
        path,
        imported,
        None,
        &OscalOptions {
            licence,
            ..OscalOptions::default()
        },
        Vec::new(),
    )
}

/// A lowercase slug of a title: letters, digits and dots, words joined by `-`.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for ch in title.to_lowercase().chars() {
        if ch.is_ascii_alphanumeric() || ch == '.' {
            out.push(ch);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

fn framework_plan(
    kind: ImportKind,
    path: &Path,
    imported: ImportedFramework,
    source_document: Option<String>,
    options: &OscalOptions,
    warnings: Vec<String>,
) -> Result<Plan, ImportError> {
    let document = path.display().to_string();
    let mut problems = Vec::new();
    if imported.id.is_empty() {
        problems.push(Problem {
            document: document.clone(),
            location: "/catalog/metadata/title".into(),
            message: "no framework ID can be derived from the title; give --framework-id".into(),
        });
    }
    let framework_id = FrameworkId::from(imported.id.as_str());
    // Withdrawn controls are left out: mappings are made to current requirements, and the demo's 800-53 was
    // generated the same way, so importing NIST's catalog over it keeps the same set.
    let withdrawn: HashSet<&str> = imported
        .requirements
        .iter()
        .filter(|r| r.withdrawn)
        .map(|r| r.id.as_str())
        .collect();
    let parents: HashMap<&str, Option<&str>> = imported
        .requirements
        .iter()
        .map(|r| (r.id.as_str(), r.parent.as_deref()))
        .collect();
    let mut seen = HashSet::new();
    let mut requirements = Vec::new();
    for (i, r) in imported.requirements.iter().enumerate() {
        if withdrawn.contains(r.id.as_str()) {
            continue;
        }
        if !seen.insert(r.id.as_str()) {
            problems.push(Problem {
                document: document.clone(),
                location: format!("requirement {} (#{})", r.id, i + 1),
                message: format!("duplicate id `{}`", r.id),
            });
            continue;
        }
        // A current requirement under a withdrawn one moves up to the nearest current ancestor.
        let mut parent = r.parent.as_deref();
        while let Some(p) = parent
            && withdrawn.contains(p)
        {
            parent = parents.get(p).copied().flatten();
        }
        requirements.push(Requirement {
            framework: framework_id.clone(),
            id: RequirementId::from(r.id.as_str()),
            title: r.title.clone(),
            text: r.text.clone(),
            parent: parent.map(RequirementId::from),
            kind: match r.kind {
                assure_oscal::import::RequirementKind::Group => RequirementKind::Group,
                assure_oscal::import::RequirementKind::Requirement => RequirementKind::Requirement,
            },
            position: i64::try_from(requirements.len()).unwrap_or(i64::MAX),
        });
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid { document, problems });
    }
    let default_licence = match kind {
        ImportKind::Framework => DEFAULT_TABLE_LICENCE,
        _ => DEFAULT_OSCAL_LICENCE,
    };
    Ok(Plan {
        kind,
        file_name: file_name(path),
        content: PlanContent::Framework(FrameworkPlan {
            framework: Framework {
                id: framework_id,
                name: imported.name,
                version: imported.version,
                publisher: imported.publisher.unwrap_or_default(),
                licence: options
                    .licence
                    .clone()
                    .unwrap_or_else(|| default_licence.to_owned()),
            },
            default_licence: options.licence.is_none(),
            requirements,
            source_document,
            withdrawn_skipped: withdrawn.len(),
            warnings,
        }),
    })
}

/// How mappings are read.
#[derive(Clone, Debug, Default)]
pub struct MappingReadOptions {
    /// `oscal` (mapping-collection, JSON or XML) or `csv`/`xlsx` (crosswalk); by the file's extension when
    /// absent.
    pub input_format: Option<String>,
    /// OSCAL: framework IDs for target hrefs (`HREF=ID`).
    pub frameworks: HashMap<String, String>,
    /// Crosswalk: the target framework when no column names it, and the columns.
    pub crosswalk: CrosswalkOptions,
}

/// Reads an OSCAL mapping-collection or a CSV/XLSX crosswalk into a plan (not yet checked against the store:
/// [`preview`] does that).
pub fn read_mappings(path: &Path, options: &MappingReadOptions) -> Result<Plan, ImportError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let format = options.input_format.clone().unwrap_or(ext);
    let imported = match format.as_str() {
        "json" | "xml" | "oscal" => assure_oscal::mapping::import_mapping_collection(
            path,
            &MappingImportOptions {
                frameworks: options.frameworks.clone(),
            },
        )?,
        _ => assure_oscal::mapping::import_crosswalk(path, &options.crosswalk)?,
    };
    let name = file_name(path);
    let mappings = imported.iter().map(|m| domain_mapping(m, &name)).collect();
    Ok(Plan {
        kind: ImportKind::Mapping,
        file_name: name,
        content: PlanContent::Mappings(mappings),
    })
}

fn domain_mapping(m: &ImportedMapping, file: &str) -> Mapping {
    use assure_oscal::mapping::Relationship as R;
    let relationship = match m.relationship {
        R::EquivalentTo => Relationship::EquivalentTo,
        R::EqualTo => Relationship::EqualTo,
        R::SubsetOf => Relationship::SubsetOf,
        R::SupersetOf => Relationship::SupersetOf,
        R::IntersectsWith => Relationship::IntersectsWith,
        R::NoRelationship => Relationship::NoRelationship,
    };
    // 800-53 requirement IDs are OSCAL ids; a crosswalk may write them as printed (`AC-2(1)`).
    let requirement = if m.target_framework.starts_with("nist-800-53") {
        assure_oscal::ids::oscal_control_id(&m.target_requirement)
    } else {
        m.target_requirement.clone()
    };
    let p = &m.provenance;
    Mapping {
        control: m.source_control.as_str().into(),
        framework: m.target_framework.as_str().into(),
        requirement: requirement.into(),
        relationship,
        rationale: m
            .rationale
            .clone()
            .unwrap_or_else(|| format!("Imported from {file}.")),
        provenance: Some(MappingProvenance {
            source: file.to_owned(),
            format: p.format.clone(),
            collection_uuid: p.collection_uuid.clone(),
            map_uuid: p.map_uuid.clone(),
            row: p.row.and_then(|r| u64::try_from(r).ok()),
            method: p.method.clone(),
            matching_rationale: p.matching_rationale.clone(),
            status: p.status.clone(),
            confidence_score: p.confidence_score.clone(),
        }),
    }
}

/// What an import would do, shown before the user confirms (and kept with the job, so read back too).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    pub kind: String,
    pub file_name: String,
    pub framework: Option<FrameworkPreview>,
    pub mappings: Option<MappingsPreview>,
    pub warnings: Vec<String>,
}

/// The framework side of a preview.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkPreview {
    pub id: String,
    pub name: String,
    pub version: String,
    /// Whether a framework with this ID exists (the import then attaches to its IDs).
    pub exists: bool,
    pub requirements: usize,
    pub groups: usize,
    /// Requirements the framework does not have yet.
    pub new_requirements: usize,
    /// Requirements the framework has that the file lacks: kept with their mappings, reported here.
    pub missing: Vec<String>,
    /// Mappings to the framework, all kept.
    pub mappings: usize,
    pub withdrawn_skipped: usize,
}

/// The mapping side of a preview.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingsPreview {
    pub count: usize,
    /// Of them, replacing a mapping with the same control and requirement.
    pub replacing: usize,
    pub frameworks: Vec<String>,
}

/// Compares a plan with the store. For mappings this is also the check that every control and requirement
/// exists: an unknown one is an [`ImportError::Invalid`] naming each, and nothing may be imported.
pub async fn preview<S: Store>(store: &S, plan: &Plan) -> Result<Preview, ImportError> {
    let mut out = Preview {
        kind: plan.kind.as_str().to_owned(),
        file_name: plan.file_name.clone(),
        ..Preview::default()
    };
    match &plan.content {
        PlanContent::Framework(f) => {
            let exists = store
                .list_frameworks()
                .await?
                .iter()
                .any(|x| x.id == f.framework.id);
            let existing = store.list_requirements(&f.framework.id).await?;
            let ids: HashSet<&str> = f.requirements.iter().map(|r| r.id.as_str()).collect();
            let had: HashSet<&str> = existing.iter().map(|r| r.id.as_str()).collect();
            let mappings = store
                .list_mappings(&MappingFilter {
                    framework: Some(f.framework.id.clone()),
                    ..MappingFilter::default()
                })
                .await?;
            out.warnings = f.warnings.clone();
            out.framework = Some(FrameworkPreview {
                id: f.framework.id.to_string(),
                name: f.framework.name.clone(),
                version: f.framework.version.clone(),
                exists,
                requirements: f.requirements.len(),
                groups: f
                    .requirements
                    .iter()
                    .filter(|r| r.kind == RequirementKind::Group)
                    .count(),
                new_requirements: ids.iter().filter(|id| !had.contains(*id)).count(),
                missing: existing
                    .iter()
                    .filter(|r| !ids.contains(r.id.as_str()))
                    .map(|r| r.id.to_string())
                    .collect(),
                mappings: mappings.len(),
                withdrawn_skipped: f.withdrawn_skipped,
            });
        }
        PlanContent::Mappings(mappings) => {
            let controls: HashSet<String> = store
                .list_controls(&assure_store::ControlQuery::default())
                .await?
                .items
                .into_iter()
                .map(|c| c.id.to_string())
                .collect();
            let requirements: HashSet<(String, String)> = store
                .list_all_requirements()
                .await?
                .into_iter()
                .map(|r| (r.framework.to_string(), r.id.to_string()))
                .collect();
            let existing: HashSet<(String, String, String)> = store
                .list_mappings(&MappingFilter::default())
                .await?
                .into_iter()
                .map(|m| {
                    (
                        m.control.to_string(),
                        m.framework.to_string(),
                        m.requirement.to_string(),
                    )
                })
                .collect();
            let mut problems = Vec::new();
            let mut frameworks = BTreeSet::new();
            let mut replacing = 0;
            for (i, m) in mappings.iter().enumerate() {
                let location = mapping_location(m, i);
                if !controls.contains(m.control.as_str()) {
                    problems.push(Problem {
                        document: plan.file_name.clone(),
                        location: location.clone(),
                        message: format!("dangling reference: no control `{}`", m.control),
                    });
                }
                if !requirements.contains(&(m.framework.to_string(), m.requirement.to_string())) {
                    problems.push(Problem {
                        document: plan.file_name.clone(),
                        location,
                        message: format!(
                            "dangling reference: no requirement `{}` in framework `{}`",
                            m.requirement, m.framework
                        ),
                    });
                }
                if existing.contains(&(
                    m.control.to_string(),
                    m.framework.to_string(),
                    m.requirement.to_string(),
                )) {
                    replacing += 1;
                }
                frameworks.insert(m.framework.to_string());
            }
            if !problems.is_empty() {
                return Err(ImportError::Invalid {
                    document: plan.file_name.clone(),
                    problems,
                });
            }
            out.mappings = Some(MappingsPreview {
                count: mappings.len(),
                replacing,
                frameworks: frameworks.into_iter().collect(),
            });
        }
    }
    Ok(out)
}

/// Where a mapping came from in its file: the OSCAL map's uuid or the crosswalk row.
fn mapping_location(m: &Mapping, index: usize) -> String {
    match &m.provenance {
        Some(p) if p.row.is_some() => format!("row {}", p.row.unwrap_or_default()),
        Some(MappingProvenance {
            map_uuid: Some(uuid),
            ..
        }) => format!("map {uuid}"),
        _ => format!("mapping #{}", index + 1),
    }
}

/// What an import wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Framework(FrameworkImportOutcome),
    Mappings(MappingImportOutcome),
}

/// Checks a plan against the store (as [`preview`] does) and writes it in one transaction. `progress` hears
/// how many of [`Plan::total`] objects are written.
pub async fn apply<S: Store>(
    store: &S,
    actor: &Actor,
    plan: &Plan,
    progress: &(dyn Fn(usize) + Send + Sync),
) -> Result<Outcome, ImportError> {
    preview(store, plan).await?;
    match &plan.content {
        PlanContent::Framework(f) => {
            let mut framework = f.framework.clone();
            if f.default_licence
                && let Some(existing) = store
                    .list_frameworks()
                    .await?
                    .into_iter()
                    .find(|x| x.id == framework.id)
            {
                framework.licence = existing.licence;
            }
            let import = FrameworkImport {
                framework,
                requirements: f.requirements.clone(),
                source: f.source_document.as_ref().map(|document| FrameworkSource {
                    framework: f.framework.id.clone(),
                    format: "oscal-catalog".into(),
                    file_name: plan.file_name.clone(),
                    document: document.clone(),
                }),
            };
            Ok(Outcome::Framework(
                store.import_framework(actor, &import, progress).await?,
            ))
        }
        PlanContent::Mappings(mappings) => Ok(Outcome::Mappings(
            store.import_mappings(actor, mappings, progress).await?,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assure_oscal::import::{ImportedRequirement, RequirementKind as OscalKind};

    fn req(id: &str, parent: Option<&str>, withdrawn: bool) -> ImportedRequirement {
        ImportedRequirement {
            id: id.into(),
            title: id.into(),
            text: None,
            parent: parent.map(Into::into),
            kind: if parent.is_none() {
                OscalKind::Group
            } else {
                OscalKind::Requirement
            },
            label: None,
            withdrawn,
            params: Vec::new(),
            oscal: None,
        }
    }

    fn framework(requirements: Vec<ImportedRequirement>) -> ImportedFramework {
        ImportedFramework {
            id: "f".into(),
            name: "F".into(),
            version: "1".into(),
            publisher: None,
            requirements,
            oscal: None,
        }
    }

    #[test]
    fn withdrawn_controls_are_left_out_and_their_current_children_move_up()
    -> Result<(), ImportError> {
        let plan = framework_plan(
            ImportKind::Catalog,
            Path::new("c.json"),
            framework(vec![
                req("g", None, false),
                req("g-1", Some("g"), true),
                req("g-1.1", Some("g-1"), false),
            ]),
            None,
            &OscalOptions::default(),
            Vec::new(),
        )?;
        let PlanContent::Framework(f) = plan.content else {
            panic!("a framework plan");
        };
        let shown: Vec<_> = f
            .requirements
            .iter()
            .map(|r| {
                (
                    r.id.as_str(),
                    r.parent.as_ref().map(|p| p.as_str()),
                    r.position,
                )
            })
            .collect();
        assert_eq!(shown, vec![("g", None, 0), ("g-1.1", Some("g"), 1)]);
        assert_eq!(f.withdrawn_skipped, 1);
        assert!(f.default_licence);
        Ok(())
    }

    #[test]
    fn duplicate_ids_are_refused_with_their_place() {
        let refused = framework_plan(
            ImportKind::Catalog,
            Path::new("c.json"),
            framework(vec![req("g", None, false), req("g", None, false)]),
            None,
            &OscalOptions::default(),
            Vec::new(),
        );
        match refused {
            Err(e @ ImportError::Invalid { .. }) => {
                assert_eq!(e.exit_code(), EXIT_INVALID);
                assert_eq!(e.problems()[0].location, "requirement g (#2)");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn an_unreadable_file_is_a_usage_error_and_a_wrong_root_an_invalid_document() {
        let missing = read_catalog(Path::new("/nonexistent/c.json"), &OscalOptions::default());
        assert!(matches!(&missing, Err(e) if e.exit_code() == EXIT_USAGE));
        let wrong = ImportError::Oscal(OscalError::WrongRoot {
            document: "w.json".into(),
            expected: "catalog".into(),
            found: "`profile`".into(),
        });
        assert_eq!(wrong.exit_code(), EXIT_INVALID);
        assert_eq!(
            wrong.problems()[0].to_string(),
            "w.json at the root (JSON pointer \"\"): expected an OSCAL catalog (root key `catalog`), found `profile`"
        );
    }

    #[test]
    fn slugs_keep_letters_digits_and_dots() {
        assert_eq!(
            slug("NIST SP 800-53 Rev. 5 LOW"),
            "nist-sp-800-53-rev.-5-low"
        );
    }
}
