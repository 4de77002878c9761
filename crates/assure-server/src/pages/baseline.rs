//! The baseline pages: `/baseline` lists versions and opens a draft; `/baseline/{version}` shows a
//! version with its changes, its diff against the version in force, the impact of publishing it (every
//! tenant's cells, every framework's coverage) and the forms of the steps the viewer may take;
//! `/notices` shows a customer its notices with an Acknowledge button. Forms post to page routes that
//! go through the same store methods as the API and redirect (303) back; a refusal is an error page
//! naming why (409), a malformed form a 400.
//!
//! The version pages need `EditCatalogue` or `ApproveBaseline` (provider admins and security leads);
//! others get the same 404 as an unknown page. Notices are read in the viewer's scope.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use assure_domain::access::Action;
use assure_domain::baseline::{
    Difference, Impact, ThreatReference, ThreatSource, Transition, Trigger, diff,
};
use assure_domain::catalogue::{BaselineVersion, VersionState};
use assure_domain::responsibility::{Assignment, Responsibility, ResponsibilityEntry};
use assure_store::baseline::{add_change, content_of, impact_of, live_baseline, publish};
use assure_store::{Actor, NewBaselineDraft, Store, StoreError, VersionStep};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Layout, PageError, Viewer, render};
use crate::AppState;
use crate::problem::Problem;
use crate::routing::Routes;

type Shared<S> = State<Arc<AppState<S>>>;
type Fields = Form<HashMap<String, String>>;

pub fn routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new()
        .get("/baseline", index::<S>)
        .post("/baseline", open::<S>)
        .get("/baseline/{version}", version::<S>)
        .post("/baseline/{version}/changes", change::<S>)
        .post("/baseline/{version}/comments", comment::<S>)
        .post("/baseline/{version}/transitions", step::<S>)
        .get("/notices", notices::<S>)
        .post("/notices/{notice}/acknowledge", acknowledge::<S>)
}

/// A version as the pages list it.
struct VersionRow {
    id: String,
    state: &'static str,
    trigger: String,
    rationale: String,
    author: String,
    reviewers: String,
    approved_by: String,
    effective: String,
}

impl VersionRow {
    fn of(v: &BaselineVersion) -> Self {
        Self {
            id: v.id.to_string(),
            state: v.state.as_str(),
            trigger: v.trigger.label(),
            rationale: v.rationale.clone(),
            author: v.author.clone(),
            reviewers: v.reviewers.join(", "),
            approved_by: v.approved_by.clone().unwrap_or_default(),
            effective: v
                .effective_at
                .map(assure_domain::audit::format_instant)
                .unwrap_or_default(),
        }
    }
}

/// A changed cell in words.
struct CellRow {
    tenant: String,
    control: String,
    before: String,
    after: String,
}

fn cell_in_words(cell: Option<&assure_domain::baseline::Cell>) -> String {
    cell.map_or_else(
        || "none".to_owned(),
        |c| {
            format!(
                "{} ({})",
                c.responsibility.as_str(),
                c.per_service.join(", ")
            )
        },
    )
}

fn cell_rows(impact: &Impact) -> Vec<CellRow> {
    impact
        .tenants
        .iter()
        .flat_map(|t| {
            t.cells.iter().map(|c| CellRow {
                tenant: t.tenant.to_string(),
                control: c.control.to_string(),
                before: cell_in_words(c.before.as_ref()),
                after: cell_in_words(c.after.as_ref()),
            })
        })
        .collect()
}

/// A difference in words.
struct DiffRow {
    object: &'static str,
    id: String,
    kind: &'static str,
    fields: String,
}

fn diff_rows(d: &[Difference]) -> Vec<DiffRow> {
    d.iter()
        .map(|x| DiffRow {
            object: x.object.as_str(),
            id: x.id.clone(),
            kind: match x.kind {
                assure_domain::baseline::DiffKind::Added => "added",
                assure_domain::baseline::DiffKind::Removed => "removed",
                assure_domain::baseline::DiffKind::Modified => "modified",
            },
            fields: x.fields.join(", "),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "baseline/index.html")]
struct IndexPage {
    layout: Layout,
    versions: Vec<VersionRow>,
    may_edit: bool,
}

#[derive(Template)]
#[template(path = "baseline/version.html")]
struct VersionPage {
    layout: Layout,
    version: VersionRow,
    changes: Vec<(i64, String, String, String)>,
    comments: Vec<(String, String, String)>,
    differences: Vec<DiffRow>,
    cells: Vec<CellRow>,
    frameworks: Vec<(String, String, String)>,
    may_edit: bool,
    may_approve: bool,
    draft: bool,
    in_review: bool,
    approved: bool,
    published: bool,
}

/// A notice in words.
struct NoticeRow {
    id: String,
    tenant: String,
    version: String,
    effective: String,
    cells: Vec<CellRow>,
    acknowledged: String,
}

#[derive(Template)]
#[template(path = "baseline/notices.html")]
struct NoticesPage {
    layout: Layout,
    notices: Vec<NoticeRow>,
    may_acknowledge: bool,
}

/// Version pages are for the people who edit or approve the baseline.
fn require_steward(viewer: &Viewer) -> Result<(), PageError> {
    if viewer.may(Action::EditCatalogue) || viewer.may(Action::ApproveBaseline) {
        Ok(())
    } else {
        viewer.require(Action::EditCatalogue)
    }
}

fn actor(viewer: &Viewer) -> Actor {
    Actor(format!("user:{}", viewer.user))
}

/// A governance refusal or an invalid change: an error page naming why.
fn refused(e: StoreError) -> PageError {
    match e {
        StoreError::Transition(_)
        | StoreError::Conflict(_)
        | StoreError::Change(_)
        | StoreError::Trigger(_) => {
            PageError::Api(Problem::new(StatusCode::CONFLICT, e.to_string()))
        }
        other => other.into(),
    }
}

fn field<'a>(fields: &'a HashMap<String, String>, name: &str) -> Result<&'a str, PageError> {
    fields
        .get(name)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| PageError::BadInput(format!("the form needs {name}")))
}

fn optional(fields: &HashMap<String, String>, name: &str) -> Option<String> {
    fields
        .get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

pub async fn index<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    require_steward(&viewer)?;
    let versions = state.store.list_baseline_versions().await?;
    render(&IndexPage {
        layout: Layout::new(&viewer, "/baseline"),
        versions: versions.iter().map(VersionRow::of).collect(),
        may_edit: viewer.may(Action::EditCatalogue),
    })
}

fn trigger_from(fields: &HashMap<String, String>) -> Result<Trigger, PageError> {
    Ok(match field(fields, "trigger")? {
        "periodic-review" => Trigger::PeriodicReview,
        "framework-update" => Trigger::FrameworkUpdate {
            framework: optional(fields, "framework").map(Into::into),
        },
        "threat-intelligence" => {
            let source = ThreatSource::parse(field(fields, "source")?)
                .ok_or_else(|| PageError::BadInput("source: cve, kev or vendor-advisory".into()))?;
            let date_format = time::macros::format_description!("[year]-[month]-[day]");
            let published = field(fields, "published")?;
            Trigger::ThreatIntelligence {
                reference: ThreatReference {
                    source,
                    id: field(fields, "reference")?.to_owned(),
                    url: field(fields, "url")?.to_owned(),
                    date: time::Date::parse(published, date_format).map_err(|_| {
                        PageError::BadInput(format!("published {published:?} is not YYYY-MM-DD"))
                    })?,
                },
            }
        }
        other => return Err(PageError::BadInput(format!("unknown trigger {other:?}"))),
    })
}

async fn open<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Form(fields): Fields,
) -> Result<Response, PageError> {
    viewer.require(Action::EditCatalogue)?;
    let draft = NewBaselineDraft {
        trigger: trigger_from(&fields)?,
        rationale: field(&fields, "rationale")?.to_owned(),
    };
    let live = live_baseline(&state.store).await?;
    let v = state
        .store
        .open_baseline_draft(&actor(&viewer), &draft, &live)
        .await
        .map_err(refused)?;
    Ok(Redirect::to(&format!("/baseline/{}", v.id)).into_response())
}

async fn find<S: Store>(store: &S, id: &str) -> Result<BaselineVersion, PageError> {
    store
        .list_baseline_versions()
        .await?
        .into_iter()
        .find(|v| v.id.as_str() == id)
        .ok_or_else(|| PageError::NotFound(format!("baseline version {id}")))
}

pub async fn version<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_steward(&viewer)?;
    let v = find(&state.store, &id).await?;
    let changes = state.store.list_baseline_changes(Some(&v.id)).await?;
    let comments = state.store.list_baseline_comments(Some(&v.id)).await?;
    let content = content_of(&state.store, &v.id).await?;
    // A published version is compared with the one before it, an open one with the live baseline.
    // Against the published version before it, or (open) the live baseline.
    let previous = state
        .store
        .list_baseline_versions()
        .await?
        .into_iter()
        .rev()
        .find(|p| p.state == VersionState::Published && p.number < v.number);
    let before = match (v.state.is_open(), previous) {
        (true, _) => live_baseline(&state.store).await?,
        (false, Some(p)) => content_of(&state.store, &p.id).await?,
        (false, None) => content.clone(),
    };
    let impact = if v.state.is_open() {
        impact_of(&state.store, &v.id).await.map_err(refused)?
    } else {
        Impact::default()
    };
    render(&VersionPage {
        layout: Layout::new(&viewer, "/baseline"),
        changes: changes
            .iter()
            .map(|c| {
                let (kind, object) = c.change.object();
                (
                    c.seq,
                    format!("{} {object}", kind.as_str()),
                    c.rationale.clone(),
                    c.author.clone(),
                )
            })
            .collect(),
        comments: comments
            .iter()
            .map(|c| {
                (
                    c.author.clone(),
                    c.change.map(|n| format!("change {n}")).unwrap_or_default(),
                    c.body.clone(),
                )
            })
            .collect(),
        differences: diff_rows(&diff(&before, &content)),
        cells: cell_rows(&impact),
        frameworks: impact
            .frameworks
            .iter()
            .map(|f| {
                (
                    f.framework.to_string(),
                    format!(
                        "{} covered, {} partly, {} not",
                        f.before.covered, f.before.partly_covered, f.before.not_covered
                    ),
                    format!(
                        "{} covered, {} partly, {} not",
                        f.after.covered, f.after.partly_covered, f.after.not_covered
                    ),
                )
            })
            .collect(),
        may_edit: viewer.may(Action::EditCatalogue),
        may_approve: viewer.may(Action::ApproveBaseline),
        draft: v.state == VersionState::Draft,
        in_review: v.state == VersionState::InReview,
        approved: v.state == VersionState::Approved,
        published: !v.state.is_open(),
        version: VersionRow::of(&v),
    })
}

/// Puts a responsibility entry into a draft (the edit the version page offers; the API and CLI take
/// every kind of change).
async fn change<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Fields,
) -> Result<Response, PageError> {
    viewer.require(Action::EditCatalogue)?;
    let responsibility =
        Responsibility::parse(field(&fields, "responsibility")?).ok_or_else(|| {
            PageError::BadInput(
                "responsibility: provider, customer, shared or not-applicable".into(),
            )
        })?;
    let entry = ResponsibilityEntry {
        service: field(&fields, "service")?.into(),
        control: field(&fields, "control")?.into(),
        assignment: Assignment {
            responsibility,
            provider_part: optional(&fields, "provider_part"),
            customer_part: optional(&fields, "customer_part"),
        },
        reason: field(&fields, "reason")?.to_owned(),
    };
    let rationale = field(&fields, "rationale")?.to_owned();
    let version = find(&state.store, &id).await?;
    add_change(
        &state.store,
        &actor(&viewer),
        &version.id,
        assure_domain::baseline::Change::Entry { entry },
        &rationale,
    )
    .await
    .map_err(refused)?;
    Ok(Redirect::to(&format!("/baseline/{id}")).into_response())
}

async fn comment<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Fields,
) -> Result<Response, PageError> {
    viewer.require(Action::EditCatalogue)?;
    let body = field(&fields, "body")?.to_owned();
    let on = match optional(&fields, "change") {
        Some(n) => Some(
            n.parse::<i64>()
                .map_err(|_| PageError::BadInput(format!("change {n:?} is not a number")))?,
        ),
        None => None,
    };
    let version = find(&state.store, &id).await?;
    state
        .store
        .comment_on_baseline(&actor(&viewer), &version.id, on, &body)
        .await
        .map_err(refused)?;
    Ok(Redirect::to(&format!("/baseline/{id}")).into_response())
}

async fn step<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Fields,
) -> Result<Response, PageError> {
    let transition = match field(&fields, "transition")? {
        "submit" => Transition::Submit,
        "return" => Transition::Return,
        "approve" => Transition::Approve,
        "publish" => Transition::Publish,
        "withdraw" => Transition::Withdraw,
        other => return Err(PageError::BadInput(format!("unknown step {other:?}"))),
    };
    viewer.require(match transition {
        Transition::Submit | Transition::Return | Transition::Withdraw => Action::EditCatalogue,
        Transition::Approve | Transition::Publish => Action::ApproveBaseline,
    })?;
    let version = find(&state.store, &id).await?;
    if transition == Transition::Publish {
        let effective = match optional(&fields, "effective") {
            None => None,
            Some(d) => {
                let date_format = time::macros::format_description!("[year]-[month]-[day]");
                let date = time::Date::parse(&d, date_format).map_err(|_| {
                    PageError::BadInput(format!("effective {d:?} is not YYYY-MM-DD"))
                })?;
                let today = time::OffsetDateTime::now_utc().date();
                (date != today).then(|| date.midnight().assume_utc())
            }
        };
        publish(&state.store, &actor(&viewer), &version.id, effective)
            .await
            .map_err(refused)?;
    } else {
        let mut reviewers = Vec::new();
        if transition == Transition::Submit {
            for r in field(&fields, "reviewers")?
                .split([',', ' '])
                .filter(|r| !r.is_empty())
            {
                let user = state
                    .store
                    .get_user(&r.into())
                    .await?
                    .filter(|u| assure_domain::access::permits(u.role, Action::ApproveBaseline))
                    .ok_or_else(|| {
                        PageError::BadInput(format!("{r} is not a user who may approve a baseline"))
                    })?;
                reviewers.push(format!("user:{}", user.id));
            }
        }
        state
            .store
            .transition_baseline(
                &actor(&viewer),
                &version.id,
                &VersionStep {
                    transition,
                    reviewers,
                    publication: None,
                },
            )
            .await
            .map_err(refused)?;
    }
    Ok(Redirect::to(&format!("/baseline/{id}")).into_response())
}

pub async fn notices<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadTenant)?;
    let notices = state
        .store
        .list_baseline_notices(&viewer.scope, None)
        .await?;
    render(&NoticesPage {
        layout: Layout::new(&viewer, "/notices"),
        may_acknowledge: viewer.may(Action::AcknowledgeNotice),
        notices: notices
            .iter()
            .map(|n| NoticeRow {
                id: n.id.clone(),
                tenant: n.tenant.to_string(),
                version: n.version.to_string(),
                effective: assure_domain::audit::format_instant(n.effective_at),
                cells: n
                    .cells
                    .iter()
                    .map(|c| CellRow {
                        tenant: n.tenant.to_string(),
                        control: c.control.to_string(),
                        before: cell_in_words(c.before.as_ref()),
                        after: cell_in_words(c.after.as_ref()),
                    })
                    .collect(),
                acknowledged: match (&n.acknowledged_by, n.acknowledged_at) {
                    (Some(by), Some(at)) => {
                        format!("{by} at {}", assure_domain::audit::format_instant(at))
                    }
                    _ => String::new(),
                },
            })
            .collect(),
    })
}

async fn acknowledge<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::AcknowledgeNotice)?;
    state
        .store
        .acknowledge_notice(&viewer.scope, &actor(&viewer), &id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => PageError::NotFound(format!("notice {id}")),
            other => refused(other),
        })?;
    Ok(Redirect::to("/notices").into_response())
}
