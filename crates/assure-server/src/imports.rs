//! Imports over HTTP: `POST /api/v1/imports` reads an uploaded file (multipart: a `kind` field, options and
//! one or more `file` parts, the first being the document and the others files it imports, e.g. a profile's
//! catalog; or the raw body with `?kind=...`), previews it against the store and records an import job in
//! state `previewed`; `POST /api/v1/imports/{id}/confirm` queues it and starts a background task that writes it
//! (one store transaction) while updating the job's progress; `GET /api/v1/imports/{id}` shows the job
//! (state, `done` of `total`, preview, outcome or error) from the store, so every node can show it.
//!
//! Reading and checking go through `assure-import`, exactly as `assure import` does. The web page
//! (`pages/imports.rs`) uses the same [`stage`], [`confirm`] and job views.
//!
//! Only roles with `Action::ImportContent` (provider admin and security lead) reach any of this.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use assure_domain::access::Action;
use assure_domain::{UserId, audit::format_instant};
use assure_import::{ImportError, ImportKind, MappingReadOptions, OscalOptions, Plan};
use assure_oscal::mapping::{CrosswalkColumns, CrosswalkOptions};
use assure_oscal::tabular::{ColumnMapping, TableImportOptions};
use assure_store::{Actor, ImportJob, ImportJobState, ImportJobUpdate, NewImportJob, Store};
use axum::Json;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;

use crate::AppState;
use crate::api::Page;
use crate::auth::Principal;
use crate::problem::Problem;
use crate::routing::{Method, Routes};

type Shared<S> = State<Arc<AppState<S>>>;

/// The largest upload an import takes (NIST's 800-53 catalog is about 10 MiB as JSON).
pub(crate) const MAX_UPLOAD: usize = 64 * 1024 * 1024;
/// How often a running job writes its progress to the store.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(500);

/// API routes; they take bodies up to [`MAX_UPLOAD`].
pub fn routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new()
        .get("/imports", list::<S>)
        .on(
            Method::Post,
            "/imports",
            post(create::<S>).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .get("/imports/{id}", show::<S>)
        .post("/imports/{id}/confirm", confirm_route::<S>)
}

/// An upload: its fields (query parameters and multipart text fields) and its files in a private temporary
/// folder, removed when this is dropped.
pub(crate) struct Upload {
    pub fields: HashMap<String, String>,
    dir: PathBuf,
    /// The document, then files it imports, written under their own (sanitised) names.
    files: Vec<PathBuf>,
}

impl Drop for Upload {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Upload {
    fn new(fields: HashMap<String, String>) -> Result<Self, Problem> {
        let dir = std::env::temp_dir().join(format!("assure-import-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).map_err(|e| {
            tracing::error!(error = %e, "cannot create an upload folder");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the upload could not be kept; see the server log",
            )
        })?;
        Ok(Self {
            fields,
            dir,
            files: Vec::new(),
        })
    }

    fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), Problem> {
        let path = self.dir.join(safe_file_name(name));
        std::fs::write(&path, bytes).map_err(|e| {
            tracing::error!(error = %e, "cannot write an upload");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the upload could not be kept; see the server log",
            )
        })?;
        self.files.push(path);
        Ok(())
    }

    fn field(&self, name: &str) -> Option<String> {
        self.fields
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// Reads an upload from a multipart body (`file` parts and text fields) or a raw body named by
    /// `file_name`.
    pub(crate) async fn from_request(
        query: HashMap<String, String>,
        request: Request,
    ) -> Result<Self, Problem> {
        let is_multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let mut upload = Self::new(query)?;
        if is_multipart {
            let mut multipart = Multipart::from_request(request, &())
                .await
                .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, e.body_text()))?;
            while let Some(field) = multipart
                .next_field()
                .await
                .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, e.body_text()))?
            {
                let name = field.name().unwrap_or_default().to_owned();
                if name == "file" {
                    let file_name = field.file_name().unwrap_or("upload").to_owned();
                    let bytes = field
                        .bytes()
                        .await
                        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, e.body_text()))?;
                    // A browser sends an empty part for a second file input left empty.
                    if !bytes.is_empty() || upload.files.is_empty() {
                        upload.add(&file_name, &bytes)?;
                    }
                } else {
                    let text = field
                        .text()
                        .await
                        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, e.body_text()))?;
                    upload.fields.insert(name, text);
                }
            }
        } else {
            let bytes = axum::body::to_bytes(request.into_body(), MAX_UPLOAD)
                .await
                .map_err(|e| Problem::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()))?;
            let name = upload
                .field("file_name")
                .unwrap_or_else(|| "upload.json".to_owned());
            upload.add(&name, &bytes)?;
        }
        if upload.files.is_empty() {
            return Err(Problem::bad_field("file", "no file was uploaded"));
        }
        Ok(upload)
    }

    /// The kind of import asked for.
    pub(crate) fn kind(&self) -> Result<ImportKind, Problem> {
        let kind = self.field("kind").unwrap_or_default();
        ImportKind::parse(&kind).ok_or_else(|| {
            Problem::bad_field(
                "kind",
                format!("kind must be catalog, profile, framework or mapping, not {kind:?}"),
            )
        })
    }

    /// Reads the document into a plan (blocking file work).
    fn read(&self, kind: ImportKind) -> Result<Plan, ImportError> {
        let Some(main) = self.files.first() else {
            return Err(ImportError::Invalid {
                document: String::new(),
                problems: Vec::new(),
            });
        };
        let oscal = OscalOptions {
            framework_id: self.field("framework_id"),
            licence: self.field("licence"),
            href_map: HashMap::new(),
        };
        let header_row = self
            .field("header_row")
            .and_then(|h| h.parse().ok())
            .unwrap_or(1);
        match kind {
            ImportKind::Catalog => assure_import::read_catalog(main, &oscal),
            ImportKind::Profile => assure_import::read_profile(main, &oscal),
            ImportKind::Framework => assure_import::read_table(
                main,
                &TableImportOptions {
                    framework_id: self.field("framework_id").unwrap_or_default(),
                    name: self.field("name").unwrap_or_default(),
                    version: self.field("framework_version").unwrap_or_default(),
                    publisher: self.field("publisher"),
                    columns: ColumnMapping {
                        id: self.field("id_column").unwrap_or_else(|| "id".into()),
                        title: self.field("title_column").unwrap_or_else(|| "title".into()),
                        parent: self.field("parent_column"),
                        text: self.field("text_column"),
                        kind: self.field("kind_column"),
                    },
                    sheet: self.field("sheet"),
                    header_row,
                },
                self.field("licence"),
            ),
            ImportKind::Mapping => assure_import::read_mappings(
                main,
                &MappingReadOptions {
                    input_format: self.field("input_format"),
                    frameworks: HashMap::new(),
                    crosswalk: CrosswalkOptions {
                        target_framework: self.field("target_framework").unwrap_or_default(),
                        columns: CrosswalkColumns {
                            source: self
                                .field("source_column")
                                .unwrap_or_else(|| "source".into()),
                            target: self
                                .field("target_column")
                                .unwrap_or_else(|| "target".into()),
                            relationship: self
                                .field("relationship_column")
                                .unwrap_or_else(|| "relationship".into()),
                            rationale: Some(
                                self.field("rationale_column")
                                    .unwrap_or_else(|| "rationale".into()),
                            ),
                            target_framework: self.field("framework_column"),
                        },
                        sheet: self.field("sheet"),
                        header_row,
                    },
                },
            ),
        }
    }

    /// Checks the fields a spreadsheet framework needs, so a missing one is a field error and not a row error.
    fn require_table_fields(&self) -> Result<(), Problem> {
        for name in ["framework_id", "name", "framework_version"] {
            if self.field(name).is_none() {
                return Err(Problem::bad_field(
                    name,
                    format!("{name} is required for a spreadsheet framework"),
                ));
            }
        }
        Ok(())
    }
}

/// Keeps only the last path segment and safe characters, so an uploaded name cannot leave the folder.
fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = clean.trim_start_matches('.').to_owned();
    if clean.is_empty() {
        "upload".to_owned()
    } else {
        clean
    }
}

/// Why an upload was not staged.
#[derive(Debug)]
pub(crate) enum StageError {
    /// The document is unreadable, malformed or invalid: its problems, each with document and location
    /// (documents named as uploaded, never by the server's temporary path).
    Input {
        error: ImportError,
        problems: Vec<assure_import::Problem>,
    },
    Problem(Problem),
}

impl From<Problem> for StageError {
    fn from(p: Problem) -> Self {
        Self::Problem(p)
    }
}

impl StageError {
    /// An input error whose problems name documents relative to the upload folder `dir`.
    fn input(error: ImportError, dir: &std::path::Path) -> Self {
        let prefix = format!("{}/", dir.display());
        let problems = error
            .problems()
            .into_iter()
            .map(|p| assure_import::Problem {
                document: p.document.replace(&prefix, ""),
                location: p.location.replace(&prefix, ""),
                message: p.message.replace(&prefix, ""),
            })
            .collect();
        Self::Input { error, problems }
    }

    /// The RFC 9457 answer: 422 with every problem listed for a bad document.
    pub(crate) fn into_problem(self) -> Problem {
        match self {
            Self::Problem(p) => p,
            Self::Input {
                error: ImportError::Store(e),
                ..
            } => e.into(),
            Self::Input { problems, .. } => {
                let first = problems
                    .first()
                    .map_or_else(String::new, ToString::to_string);
                Problem {
                    problems: serde_json::to_value(&problems).ok().map(Box::new),
                    ..Problem::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!(
                            "{} problem(s), nothing imported; the first: {first}",
                            problems.len()
                        ),
                    )
                }
            }
        }
    }
}

/// Reads an upload, previews it against the store and records a `previewed` job holding what to import.
pub(crate) async fn stage<S: Store>(
    state: &AppState<S>,
    upload: Upload,
    created_by: &str,
) -> Result<ImportJob, StageError> {
    let kind = upload.kind()?;
    if kind == ImportKind::Framework {
        upload.require_table_fields()?;
    }
    let (upload, plan) = tokio::task::spawn_blocking(move || {
        let plan = upload.read(kind);
        (upload, plan)
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "import reader failed");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the file could not be read",
        )
    })?;
    let dir = upload.dir.clone();
    drop(upload);
    let plan = plan.map_err(|e| StageError::input(e, &dir))?;
    let preview = assure_import::preview(&state.store, &plan)
        .await
        .map_err(|e| StageError::input(e, &dir))?;
    let payload = serde_json::to_string(&plan).map_err(|e| {
        tracing::error!(error = %e, "cannot serialise an import plan");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the import could not be kept",
        )
    })?;
    let id = uuid::Uuid::now_v7().to_string();
    state
        .store
        .create_import_job(&NewImportJob {
            id: id.clone(),
            kind: kind.as_str().to_owned(),
            file_name: plan.file_name.clone(),
            total: i64::try_from(plan.total()).unwrap_or(i64::MAX),
            preview_json: serde_json::to_string(&preview).unwrap_or_default(),
            payload_json: payload,
            created_by: UserId::from(created_by),
            at: time::OffsetDateTime::now_utc(),
        })
        .await
        .map_err(|e| StageError::Problem(e.into()))?;
    state
        .store
        .get_import_job(&id)
        .await
        .map_err(|e| StageError::Problem(e.into()))?
        .ok_or_else(|| StageError::Problem(Problem::not_found("import job")))
}

/// Queues a previewed job and starts writing it in the background; 409 when it is not `previewed`.
pub(crate) async fn confirm<S: Store>(
    state: &AppState<S>,
    id: &str,
    actor: Actor,
) -> Result<(), Problem> {
    let job = state
        .store
        .get_import_job(id)
        .await?
        .ok_or_else(|| Problem::not_found("import job"))?;
    let queued = state
        .store
        .update_import_job(
            id,
            &ImportJobUpdate {
                state: ImportJobState::Queued,
                done: 0,
                outcome_json: None,
                error: None,
                at: time::OffsetDateTime::now_utc(),
            },
        )
        .await;
    match queued {
        Ok(()) => {}
        Err(assure_store::StoreError::Conflict(_)) => {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                format!(
                    "import job {id} is {}; only a previewed job can be confirmed",
                    job.state.as_str()
                ),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let store = state.store.clone();
    let id = id.to_owned();
    tokio::spawn(async move { run_job(store, id, actor).await });
    Ok(())
}

/// Runs a queued job: claims it (`queued -> running`, so only one runner writes it), writes it through
/// `assure_import::apply` while a ticker stores the progress, and records the outcome or the error.
pub async fn run_job<S: Store>(store: S, id: String, actor: Actor) {
    let update = |state, done: usize, outcome_json, error| ImportJobUpdate {
        state,
        done: i64::try_from(done).unwrap_or(i64::MAX),
        outcome_json,
        error,
        at: time::OffsetDateTime::now_utc(),
    };
    if let Err(e) = store
        .update_import_job(&id, &update(ImportJobState::Running, 0, None, None))
        .await
    {
        tracing::warn!(job = %id, error = %e, "import job not claimed");
        return;
    }
    let plan = match store.import_job_payload(&id).await {
        Ok(Some(text)) => serde_json::from_str::<Plan>(&text).map_err(|e| e.to_string()),
        Ok(None) => Err("the job has no payload".to_owned()),
        Err(e) => Err(e.to_string()),
    };
    let plan = match plan {
        Ok(p) => p,
        Err(e) => {
            let _ = store
                .update_import_job(&id, &update(ImportJobState::Failed, 0, None, Some(e)))
                .await;
            return;
        }
    };
    let done = Arc::new(AtomicUsize::new(0));
    let ticker = {
        let store = store.clone();
        let id = id.clone();
        let done = Arc::clone(&done);
        tokio::spawn(async move {
            let mut last = 0;
            loop {
                tokio::time::sleep(PROGRESS_INTERVAL).await;
                let now = done.load(Ordering::Relaxed);
                if now != last {
                    // On SQLite this waits while the import holds the write lock; progress is best effort.
                    let _ = store
                        .update_import_job(&id, &update(ImportJobState::Running, now, None, None))
                        .await;
                    last = now;
                }
            }
        })
    };
    let counter = Arc::clone(&done);
    let tick = move |n: usize| counter.store(n, Ordering::Relaxed);
    let result = assure_import::apply(&store, &actor, &plan, &tick).await;
    ticker.abort();
    let _ = ticker.await;
    let finished = match result {
        Ok(outcome) => update(
            ImportJobState::Succeeded,
            plan.total(),
            serde_json::to_string(&outcome).ok(),
            None,
        ),
        Err(e) => {
            tracing::warn!(job = %id, error = %e, "import job failed");
            update(
                ImportJobState::Failed,
                done.load(Ordering::Relaxed),
                None,
                Some(e.to_string()),
            )
        }
    };
    if let Err(e) = store.update_import_job(&id, &finished).await {
        tracing::error!(job = %id, error = %e, "cannot record the end of an import job");
    }
}

/// An import job as the API shows it: what was read (the preview) and, once run, what changed.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ImportJobView {
    id: String,
    /// catalog, profile, framework or mapping.
    kind: String,
    /// The uploaded document's name.
    file_name: String,
    #[schema(example = "previewed")]
    state: &'static str,
    /// Items applied so far, of `total`.
    done: i64,
    total: i64,
    /// What the document holds and what importing it would change.
    preview: Value,
    /// What the import changed, once it succeeded.
    outcome: Option<Value>,
    /// Why it failed.
    error: Option<String>,
    created_by: String,
    created_at: String,
    updated_at: String,
    links: ImportJobLinks,
}

/// Where to go next with a job.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ImportJobLinks {
    #[serde(rename = "self")]
    this: String,
    /// Present while the job waits for confirmation.
    confirm: Option<String>,
    page: String,
}

impl ImportJobView {
    pub(crate) fn of(job: &ImportJob) -> Self {
        let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
        Self {
            id: job.id.clone(),
            kind: job.kind.clone(),
            file_name: job.file_name.clone(),
            state: job.state.as_str(),
            done: job.done,
            total: job.total,
            preview: parse(&job.preview_json),
            outcome: job.outcome_json.as_deref().map(parse),
            error: job.error.clone(),
            created_by: job.created_by.as_str().to_owned(),
            created_at: format_instant(job.created_at),
            updated_at: format_instant(job.updated_at),
            links: ImportJobLinks {
                this: format!("/api/v1/imports/{}", job.id),
                confirm: (job.state == ImportJobState::Previewed)
                    .then(|| format!("/api/v1/imports/{}/confirm", job.id)),
                page: format!("/imports/{}", job.id),
            },
        }
    }
}

/// Reads and previews a document; nothing is stored until the job is confirmed (or `confirm=true`).
#[utoipa::path(post, path = "/api/v1/imports", tag = "imports",
    params(
        ("kind" = Option<String>, Query, description = "catalog, profile, framework or mapping (required unless a form field)"),
        ("file_name" = Option<String>, Query, description = "The document's name, as errors will cite it"),
        ("confirm" = Option<bool>, Query, description = "true: import at once after the preview"),
    ),
    request_body(content(
        (Value = "application/json"),
        (Vec<u8> = "multipart/form-data"),
        (Vec<u8> = "application/octet-stream"),
    )),
    responses(
        (status = 201, description = "The previewed (or queued) job", body = ImportJobView),
        (status = 400, description = "A parameter is wrong; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not import content", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflicts with stored content", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over the upload limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The document is refused; `problems` lists each error with its document and JSON pointer", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn create<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Result<Response, Problem> {
    let cap = principal.authorize(Action::ImportContent)?;
    let confirm_now = query.get("confirm").is_some_and(|v| v == "true");
    let upload = Upload::from_request(query, request).await?;
    let job = stage(&state, upload, principal.user.id.as_str())
        .await
        .map_err(StageError::into_problem)?;
    if confirm_now {
        confirm(&state, &job.id, cap.actor().clone()).await?;
    }
    let job = state.store.get_import_job(&job.id).await?.unwrap_or(job);
    let location = format!("/api/v1/imports/{}", job.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(ImportJobView::of(&job)),
    )
        .into_response())
}

/// Import jobs, newest first.
#[utoipa::path(get, path = "/api/v1/imports", tag = "imports",
    params(
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 0, maximum = 1000),
        ("offset" = Option<i64>, Query, description = "Items to skip", minimum = 0),
    ),
    responses(
        (status = 200, description = "A page of jobs", body = Page<ImportJobView>),
        (status = 400, description = "A parameter is wrong; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not import content", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Page<ImportJobView>>, Problem> {
    principal.authorize(Action::ImportContent)?;
    let limit = crate::api::int_param(
        &params,
        "limit",
        crate::api::DEFAULT_LIMIT,
        crate::api::MAX_LIMIT,
    )?;
    let offset = crate::api::int_param(&params, "offset", 0, i64::MAX)?;
    // Jobs are few (one per upload); the whole list is read and paged here.
    let jobs = state.store.list_import_jobs(i64::MAX).await?;
    let total = i64::try_from(jobs.len()).unwrap_or(i64::MAX);
    let items = jobs
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(ImportJobView::of)
        .collect();
    Ok(Json(Page {
        items,
        total,
        limit,
        offset,
    }))
}

/// One job: its preview, progress and outcome.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "imports",
    params(("id" = String, Path, description = "Import job ID")),
    responses(
        (status = 200, description = "The job", body = ImportJobView),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not import content", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such import job", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn show<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<ImportJobView>, Problem> {
    principal.authorize(Action::ImportContent)?;
    let job = state
        .store
        .get_import_job(&id)
        .await?
        .ok_or_else(|| Problem::not_found("import job"))?;
    Ok(Json(ImportJobView::of(&job)))
}

/// Confirms a previewed job: it runs in the background; poll the job for progress.
#[utoipa::path(post, path = "/api/v1/imports/{id}/confirm", tag = "imports",
    params(("id" = String, Path, description = "Import job ID")),
    responses(
        (status = 202, description = "Queued; the job as it stands", body = ImportJobView),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not import content", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such import job", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The job is not waiting for confirmation", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn confirm_route<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let cap = principal.authorize(Action::ImportContent)?;
    confirm(&state, &id, cap.actor().clone()).await?;
    let job = state
        .store
        .get_import_job(&id)
        .await?
        .ok_or_else(|| Problem::not_found("import job"))?;
    Ok((StatusCode::ACCEPTED, Json(ImportJobView::of(&job))).into_response())
}

/// The path of an upload's document, for tests of the sanitising.
#[cfg(test)]
fn first_file(upload: &Upload) -> Option<&std::path::Path> {
    upload.files.first().map(PathBuf::as_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uploaded_name_cannot_leave_the_upload_folder() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("..\\x\\cat alog.json"), "cat_alog.json");
        assert_eq!(safe_file_name(".."), "upload");
        assert_eq!(safe_file_name(""), "upload");
    }

    #[test]
    fn an_upload_keeps_its_files_in_its_own_folder_until_dropped() -> Result<(), String> {
        let mut upload = Upload::new(HashMap::new()).map_err(|p| p.detail)?;
        upload.add("../catalog.json", b"{}").map_err(|p| p.detail)?;
        let path = first_file(&upload)
            .map(std::path::Path::to_path_buf)
            .ok_or("no file")?;
        assert!(path.starts_with(&upload.dir) && path.exists());
        let dir = upload.dir.clone();
        drop(upload);
        assert!(!dir.exists());
        Ok(())
    }
}
