//! The findings pages on a demo-loaded SQLite store: the list with its filters, a customer's inherited
//! exceptions shown redacted, a finding with its timeline and the forms of the steps the viewer may take
//! (a refused step names why), oversight acknowledging an escalation, the dashboard's remediation charts,
//! and the structural rules every page keeps; roles without `ReadFinding` get the 404 of an unknown page.

use std::sync::Arc;

use assure_domain::escalation::EscalationPolicy;
use assure_domain::finding::{Detection, FindingId, FindingOwner, FindingSource};
use assure_domain::finding_metrics::inherited_controls;
use assure_domain::matrix::ResponsibilityModel;
use assure_domain::severity::Severity;
use assure_domain::user::Role;
use assure_server::AppState;
use assure_server::pages::Viewer;
use assure_store::{Actor, FindingStore, SchedulerStore, SqliteStore, Store, TenantScope};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::{Extension, Router};
use http_body_util::BodyExt;
use scraper::{Html, Selector};
use time::OffsetDateTime;
use tower::ServiceExt;

struct Demo {
    state: Arc<AppState<SqliteStore>>,
    token: String,
    _dir: tempfile::TempDir,
}

fn provider(user: &str, role: Role) -> Viewer {
    Viewer {
        user: user.into(),
        name: user.into(),
        role,
        tenant: None,
        scope: TenantScope::AllTenants,
        csrf_token: "csrf-provider".into(),
    }
}

fn customer(role: Role) -> Viewer {
    Viewer {
        user: "fiona.macleod@northbank.example".into(),
        name: "Fiona MacLeod".into(),
        role,
        tenant: Some("northbank".into()),
        scope: TenantScope::Tenant("northbank".into()),
        csrf_token: "csrf-customer".into(),
    }
}

const OWN: &str = "F-page-northbank";
const FOREIGN: &str = "F-page-brightpath";
const INHERITED: &str = "F-page-provider";

async fn demo() -> Demo {
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
    let northbank = programme
        .tenants
        .iter()
        .find(|t| t.id.as_str() == "northbank")
        .expect("northbank");
    let matrix = ResponsibilityModel::new(&programme)
        .expect("model")
        .matrix(northbank)
        .expect("matrix");
    let inherited = inherited_controls(&matrix)
        .into_iter()
        .next()
        .expect("an inherited control");
    let long_ago = OffsetDateTime::now_utc() - time::Duration::days(60);
    for (id, owner, title, control) in [
        (
            OWN,
            FindingOwner::Tenant("northbank".into()),
            "Stale accounts on the payments database",
            "IAM-01".into(),
        ),
        (
            FOREIGN,
            FindingOwner::Tenant("brightpath".into()),
            "Brightpath backup bucket unencrypted",
            "IAM-01".into(),
        ),
        (
            INHERITED,
            FindingOwner::Provider,
            "Hypervisor patch overdue",
            inherited,
        ),
    ] {
        store
            .record_detection(
                &TenantScope::AllTenants,
                &actor,
                &FindingId::new(id),
                &Detection {
                    owner,
                    test: "page-check".into(),
                    resource: format!("resource of {id}"),
                    title: title.into(),
                    detail: "internal: host hv-17".into(),
                    control: Some(control),
                    severity: Some(Severity::High),
                    cvss: None,
                    cve: None,
                    source: FindingSource::AutomatedCheck { run: None },
                    at: long_ago,
                },
            )
            .await
            .expect("finding");
    }
    store
        .sweep_deadlines(
            "pages",
            OffsetDateTime::now_utc(),
            &EscalationPolicy::default(),
            100,
        )
        .await
        .expect("sweep");
    let secret = assure_auth::new_api_token().expect("token");
    store
        .create_api_token(
            &actor,
            &assure_store::NewApiToken {
                id: "findings-pages".into(),
                user: "admin@contour.example".into(),
                name: "findings page tests".into(),
                token_hash: secret.hash.clone(),
                at: OffsetDateTime::now_utc(),
                expires_at: None,
            },
        )
        .await
        .expect("token");
    let state = AppState::new(store);
    state.set_ready();
    Demo {
        state,
        token: secret.text,
        _dir: dir,
    }
}

impl Demo {
    fn app(&self, viewer: &Viewer) -> Router {
        assure_server::router(self.state.clone()).layer(Extension(viewer.clone()))
    }

    async fn send(&self, viewer: &Viewer, request: Request<Body>) -> (StatusCode, String) {
        let mut request = request;
        if let Ok(value) = header::HeaderValue::from_str(&format!("Bearer {}", self.token)) {
            request.headers_mut().insert(header::AUTHORIZATION, value);
        }
        let response = self.app(viewer).oneshot(request).await.expect("response");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    async fn get(&self, viewer: &Viewer, path: &str) -> (StatusCode, String) {
        let request = Request::get(path).body(Body::empty()).expect("request");
        self.send(viewer, request).await
    }

    async fn post(
        &self,
        viewer: &Viewer,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        self.send(viewer, request).await
    }

    async fn page(&self, viewer: &Viewer, path: &str) -> String {
        let (status, body) = self.get(viewer, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_well_formed(path, &body);
        body
    }
}

fn urlencode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn select(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

/// The IDs in the first column of the table with `id`.
fn ids_in(body: &str, table: &str) -> Vec<String> {
    let doc = Html::parse_document(body);
    doc.select(&select(&format!("table#{table} tbody th a")))
        .map(|a| a.text().collect::<String>())
        .collect()
}

/// The structural rules every page keeps (accessibility and the CSP without `unsafe-inline`).
fn assert_well_formed(path: &str, body: &str) {
    let doc = Html::parse_document(body);
    assert!(
        doc.errors.len() < 5,
        "{path} parses with errors: {:?}",
        doc.errors
    );
    assert_eq!(
        doc.select(&select("main#main")).count(),
        1,
        "{path}: one main"
    );
    assert_eq!(
        doc.select(&select("h1")).count(),
        1,
        "{path}: exactly one h1"
    );
    assert_eq!(doc.select(&select("[style]")).count(), 0, "{path}: style=");
    assert_eq!(doc.select(&select("style")).count(), 0, "{path}: <style>");
    for script in doc.select(&select("script")) {
        assert!(
            script.value().attr("src").is_some(),
            "{path}: inline script"
        );
    }
    let handlers = doc
        .root_element()
        .descendants()
        .filter_map(scraper::ElementRef::wrap)
        .filter(|e| e.value().attrs().any(|(name, _)| name.starts_with("on")))
        .count();
    assert_eq!(handlers, 0, "{path}: inline event handler attributes");
    for control in doc.select(&select("input, select, textarea")) {
        let kind = control.value().attr("type").unwrap_or("text");
        if matches!(kind, "hidden" | "submit" | "button") {
            continue;
        }
        let id = control
            .value()
            .attr("id")
            .unwrap_or_else(|| panic!("{path}: a form control without id: {}", control.html()));
        let label = select(&format!("label[for='{id}']"));
        assert_eq!(doc.select(&label).count(), 1, "{path}: one label for #{id}");
    }
    for th in doc.select(&select("table th")) {
        assert!(
            th.value().attr("scope").is_some(),
            "{path}: <th> without scope"
        );
    }
    for svg in doc.select(&select("svg")) {
        assert!(
            svg.value().attr("aria-labelledby").is_some(),
            "{path}: svg label"
        );
        assert!(
            svg.select(&select("title")).next().is_some(),
            "{path}: svg title"
        );
        assert!(
            svg.select(&select("desc")).next().is_some(),
            "{path}: svg desc"
        );
    }
    for form in doc.select(&select("form[method='post']")) {
        assert_eq!(
            form.select(&select("input[name='csrf_token']")).count(),
            1,
            "{path}: a post form without its CSRF token"
        );
    }
}

#[tokio::test]
async fn the_list_filters_and_shows_customers_inherited_findings_redacted() {
    let demo = demo().await;
    let officer = customer(Role::CustomerComplianceOfficer);
    let lead = provider("security-lead@contour.example", Role::ProviderSecurityLead);

    let list = demo.page(&officer, "/findings").await;
    assert_eq!(ids_in(&list, "findings-table"), vec![OWN]);
    assert_eq!(ids_in(&list, "inherited-table"), vec![INHERITED]);
    assert!(list.contains("Hypervisor patch overdue"));
    for secret in ["hv-17", "Brightpath backup", FOREIGN, "page-check"] {
        assert!(!list.contains(secret), "{secret} shows: {list}");
    }
    let nav = Html::parse_document(&list);
    assert_eq!(
        nav.select(&select("nav a[href='/findings'][aria-current='page']"))
            .count(),
        1,
        "a current nav entry"
    );

    let low = demo.page(&officer, "/findings?severity=low").await;
    assert!(ids_in(&low, "findings-table").is_empty());
    assert!(ids_in(&low, "inherited-table").is_empty());
    let overdue = demo
        .page(&officer, "/findings?overdue=true&inherited=false")
        .await;
    assert_eq!(ids_in(&overdue, "findings-table"), vec![OWN]);
    assert!(!overdue.contains("inherited-table"), "ours only");
    let only_inherited = demo.page(&officer, "/findings?inherited=true").await;
    assert!(ids_in(&only_inherited, "findings-table").is_empty());
    assert_eq!(ids_in(&only_inherited, "inherited-table"), vec![INHERITED]);
    let foreign = demo.page(&officer, "/findings?tenant=brightpath").await;
    assert!(ids_in(&foreign, "findings-table").is_empty());

    let all = demo.page(&lead, "/findings").await;
    let mut ids = ids_in(&all, "findings-table");
    ids.sort();
    let mut expected = vec![FOREIGN, INHERITED, OWN];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    let provider_only = demo.page(&lead, "/findings?inherited=true").await;
    assert_eq!(ids_in(&provider_only, "findings-table"), vec![INHERITED]);
    let brightpath = demo
        .page(&lead, "/findings?tenant=brightpath&sort=-detected")
        .await;
    assert_eq!(ids_in(&brightpath, "findings-table"), vec![FOREIGN]);
    let (status, _) = demo.get(&lead, "/findings?severity=dire").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let dpo = customer(Role::CustomerDpo);
    let (status, _) = demo.get(&dpo, "/findings").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "no ReadFinding: an unknown page"
    );
    let dashboard = demo.page(&dpo, "/").await;
    assert!(!dashboard.contains("href=\"/findings\""), "no nav entry");
    assert!(!dashboard.contains("Remediation burn-down"));
}

#[tokio::test]
async fn a_finding_page_shows_its_timeline_and_moves_through_its_forms() {
    let demo = demo().await;
    let officer = customer(Role::CustomerComplianceOfficer);
    let viewer = customer(Role::CustomerViewer);
    let path = format!("/findings/{OWN}");

    let page = demo.page(&officer, &path).await;
    let doc = Html::parse_document(&page);
    let kinds: Vec<String> = doc
        .select(&select("table#timeline tbody th"))
        .map(|th| th.text().collect())
        .collect();
    assert_eq!(kinds[0], "detected");
    assert!(kinds.iter().any(|k| k == "escalation"), "{kinds:?}");
    assert!(page.contains("overdue"));
    assert!(page.contains("value=\"triage\""), "the triage form");
    assert!(
        !page.contains("value=\"close\""),
        "no close form while open"
    );
    let read_only = demo.page(&viewer, &path).await;
    assert!(
        !read_only.contains("/transitions"),
        "a viewer gets no forms"
    );

    let (status, body) = demo
        .post(
            &officer,
            &format!("{path}/transitions"),
            &[("step", "close")],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("regression validation"), "{body}");
    let (status, _) = demo
        .post(
            &officer,
            &format!("{path}/transitions"),
            &[("step", "triage"), ("owner", "Rajesh"), ("ticket", "nope")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = demo
        .post(
            &officer,
            &format!("{path}/transitions"),
            &[
                ("step", "triage"),
                ("owner", "Rajesh Menon"),
                ("ticket", "https://github.com/northbank/infra/issues/17"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = demo
        .post(
            &officer,
            &format!("{path}/transitions"),
            &[
                ("step", "record-root-cause"),
                ("root_cause", "leavers are not removed"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = demo
        .post(
            &officer,
            &format!("{path}/transitions"),
            &[
                ("step", "plan-action"),
                ("milestone_1", "Automate leaver removal"),
                ("milestone_1_due", "2027-01-31"),
                ("milestone_2", ""),
                ("milestone_2_due", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = demo
        .post(
            &officer,
            &format!("{path}/retriage"),
            &[("severity", "critical"), ("justification", "exploited")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let after = demo.page(&officer, &path).await;
    let doc = Html::parse_document(&after);
    let state: String = doc
        .select(&select("#state"))
        .next()
        .map(|e| e.text().collect())
        .unwrap_or_default();
    assert_eq!(state, "action-planned");
    assert!(
        after.contains("Automate leaver removal by 2027-01-31"),
        "{after}"
    );
    assert!(after.contains("href=\"https://github.com/northbank/infra/issues/17\""));
    assert!(after.contains("value=\"implement-fix\""));
    assert!(
        after.contains("value=\"accept-risk\""),
        "the officer may accept risks"
    );
    let kinds: Vec<String> = doc
        .select(&select("table#timeline tbody th"))
        .map(|th| th.text().collect())
        .collect();
    for k in ["triage", "record-root-cause", "plan-action", "retriage"] {
        assert!(
            kinds.iter().any(|x| x == k),
            "{k} on the timeline: {kinds:?}"
        );
    }
    // Critical now: a customer may not accept it.
    let (status, body) = demo
        .post(
            &officer,
            &format!("{path}/transitions"),
            &[
                ("step", "accept-risk"),
                ("justification", "compensating control"),
                ("expires", "2027-01-31"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // Foreign and inherited findings.
    let (status, _) = demo.get(&officer, &format!("/findings/{FOREIGN}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = demo
        .post(
            &officer,
            &format!("/findings/{FOREIGN}/transitions"),
            &[("step", "reopen")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let redacted = demo.page(&officer, &format!("/findings/{INHERITED}")).await;
    assert!(redacted.contains("Hypervisor patch overdue"));
    assert!(redacted.contains("operates for you"));
    for secret in ["hv-17", "page-check", "resource of", "/transitions"] {
        assert!(!redacted.contains(secret), "{secret} shows: {redacted}");
    }
}

#[tokio::test]
async fn oversight_acknowledges_an_escalation_and_the_dashboard_charts_remediation() {
    let demo = demo().await;
    let oversight = provider("oversight@contour.example", Role::Oversight);
    let path = format!("/findings/{OWN}");
    let page = demo.page(&oversight, &path).await;
    assert!(
        !page.contains("/transitions"),
        "oversight only reads and acknowledges"
    );
    let doc = Html::parse_document(&page);
    let forms: Vec<String> = doc
        .select(&select("table#escalations form"))
        .filter_map(|f| f.value().attr("action").map(str::to_owned))
        .collect();
    assert!(!forms.is_empty(), "acknowledge forms: {page}");
    let (status, _) = demo.post(&oversight, &forms[0], &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let after = demo.page(&oversight, &path).await;
    assert!(
        after.contains("user:oversight@contour.example at"),
        "{after}"
    );
    let (status, _) = demo.post(&oversight, &forms[0], &[]).await;
    assert_eq!(status, StatusCode::CONFLICT, "acknowledged once");
    let lead = provider("security-lead@contour.example", Role::ProviderSecurityLead);
    let (status, _) = demo.post(&lead, &forms[0], &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "only oversight acknowledges");

    let dashboard = demo.page(&lead, "/").await;
    assert!(dashboard.contains("Remediation burn-down"));
    assert!(dashboard.contains("Ageing of open findings by severity"));
    let doc = Html::parse_document(&dashboard);
    let high_row: Vec<String> = doc
        .select(&select("table"))
        .find(|t| {
            t.text()
                .any(|x| x.contains("Ageing of open findings by severity"))
        })
        .expect("the ageing table")
        .select(&select("tbody tr"))
        .find(|r| r.text().any(|x| x == "high"))
        .expect("the high row")
        .select(&select("td"))
        .map(|td| td.text().collect())
        .collect();
    assert_eq!(
        high_row,
        vec!["0", "3", "0", "0", "3"],
        "three high findings, 60 days old"
    );
    let burn: Vec<String> = doc
        .select(&select("table"))
        .find(|t| t.text().any(|x| x.contains("Remediation burn-down")))
        .expect("the burn-down table")
        .select(&select("tbody td"))
        .map(|td| td.text().collect())
        .collect();
    assert_eq!(burn.len(), 12);
    assert_eq!(burn.last().map(String::as_str), Some("3"));
    assert_eq!(
        burn.first().map(String::as_str),
        Some("0"),
        "none open twelve weeks ago"
    );
    let officer = customer(Role::CustomerComplianceOfficer);
    let theirs = demo.page(&officer, "/").await;
    let doc = Html::parse_document(&theirs);
    let burn: Vec<String> = doc
        .select(&select("table"))
        .find(|t| t.text().any(|x| x.contains("Remediation burn-down")))
        .expect("the burn-down table")
        .select(&select("tbody td"))
        .map(|td| td.text().collect())
        .collect();
    assert_eq!(
        burn.last().map(String::as_str),
        Some("1"),
        "its own finding only"
    );
}
