//! Loads manifests into compiled checks, reads inputs with the checks' projection and evaluates every
//! check over the resources of its type on all cores.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use crate::cel::{self, Frame, Program, V};
use crate::input::{self, InputError, InputFormat, ReadOptions};
use crate::manifest::{self, LoadError, Manifest, Source};
use crate::projection::{ProjBuilder, Projection};
use crate::store::{Interner, Store};

/// Operator overrides: check id -> parameter name -> value text.
pub type Overrides = BTreeMap<String, BTreeMap<String, String>>;

/// A check ready to run.
#[derive(Debug)]
pub struct CompiledCheck {
    /// The manifest as written.
    pub manifest: Manifest,
    /// The file it came from.
    pub file: String,
    /// Parameter values in force (defaults or overrides).
    pub params: Vec<cel::Param>,
    filter: Option<Program>,
    assertion: Program,
}

/// The outcome of one check over one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckResult {
    /// Resources the selector matched.
    pub applicable: u64,
    /// Resources whose assertion was false (store indexes, ascending).
    pub failed: Vec<u32>,
    /// Resources whose filter or assertion could not be evaluated, with the reason.
    pub errors: Vec<(u32, String)>,
}

impl CheckResult {
    /// Passed when nothing failed and nothing errored.
    pub fn passed(&self) -> bool {
        self.failed.is_empty() && self.errors.is_empty()
    }
}

/// Compiled checks plus what the reader needs to serve them.
#[derive(Debug)]
pub struct Engine {
    checks: Vec<CompiledCheck>,
    interner: Interner,
    projection: Projection,
}

fn compile_expr(
    src: &Source,
    key: &str,
    expr: &str,
    compiler: &mut cel::Compiler<'_>,
) -> Result<Program, LoadError> {
    let at = |offset: usize, message: String| {
        let (line, column) = manifest::locate(&src.text, key, expr, offset);
        LoadError {
            file: src.file.clone(),
            line: Some(line),
            column: Some(column),
            message: format!("in {key}: {message}"),
        }
    };
    let ast = cel::parse(expr).map_err(|e| at(e.at, format!("syntax error: {}", e.message)))?;
    compiler
        .compile_bool(&ast)
        .map_err(|e| at(e.at, format!("type error: {}", e.message)))
}

impl Engine {
    /// Parses, type-checks and compiles every manifest; any error stops the load.
    pub fn load(sources: &[Source], overrides: &Overrides) -> Result<Engine, LoadError> {
        let mut interner = Interner::default();
        let mut proj = ProjBuilder::default();
        let mut checks = Vec::with_capacity(sources.len());
        let mut ids = BTreeSet::new();
        let no_overrides = BTreeMap::new();
        for src in sources {
            let m = manifest::parse(src)?;
            if !ids.insert(m.id.clone()) {
                return Err(LoadError::file(
                    &src.file,
                    format!("duplicate check id '{}'", m.id),
                ));
            }
            let params = manifest::bind_params(&m, overrides.get(&m.id).unwrap_or(&no_overrides))
                .map_err(|e| LoadError::file(&src.file, e))?;
            let r_ty = cel::types::resource_type(&m.resource.ty);
            let mut compiler = cel::Compiler::new(&mut interner, &mut proj, &params, r_ty);
            let filter = match &m.resource.filter {
                Some(f) => Some(compile_expr(src, "filter", f, &mut compiler)?),
                None => None,
            };
            let assertion = compile_expr(src, "assert", &m.assertion, &mut compiler)?;
            interner.intern(&m.resource.ty);
            checks.push(CompiledCheck {
                manifest: m,
                file: src.file.clone(),
                params,
                filter,
                assertion,
            });
        }
        for id in overrides.keys() {
            if !ids.contains(id) {
                return Err(LoadError::file(
                    "--set",
                    format!("no loaded check has the id '{id}'"),
                ));
            }
        }
        let projection = proj.build(&mut interner);
        Ok(Engine {
            checks,
            interner,
            projection,
        })
    }

    /// The compiled checks, in load order.
    pub fn checks(&self) -> &[CompiledCheck] {
        &self.checks
    }

    /// Keeps only the checks whose id is in `ids` (the projection stays that of all loaded checks).
    pub fn retain(&mut self, ids: &[String]) {
        self.checks.retain(|c| ids.contains(&c.manifest.id));
    }

    /// The fields the loaded checks can reach.
    pub fn projection(&self) -> &Projection {
        &self.projection
    }

    /// Reads an input into a store for these checks. `now` overrides the snapshot time (nanoseconds).
    pub fn read(
        &self,
        bytes: &[u8],
        format: InputFormat,
        now: Option<i64>,
    ) -> Result<Store, InputError> {
        self.read_with_progress(bytes, format, now, None)
    }

    /// [`Engine::read`], reporting bytes read so far to `progress`.
    pub fn read_with_progress(
        &self,
        bytes: &[u8],
        format: InputFormat,
        now: Option<i64>,
        progress: Option<&(dyn Fn(u64) + Sync)>,
    ) -> Result<Store, InputError> {
        input::read(
            bytes,
            format,
            self.interner.clone(),
            &ReadOptions {
                projection: &self.projection,
                now,
                progress,
            },
        )
    }

    /// Evaluates every check; results are in check order. Resource-major: all checks of a type run on one
    /// resource while its nodes are in cache, chunks of resources spread over all cores.
    pub fn evaluate(&self, store: &Store) -> Vec<CheckResult> {
        let mut by_type: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, c) in self.checks.iter().enumerate() {
            by_type
                .entry(c.manifest.resource.ty.as_str())
                .or_default()
                .push(i);
        }
        let mut results = vec![CheckResult::default(); self.checks.len()];
        for (ty, idx) in by_type {
            let checks: Vec<&CompiledCheck> =
                idx.iter().filter_map(|&i| self.checks.get(i)).collect();
            let per_type = evaluate_type(&checks, store.of_type(ty), store);
            for (i, r) in idx.into_iter().zip(per_type) {
                if let Some(slot) = results.get_mut(i) {
                    *slot = r;
                }
            }
        }
        results
    }
}

const CHUNK: usize = 8192;

/// One check on one resource, recorded into `out`.
fn evaluate_one(check: &CompiledCheck, res: u32, frame: &mut Frame<'_>, out: &mut CheckResult) {
    if let Some(f) = &check.filter {
        match (f.code)(frame) {
            V::Bool(true) => {}
            V::Bool(false) => return,
            V::Err(e) => {
                out.applicable += 1;
                out.errors.push((res, format!("filter: {e}")));
                return;
            }
            other => {
                out.applicable += 1;
                out.errors
                    .push((res, format!("filter gave {}", other.display(frame.store))));
                return;
            }
        }
    }
    out.applicable += 1;
    match (check.assertion.code)(frame) {
        V::Bool(true) => {}
        V::Bool(false) => out.failed.push(res),
        V::Err(e) => out.errors.push((res, e.to_string())),
        other => out.errors.push((
            res,
            format!("assertion gave {}", other.display(frame.store)),
        )),
    }
}

fn evaluate_type(checks: &[&CompiledCheck], targets: &[u32], store: &Store) -> Vec<CheckResult> {
    let slots = checks
        .iter()
        .map(|c| {
            c.assertion
                .slots
                .max(c.filter.as_ref().map_or(0, |f| f.slots))
        })
        .max()
        .unwrap_or(0);
    let empty = || vec![CheckResult::default(); checks.len()];
    targets
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut out = empty();
            let mut frame = Frame {
                store,
                r: V::Null,
                locals: vec![V::Null; slots],
            };
            for &res in chunk {
                frame.r = V::Node(store.root(res));
                for (c, o) in checks.iter().zip(out.iter_mut()) {
                    evaluate_one(c, res, &mut frame, o);
                }
            }
            out
        })
        .reduce(empty, |mut a, b| {
            for (x, y) in a.iter_mut().zip(b) {
                x.applicable += y.applicable;
                x.failed.extend(y.failed);
                x.errors.extend(y.errors);
            }
            a
        })
}
