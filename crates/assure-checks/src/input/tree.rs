//! Serde seeds that write JSON values straight into the node arena, skipping unprojected fields.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::projection::Projection;
use crate::store::{Builder, NO_KEY, Node};

/// A map key, borrowed from the input when it has no escapes.
pub(crate) struct Key<'de>(pub Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KV;
        impl<'de> Visitor<'de> for KV {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KV)
    }
}

/// A string value, borrowed when possible; `what` names it in type errors.
pub(crate) struct StrSeed(pub &'static str);

impl<'de> DeserializeSeed<'de> for StrSeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for StrSeed {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string ({})", self.0)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

/// Reads one JSON value into the arena under a projection.
pub(crate) struct ValueSeed<'b, 'p> {
    pub b: &'b mut Builder,
    pub proj: &'p Projection,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = Node;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = Node;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        // The one number mapping: integers that fit i64 are CEL int, everything else double.
        Ok(i64::try_from(v).map_or(Node::Double(v as f64), Node::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Double(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(self.b.intern(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mark = self.b.mark();
        while let Some(n) = seq.next_element_seed(ValueSeed {
            b: &mut *self.b,
            proj: self.proj,
        })? {
            self.b.push(NO_KEY, n);
        }
        Ok(self.b.close(mark, false))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mark = self.b.mark();
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            if !read_field(self.b, self.proj, &k, &mut map)? {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(self.b.close(mark, true))
    }
}

/// Reads the value of field `key` into the builder when the projection keeps it; false when it does not
/// (the caller skips the value).
pub(crate) fn read_field<'de, A: MapAccess<'de>>(
    b: &mut Builder,
    proj: &Projection,
    key: &str,
    map: &mut A,
) -> Result<bool, A::Error> {
    let (child, sym) = if proj.whole {
        (proj, None)
    } else {
        match proj.field(key) {
            Some((p, s)) => (p, Some(s)),
            None => return Ok(false),
        }
    };
    let n = map.next_value_seed(ValueSeed {
        b: &mut *b,
        proj: child,
    })?;
    let sym = match sym {
        Some(s) => s,
        None => b.intern(key),
    };
    b.push(sym, n);
    Ok(true)
}
