//! The baseline pages on a demo-loaded SQLite store: stewards open a draft, edit an entry, see the impact
//! on exactly the tenants using the service, submit, approve (never the author) and publish; the customer
//! sees its notice and acknowledges it; the pages keep the structural rules of every page; other roles get
//! the same 404 as an unknown page.

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

struct Demo {
    state: Arc<AppState<SqliteStore>>,
    token: String,
    _dir: tempfile::TempDir,
}

fn steward(user: &str, role: Role) -> Viewer {
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
                id: "baseline-pages".into(),
                user: "admin@contour.example".into(),
                name: "baseline page tests".into(),
                token_hash: secret.hash.clone(),
                at: time::OffsetDateTime::now_utc(),
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

/// The tenants named in the impact table of a version page.
fn impact_tenants(body: &str) -> Vec<String> {
    let doc = Html::parse_document(body);
    let Some(table) = doc
        .select(&select("table"))
        .find(|t| t.text().any(|x| x.contains("Every cell that moves")))
    else {
        return Vec::new();
    };
    let mut out: Vec<String> = table
        .select(&select("tbody tr td:first-child"))
        .map(|td| td.text().collect::<String>())
        .collect();
    out.dedup();
    out
}

#[tokio::test]
async fn a_steward_edits_reviews_and_publishes_and_the_customer_acknowledges() {
    let demo = demo().await;
    let lead = steward("security-lead@contour.example", Role::ProviderSecurityLead);
    let admin = steward("admin@contour.example", Role::ProviderAdmin);
    let officer = customer(Role::CustomerComplianceOfficer);

    let (status, _) = demo.get(&officer, "/baseline").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "customers do not steward the baseline"
    );
    let index = demo.page(&lead, "/baseline").await;
    assert!(index.contains("Open a draft"));

    let (status, _) = demo
        .post(
            &lead,
            "/baseline",
            &[
                ("trigger", "periodic-review"),
                ("rationale", "annual review"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = demo
        .post(
            &lead,
            "/baseline/v2/changes",
            &[
                ("service", "database"),
                ("control", "VUL-03"),
                ("responsibility", "shared"),
                ("provider_part", "Builds and tests engine patches."),
                ("customer_part", "Applies engine patches in its window."),
                ("reason", "Engine patches need the customer's window."),
                ("rationale", "threat intelligence"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, body) = demo
        .post(
            &lead,
            "/baseline/v2/changes",
            &[
                ("service", "database"),
                ("control", "NOPE-1"),
                ("responsibility", "shared"),
                ("reason", "r"),
                ("rationale", "r"),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an invalid change is refused with why"
    );
    assert!(body.contains("NOPE-1"), "{body}");

    let version = demo.page(&lead, "/baseline/v2").await;
    assert!(version.contains("database/VUL-03"));
    let mut tenants = impact_tenants(&version);
    tenants.sort();
    let programme = assure_content::demo().expect("demo");
    let mut users: Vec<String> = programme
        .tenants
        .iter()
        .filter(|t| t.services.iter().any(|s| s.service.as_str() == "database"))
        .map(|t| t.id.to_string())
        .collect();
    users.sort();
    assert_eq!(
        tenants, users,
        "the impact names exactly the tenants using the service"
    );

    let (status, _) = demo
        .post(
            &lead,
            "/baseline/v2/transitions",
            &[
                ("transition", "submit"),
                ("reviewers", "admin@contour.example"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, body) = demo
        .post(
            &lead,
            "/baseline/v2/transitions",
            &[("transition", "approve")],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("two-person rule"), "{body}");
    let in_review = demo.page(&admin, "/baseline/v2").await;
    assert!(in_review.contains(">Approve</button>"));
    let (status, _) = demo
        .post(
            &admin,
            "/baseline/v2/transitions",
            &[("transition", "approve")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = demo
        .post(
            &admin,
            "/baseline/v2/transitions",
            &[("transition", "publish"), ("effective", "")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let published = demo.page(&admin, "/baseline/v2").await;
    assert!(published.contains("published") && !published.contains(">Approve</button>"));

    let viewer = customer(Role::CustomerViewer);
    let seen = demo.page(&viewer, "/notices").await;
    assert!(
        seen.contains("VUL-03") && !seen.contains("/acknowledge"),
        "a viewer sees, without the form"
    );
    let notices = demo.page(&officer, "/notices").await;
    assert!(notices.contains("/notices/v2-northbank/acknowledge"));
    assert!(
        !notices.contains("kestrel") && !notices.contains("v2-lionrock"),
        "only its own notice"
    );
    let (status, _) = demo
        .post(&officer, "/notices/v2-lionrock/acknowledge", &[])
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another tenant's notice is not found"
    );
    let (status, _) = demo
        .post(&officer, "/notices/v2-northbank/acknowledge", &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let after = demo.page(&officer, "/notices").await;
    assert!(after.contains("Acknowledged by user:fiona.macleod@northbank.example"));
}
