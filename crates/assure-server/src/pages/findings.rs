//! The findings pages: `/findings` lists the findings the viewer may see with a filter form (severity,
//! state, overdue, tenant, control, inherited), sorted and paged, and shows a customer the provider's
//! findings on the controls it inherits, redacted; `/findings/{finding}` shows a finding with its
//! remediation record, timeline and escalations and the forms of the steps the viewer may take (or, for
//! a customer inheriting its control, the redacted exception). Forms post to page routes that go through
//! the same code as the API and redirect (303) back; a refusal is an error page naming why (409, 403 or
//! 422), a malformed form a 400.
//!
//! Reading needs `ReadFinding`; others get the same 404 as an unknown page. Steps need `ManageFinding`,
//! risk acceptance `AcceptRisk`, acknowledging an escalation `AcknowledgeEscalation`.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use assure_domain::access::Action;
use assure_domain::audit::format_instant;
use assure_domain::escalation::Alert;
use assure_domain::finding::{Finding, FindingId, FindingOwner, FindingSource, InheritedException};
use assure_domain::remediation::{
    RemediationState, Retriage, RiskAcceptance, Step, StepKind, Ticket, Validation,
};
use assure_domain::severity::Severity;
use assure_store::findings::inherited_exceptions_for;
use assure_store::{Actor, Store, StoreError};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use time::OffsetDateTime;

use super::{Choice, Layout, PageError, Pager, Viewer, encode, query_string, render};
use crate::AppState;
use crate::auth::now;
use crate::findings::{
    FindingDetail, MilestoneRequest, StepRequest, detail_of, finding_query, step_of,
};
use crate::problem::Problem;
use crate::routing::Routes;

type Shared<S> = State<Arc<AppState<S>>>;
type Fields = Form<HashMap<String, String>>;

/// Findings shown per page of the list.
const PER_PAGE: i64 = 25;

pub fn routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new()
        .get("/findings", list::<S>)
        .get("/findings/{finding}", finding::<S>)
        .post("/findings/{finding}/transitions", step::<S>)
        .post("/findings/{finding}/retriage", retriage::<S>)
        .post("/escalations/{escalation}/acknowledge", acknowledge::<S>)
}

fn day(t: OffsetDateTime) -> String {
    let d = t.date();
    format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn owner_text(owner: &FindingOwner) -> String {
    match owner {
        FindingOwner::Tenant(t) => t.to_string(),
        FindingOwner::Provider => "provider".to_owned(),
    }
}

/// A finding as a row of the list.
struct Row {
    id: String,
    href: String,
    title: String,
    owner: String,
    control: String,
    severity: &'static str,
    state: &'static str,
    due: String,
    overdue: bool,
}

impl Row {
    fn of(f: &Finding, at: OffsetDateTime) -> Self {
        Self {
            href: format!("/findings/{}", encode(f.id.as_str())),
            id: f.id.to_string(),
            title: f.title.clone(),
            owner: owner_text(&f.owner),
            control: f
                .control
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            severity: f.severity.name(),
            state: f.state.as_str(),
            due: f.due_at.map(day).unwrap_or_default(),
            overdue: f.is_overdue(at),
        }
    }

    fn of_exception(e: &InheritedException) -> Self {
        Self {
            href: format!("/findings/{}", encode(e.id.as_str())),
            id: e.id.to_string(),
            title: e.title.clone(),
            owner: "provider (inherited)".to_owned(),
            control: e
                .control
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            severity: e.severity.name(),
            state: e.state.as_str(),
            due: e.due_at.map(day).unwrap_or_default(),
            overdue: e.overdue,
        }
    }
}

#[derive(Template)]
#[template(path = "findings/list.html")]
struct ListPage {
    layout: Layout,
    severities: Vec<Choice>,
    states: Vec<Choice>,
    inherited: Vec<Choice>,
    /// Empty for customers (their own tenant only).
    tenants: Vec<Choice>,
    sorts: Vec<Choice>,
    control: String,
    overdue: bool,
    open: bool,
    rows: Vec<Row>,
    pager: Pager,
    /// A customer's inherited exceptions (redacted provider findings), `None` when not shown.
    exceptions: Option<Vec<Row>>,
    is_customer: bool,
    /// The viewer's own findings are listed (not when a customer asks for inherited ones only).
    own_shown: bool,
}

fn param(params: &HashMap<String, String>, name: &str) -> String {
    params
        .get(name)
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
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

fn bad(p: Problem) -> PageError {
    PageError::BadInput(p.detail)
}

pub async fn list<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadFinding)?;
    let at = now();
    let (severity, state_name, tenant, control, inherited, sort) = (
        param(&params, "severity"),
        param(&params, "state"),
        param(&params, "tenant"),
        param(&params, "control"),
        param(&params, "inherited"),
        param(&params, "sort"),
    );
    let overdue = param(&params, "overdue") == "true";
    let page = page_number(&params)?;
    let customer = viewer.tenant.clone();
    // The API's parameters, with the page's size and window.
    let mut api_params: HashMap<String, String> = [
        ("severity", &severity),
        ("state", &state_name),
        ("control", &control),
        ("sort", &sort),
        ("tenant", &tenant),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.clone()))
    .collect();
    if overdue {
        api_params.insert("overdue".into(), "true".into());
    }
    let open = param(&params, "open") == "true";
    if open {
        api_params.insert("open".into(), "true".into());
    }
    // A customer's own findings are never provider-owned: "inherited only" shows its exceptions alone.
    let own_shown = !(customer.is_some() && inherited == "true");
    if customer.is_none() && !inherited.is_empty() {
        api_params.insert("inherited".into(), inherited.clone());
    } else if !matches!(inherited.as_str(), "" | "true" | "false") {
        return Err(PageError::BadInput(format!(
            "inherited must be true or false, not {inherited:?}"
        )));
    }
    api_params.insert("limit".into(), PER_PAGE.to_string());
    api_params.insert("offset".into(), ((page - 1) * PER_PAGE).to_string());
    let mut query = finding_query(&api_params, at).map_err(bad)?;
    let (items, total) = if own_shown {
        let mut result = state.store.list_findings(&viewer.scope, &query).await?;
        let pager = Pager::new(page, PER_PAGE, result.total, "/findings", "");
        if pager.page != page {
            // Asked past the last page: show the last one.
            query.offset = pager.offset(PER_PAGE);
            result = state.store.list_findings(&viewer.scope, &query).await?;
        }
        (result.items, result.total)
    } else {
        (Vec::new(), 0)
    };
    let base = query_string(&[
        ("severity", &severity),
        ("state", &state_name),
        ("overdue", if overdue { "true" } else { "" }),
        ("open", if open { "true" } else { "" }),
        ("tenant", &tenant),
        ("control", &control),
        ("inherited", &inherited),
        ("sort", &sort),
    ]);
    let pager = Pager::new(page, PER_PAGE, total, "/findings", &base);
    let exceptions = match &customer {
        Some(t) if inherited != "false" && viewer.scope.admits(t) => Some(
            inherited_exceptions_for(&state.store, &viewer.scope, t, at)
                .await?
                .iter()
                .filter(|e| query.severity.is_none_or(|s| s == e.severity))
                .filter(|e| query.state.is_none_or(|s| s == e.state))
                .filter(|e| query.control.is_none() || query.control == e.control)
                .filter(|e| !overdue || e.overdue)
                .filter(|e| !open || e.state.is_open())
                .map(Row::of_exception)
                .collect(),
        ),
        _ => None,
    };
    let tenants = if customer.is_none() {
        let mut choices = vec![Choice::new("", "All tenants", &tenant)];
        choices.extend(
            state
                .store
                .list_tenants(&viewer.scope)
                .await?
                .iter()
                .map(|t| Choice::new(t.id.as_str(), t.id.as_str(), &tenant)),
        );
        choices
    } else {
        Vec::new()
    };
    let mut severities = vec![Choice::new("", "Any severity", &severity)];
    severities.extend(
        Severity::ALL
            .into_iter()
            .map(|s| Choice::new(s.name(), s.name(), &severity)),
    );
    let mut states = vec![Choice::new("", "Any state", &state_name)];
    states.extend(
        RemediationState::ALL
            .into_iter()
            .map(|s| Choice::new(s.as_str(), s.as_str(), &state_name)),
    );
    let inherited_choices = if customer.is_some() {
        vec![
            Choice::new("", "Ours and inherited", &inherited),
            Choice::new("false", "Ours only", &inherited),
            Choice::new("true", "Inherited from the provider only", &inherited),
        ]
    } else {
        vec![
            Choice::new("", "Tenants' and the provider's", &inherited),
            Choice::new("false", "Tenants' only", &inherited),
            Choice::new("true", "Provider-owned (inherited) only", &inherited),
        ]
    };
    let sorts = [
        ("", "Worst first, then nearest deadline"),
        ("due", "Nearest deadline first"),
        ("-detected", "Newest first"),
        ("detected", "Oldest first"),
        ("id", "ID"),
    ]
    .into_iter()
    .map(|(v, l)| Choice::new(v, l, &sort))
    .collect();
    render(&ListPage {
        layout: Layout::new(&viewer, "/findings"),
        severities,
        states,
        inherited: inherited_choices,
        tenants,
        sorts,
        control,
        overdue,
        open,
        rows: items.iter().map(|f| Row::of(f, at)).collect(),
        pager,
        exceptions,
        is_customer: customer.is_some(),
        own_shown,
    })
}

/// A finding's whole record, in words.
struct Full {
    id: String,
    title: String,
    owner: String,
    test: String,
    resource: String,
    detail: String,
    control: String,
    severity: &'static str,
    cvss: String,
    cve: String,
    known_exploited: bool,
    source: String,
    state: &'static str,
    detected: String,
    last_seen: String,
    detections: i64,
    due: String,
    overdue: bool,
    closed: String,
    remediation_owner: String,
    ticket: String,
    /// A link to the ticket when it is a GitHub issue (a URL); Jira keys have no known host.
    ticket_href: Option<String>,
    root_cause: String,
    milestones: Vec<(String, String)>,
    fix_note: String,
    validations: Vec<String>,
    risk: String,
}

fn source_text(s: &FindingSource) -> String {
    match s {
        FindingSource::AssessorResult {
            assessor,
            engagement,
        } => match engagement {
            Some(e) => format!("assessor result by {assessor} in engagement {e}"),
            None => format!("assessor result by {assessor}"),
        },
        FindingSource::AutomatedCheck { run } => match run {
            Some(r) => format!("automated check (run {r})"),
            None => "automated check".to_owned(),
        },
        FindingSource::Manual { author } => format!("raised by {author}"),
    }
}

fn validation_text(v: &Validation) -> String {
    let verdict = |passed: &bool| if *passed { "passed" } else { "failed" };
    match v {
        Validation::AutomatedRecheck { check, passed, at } => format!(
            "automated re-check {check} {} at {}",
            verdict(passed),
            format_instant(*at)
        ),
        Validation::AssessorRetest {
            assessor,
            evidence,
            passed,
            at,
        } => format!(
            "retest by {assessor} {} at {} (evidence {})",
            verdict(passed),
            format_instant(*at),
            evidence.join(", ")
        ),
    }
}

impl Full {
    fn of(f: &Finding, overdue: bool) -> Self {
        let r = &f.remediation;
        Self {
            id: f.id.to_string(),
            title: f.title.clone(),
            owner: owner_text(&f.owner),
            test: f.test.clone(),
            resource: f.resource.clone(),
            detail: f.detail.clone(),
            control: f
                .control
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            severity: f.severity.name(),
            cvss: f.cvss.clone().unwrap_or_default(),
            cve: f.cve.clone().unwrap_or_default(),
            known_exploited: f.known_exploited,
            source: source_text(&f.source),
            state: f.state.as_str(),
            detected: format_instant(f.detected_at),
            last_seen: format_instant(f.last_seen_at),
            detections: f.detections,
            due: f.due_at.map(format_instant).unwrap_or_default(),
            overdue,
            closed: f.closed_at.map(format_instant).unwrap_or_default(),
            remediation_owner: r.owner.clone().unwrap_or_default(),
            ticket: r.ticket.as_ref().map(Ticket::reference).unwrap_or_default(),
            ticket_href: match &r.ticket {
                Some(t @ Ticket::Github { .. }) => Some(t.reference()),
                _ => None,
            },
            root_cause: r.root_cause.clone().unwrap_or_default(),
            milestones: r
                .milestones
                .iter()
                .map(|m| (m.title.clone(), m.due.to_string()))
                .collect(),
            fix_note: r.fix_note.clone().unwrap_or_default(),
            validations: r.validations.iter().map(validation_text).collect(),
            risk: r
                .risk_acceptance
                .as_ref()
                .map(|a| {
                    format!(
                        "accepted by {} ({}) until {}: {}",
                        a.approver,
                        a.approver_role.as_str(),
                        format_instant(a.expires_at),
                        a.justification
                    )
                })
                .unwrap_or_default(),
        }
    }
}

struct TimelineRow {
    at: String,
    actor: String,
    kind: String,
    detail: String,
}

struct EscalationRow {
    id: String,
    alert: String,
    raised: String,
    acknowledged: String,
    /// Oversight may acknowledge it (an escalation, not a reminder, not yet acknowledged).
    acknowledgeable: bool,
}

/// Which step forms the page shows: the steps the state allows that the viewer's role may take.
struct Steps {
    triage: bool,
    root_cause: bool,
    plan: bool,
    fix: bool,
    validate: bool,
    close: bool,
    accept: bool,
    reopen: bool,
    retriage: bool,
}

impl Steps {
    fn of(viewer: &Viewer, state: RemediationState) -> Self {
        let manage = viewer.may(Action::ManageFinding);
        let allowed = StepKind::allowed_from(state);
        let may = |k: StepKind| manage && allowed.contains(&k);
        Self {
            triage: may(StepKind::Triage),
            root_cause: may(StepKind::RecordRootCause),
            plan: may(StepKind::PlanAction),
            fix: may(StepKind::ImplementFix),
            validate: may(StepKind::ValidateRegression),
            close: may(StepKind::Close),
            accept: viewer.may(Action::AcceptRisk) && allowed.contains(&StepKind::AcceptRisk),
            reopen: may(StepKind::Reopen),
            retriage: manage && state.is_open(),
        }
    }

    fn any(&self) -> bool {
        self.triage
            || self.root_cause
            || self.plan
            || self.fix
            || self.validate
            || self.close
            || self.accept
            || self.reopen
            || self.retriage
    }
}

#[derive(Template)]
#[template(path = "findings/finding.html")]
struct FindingPage {
    layout: Layout,
    full: Option<Full>,
    exception: Option<Row>,
    timeline: Vec<TimelineRow>,
    escalations: Vec<EscalationRow>,
    steps: Steps,
    severities: Vec<Choice>,
    /// What the validation form fills in as the assessor.
    viewer_id: String,
}

fn alert_text(a: Alert) -> String {
    match a {
        Alert::Reminder { seconds_before } => format!(
            "reminder to the owner {} day(s) before the deadline",
            seconds_before / 86_400
        ),
        Alert::Escalation { level } => format!("escalated to {}", level.as_str()),
    }
}

fn compact(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) if m.is_empty() => String::new(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub async fn finding<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadFinding)?;
    let id = FindingId::new(id);
    let detail = detail_of(&state.store, &viewer.scope, viewer.tenant.as_ref(), &id)
        .await?
        .ok_or_else(|| PageError::NotFound(format!("finding {id}")))?;
    let may_ack = viewer.may(Action::AcknowledgeEscalation);
    let page = match detail {
        FindingDetail::Full {
            finding,
            overdue,
            timeline,
            escalations,
        } => FindingPage {
            layout: Layout::new(&viewer, "/findings"),
            steps: Steps::of(&viewer, finding.state),
            full: Some(Full::of(&finding, overdue)),
            exception: None,
            timeline: timeline
                .iter()
                .map(|e| TimelineRow {
                    at: format_instant(e.at),
                    actor: e.actor.clone(),
                    kind: e.kind.clone(),
                    detail: compact(&e.detail),
                })
                .collect(),
            escalations: escalations
                .iter()
                .map(|e| EscalationRow {
                    id: e.id.clone(),
                    alert: alert_text(e.alert),
                    raised: format_instant(e.raised_at),
                    acknowledged: match (&e.acknowledged_by, e.acknowledged_at) {
                        (Some(by), Some(at)) => format!("{by} at {}", format_instant(at)),
                        _ => String::new(),
                    },
                    acknowledgeable: may_ack
                        && matches!(e.alert, Alert::Escalation { .. })
                        && e.acknowledged_by.is_none(),
                })
                .collect(),
            severities: Severity::ALL
                .into_iter()
                .map(|s| Choice::new(s.name(), s.name(), finding.severity.name()))
                .collect(),
            viewer_id: viewer.user.clone(),
        },
        FindingDetail::Inherited { exception } => FindingPage {
            layout: Layout::new(&viewer, "/findings"),
            steps: Steps::of(&viewer, RemediationState::Closed),
            full: None,
            exception: Some(Row::of_exception(&exception)),
            timeline: Vec::new(),
            escalations: Vec::new(),
            severities: Vec::new(),
            viewer_id: viewer.user.clone(),
        },
    };
    render(&page)
}

fn actor(viewer: &Viewer) -> Actor {
    Actor(format!("user:{}", viewer.user))
}

/// A refusal as an error page with the API's status and words (409, 403, 422); unknown or foreign as
/// the 404 page.
fn refused(e: StoreError) -> PageError {
    match e {
        StoreError::NotFound(what) => PageError::NotFound(what),
        e @ (StoreError::Remediation(_) | StoreError::Finding(_) | StoreError::Conflict(_)) => {
            PageError::Api(Problem::from(e))
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

fn optional(fields: &HashMap<String, String>, name: &str) -> String {
    fields
        .get(name)
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

fn date(fields: &HashMap<String, String>, name: &str) -> Result<time::Date, PageError> {
    let text = field(fields, name)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, format)
        .map_err(|_| PageError::BadInput(format!("{name} {text:?} is not YYYY-MM-DD")))
}

/// The request a step form makes (risk acceptance is handled apart: its approver is the viewer).
fn request_of(fields: &HashMap<String, String>, kind: &str) -> Result<StepRequest, PageError> {
    Ok(match kind {
        "triage" => StepRequest::Triage {
            owner: field(fields, "owner")?.to_owned(),
            ticket: field(fields, "ticket")?.to_owned(),
        },
        "record-root-cause" => StepRequest::RecordRootCause {
            root_cause: field(fields, "root_cause")?.to_owned(),
        },
        "plan-action" => {
            let mut milestones = Vec::new();
            for n in 1..=3 {
                let title = optional(fields, &format!("milestone_{n}"));
                if title.is_empty() {
                    continue;
                }
                // Checked here for a clear message; the API code parses it again.
                let due = date(fields, &format!("milestone_{n}_due"))?;
                milestones.push(MilestoneRequest {
                    title,
                    due: due.to_string(),
                });
            }
            StepRequest::PlanAction { milestones }
        }
        "implement-fix" => StepRequest::ImplementFix {
            note: optional(fields, "note"),
        },
        "validate-regression" => {
            let passed = match field(fields, "passed")? {
                "true" => true,
                "false" => false,
                other => {
                    return Err(PageError::BadInput(format!(
                        "passed must be true or false, not {other:?}"
                    )));
                }
            };
            let at = now();
            let validation = match field(fields, "kind")? {
                "automated-recheck" => Validation::AutomatedRecheck {
                    check: field(fields, "check")?.to_owned(),
                    passed,
                    at,
                },
                "assessor-retest" => Validation::AssessorRetest {
                    assessor: field(fields, "assessor")?.to_owned(),
                    evidence: optional(fields, "evidence")
                        .split([',', ' '])
                        .filter(|e| !e.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    passed,
                    at,
                },
                other => {
                    return Err(PageError::BadInput(format!(
                        "kind must be automated-recheck or assessor-retest, not {other:?}"
                    )));
                }
            };
            StepRequest::ValidateRegression { validation }
        }
        "close" => StepRequest::Close,
        "reopen" => StepRequest::Reopen,
        other => return Err(PageError::BadInput(format!("unknown step {other:?}"))),
    })
}

async fn visible<S: Store>(
    store: &S,
    viewer: &Viewer,
    id: &FindingId,
) -> Result<Finding, PageError> {
    store
        .get_finding(&viewer.scope, id)
        .await?
        .ok_or_else(|| PageError::NotFound(format!("finding {id}")))
}

async fn step<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Fields,
) -> Result<Response, PageError> {
    let id = FindingId::new(id);
    let kind = field(&fields, "step")?.to_owned();
    viewer.require(if kind == "accept-risk" {
        Action::AcceptRisk
    } else {
        Action::ManageFinding
    })?;
    let finding = visible(&state.store, &viewer, &id).await?;
    let step = if kind == "accept-risk" {
        let expires = date(&fields, "expires")?;
        Step::AcceptRisk {
            acceptance: RiskAcceptance {
                approver: actor(&viewer).0,
                approver_role: viewer.role,
                justification: optional(&fields, "justification"),
                // The end of the chosen day.
                expires_at: expires
                    .with_hms(23, 59, 59)
                    .map_err(|e| PageError::BadInput(e.to_string()))?
                    .assume_utc(),
            },
        }
    } else {
        let request = request_of(&fields, &kind)?;
        step_of(&state.store, &viewer.scope, &finding, request)
            .await
            .map_err(PageError::Api)?
    };
    state
        .store
        .transition_finding(&viewer.scope, &actor(&viewer), &id, &step, now())
        .await
        .map_err(refused)?;
    Ok(Redirect::to(&format!("/findings/{}", encode(id.as_str()))).into_response())
}

async fn retriage<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Fields,
) -> Result<Response, PageError> {
    viewer.require(Action::ManageFinding)?;
    let id = FindingId::new(id);
    visible(&state.store, &viewer, &id).await?;
    let severity = field(&fields, "severity")?;
    let change = Retriage {
        severity: Severity::parse(severity)
            .ok_or_else(|| PageError::BadInput(format!("unknown severity {severity:?}")))?,
        justification: optional(&fields, "justification"),
    };
    state
        .store
        .retriage_finding(&viewer.scope, &actor(&viewer), &id, &change)
        .await
        .map_err(refused)?;
    Ok(Redirect::to(&format!("/findings/{}", encode(id.as_str()))).into_response())
}

async fn acknowledge<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::AcknowledgeEscalation)?;
    let e = state
        .store
        .acknowledge_escalation(&viewer.scope, &actor(&viewer), &id, now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => PageError::NotFound(format!("escalation {id}")),
            other => refused(other),
        })?;
    Ok(Redirect::to(&format!("/findings/{}", encode(e.finding.as_str()))).into_response())
}
