//! The trust-center page, `/trust`: the provider's documents with, for a tenant's own users, their
//! tenant's request, their terms and a download link; for deciders (`ManageTrustCenter`) the requests
//! awaiting a decision with approve and deny forms. Forms go through the same store methods as the API
//! and redirect (303) back. A download goes through the same decision as the API: the attempt is
//! recorded first, and a refusal is an error page naming every reason.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use askama::Template;
use assure_domain::access::Action;
use assure_domain::trust::{AccessDecision, AccessRequest, AccessState};
use assure_domain::user::User;
use assure_domain::{TenantId, UserId};
use assure_store::trust::{AccessRequestQuery, NewAccessRequest};
use assure_store::{Actor, Store};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Layout, PageError, Viewer, render};
use crate::AppState;
use crate::engagements::{parse_day, today};
use crate::problem::Problem;
use crate::routing::Routes;
use crate::trust::{decide_request, serve_download, tenant_for};

type Shared<S> = State<Arc<AppState<S>>>;
type Fields = Form<HashMap<String, String>>;

pub fn routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new()
        .get("/trust", index::<S>)
        .post("/trust/requests", request::<S>)
        .post("/trust/requests/{request}/decision", decide::<S>)
        .post("/trust/documents/{document}/terms", accept::<S>)
        .get("/trust/documents/{document}/download", download::<S>)
}

fn api(p: Problem) -> PageError {
    if p.status == StatusCode::NOT_FOUND.as_u16() {
        PageError::NotFound(p.detail)
    } else {
        PageError::Api(p)
    }
}

async fn acting_user<S: Store>(store: &S, viewer: &Viewer) -> Result<User, PageError> {
    store
        .get_user(&UserId::from(viewer.user.as_str()))
        .await?
        .ok_or_else(|| PageError::NotFound("page".to_owned()))
}

struct DocumentRow {
    id: String,
    title: String,
    kind: &'static str,
    issued: String,
    period: String,
    terms: String,
    /// The viewer's tenant's latest request, in words; empty when none.
    request: String,
    may_request: bool,
    terms_accepted: bool,
}

struct RequestRow {
    id: String,
    tenant: String,
    document: String,
    state: &'static str,
    requested_by: String,
    justification: String,
    decided: String,
}

impl RequestRow {
    fn of(r: &AccessRequest, titles: &HashMap<String, String>) -> Self {
        Self {
            id: r.id.to_string(),
            tenant: r.tenant.to_string(),
            document: titles
                .get(r.document.as_str())
                .cloned()
                .unwrap_or_else(|| r.document.to_string()),
            state: r.state.as_str(),
            requested_by: r.requested_by.to_string(),
            justification: r.justification.clone().unwrap_or_default(),
            decided: match (&r.decided_by, r.expires) {
                (Some(by), Some(until)) => format!("by {by}, until {until}"),
                (Some(by), None) => format!("by {by}"),
                _ => String::new(),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "trust/index.html")]
struct IndexPage {
    layout: Layout,
    documents: Vec<DocumentRow>,
    pending: Vec<RequestRow>,
    requests: Vec<RequestRow>,
    /// The viewer belongs to a tenant: it requests, accepts terms and downloads.
    own_tenant: bool,
    may_decide: bool,
    today: String,
}

pub async fn index<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadTrustCenter)?;
    let documents = state.store.list_trust_documents().await?;
    let requests = state
        .store
        .list_trust_requests(&viewer.scope, &AccessRequestQuery::default())
        .await?;
    let day = today();
    let accepted: BTreeSet<String> = match &viewer.tenant {
        Some(t) => state
            .store
            .list_trust_terms(&viewer.scope, Some(t))
            .await?
            .into_iter()
            .filter(|a| a.user.as_str() == viewer.user)
            .map(|a| a.document.to_string())
            .collect(),
        None => BTreeSet::new(),
    };
    let titles: HashMap<String, String> = documents
        .iter()
        .map(|d| (d.id.to_string(), d.title.clone()))
        .collect();
    let own_tenant = viewer.tenant.is_some();
    let rows = documents
        .iter()
        .map(|d| {
            // Requests are listed newest first: the first of this tenant's is its latest.
            let latest = viewer.tenant.as_ref().and_then(|t| {
                requests
                    .iter()
                    .find(|r| &r.tenant == t && r.document == d.id)
            });
            DocumentRow {
                id: d.id.to_string(),
                title: d.title.clone(),
                kind: d.kind.label(),
                issued: d.issued.to_string(),
                period: match (d.period_start, d.period_end) {
                    (Some(s), Some(e)) => format!("{s} to {e}"),
                    _ => String::new(),
                },
                terms: d.terms.clone(),
                request: latest
                    .map(|r| match (r.state, r.expires) {
                        (AccessState::Approved, Some(e)) if e < day => {
                            format!("approval expired on {e}")
                        }
                        (AccessState::Approved, Some(e)) => format!("approved until {e}"),
                        (s, _) => s.as_str().to_owned(),
                    })
                    .unwrap_or_default(),
                may_request: own_tenant && latest.is_none_or(|r| r.closed(day)),
                terms_accepted: accepted.contains(d.id.as_str()),
            }
        })
        .collect();
    let may_decide = viewer.may(Action::ManageTrustCenter);
    render(&IndexPage {
        layout: Layout::new(&viewer, "/trust"),
        documents: rows,
        pending: if may_decide {
            requests
                .iter()
                .filter(|r| r.state == AccessState::Requested)
                .map(|r| RequestRow::of(r, &titles))
                .collect()
        } else {
            Vec::new()
        },
        requests: requests
            .iter()
            .filter(|r| !may_decide || r.state != AccessState::Requested)
            .map(|r| RequestRow::of(r, &titles))
            .collect(),
        own_tenant,
        may_decide,
        today: day.to_string(),
    })
}

fn field<'a>(fields: &'a HashMap<String, String>, name: &str) -> Result<&'a str, PageError> {
    fields
        .get(name)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| PageError::BadInput(format!("the form needs {name}")))
}

async fn own_tenant<S: Store>(store: &S, viewer: &Viewer) -> Result<(User, TenantId), PageError> {
    let user = acting_user(store, viewer).await?;
    let tenant = tenant_for(store, &user, &viewer.scope, None)
        .await
        .map_err(api)?;
    Ok((user, tenant))
}

async fn request<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Form(fields): Fields,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadTrustCenter)?;
    let (user, tenant) = own_tenant(&state.store, &viewer).await?;
    state
        .store
        .request_trust_access(
            &viewer.scope,
            &Actor(format!("user:{}", viewer.user)),
            &NewAccessRequest {
                tenant,
                document: assure_domain::trust::TrustDocumentId::new(field(&fields, "document")?),
                requested_by: user.id,
                justification: fields
                    .get("justification")
                    .map(|j| j.trim().to_owned())
                    .filter(|j| !j.is_empty()),
            },
        )
        .await
        .map_err(|e| api(e.into()))?;
    Ok(Redirect::to("/trust").into_response())
}

async fn decide<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Fields,
) -> Result<Response, PageError> {
    viewer.require(Action::ManageTrustCenter)?;
    let user = acting_user(&state.store, &viewer).await?;
    let decision = AccessDecision::parse(field(&fields, "decision")?)
        .ok_or_else(|| PageError::BadInput("decision: approve or deny".to_owned()))?;
    let expires = fields
        .get("expires")
        .map(|e| e.trim())
        .filter(|e| !e.is_empty() && decision == AccessDecision::Approve)
        .map(|e| parse_day("expires", e))
        .transpose()
        .map_err(|p| PageError::BadInput(p.detail))?;
    decide_request(
        &state.store,
        &user,
        &viewer.scope,
        &id,
        decision,
        expires,
        fields.get("note").cloned(),
    )
    .await
    .map_err(api)?;
    Ok(Redirect::to("/trust").into_response())
}

async fn accept<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(document): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadTrustCenter)?;
    let (user, tenant) = own_tenant(&state.store, &viewer).await?;
    state
        .store
        .accept_trust_terms(
            &viewer.scope,
            &Actor(format!("user:{}", viewer.user)),
            &tenant,
            &assure_domain::trust::TrustDocumentId::new(document),
            &user.id,
        )
        .await?;
    Ok(Redirect::to("/trust").into_response())
}

async fn download<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(document): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadTrustCenter)?;
    let (user, tenant) = own_tenant(&state.store, &viewer).await?;
    serve_download(&state, &user, &viewer.scope, &tenant, &document)
        .await
        .map_err(api)
}
