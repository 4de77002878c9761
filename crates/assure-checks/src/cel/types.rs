//! Static CEL types, checked when a manifest is loaded so that mismatches (a timestamp compared with an int,
//! a string added to a number) reject the check instead of failing every resource at evaluation time.

use std::fmt;

/// A static type. Fields of input resources are `Dyn` unless a record schema declares them.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Dyn,
    Null,
    Bool,
    Int,
    Double,
    String,
    Timestamp,
    Duration,
    /// A timestamp or a duration, not yet known which (`now - x` with `x` dynamic). Never a number, so
    /// comparing it with an int is caught at load time.
    Temporal,
    List(Box<Ty>),
    Map(Box<Ty>, Box<Ty>),
    /// A record with a fixed schema (the access-log and key-record inputs): field access is checked.
    Record(&'static RecordSchema),
}

/// Field types a record schema can declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldTy {
    Bool,
    Int,
    String,
    Timestamp,
    /// A timestamp or null (never rotated).
    OptionalTimestamp,
    /// A string or null.
    OptionalString,
}

/// The schema of a record input type.
#[derive(Debug, PartialEq, Eq)]
pub struct RecordSchema {
    /// The resource type name.
    pub name: &'static str,
    pub fields: &'static [(&'static str, FieldTy)],
}

impl RecordSchema {
    /// The static type of field `name`, if the schema has it.
    pub fn field(&self, name: &str) -> Option<Ty> {
        self.fields
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, t)| match t {
                FieldTy::Bool => Ty::Bool,
                FieldTy::Int => Ty::Int,
                FieldTy::String => Ty::String,
                FieldTy::Timestamp => Ty::Timestamp,
                // Null or a value: comparisons with null and with the value type both type-check.
                FieldTy::OptionalTimestamp | FieldTy::OptionalString => Ty::Dyn,
            })
    }
}

/// Schemas of the record inputs (see `input::records`), by resource type.
pub static RECORD_SCHEMAS: [RecordSchema; 2] = [
    RecordSchema {
        name: "access_log_record",
        fields: &[
            ("id", FieldTy::String),
            ("type", FieldTy::String),
            ("principal", FieldTy::String),
            ("privileged", FieldTy::Bool),
            ("mfa_used", FieldTy::Bool),
            ("time", FieldTy::Timestamp),
            ("source_address", FieldTy::String),
            ("action", FieldTy::OptionalString),
            ("outcome", FieldTy::OptionalString),
        ],
    },
    RecordSchema {
        name: "key_record",
        fields: &[
            ("id", FieldTy::String),
            ("type", FieldTy::String),
            ("key", FieldTy::String),
            ("created", FieldTy::Timestamp),
            ("last_rotated", FieldTy::OptionalTimestamp),
            ("algorithm", FieldTy::String),
            ("size", FieldTy::Int),
            ("hsm_backed", FieldTy::Bool),
            ("fips_140_3_cert", FieldTy::OptionalString),
            ("fips_status", FieldTy::String),
            ("purpose", FieldTy::OptionalString),
            ("enabled", FieldTy::Bool),
        ],
    },
];

/// The static type of `r` for resources of type `name`: a record when a schema declares it, else `dyn`.
pub fn resource_type(name: &str) -> Ty {
    RECORD_SCHEMAS
        .iter()
        .find(|s| s.name == name)
        .map_or(Ty::Dyn, Ty::Record)
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Dyn => write!(f, "dyn"),
            Ty::Null => write!(f, "null"),
            Ty::Bool => write!(f, "bool"),
            Ty::Int => write!(f, "int"),
            Ty::Double => write!(f, "double"),
            Ty::String => write!(f, "string"),
            Ty::Timestamp => write!(f, "timestamp"),
            Ty::Duration => write!(f, "duration"),
            Ty::Temporal => write!(f, "timestamp or duration"),
            Ty::List(t) => write!(f, "list({t})"),
            Ty::Map(k, v) => write!(f, "map({k}, {v})"),
            Ty::Record(s) => write!(f, "{}", s.name),
        }
    }
}

impl Ty {
    /// True for `int` and `double`.
    pub fn is_number(&self) -> bool {
        matches!(self, Ty::Int | Ty::Double)
    }

    /// Whether a value of this type may be used where `want` is expected.
    pub fn fits(&self, want: &Ty) -> bool {
        self == &Ty::Dyn || want == &Ty::Dyn || self == want || {
            match (self, want) {
                (Ty::List(a), Ty::List(b)) => a.fits(b),
                (Ty::Map(ka, va), Ty::Map(kb, vb)) => ka.fits(kb) && va.fits(vb),
                _ => false,
            }
        }
    }

    fn temporal_with(&self, other: &Ty) -> bool {
        matches!(
            (self, other),
            (
                Ty::Temporal,
                Ty::Timestamp | Ty::Duration | Ty::Temporal | Ty::Dyn
            ) | (Ty::Timestamp | Ty::Duration | Ty::Dyn, Ty::Temporal)
        )
    }

    /// Whether `==` between the two types can ever be true (numbers compare across int and double).
    pub fn comparable(&self, other: &Ty) -> bool {
        self.temporal_with(other)
            || self.fits(other)
            || (self.is_number() && other.is_number())
            || *self == Ty::Null
            || *other == Ty::Null
            || match (self, other) {
                (Ty::List(a), Ty::List(b)) => a.comparable(b),
                (Ty::Map(ka, va), Ty::Map(kb, vb)) => ka.comparable(kb) && va.comparable(vb),
                _ => false,
            }
    }

    /// Whether `<` and friends are defined between the two types.
    pub fn orderable(&self, other: &Ty) -> bool {
        if self.temporal_with(other) {
            return true;
        }
        match (self, other) {
            (Ty::Dyn, t) | (t, Ty::Dyn) => {
                matches!(
                    t,
                    Ty::Dyn
                        | Ty::Int
                        | Ty::Double
                        | Ty::String
                        | Ty::Timestamp
                        | Ty::Duration
                        | Ty::Bool
                )
            }
            (a, b) if a.is_number() && b.is_number() => true,
            (a, b) => a == b && matches!(a, Ty::String | Ty::Timestamp | Ty::Duration | Ty::Bool),
        }
    }

    /// The common type of two branches or list elements.
    pub fn join(&self, other: &Ty) -> Ty {
        if self == other { self.clone() } else { Ty::Dyn }
    }

    /// Parses a parameter type name: `bool`, `int`, `double`, `string`, `duration`, `timestamp`,
    /// `list(string)`, `list(int)`.
    pub fn parse_param(s: &str) -> Option<Ty> {
        let s = s.trim();
        if let Some(inner) = s.strip_prefix("list(").and_then(|r| r.strip_suffix(')')) {
            return Ty::parse_param(inner).map(|t| Ty::List(Box::new(t)));
        }
        Some(match s {
            "bool" => Ty::Bool,
            "int" => Ty::Int,
            "double" => Ty::Double,
            "string" => Ty::String,
            "duration" => Ty::Duration,
            "timestamp" => Ty::Timestamp,
            _ => return None,
        })
    }
}
