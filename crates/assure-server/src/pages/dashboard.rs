//! The dashboard: the programme at a glance, with charts of controls by domain and of how the
//! service-model defaults split responsibility (IaaS leaves most to the customer, SaaS least).

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use assure_domain::access::Action;
use assure_domain::matrix::Split;
use assure_domain::responsibility::Responsibility;
use assure_domain::service::ServiceModel;
use assure_store::{ControlQuery, Store};
use axum::extract::State;
use axum::response::Response;

use super::chart::{Bar, BarChart, StackedChart, split_segments};
use super::{Layout, PageError, Viewer, encode, render};
use crate::AppState;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    layout: Layout,
    controls: usize,
    domains: usize,
    frameworks: usize,
    services: usize,
    /// `None` when the role does not read tenants.
    tenants: Option<usize>,
    by_domain: String,
    by_model: String,
}

pub async fn page<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadCatalogue)?;
    let store = &state.store;
    let domains = store.list_domains().await?;
    let controls = store.list_controls(&ControlQuery::default()).await?.items;
    let frameworks = store.list_frameworks().await?;
    let services = store.list_services().await?;
    let defaults = store.list_model_defaults().await?;
    let tenants = if viewer.may(Action::ReadTenant) {
        Some(store.list_tenants(&viewer.scope).await?.len())
    } else {
        None
    };

    let mut per_domain: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &controls {
        *per_domain.entry(c.domain.as_str()).or_default() += 1;
    }
    let bars = domains
        .iter()
        .map(|d| {
            Bar::new(
                format!("{} {}", d.id, d.name),
                per_domain.get(d.id.as_str()).copied().unwrap_or(0),
                Some(format!("/controls?domain={}", encode(d.id.as_str()))),
            )
        })
        .collect();
    let by_domain = BarChart::new(
        "by-domain",
        "Controls by domain",
        "Number of baseline controls in each control domain.",
        ("Domain", "Controls"),
        bars,
    )
    .render()?;

    let rows = ServiceModel::ALL
        .into_iter()
        .map(|model| {
            let mut split = Split::default();
            for d in &defaults {
                match d.for_model(model).responsibility {
                    Responsibility::Provider => split.provider += 1,
                    Responsibility::Customer => split.customer += 1,
                    Responsibility::Shared => split.shared += 1,
                    Responsibility::NotApplicable => split.not_applicable += 1,
                }
            }
            (model.label().to_owned(), split_segments(&split))
        })
        .collect();
    let by_model = StackedChart::new(
        "by-model",
        "Default responsibility by service model",
        "For each service model, how many controls the provider, both parties, or the customer operate by default, and how many do not apply.",
        "Service model",
        rows,
    )
    .render()?;

    render(&Dashboard {
        layout: Layout::new(&viewer, "/"),
        controls: controls.len(),
        domains: domains.len(),
        frameworks: frameworks.len(),
        services: services.len(),
        tenants,
        by_domain,
        by_model,
    })
}
