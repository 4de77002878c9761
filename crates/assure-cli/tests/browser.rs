//! Runs the browser tests (`tests/browser/run.sh`: Debian's Chromium driven by playwright-core, pages
//! checked with axe-core) against the `assure` binary this build produced, and fails when they fail.
//!
//! Under CI (`CI` set) they always run; elsewhere they are skipped, saying why, when Chromium or npm is
//! missing (`scripts/test.sh` installs both).

use std::path::{Path, PathBuf};
use std::process::Command;

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

#[test]
fn browser_specs_pass_against_the_built_server() {
    let chromium = Path::new("/usr/bin/chromium");
    let under_ci = std::env::var_os("CI").is_some();
    let tools_present = chromium.is_file() && on_path("npm") && on_path("node");
    if !(under_ci || tools_present) {
        eprintln!(
            "skipped: the browser tests need /usr/bin/chromium, node and npm (apt-get install chromium nodejs npm, or run scripts/test.sh)"
        );
        return;
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_assure"));
    // The binary is TARGET/debug/assure: screenshots of failures go to TARGET/browser-screenshots.
    let target = binary
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| repository_root().join("target"), Path::to_path_buf);
    let script = repository_root().join("tests/browser/run.sh");
    let output = Command::new("bash")
        .arg(&script)
        .env("ASSURE_BIN", &binary)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("run tests/browser/run.sh");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "the browser tests failed ({}); screenshots in {}",
        output.status,
        target.join("browser-screenshots").display()
    );
    assert!(
        stdout.contains("# fail 0"),
        "node's test runner reported failures or ran nothing"
    );
}
