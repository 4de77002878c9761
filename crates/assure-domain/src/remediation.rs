//! Remediation: the policy that turns a severity into a deadline, and the state machine every finding walks
//! from open to closed (or to an accepted risk that reopens when it expires).
//!
//! Architecture invariant: a finding closes only from `regression-validation`, which it reaches only with a
//! passing validation (an automated re-check that passed, or an assessor's retest with evidence); a
//! deadline changes only through [`retriage`], which the store audits like every step.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

use crate::severity::Severity;
use crate::user::Role;

/// Days to remediate per severity; `None` means no deadline. Kept as data per tenant; the provider's
/// defaults are [`RemediationPolicy::PROVIDER_DEFAULT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemediationPolicy {
    pub critical_days: Option<u32>,
    pub high_days: Option<u32>,
    pub medium_days: Option<u32>,
    pub low_days: Option<u32>,
    pub informational_days: Option<u32>,
}

impl Default for RemediationPolicy {
    fn default() -> Self {
        Self::PROVIDER_DEFAULT
    }
}

impl RemediationPolicy {
    /// The provider's defaults: 7, 30, 90 and 180 days; none for informational findings.
    pub const PROVIDER_DEFAULT: RemediationPolicy = RemediationPolicy {
        critical_days: Some(7),
        high_days: Some(30),
        medium_days: Some(90),
        low_days: Some(180),
        informational_days: None,
    };

    /// Days allowed for a severity.
    pub fn days(&self, severity: Severity) -> Option<u32> {
        match severity {
            Severity::Critical => self.critical_days,
            Severity::High => self.high_days,
            Severity::Medium => self.medium_days,
            Severity::Low => self.low_days,
            Severity::Informational => self.informational_days,
        }
    }

    /// The shortest clock the policy runs: what a known-exploited weakness gets whatever its severity.
    pub fn shortest_days(&self) -> Option<u32> {
        Severity::ALL.into_iter().filter_map(|s| self.days(s)).min()
    }

    /// The deadline of a finding detected at `detected_at`: by severity, or the shortest clock when the
    /// weakness is on the Known Exploited Vulnerabilities list.
    pub fn due_at(
        &self,
        detected_at: OffsetDateTime,
        severity: Severity,
        known_exploited: bool,
    ) -> Option<OffsetDateTime> {
        let days = if known_exploited {
            self.shortest_days()
        } else {
            self.days(severity)
        }?;
        Some(detected_at + Duration::days(i64::from(days)))
    }

    /// Problems that make a policy unusable (a zero-day clock).
    pub fn problems(&self) -> Vec<String> {
        Severity::ALL
            .into_iter()
            .filter(|s| self.days(*s) == Some(0))
            .map(|s| format!("{} days must be at least 1", s.name()))
            .collect()
    }
}

/// Where a finding's remediation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum RemediationState {
    Open,
    Triaged,
    RootCauseRecorded,
    ActionPlanned,
    FixImplemented,
    RegressionValidation,
    Closed,
    RiskAccepted,
}

impl RemediationState {
    pub const ALL: [RemediationState; 8] = [
        Self::Open,
        Self::Triaged,
        Self::RootCauseRecorded,
        Self::ActionPlanned,
        Self::FixImplemented,
        Self::RegressionValidation,
        Self::Closed,
        Self::RiskAccepted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Triaged => "triaged",
            Self::RootCauseRecorded => "root-cause-recorded",
            Self::ActionPlanned => "action-planned",
            Self::FixImplemented => "fix-implemented",
            Self::RegressionValidation => "regression-validation",
            Self::Closed => "closed",
            Self::RiskAccepted => "risk-accepted",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Whether the finding still counts (every state but closed): it de-duplicates re-detections and, while
    /// not risk-accepted, runs against its deadline.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Closed)
    }

    /// Whether the deadline clock runs (open and not risk-accepted).
    pub fn clock_runs(self) -> bool {
        !matches!(self, Self::Closed | Self::RiskAccepted)
    }
}

/// The kind of a step, for error messages and the allowed-steps table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    Triage,
    RecordRootCause,
    PlanAction,
    ImplementFix,
    ValidateRegression,
    Close,
    AcceptRisk,
    Reopen,
}

impl StepKind {
    pub const ALL: [StepKind; 8] = [
        Self::Triage,
        Self::RecordRootCause,
        Self::PlanAction,
        Self::ImplementFix,
        Self::ValidateRegression,
        Self::Close,
        Self::AcceptRisk,
        Self::Reopen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Triage => "triage",
            Self::RecordRootCause => "record-root-cause",
            Self::PlanAction => "plan-action",
            Self::ImplementFix => "implement-fix",
            Self::ValidateRegression => "validate-regression",
            Self::Close => "close",
            Self::AcceptRisk => "accept-risk",
            Self::Reopen => "reopen",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// The steps a finding in `state` may take. Exhaustive, so a new state does not compile until its
    /// steps are decided.
    pub fn allowed_from(state: RemediationState) -> &'static [StepKind] {
        use RemediationState as S;
        match state {
            S::Open => &[Self::Triage],
            S::Triaged => &[Self::RecordRootCause, Self::AcceptRisk],
            S::RootCauseRecorded => &[Self::PlanAction, Self::AcceptRisk],
            S::ActionPlanned => &[Self::ImplementFix, Self::AcceptRisk],
            S::FixImplemented => &[Self::ValidateRegression, Self::AcceptRisk],
            S::RegressionValidation => &[Self::Close],
            S::Closed => &[],
            S::RiskAccepted => &[Self::Reopen],
        }
    }
}

fn in_words(steps: &[StepKind]) -> String {
    if steps.is_empty() {
        "none (the finding is closed)".to_owned()
    } else {
        steps
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// An external ticket tracking the work: a Jira issue key or a GitHub issue URL, validated on entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Ticket {
    /// `PROJ-123`.
    Jira { key: String },
    /// `https://github.com/OWNER/REPO/issues/N`.
    Github {
        owner: String,
        repo: String,
        number: u64,
    },
}

/// A ticket reference that is neither a Jira key nor a GitHub issue URL.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a ticket: give a Jira issue key (PROJ-123) or a GitHub issue URL (https://github.com/OWNER/REPO/issues/N)"
)]
pub struct TicketError(pub String);

fn is_github_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && s != "."
        && s != ".."
}

impl Ticket {
    /// Reads a Jira key or a GitHub issue URL.
    pub fn parse(text: &str) -> Result<Self, TicketError> {
        let t = text.trim();
        let refuse = || TicketError(text.to_owned());
        if let Some(rest) = t.strip_prefix("https://github.com/") {
            let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
            return match parts.as_slice() {
                [owner, repo, "issues", number]
                    if is_github_name(owner)
                        && is_github_name(repo)
                        && !number.starts_with('0')
                        && number.chars().all(|c| c.is_ascii_digit()) =>
                {
                    let number = number.parse::<u64>().map_err(|_| refuse())?;
                    Ok(Self::Github {
                        owner: (*owner).to_owned(),
                        repo: (*repo).to_owned(),
                        number,
                    })
                }
                _ => Err(refuse()),
            };
        }
        let (project, number) = t.split_once('-').ok_or_else(refuse)?;
        let project_ok = project.len() >= 2
            && project.len() <= 20
            && project.starts_with(|c: char| c.is_ascii_uppercase())
            && project
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        let number_ok = !number.is_empty()
            && number.len() <= 12
            && !number.starts_with('0')
            && number.chars().all(|c| c.is_ascii_digit());
        if project_ok && number_ok {
            Ok(Self::Jira { key: t.to_owned() })
        } else {
            Err(refuse())
        }
    }

    /// The reference as a person writes it (the key or the URL).
    pub fn reference(&self) -> String {
        match self {
            Self::Jira { key } => key.clone(),
            Self::Github {
                owner,
                repo,
                number,
            } => format!("https://github.com/{owner}/{repo}/issues/{number}"),
        }
    }
}

/// A dated step of the corrective action plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Milestone {
    pub title: String,
    /// ISO 8601 (`2027-01-31`) on the wire, as the API document says.
    #[serde(with = "iso_date")]
    pub due: Date,
}

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// A regression validation: proof that the fix holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Validation {
    /// The check that found the weakness ran again.
    AutomatedRecheck {
        check: String,
        passed: bool,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// An assessor tested again; evidence records show what they saw.
    AssessorRetest {
        assessor: String,
        evidence: Vec<String>,
        passed: bool,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
}

impl Validation {
    pub fn passed(&self) -> bool {
        match self {
            Self::AutomatedRecheck { passed, .. } | Self::AssessorRetest { passed, .. } => *passed,
        }
    }
}

/// A decision to live with a weakness until `expires_at`, by someone with that authority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskAcceptance {
    pub approver: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub approver_role: Role,
    pub justification: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// The longest a risk may be accepted before it must be decided again.
pub const MAX_RISK_ACCEPTANCE: Duration = Duration::days(366);

/// Who may accept a risk: provider admins and security leads any risk; a customer's compliance officer the
/// risks of its own tenant's findings short of critical. A provider-owned weakness only provider staff.
pub fn may_accept_risk(role: Role, provider_owned: bool, severity: Severity) -> bool {
    if !crate::access::permits(role, crate::access::Action::AcceptRisk) {
        return false;
    }
    if role.is_provider() {
        true
    } else if role.is_customer() {
        !provider_owned && severity != Severity::Critical
    } else {
        false
    }
}

/// A step asked of a finding, with what it records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    Triage {
        owner: String,
        ticket: Ticket,
    },
    RecordRootCause {
        root_cause: String,
    },
    PlanAction {
        milestones: Vec<Milestone>,
    },
    ImplementFix {
        note: String,
    },
    ValidateRegression {
        validation: Validation,
    },
    Close,
    AcceptRisk {
        acceptance: RiskAcceptance,
    },
    /// An accepted risk whose expiry has passed comes back.
    Reopen,
}

impl Step {
    pub fn kind(&self) -> StepKind {
        match self {
            Self::Triage { .. } => StepKind::Triage,
            Self::RecordRootCause { .. } => StepKind::RecordRootCause,
            Self::PlanAction { .. } => StepKind::PlanAction,
            Self::ImplementFix { .. } => StepKind::ImplementFix,
            Self::ValidateRegression { .. } => StepKind::ValidateRegression,
            Self::Close => StepKind::Close,
            Self::AcceptRisk { .. } => StepKind::AcceptRisk,
            Self::Reopen => StepKind::Reopen,
        }
    }
}

/// The remediation record a step reads and changes (a finding's remediation part).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Remediation {
    pub owner: Option<String>,
    pub ticket: Option<Ticket>,
    pub root_cause: Option<String>,
    pub milestones: Vec<Milestone>,
    pub fix_note: Option<String>,
    /// Every validation recorded, the last one deciding.
    pub validations: Vec<Validation>,
    pub risk_acceptance: Option<RiskAcceptance>,
}

/// Why a step was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RemediationError {
    #[error(
        "a finding in state {} cannot {}; allowed: {}",
        .from.as_str(), .attempted.as_str(), in_words(StepKind::allowed_from(*.from))
    )]
    NotAllowed {
        from: RemediationState,
        attempted: StepKind,
    },
    #[error(
        "a finding in state {} cannot close: closing needs a passing regression validation (an automated re-check that passed or an assessor retest with evidence); allowed: {}",
        .0.as_str(), in_words(StepKind::allowed_from(*.0))
    )]
    ClosingWithoutValidation(RemediationState),
    #[error("name the owner who will remediate the finding")]
    NoOwner,
    #[error("{0} must not be empty")]
    Empty(&'static str),
    #[error("plan at least one milestone with a date")]
    NoMilestones,
    #[error("an assessor retest must cite the evidence it relied on")]
    RetestWithoutEvidence,
    #[error("{role} may not accept this risk: it needs a provider admin or security lead{customer}", role = .0.as_str(), customer = if *.1 { "" } else { " (or the tenant's compliance officer below critical)" })]
    NoAuthority(Role, bool),
    #[error("a risk acceptance must expire after now and within 366 days")]
    BadExpiry,
    #[error("the risk acceptance runs until {0}; it reopens only after its expiry")]
    NotExpired(String),
}

/// What a step makes of the finding: the state it moves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub state: RemediationState,
    pub remediation: Remediation,
}

/// What the step needs to know beyond the record.
#[derive(Clone, Copy, Debug)]
pub struct StepContext {
    pub now: OffsetDateTime,
    pub severity: Severity,
    pub provider_owned: bool,
}

/// Decides a step: the state it leads to and the remediation record after it, or why it is refused.
/// Illegal steps name the allowed ones; `Close` outside `regression-validation` is
/// [`RemediationError::ClosingWithoutValidation`].
pub fn apply(
    state: RemediationState,
    record: &Remediation,
    step: &Step,
    ctx: StepContext,
) -> Result<Outcome, RemediationError> {
    use RemediationState as S;
    let kind = step.kind();
    if !StepKind::allowed_from(state).contains(&kind) {
        return Err(if kind == StepKind::Close {
            RemediationError::ClosingWithoutValidation(state)
        } else {
            RemediationError::NotAllowed {
                from: state,
                attempted: kind,
            }
        });
    }
    let mut next = record.clone();
    let state = match step {
        Step::Triage { owner, ticket } => {
            if owner.trim().is_empty() {
                return Err(RemediationError::NoOwner);
            }
            next.owner = Some(owner.trim().to_owned());
            next.ticket = Some(ticket.clone());
            S::Triaged
        }
        Step::RecordRootCause { root_cause } => {
            if root_cause.trim().is_empty() {
                return Err(RemediationError::Empty("the root cause"));
            }
            next.root_cause = Some(root_cause.trim().to_owned());
            S::RootCauseRecorded
        }
        Step::PlanAction { milestones } => {
            if milestones.is_empty() {
                return Err(RemediationError::NoMilestones);
            }
            if milestones.iter().any(|m| m.title.trim().is_empty()) {
                return Err(RemediationError::Empty("a milestone's title"));
            }
            next.milestones = milestones.clone();
            S::ActionPlanned
        }
        Step::ImplementFix { note } => {
            next.fix_note = Some(note.trim().to_owned()).filter(|n| !n.is_empty());
            S::FixImplemented
        }
        Step::ValidateRegression { validation } => {
            if let Validation::AssessorRetest { evidence, .. } = validation
                && evidence.iter().all(|e| e.trim().is_empty())
            {
                return Err(RemediationError::RetestWithoutEvidence);
            }
            next.validations.push(validation.clone());
            if validation.passed() {
                S::RegressionValidation
            } else {
                // The fix did not hold: plan again.
                S::ActionPlanned
            }
        }
        Step::Close => {
            // Reached only from regression-validation, entered only with a passing validation; checked
            // again so no stored row can close without one.
            if !next.validations.last().is_some_and(Validation::passed) {
                return Err(RemediationError::ClosingWithoutValidation(state));
            }
            S::Closed
        }
        Step::AcceptRisk { acceptance } => {
            if !may_accept_risk(acceptance.approver_role, ctx.provider_owned, ctx.severity) {
                return Err(RemediationError::NoAuthority(
                    acceptance.approver_role,
                    ctx.provider_owned,
                ));
            }
            if acceptance.justification.trim().is_empty() {
                return Err(RemediationError::Empty("the justification"));
            }
            if acceptance.approver.trim().is_empty() {
                return Err(RemediationError::Empty("the approver"));
            }
            if acceptance.expires_at <= ctx.now
                || acceptance.expires_at > ctx.now + MAX_RISK_ACCEPTANCE
            {
                return Err(RemediationError::BadExpiry);
            }
            next.risk_acceptance = Some(acceptance.clone());
            S::RiskAccepted
        }
        Step::Reopen => {
            if let Some(a) = &next.risk_acceptance
                && a.expires_at > ctx.now
            {
                return Err(RemediationError::NotExpired(crate::audit::format_instant(
                    a.expires_at,
                )));
            }
            next.risk_acceptance = None;
            S::Open
        }
    };
    Ok(Outcome {
        state,
        remediation: next,
    })
}

/// An audited change of severity and so of deadline: the only way a due date moves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Retriage {
    pub severity: Severity,
    pub justification: String,
}

/// The new deadline after a re-triage: counted from the original detection, so a re-triage never buys
/// time beyond what the new severity allows.
pub fn retriage(
    policy: &RemediationPolicy,
    state: RemediationState,
    detected_at: OffsetDateTime,
    known_exploited: bool,
    change: &Retriage,
) -> Result<Option<OffsetDateTime>, RemediationError> {
    if !state.is_open() {
        return Err(RemediationError::NotAllowed {
            from: state,
            attempted: StepKind::Triage,
        });
    }
    if change.justification.trim().is_empty() {
        return Err(RemediationError::Empty("the justification"));
    }
    Ok(policy.due_at(detected_at, change.severity, known_exploited))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    const NOW: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

    fn ctx() -> StepContext {
        StepContext {
            now: NOW,
            severity: Severity::High,
            provider_owned: false,
        }
    }

    fn passing() -> Validation {
        Validation::AutomatedRecheck {
            check: "iam-mfa".into(),
            passed: true,
            at: NOW,
        }
    }

    fn acceptance(role: Role) -> RiskAcceptance {
        RiskAcceptance {
            approver: "lead".into(),
            approver_role: role,
            justification: "compensating control in place".into(),
            expires_at: NOW + Duration::days(90),
        }
    }

    /// One valid step of every kind.
    fn sample(kind: StepKind) -> Step {
        match kind {
            StepKind::Triage => Step::Triage {
                owner: "ops".into(),
                ticket: Ticket::parse("SEC-12").expect("test value"),
            },
            StepKind::RecordRootCause => Step::RecordRootCause {
                root_cause: "MFA not enforced for break-glass users".into(),
            },
            StepKind::PlanAction => Step::PlanAction {
                milestones: vec![Milestone {
                    title: "enforce MFA".into(),
                    due: date!(2026 - 03 - 10),
                }],
            },
            StepKind::ImplementFix => Step::ImplementFix {
                note: "policy deployed".into(),
            },
            StepKind::ValidateRegression => Step::ValidateRegression {
                validation: passing(),
            },
            StepKind::Close => Step::Close,
            StepKind::AcceptRisk => Step::AcceptRisk {
                acceptance: acceptance(Role::ProviderSecurityLead),
            },
            StepKind::Reopen => Step::Reopen,
        }
    }

    /// A record as it stands in `state` when reached along the happy path.
    fn record_in(state: RemediationState) -> Remediation {
        let mut r = Remediation::default();
        if state == RemediationState::RegressionValidation || state == RemediationState::Closed {
            r.validations.push(passing());
        }
        if state == RemediationState::RiskAccepted {
            let mut a = acceptance(Role::ProviderSecurityLead);
            a.expires_at = NOW - Duration::days(1);
            r.risk_acceptance = Some(a);
        }
        r
    }

    fn target(kind: StepKind) -> RemediationState {
        use RemediationState as S;
        match kind {
            StepKind::Triage => S::Triaged,
            StepKind::RecordRootCause => S::RootCauseRecorded,
            StepKind::PlanAction => S::ActionPlanned,
            StepKind::ImplementFix => S::FixImplemented,
            StepKind::ValidateRegression => S::RegressionValidation,
            StepKind::Close => S::Closed,
            StepKind::AcceptRisk => S::RiskAccepted,
            StepKind::Reopen => S::Open,
        }
    }

    #[test]
    fn every_legal_step_moves_to_its_state_and_every_illegal_one_names_the_allowed() {
        let mut legal = 0;
        let mut illegal = 0;
        for state in RemediationState::ALL {
            for kind in StepKind::ALL {
                let result = apply(state, &record_in(state), &sample(kind), ctx());
                if StepKind::allowed_from(state).contains(&kind) {
                    legal += 1;
                    let outcome = result.unwrap_or_else(|e| {
                        panic!("{} from {}: {e}", kind.as_str(), state.as_str())
                    });
                    assert_eq!(outcome.state, target(kind), "{}", kind.as_str());
                } else {
                    illegal += 1;
                    let err = result.expect_err("illegal step accepted");
                    let message = err.to_string();
                    for allowed in StepKind::allowed_from(state) {
                        assert!(message.contains(allowed.as_str()), "{message}");
                    }
                    if kind == StepKind::Close {
                        assert_eq!(err, RemediationError::ClosingWithoutValidation(state));
                    } else {
                        assert_eq!(
                            err,
                            RemediationError::NotAllowed {
                                from: state,
                                attempted: kind
                            }
                        );
                    }
                }
            }
        }
        assert_eq!(legal, 11);
        assert_eq!(illegal, 64 - 11);
    }

    #[test]
    fn the_whole_path_from_open_to_closed() {
        let mut state = RemediationState::Open;
        let mut record = Remediation::default();
        for kind in [
            StepKind::Triage,
            StepKind::RecordRootCause,
            StepKind::PlanAction,
            StepKind::ImplementFix,
            StepKind::ValidateRegression,
            StepKind::Close,
        ] {
            let o = apply(state, &record, &sample(kind), ctx()).expect("test value");
            state = o.state;
            record = o.remediation;
        }
        assert_eq!(state, RemediationState::Closed);
        assert_eq!(record.owner.as_deref(), Some("ops"));
        assert_eq!(record.milestones.len(), 1);
        assert_eq!(record.validations.len(), 1);
    }

    #[test]
    fn closing_without_a_passing_validation_is_impossible() {
        for state in RemediationState::ALL {
            if state == RemediationState::RegressionValidation {
                // Even there, a record without a passing validation (tampered) cannot close.
                let err = apply(state, &Remediation::default(), &Step::Close, ctx())
                    .expect_err("refused");
                assert_eq!(err, RemediationError::ClosingWithoutValidation(state));
                continue;
            }
            let err = apply(state, &record_in(state), &Step::Close, ctx()).expect_err("refused");
            assert_eq!(err, RemediationError::ClosingWithoutValidation(state));
        }
        // A failing re-check does not reach regression-validation: the plan starts again.
        let failed = Step::ValidateRegression {
            validation: Validation::AutomatedRecheck {
                check: "iam-mfa".into(),
                passed: false,
                at: NOW,
            },
        };
        let o = apply(
            RemediationState::FixImplemented,
            &Remediation::default(),
            &failed,
            ctx(),
        )
        .expect("test value");
        assert_eq!(o.state, RemediationState::ActionPlanned);
        let err = apply(o.state, &o.remediation, &Step::Close, ctx()).expect_err("refused");
        assert!(matches!(
            err,
            RemediationError::ClosingWithoutValidation(RemediationState::ActionPlanned)
        ));
    }

    #[test]
    fn an_assessor_retest_needs_evidence() {
        let retest = |evidence: Vec<String>| Step::ValidateRegression {
            validation: Validation::AssessorRetest {
                assessor: "assessor-1".into(),
                evidence,
                passed: true,
                at: NOW,
            },
        };
        let s = RemediationState::FixImplemented;
        let r = Remediation::default();
        assert_eq!(
            apply(s, &r, &retest(vec![]), ctx()),
            Err(RemediationError::RetestWithoutEvidence)
        );
        let o = apply(s, &r, &retest(vec!["ev-1".into()]), ctx()).expect("test value");
        assert_eq!(o.state, RemediationState::RegressionValidation);
    }

    #[test]
    fn steps_check_what_they_record() {
        let r = Remediation::default();
        let triage = Step::Triage {
            owner: " ".into(),
            ticket: Ticket::parse("SEC-1").expect("test value"),
        };
        assert_eq!(
            apply(RemediationState::Open, &r, &triage, ctx()),
            Err(RemediationError::NoOwner)
        );
        let cause = Step::RecordRootCause {
            root_cause: "".into(),
        };
        assert!(matches!(
            apply(RemediationState::Triaged, &r, &cause, ctx()),
            Err(RemediationError::Empty(_))
        ));
        let plan = Step::PlanAction { milestones: vec![] };
        assert_eq!(
            apply(RemediationState::RootCauseRecorded, &r, &plan, ctx()),
            Err(RemediationError::NoMilestones)
        );
    }

    #[test]
    fn risk_acceptance_needs_authority_justification_and_a_bounded_expiry() {
        let s = RemediationState::Triaged;
        let r = Remediation::default();
        let step = |a: RiskAcceptance| Step::AcceptRisk { acceptance: a };
        // A viewer has no such authority; a compliance officer not for critical or provider-owned ones.
        let err =
            apply(s, &r, &step(acceptance(Role::CustomerViewer)), ctx()).expect_err("refused");
        assert!(matches!(err, RemediationError::NoAuthority(..)));
        assert!(err.to_string().contains("customer-viewer"));
        let officer = acceptance(Role::CustomerComplianceOfficer);
        assert!(apply(s, &r, &step(officer.clone()), ctx()).is_ok());
        let critical = StepContext {
            severity: Severity::Critical,
            ..ctx()
        };
        assert!(apply(s, &r, &step(officer.clone()), critical).is_err());
        let provider = StepContext {
            provider_owned: true,
            ..ctx()
        };
        assert!(apply(s, &r, &step(officer), provider).is_err());
        assert!(
            apply(
                s,
                &r,
                &step(acceptance(Role::ProviderSecurityLead)),
                provider
            )
            .is_ok()
        );
        let mut blank = acceptance(Role::ProviderAdmin);
        blank.justification = "  ".into();
        assert!(matches!(
            apply(s, &r, &step(blank), ctx()),
            Err(RemediationError::Empty(_))
        ));
        for expires in [NOW, NOW - Duration::days(1), NOW + Duration::days(400)] {
            let mut a = acceptance(Role::ProviderAdmin);
            a.expires_at = expires;
            assert_eq!(
                apply(s, &r, &step(a), ctx()),
                Err(RemediationError::BadExpiry)
            );
        }
    }

    #[test]
    fn an_accepted_risk_reopens_only_after_its_expiry() {
        let o = apply(
            RemediationState::Triaged,
            &Remediation::default(),
            &Step::AcceptRisk {
                acceptance: acceptance(Role::ProviderAdmin),
            },
            ctx(),
        )
        .expect("test value");
        let err = apply(o.state, &o.remediation, &Step::Reopen, ctx()).expect_err("refused");
        assert!(matches!(err, RemediationError::NotExpired(_)));
        let later = StepContext {
            now: NOW + Duration::days(91),
            ..ctx()
        };
        let reopened = apply(o.state, &o.remediation, &Step::Reopen, later).expect("test value");
        assert_eq!(reopened.state, RemediationState::Open);
        assert_eq!(reopened.remediation.risk_acceptance, None);
    }

    #[test]
    fn tickets_are_jira_keys_or_github_issue_urls() {
        assert_eq!(
            Ticket::parse("SEC-42").expect("test value"),
            Ticket::Jira {
                key: "SEC-42".into()
            }
        );
        let gh = Ticket::parse("https://github.com/acme/infra/issues/17").expect("test value");
        assert_eq!(gh.reference(), "https://github.com/acme/infra/issues/17");
        for bad in [
            "",
            "sec-42",
            "SEC-",
            "SEC-042",
            "S-1",
            "SEC42",
            "https://github.com/acme/infra/pull/17",
            "https://github.com/acme/issues/17",
            "https://gitlab.com/acme/infra/issues/17",
            "https://github.com/acme/infra/issues/x",
            "https://github.com/../infra/issues/1",
        ] {
            assert!(Ticket::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn deadlines_follow_the_policy_and_known_exploited_weaknesses_take_the_shortest_clock() {
        let p = RemediationPolicy::PROVIDER_DEFAULT;
        let at = datetime!(2026-01-01 00:00 UTC);
        assert_eq!(
            p.due_at(at, Severity::Critical, false),
            Some(datetime!(2026-01-08 00:00 UTC))
        );
        assert_eq!(
            p.due_at(at, Severity::High, false),
            Some(at + Duration::days(30))
        );
        assert_eq!(
            p.due_at(at, Severity::Medium, false),
            Some(at + Duration::days(90))
        );
        assert_eq!(
            p.due_at(at, Severity::Low, false),
            Some(at + Duration::days(180))
        );
        assert_eq!(p.due_at(at, Severity::Informational, false), None);
        assert_eq!(
            p.due_at(at, Severity::Low, true),
            Some(at + Duration::days(7))
        );
        assert_eq!(
            p.due_at(at, Severity::Informational, true),
            Some(at + Duration::days(7))
        );
        let zero = RemediationPolicy {
            high_days: Some(0),
            ..p
        };
        assert_eq!(zero.problems(), vec!["high days must be at least 1"]);
    }

    #[test]
    fn a_retriage_recomputes_from_detection_and_needs_a_reason() {
        let p = RemediationPolicy::PROVIDER_DEFAULT;
        let at = datetime!(2026-01-01 00:00 UTC);
        let change = Retriage {
            severity: Severity::Critical,
            justification: "exploit published".into(),
        };
        assert_eq!(
            retriage(&p, RemediationState::ActionPlanned, at, false, &change),
            Ok(Some(at + Duration::days(7)))
        );
        let blank = Retriage {
            justification: "".into(),
            ..change.clone()
        };
        assert!(retriage(&p, RemediationState::Open, at, false, &blank).is_err());
        assert!(retriage(&p, RemediationState::Closed, at, false, &change).is_err());
    }

    #[test]
    fn a_milestone_date_is_iso_8601_on_the_wire() {
        let m = Milestone {
            title: "Rotate keys".into(),
            due: time::macros::date!(2027 - 01 - 31),
        };
        let text = serde_json::to_string(&m).unwrap_or_default();
        assert_eq!(text, r#"{"title":"Rotate keys","due":"2027-01-31"}"#);
        assert_eq!(serde_json::from_str::<Milestone>(&text).ok(), Some(m));
    }
}
