//! A tenant's responsibility matrix: the table with filters by responsibility and domain (grouped as
//! "security of the cloud" and "security in the cloud"), one cell's explanation chain, the view of one
//! framework, the Statement of Applicability with the complementary user entity controls, a chart of the
//! split, and download links to the exports of the API.
//!
//! Everything is computed as the API computes it: the programme snapshot for the viewer's scope, then
//! `assure_domain::matrix::ResponsibilityModel` and `assure_reports` (never a second implementation).

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use assure_domain::FrameworkId;
use assure_domain::framework::Framework;
use assure_domain::framework_view::FrameworkView;
use assure_domain::matrix::{Matrix, MatrixRow, ResponsibilityModel, ServiceCell, Sphere};
use assure_domain::programme::Programme;
use assure_domain::responsibility::{Responsibility, Step};
use assure_domain::soa::{Cuec, SoaRow};
use assure_domain::tenant::Tenant;
use assure_store::Store;
use assure_store::snapshot::programme_snapshot;
use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::chart::{StackedChart, split_segments};
use super::{Choice, Layout, PageError, Viewer, render};
use crate::AppState;

type Shared<S> = State<Arc<AppState<S>>>;

/// The programme as the viewer's scope admits it, and the tenant `id` in it (404 when not visible).
async fn programme_and_tenant<S: Store>(
    state: &AppState<S>,
    viewer: &Viewer,
    id: &str,
) -> Result<(Programme, Tenant), PageError> {
    let not_found = || PageError::NotFound(format!("tenant {id}"));
    if !viewer.may_read_tenant(&id.into()) {
        return Err(not_found());
    }
    let programme = programme_snapshot(&state.store, &viewer.scope).await?;
    let tenant = programme
        .tenants
        .iter()
        .find(|t| t.id.as_str() == id)
        .cloned()
        .ok_or_else(not_found)?;
    Ok((programme, tenant))
}

/// Links to the exports of a tenant's matrix (served by the API route `/api/v1/tenants/{id}/matrix`).
fn downloads(tenant: &str) -> Vec<(String, &'static str)> {
    [
        ("csv", "Matrix (CSV)"),
        ("xlsx", "Matrix (XLSX)"),
        ("crm", "Customer responsibility matrix (CSV)"),
        ("soa", "Statement of Applicability (XLSX)"),
        ("oscal", "OSCAL component definitions (JSON)"),
    ]
    .into_iter()
    .map(|(format, label)| {
        (
            format!("/api/v1/tenants/{tenant}/matrix?format={format}"),
            label,
        )
    })
    .collect()
}

/// The rows of one sphere that pass the filters.
struct Group {
    id: &'static str,
    label: &'static str,
    rows: Vec<MatrixRow>,
}

#[derive(Template)]
#[template(path = "matrix/table.html")]
struct TablePage {
    layout: Layout,
    tenant: Tenant,
    responsibilities: Vec<Choice>,
    domains: Vec<Choice>,
    groups: Vec<Group>,
    shown: usize,
    total: usize,
    chart: String,
    downloads: Vec<(String, &'static str)>,
    frameworks: Vec<Framework>,
}

pub async fn table<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let (programme, tenant) = programme_and_tenant(&state, &viewer, &id).await?;
    let param = |name: &str| {
        params
            .get(name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let (resp, domain) = (param("responsibility"), param("domain"));
    let wanted = if resp.is_empty() {
        None
    } else {
        Some(Responsibility::parse(&resp).ok_or_else(|| {
            PageError::BadInput(format!(
                "responsibility must be provider, customer, shared or not-applicable, not {resp:?}"
            ))
        })?)
    };
    if !domain.is_empty() && !programme.domains.iter().any(|d| d.id.as_str() == domain) {
        return Err(PageError::BadInput(format!("unknown domain {domain:?}")));
    }
    let matrix: Matrix = ResponsibilityModel::new(&programme)?.matrix(&tenant)?;
    let total = matrix.rows.len();
    let chart = StackedChart::new(
        "split",
        &format!("Responsibility split for {}", tenant.legal_name),
        "How many baseline controls the provider, both parties or the customer operate for this tenant, and how many do not apply to its services.",
        "Tenant",
        vec![(tenant.legal_name.clone(), split_segments(&matrix.split))],
    )
    .render()?;
    let keep = |r: &MatrixRow| {
        wanted.is_none_or(|w| r.responsibility == w)
            && (domain.is_empty() || r.domain.as_str() == domain)
    };
    let groups: Vec<Group> = [
        (Sphere::OfTheCloud, "of-the-cloud"),
        (Sphere::InTheCloud, "in-the-cloud"),
        (Sphere::NotApplicable, "not-applicable"),
    ]
    .into_iter()
    .map(|(sphere, id)| Group {
        id,
        label: sphere.label(),
        rows: matrix
            .in_sphere(sphere)
            .filter(|r| keep(r))
            .cloned()
            .collect(),
    })
    .collect();
    let shown = groups.iter().map(|g| g.rows.len()).sum();
    let mut responsibilities = vec![Choice::new("", "Any", &resp)];
    responsibilities.extend(
        Responsibility::ALL
            .into_iter()
            .map(|r| Choice::new(r.as_str(), r.as_str(), &resp)),
    );
    let mut domains = vec![Choice::new("", "All domains", &domain)];
    domains.extend(
        programme
            .domains
            .iter()
            .map(|d| Choice::new(d.id.as_str(), format!("{} — {}", d.id, d.name), &domain)),
    );
    render(&TablePage {
        layout: Layout::new(&viewer, &format!("/tenants/{}/matrix", tenant.id)),
        downloads: downloads(tenant.id.as_str()),
        frameworks: programme
            .frameworks
            .iter()
            .filter(|f| tenant.frameworks.contains(&f.id))
            .cloned()
            .collect(),
        tenant,
        responsibilities,
        domains,
        groups,
        shown,
        total,
        chart,
    })
}

/// One layer of a cell's explanation, in words.
struct StepView {
    source: &'static str,
    responsibility: &'static str,
    detail: String,
}

fn step_view(step: &Step) -> StepView {
    match step {
        Step::ModelDefault {
            model,
            responsibility,
        } => StepView {
            source: "service-model default",
            responsibility: responsibility.as_str(),
            detail: format!("the control's default for {} services", model.label()),
        },
        Step::ServiceEntry {
            responsibility,
            reason,
        } => StepView {
            source: "service entry",
            responsibility: responsibility.as_str(),
            detail: reason.clone(),
        },
        Step::OptionRule {
            option,
            responsibility,
            reason,
        } => StepView {
            source: "option rule",
            responsibility: responsibility.as_str(),
            detail: format!("option {option}: {reason}"),
        },
    }
}

/// A service's part of a cell with its explanation chain.
struct ServiceView {
    service: String,
    name: String,
    cell: ServiceCell,
    steps: Vec<StepView>,
}

#[derive(Template)]
#[template(path = "matrix/cell.html")]
struct CellPage {
    layout: Layout,
    tenant: Tenant,
    row: MatrixRow,
    services: Vec<ServiceView>,
}

pub async fn cell<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path((id, control)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (programme, tenant) = programme_and_tenant(&state, &viewer, &id).await?;
    let matrix = ResponsibilityModel::new(&programme)?.matrix(&tenant)?;
    let row = matrix
        .row(&control.as_str().into())
        .cloned()
        .ok_or_else(|| PageError::NotFound(format!("control {control}")))?;
    let names: HashMap<&str, &str> = programme
        .services
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let services = row
        .services
        .iter()
        .map(|c| ServiceView {
            service: c.service.as_str().to_owned(),
            name: names
                .get(c.service.as_str())
                .map_or_else(|| c.service.as_str().to_owned(), |n| (*n).to_owned()),
            steps: c.chain.iter().map(step_view).collect(),
            cell: c.clone(),
        })
        .collect();
    render(&CellPage {
        layout: Layout::new(&viewer, &format!("/tenants/{}/matrix", tenant.id)),
        tenant,
        row,
        services,
    })
}

#[derive(Template)]
#[template(path = "matrix/framework.html")]
struct FrameworkPage {
    layout: Layout,
    tenant: Tenant,
    framework: Framework,
    view: FrameworkView,
    csv: String,
}

pub async fn framework<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path((id, framework)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (programme, tenant) = programme_and_tenant(&state, &viewer, &id).await?;
    let fw = FrameworkId::from(framework.as_str());
    let found = programme
        .frameworks
        .iter()
        .find(|f| f.id == fw)
        .cloned()
        .ok_or_else(|| PageError::NotFound(format!("framework {framework}")))?;
    let matrix = ResponsibilityModel::new(&programme)?.matrix(&tenant)?;
    let view = assure_reports::view_of(&programme, &matrix, &fw);
    render(&FrameworkPage {
        layout: Layout::new(&viewer, &format!("/tenants/{}/matrix", tenant.id)),
        csv: format!(
            "/api/v1/tenants/{}/matrix?format=csv&framework={}",
            tenant.id, found.id
        ),
        tenant,
        framework: found,
        view,
    })
}

#[derive(Template)]
#[template(path = "matrix/soa.html")]
struct SoaPage {
    layout: Layout,
    tenant: Tenant,
    soa: Option<Vec<SoaRow>>,
    cuecs: Vec<Cuec>,
    download: String,
}

impl SoaPage {
    fn parts(&self, cuec: &Cuec) -> String {
        assure_domain::matrix::parts_in_words(&cuec.customer_parts)
    }
}

pub async fn soa<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (programme, tenant) = programme_and_tenant(&state, &viewer, &id).await?;
    let report = assure_reports::report(&programme, &tenant, &[])?;
    render(&SoaPage {
        layout: Layout::new(&viewer, &format!("/tenants/{}/matrix", tenant.id)),
        download: format!("/api/v1/tenants/{}/matrix?format=soa", tenant.id),
        tenant,
        soa: report.soa,
        cuecs: report.complementary_controls,
    })
}
