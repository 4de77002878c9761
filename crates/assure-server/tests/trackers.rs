//! Inbound tracker webhooks with recorded deliveries (`tests/data/trackers/`): a closed GitHub issue or a
//! Jira issue moved to done implements the fix of the linked finding and never closes it; forged, unsigned
//! or wrongly keyed deliveries are refused with 401 and audited; the endpoints are public by exact path
//! only, and absent until a secret is configured.

use std::sync::Arc;

use assure_domain::audit::ChainId;
use assure_domain::finding::{Detection, FindingId, FindingOwner, FindingSource};
use assure_domain::remediation::{Milestone, RemediationState, Step, Ticket};
use assure_domain::severity::Severity;
use assure_server::trackers::TrackerSecrets;
use assure_server::{AppState, AuthSettings, router};
use assure_store::{Actor, FindingStore, SqliteStore, Store, TenantScope};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

const GITHUB_SECRET: &str = "northbank-webhook-secret-2026";
const JIRA_SECRET: &str = "jira-shared-secret-7f3a";

fn recorded(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/trackers")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn recorded_signature(name: &str) -> String {
    String::from_utf8(recorded(name))
        .expect("text")
        .trim()
        .to_owned()
}

struct World {
    app: Router,
    store: SqliteStore,
    _dir: tempfile::TempDir,
}

async fn world(secrets: TrackerSecrets) -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("assure.db").display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    let actor = Actor::system("test");
    store
        .import_programme(&actor, &assure_content::demo().expect("demo"))
        .await
        .expect("import");
    store.mark_initialised(&actor, true).await.expect("init");
    let state: Arc<AppState<SqliteStore>> = AppState::configured(
        store.clone(),
        None,
        AuthSettings {
            trackers: secrets,
            ..AuthSettings::default()
        },
    );
    state.set_ready();
    World {
        app: router(state),
        store,
        _dir: dir,
    }
}

fn both_secrets() -> TrackerSecrets {
    TrackerSecrets {
        github: Some(GITHUB_SECRET.into()),
        jira: Some(JIRA_SECRET.into()),
    }
}

/// A northbank finding triaged with `ticket` and moved as far as `planned` says.
async fn finding(store: &SqliteStore, id: &str, ticket: &str, planned: bool) -> FindingId {
    let all = TenantScope::AllTenants;
    let actor = Actor::system("test");
    let id = FindingId::new(id);
    let now = time::OffsetDateTime::now_utc();
    store
        .record_detection(
            &all,
            &actor,
            &id,
            &Detection {
                owner: FindingOwner::Tenant("northbank".into()),
                test: "access-review".into(),
                resource: format!("resource-{id}"),
                title: "Stale accounts".into(),
                detail: String::new(),
                control: Some("IAM-01".into()),
                severity: Some(Severity::High),
                cvss: None,
                cve: None,
                source: FindingSource::Manual {
                    author: "test".into(),
                },
                at: now,
            },
        )
        .await
        .expect("finding");
    let mut steps = vec![Step::Triage {
        owner: "Rajesh Menon".into(),
        ticket: Ticket::parse(ticket).expect("ticket"),
    }];
    if planned {
        steps.push(Step::RecordRootCause {
            root_cause: "leavers not removed".into(),
        });
        steps.push(Step::PlanAction {
            milestones: vec![Milestone {
                title: "automate".into(),
                due: time::macros::date!(2027 - 01 - 31),
            }],
        });
    }
    for step in steps {
        store
            .transition_finding(&all, &actor, &id, &step, now)
            .await
            .expect("step");
    }
    id
}

async fn state_of(store: &SqliteStore, id: &FindingId) -> RemediationState {
    store
        .get_finding(&TenantScope::AllTenants, id)
        .await
        .expect("read")
        .expect("finding")
        .state
}

async fn post(app: &Router, uri: &str, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, Value) {
    let mut request = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body)).expect("request"))
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

/// A delivery that must be refused: its headers, its body and the reason audited.
type Forgery<'a> = (Vec<(&'a str, &'a str)>, Vec<u8>, &'a str);

async fn refusals(store: &SqliteStore) -> Vec<(String, String)> {
    store
        .audit_records(&TenantScope::AllTenants, &ChainId::for_tenant(None))
        .await
        .expect("audit")
        .into_iter()
        .filter(|r| r.event.object_kind == "tracker-webhook")
        .map(|r| (r.event.object_id, r.event.action))
        .collect()
}

#[tokio::test]
async fn a_closed_github_issue_implements_the_fix_and_forgeries_are_refused_and_audited() {
    let w = world(both_secrets()).await;
    let planned = finding(
        &w.store,
        "F-gh-1",
        "https://github.com/northbank/infra/issues/17",
        true,
    )
    .await;
    let triaged = finding(
        &w.store,
        "F-gh-2",
        "https://github.com/northbank/infra/issues/17",
        false,
    )
    .await;
    let body = recorded("github-issues-closed.json");
    let signature = recorded_signature("github-issues-closed.sig");
    let issues = ("x-github-event", "issues");

    // Forged: the body changed after signing, no signature, a malformed one, another secret's.
    let mut tampered = body.clone();
    let at = tampered
        .iter()
        .position(|b| *b == b'7')
        .expect("a digit to change");
    tampered[at] = b'8';
    let other_secret = format!("sha256={}", "ab".repeat(32));
    let forgeries: [Forgery; 4] = [
        (
            vec![issues, ("x-hub-signature-256", signature.as_str())],
            tampered,
            "mismatch",
        ),
        (vec![issues], body.clone(), "missing"),
        (
            vec![issues, ("x-hub-signature-256", "sha1=0123")],
            body.clone(),
            "malformed",
        ),
        (
            vec![issues, ("x-hub-signature-256", other_secret.as_str())],
            body.clone(),
            "mismatch",
        ),
    ];
    for (headers, payload, why) in forgeries {
        let (status, problem) = post(&w.app, "/hooks/github", &headers, payload).await;
        assert_eq!(status, 401, "{why}: {problem}");
        assert_eq!(
            problem["status"], 401,
            "a problem document, not a login redirect"
        );
    }
    assert_eq!(
        state_of(&w.store, &planned).await,
        RemediationState::ActionPlanned,
        "a forgery moves nothing"
    );
    let audited = refusals(&w.store).await;
    assert_eq!(
        audited,
        vec![
            ("github".into(), "tracker-webhook.refused.mismatch".into()),
            ("github".into(), "tracker-webhook.refused.missing".into()),
            ("github".into(), "tracker-webhook.refused.malformed".into()),
            ("github".into(), "tracker-webhook.refused.mismatch".into()),
        ]
    );

    // The genuine delivery, with no session or token: the signature is the credential.
    let headers = [issues, ("x-hub-signature-256", signature.as_str())];
    let (status, outcome) = post(&w.app, "/hooks/github", &headers, body.clone()).await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(
        outcome["ticket"],
        "https://github.com/northbank/infra/issues/17"
    );
    assert_eq!(outcome["moved"], serde_json::json!(["F-gh-1"]));
    assert_eq!(outcome["unchanged"], serde_json::json!(["F-gh-2"]));
    assert_eq!(
        state_of(&w.store, &planned).await,
        RemediationState::FixImplemented,
        "closed ticket: fix implemented, never closed"
    );
    assert_eq!(
        state_of(&w.store, &triaged).await,
        RemediationState::Triaged
    );
    let timeline = w
        .store
        .finding_timeline(&TenantScope::AllTenants, &planned)
        .await
        .expect("timeline");
    let last = timeline.last().expect("an entry");
    assert_eq!(
        (last.kind.as_str(), last.actor.as_str()),
        ("implement-fix", "system:tracker-github")
    );
    // GitHub redelivers: nothing moves twice, and nothing ever closes.
    let (status, again) = post(&w.app, "/hooks/github", &headers, body).await;
    assert_eq!(status, 200);
    assert_eq!(again["moved"], serde_json::json!([]));
    assert_eq!(
        state_of(&w.store, &planned).await,
        RemediationState::FixImplemented
    );

    // Other signed events change nothing.
    let labeled = recorded("github-issues-labeled.json");
    let labeled_signature = recorded_signature("github-issues-labeled.sig");
    let (status, outcome) = post(
        &w.app,
        "/hooks/github",
        &[issues, ("x-hub-signature-256", labeled_signature.as_str())],
        labeled.clone(),
    )
    .await;
    assert_eq!(
        (status, outcome["moved"].clone()),
        (200, serde_json::json!([]))
    );
    let (status, outcome) = post(
        &w.app,
        "/hooks/github",
        &[
            ("x-github-event", "ping"),
            ("x-hub-signature-256", labeled_signature.as_str()),
        ],
        labeled,
    )
    .await;
    assert_eq!(status, 200);
    assert!(outcome["ignored"].is_string(), "{outcome}");
    assert_eq!(
        state_of(&w.store, &triaged).await,
        RemediationState::Triaged
    );
}

#[tokio::test]
async fn a_jira_issue_done_implements_the_fix_only_with_the_shared_secret() {
    let w = world(both_secrets()).await;
    let planned = finding(&w.store, "F-jira-1", "SEC-12", true).await;
    let body = recorded("jira-issue-done.json");

    let (status, _) = post(
        &w.app,
        "/hooks/jira",
        &[("x-assure-webhook-secret", "jira-shared-secret-7f3")],
        body.clone(),
    )
    .await;
    assert_eq!(status, 401, "a prefix of the secret is not the secret");
    let (status, _) = post(&w.app, "/hooks/jira", &[], body.clone()).await;
    assert_eq!(status, 401);
    let (status, _) = post(&w.app, "/hooks/jira?secret=guess", &[], body.clone()).await;
    assert_eq!(status, 401);
    assert_eq!(
        state_of(&w.store, &planned).await,
        RemediationState::ActionPlanned
    );
    assert_eq!(
        refusals(&w.store).await,
        vec![
            ("jira".into(), "tracker-webhook.refused.wrong-secret".into()),
            ("jira".into(), "tracker-webhook.refused.missing".into()),
            ("jira".into(), "tracker-webhook.refused.wrong-secret".into()),
        ]
    );

    let (status, outcome) = post(
        &w.app,
        "/hooks/jira",
        &[("x-assure-webhook-secret", JIRA_SECRET)],
        body.clone(),
    )
    .await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["ticket"], "SEC-12");
    assert_eq!(outcome["moved"], serde_json::json!(["F-jira-1"]));
    assert_eq!(
        state_of(&w.store, &planned).await,
        RemediationState::FixImplemented
    );
    // Classic Jira webhooks carry the secret in the URL; a redelivery moves nothing further.
    let (status, outcome) = post(
        &w.app,
        &format!("/hooks/jira?secret={JIRA_SECRET}"),
        &[],
        body,
    )
    .await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["unchanged"], serde_json::json!(["F-jira-1"]));
    // A verified delivery that is not an issue event is unprocessable.
    let (status, problem) = post(
        &w.app,
        "/hooks/jira",
        &[("x-assure-webhook-secret", JIRA_SECRET)],
        b"{\"webhookEvent\": \"jira:issue_updated\"}".to_vec(),
    )
    .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("body")));
}

#[tokio::test]
async fn the_hooks_are_public_by_exact_path_only_and_absent_without_a_secret() {
    let unconfigured = world(TrackerSecrets::default()).await;
    for path in ["/hooks/github", "/hooks/jira"] {
        let (status, _) = post(&unconfigured.app, path, &[], b"{}".to_vec()).await;
        assert_eq!(status, 404, "{path} without a secret");
    }
    assert!(
        refusals(&unconfigured.store).await.is_empty(),
        "nothing to refuse without an endpoint"
    );
    let w = world(both_secrets()).await;
    for path in [
        "/hooks/github/",
        "/hooks/githubx",
        "/hooks",
        "/hooks/jira/extra",
    ] {
        let response = w
            .app
            .clone()
            .oneshot(Request::post(path).body(Body::from("{}")).expect("request"))
            .await
            .expect("answer");
        assert_eq!(
            response.status().as_u16(),
            303,
            "{path} is not public: anonymous callers go to the login page"
        );
    }
}
