//! The baseline lifecycle through `/api/v1/baseline`, in process, as the demo's people: who may take
//! each step, the refusals with their reasons, publication with notices, and acknowledgement by the
//! customer it was sent to.

use std::sync::Arc;

use assure_server::{AppState, router};
use assure_store::{Actor, SqliteStore, Store};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const LEAD: &str = "security-lead@contour.example";
const ADMIN: &str = "admin@contour.example";
const OFFICER: &str = "fiona.macleod@northbank.example";
const VIEWER: &str = "audit.viewer@northbank.example";

struct World {
    app: Router,
    tokens: Vec<(&'static str, String)>,
    _dir: tempfile::TempDir,
}

impl World {
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("assure.db").display());
        let store = SqliteStore::connect(&url).await.expect("connect");
        let actor = Actor::system("test");
        store
            .import_programme(&actor, &assure_content::demo().expect("demo"))
            .await
            .expect("import");
        store.mark_initialised(&actor, true).await.expect("init");
        let mut tokens = Vec::new();
        for email in [LEAD, ADMIN, OFFICER, VIEWER] {
            let secret = assure_auth::new_api_token().expect("token");
            store
                .create_api_token(
                    &actor,
                    &assure_store::NewApiToken {
                        id: format!("tok-{}", email.replace(['@', '.'], "-")),
                        user: email.into(),
                        name: "baseline api test".into(),
                        token_hash: secret.hash.clone(),
                        at: time::OffsetDateTime::now_utc(),
                        expires_at: None,
                    },
                )
                .await
                .expect("token");
            tokens.push((email, secret.text));
        }
        let state: Arc<AppState<SqliteStore>> = AppState::new(store);
        state.set_ready();
        Self {
            app: router(state),
            tokens,
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
}

fn entry_change() -> Value {
    json!({
        "rationale": "engine patches need the customer's window",
        "change": {"kind": "entry", "entry": {
            "service": "database", "control": "VUL-03",
            "assignment": {"responsibility": "shared",
                "provider_part": "Builds and tests engine patches.",
                "customer_part": "Applies engine patches in its window."},
            "reason": "CVE-2024-3094"
        }}
    })
}

#[tokio::test]
async fn a_version_goes_from_draft_to_published_and_its_customers_acknowledge() {
    let w = World::new().await;
    let versions = "/api/v1/baseline/versions";
    let trigger = json!({
        "trigger": {"kind": "threat-intelligence", "reference": {"source": "kev", "id": "CVE-2024-3094",
            "url": "https://www.cisa.gov/known-exploited-vulnerabilities-catalog", "date": "2024-03-29"}},
        "rationale": "xz backdoor"
    });
    let (status, _) = w
        .call(OFFICER, "POST", versions, Some(trigger.clone()))
        .await;
    assert_eq!(status, 403, "a customer does not draft the baseline");
    let (status, bad) = w
        .call(LEAD, "POST", versions, Some(json!({"trigger": {"kind": "threat-intelligence",
            "reference": {"source": "cve", "id": "xz", "url": "https://x.example/a", "date": "2024-03-29"}},
            "rationale": "r"})))
        .await;
    assert_eq!(status, 422, "{bad}");
    assert!(
        bad["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not a CVE id"))
    );
    let (status, v) = w.call(LEAD, "POST", versions, Some(trigger)).await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["id"], "v2");
    let uri = |tail: &str| format!("{versions}/v2{tail}");

    let (status, _) = w
        .call(LEAD, "POST", &uri("/changes"), Some(entry_change()))
        .await;
    assert_eq!(status, 201);
    let (status, bad) = w
        .call(
            LEAD,
            "POST",
            &uri("/changes"),
            Some(json!({"rationale": "r", "change":
            {"kind": "remove-entry", "service": "database", "control": "NOPE-1"}})),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    let (status, _) = w
        .call(
            LEAD,
            "POST",
            &uri("/comments"),
            Some(json!({"change": 1, "body": "check the window"})),
        )
        .await;
    assert_eq!(status, 201);

    let step = |t: &str| json!({"transition": t, "reviewers": [ADMIN]});
    let (status, refused) = w
        .call(ADMIN, "POST", &uri("/transitions"), Some(step("publish")))
        .await;
    assert_eq!(status, 409);
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("without approval")),
        "{refused}"
    );
    let (status, _) = w
        .call(LEAD, "POST", &uri("/transitions"), Some(step("submit")))
        .await;
    assert_eq!(status, 200);
    let (status, refused) = w
        .call(LEAD, "POST", &uri("/transitions"), Some(step("approve")))
        .await;
    assert_eq!(status, 409);
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("two-person rule")),
        "{refused}"
    );
    let (status, _) = w
        .call(OFFICER, "POST", &uri("/transitions"), Some(step("approve")))
        .await;
    assert_eq!(status, 403, "a customer has no approval authority");
    let (status, _) = w
        .call(ADMIN, "POST", &uri("/transitions"), Some(step("approve")))
        .await;
    assert_eq!(status, 200);

    let (status, _) = w.call(OFFICER, "GET", &uri("/impact"), None).await;
    assert_eq!(status, 403, "the impact shows every tenant's cells");
    let (status, impact) = w.call(ADMIN, "GET", &uri("/impact"), None).await;
    assert_eq!(status, 200);
    let named: Vec<&str> = impact["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .map(|t| t["tenant"].as_str().expect("tenant"))
        .collect();
    assert!(
        named.contains(&"northbank") && !named.contains(&"brightpath"),
        "{named:?}"
    );

    let (_, before) = w
        .call(OFFICER, "GET", "/api/v1/tenants/northbank/matrix", None)
        .await;
    let instant = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    let (status, published) = w
        .call(ADMIN, "POST", &uri("/transitions"), Some(step("publish")))
        .await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["version"]["state"], "published");
    assert_eq!(published["impact"], impact);
    let (_, after) = w
        .call(OFFICER, "GET", "/api/v1/tenants/northbank/matrix", None)
        .await;
    assert_ne!(before, after);
    let (_, then) = w
        .call(
            OFFICER,
            "GET",
            &format!(
                "/api/v1/tenants/northbank/matrix?as_of={}",
                instant.replace('+', "%2B")
            ),
            None,
        )
        .await;
    assert_eq!(
        then, before,
        "as of before the publication, the earlier matrix"
    );

    let (status, diff) = w
        .call(VIEWER, "GET", "/api/v1/baseline/diff?from=v1&to=v2", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(diff.as_array().map(Vec::len), Some(1));
    assert_eq!(diff[0]["id"], "database/VUL-03");

    let (_, notices) = w
        .call(OFFICER, "GET", "/api/v1/baseline/notices", None)
        .await;
    let own: Vec<&str> = notices["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["tenant"].as_str().expect("tenant"))
        .collect();
    assert_eq!(own, ["northbank"], "a customer sees its own notice only");
    let (_, all) = w.call(ADMIN, "GET", "/api/v1/baseline/notices", None).await;
    assert_eq!(all["total"].as_i64(), Some(named.len() as i64));
    let foreign = named
        .iter()
        .find(|t| **t != "northbank")
        .expect("another tenant");
    let (status, _) = w
        .call(
            OFFICER,
            "POST",
            &format!("/api/v1/baseline/notices/v2-{foreign}/acknowledge"),
            None,
        )
        .await;
    assert_eq!(
        status, 404,
        "another tenant's notice answers as one that never existed"
    );
    let (status, _) = w
        .call(
            VIEWER,
            "POST",
            "/api/v1/baseline/notices/v2-northbank/acknowledge",
            None,
        )
        .await;
    assert_eq!(status, 403, "a viewer does not acknowledge");
    let (status, n) = w
        .call(
            OFFICER,
            "POST",
            "/api/v1/baseline/notices/v2-northbank/acknowledge",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(n["acknowledged_by"], format!("user:{OFFICER}"));
    let (status, _) = w
        .call(
            OFFICER,
            "POST",
            "/api/v1/baseline/notices/v2-northbank/acknowledge",
            None,
        )
        .await;
    assert_eq!(status, 409);
}
