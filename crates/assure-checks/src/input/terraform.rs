//! Terraform plan JSON (`terraform show -json plan.out`): managed resources of
//! `planned_values.root_module.resources[]` and, recursively, `child_modules[]`. A resource's `r` is its
//! `values` object; its identifier is the full address (`module.net.aws_security_group.web["a"]`).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::native::TimeSeed;
use super::tree::{Key, StrSeed, ValueSeed};
use super::{InputError, ReadOptions};
use crate::projection::Projection;
use crate::store::{Builder, Interner, Node};

#[derive(Clone, Copy)]
enum Level {
    Plan,
    PlannedValues,
    Module,
    ModuleList,
    ResourceList,
    Resource,
}

/// One seed for every level of the plan document; `level` says which object or array it expects.
struct PlanSeed<'b, 'p> {
    b: &'b mut Builder,
    proj: &'p Projection,
    level: Level,
}

impl<'b, 'p> PlanSeed<'b, 'p> {
    fn at<'c>(&'c mut self, level: Level) -> PlanSeed<'c, 'p> {
        PlanSeed {
            b: &mut *self.b,
            proj: self.proj,
            level,
        }
    }
}

impl<'de> DeserializeSeed<'de> for PlanSeed<'_, '_> {
    type Value = Option<i64>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<i64>, D::Error> {
        match self.level {
            Level::ModuleList | Level::ResourceList => d.deserialize_seq(self),
            _ => d.deserialize_map(self),
        }
    }
}

impl<'de> Visitor<'de> for PlanSeed<'_, '_> {
    type Value = Option<i64>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.level {
            Level::Plan => "a Terraform plan object",
            Level::PlannedValues => "a \"planned_values\" object",
            Level::Module => "a module object",
            Level::ModuleList => "an array of modules",
            Level::ResourceList => "an array of resources",
            Level::Resource => "a resource object",
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Option<i64>, A::Error> {
        let inner = match self.level {
            Level::ModuleList => Level::Module,
            _ => Level::Resource,
        };
        while seq.next_element_seed(self.at(inner))?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Option<i64>, A::Error> {
        if let Level::Resource = self.level {
            return self.resource(map);
        }
        let mut now = None;
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            let next = match (self.level, &*k) {
                (Level::Plan, "planned_values") => Some(Level::PlannedValues),
                (Level::Plan, "timestamp") => {
                    now = Some(map.next_value_seed(TimeSeed)?);
                    continue;
                }
                (Level::PlannedValues, "root_module") => Some(Level::Module),
                (Level::Module, "resources") => Some(Level::ResourceList),
                (Level::Module, "child_modules") => Some(Level::ModuleList),
                _ => None,
            };
            match next {
                Some(l) => {
                    map.next_value_seed(self.at(l))?;
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(now)
    }
}

impl PlanSeed<'_, '_> {
    fn resource<'de, A: MapAccess<'de>>(self, mut map: A) -> Result<Option<i64>, A::Error> {
        let mut address: Option<Cow<'de, str>> = None;
        let mut ty: Option<Cow<'de, str>> = None;
        let mut managed = true;
        let mut values: Option<Node> = None;
        let mark = self.b.mark();
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            match &*k {
                "address" => {
                    address = Some(map.next_value_seed(StrSeed("the resource \"address\""))?)
                }
                "type" => ty = Some(map.next_value_seed(StrSeed("the resource \"type\""))?),
                "mode" => {
                    managed = map.next_value_seed(StrSeed("the resource \"mode\""))? == "managed"
                }
                "values" => {
                    // Read the values' fields into this resource's map directly.
                    let n = map.next_value_seed(ValueSeed {
                        b: &mut *self.b,
                        proj: self.proj,
                    })?;
                    values = Some(n);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let (Some(address), Some(ty)) = (address, ty) else {
            return Err(de::Error::custom(
                "plan resource without \"address\" and \"type\"",
            ));
        };
        let root = match values {
            Some(n @ Node::Map { .. }) => n,
            Some(Node::Null) | None => self.b.close(mark, true),
            Some(_) => return Err(de::Error::custom("resource \"values\" must be an object")),
        };
        if managed {
            let ty = self.b.intern(&ty);
            self.b.add_resource(&address, ty, root);
        }
        Ok(None)
    }
}

/// Reads a plan; the snapshot time is the plan's `timestamp` when present.
pub(crate) fn read_plan(
    text: &str,
    interner: Interner,
    opts: &ReadOptions<'_>,
) -> Result<(Builder, Option<i64>), InputError> {
    let mut b = Builder::new(interner);
    let mut de = serde_json::Deserializer::from_str(text);
    let now = PlanSeed {
        b: &mut b,
        proj: opts.projection,
        level: Level::Plan,
    }
    .deserialize(&mut de)
    .map_err(|e| InputError::json(&e, 0))?;
    de.end().map_err(|e| InputError::json(&e, 0))?;
    Ok((b, now))
}
