//! Tenants: the list the viewer's scope admits, and a tenant's page with its profile (services and
//! options, regions, frameworks of interest) and links to its matrix, framework views, SoA and evidence.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use assure_domain::TenantId;
use assure_domain::access::Action;
use assure_domain::framework::Framework;
use assure_domain::service::Service;
use assure_domain::tenant::Tenant;
use assure_store::Store;
use axum::extract::{Path, State};
use axum::response::Response;

use super::{Layout, PageError, Viewer, render};
use crate::AppState;

type Shared<S> = State<Arc<AppState<S>>>;

#[derive(Template)]
#[template(path = "tenants/list.html")]
struct TenantsPage {
    layout: Layout,
    tenants: Vec<Tenant>,
}

pub async fn list<S: Store>(State(state): Shared<S>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.require(Action::ReadTenant)?;
    render(&TenantsPage {
        layout: Layout::new(&viewer, "/tenants"),
        tenants: state.store.list_tenants(&viewer.scope).await?,
    })
}

/// The tenant `id` as the viewer may see it; unknown and foreign tenants are the same 404.
pub(crate) async fn visible_tenant<S: Store>(
    state: &AppState<S>,
    viewer: &Viewer,
    id: &str,
) -> Result<Tenant, PageError> {
    let not_found = || PageError::NotFound(format!("tenant {id}"));
    let tenant_id = TenantId::from(id);
    if !viewer.may_read_tenant(&tenant_id) {
        return Err(not_found());
    }
    state
        .store
        .get_tenant(&viewer.scope, &tenant_id)
        .await?
        .ok_or_else(not_found)
}

/// A service the tenant uses, with the names of its chosen options.
struct UsedService {
    id: String,
    name: String,
    model: &'static str,
    options: Vec<String>,
}

#[derive(Template)]
#[template(path = "tenants/tenant.html")]
struct TenantPage {
    layout: Layout,
    tenant: Tenant,
    services: Vec<UsedService>,
    frameworks: Vec<Framework>,
    may_upload: bool,
}

pub async fn tenant<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let tenant = visible_tenant(&state, &viewer, &id).await?;
    let catalogue: HashMap<String, Service> = state
        .store
        .list_services()
        .await?
        .into_iter()
        .map(|s| (s.id.as_str().to_owned(), s))
        .collect();
    let services = tenant
        .services
        .iter()
        .map(|u| {
            let known = catalogue.get(u.service.as_str());
            UsedService {
                id: u.service.as_str().to_owned(),
                name: known.map_or_else(|| u.service.as_str().to_owned(), |s| s.name.clone()),
                model: known.map_or("", |s| s.model.label()),
                options: u
                    .options
                    .iter()
                    .map(|o| {
                        known
                            .and_then(|s| s.options.iter().find(|x| &x.id == o))
                            .map_or_else(|| o.as_str().to_owned(), |x| x.name.clone())
                    })
                    .collect(),
            }
        })
        .collect();
    let frameworks = state
        .store
        .list_frameworks()
        .await?
        .into_iter()
        .filter(|f| tenant.frameworks.contains(&f.id))
        .collect();
    render(&TenantPage {
        layout: Layout::new(&viewer, &format!("/tenants/{}", tenant.id)),
        may_upload: viewer.may(Action::EditTenant),
        tenant,
        services,
        frameworks,
    })
}
