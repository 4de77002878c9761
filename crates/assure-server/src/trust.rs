//! The trust center in the API, under `/api/v1/trust`: the provider's documents (listed to everyone with
//! `ReadTrustCenter`), a tenant's access requests and their decision (`ManageTrustCenter`), the terms a
//! person accepts, and the download.
//!
//! A download is decided and recorded first (`TrustLibrary::download` runs
//! `assure_store::trust::attempt_download`), so a refused attempt is in the tenant's audit trail exactly
//! like a granted one; the refusal answers 403 with every reason in `problems`, and a granted PDF comes
//! back watermarked with the requester, the tenant and the instant. Requests, terms and downloads are a
//! tenant's own users' (their tenant by default); a tenant outside the caller's scope answers exactly as
//! one that does not exist.

use std::collections::HashMap;
use std::sync::Arc;

use assure_domain::access::Action;
use assure_domain::trust::{
    AccessDecision, AccessRequest, AccessRequestId, AccessState, TermsAcceptance, TrustDocument,
    TrustDocumentId,
};
use assure_domain::user::Affiliation;
use assure_domain::{TenantId, UserId};
use assure_evidence::EvidenceError;
use assure_evidence::trust::TrustDownload;
use assure_store::trust::{AccessDecisionInput, AccessRequestQuery, NewAccessRequest};
use assure_store::{Store, StoreError};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::Page;
use crate::auth::Principal;
use crate::engagements::{body, parse_day};
use crate::problem::Problem;
use crate::routing::Routes;

type Shared<S> = State<Arc<AppState<S>>>;

pub fn routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new()
        .get("/trust/documents", list_documents::<S>)
        .get("/trust/documents/{document}", show_document::<S>)
        .post("/trust/documents/{document}/terms", accept_terms::<S>)
        .get("/trust/documents/{document}/content", download::<S>)
        .get("/trust/requests", list_requests::<S>)
        .post("/trust/requests", request_access::<S>)
        .get("/trust/requests/{request}", show_request::<S>)
        .post("/trust/requests/{request}/decision", decide::<S>)
}

/// A tenant asks for a document.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessRequestBody {
    pub document: String,
    /// The caller's own tenant when absent.
    #[serde(default)]
    pub tenant: Option<String>,
    #[serde(default)]
    pub justification: Option<String>,
}

/// A decision: approve (optionally until `expires`, YYYY-MM-DD) or deny.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub decision: AccessDecision,
    #[serde(default)]
    pub expires: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Accepting a document's terms, for the caller's own tenant unless named.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermsBody {
    #[serde(default)]
    pub tenant: Option<String>,
}

/// One reason a download was refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefusalView {
    /// A stable code: not-requested, awaiting-approval, denied, approval-expired, terms-not-accepted,
    /// no-valid-nda.
    pub reason: String,
    pub detail: String,
}

/// The tenant a request, acceptance or download is for: the one named, else the caller's own. It must
/// be in the caller's scope (else "not found", like a tenant that does not exist), and the caller one of
/// its own users: the trust center's terms and NDA bind the tenant's people, not the provider's.
pub(crate) async fn tenant_for<S: Store>(
    store: &S,
    user: &assure_domain::user::User,
    scope: &assure_store::TenantScope,
    named: Option<&str>,
) -> Result<TenantId, Problem> {
    let tenant = match (named.filter(|t| !t.trim().is_empty()), &user.affiliation) {
        (Some(t), _) => TenantId::from(t.trim()),
        (None, Affiliation::Tenant(t)) => t.clone(),
        (None, _) => {
            return Err(Problem::bad_field(
                "tenant",
                "name the tenant the request is for",
            ));
        }
    };
    store
        .get_tenant(scope, &tenant)
        .await?
        .ok_or_else(|| Problem::not_found("tenant"))?;
    if user.affiliation != Affiliation::Tenant(tenant.clone()) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "only the tenant's own users request documents, accept their terms and download them",
        ));
    }
    Ok(tenant)
}

fn library<S: Store>(
    state: &AppState<S>,
) -> Result<assure_evidence::trust::TrustLibrary<S>, Problem> {
    let repo = state.evidence.as_ref().ok_or_else(|| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "this server has no evidence store configured",
        )
    })?;
    repo.trust_library().map_err(|e| {
        tracing::error!(error = %e, "trust-center library");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the trust center could not open its documents",
        )
    })
}

/// Every published document, newest first.
#[utoipa::path(get, path = "/api/v1/trust/documents", tag = "trust",
    responses(
        (status = 200, description = "The documents", body = Page<TrustDocument>),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_documents<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
) -> Result<Json<Page<TrustDocument>>, Problem> {
    principal.authorize(Action::ReadTrustCenter)?;
    let items = state.store.list_trust_documents().await?;
    let n = i64::try_from(items.len()).unwrap_or(i64::MAX);
    Ok(Json(Page {
        items,
        total: n,
        limit: n,
        offset: 0,
    }))
}

/// One document (its metadata and terms).
#[utoipa::path(get, path = "/api/v1/trust/documents/{document}", tag = "trust",
    params(("document" = String, Path, description = "Document id")),
    responses(
        (status = 200, description = "The document", body = TrustDocument),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn show_document<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<TrustDocument>, Problem> {
    principal.authorize(Action::ReadTrustCenter)?;
    let document = state
        .store
        .get_trust_document(&TrustDocumentId::new(id.clone()))
        .await?
        .ok_or_else(|| Problem::not_found("trust document"))?;
    Ok(Json(document))
}

/// Records that the caller accepted the document's terms (once per person and document).
#[utoipa::path(post, path = "/api/v1/trust/documents/{document}/terms", tag = "trust",
    params(("document" = String, Path, description = "Document id")),
    request_body(content = TermsBody),
    responses(
        (status = 200, description = "The acceptance", body = TermsAcceptance),
        (status = 400, description = "The body is malformed, or no tenant is named", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not one of the tenant's own users", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or a tenant the caller may not see", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn accept_terms<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<TermsAcceptance>, Problem> {
    let cap = principal.authorize(Action::ReadTrustCenter)?;
    let request: TermsBody = if bytes.is_empty() {
        TermsBody::default()
    } else {
        body(&bytes, "a terms acceptance ({tenant?})")?
    };
    let tenant = tenant_for(
        &state.store,
        &principal.user,
        cap.scope(),
        request.tenant.as_deref(),
    )
    .await?;
    let acceptance = state
        .store
        .accept_trust_terms(
            cap.scope(),
            cap.actor(),
            &tenant,
            &TrustDocumentId::new(id),
            &principal.user.id,
        )
        .await?;
    Ok(Json(acceptance))
}

/// Downloads a document for the caller's tenant. The attempt is recorded in the tenant's audit trail
/// before any byte is sent; a refusal is 403 with every reason (request, approval, terms, NDA) in
/// `problems`. PDFs are watermarked with the requester, the tenant and the instant.
#[utoipa::path(get, path = "/api/v1/trust/documents/{document}/content", tag = "trust",
    params(
        ("document" = String, Path, description = "Document id"),
        ("tenant" = Option<String>, Query, description = "The tenant downloading (the caller's own by default)"),
    ),
    responses(
        (status = 200, description = "The document's bytes (a PDF watermarked)", content(
            (Vec<u8> = "application/pdf"),
            (Vec<u8> = "application/octet-stream"),
        )),
        (status = 400, description = "No tenant is named", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Refused and recorded: `problems` lists every reason; or not one of the tenant's own users", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or a tenant the caller may not see", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No evidence store configured", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn download<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, Problem> {
    let cap = principal.authorize(Action::ReadTrustCenter)?;
    let tenant = tenant_for(
        &state.store,
        &principal.user,
        cap.scope(),
        params.get("tenant").map(String::as_str),
    )
    .await?;
    serve_download(&state, &principal.user, cap.scope(), &tenant, &id).await
}

/// Decides, records and (when granted) sends a download for `user` of `tenant`: the attempt is in the
/// tenant's trail before any byte; a refusal is a 403 naming every reason.
pub(crate) async fn serve_download<S: Store>(
    state: &AppState<S>,
    user: &assure_domain::user::User,
    scope: &assure_store::TenantScope,
    tenant: &TenantId,
    id: &str,
) -> Result<Response, Problem> {
    let library = library(state)?;
    let outcome = library
        .download(
            scope,
            &assure_store::Actor(format!("user:{}", user.id)),
            tenant,
            &TrustDocumentId::new(id),
            &user.id,
        )
        .await
        .map_err(|e| match e {
            EvidenceError::Store(StoreError::NotFound(_)) => Problem::not_found("trust document"),
            EvidenceError::Store(other) => other.into(),
            other => {
                tracing::error!(error = %other, "trust-center download");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the document could not be read",
                )
            }
        })?;
    match outcome {
        TrustDownload::Refused(attempt) => Err(refused(&attempt.refusals)),
        TrustDownload::Granted {
            document, bytes, ..
        } => {
            let name: String = document
                .file_name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            Ok((
                [
                    (header::CONTENT_TYPE, document.media_type.clone()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                    (header::CACHE_CONTROL, "no-store".to_owned()),
                ],
                bytes,
            )
                .into_response())
        }
    }
}

/// A refused download as a 403 naming every reason.
pub(crate) fn refused(refusals: &[assure_domain::trust::Refusal]) -> Problem {
    let reasons: Vec<RefusalView> = refusals
        .iter()
        .map(|r| RefusalView {
            reason: r.code().to_owned(),
            detail: r.to_string(),
        })
        .collect();
    let words: Vec<String> = refusals.iter().map(ToString::to_string).collect();
    Problem {
        problems: Some(Box::new(serde_json::to_value(&reasons).unwrap_or_default())),
        ..Problem::new(
            StatusCode::FORBIDDEN,
            format!("download refused (recorded): {}", words.join("; ")),
        )
    }
}

/// The access requests the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/trust/requests", tag = "trust",
    params(
        ("tenant" = Option<String>, Query, description = "Only this tenant's requests"),
        ("document" = Option<String>, Query, description = "Only requests for this document"),
        ("state" = Option<String>, Query, description = "requested, approved or denied"),
    ),
    responses(
        (status = 200, description = "The requests", body = Page<AccessRequest>),
        (status = 400, description = "A parameter is wrong; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_requests<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Page<AccessRequest>>, Problem> {
    let cap = principal.authorize(Action::ReadTrustCenter)?;
    let one = |name: &str| params.get(name).filter(|v| !v.is_empty());
    let query = AccessRequestQuery {
        tenant: one("tenant").map(|t| TenantId::from(t.as_str())),
        document: one("document").map(|d| TrustDocumentId::new(d.clone())),
        state: one("state")
            .map(|s| {
                AccessState::parse(s).ok_or_else(|| {
                    Problem::bad_field(
                        "state",
                        format!("state must be requested, approved or denied, not {s:?}"),
                    )
                })
            })
            .transpose()?,
    };
    let items = state.store.list_trust_requests(cap.scope(), &query).await?;
    let n = i64::try_from(items.len()).unwrap_or(i64::MAX);
    Ok(Json(Page {
        items,
        total: n,
        limit: n,
        offset: 0,
    }))
}

/// Files the caller's tenant's request for a document.
#[utoipa::path(post, path = "/api/v1/trust/requests", tag = "trust",
    request_body(content = AccessRequestBody),
    responses(
        (status = 201, description = "The request", body = AccessRequest),
        (status = 400, description = "The body is not a request, or no tenant is named", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not one of the tenant's own users", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, or a tenant the caller may not see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An open or granting request exists already", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn request_access<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    bytes: Bytes,
) -> Result<(StatusCode, Json<AccessRequest>), Problem> {
    let cap = principal.authorize(Action::ReadTrustCenter)?;
    let request: AccessRequestBody = body(
        &bytes,
        "an access request ({document, tenant?, justification?})",
    )?;
    let tenant = tenant_for(
        &state.store,
        &principal.user,
        cap.scope(),
        request.tenant.as_deref(),
    )
    .await?;
    let filed = state
        .store
        .request_trust_access(
            cap.scope(),
            cap.actor(),
            &NewAccessRequest {
                tenant,
                document: TrustDocumentId::new(request.document),
                requested_by: principal.user.id.clone(),
                justification: request.justification.filter(|j| !j.trim().is_empty()),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(filed)))
}

/// One access request.
#[utoipa::path(get, path = "/api/v1/trust/requests/{request}", tag = "trust",
    params(("request" = String, Path, description = "Request id")),
    responses(
        (status = 200, description = "The request", body = AccessRequest),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or another tenant's (the two look alike)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn show_request<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<AccessRequest>, Problem> {
    let cap = principal.authorize(Action::ReadTrustCenter)?;
    let request = state
        .store
        .get_trust_request(cap.scope(), &AccessRequestId::new(id.clone()))
        .await?
        .ok_or_else(|| Problem::not_found("trust request"))?;
    Ok(Json(request))
}

/// Approves (optionally until a day) or denies a request.
#[utoipa::path(post, path = "/api/v1/trust/requests/{request}/decision", tag = "trust",
    params(("request" = String, Path, description = "Request id")),
    request_body(content = DecisionBody),
    responses(
        (status = 200, description = "The request, decided", body = AccessRequest),
        (status = 400, description = "The body is not a decision", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not decide", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or another tenant's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The expiry is in the past", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn decide<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<AccessRequest>, Problem> {
    let cap = principal.authorize(Action::ManageTrustCenter)?;
    let request: DecisionBody = body(&bytes, "a decision ({decision, expires?, note?})")?;
    let expires = request
        .expires
        .as_deref()
        .filter(|e| !e.is_empty())
        .map(|e| parse_day("expires", e))
        .transpose()?;
    let decided = decide_request(
        &state.store,
        &principal.user,
        cap.scope(),
        &id,
        request.decision,
        expires,
        request.note,
    )
    .await?;
    Ok(Json(decided))
}

/// Decides a request as `user` (the domain refuses anyone who may not decide).
pub(crate) async fn decide_request<S: Store>(
    store: &S,
    user: &assure_domain::user::User,
    scope: &assure_store::TenantScope,
    id: &str,
    decision: AccessDecision,
    expires: Option<time::Date>,
    note: Option<String>,
) -> Result<AccessRequest, Problem> {
    store
        .decide_trust_request(
            scope,
            &assure_store::Actor(format!("user:{}", user.id)),
            &AccessRequestId::new(id),
            &AccessDecisionInput {
                decision,
                role: user.role,
                decided_by: UserId::from(user.id.as_str()),
                expires,
                note: note.filter(|n| !n.trim().is_empty()),
            },
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => Problem::not_found("trust request"),
            other => other.into(),
        })
}
