//! The import pages: `/imports` uploads a file (a plain multipart form that works without JavaScript) and
//! lists recent jobs; the upload is read and previewed (framework id, name and version, requirement count,
//! requirements the store has that the file lacks, warnings; or every problem with its document and JSON
//! pointer or spreadsheet row) and becomes a `previewed` job; `/imports/{id}` shows the preview with a Confirm
//! button, then the job's progress (`done` of `total`, polled by htmx, with a refresh link for browsers
//! without JavaScript) and its outcome. The same code as the API (`crate::imports`) reads, stages and runs.
//!
//! Only roles with `Action::ImportContent` see these pages; others get the same 404 as an unknown page.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use assure_domain::access::Action;
use assure_import::{Preview, Problem as InputProblem};
use assure_store::{Actor, ImportJob, ImportJobState, Store};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::post;

use super::{Choice, Layout, PageError, Viewer, render};
use crate::AppState;
use crate::imports::{MAX_UPLOAD, StageError, Upload, confirm, stage};
use crate::routing::{Method, Routes};

type Shared<S> = State<Arc<AppState<S>>>;

/// Jobs listed on the upload page.
const RECENT_JOBS: i64 = 20;

/// The upload route takes whole documents, so it sits outside the small-body limit.
pub fn upload_routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new().on(
        Method::Post,
        "/imports",
        post(upload::<S>).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
    )
}

/// Page routes with small bodies.
pub fn routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new()
        .get("/imports", index::<S>)
        .get("/imports/{id}", job::<S>)
        .post("/imports/{id}/confirm", confirm_page::<S>)
        .get("/imports/{id}/progress", progress::<S>)
}

/// A job as the pages list it.
struct JobRow {
    id: String,
    kind: String,
    file_name: String,
    state: &'static str,
    done: i64,
    total: i64,
    created_at: String,
    created_by: String,
}

impl JobRow {
    fn of(j: &ImportJob) -> Self {
        Self {
            id: j.id.clone(),
            kind: j.kind.clone(),
            file_name: j.file_name.clone(),
            state: j.state.as_str(),
            done: j.done,
            total: j.total,
            created_at: assure_domain::audit::format_instant(j.created_at),
            created_by: j.created_by.to_string(),
        }
    }

    /// Percent done, for screen readers and the text beside the bar.
    fn percent(&self) -> i64 {
        if self.total <= 0 {
            100
        } else {
            (self.done * 100 / self.total).clamp(0, 100)
        }
    }
}

#[derive(Template)]
#[template(path = "imports/index.html")]
struct IndexPage {
    layout: Layout,
    kinds: Vec<Choice>,
    jobs: Vec<JobRow>,
    /// Why the last upload was refused, each with its document and location.
    problems: Vec<InputProblem>,
}

#[derive(Template)]
#[template(path = "imports/job.html")]
struct JobPage {
    layout: Layout,
    job: JobRow,
    preview: Preview,
    previewed: bool,
    running: bool,
    outcome: Vec<(String, String)>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "imports/progress.html")]
struct ProgressFragment {
    job: JobRow,
    running: bool,
}

fn kind_choices(chosen: &str) -> Vec<Choice> {
    vec![
        Choice::new("catalog", "OSCAL catalog (JSON or XML)", chosen),
        Choice::new("profile", "OSCAL profile (resolved, then imported)", chosen),
        Choice::new("framework", "Framework spreadsheet (CSV or XLSX)", chosen),
        Choice::new(
            "mapping",
            "Mappings (OSCAL mapping-collection or CSV crosswalk)",
            chosen,
        ),
    ]
}

async fn index_page<S: Store>(
    state: &AppState<S>,
    viewer: &Viewer,
    problems: Vec<InputProblem>,
    chosen: &str,
) -> Result<IndexPage, PageError> {
    let jobs = state.store.list_import_jobs(RECENT_JOBS).await?;
    Ok(IndexPage {
        layout: Layout::new(viewer, "/imports"),
        kinds: kind_choices(chosen),
        jobs: jobs.iter().map(JobRow::of).collect(),
        problems,
    })
}

pub async fn index<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    viewer.require(Action::ImportContent)?;
    render(&index_page(&state, &viewer, Vec::new(), "catalog").await?)
}

/// Reads and previews the upload; a valid one redirects (303) to its job, an invalid one shows the form again
/// with every problem (422), and nothing is stored.
async fn upload<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Result<Response, PageError> {
    viewer.require(Action::ImportContent)?;
    let upload = Upload::from_request(query, request)
        .await
        .map_err(PageError::Api)?;
    let chosen = upload.fields.get("kind").cloned().unwrap_or_default();
    match stage(&state, upload, &viewer.user).await {
        Ok(job) => Ok(Redirect::to(&format!("/imports/{}", job.id)).into_response()),
        Err(StageError::Input { error, problems })
            if !matches!(error, assure_import::ImportError::Store(_)) =>
        {
            let page = index_page(&state, &viewer, problems, &chosen).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(PageError::Api(e.into_problem())),
    }
}

async fn find<S: Store>(state: &AppState<S>, id: &str) -> Result<ImportJob, PageError> {
    state
        .store
        .get_import_job(id)
        .await?
        .ok_or_else(|| PageError::NotFound(format!("import job {id}")))
}

/// The outcome's figures as label/value pairs (`{"framework": {...}}` or `{"mappings": {...}}`).
fn outcome_lines(outcome: Option<&str>) -> Vec<(String, String)> {
    let Some(value) = outcome.and_then(|o| serde_json::from_str::<serde_json::Value>(o).ok())
    else {
        return Vec::new();
    };
    let inner = value
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(serde_json::Value::as_object);
    inner
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    let shown = match v {
                        serde_json::Value::Array(items) if items.is_empty() => "none".to_owned(),
                        serde_json::Value::Array(items) => items
                            .iter()
                            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                            .collect::<Vec<_>>()
                            .join(", "),
                        other => other.to_string(),
                    };
                    (k.replace('_', " "), shown)
                })
                .collect()
        })
        .unwrap_or_default()
}

pub async fn job<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::ImportContent)?;
    let job = find(&state, &id).await?;
    let preview: Preview = serde_json::from_str(&job.preview_json).unwrap_or_default();
    render(&JobPage {
        layout: Layout::new(&viewer, "/imports"),
        previewed: job.state == ImportJobState::Previewed,
        running: matches!(job.state, ImportJobState::Queued | ImportJobState::Running),
        outcome: outcome_lines(job.outcome_json.as_deref()),
        error: job.error.clone(),
        preview,
        job: JobRow::of(&job),
    })
}

/// Confirms a previewed job and redirects (303) to it, where its progress shows.
async fn confirm_page<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::ImportContent)?;
    find(&state, &id).await?;
    confirm(&state, &id, Actor(format!("user:{}", viewer.user)))
        .await
        .map_err(PageError::Api)?;
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}

/// The progress fragment htmx polls while a job runs.
pub async fn progress<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::ImportContent)?;
    let job = find(&state, &id).await?;
    render(&ProgressFragment {
        running: matches!(job.state, ImportJobState::Queued | ImportJobState::Running),
        job: JobRow::of(&job),
    })
}
