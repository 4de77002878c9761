//! The JSON API under `/api/v1`. Lists are `{"items": [...], "total": N, "limit": L, "offset": O}`.
//!
//! Every handler takes the caller's [`Principal`] and asks it for the capability of its action (403 when
//! the role lacks it); tenant routes pass the capability's scope to the store, so a tenant outside the
//! scope answers exactly as one that does not exist.

use std::collections::HashMap;
use std::sync::Arc;

use assure_domain::access::Action;
use assure_domain::coverage::coverage;
use assure_domain::framework::display_requirement_id;
use assure_domain::profile::{Profile, ProfileCatalogue};
use assure_reports::{ReportError, oscal_export, xlsx};
use assure_store::snapshot::programme_snapshot;
use assure_store::{ControlQuery, ControlSort, MappingFilter, Store, TenantScope};
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Principal;
use crate::problem::Problem;

type Shared<S> = State<Arc<AppState<S>>>;
type ApiResult = Result<Json<Value>, Problem>;

/// Default and largest page sizes.
pub(crate) const DEFAULT_LIMIT: i64 = 100;
pub(crate) const MAX_LIMIT: i64 = 1000;

pub fn routes<S: Store>() -> Router<Arc<AppState<S>>> {
    Router::new()
        .route("/controls", get(list_controls::<S>))
        .route("/controls/{id}", get(get_control::<S>))
        .route("/domains", get(list_domains::<S>))
        .route("/frameworks", get(list_frameworks::<S>))
        .route("/frameworks/{id}/requirements", get(list_requirements::<S>))
        .route("/frameworks/{id}/coverage", get(framework_coverage::<S>))
        .route("/mappings", get(list_mappings::<S>))
        .route("/services", get(list_services::<S>))
        .route("/responsibility", get(responsibility::<S>))
        .route("/tenants", get(list_tenants::<S>))
        .route("/tenants/{id}", get(get_tenant::<S>))
        .route(
            "/tenants/{id}/profile",
            get(get_profile::<S>).put(put_profile::<S>),
        )
        .route("/tenants/{id}/matrix", get(tenant_matrix::<S>))
}

fn page<T: Serialize>(items: &[T], total: i64, limit: i64, offset: i64) -> Json<Value> {
    Json(json!({ "items": items, "total": total, "limit": limit, "offset": offset }))
}

fn everything<T: Serialize>(items: &[T]) -> Json<Value> {
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

async fn list_controls<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
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
    let result = state.store.list_controls(&query).await?;
    Ok(page(&result.items, result.total, limit, offset))
}

async fn get_control<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult {
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
    Ok(Json(json!({ "control": control, "mappings": mappings })))
}

async fn list_domains<S: Store>(State(state): Shared<S>, principal: Principal) -> ApiResult {
    principal.authorize(Action::ReadCatalogue)?;
    Ok(everything(&state.store.list_domains().await?))
}

async fn list_frameworks<S: Store>(State(state): Shared<S>, principal: Principal) -> ApiResult {
    principal.authorize(Action::ReadCatalogue)?;
    Ok(everything(&state.store.list_frameworks().await?))
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

async fn list_requirements<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult {
    principal.authorize(Action::ReadCatalogue)?;
    let framework = known_framework(&state, &id).await?;
    let requirements = state.store.list_requirements(&framework).await?;
    let items: Vec<Value> = requirements
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
            v["display_id"] = Value::String(display_requirement_id(&r.framework, &r.id));
            v
        })
        .collect();
    Ok(everything(&items))
}

async fn framework_coverage<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult {
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
    Ok(Json(json!({
        "framework": framework,
        "total": c.total(),
        "covered": c.covered,
        "partly_covered": c.partly_covered,
        "not_covered": c.not_covered,
        "covered_or_partly_percent": c.covered_or_partly_percent(),
        "requirements": c.requirements,
    })))
}

async fn list_mappings<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    principal.authorize(Action::ReadCatalogue)?;
    let filter = MappingFilter {
        control: params.get("control").map(|x| x.as_str().into()),
        framework: params.get("framework").map(|x| x.as_str().into()),
        requirement: params.get("requirement").map(|x| x.as_str().into()),
    };
    Ok(everything(&state.store.list_mappings(&filter).await?))
}

async fn list_services<S: Store>(State(state): Shared<S>, principal: Principal) -> ApiResult {
    principal.authorize(Action::ReadCatalogue)?;
    Ok(everything(&state.store.list_services().await?))
}

async fn responsibility<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
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
    Ok(Json(json!({
        "model_defaults": state.store.list_model_defaults().await?,
        "entries": state.store.list_responsibility_entries(service.as_ref()).await?,
        "option_rules": state.store.list_option_rules(service.as_ref()).await?,
    })))
}

async fn list_tenants<S: Store>(State(state): Shared<S>, principal: Principal) -> ApiResult {
    let cap = principal.authorize(Action::ReadTenant)?;
    Ok(everything(&state.store.list_tenants(cap.scope()).await?))
}

async fn get_tenant<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult {
    let cap = principal.authorize(Action::ReadTenant)?;
    let tenant = state
        .store
        .get_tenant(cap.scope(), &id.as_str().into())
        .await?
        .ok_or_else(|| Problem::not_found(&format!("tenant {id}")))?;
    Ok(Json(serde_json::to_value(tenant).unwrap_or(Value::Null)))
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
        .ok_or_else(|| Problem::not_found(&format!("tenant {id}")))?;
    Ok((programme, tenant))
}

async fn get_profile<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult {
    let cap = principal.authorize(Action::ReadTenant)?;
    let (_, tenant) = programme_and_tenant(&state, cap.scope(), &id).await?;
    Ok(Json(
        serde_json::to_value(Profile::of(&tenant)).unwrap_or(Value::Null),
    ))
}

/// Replaces a tenant's profile. The whole profile is checked first; any problem refuses it with every
/// problem listed and nothing changed. The change is audited in the tenant's chain.
async fn put_profile<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
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
    Ok(Json(serde_json::to_value(&profile).unwrap_or(Value::Null)))
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
async fn tenant_matrix<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, Problem> {
    let cap = principal.authorize(Action::ReadTenant)?;
    let (programme, mut tenant) = programme_and_tenant(&state, cap.scope(), &id).await?;
    if let Some(text) = params.get("as_of") {
        let at =
            assure_domain::audit::parse_as_of(text).map_err(|e| Problem::bad_field("as_of", e))?;
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
