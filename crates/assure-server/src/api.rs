//! The JSON API under `/api/v1`. Lists are `{"items": [...], "total": N, "limit": L, "offset": O}`.
//!
//! Every handler takes the caller's [`Principal`] and asks it for the capability of its action (403 when
//! the role lacks it); tenant routes pass the capability's scope to the store, so a tenant outside the
//! scope answers exactly as one that does not exist.

use std::collections::HashMap;
use std::sync::Arc;

use assure_domain::FrameworkId;
use assure_domain::access::Action;
use assure_domain::catalogue::{Control, ControlDomain};
use assure_domain::coverage::RequirementCoverage;
use assure_domain::coverage::coverage;
use assure_domain::framework::display_requirement_id;
use assure_domain::framework::{Framework, Requirement};
use assure_domain::mapping::Mapping;
use assure_domain::profile::{Profile, ProfileCatalogue};
use assure_domain::responsibility::{OptionRule, ResponsibilityEntry, ServiceModelDefaults};
use assure_domain::service::Service;
use assure_domain::tenant::Tenant;
use assure_reports::{ReportError, oscal_export, xlsx};
use assure_store::snapshot::programme_snapshot;
use assure_store::{ControlQuery, ControlSort, MappingFilter, Store, TenantScope};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Principal;
use crate::problem::Problem;
use crate::routing::Routes;

type Shared<S> = State<Arc<AppState<S>>>;
type ApiResult<T> = Result<Json<T>, Problem>;

/// A window of a list: the items, how many there are in all, and the window asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// A control with the mappings that tie it to framework requirements.
#[derive(Debug, Serialize, ToSchema)]
pub struct ControlDetail {
    pub control: Control,
    pub mappings: Vec<Mapping>,
}

/// A requirement with its ID as people read it (`AC-2(1)` for `ac-2.1`).
#[derive(Debug, Serialize, ToSchema)]
pub struct RequirementView {
    #[serde(flatten)]
    pub requirement: Requirement,
    pub display_id: String,
}

/// How much of a framework the baseline covers, requirement by requirement.
#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkCoverage {
    pub framework: FrameworkId,
    pub total: usize,
    pub covered: usize,
    pub partly_covered: usize,
    pub not_covered: usize,
    pub covered_or_partly_percent: f64,
    pub requirements: Vec<RequirementCoverage>,
}

/// The responsibility rules: model defaults, per-service entries and option rules.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResponsibilityRules {
    pub model_defaults: Vec<ServiceModelDefaults>,
    pub entries: Vec<ResponsibilityEntry>,
    pub option_rules: Vec<OptionRule>,
}

/// Default and largest page sizes.
pub(crate) const DEFAULT_LIMIT: i64 = 100;
pub(crate) const MAX_LIMIT: i64 = 1000;

pub fn routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new()
        .get("/controls", list_controls::<S>)
        .get("/controls/{id}", get_control::<S>)
        .get("/domains", list_domains::<S>)
        .get("/frameworks", list_frameworks::<S>)
        .get("/frameworks/{id}/requirements", list_requirements::<S>)
        .get("/frameworks/{id}/coverage", framework_coverage::<S>)
        .get("/mappings", list_mappings::<S>)
        .get("/services", list_services::<S>)
        .get("/responsibility", responsibility::<S>)
        .get("/tenants", list_tenants::<S>)
        .get("/tenants/{id}", get_tenant::<S>)
        .get("/tenants/{id}/profile", get_profile::<S>)
        .put("/tenants/{id}/profile", put_profile::<S>)
        .get("/tenants/{id}/matrix", tenant_matrix::<S>)
}

fn page<T>(items: Vec<T>, total: i64, limit: i64, offset: i64) -> Json<Page<T>> {
    Json(Page {
        items,
        total,
        limit,
        offset,
    })
}

fn everything<T>(items: Vec<T>) -> Json<Page<T>> {
    let n = i64::try_from(items.len()).unwrap_or(i64::MAX);
    page(items, n, n, 0)
}

pub(crate) fn int_param(
    params: &HashMap<String, String>,
    name: &str,
    default: i64,
    max: i64,
) -> Result<i64, Problem> {
    match params.get(name) {
        None => Ok(default),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (0..=max).contains(&n) => Ok(n),
            _ => Err(Problem::bad_field(
                name,
                format!("{name} must be a whole number from 0 to {max}, not {v:?}"),
            )),
        },
    }
}

/// The controls of the baseline, paged, filtered and sorted.
#[utoipa::path(get, path = "/api/v1/controls", tag = "catalogue",
    params(
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 0, maximum = 1000),
        ("offset" = Option<i64>, Query, description = "Items to skip", minimum = 0),
        ("sort" = Option<String>, Query, description = "baseline (default), id or title; prefix - to reverse",
            pattern = "^-?(baseline|id|title)$"),
        ("domain" = Option<String>, Query, description = "Only controls of this domain"),
        ("q" = Option<String>, Query, description = "Words in the ID, title or statement"),
    ),
    responses(
        (status = 200, description = "A page of controls", body = Page<Control>),
        (status = 400, description = "A parameter is wrong; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_controls<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, Problem> {
    principal.authorize(Action::ReadCatalogue)?;
    let limit = int_param(&params, "limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let offset = int_param(&params, "offset", 0, i64::MAX)?;
    let (sort, descending) = match params.get("sort").map(String::as_str) {
        None | Some("baseline") => (ControlSort::Baseline, false),
        Some("-baseline") => (ControlSort::Baseline, true),
        Some("id") => (ControlSort::Id, false),
        Some("-id") => (ControlSort::Id, true),
        Some("title") => (ControlSort::Title, false),
        Some("-title") => (ControlSort::Title, true),
        Some(other) => {
            return Err(Problem::bad_field(
                "sort",
                format!("sort must be baseline, id or title (prefix - to reverse), not {other:?}"),
            ));
        }
    };
    let query = ControlQuery {
        domain: params.get("domain").map(|d| d.as_str().into()),
        search: params.get("q").cloned(),
        sort,
        descending,
        limit: Some(limit),
        offset,
    };
    // The catalogue is the same for every caller who may read it: a page is serialised once per change.
    let key = format!("{query:?}");
    let store = &state.store;
    let body = state
        .read_cache
        .page(store, key, || async {
            let result = store.list_controls(&query).await?;
            let page = Page {
                items: result.items,
                total: result.total,
                limit,
                offset,
            };
            serde_json::to_vec(&page).map(Bytes::from).map_err(|e| {
                tracing::error!(error = %e, "could not serialise a page of controls");
                Problem::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "the page could not be written; see the server log",
                )
            })
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// One control with its mappings.
#[utoipa::path(get, path = "/api/v1/controls/{id}", tag = "catalogue",
    params(("id" = String, Path, description = "Control ID", example = "IAM-01")),
    responses(
        (status = 200, description = "The control and its mappings", body = ControlDetail),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's scope (the two look alike)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get_control<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<ControlDetail> {
    principal.authorize(Action::ReadCatalogue)?;
    let control = state
        .store
        .get_control(&id.as_str().into())
        .await?
        .ok_or_else(|| Problem::not_found(&format!("control {id}")))?;
    let mappings = state
        .store
        .list_mappings(&MappingFilter {
            control: Some(control.id.clone()),
            ..MappingFilter::default()
        })
        .await?;
    Ok(Json(ControlDetail { control, mappings }))
}

/// The control domains.
#[utoipa::path(get, path = "/api/v1/domains", tag = "catalogue",
    responses(
        (status = 200, description = "Every domain", body = Page<ControlDomain>),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_domains<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
) -> ApiResult<Page<ControlDomain>> {
    principal.authorize(Action::ReadCatalogue)?;
    Ok(everything(state.store.list_domains().await?))
}

/// The frameworks the baseline maps to.
#[utoipa::path(get, path = "/api/v1/frameworks", tag = "catalogue",
    responses(
        (status = 200, description = "Every framework", body = Page<Framework>),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_frameworks<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
) -> ApiResult<Page<Framework>> {
    principal.authorize(Action::ReadCatalogue)?;
    Ok(everything(state.store.list_frameworks().await?))
}

async fn known_framework<S: Store>(
    state: &AppState<S>,
    id: &str,
) -> Result<assure_domain::FrameworkId, Problem> {
    let frameworks = state.store.list_frameworks().await?;
    frameworks
        .into_iter()
        .find(|f| f.id.as_str() == id)
        .map(|f| f.id)
        .ok_or_else(|| Problem::not_found(&format!("framework {id}")))
}

/// A framework's requirements in the publisher's order.
#[utoipa::path(get, path = "/api/v1/frameworks/{id}/requirements", tag = "catalogue",
    params(("id" = String, Path, description = "Framework ID", example = "iso27001-2022")),
    responses(
        (status = 200, description = "Every requirement", body = Page<RequirementView>),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's scope (the two look alike)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_requirements<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Page<RequirementView>> {
    principal.authorize(Action::ReadCatalogue)?;
    let framework = known_framework(&state, &id).await?;
    let requirements = state.store.list_requirements(&framework).await?;
    let items = requirements
        .into_iter()
        .map(|r| RequirementView {
            display_id: display_requirement_id(&r.framework, &r.id),
            requirement: r,
        })
        .collect();
    Ok(everything(items))
}

/// How much of a framework the baseline covers.
#[utoipa::path(get, path = "/api/v1/frameworks/{id}/coverage", tag = "catalogue",
    params(("id" = String, Path, description = "Framework ID", example = "iso27001-2022")),
    responses(
        (status = 200, description = "Coverage by requirement", body = FrameworkCoverage),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's scope (the two look alike)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn framework_coverage<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<FrameworkCoverage> {
    principal.authorize(Action::ReadCatalogue)?;
    let framework = known_framework(&state, &id).await?;
    let requirements = state.store.list_requirements(&framework).await?;
    let mappings = state
        .store
        .list_mappings(&MappingFilter {
            framework: Some(framework.clone()),
            ..MappingFilter::default()
        })
        .await?;
    let c = coverage(&requirements, &mappings);
    Ok(Json(FrameworkCoverage {
        framework,
        total: c.total(),
        covered: c.covered,
        partly_covered: c.partly_covered,
        not_covered: c.not_covered,
        covered_or_partly_percent: c.covered_or_partly_percent(),
        requirements: c.requirements,
    }))
}

/// Mappings from controls to requirements, filtered.
#[utoipa::path(get, path = "/api/v1/mappings", tag = "catalogue",
    params(
        ("control" = Option<String>, Query, description = "Only mappings of this control"),
        ("framework" = Option<String>, Query, description = "Only mappings into this framework"),
        ("requirement" = Option<String>, Query, description = "Only mappings to this requirement"),
    ),
    responses(
        (status = 200, description = "The mappings", body = Page<Mapping>),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_mappings<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Page<Mapping>> {
    principal.authorize(Action::ReadCatalogue)?;
    let filter = MappingFilter {
        control: params.get("control").map(|x| x.as_str().into()),
        framework: params.get("framework").map(|x| x.as_str().into()),
        requirement: params.get("requirement").map(|x| x.as_str().into()),
    };
    Ok(everything(state.store.list_mappings(&filter).await?))
}

/// The provider's services.
#[utoipa::path(get, path = "/api/v1/services", tag = "services",
    responses(
        (status = 200, description = "Every service", body = Page<Service>),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_services<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
) -> ApiResult<Page<Service>> {
    principal.authorize(Action::ReadCatalogue)?;
    Ok(everything(state.store.list_services().await?))
}

/// The responsibility rules, for every service or one.
#[utoipa::path(get, path = "/api/v1/responsibility", tag = "services",
    params(("service" = Option<String>, Query, description = "Only this service's entries and rules", example = "vm")),
    responses(
        (status = 200, description = "Model defaults, entries and option rules", body = ResponsibilityRules),
        (status = 400, description = "A parameter is wrong; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn responsibility<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<ResponsibilityRules> {
    principal.authorize(Action::ReadCatalogue)?;
    let service = params
        .get("service")
        .map(|s| assure_domain::ServiceId::new(s.as_str()));
    if let Some(id) = &service
        && !state
            .store
            .list_services()
            .await?
            .iter()
            .any(|s| &s.id == id)
    {
        return Err(Problem::bad_field(
            "service",
            format!("unknown service {id}"),
        ));
    }
    Ok(Json(ResponsibilityRules {
        model_defaults: state.store.list_model_defaults().await?,
        entries: state
            .store
            .list_responsibility_entries(service.as_ref())
            .await?,
        option_rules: state.store.list_option_rules(service.as_ref()).await?,
    }))
}

/// The tenants the caller may see.
#[utoipa::path(get, path = "/api/v1/tenants", tag = "tenants",
    responses(
        (status = 200, description = "The caller's tenants", body = Page<Tenant>),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_tenants<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
) -> ApiResult<Page<Tenant>> {
    let cap = principal.authorize(Action::ReadTenant)?;
    Ok(everything(state.store.list_tenants(cap.scope()).await?))
}

/// One tenant.
#[utoipa::path(get, path = "/api/v1/tenants/{id}", tag = "tenants",
    params(("id" = String, Path, description = "Tenant ID", example = "northbank")),
    responses(
        (status = 200, description = "The tenant", body = Tenant),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's scope (the two look alike)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get_tenant<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Tenant> {
    let cap = principal.authorize(Action::ReadTenant)?;
    let tenant = state
        .store
        .get_tenant(cap.scope(), &id.as_str().into())
        .await?
        .ok_or_else(no_tenant)?;
    Ok(Json(tenant))
}

/// The same answer for a tenant that does not exist and one outside the caller's scope; it does not echo
/// the ID, so the two bodies are identical.
fn no_tenant() -> Problem {
    Problem::not_found("tenant")
}

/// The programme and one tenant of it, or 404.
async fn programme_and_tenant<S: Store>(
    state: &AppState<S>,
    scope: &TenantScope,
    id: &str,
) -> Result<
    (
        assure_domain::programme::Programme,
        assure_domain::tenant::Tenant,
    ),
    Problem,
> {
    let programme = programme_snapshot(&state.store, scope).await?;
    let tenant = programme
        .tenants
        .iter()
        .find(|t| t.id.as_str() == id)
        .cloned()
        .ok_or_else(no_tenant)?;
    Ok((programme, tenant))
}

/// A tenant's profile: services with options, regions, frameworks.
#[utoipa::path(get, path = "/api/v1/tenants/{id}/profile", tag = "tenants",
    params(("id" = String, Path, description = "Tenant ID", example = "northbank")),
    responses(
        (status = 200, description = "The profile", body = Profile),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's scope (the two look alike)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get_profile<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Profile> {
    let cap = principal.authorize(Action::ReadTenant)?;
    let (_, tenant) = programme_and_tenant(&state, cap.scope(), &id).await?;
    Ok(Json(Profile::of(&tenant)))
}

/// Replaces a tenant's profile. The whole profile is checked first; any problem refuses it with every
/// problem listed and nothing changed. The change is audited in the tenant's chain.
#[utoipa::path(put, path = "/api/v1/tenants/{id}/profile", tag = "tenants",
    params(("id" = String, Path, description = "Tenant ID", example = "northbank")),
    request_body(content = Profile, description = "The whole new profile"),
    responses(
        (status = 200, description = "The profile now in force", body = Profile),
        (status = 400, description = "A parameter is wrong; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's scope (the two look alike)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn put_profile<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Profile> {
    let cap = principal.authorize(Action::EditTenant)?;
    let profile: Profile = serde_json::from_slice(&body).map_err(|e| {
        Problem::bad_field(
            "body",
            format!("not a profile ({{services, regions, frameworks}}): {e}"),
        )
    })?;
    let (programme, tenant) = programme_and_tenant(&state, cap.scope(), &id).await?;
    let catalogue = ProfileCatalogue::new(
        &programme.services,
        programme.regions.iter().map(|r| &r.id),
        programme.frameworks.iter().map(|f| &f.id),
    );
    let problems = profile.problems(&catalogue);
    if let Some(first) = problems.first() {
        let detail = problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Problem::bad_field(
            first.id(),
            format!("profile of tenant {id} not changed: {detail}"),
        ));
    }
    state
        .store
        .update_tenant(cap.scope(), cap.actor(), &profile.applied_to(&tenant))
        .await?;
    Ok(Json(profile))
}

fn report_problem(e: ReportError) -> Problem {
    match e {
        ReportError::UnknownFramework(_) => Problem::bad_field("framework", e.to_string()),
        ReportError::MissingFramework(_) => Problem::bad_field("format", e.to_string()),
        other => {
            tracing::error!(error = %other, "report failed");
            Problem::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "the report could not be built; see the server log",
            )
        }
    }
}

fn download(content_type: &'static str, name: String, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A tenant's matrix: `format` json (default), csv, xlsx, crm, soa or oscal; `framework` narrows the
/// framework views (and csv) to one framework; `as_of` (a date or an RFC 3339 instant) takes the profile
/// the tenant had then.
#[utoipa::path(get, path = "/api/v1/tenants/{id}/matrix", tag = "tenants",
    params(
        ("id" = String, Path, description = "Tenant ID", example = "northbank"),
        ("format" = Option<String>, Query, description = "json (default), csv, xlsx, crm, soa or oscal",
            pattern = "^(json|csv|xlsx|crm|soa|oscal)$"),
        ("framework" = Option<String>, Query, description = "Narrow the framework views to one framework"),
        ("as_of" = Option<String>, Query, description = "A date (YYYY-MM-DD) or RFC 3339 instant"),
    ),
    responses(
        (status = 200, description = "The matrix: JSON (the report, or OSCAL documents by file name), CSV or XLSX",
            content(
                (Object = "application/json"),
                (String = "text/csv"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            )),
        (status = 400, description = "A parameter is wrong; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's scope (the two look alike)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn tenant_matrix<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, Problem> {
    let cap = principal.authorize(Action::ReadTenant)?;
    let (mut programme, mut tenant) = programme_and_tenant(&state, cap.scope(), &id).await?;
    if let Some(text) = params.get("as_of") {
        let at =
            assure_domain::audit::parse_as_of(text).map_err(|e| Problem::bad_field("as_of", e))?;
        // The baseline version then in force, as well as the profile.
        if let Some((_, b)) = assure_store::baseline::baseline_as_of(&state.store, at).await? {
            programme = b.installed_in(&programme);
        }
        tenant = state
            .store
            .tenant_as_of(cap.scope(), &tenant.id, at)
            .await?
            .ok_or_else(|| {
                Problem::bad_field(
                    "as_of",
                    format!("tenant {id} had no recorded profile by {text}"),
                )
            })?;
    }
    let asked = params
        .get("framework")
        .map(|f| assure_domain::FrameworkId::from(f.as_str()));
    let frameworks = assure_reports::frameworks_for(&programme, &tenant, asked.as_ref())
        .map_err(report_problem)?;
    let report =
        assure_reports::report(&programme, &tenant, &frameworks).map_err(report_problem)?;
    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let format = params.get("format").map_or("json", String::as_str);
    Ok(match format {
        "json" => Json(serde_json::to_value(&report).unwrap_or(Value::Null)).into_response(),
        "csv" => {
            let bytes = assure_reports::to_csv(&report.primary_table(asked.is_some()))
                .map_err(report_problem)?;
            download("text/csv; charset=utf-8", format!("{id}-matrix.csv"), bytes)
        }
        "xlsx" => download(
            XLSX,
            format!("{id}-matrix.xlsx"),
            xlsx::matrix_xlsx(&report).map_err(report_problem)?,
        ),
        "soa" => download(
            XLSX,
            format!("{id}-soa.xlsx"),
            xlsx::soa_xlsx(&report).map_err(report_problem)?,
        ),
        "crm" => {
            let bytes = report.crm_csv(&programme).map_err(report_problem)?;
            download("text/csv; charset=utf-8", format!("{id}-crm.csv"), bytes)
        }
        "oscal" => {
            let docs = oscal_export::documents(&programme, &tenant, &report.matrix)
                .map_err(report_problem)?;
            let map: serde_json::Map<String, Value> = docs.into_iter().collect();
            Json(Value::Object(map)).into_response()
        }
        other => {
            return Err(Problem::bad_field(
                "format",
                format!("format must be json, csv, xlsx, crm, soa or oscal, not {other:?}"),
            ));
        }
    })
}
