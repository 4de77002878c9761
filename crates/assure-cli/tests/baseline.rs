//! The baseline lifecycle end to end, through the real `assure` binary, on SQLite and on PostgreSQL when
//! the test command provides one (`ASSURE_TEST_POSTGRES_URL`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

/// One database for one test: SQLite in a temporary folder, or a fresh PostgreSQL database.
struct Db {
    dir: tempfile::TempDir,
    pg: Option<assure_store::testing::TestDatabase>,
    rt: tokio::runtime::Runtime,
}

#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Db {
    fn new(backend: Backend) -> Option<Self> {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(rt.block_on(assure_store::testing::fresh_database())?),
        };
        Some(Self {
            dir: tempfile::tempdir().expect("tempdir"),
            pg,
            rt,
        })
    }

    fn url(&self) -> String {
        match &self.pg {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}", self.dir.path().join("assure.db").display()),
        }
    }

    /// Runs `assure ARGS`, returning (exit code, stdout, stderr).
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::cargo_bin("assure")
            .expect("binary")
            .env("ASSURE_DATA_DIR", self.dir.path())
            .env("ASSURE_DATABASE_URL", self.url())
            .env_remove("ASSURE_SIGNING_KEY")
            .env_remove("ASSURE_EVIDENCE_STORE")
            .env_remove("ASSURE_EVIDENCE_MASTER_KEY")
            .env("ASSURE_LOG", "warn")
            .args(args)
            .output()
            .expect("run assure");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs a command that must succeed; returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "assure {args:?} failed: {err}");
        out
    }

    /// Runs a command that must be refused (exit 1); returns its stderr.
    fn refused(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 1, "assure {args:?} should be refused: {out} {err}");
        err
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(&all)).expect("json output")
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(pg) = self.pg.take() {
            self.rt.block_on(pg.drop_database());
        }
    }
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { if let Some(db) = super::Db::new(super::Backend::Sqlite) { super::$name(db) } })*
        }
        mod postgres {
            $(#[test] fn $name() { if let Some(db) = super::Db::new(super::Backend::Postgres) { super::$name(db) } })*
        }
    };
}

on_both_backends!(
    a_published_entry_reaches_exactly_the_tenants_using_its_service_and_history_is_kept,
    every_governance_refusal_names_why,
    export_then_import_of_the_baseline_is_lossless_and_a_broken_import_writes_nothing,
);

const AUTHOR: &str = "security-lead@contour.example";
const APPROVER: &str = "admin@contour.example";
const CUSTOMER: &str = "fiona.macleod@northbank.example";

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

fn tenants(db: &Db) -> Vec<(String, BTreeSet<String>)> {
    db.json(&["tenants", "list"])
        .as_array()
        .expect("tenants")
        .iter()
        .map(|t| {
            let services = t["services"]
                .as_array()
                .expect("services")
                .iter()
                .map(|s| s["service"].as_str().expect("service").to_owned())
                .collect();
            (t["id"].as_str().expect("id").to_owned(), services)
        })
        .collect()
}

fn matrices(
    db: &Db,
    tenants: &[(String, BTreeSet<String>)],
    extra: &[&str],
) -> BTreeMap<String, String> {
    tenants
        .iter()
        .map(|(t, _)| {
            let mut args = vec!["matrix", t.as_str(), "--format", "csv"];
            args.extend_from_slice(extra);
            (t.clone(), db.ok(&args))
        })
        .collect()
}

/// The responsibility of `control` in a tenant's matrix, as its JSON export states it.
fn responsibility(db: &Db, tenant: &str, control: &str, extra: &[&str]) -> String {
    let mut args = vec!["matrix", tenant];
    args.extend_from_slice(extra);
    let m = db.json(&args);
    m["matrix"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["control"] == control)
        .map(|r| {
            r["responsibility"]
                .as_str()
                .expect("responsibility")
                .to_owned()
        })
        .expect("control row")
}

fn a_published_entry_reaches_exactly_the_tenants_using_its_service_and_history_is_kept(db: Db) {
    db.ok(&["init"]);
    let tenants = tenants(&db);
    let before = matrices(&db, &tenants, &[]);
    let before_rows: BTreeMap<String, String> = tenants
        .iter()
        .map(|(t, _)| (t.clone(), responsibility(&db, t, "VUL-03", &[])))
        .collect();

    let draft = db.json(&[
        "baseline",
        "draft",
        "--as",
        AUTHOR,
        "--trigger",
        "threat-intelligence",
        "--source",
        "kev",
        "--reference",
        "CVE-2024-3094",
        "--url",
        "https://www.cisa.gov/known-exploited-vulnerabilities-catalog",
        "--published",
        "2024-03-29",
        "--rationale",
        "engine patching must involve the customer",
    ]);
    let v = draft["id"].as_str().expect("version id").to_owned();
    assert_eq!(v, "v2", "the loaded content is v1");
    db.ok(&[
        "baseline",
        "edit",
        &v,
        "--as",
        AUTHOR,
        "--rationale",
        "customers must schedule engine patches",
        "entry",
        "database",
        "VUL-03",
        "--responsibility",
        "shared",
        "--provider-part",
        "Builds and tests engine patches.",
        "--customer-part",
        "Schedules and applies engine patches in its maintenance window.",
        "--reason",
        "Engine patches need the customer's window after CVE-2024-3094.",
    ]);
    db.ok(&[
        "baseline",
        "submit",
        &v,
        "--as",
        AUTHOR,
        "--reviewer",
        APPROVER,
    ]);
    db.ok(&[
        "baseline", "comment", &v, "--as", APPROVER, "--change", "1", "agreed",
    ]);
    db.ok(&["baseline", "approve", &v, "--as", APPROVER]);

    // The impact listed before publishing.
    let impact = db.json(&["baseline", "impact", &v]);
    let named: BTreeSet<String> = impact["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .map(|t| t["tenant"].as_str().expect("tenant").to_owned())
        .collect();
    let users: BTreeSet<String> = tenants
        .iter()
        .filter(|(_, s)| s.contains("database"))
        .map(|(t, _)| t.clone())
        .collect();
    assert!(!users.is_empty() && users.len() < tenants.len());
    assert_eq!(
        named, users,
        "exactly the tenants that use the database service"
    );
    for t in impact["tenants"].as_array().expect("tenants") {
        let cells = t["cells"].as_array().expect("cells");
        assert_eq!(cells.len(), 1, "one cell moves: {t}");
        assert_eq!(cells[0]["control"], "VUL-03");
        let tenant = t["tenant"].as_str().expect("tenant");
        assert_eq!(
            cells[0]["before"]["responsibility"].as_str(),
            Some(before_rows[tenant].as_str())
        );
        let database = |cell: &Value| {
            cell["per_service"]
                .as_array()
                .expect("per service")
                .iter()
                .any(|s| s == "database=shared")
        };
        assert!(
            !database(&cells[0]["before"]) && database(&cells[0]["after"]),
            "{t}"
        );
    }

    let before_publication = now();
    std::thread::sleep(std::time::Duration::from_millis(20));
    db.ok(&["baseline", "publish", &v, "--as", APPROVER]);

    // The tenants whose matrix really changed are the ones the impact named, with the cells it gave.
    let after = matrices(&db, &tenants, &[]);
    let changed: BTreeSet<String> = tenants
        .iter()
        .filter(|(t, _)| before[t] != after[t])
        .map(|(t, _)| t.clone())
        .collect();
    assert_eq!(changed, named);
    for t in impact["tenants"].as_array().expect("tenants") {
        let tenant = t["tenant"].as_str().expect("tenant");
        assert_eq!(
            t["cells"][0]["after"]["responsibility"].as_str(),
            Some(responsibility(&db, tenant, "VUL-03", &[]).as_str())
        );
    }

    // History: as of before the publication, every matrix is the earlier CSV byte for byte.
    let then = matrices(&db, &tenants, &["--as-of", &before_publication]);
    assert_eq!(then, before);
    let control_then = db.json(&["controls", "show", "VUL-03", "--as-of", &before_publication]);
    assert_eq!(control_then["control"]["id"], "VUL-03");
    let coverage_then = db.ok(&[
        "frameworks",
        "coverage",
        "iso27001-2022",
        "--as-of",
        &before_publication,
        "--format",
        "csv",
    ]);
    assert_eq!(
        coverage_then,
        db.ok(&["frameworks", "coverage", "iso27001-2022", "--format", "csv"]),
        "no mapping moved"
    );

    // Notices: one per affected tenant, each with its own cells; a customer acknowledges its own only.
    let notices = db.json(&["baseline", "notices", "--of", &v]);
    let notified: BTreeSet<String> = notices
        .as_array()
        .expect("notices")
        .iter()
        .map(|n| n["tenant"].as_str().expect("tenant").to_owned())
        .collect();
    assert_eq!(notified, named);
    let other = named
        .iter()
        .find(|t| *t != "northbank")
        .expect("another tenant");
    let (code, _, err) = db.run(&[
        "baseline",
        "acknowledge",
        &format!("{v}-{other}"),
        "--as",
        CUSTOMER,
    ]);
    assert_eq!(code, 2, "another tenant's notice is not found: {err}");
    assert!(err.contains("no notice"), "{err}");
    db.ok(&[
        "baseline",
        "acknowledge",
        &format!("{v}-northbank"),
        "--as",
        CUSTOMER,
    ]);
    let again = db.refused(&[
        "baseline",
        "acknowledge",
        &format!("{v}-northbank"),
        "--as",
        CUSTOMER,
    ]);
    assert!(again.contains("already acknowledged"), "{again}");

    // Every step is in the audit trail, and the trail and every object still verify.
    db.ok(&["audit", "verify"]);
    let versions = db.json(&["baseline", "list"]);
    assert_eq!(versions[1]["state"], "published");
    assert_eq!(versions[1]["approved_by"], format!("user:{APPROVER}"));
}

fn every_governance_refusal_names_why(db: Db) {
    db.ok(&["init"]);
    let err = db.refused(&[
        "baseline",
        "draft",
        "--as",
        CUSTOMER,
        "--trigger",
        "periodic-review",
        "--rationale",
        "mine",
    ]);
    assert!(err.contains("may not edit-catalogue"), "{err}");
    let err = db.refused(&[
        "baseline",
        "draft",
        "--as",
        AUTHOR,
        "--trigger",
        "threat-intelligence",
        "--source",
        "cve",
        "--reference",
        "xz",
        "--url",
        "https://nvd.nist.gov/",
        "--published",
        "2024-03-29",
        "--rationale",
        "r",
    ]);
    assert!(err.contains("is not a CVE id"), "{err}");
    db.ok(&[
        "baseline",
        "draft",
        "--as",
        AUTHOR,
        "--trigger",
        "periodic-review",
        "--rationale",
        "annual review",
    ]);
    let err = db.refused(&[
        "baseline",
        "draft",
        "--as",
        AUTHOR,
        "--trigger",
        "periodic-review",
        "--rationale",
        "again",
    ]);
    assert!(err.contains("v2 is still draft"), "{err}");
    let err = db.refused(&[
        "baseline",
        "edit",
        "v2",
        "--as",
        AUTHOR,
        "--rationale",
        "r",
        "mapping",
        "IAM-01",
        "--framework",
        "iso27001-2022",
        "--requirement",
        "A.99",
        "--relationship",
        "equal-to",
    ]);
    assert!(err.contains("unknown requirement A.99"), "{err}");
    db.ok(&[
        "baseline",
        "edit",
        "v2",
        "--as",
        AUTHOR,
        "--rationale",
        "tighter wording",
        "control",
        "IAM-01",
        "--statement",
        "Every privileged access uses phishing-resistant multi-factor authentication.",
    ]);
    let err = db.refused(&["baseline", "publish", "v2", "--as", APPROVER]);
    assert!(
        err.contains("cannot be published without approval"),
        "{err}"
    );
    let err = db.refused(&["baseline", "approve", "v2", "--as", APPROVER]);
    assert!(
        err.contains("a draft version cannot approve; allowed from draft: submit"),
        "{err}"
    );
    let err = db.refused(&[
        "baseline",
        "submit",
        "v2",
        "--as",
        AUTHOR,
        "--reviewer",
        AUTHOR,
    ]);
    assert!(err.contains("cannot be one of its reviewers"), "{err}");
    db.ok(&[
        "baseline",
        "submit",
        "v2",
        "--as",
        AUTHOR,
        "--reviewer",
        APPROVER,
    ]);
    let err = db.refused(&["baseline", "approve", "v2", "--as", AUTHOR]);
    assert!(err.contains("two-person rule"), "{err}");
    let err = db.refused(&["baseline", "publish", "v2", "--as", APPROVER]);
    assert!(
        err.contains("in-review version cannot be published without approval"),
        "{err}"
    );
    db.ok(&["baseline", "approve", "v2", "--as", APPROVER]);
    let err = db.refused(&[
        "baseline",
        "publish",
        "v2",
        "--as",
        APPROVER,
        "--effective",
        "2001-01-01",
    ]);
    assert!(err.contains("never rewritten"), "{err}");
    db.ok(&["baseline", "publish", "v2", "--as", APPROVER]);
    let err = db.refused(&["baseline", "return", "v2", "--as", AUTHOR]);
    assert!(
        err.contains("a published or withdrawn version is final"),
        "{err}"
    );
    let shown = db.json(&["controls", "show", "IAM-01"]);
    assert!(
        shown["control"]["statement"]
            .as_str()
            .expect("statement")
            .contains("phishing-resistant")
    );
    let diff = db.json(&["baseline", "diff", "v1", "v2"]);
    assert_eq!(diff.as_array().map(Vec::len), Some(1));
    assert_eq!(diff[0]["id"], "IAM-01");
    assert_eq!(diff[0]["fields"], serde_json::json!(["statement"]));
    let (code, _, err) = db.run(&["baseline", "show", "v9"]);
    assert_eq!(code, 2, "an unknown version is an input error: {err}");
    // A version abandoned before publication frees the way for the next draft.
    db.ok(&[
        "baseline",
        "draft",
        "--as",
        AUTHOR,
        "--trigger",
        "periodic-review",
        "--rationale",
        "abandoned",
    ]);
    let err = db.refused(&["baseline", "withdraw", "v3", "--as", CUSTOMER]);
    assert!(err.contains("may not edit-catalogue"), "{err}");
    db.ok(&["baseline", "withdraw", "v3", "--as", AUTHOR]);
    let versions = db.json(&["baseline", "list"]);
    assert_eq!(versions[2]["state"], "withdrawn");
    db.ok(&[
        "baseline",
        "draft",
        "--as",
        AUTHOR,
        "--trigger",
        "periodic-review",
        "--rationale",
        "next",
    ]);
    db.ok(&["audit", "verify"]);
}

fn files_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("inside").display().to_string();
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

fn export_then_import_of_the_baseline_is_lossless_and_a_broken_import_writes_nothing(db: Db) {
    db.ok(&["init"]);
    let first = db.dir.path().join("export-1");
    db.ok(&["baseline", "export", "-o", first.to_str().expect("utf-8")]);
    assert!(first.join("baseline/IAM.yaml").is_file() && first.join("services.yaml").is_file());

    // A broken file is refused with its place, and nothing is written.
    let broken = db.dir.path().join("broken");
    std::fs::create_dir_all(&broken).expect("mkdir");
    for (name, bytes) in files_in(&first) {
        let path = broken.join(&name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        let text = String::from_utf8(bytes).expect("utf-8");
        let text = if name.ends_with("IAM.yaml") {
            text.replacen("relationship: subset-of", "relationship: part-of", 1)
        } else {
            text
        };
        std::fs::write(path, text).expect("write");
    }
    let err = db.refused(&[
        "baseline",
        "import",
        broken.to_str().expect("utf-8"),
        "--as",
        AUTHOR,
        "--trigger",
        "periodic-review",
        "--rationale",
        "as code",
    ]);
    assert!(err.contains("IAM.yaml") && err.contains("part-of"), "{err}");
    assert_eq!(
        db.json(&["baseline", "list"]),
        serde_json::json!([]),
        "nothing written"
    );

    // The export imports as a draft identical to the live baseline, and exports again byte for byte.
    db.ok(&[
        "baseline",
        "import",
        first.to_str().expect("utf-8"),
        "--as",
        AUTHOR,
        "--trigger",
        "periodic-review",
        "--rationale",
        "as code",
    ]);
    let diff = db.json(&["baseline", "diff", "live", "v2"]);
    assert_eq!(diff, serde_json::json!([]), "the round trip loses nothing");
    let second = db.dir.path().join("export-2");
    db.ok(&[
        "baseline",
        "export",
        "--of",
        "v2",
        "-o",
        second.to_str().expect("utf-8"),
    ]);
    assert_eq!(files_in(&first), files_in(&second));
    db.ok(&["audit", "verify"]);
}
