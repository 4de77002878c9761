//! `assure trust` end to end through the real binary on SQLite: a download is refused (exit 1, every
//! reason named, the attempt audited) until the request is approved, the terms accepted and the tenant's
//! NDA on file; then the PDF is written watermarked with the requester and the instant.

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("assure")
        .expect("binary")
        .env("ASSURE_DATA_DIR", dir)
        .env(
            "ASSURE_DATABASE_URL",
            format!("sqlite://{}", dir.join("assure.db").display()),
        )
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

fn ok(dir: &Path, args: &[&str]) -> Value {
    let (code, out, err) = run(dir, args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).expect("json")
}

#[test]
fn a_download_is_refused_until_approval_terms_and_nda_then_comes_back_watermarked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let (code, _, err) = run(dir, &["init"]);
    assert_eq!(code, 0, "init: {err}");

    let pdf = assure_reports::trust_pdf::text_pdf(
        "Independent audit report summary",
        &["Period 2025-01-01 to 2025-12-31", "Opinion: unqualified"],
    )
    .expect("pdf");
    let file = dir.join("audit-summary.pdf");
    std::fs::write(&file, pdf).expect("write");
    let doc = ok(
        dir,
        &[
            "trust",
            "publish",
            file.to_str().expect("utf-8"),
            "--title",
            "Independent audit report summary 2025",
            "--kind",
            "audit-report",
            "--issued",
            "2026-02-01",
            "--terms",
            "Confidential; for the recipient's vendor review only.",
            "--format",
            "json",
        ],
    );
    let id = doc["id"].as_str().expect("id").to_owned();
    let listed = ok(dir, &["trust", "list", "--format", "json"]);
    assert!(
        listed["documents"]
            .as_array()
            .expect("documents")
            .iter()
            .any(|d| d["id"] == doc["id"]),
        "{listed}"
    );

    // ravensberg has not asked to enrol in the demo, so it has no NDA on file.
    let who = ["--tenant", "ravensberg", "--user", "co@ravensberg.example"];
    let download = |out: &Path| {
        let mut args = vec!["trust", "download", id.as_str()];
        args.extend(who);
        args.extend(["-o", out.to_str().expect("utf-8")]);
        run(dir, &args)
    };
    let out = dir.join("got.pdf");
    let (code, _, err) = download(&out);
    assert_eq!(code, 1, "refused without a request: {err}");
    assert!(err.contains("no access request"), "{err}");
    assert!(err.contains("no valid NDA"), "{err}");
    assert!(!out.exists());

    let mut args = vec!["trust", "request", id.as_str()];
    args.extend(who);
    args.extend(["--format", "json"]);
    let request = ok(dir, &args);
    let rid = request["id"].as_str().expect("id").to_owned();
    let (code, _, err) = download(&out);
    assert_eq!(code, 1);
    assert!(err.contains("waiting for approval"), "{err}");

    ok(
        dir,
        &[
            "trust",
            "approve",
            &rid,
            "--by",
            "lead@provider.example",
            "--format",
            "json",
        ],
    );
    let mut args = vec!["trust", "accept-terms", id.as_str()];
    args.extend(who);
    args.extend(["--format", "json"]);
    ok(dir, &args);
    let (code, _, err) = download(&out);
    assert_eq!(code, 1, "still refused without an NDA");
    assert!(err.contains("no valid NDA"), "{err}");
    assert!(!err.contains("approval"), "{err}");

    // Put the tenant's NDA on file through its enrolment, as the provider's security lead.
    let lead = ["--as", "security-lead@contour.example", "--format", "json"];
    for step in [
        vec!["engagements", "enrol", "ravensberg"],
        vec!["engagements", "intake", "ravensberg", "--from-profile"],
        vec!["engagements", "nda", "ravensberg", "--signed", "2026-01-10"],
    ] {
        let mut args = step.clone();
        args.extend(lead);
        ok(dir, &args);
    }
    let url = format!("sqlite://{}", dir.join("assure.db").display());
    let (code, _, err) = download(&out);
    assert_eq!(code, 0, "granted: {err}");
    let bytes = std::fs::read(&out).expect("downloaded");
    let pages = assure_reports::trust_pdf::pdf_page_texts(&bytes).expect("text");
    for page in &pages {
        assert!(page.contains("co@ravensberg.example"), "{page}");
        assert!(page.contains("downloaded by"), "{page}");
        assert!(page.contains("Opinion: unqualified"), "{page}");
    }

    // Every attempt is in ravensberg's audit trail: three refused, one granted.
    let pool_url = url.clone();
    let counts: (i64, i64) = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async move {
            let pool = sqlx::SqlitePool::connect(&pool_url).await.expect("connect");
            let count = |action: &'static str| {
                let pool = pool.clone();
                async move {
                    sqlx::query_scalar::<_, i64>(
                        "SELECT COUNT(*) FROM audit_log WHERE tenant_id = 'ravensberg' AND action = $1",
                    )
                    .bind(action)
                    .fetch_one(&pool)
                    .await
                    .expect("count")
                }
            };
            (
                count("trust-download.refused").await,
                count("trust-download.granted").await,
            )
        });
    assert_eq!(counts, (3, 1));
}
