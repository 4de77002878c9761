//! The baseline lifecycle in the API, under `/api/v1/baseline`: versions (open a draft, put changes in,
//! comment, move it through review, approval and publication), diff, impact, and customer notices with
//! their acknowledgement.
//!
//! Reading versions and diffs is `ReadCatalogue`; drafting, changing, commenting, submitting, returning
//! and reading a version's impact (every tenant's cells) `EditCatalogue`; approving and publishing
//! `ApproveBaseline`, and the domain's two-person rule keeps the author from approving. Notices are
//! tenant-owned: read with the caller's scope (`ReadTenant`), acknowledged with `AcknowledgeNotice`.

use std::collections::HashMap;
use std::sync::Arc;

use assure_domain::BaselineVersionId;
use assure_domain::access::{Action, permits};
use assure_domain::baseline::{
    Change, ChangeRecord, Comment, Difference, Impact, Notice, Transition, Trigger, diff,
};
use assure_domain::catalogue::BaselineVersion;
use assure_store::baseline::{add_change, content_of, impact_of, live_baseline, publish};
use assure_store::{NewBaselineDraft, Store, StoreError, VersionStep};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::Page;
use crate::auth::Principal;
use crate::problem::Problem;
use crate::routing::Routes;

type Shared<S> = State<Arc<AppState<S>>>;
type Created<T> = Result<(StatusCode, Json<T>), Problem>;

pub fn routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new()
        .get("/baseline/versions", list_versions::<S>)
        .post("/baseline/versions", open_draft::<S>)
        .get("/baseline/versions/{version}", show_version::<S>)
        .post("/baseline/versions/{version}/changes", put_change::<S>)
        .post("/baseline/versions/{version}/comments", comment::<S>)
        .post("/baseline/versions/{version}/transitions", transition::<S>)
        .get("/baseline/versions/{version}/impact", impact::<S>)
        .get("/baseline/diff", compare::<S>)
        .get("/baseline/notices", notices::<S>)
        .post("/baseline/notices/{notice}/acknowledge", acknowledge::<S>)
}

/// Opens a draft: what prompted it and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    pub trigger: Trigger,
    pub rationale: String,
}

/// One change for a draft, with why it is made.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRequest {
    pub change: Change,
    pub rationale: String,
}

/// A review comment, on the version or on one of its changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    /// The change's number, or absent for the whole version.
    #[serde(default)]
    pub change: Option<i64>,
    pub body: String,
}

/// A step for a version: reviewers (user ids) go with `submit`, an optional effective instant with
/// `publish` (default: the publication itself).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub transition: Transition,
    #[serde(default)]
    pub reviewers: Vec<String>,
    /// RFC 3339 instant.
    #[serde(default)]
    pub effective_at: Option<String>,
}

/// A version with its changes and comments.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDetail {
    pub version: BaselineVersion,
    pub changes: Vec<ChangeRecord>,
    pub comments: Vec<Comment>,
}

/// A publication: the version and the impact its notices were made from.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionOutcome {
    pub version: BaselineVersion,
    /// Set for a publication.
    pub impact: Option<Impact>,
}

/// Governance refusals are conflicts naming why; changes that would break the baseline are 422.
fn refusal(e: StoreError) -> Problem {
    match e {
        StoreError::Transition(_) | StoreError::Conflict(_) => {
            Problem::new(StatusCode::CONFLICT, e.to_string())
        }
        StoreError::Change(_) | StoreError::Trigger(_) => {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
        }
        other => other.into(),
    }
}

fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes, what: &str) -> Result<T, Problem> {
    serde_json::from_slice(bytes)
        .map_err(|e| Problem::bad_field("body", format!("not {what}: {e}")))
}

async fn version_of<S: Store>(store: &S, id: &str) -> Result<BaselineVersion, Problem> {
    store
        .list_baseline_versions()
        .await?
        .into_iter()
        .find(|v| v.id.as_str() == id)
        .ok_or_else(|| Problem::not_found(&format!("baseline version {id}")))
}

/// Every baseline version, oldest first.
#[utoipa::path(get, path = "/api/v1/baseline/versions", tag = "baseline",
    responses(
        (status = 200, description = "The versions", body = Page<BaselineVersion>),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_versions<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
) -> Result<Json<Page<BaselineVersion>>, Problem> {
    principal.authorize(Action::ReadCatalogue)?;
    let items = state.store.list_baseline_versions().await?;
    let n = i64::try_from(items.len()).unwrap_or(i64::MAX);
    Ok(Json(Page {
        items,
        total: n,
        limit: n,
        offset: 0,
    }))
}

/// Opens a draft over the live baseline; one version may be open at a time.
#[utoipa::path(post, path = "/api/v1/baseline/versions", tag = "baseline",
    request_body(content = DraftRequest),
    responses(
        (status = 201, description = "The draft", body = BaselineVersion),
        (status = 400, description = "The body is not a draft request; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another version is open, or no rationale", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The trigger's reference is malformed", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn open_draft<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    bytes: Bytes,
) -> Created<BaselineVersion> {
    let cap = principal.authorize(Action::EditCatalogue)?;
    let request: DraftRequest = body(&bytes, "a draft request ({trigger, rationale})")?;
    let live = live_baseline(&state.store).await?;
    let version = state
        .store
        .open_baseline_draft(
            cap.actor(),
            &NewBaselineDraft {
                trigger: request.trigger,
                rationale: request.rationale,
            },
            &live,
        )
        .await
        .map_err(refusal)?;
    Ok((StatusCode::CREATED, Json(version)))
}

/// A version with its changes and review comments.
#[utoipa::path(get, path = "/api/v1/baseline/versions/{version}", tag = "baseline",
    params(("version" = String, Path, description = "Version id", example = "v2")),
    responses(
        (status = 200, description = "The version", body = VersionDetail),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such version", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn show_version<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<VersionDetail>, Problem> {
    principal.authorize(Action::ReadCatalogue)?;
    let version = version_of(&state.store, &id).await?;
    let changes = state.store.list_baseline_changes(Some(&version.id)).await?;
    let comments = state
        .store
        .list_baseline_comments(Some(&version.id))
        .await?;
    Ok(Json(VersionDetail {
        version,
        changes,
        comments,
    }))
}

/// Puts one change into a draft; the whole baseline it makes is checked first.
#[utoipa::path(post, path = "/api/v1/baseline/versions/{version}/changes", tag = "baseline",
    params(("version" = String, Path, description = "Version id", example = "v2")),
    request_body(content = ChangeRequest),
    responses(
        (status = 201, description = "The change as recorded", body = ChangeRecord),
        (status = 400, description = "The body is not a change request; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such version", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The version is not a draft, or no rationale", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The change names nothing, or would make the baseline invalid", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn put_change<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Created<ChangeRecord> {
    let cap = principal.authorize(Action::EditCatalogue)?;
    let request: ChangeRequest = body(&bytes, "a change request ({change, rationale})")?;
    let record = add_change(
        &state.store,
        cap.actor(),
        &BaselineVersionId::from(id.as_str()),
        request.change,
        &request.rationale,
    )
    .await
    .map_err(refusal)?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// Adds a review comment.
#[utoipa::path(post, path = "/api/v1/baseline/versions/{version}/comments", tag = "baseline",
    params(("version" = String, Path, description = "Version id", example = "v2")),
    request_body(content = CommentRequest),
    responses(
        (status = 201, description = "The comment", body = Comment),
        (status = 400, description = "The body is not a comment; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such version or change", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An empty comment", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn comment<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Created<Comment> {
    let cap = principal.authorize(Action::EditCatalogue)?;
    let request: CommentRequest = body(&bytes, "a comment ({change?, body})")?;
    let c = state
        .store
        .comment_on_baseline(
            cap.actor(),
            &BaselineVersionId::from(id.as_str()),
            request.change,
            &request.body,
        )
        .await
        .map_err(refusal)?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Moves a version one step: submit (with reviewers), return, approve (not by its author), publish,
/// withdraw.
/// A refusal names why and the steps allowed.
#[utoipa::path(post, path = "/api/v1/baseline/versions/{version}/transitions", tag = "baseline",
    params(("version" = String, Path, description = "Version id", example = "v2")),
    request_body(content = TransitionRequest),
    responses(
        (status = 200, description = "The version after the step (and the impact of a publication)", body = TransitionOutcome),
        (status = 400, description = "The body is not a step, or a reviewer or instant is wrong; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not take this step", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such version", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused: the state, the two-person rule, or the effective date, named", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn transition<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<TransitionOutcome>, Problem> {
    let request: TransitionRequest =
        body(&bytes, "a step ({transition, reviewers?, effective_at?})")?;
    let action = match request.transition {
        Transition::Submit | Transition::Return | Transition::Withdraw => Action::EditCatalogue,
        Transition::Approve | Transition::Publish => Action::ApproveBaseline,
    };
    let cap = principal.authorize(action)?;
    let version = BaselineVersionId::from(id.as_str());
    if request.transition == Transition::Publish {
        let effective = request
            .effective_at
            .as_deref()
            .map(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| {
                        Problem::bad_field(
                            "effective_at",
                            format!("{t:?} is not an RFC 3339 instant"),
                        )
                    })
            })
            .transpose()?;
        let (v, impact) = publish(&state.store, cap.actor(), &version, effective)
            .await
            .map_err(refusal)?;
        return Ok(Json(TransitionOutcome {
            version: v,
            impact: Some(impact),
        }));
    }
    let mut reviewers = Vec::new();
    for r in &request.reviewers {
        let user = state
            .store
            .get_user(&r.as_str().into())
            .await?
            .filter(|u| permits(u.role, Action::ApproveBaseline))
            .ok_or_else(|| {
                Problem::bad_field(
                    "reviewers",
                    format!("{r} is not a user who may approve a baseline"),
                )
            })?;
        reviewers.push(format!("user:{}", user.id));
    }
    let v = state
        .store
        .transition_baseline(
            cap.actor(),
            &version,
            &VersionStep {
                transition: request.transition,
                reviewers,
                publication: None,
            },
        )
        .await
        .map_err(refusal)?;
    Ok(Json(TransitionOutcome {
        version: v,
        impact: None,
    }))
}

/// What publishing the version would change now: every tenant's cells, every framework's coverage,
/// and the engagements in progress it touches (none until engagements exist).
#[utoipa::path(get, path = "/api/v1/baseline/versions/{version}/impact", tag = "baseline",
    params(("version" = String, Path, description = "Version id", example = "v2")),
    responses(
        (status = 200, description = "The impact", body = Impact),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such version", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The impact cannot be computed (the catalogue is incomplete)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn impact<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Impact>, Problem> {
    principal.authorize(Action::EditCatalogue)?;
    let impact = impact_of(&state.store, &BaselineVersionId::from(id.as_str()))
        .await
        .map_err(refusal)?;
    Ok(Json(impact))
}

/// Two versions compared object by object; `live` names the catalogue as it is now.
#[utoipa::path(get, path = "/api/v1/baseline/diff", tag = "baseline",
    params(
        ("from" = String, Query, description = "The older version, or live", example = "v1"),
        ("to" = String, Query, description = "The newer version, or live", example = "live"),
    ),
    responses(
        (status = 200, description = "Every object that differs", body = Vec<Difference>),
        (status = 400, description = "A parameter is missing; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such version", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn compare<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Difference>>, Problem> {
    principal.authorize(Action::ReadCatalogue)?;
    let mut sides = Vec::new();
    for name in ["from", "to"] {
        let v = params
            .get(name)
            .ok_or_else(|| Problem::bad_field(name, format!("{name} names a version or live")))?;
        sides.push(if v == "live" {
            live_baseline(&state.store).await?
        } else {
            content_of(&state.store, &BaselineVersionId::from(v.as_str())).await?
        });
    }
    Ok(Json(diff(&sides[0], &sides[1])))
}

/// The notices of the tenants the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/baseline/notices", tag = "baseline",
    responses(
        (status = 200, description = "The notices", body = Page<Notice>),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn notices<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
) -> Result<Json<Page<Notice>>, Problem> {
    let cap = principal.authorize(Action::ReadTenant)?;
    let items = state.store.list_baseline_notices(cap.scope(), None).await?;
    let n = i64::try_from(items.len()).unwrap_or(i64::MAX);
    Ok(Json(Page {
        items,
        total: n,
        limit: n,
        offset: 0,
    }))
}

/// Acknowledges a notice of the caller's own tenant.
#[utoipa::path(post, path = "/api/v1/baseline/notices/{notice}/acknowledge", tag = "baseline",
    params(("notice" = String, Path, description = "Notice id", example = "v2-northbank")),
    responses(
        (status = 200, description = "The notice, acknowledged", body = Notice),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or another tenant's (the two look alike)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already acknowledged", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn acknowledge<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Notice>, Problem> {
    let cap = principal.authorize(Action::AcknowledgeNotice)?;
    let notice = state
        .store
        .acknowledge_notice(cap.scope(), cap.actor(), &id)
        .await
        .map_err(refusal)?;
    Ok(Json(notice))
}
