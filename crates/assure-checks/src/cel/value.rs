//! Runtime values. They borrow nothing: strings from the input are symbols, containers from the input are
//! node indexes, so a compiled check is a plain `Fn` over the shared store.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::store::{Node, NodeId, Store, Sym};
use crate::timefmt;

/// A CEL value during evaluation.
#[derive(Debug, Clone)]
pub enum V {
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
    /// A string interned in the store.
    Str(Sym),
    /// A string computed at run time (or a literal that is not interned).
    Text(Arc<str>),
    /// Nanoseconds since the epoch.
    Ts(i64),
    /// Nanoseconds.
    Dur(i64),
    /// A list or map stored in the input arena.
    Node(NodeId),
    List(Arc<[V]>),
    Map(Arc<[(V, V)]>),
    /// An evaluation error; it propagates like CEL errors (absorbed by `&&`/`||` when the other side decides).
    Err(Arc<str>),
}

/// Builds an error value.
pub fn err(msg: impl Into<String>) -> V {
    V::Err(Arc::from(msg.into()))
}

impl V {
    /// Converts a stored node into a value (containers stay references).
    #[inline]
    pub fn load(store: &Store, id: NodeId) -> V {
        match store.node(id) {
            Node::Null => V::Null,
            Node::Bool(b) => V::Bool(b),
            Node::Int(i) => V::Int(i),
            Node::Double(d) => V::Double(d),
            Node::Str(s) => V::Str(s),
            Node::Timestamp(t) => V::Ts(t),
            Node::List { .. } | Node::Map { .. } => V::Node(id),
        }
    }

    /// The text of a string value.
    pub fn as_str<'a>(&'a self, store: &'a Store) -> Option<&'a str> {
        match self {
            V::Str(s) => Some(store.text(*s)),
            V::Text(t) => Some(t),
            _ => None,
        }
    }

    /// CEL type name, for messages.
    pub fn type_name(&self, store: &Store) -> &'static str {
        match self {
            V::Null => "null",
            V::Bool(_) => "bool",
            V::Int(_) => "int",
            V::Double(_) => "double",
            V::Str(_) | V::Text(_) => "string",
            V::Ts(_) => "timestamp",
            V::Dur(_) => "duration",
            V::Node(id) => match store.node(*id) {
                Node::List { .. } => "list",
                _ => "map",
            },
            V::List(_) => "list",
            V::Map(_) => "map",
            V::Err(_) => "error",
        }
    }

    /// Renders a value as JSON-ish text for messages and reports.
    pub fn display(&self, store: &Store) -> String {
        match self {
            V::Null => "null".into(),
            V::Bool(b) => b.to_string(),
            V::Int(i) => i.to_string(),
            V::Double(d) => d.to_string(),
            V::Str(_) | V::Text(_) => format!("{:?}", self.as_str(store).unwrap_or("")),
            V::Ts(t) => timefmt::format_timestamp(*t),
            V::Dur(d) => timefmt::format_duration(*d),
            V::Err(e) => format!("error: {e}"),
            V::Node(_) | V::List(_) | V::Map(_) => format!("<{}>", self.type_name(store)),
        }
    }
}

/// A view of a list, wherever it lives.
#[derive(Debug)]
pub enum ListRef<'a> {
    Stored { start: u32, len: u32 },
    Owned(&'a [V]),
}

impl ListRef<'_> {
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn len(&self) -> usize {
        match self {
            ListRef::Stored { len, .. } => *len as usize,
            ListRef::Owned(v) => v.len(),
        }
    }
    pub fn get(&self, store: &Store, i: usize) -> V {
        match self {
            ListRef::Stored { start, .. } => V::load(store, start + i as u32),
            ListRef::Owned(v) => v.get(i).cloned().unwrap_or(V::Null),
        }
    }
}

/// The list behind a value, if it is one.
pub fn as_list<'a>(v: &'a V, store: &Store) -> Option<ListRef<'a>> {
    match v {
        V::Node(id) => match store.node(*id) {
            Node::List { start, len } => Some(ListRef::Stored { start, len }),
            _ => None,
        },
        V::List(l) => Some(ListRef::Owned(l)),
        _ => None,
    }
}

/// Keys of a map value, if it is one (CEL comprehensions over maps iterate keys).
pub fn map_keys(v: &V, store: &Store) -> Option<Vec<V>> {
    match v {
        V::Node(id) => match store.node(*id) {
            Node::Map { start, len } => Some(
                (start..start + len)
                    .filter_map(|i| store.nodes.get(i as usize).map(|s| V::Str(s.key())))
                    .collect(),
            ),
            _ => None,
        },
        V::Map(m) => Some(m.iter().map(|(k, _)| k.clone()).collect()),
        _ => None,
    }
}

/// Field `key` (symbol and text) of a map value.
pub fn select(v: &V, key: Sym, name: &str, store: &Store) -> V {
    match v {
        V::Node(id) => match store.node(*id) {
            Node::Map { start, len } => match store.field(start, len, key) {
                Some(n) => V::load(store, n),
                None => err(format!("no such key: '{name}'")),
            },
            _ => err(format!("cannot select '{name}' from a list")),
        },
        V::Map(m) => m
            .iter()
            .find(|(k, _)| k.as_str(store) == Some(name))
            .map_or_else(|| err(format!("no such key: '{name}'")), |(_, v)| v.clone()),
        V::Err(_) => v.clone(),
        other => err(format!(
            "cannot select '{name}' from a value of type {}",
            other.type_name(store)
        )),
    }
}

/// Whether the map value has field `key`; `Err` when it is not a map.
pub fn has_field(v: &V, key: Sym, name: &str, store: &Store) -> V {
    match v {
        V::Node(id) => match store.node(*id) {
            Node::Map { start, len } => V::Bool(store.field(start, len, key).is_some()),
            _ => err(format!("has(): cannot test '{name}' on a list")),
        },
        V::Map(m) => V::Bool(m.iter().any(|(k, _)| k.as_str(store) == Some(name))),
        V::Err(_) => v.clone(),
        other => err(format!(
            "has(): cannot test '{name}' on a value of type {}",
            other.type_name(store)
        )),
    }
}

/// Looks a key up in a map value; `None` when absent, `Err` when not a map.
pub fn map_get(m: &V, key: &V, store: &Store) -> Result<Option<V>, V> {
    match m {
        V::Node(id) => match store.node(*id) {
            Node::Map { start, len } => {
                let Some(name) = key.as_str(store) else {
                    return Ok(None);
                };
                let Some(sym) = store.interner.get(name) else {
                    return Ok(None);
                };
                Ok(store.field(start, len, sym).map(|n| V::load(store, n)))
            }
            _ => Err(err("not a map")),
        },
        V::Map(entries) => Ok(entries
            .iter()
            .find(|(k, _)| equals(k, key, store) == Some(true))
            .map(|(_, v)| v.clone())),
        _ => Err(err(format!("cannot index a {}", m.type_name(store)))),
    }
}

fn num_cmp(a: &V, b: &V) -> Option<Ordering> {
    match (a, b) {
        (V::Int(x), V::Int(y)) => Some(x.cmp(y)),
        (V::Double(x), V::Double(y)) => x.partial_cmp(y),
        (V::Int(x), V::Double(y)) => (*x as f64).partial_cmp(y),
        (V::Double(x), V::Int(y)) => x.partial_cmp(&(*y as f64)),
        _ => None,
    }
}

/// CEL equality. `None` when either side is an error. Values of different types are unequal, except
/// numbers, which compare by value (CEL's heterogeneous numeric equality).
pub fn equals(a: &V, b: &V, store: &Store) -> Option<bool> {
    Some(match (a, b) {
        (V::Err(_), _) | (_, V::Err(_)) => return None,
        (V::Str(x), V::Str(y)) => x == y,
        (V::Str(_) | V::Text(_), V::Str(_) | V::Text(_)) => a.as_str(store) == b.as_str(store),
        (V::Null, V::Null) => true,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Int(_) | V::Double(_), V::Int(_) | V::Double(_)) => {
            num_cmp(a, b) == Some(Ordering::Equal)
        }
        (V::Ts(x), V::Ts(y)) | (V::Dur(x), V::Dur(y)) => x == y,
        _ => {
            if let (Some(la), Some(lb)) = (as_list(a, store), as_list(b, store)) {
                if la.len() != lb.len() {
                    return Some(false);
                }
                for i in 0..la.len() {
                    if !equals(&la.get(store, i), &lb.get(store, i), store)? {
                        return Some(false);
                    }
                }
                return Some(true);
            }
            if let (Some(ka), Some(kb)) = (map_keys(a, store), map_keys(b, store)) {
                if ka.len() != kb.len() {
                    return Some(false);
                }
                for k in &ka {
                    let (Ok(Some(va)), Ok(Some(vb))) = (map_get(a, k, store), map_get(b, k, store))
                    else {
                        return Some(false);
                    };
                    if !equals(&va, &vb, store)? {
                        return Some(false);
                    }
                }
                return Some(true);
            }
            false
        }
    })
}

/// CEL ordering for `<`, `<=`, `>`, `>=`: numbers (across int and double), strings, timestamps,
/// durations and bools. Anything else is an error, never a silent `false`.
pub fn compare(a: &V, b: &V, store: &Store) -> Result<Ordering, V> {
    if let Some(o) = num_cmp(a, b) {
        return Ok(o);
    }
    match (a, b) {
        (V::Err(_), _) => Err(a.clone()),
        (_, V::Err(_)) => Err(b.clone()),
        (V::Ts(x), V::Ts(y)) | (V::Dur(x), V::Dur(y)) => Ok(x.cmp(y)),
        (V::Bool(x), V::Bool(y)) => Ok(x.cmp(y)),
        _ => match (a.as_str(store), b.as_str(store)) {
            (Some(x), Some(y)) => Ok(x.cmp(y)),
            _ => Err(err(format!(
                "cannot compare {} with {}",
                a.type_name(store),
                b.type_name(store)
            ))),
        },
    }
}

fn overflow() -> V {
    err("integer overflow")
}

/// `a + b`.
pub fn add(a: &V, b: &V, store: &Store) -> V {
    match (a, b) {
        (V::Int(x), V::Int(y)) => x.checked_add(*y).map_or_else(overflow, V::Int),
        (V::Double(x), V::Double(y)) => V::Double(x + y),
        (V::Ts(t), V::Dur(d)) | (V::Dur(d), V::Ts(t)) => {
            t.checked_add(*d).map_or_else(overflow, V::Ts)
        }
        (V::Dur(x), V::Dur(y)) => x.checked_add(*y).map_or_else(overflow, V::Dur),
        (V::Err(_), _) => a.clone(),
        (_, V::Err(_)) => b.clone(),
        _ => {
            if let (Some(x), Some(y)) = (a.as_str(store), b.as_str(store)) {
                return V::Text(Arc::from(format!("{x}{y}")));
            }
            if let (Some(x), Some(y)) = (as_list(a, store), as_list(b, store)) {
                let mut v = Vec::with_capacity(x.len() + y.len());
                v.extend((0..x.len()).map(|i| x.get(store, i)));
                v.extend((0..y.len()).map(|i| y.get(store, i)));
                return V::List(v.into());
            }
            no_overload("+", a, b, store)
        }
    }
}

fn no_overload(op: &str, a: &V, b: &V, store: &Store) -> V {
    err(format!(
        "no such overload: {} {op} {}",
        a.type_name(store),
        b.type_name(store)
    ))
}

/// `a - b`, `a * b`, `a / b`, `a % b`.
pub fn arith(op: &str, a: &V, b: &V, store: &Store) -> V {
    match (op, a, b) {
        (_, V::Err(_), _) => a.clone(),
        (_, _, V::Err(_)) => b.clone(),
        ("-", V::Int(x), V::Int(y)) => x.checked_sub(*y).map_or_else(overflow, V::Int),
        ("-", V::Double(x), V::Double(y)) => V::Double(x - y),
        ("-", V::Ts(x), V::Ts(y)) => x.checked_sub(*y).map_or_else(overflow, V::Dur),
        ("-", V::Ts(x), V::Dur(y)) => x.checked_sub(*y).map_or_else(overflow, V::Ts),
        ("-", V::Dur(x), V::Dur(y)) => x.checked_sub(*y).map_or_else(overflow, V::Dur),
        ("*", V::Int(x), V::Int(y)) => x.checked_mul(*y).map_or_else(overflow, V::Int),
        ("*", V::Double(x), V::Double(y)) => V::Double(x * y),
        ("/", V::Int(_), V::Int(0)) | ("%", V::Int(_), V::Int(0)) => err("division by zero"),
        ("/", V::Int(x), V::Int(y)) => x.checked_div(*y).map_or_else(overflow, V::Int),
        ("/", V::Double(x), V::Double(y)) => V::Double(x / y),
        ("%", V::Int(x), V::Int(y)) => x.checked_rem(*y).map_or_else(overflow, V::Int),
        _ => no_overload(op, a, b, store),
    }
}

/// Membership: `a in list` or `key in map`.
pub fn contains(container: &V, item: &V, store: &Store) -> V {
    if let V::Err(_) = container {
        return container.clone();
    }
    if let Some(l) = as_list(container, store) {
        let mut saw_err = None;
        for i in 0..l.len() {
            match equals(&l.get(store, i), item, store) {
                Some(true) => return V::Bool(true),
                Some(false) => {}
                None => saw_err = Some(err("error comparing list element")),
            }
        }
        return saw_err.unwrap_or(V::Bool(false));
    }
    match map_get(container, item, store) {
        Ok(found) => V::Bool(found.is_some()),
        Err(e) => match e {
            V::Err(_) => err(format!(
                "'in' needs a list or map, found {}",
                container.type_name(store)
            )),
            other => other,
        },
    }
}

/// `size(x)`.
pub fn size(v: &V, store: &Store) -> V {
    if let Some(s) = v.as_str(store) {
        return V::Int(s.chars().count() as i64);
    }
    if let Some(l) = as_list(v, store) {
        return V::Int(l.len() as i64);
    }
    match v {
        V::Node(id) => match store.node(*id) {
            Node::Map { len, .. } => V::Int(i64::from(len)),
            _ => err("size() of a non-container"),
        },
        V::Map(m) => V::Int(m.len() as i64),
        V::Err(_) => v.clone(),
        other => err(format!("size() of a {}", other.type_name(store))),
    }
}
