//! The isolation matrix. Every route of the live route table (API and pages), for every role of the
//! demo, is called with an object the caller may not see in the path, in the query and in the body; each
//! answer must be exactly the answer for an ID that never existed (status and body, the ID aside), and no
//! answer may carry a foreign tenant's data. A route whose parameters the matrix does not know fails the
//! test, and so does an API route missing from the OpenAPI document (or an operation with no route).

use std::collections::BTreeSet;

use assure_domain::evidence::{EvidenceClaim, EvidenceKind, EvidenceLink, EvidenceSource};
use assure_domain::user::Role;
use assure_evidence::{BlobStore, MasterKey, Repository, UploadRequest};
use assure_server::{AppState, RouteEntry, route_table, router};
use assure_store::{Actor, SqliteStore, Store, TenantScope};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The demo's users, one per role, with the tenant each belongs to.
const CALLERS: [(Role, &str, Option<&str>); 8] = [
    (Role::ProviderAdmin, "admin@contour.example", None),
    (
        Role::ProviderSecurityLead,
        "security-lead@contour.example",
        None,
    ),
    (Role::ProviderDpo, "dpo@contour.example", None),
    (Role::Oversight, "oversight@contour.example", None),
    (
        Role::CustomerComplianceOfficer,
        "fiona.macleod@northbank.example",
        Some("northbank"),
    ),
    (
        Role::CustomerViewer,
        "audit.viewer@northbank.example",
        Some("northbank"),
    ),
    (
        Role::CustomerDpo,
        "dpo@northbank.example",
        Some("northbank"),
    ),
    (
        Role::Assessor,
        "eleanor.voss@harbour-assurance.example",
        None,
    ),
];

const NEVER: &str = "never-existed-4f1c";

/// What a path parameter names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Tenant,
    Evidence,
    Token,
    Control,
    Framework,
    Service,
    Asset,
    /// Import jobs are the provider's, not a tenant's.
    ImportJob,
    /// Baseline versions are the provider's.
    BaselineVersion,
    /// A notice belongs to the tenant it was sent to (the demo world publishes none, so the matrix
    /// checks the path with never-existing notices; the store story checks foreign ones).
    Notice,
    /// A finding belongs to its tenant (provider-owned ones to the provider).
    Finding,
    /// An escalation belongs to its finding's tenant.
    Escalation,
    /// An engagement belongs to its tenant.
    Engagement,
    /// Trust-center documents are the provider's, listed to everyone.
    TrustDocument,
    /// A trust-center access request belongs to the tenant that filed it.
    TrustRequest,
}

impl Kind {
    /// Objects that belong to a tenant or a user: the ones isolation is about.
    fn is_owned(self) -> bool {
        matches!(
            self,
            Self::Tenant
                | Self::Evidence
                | Self::Token
                | Self::Notice
                | Self::Finding
                | Self::Escalation
                | Self::Engagement
                | Self::TrustRequest
        )
    }
}

/// The kind of each path parameter of each route. A route not listed here fails the test: add it.
fn kind_of(path: &str, name: &str) -> Option<Kind> {
    Some(match name {
        "tenant" => Kind::Tenant,
        "evidence" => Kind::Evidence,
        "control" => Kind::Control,
        "framework" => Kind::Framework,
        "*path" if path.starts_with("/static/") => Kind::Asset,
        "id" if path.contains("/evidence/{id}") => Kind::Evidence,
        "id" if path.contains("/tenants/{id}") => Kind::Tenant,
        "id" if path.contains("/controls/{id}") => Kind::Control,
        "id" if path.contains("/frameworks/{id}") => Kind::Framework,
        "id" if path.starts_with("/services/{id}") => Kind::Service,
        "id" if path.starts_with("/account/tokens/{id}") => Kind::Token,
        "id" if path.contains("/imports/{id}") => Kind::ImportJob,
        "version" if path.contains("/baseline/") => Kind::BaselineVersion,
        "notice" if path.contains("/notices/{notice}") => Kind::Notice,
        "finding" if path.contains("/findings/{finding}") => Kind::Finding,
        "escalation" if path.contains("/escalations/{escalation}") => Kind::Escalation,
        "engagement" if path.contains("/engagements/{engagement}") => Kind::Engagement,
        "document" if path.contains("/trust/documents/{document}") => Kind::TrustDocument,
        "request" if path.contains("/trust/requests/{request}") => Kind::TrustRequest,
        _ => return None,
    })
}

fn params_of(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(str::to_owned)
        .collect()
}

/// The demo, with evidence in two tenants and an API token for every caller.
struct World {
    app: Router,
    tokens: Vec<String>,
    evidence: Vec<(String, String, String)>, // (tenant, id, title)
    legal_names: Vec<(String, String)>,      // (tenant, legal name)
    findings: Vec<(String, String, String)>, // (tenant, id, title)
    escalations: Vec<(String, String)>,      // (tenant, id)
    /// (tenant, engagement id) of northbank and brightpath.
    engagements: Vec<(String, String)>,
    /// (tenant, request id, justification) of northbank and brightpath.
    trust_requests: Vec<(String, String, String)>,
    trust_document: String,
    _dir: tempfile::TempDir,
}

async fn upload(repo: &Repository<SqliteStore>, tenant: &str, title: &str) -> String {
    let request = UploadRequest {
        tenant: tenant.into(),
        claim: EvidenceClaim {
            kind: EvidenceKind::AccessLog,
            title: title.into(),
            collected_at: time::OffsetDateTime::now_utc() - time::Duration::days(2),
            period: None,
            expires_on: None,
            source: EvidenceSource::ManualUpload,
            links: vec![EvidenceLink::Control {
                control: "IAM-01".into(),
            }],
        },
        media_type: "text/plain".into(),
        file_name: Some("log.txt".into()),
        uploader: "test".into(),
        supersedes: None,
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

async fn world() -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("assure.db").display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    let programme = assure_content::demo().expect("demo content");
    let actor = Actor::system("test");
    store
        .import_programme(&actor, &programme)
        .await
        .expect("import");
    store
        .mark_initialised(&actor, true)
        .await
        .expect("initialised");
    let blobs = BlobStore::local(&dir.path().join("evidence")).expect("blobs");
    let master = MasterKey::from_hex(&"11".repeat(32), "test").expect("key");
    let repo = Repository::new(store.clone(), blobs, master, 10 * 1024 * 1024);
    let mut evidence = Vec::new();
    for (tenant, title) in [
        ("northbank", "Northbank firewall review"),
        ("brightpath", "Brightpath key rotation log"),
    ] {
        evidence.push((
            tenant.to_owned(),
            upload(&repo, tenant, title).await,
            title.to_owned(),
        ));
    }
    let mut tokens = Vec::new();
    for (_, email, _) in CALLERS {
        let secret = assure_auth::new_api_token().expect("token");
        store
            .create_api_token(
                &actor,
                &assure_store::NewApiToken {
                    id: token_id(email),
                    user: email.into(),
                    name: "isolation matrix".into(),
                    token_hash: secret.hash.clone(),
                    at: time::OffsetDateTime::now_utc(),
                    expires_at: None,
                },
            )
            .await
            .expect("token");
        tokens.push(secret.text);
    }
    let (findings, escalations) = raise_findings(&store).await;
    let legal_names = programme
        .tenants
        .iter()
        .map(|t| (t.id.as_str().to_owned(), t.legal_name.clone()))
        .collect();
    let (engagements, trust_requests, trust_document) =
        engagements_and_trust(&store, &repo, &programme).await;
    let state = AppState::with_evidence(store, repo);
    state.set_ready();
    World {
        app: router(state),
        tokens,
        evidence,
        legal_names,
        findings,
        escalations,
        engagements,
        trust_requests,
        trust_document,
        _dir: dir,
    }
}

/// A finding in two tenants and one of the provider's (with internal detail no customer may see), all
/// overdue long enough that every rung has been escalated.
async fn raise_findings(
    store: &SqliteStore,
) -> (Vec<(String, String, String)>, Vec<(String, String)>) {
    use assure_domain::finding::{Detection, FindingId, FindingOwner, FindingSource};
    use assure_store::{FindingStore, SchedulerStore};
    let actor = Actor::system("test");
    let at = time::OffsetDateTime::now_utc() - time::Duration::days(60);
    let mut findings = Vec::new();
    for (owner, title) in [
        (Some("northbank"), "Northbank stale payment accounts"),
        (Some("brightpath"), "Brightpath unencrypted backup bucket"),
        (None, "Provider hypervisor hv-17 internal patch gap"),
    ] {
        let id = format!("F-iso-{}", owner.unwrap_or("provider"));
        let detection = Detection {
            owner: owner.map_or(FindingOwner::Provider, |t| FindingOwner::Tenant(t.into())),
            test: "isolation-check".into(),
            resource: format!("resource of {title}"),
            title: title.into(),
            detail: format!("internal detail of {title}"),
            // The provider's on no control: no customer inherits it, so it is foreign to each.
            control: owner.map(|_| "IAM-01".into()),
            severity: Some(assure_domain::severity::Severity::High),
            cvss: None,
            cve: None,
            source: FindingSource::AutomatedCheck { run: None },
            at,
        };
        store
            .record_detection(
                &TenantScope::AllTenants,
                &actor,
                &FindingId::new(&id),
                &detection,
            )
            .await
            .expect("finding");
        findings.push((owner.unwrap_or("").to_owned(), id, title.to_owned()));
    }
    store
        .sweep_deadlines(
            "isolation",
            time::OffsetDateTime::now_utc(),
            &assure_domain::escalation::EscalationPolicy::default(),
            100,
        )
        .await
        .expect("sweep");
    let escalations = store
        .list_escalations(&TenantScope::AllTenants, None)
        .await
        .expect("escalations")
        .into_iter()
        .filter(|e| matches!(e.alert, assure_domain::escalation::Alert::Escalation { .. }))
        .map(|e| (e.tenant.map(|t| t.to_string()).unwrap_or_default(), e.id))
        .collect();
    (findings, escalations)
}

/// Enrols `tenant` (active, NDA on file) as the provider would.
async fn enrol(store: &SqliteStore, programme: &assure_domain::programme::Programme, tenant: &str) {
    use assure_domain::enrolment::{EnrolmentStep, Intake};
    use assure_store::EngagementStore;
    let all = TenantScope::AllTenants;
    let actor = Actor::system("test");
    let t = programme
        .tenants
        .iter()
        .find(|t| t.id.as_str() == tenant)
        .expect("demo tenant");
    let id = t.id.clone();
    store
        .request_enrolment(&all, &actor, &id)
        .await
        .expect("request");
    store
        .update_intake(
            &all,
            &actor,
            &id,
            &Intake {
                contract_ref: t.contract_ref.clone(),
                contract_ends: None,
                processing_role: Some(t.processing_role),
                regions: t.regions.clone(),
                contacts: t.contacts.clone(),
            },
        )
        .await
        .expect("intake");
    let today = time::OffsetDateTime::now_utc().date();
    for step in [
        EnrolmentStep::StartIntake,
        EnrolmentStep::RecordNda,
        EnrolmentStep::Activate,
    ] {
        store
            .transition_enrolment(&all, &actor, &id, step, t.nda_signed, today)
            .await
            .expect("enrolment step");
    }
}

/// An engagement and a trust-center request in northbank and in brightpath, and one published document.
async fn engagements_and_trust(
    store: &SqliteStore,
    repo: &Repository<SqliteStore>,
    programme: &assure_domain::programme::Programme,
) -> (Vec<(String, String)>, Vec<(String, String, String)>, String) {
    use assure_domain::engagement::{EngagementPeriod, Scope, Tier};
    use assure_store::engagement::NewEngagement;
    use assure_store::{EngagementStore, TrustStore};
    let all = TenantScope::AllTenants;
    let actor = Actor::system("test");
    let today = time::OffsetDateTime::now_utc().date();
    let library = repo.trust_library().expect("trust library");
    let document = library
        .publish(
            &actor,
            assure_evidence::trust::NewTrustDocument {
                title: "SOC 2 Type II report summary".into(),
                kind: assure_domain::trust::PackageKind::AuditReport,
                issued: today,
                period_start: None,
                period_end: None,
                terms: "Use for vendor assessment only.".into(),
                media_type: "application/pdf".into(),
                file_name: "soc2.pdf".into(),
                published_by: "security-lead@contour.example".into(),
            },
            assure_reports::trust_pdf::text_pdf("SOC 2", &["summary"])
                .expect("pdf")
                .into(),
        )
        .await
        .expect("publish");
    let mut engagements = Vec::new();
    let mut requests = Vec::new();
    for (tenant, tier, requester) in [
        (
            "northbank",
            Tier::ThirdPartyAssessment,
            "fiona.macleod@northbank.example",
        ),
        (
            "brightpath",
            Tier::SelfAttestation,
            "jonas.albrecht@brightpath.example",
        ),
    ] {
        enrol(store, programme, tenant).await;
        let id = format!("{tenant}-engagement-2026");
        store
            .create_engagement(
                &all,
                &actor,
                &NewEngagement {
                    id: id.as_str().into(),
                    tenant: tenant.into(),
                    tier,
                    scope: Scope {
                        services: vec![],
                        regions: vec![],
                        frameworks: vec![],
                        period: EngagementPeriod::PointInTime { as_of: today },
                    },
                },
                today,
            )
            .await
            .expect("engagement");
        engagements.push((tenant.to_owned(), id));
        let justification = format!("{tenant} vendor review needs the report");
        let request = store
            .request_trust_access(
                &all,
                &actor,
                &assure_store::trust::NewAccessRequest {
                    tenant: tenant.into(),
                    document: document.id.clone(),
                    requested_by: requester.into(),
                    justification: Some(justification.clone()),
                },
            )
            .await
            .expect("trust request");
        requests.push((tenant.to_owned(), request.id.to_string(), justification));
    }
    (engagements, requests, document.id.to_string())
}

fn token_id(email: &str) -> String {
    format!("tok-{}", email.replace(['@', '.'], "-"))
}

/// What one caller may and may not see.
struct Caller<'a> {
    role: Role,
    email: &'a str,
    token: &'a str,
    /// Tenants it may see: every tenant for provider roles and oversight.
    own: Option<&'a str>,
    sees_all: bool,
}

impl Caller<'_> {
    fn may_see(&self, tenant: &str) -> bool {
        self.sees_all || self.own == Some(tenant)
    }
}

/// One concrete request.
#[derive(Clone, Debug)]
struct Call {
    method: &'static str,
    uri: String,
    body: Option<(String, &'static str)>,
}

#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    body: String,
}

async fn send(app: &Router, token: &str, call: &Call) -> Answer {
    let mut request = Request::builder()
        .method(call.method)
        .uri(&call.uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    let body = match &call.body {
        Some((text, content_type)) => {
            request = request.header(header::CONTENT_TYPE, *content_type);
            Body::from(text.clone())
        }
        None => Body::empty(),
    };
    let response = app
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
    Answer {
        status,
        body: without_form_tokens(&String::from_utf8_lossy(&bytes)),
    }
}

/// Blanks the per-render CSRF tokens of forms, the one part of a page that differs between two renders.
fn without_form_tokens(body: &str) -> String {
    const MARK: &str = "name=\"csrf_token\" value=\"";
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find(MARK) {
        let (head, tail) = rest.split_at(at + MARK.len());
        out.push_str(head);
        rest = tail.find('"').map_or("", |end| &tail[end..]);
    }
    out.push_str(rest);
    out
}

/// Values for a route's parameters: owned objects the caller may see where it has one, else a
/// plausible ID (the comparison makes the baseline's own value irrelevant).
fn fill(path: &str, values: &dyn Fn(&str, Kind) -> String) -> String {
    let mut out = path.to_owned();
    for name in params_of(path) {
        let kind = kind_of(path, &name).unwrap_or(Kind::Control);
        out = out.replace(&format!("{{{name}}}"), &values(&name, kind));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_object_anywhere_in_a_request_answers_as_one_that_never_existed() {
    let world = world().await;
    let table = route_table::<SqliteStore>();

    // Every parameter of every route is known to the matrix.
    let unknown: Vec<String> = table
        .iter()
        .flat_map(|r| {
            params_of(&r.path)
                .into_iter()
                .filter(|p| kind_of(&r.path, p).is_none())
                .map(|p| format!("{} {} ({{{p}}})", r.method, r.path))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        unknown.is_empty(),
        "routes the isolation matrix does not cover (teach kind_of their parameters): {unknown:?}"
    );

    let mut checked = 0usize;
    for (i, (role, email, own)) in CALLERS.iter().enumerate() {
        let caller = Caller {
            role: *role,
            email,
            token: &world.tokens[i],
            own: *own,
            sees_all: role.is_provider() || *role == Role::Oversight,
        };
        // Objects this caller may not see, with the text that would betray them.
        let foreign_tenants: Vec<&str> = world
            .legal_names
            .iter()
            .map(|(t, _)| t.as_str())
            .filter(|t| !caller.may_see(t))
            .collect();
        let foreign_evidence: Vec<&(String, String, String)> = world
            .evidence
            .iter()
            .filter(|(t, _, _)| !caller.may_see(t))
            .collect();
        let foreign_tokens: Vec<String> = CALLERS
            .iter()
            .filter(|(_, e, _)| *e != caller.email)
            .map(|(_, e, _)| token_id(e))
            .take(1)
            .collect();
        // The provider's findings are nobody's tenant: foreign to every caller who does not see all.
        let foreign_findings: Vec<&(String, String, String)> = world
            .findings
            .iter()
            .filter(|(t, _, _)| !caller.sees_all && (t.is_empty() || !caller.may_see(t)))
            .collect();
        let foreign_escalations: Vec<&(String, String)> = world
            .escalations
            .iter()
            .filter(|(t, _)| !caller.sees_all && (t.is_empty() || !caller.may_see(t)))
            .collect();
        let mut markers: Vec<&str> = world
            .legal_names
            .iter()
            .filter(|(t, _)| !caller.may_see(t))
            .map(|(_, n)| n.as_str())
            .collect();
        markers.extend(foreign_evidence.iter().map(|(_, _, title)| title.as_str()));
        markers.extend(foreign_evidence.iter().map(|(_, id, _)| id.as_str()));
        // A foreign finding's title (its ID is what a caller sends, and a 404 may echo it); the
        // provider's internal detail for everyone outside it.
        markers.extend(
            foreign_findings
                .iter()
                .filter(|(t, _, _)| !t.is_empty())
                .map(|(_, _, title)| title.as_str()),
        );
        if !caller.sees_all {
            markers.push("internal detail of Provider hypervisor");
            markers.push("resource of Provider hypervisor");
        }
        let foreign_engagements: Vec<String> = world
            .engagements
            .iter()
            .filter(|(t, _)| !caller.may_see(t))
            .map(|(_, id)| id.clone())
            .collect();
        let foreign_requests: Vec<&(String, String, String)> = world
            .trust_requests
            .iter()
            .filter(|(t, _, _)| !caller.may_see(t))
            .collect();
        markers.extend(foreign_engagements.iter().map(String::as_str));
        markers.extend(foreign_requests.iter().map(|(_, id, _)| id.as_str()));
        markers.extend(foreign_requests.iter().map(|(_, _, j)| j.as_str()));
        let home_engagement = world
            .engagements
            .iter()
            .find(|(t, _)| t == caller.own.unwrap_or("northbank"))
            .map(|(_, id)| id.clone())
            .unwrap_or_default();
        let home_request = world
            .trust_requests
            .iter()
            .find(|(t, _, _)| t == caller.own.unwrap_or("northbank"))
            .map(|(_, id, _)| id.clone())
            .unwrap_or_default();

        let home_tenant = caller.own.unwrap_or("northbank");
        let home_evidence = world
            .evidence
            .iter()
            .find(|(t, _, _)| t == home_tenant)
            .map(|(_, id, _)| id.clone())
            .unwrap_or_default();
        let home_finding = world
            .findings
            .iter()
            .find(|(t, _, _)| t == home_tenant)
            .map(|(_, id, _)| id.clone())
            .unwrap_or_default();
        let home_escalation = world
            .escalations
            .iter()
            .find(|(t, _)| t == home_tenant)
            .map(|(_, id)| id.clone())
            .unwrap_or_default();
        let plain = |_: &str, kind: Kind| -> String {
            match kind {
                Kind::Tenant => home_tenant.to_owned(),
                Kind::Evidence => home_evidence.clone(),
                // Never its own token: a revocation in a query or body variant would sign it out.
                Kind::Token => "tok-of-nobody".to_owned(),
                Kind::Control => "IAM-01".to_owned(),
                Kind::Framework => "iso27001-2022".to_owned(),
                Kind::Service => "vm".to_owned(),
                Kind::Asset => "app.css".to_owned(),
                Kind::ImportJob => "import-of-nobody".to_owned(),
                Kind::BaselineVersion => "v1".to_owned(),
                Kind::Notice => "v2-nobody".to_owned(),
                Kind::Finding => home_finding.clone(),
                Kind::Escalation => home_escalation.clone(),
                Kind::Engagement => home_engagement.clone(),
                Kind::TrustDocument => world.trust_document.clone(),
                Kind::TrustRequest => home_request.clone(),
            }
        };

        for route in &table {
            let mut pairs: Vec<(Call, Call, String)> = Vec::new();
            // In the path: each owned parameter in turn, and every owned parameter at once.
            for name in params_of(&route.path) {
                let Some(kind) = kind_of(&route.path, &name) else {
                    continue;
                };
                if !kind.is_owned() {
                    continue;
                }
                let foreign_ids: Vec<String> = match kind {
                    Kind::Tenant => foreign_tenants.iter().map(|t| (*t).to_owned()).collect(),
                    Kind::Evidence => foreign_evidence
                        .iter()
                        .map(|(_, id, _)| id.clone())
                        .collect(),
                    Kind::Token => foreign_tokens.clone(),
                    Kind::Finding => foreign_findings
                        .iter()
                        .map(|(_, id, _)| id.clone())
                        .collect(),
                    Kind::Escalation => foreign_escalations
                        .iter()
                        .map(|(_, id)| id.clone())
                        .collect(),
                    Kind::Engagement => foreign_engagements.clone(),
                    Kind::TrustRequest => foreign_requests
                        .iter()
                        .map(|(_, id, _)| id.clone())
                        .collect(),
                    _ => Vec::new(),
                };
                for foreign in foreign_ids {
                    let with = |v: &str| {
                        fill(&route.path, &|n, k| {
                            if n == name { v.to_owned() } else { plain(n, k) }
                        })
                    };
                    pairs.push((
                        call(route, with(&foreign), None),
                        call(route, with(NEVER), None),
                        foreign,
                    ));
                }
            }
            // A foreign tenant together with its own evidence.
            if route.path.contains("evidence/{")
                && let Some((tenant, id, _)) = foreign_evidence.first()
            {
                let both = |t: &str, e: &str| {
                    fill(&route.path, &|n, k| match k {
                        Kind::Tenant => t.to_owned(),
                        Kind::Evidence => e.to_owned(),
                        _ => plain(n, k),
                    })
                };
                pairs.push((
                    call(route, both(tenant, id), None),
                    call(route, both(NEVER, NEVER), None),
                    id.clone(),
                ));
            }
            // In the query and in the body: every owned foreign object under every name a handler reads.
            let base = fill(&route.path, &plain);
            let foreign_values: Vec<String> = foreign_tenants
                .iter()
                .map(|t| (*t).to_owned())
                .chain(foreign_evidence.iter().map(|(_, id, _)| id.clone()))
                .chain(foreign_findings.iter().map(|(_, id, _)| id.clone()))
                .chain(foreign_engagements.iter().cloned())
                .chain(foreign_requests.iter().map(|(_, id, _)| id.clone()))
                .collect();
            for foreign in foreign_values {
                let query = |v: &str| {
                    let sep = if base.contains('?') { '&' } else { '?' };
                    format!(
                        "{base}{sep}tenant={v}&id={v}&evidence={v}&supersedes={v}&control={v}&service={v}&framework={v}&engagement={v}&document={v}&request={v}&finding={v}"
                    )
                };
                pairs.push((
                    call(route, query(&foreign), None),
                    call(route, query(NEVER), None),
                    foreign.clone(),
                ));
                if route.method != "GET" {
                    let body = |v: &str| body_for(&route.path, v);
                    pairs.push((
                        call(route, base.clone(), Some(body(&foreign))),
                        call(route, base.clone(), Some(body(NEVER))),
                        foreign.clone(),
                    ));
                }
            }

            for (foreign_call, never_call, foreign_id) in pairs {
                let a = send(&world.app, caller.token, &foreign_call).await;
                let b = send(&world.app, caller.token, &never_call).await;
                let b_as_foreign = Answer {
                    status: b.status,
                    body: b.body.replace(NEVER, &foreign_id),
                };
                assert_eq!(
                    a, b_as_foreign,
                    "{:?} {} {}: a foreign object answers unlike one that never existed ({} vs {})",
                    caller.role, foreign_call.method, foreign_call.uri, a.status, b.status
                );
                assert!(
                    a.status < 500,
                    "{:?} {} {} answered {}",
                    caller.role,
                    foreign_call.method,
                    foreign_call.uri,
                    a.status
                );
                // The ID the caller sent may be echoed back; anything else of the foreign object may not.
                for marker in markers.iter().filter(|m| **m != foreign_id) {
                    assert!(
                        !a.body.contains(marker),
                        "{:?} {} {} shows foreign data {marker:?}",
                        caller.role,
                        foreign_call.method,
                        foreign_call.uri
                    );
                }
                checked += 1;
            }
        }
    }
    // A tenant-scoped caller exercises every owned parameter of every route.
    assert!(checked > table.len() * 4, "only {checked} pairs checked");
}

fn call(route: &RouteEntry, uri: String, body: Option<(String, &'static str)>) -> Call {
    Call {
        method: route.method,
        uri,
        body,
    }
}

/// A body naming `v` in every field a handler of `path` could read an object from.
fn body_for(path: &str, v: &str) -> (String, &'static str) {
    if path.starts_with("/api/") {
        (
            serde_json::json!({
                "tenant": v, "id": v, "evidence": v, "supersedes": v, "finding": v,
                "services": [{"service": v, "options": []}], "regions": [v], "frameworks": [v],
            })
            .to_string(),
            "application/json",
        )
    } else {
        (
            format!(
                "tenant={v}&id={v}&evidence={v}&supersedes={v}&services={v}&regions={v}&document={v}&engagement={v}&request={v}&finding={v}"
            ),
            "application/x-www-form-urlencoded",
        )
    }
}

/// The OpenAPI document and the router agree: every API route is an operation and every operation a
/// route.
#[test]
fn the_openapi_document_covers_every_api_route_and_no_other() {
    let doc = serde_json::to_value(assure_server::openapi::document()).expect("document");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let mounted: BTreeSet<(String, String)> = route_table::<SqliteStore>()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/"))
        .map(|r| (r.method.to_owned(), r.path))
        .collect();
    let undocumented: Vec<_> = mounted.difference(&documented).collect();
    let unmounted: Vec<_> = documented.difference(&mounted).collect();
    assert!(
        undocumented.is_empty(),
        "API routes missing from the OpenAPI document: {undocumented:?}"
    );
    assert!(
        unmounted.is_empty(),
        "operations in the OpenAPI document with no route: {unmounted:?}"
    );
}

/// The document is served, to signed-in callers only.
#[tokio::test]
async fn the_document_is_served_at_api_openapi_json() {
    let world = world().await;
    let answer = send(
        &world.app,
        &world.tokens[0],
        &Call {
            method: "GET",
            uri: "/api/openapi.json".into(),
            body: None,
        },
    )
    .await;
    assert_eq!(answer.status, 200);
    let doc: serde_json::Value = serde_json::from_str(&answer.body).expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    let anonymous = world
        .app
        .clone()
        .oneshot(
            Request::builder()
                .uri("/api/openapi.json")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("answer");
    assert_eq!(anonymous.status().as_u16(), 401);
}

/// An assessor's scope comes from the stored engagements: none before it is assigned, the engagement's
/// tenant while the engagement is in progress (and no other tenant), none again once it is signed.
#[tokio::test]
async fn an_assessor_reaches_exactly_the_tenants_of_its_engagements_in_progress() {
    use assure_domain::engagement::{EngagementPeriod, EngagementStep, Scope, Tier};
    use assure_domain::enrolment::EnrolmentStep;
    use assure_store::EngagementStore;
    use assure_store::engagement::NewEngagement;
    use time::macros::date;

    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("assure.db").display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    let programme = assure_content::demo().expect("demo content");
    let actor = Actor::system("test");
    store
        .import_programme(&actor, &programme)
        .await
        .expect("import");
    store
        .mark_initialised(&actor, true)
        .await
        .expect("initialised");
    let email = "eleanor.voss@harbour-assurance.example";
    let secret = assure_auth::new_api_token().expect("token");
    store
        .create_api_token(
            &actor,
            &assure_store::NewApiToken {
                id: token_id(email),
                user: email.into(),
                name: "assessor scope".into(),
                token_hash: secret.hash.clone(),
                at: time::OffsetDateTime::now_utc(),
                expires_at: None,
            },
        )
        .await
        .expect("token");
    let state = AppState::new(store.clone());
    state.set_ready();
    let app = router(state);
    let get = |uri: &str| Call {
        method: "GET",
        uri: uri.to_owned(),
        body: None,
    };
    let status = |uri: &'static str| {
        let app = app.clone();
        let token = secret.text.clone();
        async move { send(&app, &token, &get(uri)).await.status }
    };
    assert_eq!(
        status("/api/v1/tenants/northbank").await,
        404,
        "no engagement yet"
    );

    let all = TenantScope::AllTenants;
    let today = date!(2026 - 06 - 01);
    let tenant: assure_domain::TenantId = "northbank".into();
    store
        .request_enrolment(&all, &actor, &tenant)
        .await
        .expect("request");
    for step in [
        EnrolmentStep::StartIntake,
        EnrolmentStep::RecordNda,
        EnrolmentStep::Activate,
    ] {
        if step == EnrolmentStep::RecordNda {
            let t = &programme.tenants[0];
            let intake = assure_domain::enrolment::Intake {
                contract_ref: t.contract_ref.clone(),
                contract_ends: None,
                processing_role: Some(t.processing_role),
                regions: t.regions.clone(),
                contacts: t.contacts.clone(),
            };
            store
                .update_intake(&all, &actor, &tenant, &intake)
                .await
                .expect("intake");
        }
        store
            .transition_enrolment(&all, &actor, &tenant, step, northbank_nda(), today)
            .await
            .expect("enrolment step");
    }
    let id: assure_domain::EngagementId = "northbank-2026".into();
    store
        .create_engagement(
            &all,
            &actor,
            &NewEngagement {
                id: id.clone(),
                tenant: tenant.clone(),
                tier: Tier::ThirdPartyAssessment,
                scope: Scope {
                    services: vec![],
                    regions: vec![],
                    frameworks: vec![],
                    period: EngagementPeriod::Period {
                        start: date!(2026 - 01 - 01),
                        end: date!(2026 - 12 - 31),
                    },
                },
            },
            today,
        )
        .await
        .expect("engagement");
    store
        .assign_assessors(
            &all,
            &actor,
            &id,
            &"harbour-assurance".into(),
            &[email.into()],
        )
        .await
        .expect("assign");
    assert_eq!(status("/api/v1/tenants/northbank").await, 200, "assigned");
    assert_eq!(
        status("/api/v1/tenants/brightpath").await,
        404,
        "never another tenant"
    );

    let assessor = store
        .get_user(&email.into())
        .await
        .expect("read")
        .expect("assessor");
    for step in [
        EngagementStep::StartFieldwork,
        EngagementStep::StartReporting,
        EngagementStep::Sign,
    ] {
        store
            .transition_engagement(&all, &assessor, &id, step)
            .await
            .expect("engagement step");
    }
    assert_eq!(
        status("/api/v1/tenants/northbank").await,
        404,
        "signed: closed again"
    );
}

/// The day northbank's NDA was signed in the demo content.
fn northbank_nda() -> Option<time::Date> {
    Some(time::macros::date!(2025 - 01 - 15))
}
