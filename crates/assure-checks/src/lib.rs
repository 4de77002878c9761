//! # assure-checks: the control-test engine
//!
//! Checks are [manifests](manifest::Manifest) (YAML or JSON) holding a resource selector and a
//! [CEL](https://cel.dev) assertion. [`Engine::load`] parses and type-checks them (errors carry
//! file:line:column), compiles each expression into a tree of closures and records which fields the checks
//! can reach. [`Engine::read`] streams an input once into a compact [`Store`] (16-byte nodes in one arena,
//! interned strings, resources indexed by type) keeping only those fields, and [`Engine::evaluate`] runs
//! every check over it on all cores.
//!
//! ## The one mapping of JSON to CEL types
//! - JSON `true`/`false` -> `bool`; `null` -> `null`; strings -> `string`.
//! - A JSON number written without fraction or exponent that fits in 64 bits signed -> `int`; every other
//!   number (`1.5`, `1e3`, integers beyond `i64`) -> `double`. There is no `uint` anywhere: literals like
//!   `1u` are rejected, so `now`, input integers and literals can never disagree about their number type.
//! - `==`, `!=`, `<`, `<=`, `>`, `>=` compare `int` and `double` by value (CEL's heterogeneous numeric
//!   comparison); arithmetic does not mix them (`1 + 1.0` is a type error).
//! - Times: `now` is a CEL `timestamp` (the snapshot's `snapshot_time`, the plan's `timestamp`, or
//!   `--now`). Native snapshot fields stay what JSON made them (epoch seconds are `int`, RFC 3339 text is
//!   `string`); convert with `timestamp(x)`, which accepts both. The record formats (access log, key records)
//!   declare their time fields, which arrive as `timestamp` already. `timestamp - timestamp` is a `duration`;
//!   durations are written `duration("8760h")` or declared as `duration` parameters.
//! - Comparing a `timestamp` with an `int` (the trap that made a date check silently fail everywhere) is a
//!   type error when the types are known at load time, and an evaluation error reported per resource (never a
//!   silent pass or fail) when they are only known at run time.
//!
//! See `docs/checks.md` for the manifest format, input schemas, the CLI and the benchmark.

pub mod cel;
pub mod command;
pub mod engine;
pub mod input;
pub mod manifest;
pub mod pack;
pub mod projection;
pub mod report;
pub mod store;
pub mod timefmt;

pub use engine::{CheckResult, CompiledCheck, Engine, Overrides};
pub use input::{InputError, InputFormat};
pub use manifest::{LoadError, Manifest, Severity, Source};
pub use store::Store;
