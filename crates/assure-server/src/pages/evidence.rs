//! Evidence pages of a tenant: the list with filters by kind, control and expiry; a record with its
//! versions; and the upload form, a plain multipart form (works without JavaScript) that `static/upload.js`
//! enhances with a progress bar. The form posts to a page route that streams into the same repository
//! code as the API's upload (`crate::evidence::upload_multipart`) and answers with a redirect to the record.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use assure_domain::access::Action;
use assure_domain::catalogue::Control;
use assure_domain::evidence::{EvidenceId, EvidenceKind, EvidenceLink, EvidenceRecord};
use assure_domain::tenant::Tenant;
use assure_store::{ControlQuery, EvidenceQuery, Store};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::tenants::visible_tenant;
use super::{Choice, Layout, PageError, Pager, Viewer, assets, query_string, render};
use crate::AppState;
use crate::routing::{Method, Routes};

type Shared<S> = State<Arc<AppState<S>>>;

/// Records per page of the list.
const PER_PAGE: i64 = 25;
/// "Expiring soon" looks this many days ahead.
const SOON_DAYS: i64 = 30;

/// The upload route: streams, so it sits outside the small-body limit.
pub fn upload_routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new().on(
        Method::Post,
        "/tenants/{id}/evidence",
        post(upload::<S>).layer(DefaultBodyLimit::disable()),
    )
}

/// A record as the pages show it: instants in RFC 3339, links in words.
struct RecordView {
    id: String,
    kind: &'static str,
    title: String,
    digest: String,
    size: u64,
    media_type: String,
    file_name: String,
    collected_at: String,
    uploaded_at: String,
    period: String,
    expires_on: String,
    expired: bool,
    source: &'static str,
    controls: Vec<String>,
    requirements: Vec<String>,
    uploader: String,
    supersedes: Option<String>,
    version: i64,
    flags: Vec<(String, String)>,
}

fn instant(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

impl RecordView {
    fn of(r: &EvidenceRecord, today: time::Date) -> Self {
        let mut controls = Vec::new();
        let mut requirements = Vec::new();
        for link in &r.links {
            match link {
                EvidenceLink::Control { control } => controls.push(control.as_str().to_owned()),
                EvidenceLink::Requirement {
                    framework,
                    requirement,
                } => requirements.push(format!("{framework}:{requirement}")),
            }
        }
        Self {
            id: r.id.as_str().to_owned(),
            kind: r.kind.as_str(),
            title: r.title.clone(),
            digest: r.digest.as_str().to_owned(),
            size: r.size,
            media_type: r.media_type.clone(),
            file_name: r.file_name.clone().unwrap_or_default(),
            collected_at: instant(r.collected_at),
            uploaded_at: instant(r.uploaded_at),
            period: r
                .period
                .map_or_else(String::new, |p| format!("{} to {}", p.start, p.end)),
            expires_on: r.expires_on.map_or_else(String::new, |d| d.to_string()),
            expired: r.is_expired(today),
            source: r.source.as_str(),
            controls,
            requirements,
            uploader: r.uploader.as_str().to_owned(),
            supersedes: r.supersedes.as_ref().map(|s| s.as_str().to_owned()),
            version: r.version,
            flags: r
                .flags
                .iter()
                .map(|f| (f.code.clone(), f.reason.clone()))
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "evidence/list.html")]
struct ListPage {
    layout: Layout,
    tenant: Tenant,
    kinds: Vec<Choice>,
    controls: Vec<Choice>,
    expiries: Vec<Choice>,
    records: Vec<RecordView>,
    pager: Pager,
    may_upload: bool,
}

fn kind_choices(chosen: &str, any: &str) -> Vec<Choice> {
    let mut kinds = vec![Choice::new("", any, chosen)];
    kinds.extend(
        EvidenceKind::ALL
            .into_iter()
            .map(|k| Choice::new(k.as_str(), k.as_str().replace('-', " "), chosen)),
    );
    kinds
}

fn control_choices(controls: &[Control], chosen: &str, any: &str) -> Vec<Choice> {
    let mut out = vec![Choice::new("", any, chosen)];
    out.extend(
        controls
            .iter()
            .map(|c| Choice::new(c.id.as_str(), format!("{} {}", c.id, c.title), chosen)),
    );
    out
}

pub async fn list<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let tenant = visible_tenant(&state, &viewer, &id).await?;
    let param = |name: &str| {
        params
            .get(name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let (kind, control, expiry) = (param("kind"), param("control"), param("expiry"));
    let page = match param("page").as_str() {
        "" => 1,
        p => p.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            PageError::BadInput(format!("page must be a whole number from 1, not {p:?}"))
        })?,
    };
    let kind_value = if kind.is_empty() {
        None
    } else {
        Some(
            EvidenceKind::parse(&kind)
                .ok_or_else(|| PageError::BadInput(format!("unknown kind {kind:?}")))?,
        )
    };
    let today = OffsetDateTime::now_utc().date();
    let expires_before = match expiry.as_str() {
        "" => None,
        "expired" => Some(today),
        "soon" => Some(today + time::Duration::days(SOON_DAYS)),
        other => {
            return Err(PageError::BadInput(format!(
                "expiry must be expired or soon, not {other:?}"
            )));
        }
    };
    let controls = state
        .store
        .list_controls(&ControlQuery::default())
        .await?
        .items;
    if !control.is_empty() && !controls.iter().any(|c| c.id.as_str() == control) {
        return Err(PageError::BadInput(format!("unknown control {control:?}")));
    }
    let mut query = EvidenceQuery {
        kind: kind_value,
        control: (!control.is_empty()).then(|| control.as_str().into()),
        expires_before,
        limit: Some(PER_PAGE),
        offset: (page - 1) * PER_PAGE,
        ..EvidenceQuery::current(tenant.id.clone())
    };
    let mut result = state.store.list_evidence(&viewer.scope, &query).await?;
    let path = format!("/tenants/{}/evidence", tenant.id);
    let base = query_string(&[("kind", &kind), ("control", &control), ("expiry", &expiry)]);
    let pager = Pager::new(page, PER_PAGE, result.total, &path, &base);
    if pager.page != page {
        query.offset = pager.offset(PER_PAGE);
        result = state.store.list_evidence(&viewer.scope, &query).await?;
    }
    render(&ListPage {
        layout: Layout::new(&viewer, &path),
        kinds: kind_choices(&kind, "Any kind"),
        controls: control_choices(&controls, &control, "Any control"),
        expiries: vec![
            Choice::new("", "Any", &expiry),
            Choice::new("expired", "Expired", &expiry),
            Choice::new(
                "soon",
                format!("Expired or expiring within {SOON_DAYS} days"),
                &expiry,
            ),
        ],
        records: result
            .items
            .iter()
            .map(|r| RecordView::of(r, today))
            .collect(),
        pager,
        may_upload: viewer.may(Action::EditTenant),
        tenant,
    })
}

#[derive(Template)]
#[template(path = "evidence/record.html")]
struct RecordPage {
    layout: Layout,
    tenant: Tenant,
    record: RecordView,
    superseded_by: Option<String>,
    versions: Vec<RecordView>,
    download: String,
    may_upload: bool,
}

pub async fn record<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path((id, evidence)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let tenant = visible_tenant(&state, &viewer, &id).await?;
    let eid = EvidenceId::new(evidence.as_str());
    let found = state
        .store
        .get_evidence(&viewer.scope, &tenant.id, &eid)
        .await?
        .ok_or_else(|| PageError::NotFound(format!("evidence {evidence}")))?;
    let versions = state
        .store
        .evidence_versions(&viewer.scope, &tenant.id, &eid)
        .await?;
    let today = OffsetDateTime::now_utc().date();
    let superseded_by = versions
        .iter()
        .find(|v| v.supersedes.as_ref() == Some(&found.id))
        .map(|v| v.id.as_str().to_owned());
    render(&RecordPage {
        layout: Layout::new(&viewer, &format!("/tenants/{}/evidence", tenant.id)),
        download: format!(
            "/api/v1/tenants/{}/evidence/{}/content",
            tenant.id, found.id
        ),
        record: RecordView::of(&found, today),
        superseded_by,
        versions: versions.iter().map(|v| RecordView::of(v, today)).collect(),
        may_upload: viewer.may(Action::EditTenant),
        tenant,
    })
}

#[derive(Template)]
#[template(path = "evidence/form.html")]
struct FormPage {
    layout: Layout,
    tenant: Tenant,
    kinds: Vec<Choice>,
    controls: Vec<Choice>,
    supersedes: Option<String>,
    /// Default for the collection time: now, in the form's `datetime-local` shape.
    now: String,
    upload_js: String,
}

pub async fn form<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let tenant = visible_tenant(&state, &viewer, &id).await?;
    viewer.require(Action::EditTenant)?;
    let supersedes = match params.get("supersedes").filter(|s| !s.is_empty()) {
        Some(s) => {
            // Only a record of this tenant can be superseded; anything else is the same 404.
            state
                .store
                .get_evidence(&viewer.scope, &tenant.id, &EvidenceId::new(s.as_str()))
                .await?
                .ok_or_else(|| PageError::NotFound(format!("evidence {s}")))?;
            Some(s.clone())
        }
        None => None,
    };
    let controls = state
        .store
        .list_controls(&ControlQuery::default())
        .await?
        .items;
    let now = OffsetDateTime::now_utc();
    render(&FormPage {
        layout: Layout::new(&viewer, &format!("/tenants/{}/evidence", tenant.id)),
        kinds: kind_choices("", "Choose a kind"),
        controls: control_choices(&controls, "", "None"),
        supersedes,
        now: format!("{}T{:02}:{:02}", now.date(), now.hour(), now.minute()),
        upload_js: assets::url("upload.js"),
        tenant,
    })
}

/// Takes the form's multipart body and streams it into the evidence repository; on success redirects
/// (303) to the new record, so a reload does not upload twice.
async fn upload<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, PageError> {
    let tenant = visible_tenant(&state, &viewer, &id).await?;
    viewer.require(Action::EditTenant)?;
    crate::evidence::refuse_oversized(&state, request.headers()).map_err(PageError::Api)?;
    let record = crate::evidence::upload_multipart(
        &state,
        &viewer.scope,
        tenant.id.clone(),
        &viewer.user,
        HashMap::new(),
        request,
    )
    .await
    .map_err(PageError::Api)?;
    Ok(Redirect::to(&format!("/tenants/{}/evidence/{}", tenant.id, record.id)).into_response())
}
