//! Findings and their remediation in the API, under `/api/v1`: the list (filtered, sorted, paged), one
//! finding with its timeline and escalations, findings raised by hand or reported by automated checks
//! (a re-detection refreshes the open finding and never moves its deadline), the remediation steps,
//! risk acceptance, re-triage, the in-app inbox and oversight's acknowledgement of escalations.
//!
//! Reading is `ReadFinding`; raising and moving findings `ManageFinding`; accepting a risk `AcceptRisk`
//! (the domain narrows who for which severity); check results `ReportCheckFinding`; acknowledging an
//! escalation `AcknowledgeEscalation` (oversight). Every store call takes the capability's scope, so a
//! foreign finding answers exactly as one that never existed. A provider-owned finding is never shown
//! whole to a customer: a customer whose matrix inherits its control sees it as an
//! [`InheritedException`] (no detail, resource, test, source or remediation record).

use std::collections::HashMap;
use std::sync::Arc;

use assure_domain::access::Action;
use assure_domain::escalation::Alert;
use assure_domain::evidence::EvidenceId;
use assure_domain::finding::{
    Detection, Finding, FindingId, FindingOwner, FindingSource, InheritedException,
};
use assure_domain::remediation::{
    Milestone, RemediationState, Retriage, RiskAcceptance, Step, Ticket, Validation,
};
use assure_domain::severity::Severity;
use assure_domain::{ControlId, TenantId};
use assure_store::findings::{
    Audience, Escalation, FindingQuery, FindingSort, Notification, TimelineEntry,
    inherited_exceptions_for,
};
use assure_store::{Store, StoreError, TenantScope};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::{DEFAULT_LIMIT, MAX_LIMIT, Page, int_param};
use crate::auth::{Authorized, Principal, now};
use crate::problem::Problem;
use crate::routing::Routes;

type Shared<S> = State<Arc<AppState<S>>>;
type Answer<T> = Result<(StatusCode, Json<T>), Problem>;

pub fn routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new()
        .get("/findings", list::<S>)
        .post("/findings", create::<S>)
        .post("/check-findings", report_check::<S>)
        .get("/findings/{finding}", show::<S>)
        .post("/findings/{finding}/transitions", transition::<S>)
        .post("/findings/{finding}/accept-risk", accept_risk::<S>)
        .post("/findings/{finding}/retriage", retriage::<S>)
        .get("/tenants/{id}/inherited-findings", inherited::<S>)
        .get("/escalations", escalations::<S>)
        .post("/escalations/{escalation}/acknowledge", acknowledge::<S>)
        .get("/notifications", notifications::<S>)
}

/// One entry of a finding's timeline: detection, re-detections, steps, re-triage, reminders and
/// escalations, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineView {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: String,
    /// `detected`, `redetected`, a step (`triage`, ...), `retriage`, `reminder`, `escalation`.
    pub kind: String,
    /// What the entry recorded.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<TimelineEntry> for TimelineView {
    fn from(e: TimelineEntry) -> Self {
        Self {
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            kind: e.kind,
            detail: e.detail,
        }
    }
}

/// A reminder to the owner or an escalation up the governance path, recorded once.
#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationView {
    pub id: String,
    pub finding: FindingId,
    /// The finding's tenant; none for a provider-owned finding.
    pub tenant: Option<TenantId>,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    pub alert: Alert,
    #[serde(with = "time::serde::rfc3339")]
    pub raised_at: OffsetDateTime,
    pub acknowledged_by: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub acknowledged_at: Option<OffsetDateTime>,
}

impl From<Escalation> for EscalationView {
    fn from(e: Escalation) -> Self {
        Self {
            id: e.id,
            finding: e.finding,
            tenant: e.tenant,
            due_at: e.due_at,
            alert: e.alert,
            raised_at: e.raised_at,
            acknowledged_by: e.acknowledged_by,
            acknowledged_at: e.acknowledged_at,
        }
    }
}

/// A notification of the in-app inbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    pub tenant: Option<TenantId>,
    /// `owner`, or the rung of the governance path it went to.
    pub audience: String,
    pub finding: FindingId,
    pub escalation: String,
    pub subject: String,
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id,
            tenant: n.tenant,
            audience: n.audience.as_str().to_owned(),
            finding: n.finding,
            escalation: n.escalation,
            subject: n.subject,
            body: n.body,
            created_at: n.created_at,
        }
    }
}

/// One finding as the caller may see it: whole (its own, or any for the provider), or redacted as an
/// inherited exception (a provider-owned finding on a control the customer's matrix inherits).
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "view", rename_all = "kebab-case")]
pub enum FindingDetail {
    Full {
        /// Boxed: the whole record is far larger than a redacted exception.
        finding: Box<Finding>,
        overdue: bool,
        timeline: Vec<TimelineView>,
        escalations: Vec<EscalationView>,
    },
    Inherited {
        exception: InheritedException,
    },
}

/// What recording a detection did: a new finding (201), or the open finding with the same key seen
/// again (200; its deadline unchanged).
#[derive(Debug, Serialize, ToSchema)]
pub struct DetectionAnswer {
    pub finding: Finding,
    pub created: bool,
}

/// A finding raised by hand (or, by an assessor, from a test result).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFindingRequest {
    /// Whose weakness: `{"kind": "tenant", "tenant": "northbank"}` or `{"kind": "provider"}`.
    pub owner: FindingOwner,
    /// The test procedure that found it.
    pub test: String,
    /// What it was found on.
    pub resource: String,
    pub title: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub control: Option<ControlId>,
    /// Given severity; when absent it is derived from `cvss`.
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub cvss: Option<String>,
    #[serde(default)]
    pub cve: Option<String>,
    /// The engagement an assessor's result belongs to (assessors only).
    #[serde(default)]
    pub engagement: Option<String>,
}

/// An automated check's failure.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckFindingRequest {
    pub owner: FindingOwner,
    /// The check's ID: with the resource and owner, the de-duplication key.
    pub check: String,
    pub resource: String,
    pub title: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub control: Option<ControlId>,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub cvss: Option<String>,
    #[serde(default)]
    pub cve: Option<String>,
    /// The check run that saw it.
    #[serde(default)]
    pub run: Option<String>,
    /// When the check saw it (RFC 3339; default now, never in the future).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub at: Option<OffsetDateTime>,
}

/// A remediation step. Risk acceptance has its own route (the approver is the caller).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "step", rename_all = "kebab-case", deny_unknown_fields)]
pub enum StepRequest {
    /// Names the owner and the external ticket (a Jira key or a GitHub issue URL).
    Triage {
        owner: String,
        ticket: String,
    },
    RecordRootCause {
        root_cause: String,
    },
    PlanAction {
        milestones: Vec<MilestoneRequest>,
    },
    ImplementFix {
        #[serde(default)]
        note: String,
    },
    /// An automated re-check or an assessor retest citing evidence of the finding's tenant.
    ValidateRegression {
        validation: Validation,
    },
    Close,
    /// An accepted risk whose expiry has passed comes back.
    Reopen,
}

/// A dated step of the corrective action plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneRequest {
    pub title: String,
    /// The day it is due (YYYY-MM-DD).
    #[schema(value_type = String, format = Date)]
    pub due: String,
}

/// A decision to live with the weakness until `expires_at` (within 366 days); the approver is the caller.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskAcceptanceRequest {
    pub justification: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// The body as `T`, or 400 naming what was expected and what is wrong. The position serde reports is
/// left out: it moves with the length of the values sent, so it would tell apart two requests that differ
/// only in an ID (the isolation matrix compares such answers).
fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes, what: &str) -> Result<T, Problem> {
    serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        let why = match text.rsplit_once(" at line ") {
            Some((why, _)) if e.line() > 0 => why.to_owned(),
            _ => text,
        };
        Problem::bad_field("body", format!("not {what}: {why}"))
    })
}

fn flag(params: &HashMap<String, String>, name: &str) -> Result<Option<bool>, Problem> {
    match params.get(name).map(String::as_str) {
        None | Some("") => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(Problem::bad_field(
            name,
            format!("{name} must be true or false, not {other:?}"),
        )),
    }
}

/// The list's query from its parameters; shared with the findings pages.
pub(crate) fn finding_query(
    params: &HashMap<String, String>,
    at: OffsetDateTime,
) -> Result<FindingQuery, Problem> {
    let text = |name: &str| params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let severity = text("severity")
        .map(|s| {
            Severity::parse(s).ok_or_else(|| {
                Problem::bad_field(
                    "severity",
                    format!(
                        "severity must be critical, high, medium, low or informational, not {s:?}"
                    ),
                )
            })
        })
        .transpose()?;
    let state = text("state")
        .map(|s| {
            RemediationState::parse(s).ok_or_else(|| {
                let all: Vec<&str> = RemediationState::ALL.iter().map(|s| s.as_str()).collect();
                Problem::bad_field(
                    "state",
                    format!("state must be one of {}, not {s:?}", all.join(", ")),
                )
            })
        })
        .transpose()?;
    let (sort, descending) = match text("sort") {
        None => (FindingSort::Severity, false),
        Some(s) => {
            let (name, descending) = s.strip_prefix('-').map_or((s, false), |n| (n, true));
            let sort = match name {
                "severity" => FindingSort::Severity,
                "due" => FindingSort::Due,
                "detected" => FindingSort::Detected,
                "id" => FindingSort::Id,
                _ => {
                    return Err(Problem::bad_field(
                        "sort",
                        format!(
                            "sort must be severity, due, detected or id (prefix - to reverse), not {s:?}"
                        ),
                    ));
                }
            };
            (sort, descending)
        }
    };
    Ok(FindingQuery {
        tenant: text("tenant").map(TenantId::new),
        provider_owned: flag(params, "inherited")?,
        severity,
        state,
        control: text("control").map(ControlId::new),
        overdue_at: flag(params, "overdue")?.filter(|o| *o).map(|_| at),
        open_only: flag(params, "open")?.unwrap_or(false),
        sort,
        descending,
        limit: Some(int_param(params, "limit", DEFAULT_LIMIT, MAX_LIMIT)?),
        offset: int_param(params, "offset", 0, i64::MAX)?,
    })
}

/// Findings the caller may see, filtered, sorted and paged.
#[utoipa::path(get, path = "/api/v1/findings", tag = "findings",
    params(
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 0, maximum = 1000),
        ("offset" = Option<i64>, Query, description = "Items to skip", minimum = 0),
        ("sort" = Option<String>, Query, description = "severity (default: worst first, then nearest deadline), due, detected or id; prefix - to reverse",
            pattern = "^-?(severity|due|detected|id)$"),
        ("severity" = Option<String>, Query, description = "Only this severity"),
        ("state" = Option<String>, Query, description = "Only this remediation state"),
        ("overdue" = Option<bool>, Query, description = "true: only findings past their deadline with the clock running"),
        ("open" = Option<bool>, Query, description = "true: leave out closed findings"),
        ("tenant" = Option<String>, Query, description = "Only this tenant's findings"),
        ("control" = Option<String>, Query, description = "Only findings on this control"),
        ("inherited" = Option<bool>, Query, description = "true: only provider-owned findings (customers see those of the controls they inherit at /api/v1/tenants/{id}/inherited-findings); false: only tenants' own"),
    ),
    responses(
        (status = 200, description = "A page of findings", body = Page<Finding>),
        (status = 400, description = "A parameter is wrong; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Page<Finding>>, Problem> {
    let cap = principal.authorize(Action::ReadFinding)?;
    let query = finding_query(&params, now())?;
    let page = state.store.list_findings(cap.scope(), &query).await?;
    Ok(Json(Page {
        items: page.items,
        total: page.total,
        limit: query.limit.unwrap_or(DEFAULT_LIMIT),
        offset: query.offset,
    }))
}

/// The provider's open findings on the controls a tenant's matrix inherits, redacted.
#[utoipa::path(get, path = "/api/v1/tenants/{id}/inherited-findings", tag = "findings",
    params(("id" = String, Path, description = "Tenant ID", example = "northbank")),
    responses(
        (status = 200, description = "The inherited exceptions", body = Page<InheritedException>),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's scope (the two look alike)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn inherited<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Page<InheritedException>>, Problem> {
    let cap = principal.authorize(Action::ReadFinding)?;
    let items =
        inherited_exceptions_for(&state.store, cap.scope(), &TenantId::new(&id), now()).await?;
    let n = i64::try_from(items.len()).unwrap_or(i64::MAX);
    Ok(Json(Page {
        items,
        total: n,
        limit: n,
        offset: 0,
    }))
}

/// What a caller with `scope` (a customer of `tenant`) may see of a finding: whole, redacted, or nothing
/// (`None`). Shared with the finding page.
pub(crate) async fn detail_of<S: Store>(
    store: &S,
    scope: &TenantScope,
    tenant: Option<&TenantId>,
    id: &FindingId,
) -> Result<Option<FindingDetail>, StoreError> {
    let at = now();
    if let Some(finding) = store.get_finding(scope, id).await? {
        let timeline = store.finding_timeline(scope, id).await?;
        let escalations = store.list_escalations(scope, Some(id)).await?;
        return Ok(Some(FindingDetail::Full {
            overdue: finding.is_overdue(at),
            finding: Box::new(finding),
            timeline: timeline.into_iter().map(Into::into).collect(),
            escalations: escalations.into_iter().map(Into::into).collect(),
        }));
    }
    // A customer sees a provider-owned finding only redacted, and only on a control it inherits.
    let Some(tenant) = tenant else {
        return Ok(None);
    };
    if !scope.admits(tenant) {
        return Ok(None);
    }
    Ok(inherited_exceptions_for(store, scope, tenant, at)
        .await?
        .into_iter()
        .find(|e| &e.id == id)
        .map(|exception| FindingDetail::Inherited { exception }))
}

/// One finding with its timeline and escalations, or (for a customer inheriting its control) a
/// provider-owned finding redacted.
#[utoipa::path(get, path = "/api/v1/findings/{finding}", tag = "findings",
    params(("finding" = String, Path, description = "Finding ID", example = "F-1")),
    responses(
        (status = 200, description = "The finding", body = FindingDetail),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's scope (the two look alike)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn show<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<FindingDetail>, Problem> {
    let cap = principal.authorize(Action::ReadFinding)?;
    let id = FindingId::new(id);
    detail_of(&state.store, cap.scope(), principal.user.tenant(), &id)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::not_found(&format!("finding {id}")))
}

/// A fresh finding ID: `F-` and 12 random hex digits (48 bits; the store refuses a taken one).
pub(crate) fn new_finding_id() -> FindingId {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    FindingId::new(format!("F-{}", &hex[..12]))
}

/// A named control must exist (a finding on an unknown control could never reach its customers).
async fn known_control<S: Store>(store: &S, control: Option<&ControlId>) -> Result<(), Problem> {
    if let Some(c) = control
        && store.get_control(c).await?.is_none()
    {
        return Err(Problem {
            field: Some("control".into()),
            ..Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("control {c} is not in the baseline"),
            )
        });
    }
    Ok(())
}

async fn record<S: Store>(
    store: &S,
    cap: &Authorized,
    detection: &Detection,
) -> Answer<DetectionAnswer> {
    let outcome = store
        .record_detection(cap.scope(), cap.actor(), &new_finding_id(), detection)
        .await?;
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(DetectionAnswer {
            finding: outcome.finding,
            created: outcome.created,
        }),
    ))
}

/// Raises a finding by hand (an assessor's, from a test result). When an open finding has the same
/// owner, test and resource it is seen again instead (200).
#[utoipa::path(post, path = "/api/v1/findings", tag = "findings",
    request_body(content = NewFindingRequest),
    responses(
        (status = 201, description = "The new finding", body = DetectionAnswer),
        (status = 200, description = "The open finding with the same key, seen again (deadline unchanged)", body = DetectionAnswer),
        (status = 400, description = "The body is not a finding; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The owner is unknown or outside the caller's scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No severity, a bad CVSS vector or CVE ID, an empty field, or an unknown control", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn create<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    bytes: Bytes,
) -> Answer<DetectionAnswer> {
    let cap = principal.authorize(Action::ManageFinding)?;
    let r: NewFindingRequest = body(&bytes, "a finding ({owner, test, resource, title, ...})")?;
    let author = principal.user.id.to_string();
    let source = match (principal.role(), r.engagement) {
        (assure_domain::user::Role::Assessor, engagement) => FindingSource::AssessorResult {
            assessor: author,
            engagement,
        },
        (_, None) => FindingSource::Manual { author },
        (_, Some(_)) => {
            return Err(Problem::bad_field(
                "engagement",
                "only an assessor's finding names an engagement",
            ));
        }
    };
    known_control(&state.store, r.control.as_ref()).await?;
    let detection = Detection {
        owner: r.owner,
        test: r.test,
        resource: r.resource,
        title: r.title,
        detail: r.detail,
        control: r.control,
        severity: r.severity,
        cvss: r.cvss,
        cve: r.cve,
        source,
        at: now(),
    };
    record(&state.store, &cap, &detection).await
}

/// An automated check reports a failure: a new finding (201), or the open finding with the same owner,
/// check and resource seen again (200): its last-seen instant and count move, never its deadline.
#[utoipa::path(post, path = "/api/v1/check-findings", tag = "findings",
    request_body(content = CheckFindingRequest),
    responses(
        (status = 201, description = "The new finding", body = DetectionAnswer),
        (status = 200, description = "The open finding with the same key, seen again (deadline unchanged)", body = DetectionAnswer),
        (status = 400, description = "The body is not a check result; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The owner is unknown or outside the caller's scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No severity, a bad CVSS vector or CVE ID, an empty field, an unknown control, or an instant in the future", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn report_check<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    bytes: Bytes,
) -> Answer<DetectionAnswer> {
    let cap = principal.authorize(Action::ReportCheckFinding)?;
    let r: CheckFindingRequest = body(
        &bytes,
        "a check result ({owner, check, resource, title, ...})",
    )?;
    let at = now();
    let seen = r.at.unwrap_or(at);
    // A little clock skew is tolerated; a detection from the future would distort last-seen instants.
    if seen > at + time::Duration::minutes(5) {
        return Err(Problem {
            field: Some("at".into()),
            ..Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "at is in the future: a check reports what it has seen",
            )
        });
    }
    known_control(&state.store, r.control.as_ref()).await?;
    let detection = Detection {
        owner: r.owner,
        test: r.check,
        resource: r.resource,
        title: r.title,
        detail: r.detail,
        control: r.control,
        severity: r.severity,
        cvss: r.cvss,
        cve: r.cve,
        source: FindingSource::AutomatedCheck { run: r.run },
        at: seen,
    };
    record(&state.store, &cap, &detection).await
}

/// The domain step of a request, after checking what the request names: a ticket must parse and an
/// assessor retest may cite only evidence of the finding's tenant (read with the caller's `scope`).
pub(crate) async fn step_of<S: Store>(
    store: &S,
    scope: &TenantScope,
    finding: &Finding,
    request: StepRequest,
) -> Result<Step, Problem> {
    let unprocessable = |field: &str, detail: String| Problem {
        field: Some(field.to_owned()),
        ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
    };
    Ok(match request {
        StepRequest::Triage { owner, ticket } => Step::Triage {
            owner,
            ticket: Ticket::parse(&ticket).map_err(|e| unprocessable("ticket", e.to_string()))?,
        },
        StepRequest::RecordRootCause { root_cause } => Step::RecordRootCause { root_cause },
        StepRequest::PlanAction { milestones } => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            let mut planned = Vec::new();
            for m in milestones {
                let due = time::Date::parse(m.due.trim(), format).map_err(|_| {
                    unprocessable(
                        "milestones",
                        format!("a milestone's due {:?} is not a day (YYYY-MM-DD)", m.due),
                    )
                })?;
                planned.push(Milestone {
                    title: m.title,
                    due,
                });
            }
            Step::PlanAction {
                milestones: planned,
            }
        }
        StepRequest::ImplementFix { note } => Step::ImplementFix { note },
        StepRequest::ValidateRegression { validation } => {
            if let Validation::AssessorRetest { evidence, .. } = &validation {
                for e in evidence.iter().filter(|e| !e.trim().is_empty()) {
                    let found = match &finding.owner {
                        FindingOwner::Tenant(t) => store
                            .get_evidence(scope, t, &EvidenceId::new(e.trim()))
                            .await?
                            .is_some(),
                        // The provider's own evidence is not kept as tenant records.
                        FindingOwner::Provider => true,
                    };
                    if !found {
                        return Err(unprocessable(
                            "evidence",
                            format!("evidence {e} not found for this finding's tenant"),
                        ));
                    }
                }
            }
            Step::ValidateRegression { validation }
        }
        StepRequest::Close => Step::Close,
        StepRequest::Reopen => Step::Reopen,
    })
}

async fn visible_finding<S: Store>(
    store: &S,
    cap: &Authorized,
    id: &FindingId,
) -> Result<Finding, Problem> {
    store
        .get_finding(cap.scope(), id)
        .await?
        .ok_or_else(|| Problem::not_found(&format!("finding {id}")))
}

/// Moves a finding one remediation step; a refusal names the steps allowed. Closing needs a passing
/// regression validation first.
#[utoipa::path(post, path = "/api/v1/findings/{finding}/transitions", tag = "findings",
    params(("finding" = String, Path, description = "Finding ID", example = "F-1")),
    request_body(content = StepRequest),
    responses(
        (status = 200, description = "The finding after the step", body = Finding),
        (status = 400, description = "The body is not a step; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's scope (the two look alike)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The state does not allow the step (the allowed ones are named), or closing without a passing validation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The step lacks what it records (owner, ticket, root cause, milestones, evidence)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn transition<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Finding>, Problem> {
    let cap = principal.authorize(Action::ManageFinding)?;
    let id = FindingId::new(id);
    let finding = visible_finding(&state.store, &cap, &id).await?;
    let request: StepRequest = body(
        &bytes,
        "a step ({step: triage | record-root-cause | plan-action | implement-fix | validate-regression | close | reopen, ...}; risk acceptance is POST .../accept-risk)",
    )?;
    let step = step_of(&state.store, cap.scope(), &finding, request).await?;
    let moved = state
        .store
        .transition_finding(cap.scope(), cap.actor(), &id, &step, now())
        .await?;
    Ok(Json(moved))
}

/// Accepts the finding's risk until an expiry, with the caller as approver: provider admins and
/// security leads any risk, a customer's compliance officer its own tenant's short of critical.
#[utoipa::path(post, path = "/api/v1/findings/{finding}/accept-risk", tag = "findings",
    params(("finding" = String, Path, description = "Finding ID", example = "F-1")),
    request_body(content = RiskAcceptanceRequest),
    responses(
        (status = 200, description = "The finding, risk accepted", body = Finding),
        (status = 400, description = "The body is not an acceptance; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not accept this risk", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's scope (the two look alike)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The state does not allow accepting the risk", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No justification, or an expiry not within 366 days", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn accept_risk<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Finding>, Problem> {
    let cap = principal.authorize(Action::AcceptRisk)?;
    let id = FindingId::new(id);
    visible_finding(&state.store, &cap, &id).await?;
    let request: RiskAcceptanceRequest =
        body(&bytes, "a risk acceptance ({justification, expires_at})")?;
    let step = Step::AcceptRisk {
        acceptance: RiskAcceptance {
            approver: cap.actor().0.clone(),
            approver_role: principal.role(),
            justification: request.justification,
            expires_at: request.expires_at,
        },
    };
    let moved = state
        .store
        .transition_finding(cap.scope(), cap.actor(), &id, &step, now())
        .await?;
    Ok(Json(moved))
}

/// Changes a finding's severity and so its deadline (counted from detection by the owner's policy): the
/// only way a deadline moves, audited with its justification.
#[utoipa::path(post, path = "/api/v1/findings/{finding}/retriage", tag = "findings",
    params(("finding" = String, Path, description = "Finding ID", example = "F-1")),
    request_body(content = Retriage),
    responses(
        (status = 200, description = "The finding with its new severity and deadline", body = Finding),
        (status = 400, description = "The body is not a re-triage; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's scope (the two look alike)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The finding is closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No justification", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn retriage<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Finding>, Problem> {
    let cap = principal.authorize(Action::ManageFinding)?;
    let id = FindingId::new(id);
    visible_finding(&state.store, &cap, &id).await?;
    let change: Retriage = body(&bytes, "a re-triage ({severity, justification})")?;
    let moved = state
        .store
        .retriage_finding(cap.scope(), cap.actor(), &id, &change)
        .await?;
    Ok(Json(moved))
}

/// Reminders and escalations the caller may see, oldest first.
#[utoipa::path(get, path = "/api/v1/escalations", tag = "findings",
    params(
        ("finding" = Option<String>, Query, description = "Only this finding's"),
        ("acknowledged" = Option<bool>, Query, description = "true: only acknowledged ones; false: only those awaiting acknowledgement"),
    ),
    responses(
        (status = 200, description = "The escalations", body = Page<EscalationView>),
        (status = 400, description = "A parameter is wrong; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn escalations<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Page<EscalationView>>, Problem> {
    let cap = principal.authorize(Action::ReadFinding)?;
    let acknowledged = flag(&params, "acknowledged")?;
    let finding = params
        .get("finding")
        .filter(|f| !f.is_empty())
        .map(FindingId::new);
    let items: Vec<EscalationView> = state
        .store
        .list_escalations(cap.scope(), finding.as_ref())
        .await?
        .into_iter()
        .filter(|e| acknowledged.is_none_or(|a| a == e.acknowledged_by.is_some()))
        .map(Into::into)
        .collect();
    let n = i64::try_from(items.len()).unwrap_or(i64::MAX);
    Ok(Json(Page {
        items,
        total: n,
        limit: n,
        offset: 0,
    }))
}

/// Oversight acknowledges an escalation (once).
#[utoipa::path(post, path = "/api/v1/escalations/{escalation}/acknowledge", tag = "findings",
    params(("escalation" = String, Path, description = "Escalation ID")),
    responses(
        (status = 200, description = "The escalation, acknowledged", body = EscalationView),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or outside the caller's scope (the two look alike)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already acknowledged, or a reminder rather than an escalation", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn acknowledge<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<EscalationView>, Problem> {
    let cap = principal.authorize(Action::AcknowledgeEscalation)?;
    let e = state
        .store
        .acknowledge_escalation(cap.scope(), cap.actor(), &id, now())
        .await?;
    Ok(Json(e.into()))
}

/// Who a role's inbox holds notifications for: the provider's staff every audience, oversight the
/// committee's rung, customers their owner reminders and their security contact's escalations; others
/// none (`None` means every audience).
pub(crate) fn inbox_audiences(role: assure_domain::user::Role) -> Option<Vec<Audience>> {
    use assure_domain::escalation::EscalationLevel as L;
    use assure_domain::user::Role;
    match role {
        Role::ProviderAdmin | Role::ProviderSecurityLead => None,
        Role::Oversight => Some(vec![Audience::Level(L::OversightCommittee)]),
        Role::CustomerComplianceOfficer | Role::CustomerViewer => Some(vec![
            Audience::Owner,
            Audience::Level(L::CustomerSecurityContact),
        ]),
        Role::ProviderDpo | Role::CustomerDpo | Role::Assessor => Some(Vec::new()),
    }
}

/// The notifications of a caller's inbox, newest first (a fixed number of store calls).
pub(crate) async fn inbox<S: Store>(
    store: &S,
    scope: &TenantScope,
    role: assure_domain::user::Role,
    only: Option<Audience>,
) -> Result<Vec<Notification>, StoreError> {
    let mut items = match inbox_audiences(role) {
        None => store.list_notifications(scope, only).await?,
        Some(audiences) => {
            let mut all = Vec::new();
            for a in audiences
                .into_iter()
                .filter(|a| only.is_none_or(|o| o == *a))
            {
                all.extend(store.list_notifications(scope, Some(a)).await?);
            }
            all
        }
    };
    items.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
    Ok(items)
}

/// The caller's in-app inbox: reminders and escalations addressed to its role, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "findings",
    params(("audience" = Option<String>, Query, description = "Only this audience: owner, customer-security-contact, provider-security-lead or oversight-committee")),
    responses(
        (status = 200, description = "The inbox", body = Page<NotificationView>),
        (status = 400, description = "A parameter is wrong; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn notifications<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Page<NotificationView>>, Problem> {
    let cap = principal.authorize(Action::ReadFinding)?;
    let only = match params.get("audience").filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => Some(Audience::parse(a).ok_or_else(|| {
            Problem::bad_field(
                "audience",
                format!("audience must be owner, customer-security-contact, provider-security-lead or oversight-committee, not {a:?}"),
            )
        })?),
    };
    let items: Vec<NotificationView> = inbox(&state.store, cap.scope(), principal.role(), only)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let n = i64::try_from(items.len()).unwrap_or(i64::MAX);
    Ok(Json(Page {
        items,
        total: n,
        limit: n,
        offset: 0,
    }))
}
