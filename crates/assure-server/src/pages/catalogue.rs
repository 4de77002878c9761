//! The catalogue browser: controls (search, filter by domain, sort, pages), a control with its statement,
//! test procedure, service-model defaults and framework mappings; frameworks with their coverage, and a
//! framework's requirements with the controls mapped to them.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use assure_domain::FrameworkId;
use assure_domain::access::Action;
use assure_domain::catalogue::{Control, ControlDomain};
use assure_domain::coverage::{Coverage, coverage};
use assure_domain::framework::{Framework, Requirement, display_requirement_id};
use assure_domain::mapping::Mapping;
use assure_domain::responsibility::ServiceModelDefaults;
use assure_domain::service::ServiceModel;
use assure_store::{ControlQuery, ControlSort, MappingFilter, Store};
use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::{Choice, Layout, PageError, Pager, Viewer, encode, query_string, render};
use crate::AppState;

type Shared<S> = State<Arc<AppState<S>>>;

/// Controls shown per page of the list.
const PER_PAGE: i64 = 25;

#[derive(Template)]
#[template(path = "catalogue/controls.html")]
struct ControlsPage {
    layout: Layout,
    q: String,
    domains: Vec<Choice>,
    sorts: Vec<Choice>,
    controls: Vec<Control>,
    domain_names: HashMap<String, String>,
    pager: Pager,
}

impl ControlsPage {
    fn domain_name(&self, id: &str) -> String {
        self.domain_names.get(id).cloned().unwrap_or_default()
    }
}

fn sort_of(value: &str) -> Result<(ControlSort, bool), PageError> {
    Ok(match value {
        "" | "baseline" => (ControlSort::Baseline, false),
        "id" => (ControlSort::Id, false),
        "-id" => (ControlSort::Id, true),
        "title" => (ControlSort::Title, false),
        "-title" => (ControlSort::Title, true),
        other => {
            return Err(PageError::BadInput(format!(
                "sort must be baseline, id, -id, title or -title, not {other:?}"
            )));
        }
    })
}

fn page_number(params: &HashMap<String, String>) -> Result<i64, PageError> {
    match params.get("page").map(String::as_str) {
        None | Some("") => Ok(1),
        Some(p) => p
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or_else(|| {
                PageError::BadInput(format!("page must be a whole number from 1, not {p:?}"))
            }),
    }
}

pub async fn controls<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadCatalogue)?;
    let param = |name: &str| {
        params
            .get(name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let (q, domain, sort) = (param("q"), param("domain"), param("sort"));
    let (sort_by, descending) = sort_of(&sort)?;
    let page = page_number(&params)?;
    let domains: Vec<ControlDomain> = state.store.list_domains().await?;
    if !domain.is_empty() && !domains.iter().any(|d| d.id.as_str() == domain) {
        return Err(PageError::BadInput(format!("unknown domain {domain:?}")));
    }
    let mut query = ControlQuery {
        domain: (!domain.is_empty()).then(|| domain.as_str().into()),
        search: (!q.is_empty()).then(|| q.clone()),
        sort: sort_by,
        descending,
        limit: Some(PER_PAGE),
        offset: (page - 1) * PER_PAGE,
    };
    let mut result = state.store.list_controls(&query).await?;
    let base = query_string(&[("q", &q), ("domain", &domain), ("sort", &sort)]);
    let pager = Pager::new(page, PER_PAGE, result.total, "/controls", &base);
    if pager.page != page {
        // Asked past the last page: show the last one.
        query.offset = pager.offset(PER_PAGE);
        result = state.store.list_controls(&query).await?;
    }
    let mut domain_choices = vec![Choice::new("", "All domains", &domain)];
    domain_choices.extend(
        domains
            .iter()
            .map(|d| Choice::new(d.id.as_str(), format!("{} — {}", d.id, d.name), &domain)),
    );
    let sorts = [
        ("baseline", "Baseline order"),
        ("id", "ID, A to Z"),
        ("-id", "ID, Z to A"),
        ("title", "Title, A to Z"),
        ("-title", "Title, Z to A"),
    ]
    .into_iter()
    .map(|(v, l)| Choice::new(v, l, if sort.is_empty() { "baseline" } else { &sort }))
    .collect();
    render(&ControlsPage {
        layout: Layout::new(&viewer, "/controls"),
        q,
        domains: domain_choices,
        sorts,
        domain_names: domains
            .iter()
            .map(|d| (d.id.as_str().to_owned(), d.name.clone()))
            .collect(),
        controls: result.items,
        pager,
    })
}

/// One mapping of a control, ready to show.
struct MappingRow {
    framework: String,
    framework_name: String,
    requirement: String,
    relationship: &'static str,
    rationale: String,
}

#[derive(Template)]
#[template(path = "catalogue/control.html")]
struct ControlPage {
    layout: Layout,
    control: Control,
    domain_name: String,
    defaults: Option<ServiceModelDefaults>,
    models: Vec<ServiceModel>,
    mappings: Vec<MappingRow>,
}

impl ControlPage {
    /// The default assignment of `defaults` for `model` (templates pass loop items by reference).
    fn assignment<'a>(
        &self,
        defaults: &'a ServiceModelDefaults,
        model: &ServiceModel,
    ) -> &'a assure_domain::responsibility::Assignment {
        defaults.for_model(*model)
    }
}

pub async fn control<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadCatalogue)?;
    let control = state
        .store
        .get_control(&id.as_str().into())
        .await?
        .ok_or_else(|| PageError::NotFound(format!("control {id}")))?;
    let frameworks = state.store.list_frameworks().await?;
    let names: HashMap<&str, &str> = frameworks
        .iter()
        .map(|f| (f.id.as_str(), f.name.as_str()))
        .collect();
    let mappings = state
        .store
        .list_mappings(&MappingFilter {
            control: Some(control.id.clone()),
            ..MappingFilter::default()
        })
        .await?;
    let defaults = state
        .store
        .list_model_defaults()
        .await?
        .into_iter()
        .find(|d| d.control == control.id);
    let domain_name = state
        .store
        .list_domains()
        .await?
        .into_iter()
        .find(|d| d.id == control.domain)
        .map(|d| d.name)
        .unwrap_or_default();
    render(&ControlPage {
        layout: Layout::new(&viewer, "/controls"),
        mappings: mappings
            .iter()
            .map(|m: &Mapping| MappingRow {
                framework: m.framework.as_str().to_owned(),
                framework_name: names
                    .get(m.framework.as_str())
                    .map_or_else(|| m.framework.as_str().to_owned(), |n| (*n).to_owned()),
                requirement: display_requirement_id(&m.framework, &m.requirement),
                relationship: m.relationship.as_str(),
                rationale: m.rationale.clone(),
            })
            .collect(),
        control,
        domain_name,
        defaults,
        models: ServiceModel::ALL.to_vec(),
    })
}

/// A framework with its coverage counts.
struct FrameworkRow {
    framework: Framework,
    coverage: Coverage,
    percent: String,
}

#[derive(Template)]
#[template(path = "catalogue/frameworks.html")]
struct FrameworksPage {
    layout: Layout,
    frameworks: Vec<FrameworkRow>,
}

fn percent(c: &Coverage) -> String {
    format!("{:.0} %", c.covered_or_partly_percent())
}

pub async fn frameworks<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadCatalogue)?;
    // Three reads for the whole list, whatever the number of frameworks.
    let frameworks = state.store.list_frameworks().await?;
    let requirements = state.store.list_all_requirements().await?;
    let mappings = state.store.list_mappings(&MappingFilter::default()).await?;
    let mut reqs_by: HashMap<FrameworkId, Vec<Requirement>> = HashMap::new();
    for r in requirements {
        reqs_by.entry(r.framework.clone()).or_default().push(r);
    }
    let mut maps_by: HashMap<FrameworkId, Vec<Mapping>> = HashMap::new();
    for m in mappings {
        maps_by.entry(m.framework.clone()).or_default().push(m);
    }
    let rows = frameworks
        .iter()
        .map(|f| {
            let c = coverage(
                reqs_by.get(&f.id).map_or(&[][..], Vec::as_slice),
                maps_by.get(&f.id).map_or(&[][..], Vec::as_slice),
            );
            FrameworkRow {
                framework: f.clone(),
                percent: percent(&c),
                coverage: c,
            }
        })
        .collect();
    render(&FrameworksPage {
        layout: Layout::new(&viewer, "/frameworks"),
        frameworks: rows,
    })
}

/// One requirement of a framework with its coverage and mapped controls.
struct RequirementRow {
    anchor: String,
    display_id: String,
    title: String,
    status: &'static str,
    contributors: Vec<(String, &'static str)>,
}

#[derive(Template)]
#[template(path = "catalogue/framework.html")]
struct FrameworkPage {
    layout: Layout,
    framework: Framework,
    coverage: Coverage,
    percent: String,
    requirements: Vec<RequirementRow>,
}

pub async fn framework<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadCatalogue)?;
    let framework = state
        .store
        .list_frameworks()
        .await?
        .into_iter()
        .find(|f| f.id.as_str() == id)
        .ok_or_else(|| PageError::NotFound(format!("framework {id}")))?;
    let requirements = state.store.list_requirements(&framework.id).await?;
    let mappings = state
        .store
        .list_mappings(&MappingFilter {
            framework: Some(framework.id.clone()),
            ..MappingFilter::default()
        })
        .await?;
    let c = coverage(&requirements, &mappings);
    let rows = c
        .requirements
        .iter()
        .map(|r| RequirementRow {
            anchor: format!("req-{}", encode(r.requirement.as_str())),
            display_id: display_requirement_id(&framework.id, &r.requirement),
            title: r.title.clone(),
            status: r.status.as_str(),
            contributors: r
                .contributors
                .iter()
                .map(|(c, rel)| (c.as_str().to_owned(), rel.as_str()))
                .collect(),
        })
        .collect();
    render(&FrameworkPage {
        layout: Layout::new(&viewer, "/frameworks"),
        percent: percent(&c),
        coverage: c,
        framework,
        requirements: rows,
    })
}
