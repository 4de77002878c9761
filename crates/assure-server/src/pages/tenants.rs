//! Tenants: the list the viewer's scope admits, a tenant's page with its profile (services and options,
//! regions, frameworks of interest) and links to its matrix, framework views, SoA and evidence, and the
//! form that changes the profile (checked whole, as the API checks it; changes are audited by the store).

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use assure_domain::TenantId;
use assure_domain::access::Action;
use assure_domain::framework::Framework;
use assure_domain::profile::{Profile, ProfileCatalogue};
use assure_domain::service::Service;
use assure_domain::tenant::{ServiceUse, Tenant};
use assure_store::{Actor, Store};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Layout, PageError, Viewer, render};
use crate::AppState;

type Shared<S> = State<Arc<AppState<S>>>;

#[derive(Template)]
#[template(path = "tenants/list.html")]
struct TenantsPage {
    layout: Layout,
    tenants: Vec<Tenant>,
}

pub async fn list<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
) -> Result<Response, PageError> {
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
    may_edit: bool,
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
        may_edit: viewer.may(Action::EditTenant),
        tenant,
        services,
        frameworks,
    })
}

/// A checkbox of the profile form.
struct Tick {
    /// The element id (unique in the form, for its label).
    id: String,
    value: String,
    label: String,
    checked: bool,
}

/// One service of the profile form with its options.
struct ServiceTicks {
    service: Tick,
    model: &'static str,
    regions: String,
    options: Vec<Tick>,
}

#[derive(Template)]
#[template(path = "tenants/profile.html")]
struct ProfilePage {
    layout: Layout,
    tenant: Tenant,
    services: Vec<ServiceTicks>,
    regions: Vec<Tick>,
    frameworks: Vec<Tick>,
    problems: Vec<String>,
}

/// The profile form for `profile` (the stored one, or the one just refused with its problems).
async fn profile_page<S: Store>(
    state: &AppState<S>,
    viewer: &Viewer,
    tenant: Tenant,
    profile: &Profile,
    problems: Vec<String>,
) -> Result<ProfilePage, PageError> {
    let uses = |service: &str| {
        profile
            .services
            .iter()
            .find(|u| u.service.as_str() == service)
    };
    let services = state
        .store
        .list_services()
        .await?
        .into_iter()
        .map(|s| {
            let used = uses(s.id.as_str());
            ServiceTicks {
                options: s
                    .options
                    .iter()
                    .map(|o| Tick {
                        id: format!("option-{}-{}", s.id, o.id),
                        value: format!("{}:{}", s.id, o.id),
                        label: o.name.clone(),
                        checked: used.is_some_and(|u| u.options.contains(&o.id)),
                    })
                    .collect(),
                model: s.model.label(),
                regions: s
                    .regions
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                service: Tick {
                    id: format!("service-{}", s.id),
                    value: s.id.as_str().to_owned(),
                    label: s.name.clone(),
                    checked: used.is_some(),
                },
            }
        })
        .collect();
    let regions = state
        .store
        .list_regions()
        .await?
        .into_iter()
        .map(|r| Tick {
            id: format!("region-{}", r.id),
            checked: profile.regions.contains(&r.id),
            label: format!("{} ({}, {})", r.name, r.id, r.country),
            value: r.id.as_str().to_owned(),
        })
        .collect();
    let frameworks = state
        .store
        .list_frameworks()
        .await?
        .into_iter()
        .map(|f| Tick {
            id: format!("framework-{}", f.id),
            checked: profile.frameworks.contains(&f.id),
            label: f.name.clone(),
            value: f.id.as_str().to_owned(),
        })
        .collect();
    Ok(ProfilePage {
        layout: Layout::new(viewer, &format!("/tenants/{}", tenant.id)),
        tenant,
        services,
        regions,
        frameworks,
        problems,
    })
}

/// The form to change a tenant's profile (services and options, regions, frameworks of interest).
pub async fn profile_form<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let tenant = visible_tenant(&state, &viewer, &id).await?;
    viewer.require(Action::EditTenant)?;
    let profile = Profile::of(&tenant);
    render(&profile_page(&state, &viewer, tenant, &profile, Vec::new()).await?)
}

/// The profile a submitted form describes: ticked services, `SERVICE:OPTION` ticks of ticked services
/// (an option of a service left unticked is dropped with it), ticked regions and frameworks.
fn profile_from_form(fields: &[(String, String)]) -> Profile {
    let values = |name: &'static str| {
        fields
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let services = values("service")
        .map(|s| ServiceUse {
            service: s.into(),
            options: values("option")
                .filter_map(|o| o.split_once(':'))
                .filter(|(svc, _)| *svc == s)
                .map(|(_, opt)| opt.into())
                .collect(),
        })
        .collect();
    Profile {
        services,
        regions: values("region").map(Into::into).collect(),
        frameworks: values("framework").map(Into::into).collect(),
    }
}

/// Replaces the tenant's profile after checking all of it (the rules of the API's `PUT .../profile`); a
/// refused profile changes nothing and comes back with every problem listed.
pub async fn profile_save<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let tenant = visible_tenant(&state, &viewer, &id).await?;
    viewer.require(Action::EditTenant)?;
    let profile = profile_from_form(&fields);
    let services = state.store.list_services().await?;
    let regions = state.store.list_regions().await?;
    let frameworks = state.store.list_frameworks().await?;
    let catalogue = ProfileCatalogue::new(
        &services,
        regions.iter().map(|r| &r.id),
        frameworks.iter().map(|f| &f.id),
    );
    let problems: Vec<String> = profile
        .problems(&catalogue)
        .iter()
        .map(ToString::to_string)
        .collect();
    if !problems.is_empty() {
        let page = profile_page(&state, &viewer, tenant, &profile, problems).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let actor = Actor(format!("user:{}", viewer.user));
    state
        .store
        .update_tenant(&viewer.scope, &actor, &profile.applied_to(&tenant))
        .await?;
    Ok(Redirect::to(&format!("/tenants/{}", tenant.id)).into_response())
}
