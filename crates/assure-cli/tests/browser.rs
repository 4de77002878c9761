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

/// The roles `tests/browser/login.js` logs in as: the keys of its `ROLES` object.
fn browser_roles(login_js: &str) -> Vec<String> {
    let Some(start) = login_js.find("const ROLES = {") else {
        return Vec::new();
    };
    login_js[start..]
        .lines()
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with("};"))
        .filter_map(|line| line.trim().split_once(':'))
        .map(|(key, _)| key.trim().trim_matches('"').to_owned())
        .collect()
}

/// The browser specs speak for every role of the domain, so a new role cannot ship without a browser
/// login and its page expectations (runs without Chromium).
#[test]
fn the_browser_specs_log_in_as_every_role() {
    let login_js = std::fs::read_to_string(repository_root().join("tests/browser/login.js"))
        .expect("read tests/browser/login.js");
    let mut covered = browser_roles(&login_js);
    covered.sort();
    let mut roles: Vec<String> = assure_domain::user::Role::ALL
        .iter()
        .map(|r| r.as_str().to_owned())
        .collect();
    roles.sort();
    assert_eq!(covered, roles, "ROLES in tests/browser/login.js");
}
