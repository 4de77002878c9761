//! End-to-end tests that drive the real `assure` binary (and the server it starts) on SQLite, and on
//! PostgreSQL when the test command provides one.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

/// One database for one test: SQLite in a temporary folder, or a fresh PostgreSQL database.
struct Db {
    dir: tempfile::TempDir,
    pg: Option<assure_store::testing::TestDatabase>,
    rt: tokio::runtime::Runtime,
    /// Extra environment for every `assure` run (e.g. an S3 evidence store).
    env: Vec<(String, String)>,
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
            env: Vec::new(),
        })
    }

    fn url(&self) -> String {
        match &self.pg {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}", self.dir.path().join("assure.db").display()),
        }
    }

    fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    fn public_key(&self) -> PathBuf {
        self.dir.path().join("keys/provider-ed25519.key.pub")
    }

    fn assure(&self) -> Command {
        let mut c = Command::cargo_bin("assure").expect("binary");
        c.env("ASSURE_DATA_DIR", self.data_dir())
            .env("ASSURE_DATABASE_URL", self.url())
            .env_remove("ASSURE_SIGNING_KEY")
            .env_remove("ASSURE_EVIDENCE_STORE")
            .env_remove("ASSURE_EVIDENCE_MASTER_KEY")
            .env("ASSURE_LOG", "warn");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Runs `assure ARGS`, returning (exit code, stdout, stderr).
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.assure().args(args).output().expect("run assure");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn init(&self) {
        let (code, _, err) = self.run(&["init"]);
        assert_eq!(code, 0, "init failed: {err}");
    }

    /// The first column of the first row `sql` selects, as text (what someone reading the database sees).
    fn select_text(&self, sql: &str) -> Option<String> {
        let url = self.url();
        self.rt.block_on(async {
            if url.starts_with("sqlite:") {
                let pool = sqlx::SqlitePool::connect(&url).await.expect("connect");
                let value: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
                    .fetch_one(&pool)
                    .await
                    .expect(sql);
                pool.close().await;
                value
            } else {
                let pool = sqlx::PgPool::connect(&url).await.expect("connect");
                let value: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
                    .fetch_one(&pool)
                    .await
                    .expect(sql);
                pool.close().await;
                value
            }
        })
    }

    /// Executes SQL directly against the database, as an attacker with database access would.
    fn tamper(&self, statements: &[&str]) {
        let url = self.url();
        self.rt.block_on(async {
            if url.starts_with("sqlite:") {
                let pool = sqlx::SqlitePool::connect(&url).await.expect("connect");
                for s in statements {
                    sqlx::query(sqlx::AssertSqlSafe(s.to_string()))
                        .execute(&pool)
                        .await
                        .expect(s);
                }
                pool.close().await;
            } else {
                let pool = sqlx::PgPool::connect(&url).await.expect("connect");
                for s in statements {
                    sqlx::query(sqlx::AssertSqlSafe(s.to_string()))
                        .execute(&pool)
                        .await
                        .expect(s);
                }
                pool.close().await;
            }
        });
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(pg) = self.pg.take() {
            self.rt.block_on(pg.drop_database());
        }
    }
}

/// A running `assure serve`, stopped on drop.
struct Server {
    child: Child,
    base: String,
    /// The demo provider admin's API token.
    token: String,
}

/// The demo provider admin the end-to-end tests act as.
const DEMO_ADMIN: &str = "admin@contour.example";

impl Server {
    fn start(db: &Db) -> Self {
        let mut child = db
            .assure()
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn serve");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("server exited before listening")
                .expect("read stderr");
            if let Some(url) = line.strip_prefix("assure listening on ") {
                break url.trim().to_owned();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let token = Self::token(db, DEMO_ADMIN);
        evidence_support::register_token(&base, &token);
        Self { child, base, token }
    }

    /// A new API token of a demo user, made with `assure tokens create`.
    fn token(db: &Db, user: &str) -> String {
        let (code, out, err) = db.run(&["tokens", "create", "--user", user, "--name", "e2e"]);
        assert_eq!(code, 0, "tokens create: {err}");
        out.trim().to_owned()
    }

    fn get(&self, path: &str) -> (u16, String, Value) {
        let resp = reqwest::blocking::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .expect("request");
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = resp.text().expect("body");
        (
            status,
            content_type,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

impl Server {
    fn put(&self, path: &str, body: &str) -> (u16, Value) {
        let resp = reqwest::blocking::Client::new()
            .put(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
    controls_in_json_agree_between_the_cli_and_the_api,
    the_api_answers_errors_as_problem_json,
    an_edited_audit_field_is_named,
    a_deleted_audit_row_is_named,
    swapped_audit_rows_are_named,
    a_truncated_chain_is_caught_by_its_checkpoint,
    a_business_row_changed_behind_assures_back_is_named,
    a_tenant_export_verifies_offline_and_holds_only_that_tenant,
    coverage_of_iso_and_soc2_is_at_least_85_percent,
    evidence_round_trips_and_a_changed_byte_is_named,
    evidence_round_trips_and_a_changed_byte_is_named_on_s3,
    the_same_bytes_in_another_tenant_are_indistinguishable,
    the_same_bytes_in_another_tenant_are_indistinguishable_on_s3,
    sigkill_during_uploads_keeps_exactly_the_answered_ones,
    sigkill_during_uploads_keeps_exactly_the_answered_ones_on_s3,
    a_bad_profile_edit_is_refused_and_changes_nothing,
    users_and_tokens_are_managed_from_the_cli,
    a_demo_provider_logs_in_with_its_password_and_totp_then_must_change_it,
    totp_secrets_are_stored_sealed_and_plaintext_rows_are_sealed_at_start,
    init_without_demo_creates_only_the_first_admin,
    importing_the_nist_catalog_over_the_demo_keeps_every_mapping,
    a_catalog_lacking_demo_requirements_reports_them_and_keeps_their_mappings,
    malformed_oscal_names_document_and_pointer_and_stores_nothing,
    a_csv_framework_with_a_bad_row_lists_it_and_stores_nothing,
    a_crosswalk_imports_mappings_with_provenance_or_nothing,
    a_profile_is_resolved_and_imported_as_its_own_framework,
    the_matrix_agrees_between_the_cli_and_the_api_and_binary_formats_need_a_file,
    the_matrix_as_of_a_past_instant_uses_the_profile_then_in_force,
);

mod evidence_support;
use evidence_support::{Moto, blob_tamperer, upload_raw};

fn controls_in_json_agree_between_the_cli_and_the_api(db: Db) {
    let server = Server::start(&db);
    let (status, _, _) = server.get("/healthz");
    assert_eq!(status, 200);
    let (status, _, _) = server.get("/readyz");
    assert_eq!(
        status, 200,
        "a first start on an empty database serves the demo"
    );
    let (code, cli, err) = db.run(&["controls", "list", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let cli: Value = serde_json::from_str(&cli).expect("CLI prints JSON");
    let (status, _, api) = server.get("/api/v1/controls?limit=1000");
    assert_eq!(status, 200);
    assert_eq!(
        api["items"], cli,
        "the CLI and the API list the same controls"
    );
    assert!(
        cli.as_array().is_some_and(|a| a.len() >= 80),
        "the demo has its baseline"
    );
    assert_eq!(
        api["total"].as_u64(),
        cli.as_array().map(|a| a.len() as u64)
    );
    let (status, _, page) = server.get("/api/v1/controls?limit=5&offset=5&sort=-id");
    assert_eq!(status, 200);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(5));
    let (_, _, tenants) = server.get("/api/v1/tenants");
    assert_eq!(tenants["total"], 6);
}

fn the_api_answers_errors_as_problem_json(db: Db) {
    let server = Server::start(&db);
    let (status, content_type, body) = server.get("/api/v1/controls/NOPE-99");
    assert_eq!(status, 404);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(body["status"], 404);
    let (status, _, body) = server.get("/api/v1/controls?limit=lots");
    assert_eq!(status, 400);
    assert_eq!(body["field"], "limit");
    let (status, _, body) = server.get("/api/v1/frameworks/nope/coverage");
    assert_eq!(status, 404, "{body}");
}

/// Runs `audit verify`, expecting exit 1 with `needle` in its message.
fn assert_verify_names(db: &Db, needle: &str) {
    let (code, out, err) = db.run(&["audit", "verify"]);
    assert_eq!(code, 1, "verify must fail: {out}{err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
}

fn an_edited_audit_field_is_named(db: Db) {
    db.init();
    assert_eq!(
        db.run(&["audit", "verify"]).0,
        0,
        "an untouched trail verifies"
    );
    db.tamper(&[
        "UPDATE audit_log SET actor = 'mallory' WHERE chain = 'tenant:northbank' AND seq = 2",
    ]);
    assert_verify_names(&db, "chain tenant:northbank: record 2 was altered");
}

fn a_deleted_audit_row_is_named(db: Db) {
    db.init();
    db.tamper(&["DELETE FROM audit_log WHERE chain = 'provider' AND seq = 7"]);
    assert_verify_names(&db, "chain provider: record 8 found where record 7 was due");
}

fn swapped_audit_rows_are_named(db: Db) {
    db.init();
    db.tamper(&[
        "UPDATE audit_log SET seq = -1 WHERE chain = 'provider' AND seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE chain = 'provider' AND seq = 4",
        "UPDATE audit_log SET seq = 4 WHERE chain = 'provider' AND seq = -1",
    ]);
    assert_verify_names(&db, "chain provider: record 3 was altered");
}

fn a_truncated_chain_is_caught_by_its_checkpoint(db: Db) {
    db.init();
    // A careful attacker removes the tail and rewinds the head; only the signed checkpoint remembers.
    db.tamper(&[
        "DELETE FROM audit_log WHERE chain = 'tenant:northbank' AND seq > 2",
        "UPDATE audit_heads SET seq = 2, hash = (SELECT hash FROM audit_log WHERE chain = 'tenant:northbank' AND seq = 2) WHERE chain = 'tenant:northbank'",
    ]);
    assert_verify_names(
        &db,
        "chain tenant:northbank: truncated: a checkpoint vouches for record",
    );
}

fn a_business_row_changed_behind_assures_back_is_named(db: Db) {
    db.init();
    db.tamper(&["UPDATE controls SET title = 'Nothing to see here' WHERE id = 'IAM-01'"]);
    assert_verify_names(&db, "control IAM-01 was changed outside Assure");
}

fn a_tenant_export_verifies_offline_and_holds_only_that_tenant(db: Db) {
    db.init();
    let file = db.data_dir().join("northbank-audit.json");
    let file_arg = file.display().to_string();
    let (code, _, err) = db.run(&["audit", "export", "--tenant", "northbank", "-o", &file_arg]);
    assert_eq!(code, 0, "{err}");
    let export: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("export")).expect("json");
    let records = export["records"].as_array().expect("records");
    assert!(!records.is_empty());
    let text = serde_json::to_string(records).expect("json");
    for other in [
        "brightpath",
        "mercyvale",
        "kestrel-telecom",
        "lionrock",
        "ravensberg",
    ] {
        assert!(
            !text.contains(other),
            "the export of northbank mentions {other}"
        );
    }
    assert!(
        records
            .iter()
            .all(|r| r["chain"] == "tenant:northbank" && r["event"]["tenant"] == "northbank")
    );

    // Offline: only the export and the public key, no database.
    let key = db.public_key().display().to_string();
    let offline = Command::cargo_bin("assure")
        .expect("binary")
        .args(["audit", "verify-export", &file_arg, "--public-key", &key])
        .env("ASSURE_DATABASE_URL", "postgres://nowhere.invalid/none")
        .output()
        .expect("run");
    assert_eq!(
        offline.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&offline.stderr)
    );

    let mut forged = export.clone();
    forged["records"][0]["event"]["actor"] = Value::String("mallory".into());
    let forged_file = db.data_dir().join("forged.json");
    std::fs::write(&forged_file, forged.to_string()).expect("write");
    let (code, _, err) = db.run(&[
        "audit",
        "verify-export",
        &forged_file.display().to_string(),
        "--public-key",
        &key,
    ]);
    assert_eq!(code, 1, "a forged export fails: {err}");
    assert!(err.contains("record 1 was altered"), "{err}");
}

fn coverage_of_iso_and_soc2_is_at_least_85_percent(db: Db) {
    db.init();
    for framework in ["iso27001-2022", "soc2"] {
        let (code, out, err) = db.run(&["frameworks", "coverage", framework, "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&out).expect("json");
        let pct = v["covered_or_partly_percent"].as_f64().unwrap_or(0.0);
        assert!(pct >= 85.0, "{framework}: {pct:.1}% covered or partly");
        let total = v["total"].as_u64().unwrap_or(0);
        let sum = ["covered", "partly_covered", "not_covered"]
            .iter()
            .map(|k| v[k].as_u64().unwrap_or(0))
            .sum::<u64>();
        assert_eq!(
            sum, total,
            "{framework}: counts add up to the framework's size"
        );
    }
}

#[test]
fn usage_and_input_errors_exit_2() {
    let db = Db::new(Backend::Sqlite).expect("sqlite");
    assert_eq!(
        db.run(&["controls", "list", "--format", "yaml"]).0,
        2,
        "a bad flag value"
    );
    let (code, _, err) = db.run(&["controls", "list"]);
    assert_eq!(code, 2, "an empty database");
    assert!(err.contains("assure init"), "{err}");
    db.init();
    let (code, _, err) = db.run(&["frameworks", "coverage", "iso27001-2013"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown framework \"iso27001-2013\""), "{err}");
    let (code, _, err) = db.run(&["init"]);
    assert_eq!(code, 2, "a second init is refused");
    assert!(err.contains("already set up"), "{err}");
    let (code, out, _) = db.run(&["tenants", "show", "northbank", "--format", "csv"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("field,value\n"), "{out}");
}

#[test]
fn broken_content_is_refused_with_file_line_and_id_and_writes_nothing() {
    let db = Db::new(Backend::Sqlite).expect("sqlite");
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../assure-content/tests/fixtures/mini");
    let content = db.data_dir().join("content");
    copy_dir(&fixture, &content);
    let iam = content.join("baseline/IAM.yaml");
    let text = std::fs::read_to_string(&iam).expect("read");
    std::fs::write(
        &iam,
        text.replace("requirement: A.8.5,", "requirement: A.9.4.2,"),
    )
    .expect("write");
    let (code, _, err) = db.run(&["init", "--content", &content.display().to_string()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("baseline/IAM.yaml:12: [A.9.4.2]"), "{err}");
    let (code, _, err) = db.run(&["controls", "list"]);
    assert_eq!(code, 2, "nothing was written: {err}");
    assert!(err.contains("the database is empty"), "{err}");
    std::fs::write(&iam, text).expect("restore");
    let (code, _, err) = db.run(&["init", "--content", &content.display().to_string()]);
    assert_eq!(code, 0, "the repaired content loads: {err}");
    let (_, out, _) = db.run(&["controls", "list", "--format", "csv"]);
    assert_eq!(out.lines().count(), 3, "{out}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[test]
fn check_exits_by_its_result_without_a_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let snapshot = dir.path().join("snapshot.json");
    let write = |encrypted: bool| {
        let doc = serde_json::json!({
            "snapshot_time": "2026-11-01T00:00:00Z",
            "resources": [{
                "id": "bucket-1", "type": "storage_bucket", "region": "eu-west",
                "encryption": {"enabled": encrypted, "algorithm": "AES256"},
                "logging": {"enabled": true}, "public": false, "versioning": true
            }]
        });
        std::fs::write(&snapshot, doc.to_string()).expect("write");
    };
    let run = || {
        Command::cargo_bin("assure")
            .expect("binary")
            .args([
                "check",
                "--input",
                &snapshot.display().to_string(),
                "--check",
                "cry.bucket-encrypted",
                "--format",
                "json",
            ])
            .env("ASSURE_DATABASE_URL", "postgres://nowhere.invalid/none")
            .output()
            .expect("run")
    };
    write(true);
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    write(false);
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&snapshot, "{\"resources\": [{\"id\": ").expect("write");
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(2),
        "truncated JSON is an input error"
    );
}

#[test]
fn resolve_and_validate_run_from_the_assure_binary() {
    let shared = std::env::var_os("ASSURE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let profile =
        shared.join("data/nist-800-53-rev5-v5.0.1/NIST_SP-800-53_rev5_LOW-baseline_profile.json");
    if !profile.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have {}",
            profile.display()
        );
        eprintln!(
            "skipped: {} is absent (NIST oscal-content, SP 800-53 rev5 5.0.1)",
            profile.display()
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out_file = dir.path().join("low.json");
    let out = Command::cargo_bin("assure")
        .expect("binary")
        .args([
            "resolve",
            &profile.display().to_string(),
            "-o",
            &out_file.display().to_string(),
            "--declare-1-2-1",
        ])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let catalog: Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).expect("read")).expect("json");
    assert!(
        catalog["catalog"]["groups"]
            .as_array()
            .is_some_and(|g| !g.is_empty())
    );
    let out = Command::cargo_bin("assure")
        .expect("binary")
        .args([
            "validate",
            &out_file.display().to_string(),
            "--schemas",
            &shared
                .join("data/oscal-schemas-1.2.1")
                .display()
                .to_string(),
        ])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---- Evidence -------------------------------------------------------------------------------------

fn evidence_round_trips_and_a_changed_byte_is_named(db: Db) {
    evidence_round_trip(db, None);
}

fn evidence_round_trips_and_a_changed_byte_is_named_on_s3(db: Db) {
    if let Some(moto) = Moto::get() {
        evidence_round_trip(db, Some(moto));
    }
}

fn evidence_round_trip(mut db: Db, moto: Option<Moto>) {
    if let Some(m) = &moto {
        db.env.extend(m.env_for_new_bucket());
    }
    db.init();
    let file = db.data_dir().join("scan.txt");
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&file, &bytes).expect("write file");
    let (code, out, err) = db.run(&[
        "evidence",
        "add",
        file.to_str().expect("utf-8 path"),
        "--tenant",
        "northbank",
        "--kind",
        "configuration-snapshot",
        "--title",
        "Bucket policy scan",
        "--collected-at",
        "2026-01-15T10:00:00Z",
        "--period-start",
        "2026-01-01",
        "--period-end",
        "2026-01-14",
        "--control",
        "IAM-01",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "add: {err}");
    let record: Value = serde_json::from_str(&out).expect("json");
    let id = record["id"].as_str().expect("id").to_owned();
    let digest = record["digest"].as_str().expect("digest").to_owned();
    let (code, _, err) = db.run(&[
        "evidence",
        "add",
        file.to_str().expect("utf-8 path"),
        "--tenant",
        "northbank",
        "--kind",
        "access-log",
        "--title",
        "From the future",
        "--collected-at",
        "2999-01-01T00:00:00Z",
    ]);
    assert_eq!(code, 2, "future-dated evidence is rejected");
    assert!(err.contains("collected_at"), "{err}");

    let (code, out, err) = db.run(&[
        "evidence",
        "list",
        "--tenant",
        "northbank",
        "--control",
        "IAM-01",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let list: Value = serde_json::from_str(&out).expect("json");
    assert!(
        list["items"]
            .as_array()
            .is_some_and(|a| a.iter().any(|r| r["id"] == id.as_str()))
    );
    let (code, out, _) = db.run(&[
        "evidence",
        "list",
        "--tenant",
        "northbank",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let all: Value = serde_json::from_str(&out).expect("json");
    let kinds: std::collections::BTreeSet<&str> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["kind"].as_str())
        .collect();
    assert_eq!(
        kinds.len(),
        8,
        "the demo has evidence of every kind: {kinds:?}"
    );

    let back = db.data_dir().join("back.bin");
    let (code, _, err) = db.run(&[
        "evidence",
        "get",
        &id,
        "--tenant",
        "northbank",
        "-o",
        back.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "get: {err}");
    assert_eq!(
        std::fs::read(&back).expect("read back"),
        bytes,
        "the bytes come back"
    );
    let (code, _, err) = db.run(&["evidence", "verify"]);
    assert_eq!(code, 0, "an untouched store verifies: {err}");

    blob_tamperer(&db.dir, moto.as_ref(), &db.env)("northbank", &digest);
    let (code, out, err) = db.run(&["evidence", "verify", "--tenant", "northbank"]);
    assert_eq!(code, 1, "a changed byte fails verification: {out}{err}");
    assert!(err.contains(&digest), "verify names the blob: {err}");
    let (code, _, err) = db.run(&["evidence", "verify", "--tenant", "brightpath"]);
    assert_eq!(code, 0, "another tenant is untouched: {err}");
}

fn the_same_bytes_in_another_tenant_are_indistinguishable(db: Db) {
    same_bytes_elsewhere(db, None);
}

fn the_same_bytes_in_another_tenant_are_indistinguishable_on_s3(db: Db) {
    if let Some(moto) = Moto::get() {
        same_bytes_elsewhere(db, Some(moto));
    }
}

/// The keys of a JSON object and the header names of a response: the shape a client can observe.
fn shape(status: u16, headers: &[String], body: &Value) -> (u16, Vec<String>, Vec<String>) {
    let mut keys: Vec<String> = body
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    (status, headers.to_vec(), keys)
}

fn same_bytes_elsewhere(mut db: Db, moto: Option<Moto>) {
    if let Some(m) = &moto {
        db.env.extend(m.env_for_new_bucket());
    }
    let server = Server::start(&db);
    let bytes = b"identical evidence bytes held by two tenants\n".repeat(1000);
    let query = "kind=policy&title=Shared%20policy&collected_at=2026-01-02T00:00:00Z";
    let (s1, h1, first) = upload_raw(&server.base, "northbank", query, bytes.clone(), &[]);
    let (s2, h2, second) = upload_raw(&server.base, "brightpath", query, bytes.clone(), &[]);
    assert_eq!(s1, 201, "{first}");
    assert_eq!(
        shape(s1, &h1, &first),
        shape(s2, &h2, &second),
        "same status, headers and fields"
    );
    for field in [
        "digest",
        "size",
        "version",
        "flags",
        "kind",
        "title",
        "supersedes",
    ] {
        assert_eq!(
            first[field], second[field],
            "{field} is the same for a first upload elsewhere"
        );
    }
    assert_eq!(second["version"], 1);
    assert_eq!(
        second["lineage"], second["id"],
        "a first upload starts its own line"
    );

    // A foreign tenant in the path behaves like one that does not exist, for a northbank user.
    let northbank = format!(
        "Bearer {}",
        Server::token(&db, "fiona.macleod@northbank.example")
    );
    let scoped = [("authorization", northbank.as_str())];
    let foreign =
        evidence_support::get(&server.base, "/api/v1/tenants/brightpath/evidence", &scoped);
    let missing = evidence_support::get(
        &server.base,
        "/api/v1/tenants/no-such-tenant/evidence",
        &scoped,
    );
    assert_eq!(foreign.0, 404);
    assert_eq!(foreign, missing, "same status and body");
    let (s, _, body) = upload_raw(&server.base, "brightpath", query, bytes.clone(), &scoped);
    let (s_missing, _, body_missing) =
        upload_raw(&server.base, "no-such-tenant", query, bytes, &scoped);
    assert_eq!(
        (s, &body),
        (s_missing, &body_missing),
        "a foreign upload is refused like a missing tenant"
    );
    // Another tenant's evidence ID answers like an unknown ID.
    let id = first["id"].as_str().expect("id");
    let cross = evidence_support::get(
        &server.base,
        &format!("/api/v1/tenants/brightpath/evidence/{id}"),
        &[],
    );
    let unknown = evidence_support::get(
        &server.base,
        "/api/v1/tenants/brightpath/evidence/00000000-0000-7000-8000-000000000000",
        &[],
    );
    assert_eq!(cross.0, 404);
    assert_eq!(cross, unknown);
    let cross_content = evidence_support::get(
        &server.base,
        &format!("/api/v1/tenants/brightpath/evidence/{id}/content"),
        &[],
    );
    assert_eq!(cross_content.0, 404);
    // The owner downloads the same bytes, and the download is audited.
    let own = evidence_support::get(
        &server.base,
        &format!("/api/v1/tenants/northbank/evidence/{id}/content"),
        &[],
    );
    assert_eq!(own.0, 200);
    drop(server);
    let (code, out, err) = db.run(&["audit", "export", "--tenant", "northbank"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("evidence.download"),
        "the download is in the tenant's trail"
    );
    let (code, _, err) = db.run(&["audit", "verify"]);
    assert_eq!(
        code, 0,
        "the audit trail verifies with evidence in it: {err}"
    );
}

fn sigkill_during_uploads_keeps_exactly_the_answered_ones(db: Db) {
    kill_during_uploads(db, None);
}

fn sigkill_during_uploads_keeps_exactly_the_answered_ones_on_s3(db: Db) {
    if let Some(moto) = Moto::get() {
        kill_during_uploads(db, Some(moto));
    }
}

fn kill_during_uploads(mut db: Db, moto: Option<Moto>) {
    if let Some(m) = &moto {
        db.env.extend(m.env_for_new_bucket());
    }
    let mut server = Server::start(&db);
    let outcomes = evidence_support::uploads_then_kill(&server.base, &mut server.child, 16);
    let answered: Vec<_> = outcomes
        .iter()
        .filter(|o| o.status.is_some_and(|s| (200..300).contains(&s)))
        .collect();
    assert!(
        !answered.is_empty(),
        "some uploads finished before the kill"
    );
    assert!(
        answered.len() < outcomes.len(),
        "some uploads were cut off by the kill"
    );
    drop(server);

    let server = Server::start(&db);
    let listed = evidence_support::get(
        &server.base,
        "/api/v1/tenants/northbank/evidence?versions=all&limit=1000",
        &[],
    );
    assert_eq!(listed.0, 200);
    let titles: Vec<String> = listed.1["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["title"].as_str())
        .filter(|t| t.starts_with("kill-test"))
        .map(str::to_owned)
        .collect();
    let mut expected: Vec<String> = answered.iter().map(|o| o.title.clone()).collect();
    let mut got = titles.clone();
    expected.sort();
    got.sort();
    assert_eq!(
        got, expected,
        "exactly the uploads answered 2xx survive the kill"
    );
    for o in &answered {
        let id = o.id.as_deref().expect("answered with an id");
        let content = evidence_support::get_bytes(
            &server.base,
            &format!("/api/v1/tenants/northbank/evidence/{id}/content"),
        );
        assert_eq!(content, o.body, "upload {} reads back intact", o.title);
    }
    drop(server);
    let (code, _, err) = db.run(&["evidence", "verify"]);
    assert_eq!(code, 0, "verify passes after the kill: {err}");
}

fn a_bad_profile_edit_is_refused_and_changes_nothing(db: Db) {
    db.init();
    let show = || db.run(&["tenants", "profile", "northbank", "--format", "json"]);
    let (code, before, err) = show();
    assert_eq!(code, 0, "{err}");
    for (args, needle) in [
        (vec!["--add-service", "nope"], "unknown service nope"),
        (
            vec!["--add-service", "vm", "--option", "turbo"],
            "does not offer option turbo",
        ),
        (
            vec!["--add-service", "workspace", "--region", "au-east"],
            "cannot use service workspace in region au-east",
        ),
        (
            vec!["--remove-service", "mail"],
            "service mail is not in the profile",
        ),
    ] {
        let mut full = vec!["tenants", "profile", "northbank"];
        full.extend(args);
        let (code, _, err) = db.run(&full);
        assert_eq!(code, 2, "refused: {err}");
        assert!(err.contains(needle), "expected {needle:?} in {err}");
        assert_eq!(show().1, before, "a refused edit changes nothing");
    }
    let (code, _, err) = db.run(&[
        "tenants",
        "profile",
        "northbank",
        "--add-service",
        "functions",
    ]);
    assert_eq!(code, 0, "{err}");
    let after: Value = serde_json::from_str(&show().1).expect("json");
    assert!(
        after["services"]
            .as_array()
            .expect("services")
            .iter()
            .any(|s| s["service"] == "functions")
    );
    assert_eq!(
        db.run(&["audit", "verify"]).0,
        0,
        "the change is in an intact audit chain"
    );
}

fn the_matrix_agrees_between_the_cli_and_the_api_and_binary_formats_need_a_file(db: Db) {
    let server = Server::start(&db);
    let (code, cli, err) = db.run(&["matrix", "brightpath", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let cli: Value = serde_json::from_str(&cli).expect("json");
    let (status, _, api) = server.get("/api/v1/tenants/brightpath/matrix");
    assert_eq!(status, 200);
    assert_eq!(cli, api, "the CLI and the API compute the same matrix");
    let (status, _, body) = server.get("/api/v1/tenants/brightpath/matrix?framework=nope");
    assert_eq!((status, body["field"].as_str()), (400, Some("framework")));
    let (code, _, err) = db.run(&["matrix", "brightpath", "--format", "xlsx"]);
    assert_eq!(code, 2, "xlsx needs -o: {err}");
    let file = db.data_dir().join("m.xlsx");
    let (code, _, err) = db.run(&[
        "matrix",
        "northbank",
        "--format",
        "xlsx",
        "-o",
        &file.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read(&file).expect("xlsx").starts_with(b"PK"));
    let (code, csv, _) = db.run(&[
        "matrix",
        "northbank",
        "--framework",
        "iso27001-2022",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0);
    assert_eq!(csv.lines().filter(|l| l.starts_with("A.")).count(), 93);
    let (status, body) = server.put("/api/v1/tenants/brightpath/profile", r#"{"services":[{"service":"workspace","options":[]}],"regions":["au-east"],"frameworks":[]}"#);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "workspace");
    let (status, body) = server.put("/api/v1/tenants/brightpath/profile", r#"{"services":[{"service":"workspace","options":[]}],"regions":["eu-central"],"frameworks":["soc2"]}"#);
    assert_eq!(status, 200, "{body}");
    let (_, _, matrix) = server.get("/api/v1/tenants/brightpath/matrix?format=json");
    assert_eq!(
        matrix["matrix"]["services"].as_array().map(Vec::len),
        Some(1)
    );
}

// ---- Users, tokens, demo logins ---------------------------------------------------------------------

fn users_and_tokens_are_managed_from_the_cli(db: Db) {
    db.init();
    let (code, out, err) = db.run(&[
        "users",
        "create",
        "new.dpo@contour.example",
        "--name",
        "Nora New",
        "--role",
        "provider-dpo",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim().len(),
        20,
        "a one-time password, printed once: {out}"
    );
    let (code, _, err) = db.run(&[
        "users",
        "create",
        "new.dpo@contour.example",
        "--name",
        "Again",
        "--role",
        "provider-dpo",
    ]);
    assert_eq!(code, 2, "a taken e-mail is an input error: {err}");
    let (code, _, _) = db.run(&[
        "users",
        "create",
        "x@y.example",
        "--name",
        "X",
        "--role",
        "king",
    ]);
    assert_eq!(code, 2, "an unknown role");
    let (code, _, err) = db.run(&[
        "users",
        "create",
        "x@y.example",
        "--name",
        "X",
        "--role",
        "customer-viewer",
    ]);
    assert_eq!(code, 2, "a customer role needs a tenant: {err}");
    let (code, out, _) = db.run(&["users", "list", "--format", "json"]);
    assert_eq!(code, 0);
    let users: Value = serde_json::from_str(&out).expect("json");
    let nora = users
        .as_array()
        .expect("array")
        .iter()
        .find(|u| u["id"] == "new.dpo@contour.example")
        .expect("listed");
    assert_eq!(nora["must_change_password"], true);
    assert_eq!(nora["role"], "provider-dpo");

    let fiona = "fiona.macleod@northbank.example";
    let (code, out, err) = db.run(&[
        "tokens",
        "create",
        "--user",
        fiona,
        "--name",
        "ci",
        "--expires",
        "30",
    ]);
    assert_eq!(code, 0, "{err}");
    let token = out.trim().to_owned();
    let server = Server::start(&db);
    let get = |path: &str, token: &str| {
        let r = reqwest::blocking::Client::new()
            .get(format!("{}{path}", server.base))
            .bearer_auth(token)
            .send()
            .expect("get");
        let status = r.status().as_u16();
        (status, r.json::<Value>().unwrap_or(Value::Null))
    };
    let (status, tenants) = get("/api/v1/tenants", &token);
    assert_eq!(status, 200);
    assert_eq!(
        tenants["total"], 1,
        "a customer's token sees its tenant only"
    );
    let (code, out, _) = db.run(&["tokens", "list", "--user", fiona, "--format", "json"]);
    assert_eq!(code, 0);
    let listed: Value = serde_json::from_str(&out).expect("json");
    assert!(!out.contains(&token), "a token is never shown again");
    let id = listed[0]["id"].as_str().expect("id").to_owned();
    let (code, _, err) = db.run(&["tokens", "revoke", &id]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        get("/api/v1/tenants", &token).0,
        401,
        "a revoked token is refused"
    );
    let (code, _, _) = db.run(&["tokens", "revoke", "no-such-token"]);
    assert_eq!(code, 2);

    let (_, out, _) = db.run(&["tokens", "create", "--user", fiona, "--name", "again"]);
    let token = out.trim().to_owned();
    assert_eq!(get("/api/v1/tenants", &token).0, 200);
    let (code, _, err) = db.run(&["users", "disable", fiona]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        get("/api/v1/tenants", &token).0,
        401,
        "a disabled user's token is refused"
    );
    let (code, _, _) = db.run(&["users", "disable", "--enable", fiona]);
    assert_eq!(code, 0);
    assert_eq!(get("/api/v1/tenants", &token).0, 200);

    let (code, _, err) = db.run(&["users", "reset-mfa", DEMO_ADMIN]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = db.run(&["users", "list", "--format", "json"]);
    let users: Value = serde_json::from_str(&out).expect("json");
    let admin = users
        .as_array()
        .expect("array")
        .iter()
        .find(|u| u["id"] == DEMO_ADMIN)
        .expect("admin");
    assert_eq!(admin["mfa_enrolled"], false);
    let (code, _, _) = db.run(&["users", "reset-mfa", "nobody@nowhere.example"]);
    assert_eq!(code, 2);
    drop(server);
    let (code, _, err) = db.run(&["audit", "verify"]);
    assert_eq!(code, 0, "the trail verifies after account changes: {err}");
}

/// The value of a `name="..." value="..."` field in a page.
fn form_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    html.find(&marker)
        .map(|i| i + marker.len())
        .and_then(|s| html[s..].find('"').map(|e| html[s..s + e].to_owned()))
        .unwrap_or_default()
}

fn set_cookie_value(r: &reqwest::blocking::Response, name: &str) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .and_then(|p| p.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

fn a_demo_provider_logs_in_with_its_password_and_totp_then_must_change_it(db: Db) {
    let server = Server::start(&db);
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let url = |p: &str| format!("{}{p}", server.base);
    let r = password_step(&http, &server.base, DEMO_ADMIN);
    assert_eq!(r.status().as_u16(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap_or_default()
            .starts_with("/login/mfa")
    );
    let session = format!("assure_session={}", set_cookie_value(&r, "assure_session"));
    let html = http
        .get(url("/login/mfa"))
        .header("cookie", &session)
        .send()
        .expect("mfa page")
        .text()
        .expect("html");
    let now = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
    let code = assure_auth::TotpSecret::demo(DEMO_ADMIN)
        .code_at(now)
        .expect("code");
    let r = http
        .post(url("/login/mfa"))
        .header("cookie", &session)
        .form(&[
            ("csrf_token", form_value(&html, "csrf_token").as_str()),
            ("code", code.as_str()),
        ])
        .send()
        .expect("mfa");
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        r.headers()["location"],
        "/account/password",
        "a demo password must be changed"
    );
    let r = http
        .get(url("/api/v1/controls"))
        .header("cookie", &session)
        .send()
        .expect("api");
    assert_eq!(
        r.status().as_u16(),
        401,
        "nothing else until the password is changed"
    );

    // A tenant that requires a second factor sends its users to enrolment after the password.
    let (code, _, err) = db.run(&["tenants", "mfa", "northbank", "--require"]);
    assert_eq!(code, 0, "{err}");
    let fiona = "fiona.macleod@northbank.example";
    let r = password_step(&http, &server.base, fiona);
    assert_eq!(r.headers()["location"], "/account/mfa");
    let (code, _, _) = db.run(&["tenants", "mfa", "no-such-tenant", "--require"]);
    assert_eq!(code, 2);
}

fn init_without_demo_creates_only_the_first_admin(db: Db) {
    let (code, _, err) = db.run(&["init", "--no-demo"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("first provider admin: admin@assure.local"),
        "{err}"
    );
    assert!(err.contains("one-time password"), "{err}");
    let (_, out, _) = db.run(&["users", "list", "--format", "json"]);
    let users: Value = serde_json::from_str(&out).expect("json");
    let users = users.as_array().expect("array");
    assert_eq!(users.len(), 1, "only the first admin: {users:?}");
    assert_eq!(users[0]["role"], "provider-admin");
    assert_eq!(users[0]["must_change_password"], true);
}

fn the_matrix_as_of_a_past_instant_uses_the_profile_then_in_force(db: Db) {
    db.init();
    let matrix = |extra: &[&str]| {
        let mut args = vec!["matrix", "brightpath", "--format", "json"];
        args.extend_from_slice(extra);
        let (code, out, err) = db.run(&args);
        (code, out, err)
    };
    let (code, original, err) = matrix(&[]);
    assert_eq!(code, 0, "{err}");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let before_change = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let (code, _, err) = db.run(&[
        "tenants",
        "profile",
        "brightpath",
        "--add-service",
        "functions",
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, changed, _) = matrix(&[]);
    assert_ne!(changed, original, "adding a service changes the matrix");
    let (code, then, err) = matrix(&["--as-of", &before_change]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        then, original,
        "as of before the change, the matrix is the original one"
    );
    let (code, _, err) = matrix(&["--as-of", "2001-01-01"]);
    assert_eq!(code, 2);
    assert!(err.contains("had no recorded profile"), "{err}");
    let (code, _, err) = matrix(&["--as-of", "last tuesday"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--as-of: \"last tuesday\" is neither a date"),
        "{err}"
    );
    let server = Server::start(&db);
    let (status, _, api) = server.get(&format!(
        "/api/v1/tenants/brightpath/matrix?as_of={}",
        before_change.replace('+', "%2B")
    ));
    assert_eq!(status, 200);
    assert_eq!(api, serde_json::from_str::<Value>(&original).expect("json"));
    let (status, _, body) = server.get("/api/v1/tenants/brightpath/matrix?as_of=soon");
    assert_eq!((status, body["field"].as_str()), (400, Some("as_of")));
}

#[test]
fn validate_checks_a_leveraging_ssp_against_the_provider_export() {
    let db = Db::new(Backend::Sqlite).expect("sqlite");
    db.init();
    let dir = db.data_dir().join("oscal");
    let (code, _, err) = db.run(&[
        "matrix",
        "northbank",
        "--format",
        "oscal",
        "-o",
        &dir.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    let provider = dir.join("ssp-northbank.json");
    let export: Value =
        serde_json::from_str(&std::fs::read_to_string(&provider).expect("read")).expect("json");
    let (requirement, provided) =
        export["system-security-plan"]["control-implementation"]["implemented-requirements"]
            .as_array()
            .expect("requirements")
            .iter()
            .find_map(|r| {
                r["by-components"].as_array()?.iter().find_map(|bc| {
                    let uuid = bc["export"]["provided"][0]["uuid"].clone();
                    uuid.is_string().then_some((r, uuid))
                })
            })
            .expect("something provided");
    let plan = |provided_uuid: &Value| {
        serde_json::json!({"system-security-plan": {
            "system-implementation": {"components": [{"uuid": "c0ffee00-0000-4000-8000-000000000001"}]},
            "control-implementation": {"implemented-requirements": [{
                "control-id": requirement["control-id"],
                "by-components": [{
                    "component-uuid": "c0ffee00-0000-4000-8000-000000000001",
                    "inherited": [{"provided-uuid": provided_uuid}],
                }],
            }]},
        }})
    };
    let customer = db.data_dir().join("customer-ssp.json");
    let validate = |doc: Value| {
        std::fs::write(&customer, doc.to_string()).expect("write");
        db.run(&[
            "validate",
            &customer.display().to_string(),
            "--leveraged",
            &provider.display().to_string(),
        ])
    };
    let (code, out, err) = validate(plan(&provided));
    assert_eq!(
        code, 0,
        "a plan inheriting what was provided is valid: {out}{err}"
    );
    assert!(out.contains("1 inherited, 0 satisfied"), "{out}");
    assert!(
        out.contains("exported responsibilities unsatisfied"),
        "{out}"
    );
    let (code, out, _) = validate(plan(&Value::from("c0ffee00-0000-4000-8000-00000000dead")));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("provided-uuid c0ffee00-0000-4000-8000-00000000dead is not provided"),
        "{out}"
    );
}

/// The login form's password step for demo user `user` (password `demo-<user>`), with the login form's
/// CSRF cookie and token: the answer, before any redirect is followed.
fn password_step(
    http: &reqwest::blocking::Client,
    base: &str,
    user: &str,
) -> reqwest::blocking::Response {
    let page = http
        .get(format!("{base}/login"))
        .send()
        .expect("login page");
    let login_cookie = set_cookie_value(&page, "assure_login");
    let html = page.text().expect("html");
    let password = format!("demo-{user}");
    http.post(format!("{base}/login"))
        .header("cookie", format!("assure_login={login_cookie}"))
        .form(&[
            ("csrf_token", form_value(&html, "csrf_token").as_str()),
            ("user", user),
            ("password", password.as_str()),
        ])
        .send()
        .expect("login")
}

/// One demo user of every role, for the API fuzzing below.
const ONE_USER_PER_ROLE: [&str; 8] = [
    "admin@contour.example",
    "security-lead@contour.example",
    "dpo@contour.example",
    "oversight@contour.example",
    "fiona.macleod@northbank.example",
    "audit.viewer@northbank.example",
    "dpo@northbank.example",
    "eleanor.voss@harbour-assurance.example",
];

/// schemathesis (PyPI, from `ASSURE_PYTHON`) fuzzes every operation of `/api/openapi.json`, at least 50
/// examples each plus the stateful links it infers, with a token of each role: no answer is a 5xx, and
/// every answer's status, content type and body match the document.
#[test]
fn schemathesis_finds_no_server_error_and_no_answer_off_the_schema_for_any_role() {
    let Some(python) = std::env::var_os("ASSURE_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set ASSURE_PYTHON to a python with schemathesis"
        );
        eprintln!(
            "skipped: set ASSURE_PYTHON to a python with schemathesis installed (pip install schemathesis)"
        );
        return;
    };
    let db = Db::new(Backend::Sqlite).expect("sqlite");
    db.init();
    let server = Server::start(&db);
    let document = reqwest::blocking::Client::new()
        .get(format!("{}/api/openapi.json", server.base))
        .bearer_auth(&server.token)
        .send()
        .and_then(reqwest::blocking::Response::text)
        .expect("openapi.json");
    let operations: usize = serde_json::from_str::<Value>(&document).expect("json")["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|item| item.as_object().map_or(0, serde_json::Map::len))
        .sum();
    let schema = db.data_dir().join("openapi.json");
    std::fs::write(&schema, document).expect("write schema");
    let runs: Vec<(&str, std::process::Child)> = ONE_USER_PER_ROLE
        .iter()
        .map(|user| {
            let token = Server::token(&db, user);
            let child = Command::new(&python)
                .args(["-m", "schemathesis.cli", "run"])
                .arg(&schema)
                .args(["--url", &server.base])
                .args(["-H", &format!("Authorization: Bearer {token}")])
                .args(["--max-examples", "50", "--workers", "1"])
                .args(["--phases", "examples,coverage,fuzzing,stateful"])
                .args([
                    "--checks",
                    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                ])
                .args(["--seed", "20261204"])
                .env("NO_COLOR", "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run schemathesis");
            (*user, child)
        })
        .collect();
    let mut failures = Vec::new();
    for (user, child) in runs {
        let out = child.wait_with_output().expect("schemathesis output");
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            failures.push(format!(
                "as {user}: exit {:?}\n{text}\n{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        } else {
            assert!(
                text.contains(&format!("Tested: {operations}")),
                "schemathesis did not test all {operations} operations as {user}:\n{text}"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn totp_secrets_are_stored_sealed_and_plaintext_rows_are_sealed_at_start(db: Db) {
    let stored = || {
        db.select_text(&format!(
            "SELECT totp_secret FROM users WHERE id = '{DEMO_ADMIN}'"
        ))
        .expect("the demo admin has a TOTP secret")
    };
    let base32 = assure_auth::TotpSecret::demo(DEMO_ADMIN).to_base32();
    db.init();
    let sealed = stored();
    assert!(
        sealed.starts_with(assure_auth::SEALED_TOTP_PREFIX),
        "init stores the demo secret sealed: {sealed}"
    );
    assert!(
        !sealed.contains(&base32),
        "the column is not the base32 secret"
    );

    // A row as written before secrets were sealed is sealed when the server starts.
    db.tamper(&[&format!(
        "UPDATE users SET totp_secret = '{base32}' WHERE id = '{DEMO_ADMIN}'"
    )]);
    let server = Server::start(&db);
    let resealed = stored();
    assert!(
        resealed.starts_with(assure_auth::SEALED_TOTP_PREFIX) && !resealed.contains(&base32),
        "serve seals plaintext rows at start: {resealed}"
    );

    // The demo admin's code still passes the second factor.
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = password_step(&http, &server.base, DEMO_ADMIN);
    assert_eq!(r.status().as_u16(), 303);
    let session = format!("assure_session={}", set_cookie_value(&r, "assure_session"));
    let html = http
        .get(format!("{}/login/mfa", server.base))
        .header("cookie", &session)
        .send()
        .expect("mfa page")
        .text()
        .expect("html");
    let now = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
    let code = assure_auth::TotpSecret::demo(DEMO_ADMIN)
        .code_at(now)
        .expect("code");
    let r = http
        .post(format!("{}/login/mfa", server.base))
        .header("cookie", &session)
        .form(&[
            ("csrf_token", form_value(&html, "csrf_token").as_str()),
            ("code", code.as_str()),
        ])
        .send()
        .expect("mfa");
    assert_eq!(
        r.status().as_u16(),
        303,
        "the sealed secret checks the code"
    );
    assert_eq!(r.headers()["location"], "/account/password");
}

/// The shared reference folder's NIST 800-53 rev5 5.0.1 catalog, or `None` (with a message saying what to
/// download) when it is absent.
fn nist_catalog() -> Option<PathBuf> {
    let shared = std::env::var_os("ASSURE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let catalog = shared.join("data/nist-800-53-rev5-v5.0.1/NIST_SP-800-53_rev5_catalog.json");
    if catalog.exists() {
        return Some(catalog);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have {}",
        catalog.display()
    );
    eprintln!(
        "skipped: {} is absent; download NIST_SP-800-53_rev5_catalog.json (usnistgov/oscal-content, SP 800-53 \
         rev5 release 5.0.1) there or set ASSURE_SHARED_DIR",
        catalog.display()
    );
    None
}

/// `assure frameworks list` as JSON.
fn frameworks_json(db: &Db) -> Value {
    let (code, out, err) = db.run(&["frameworks", "list", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("frameworks json")
}

/// Runs an import with `--format json`: (exit code, report).
fn import_json(db: &Db, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let (code, out, err) = db.run(&all);
    let report = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    (code, report)
}

fn importing_the_nist_catalog_over_the_demo_keeps_every_mapping(db: Db) {
    let Some(catalog) = nist_catalog() else {
        return;
    };
    db.init();
    let catalog = catalog.display().to_string();
    let (code, dry) = import_json(&db, &["catalog", &catalog, "--dry-run"]);
    assert_eq!(code, 0, "{dry}");
    let preview = &dry["preview"]["framework"];
    assert_eq!(preview["id"], "nist-800-53-r5", "{dry}");
    assert_eq!(preview["exists"], true);
    let mappings = preview["mappings"].as_u64().expect("mapping count");
    assert!(mappings > 0, "the demo maps to 800-53: {dry}");
    let (code, report) = import_json(&db, &["catalog", &catalog]);
    assert_eq!(code, 0, "{report}");
    let outcome = &report["outcome"]["framework"];
    assert_eq!(outcome["created"], false, "{report}");
    assert_eq!(
        outcome["mappings"].as_u64(),
        Some(mappings),
        "no mapping is orphaned: {report}"
    );
    assert_eq!(
        outcome["missing"],
        serde_json::json!([]),
        "the demo's 800-53 is the catalog without its withdrawn controls: {report}"
    );
    let frameworks = frameworks_json(&db);
    let ids: Vec<&str> = frameworks["items"]
        .as_array()
        .or(frameworks.as_array())
        .expect("frameworks")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .filter(|id| id.starts_with("nist-800-53"))
        .collect();
    assert_eq!(ids, ["nist-800-53-r5"], "no second 800-53 framework");
    let (code, out, err) = db.run(&["audit", "verify"]);
    assert_eq!(
        code, 0,
        "the import is audited object by object: {out}{err}"
    );

    // The catalog comes back out as imported, declaring OSCAL 1.2.1, and validates against the schema.
    let exported = db.data_dir().join("exported-800-53.json");
    let (code, out, err) = db.run(&[
        "frameworks",
        "export",
        "nist-800-53-r5",
        "-o",
        &exported.display().to_string(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let original: Value =
        serde_json::from_str(&std::fs::read_to_string(&catalog).expect("catalog")).expect("json");
    let back: Value =
        serde_json::from_str(&std::fs::read_to_string(&exported).expect("export")).expect("json");
    assert_eq!(back["catalog"]["metadata"]["oscal-version"], "1.2.1");
    assert_eq!(back["catalog"]["groups"], original["catalog"]["groups"]);
    assert_eq!(
        back["catalog"]["back-matter"],
        original["catalog"]["back-matter"]
    );
    let (code, out, err) = db.run(&["validate", &exported.display().to_string()]);
    assert_eq!(code, 0, "the export validates: {out}{err}");
    // A framework that was not imported from OSCAL has nothing to export: a usage error naming it.
    let (code, _, err) = db.run(&["frameworks", "export", "iso27001-2022"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("iso27001-2022") && err.contains("not imported"),
        "{err}"
    );
}

/// A catalog titled as 800-53 rev5 with a single family.
fn small_800_53_catalog(dir: &Path) -> PathBuf {
    let path = dir.join("small-800-53.json");
    let doc = serde_json::json!({"catalog": {
        "uuid": "00000000-0000-4000-8000-000000000001",
        "metadata": {"title": "NIST SP 800-53 Revision 5 (excerpt)", "last-modified": "2024-01-01T00:00:00Z",
                     "version": "5.0.1", "oscal-version": "1.1.2"},
        "groups": [{"id": "ac", "class": "family", "title": "Access Control", "controls": [
            {"id": "ac-2", "class": "SP800-53", "title": "Account Management",
             "parts": [{"id": "ac-2_smt", "name": "statement", "prose": "Manage accounts."}]}]}]}});
    std::fs::write(&path, doc.to_string()).expect("write catalog");
    path
}

fn a_catalog_lacking_demo_requirements_reports_them_and_keeps_their_mappings(db: Db) {
    db.init();
    let catalog = small_800_53_catalog(db.data_dir());
    let (code, report) = import_json(&db, &["catalog", &catalog.display().to_string()]);
    assert_eq!(code, 0, "{report}");
    let outcome = &report["outcome"]["framework"];
    let missing: Vec<&str> = outcome["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        missing.contains(&"ia-2.1") && !missing.contains(&"ac-2"),
        "requirements the catalog lacks are reported: {missing:?}"
    );
    assert_eq!(
        outcome["mappings"], report["preview"]["framework"]["mappings"],
        "every mapping is kept: {report}"
    );
    let (code, out, err) = db.run(&["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}

fn malformed_oscal_names_document_and_pointer_and_stores_nothing(db: Db) {
    db.init();
    let before = frameworks_json(&db);
    let dir = db.data_dir();
    let write = |name: &str, value: Value| {
        let path = dir.join(name);
        std::fs::write(&path, value.to_string()).expect("write");
        path.display().to_string()
    };
    let meta = serde_json::json!({"title": "T", "last-modified": "2024-01-01T00:00:00Z", "version": "1",
                                  "oscal-version": "1.1.2"});
    let wrong_root = write(
        "wrong-root.json",
        serde_json::json!({"profile": {"uuid": "x"}}),
    );
    let no_title = write(
        "no-title.json",
        serde_json::json!({"catalog": {"uuid": "x", "metadata": {"last-modified": "2024-01-01T00:00:00Z",
            "version": "1", "oscal-version": "1.1.2"}}}),
    );
    let missing_catalog = write(
        "missing-catalog.json",
        serde_json::json!({"profile": {"uuid": "p", "metadata": meta,
            "imports": [{"href": "not-here.json", "include-all": {}}]}}),
    );
    write(
        "loop-a.json",
        serde_json::json!({"profile": {"uuid": "a", "metadata": meta,
            "imports": [{"href": "loop-b.json", "include-all": {}}]}}),
    );
    let circular = write(
        "loop-b.json",
        serde_json::json!({"profile": {"uuid": "b", "metadata": meta,
            "imports": [{"href": "loop-a.json", "include-all": {}}]}}),
    );
    let dangling = write(
        "dangling.json",
        serde_json::json!({"mapping-collection": {"uuid": "m", "metadata": meta,
            "provenance": {"method": "human", "matching-rationale": "semantic", "status": "complete"},
            "mappings": [{"uuid": "mm", "source-resource": {"type": "catalog", "href": "assure.json"},
                "target-resource": {"type": "catalog", "href": "nist-800-53-r5.json"},
                "maps": [{"uuid": "m1", "relationship": "subset-of",
                    "sources": [{"type": "control", "id-ref": "IAM-01"}],
                    "targets": [{"type": "control", "id-ref": "zz-404"}]}]}]}}),
    );
    let cases: [(&str, &str, &str, &str); 5] = [
        ("catalog", &wrong_root, "wrong-root.json", "catalog"),
        ("catalog", &no_title, "no-title.json", "/catalog/metadata"),
        (
            "profile",
            &missing_catalog,
            "missing-catalog.json",
            "/profile/imports/0",
        ),
        ("profile", &circular, "loop-", "circular"),
        ("mapping", &dangling, "dangling.json", "zz-404"),
    ];
    for (kind, file, document, needle) in cases {
        let (code, out, err) = db.run(&["import", kind, file]);
        assert_eq!(
            code, 1,
            "{kind} {file}: malformed input exits 1 as validate does: {out}{err}"
        );
        assert!(
            err.contains(document) && err.contains(needle) && err.contains("nothing imported"),
            "{kind} {file}: the error names the document and where: {err}"
        );
        let (code, report) = import_json(&db, &[kind, file]);
        assert_eq!(code, 1);
        let problem = &report["problems"][0];
        assert!(
            problem["document"]
                .as_str()
                .is_some_and(|d| d.contains(document))
                && problem["location"].is_string(),
            "{report}"
        );
    }
    let (_, report) = import_json(&db, &["catalog", &no_title]);
    assert_eq!(report["problems"][0]["location"], "/catalog/metadata");
    let (_, report) = import_json(&db, &["profile", &missing_catalog]);
    assert!(
        report["problems"][0]["location"]
            .as_str()
            .is_some_and(|p| p.starts_with("/profile/imports/0")),
        "{report}"
    );
    assert_eq!(frameworks_json(&db), before, "nothing stored");
    let (code, out, err) = db.run(&["import", "catalog", "/nonexistent/catalog.json"]);
    assert_eq!(code, 2, "an unreadable file is an input error: {out}{err}");
}

fn a_csv_framework_with_a_bad_row_lists_it_and_stores_nothing(db: Db) {
    db.init();
    let before = frameworks_json(&db);
    let csv = db.data_dir().join("ccm.csv");
    std::fs::write(
        &csv,
        "Control ID,Control Title,Domain\nA&A,Audit & Assurance,\nA&A-01,Audit policy,A&A\n,Missing id,A&A\nA&A-02,Wrong parent,ZZZ\n",
    )
    .expect("write csv");
    let csv = csv.display().to_string();
    let args = [
        "framework",
        &csv,
        "--framework-id",
        "csa-ccm-own",
        "--name",
        "CCM (own copy)",
        "--framework-version",
        "4.0",
        "--id-column",
        "Control ID",
        "--title-column",
        "Control Title",
        "--parent-column",
        "Domain",
    ];
    let mut text_args = vec!["import"];
    text_args.extend_from_slice(&args);
    let (code, out, err) = db.run(&text_args);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("row 4, column Control ID: id is empty")
            && err.contains("row 5, column Domain: parent `ZZZ`"),
        "every row error is listed: {err}"
    );
    let (code, report) = import_json(&db, &args);
    assert_eq!(code, 1);
    assert_eq!(
        report["problems"].as_array().map(Vec::len),
        Some(2),
        "{report}"
    );
    assert_eq!(frameworks_json(&db), before, "nothing stored");
    // Without the bad rows the same sheet imports.
    std::fs::write(
        db.data_dir().join("ccm.csv"),
        "Control ID,Control Title,Domain\nA&A,Audit & Assurance,\nA&A-01,Audit policy,A&A\n",
    )
    .expect("write csv");
    let (code, report) = import_json(&db, &args);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["outcome"]["framework"]["requirements_added"], 2);
    assert_ne!(frameworks_json(&db), before);
}

fn a_crosswalk_imports_mappings_with_provenance_or_nothing(db: Db) {
    db.init();
    let csv = db.data_dir().join("crosswalk.csv");
    std::fs::write(
        &csv,
        "source,target,relationship,rationale\nIAM-01,AC-2(1),subset-of,Covers automated account management.\n",
    )
    .expect("write");
    let csv = csv.display().to_string();
    let args = ["mapping", &csv, "--target-framework", "nist-800-53-r5"];
    let (code, report) = import_json(&db, &args);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["outcome"]["mappings"]["created"], 1, "{report}");
    let (code, report) = import_json(&db, &args);
    assert_eq!(code, 0);
    assert_eq!(report["outcome"]["mappings"]["unchanged"], 1, "{report}");
    let server = Server::start(&db);
    let (status, _, body) = server.get("/api/v1/mappings?control=IAM-01&framework=nist-800-53-r5");
    assert_eq!(status, 200, "{body}");
    let imported = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|m| m["requirement"] == "ac-2.1")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(imported["provenance"]["format"], "csv-crosswalk", "{body}");
    assert_eq!(imported["provenance"]["row"], 2, "{body}");
    drop(server);
    let (code, out, err) = db.run(&["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}

fn a_profile_is_resolved_and_imported_as_its_own_framework(db: Db) {
    let Some(catalog) = nist_catalog() else {
        return;
    };
    db.init();
    let profile = catalog.with_file_name("NIST_SP-800-53_rev5_LOW-baseline_profile.json");
    let (code, report) = import_json(
        &db,
        &[
            "profile",
            &profile.display().to_string(),
            "--framework-id",
            "nist-800-53-r5-low",
        ],
    );
    assert_eq!(code, 0, "{report}");
    let preview = &report["preview"]["framework"];
    assert_eq!(preview["id"], "nist-800-53-r5-low");
    assert_eq!(preview["exists"], false);
    // NIST's resolved LOW baseline: 149 controls in 18 families.
    assert_eq!(preview["requirements"], 149 + 18, "{report}");
    assert_eq!(preview["groups"], 18, "{report}");
    assert_eq!(report["outcome"]["framework"]["created"], true);
    let frameworks = frameworks_json(&db);
    assert!(frameworks.to_string().contains("nist-800-53-r5-low"));
    let (code, out, err) = db.run(&["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}
