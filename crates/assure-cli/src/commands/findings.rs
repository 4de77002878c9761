//! `assure findings`: findings and their remediation from the command line. Record a detection (a new
//! finding, or the open one with the same key seen again), list with filters, show one with its timeline,
//! and walk the remediation state machine (triage, root cause, plan, fix, regression validation, close;
//! or accept the risk until an expiry; re-triage the severity).
//!
//! Reads run with the provider-wide scope (the CLI is the provider's operator) unless `--tenant` asks for
//! what one customer sees: its own findings and, redacted, the provider's findings on controls it
//! inherits. Writes name the person acting (`--as EMAIL`): their role must permit the action and their
//! scope must admit the finding. Exit codes: 0 done, 1 refused (the reason printed, e.g. the allowed
//! steps), 2 usage or input error.

use std::collections::BTreeSet;

use assure_domain::access::{Action, permits};
use assure_domain::audit::format_instant;
use assure_domain::finding::{
    Detection, Finding, FindingId, FindingOwner, FindingSource, InheritedException,
};
use assure_domain::matrix::ResponsibilityModel;
use assure_domain::remediation::{
    Milestone, RemediationState, Retriage, RiskAcceptance, Step, StepKind, Ticket, Validation,
};
use assure_domain::responsibility::Responsibility;
use assure_domain::severity::Severity;
use assure_domain::user::User;
use assure_domain::{ControlId, TenantId, UserId};
use assure_store::findings::{FindingQuery, TimelineEntry};
use assure_store::snapshot::programme_snapshot;
use assure_store::{Actor, Store, StoreError, TenantScope};
use clap::{Args, Subcommand};
use serde_json::json;
use time::OffsetDateTime;

use super::require_initialised;
use crate::Failure;
use crate::output::{OutputArgs, Rows};

#[derive(Debug, Subcommand)]
pub enum FindingsCommand {
    /// Record a detection: a new finding (deadline from its owner's policy, the shortest clock for a CVE
    /// on the imported KEV list), or the open finding with the same test, resource and owner seen again.
    Create(CreateArgs),
    /// Findings, worst and nearest deadline first, with filters.
    List(ListArgs),
    /// One finding with its remediation record and timeline.
    Show(ShowArgs),
    /// Triage an open finding: its remediation owner and the ticket tracking the work.
    Triage(TriageArgs),
    /// Move a finding one step: record-root-cause, plan-action, implement-fix, validate-regression, close,
    /// reopen. A refused step names the allowed ones (exit 1).
    Transition(TransitionArgs),
    /// Accept the risk until an expiry (provider admin or security lead; a tenant's compliance officer for
    /// its own findings below critical).
    AcceptRisk(AcceptRiskArgs),
    /// Change the severity and so the deadline (counted from detection), with a justification.
    Retriage(RetriageArgs),
}

/// The person acting, as recorded in the audit trail.
#[derive(Debug, Args)]
pub struct Person {
    /// Who acts (a user's e-mail address); their role must permit the action.
    #[arg(long = "as", value_name = "EMAIL")]
    who: String,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The owning tenant; without it the finding is the provider's (a weakness in a provider-owned
    /// control, shown redacted to the customers inheriting the control).
    #[arg(long)]
    tenant: Option<String>,
    /// The check or test procedure that found it.
    #[arg(long)]
    test: String,
    /// What it was found on.
    #[arg(long)]
    resource: String,
    #[arg(long)]
    title: String,
    /// Internal detail (never shown to customers of a provider-owned finding).
    #[arg(long, default_value = "")]
    detail: String,
    #[arg(long)]
    control: Option<String>,
    /// critical, high, medium, low or informational; derived from --cvss when absent.
    #[arg(long)]
    severity: Option<String>,
    /// A CVSS 3.1 or 4.0 vector.
    #[arg(long)]
    cvss: Option<String>,
    #[arg(long)]
    cve: Option<String>,
    /// Where it came from.
    #[arg(long, value_enum, default_value = "manual")]
    source: SourceKind,
    /// When it was detected (RFC 3339) [default: now].
    #[arg(long)]
    at: Option<String>,
    /// The new finding's id [default: generated].
    #[arg(long)]
    id: Option<String>,
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceKind {
    Manual,
    AutomatedCheck,
    AssessorResult,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// One tenant: its own findings, plus with --inherited the provider's findings on controls it
    /// inherits, redacted as its people see them.
    #[arg(long)]
    tenant: Option<String>,
    #[arg(long)]
    severity: Option<String>,
    /// open, triaged, root-cause-recorded, action-planned, fix-implemented, regression-validation,
    /// closed, risk-accepted.
    #[arg(long)]
    state: Option<String>,
    /// Only findings past their deadline while their clock runs.
    #[arg(long)]
    overdue: bool,
    #[arg(long)]
    control: Option<String>,
    /// Only the provider's findings (inherited by customers); with --tenant, as that tenant sees them.
    #[arg(long)]
    inherited: bool,
    /// Leave out closed findings.
    #[arg(long)]
    open: bool,
    #[arg(long)]
    limit: Option<i64>,
    #[arg(long, default_value_t = 0)]
    offset: i64,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    id: String,
    /// Show it as this tenant's people see it (a provider finding on an inherited control, redacted).
    #[arg(long)]
    tenant: Option<String>,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct TriageArgs {
    id: String,
    /// Who will remediate it.
    #[arg(long)]
    owner: String,
    /// A Jira issue key (PROJ-123) or a GitHub issue URL.
    #[arg(long)]
    ticket: String,
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct TransitionArgs {
    id: String,
    /// record-root-cause, plan-action, implement-fix, validate-regression, close, reopen.
    step: String,
    /// For record-root-cause.
    #[arg(long)]
    root_cause: Option<String>,
    /// For plan-action, repeatable: `YYYY-MM-DD:title`.
    #[arg(long = "milestone", value_name = "DATE:TITLE")]
    milestones: Vec<String>,
    /// For implement-fix.
    #[arg(long)]
    note: Option<String>,
    /// For validate-regression: an automated re-check of this check ...
    #[arg(long, conflicts_with = "retest_by")]
    recheck: Option<String>,
    /// ... or an assessor's retest by this person, citing --evidence.
    #[arg(long)]
    retest_by: Option<String>,
    /// Evidence record ids the retest relied on (repeatable).
    #[arg(long)]
    evidence: Vec<String>,
    /// The validation's result.
    #[arg(long, value_enum)]
    result: Option<ValidationResult>,
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ValidationResult {
    Passed,
    Failed,
}

#[derive(Debug, Args)]
pub struct AcceptRiskArgs {
    id: String,
    #[arg(long)]
    justification: String,
    /// Last day the acceptance holds (YYYY-MM-DD, end of day UTC) or an RFC 3339 instant; within 366
    /// days.
    #[arg(long)]
    expires: String,
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct RetriageArgs {
    id: String,
    #[arg(long)]
    severity: String,
    #[arg(long)]
    justification: String,
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    out: OutputArgs,
}

/// Store refusals exit 1 with their reason (a refused step names the allowed ones); unknown objects and
/// malformed detections exit 2.
fn refused(e: StoreError) -> Failure {
    match e {
        StoreError::Remediation(_) | StoreError::Conflict(_) => {
            Failure::Negative(format!("refused: {e}"))
        }
        StoreError::NotFound(what) => Failure::Input(format!("no {what}")),
        StoreError::Finding(_) => Failure::Input(e.to_string()),
        other => other.into(),
    }
}

fn severity(flag: &str, value: &str) -> Result<Severity, Failure> {
    Severity::parse(value).ok_or_else(|| {
        let names: Vec<_> = Severity::ALL.iter().map(|s| s.name()).collect();
        Failure::Input(format!(
            "--{flag}: one of {}, not {value:?}",
            names.join(", ")
        ))
    })
}

fn state(value: &str) -> Result<RemediationState, Failure> {
    RemediationState::parse(value).ok_or_else(|| {
        let names: Vec<_> = RemediationState::ALL.iter().map(|s| s.as_str()).collect();
        Failure::Input(format!(
            "--state: one of {}, not {value:?}",
            names.join(", ")
        ))
    })
}

/// A day (end of that day, UTC) or an RFC 3339 instant.
fn instant(flag: &str, value: &str) -> Result<OffsetDateTime, Failure> {
    assure_domain::audit::parse_as_of(value).map_err(|e| Failure::Input(format!("--{flag}: {e}")))
}

fn day(flag: &str, value: &str) -> Result<time::Date, Failure> {
    time::Date::parse(
        value,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| Failure::Input(format!("--{flag}: expected YYYY-MM-DD, not {value:?}")))
}

/// The acting user, once enabled and permitted `action`, with the scope their role grants.
async fn acting<S: Store>(
    store: &S,
    person: &Person,
    action: Action,
) -> Result<(User, Actor, TenantScope), Failure> {
    let user = store
        .get_user(&UserId::from(person.who.as_str()))
        .await?
        .ok_or_else(|| {
            Failure::Input(format!(
                "--as {}: no such user (see `assure users list`)",
                person.who
            ))
        })?;
    if user.disabled {
        return Err(Failure::Negative(format!(
            "refused: {} is disabled",
            person.who
        )));
    }
    if !permits(user.role, action) {
        return Err(Failure::Negative(format!(
            "refused: {} is {}, a role that may not {}",
            person.who,
            user.role.as_str(),
            action.as_str()
        )));
    }
    let scope = assure_server::auth::scope_for(store, &user).await?;
    let actor = Actor(format!("user:{}", user.id));
    Ok((user, actor, scope))
}

/// The controls a tenant's matrix assigns to the provider, wholly or in part: a provider finding on one
/// of them is visible to the tenant as an inherited exception.
pub async fn inherited_controls<S: Store>(
    store: &S,
    tenant: &TenantId,
) -> Result<BTreeSet<ControlId>, Failure> {
    let programme = programme_snapshot(store, &TenantScope::AllTenants).await?;
    let t = programme
        .tenants
        .iter()
        .find(|t| &t.id == tenant)
        .ok_or_else(|| {
            Failure::Input(format!(
                "unknown tenant {tenant:?}: see `assure tenants list`"
            ))
        })?;
    let model = ResponsibilityModel::new(&programme).map_err(|e| anyhow::anyhow!("{e}"))?;
    let matrix = model.matrix(t).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(matrix
        .rows
        .iter()
        .filter(|r| {
            matches!(
                r.responsibility,
                Responsibility::Provider | Responsibility::Shared
            )
        })
        .map(|r| r.control.clone())
        .collect())
}

fn owner_text(owner: &FindingOwner) -> String {
    match owner {
        FindingOwner::Tenant(t) => t.to_string(),
        FindingOwner::Provider => "provider".into(),
    }
}

fn due_text(f: &Finding, now: OffsetDateTime) -> String {
    match f.due_at {
        Some(d) if f.is_overdue(now) => format!("{} (overdue)", format_instant(d)),
        Some(d) => format_instant(d),
        None => "none".into(),
    }
}

fn finding_rows(items: &[Finding], now: OffsetDateTime) -> Rows {
    Rows {
        header: vec![
            "id", "owner", "severity", "state", "control", "title", "due", "ticket",
        ],
        rows: items
            .iter()
            .map(|f| {
                vec![
                    f.id.to_string(),
                    owner_text(&f.owner),
                    f.severity.name().into(),
                    f.state.as_str().into(),
                    f.control
                        .as_ref()
                        .map(|c| c.to_string())
                        .unwrap_or_default(),
                    f.title.clone(),
                    due_text(f, now),
                    f.remediation
                        .ticket
                        .as_ref()
                        .map(Ticket::reference)
                        .unwrap_or_default(),
                ]
            })
            .collect(),
    }
}

fn exception_rows(items: &[InheritedException]) -> Rows {
    Rows {
        header: vec![
            "id", "owner", "severity", "state", "control", "title", "due", "ticket",
        ],
        rows: items
            .iter()
            .map(|e| {
                vec![
                    e.id.to_string(),
                    "provider (inherited)".into(),
                    e.severity.name().into(),
                    e.state.as_str().into(),
                    e.control
                        .as_ref()
                        .map(|c| c.to_string())
                        .unwrap_or_default(),
                    e.title.clone(),
                    match e.due_at {
                        Some(d) if e.overdue => format!("{} (overdue)", format_instant(d)),
                        Some(d) => format_instant(d),
                        None => "none".into(),
                    },
                    String::new(),
                ]
            })
            .collect(),
    }
}

fn timeline_text(entries: &[TimelineEntry]) -> String {
    let mut out = String::from("timeline:\n");
    for e in entries {
        out.push_str(&format!(
            "  {:>3}  {}  {:<22} {:<32} {}\n",
            e.seq,
            format_instant(e.at),
            e.kind,
            e.actor,
            e.detail
        ));
    }
    out
}

fn finding_text(f: &Finding, now: OffsetDateTime) -> String {
    let r = &f.remediation;
    let mut lines = vec![
        format!("{}  {}", f.id, f.title),
        format!("  owner        {}", owner_text(&f.owner)),
        format!(
            "  severity     {}{}",
            f.severity,
            if f.known_exploited {
                " (known exploited: shortest clock)"
            } else {
                ""
            }
        ),
        format!("  state        {}", f.state.as_str()),
        format!("  due          {}", due_text(f, now)),
        format!(
            "  detected     {} (last seen {}, {} detection(s))",
            format_instant(f.detected_at),
            format_instant(f.last_seen_at),
            f.detections
        ),
        format!("  test         {} on {}", f.test, f.resource),
        format!("  source       {}", f.source.kind()),
    ];
    if let Some(c) = &f.control {
        lines.push(format!("  control      {c}"));
    }
    if let Some(c) = &f.cve {
        lines.push(format!("  cve          {c}"));
    }
    if !f.detail.is_empty() {
        lines.push(format!("  detail       {}", f.detail));
    }
    if let Some(o) = &r.owner {
        lines.push(format!("  remediation  {o}"));
    }
    if let Some(t) = &r.ticket {
        lines.push(format!("  ticket       {}", t.reference()));
    }
    if let Some(c) = &r.root_cause {
        lines.push(format!("  root cause   {c}"));
    }
    for m in &r.milestones {
        lines.push(format!("  milestone    {} {}", m.due, m.title));
    }
    if let Some(a) = &r.risk_acceptance {
        lines.push(format!(
            "  risk accepted by {} until {}: {}",
            a.approver,
            format_instant(a.expires_at),
            a.justification
        ));
    }
    let allowed: Vec<&str> = StepKind::allowed_from(f.state)
        .iter()
        .map(|s| s.as_str())
        .collect();
    lines.push(format!(
        "  next steps   {}",
        if allowed.is_empty() {
            "none (closed)".to_owned()
        } else {
            allowed.join(", ")
        }
    ));
    lines.join("\n") + "\n"
}

pub(crate) fn new_id() -> FindingId {
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    let digest = assure_domain::audit::state_digest(&(nanos.to_string(), std::process::id()));
    FindingId::new(format!("F-{}", &digest[..10]))
}

pub async fn run<S: Store>(store: &S, command: FindingsCommand) -> Result<(), Failure> {
    require_initialised(store).await?;
    let now = OffsetDateTime::now_utc();
    let all = TenantScope::AllTenants;
    match command {
        FindingsCommand::Create(a) => {
            let (user, actor, scope) = acting(store, &a.person, Action::ManageFinding).await?;
            let owner = match &a.tenant {
                Some(t) => FindingOwner::Tenant(TenantId::new(t.as_str())),
                None => FindingOwner::Provider,
            };
            let source = match a.source {
                SourceKind::Manual => FindingSource::Manual {
                    author: user.id.to_string(),
                },
                SourceKind::AutomatedCheck => FindingSource::AutomatedCheck { run: None },
                SourceKind::AssessorResult => FindingSource::AssessorResult {
                    assessor: user.id.to_string(),
                    engagement: None,
                },
            };
            let detection = Detection {
                owner,
                test: a.test.clone(),
                resource: a.resource.clone(),
                title: a.title.clone(),
                detail: a.detail.clone(),
                control: a.control.as_deref().map(ControlId::new),
                severity: a
                    .severity
                    .as_deref()
                    .map(|s| severity("severity", s))
                    .transpose()?,
                cvss: a.cvss.clone(),
                cve: a.cve.clone(),
                source,
                at: match &a.at {
                    Some(t) => instant("at", t)?,
                    None => now,
                },
            };
            let id = a.id.as_deref().map(FindingId::new).unwrap_or_else(new_id);
            let outcome = store
                .record_detection(&scope, &actor, &id, &detection)
                .await
                .map_err(refused)?;
            if !outcome.created {
                eprintln!(
                    "seen again: the open finding {} has this test, resource and owner (its deadline stays)",
                    outcome.finding.id
                );
            }
            let f = outcome.finding;
            a.out
                .emit(&json!({ "created": outcome.created, "finding": f }), || {
                    finding_rows(std::slice::from_ref(&f), now)
                })
        }
        FindingsCommand::List(a) => list(store, a, now).await,
        FindingsCommand::Show(a) => {
            let id = FindingId::new(a.id.as_str());
            let scope = match &a.tenant {
                Some(t) => TenantScope::Tenant(TenantId::new(t.as_str())),
                None => all.clone(),
            };
            if let Some(f) = store.get_finding(&scope, &id).await? {
                let timeline = store.finding_timeline(&scope, &id).await?;
                let value = json!({ "finding": f, "timeline": timeline });
                return match a.out.format {
                    crate::output::Format::Json => a.out.emit(&value, || finding_rows(&[], now)),
                    _ => a
                        .out
                        .write(&(finding_text(&f, now) + &timeline_text(&timeline))),
                };
            }
            // A provider finding on a control the tenant inherits: shown redacted, without its timeline.
            if let Some(t) = &a.tenant {
                let tenant = TenantId::new(t.as_str());
                let inherited = inherited_controls(store, &tenant).await?;
                let seen = store
                    .list_inherited_exceptions(&scope, &tenant, &inherited, now)
                    .await
                    .map_err(refused)?;
                if let Some(e) = seen.into_iter().find(|e| e.id == id) {
                    return a.out.emit(&json!({ "inherited_exception": e }), || {
                        exception_rows(std::slice::from_ref(&e))
                    });
                }
            }
            Err(Failure::Input(format!("no finding {id}")))
        }
        FindingsCommand::Triage(a) => {
            let ticket =
                Ticket::parse(&a.ticket).map_err(|e| Failure::Input(format!("--ticket: {e}")))?;
            let step = Step::Triage {
                owner: a.owner.clone(),
                ticket,
            };
            step_and_print(
                store,
                &a.person,
                &a.id,
                &step,
                Action::ManageFinding,
                &a.out,
            )
            .await
        }
        FindingsCommand::Transition(a) => {
            let kind = StepKind::parse(&a.step).ok_or_else(|| {
                let names: Vec<_> = StepKind::ALL.iter().map(|s| s.as_str()).collect();
                Failure::Input(format!(
                    "unknown step {:?}: one of {}",
                    a.step,
                    names.join(", ")
                ))
            })?;
            let step = step_from(&a, kind, now)?;
            step_and_print(
                store,
                &a.person,
                &a.id,
                &step,
                Action::ManageFinding,
                &a.out,
            )
            .await
        }
        FindingsCommand::AcceptRisk(a) => {
            let (user, _, _) = acting(store, &a.person, Action::AcceptRisk).await?;
            let step = Step::AcceptRisk {
                acceptance: RiskAcceptance {
                    approver: user.id.to_string(),
                    approver_role: user.role,
                    justification: a.justification.clone(),
                    expires_at: instant("expires", &a.expires)?,
                },
            };
            step_and_print(store, &a.person, &a.id, &step, Action::AcceptRisk, &a.out).await
        }
        FindingsCommand::Retriage(a) => {
            let (_, actor, scope) = acting(store, &a.person, Action::ManageFinding).await?;
            let change = Retriage {
                severity: severity("severity", &a.severity)?,
                justification: a.justification.clone(),
            };
            let f = store
                .retriage_finding(&scope, &actor, &FindingId::new(a.id.as_str()), &change)
                .await
                .map_err(refused)?;
            a.out
                .emit(&f, || finding_rows(std::slice::from_ref(&f), now))
        }
    }
}

/// The step `kind` with what its flags record; a flag a step needs and lacks is a usage error.
fn step_from(a: &TransitionArgs, kind: StepKind, now: OffsetDateTime) -> Result<Step, Failure> {
    let need = |flag: &str| Failure::Input(format!("{} needs --{flag}", kind.as_str()));
    Ok(match kind {
        StepKind::Triage => {
            return Err(Failure::Input(
                "use `assure findings triage ID --owner NAME --ticket KEY`".into(),
            ));
        }
        StepKind::AcceptRisk => {
            return Err(Failure::Input(
                "use `assure findings accept-risk ID --justification TEXT --expires DATE`".into(),
            ));
        }
        StepKind::RecordRootCause => Step::RecordRootCause {
            root_cause: a.root_cause.clone().ok_or_else(|| need("root-cause"))?,
        },
        StepKind::PlanAction => {
            if a.milestones.is_empty() {
                return Err(need("milestone DATE:TITLE"));
            }
            let milestones = a
                .milestones
                .iter()
                .map(|m| {
                    let (d, title) = m.split_once(':').ok_or_else(|| {
                        Failure::Input(format!("--milestone: expected DATE:TITLE, not {m:?}"))
                    })?;
                    Ok(Milestone {
                        title: title.trim().to_owned(),
                        due: day("milestone", d.trim())?,
                    })
                })
                .collect::<Result<Vec<_>, Failure>>()?;
            Step::PlanAction { milestones }
        }
        StepKind::ImplementFix => Step::ImplementFix {
            note: a.note.clone().unwrap_or_default(),
        },
        StepKind::ValidateRegression => {
            let passed = match a.result.ok_or_else(|| need("result passed|failed"))? {
                ValidationResult::Passed => true,
                ValidationResult::Failed => false,
            };
            let validation = match (&a.recheck, &a.retest_by) {
                (Some(check), None) => Validation::AutomatedRecheck {
                    check: check.clone(),
                    passed,
                    at: now,
                },
                (None, Some(assessor)) => Validation::AssessorRetest {
                    assessor: assessor.clone(),
                    evidence: a.evidence.clone(),
                    passed,
                    at: now,
                },
                _ => return Err(need("recheck CHECK or --retest-by ASSESSOR")),
            };
            Step::ValidateRegression { validation }
        }
        StepKind::Close => Step::Close,
        StepKind::Reopen => Step::Reopen,
    })
}

async fn step_and_print<S: Store>(
    store: &S,
    person: &Person,
    id: &str,
    step: &Step,
    action: Action,
    out: &OutputArgs,
) -> Result<(), Failure> {
    let (_, actor, scope) = acting(store, person, action).await?;
    let now = OffsetDateTime::now_utc();
    let f = store
        .transition_finding(&scope, &actor, &FindingId::new(id), step, now)
        .await
        .map_err(refused)?;
    out.emit(&f, || finding_rows(std::slice::from_ref(&f), now))
}

async fn list<S: Store>(store: &S, a: ListArgs, now: OffsetDateTime) -> Result<(), Failure> {
    let tenant = a.tenant.as_deref().map(TenantId::new);
    let query = FindingQuery {
        provider_owned: a.inherited.then_some(true),
        severity: a
            .severity
            .as_deref()
            .map(|s| severity("severity", s))
            .transpose()?,
        state: a.state.as_deref().map(state).transpose()?,
        control: a.control.as_deref().map(ControlId::new),
        overdue_at: a.overdue.then_some(now),
        open_only: a.open,
        limit: a.limit,
        offset: a.offset,
        ..FindingQuery::default()
    };
    match tenant {
        // What the tenant's people see of the provider's findings: redacted, on controls it inherits.
        Some(t) if a.inherited => {
            let inherited = inherited_controls(store, &t).await?;
            let scope = TenantScope::Tenant(t.clone());
            let seen: Vec<InheritedException> = store
                .list_inherited_exceptions(&scope, &t, &inherited, now)
                .await
                .map_err(refused)?
                .into_iter()
                .filter(|e| query.severity.is_none_or(|s| e.severity == s))
                .filter(|e| query.state.is_none_or(|s| e.state == s))
                .filter(|e| query.control.is_none() || e.control == query.control)
                .filter(|e| !a.overdue || e.overdue)
                .collect();
            a.out
                .emit(&json!({ "items": seen, "total": seen.len() }), || {
                    exception_rows(&seen)
                })
        }
        Some(t) => {
            let scope = TenantScope::Tenant(t.clone());
            if store.get_tenant(&scope, &t).await?.is_none() {
                return Err(Failure::Input(format!(
                    "unknown tenant {t:?}: see `assure tenants list`"
                )));
            }
            let page = store.list_findings(&scope, &query).await?;
            a.out
                .emit(&json!({ "items": page.items, "total": page.total }), || {
                    finding_rows(&page.items, now)
                })
        }
        None => {
            let page = store
                .list_findings(&TenantScope::AllTenants, &query)
                .await?;
            a.out
                .emit(&json!({ "items": page.items, "total": page.total }), || {
                    finding_rows(&page.items, now)
                })
        }
    }
}
