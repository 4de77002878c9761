//! `assure engagements` end to end through the real binary, on SQLite and (when the test command provides
//! one) PostgreSQL: one third-party assessment from enrolment to roll-forward (enrol, intake, NDA,
//! activation, scope, assessor, the questionnaire through an XLSX round trip, a bad sheet refused whole
//! with every row error, a test result with a reproducible sample, signing, CAIQ, roll-forward), the
//! refusals along the way (wrong role, wrong tier, wrong state, each named), and the demo's engagements.

use std::path::PathBuf;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use assure_reports::questionnaire::{SheetFormat, read_sheet_bytes, sheet_bytes};
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

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
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

    /// Runs a command that must succeed and print JSON.
    fn ok(&self, args: &[&str]) -> Value {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
    }

    /// Runs a command that must fail with `code`; returns its standard error.
    fn fails(&self, code: i32, args: &[&str]) -> String {
        let (got, out, err) = self.run(args);
        assert_eq!(got, code, "{args:?}: stdout {out} stderr {err}");
        err
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
    a_third_party_assessment_runs_from_enrolment_to_roll_forward,
    the_demo_has_an_engagement_of_each_tier_in_its_state,
    each_tier_lets_only_its_people_test_and_sign,
);

const LEAD: &str = "security-lead@contour.example";
const OFFICER: &str = "petra.lorenz@ravensberg.example";
const VIEWER: &str = "it-sicherheit@ravensberg.example";
const ASSESSOR: &str = "eleanor.voss@harbour-assurance.example";
const ID: &str = "ravensberg-2026";

fn with<'a>(args: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    let mut v = args.to_vec();
    v.extend_from_slice(more);
    v
}

/// The answers of an engagement as `questionnaire show` prints them (control -> response).
fn answers(db: &Db, id: &str) -> Value {
    db.ok(&[
        "engagements",
        "questionnaire",
        "show",
        id,
        "--format",
        "json",
    ])
}

fn a_third_party_assessment_runs_from_enrolment_to_roll_forward(db: Db) {
    let (code, _, err) = db.run(&["init"]);
    assert_eq!(code, 0, "init: {err}");
    let json = ["--format", "json"];
    let as_lead = ["--as", LEAD, "--format", "json"];

    // Enrolment. ravensberg has not asked to enrol in the demo.
    let create = [
        "engagements",
        "create",
        ID,
        "--tenant",
        "ravensberg",
        "--tier",
        "third-party-assessment",
        "--framework",
        "iso27001-2022",
        "--period-start",
        "2026-01-01",
        "--period-end",
        "2026-06-30",
    ];
    let err = db.fails(1, &with(&create, &as_lead));
    assert!(err.contains("has not asked to enrol"), "{err}");
    let err = db.fails(
        1,
        &with(&["engagements", "enrol", "ravensberg"], &["--as", OFFICER]),
    );
    assert!(
        err.contains("customer-compliance-officer") && err.contains("manage-enrolment"),
        "a customer does not run enrolments: {err}"
    );
    let enrolment = db.ok(&with(&["engagements", "enrol", "ravensberg"], &as_lead));
    assert_eq!(enrolment["enrolment"]["state"], "requested");
    let err = db.fails(
        1,
        &with(&["engagements", "activate", "ravensberg"], &as_lead),
    );
    assert!(
        err.contains("cannot activate") && err.contains("allowed: start-intake"),
        "an illegal step names the allowed ones: {err}"
    );
    let partial = db.ok(&with(
        &[
            "engagements",
            "intake",
            "ravensberg",
            "--contract",
            "CC-2025-0201",
            "--contact",
            "procurement=Klaus Wendt<vergabe@ravensberg.example>",
        ],
        &as_lead,
    ));
    assert_eq!(partial["enrolment"]["state"], "intake");
    let missing = partial["missing"].to_string();
    assert!(
        missing.contains("data-processing role") && !missing.contains("procurement"),
        "{missing}"
    );
    let err = db.fails(
        1,
        &with(
            &["engagements", "nda", "ravensberg", "--signed", "2025-05-12"],
            &as_lead,
        ),
    );
    assert!(
        err.contains("intake incomplete") && err.contains("data-processing role"),
        "the NDA step names what the intake lacks: {err}"
    );
    db.ok(&with(
        &["engagements", "intake", "ravensberg", "--from-profile"],
        &as_lead,
    ));
    let nda = db.ok(&with(
        &["engagements", "nda", "ravensberg", "--signed", "2025-05-12"],
        &as_lead,
    ));
    assert_eq!(nda["enrolment"]["state"], "nda-on-file");
    let active = db.ok(&with(&["engagements", "activate", "ravensberg"], &as_lead));
    assert_eq!(active["enrolment"]["state"], "active");
    assert_eq!(active["unmet"], serde_json::json!([]));

    // The engagement: tier, scope, period; a scope the tenant does not follow is an input error.
    let err = db.fails(
        2,
        &with(
            &with(
                &create[..create.len() - 4],
                &["--framework", "pci-dss-4.0.1"],
            ),
            &["--as-of", "2026-06-30", "--as", LEAD],
        ),
    );
    assert!(
        err.contains("does not follow framework pci-dss-4.0.1"),
        "{err}"
    );
    let created = db.ok(&with(&create, &as_lead));
    assert_eq!(created["state"], "scoping");
    assert_eq!(created["tier"], "third-party-assessment");
    let scoped = db.ok(&with(
        &[
            "engagements",
            "scope",
            ID,
            "--framework",
            "iso27001-2022",
            "--framework",
            "csa-ccm-4",
            "--region",
            "eu-central",
        ],
        &as_lead,
    ));
    assert_eq!(
        scoped["scope"]["frameworks"],
        serde_json::json!(["iso27001-2022", "csa-ccm-4"])
    );
    assert_eq!(scoped["scope"]["period"]["start"], "2026-01-01");

    // Fieldwork needs the assessors; only assessors of the named firm may be assigned.
    let err = db.fails(
        1,
        &with(
            &["engagements", "transition", ID, "start-fieldwork"],
            &as_lead,
        ),
    );
    assert!(err.contains("needs an assessor firm"), "{err}");
    let err = db.fails(
        1,
        &with(
            &[
                "engagements",
                "assign",
                ID,
                "--firm",
                "harbour-assurance",
                "--assessor",
                "li.na.goh@meridian-audit.example",
            ],
            &as_lead,
        ),
    );
    assert!(err.contains("does not belong to assessor firm"), "{err}");
    let assigned = db.ok(&with(
        &[
            "engagements",
            "assign",
            ID,
            "--firm",
            "harbour-assurance",
            "--assessor",
            ASSESSOR,
        ],
        &as_lead,
    ));
    assert_eq!(assigned["assessors"], serde_json::json!([ASSESSOR]));

    // The questionnaire through an XLSX round trip, answered by the customer's compliance officer.
    let evidence = db.ok(&[
        "evidence",
        "list",
        "--tenant",
        "ravensberg",
        "--format",
        "json",
    ]);
    let evidence_id = evidence["items"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(|e| e["id"].as_str())
        .expect("the demo gives ravensberg evidence")
        .to_owned();
    let xlsx = db.path("questionnaire.xlsx");
    let (code, _, err) = db.run(&[
        "engagements",
        "questionnaire",
        "export",
        ID,
        "-o",
        xlsx.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "export: {err}");
    let mut sheet = read_sheet_bytes(&std::fs::read(&xlsx).expect("xlsx"), SheetFormat::Xlsx)
        .expect("an XLSX workbook");
    assert_eq!(
        sheet.header,
        [
            "control",
            "responsibility",
            "question",
            "answer",
            "explanation",
            "evidence"
        ]
    );
    assert!(sheet.rows.len() >= 3, "questions: {:?}", sheet.rows);
    for (i, row) in sheet.rows.iter_mut().enumerate() {
        let (answer, explanation, evidence) = match i {
            0 => (
                "yes",
                "Enforced by our identity provider.",
                evidence_id.as_str(),
            ),
            1 => ("partial", "Rolled out to production only.", ""),
            _ => ("Yes", "", ""),
        };
        row[3] = answer.to_owned();
        row[4] = explanation.to_owned();
        row[5] = evidence.to_owned();
    }
    let controls: Vec<String> = sheet.rows.iter().map(|r| r[0].clone()).collect();
    let filled = db.path("answered.xlsx");
    std::fs::write(
        &filled,
        sheet_bytes(&sheet, SheetFormat::Xlsx, "Questionnaire").expect("xlsx"),
    )
    .expect("write");
    let filled = filled.to_str().expect("utf-8");
    let err = db.fails(
        1,
        &[
            "engagements",
            "questionnaire",
            "import",
            ID,
            filled,
            "--as",
            VIEWER,
        ],
    );
    assert!(
        err.contains("answer-questionnaire"),
        "a viewer does not answer: {err}"
    );
    let err = db.fails(
        1,
        &[
            "engagements",
            "questionnaire",
            "import",
            ID,
            filled,
            "--as",
            LEAD,
        ],
    );
    assert!(
        err.contains("answer-questionnaire"),
        "the provider does not answer: {err}"
    );
    let saved = db.ok(&[
        "engagements",
        "questionnaire",
        "import",
        ID,
        filled,
        "--as",
        OFFICER,
        "--format",
        "json",
    ]);
    assert_eq!(saved["saved"], controls.len());
    let before = answers(&db, ID);
    assert_eq!(before[0]["response"]["answer"], "yes");
    assert_eq!(
        before[0]["response"]["evidence"],
        serde_json::json!([evidence_id])
    );
    assert_eq!(before[1]["response"]["answer"], "partial");

    // A bad sheet (no explanation column, an unknown control, an invalid answer, unknown evidence) is
    // refused whole, every row error named, and the answers stay as they were. The `.txt` extension
    // says nothing, so the format is given.
    let bad = db.path("bad.txt");
    std::fs::write(
        &bad,
        format!(
            "control,answer,evidence\n{},no,\nNOPE-99,yes,\n{},maybe,\n{},yes,ev-missing\n",
            controls[0], controls[1], controls[2]
        ),
    )
    .expect("write");
    let (code, out, err) = db.run(&[
        "engagements",
        "questionnaire",
        "import",
        ID,
        bad.to_str().expect("utf-8"),
        "--input-format",
        "csv",
        "--as",
        OFFICER,
        "--format",
        "json",
    ]);
    assert_eq!(code, 2, "a bad sheet is an input error: {err}");
    for expected in [
        "row 1, column explanation: missing column",
        "row 2, column explanation: an answer other than yes needs an explanation",
        "row 3, column control: unknown control NOPE-99",
        "row 4, column answer: invalid answer \"maybe\"",
        "row 5, column evidence: unknown evidence ev-missing",
        "nothing was saved",
    ] {
        assert!(err.contains(expected), "{expected:?} in {err}");
    }
    let report: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        report["errors"].as_array().map(Vec::len),
        Some(5),
        "{report}"
    );
    assert_eq!(answers(&db, ID), before, "the answers are unchanged");

    // Fieldwork: the assigned assessor records results with a sample drawn from a recorded seed.
    db.ok(&with(
        &["engagements", "transition", ID, "start-fieldwork"],
        &as_lead,
    ));
    let sample = db.ok(&with(
        &[
            "engagements",
            "sample",
            "--population",
            "200",
            "--sample-size",
            "20",
            "--seed",
            "ravensberg-2026-access",
        ],
        &json,
    ));
    let items: Vec<u64> = sample["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i.as_u64().expect("number"))
        .collect();
    assert_eq!(items.len(), 20);
    let again = db.ok(&with(
        &[
            "engagements",
            "sample",
            "--population",
            "200",
            "--sample-size",
            "20",
            "--seed",
            "ravensberg-2026-access",
        ],
        &json,
    ));
    assert_eq!(
        again["items"], sample["items"],
        "the seed draws the same items"
    );
    let deviation = items[2].to_string();
    let test = |who: &'static str, control: &str, result: &str, deviation: Option<&str>| {
        let mut args = vec![
            "engagements",
            "test",
            ID,
            control,
            "--method",
            "re-performance",
            "--result",
            result,
            "--population",
            "200",
            "--sample-size",
            "20",
            "--seed",
            "ravensberg-2026-access",
            "--population-description",
            "access grants in the period",
            "--as",
            who,
            "--format",
            "json",
        ];
        if let Some(d) = deviation {
            args.extend(["--deviation", d]);
        }
        db.run(&args)
    };
    let (code, _, err) = test(OFFICER, &controls[0], "effective", None);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("record-test-result"),
        "a customer does not test: {err}"
    );
    let (code, _, err) = test(LEAD, &controls[0], "effective", None);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("only the assessors assigned to this engagement test and sign"),
        "the provider does not test a third-party assessment: {err}"
    );
    let outside = (1..=200u64)
        .find(|n| !items.contains(n))
        .expect("an item outside the sample")
        .to_string();
    let (code, _, err) = test(ASSESSOR, &controls[0], "ineffective", Some(&outside));
    assert_eq!(
        code, 2,
        "a deviation outside the sample is an input error: {err}"
    );
    assert!(err.contains("is not an item of the sample"), "{err}");
    let (code, out, err) = test(ASSESSOR, &controls[0], "ineffective", Some(&deviation));
    assert_eq!(code, 0, "{err}");
    let recorded: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(recorded["test"]["sample"]["items"], sample["items"]);
    assert_eq!(recorded["test"]["sample"]["seed"], "ravensberg-2026-access");
    assert_eq!(
        recorded["draft_finding"]["control"].as_str(),
        Some(controls[0].as_str()),
        "an ineffective result drafts a finding: {recorded}"
    );
    // The draft is raised as the customer's finding; a retest still ineffective refreshes it.
    let finding = recorded["finding"]
        .as_str()
        .expect("an ineffective result raises a finding")
        .to_owned();
    let raised = db.ok(&["findings", "show", &finding, "--format", "json"]);
    assert_eq!(
        raised["finding"]["control"].as_str(),
        Some(controls[0].as_str()),
        "{raised}"
    );
    let (code, out, err) = test(ASSESSOR, &controls[0], "ineffective", Some(&deviation));
    assert_eq!(code, 0, "{err}");
    let again: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        again["finding"].as_str(),
        Some(finding.as_str()),
        "a retest still ineffective refreshes the open finding: {again}"
    );
    let (code, _, err) = test(ASSESSOR, &controls[1], "effective", None);
    assert_eq!(code, 0, "{err}");
    let shown = db.ok(&["engagements", "show", ID, "--format", "json"]);
    assert_eq!(shown["tests"].as_array().map(Vec::len), Some(2), "{shown}");
    assert_eq!(shown["answered"], controls.len());

    // Signing: the customer may not sign a third-party assessment; the assigned assessor does.
    db.ok(&with(
        &["engagements", "transition", ID, "start-reporting"],
        &as_lead,
    ));
    let err = db.fails(1, &["engagements", "sign", ID, "--as", OFFICER]);
    assert!(
        err.contains("may not sign in a third-party-assessment engagement")
            && err.contains("only the assessors assigned"),
        "{err}"
    );
    let err = db.fails(
        2,
        &[
            "engagements",
            "sign",
            ID,
            "--as",
            "kwame.mensah@harbour-assurance.example",
        ],
    );
    assert!(
        err.contains("not found"),
        "an unassigned assessor does not even see the engagement: {err}"
    );
    let signed = db.ok(&[
        "engagements",
        "sign",
        ID,
        "--as",
        ASSESSOR,
        "--format",
        "json",
    ]);
    assert_eq!(signed["state"], "signed");
    assert_eq!(signed["signed_by"], ASSESSOR);
    let err = db.fails(
        1,
        &with(&["engagements", "transition", ID, "reopen"], &as_lead),
    );
    assert!(err.contains("none (final state)"), "{err}");

    // CAIQ v4: keyed by CCM v4 control IDs, in CSV and XLSX.
    let caiq = db.path("caiq.csv");
    let (code, _, err) = db.run(&[
        "engagements",
        "caiq",
        ID,
        "-o",
        caiq.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "caiq: {err}");
    let caiq_sheet =
        read_sheet_bytes(&std::fs::read(&caiq).expect("caiq"), SheetFormat::Csv).expect("csv");
    assert_eq!(caiq_sheet.header[0], "Question ID");
    assert!(
        !caiq_sheet.rows.is_empty(),
        "answers map to CCM v4 controls"
    );
    assert_eq!(caiq_sheet.header[1], "CSC CAIQ Answer");
    let caiq_json = db.ok(&["engagements", "caiq", ID, "--format", "json"]);
    assert_eq!(
        caiq_json.as_array().map(Vec::len),
        Some(caiq_sheet.rows.len())
    );
    let caiq_xlsx = db.path("caiq.xlsx");
    let (code, _, err) = db.run(&[
        "engagements",
        "caiq",
        ID,
        "-o",
        caiq_xlsx.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "caiq xlsx: {err}");
    let from_xlsx = read_sheet_bytes(&std::fs::read(&caiq_xlsx).expect("caiq"), SheetFormat::Xlsx)
        .expect("xlsx");
    assert_eq!(from_xlsx, caiq_sheet);

    // Roll-forward: the next half year, answers carried with the evidence still valid.
    let err = db.fails(
        1,
        &with(
            &["engagements", "roll-forward", ID, "--new-id", "x"],
            &["--as", OFFICER],
        ),
    );
    assert!(err.contains("manage-engagement"), "{err}");
    let next = db.ok(&with(
        &[
            "engagements",
            "roll-forward",
            ID,
            "--new-id",
            "ravensberg-2026-h2",
        ],
        &as_lead,
    ));
    assert_eq!(next["state"], "scoping");
    assert_eq!(next["previous"], ID);
    assert_eq!(next["scope"]["period"]["start"], "2026-07-01");
    assert_eq!(next["scope"]["frameworks"], scoped["scope"]["frameworks"]);
    let carried = next["carried_over"]["evidence"]
        .as_array()
        .expect("evidence");
    assert_eq!(carried.len(), 1, "{next}");
    assert_eq!(carried[0]["evidence"], evidence_id.as_str());
    let copied = answers(&db, "ravensberg-2026-h2");
    assert_eq!(copied[1]["response"]["answer"], "partial");
    let listed = db.ok(&[
        "engagements",
        "list",
        "--tenant",
        "ravensberg",
        "--format",
        "json",
    ]);
    let ids: Vec<&str> = listed
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|e| e["id"].as_str())
        .collect();
    assert_eq!(ids, ["ravensberg-2026-h2", ID]);

    // What another tenant's officer sees: none of it.
    let foreign = db.ok(&[
        "engagements",
        "list",
        "--as",
        "fiona.macleod@northbank.example",
        "--format",
        "json",
    ]);
    assert!(
        foreign
            .as_array()
            .expect("list")
            .iter()
            .all(|e| e["tenant"] == "northbank"),
        "{foreign}"
    );
    let err = db.fails(
        2,
        &[
            "engagements",
            "show",
            ID,
            "--as",
            "fiona.macleod@northbank.example",
        ],
    );
    assert!(err.contains("not found"), "{err}");

    // Every step is in the audit trail, and the trail verifies.
    let (code, _, err) = db.run(&["audit", "verify"]);
    assert_eq!(code, 0, "audit verify: {err}");
}

fn the_demo_has_an_engagement_of_each_tier_in_its_state(db: Db) {
    let (code, _, err) = db.run(&["init"]);
    assert_eq!(code, 0, "init: {err}");
    let listed = db.ok(&["engagements", "list", "--format", "json"]);
    let by_tenant = |t: &str| -> Value {
        listed
            .as_array()
            .expect("list")
            .iter()
            .find(|e| e["tenant"] == t)
            .cloned()
            .unwrap_or_else(|| panic!("no demo engagement of {t}: {listed}"))
    };
    let northbank = by_tenant("northbank");
    assert_eq!(northbank["tier"], "third-party-assessment");
    assert_eq!(northbank["state"], "fieldwork");
    assert_eq!(northbank["assessor_firm"], "harbour-assurance");
    assert_eq!(northbank["assessors"], serde_json::json!([ASSESSOR]));
    let brightpath = by_tenant("brightpath");
    assert_eq!(brightpath["tier"], "self-attestation");
    assert_eq!(brightpath["state"], "signed");
    assert_eq!(brightpath["signed_by"], "jonas.albrecht@brightpath.example");
    let lionrock = by_tenant("lionrock");
    assert_eq!(lionrock["tier"], "managed-assurance");
    assert_eq!(lionrock["state"], "scoping");

    let shown = db.ok(&[
        "engagements",
        "show",
        northbank["id"].as_str().expect("id"),
        "--format",
        "json",
    ]);
    let answers = shown["answers"].as_array().expect("answers");
    assert!(!answers.is_empty(), "{shown}");
    assert!(
        answers
            .iter()
            .any(|a| a["evidence"].as_array().is_some_and(|e| !e.is_empty())),
        "some answers cite evidence: {shown}"
    );
    let tests = shown["tests"].as_array().expect("tests");
    assert_eq!(tests.len(), 3, "{shown}");
    let results: Vec<&str> = tests.iter().filter_map(|t| t["result"].as_str()).collect();
    assert_eq!(
        results.iter().filter(|r| **r == "ineffective").count(),
        1,
        "{results:?}"
    );
    assert!(
        tests
            .iter()
            .all(|t| t["sample"]["items"].as_array().map(Vec::len) == Some(25)),
        "every demo test has its sample"
    );
    // The assessor sees northbank's engagement, and only it.
    let seen = db.ok(&["engagements", "list", "--as", ASSESSOR, "--format", "json"]);
    assert_eq!(
        seen.as_array()
            .map(|a| a.iter().map(|e| e["tenant"].clone()).collect::<Vec<_>>()),
        Some(vec![Value::from("northbank")])
    );

    // The provider tested each inherited control once; both northbank and brightpath reuse those
    // tests (the same ones: same control and instant), redacted; lionrock's year has not run yet.
    let inherited = |id: &Value| -> Vec<Value> {
        db.ok(&[
            "engagements",
            "inherited",
            id.as_str().expect("id"),
            "--format",
            "json",
        ])
        .as_array()
        .cloned()
        .expect("inherited results")
    };
    let nb = inherited(&northbank["id"]);
    let bp = inherited(&brightpath["id"]);
    assert!(!nb.is_empty() && !bp.is_empty(), "{nb:?} {bp:?}");
    assert!(inherited(&lionrock["id"]).is_empty());
    let shared: Vec<&Value> = nb.iter().filter(|r| bp.iter().any(|o| o == *r)).collect();
    assert!(
        !shared.is_empty(),
        "one provider test serves both: {nb:?} {bp:?}"
    );
    let provider = db.ok(&["engagements", "provider-tests", "--format", "json"]);
    let stored = provider.as_array().expect("provider tests");
    for r in &nb {
        assert_eq!(
            stored
                .iter()
                .filter(|t| t["test"]["control"] == r["control"])
                .count(),
            1,
            "one stored test per control and period: {r}"
        );
    }
    let text = Value::Array(nb.clone()).to_string();
    assert!(
        !text.contains("internal audit") && !text.contains(LEAD),
        "{text}"
    );
    // Recording one: the lead may, a customer's officer may not; a control nobody inherits is input error.
    let control = nb[0]["control"].as_str().expect("control");
    let record = |who: &str, control: &str| {
        db.run(&[
            "engagements",
            "provider-test",
            control,
            "--period-start",
            "2025-01-01",
            "--period-end",
            "2025-12-31",
            "--method",
            "inspection",
            "--result",
            "ineffective",
            "--population",
            "365",
            "--sample-size",
            "20",
            "--deviation",
            "0",
            "--as",
            who,
            "--format",
            "json",
        ])
    };
    let (code, _, err) = record(LEAD, control);
    assert_eq!(
        code, 2,
        "a deviation outside the sample is an input error: {err}"
    );
    assert!(err.contains("deviation 0"), "{err}");
    let (code, _, _) = record("fiona.macleod@northbank.example", control);
    assert_ne!(code, 0, "a customer's officer records no provider test");
    let (code, _, err) = record(LEAD, "NO-SUCH-1");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not provider-owned"), "{err}");

    let enrolments = db.ok(&["engagements", "enrolments", "--format", "json"]);
    let state = |t: &str| -> Value {
        enrolments
            .as_array()
            .expect("enrolments")
            .iter()
            .find(|e| e["enrolment"]["tenant"] == t)
            .map(|e| e["enrolment"]["state"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(state("northbank"), "active");
    assert_eq!(state("mercyvale"), "nda-on-file");
    assert_eq!(state("kestrel-telecom"), "intake");
    assert_eq!(state("ravensberg"), Value::Null);

    let trust = db.ok(&["trust", "list", "--requests", "--format", "json"]);
    let kinds: Vec<&str> = trust["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .filter_map(|d| d["kind"].as_str())
        .collect();
    for kind in ["audit-report", "certificate", "penetration-test-summary"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let titles = trust["documents"].to_string();
    assert!(titles.contains("ISO/IEC 27001:2022"), "{titles}");
    assert!(!titles.contains("SOC 2"), "{titles}");
    let mut states: Vec<&str> = trust["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter_map(|r| r["state"].as_str())
        .collect();
    states.sort_unstable();
    assert_eq!(states, ["approved", "requested"]);

    let (code, _, err) = db.run(&["audit", "verify"]);
    assert_eq!(code, 0, "audit verify: {err}");
}

fn each_tier_lets_only_its_people_test_and_sign(db: Db) {
    let (code, _, err) = db.run(&["init"]);
    assert_eq!(code, 0, "init: {err}");
    let as_lead = ["--as", LEAD, "--format", "json"];
    let fiona = "fiona.macleod@northbank.example";
    let mei = "mei.chen@lionrock.example";

    // Self-attestation (northbank is enrolled and active in the demo): nobody tests, the customer's
    // compliance officer signs, and no one else.
    let own = "northbank-self-attestation";
    db.ok(&with(
        &[
            "engagements",
            "create",
            own,
            "--tenant",
            "northbank",
            "--tier",
            "self-attestation",
            "--framework",
            "iso27001-2022",
            "--as-of",
            "2026-09-30",
        ],
        &as_lead,
    ));
    db.ok(&with(
        &["engagements", "transition", own, "start-fieldwork"],
        &as_lead,
    ));
    let control = db.ok(&[
        "engagements",
        "questionnaire",
        "show",
        own,
        "--format",
        "json",
    ])[0]["question"]["control"]
        .as_str()
        .expect("a question")
        .to_owned();
    let point_test = |who: &str| {
        db.run(&[
            "engagements",
            "test",
            own,
            &control,
            "--method",
            "inspection",
            "--result",
            "effective",
            "--as",
            who,
        ])
    };
    for who in [LEAD, ASSESSOR] {
        let (code, _, err) = point_test(who);
        assert_eq!(code, 1, "{who}: {err}");
        assert!(
            err.contains("a self-attestation has no independent testing"),
            "{who}: {err}"
        );
    }
    db.ok(&with(
        &["engagements", "transition", own, "start-reporting"],
        &as_lead,
    ));
    for who in [LEAD, ASSESSOR] {
        let err = db.fails(1, &["engagements", "sign", own, "--as", who]);
        assert!(
            err.contains("only the customer's compliance officer signs a self-attestation"),
            "{who}: {err}"
        );
    }
    let err = db.fails(
        1,
        &[
            "engagements",
            "sign",
            own,
            "--as",
            "audit.viewer@northbank.example",
        ],
    );
    assert!(
        err.contains("sign-engagement"),
        "a viewer may not sign: {err}"
    );
    let signed = db.ok(&[
        "engagements",
        "sign",
        own,
        "--as",
        fiona,
        "--format",
        "json",
    ]);
    assert_eq!(signed["signed_by"], fiona);

    // Managed assurance (the demo's lionrock engagement, a period): a provider security lead tests and
    // signs; the customer's compliance officer and an assessor do neither.
    let managed = "lionrock-managed";
    db.ok(&with(
        &["engagements", "transition", managed, "start-fieldwork"],
        &as_lead,
    ));
    let control = db.ok(&[
        "engagements",
        "questionnaire",
        "show",
        managed,
        "--format",
        "json",
    ])[0]["question"]["control"]
        .as_str()
        .expect("a question")
        .to_owned();
    let period_test = |who: &str| {
        db.run(&[
            "engagements",
            "test",
            managed,
            &control,
            "--method",
            "observation",
            "--result",
            "effective",
            "--population",
            "52",
            "--sample-size",
            "5",
            "--as",
            who,
        ])
    };
    let (code, _, err) = period_test(mei);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("record-test-result"), "{err}");
    let (code, _, err) = period_test(ASSESSOR);
    assert_eq!(
        code, 2,
        "an assessor without a lionrock engagement does not see it: {err}"
    );
    assert!(err.contains("not found"), "{err}");
    let (code, out, err) = period_test(LEAD);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&control), "{out}");
    // Without a sample a period engagement's tested result is refused as input.
    let (code, _, err) = db.run(&[
        "engagements",
        "test",
        managed,
        &control,
        "--method",
        "observation",
        "--result",
        "effective",
        "--as",
        LEAD,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs a sample"), "{err}");
    db.ok(&with(
        &["engagements", "transition", managed, "start-reporting"],
        &as_lead,
    ));
    let err = db.fails(1, &["engagements", "sign", managed, "--as", mei]);
    assert!(
        err.contains("only a provider security lead reviews and signs"),
        "{err}"
    );
    let signed = db.ok(&with(&["engagements", "sign", managed], &as_lead));
    assert_eq!(signed["signed_by"], LEAD);
    assert_eq!(signed["state"], "signed");
}
