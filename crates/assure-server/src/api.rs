//! The JSON API under `/api/v1`. Lists are `{"items": [...], "total": N, "limit": L, "offset": O}`.
//!
//! Until authentication lands every caller reads with the provider-wide scope; the scope is passed to the
//! store here, in one place per route, so tightening it is a change of this module only.

use std::collections::HashMap;
use std::sync::Arc;

use assure_domain::coverage::coverage;
use assure_domain::framework::display_requirement_id;
use assure_store::{ControlQuery, ControlSort, MappingFilter, Store, TenantScope};
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use serde::Serialize;
use serde_json::{Value, json};

use crate::AppState;
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
}

fn scope() -> TenantScope {
    TenantScope::AllTenants
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
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
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

async fn get_control<S: Store>(State(state): Shared<S>, Path(id): Path<String>) -> ApiResult {
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

async fn list_domains<S: Store>(State(state): Shared<S>) -> ApiResult {
    Ok(everything(&state.store.list_domains().await?))
}

async fn list_frameworks<S: Store>(State(state): Shared<S>) -> ApiResult {
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

async fn list_requirements<S: Store>(State(state): Shared<S>, Path(id): Path<String>) -> ApiResult {
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
    Path(id): Path<String>,
) -> ApiResult {
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
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
    let filter = MappingFilter {
        control: params.get("control").map(|x| x.as_str().into()),
        framework: params.get("framework").map(|x| x.as_str().into()),
        requirement: params.get("requirement").map(|x| x.as_str().into()),
    };
    Ok(everything(&state.store.list_mappings(&filter).await?))
}

async fn list_services<S: Store>(State(state): Shared<S>) -> ApiResult {
    Ok(everything(&state.store.list_services().await?))
}

async fn responsibility<S: Store>(
    State(state): Shared<S>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult {
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

async fn list_tenants<S: Store>(State(state): Shared<S>) -> ApiResult {
    Ok(everything(&state.store.list_tenants(&scope()).await?))
}

async fn get_tenant<S: Store>(State(state): Shared<S>, Path(id): Path<String>) -> ApiResult {
    let tenant = state
        .store
        .get_tenant(&scope(), &id.as_str().into())
        .await?
        .ok_or_else(|| Problem::not_found(&format!("tenant {id}")))?;
    Ok(Json(serde_json::to_value(tenant).unwrap_or(Value::Null)))
}
