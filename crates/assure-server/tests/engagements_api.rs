//! Engagements and the trust center through `/api/v1`, in process, as the demo's people: a third-party
//! assessment from enrolment to signature and roll-forward, who may answer, test and sign (everyone
//! else refused with the reason), a questionnaire file with errors refused row by row with the answers
//! left as they were, and trust-center downloads refused and recorded until request, approval, terms and
//! NDA are all there, then served watermarked.

use std::sync::Arc;

use assure_domain::questionnaire::Sheet;
use assure_evidence::{BlobStore, MasterKey, Repository};
use assure_reports::questionnaire::{SheetFormat, read_sheet_bytes, sheet_bytes};
use assure_server::{AppState, router};
use assure_store::{Actor, SqliteStore, Store, TenantScope, TrustStore};
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
const ASSESSOR: &str = "eleanor.voss@harbour-assurance.example";
const OTHER_OFFICER: &str = "jonas.albrecht@brightpath.example";

struct World {
    app: Router,
    store: SqliteStore,
    state: Arc<AppState<SqliteStore>>,
    tokens: Vec<(&'static str, String)>,
    _dir: tempfile::TempDir,
}

/// An answer: status, the body as JSON (Null when not JSON) and its raw bytes.
struct Answer {
    status: u16,
    json: Value,
    bytes: Vec<u8>,
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
        for email in [LEAD, ADMIN, OFFICER, VIEWER, ASSESSOR, OTHER_OFFICER] {
            let secret = assure_auth::new_api_token().expect("token");
            store
                .create_api_token(
                    &actor,
                    &assure_store::NewApiToken {
                        id: format!("tok-{}", email.replace(['@', '.'], "-")),
                        user: email.into(),
                        name: "engagements api test".into(),
                        token_hash: secret.hash.clone(),
                        at: time::OffsetDateTime::now_utc(),
                        expires_at: None,
                    },
                )
                .await
                .expect("token");
            tokens.push((email, secret.text));
        }
        let blobs = BlobStore::local(&dir.path().join("evidence")).expect("blobs");
        let master = MasterKey::from_hex(&"22".repeat(32), "test").expect("key");
        let repo = Repository::new(store.clone(), blobs, master, 10 * 1024 * 1024);
        let state = AppState::with_evidence(store.clone(), repo);
        state.set_ready();
        Self {
            app: router(state.clone()),
            store,
            state,
            tokens,
            _dir: dir,
        }
    }

    async fn send(
        &self,
        who: &str,
        method: &str,
        uri: &str,
        body: Option<(Vec<u8>, &str)>,
    ) -> Answer {
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
            Some((bytes, content_type)) => {
                request = request.header(header::CONTENT_TYPE, content_type);
                Body::from(bytes)
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
            .to_bytes()
            .to_vec();
        Answer {
            status,
            json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            bytes,
        }
    }

    async fn call(&self, who: &str, method: &str, uri: &str, body: Option<Value>) -> (u16, Value) {
        let a = self
            .send(
                who,
                method,
                uri,
                body.map(|v| (v.to_string().into_bytes(), "application/json")),
            )
            .await;
        (a.status, a.json)
    }

    /// Enrols northbank through the API as the provider admin: request, intake from its record, NDA,
    /// activation.
    async fn enrol_northbank(&self) {
        let (s, v) = self
            .call(
                ADMIN,
                "POST",
                "/api/v1/enrolments",
                Some(json!({"tenant": "northbank"})),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let (s, v) = self
            .call(
                ADMIN,
                "PUT",
                "/api/v1/enrolments/northbank/intake",
                Some(json!({
                    "contract_ref": "CC-2024-0117",
                    "contract_ends": null,
                    "processing_role": "controller",
                    "regions": ["uk-south", "eu-west"],
                    "contacts": [
                        {"role": "account-team", "name": "Grace Whitfield", "email": "grace.whitfield@contour.example"},
                        {"role": "procurement", "name": "Daniel Osei", "email": "daniel.osei@northbank.example"},
                        {"role": "compliance-officer", "name": "Fiona MacLeod", "email": OFFICER},
                    ],
                })),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let steps = "/api/v1/enrolments/northbank/transitions";
        let (s, v) = self
            .call(ADMIN, "POST", steps, Some(json!({"step": "activate"})))
            .await;
        assert_eq!(s, 409, "an illegal step names the allowed ones: {v}");
        assert!(
            v["detail"]
                .as_str()
                .is_some_and(|d| d.contains("start-intake")),
            "{v}"
        );
        let (s, v) = self
            .call(ADMIN, "POST", steps, Some(json!({"step": "start-intake"})))
            .await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = self
            .call(ADMIN, "POST", steps, Some(json!({"step": "record-nda"})))
            .await;
        assert_eq!(s, 409, "no NDA day: every unmet rule is named: {v}");
        assert!(
            v["problems"].as_array().is_some_and(|p| !p.is_empty()),
            "{v}"
        );
        let (s, v) = self
            .call(
                ADMIN,
                "POST",
                steps,
                Some(json!({"step": "record-nda", "nda_signed": "2025-01-15"})),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = self
            .call(ADMIN, "POST", steps, Some(json!({"step": "activate"})))
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["state"], "active");
        assert_eq!(v["ineligibility"], json!([]));
    }
}

fn sheet_of(bytes: &[u8], format: SheetFormat) -> Sheet {
    read_sheet_bytes(bytes, format).expect("a sheet")
}

fn column(sheet: &Sheet, name: &str) -> usize {
    sheet.header.iter().position(|h| h == name).expect("column")
}

#[tokio::test]
async fn a_third_party_assessment_runs_from_enrolment_to_roll_forward_and_only_the_tier_s_people_act()
 {
    let w = World::new().await;
    let (s, _) = w
        .call(
            OFFICER,
            "POST",
            "/api/v1/enrolments",
            Some(json!({"tenant": "northbank"})),
        )
        .await;
    assert_eq!(s, 403, "a customer does not move its own enrolment");
    w.enrol_northbank().await;
    let (s, v) = w
        .call(OFFICER, "GET", "/api/v1/enrolments/northbank", None)
        .await;
    assert_eq!((s, &v["state"]), (200, &json!("active")), "{v}");
    let (s, _) = w
        .call(OFFICER, "GET", "/api/v1/enrolments/brightpath", None)
        .await;
    assert_eq!(s, 404, "another tenant's enrolment is not there");

    let engagement = json!({
        "id": "nb-2026",
        "tenant": "northbank",
        "tier": "third-party-assessment",
        "scope": {"services": [], "regions": [], "frameworks": ["iso27001-2022"],
                  "period": {"kind": "period", "start": "2026-01-01", "end": "2026-12-31"}},
    });
    let (s, _) = w
        .call(
            OFFICER,
            "POST",
            "/api/v1/engagements",
            Some(engagement.clone()),
        )
        .await;
    assert_eq!(s, 403, "a customer does not open engagements");
    let mut bad = engagement.clone();
    bad["scope"]["frameworks"] = json!(["gdpr"]);
    let (s, v) = w
        .call(ADMIN, "POST", "/api/v1/engagements", Some(bad))
        .await;
    assert_eq!(s, 422, "northbank does not follow GDPR: {v}");
    let (s, v) = w
        .call(
            ADMIN,
            "POST",
            "/api/v1/engagements",
            Some(engagement.clone()),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, _) = w
        .call(ADMIN, "POST", "/api/v1/engagements", Some(engagement))
        .await;
    assert_eq!(s, 409, "the id is taken");
    let base = "/api/v1/engagements/nb-2026";

    let (s, v) = w
        .call(
            ADMIN,
            "POST",
            &format!("{base}/transitions"),
            Some(json!({"step": "start-fieldwork"})),
        )
        .await;
    assert_eq!(s, 409, "no assessors yet: {v}");
    let (s, v) = w.call(ASSESSOR, "GET", base, None).await;
    assert_eq!(s, 404, "an assessor not yet assigned sees nothing: {v}");
    let (s, v) = w
        .call(
            ADMIN,
            "PUT",
            &format!("{base}/assessors"),
            Some(json!({"firm": "harbour-assurance", "assessors": [OFFICER]})),
        )
        .await;
    assert_eq!(s, 422, "only assessors of the firm: {v}");
    let (s, v) = w
        .call(
            ADMIN,
            "PUT",
            &format!("{base}/assessors"),
            Some(json!({"firm": "harbour-assurance", "assessors": [ASSESSOR]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = w.call(ASSESSOR, "GET", base, None).await;
    assert_eq!(s, 200, "{v}");
    let in_scope = v["in_scope"].as_array().map_or(0, Vec::len);
    assert!(in_scope > 0, "{v}");

    // The questionnaire: exported, a bad file refused row by row, then a good one imported.
    let (s, q) = w
        .call(OFFICER, "GET", &format!("{base}/questionnaire"), None)
        .await;
    assert_eq!(s, 200);
    let questions = q["questions"].as_array().map_or(0, Vec::len);
    assert!(questions > 0, "{q}");
    assert_eq!(q["answers"], json!([]));
    let csv = w
        .send(
            OFFICER,
            "GET",
            &format!("{base}/questionnaire/export?format=csv"),
            None,
        )
        .await;
    assert_eq!(csv.status, 200);
    let sheet = sheet_of(&csv.bytes, SheetFormat::Csv);
    assert_eq!(sheet.rows.len(), questions);

    let mut broken = sheet.clone();
    let (answer, control) = (column(&broken, "answer"), column(&broken, "control"));
    broken.rows[0][control] = "NOPE-99".into();
    broken.rows[0][answer] = "yes".into();
    broken.rows[1][answer] = "maybe".into();
    let bytes = sheet_bytes(&broken, SheetFormat::Csv, "Questionnaire").expect("csv");
    let refused = w
        .send(
            OFFICER,
            "POST",
            &format!("{base}/questionnaire/import?format=csv"),
            Some((bytes, "text/csv")),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.json);
    let rows: Vec<u64> = refused.json["problems"]
        .as_array()
        .expect("row errors")
        .iter()
        .filter_map(|p| p["row"].as_u64())
        .collect();
    assert_eq!(
        rows,
        vec![2, 3],
        "every row error, in order: {}",
        refused.json
    );
    let mut no_column = sheet.clone();
    no_column.header.retain(|h| h != "answer");
    for row in &mut no_column.rows {
        row.remove(answer);
    }
    let refused = w
        .send(
            OFFICER,
            "POST",
            &format!("{base}/questionnaire/import?file_name=answers.xlsx"),
            Some((
                sheet_bytes(&no_column, SheetFormat::Xlsx, "Questionnaire").expect("xlsx"),
                "application/octet-stream",
            )),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.json);
    assert!(
        refused.json["problems"][0]["column"] == "answer",
        "{}",
        refused.json
    );
    let (_, q) = w
        .call(OFFICER, "GET", &format!("{base}/questionnaire"), None)
        .await;
    assert_eq!(
        q["answers"],
        json!([]),
        "a refused file leaves the answers as they were"
    );

    let mut answered = sheet.clone();
    let explanation = column(&answered, "explanation");
    for row in &mut answered.rows {
        row[answer] = "yes".into();
        row[explanation] = "In place since 2024.".into();
    }
    let xlsx = sheet_bytes(&answered, SheetFormat::Xlsx, "Questionnaire").expect("xlsx");
    for who in [VIEWER, ADMIN, ASSESSOR, LEAD] {
        let a = w
            .send(
                who,
                "POST",
                &format!("{base}/questionnaire/import?format=xlsx"),
                Some((xlsx.clone(), "application/octet-stream")),
            )
            .await;
        assert_eq!(a.status, 403, "{who} does not answer: {}", a.json);
    }
    let saved = w
        .send(
            OFFICER,
            "POST",
            &format!("{base}/questionnaire/import?format=xlsx"),
            Some((xlsx, "application/octet-stream")),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.json);
    assert_eq!(saved.json["saved"].as_u64(), Some(questions as u64));
    let (s, caiq) = w.call(OFFICER, "GET", &format!("{base}/caiq"), None).await;
    assert_eq!(s, 200);
    assert!(caiq.as_array().is_some_and(|r| !r.is_empty()), "{caiq}");

    // Fieldwork: only the assigned assessor tests, with the sample its seed draws.
    let (s, v) = w
        .call(
            ADMIN,
            "POST",
            &format!("{base}/transitions"),
            Some(json!({"step": "start-fieldwork"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let control = q["questions"][0]["control"]
        .as_str()
        .expect("control")
        .to_owned();
    let test = json!({
        "control": control, "method": "inspection", "result": "effective",
        "notes": "25 approvals inspected",
        "sample": {"population_description": "access requests approved in 2026", "population": 250,
                   "size": 25, "seed": "nb-2026-sample"},
    });
    let (s, v) = w
        .call(
            OFFICER,
            "POST",
            &format!("{base}/tests"),
            Some(test.clone()),
        )
        .await;
    assert_eq!(s, 403, "the role may not record results: {v}");
    let (s, v) = w
        .call(LEAD, "POST", &format!("{base}/tests"), Some(test.clone()))
        .await;
    assert_eq!(s, 403, "the tier names the assigned assessors only: {v}");
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|d| d.contains("assessors assigned")),
        "{v}"
    );
    let mut unsampled = test.clone();
    unsampled["sample"] = Value::Null;
    let (s, v) = w
        .call(ASSESSOR, "POST", &format!("{base}/tests"), Some(unsampled))
        .await;
    assert_eq!((s, &v["field"]), (422, &json!("sample")), "{v}");
    let mut forged = test.clone();
    forged["sample"]["items"] = json!((1..=25).collect::<Vec<u64>>());
    let (s, v) = w
        .call(ASSESSOR, "POST", &format!("{base}/tests"), Some(forged))
        .await;
    assert_eq!(
        (s, &v["field"]),
        (422, &json!("sample")),
        "items not drawn from the seed: {v}"
    );
    let (s, v) = w
        .call(
            ASSESSOR,
            "POST",
            &format!("{base}/tests"),
            Some(test.clone()),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        v["test"]["sample"]["items"].as_array().map(Vec::len),
        Some(25)
    );
    assert_eq!(v["draft_finding"], Value::Null);
    assert_eq!(v.get("finding"), None, "an effective result raises nothing");
    let first_item = v["test"]["sample"]["items"][0].clone();
    let (s, v) = w.call(VIEWER, "GET", &format!("{base}/tests"), None).await;
    assert_eq!((s, v["total"].as_i64()), (200, Some(1)), "{v}");

    // A retest that finds a deviation is ineffective: it raises the customer's finding on the control.
    let mut failing = test.clone();
    failing["result"] = json!("ineffective");
    failing["sample"]["deviations"] = json!([first_item]);
    let (s, v) = w
        .call(ASSESSOR, "POST", &format!("{base}/tests"), Some(failing))
        .await;
    assert_eq!(s, 201, "{v}");
    let finding = v["finding"]
        .as_str()
        .expect("a finding is raised")
        .to_owned();
    let (s, f) = w
        .call(ADMIN, "GET", &format!("/api/v1/findings/{finding}"), None)
        .await;
    assert_eq!(s, 200, "{f}");
    assert!(f.to_string().contains(control.as_str()), "{f}");

    // Signing: only the assigned assessor.
    let (s, _) = w
        .call(
            ADMIN,
            "POST",
            &format!("{base}/transitions"),
            Some(json!({"step": "start-reporting"})),
        )
        .await;
    assert_eq!(s, 200);
    for who in [LEAD, OFFICER] {
        let (s, v) = w
            .call(
                who,
                "POST",
                &format!("{base}/transitions"),
                Some(json!({"step": "sign"})),
            )
            .await;
        assert_eq!(s, 403, "{who} may not sign a third-party assessment: {v}");
    }
    let (s, v) = w
        .call(
            ASSESSOR,
            "POST",
            &format!("{base}/transitions"),
            Some(json!({"step": "sign"})),
        )
        .await;
    assert_eq!((s, &v["state"]), (200, &json!("signed")), "{v}");
    let (s, v) = w
        .call(
            ASSESSOR,
            "POST",
            &format!("{base}/transitions"),
            Some(json!({"step": "sign"})),
        )
        .await;
    assert_eq!(s, 404, "signed: the assessor's scope is closed again: {v}");

    let (s, v) = w
        .call(
            ADMIN,
            "POST",
            &format!("{base}/roll-forward"),
            Some(json!({"id": "nb-2027"})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["previous"], "nb-2026");
    assert_eq!(v["scope"]["period"]["start"], "2027-01-01");
    let (s, v) = w
        .call(OFFICER, "GET", "/api/v1/engagements?sort=id&limit=1", None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        (v["total"].as_i64(), v["items"][0]["id"].as_str()),
        (Some(2), Some("nb-2026"))
    );
    let (s, v) = w
        .call(OTHER_OFFICER, "GET", "/api/v1/engagements", None)
        .await;
    assert_eq!(
        (s, v["total"].as_i64()),
        (200, Some(0)),
        "brightpath sees none of northbank's"
    );
    let (s, _) = w
        .call(OFFICER, "GET", "/api/v1/engagements?sort=colour", None)
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn a_trust_center_download_is_refused_and_recorded_until_request_approval_terms_and_nda() {
    let w = World::new().await;
    let library = w
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
                title: "ISO/IEC 27001:2022 certificate".into(),
                kind: assure_domain::trust::PackageKind::Certificate,
                issued: time::macros::date!(2026 - 02 - 01),
                period_start: None,
                period_end: None,
                terms: "For the customer's own assurance only.".into(),
                media_type: "application/pdf".into(),
                file_name: "iso27001.pdf".into(),
                published_by: LEAD.into(),
            },
            assure_reports::trust_pdf::text_pdf("Certificate", &["ISO/IEC 27001:2022"])
                .expect("pdf")
                .into(),
        )
        .await
        .expect("publish");
    let doc = document.id.to_string();
    let content = format!("/api/v1/trust/documents/{doc}/content");
    let (s, v) = w.call(VIEWER, "GET", "/api/v1/trust/documents", None).await;
    assert_eq!((s, v["total"].as_i64()), (200, Some(1)), "{v}");

    let refused = w.send(OFFICER, "GET", &content, None).await;
    assert_eq!(refused.status, 403, "{}", refused.json);
    let reasons: Vec<&str> = refused.json["problems"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(|r| r["reason"].as_str())
        .collect();
    assert_eq!(
        reasons,
        vec!["not-requested", "terms-not-accepted", "no-valid-nda"]
    );
    let attempts = w
        .store
        .list_trust_downloads(&TenantScope::AllTenants, Some(&"northbank".into()))
        .await
        .expect("attempts");
    assert_eq!(attempts.len(), 1, "the refusal is recorded");
    assert!(!attempts[0].granted);

    let (s, _) = w.call(ADMIN, "GET", &content, None).await;
    assert_eq!(s, 400, "the provider names no tenant of its own");
    let (s, _) = w
        .call(ADMIN, "GET", &format!("{content}?tenant=northbank"), None)
        .await;
    assert_eq!(s, 403, "only the tenant's own people download");
    let (s, _) = w
        .call(
            OTHER_OFFICER,
            "GET",
            &format!("{content}?tenant=northbank"),
            None,
        )
        .await;
    assert_eq!(s, 404, "another tenant is not there");

    let (s, request) = w
        .call(
            OFFICER,
            "POST",
            "/api/v1/trust/requests",
            Some(json!({"document": doc, "justification": "vendor review"})),
        )
        .await;
    assert_eq!(s, 201, "{request}");
    let id = request["id"].as_str().expect("id").to_owned();
    let (s, _) = w
        .call(
            VIEWER,
            "POST",
            "/api/v1/trust/requests",
            Some(json!({"document": doc})),
        )
        .await;
    assert_eq!(s, 409, "one open request per tenant and document");
    let (s, _) = w
        .call(
            OTHER_OFFICER,
            "GET",
            &format!("/api/v1/trust/requests/{id}"),
            None,
        )
        .await;
    assert_eq!(s, 404, "another tenant's request is not there");
    let decision = format!("/api/v1/trust/requests/{id}/decision");
    let (s, _) = w
        .call(
            OFFICER,
            "POST",
            &decision,
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(s, 403, "a customer does not decide");
    let (s, v) = w
        .call(
            LEAD,
            "POST",
            &decision,
            Some(json!({"decision": "approve", "expires": "2001-01-01"})),
        )
        .await;
    assert_eq!((s, &v["field"]), (422, &json!("expires")), "{v}");
    let (s, v) = w
        .call(
            LEAD,
            "POST",
            &decision,
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!((s, &v["state"]), (200, &json!("approved")), "{v}");
    let (s, _) = w
        .call(LEAD, "POST", &decision, Some(json!({"decision": "deny"})))
        .await;
    assert_eq!(s, 409, "already decided");

    let (s, _) = w
        .call(
            OFFICER,
            "POST",
            &format!("/api/v1/trust/documents/{doc}/terms"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let refused = w.send(OFFICER, "GET", &content, None).await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.json["problems"][0]["reason"], "no-valid-nda",
        "{}",
        refused.json
    );
    let refused = w.send(VIEWER, "GET", &content, None).await;
    assert_eq!(refused.status, 403, "terms are per person");

    w.enrol_northbank().await;
    let granted = w.send(OFFICER, "GET", &content, None).await;
    assert_eq!(granted.status, 200, "{}", granted.json);
    let texts = assure_reports::trust_pdf::pdf_page_texts(&granted.bytes).expect("a PDF");
    assert!(
        texts
            .iter()
            .all(|t| t.contains(OFFICER) && t.contains("northbank")),
        "every page names the requester and tenant: {texts:?}"
    );
    let attempts = w
        .store
        .list_trust_downloads(&TenantScope::AllTenants, Some(&"northbank".into()))
        .await
        .expect("attempts");
    assert_eq!(
        attempts.iter().filter(|a| a.granted).count(),
        1,
        "the granted attempt is recorded like the refused ones"
    );
    assert_eq!(
        attempts.len(),
        4,
        "refused twice by the officer, once by the viewer, granted once"
    );
}
