//! The native snapshot: `{"snapshot_time": INT|RFC3339, "resources": [{"id": STR, "type": STR, ...}]}`,
//! or the same resources one a line (NDJSON) with an optional first line `{"snapshot_time": ...}`.

use std::fmt;

use std::sync::Mutex;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

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

/// Resources per batch handed to another core while the splitter goes on.
const BATCH: usize = 4096;

/// Called with each batch of raw resources and its sequence number.
type Spawn<'f, 'a> = &'f (dyn Fn(Vec<&'a RawValue>, usize) + Sync);

/// The top level of a snapshot: validates the structure, keeps `snapshot_time` raw and hands the resources
/// out in batches as it goes, so reading them overlaps with splitting.
struct SnapshotSplitter<'f, 'a> {
    spawn: Spawn<'f, 'a>,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for SnapshotSplitter<'_, 'a> {
    type Value = Option<&'a RawValue>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for SnapshotSplitter<'_, 'a> {
    type Value = Option<&'a RawValue>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a snapshot object {\"snapshot_time\": ..., \"resources\": [...]}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut snapshot_time = None;
        let mut seen = false;
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            match &*k {
                "snapshot_time" => snapshot_time = Some(map.next_value::<&'a RawValue>()?),
                "resources" => {
                    map.next_value_seed(ResourcesSplitter { spawn: self.spawn })?;
                    seen = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !seen {
            return Err(de::Error::missing_field("resources"));
        }
        Ok(snapshot_time)
    }
}

struct ResourcesSplitter<'f, 'a> {
    spawn: Spawn<'f, 'a>,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for ResourcesSplitter<'_, 'a> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for ResourcesSplitter<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of resources")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut batch = Vec::with_capacity(BATCH);
        let mut n = 0;
        while let Some(raw) = seq.next_element::<&'a RawValue>()? {
            batch.push(raw);
            if batch.len() == BATCH {
                (self.spawn)(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)), n);
                n += 1;
            }
        }
        if !batch.is_empty() {
            (self.spawn)(batch, n);
        }
        Ok(())
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

/// Reads a native JSON snapshot: one validating pass splits the resources into raw batches, which other
/// cores read into builders while the split goes on; the builders are merged in input order.
pub(crate) fn read_snapshot<'t>(
    text: &'t str,
    interner: Interner,
    opts: &ReadOptions<'_>,
) -> Result<(Builder, Option<i64>), InputError> {
    type Piece = (usize, Result<Builder, InputError>);
    let pieces: Mutex<Vec<Piece>> = Mutex::new(Vec::new());
    let top = rayon::scope(|scope| {
        let spawn = |batch: Vec<&'t RawValue>, n: usize| {
            if let (Some(report), Some(last)) = (opts.progress, batch.last()) {
                let done = (last.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
                report(done as u64);
            }
            let (pieces, interner) = (&pieces, &interner);
            scope.spawn(move |_| {
                let mut b = Builder::new(interner.clone());
                let read = batch.iter().try_for_each(|raw| {
                    read_resource(&mut b, opts.projection, raw.get(), false)
                        .map(|_| ())
                        .map_err(|e| relocate(e, text, raw.get()))
                });
                let piece = read.map(|()| b);
                if let Ok(mut all) = pieces.lock() {
                    all.push((n, piece));
                }
            });
        };
        let mut de = serde_json::Deserializer::from_str(text);
        SnapshotSplitter { spawn: &spawn }
            .deserialize(&mut de)
            .and_then(|t| de.end().map(|()| t))
    });
    let mut pieces = pieces.into_inner().map_err(|_| InputError {
        at: None,
        message: "a reader thread failed".into(),
    })?;
    pieces.sort_by_key(|(n, _)| *n);
    // Errors in file order: a resource's error comes before a syntax error further on.
    let builders: Vec<Builder> = pieces
        .into_iter()
        .map(|(_, p)| p)
        .collect::<Result<_, _>>()?;
    let snapshot_time = top.map_err(|e| InputError::json(&e, 0))?;
    let now = match snapshot_time {
        Some(raw) => Some(
            TimeSeed
                .deserialize(&mut serde_json::Deserializer::from_str(raw.get()))
                .map_err(|e| relocate(InputError::json(&e, 0), text, raw.get()))?,
        ),
        None => None,
    };
    let b = if builders.is_empty() {
        Builder::new(interner)
    } else {
        Builder::merge(builders, interner.count())
    };
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
