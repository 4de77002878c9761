//! The dashboard: the programme at a glance, with charts of controls by domain and of how the
//! service-model defaults split responsibility (IaaS leaves most to the customer, SaaS least), and for
//! roles that read findings the remediation burn-down and the ageing of open findings by severity (of the
//! findings the viewer's scope admits).

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use assure_domain::access::Action;
use assure_domain::matrix::Split;
use assure_domain::responsibility::Responsibility;
use assure_domain::service::ServiceModel;
use assure_store::findings::FindingQuery;
use assure_store::{ControlQuery, Store};
use axum::extract::State;
use axum::response::Response;

use super::chart::{Bar, BarChart, LineChart, Segment, StackedChart, split_segments};
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
    /// The findings charts, `None` when the role does not read findings.
    findings: Option<FindingCharts>,
}

/// The remediation charts of the dashboard, rendered.
struct FindingCharts {
    open: usize,
    overdue: usize,
    burn_down: String,
    ageing: String,
}

/// Weeks the burn-down looks back over.
const BURN_DOWN_WEEKS: usize = 12;

/// The findings charts over every finding the viewer's scope admits (one store call).
async fn finding_charts<S: Store>(store: &S, viewer: &Viewer) -> Result<FindingCharts, PageError> {
    use assure_domain::finding_metrics::{AGE_BANDS, ageing, burn_down};
    let at = crate::auth::now();
    let findings = store
        .list_findings(&viewer.scope, &FindingQuery::default())
        .await?
        .items;
    let points = burn_down(&findings, at, BURN_DOWN_WEEKS, time::Duration::weeks(1));
    let series = points
        .iter()
        .map(|p| {
            let d = p.at.date();
            (
                format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
                p.open,
            )
        })
        .collect();
    let burn_down = LineChart::new(
        "burn-down",
        "Remediation burn-down",
        "Findings open at the end of each of the last twelve weeks (detected and not yet closed), oldest week first.",
        ("Week ending", "Open findings"),
        series,
    )
    .render()?;
    const CLASSES: [&str; 4] = ["seg-age-1", "seg-age-2", "seg-age-3", "seg-age-4"];
    let rows = ageing(&findings, at)
        .into_iter()
        .map(|a| {
            let segments = AGE_BANDS
                .iter()
                .zip(CLASSES)
                .zip(a.bands)
                .map(|(((label, _), class), n)| Segment::new(class, label, n))
                .collect();
            (a.severity.name().to_owned(), segments)
        })
        .collect();
    let ageing = StackedChart::absolute(
        "ageing",
        "Ageing of open findings by severity",
        "For each severity, how many open findings have been open up to 30 days, 31 to 90, 91 to 180, and over 180 days since detection.",
        "Severity",
        rows,
    )
    .render()?;
    Ok(FindingCharts {
        open: findings.iter().filter(|f| f.state.is_open()).count(),
        overdue: findings.iter().filter(|f| f.is_overdue(at)).count(),
        burn_down,
        ageing,
    })
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

    let findings = if viewer.may(Action::ReadFinding) {
        Some(finding_charts(store, &viewer).await?)
    } else {
        None
    };
    render(&Dashboard {
        findings,
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
