//! The web UI, page by page, on a demo-loaded SQLite store: each page renders for a role that may see it
//! with the content it promises; a customer reaches only its own tenant (a foreign tenant's pages are the
//! same 404 as a tenant that does not exist); every page is well-formed enough for assistive technology
//! (labels for every input, landmarks, table headers with scope) and carries no inline script or style.
//!
//! Who is looking is decided here by an outer layer inserting a `Viewer` (test code only): the product's
//! router keeps an outer viewer and only fills one in when none was set.

use std::sync::Arc;

use assure_domain::evidence::{EvidenceClaim, EvidenceKind, EvidenceLink, EvidenceSource};
use assure_domain::user::Role;
use assure_evidence::{BlobStore, MasterKey, Repository, UploadRequest};
use assure_server::AppState;
use assure_server::pages::Viewer;
use assure_store::{Actor, EvidenceQuery, SqliteStore, Store, TenantScope};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::{Extension, Router};
use http_body_util::BodyExt;
use scraper::{Html, Selector};
use tower::ServiceExt;

const HOME: &str = "northbank";
const FOREIGN: &str = "brightpath";

struct Demo {
    state: Arc<AppState<SqliteStore>>,
    /// The first and second version of one northbank record.
    first: String,
    second: String,
    /// A record of the foreign tenant.
    foreign_record: String,
    /// An API token of the demo provider admin: the requests pass authentication with it, and the page
    /// tests then decide the viewer in an outer layer (which the session layer never overwrites).
    token: String,
    _dir: tempfile::TempDir,
}

fn provider() -> Viewer {
    Viewer {
        user: "pat@contour.example".into(),
        name: "Pat Provider".into(),
        role: Role::ProviderSecurityLead,
        tenant: None,
        scope: TenantScope::AllTenants,
        csrf_token: "csrf-provider".into(),
    }
}

fn customer(role: Role) -> Viewer {
    Viewer {
        user: "casey@northbank.example".into(),
        name: "Casey Customer".into(),
        role,
        tenant: Some(HOME.into()),
        scope: TenantScope::Tenant(HOME.into()),
        csrf_token: "csrf-customer".into(),
    }
}

async fn upload(
    repo: &Repository<SqliteStore>,
    tenant: &str,
    title: &str,
    supersedes: Option<&str>,
) -> String {
    let request = UploadRequest {
        tenant: tenant.into(),
        claim: EvidenceClaim {
            kind: EvidenceKind::AccessLog,
            title: title.into(),
            collected_at: time::OffsetDateTime::now_utc() - time::Duration::days(2),
            period: None,
            expires_on: Some(time::OffsetDateTime::now_utc().date() - time::Duration::days(1)),
            source: EvidenceSource::ManualUpload,
            links: vec![EvidenceLink::Control {
                control: "IAM-01".into(),
            }],
        },
        media_type: "text/plain".into(),
        file_name: Some("log.txt".into()),
        uploader: "test".into(),
        supersedes: supersedes.map(assure_domain::evidence::EvidenceId::new),
    };
    let body = futures_util::stream::once(async move {
        Ok::<_, std::convert::Infallible>(axum::body::Bytes::from(format!("log of {title}")))
    });
    repo.upload(
        &TenantScope::AllTenants,
        &Actor::system("test"),
        request,
        body,
    )
    .await
    .expect("upload")
    .id
    .as_str()
    .to_owned()
}

async fn demo() -> Demo {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("assure.db").display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    let programme = assure_content::demo().expect("demo content");
    store
        .import_programme(&Actor::system("test"), &programme)
        .await
        .expect("import");
    store
        .mark_initialised(&Actor::system("test"), true)
        .await
        .expect("initialised");
    let blobs = BlobStore::local(&dir.path().join("evidence")).expect("blobs");
    let master = MasterKey::from_hex(&"11".repeat(32), "test").expect("key");
    let repo = Repository::new(store.clone(), blobs, master, 10 * 1024 * 1024);
    let first = upload(&repo, HOME, "VPN access log, first", None).await;
    let second = upload(&repo, HOME, "VPN access log, second", Some(&first)).await;
    let foreign_record = upload(&repo, FOREIGN, "Foreign secret log", None).await;
    let secret = assure_auth::new_api_token().expect("token");
    store
        .create_api_token(
            &Actor::system("test"),
            &assure_store::NewApiToken {
                id: "pages".into(),
                user: "admin@contour.example".into(),
                name: "page tests".into(),
                token_hash: secret.hash.clone(),
                at: time::OffsetDateTime::now_utc(),
                expires_at: None,
            },
        )
        .await
        .expect("token");
    let state = AppState::with_evidence(store, repo);
    state.set_ready();
    Demo {
        state,
        first,
        second,
        foreign_record,
        token: secret.text,
        _dir: dir,
    }
}

impl Demo {
    /// The product's router with `viewer` decided by an outer layer, as the session layer will.
    fn app(&self, viewer: &Viewer) -> Router {
        assure_server::router(self.state.clone()).layer(Extension(viewer.clone()))
    }

    async fn send(
        &self,
        viewer: &Viewer,
        mut request: Request<Body>,
    ) -> (StatusCode, String, axum::http::HeaderMap) {
        if let Ok(value) = axum::http::HeaderValue::from_str(&format!("Bearer {}", self.token)) {
            request
                .headers_mut()
                .insert(axum::http::header::AUTHORIZATION, value);
        }
        let response = self.app(viewer).oneshot(request).await.expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (
            status,
            String::from_utf8_lossy(&bytes).into_owned(),
            headers,
        )
    }

    async fn get(&self, viewer: &Viewer, path: &str) -> (StatusCode, String) {
        let request = Request::get(path).body(Body::empty()).expect("request");
        let (status, body, _) = self.send(viewer, request).await;
        (status, body)
    }

    /// Asserts a 200 with every expected text, and that the page passes the structural checks.
    async fn page(&self, viewer: &Viewer, path: &str, expected: &[&str]) -> String {
        let (status, body) = self.get(viewer, path).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{path} as {}: {body}",
            viewer.role.as_str()
        );
        for text in expected {
            assert!(body.contains(text), "{path} should show {text:?}");
        }
        assert_well_formed(path, &body);
        body
    }
}

fn select(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
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
        "{path}: one <main id=main>"
    );
    assert_eq!(
        doc.select(&select("a.skip-link[href='#main']")).count(),
        1,
        "{path}: a skip link to the main content"
    );
    assert_eq!(
        doc.select(&select("html[lang]")).count(),
        1,
        "{path}: html lang"
    );
    assert_eq!(
        doc.select(&select("h1")).count(),
        1,
        "{path}: exactly one h1"
    );
    assert!(
        doc.select(&select("title")).next().is_some(),
        "{path}: a title"
    );
    for script in doc.select(&select("script")) {
        assert!(
            script.value().attr("src").is_some(),
            "{path}: a script without src"
        );
        assert!(
            script.text().collect::<String>().trim().is_empty(),
            "{path}: inline script content"
        );
    }
    assert_eq!(
        doc.select(&select("style")).count(),
        0,
        "{path}: a <style> element"
    );
    assert_eq!(
        doc.select(&select("[style]")).count(),
        0,
        "{path}: a style= attribute"
    );
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
            "{path}: <th> without scope: {}",
            th.html()
        );
    }
    for svg in doc.select(&select("svg")) {
        assert!(
            svg.value().attr("aria-labelledby").is_some(),
            "{path}: an unlabelled svg"
        );
        assert!(
            svg.select(&select("title")).next().is_some(),
            "{path}: svg without <title>"
        );
        assert!(
            svg.select(&select("desc")).next().is_some(),
            "{path}: svg without <desc>"
        );
    }
}

#[tokio::test]
async fn every_page_renders_for_a_provider_with_its_content() {
    let demo = demo().await;
    let v = provider();
    let first = demo.first.clone();
    let pages: Vec<(String, Vec<&str>)> = vec![
        (
            "/".into(),
            vec![
                "Dashboard",
                "Controls by domain",
                "Default responsibility by service model",
            ],
        ),
        (
            "/controls".into(),
            vec!["IAM-01", "Showing 1–25 of 110 controls"],
        ),
        (
            "/controls/IAM-01".into(),
            vec![
                "Multi-factor authentication for privileged access",
                "Test procedure",
                "Mappings",
                "Responsibility by service model",
            ],
        ),
        (
            "/frameworks".into(),
            vec!["ISO/IEC 27001", "Covered or partly"],
        ),
        (
            "/frameworks/iso27001-2022".into(),
            vec!["A.5.15", "Mapped controls"],
        ),
        (
            "/services".into(),
            vec!["Service-model defaults of every control", "IaaS"],
        ),
        ("/services/defaults".into(), vec!["IAM-01", "SaaS"]),
        (
            "/tenants".into(),
            vec!["Northbank Financial plc", "Brightpath Labs GmbH"],
        ),
        (
            format!("/tenants/{HOME}"),
            vec![
                "Northbank Financial plc",
                "Services in use",
                "Frameworks of interest",
            ],
        ),
        (
            format!("/tenants/{HOME}/matrix"),
            vec![
                "Responsibility matrix of Northbank Financial plc",
                "Security of the cloud",
                "format=xlsx",
                "format=crm",
                "format=soa",
                "format=oscal",
                "format=csv",
            ],
        ),
        (
            format!("/tenants/{HOME}/matrix/IAM-01"),
            vec!["Explanation per service", "service-model default"],
        ),
        (
            format!("/tenants/{HOME}/frameworks/iso27001-2022"),
            vec!["Contributing controls", "A.5.15"],
        ),
        (
            format!("/tenants/{HOME}/soa"),
            vec![
                "Statement of Applicability",
                "Complementary user entity controls",
                "A.5.1",
            ],
        ),
        (
            format!("/tenants/{HOME}/evidence"),
            vec!["VPN access log, second", "Showing 1–1 of 1 current records"],
        ),
        (
            format!("/tenants/{HOME}/evidence/{first}"),
            vec![
                "VPN access log, first",
                "A newer version supersedes this record",
                "Versions",
            ],
        ),
        (
            format!("/tenants/{HOME}/evidence/new"),
            vec![
                "Upload evidence",
                "enctype=\"multipart/form-data\"",
                "name=\"csrf_token\" value=\"csrf-provider\"",
            ],
        ),
    ];
    for (path, expected) in &pages {
        demo.page(&v, path, expected).await;
    }
}

#[tokio::test]
async fn a_customer_sees_its_own_tenant_and_foreign_tenant_pages_are_404() {
    let demo = demo().await;
    let v = customer(Role::CustomerComplianceOfficer);
    let list = demo
        .page(&v, "/tenants", &["Northbank Financial plc"])
        .await;
    assert!(
        !list.contains("Brightpath"),
        "a customer's tenant list shows only its own tenant"
    );
    demo.page(&v, &format!("/tenants/{HOME}/matrix"), &["Northbank"])
        .await;
    demo.page(
        &v,
        &format!("/tenants/{HOME}/evidence/{}", demo.second),
        &["VPN access log, second"],
    )
    .await;

    let (_, unknown_body) = demo.get(&v, "/tenants/no-such-tenant").await;
    let foreign_paths = [
        format!("/tenants/{FOREIGN}"),
        format!("/tenants/{FOREIGN}/matrix"),
        format!("/tenants/{FOREIGN}/matrix/IAM-01"),
        format!("/tenants/{FOREIGN}/frameworks/iso27001-2022"),
        format!("/tenants/{FOREIGN}/soa"),
        format!("/tenants/{FOREIGN}/evidence"),
        format!("/tenants/{FOREIGN}/evidence/new"),
        format!("/tenants/{FOREIGN}/evidence/{}", demo.foreign_record),
        // A foreign record under the customer's own tenant is as unknown as any other ID.
        format!("/tenants/{HOME}/evidence/{}", demo.foreign_record),
    ];
    for path in &foreign_paths {
        let (status, body) = demo.get(&v, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            body, unknown_body,
            "{path}: the same answer as for an unknown tenant"
        );
        assert!(
            !body.contains("Brightpath") && !body.contains("Foreign secret"),
            "{path} leaks"
        );
    }
}

#[tokio::test]
async fn navigation_shows_only_what_the_role_may_use() {
    let demo = demo().await;
    let nav = |body: &str| -> Vec<String> {
        let doc = Html::parse_document(body);
        doc.select(&select("nav[aria-label=Main] a"))
            .filter_map(|a| a.value().attr("href").map(str::to_owned))
            .collect()
    };
    let (_, body) = demo.get(&provider(), "/").await;
    let links = nav(&body);
    assert!(links.contains(&"/tenants".to_owned()), "{links:?}");
    assert!(
        !links.iter().any(|l| l.starts_with("/tenants/")),
        "{links:?}"
    );

    let viewer = customer(Role::CustomerViewer);
    let (_, body) = demo.get(&viewer, "/").await;
    let links = nav(&body);
    assert!(!links.contains(&"/tenants".to_owned()), "{links:?}");
    assert!(
        links.contains(&format!("/tenants/{HOME}/matrix")),
        "{links:?}"
    );
    assert!(
        links.contains(&format!("/tenants/{HOME}/evidence")),
        "{links:?}"
    );

    // A customer viewer may not upload: no link, no form, and the POST is refused.
    let (_, evidence) = demo
        .get(&viewer, &format!("/tenants/{HOME}/evidence"))
        .await;
    assert!(!evidence.contains("/evidence/new"));
    let (status, _) = demo
        .get(&viewer, &format!("/tenants/{HOME}/evidence/new"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, evidence) = demo
        .get(
            &customer(Role::CustomerComplianceOfficer),
            &format!("/tenants/{HOME}/evidence"),
        )
        .await;
    assert!(evidence.contains(&format!("/tenants/{HOME}/evidence/new")));
}

#[tokio::test]
async fn the_current_section_is_marked_for_assistive_technology() {
    let demo = demo().await;
    let (_, body) = demo.get(&provider(), "/controls/IAM-01").await;
    let doc = Html::parse_document(&body);
    let current: Vec<String> = doc
        .select(&select("nav[aria-label=Main] a[aria-current=page]"))
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect();
    assert_eq!(current, vec!["/controls".to_owned()]);
}

#[tokio::test]
async fn the_controls_list_filters_sorts_and_pages() {
    let demo = demo().await;
    let v = provider();
    let rows = |body: &str| -> Vec<String> {
        let doc = Html::parse_document(body);
        doc.select(&select("#results tbody th a"))
            .map(|a| a.text().collect::<String>())
            .collect()
    };
    let (_, body) = demo.get(&v, "/controls?domain=IAM").await;
    let ids = rows(&body);
    assert!(
        !ids.is_empty() && ids.iter().all(|id| id.starts_with("IAM-")),
        "{ids:?}"
    );

    let (_, body) = demo.get(&v, "/controls?sort=-id").await;
    let ids = rows(&body);
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(ids, sorted);

    let (_, page1) = demo.get(&v, "/controls").await;
    let (_, page2) = demo.get(&v, "/controls?page=2").await;
    assert_eq!(rows(&page1).len(), 25);
    assert!(page2.contains("Showing 26–50 of 110 controls"));
    assert!(rows(&page1).iter().all(|id| !rows(&page2).contains(id)));
    assert!(
        page1.contains("href=\"/controls?page=2\""),
        "a link to the next page"
    );

    let (_, body) = demo.get(&v, "/controls?q=multi-factor").await;
    assert!(rows(&body).contains(&"IAM-01".to_owned()));

    let (status, _) = demo.get(&v, "/controls?sort=colour").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = demo.get(&v, "/controls?domain=NOPE").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_matrix_filters_by_responsibility_and_domain() {
    let demo = demo().await;
    let v = provider();
    let (_, body) = demo
        .get(
            &v,
            &format!("/tenants/{HOME}/matrix?responsibility=customer&domain=IAM"),
        )
        .await;
    let doc = Html::parse_document(&body);
    let badges: Vec<String> = doc
        .select(&select("#results tbody .badge"))
        .map(|b| b.text().collect::<String>())
        .collect();
    assert!(
        !badges.is_empty(),
        "northbank has customer-owned IAM controls"
    );
    assert!(badges.iter().all(|b| b == "customer"), "{badges:?}");
    let controls: Vec<String> = doc
        .select(&select("#results tbody th a"))
        .map(|a| a.text().collect::<String>())
        .collect();
    assert!(
        controls.iter().all(|c| c.starts_with("IAM-")),
        "{controls:?}"
    );
    let (status, _) = demo
        .get(
            &v,
            &format!("/tenants/{HOME}/matrix?responsibility=everyone"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_dashboard_chart_has_a_table_alternative_with_the_same_numbers() {
    let demo = demo().await;
    let (_, body) = demo.get(&provider(), "/").await;
    let doc = Html::parse_document(&body);
    let table = doc
        .select(&select("figure.chart table"))
        .next()
        .expect("a data table under the first chart");
    let total: usize = table
        .select(&select("tbody td"))
        .map(|td| {
            td.text()
                .collect::<String>()
                .trim()
                .parse::<usize>()
                .expect("a count")
        })
        .sum();
    assert_eq!(total, 110, "every control counted once by domain");
    let bars = doc.select(&select("svg rect.seg-bar")).count();
    assert_eq!(bars, 15, "one bar per domain");
}

#[tokio::test]
async fn evidence_uploads_through_the_form_and_redirects_to_the_record() {
    let demo = demo().await;
    let v = customer(Role::CustomerComplianceOfficer);
    let boundary = "XBOUNDARYX";
    let field = |name: &str, value: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
    };
    let mut body = String::new();
    body.push_str(&field("csrf_token", "csrf-customer"));
    body.push_str(&field("kind", "policy"));
    body.push_str(&field("title", "Password policy 2026"));
    body.push_str(&field("collected_at", "2026-01-05T09:30"));
    body.push_str(&field("period_start", ""));
    body.push_str(&field("period_end", ""));
    body.push_str(&field("expires_on", ""));
    body.push_str(&field("control", "IAM-01"));
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"policy.txt\"\r\nContent-Type: text/plain\r\n\r\nMinimum length 14.\r\n--{boundary}--\r\n"
    ));
    let post = |tenant: &str| {
        Request::post(format!("/tenants/{tenant}/evidence"))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body.clone()))
            .expect("request")
    };
    let (status, _, headers) = demo.send(&v, post(HOME)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = headers
        .get(header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .expect("a Location")
        .to_owned();
    assert!(
        location.starts_with(&format!("/tenants/{HOME}/evidence/")),
        "{location}"
    );
    demo.page(
        &v,
        &location,
        &[
            "Password policy 2026",
            "2026-01-05T09:30:00Z",
            "IAM-01",
            "policy.txt",
        ],
    )
    .await;

    // Into a foreign tenant: the same 404, and nothing stored there.
    let before = demo
        .state
        .store
        .list_evidence(
            &TenantScope::AllTenants,
            &EvidenceQuery::current(FOREIGN.into()),
        )
        .await
        .expect("list")
        .total;
    let (status, _, _) = demo.send(&v, post(FOREIGN)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let after = demo
        .state
        .store
        .list_evidence(
            &TenantScope::AllTenants,
            &EvidenceQuery::current(FOREIGN.into()),
        )
        .await
        .expect("list")
        .total;
    assert_eq!(before, after);

    // A role that may not edit the tenant cannot upload either.
    let (status, _, _) = demo.send(&customer(Role::CustomerViewer), post(HOME)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A claim from the future is refused with the reason, as an HTML page.
    let future = body.replace("2026-01-05T09:30", "2999-01-01T00:00");
    let request = Request::post(format!("/tenants/{HOME}/evidence"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(future))
        .expect("request");
    let (status, page, _) = demo.send(&v, request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("in the future"), "{page}");
}

#[tokio::test]
async fn static_assets_are_embedded_and_cached_for_a_year() {
    let demo = demo().await;
    for (path, kind) in [
        ("/static/app.css", "text/css"),
        ("/static/upload.js", "text/javascript"),
        ("/static/vendor/htmx.min.js", "text/javascript"),
    ] {
        let request = Request::get(path).body(Body::empty()).expect("request");
        let (status, body, headers) = demo.send(&provider(), request).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!body.is_empty());
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        let cache = headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            cache.contains("max-age=31536000") && cache.contains("immutable"),
            "{path}: {cache}"
        );
    }
    let (status, _) = demo.get(&provider(), "/static/../Cargo.toml").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, page) = demo.get(&provider(), "/").await;
    assert!(
        page.contains("/static/vendor/htmx.min.js?v="),
        "pages link versioned assets"
    );
}

#[test]
fn the_vendored_htmx_is_the_version_and_digest_its_readme_records() {
    use sha2::{Digest, Sha256};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/vendor");
    let readme = std::fs::read_to_string(dir.join("README.md")).expect("README");
    let bytes = std::fs::read(dir.join("htmx.min.js")).expect("htmx");
    let digest = hex::encode(Sha256::digest(&bytes));
    assert!(readme.contains(&digest), "README records sha256 {digest}");
    assert!(String::from_utf8_lossy(&bytes).contains("version:\"2.0.11\""));
}

#[tokio::test]
async fn pages_without_a_viewer_are_refused() {
    let demo = demo().await;
    // The page routes alone, without the layer that decides who is looking.
    let app: Router = assure_server::pages::routes::<SqliteStore>()
        .into_router()
        .with_state(demo.state.clone());
    let response = app
        .oneshot(
            Request::get("/controls")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_profile_form_changes_a_profile_only_when_all_of_it_is_sound() {
    let demo = demo().await;
    let v = customer(Role::CustomerComplianceOfficer);
    let form = demo
        .page(
            &v,
            &format!("/tenants/{HOME}/profile"),
            &["Services and options", "Regions", "Frameworks of interest"],
        )
        .await;
    assert!(form.contains("name=\"csrf_token\" value=\"csrf-customer\""));
    let stored = |demo: &Demo| {
        let store = demo.state.store.clone();
        async move {
            store
                .get_tenant(&TenantScope::AllTenants, &HOME.into())
                .await
                .expect("get")
                .expect("tenant")
        }
    };
    let before = stored(&demo).await;
    assert!(
        before.frameworks.len() >= 2,
        "northbank has frameworks to drop"
    );

    // The stored profile minus its first framework.
    let mut fields = vec![("csrf_token".to_owned(), "csrf-customer".to_owned())];
    for u in &before.services {
        fields.push(("service".into(), u.service.as_str().into()));
        for o in &u.options {
            fields.push(("option".into(), format!("{}:{}", u.service, o)));
        }
    }
    for r in &before.regions {
        fields.push(("region".into(), r.as_str().into()));
    }
    for f in before.frameworks.iter().skip(1) {
        fields.push(("framework".into(), f.as_str().into()));
    }
    let encode = |fields: &[(String, String)]| {
        fields
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace(':', "%3A")))
            .collect::<Vec<_>>()
            .join("&")
    };
    let post = |body: String| {
        Request::post(format!("/tenants/{HOME}/profile"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request")
    };

    // A region no service of the tenant runs in is refused, with the reason, and nothing changes.
    let mut bad = fields.clone();
    bad.push(("region".into(), "no-such-region".into()));
    let (status, page, _) = demo.send(&v, post(encode(&bad))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("unknown region no-such-region"), "{page}");
    assert_well_formed("profile refused", &page);
    assert_eq!(stored(&demo).await, before);

    let (status, _, headers) = demo.send(&v, post(encode(&fields))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers.get(header::LOCATION).and_then(|l| l.to_str().ok()),
        Some(format!("/tenants/{HOME}").as_str())
    );
    let after = stored(&demo).await;
    assert_eq!(after.frameworks, before.frameworks[1..].to_vec());
    assert_eq!(after.services, before.services);

    // Read-only roles and foreign tenants: the same 404, nothing changed.
    let (status, _, _) = demo
        .send(&customer(Role::CustomerViewer), post(encode(&bad)))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let foreign = Request::post(format!("/tenants/{FOREIGN}/profile"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("framework=gdpr"))
        .expect("request");
    let (status, _, _) = demo.send(&v, foreign).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The viewer of `role` as the session layer makes it: provider roles and oversight see every tenant, a
/// customer role its own, an assessor the tenants of its engagements (none yet).
fn viewer_of(role: Role) -> Viewer {
    let (tenant, scope) = if role.is_customer() {
        (Some(HOME.into()), TenantScope::Tenant(HOME.into()))
    } else if role == Role::Assessor {
        (None, TenantScope::Tenants(Default::default()))
    } else {
        (None, TenantScope::AllTenants)
    };
    Viewer {
        user: format!("{}@example.test", role.as_str()),
        name: role.as_str().to_owned(),
        role,
        tenant,
        scope,
        csrf_token: "csrf".into(),
    }
}

/// Same-site links of a page (without the API, static assets and the account pages, which are not
/// page routes), in document order, each once.
fn page_links(body: &str) -> Vec<String> {
    let doc = Html::parse_document(body);
    let mut links: Vec<String> = Vec::new();
    for a in doc.select(&select("a[href]")) {
        let Some(href) = a.value().attr("href") else {
            continue;
        };
        let ours = href.starts_with('/')
            && !href.starts_with("/api/")
            && !href.starts_with("/static/")
            && !href.starts_with("/account");
        if ours && !links.iter().any(|l| l == href) {
            links.push(href.to_owned());
        }
    }
    links
}

#[tokio::test]
async fn every_link_a_role_is_offered_opens_for_that_role() {
    let demo = demo().await;
    for role in Role::ALL {
        let viewer = viewer_of(role);
        let (status, body) = demo.get(&viewer, "/").await;
        assert_eq!(status, StatusCode::OK, "the dashboard as {}", role.as_str());
        let doc = Html::parse_document(&body);
        let nav: Vec<String> = doc
            .select(&select("nav[aria-label=Main] a"))
            .filter_map(|a| a.value().attr("href").map(str::to_owned))
            .collect();
        assert!(!nav.is_empty(), "{} has a navigation", role.as_str());
        // Every navigation entry opens, and so does every tenant link on the pages it leads to (catalogue
        // links are the same for every role; tenant links are where roles differ).
        for section in &nav {
            let (status, page) = demo.get(&viewer, section).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "{} is offered {section}",
                role.as_str()
            );
            for link in page_links(&page)
                .into_iter()
                .filter(|l| l.starts_with("/tenants"))
            {
                let (status, _) = demo.get(&viewer, &link).await;
                assert_eq!(
                    status,
                    StatusCode::OK,
                    "{} is offered {link} on {section}",
                    role.as_str()
                );
            }
        }
        let offers_tenants = nav.iter().any(|l| l.starts_with("/tenants"));
        assert!(
            offers_tenants,
            "{}: every role reads tenants",
            role.as_str()
        );
        if role == Role::Assessor {
            let (_, list) = demo.get(&viewer, "/tenants").await;
            assert!(
                !list.contains("href=\"/tenants/"),
                "an assessor without engagements is offered no tenant"
            );
        }
    }
}

/// A multipart body of text fields and one file.
fn multipart(fields: &[(&str, &str)], file_name: &str, file: &str) -> (String, String) {
    let boundary = "IMPORTBOUNDARY";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/json\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A small OSCAL catalog of a new framework (two requirements in one group).
fn story_catalog() -> String {
    serde_json::json!({"catalog": {
        "uuid": "00000000-0000-4000-8000-000000000002",
        "metadata": {"title": "Story Catalog", "last-modified": "2024-01-01T00:00:00Z", "version": "1.0",
                     "oscal-version": "1.1.2"},
        "groups": [{"id": "sg", "title": "Story group", "controls": [
            {"id": "sg-1", "title": "First"}, {"id": "sg-2", "title": "Second"}]}]}})
    .to_string()
}

impl Demo {
    async fn post_multipart(
        &self,
        viewer: &Viewer,
        path: &str,
        (content_type, body): (String, String),
    ) -> (StatusCode, String, axum::http::HeaderMap) {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("request");
        self.send(viewer, request).await
    }

    /// Polls the API until the job ends (or 20 s pass), returning its JSON.
    async fn finished_job(&self, id: &str) -> serde_json::Value {
        for _ in 0..200 {
            let (status, body) = self
                .get(&provider(), &format!("/api/v1/imports/{id}"))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let job: serde_json::Value = serde_json::from_str(&body).expect("job json");
            if matches!(job["state"].as_str(), Some("succeeded" | "failed")) {
                return job;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("import job {id} did not end");
    }
}

#[tokio::test]
async fn a_catalog_is_uploaded_previewed_confirmed_and_imported_as_a_background_job() {
    let demo = demo().await;
    let v = provider();
    demo.page(&v, "/imports", &["Upload and preview", "Recent imports"])
        .await;
    let (status, body, headers) = demo
        .post_multipart(
            &v,
            "/imports?csrf_token=csrf-provider",
            multipart(
                &[("csrf_token", "csrf-provider"), ("kind", "catalog")],
                "story.json",
                &story_catalog(),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let location = headers
        .get(header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .expect("a Location")
        .to_owned();
    let id = location.trim_start_matches("/imports/").to_owned();
    let preview = demo
        .page(
            &v,
            &location,
            &[
                "story-catalog",
                "Story Catalog",
                "3 (1 groups), 3 new",
                "Confirm and import",
            ],
        )
        .await;
    assert!(preview.contains(&format!("action=\"/imports/{id}/confirm\"")));
    let frameworks = demo
        .state
        .store
        .list_frameworks()
        .await
        .expect("frameworks");
    assert!(
        !frameworks.iter().any(|f| f.id.as_str() == "story-catalog"),
        "nothing is stored before the user confirms"
    );

    let confirm = Request::post(format!("/imports/{id}/confirm"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("csrf_token=csrf-provider"))
        .expect("request");
    let (status, body, _) = demo.send(&v, confirm).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let job = demo.finished_job(&id).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["done"], job["total"]);
    assert_eq!(
        job["outcome"]["framework"]["requirements_added"], 3,
        "{job}"
    );
    demo.page(
        &v,
        &location,
        &["succeeded", "Result", "requirements added"],
    )
    .await;
    let (status, fragment) = demo.get(&v, &format!("/imports/{id}/progress")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        fragment.contains("3 of 3") && !fragment.contains("hx-trigger"),
        "a finished job stops polling: {fragment}"
    );
    let requirements = demo
        .state
        .store
        .list_requirements(&"story-catalog".into())
        .await
        .expect("requirements");
    assert_eq!(requirements.len(), 3);
    // A second confirmation is refused: the job has ended.
    let again = Request::post(format!("/api/v1/imports/{id}/confirm"))
        .body(Body::empty())
        .expect("request");
    let (status, body, _) = demo.send(&v, again).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test]
async fn the_api_previews_then_imports_and_shows_progress_from_the_store() {
    let demo = demo().await;
    let v = provider();
    let request = Request::post("/api/v1/imports?kind=catalog&file_name=story.json")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(story_catalog()))
        .expect("request");
    let (status, body, headers) = demo.send(&v, request).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let job: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(job["state"], "previewed");
    assert_eq!(job["preview"]["framework"]["id"], "story-catalog");
    assert_eq!(job["preview"]["framework"]["requirements"], 3);
    assert_eq!(
        headers.get(header::LOCATION).and_then(|l| l.to_str().ok()),
        job["links"]["self"].as_str()
    );
    let id = job["id"].as_str().expect("id").to_owned();
    let confirm = Request::post(format!("/api/v1/imports/{id}/confirm"))
        .body(Body::empty())
        .expect("request");
    let (status, body, _) = demo.send(&v, confirm).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let job = demo.finished_job(&id).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let (status, body) = demo.get(&v, "/api/v1/imports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(&id));
}

#[tokio::test]
async fn a_malformed_upload_lists_document_and_pointer_and_stores_nothing() {
    let demo = demo().await;
    let v = provider();
    let before = demo
        .state
        .store
        .list_frameworks()
        .await
        .expect("frameworks");
    let no_title = serde_json::json!({"catalog": {"uuid": "x", "metadata": {
        "last-modified": "2024-01-01T00:00:00Z", "version": "1", "oscal-version": "1.1.2"}}})
    .to_string();
    let request = Request::post("/api/v1/imports?kind=catalog&file_name=no-title.json")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(no_title.clone()))
        .expect("request");
    let (status, body, headers) = demo.send(&v, request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|c| c.to_str().ok()),
        Some("application/problem+json")
    );
    let problem: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        problem["problems"][0]["document"], "no-title.json",
        "{problem}"
    );
    assert_eq!(
        problem["problems"][0]["location"], "/catalog/metadata",
        "{problem}"
    );

    let (status, page, _) = demo
        .post_multipart(
            &v,
            "/imports?csrf_token=csrf-provider",
            multipart(
                &[("csrf_token", "csrf-provider"), ("kind", "catalog")],
                "wrong-root.json",
                "{\"profile\": {\"uuid\": \"p\"}}",
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Nothing imported") && page.contains("wrong-root.json"),
        "{page}"
    );
    assert_well_formed("/imports (refused)", &page);
    assert!(
        demo.state
            .store
            .list_import_jobs(10)
            .await
            .expect("jobs")
            .is_empty(),
        "a refused upload leaves no job"
    );
    assert_eq!(
        demo.state
            .store
            .list_frameworks()
            .await
            .expect("frameworks"),
        before
    );
}

#[tokio::test]
async fn only_provider_admins_and_security_leads_may_import() {
    let demo = demo().await;
    for role in [Role::CustomerComplianceOfficer, Role::CustomerViewer] {
        let v = customer(role);
        let (status, _) = demo.get(&v, "/imports").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{}", role.as_str());
        let (_, home) = demo.get(&v, "/").await;
        assert!(!home.contains("href=\"/imports\""), "{}", role.as_str());
    }
    let (_, home) = demo.get(&provider(), "/").await;
    assert!(home.contains("href=\"/imports\""));
    // The API decides by the token's own user: a customer's token is refused with 403.
    let secret = assure_auth::new_api_token().expect("token");
    demo.state
        .store
        .create_api_token(
            &Actor::system("test"),
            &assure_store::NewApiToken {
                id: "customer".into(),
                user: "fiona.macleod@northbank.example".into(),
                name: "customer".into(),
                token_hash: secret.hash.clone(),
                at: time::OffsetDateTime::now_utc(),
                expires_at: None,
            },
        )
        .await
        .expect("token");
    let response = demo
        .app(&customer(Role::CustomerComplianceOfficer))
        .oneshot(
            Request::post("/api/v1/imports?kind=catalog")
                .header(header::AUTHORIZATION, format!("Bearer {}", secret.text))
                .body(Body::from(story_catalog()))
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
