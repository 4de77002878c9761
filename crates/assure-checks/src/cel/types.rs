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
