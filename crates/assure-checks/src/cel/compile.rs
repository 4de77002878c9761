//! Type-checks a CEL expression and compiles it into a tree of closures over the shared store. While it
//! compiles, it records which fields of `r` the expression can reach (the projection), so the reader keeps
//! only those.

use std::sync::Arc;

use regex::Regex;

use super::ast::{BinOp, Expr, ExprKind, UnOp};
use super::types::Ty;
use super::value::{self as val, V, err};
use crate::projection::ProjBuilder;
use crate::store::{Interner, Node, Store, Sym};
use crate::timefmt;

/// Evaluation state for one resource.
#[derive(Debug)]
pub struct Frame<'s> {
    /// The store everything points into.
    pub store: &'s Store,
    /// The resource under test (`r`).
    pub r: V,
    /// Comprehension variables, by slot.
    pub locals: Vec<V>,
}

/// A compiled expression.
pub type Code = Box<dyn Fn(&mut Frame<'_>) -> V + Send + Sync>;

/// A type error (or an unsupported construct) at a byte offset of the expression.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct TypeError {
    /// Byte offset into the expression source.
    pub at: usize,
    /// What is wrong.
    pub message: String,
}

fn terr<T>(at: usize, message: impl Into<String>) -> Result<T, TypeError> {
    Err(TypeError {
        at,
        message: message.into(),
    })
}

/// A parameter bound at compile time: name, declared type, value.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub ty: Ty,
    pub value: V,
}

struct Local {
    name: String,
    ty: Ty,
    path: Option<usize>,
    slot: usize,
}

struct C {
    ty: Ty,
    code: Code,
    /// Projection node this value came from, when it is (a part of) the resource.
    path: Option<usize>,
    /// The literal text, when the expression is a string constant.
    text: Option<String>,
    /// The value, when the expression is a constant.
    konst: Option<V>,
    /// The field path, when the expression is `r.a.b` or `x.a.b` for a comprehension variable `x`.
    chain: Option<Chain>,
}

/// Where a field path starts.
#[derive(Clone, Copy)]
enum Base {
    R,
    Local(usize),
}

/// A field path compiled into one closure that walks the arena without building intermediate values.
#[derive(Clone)]
struct Chain {
    base: Base,
    keys: Vec<(Sym, Arc<str>)>,
}

impl Chain {
    fn code(self) -> Code {
        Box::new(move |fr| {
            let base = match self.base {
                Base::R => &fr.r,
                Base::Local(slot) => fr.locals.get(slot).unwrap_or(&V::Null),
            };
            let mut id = match base {
                V::Node(id) => *id,
                other => {
                    // Not stored in the arena (a literal): select step by step.
                    let mut v = other.clone();
                    for (k, name) in &self.keys {
                        v = val::select(&v, *k, name, fr.store);
                    }
                    return v;
                }
            };
            for (i, (k, name)) in self.keys.iter().enumerate() {
                match fr.store.node(id) {
                    Node::Map { start, len } => match fr.store.field(start, len, *k) {
                        Some(n) => id = n,
                        None => return err(format!("no such key: '{name}'")),
                    },
                    _ => {
                        let mut v = V::load(fr.store, id);
                        for (k, name) in &self.keys[i..] {
                            v = val::select(&v, *k, name, fr.store);
                        }
                        return v;
                    }
                }
            }
            V::load(fr.store, id)
        })
    }
}

/// Compiles expressions against one interner and one projection.
#[allow(missing_debug_implementations)]
pub struct Compiler<'a> {
    interner: &'a mut Interner,
    proj: &'a mut ProjBuilder,
    params: &'a [Param],
    /// Declared type of `r` (from a record schema), else `Dyn`.
    r_ty: Ty,
    locals: Vec<Local>,
    max_slots: usize,
}

/// A compiled expression with its static type and the comprehension slots it needs.
pub struct Program {
    pub code: Code,
    pub ty: Ty,
    pub slots: usize,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Program({})", self.ty)
    }
}

fn konst(v: V) -> Code {
    Box::new(move |_| v.clone())
}

const FUNCTIONS: &str = "size, has, timestamp, duration, int, double, string, dyn; methods: \
    startsWith, endsWith, contains, matches, lowerAscii, upperAscii, size, exists, all, exists_one, map, filter";

impl<'a> Compiler<'a> {
    /// A compiler binding `params` as constants, for resources whose `r` has type `r_ty`.
    pub fn new(
        interner: &'a mut Interner,
        proj: &'a mut ProjBuilder,
        params: &'a [Param],
        r_ty: Ty,
    ) -> Self {
        Compiler {
            interner,
            proj,
            params,
            r_ty,
            locals: Vec::new(),
            max_slots: 0,
        }
    }

    /// Compiles `e`, which must be a `bool` (or `dyn`) expression.
    pub fn compile_bool(&mut self, e: &Expr) -> Result<Program, TypeError> {
        let c = self.expr(e)?;
        if !c.ty.fits(&Ty::Bool) {
            return terr(e.at, format!("expected a bool expression, found {}", c.ty));
        }
        let code = self.value(c);
        Ok(Program {
            code,
            ty: Ty::Bool,
            slots: self.max_slots,
        })
    }

    /// Uses `c` as a value: the whole subtree it came from must be kept by the reader.
    fn value(&mut self, c: C) -> Code {
        if let Some(p) = c.path {
            self.proj.mark_whole(p);
        }
        c.code
    }

    fn plain(ty: Ty, code: Code) -> C {
        C {
            ty,
            code,
            path: None,
            text: None,
            konst: None,
            chain: None,
        }
    }

    fn constant(&mut self, v: V, ty: Ty, text: Option<String>) -> C {
        C {
            ty,
            code: konst(v.clone()),
            path: None,
            text,
            konst: Some(v),
            chain: None,
        }
    }

    fn expr(&mut self, e: &Expr) -> Result<C, TypeError> {
        match &e.kind {
            ExprKind::Null => Ok(self.constant(V::Null, Ty::Null, None)),
            ExprKind::Bool(b) => Ok(self.constant(V::Bool(*b), Ty::Bool, None)),
            ExprKind::Int(i) => Ok(self.constant(V::Int(*i), Ty::Int, None)),
            ExprKind::Double(d) => Ok(self.constant(V::Double(*d), Ty::Double, None)),
            ExprKind::Str(s) => {
                let sym = self.interner.intern(s);
                Ok(self.constant(V::Str(sym), Ty::String, Some(s.clone())))
            }
            ExprKind::Ident(name) => self.ident(name, e.at),
            ExprKind::Select(operand, field) => self.select(operand, field, e.at),
            ExprKind::Index(operand, index) => self.index(operand, index, e.at),
            ExprKind::Call { target, name, args } => self.call(target.as_deref(), name, args, e.at),
            ExprKind::Unary(op, x) => self.unary(*op, x, e.at),
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, e.at),
            ExprKind::Cond(c, t, f) => {
                let cc = self.expr(c)?;
                if !cc.ty.fits(&Ty::Bool) {
                    return terr(
                        c.at,
                        format!("the condition of '?:' must be bool, found {}", cc.ty),
                    );
                }
                let (tc, fc) = (self.expr(t)?, self.expr(f)?);
                let ty = tc.ty.join(&fc.ty);
                let (cc, tc, fc) = (self.value(cc), self.value(tc), self.value(fc));
                Ok(Self::plain(
                    ty,
                    Box::new(move |fr| match cc(fr) {
                        V::Bool(true) => tc(fr),
                        V::Bool(false) => fc(fr),
                        V::Err(m) => V::Err(m),
                        _ => err("the condition of '?:' is not a bool"),
                    }),
                ))
            }
            ExprKind::List(items) => {
                let mut ty: Option<Ty> = None;
                let mut codes = Vec::with_capacity(items.len());
                for it in items {
                    let c = self.expr(it)?;
                    ty = Some(ty.map_or(c.ty.clone(), |t| t.join(&c.ty)));
                    codes.push(self.value(c));
                }
                let ty = Ty::List(Box::new(ty.unwrap_or(Ty::Dyn)));
                Ok(Self::plain(
                    ty,
                    Box::new(move |fr| {
                        let v: Vec<V> = codes.iter().map(|c| c(fr)).collect();
                        V::List(v.into())
                    }),
                ))
            }
            ExprKind::Map(entries) => {
                let (mut kt, mut vt): (Option<Ty>, Option<Ty>) = (None, None);
                let mut codes = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let kc = self.expr(k)?;
                    if !matches!(kc.ty, Ty::String | Ty::Int | Ty::Bool | Ty::Dyn) {
                        return terr(
                            k.at,
                            format!("map keys must be string, int or bool, found {}", kc.ty),
                        );
                    }
                    let vc = self.expr(v)?;
                    kt = Some(kt.map_or(kc.ty.clone(), |t| t.join(&kc.ty)));
                    vt = Some(vt.map_or(vc.ty.clone(), |t| t.join(&vc.ty)));
                    codes.push((self.value(kc), self.value(vc)));
                }
                let ty = Ty::Map(
                    Box::new(kt.unwrap_or(Ty::Dyn)),
                    Box::new(vt.unwrap_or(Ty::Dyn)),
                );
                Ok(Self::plain(
                    ty,
                    Box::new(move |fr| {
                        let v: Vec<(V, V)> = codes.iter().map(|(k, v)| (k(fr), v(fr))).collect();
                        V::Map(v.into())
                    }),
                ))
            }
        }
    }

    fn ident(&mut self, name: &str, at: usize) -> Result<C, TypeError> {
        if let Some(l) = self.locals.iter().rev().find(|l| l.name == name) {
            let slot = l.slot;
            let code: Code = Box::new(move |fr| fr.locals.get(slot).cloned().unwrap_or(V::Null));
            return Ok(C {
                ty: l.ty.clone(),
                code,
                path: l.path,
                text: None,
                konst: None,
                chain: Some(Chain {
                    base: Base::Local(slot),
                    keys: Vec::new(),
                }),
            });
        }
        match name {
            "r" => Ok(C {
                ty: self.r_ty.clone(),
                code: Box::new(|fr| fr.r.clone()),
                path: Some(0),
                text: None,
                konst: None,
                chain: Some(Chain {
                    base: Base::R,
                    keys: Vec::new(),
                }),
            }),
            "now" => Ok(Self::plain(
                Ty::Timestamp,
                Box::new(|fr| V::Ts(fr.store.now())),
            )),
            "params" => terr(at, "use a parameter as params.NAME"),
            _ => terr(
                at,
                format!(
                    "undeclared reference to '{name}' (in scope: r, now, params.NAME and comprehension variables)"
                ),
            ),
        }
    }

    fn select(&mut self, operand: &Expr, field: &str, at: usize) -> Result<C, TypeError> {
        if matches!(&operand.kind, ExprKind::Ident(n) if n == "params")
            && !self.locals.iter().any(|l| l.name == "params")
        {
            let params = self.params;
            let Some(p) = params.iter().find(|p| p.name == field) else {
                let known: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
                return terr(
                    at,
                    format!(
                        "unknown parameter '{field}' (declared: {})",
                        known.join(", ")
                    ),
                );
            };
            let text = match &p.value {
                V::Text(t) => Some(t.to_string()),
                _ => None,
            };
            let v = intern_value(self.interner, &p.value);
            return Ok(self.constant(v, p.ty.clone(), text));
        }
        let c = self.expr(operand)?;
        let ty = match &c.ty {
            Ty::Dyn => Ty::Dyn,
            Ty::Map(k, v) if k.fits(&Ty::String) => (**v).clone(),
            Ty::Record(schema) => match schema.field(field) {
                Some(t) => t,
                None => {
                    let known: Vec<&str> = schema.fields.iter().map(|(f, _)| *f).collect();
                    return terr(
                        at,
                        format!(
                            "{} has no field '{field}' (fields: {})",
                            schema.name,
                            known.join(", ")
                        ),
                    );
                }
            },
            other => {
                return terr(
                    at,
                    format!("cannot select field '{field}' from a value of type {other}"),
                );
            }
        };
        let path = c.path.map(|p| self.proj.child(p, field));
        let key = self.interner.intern(field);
        let name: Arc<str> = Arc::from(field);
        let (code, chain) = match c.chain {
            Some(mut ch) => {
                ch.keys.push((key, name));
                (ch.clone().code(), Some(ch))
            }
            None => {
                let inner = c.code;
                let code: Code = Box::new(move |fr| {
                    let v = inner(fr);
                    val::select(&v, key, &name, fr.store)
                });
                (code, None)
            }
        };
        Ok(C {
            ty,
            code,
            path,
            text: None,
            konst: None,
            chain,
        })
    }

    fn index(&mut self, operand: &Expr, index: &Expr, at: usize) -> Result<C, TypeError> {
        let c = self.expr(operand)?;
        let i = self.expr(index)?;
        let ty = match (&c.ty, &i.ty) {
            (Ty::List(t), it) if it.fits(&Ty::Int) => (**t).clone(),
            (Ty::Map(k, v), it) if it.comparable(k) => (**v).clone(),
            (Ty::Dyn, _) => Ty::Dyn,
            (t, it) => return terr(at, format!("cannot index a {t} with a {it}")),
        };
        let (c, i) = (self.value(c), self.value(i));
        Ok(Self::plain(
            ty,
            Box::new(move |fr| {
                let (cv, iv) = (c(fr), i(fr));
                if let V::Err(_) = iv {
                    return iv;
                }
                if let Some(l) = val::as_list(&cv, fr.store) {
                    return match iv {
                        V::Int(n) if n >= 0 && (n as usize) < l.len() => {
                            l.get(fr.store, n as usize)
                        }
                        V::Int(n) => err(format!("index {n} out of range")),
                        _ => err("list index must be an int"),
                    };
                }
                match val::map_get(&cv, &iv, fr.store) {
                    Ok(Some(v)) => v,
                    Ok(None) => err(format!("no such key: {}", iv.display(fr.store))),
                    Err(e) => e,
                }
            }),
        ))
    }

    fn unary(&mut self, op: UnOp, x: &Expr, at: usize) -> Result<C, TypeError> {
        let c = self.expr(x)?;
        match op {
            UnOp::Not => {
                if !c.ty.fits(&Ty::Bool) {
                    return terr(at, format!("'!' needs a bool, found {}", c.ty));
                }
                let code = self.value(c);
                Ok(Self::plain(
                    Ty::Bool,
                    Box::new(move |fr| match code(fr) {
                        V::Bool(b) => V::Bool(!b),
                        V::Err(m) => V::Err(m),
                        _ => err("'!' of a non-bool"),
                    }),
                ))
            }
            UnOp::Neg => {
                if !matches!(c.ty, Ty::Int | Ty::Double | Ty::Duration | Ty::Dyn) {
                    return terr(
                        at,
                        format!("'-' needs a number or duration, found {}", c.ty),
                    );
                }
                let ty = c.ty.clone();
                let code = self.value(c);
                Ok(Self::plain(
                    ty,
                    Box::new(move |fr| match code(fr) {
                        V::Int(i) => i
                            .checked_neg()
                            .map_or_else(|| err("integer overflow"), V::Int),
                        V::Double(d) => V::Double(-d),
                        V::Dur(d) => d
                            .checked_neg()
                            .map_or_else(|| err("integer overflow"), V::Dur),
                        V::Err(m) => V::Err(m),
                        _ => err("'-' of a non-number"),
                    }),
                ))
            }
        }
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, at: usize) -> Result<C, TypeError> {
        let ca = self.expr(a)?;
        let cb = self.expr(b)?;
        let (ta, tb) = (ca.ty.clone(), cb.ty.clone());
        let mismatch = || terr::<C>(at, format!("no such overload: {ta} {} {tb}", op.symbol()));
        match op {
            BinOp::And | BinOp::Or => {
                if !ta.fits(&Ty::Bool) {
                    return terr(
                        a.at,
                        format!("'{}' needs bool operands, found {ta}", op.symbol()),
                    );
                }
                if !tb.fits(&Ty::Bool) {
                    return terr(
                        b.at,
                        format!("'{}' needs bool operands, found {tb}", op.symbol()),
                    );
                }
                let (fa, fb) = (self.value(ca), self.value(cb));
                let decisive = op == BinOp::Or;
                Ok(Self::plain(
                    Ty::Bool,
                    Box::new(move |fr| {
                        let x = fa(fr);
                        if let V::Bool(v) = x
                            && v == decisive
                        {
                            return x;
                        }
                        let y = fb(fr);
                        match (&x, &y) {
                            (_, V::Bool(v)) if *v == decisive => y,
                            (V::Bool(_), V::Bool(_)) => y,
                            (V::Err(_), _) => x,
                            (_, V::Err(_)) => y,
                            _ => err(format!(
                                "'{}' of a non-bool",
                                if decisive { "||" } else { "&&" }
                            )),
                        }
                    }),
                ))
            }
            BinOp::Eq | BinOp::Ne => {
                if !ta.comparable(&tb) {
                    return mismatch();
                }
                let ne = op == BinOp::Ne;
                // Fast path: comparing with an interned string constant is a symbol compare.
                if let Some(V::Str(sym)) = cb.konst.clone().or_else(|| ca.konst.clone()) {
                    let other = if matches!(cb.konst, Some(V::Str(_))) {
                        ca
                    } else {
                        cb
                    };
                    let f = self.value(other);
                    return Ok(Self::plain(
                        Ty::Bool,
                        Box::new(move |fr| match f(fr) {
                            V::Str(s) => V::Bool((s == sym) != ne),
                            V::Err(m) => V::Err(m),
                            v => match val::equals(&v, &V::Str(sym), fr.store) {
                                Some(b) => V::Bool(b != ne),
                                None => err("error in comparison"),
                            },
                        }),
                    ));
                }
                let (fa, fb) = (self.value(ca), self.value(cb));
                Ok(Self::plain(
                    Ty::Bool,
                    Box::new(move |fr| {
                        let (x, y) = (fa(fr), fb(fr));
                        match val::equals(&x, &y, fr.store) {
                            Some(b) => V::Bool(b != ne),
                            None => {
                                if let V::Err(_) = x {
                                    x
                                } else {
                                    y
                                }
                            }
                        }
                    }),
                ))
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                if !ta.orderable(&tb) {
                    return mismatch();
                }
                let (fa, fb) = (self.value(ca), self.value(cb));
                Ok(Self::plain(
                    Ty::Bool,
                    Box::new(move |fr| {
                        let (x, y) = (fa(fr), fb(fr));
                        // Fast path for the common int/int case.
                        if let (V::Int(p), V::Int(q)) = (&x, &y) {
                            return V::Bool(match op {
                                BinOp::Lt => p < q,
                                BinOp::Le => p <= q,
                                BinOp::Gt => p > q,
                                _ => p >= q,
                            });
                        }
                        match val::compare(&x, &y, fr.store) {
                            Ok(o) => V::Bool(match op {
                                BinOp::Lt => o.is_lt(),
                                BinOp::Le => o.is_le(),
                                BinOp::Gt => o.is_gt(),
                                _ => o.is_ge(),
                            }),
                            Err(e) => e,
                        }
                    }),
                ))
            }
            BinOp::In => {
                match &tb {
                    Ty::List(t) if !ta.comparable(t) => return mismatch(),
                    Ty::Map(k, _) if !ta.comparable(k) => return mismatch(),
                    Ty::List(_) | Ty::Map(_, _) | Ty::Dyn => {}
                    _ => return mismatch(),
                }
                let (fa, fb) = (self.value(ca), self.value(cb));
                Ok(Self::plain(
                    Ty::Bool,
                    Box::new(move |fr| {
                        let (x, y) = (fa(fr), fb(fr));
                        if let V::Err(_) = x {
                            return x;
                        }
                        val::contains(&y, &x, fr.store)
                    }),
                ))
            }
            BinOp::Add => {
                let ty = match (&ta, &tb) {
                    (Ty::Int, Ty::Int) => Ty::Int,
                    (Ty::Double, Ty::Double) => Ty::Double,
                    (Ty::String, Ty::String) => Ty::String,
                    (Ty::List(x), Ty::List(y)) => Ty::List(Box::new(x.join(y))),
                    (Ty::Timestamp, Ty::Duration) | (Ty::Duration, Ty::Timestamp) => Ty::Timestamp,
                    (Ty::Duration, Ty::Duration) => Ty::Duration,
                    (Ty::Timestamp, Ty::Dyn | Ty::Temporal)
                    | (Ty::Dyn | Ty::Temporal, Ty::Timestamp) => Ty::Timestamp,
                    (Ty::Duration | Ty::Temporal, Ty::Dyn | Ty::Temporal)
                    | (Ty::Dyn | Ty::Temporal, Ty::Duration) => Ty::Temporal,
                    (Ty::Dyn, Ty::Int | Ty::Double | Ty::String | Ty::List(_) | Ty::Dyn)
                    | (Ty::Int | Ty::Double | Ty::String | Ty::List(_), Ty::Dyn) => Ty::Dyn,
                    _ => return mismatch(),
                };
                let (fa, fb) = (self.value(ca), self.value(cb));
                Ok(Self::plain(
                    ty,
                    Box::new(move |fr| {
                        let (x, y) = (fa(fr), fb(fr));
                        val::add(&x, &y, fr.store)
                    }),
                ))
            }
            BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
                let ty = match (op, &ta, &tb) {
                    (BinOp::Rem, Ty::Int, Ty::Int) => Ty::Int,
                    (BinOp::Rem, _, _) if ta.fits(&Ty::Int) && tb.fits(&Ty::Int) => Ty::Dyn,
                    (BinOp::Rem, _, _) => return mismatch(),
                    (_, Ty::Int, Ty::Int) => Ty::Int,
                    (_, Ty::Double, Ty::Double) => Ty::Double,
                    (BinOp::Sub, Ty::Timestamp, Ty::Timestamp) => Ty::Duration,
                    (BinOp::Sub, Ty::Timestamp, Ty::Duration) => Ty::Timestamp,
                    (BinOp::Sub, Ty::Duration, Ty::Duration) => Ty::Duration,
                    // `ts - x` is a duration (x a timestamp) or a timestamp (x a duration).
                    (BinOp::Sub, Ty::Timestamp, Ty::Dyn | Ty::Temporal) => Ty::Temporal,
                    (BinOp::Sub, Ty::Dyn | Ty::Temporal, Ty::Timestamp) => Ty::Duration,
                    (BinOp::Sub, Ty::Duration | Ty::Temporal, Ty::Dyn | Ty::Temporal)
                    | (BinOp::Sub, Ty::Dyn | Ty::Temporal, Ty::Duration) => Ty::Temporal,
                    (_, Ty::Dyn, t) | (_, t, Ty::Dyn)
                        if matches!(t, Ty::Dyn | Ty::Int | Ty::Double) =>
                    {
                        if *t == Ty::Dyn {
                            Ty::Dyn
                        } else {
                            t.clone()
                        }
                    }
                    _ => return mismatch(),
                };
                let sym = op.symbol();
                let (fa, fb) = (self.value(ca), self.value(cb));
                Ok(Self::plain(
                    ty,
                    Box::new(move |fr| {
                        let (x, y) = (fa(fr), fb(fr));
                        val::arith(sym, &x, &y, fr.store)
                    }),
                ))
            }
        }
    }

    fn call(
        &mut self,
        target: Option<&Expr>,
        name: &str,
        args: &[Expr],
        at: usize,
    ) -> Result<C, TypeError> {
        match (target, name) {
            (None, "has") => return self.has(args, at),
            (Some(t), "exists" | "all" | "exists_one" | "map" | "filter") => {
                return self.comprehension(t, name, args, at);
            }
            _ => {}
        }
        let argc = args.len() + usize::from(target.is_some());
        let mut cs = Vec::with_capacity(argc);
        if let Some(t) = target {
            cs.push((self.expr(t)?, t.at));
        }
        for a in args {
            cs.push((self.expr(a)?, a.at));
        }
        let arity = |n: usize| -> Result<(), TypeError> {
            if argc == n {
                Ok(())
            } else {
                terr(
                    at,
                    format!(
                        "{name}() takes {} argument(s), found {}",
                        n - usize::from(target.is_some()),
                        args.len()
                    ),
                )
            }
        };
        let want = |c: &(C, usize), ty: &Ty, what: &str| -> Result<(), TypeError> {
            if c.0.ty.fits(ty) {
                Ok(())
            } else {
                terr(c.1, format!("{what} must be {ty}, found {}", c.0.ty))
            }
        };
        match name {
            "size" => {
                arity(1)?;
                let c = &cs[0];
                if !matches!(c.0.ty, Ty::String | Ty::List(_) | Ty::Map(_, _) | Ty::Dyn) {
                    return terr(
                        c.1,
                        format!("size() needs a string, list or map, found {}", c.0.ty),
                    );
                }
                let f = self.take1(cs);
                Ok(Self::plain(
                    Ty::Int,
                    Box::new(move |fr| val::size(&f(fr), fr.store)),
                ))
            }
            "startsWith" | "endsWith" | "contains" | "matches" if target.is_some() => {
                arity(2)?;
                want(&cs[0], &Ty::String, &format!("the receiver of {name}()"))?;
                want(&cs[1], &Ty::String, &format!("the argument of {name}()"))?;
                if name == "matches" {
                    return self.matches(cs);
                }
                let kind = match name {
                    "startsWith" => 0u8,
                    "endsWith" => 1,
                    _ => 2,
                };
                Ok(
                    self.string_pair(cs, "string function on a non-string", move |s, p| {
                        V::Bool(match kind {
                            0 => s.starts_with(p),
                            1 => s.ends_with(p),
                            _ => s.contains(p),
                        })
                    }),
                )
            }
            "lowerAscii" | "upperAscii" if target.is_some() => {
                arity(1)?;
                want(&cs[0], &Ty::String, &format!("the receiver of {name}()"))?;
                let upper = name == "upperAscii";
                let f = self.take1(cs);
                Ok(Self::plain(
                    Ty::String,
                    Box::new(move |fr| {
                        let x = f(fr);
                        match x.as_str(fr.store) {
                            Some(s) => V::Text(Arc::from(if upper {
                                s.to_ascii_uppercase()
                            } else {
                                s.to_ascii_lowercase()
                            })),
                            None => first_err(x, V::Null, "string function on a non-string"),
                        }
                    }),
                ))
            }
            "timestamp" | "duration" if target.is_none() => {
                arity(1)?;
                let is_ts = name == "timestamp";
                let ok = if is_ts {
                    matches!(cs[0].0.ty, Ty::String | Ty::Int | Ty::Timestamp | Ty::Dyn)
                } else {
                    matches!(cs[0].0.ty, Ty::String | Ty::Duration | Ty::Dyn)
                };
                if !ok {
                    return terr(cs[0].1, format!("{name}() cannot convert a {}", cs[0].0.ty));
                }
                let out_ty = if is_ts { Ty::Timestamp } else { Ty::Duration };
                // Fold literals now so a malformed literal is a load-time error.
                if let Some(text) = &cs[0].0.text {
                    let v = if is_ts {
                        timefmt::parse_timestamp(text).map(V::Ts)
                    } else {
                        timefmt::parse_duration(text).map(V::Dur)
                    };
                    return match v {
                        Ok(v) => Ok(self.constant(v, out_ty, None)),
                        Err(m) => terr(cs[0].1, m),
                    };
                }
                let f = self.take1(cs);
                Ok(Self::plain(
                    out_ty,
                    Box::new(move |fr| {
                        let x = f(fr);
                        if is_ts {
                            to_timestamp(&x, fr.store)
                        } else {
                            to_duration(&x, fr.store)
                        }
                    }),
                ))
            }
            "int" | "double" | "string" | "dyn" if target.is_none() => {
                arity(1)?;
                let t = &cs[0].0.ty;
                let ok = match name {
                    "int" => matches!(
                        t,
                        Ty::Int | Ty::Double | Ty::String | Ty::Timestamp | Ty::Dyn
                    ),
                    "double" => matches!(t, Ty::Int | Ty::Double | Ty::String | Ty::Dyn),
                    _ => true,
                };
                if !ok {
                    return terr(cs[0].1, format!("{name}() cannot convert a {t}"));
                }
                let out_ty = match name {
                    "int" => Ty::Int,
                    "double" => Ty::Double,
                    "string" => Ty::String,
                    _ => Ty::Dyn,
                };
                let f = self.take1(cs);
                let which = name.to_string();
                Ok(Self::plain(
                    out_ty,
                    Box::new(move |fr| convert(&which, f(fr), fr.store)),
                ))
            }
            _ => terr(
                at,
                format!(
                    "unknown function '{name}' with {argc} argument(s) (supported: {FUNCTIONS})"
                ),
            ),
        }
    }

    fn take1(&mut self, cs: Vec<(C, usize)>) -> Code {
        let mut it = cs.into_iter();
        match it.next() {
            Some((c, _)) => self.value(c),
            None => konst(err("missing argument")),
        }
    }

    fn take2(&mut self, cs: Vec<(C, usize)>) -> (Code, Code) {
        let mut it = cs.into_iter();
        let a = it
            .next()
            .map_or_else(|| konst(err("missing argument")), |(c, _)| self.value(c));
        let b = it
            .next()
            .map_or_else(|| konst(err("missing argument")), |(c, _)| self.value(c));
        (a, b)
    }

    fn matches(&mut self, cs: Vec<(C, usize)>) -> Result<C, TypeError> {
        if let Some(pattern) = cs.get(1).and_then(|c| c.0.text.clone()) {
            let at = cs.get(1).map_or(0, |c| c.1);
            let re = Regex::new(&pattern)
                .or_else(|e| terr(at, format!("invalid regular expression: {e}")))?;
            let f = self.take1(cs);
            return Ok(Self::plain(
                Ty::Bool,
                Box::new(move |fr| {
                    let x = f(fr);
                    match x.as_str(fr.store) {
                        Some(s) => V::Bool(re.is_match(s)),
                        None => first_err(x, V::Null, "matches() on a non-string"),
                    }
                }),
            ));
        }
        Ok(self.string_pair(cs, "matches() on a non-string", |s, p| {
            match Regex::new(p) {
                Ok(re) => V::Bool(re.is_match(s)),
                Err(e) => err(format!("invalid regular expression: {e}")),
            }
        }))
    }

    /// A bool function of a string receiver and a string argument.
    fn string_pair(
        &mut self,
        cs: Vec<(C, usize)>,
        not_string: &'static str,
        f: impl Fn(&str, &str) -> V + Send + Sync + 'static,
    ) -> C {
        let (fa, fb) = self.take2(cs);
        Self::plain(
            Ty::Bool,
            Box::new(move |fr| {
                let (x, y) = (fa(fr), fb(fr));
                match (x.as_str(fr.store), y.as_str(fr.store)) {
                    (Some(s), Some(p)) => f(s, p),
                    _ => first_err(x, y, not_string),
                }
            }),
        )
    }

    fn has(&mut self, args: &[Expr], at: usize) -> Result<C, TypeError> {
        let [arg] = args else {
            return terr(
                at,
                "has() takes one argument, a field selection like has(r.a.b)",
            );
        };
        let ExprKind::Select(operand, field) = &arg.kind else {
            return terr(arg.at, "has() needs a field selection like has(r.a.b)");
        };
        let c = self.expr(operand)?;
        if !matches!(c.ty, Ty::Dyn | Ty::Map(_, _) | Ty::Record(_)) {
            return terr(operand.at, format!("has() needs a map, found {}", c.ty));
        }
        if let Some(p) = c.path {
            let child = self.proj.child(p, field);
            self.proj.mark_whole(child);
        }
        let key = self.interner.intern(field);
        let name: Arc<str> = Arc::from(field.as_str());
        let inner = c.code;
        Ok(Self::plain(
            Ty::Bool,
            Box::new(move |fr| {
                let v = inner(fr);
                val::has_field(&v, key, &name, fr.store)
            }),
        ))
    }

    fn comprehension(
        &mut self,
        range: &Expr,
        name: &str,
        args: &[Expr],
        at: usize,
    ) -> Result<C, TypeError> {
        let (var, body) = match args {
            [v, b] => (v, b),
            _ => {
                return terr(
                    at,
                    format!("{name}() takes a variable and an expression: {name}(x, ...)"),
                );
            }
        };
        let ExprKind::Ident(var_name) = &var.kind else {
            return terr(
                var.at,
                format!("the first argument of {name}() must be a variable name"),
            );
        };
        let rc = self.expr(range)?;
        let elem_ty = match &rc.ty {
            Ty::List(t) => (**t).clone(),
            Ty::Map(k, _) => (**k).clone(),
            Ty::Dyn => Ty::Dyn,
            other => {
                return terr(
                    range.at,
                    format!("{name}() needs a list or map, found {other}"),
                );
            }
        };
        let slot = self.locals.len();
        self.locals.push(Local {
            name: var_name.clone(),
            ty: elem_ty.clone(),
            path: rc.path,
            slot,
        });
        self.max_slots = self.max_slots.max(self.locals.len());
        let body_c = self.expr(body);
        self.locals.pop();
        let bc = body_c?;
        let is_pred = name != "map";
        if is_pred && !bc.ty.fits(&Ty::Bool) {
            return terr(
                body.at,
                format!("the predicate of {name}() must be bool, found {}", bc.ty),
            );
        }
        let out_ty = match name {
            "map" => Ty::List(Box::new(bc.ty.clone())),
            "filter" => Ty::List(Box::new(elem_ty)),
            _ => Ty::Bool,
        };
        // The range itself is walked, not used whole: its elements are projected through the variable.
        let range_code = rc.code;
        let body_code = self.value(bc);
        let kind: u8 = match name {
            "exists" => 0,
            "all" => 1,
            "exists_one" => 2,
            "map" => 3,
            _ => 4,
        };
        Ok(Self::plain(
            out_ty,
            Box::new(move |fr| {
                let rv = range_code(fr);
                if let V::Err(_) = rv {
                    return rv;
                }
                let items: Items = match (&rv, val::as_list(&rv, fr.store)) {
                    (_, Some(val::ListRef::Stored { start, len })) => Items::Stored(start, len),
                    (V::List(l), _) => Items::Owned(l.clone()),
                    _ => match val::map_keys(&rv, fr.store) {
                        Some(keys) => Items::Owned(keys.into()),
                        None => {
                            return err(format!(
                                "cannot iterate over a {}",
                                rv.type_name(fr.store)
                            ));
                        }
                    },
                };
                run_comprehension(kind, slot, &items, &body_code, fr)
            }),
        ))
    }
}

/// Interns the strings of a constant so comparisons with input strings are symbol compares.
fn intern_value(interner: &mut Interner, v: &V) -> V {
    match v {
        V::Text(t) => V::Str(interner.intern(t)),
        V::List(items) => V::List(items.iter().map(|i| intern_value(interner, i)).collect()),
        other => other.clone(),
    }
}

enum Items {
    Stored(u32, u32),
    Owned(Arc<[V]>),
}

fn run_comprehension(kind: u8, slot: usize, items: &Items, body: &Code, fr: &mut Frame<'_>) -> V {
    let n = match items {
        Items::Stored(_, len) => *len as usize,
        Items::Owned(v) => v.len(),
    };
    let mut count = 0usize;
    let mut error: Option<V> = None;
    let mut out: Vec<V> = Vec::new();
    for i in 0..n {
        let item = match items {
            Items::Stored(start, _) => V::load(fr.store, start + i as u32),
            Items::Owned(v) => v.get(i).cloned().unwrap_or(V::Null),
        };
        if let Some(s) = fr.locals.get_mut(slot) {
            *s = item.clone();
        }
        let r = body(fr);
        match (kind, r) {
            (3, v) => out.push(v),
            (4, V::Bool(true)) => out.push(item),
            (4, V::Bool(false)) => {}
            (0, V::Bool(true)) => return V::Bool(true),
            (1, V::Bool(false)) => return V::Bool(false),
            (2, V::Bool(true)) => count += 1,
            (0..=2, V::Bool(_)) => {}
            (_, e @ V::Err(_)) => {
                if kind >= 3 {
                    return e;
                }
                error.get_or_insert(e);
            }
            _ => {
                error.get_or_insert(err("comprehension predicate is not a bool"));
            }
        }
    }
    if let Some(e) = error {
        return e;
    }
    match kind {
        0 => V::Bool(false),
        1 => V::Bool(true),
        2 => V::Bool(count == 1),
        _ => V::List(out.into()),
    }
}

fn first_err(x: V, y: V, msg: &str) -> V {
    match (x, y) {
        (e @ V::Err(_), _) | (_, e @ V::Err(_)) => e,
        _ => err(msg),
    }
}

fn to_timestamp(x: &V, store: &Store) -> V {
    match x {
        V::Ts(_) | V::Err(_) => x.clone(),
        V::Int(secs) => timefmt::from_epoch_seconds(*secs).map_or_else(err, V::Ts),
        _ => match x.as_str(store) {
            Some(s) => timefmt::parse_timestamp(s).map_or_else(err, V::Ts),
            None => err(format!(
                "timestamp() cannot convert a {}",
                x.type_name(store)
            )),
        },
    }
}

fn to_duration(x: &V, store: &Store) -> V {
    match x {
        V::Dur(_) | V::Err(_) => x.clone(),
        _ => match x.as_str(store) {
            Some(s) => timefmt::parse_duration(s).map_or_else(err, V::Dur),
            None => err(format!(
                "duration() cannot convert a {}",
                x.type_name(store)
            )),
        },
    }
}

fn convert(which: &str, x: V, store: &Store) -> V {
    if let V::Err(_) = x {
        return x;
    }
    match which {
        "int" => match x {
            V::Int(_) => x,
            V::Double(d) if d.is_finite() && d.abs() < 9.2e18 => V::Int(d.trunc() as i64),
            V::Ts(t) => V::Int(t.div_euclid(timefmt::NANOS)),
            _ => match x.as_str(store).map(str::parse::<i64>) {
                Some(Ok(i)) => V::Int(i),
                _ => err(format!("int() cannot convert {}", x.display(store))),
            },
        },
        "double" => match x {
            V::Double(_) => x,
            V::Int(i) => V::Double(i as f64),
            _ => match x.as_str(store).map(str::parse::<f64>) {
                Some(Ok(d)) => V::Double(d),
                _ => err(format!("double() cannot convert {}", x.display(store))),
            },
        },
        "string" => match x {
            V::Str(_) | V::Text(_) => x,
            V::Node(_) | V::List(_) | V::Map(_) => err("string() of a container"),
            other => V::Text(Arc::from(match other {
                V::Ts(t) => timefmt::format_timestamp(t),
                V::Dur(d) => timefmt::format_duration(d),
                v => v.display(store),
            })),
        },
        _ => x,
    }
}
