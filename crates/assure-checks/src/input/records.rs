//! Access-log records and key records: JSON lines (or one JSON array) with a fixed schema, validated as
//! they are read. Times become CEL timestamps; everything else follows the JSON number mapping.

use std::borrow::Cow;

use serde::Deserialize;

use super::{InputError, json_lines, read_parallel};
use crate::store::{Builder, Interner, Node};
use crate::timefmt;

/// Which record schema to apply.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    AccessLog,
    KeyRecord,
}

/// A time in a record: epoch seconds or RFC 3339.
#[derive(Deserialize)]
#[serde(untagged)]
enum Time<'a> {
    Epoch(i64),
    #[serde(borrow)]
    Text(Cow<'a, str>),
}

impl Time<'_> {
    fn nanos(&self) -> Result<i64, String> {
        match self {
            Time::Epoch(s) => timefmt::from_epoch_seconds(*s),
            Time::Text(t) => timefmt::parse_timestamp(t),
        }
    }
}

/// A certificate number written as a number or a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum CertNumber<'a> {
    Number(i64),
    #[serde(borrow)]
    Text(Cow<'a, str>),
}

/// One access-log record. Type `access_log_record`; id `line N`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessRecord<'a> {
    #[serde(borrow)]
    principal: Cow<'a, str>,
    privileged: bool,
    mfa_used: bool,
    #[serde(borrow)]
    time: Time<'a>,
    #[serde(borrow)]
    source_address: Cow<'a, str>,
    #[serde(default, borrow)]
    action: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    outcome: Option<Cow<'a, str>>,
}

/// One key record. Type `key_record`; id = `key`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyRecord<'a> {
    #[serde(borrow)]
    key: Cow<'a, str>,
    #[serde(borrow)]
    created: Time<'a>,
    #[serde(default, borrow)]
    last_rotated: Option<Time<'a>>,
    #[serde(borrow)]
    algorithm: Cow<'a, str>,
    size: i64,
    hsm_backed: bool,
    #[serde(default, borrow)]
    fips_140_3_cert: Option<CertNumber<'a>>,
    #[serde(borrow)]
    fips_status: Cow<'a, str>,
    #[serde(default, borrow)]
    purpose: Option<Cow<'a, str>>,
    #[serde(default)]
    enabled: Option<bool>,
}

struct Fields<'b> {
    b: &'b mut Builder,
    mark: usize,
}

impl<'b> Fields<'b> {
    fn new(b: &'b mut Builder) -> Self {
        let mark = b.mark();
        Fields { b, mark }
    }
    fn put(&mut self, k: &str, n: Node) {
        let sym = self.b.intern(k);
        self.b.push(sym, n);
    }
    fn string(&mut self, k: &str, v: &str) {
        let s = self.b.intern(v);
        self.put(k, Node::Str(s));
    }
    fn opt_string(&mut self, k: &str, v: Option<&str>) {
        match v {
            Some(v) => self.string(k, v),
            None => self.put(k, Node::Null),
        }
    }
    fn finish(self, id: &str, ty: &str) {
        let root = self.b.close(self.mark, true);
        let ty = self.b.intern(ty);
        self.b.add_resource(id, ty, root);
    }
}

fn add_access(b: &mut Builder, r: &AccessRecord<'_>, line: usize) -> Result<(), String> {
    let t = r.time.nanos()?;
    let id = format!("line {line}");
    let mut f = Fields::new(b);
    f.string("id", &id);
    f.string("type", "access_log_record");
    f.string("principal", &r.principal);
    f.put("privileged", Node::Bool(r.privileged));
    f.put("mfa_used", Node::Bool(r.mfa_used));
    f.put("time", Node::Timestamp(t));
    f.string("source_address", &r.source_address);
    f.opt_string("action", r.action.as_deref());
    f.opt_string("outcome", r.outcome.as_deref());
    f.finish(&id, "access_log_record");
    Ok(())
}

fn add_key(b: &mut Builder, r: &KeyRecord<'_>) -> Result<(), String> {
    let created = r.created.nanos()?;
    let rotated = r.last_rotated.as_ref().map(Time::nanos).transpose()?;
    let cert = r.fips_140_3_cert.as_ref().map(|c| match c {
        CertNumber::Number(n) => n.to_string(),
        CertNumber::Text(t) => t.to_string(),
    });
    let mut f = Fields::new(b);
    f.string("id", &r.key);
    f.string("type", "key_record");
    f.string("key", &r.key);
    f.put("created", Node::Timestamp(created));
    f.put("last_rotated", rotated.map_or(Node::Null, Node::Timestamp));
    f.string("algorithm", &r.algorithm);
    f.put("size", Node::Int(r.size));
    f.put("hsm_backed", Node::Bool(r.hsm_backed));
    f.opt_string("fips_140_3_cert", cert.as_deref());
    f.string("fips_status", &r.fips_status);
    f.opt_string("purpose", r.purpose.as_deref());
    f.put("enabled", Node::Bool(r.enabled.unwrap_or(true)));
    f.finish(&r.key, "key_record");
    Ok(())
}

fn add_one(b: &mut Builder, kind: Kind, json: &str, line: usize) -> Result<(), InputError> {
    let fail = |m: String| InputError {
        at: Some(super::Position { line, column: 1 }),
        message: m,
    };
    match kind {
        Kind::AccessLog => {
            let r: AccessRecord<'_> =
                serde_json::from_str(json).map_err(|e| InputError::json(&e, line - 1))?;
            add_access(b, &r, line).map_err(fail)
        }
        Kind::KeyRecord => {
            let r: KeyRecord<'_> =
                serde_json::from_str(json).map_err(|e| InputError::json(&e, line - 1))?;
            add_key(b, &r).map_err(fail)
        }
    }
}

/// Reads records as JSON lines, or as one JSON array when the text starts with `[`.
pub(crate) fn read(
    text: &str,
    kind: Kind,
    interner: Interner,
) -> Result<(Builder, Option<i64>), InputError> {
    let mut b = Builder::new(interner.clone());
    if text.trim_start().starts_with('[') {
        let items: Vec<&serde_json::value::RawValue> =
            serde_json::from_str(text).map_err(|e| InputError::json(&e, 0))?;
        for (i, raw) in items.iter().enumerate() {
            add_one(&mut b, kind, raw.get(), i + 1).map_err(|mut e| {
                e.message = format!("record {}: {}", i + 1, e.message);
                e.at = None;
                e
            })?;
        }
    } else {
        let lines: Vec<(usize, &str)> = json_lines(text).collect();
        b = read_parallel(&lines, &interner, |b, (line, json)| {
            add_one(b, kind, json, *line)
        })?;
    }
    Ok((b, None))
}
