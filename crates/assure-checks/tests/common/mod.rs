//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The reference data folder: `ASSURE_SHARED_DIR`, else `../shared` beside the repository.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ASSURE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    dir.is_dir().then_some(dir)
}

/// Runs the stand-alone `assure-check` binary.
pub fn assure_check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_assure-check"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run assure-check: {e}"))
}

/// Exit code, standard output and standard error of a run.
pub fn outcome(o: &Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}
