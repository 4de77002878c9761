//! Modify phase: `set-parameters` (by id or alias id) and `alters` (removes, then adds at every position).

use std::collections::HashMap;

use crate::model::profile::{Add, Alter, Remove, SetParameter};
use crate::model::{Catalog, Control, Group, Link, OSCAL_NS, Parameter, Part, Property};

use super::Warning;

/// Visits every parameter of the catalog (loose, group, control and enhancement ones).
pub(crate) fn for_each_param_mut(catalog: &mut Catalog, f: &mut dyn FnMut(&mut Parameter)) {
    fn controls(list: &mut [Control], f: &mut dyn FnMut(&mut Parameter)) {
        for c in list {
            c.params.iter_mut().for_each(&mut *f);
            controls(&mut c.controls, f);
        }
    }
    fn groups(list: &mut [Group], f: &mut dyn FnMut(&mut Parameter)) {
        for g in list {
            g.params.iter_mut().for_each(&mut *f);
            controls(&mut g.controls, f);
            groups(&mut g.groups, f);
        }
    }
    catalog.params.iter_mut().for_each(&mut *f);
    controls(&mut catalog.controls, f);
    groups(&mut catalog.groups, f);
}

/// Visits every control of the catalog, enhancements included.
pub(crate) fn for_each_control_mut(catalog: &mut Catalog, f: &mut dyn FnMut(&mut Control)) {
    fn controls(list: &mut [Control], f: &mut dyn FnMut(&mut Control)) {
        for c in list {
            f(c);
            controls(&mut c.controls, f);
        }
    }
    fn groups(list: &mut [Group], f: &mut dyn FnMut(&mut Control)) {
        for g in list {
            controls(&mut g.controls, f);
            groups(&mut g.groups, f);
        }
    }
    controls(&mut catalog.controls, f);
    groups(&mut catalog.groups, f);
}

/// Alias id -> parameter id, from `alt-identifier` (preferred) and `aggregates` props.
fn alias_table(catalog: &mut Catalog) -> HashMap<String, String> {
    let mut aliases: HashMap<String, (crate::model::AliasKind, String)> = HashMap::new();
    for_each_param_mut(catalog, &mut |p| {
        for (alias, kind) in p.aliases() {
            let better = aliases.get(alias).is_none_or(|(k, _)| kind < *k);
            if better {
                aliases.insert(alias.to_owned(), (kind, p.id.clone()));
            }
        }
    });
    aliases.into_iter().map(|(a, (_, id))| (a, id)).collect()
}

/// A set-parameter addressed through an alias, for the report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AliasUse {
    pub param_id: String,
    pub resolved_to: String,
}

pub(crate) fn set_parameters(
    catalog: &mut Catalog,
    settings: &[SetParameter],
    warnings: &mut Vec<Warning>,
    aliases_used: &mut Vec<AliasUse>,
) {
    if settings.is_empty() {
        return;
    }
    let aliases = alias_table(catalog);
    for (i, sp) in settings.iter().enumerate() {
        let mut hit = false;
        for_each_param_mut(catalog, &mut |p| {
            if p.id == sp.param_id {
                apply_setting(p, sp);
                hit = true;
            }
        });
        if !hit && let Some(target) = aliases.get(&sp.param_id) {
            for_each_param_mut(catalog, &mut |p| {
                if &p.id == target {
                    apply_setting(p, sp);
                    hit = true;
                }
            });
            if hit {
                aliases_used.push(AliasUse {
                    param_id: sp.param_id.clone(),
                    resolved_to: target.clone(),
                });
            }
        }
        if !hit {
            warnings.push(Warning::UnresolvedParameter {
                param_id: sp.param_id.clone(),
                pointer: format!("/profile/modify/set-parameters/{i}"),
            });
        }
    }
}

/// Replaces class, depends-on, label, usage, values, select; appends props, links, constraints, guidelines
/// (a prop or link with the same uuid / href is replaced).
fn apply_setting(p: &mut Parameter, sp: &SetParameter) {
    if sp.class.is_some() {
        p.class.clone_from(&sp.class);
    }
    if sp.depends_on.is_some() {
        p.depends_on.clone_from(&sp.depends_on);
    }
    if sp.label.is_some() {
        p.label.clone_from(&sp.label);
    }
    if sp.usage.is_some() {
        p.usage.clone_from(&sp.usage);
    }
    if sp.values.is_some() {
        p.values.clone_from(&sp.values);
        p.select = None;
    }
    if sp.select.is_some() {
        p.select.clone_from(&sp.select);
        p.values = None;
    }
    for prop in &sp.props {
        if let Some(u) = &prop.uuid {
            p.props.retain(|x| x.uuid.as_ref() != Some(u));
        }
        p.props.push(prop.clone());
    }
    for link in &sp.links {
        p.links.retain(|x| x.href != link.href || x.rel != link.rel);
        p.links.push(link.clone());
    }
    p.constraints.extend(sp.constraints.iter().cloned());
    p.guidelines.extend(sp.guidelines.iter().cloned());
}

pub(crate) fn apply_alters(catalog: &mut Catalog, alters: &[Alter], warnings: &mut Vec<Warning>) {
    for (i, alter) in alters.iter().enumerate() {
        let pointer = format!("/profile/modify/alters/{i}");
        let mut found = false;
        let mut inoperative: Vec<(usize, String)> = Vec::new();
        for_each_control_mut(catalog, &mut |c| {
            if c.id != alter.control_id {
                return;
            }
            found = true;
            for r in &alter.removes {
                remove_in_control(c, r);
            }
            for (j, add) in alter.adds.iter().enumerate() {
                if !add_to_control(c, add) {
                    inoperative.push((j, add.by_id.clone().unwrap_or_default()));
                }
            }
        });
        if !found {
            warnings.push(Warning::AlterTargetMissing {
                control_id: alter.control_id.clone(),
                pointer,
            });
            continue;
        }
        inoperative.sort();
        inoperative.dedup();
        for (j, by_id) in inoperative {
            warnings.push(Warning::InoperativeAdd {
                control_id: alter.control_id.clone(),
                by_id,
                pointer: format!("{pointer}/adds/{j}"),
            });
        }
    }
}

// ---- removes -------------------------------------------------------------------------------------------------

struct Item<'a> {
    kind: &'static str,
    name: Option<&'a str>,
    class: Option<&'a str>,
    id: Option<&'a str>,
    /// `None` for objects that have no namespace (params, links, controls).
    ns: Option<&'a str>,
    namespaced: bool,
}

fn matches(r: &Remove, item: &Item<'_>) -> bool {
    let criteria = [&r.by_name, &r.by_class, &r.by_id, &r.by_item_name, &r.by_ns];
    if criteria.iter().all(|c| c.is_none()) {
        return false;
    }
    let ok =
        |want: &Option<String>, have: Option<&str>| want.as_deref().is_none_or(|w| have == Some(w));
    ok(&r.by_name, item.name)
        && ok(&r.by_class, item.class)
        && ok(&r.by_id, item.id)
        && ok(&r.by_item_name, Some(item.kind))
        && r.by_ns
            .as_deref()
            .is_none_or(|w| item.namespaced && item.ns.unwrap_or(OSCAL_NS) == w)
}

fn prop_item(p: &Property) -> Item<'_> {
    Item {
        kind: "prop",
        name: Some(&p.name),
        class: p.class.as_deref(),
        id: None,
        ns: p.ns.as_deref(),
        namespaced: true,
    }
}

fn link_item(_: &Link) -> Item<'static> {
    Item {
        kind: "link",
        name: None,
        class: None,
        id: None,
        ns: None,
        namespaced: false,
    }
}

fn part_item(p: &Part) -> Item<'_> {
    Item {
        kind: "part",
        name: Some(&p.name),
        class: p.class.as_deref(),
        id: p.id.as_deref(),
        ns: p.ns.as_deref(),
        namespaced: true,
    }
}

fn param_item(p: &Parameter) -> Item<'_> {
    Item {
        kind: "param",
        name: None,
        class: p.class.as_deref(),
        id: Some(&p.id),
        ns: None,
        namespaced: false,
    }
}

fn remove_in_part(part: &mut Part, r: &Remove) {
    part.props.retain(|p| !matches(r, &prop_item(p)));
    part.links.retain(|l| !matches(r, &link_item(l)));
    part.parts.retain(|p| !matches(r, &part_item(p)));
    for p in &mut part.parts {
        remove_in_part(p, r);
    }
}

fn remove_in_control(c: &mut Control, r: &Remove) {
    c.params.retain(|p| !matches(r, &param_item(p)));
    for p in &mut c.params {
        p.props.retain(|x| !matches(r, &prop_item(x)));
        p.links.retain(|l| !matches(r, &link_item(l)));
    }
    c.props.retain(|p| !matches(r, &prop_item(p)));
    c.links.retain(|l| !matches(r, &link_item(l)));
    c.parts.retain(|p| !matches(r, &part_item(p)));
    for p in &mut c.parts {
        remove_in_part(p, r);
    }
    c.controls.retain(|k| {
        !matches(
            r,
            &Item {
                kind: "control",
                name: None,
                class: k.class.as_deref(),
                id: Some(&k.id),
                ns: None,
                namespaced: false,
            },
        )
    });
}

// ---- adds ----------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Before,
    After,
    Starting,
    Ending,
}

fn position(add: &Add) -> Position {
    match add.position.as_deref() {
        Some("before") => Position::Before,
        Some("after") => Position::After,
        Some("starting") => Position::Starting,
        _ => Position::Ending,
    }
}

/// Where items go in a list.
#[derive(Clone, Copy)]
enum At {
    Start,
    End,
    Index(usize),
}

fn insert<T: Clone>(list: &mut Vec<T>, items: &[T], at: At) {
    let i = match at {
        At::Start => 0,
        At::End => list.len(),
        At::Index(i) => i.min(list.len()),
    };
    list.splice(i..i, items.iter().cloned());
}

/// At the start or end of a list, for items added inside an object or beside an object of another kind.
fn edge(pos: Position) -> At {
    match pos {
        Position::Before | Position::Starting => At::Start,
        Position::After | Position::Ending => At::End,
    }
}

/// Adds to the control itself (implicit binding): contents at the start or end of each list.
fn add_into_control(c: &mut Control, add: &Add, pos: Position) {
    if let Some(t) = &add.title {
        c.title.clone_from(t);
    }
    let at = edge(pos);
    insert(&mut c.params, &add.params, at);
    insert(&mut c.props, &add.props, at);
    insert(&mut c.links, &add.links, at);
    insert(&mut c.parts, &add.parts, at);
}

/// Applies one add to a control; false when `by-id` names nothing inside it (the add is inoperative).
fn add_to_control(c: &mut Control, add: &Add) -> bool {
    let pos = position(add);
    match add.by_id.as_deref() {
        None => {
            add_into_control(c, add, pos);
            true
        }
        Some(id) if id == c.id => {
            add_into_control(c, add, pos);
            true
        }
        Some(id) => add_by_id_in_control(c, add, id, pos),
    }
}

fn add_by_id_in_control(c: &mut Control, add: &Add, id: &str, pos: Position) -> bool {
    if let Some(i) = c.params.iter().position(|p| p.id == id) {
        match pos {
            Position::Starting | Position::Ending => {
                let p = &mut c.params[i];
                insert(&mut p.props, &add.props, edge(pos));
                insert(&mut p.links, &add.links, edge(pos));
            }
            Position::Before | Position::After => {
                let at = At::Index(if pos == Position::Before { i } else { i + 1 });
                insert(&mut c.params, &add.params, at);
                insert(&mut c.props, &add.props, edge(pos));
                insert(&mut c.links, &add.links, edge(pos));
                insert(&mut c.parts, &add.parts, edge(pos));
            }
        }
        return true;
    }
    if let Some(i) = c.parts.iter().position(|p| p.id.as_deref() == Some(id)) {
        beside_or_inside_part(&mut c.parts, i, add, pos, &mut c.props, &mut c.links);
        return true;
    }
    for p in &mut c.parts {
        if add_by_id_in_part(p, add, id, pos) {
            return true;
        }
    }
    if let Some(i) = c.controls.iter().position(|k| k.id == id) {
        match pos {
            Position::Starting | Position::Ending => add_into_control(&mut c.controls[i], add, pos),
            Position::Before | Position::After => {
                insert(&mut c.params, &add.params, edge(pos));
                insert(&mut c.props, &add.props, edge(pos));
                insert(&mut c.links, &add.links, edge(pos));
                insert(&mut c.parts, &add.parts, edge(pos));
            }
        }
        return true;
    }
    c.controls
        .iter_mut()
        .any(|k| add_by_id_in_control(k, add, id, pos))
}

/// `parts[i]` is the target: add inside it (starting/ending) or next to it (before/after), with items of other
/// kinds going to the container's lists.
fn beside_or_inside_part(
    parts: &mut Vec<Part>,
    i: usize,
    add: &Add,
    pos: Position,
    container_props: &mut Vec<Property>,
    container_links: &mut Vec<Link>,
) {
    match pos {
        Position::Starting | Position::Ending => {
            let p = &mut parts[i];
            if let Some(t) = &add.title {
                p.title = Some(t.clone());
            }
            insert(&mut p.props, &add.props, edge(pos));
            insert(&mut p.links, &add.links, edge(pos));
            insert(&mut p.parts, &add.parts, edge(pos));
        }
        Position::Before | Position::After => {
            let at = At::Index(if pos == Position::Before { i } else { i + 1 });
            insert(parts, &add.parts, at);
            insert(container_props, &add.props, edge(pos));
            insert(container_links, &add.links, edge(pos));
        }
    }
}

fn add_by_id_in_part(part: &mut Part, add: &Add, id: &str, pos: Position) -> bool {
    if let Some(i) = part.parts.iter().position(|p| p.id.as_deref() == Some(id)) {
        beside_or_inside_part(
            &mut part.parts,
            i,
            add,
            pos,
            &mut part.props,
            &mut part.links,
        );
        return true;
    }
    part.parts
        .iter_mut()
        .any(|p| add_by_id_in_part(p, add, id, pos))
}
