//! Import selection and merge phase: combine (`use-first` / `keep`) and structure (`flat`, `as-is`, `custom`).

use std::collections::{HashMap, HashSet};

use crate::document::OscalVersion;
use crate::error::OscalError;
use crate::model::profile::{CustomGroup, InsertControls, SelectControl};
use crate::model::{Catalog, Control, Group, Metadata, Profile, Resource};

use super::select::{ControlIndex, Pruned, flatten, glob_match, included_ids, prune};
use super::{Imported, Warning};

/// The intermediate after merging: the catalog body (metadata still empty) and what finalisation needs.
pub(crate) struct Merged {
    pub catalog: Catalog,
    /// Back-matter resources of the imports, in import order.
    pub resources: Vec<Resource>,
    pub versions: Vec<OscalVersion>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Structure {
    Flat,
    AsIs,
    Custom,
}

fn structure(profile: &Profile, document: &str) -> Result<Structure, OscalError> {
    let Some(merge) = &profile.merge else {
        return Ok(Structure::Flat);
    };
    let mut found = Vec::new();
    if merge.flat.is_some() {
        found.push(Structure::Flat);
    }
    if merge.as_is == Some(true) {
        found.push(Structure::AsIs);
    }
    if merge.custom.is_some() {
        found.push(Structure::Custom);
    }
    match found.as_slice() {
        [] => Ok(Structure::Flat),
        [one] => Ok(*one),
        _ => Err(OscalError::Invalid {
            document: document.to_owned(),
            pointer: "/profile/merge".into(),
            message: "more than one structuring directive (flat, as-is, custom)".into(),
        }),
    }
}

pub(crate) fn merge(
    profile: &Profile,
    document: &str,
    imported: Vec<(usize, Imported)>,
    flat_keeps_nesting: bool,
    warnings: &mut Vec<Warning>,
) -> Result<Merged, OscalError> {
    let structure = structure(profile, document)?;
    let method = profile
        .merge
        .as_ref()
        .and_then(|m| m.combine.as_ref())
        .and_then(|c| c.method.as_deref())
        .unwrap_or("keep");
    if method == "merge" {
        warnings.push(Warning::DeprecatedMergeMethod {
            pointer: "/profile/merge/combine/method".into(),
        });
    }
    let use_first = method == "use-first" || method == "merge";

    let mut seen: HashSet<String> = HashSet::new();
    let mut resources = Vec::new();
    let mut versions = Vec::new();
    let mut pruned_all: Vec<Pruned> = Vec::new();
    for (i, imp) in imported {
        let Some(import) = profile.imports.get(i) else {
            continue;
        };
        let index = ControlIndex::new(&imp.catalog.0);
        let mut missing = Vec::new();
        let mut included = included_ids(&index, import, &mut missing);
        for control_id in missing {
            warnings.push(Warning::SelectedControlMissing {
                control_id,
                href: imp.href.clone(),
                pointer: format!("/profile/imports/{i}/include-controls"),
            });
        }
        if use_first {
            included.retain(|id| !seen.contains(id));
            seen.extend(included.iter().cloned());
        }
        if let Some(bm) = &imp.catalog.0.back_matter {
            resources.extend(bm.resources.iter().cloned());
        }
        versions.extend(imp.version);
        pruned_all.push(prune(
            &imp.catalog.0,
            &included,
            structure != Structure::AsIs,
        ));
    }

    let mut out = Catalog {
        uuid: String::new(),
        metadata: Metadata::default(),
        params: Vec::new(),
        controls: Vec::new(),
        groups: Vec::new(),
        back_matter: None,
        extra: Default::default(),
    };
    match structure {
        Structure::Flat => {
            for p in pruned_all {
                out.params.extend(p.loose_params);
                if flat_keeps_nesting {
                    ungroup(p.controls, p.groups, &mut out.controls);
                } else {
                    flatten(p.controls, p.groups, &mut out.controls);
                }
            }
        }
        Structure::AsIs => {
            for p in pruned_all {
                out.params.extend(p.loose_params);
                out.controls.extend(p.controls);
                merge_groups(&mut out.groups, p.groups);
            }
        }
        Structure::Custom => {
            let mut pool = Vec::new();
            let mut parents = HashMap::new();
            for p in pruned_all {
                out.params.extend(p.loose_params);
                flatten_with_parents(p.controls, None, &mut pool, &mut parents);
                for g in p.groups {
                    flatten_groups(g, &mut pool, &mut parents);
                }
            }
            let custom = profile
                .merge
                .as_ref()
                .and_then(|m| m.custom.clone())
                .unwrap_or_default();
            for ic in &custom.insert_controls {
                out.controls.extend(insert_controls(ic, &pool, &parents));
            }
            out.groups = custom
                .groups
                .iter()
                .map(|g| custom_group(g, &pool, &parents))
                .collect();
        }
    }
    if !use_first {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for r in out.walk_controls() {
            *counts.entry(r.control.id.clone()).or_default() += 1;
        }
        let mut dups: Vec<String> = counts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(id, _)| id)
            .collect();
        dups.sort();
        warnings.extend(
            dups.into_iter()
                .map(|control_id| Warning::DuplicateControl { control_id }),
        );
    }
    Ok(Merged {
        catalog: out,
        resources,
        versions,
    })
}

/// All controls of a pruned tree in document order without their groups, enhancements left nested.
fn ungroup(controls: Vec<Control>, groups: Vec<Group>, out: &mut Vec<Control>) {
    out.extend(controls);
    for g in groups {
        ungroup(g.controls, g.groups, out);
    }
}

/// Adds groups to a list, merging a group into an earlier one that is the same group imported again: same id,
/// or, for groups without ids, same title (as NIST's resolver does for chained imports).
fn merge_groups(into: &mut Vec<Group>, groups: Vec<Group>) {
    for g in groups {
        let existing = into.iter_mut().find(|e| match (&e.id, &g.id) {
            (Some(a), Some(b)) => a == b,
            (None, None) => e.title == g.title,
            _ => false,
        });
        match existing {
            Some(e) => {
                e.controls.extend(g.controls);
                merge_groups(&mut e.groups, g.groups);
            }
            None => into.push(g),
        }
    }
}

fn flatten_with_parents(
    list: Vec<Control>,
    parent: Option<&str>,
    pool: &mut Vec<Control>,
    parents: &mut HashMap<String, String>,
) {
    for mut c in list {
        let kids = std::mem::take(&mut c.controls);
        if let Some(p) = parent {
            parents.insert(c.id.clone(), p.to_owned());
        }
        let id = c.id.clone();
        pool.push(c);
        flatten_with_parents(kids, Some(&id), pool, parents);
    }
}

fn flatten_groups(g: Group, pool: &mut Vec<Control>, parents: &mut HashMap<String, String>) {
    flatten_with_parents(g.controls, None, pool, parents);
    for sub in g.groups {
        flatten_groups(sub, pool, parents);
    }
}

fn is_descendant(id: &str, of: &HashSet<String>, parents: &HashMap<String, String>) -> bool {
    let mut cur = id;
    while let Some(p) = parents.get(cur) {
        if of.contains(p) {
            return true;
        }
        cur = p;
    }
    false
}

fn selected(
    selectors: &[SelectControl],
    pool: &[Control],
    parents: &HashMap<String, String>,
) -> HashSet<String> {
    let mut out = HashSet::new();
    for sel in selectors {
        let direct: HashSet<String> = pool
            .iter()
            .filter(|c| {
                sel.with_ids.contains(&c.id)
                    || sel
                        .matching
                        .iter()
                        .any(|m| m.pattern.as_deref().is_some_and(|p| glob_match(p, &c.id)))
            })
            .map(|c| c.id.clone())
            .collect();
        if sel.with_child_controls.as_deref() == Some("yes") {
            out.extend(
                pool.iter()
                    .filter(|c| is_descendant(&c.id, &direct, parents))
                    .map(|c| c.id.clone()),
            );
        }
        out.extend(direct);
    }
    out
}

/// The controls one `insert-controls` selects from the included ones, in the order it asks for.
fn insert_controls(
    ic: &InsertControls,
    pool: &[Control],
    parents: &HashMap<String, String>,
) -> Vec<Control> {
    let include = if ic.include_all.is_some() {
        pool.iter().map(|c| c.id.clone()).collect()
    } else {
        selected(&ic.include_controls, pool, parents)
    };
    let exclude = selected(&ic.exclude_controls, pool, parents);
    let mut chosen: Vec<Control> = pool
        .iter()
        .filter(|c| include.contains(&c.id) && !exclude.contains(&c.id))
        .cloned()
        .collect();
    match ic.order.as_deref() {
        Some("ascending") => chosen.sort_by(|a, b| a.id.cmp(&b.id)),
        Some("descending") => chosen.sort_by(|a, b| b.id.cmp(&a.id)),
        _ => {}
    }
    chosen
}

fn custom_group(g: &CustomGroup, pool: &[Control], parents: &HashMap<String, String>) -> Group {
    Group {
        id: g.id.clone(),
        class: g.class.clone(),
        title: g.title.clone(),
        params: g.params.clone(),
        props: g.props.clone(),
        links: g.links.clone(),
        parts: g.parts.clone(),
        groups: g
            .groups
            .iter()
            .map(|s| custom_group(s, pool, parents))
            .collect(),
        controls: g
            .insert_controls
            .iter()
            .flat_map(|ic| insert_controls(ic, pool, parents))
            .collect(),
        extra: g.extra.clone(),
    }
}
