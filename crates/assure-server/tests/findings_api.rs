//! Findings through `/api/v1`, in process, as the demo's people: automated checks report (a re-detection
//! neither duplicates a finding nor moves its deadline), people raise and move findings through every
//! remediation step with refusals that name the allowed steps, risk acceptance by authority, re-triage,
//! customers see provider findings on inherited controls only redacted, escalations reach the inbox and
//! oversight acknowledges them once.

use std::collections::BTreeSet;

use assure_domain::ControlId;
use assure_domain::escalation::EscalationPolicy;
use assure_domain::finding_metrics::inherited_controls;
use assure_domain::matrix::ResponsibilityModel;
use assure_server::{AppState, router};
use assure_store::{Actor, SchedulerStore, SqliteStore, Store};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tower::ServiceExt;

const LEAD: &str = "security-lead@contour.example";
const OFFICER: &str = "fiona.macleod@northbank.example";
const VIEWER: &str = "audit.viewer@northbank.example";
const OTHER_OFFICER: &str = "jonas.albrecht@brightpath.example";
const OVERSIGHT: &str = "oversight@contour.example";
const DPO: &str = "dpo@contour.example";

struct World {
    app: Router,
    store: SqliteStore,
    tokens: Vec<(&'static str, String)>,
    /// Controls northbank inherits (provider or shared in its matrix) and one it does not.
    inherited: ControlId,
    not_inherited: ControlId,
    _dir: tempfile::TempDir,
}

impl World {
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("assure.db").display());
        let store = SqliteStore::connect(&url).await.expect("connect");
        let actor = Actor::system("test");
        let programme = assure_content::demo().expect("demo");
        store
            .import_programme(&actor, &programme)
            .await
            .expect("import");
        store.mark_initialised(&actor, true).await.expect("init");
        let mut tokens = Vec::new();
        for email in [LEAD, OFFICER, VIEWER, OTHER_OFFICER, OVERSIGHT, DPO] {
            let secret = assure_auth::new_api_token().expect("token");
            store
                .create_api_token(
                    &actor,
                    &assure_store::NewApiToken {
                        id: format!("tok-{}", email.replace(['@', '.'], "-")),
                        user: email.into(),
                        name: "findings api test".into(),
                        token_hash: secret.hash.clone(),
                        at: OffsetDateTime::now_utc(),
                        expires_at: None,
                    },
                )
                .await
                .expect("token");
            tokens.push((email, secret.text));
        }
        let northbank = programme
            .tenants
            .iter()
            .find(|t| t.id.as_str() == "northbank")
            .expect("northbank");
        let model = ResponsibilityModel::new(&programme).expect("model");
        let matrix = model.matrix(northbank).expect("matrix");
        let inherited: BTreeSet<ControlId> = inherited_controls(&matrix);
        let first_inherited = inherited
            .iter()
            .next()
            .expect("an inherited control")
            .clone();
        let not_inherited = programme
            .controls
            .iter()
            .map(|c| c.id.clone())
            .find(|c| !inherited.contains(c))
            .expect("a control northbank does not inherit");
        let state = AppState::new(store.clone());
        state.set_ready();
        Self {
            app: router(state),
            store,
            tokens,
            inherited: first_inherited,
            not_inherited,
            _dir: dir,
        }
    }

    async fn call(&self, who: &str, method: &str, uri: &str, body: Option<Value>) -> (u16, Value) {
        let token = &self
            .tokens
            .iter()
            .find(|(e, _)| *e == who)
            .expect("caller")
            .1;
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        let body = match body {
            Some(v) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).expect("request"))
            .await
            .expect("answer");
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn step(&self, who: &str, id: &str, step: Value) -> (u16, Value) {
        self.call(
            who,
            "POST",
            &format!("/api/v1/findings/{id}/transitions"),
            Some(step),
        )
        .await
    }
}

fn instant(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().expect("an instant"), &Rfc3339).expect("RFC 3339")
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("format")
}

fn check(owner: Value, check: &str, resource: &str, at: OffsetDateTime) -> Value {
    json!({
        "owner": owner, "check": check, "resource": resource,
        "title": "Root account without MFA", "detail": "internal: seen on host hv-17",
        "severity": "high", "run": "run-1", "at": rfc3339(at),
    })
}

fn northbank() -> Value {
    json!({"kind": "tenant", "tenant": "northbank"})
}

#[tokio::test]
async fn a_check_redetection_refreshes_the_open_finding_and_never_moves_its_deadline() {
    let w = World::new().await;
    let first_seen = OffsetDateTime::now_utc() - time::Duration::days(3);
    let (status, first) = w
        .call(
            LEAD,
            "POST",
            "/api/v1/check-findings",
            Some(check(northbank(), "iam-root-mfa", "acct-1", first_seen)),
        )
        .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["created"], true);
    let id = first["finding"]["id"].as_str().expect("id").to_owned();
    let due = instant(&first["finding"]["due_at"]);
    assert_eq!(
        due - instant(&first["finding"]["detected_at"]),
        time::Duration::days(30),
        "high: 30 days by the provider's policy"
    );
    assert_eq!(first["finding"]["source"]["kind"], "automated-check");

    let (status, again) = w
        .call(
            LEAD,
            "POST",
            "/api/v1/check-findings",
            Some(check(
                northbank(),
                "iam-root-mfa",
                "acct-1",
                OffsetDateTime::now_utc(),
            )),
        )
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["created"], false);
    assert_eq!(again["finding"]["id"], id.as_str());
    assert_eq!(again["finding"]["detections"], 2);
    assert_eq!(
        instant(&again["finding"]["due_at"]),
        due,
        "the deadline keeps"
    );

    let (status, list) = w.call(OFFICER, "GET", "/api/v1/findings", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 1, "one finding, not two: {list}");
    let (status, shown) = w
        .call(OFFICER, "GET", &format!("/api/v1/findings/{id}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(shown["view"], "full");
    let kinds: Vec<&str> = shown["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, vec!["detected", "redetected"]);

    // Another tenant neither sees it nor can report onto it.
    let (status, foreign) = w
        .call(
            OTHER_OFFICER,
            "GET",
            &format!("/api/v1/findings/{id}"),
            None,
        )
        .await;
    let (_, never) = w
        .call(OTHER_OFFICER, "GET", "/api/v1/findings/F-never", None)
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        foreign["detail"]
            .as_str()
            .map(|d| d.replace(&id, "F-never")),
        never["detail"].as_str().map(str::to_owned)
    );
    // Customers may not report check results; a future instant and a bad CVSS are refused.
    let (status, _) = w
        .call(
            OFFICER,
            "POST",
            "/api/v1/check-findings",
            Some(check(northbank(), "x", "y", OffsetDateTime::now_utc())),
        )
        .await;
    assert_eq!(status, 403);
    let (status, problem) = w
        .call(
            LEAD,
            "POST",
            "/api/v1/check-findings",
            Some(check(
                northbank(),
                "x",
                "y",
                OffsetDateTime::now_utc() + time::Duration::hours(1),
            )),
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("at")));
    let mut bad = check(northbank(), "x", "y", OffsetDateTime::now_utc());
    bad["severity"] = Value::Null;
    bad["cvss"] = json!("CVSS:3.1/nonsense");
    let (status, problem) = w
        .call(LEAD, "POST", "/api/v1/check-findings", Some(bad))
        .await;
    assert_eq!(status, 422, "{problem}");
    let mut unknown_tenant = check(
        json!({"kind": "tenant", "tenant": "nobody"}),
        "x",
        "y",
        OffsetDateTime::now_utc(),
    );
    unknown_tenant["title"] = json!("t");
    let (status, _) = w
        .call(LEAD, "POST", "/api/v1/check-findings", Some(unknown_tenant))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_finding_walks_every_step_and_closes_only_after_a_passing_validation() {
    let w = World::new().await;
    let (status, created) = w
        .call(
            OFFICER,
            "POST",
            "/api/v1/findings",
            Some(json!({
                "owner": northbank(), "test": "quarterly-access-review", "resource": "payments-db",
                "title": "Stale accounts on the payments database", "control": "IAM-01",
                "cvss": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N",
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let f = &created["finding"];
    assert_eq!(f["severity"], "medium", "derived from the CVSS vector");
    assert_eq!(f["source"]["kind"], "manual");
    let id = f["id"].as_str().expect("id").to_owned();

    // The viewer reads but may not move it.
    let (status, _) = w.step(VIEWER, &id, json!({"step": "close"})).await;
    assert_eq!(status, 403);
    // Closing an open finding is refused, naming what is allowed.
    let (status, problem) = w.step(OFFICER, &id, json!({"step": "close"})).await;
    assert_eq!(status, 409);
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("regression validation") && detail.contains("allowed: triage"),
        "{detail}"
    );
    let (status, problem) = w
        .step(
            OFFICER,
            &id,
            json!({"step": "plan-action", "milestones": []}),
        )
        .await;
    assert_eq!(status, 409, "{problem}");
    let (status, problem) = w
        .step(
            OFFICER,
            &id,
            json!({"step": "triage", "owner": "Rajesh", "ticket": "not a ticket"}),
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("ticket")));
    let (status, problem) = w.step(OFFICER, &id, json!({"step": "accept-risk"})).await;
    assert_eq!(status, 400, "risk acceptance has its own route: {problem}");

    let steps = [
        (
            json!({"step": "triage", "owner": "Rajesh Menon", "ticket": "https://github.com/northbank/infra/issues/17"}),
            "triaged",
        ),
        (
            json!({"step": "record-root-cause", "root_cause": "Leavers are not removed from the database."}),
            "root-cause-recorded",
        ),
        (
            json!({"step": "plan-action", "milestones": [{"title": "Automate leaver removal", "due": "2027-01-31"}]}),
            "action-planned",
        ),
        (
            json!({"step": "implement-fix", "note": "HR feed now removes leavers"}),
            "fix-implemented",
        ),
    ];
    for (step, state) in steps {
        let (status, moved) = w.step(OFFICER, &id, step).await;
        assert_eq!(
            (status, moved["state"].as_str()),
            (200, Some(state)),
            "{moved}"
        );
    }
    let (status, problem) = w.step(OFFICER, &id, json!({"step": "close"})).await;
    assert_eq!(status, 409, "no validation yet: {problem}");
    // A retest must cite evidence of the finding's tenant.
    let (status, problem) = w
        .step(
            OFFICER,
            &id,
            json!({"step": "validate-regression", "validation": {"kind": "assessor-retest",
                "assessor": "eleanor.voss@harbour-assurance.example", "evidence": ["ev-nobody"],
                "passed": true, "at": rfc3339(OffsetDateTime::now_utc())}}),
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("evidence")));
    // A failing re-check sends it back to planning; a passing one lets it close.
    let recheck = |passed: bool| {
        json!({"step": "validate-regression", "validation": {"kind": "automated-recheck",
            "check": "quarterly-access-review", "passed": passed, "at": rfc3339(OffsetDateTime::now_utc())}})
    };
    let (status, moved) = w.step(OFFICER, &id, recheck(false)).await;
    assert_eq!(
        (status, moved["state"].as_str()),
        (200, Some("action-planned"))
    );
    let (status, moved) = w.step(OFFICER, &id, json!({"step": "implement-fix"})).await;
    assert_eq!(
        (status, moved["state"].as_str()),
        (200, Some("fix-implemented"))
    );
    let (status, moved) = w.step(OFFICER, &id, recheck(true)).await;
    assert_eq!(
        (status, moved["state"].as_str()),
        (200, Some("regression-validation"))
    );
    let (status, moved) = w.step(OFFICER, &id, json!({"step": "close"})).await;
    assert_eq!(
        (status, moved["state"].as_str()),
        (200, Some("closed")),
        "{moved}"
    );
    assert!(moved["closed_at"].is_string());
    let (status, problem) = w.step(OFFICER, &id, json!({"step": "reopen"})).await;
    assert_eq!(status, 409, "{problem}");

    let (_, shown) = w
        .call(OFFICER, "GET", &format!("/api/v1/findings/{id}"), None)
        .await;
    let kinds: Vec<&str> = shown["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "detected",
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
    let (status, problem) = w
        .call(
            OFFICER,
            "POST",
            &format!("/api/v1/findings/{id}/retriage"),
            Some(json!({"severity": "low", "justification": "closed anyway"})),
        )
        .await;
    assert_eq!(status, 409, "a closed finding is not re-triaged: {problem}");
}

#[tokio::test]
async fn risk_acceptance_needs_authority_and_retriage_is_the_only_way_a_deadline_moves() {
    let w = World::new().await;
    let raise = |severity: &'static str, resource: &'static str| {
        json!({"owner": northbank(), "test": "tls-scan", "resource": resource,
            "title": "Weak TLS", "severity": severity})
    };
    let (_, high) = w
        .call(
            OFFICER,
            "POST",
            "/api/v1/findings",
            Some(raise("high", "api.northbank.example")),
        )
        .await;
    let (_, critical) = w
        .call(
            OFFICER,
            "POST",
            "/api/v1/findings",
            Some(raise("critical", "www.northbank.example")),
        )
        .await;
    let high_id = high["finding"]["id"].as_str().expect("id").to_owned();
    let critical_id = critical["finding"]["id"].as_str().expect("id").to_owned();
    for id in [&high_id, &critical_id] {
        let (status, _) = w
            .step(
                OFFICER,
                id,
                json!({"step": "triage", "owner": "Rajesh Menon", "ticket": "SEC-12"}),
            )
            .await;
        assert_eq!(status, 200);
    }
    let accept = |days: i64| {
        json!({"justification": "compensating WAF rule",
            "expires_at": rfc3339(OffsetDateTime::now_utc() + time::Duration::days(days))})
    };
    let (status, _) = w
        .call(
            VIEWER,
            "POST",
            &format!("/api/v1/findings/{high_id}/accept-risk"),
            Some(accept(30)),
        )
        .await;
    assert_eq!(status, 403, "a viewer has no authority");
    let (status, problem) = w
        .call(
            OFFICER,
            "POST",
            &format!("/api/v1/findings/{critical_id}/accept-risk"),
            Some(accept(30)),
        )
        .await;
    assert_eq!(
        status, 403,
        "a customer never accepts a critical risk: {problem}"
    );
    let (status, problem) = w
        .call(
            OFFICER,
            "POST",
            &format!("/api/v1/findings/{high_id}/accept-risk"),
            Some(accept(400)),
        )
        .await;
    assert_eq!(status, 422, "expiry beyond 366 days: {problem}");
    let (status, accepted) = w
        .call(
            OFFICER,
            "POST",
            &format!("/api/v1/findings/{high_id}/accept-risk"),
            Some(accept(30)),
        )
        .await;
    assert_eq!(
        (status, accepted["state"].as_str()),
        (200, Some("risk-accepted")),
        "{accepted}"
    );
    assert_eq!(
        accepted["remediation"]["risk_acceptance"]["approver"],
        format!("user:{OFFICER}")
    );
    let (status, accepted) = w
        .call(
            LEAD,
            "POST",
            &format!("/api/v1/findings/{critical_id}/accept-risk"),
            Some(accept(30)),
        )
        .await;
    assert_eq!(
        (status, accepted["state"].as_str()),
        (200, Some("risk-accepted"))
    );
    let (status, problem) = w.step(OFFICER, &high_id, json!({"step": "reopen"})).await;
    assert_eq!(status, 409, "not expired yet: {problem}");

    // Re-triage moves the deadline, counted from detection; without a justification it is refused.
    let (_, fresh) = w
        .call(
            OFFICER,
            "POST",
            "/api/v1/findings",
            Some(raise("low", "mail.northbank.example")),
        )
        .await;
    let id = fresh["finding"]["id"].as_str().expect("id").to_owned();
    let detected = instant(&fresh["finding"]["detected_at"]);
    let (status, problem) = w
        .call(
            OFFICER,
            "POST",
            &format!("/api/v1/findings/{id}/retriage"),
            Some(json!({"severity": "critical", "justification": " "})),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    let (status, moved) = w
        .call(
            OFFICER,
            "POST",
            &format!("/api/v1/findings/{id}/retriage"),
            Some(json!({"severity": "critical", "justification": "exploit published"})),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["severity"], "critical");
    assert_eq!(
        instant(&moved["due_at"]) - detected,
        time::Duration::days(7)
    );
    let (_, shown) = w
        .call(OFFICER, "GET", &format!("/api/v1/findings/{id}"), None)
        .await;
    assert!(
        shown["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .any(|e| e["kind"] == "retriage" && e["detail"]["justification"] == "exploit published"),
        "{shown}"
    );

    // Filters and sorting.
    let (_, criticals) = w
        .call(
            OFFICER,
            "GET",
            "/api/v1/findings?severity=critical&sort=-detected",
            None,
        )
        .await;
    let ids: Vec<&str> = criticals["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        vec![id.as_str(), critical_id.as_str()],
        "newest detection first"
    );
    let (_, accepted_only) = w
        .call(
            OFFICER,
            "GET",
            "/api/v1/findings?state=risk-accepted&limit=1",
            None,
        )
        .await;
    assert_eq!(
        (
            accepted_only["total"].as_i64(),
            accepted_only["items"].as_array().map(Vec::len)
        ),
        (Some(2), Some(1))
    );
    let (_, overdue) = w
        .call(OFFICER, "GET", "/api/v1/findings?overdue=true", None)
        .await;
    assert_eq!(overdue["total"], 0);
    for bad in [
        "sort=worst",
        "severity=dire",
        "state=done",
        "overdue=maybe",
        "limit=5000",
    ] {
        let (status, problem) = w
            .call(OFFICER, "GET", &format!("/api/v1/findings?{bad}"), None)
            .await;
        assert_eq!(status, 400, "{bad}: {problem}");
        assert!(problem["field"].is_string(), "{problem}");
    }
}

#[tokio::test]
async fn customers_see_provider_findings_on_inherited_controls_only_redacted() {
    let w = World::new().await;
    let provider = json!({"kind": "provider"});
    let mut on_inherited = check(
        provider.clone(),
        "hv-patch",
        "hv-17",
        OffsetDateTime::now_utc(),
    );
    on_inherited["control"] = json!(w.inherited.as_str());
    on_inherited["title"] = json!("Hypervisor patch overdue");
    let (status, inherited) = w
        .call(LEAD, "POST", "/api/v1/check-findings", Some(on_inherited))
        .await;
    assert_eq!(status, 201, "{inherited}");
    let mut elsewhere = check(provider, "hv-patch", "hv-18", OffsetDateTime::now_utc());
    elsewhere["control"] = json!(w.not_inherited.as_str());
    let (_, other) = w
        .call(LEAD, "POST", "/api/v1/check-findings", Some(elsewhere))
        .await;
    let inherited_id = inherited["finding"]["id"].as_str().expect("id").to_owned();
    let other_id = other["finding"]["id"].as_str().expect("id").to_owned();

    // Customers never list provider findings as their own.
    let (_, own) = w
        .call(OFFICER, "GET", "/api/v1/findings?inherited=true", None)
        .await;
    assert_eq!(own["total"], 0);
    let (status, list) = w
        .call(
            VIEWER,
            "GET",
            "/api/v1/tenants/northbank/inherited-findings",
            None,
        )
        .await;
    assert_eq!(status, 200, "{list}");
    let ids: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["id"].as_str())
        .collect();
    assert_eq!(ids, vec![inherited_id.as_str()]);
    let text = list.to_string();
    for secret in ["hv-17", "internal", "hv-patch", "automated-check", "run-1"] {
        assert!(!text.contains(secret), "{secret} leaks: {text}");
    }
    let (status, shown) = w
        .call(
            VIEWER,
            "GET",
            &format!("/api/v1/findings/{inherited_id}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(shown["view"], "inherited");
    assert_eq!(shown["exception"]["title"], "Hypervisor patch overdue");
    assert!(!shown.to_string().contains("hv-17"), "{shown}");
    let (status, _) = w
        .call(VIEWER, "GET", &format!("/api/v1/findings/{other_id}"), None)
        .await;
    assert_eq!(status, 404, "not on a control northbank inherits");
    // Customers cannot move provider findings, nor read another tenant's inherited list.
    let (status, _) = w
        .step(
            OFFICER,
            &inherited_id,
            json!({"step": "triage", "owner": "x", "ticket": "SEC-1"}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = w
        .call(
            OTHER_OFFICER,
            "GET",
            "/api/v1/tenants/northbank/inherited-findings",
            None,
        )
        .await;
    assert_eq!(status, 404);
    // The provider sees both whole.
    let (_, provider_list) = w
        .call(LEAD, "GET", "/api/v1/findings?inherited=true", None)
        .await;
    assert_eq!(provider_list["total"], 2);
    let (status, _) = w.call(DPO, "GET", "/api/v1/findings", None).await;
    assert_eq!(status, 403, "the provider's DPO does not read findings");
}

#[tokio::test]
async fn escalations_reach_the_inbox_and_oversight_acknowledges_each_once() {
    let w = World::new().await;
    let long_ago = OffsetDateTime::now_utc() - time::Duration::days(60);
    let (status, raised) = w
        .call(
            LEAD,
            "POST",
            "/api/v1/check-findings",
            Some(check(northbank(), "edr-agent", "vm-7", long_ago)),
        )
        .await;
    assert_eq!(status, 201, "{raised}");
    let id = raised["finding"]["id"].as_str().expect("id").to_owned();
    // 60 days after detection a 30-day finding is 30 days overdue: every rung is due.
    let outcome = w
        .store
        .sweep_deadlines(
            "test",
            OffsetDateTime::now_utc(),
            &EscalationPolicy::default(),
            100,
        )
        .await
        .expect("sweep");
    assert!(outcome.alerts >= 3, "{outcome:?}");

    let (_, overdue) = w
        .call(OFFICER, "GET", "/api/v1/findings?overdue=true", None)
        .await;
    assert_eq!(overdue["total"], 1);
    let (status, escalations) = w
        .call(
            OVERSIGHT,
            "GET",
            &format!("/api/v1/escalations?finding={id}&acknowledged=false"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let items = escalations["items"].as_array().expect("items");
    let top = items
        .iter()
        .find(|e| e["alert"]["level"] == "oversight-committee")
        .expect("escalated to oversight");
    let esc = top["id"].as_str().expect("id").to_owned();

    let (status, inbox) = w
        .call(OVERSIGHT, "GET", "/api/v1/notifications", None)
        .await;
    assert_eq!(status, 200);
    let audiences: BTreeSet<&str> = inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|n| n["audience"].as_str())
        .collect();
    assert_eq!(audiences, BTreeSet::from(["oversight-committee"]));
    let (_, customer_inbox) = w.call(OFFICER, "GET", "/api/v1/notifications", None).await;
    let audiences: BTreeSet<&str> = customer_inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|n| n["audience"].as_str())
        .collect();
    assert!(
        audiences.contains("customer-security-contact"),
        "{customer_inbox}"
    );
    assert!(
        !audiences.contains("oversight-committee"),
        "{customer_inbox}"
    );
    let (_, foreign_inbox) = w
        .call(OTHER_OFFICER, "GET", "/api/v1/notifications", None)
        .await;
    assert_eq!(foreign_inbox["total"], 0);
    let (status, _) = w
        .call(
            OFFICER,
            "GET",
            "/api/v1/notifications?audience=everyone",
            None,
        )
        .await;
    assert_eq!(status, 400);

    let ack = format!("/api/v1/escalations/{}/acknowledge", urlencode(&esc));
    let (status, _) = w.call(LEAD, "POST", &ack, None).await;
    assert_eq!(status, 403, "only oversight acknowledges");
    let (status, done) = w.call(OVERSIGHT, "POST", &ack, None).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["acknowledged_by"], format!("user:{OVERSIGHT}"));
    let (status, again) = w.call(OVERSIGHT, "POST", &ack, None).await;
    assert_eq!(status, 409, "{again}");
    let (_, open) = w
        .call(
            OVERSIGHT,
            "GET",
            &format!("/api/v1/escalations?finding={id}&acknowledged=false"),
            None,
        )
        .await;
    assert!(
        open["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|e| e["id"] != esc.as_str()),
        "{open}"
    );
    let (_, shown) = w
        .call(OFFICER, "GET", &format!("/api/v1/findings/{id}"), None)
        .await;
    assert_eq!(shown["overdue"], true);
    assert!(
        shown["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .any(|e| e["kind"] == "escalation"),
        "{shown}"
    );
    let (status, foreign) = w
        .call(
            OTHER_OFFICER,
            "GET",
            &format!("/api/v1/escalations?finding={id}"),
            None,
        )
        .await;
    assert_eq!((status, foreign["total"].as_i64()), (200, Some(0)));
}

fn urlencode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
