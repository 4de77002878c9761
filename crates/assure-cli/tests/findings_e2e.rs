//! `assure findings` and `assure kev` end to end through the real binary on SQLite: create, re-detect,
//! list and show with the timeline; triage with a Jira key; the remediation path with a failed and then a
//! passing regression validation (closing before it exits 1 naming the allowed steps); risk acceptance by
//! authority only; a KEV import that moves an open finding to the shortest clock; the demo's findings in
//! every state; and `assure serve` storing webhook and tracker secrets sealed while its background
//! scheduler delivers signed webhooks.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

const LEAD: &str = "security-lead@contour.example";

fn assure(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("assure").expect("binary");
    c.env("ASSURE_DATA_DIR", dir)
        .env(
            "ASSURE_DATABASE_URL",
            format!("sqlite://{}", dir.join("assure.db").display()),
        )
        .env_remove("ASSURE_SIGNING_KEY")
        .env_remove("ASSURE_EVIDENCE_STORE")
        .env_remove("ASSURE_EVIDENCE_MASTER_KEY")
        .env("ASSURE_LOG", "warn");
    c
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = assure(dir).args(args).output().expect("run assure");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(dir: &Path, args: &[&str]) -> Value {
    let (code, out, err) = run(dir, args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

fn init(dir: &Path) {
    let (code, _, err) = run(dir, &["init"]);
    assert_eq!(code, 0, "init: {err}");
}

fn step(dir: &Path, id: &str, args: &[&str]) -> Value {
    let mut all = vec!["findings", "transition", id];
    all.extend(args);
    all.extend(["--as", LEAD, "--format", "json"]);
    ok(dir, &all)
}

fn refused(dir: &Path, args: &[&str]) -> String {
    let (code, _, err) = run(dir, args);
    assert_eq!(code, 1, "{args:?} must be refused: {err}");
    err
}

#[test]
fn a_finding_walks_the_remediation_path_and_closes_only_after_a_passing_validation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    init(dir);
    let create = [
        "findings",
        "create",
        "--tenant",
        "northbank",
        "--test",
        "e2e-storage-public",
        "--resource",
        "bucket/e2e",
        "--title",
        "Bucket readable by anyone",
        "--severity",
        "high",
        "--as",
        LEAD,
        "--format",
        "json",
    ];
    let first = ok(dir, &create);
    assert_eq!(first["created"], true);
    let id = first["finding"]["id"].as_str().expect("id").to_owned();
    assert_eq!(first["finding"]["state"], "open");
    let again = ok(dir, &create);
    assert_eq!(again["created"], false, "a re-detection refreshes");
    assert_eq!(again["finding"]["id"], id.as_str());
    assert_eq!(again["finding"]["detections"], 2);
    assert_eq!(again["finding"]["due_at"], first["finding"]["due_at"]);

    let listed = ok(
        dir,
        &[
            "findings",
            "list",
            "--tenant",
            "northbank",
            "--severity",
            "high",
            "--state",
            "open",
            "--format",
            "json",
        ],
    );
    assert!(
        listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|f| f["id"] == id.as_str()),
        "{listed}"
    );
    let other = ok(
        dir,
        &[
            "findings",
            "list",
            "--tenant",
            "brightpath",
            "--format",
            "json",
        ],
    );
    assert!(
        !other.to_string().contains(&id),
        "another tenant's list never holds it"
    );
    let (code, _, err) = run(dir, &["findings", "list", "--state", "done"]);
    assert_eq!(code, 2, "an unknown state is a usage error: {err}");

    // Illegal steps are refused naming the allowed ones; closing names the missing validation.
    let err = refused(dir, &["findings", "transition", &id, "close", "--as", LEAD]);
    assert!(
        err.contains("closing needs a passing regression validation"),
        "{err}"
    );
    assert!(err.contains("allowed: triage"), "{err}");
    let err = refused(
        dir,
        &[
            "findings",
            "transition",
            &id,
            "record-root-cause",
            "--root-cause",
            "x",
            "--as",
            LEAD,
        ],
    );
    assert!(
        err.contains("open cannot record-root-cause; allowed: triage"),
        "{err}"
    );
    let (code, _, err) = run(
        dir,
        &[
            "findings",
            "triage",
            &id,
            "--owner",
            "platform",
            "--ticket",
            "not a ticket",
            "--as",
            LEAD,
        ],
    );
    assert_eq!(code, 2, "{err}");
    // A viewer may not manage findings.
    refused(
        dir,
        &[
            "findings",
            "triage",
            &id,
            "--owner",
            "platform",
            "--ticket",
            "NBSEC-42",
            "--as",
            "audit.viewer@northbank.example",
        ],
    );

    let triaged = ok(
        dir,
        &[
            "findings",
            "triage",
            &id,
            "--owner",
            "northbank platform team",
            "--ticket",
            "NBSEC-42",
            "--as",
            LEAD,
            "--format",
            "json",
        ],
    );
    assert_eq!(triaged["state"], "triaged");
    assert_eq!(triaged["remediation"]["ticket"]["key"], "NBSEC-42");
    step(
        dir,
        &id,
        &["record-root-cause", "--root-cause", "template drift"],
    );
    step(
        dir,
        &id,
        &["plan-action", "--milestone", "2030-01-15:fix the template"],
    );
    step(dir, &id, &["implement-fix", "--note", "ACL removed"]);
    let err = refused(dir, &["findings", "transition", &id, "close", "--as", LEAD]);
    assert!(
        err.contains("fix-implemented cannot close: closing needs a passing regression validation"),
        "{err}"
    );
    let failed = step(
        dir,
        &id,
        &[
            "validate-regression",
            "--recheck",
            "e2e-storage-public",
            "--result",
            "failed",
        ],
    );
    assert_eq!(
        failed["state"], "action-planned",
        "a failed re-check plans again"
    );
    refused(dir, &["findings", "transition", &id, "close", "--as", LEAD]);
    step(dir, &id, &["implement-fix"]);
    let (code, _, err) = run(
        dir,
        &[
            "findings",
            "transition",
            &id,
            "validate-regression",
            "--retest-by",
            "eleanor.voss@harbour-assurance.example",
            "--result",
            "passed",
            "--as",
            LEAD,
        ],
    );
    assert_eq!(code, 1, "an assessor retest without evidence: {err}");
    assert!(err.contains("evidence"), "{err}");
    let validated = step(
        dir,
        &id,
        &[
            "validate-regression",
            "--recheck",
            "e2e-storage-public",
            "--result",
            "passed",
        ],
    );
    assert_eq!(validated["state"], "regression-validation");
    let closed = step(dir, &id, &["close"]);
    assert_eq!(closed["state"], "closed");
    let err = refused(
        dir,
        &["findings", "transition", &id, "reopen", "--as", LEAD],
    );
    assert!(err.contains("none (the finding is closed)"), "{err}");

    let shown = ok(dir, &["findings", "show", &id, "--format", "json"]);
    let kinds: Vec<&str> = shown["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        [
            "detected",
            "redetected",
            "triage",
            "record-root-cause",
            "plan-action",
            "implement-fix",
            "validate-regression",
            "implement-fix",
            "validate-regression",
            "close"
        ]
    );
    let (code, text, err) = run(dir, &["findings", "show", &id]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("timeline:") && text.contains("NBSEC-42"),
        "{text}"
    );
    let (code, _, _) = run(dir, &["findings", "show", &id, "--tenant", "brightpath"]);
    assert_eq!(code, 2, "another tenant does not see it");

    // Risk acceptance: only with authority, a justification and a bounded expiry.
    let risky = ok(
        dir,
        &[
            "findings",
            "create",
            "--tenant",
            "northbank",
            "--test",
            "e2e-backup",
            "--resource",
            "backup/ledger",
            "--title",
            "Backups in one region",
            "--severity",
            "critical",
            "--as",
            LEAD,
            "--format",
            "json",
        ],
    );
    let rid = risky["finding"]["id"].as_str().expect("id").to_owned();
    ok(
        dir,
        &[
            "findings", "triage", &rid, "--owner", "ops", "--ticket", "NBSEC-43", "--as", LEAD,
            "--format", "json",
        ],
    );
    let accept = |who: &str, expires: &str| {
        run(
            dir,
            &[
                "findings",
                "accept-risk",
                &rid,
                "--justification",
                "restore tested daily in the second site",
                "--expires",
                expires,
                "--as",
                who,
                "--format",
                "json",
            ],
        )
    };
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::days(90))
        .date()
        .to_string();
    let (code, _, err) = accept("fiona.macleod@northbank.example", &soon);
    assert_eq!(code, 1, "a customer may not accept a critical risk: {err}");
    assert!(err.contains("may not accept this risk"), "{err}");
    let (code, _, err) = accept(LEAD, "2099-01-01");
    assert_eq!(code, 1, "beyond 366 days: {err}");
    let (code, out, err) = accept(LEAD, &soon);
    assert_eq!(code, 0, "{err}");
    let accepted: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(accepted["state"], "risk-accepted");
    assert_eq!(accepted["remediation"]["risk_acceptance"]["approver"], LEAD);
    let err = refused(
        dir,
        &["findings", "transition", &rid, "reopen", "--as", LEAD],
    );
    assert!(err.contains("reopens only after its expiry"), "{err}");

    // KEV: a low finding on a CVE runs 180 days until the catalogue lists its CVE, then 7 from detection.
    let kev_finding = ok(
        dir,
        &[
            "findings",
            "create",
            "--tenant",
            "northbank",
            "--test",
            "e2e-log4j",
            "--resource",
            "vm/app-1",
            "--title",
            "Log4j on the app server",
            "--severity",
            "low",
            "--cve",
            "CVE-2021-44228",
            "--at",
            "2026-11-01T00:00:00Z",
            "--as",
            LEAD,
            "--format",
            "json",
        ],
    );
    let kid = kev_finding["finding"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(kev_finding["finding"]["due_at"], "2027-04-30T00:00:00Z");
    let bad = dir.join("bad-kev.json");
    std::fs::write(&bad, r#"{"vulnerabilities": [{"cveID": "CVE-21-1"}]}"#).expect("write");
    let (code, _, err) = run(
        dir,
        &["kev", "import", bad.to_str().expect("utf-8"), "--as", LEAD],
    );
    assert_eq!(code, 1, "a malformed catalogue imports nothing: {err}");
    let (code, _, _) = run(dir, &["kev", "show"]);
    assert_eq!(code, 1, "still no catalogue");
    let file = dir.join("kev.json");
    std::fs::write(
        &file,
        r#"{"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2026.11.20",
            "dateReleased": "2026-11-20T17:00:00.000Z", "count": 1,
            "vulnerabilities": [{"cveID": "CVE-2021-44228", "vendorProject": "Apache", "product": "Log4j2",
              "vulnerabilityName": "Apache Log4j2 Remote Code Execution Vulnerability",
              "dateAdded": "2021-12-10", "dueDate": "2021-12-24"}]}"#,
    )
    .expect("write");
    let (code, _, _) = run(
        dir,
        &[
            "kev",
            "import",
            file.to_str().expect("utf-8"),
            "--as",
            "audit.viewer@northbank.example",
        ],
    );
    assert_eq!(code, 1, "a customer viewer may not import the catalogue");
    let imported = ok(
        dir,
        &[
            "kev",
            "import",
            file.to_str().expect("utf-8"),
            "--as",
            LEAD,
            "--format",
            "json",
        ],
    );
    assert_eq!(imported["import"]["count"], 1);
    assert_eq!(imported["reclocked"], serde_json::json!([kid]));
    let shown = ok(dir, &["findings", "show", &kid, "--format", "json"]);
    assert_eq!(shown["finding"]["known_exploited"], true);
    assert_eq!(
        shown["finding"]["due_at"], "2026-11-08T00:00:00Z",
        "the shortest clock, counted from detection"
    );
    assert!(
        shown["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .any(|e| e["kind"] == "kev-listed"),
        "{shown}"
    );
    let again = ok(
        dir,
        &[
            "kev",
            "import",
            file.to_str().expect("utf-8"),
            "--as",
            LEAD,
            "--format",
            "json",
        ],
    );
    assert_eq!(again["reclocked"], serde_json::json!([]), "once only");

    let (code, out, err) = run(dir, &["audit", "verify"]);
    assert_eq!(code, 0, "every change audited and intact: {out}{err}");
}

/// CISA's real catalogue, when the reference data holds it.
#[test]
fn the_real_kev_catalogue_imports() {
    let shared = std::env::var("ASSURE_SHARED_DIR").unwrap_or_else(|_| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared")
            .display()
            .to_string()
    });
    let file = Path::new(&shared).join("data/cisa-kev/known_exploited_vulnerabilities.json");
    if !file.exists() {
        eprintln!(
            "skipped: {} is absent; download CISA's known_exploited_vulnerabilities.json \
             (https://www.cisa.gov/known-exploited-vulnerabilities-catalog) there to run this test",
            file.display()
        );
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    init(dir);
    let imported = ok(
        dir,
        &[
            "kev",
            "import",
            file.to_str().expect("utf-8"),
            "--as",
            LEAD,
            "--format",
            "json",
        ],
    );
    assert!(
        imported["import"]["count"].as_i64().expect("count") > 1000,
        "{imported}"
    );
    let shown = ok(dir, &["kev", "show", "--format", "json"]);
    assert_eq!(shown["count"], imported["import"]["count"]);
}

#[test]
fn the_demo_has_findings_in_every_state_some_overdue_some_inherited() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    init(dir);
    let all = ok(dir, &["findings", "list", "--format", "json"]);
    let items = all["items"].as_array().expect("items");
    let states: std::collections::BTreeSet<&str> = items
        .iter()
        .map(|f| f["state"].as_str().expect("state"))
        .collect();
    for state in [
        "open",
        "triaged",
        "root-cause-recorded",
        "action-planned",
        "fix-implemented",
        "regression-validation",
        "closed",
        "risk-accepted",
    ] {
        assert!(
            states.contains(state),
            "no demo finding is {state}: {states:?}"
        );
    }
    let overdue = ok(dir, &["findings", "list", "--overdue", "--format", "json"]);
    assert!(
        overdue["total"].as_i64().expect("total") >= 2,
        "some overdue: {overdue}"
    );
    let provider = ok(
        dir,
        &["findings", "list", "--inherited", "--format", "json"],
    );
    let provider_items = provider["items"].as_array().expect("items");
    assert!(provider_items.len() >= 2, "{provider}");
    assert!(
        provider.to_string().contains("Internal:"),
        "the provider sees its detail"
    );
    for f in items {
        let id = f["id"].as_str().expect("id");
        let shown = ok(dir, &["findings", "show", id, "--format", "json"]);
        let timeline = shown["timeline"].as_array().expect("timeline");
        assert!(
            timeline.first().is_some_and(|e| e["kind"] == "detected"),
            "{id}: {shown}"
        );
        let steps = match f["state"].as_str().expect("state") {
            "open" => 0,
            "closed" => 8,
            _ => 1,
        };
        assert!(timeline.len() > steps, "{id} has its steps on its timeline");
    }
    // A customer inheriting the controls sees the provider's findings, redacted.
    let seen = ok(
        dir,
        &[
            "findings",
            "list",
            "--tenant",
            "northbank",
            "--inherited",
            "--format",
            "json",
        ],
    );
    let seen_items = seen["items"].as_array().expect("items");
    assert!(!seen_items.is_empty(), "{seen}");
    let text = seen.to_string();
    assert!(
        !text.contains("Internal:") && !text.contains("hv-17") && !text.contains("remediation"),
        "redacted: {text}"
    );
    let id = seen_items[0]["id"].as_str().expect("id");
    let one = ok(
        dir,
        &[
            "findings",
            "show",
            id,
            "--tenant",
            "northbank",
            "--format",
            "json",
        ],
    );
    assert!(one["inherited_exception"].is_object(), "{one}");
    assert!(!one.to_string().contains("Internal:"), "{one}");
    // Its own list holds only its own findings.
    let own = ok(
        dir,
        &[
            "findings",
            "list",
            "--tenant",
            "northbank",
            "--format",
            "json",
        ],
    );
    assert!(
        own["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|f| f["owner"]["tenant"] == "northbank"),
        "{own}"
    );
    let (code, out, err) = run(dir, &["audit", "verify"]);
    assert_eq!(code, 0, "the demo is audited: {out}{err}");
}

/// Reads one HTTP request from `stream` and answers 204; returns its headers (lower-case names) and body.
fn read_request(stream: &mut std::net::TcpStream) -> (Vec<(String, String)>, String) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut headers = Vec::new();
    let mut line = String::new();
    reader.read_line(&mut line).expect("request line");
    loop {
        line.clear();
        reader.read_line(&mut line).expect("header");
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).expect("body");
    stream
        .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        .expect("answer");
    (headers, String::from_utf8_lossy(&body).into_owned())
}

#[test]
fn serve_stores_secrets_sealed_and_its_scheduler_sends_signed_webhooks() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    init(dir);
    let receiver = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let hook = format!("http://{}/hook", receiver.local_addr().expect("addr"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in receiver.incoming() {
            let Ok(mut stream) = stream else { break };
            if tx.send(read_request(&mut stream)).is_err() {
                break;
            }
        }
    });
    const HOOK_SECRET: &str = "hook-S3cret-e2e";
    const GITHUB_SECRET: &str = "github-S3cret-e2e";
    const JIRA_SECRET: &str = "jira-S3cret-e2e";
    // With `trackers` false the tracker secrets are not given: the server must use the stored ones.
    let start_with = |trackers: bool| {
        let mut command = assure(dir);
        command
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--scheduler-seconds",
                "1",
                "--reminder-days",
                "7,1",
                "--escalation-days",
                "0,7,14",
                "--notify-webhook-url",
                &hook,
            ])
            .env("ASSURE_NOTIFY_WEBHOOK_SECRET", HOOK_SECRET)
            .env_remove("ASSURE_GITHUB_WEBHOOK_SECRET")
            .env_remove("ASSURE_JIRA_WEBHOOK_SECRET");
        if trackers {
            command
                .env("ASSURE_GITHUB_WEBHOOK_SECRET", GITHUB_SECRET)
                .env("ASSURE_JIRA_WEBHOOK_SECRET", JIRA_SECRET);
        }
        let mut child = command
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
            if let Some(base) = line.strip_prefix("assure listening on ") {
                break base.to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        (child, base)
    };
    let start = || start_with(true).0;
    let mut server = start();
    // The demo's overdue findings escalate at the first sweep; each delivery arrives signed.
    let (headers, body) = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("a webhook delivery arrives");
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let ts: i64 = header("x-assure-timestamp")
        .and_then(|v| v.parse().ok())
        .expect("timestamp");
    assert_eq!(
        assure_domain::webhook::verify(
            HOOK_SECRET.as_bytes(),
            ts,
            header("x-assure-signature-256").as_deref(),
            body.as_bytes(),
            ts,
            300
        ),
        Ok(()),
        "signed with the configured secret, opened from its sealed form"
    );
    assert!(header("idempotency-key").is_some());
    let payload: Value = serde_json::from_str(&body).expect("json");
    assert!(
        payload["event"]
            .as_str()
            .is_some_and(|e| e.starts_with("finding.")),
        "{payload}"
    );
    server.kill().expect("stop serve");
    server.wait().expect("wait");

    // Nothing of the secrets is in the database in the clear.
    let bytes = std::fs::read(dir.join("assure.db")).expect("db");
    let wal = std::fs::read(dir.join("assure.db-wal")).unwrap_or_default();
    for secret in [HOOK_SECRET, GITHUB_SECRET, JIRA_SECRET] {
        for (name, b) in [("db", &bytes), ("wal", &wal)] {
            assert!(
                !b.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} is in the {name} in the clear"
            );
        }
    }
    let url = format!("sqlite://{}", dir.join("assure.db").display());
    let (channels, trackers) = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let pool = sqlx::SqlitePool::connect(&url).await.expect("connect");
            let channels: Vec<String> =
                sqlx::query_scalar("SELECT target_json FROM notification_channels ORDER BY id")
                    .fetch_all(&pool)
                    .await
                    .expect("channels");
            let trackers: Vec<(String, String)> =
                sqlx::query_as("SELECT tracker, sealed FROM tracker_secrets ORDER BY tracker")
                    .fetch_all(&pool)
                    .await
                    .expect("trackers");
            pool.close().await;
            (channels, trackers)
        });
    assert_eq!(channels.len(), 4, "one webhook channel per audience");
    assert!(
        channels.iter().all(|c| c.contains("\"secret\":\"sealed1:")),
        "{channels:?}"
    );
    assert_eq!(
        trackers.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        ["github", "jira"]
    );
    assert!(trackers.iter().all(|(_, s)| s.starts_with("sealed1:")));

    // A restart with the same settings rewrites nothing (the sealed values open to the same secrets).
    // `start` returns once the server listens, after it synchronised the settings.
    let mut server = start();
    server.kill().expect("stop serve");
    server.wait().expect("wait");
    let url2 = url.clone();
    let count = |u: String| {
        tokio::runtime::Runtime::new()
            .expect("runtime")
            .block_on(async move {
                let pool = sqlx::SqlitePool::connect(&u).await.expect("connect");
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM audit_log WHERE object_kind IN ('notification-channel', 'tracker-secret')",
                )
                .fetch_one(&pool)
                .await
                .expect("count");
                pool.close().await;
                n
            })
    };
    assert_eq!(
        count(url2),
        6,
        "four channels and two trackers, written once"
    );

    // A node started without the tracker flags checks deliveries with the secrets stored sealed.
    let (mut server, base) = start_with(false);
    let payload = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../assure-server/tests/data/trackers/jira-issue-done.json"),
    )
    .expect("recorded Jira payload");
    let client = reqwest::blocking::Client::new();
    let deliver = |secret: &str| {
        client
            .post(format!("{base}/hooks/jira"))
            .header("x-assure-webhook-secret", secret)
            .header("content-type", "application/json")
            .body(payload.clone())
            .send()
            .expect("deliver")
            .status()
            .as_u16()
    };
    let forged = deliver("not-the-secret");
    let genuine = deliver(JIRA_SECRET);
    server.kill().expect("stop serve");
    server.wait().expect("wait");
    assert_eq!(forged, 401, "a wrong secret is refused");
    assert_eq!(
        genuine, 200,
        "the stored secret verifies the genuine delivery"
    );
    let (code, out, err) = run(dir, &["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}
