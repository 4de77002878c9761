//! Services and their responsibility: the service catalogue, each service's entries (where it departs from
//! its model's defaults) and option rules, and the service-model defaults of every control.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use assure_domain::access::Action;
use assure_domain::responsibility::{OptionRule, ResponsibilityEntry, ServiceModelDefaults};
use assure_domain::service::{Service, ServiceModel};
use assure_store::{ControlQuery, Store};
use axum::extract::{Path, State};
use axum::response::Response;

use super::{Layout, PageError, Viewer, render};
use crate::AppState;

type Shared<S> = State<Arc<AppState<S>>>;

#[derive(Template)]
#[template(path = "services/list.html")]
struct ServicesPage {
    layout: Layout,
    services: Vec<Service>,
}

pub async fn list<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadCatalogue)?;
    render(&ServicesPage {
        layout: Layout::new(&viewer, "/services"),
        services: state.store.list_services().await?,
    })
}

/// Control titles by ID, read once for a whole page.
async fn control_titles<S: Store>(store: &S) -> Result<HashMap<String, String>, PageError> {
    Ok(store
        .list_controls(&ControlQuery::default())
        .await?
        .items
        .into_iter()
        .map(|c| (c.id.as_str().to_owned(), c.title))
        .collect())
}

#[derive(Template)]
#[template(path = "services/service.html")]
struct ServicePage {
    layout: Layout,
    service: Service,
    entries: Vec<ResponsibilityEntry>,
    rules: Vec<OptionRule>,
    titles: HashMap<String, String>,
}

impl ServicePage {
    fn title(&self, control: &str) -> String {
        self.titles.get(control).cloned().unwrap_or_default()
    }

    fn option_name(&self, option: &str) -> String {
        self.service
            .options
            .iter()
            .find(|o| o.id.as_str() == option)
            .map_or_else(|| option.to_owned(), |o| o.name.clone())
    }
}

pub async fn service<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadCatalogue)?;
    let service = state
        .store
        .list_services()
        .await?
        .into_iter()
        .find(|s| s.id.as_str() == id)
        .ok_or_else(|| PageError::NotFound(format!("service {id}")))?;
    let entries = state
        .store
        .list_responsibility_entries(Some(&service.id))
        .await?;
    let rules = state.store.list_option_rules(Some(&service.id)).await?;
    render(&ServicePage {
        layout: Layout::new(&viewer, "/services"),
        titles: control_titles(&state.store).await?,
        service,
        entries,
        rules,
    })
}

#[derive(Template)]
#[template(path = "services/defaults.html")]
struct DefaultsPage {
    layout: Layout,
    defaults: Vec<ServiceModelDefaults>,
    models: Vec<ServiceModel>,
    titles: HashMap<String, String>,
}

impl DefaultsPage {
    /// The default assignment of `defaults` for `model` (templates pass loop items by reference).
    fn assignment<'a>(
        &self,
        defaults: &'a ServiceModelDefaults,
        model: &ServiceModel,
    ) -> &'a assure_domain::responsibility::Assignment {
        defaults.for_model(*model)
    }
    fn title(&self, control: &str) -> String {
        self.titles.get(control).cloned().unwrap_or_default()
    }
}

pub async fn defaults<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadCatalogue)?;
    render(&DefaultsPage {
        layout: Layout::new(&viewer, "/services"),
        defaults: state.store.list_model_defaults().await?,
        models: ServiceModel::ALL.to_vec(),
        titles: control_titles(&state.store).await?,
    })
}
