//! The native snapshot: `{"snapshot_time": INT|RFC3339, "resources": [{"id": STR, "type": STR, ...}]}`,
//! or the same resources one a line (NDJSON) with an optional first line `{"snapshot_time": ...}`.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use super::tree::{Key, StrSeed, read_field};
use serde_json::value::RawValue;

use super::{InputError, ReadOptions, json_lines, read_parallel, relocate};
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

/// The top level of a snapshot with each resource kept raw, so resources can be read on all cores.
struct RawSnapshot<'a> {
    snapshot_time: Option<&'a RawValue>,
    resources: Vec<&'a RawValue>,
}

impl<'de: 'a, 'a> de::Deserialize<'de> for RawSnapshot<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Top<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Top<'a> {
            type Value = RawSnapshot<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a snapshot object {\"snapshot_time\": ..., \"resources\": [...]}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut snapshot_time = None;
                let mut resources = None;
                while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
                    match &*k {
                        "snapshot_time" => snapshot_time = Some(map.next_value::<&'a RawValue>()?),
                        "resources" => resources = Some(map.next_value::<Vec<&'a RawValue>>()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let resources = resources.ok_or_else(|| de::Error::missing_field("resources"))?;
                Ok(RawSnapshot {
                    snapshot_time,
                    resources,
                })
            }
        }
        d.deserialize_map(Top(std::marker::PhantomData))
    }
}

fn read_resource(
    b: &mut Builder,
    proj: &Projection,
    json: &str,
    header_allowed: bool,
) -> Result<Parsed, InputError> {
    let mut de = serde_json::Deserializer::from_str(json);
    ResourceSeed {
        b,
        proj,
        header_allowed,
    }
    .deserialize(&mut de)
    .and_then(|p| de.end().map(|()| p))
    .map_err(|e| InputError::json(&e, 0))
}

/// Reads a native JSON snapshot: the structure is validated in one pass that keeps each resource raw,
/// then the resources are read on all cores.
pub(crate) fn read_snapshot(
    text: &str,
    interner: Interner,
    opts: &ReadOptions<'_>,
) -> Result<(Builder, Option<i64>), InputError> {
    let top: RawSnapshot<'_> = serde_json::from_str(text).map_err(|e| InputError::json(&e, 0))?;
    let now = match top.snapshot_time {
        Some(raw) => Some(
            TimeSeed
                .deserialize(&mut serde_json::Deserializer::from_str(raw.get()))
                .map_err(|e| relocate(InputError::json(&e, 0), text, raw.get()))?,
        ),
        None => None,
    };
    let b = read_parallel(&top.resources, &interner, |b, raw| {
        read_resource(b, opts.projection, raw.get(), false)
            .map(|_| ())
            .map_err(|e| relocate(e, text, raw.get()))
    })?;
    Ok((b, now))
}

/// Reads NDJSON resources on all cores; only the first line may be a `{"snapshot_time": ...}` header.
pub(crate) fn read_ndjson(
    text: &str,
    interner: Interner,
    opts: &ReadOptions<'_>,
) -> Result<(Builder, Option<i64>), InputError> {
    let lines: Vec<(usize, &str)> = json_lines(text).collect();
    let mut now = None;
    let mut rest = lines.as_slice();
    if let Some(((_, first), tail)) = lines.split_first() {
        let mut probe = Builder::new(interner.clone());
        let parsed = read_resource(&mut probe, opts.projection, first, true)
            .map_err(|e| relocate(e, text, first))?;
        if let Parsed::Header(t) = parsed {
            now = Some(t);
            rest = tail;
        }
    }
    let b = read_parallel(rest, &interner, |b, (_, line)| {
        read_resource(b, opts.projection, line, false)
            .map(|_| ())
            .map_err(|e| relocate(e, text, line))
    })?;
    Ok((b, now))
}
