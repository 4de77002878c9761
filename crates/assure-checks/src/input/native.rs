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
pub(crate) fn read_snapshot(
    text: &str,
    interner: Interner,
    opts: &ReadOptions<'_>,
) -> Result<(Builder, Option<i64>), InputError> {
    if let Some(fast) = one_pass::read(text, &interner, opts) {
        return Ok(fast);
    }
    read_snapshot_two_pass(text, interner, opts)
}

/// The general snapshot reader: any layout, exact error positions.
fn read_snapshot_two_pass<'t>(
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

/// The one-pass parallel reader for snapshots that keep one resource a line (what `gen.py`, most
/// serializers' line-per-record output and pretty printers write). JSON strings cannot hold a raw newline, so
/// a newline followed by `{` after a `,` is a likely resource boundary; each core reads the resources from one
/// such boundary to the next, and the guess is proven when the previous core's last resource ends exactly at
/// it. Any doubt (no boundary, a mismatch, any error) returns `None` and the two-pass reader runs instead,
/// which also gives exact error positions.
mod one_pass {
    use std::sync::atomic::{AtomicU64, Ordering};

    use rayon::prelude::*;
    use serde::de::{DeserializeSeed, IgnoredAny};

    use super::{Parsed, ResourceSeed, SnapshotSplitter, TimeSeed};
    use crate::input::ReadOptions;
    use crate::store::{Builder, Interner};

    /// Resources between progress reports.
    const REPORT_EVERY: usize = 4096;

    fn skip_ws(b: &[u8], mut i: usize) -> usize {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    }

    /// Offset of the `[` of the top-level `"resources"` array, scanning the (usually tiny) header.
    fn resources_array(b: &[u8]) -> Option<usize> {
        let mut depth = 0usize;
        let mut i = skip_ws(b, 0);
        if b.get(i) != Some(&b'{') {
            return None;
        }
        while i < b.len() {
            match b[i] {
                b'"' => {
                    let start = i + 1;
                    i = start;
                    while i < b.len() && b[i] != b'"' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    let key = b.get(start..i)?;
                    i += 1;
                    if depth == 1 && key == b"resources" {
                        let c = skip_ws(b, i);
                        if b.get(c) == Some(&b':') {
                            let a = skip_ws(b, c + 1);
                            return (b.get(a) == Some(&b'[')).then_some(a);
                        }
                    }
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth = depth.checked_sub(1)?,
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// Likely resource starts after `from`, about `n` of them evenly spread.
    fn boundaries(b: &[u8], from: usize, n: usize) -> Vec<usize> {
        let mut out = vec![from];
        let span = b.len().saturating_sub(from);
        for k in 1..n {
            let mut at = from + span * k / n;
            for _ in 0..64 {
                let Some(nl) = b.get(at..).and_then(|r| r.iter().position(|c| *c == b'\n')) else {
                    break;
                };
                let line = at + nl + 1;
                let next = skip_ws(b, line);
                let mut prev = at + nl;
                while prev > 0 && b[prev - 1].is_ascii_whitespace() {
                    prev -= 1;
                }
                if b.get(next) == Some(&b'{') && prev > 0 && b[prev - 1] == b',' {
                    if next > out.last().copied().unwrap_or(0) {
                        out.push(next);
                    }
                    break;
                }
                at = line;
            }
        }
        out
    }

    /// Reads resources from `start` until `end` (exclusive; `None` = up to the closing `]`). Returns the
    /// builder and where it stopped: the next resource's `{`, or the `]`.
    fn region(
        text: &str,
        start: usize,
        end: Option<usize>,
        interner: &Interner,
        opts: &ReadOptions<'_>,
        done: &AtomicU64,
    ) -> Option<(Builder, usize)> {
        let b = text.as_bytes();
        let mut builder = Builder::new(interner.clone());
        let mut pos = skip_ws(b, start);
        let mut count = 0usize;
        let mut reported = pos;
        if end.is_none() && b.get(pos) == Some(&b']') {
            return Some((builder, pos));
        }
        loop {
            if end.is_some_and(|e| pos >= e) {
                return (end == Some(pos)).then_some((builder, pos));
            }
            if b.get(pos) != Some(&b'{') {
                return None;
            }
            let mut de = serde_json::Deserializer::from_str(text.get(pos..)?);
            let parsed = ResourceSeed {
                b: &mut builder,
                proj: opts.projection,
                header_allowed: false,
            }
            .deserialize(&mut de)
            .ok()?;
            if !matches!(parsed, Parsed::Resource) {
                return None;
            }
            pos += de.into_iter::<IgnoredAny>().byte_offset();
            pos = skip_ws(b, pos);
            match b.get(pos) {
                Some(b',') => pos = skip_ws(b, pos + 1),
                Some(b']') if end.is_none() => return Some((builder, pos)),
                _ => return None,
            }
            count += 1;
            if count.is_multiple_of(REPORT_EVERY)
                && let Some(report) = opts.progress
            {
                let total = done.fetch_add((pos - reported) as u64, Ordering::Relaxed);
                report(total + (pos - reported) as u64);
                reported = pos;
            }
        }
    }

    /// Reads a snapshot in one parallel pass, or `None` when the layout does not allow it.
    pub(super) fn read(
        text: &str,
        interner: &Interner,
        opts: &ReadOptions<'_>,
    ) -> Option<(Builder, Option<i64>)> {
        let b = text.as_bytes();
        let open = resources_array(b)?;
        let starts = boundaries(b, open + 1, rayon::current_num_threads().max(1) * 4);
        let done = AtomicU64::new(open as u64);
        let regions: Vec<(Builder, usize)> = starts
            .par_iter()
            .enumerate()
            .map(|(k, &s)| region(text, s, starts.get(k + 1).copied(), interner, opts, &done))
            .collect::<Option<_>>()?;
        let close = regions.last().map(|r| r.1)?;
        // Validate everything around the resources (and find snapshot_time) with the array emptied.
        let rest = format!("{}]{}", text.get(..=open)?, text.get(close + 1..)?);
        let none = |_: Vec<&serde_json::value::RawValue>, _: usize| {};
        let mut de = serde_json::Deserializer::from_str(&rest);
        let snapshot_time = SnapshotSplitter { spawn: &none }
            .deserialize(&mut de)
            .ok()?;
        de.end().ok()?;
        let now = match snapshot_time {
            Some(raw) => Some(
                TimeSeed
                    .deserialize(&mut serde_json::Deserializer::from_str(raw.get()))
                    .ok()?,
            ),
            None => None,
        };
        let builders: Vec<Builder> = regions.into_iter().map(|r| r.0).collect();
        Some((Builder::merge(builders, interner.count()), now))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn finds_the_resources_array_past_other_keys_and_strings() {
            let t = br#"{"a": {"resources": [1]}, "b": "x\"resources\": [", "resources" : [ ]}"#;
            let at = resources_array(t);
            assert_eq!(at.map(|i| t[i]), Some(b'['));
            assert_eq!(at, Some(t.len() - 4));
            assert_eq!(resources_array(b"[1]"), None);
        }

        use crate::projection::Projection;

        fn ids(b: Builder) -> Vec<String> {
            let s = b.finish(0);
            (0..s.len() as u32)
                .map(|i| format!("{}:{}", s.id(i), s.type_name(i)))
                .collect()
        }

        /// Resources one a line, and pretty-printed so that `,\n{` also occurs inside resources.
        fn snapshots() -> Vec<String> {
            let one_a_line: Vec<String> = (0..20_000)
                .map(|i| {
                    format!(
                        r#"{{"id":"r{i}","type":"t{}","x":[{{"a":1}},{{"a":2}}]}}"#,
                        i % 3
                    )
                })
                .collect();
            let pretty: Vec<String> = (0..20_000)
                .map(|i| format!("{{\"id\": \"r{i}\",\n \"type\": \"t\",\n \"x\": [\n{{\"a\": 1}},\n{{\"a\": 2}}]}}"))
                .collect();
            vec![
                format!(
                    "{{\"snapshot_time\": 5, \"resources\": [\n{}\n]}}",
                    one_a_line.join(",\n")
                ),
                format!(
                    "{{\"resources\": [\n{}\n], \"snapshot_time\": 7}}",
                    pretty.join(",\n")
                ),
            ]
        }

        #[test]
        fn the_one_pass_reader_agrees_with_the_two_pass_reader() {
            let proj = Projection::all();
            let opts = ReadOptions {
                projection: &proj,
                now: None,
                progress: None,
            };
            for text in snapshots() {
                let (two, t2) =
                    match super::super::read_snapshot_two_pass(&text, Interner::default(), &opts) {
                        Ok(r) => r,
                        Err(e) => panic!("{e}"),
                    };
                if let Some((one, t1)) = read(&text, &Interner::default(), &opts) {
                    assert_eq!(t1, t2);
                    assert_eq!(ids(one), ids(two));
                }
            }
        }

        #[test]
        fn boundaries_sit_after_a_comma_and_a_newline() {
            let t = b"{\"resources\": [\n{\"id\":1},\n{\"id\":2},\n{\"id\":3}\n]}";
            let open = resources_array(t).unwrap_or(0);
            let s = boundaries(t, open + 1, 3);
            assert_eq!(s[0], open + 1);
            assert!(
                s[1..].iter().all(|&i| t[i] == b'{' && t[i - 2] == b','),
                "{s:?}"
            );
        }
    }
}
