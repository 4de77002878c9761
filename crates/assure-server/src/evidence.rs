//! Evidence routes under `/api/v1/tenants/{tenant}/evidence`: streaming upload (multipart, or a raw body
//! with the metadata in the query string or `X-Assure-*` headers), list with filters, a record with its
//! versions, and the audited download of its bytes.
//!
//! A tenant the caller's scope does not admit answers exactly as a tenant that does not exist (404, the
//! same body), and an evidence ID of another tenant exactly as an unknown ID.

use std::collections::HashMap;
use std::sync::Arc;

use assure_domain::TenantId;
use assure_domain::evidence::{
    EvidenceClaim, EvidenceId, EvidenceKind, EvidenceLink, EvidenceRecord, EvidenceSource, Period,
};
use assure_evidence::{EvidenceError, Repository, UploadRequest};
use assure_store::{EvidenceQuery, Store, StoreError, TenantScope};
use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::TryStreamExt;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::{DEFAULT_LIMIT, MAX_LIMIT, Page, int_param};
use crate::auth::Principal;
use crate::problem::Problem;
use crate::routing::{Method, Routes};
use assure_domain::access::Action;
use assure_store::Actor;

type Shared<S> = State<Arc<AppState<S>>>;

/// Routes that stream bodies: no body limit or timeout beyond the evidence size limit.
pub fn streaming_routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new()
        .on(
            Method::Post,
            "/tenants/{tenant}/evidence",
            post(upload::<S>).layer(DefaultBodyLimit::disable()),
        )
        .get("/tenants/{tenant}/evidence/{id}/content", download::<S>)
}

/// Routes with small answers.
pub fn routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new()
        .get("/tenants/{tenant}/evidence", list::<S>)
        .get("/tenants/{tenant}/evidence/{id}", show::<S>)
}

/// The same answer for a tenant that does not exist and one the caller may not see.
fn no_tenant() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "tenant not found")
}

/// The same answer for evidence that does not exist and evidence of another tenant.
fn no_evidence() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "evidence not found")
}

fn repository<S: Store>(state: &AppState<S>) -> Result<&Repository<S>, Problem> {
    state.evidence.as_ref().ok_or_else(|| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "this server has no evidence store configured",
        )
    })
}

async fn visible_tenant<S: Store>(
    state: &AppState<S>,
    scope: &TenantScope,
    tenant: &str,
) -> Result<TenantId, Problem> {
    state
        .store
        .get_tenant(scope, &tenant.into())
        .await?
        .map(|t| t.id)
        .ok_or_else(no_tenant)
}

fn evidence_problem(e: EvidenceError) -> Problem {
    match e {
        EvidenceError::Rejected(r) => {
            let text = r.to_string();
            let field = text.split(':').next().unwrap_or("metadata").to_owned();
            Problem {
                field: Some(field),
                ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, text)
            }
        }
        EvidenceError::TooLarge { .. } => {
            Problem::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
        }
        EvidenceError::Body(_) => Problem::new(StatusCode::BAD_REQUEST, e.to_string()),
        EvidenceError::KeyDestroyed { .. } => Problem::new(StatusCode::GONE, e.to_string()),
        EvidenceError::Store(StoreError::NotFound(what)) if what.starts_with("tenant") => {
            no_tenant()
        }
        EvidenceError::Store(StoreError::NotFound(_)) => no_evidence(),
        EvidenceError::Store(StoreError::Conflict(why)) => Problem::new(StatusCode::CONFLICT, why),
        other => {
            tracing::error!(error = %other, "evidence error");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the evidence store could not answer: {other}"),
            )
        }
    }
}

/// Upload metadata, from form fields, query parameters or `X-Assure-*` headers.
fn claim_from(
    params: &HashMap<String, Vec<String>>,
    default_source: EvidenceSource,
) -> Result<EvidenceClaim, Problem> {
    let one = |name: &str| params.get(name).and_then(|v| v.last()).map(String::as_str);
    let required = |name: &str| {
        one(name).ok_or_else(|| Problem::bad_field(name, format!("{name} is required")))
    };
    let date = |name: &str| -> Result<Option<time::Date>, Problem> {
        one(name)
            .map(|v| {
                time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]"))
                    .map_err(|_| {
                        Problem::bad_field(
                            name,
                            format!("{name} must be a date YYYY-MM-DD, not {v:?}"),
                        )
                    })
            })
            .transpose()
    };
    let kind_text = required("kind")?;
    let kind = EvidenceKind::parse(kind_text).ok_or_else(|| {
        let names: Vec<_> = EvidenceKind::ALL.iter().map(|k| k.as_str()).collect();
        Problem::bad_field(
            "kind",
            format!(
                "kind must be one of {}, not {kind_text:?}",
                names.join(", ")
            ),
        )
    })?;
    let collected_text = required("collected_at")?;
    let collected_at = OffsetDateTime::parse(collected_text, &time::format_description::well_known::Rfc3339)
        .or_else(|_| local_instant_as_utc(collected_text))
        .map_err(|_| {
            Problem::bad_field(
                "collected_at",
                format!("collected_at must be an RFC 3339 instant such as 2026-04-01T09:30:00Z, not {collected_text:?}"),
            )
        })?;
    let period = match (date("period_start")?, date("period_end")?) {
        (Some(start), Some(end)) => Some(Period { start, end }),
        (None, None) => None,
        _ => {
            return Err(Problem::bad_field(
                "period_start",
                "give both period_start and period_end, or neither",
            ));
        }
    };
    let source = match one("source") {
        None => default_source,
        Some(s) => EvidenceSource::parse(s).ok_or_else(|| {
            Problem::bad_field(
                "source",
                format!("source must be manual-upload, api or check-run, not {s:?}"),
            )
        })?,
    };
    let mut links: Vec<EvidenceLink> = params
        .get("control")
        .into_iter()
        .flatten()
        .flat_map(|v| v.split(','))
        .filter(|c| !c.trim().is_empty())
        .map(|c| EvidenceLink::Control {
            control: c.trim().into(),
        })
        .collect();
    for r in params
        .get("requirement")
        .into_iter()
        .flatten()
        .flat_map(|v| v.split(','))
    {
        let (framework, requirement) = r.trim().split_once(':').ok_or_else(|| {
            Problem::bad_field(
                "requirement",
                format!("requirement must be FRAMEWORK:REQUIREMENT, not {r:?}"),
            )
        })?;
        links.push(EvidenceLink::Requirement {
            framework: framework.into(),
            requirement: requirement.into(),
        });
    }
    Ok(EvidenceClaim {
        kind,
        title: required("title")?.to_owned(),
        collected_at,
        period,
        expires_on: date("expires_on")?,
        source,
        links,
    })
}

/// A browser's `datetime-local` value (`2026-04-01T09:30`, seconds optional), taken as UTC: the upload
/// form says so next to the field.
fn local_instant_as_utc(text: &str) -> Result<OffsetDateTime, time::error::Parse> {
    let with_seconds =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let without = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    time::PrimitiveDateTime::parse(text, with_seconds)
        .or_else(|_| time::PrimitiveDateTime::parse(text, without))
        .map(time::PrimitiveDateTime::assume_utc)
}

fn header_params(headers: &HeaderMap, params: &mut HashMap<String, Vec<String>>) {
    for (name, value) in headers {
        if let (Some(rest), Ok(v)) = (name.as_str().strip_prefix("x-assure-"), value.to_str())
            && !matches!(rest, "tenant" | "user" | "csrf-token")
        {
            params
                .entry(rest.replace('-', "_"))
                .or_default()
                .push(v.to_owned());
        }
    }
}

/// Uploads evidence: a `multipart/form-data` form (metadata fields, then the `file` part) or the raw bytes
/// as the body with the metadata in the query string or `X-Assure-*` headers.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/evidence", tag = "evidence",
    params(
        ("tenant" = String, Path, description = "Tenant ID", example = "northbank"),
        ("kind" = Option<String>, Query, description = "What the evidence is (required unless in a form field or header)"),
        ("title" = Option<String>, Query, description = "A short title (required unless in a form field or header)"),
        ("collected_at" = Option<String>, Query, description = "When it was collected (RFC 3339)"),
        ("control" = Option<String>, Query, description = "A control it supports (repeatable)"),
        ("supersedes" = Option<String>, Query, description = "The evidence ID this replaces"),
        ("file_name" = Option<String>, Query, description = "The file's name"),
    ),
    request_body(content(
        (UploadForm = "multipart/form-data"),
        (Vec<u8> = "application/octet-stream"),
    )),
    responses(
        (status = 201, description = "The stored record", body = EvidenceRecord),
        (status = 400, description = "A parameter is wrong; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's scope (the two look alike)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflicts with a stored record", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over the evidence size limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The metadata is refused; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "This server has no evidence store", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn upload<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(tenant): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    request: Request,
) -> Result<Response, Problem> {
    let headers = request.headers().clone();
    let cap = principal.authorize(Action::EditTenant)?;
    let scope = cap.scope().clone();
    let repo = repository(&state)?;
    let tenant = visible_tenant(&state, &scope, &tenant).await?;
    refuse_oversized(&state, &headers)?;
    let mut params: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in query {
        if k != crate::auth::CSRF_FIELD {
            params.entry(k).or_default().push(v);
        }
    }
    header_params(&headers, &mut params);
    let who = principal.user.id.to_string();
    let actor = cap.actor().clone();
    let is_multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart {
        let record = upload_multipart(&state, &scope, tenant, &who, params, request).await?;
        return Ok((StatusCode::CREATED, Json(record)).into_response());
    }
    let one = |name: &str| params.get(name).and_then(|v| v.last()).cloned();
    let upload = UploadRequest {
        tenant: tenant.clone(),
        claim: claim_from(&params, EvidenceSource::Api)?,
        media_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned(),
        file_name: one("file_name"),
        uploader: who.as_str().into(),
        supersedes: one("supersedes").map(EvidenceId::new),
    };
    let body = request.into_body().into_data_stream();
    let record = repo
        .upload(&scope, &actor, upload, body)
        .await
        .map_err(evidence_problem)?;
    Ok((StatusCode::CREATED, Json(record)).into_response())
}

/// Refuses, before reading the body, an upload whose declared length is over the evidence size limit
/// (plus room for the form's other fields).
pub(crate) fn refuse_oversized<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
) -> Result<(), Problem> {
    let repo = repository(state)?;
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > repo.max_bytes().saturating_add(1024 * 1024)
    {
        return Err(evidence_problem(EvidenceError::TooLarge {
            limit: repo.max_bytes(),
        }));
    }
    Ok(())
}

/// Streams a `multipart/form-data` upload into the repository: text fields before the `file` part are
/// the metadata (added to `params`; empty fields count as absent, as a browser sends blank inputs), the
/// `file` part is the content. Shared by the API route and the web UI's upload form.
pub(crate) async fn upload_multipart<S: Store>(
    state: &AppState<S>,
    scope: &TenantScope,
    tenant: TenantId,
    who: &str,
    mut params: HashMap<String, Vec<String>>,
    request: Request,
) -> Result<EvidenceRecord, Problem> {
    let repo = repository(state)?;
    let actor = Actor(format!("user:{who}"));
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, e.body_text()))?
            .ok_or_else(|| Problem::bad_field("file", "the form has no file part"))?;
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            let text = field
                .text()
                .await
                .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, e.body_text()))?;
            if !text.trim().is_empty() {
                params.entry(name).or_default().push(text);
            }
            continue;
        }
        let upload = UploadRequest {
            tenant: tenant.clone(),
            claim: claim_from(&params, EvidenceSource::ManualUpload)?,
            media_type: field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_owned(),
            file_name: field.file_name().map(str::to_owned),
            uploader: who.into(),
            supersedes: params
                .get("supersedes")
                .and_then(|v| v.last())
                .map(|s| EvidenceId::new(s.as_str())),
        };
        let body = field.map_err(|e| e.body_text());
        return repo
            .upload(scope, &actor, upload, body)
            .await
            .map_err(evidence_problem);
    }
}

/// A record, the record that superseded it (if any) and every version of its chain.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct EvidenceDetail {
    pub record: EvidenceRecord,
    pub superseded_by: Option<EvidenceId>,
    pub versions: Vec<EvidenceRecord>,
}

/// The upload form: metadata fields first, then the file.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // describes a form for the OpenAPI document; never built
pub struct UploadForm {
    /// What the evidence is (`configuration`, `policy`, `report`...).
    kind: String,
    title: String,
    /// RFC 3339.
    collected_at: String,
    /// Controls it supports, comma-separated.
    control: Option<String>,
    period_start: Option<String>,
    period_end: Option<String>,
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// A tenant's evidence records, newest first, filtered.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/evidence", tag = "evidence",
    params(
        ("tenant" = String, Path, description = "Tenant ID", example = "northbank"),
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 0, maximum = 1000),
        ("offset" = Option<i64>, Query, description = "Items to skip", minimum = 0),
        ("kind" = Option<String>, Query, description = "Only evidence of this kind"),
        ("control" = Option<String>, Query, description = "Only evidence linked to this control"),
        ("expires_before" = Option<String>, Query, description = "Only evidence expiring before this date (YYYY-MM-DD)"),
        ("expired" = Option<bool>, Query, description = "true: only evidence already expired"),
        ("versions" = Option<String>, Query, description = "all: superseded versions too"),
    ),
    responses(
        (status = 200, description = "A page of records", body = Page<EvidenceRecord>),
        (status = 400, description = "A parameter is wrong; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's scope (the two look alike)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list<S: Store>(
    State(state): Shared<S>,
    Path(tenant): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    principal: Principal,
) -> Result<Json<Page<EvidenceRecord>>, Problem> {
    let cap = principal.authorize(Action::ReadTenant)?;
    let scope = cap.scope();
    let tenant = visible_tenant(&state, scope, &tenant).await?;
    let limit = int_param(&params, "limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let offset = int_param(&params, "offset", 0, i64::MAX)?;
    let kind = params
        .get("kind")
        .map(|k| {
            EvidenceKind::parse(k)
                .ok_or_else(|| Problem::bad_field("kind", format!("unknown kind {k:?}")))
        })
        .transpose()?;
    let expires_before = match (params.get("expires_before"), params.get("expired")) {
        (Some(d), _) => Some(
            time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
                .map_err(|_| {
                    Problem::bad_field(
                        "expires_before",
                        format!("expires_before must be YYYY-MM-DD, not {d:?}"),
                    )
                })?,
        ),
        (None, Some(v)) if v == "true" => Some(OffsetDateTime::now_utc().date()),
        _ => None,
    };
    let query = EvidenceQuery {
        tenant,
        kind,
        control: params.get("control").map(|c| c.as_str().into()),
        expires_before,
        current_only: params.get("versions").is_none_or(|v| v != "all"),
        limit: Some(limit),
        offset,
    };
    let page = state.store.list_evidence(scope, &query).await?;
    Ok(Json(Page {
        items: page.items,
        total: page.total,
        limit,
        offset,
    }))
}

/// One evidence record with its versions.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/evidence/{id}", tag = "evidence",
    params(
        ("tenant" = String, Path, description = "Tenant ID", example = "northbank"),
        ("id" = String, Path, description = "Evidence ID"),
    ),
    responses(
        (status = 200, description = "The record, what superseded it, and every version", body = EvidenceDetail),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's scope (the two look alike)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn show<S: Store>(
    State(state): Shared<S>,
    Path((tenant, id)): Path<(String, String)>,
    principal: Principal,
) -> Result<Json<EvidenceDetail>, Problem> {
    let cap = principal.authorize(Action::ReadTenant)?;
    let scope = cap.scope();
    let tenant = visible_tenant(&state, scope, &tenant).await?;
    let id = EvidenceId::new(id);
    let record = state
        .store
        .get_evidence(scope, &tenant, &id)
        .await?
        .ok_or_else(no_evidence)?;
    let versions = state.store.evidence_versions(scope, &tenant, &id).await?;
    let superseded_by = versions
        .iter()
        .find(|v| v.supersedes.as_ref() == Some(&record.id))
        .map(|v| v.id.clone());
    Ok(Json(EvidenceDetail {
        record,
        superseded_by,
        versions,
    }))
}

/// The evidence's bytes, decrypted and checked against their digest as they stream; the download is audited.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/evidence/{id}/content", tag = "evidence",
    params(
        ("tenant" = String, Path, description = "Tenant ID", example = "northbank"),
        ("id" = String, Path, description = "Evidence ID"),
    ),
    responses(
        (status = 200, description = "The content, with the media type it was uploaded with", content(
            (Vec<u8> = "*/*"),
        )),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's scope (the two look alike)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The tenant's key was destroyed (crypto-shredded)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "This server has no evidence store", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn download<S: Store>(
    State(state): Shared<S>,
    Path((tenant, id)): Path<(String, String)>,
    principal: Principal,
) -> Result<Response, Problem> {
    let cap = principal.authorize(Action::ReadTenant)?;
    let scope = cap.scope();
    let repo = repository(&state)?;
    let tenant = visible_tenant(&state, scope, &tenant).await?;
    let (record, stream) = repo
        .download(scope, cap.actor(), &tenant, &EvidenceId::new(id))
        .await
        .map_err(evidence_problem)?;
    let disposition = match &record.file_name {
        Some(name) => format!(
            "attachment; filename=\"{}\"",
            name.replace(['"', '\\', '\r', '\n'], "_")
        ),
        None => "attachment".to_owned(),
    };
    Ok((
        [
            (header::CONTENT_TYPE, record.media_type.clone()),
            (header::CONTENT_LENGTH, record.size.to_string()),
            (header::ETAG, format!("\"sha256:{}\"", record.digest)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
