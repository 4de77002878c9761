//! Which parts of each resource the loaded checks can reach. The reader keeps only those (plus `id` and
//! `type`), so memory and parse time follow the checks, not the size of every resource.

use crate::store::{Interner, Sym};

/// A tree of kept fields. Lists are transparent: a list's elements are projected by the list's node.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Projection {
    /// Keep this value entirely.
    pub whole: bool,
    /// Keep only these fields (when not `whole`), with their interned names so the reader need not hash.
    pub fields: Vec<(Box<str>, Sym, Projection)>,
}

impl Projection {
    /// A projection keeping everything.
    pub fn all() -> Self {
        Projection {
            whole: true,
            fields: Vec::new(),
        }
    }
    /// The projection and symbol for field `name`, if kept.
    #[inline]
    pub fn field(&self, name: &str) -> Option<(&Projection, Sym)> {
        self.fields
            .iter()
            .find(|(k, _, _)| &**k == name)
            .map(|(_, s, p)| (p, *s))
    }
}

#[derive(Debug, Clone, Default)]
struct PNode {
    whole: bool,
    fields: Vec<(String, usize)>,
}

/// Collects projections while checks compile; node 0 is the resource root (`r`).
#[derive(Debug, Clone)]
pub struct ProjBuilder {
    nodes: Vec<PNode>,
}

impl Default for ProjBuilder {
    fn default() -> Self {
        ProjBuilder {
            nodes: vec![PNode::default()],
        }
    }
}

impl ProjBuilder {
    /// The node for field `name` under node `p`, created on first use.
    pub fn child(&mut self, p: usize, name: &str) -> usize {
        if let Some(&(_, c)) = self
            .nodes
            .get(p)
            .and_then(|n| n.fields.iter().find(|(k, _)| k == name))
        {
            return c;
        }
        let c = self.nodes.len();
        self.nodes.push(PNode::default());
        if let Some(n) = self.nodes.get_mut(p) {
            n.fields.push((name.to_string(), c));
        }
        c
    }
    /// Keep node `p` entirely.
    pub fn mark_whole(&mut self, p: usize) {
        if let Some(n) = self.nodes.get_mut(p) {
            n.whole = true;
        }
    }
    /// The finished tree; field names are interned in `interner`.
    pub fn build(&self, interner: &mut Interner) -> Projection {
        self.build_node(0, interner)
    }
    fn build_node(&self, i: usize, interner: &mut Interner) -> Projection {
        let Some(n) = self.nodes.get(i) else {
            return Projection::default();
        };
        if n.whole {
            return Projection::all();
        }
        Projection {
            whole: false,
            fields: n
                .fields
                .iter()
                .map(|(k, c)| {
                    (
                        k.as_str().into(),
                        interner.intern(k),
                        self.build_node(*c, interner),
                    )
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_subtrees_absorb_their_fields() {
        let mut b = ProjBuilder::default();
        let enc = b.child(0, "encryption");
        let en = b.child(enc, "enabled");
        b.mark_whole(en);
        let tags = b.child(0, "tags");
        b.child(tags, "env");
        b.mark_whole(tags);
        let p = b.build(&mut Interner::default());
        assert!(!p.whole);
        let enc = p.field("encryption").map(|(e, _)| e);
        assert_eq!(
            enc.and_then(|e| e.field("enabled")).map(|(p, _)| p),
            Some(&Projection::all())
        );
        assert_eq!(p.field("tags").map(|(p, _)| p), Some(&Projection::all()));
        assert!(p.field("name").is_none());
    }
}
