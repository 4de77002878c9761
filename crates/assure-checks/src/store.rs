//! The compact, read-only representation every check evaluates against: one arena of 16-byte nodes,
//! interned strings and resources indexed by type. Built once per input, shared by all checks and threads.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// An interned string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(pub u32);

/// Index of a node in the arena.
pub type NodeId = u32;

/// One stored JSON value. Containers point at a contiguous run of children in the arena; a map's keys
/// sit at the same indexes in the parallel key array.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
    Str(Sym),
    /// Nanoseconds since the Unix epoch (fields whose record schema says they are times).
    Timestamp(i64),
    List {
        start: u32,
        len: u32,
    },
    Map {
        start: u32,
        len: u32,
    },
}

/// FxHash: the interner hashes short keys millions of times, where SipHash shows up in profiles.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
        self.0 = h;
    }
}

/// Hash map keyed with [`FxHasher`].
pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// String interner: equal strings get equal [`Sym`]s, so comparisons against literals are integer compares.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    map: FxMap<Box<str>, Sym>,
    strings: Vec<Box<str>>,
}

impl Interner {
    /// Returns the symbol of `s`, adding it if new.
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.map.get(s) {
            return sym;
        }
        let sym = Sym(u32::try_from(self.strings.len()).unwrap_or(u32::MAX));
        self.strings.push(s.into());
        self.map.insert(s.into(), sym);
        sym
    }
    /// The symbol of `s` if it was ever interned.
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.map.get(s).copied()
    }
    /// The text of a symbol.
    pub fn text(&self, sym: Sym) -> &str {
        self.strings.get(sym.0 as usize).map_or("", |s| s)
    }
}

/// One resource: its identifier, its type and the root node (a map) of its value.
#[derive(Debug, Clone, Copy)]
pub struct Resource {
    /// Span of the identifier in [`Store::ids`].
    pub id: (u32, u32),
    /// The resource type.
    pub ty: Sym,
    /// Root node (a map) of the resource.
    pub root: NodeId,
}

/// Everything an evaluation needs, immutable once built.
#[derive(Debug, Default)]
pub struct Store {
    pub(crate) nodes: Vec<Node>,
    pub(crate) keys: Vec<Sym>,
    pub(crate) interner: Interner,
    pub(crate) ids: String,
    pub(crate) resources: Vec<Resource>,
    pub(crate) by_type: FxMap<Sym, Vec<u32>>,
    /// Snapshot time in nanoseconds since the epoch (CEL `now`).
    pub(crate) now: i64,
}

impl Store {
    /// Number of resources.
    pub fn len(&self) -> usize {
        self.resources.len()
    }
    /// True when the input held no resource.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }
    /// The resource identifier (`id`, Terraform address, key name, ...).
    pub fn id(&self, res: u32) -> &str {
        self.resources.get(res as usize).map_or("", |r| {
            self.ids
                .get(r.id.0 as usize..(r.id.0 + r.id.1) as usize)
                .unwrap_or("")
        })
    }
    /// The resource type name.
    pub fn type_name(&self, res: u32) -> &str {
        self.resources
            .get(res as usize)
            .map_or("", |r| self.interner.text(r.ty))
    }
    /// Snapshot time, nanoseconds since the epoch.
    pub fn now(&self) -> i64 {
        self.now
    }
    /// Indices of the resources of one type.
    pub fn of_type(&self, ty: &str) -> &[u32] {
        self.interner
            .get(ty)
            .and_then(|s| self.by_type.get(&s))
            .map_or(&[], |v| v.as_slice())
    }
    /// Resource counts per type, sorted by name.
    pub fn type_counts(&self) -> Vec<(String, usize)> {
        let mut v: Vec<(String, usize)> = self
            .by_type
            .iter()
            .map(|(k, v)| (self.interner.text(*k).to_string(), v.len()))
            .collect();
        v.sort();
        v
    }
    pub(crate) fn node(&self, id: NodeId) -> Node {
        self.nodes.get(id as usize).copied().unwrap_or(Node::Null)
    }
    pub(crate) fn root(&self, res: u32) -> NodeId {
        self.resources.get(res as usize).map_or(0, |r| r.root)
    }
    pub(crate) fn text(&self, s: Sym) -> &str {
        self.interner.text(s)
    }
    /// Looks a key up in a map node: linear over the (few) entries, comparing symbols.
    pub(crate) fn field(&self, start: u32, len: u32, key: Sym) -> Option<NodeId> {
        let (s, e) = (start as usize, (start + len) as usize);
        let keys = self.keys.get(s..e)?;
        keys.iter()
            .position(|k| *k == key)
            .map(|i| start + i as u32)
    }
    /// Approximate heap bytes held, for reports.
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.keys.capacity() * 4
            + self.ids.capacity()
            + self.resources.capacity() * std::mem::size_of::<Resource>()
    }
}

/// Accumulates nodes while an input is read. Children are collected on a scratch stack and copied into
/// the arena in one run when their container closes, so containers stay contiguous.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    pub(crate) store: Store,
    scratch: Vec<(Sym, Node)>,
}

/// Marker for "no key" (list elements) in the key array.
pub(crate) const NO_KEY: Sym = Sym(u32::MAX);

impl Builder {
    pub(crate) fn new(interner: Interner) -> Self {
        Builder {
            store: Store {
                interner,
                ..Store::default()
            },
            scratch: Vec::with_capacity(1024),
        }
    }
    pub(crate) fn intern(&mut self, s: &str) -> Sym {
        self.store.interner.intern(s)
    }
    /// Starts a container; returns the mark to pass to [`Builder::close`].
    pub(crate) fn mark(&self) -> usize {
        self.scratch.len()
    }
    pub(crate) fn push(&mut self, key: Sym, n: Node) {
        self.scratch.push((key, n));
    }
    /// Moves the children pushed since `mark` into the arena.
    pub(crate) fn close(&mut self, mark: usize, map: bool) -> Node {
        let start = self.store.nodes.len() as u32;
        let len = (self.scratch.len() - mark) as u32;
        for (k, n) in self.scratch.drain(mark..) {
            self.store.keys.push(k);
            self.store.nodes.push(n);
        }
        if map {
            Node::Map { start, len }
        } else {
            Node::List { start, len }
        }
    }
    /// Stores a finished container as a resource root.
    pub(crate) fn add_resource(&mut self, id: &str, ty: Sym, root: Node) {
        let rid = self.store.resources.len() as u32;
        let root_id = self.store.nodes.len() as u32;
        self.store.nodes.push(root);
        self.store.keys.push(NO_KEY);
        let start = self.store.ids.len() as u32;
        self.store.ids.push_str(id);
        self.store.resources.push(Resource {
            id: (start, id.len() as u32),
            ty,
            root: root_id,
        });
        self.store.by_type.entry(ty).or_default().push(rid);
    }
    pub(crate) fn finish(mut self, now: i64) -> Store {
        self.store.now = now;
        self.store.nodes.shrink_to_fit();
        self.store.keys.shrink_to_fit();
        self.store
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_stay_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Node>(), 16);
    }

    #[test]
    fn interning_is_idempotent() {
        let mut i = Interner::default();
        let a = i.intern("x");
        assert_eq!(i.intern("x"), a);
        assert_ne!(i.intern("y"), a);
        assert_eq!(i.text(a), "x");
        assert_eq!(i.get("z"), None);
    }
}
