//! Finalisation: metadata, loose parameters and back-matter pruned to what is referenced.

use std::collections::HashSet;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::document::{EXPORT_OSCAL_VERSION, OscalVersion};
use crate::error::OscalError;
use crate::model::{BackMatter, Catalog, Link, Profile, Property, Resource};
use crate::refs::References;

use super::merge::Merged;

/// The name the resolver gives itself in the `resolution-tool` prop.
pub const RESOLUTION_TOOL: &str = concat!("assure-oscal ", env!("CARGO_PKG_VERSION"));

pub(crate) fn finalize(
    profile: &Profile,
    merged: Merged,
    versions: &[OscalVersion],
    source_href: &str,
    timestamp: Option<&str>,
) -> Result<Catalog, OscalError> {
    let Merged {
        mut catalog,
        resources,
        ..
    } = merged;

    let mut metadata = profile.metadata.clone();
    metadata.last_modified = match timestamp {
        Some(t) => t.to_owned(),
        None => OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned()),
    };
    metadata.oscal_version = result_version(versions);
    metadata
        .props
        .push(Property::new("resolution-tool", RESOLUTION_TOOL));
    metadata
        .links
        .push(Link::new(source_href, "source-profile"));
    catalog.metadata = metadata;
    catalog.uuid = uuid::Uuid::new_v4().to_string();

    prune_loose_params(&mut catalog, profile);

    let mut combined: Vec<Resource> = Vec::new();
    let own = profile
        .back_matter
        .as_ref()
        .map(|b| b.resources.clone())
        .unwrap_or_default();
    for r in resources.into_iter().chain(own) {
        add_resource(&mut combined, r);
    }
    let refs = References::scan(&catalog);
    combined.retain(|r| r.is_keep_always() || refs.fragments.contains(&r.uuid));
    if !combined.is_empty() {
        catalog.back_matter = Some(BackMatter {
            resources: combined,
            extra: Default::default(),
        });
    }
    Ok(catalog)
}

/// The newest OSCAL version among the inputs, but no newer than the one Assure writes.
fn result_version(versions: &[OscalVersion]) -> String {
    let cap = OscalVersion::parse(EXPORT_OSCAL_VERSION);
    let newest = versions.iter().max().cloned();
    match (newest, cap) {
        (Some(v), Some(cap)) if v > cap => cap.to_string(),
        (Some(v), _) => v.to_string(),
        (None, _) => EXPORT_OSCAL_VERSION.to_owned(),
    }
}

/// A later resource with the same uuid replaces an earlier one, unless only the earlier one is `keep=always`.
fn add_resource(list: &mut Vec<Resource>, r: Resource) {
    if let Some(i) = list.iter().position(|e| e.uuid == r.uuid) {
        if list[i].is_keep_always() && !r.is_keep_always() {
            return;
        }
        list.remove(i);
    }
    list.push(r);
}

/// Keeps a catalog-level parameter only if something that stays refers to it (or the profile's modify section
/// names it), following references between loose parameters.
fn prune_loose_params(catalog: &mut Catalog, profile: &Profile) {
    if catalog.params.is_empty() {
        return;
    }
    let loose = std::mem::take(&mut catalog.params);
    let mut refs = References::scan(&*catalog);
    if let Some(m) = &profile.modify {
        for sp in &m.set_parameters {
            refs.params.insert(sp.param_id.clone());
        }
        for alter in &m.alters {
            refs.fragments
                .extend(alter.adds.iter().filter_map(|a| a.by_id.clone()));
        }
    }
    let mut kept: HashSet<usize> = HashSet::new();
    loop {
        let before = kept.len();
        for (i, p) in loose.iter().enumerate() {
            if !kept.contains(&i)
                && (refs.mentions(&p.id) || p.props.iter().any(|x| x.is_keep_always()))
            {
                kept.insert(i);
                let more = References::scan(p);
                refs.fragments.extend(more.fragments);
                refs.params.extend(more.params);
            }
        }
        if kept.len() == before {
            break;
        }
    }
    // A parameter that stays in its control or group is not repeated loose (the same catalog imported twice).
    let mut ids: HashSet<String> = HashSet::new();
    super::modify::for_each_param_mut(catalog, &mut |p| {
        ids.insert(p.id.clone());
    });
    catalog.params = loose
        .into_iter()
        .enumerate()
        .filter(|(i, p)| kept.contains(i) && ids.insert(p.id.clone()))
        .map(|(_, p)| p)
        .collect();
}
