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

/// A map entry or list element as stored: the node and its key packed into 16 bytes (the key sits where an
/// enum would keep padding), so a field lookup touches one cache line for both.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Slot {
    payload: u64,
    key: u32,
    tag: u8,
}

impl Slot {
    fn pack(key: Sym, n: Node) -> Slot {
        let pair = |a: u32, b: u32| (u64::from(a) << 32) | u64::from(b);
        let (tag, payload) = match n {
            Node::Null => (0, 0),
            Node::Bool(b) => (1, u64::from(b)),
            Node::Int(i) => (2, i as u64),
            Node::Double(d) => (3, d.to_bits()),
            Node::Str(s) => (4, u64::from(s.0)),
            Node::Timestamp(t) => (5, t as u64),
            Node::List { start, len } => (6, pair(start, len)),
            Node::Map { start, len } => (7, pair(start, len)),
        };
        Slot {
            payload,
            key: key.0,
            tag,
        }
    }
    #[inline]
    pub(crate) fn node(self) -> Node {
        let (hi, lo) = ((self.payload >> 32) as u32, self.payload as u32);
        match self.tag {
            1 => Node::Bool(self.payload != 0),
            2 => Node::Int(self.payload as i64),
            3 => Node::Double(f64::from_bits(self.payload)),
            4 => Node::Str(Sym(lo)),
            5 => Node::Timestamp(self.payload as i64),
            6 => Node::List { start: hi, len: lo },
            7 => Node::Map { start: hi, len: lo },
            _ => Node::Null,
        }
    }
    #[inline]
    pub(crate) fn key(self) -> Sym {
        Sym(self.key)
    }
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
    /// Number of interned strings.
    pub fn count(&self) -> usize {
        self.strings.len()
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
    pub(crate) nodes: Vec<Slot>,
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
        self.nodes.get(id as usize).map_or(Node::Null, |s| s.node())
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
        let slots = self.nodes.get(s..e)?;
        slots
            .iter()
            .position(|slot| slot.key == key.0)
            .map(|i| start + i as u32)
    }
    /// Approximate heap bytes held, for reports.
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Slot>()
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
            self.store.nodes.push(Slot::pack(k, n));
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
        self.store.nodes.push(Slot::pack(NO_KEY, root));
        let start = self.store.ids.len() as u32;
        self.store.ids.push_str(id);
        self.store.resources.push(Resource {
            id: (start, id.len() as u32),
            ty,
            root: root_id,
        });
        self.store.by_type.entry(ty).or_default().push(rid);
    }
    /// Appends the resources of builders that started from the same interner prefix of `base` symbols
    /// (read in parallel), renumbering their nodes and their own new symbols. Consumes them one by one.
    pub(crate) fn merge(pieces: Vec<Builder>, base: usize) -> Builder {
        let total: usize = pieces.iter().map(|p| p.store.nodes.len()).sum();
        let mut it = pieces.into_iter();
        let Some(mut out) = it.next() else {
            return Builder::default();
        };
        out.store
            .nodes
            .reserve(total.saturating_sub(out.store.nodes.len()));
        for piece in it {
            let p = piece.store;
            let remap: Vec<Sym> = (base..p.interner.count())
                .map(|i| out.store.interner.intern(p.interner.text(Sym(i as u32))))
                .collect();
            let sym = |s: Sym| {
                if (s.0 as usize) < base || s == NO_KEY {
                    s
                } else {
                    remap.get(s.0 as usize - base).copied().unwrap_or(s)
                }
            };
            let off = out.store.nodes.len() as u32;
            out.store.nodes.extend(p.nodes.iter().map(|slot| {
                let n = match slot.node() {
                    Node::Str(s) => Node::Str(sym(s)),
                    Node::List { start, len } => Node::List {
                        start: start + off,
                        len,
                    },
                    Node::Map { start, len } => Node::Map {
                        start: start + off,
                        len,
                    },
                    other => other,
                };
                Slot::pack(sym(slot.key()), n)
            }));
            let ids_off = out.store.ids.len() as u32;
            out.store.ids.push_str(&p.ids);
            for r in &p.resources {
                let rid = out.store.resources.len() as u32;
                let ty = sym(r.ty);
                out.store.resources.push(Resource {
                    id: (r.id.0 + ids_off, r.id.1),
                    ty,
                    root: r.root + off,
                });
                out.store.by_type.entry(ty).or_default().push(rid);
            }
        }
        out
    }

    pub(crate) fn finish(mut self, now: i64) -> Store {
        self.store.now = now;
        self.store.nodes.shrink_to_fit();
        self.store
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_stay_sixteen_bytes_and_round_trip() {
        assert_eq!(std::mem::size_of::<Slot>(), 16);
        for n in [
            Node::Null,
            Node::Bool(true),
            Node::Int(-5),
            Node::Double(1.5),
            Node::Str(Sym(7)),
            Node::Timestamp(-1),
            Node::List { start: 3, len: 4 },
            Node::Map {
                start: u32::MAX,
                len: 0,
            },
        ] {
            assert_eq!(Slot::pack(Sym(9), n).node(), n);
            assert_eq!(Slot::pack(Sym(9), n).key(), Sym(9));
        }
    }

    #[test]
    fn merging_renumbers_nodes_and_symbols() {
        let mut base = Interner::default();
        base.intern("type");
        let n = base.count();
        let mut pieces = Vec::new();
        for (id, ty, tier) in [("a", "vm", "web"), ("b", "db", "data")] {
            let mut b = Builder::new(base.clone());
            let m = b.mark();
            let k = b.intern("tier");
            let v = b.intern(tier);
            b.push(k, Node::Str(v));
            let root = b.close(m, true);
            let t = b.intern(ty);
            b.add_resource(id, t, root);
            pieces.push(b);
        }
        let s = Builder::merge(pieces, n).finish(0);
        assert_eq!((s.id(0), s.id(1), s.type_name(1)), ("a", "b", "db"));
        let Node::Map { start, len } = s.node(s.root(1)) else {
            panic!("root is not a map")
        };
        let tier = s.interner.get("tier").unwrap_or(NO_KEY);
        let v = s.field(start, len, tier).map(|i| s.node(i));
        assert_eq!(v, s.interner.get("data").map(Node::Str));
        assert_eq!(s.of_type("db"), &[1]);
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
