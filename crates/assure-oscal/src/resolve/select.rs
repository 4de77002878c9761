//! Import phase: which controls of an imported catalog a profile selects, and the catalog pruned to them.

use std::collections::{HashMap, HashSet};

use crate::model::profile::{Import, SelectControl};
use crate::model::{Catalog, Control, Group, Parameter};

/// Parent/children relations of a catalog's controls, by id.
#[derive(Debug, Default)]
pub(crate) struct ControlIndex {
    /// Control ids in document order.
    pub order: Vec<String>,
    parent: HashMap<String, String>,
    children: HashMap<String, Vec<String>>,
}

impl ControlIndex {
    pub fn new(catalog: &Catalog) -> Self {
        let mut index = Self::default();
        for r in catalog.walk_controls() {
            index.order.push(r.control.id.clone());
            if let Some(p) = r.parent {
                index.parent.insert(r.control.id.clone(), p.to_owned());
            }
            index.children.insert(
                r.control.id.clone(),
                r.control.controls.iter().map(|c| c.id.clone()).collect(),
            );
        }
        index
    }

    pub fn contains(&self, id: &str) -> bool {
        self.children.contains_key(id)
    }

    fn add_descendants(&self, id: &str, into: &mut HashSet<String>) {
        if let Some(kids) = self.children.get(id) {
            for k in kids {
                into.insert(k.clone());
                self.add_descendants(k, into);
            }
        }
    }

    fn add_ancestors(&self, id: &str, into: &mut HashSet<String>) {
        let mut cur = id;
        while let Some(p) = self.parent.get(cur) {
            into.insert(p.clone());
            cur = p;
        }
    }
}

/// Glob matching as the specification asks (`*` any run, `?` one character); an empty pattern matches nothing.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Ids a list of selectors picks from the index; `missing` receives `with-ids` the catalog lacks.
pub(crate) fn select_ids(
    index: &ControlIndex,
    selectors: &[SelectControl],
    missing: &mut Vec<String>,
) -> HashSet<String> {
    let mut out = HashSet::new();
    for sel in selectors {
        let mut picked: Vec<String> = Vec::new();
        for id in &sel.with_ids {
            if index.contains(id) {
                picked.push(id.clone());
            } else {
                missing.push(id.clone());
            }
        }
        for m in &sel.matching {
            if let Some(pattern) = &m.pattern {
                picked.extend(
                    index
                        .order
                        .iter()
                        .filter(|id| glob_match(pattern, id))
                        .cloned(),
                );
            }
        }
        let with_children = sel.with_child_controls.as_deref() == Some("yes");
        for id in picked {
            if with_children {
                index.add_descendants(&id, &mut out);
            }
            out.insert(id);
        }
    }
    out
}

/// The set of control ids an import includes: inclusions plus their ancestors, minus exclusions (exclusion wins).
pub(crate) fn included_ids(
    index: &ControlIndex,
    import: &Import,
    missing: &mut Vec<String>,
) -> HashSet<String> {
    let mut included: HashSet<String> = if import.include_all.is_some() {
        index.order.iter().cloned().collect()
    } else {
        let direct = select_ids(index, &import.include_controls, missing);
        let mut with_parents = direct.clone();
        for id in &direct {
            index.add_ancestors(id, &mut with_parents);
        }
        with_parents
    };
    let excluded = select_ids(index, &import.exclude_controls, &mut Vec::new());
    included.retain(|id| !excluded.contains(id));
    included
}

/// A catalog cut down to the included controls. Controls whose parent was not included move up to the
/// parent's place; groups left without controls are dropped unless marked `keep=always`.
#[derive(Debug, Default)]
pub(crate) struct Pruned {
    pub controls: Vec<Control>,
    pub groups: Vec<Group>,
    /// Loose parameters in document order: catalog-level ones, those of controls left out, those of dropped
    /// groups, and (when `groups_loose`) those of every group. Kept later only if referenced.
    pub loose_params: Vec<Parameter>,
}

pub(crate) fn prune(catalog: &Catalog, included: &HashSet<String>, groups_loose: bool) -> Pruned {
    let mut loose = catalog.params.clone();
    let controls = prune_controls(&catalog.controls, included, &mut loose);
    let groups = prune_groups(&catalog.groups, included, groups_loose, &mut loose);
    Pruned {
        controls,
        groups,
        loose_params: loose,
    }
}

/// A control without its enhancements (cloning only what is kept).
fn shallow(c: &Control) -> Control {
    Control {
        id: c.id.clone(),
        class: c.class.clone(),
        title: c.title.clone(),
        params: c.params.clone(),
        props: c.props.clone(),
        links: c.links.clone(),
        parts: c.parts.clone(),
        controls: Vec::new(),
        extra: c.extra.clone(),
    }
}

fn prune_controls(
    list: &[Control],
    included: &HashSet<String>,
    loose: &mut Vec<Parameter>,
) -> Vec<Control> {
    let mut out = Vec::new();
    for c in list {
        let kids = prune_controls(&c.controls, included, loose);
        if included.contains(&c.id) {
            let mut kept = shallow(c);
            kept.controls = kids;
            out.push(kept);
        } else {
            loose.extend(c.params.iter().cloned());
            out.extend(kids);
        }
    }
    out
}

fn prune_groups(
    list: &[Group],
    included: &HashSet<String>,
    groups_loose: bool,
    loose: &mut Vec<Parameter>,
) -> Vec<Group> {
    let mut out = Vec::new();
    for g in list {
        let controls = prune_controls(&g.controls, included, loose);
        let groups = prune_groups(&g.groups, included, groups_loose, loose);
        let keep = !controls.is_empty() || !groups.is_empty() || g.is_keep_always();
        if !keep || groups_loose {
            loose.extend(g.params.iter().cloned());
        }
        if keep {
            out.push(Group {
                id: g.id.clone(),
                class: g.class.clone(),
                title: g.title.clone(),
                params: if groups_loose {
                    Vec::new()
                } else {
                    g.params.clone()
                },
                props: g.props.clone(),
                links: g.links.clone(),
                parts: g.parts.clone(),
                groups,
                controls,
                extra: g.extra.clone(),
            });
        }
    }
    out
}

/// All controls of a pruned tree in document order, each without its nested controls (flat structure).
pub(crate) fn flatten(controls: Vec<Control>, groups: Vec<Group>, out: &mut Vec<Control>) {
    fn controls_rec(list: Vec<Control>, out: &mut Vec<Control>) {
        for mut c in list {
            let kids = std::mem::take(&mut c.controls);
            out.push(c);
            controls_rec(kids, out);
        }
    }
    controls_rec(controls, out);
    for g in groups {
        flatten(g.controls, g.groups, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_supports_star_and_question_mark_only() {
        assert!(glob_match("a*", "a1"));
        assert!(glob_match("?1", "b1"));
        assert!(!glob_match("?1", "b12"));
        assert!(!glob_match("^a", "a1"));
        assert!(!glob_match("", "a1"));
        assert!(glob_match("ac-2*", "ac-2.1"));
    }
}
