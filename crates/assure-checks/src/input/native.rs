//! The native snapshot: `{"snapshot_time": INT|RFC3339, "resources": [{"id": STR, "type": STR, ...}]}`,
//! or the same resources one a line (NDJSON) with an optional first line `{"snapshot_time": ...}`.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::tree::{Key, StrSeed, read_field};
use super::{InputError, ReadOptions, json_lines};
use crate::projection::Projection;
use crate::store::{Builder, Interner, Node};
use crate::timefmt;

/// A snapshot time: epoch seconds (int) or an RFC 3339 string; yields nanoseconds.
pub(crate) struct TimeSeed;

impl<'de> DeserializeSeed<'de> for TimeSeed {
    type Value = i64;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<i64, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for TimeSeed {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a time: epoch seconds or an RFC 3339 string")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        timefmt::from_epoch_seconds(v).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        let v = i64::try_from(v).map_err(|_| E::custom("time out of range"))?;
        self.visit_i64(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        timefmt::parse_timestamp(v).map_err(E::custom)
    }
}

/// What one resource object turned out to be.
enum Parsed {
    Resource,
    /// An NDJSON header line carrying only the snapshot time.
    Header(i64),
}

/// One resource object: `id` and `type` are required strings; other fields follow the projection.
struct ResourceSeed<'b, 'p> {
    b: &'b mut Builder,
    proj: &'p Projection,
    header_allowed: bool,
}

impl<'de> DeserializeSeed<'de> for ResourceSeed<'_, '_> {
    type Value = Parsed;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Parsed, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResourceSeed<'_, '_> {
    type Value = Parsed;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a resource object with string fields \"id\" and \"type\"")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed, A::Error> {
        let mark = self.b.mark();
        let mut id: Option<std::borrow::Cow<'de, str>> = None;
        let mut ty = None;
        let mut header_time = None;
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            match &*k {
                "id" => {
                    let v = map.next_value_seed(StrSeed("the resource \"id\""))?;
                    // Ids are unique: keep them out of the interner unless a check reads `r.id`.
                    if self.proj.whole || self.proj.field("id").is_some() {
                        let sym = self.b.intern("id");
                        let vs = self.b.intern(&v);
                        self.b.push(sym, Node::Str(vs));
                    }
                    id = Some(v);
                }
                "type" => {
                    let v = map.next_value_seed(StrSeed("the resource \"type\""))?;
                    let vs = self.b.intern(&v);
                    let sym = self.b.intern("type");
                    self.b.push(sym, Node::Str(vs));
                    ty = Some(vs);
                }
                "snapshot_time" if self.header_allowed => {
                    header_time = Some(map.next_value_seed(TimeSeed)?);
                }
                _ => {
                    if !read_field(self.b, self.proj, &k, &mut map)? {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
        }
        let root = self.b.close(mark, true);
        match (ty, id, header_time) {
            (None, None, Some(t)) => Ok(Parsed::Header(t)),
            (Some(ty), Some(id), _) => {
                self.b.add_resource(&id, ty, root);
                Ok(Parsed::Resource)
            }
            (None, _, _) => Err(de::Error::custom("resource without a \"type\" string")),
            (Some(_), None, _) => Err(de::Error::custom("resource without an \"id\" string")),
        }
    }
}

struct ResourcesSeed<'b, 'p> {
    b: &'b mut Builder,
    proj: &'p Projection,
}

impl<'de> DeserializeSeed<'de> for ResourcesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ResourcesSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of resources")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(ResourceSeed {
                b: &mut *self.b,
                proj: self.proj,
                header_allowed: false,
            })?
            .is_some()
        {}
        Ok(())
    }
}

struct SnapshotSeed<'b, 'p> {
    b: &'b mut Builder,
    proj: &'p Projection,
}

impl<'de> Visitor<'de> for SnapshotSeed<'_, '_> {
    type Value = Option<i64>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a snapshot object {\"snapshot_time\": ..., \"resources\": [...]}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<i64>, A::Error> {
        let mut now = None;
        let mut seen_resources = false;
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            match &*k {
                "snapshot_time" => now = Some(map.next_value_seed(TimeSeed)?),
                "resources" => {
                    map.next_value_seed(ResourcesSeed {
                        b: &mut *self.b,
                        proj: self.proj,
                    })?;
                    seen_resources = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !seen_resources {
            return Err(de::Error::custom("snapshot without a \"resources\" array"));
        }
        Ok(now)
    }
}

/// Reads a native JSON snapshot.
pub(crate) fn read_snapshot(
    text: &str,
    interner: Interner,
    opts: &ReadOptions<'_>,
) -> Result<(Builder, Option<i64>), InputError> {
    let mut b = Builder::new(interner);
    let mut de = serde_json::Deserializer::from_str(text);
    let now = de::Deserializer::deserialize_map(
        &mut de,
        SnapshotSeed {
            b: &mut b,
            proj: opts.projection,
        },
    )
    .map_err(|e| InputError::json(&e, 0))?;
    de.end().map_err(|e| InputError::json(&e, 0))?;
    Ok((b, now))
}

/// Reads NDJSON resources.
pub(crate) fn read_ndjson(
    text: &str,
    interner: Interner,
    opts: &ReadOptions<'_>,
) -> Result<(Builder, Option<i64>), InputError> {
    let mut b = Builder::new(interner);
    let mut now = None;
    for (n, (line_no, line)) in json_lines(text).enumerate() {
        let mut de = serde_json::Deserializer::from_str(line);
        let parsed = ResourceSeed {
            b: &mut b,
            proj: opts.projection,
            header_allowed: n == 0,
        }
        .deserialize(&mut de)
        .and_then(|p| de.end().map(|()| p))
        .map_err(|e| InputError::json(&e, line_no - 1))?;
        if let Parsed::Header(t) = parsed {
            now = Some(t);
        }
    }
    Ok((b, now))
}
