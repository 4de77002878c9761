//! The engagement and trust-center pages on a demo-loaded SQLite store: the provider enrols a tenant
//! and opens a third-party assessment, assigns its assessor; the customer answers through the form and a
//! refused questionnaire file lists every row error; the assessor records a result with its sample and
//! alone gets the sign button; other tenants get the same 404 as an unknown page; the trust center lists
//! documents; every page keeps the structural rules of every page.

use std::sync::Arc;

use assure_domain::user::Role;
use assure_server::AppState;
use assure_server::pages::Viewer;
use assure_store::{Actor, SqliteStore, Store, TenantScope};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::{Extension, Router};
use http_body_util::BodyExt;
use scraper::Html;
use tower::ServiceExt;

mod support;
use support::page_rules::{assert_well_formed, select, urlencode};

fn viewer(user: &str, role: Role, tenant: Option<&str>) -> Viewer {
    Viewer {
        user: user.into(),
        name: user.into(),
        role,
        tenant: tenant.map(Into::into),
        scope: match (role, tenant) {
            (Role::Assessor, _) => {
                TenantScope::Tenants(std::iter::once("northbank".into()).collect())
            }
            (_, Some(t)) => TenantScope::Tenant(t.into()),
            (_, None) => TenantScope::AllTenants,
        },
        csrf_token: "csrf".into(),
    }
}

struct Demo {
    state: Arc<AppState<SqliteStore>>,
    token: String,
    _dir: tempfile::TempDir,
}

async fn demo() -> Demo {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("assure.db").display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    let actor = Actor::system("test");
    store
        .import_programme(&actor, &assure_content::demo().expect("demo"))
        .await
        .expect("import");
    store.mark_initialised(&actor, true).await.expect("init");
    let secret = assure_auth::new_api_token().expect("token");
    store
        .create_api_token(
            &actor,
            &assure_store::NewApiToken {
                id: "engagement-pages".into(),
                user: "admin@contour.example".into(),
                name: "engagement page tests".into(),
                token_hash: secret.hash.clone(),
                at: time::OffsetDateTime::now_utc(),
                expires_at: None,
            },
        )
        .await
        .expect("token");
    let blobs = assure_evidence::BlobStore::local(&dir.path().join("evidence")).expect("blobs");
    let master = assure_evidence::MasterKey::from_hex(&"33".repeat(32), "test").expect("key");
    let repo = assure_evidence::Repository::new(store.clone(), blobs, master, 10 * 1024 * 1024);
    let state = AppState::with_evidence(store, repo);
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

async fn multipart(
    demo: &Demo,
    who: &Viewer,
    path: &str,
    file_name: &str,
    bytes: &[u8],
) -> (StatusCode, String) {
    let boundary = "assure-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::post(path)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request");
    demo.send(who, request).await
}

fn texts(body: &str, selector: &str) -> Vec<String> {
    Html::parse_document(body)
        .select(&select(selector))
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

#[tokio::test]
async fn a_third_party_engagement_through_the_pages() {
    let demo = demo().await;
    let admin = viewer("admin@contour.example", Role::ProviderAdmin, None);
    let lead = viewer(
        "security-lead@contour.example",
        Role::ProviderSecurityLead,
        None,
    );
    let officer = viewer(
        "fiona.macleod@northbank.example",
        Role::CustomerComplianceOfficer,
        Some("northbank"),
    );
    let reader = viewer(
        "audit.viewer@northbank.example",
        Role::CustomerViewer,
        Some("northbank"),
    );
    let dpo = viewer(
        "dpo@northbank.example",
        Role::CustomerDpo,
        Some("northbank"),
    );
    let stranger = viewer(
        "jonas.albrecht@brightpath.example",
        Role::CustomerComplianceOfficer,
        Some("brightpath"),
    );
    let assessor = viewer(
        "eleanor.voss@harbour-assurance.example",
        Role::Assessor,
        None,
    );

    let (status, _) = demo.get(&dpo, "/engagements").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a role without engagements gets the unknown-page answer"
    );
    let list = demo.page(&admin, "/engagements").await;
    assert!(
        list.contains("Record the enrolment request"),
        "the provider enrols"
    );
    let nav = texts(
        &demo.page(&officer, "/engagements").await,
        "nav[aria-label=Main] a",
    );
    assert!(
        nav.iter().any(|l| l == "Engagements") && nav.iter().any(|l| l == "Trust center"),
        "{nav:?}"
    );

    let (status, body) = demo
        .post(
            &officer,
            "/engagements/enrolments",
            &[("tenant", "northbank")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a customer does not enrol itself: {body}"
    );
    let steps: [(&str, Vec<(&str, &str)>); 5] = [
        ("/engagements/enrolments", vec![("tenant", "northbank")]),
        ("/engagements/enrolments/northbank/intake", vec![]),
        (
            "/engagements/enrolments/northbank/transitions",
            vec![("step", "start-intake")],
        ),
        (
            "/engagements/enrolments/northbank/transitions",
            vec![("step", "record-nda"), ("nda_signed", "2025-01-15")],
        ),
        (
            "/engagements/enrolments/northbank/transitions",
            vec![("step", "activate")],
        ),
    ];
    for (path, form) in steps {
        let (status, body) = demo.post(&admin, path, &form).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path} {form:?}: {body}");
    }
    let (status, body) = demo
        .post(
            &admin,
            "/engagements/enrolments/northbank/transitions",
            &[("step", "activate")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an illegal step is refused, naming why: {body}"
    );
    assert!(body.contains("allowed"), "{body}");
    let list = demo.page(&admin, "/engagements").await;
    assert!(list.contains("eligible"), "{list}");

    let (status, body) = demo
        .post(
            &admin,
            "/engagements",
            &[
                ("id", "nb-2026"),
                ("tenant", "northbank"),
                ("tier", "third-party-assessment"),
                ("frameworks", "iso27001-2022"),
                ("period", "period"),
                ("start", "2026-01-01"),
                ("end", "2026-12-31"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (status, _) = demo.get(&stranger, "/engagements/nb-2026").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another tenant's engagement is an unknown page"
    );
    let (status, body) = demo
        .post(
            &admin,
            "/engagements/nb-2026/assessors",
            &[
                ("firm", "harbour-assurance"),
                ("assessors", "eleanor.voss@harbour-assurance.example"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");

    // The customer answers one question through the form.
    let page = demo.page(&officer, "/engagements/nb-2026").await;
    let controls = texts(&page, "#questions tbody th a");
    assert!(
        !controls.is_empty(),
        "the questionnaire lists the in-scope questions"
    );
    let first = controls[0].clone();
    assert!(
        page.contains(&format!("id=\"answer-{first}\"")),
        "the officer gets the answer form"
    );
    assert!(
        page.contains("questionnaire/export?format=xlsx"),
        "the XLSX download is offered"
    );
    let reader_page = demo.page(&reader, "/engagements/nb-2026").await;
    assert!(!reader_page.contains("Save answers"), "a viewer reads only");
    let answer_field = format!("answer-{first}");
    let explanation_field = format!("explanation-{first}");
    let (status, body) = demo
        .post(
            &officer,
            "/engagements/nb-2026/answers",
            &[
                (answer_field.as_str(), "partial"),
                (
                    explanation_field.as_str(),
                    "Rolled out to two of three teams.",
                ),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let page = demo.page(&officer, "/engagements/nb-2026").await;
    assert!(page.contains("1 of "), "one answer saved");
    assert!(page.contains("Rolled out to two of three teams."));

    // A questionnaire file with errors: every row error listed, the answers unchanged.
    let csv = format!("control,answer,explanation,evidence\nNOPE-1,yes,,\n{first},perhaps,,\n");
    let (status, body) = multipart(
        &demo,
        &officer,
        "/engagements/nb-2026/questionnaire",
        "answers.csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_well_formed("refused questionnaire", &body);
    let rows = texts(&body, "#row-errors tbody tr td:first-child");
    assert_eq!(rows, vec!["2", "3"], "every row error: {body}");
    let page = demo.page(&officer, "/engagements/nb-2026").await;
    assert!(
        page.contains("1 of "),
        "a refused file leaves the answers as they were"
    );

    // The provider's test of an inherited control in scope, recorded once through the API, shows on the
    // customer's page as a reused result without the provider's notes.
    let (_, in_scope_controls) = assure_store::engagement::in_scope(
        &demo.state.store,
        &assure_store::TenantScope::AllTenants,
        &"nb-2026".into(),
    )
    .await
    .expect("scope");
    let inherited = in_scope_controls
        .iter()
        .find(|c| c.inherited())
        .expect("an inherited control in scope")
        .control
        .to_string();
    let request = serde_json::json!({
        "control": inherited,
        "period": {"kind": "period", "start": "2025-07-01", "end": "2026-12-31"},
        "method": "inspection",
        "result": "effective",
        "notes": "provider-internal: hall B",
        "sample": {"population_description": "days", "population": 549, "size": 25, "seed": "prov"},
    });
    let (status, body) = demo
        .send(
            &admin,
            Request::post("/api/v1/provider-tests")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(request.to_string()))
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let page = demo.page(&officer, "/engagements/nb-2026").await;
    let reused = texts(&page, "#inherited-results tbody th");
    assert_eq!(reused, vec![inherited.clone()], "{page}");
    assert!(
        !page.contains("provider-internal"),
        "the provider's notes stay hidden"
    );
    let (status, body) = demo
        .get(&admin, "/api/v1/engagements/nb-2026/inherited-results")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains(&inherited) && !body.contains("provider-internal"),
        "{body}"
    );

    // Fieldwork: the assessor records a result with its sample; the security lead is refused.
    let (status, _) = demo
        .post(
            &admin,
            "/engagements/nb-2026/transitions",
            &[("step", "start-fieldwork")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let lead_page = demo.page(&lead, "/engagements/nb-2026").await;
    assert!(
        !lead_page.contains("Record a test result"),
        "the tier names the assessors only"
    );
    let page = demo.page(&assessor, "/engagements/nb-2026").await;
    assert!(page.contains("Record a test result"));
    let test = [
        ("control", first.as_str()),
        ("method", "inspection"),
        ("result", "effective"),
        ("population_description", "changes in 2026"),
        ("population", "120"),
        ("size", "10"),
        ("seed", "page-seed"),
        ("notes", "ten changes inspected"),
    ];
    let (status, body) = demo.post(&lead, "/engagements/nb-2026/tests", &test).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the lead is refused by the tier: {body}"
    );
    let (status, body) = demo
        .post(&assessor, "/engagements/nb-2026/tests", &test)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let page = demo.page(&officer, "/engagements/nb-2026").await;
    let results = texts(&page, "#test-results tbody td");
    assert!(
        results.iter().any(|t| t.contains("seed page-seed")),
        "{results:?}"
    );

    // Signing: the assessor alone gets the button.
    let (status, _) = demo
        .post(
            &admin,
            "/engagements/nb-2026/transitions",
            &[("step", "start-reporting")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    for who in [&officer, &lead, &admin] {
        let page = demo.page(who, "/engagements/nb-2026").await;
        assert!(
            !page.contains("Sign the engagement"),
            "{} gets no sign button",
            who.user
        );
    }
    let page = demo.page(&assessor, "/engagements/nb-2026").await;
    assert!(page.contains("Sign the engagement"));
    let (status, body) = demo
        .post(
            &assessor,
            "/engagements/nb-2026/transitions",
            &[("step", "sign")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let page = demo.page(&admin, "/engagements/nb-2026").await;
    assert_eq!(texts(&page, "#engagement-state"), vec!["signed"]);
    assert!(page.contains("Roll forward"));
}

#[tokio::test]
async fn the_trust_center_page_requests_decides_and_refuses_a_download_naming_why() {
    let demo = demo().await;
    let officer = viewer(
        "fiona.macleod@northbank.example",
        Role::CustomerComplianceOfficer,
        Some("northbank"),
    );
    let lead = viewer(
        "security-lead@contour.example",
        Role::ProviderSecurityLead,
        None,
    );
    let page = demo.page(&officer, "/trust").await;
    assert!(page.contains("No document is published yet."));
    let library = demo
        .state
        .evidence
        .as_ref()
        .expect("repository")
        .trust_library()
        .expect("library");
    let document = library
        .publish(
            &Actor::system("test"),
            assure_evidence::trust::NewTrustDocument {
                title: "Penetration test summary 2026".into(),
                kind: assure_domain::trust::PackageKind::PenetrationTestSummary,
                issued: time::macros::date!(2026 - 03 - 01),
                period_start: None,
                period_end: None,
                terms: "Do not share outside your security team.".into(),
                media_type: "application/pdf".into(),
                file_name: "pentest.pdf".into(),
                published_by: "security-lead@contour.example".into(),
            },
            assure_reports::trust_pdf::text_pdf("Pentest", &["summary"])
                .expect("pdf")
                .into(),
        )
        .await
        .expect("publish");
    let page = demo.page(&officer, "/trust").await;
    assert!(page.contains("Request access to Penetration test summary 2026"));
    let download = format!("/trust/documents/{}/download", document.id);
    let (status, body) = demo.get(&officer, &download).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body.contains("no access request") && body.contains("NDA"),
        "every reason is named: {body}"
    );
    let (status, body) = demo
        .post(
            &officer,
            "/trust/requests",
            &[
                ("document", document.id.as_str()),
                ("justification", "annual review"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let page = demo.page(&lead, "/trust").await;
    assert!(page.contains("Approve for northbank"), "{page}");
    let (status, body) = demo
        .post(
            &officer,
            &format!("/trust/documents/{}/terms", document.id),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let page = demo.page(&officer, "/trust").await;
    assert!(page.contains("Request: requested."), "{page}");
    assert!(page.contains("You accepted the terms."));
}
