//! An engagement: one assurance exercise of one tenant, at a tier (CSA STAR's levels: self-attestation,
//! third-party assessment, managed assurance) over a scope (services, regions, frameworks, a period).
//!
//! Two gates decide who does what. The `Role x Action` matrix (`access`) is the first; [`may`] is the
//! second: the tier decides who answers the questionnaire, who records test results and who signs, and an
//! assessor must be one of the named assessors assigned to the engagement.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::mapping::Mapping;
use crate::matrix::Matrix;
use crate::responsibility::Responsibility;
use crate::tenant::{AssuranceTier, Tenant};
use crate::user::{Affiliation, Role, User};
use crate::{
    AssessorFirmId, ControlId, EngagementId, FrameworkId, RegionId, ServiceId, TenantId, UserId,
};

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// The tiers of the programme, aligned with CSA STAR's levels (level 1 self-assessment, level 2 third-party
/// audit, continuous monitoring for managed assurance).
pub type Tier = AssuranceTier;

/// What an engagement speaks for: a point in time (the design of controls) or a period (their operating
/// effectiveness over it), both days inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EngagementPeriod {
    /// Design: are the controls suitably designed and in place on `as_of`.
    PointInTime {
        #[serde(with = "iso_date")]
        as_of: Date,
    },
    /// Operating effectiveness: did the controls operate from `start` to `end`.
    Period {
        #[serde(with = "iso_date")]
        start: Date,
        #[serde(with = "iso_date")]
        end: Date,
    },
}

impl EngagementPeriod {
    pub fn start(&self) -> Date {
        match *self {
            Self::PointInTime { as_of } => as_of,
            Self::Period { start, .. } => start,
        }
    }

    pub fn end(&self) -> Date {
        match *self {
            Self::PointInTime { as_of } => as_of,
            Self::Period { end, .. } => end,
        }
    }

    /// Whether tests of this engagement sample a population (operating effectiveness).
    pub fn samples(&self) -> bool {
        matches!(self, Self::Period { .. })
    }

    /// `None` when the period ends before it starts.
    pub fn checked(self) -> Option<Self> {
        (self.end() >= self.start()).then_some(self)
    }

    /// In words, e.g. `2026-01-01 to 2026-12-31` or `as of 2026-03-31`.
    pub fn label(&self) -> String {
        match self {
            Self::PointInTime { as_of } => format!("as of {as_of}"),
            Self::Period { start, end } => format!("{start} to {end}"),
        }
    }
}

/// What an engagement covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Scope {
    /// Services of the tenant in scope; empty means every service the tenant uses.
    pub services: Vec<ServiceId>,
    pub regions: Vec<RegionId>,
    /// Frameworks the engagement reports against; empty means every control regardless of mappings.
    pub frameworks: Vec<FrameworkId>,
    pub period: EngagementPeriod,
}

/// Where an engagement is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum EngagementState {
    /// Tier, scope and assessors are agreed; the customer may start answering.
    Scoping,
    /// Answers, evidence and tests are gathered.
    Fieldwork,
    /// Work is done and reviewed before signing.
    Reporting,
    /// Signed: final. The next period is a roll-forward.
    Signed,
}

impl EngagementState {
    pub const ALL: [EngagementState; 4] = [
        Self::Scoping,
        Self::Fieldwork,
        Self::Reporting,
        Self::Signed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scoping => "scoping",
            Self::Fieldwork => "fieldwork",
            Self::Reporting => "reporting",
            Self::Signed => "signed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Whether the engagement is still in progress (not signed).
    pub fn in_progress(self) -> bool {
        match self {
            Self::Scoping | Self::Fieldwork | Self::Reporting => true,
            Self::Signed => false,
        }
    }
}

/// A step asked of an engagement. Signing goes through [`may`] as well (the tier decides who).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum EngagementStep {
    /// `scoping -> fieldwork`; a third-party assessment needs its assessors assigned first.
    StartFieldwork,
    /// `fieldwork -> reporting`.
    StartReporting,
    /// `reporting -> fieldwork`: more work is needed.
    Reopen,
    /// `reporting -> signed`.
    Sign,
}

impl EngagementStep {
    pub const ALL: [EngagementStep; 4] = [
        Self::StartFieldwork,
        Self::StartReporting,
        Self::Reopen,
        Self::Sign,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::StartFieldwork => "start-fieldwork",
            Self::StartReporting => "start-reporting",
            Self::Reopen => "reopen",
            Self::Sign => "sign",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    fn edge(self) -> (EngagementState, EngagementState) {
        use EngagementState::*;
        match self {
            Self::StartFieldwork => (Scoping, Fieldwork),
            Self::StartReporting => (Fieldwork, Reporting),
            Self::Reopen => (Reporting, Fieldwork),
            Self::Sign => (Reporting, Signed),
        }
    }
}

/// An engagement as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Engagement {
    pub id: EngagementId,
    pub tenant: TenantId,
    pub tier: Tier,
    pub scope: Scope,
    pub state: EngagementState,
    /// The assessor firm of a third-party assessment.
    pub assessor_firm: Option<AssessorFirmId>,
    /// The named assessors of that firm who test and sign.
    pub assessors: Vec<UserId>,
    /// The engagement of the period before, when this one was rolled forward from it.
    pub previous: Option<EngagementId>,
    pub signed_by: Option<UserId>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub signed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// What a roll-forward carried over from the previous engagement (reused and flagged evidence,
    /// controls to retest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carried_over: Option<crate::cycle::RollForward>,
}

/// Why an engagement may not take a step, or a participant may not do something.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EngagementError {
    #[error("an engagement in state {from} cannot {step}; allowed: {}", if .allowed.is_empty() { "none (final state)".to_owned() } else { .allowed.join(", ") })]
    Illegal {
        from: &'static str,
        step: &'static str,
        allowed: Vec<&'static str>,
    },
    #[error(
        "a third-party assessment needs an assessor firm and at least one named assessor before fieldwork"
    )]
    NoAssessors,
    #[error("{0}")]
    Refused(Refusal),
    #[error("assessor {assessor} does not belong to assessor firm {firm}")]
    ForeignAssessor {
        assessor: UserId,
        firm: AssessorFirmId,
    },
    #[error("only a third-party assessment has assessors")]
    AssessorsNotExpected,
    #[error("the scope is invalid: {0}")]
    InvalidScope(String),
    #[error("control {0} is not a question of this engagement's questionnaire")]
    UnknownControl(ControlId),
    #[error("unknown evidence {0} for this tenant")]
    UnknownEvidence(crate::evidence::EvidenceId),
    #[error("the engagement is {state}: {what} is not possible now")]
    Closed {
        state: &'static str,
        what: &'static str,
    },
}

/// The steps legal from `state`.
pub fn allowed_steps(state: EngagementState) -> Vec<&'static str> {
    EngagementStep::ALL
        .into_iter()
        .filter(|s| s.edge().0 == state)
        .map(EngagementStep::as_str)
        .collect()
}

/// The state after `step`, or why not. `Sign` here checks only the state machine; who signs is [`may`].
pub fn next_state(
    engagement: &Engagement,
    step: EngagementStep,
) -> Result<EngagementState, EngagementError> {
    let (from, to) = step.edge();
    if from != engagement.state {
        return Err(EngagementError::Illegal {
            from: engagement.state.as_str(),
            step: step.as_str(),
            allowed: allowed_steps(engagement.state),
        });
    }
    if step == EngagementStep::StartFieldwork
        && engagement.tier == Tier::ThirdPartyAssessment
        && (engagement.assessor_firm.is_none() || engagement.assessors.is_empty())
    {
        return Err(EngagementError::NoAssessors);
    }
    Ok(to)
}

/// What a participant does in an engagement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Duty {
    /// Answer the questionnaire and supply evidence.
    Answer,
    /// Record test results.
    Test,
    /// Sign the engagement.
    Sign,
}

impl Duty {
    pub const ALL: [Duty; 3] = [Self::Answer, Self::Test, Self::Sign];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answer => "answer",
            Self::Test => "test",
            Self::Sign => "sign",
        }
    }
}

/// Why [`may`] said no, in words a refused user can act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refusal {
    pub duty: Duty,
    pub tier: Tier,
    pub reason: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "may not {} in a {} engagement: {}",
            self.duty.as_str(),
            self.tier.as_str(),
            self.reason
        )
    }
}

/// Who, per tier, may do `duty` in `engagement` (the second gate, after the role matrix):
/// - self-attestation: the tenant's compliance officer answers and signs; there is no independent test;
/// - third-party assessment: the tenant's compliance officer answers; only the assigned assessors (named
///   users of the assigned firm) record test results and sign;
/// - managed assurance: the tenant's compliance officer answers; a provider security lead tests (reviews)
///   and signs.
///
/// A disabled user may do nothing.
pub fn may(engagement: &Engagement, user: &User, duty: Duty) -> Result<(), Refusal> {
    let refuse = |reason: &str| Refusal {
        duty,
        tier: engagement.tier,
        reason: reason.to_owned(),
    };
    if user.disabled {
        return Err(refuse("the user is disabled"));
    }
    let own_compliance_officer = user.role == Role::CustomerComplianceOfficer
        && user.affiliation == Affiliation::Tenant(engagement.tenant.clone());
    let assigned_assessor = user.role == Role::Assessor
        && engagement.assessors.contains(&user.id)
        && engagement
            .assessor_firm
            .as_ref()
            .is_some_and(|f| user.affiliation == Affiliation::AssessorFirm(f.clone()));
    let security_lead =
        user.role == Role::ProviderSecurityLead && user.affiliation == Affiliation::Provider;
    let (allowed, reason) = match (engagement.tier, duty) {
        (_, Duty::Answer) => (
            own_compliance_officer,
            "only the customer's compliance officer answers",
        ),
        (Tier::SelfAttestation, Duty::Test) => {
            (false, "a self-attestation has no independent testing")
        }
        (Tier::SelfAttestation, Duty::Sign) => (
            own_compliance_officer,
            "only the customer's compliance officer signs a self-attestation",
        ),
        (Tier::ThirdPartyAssessment, Duty::Test | Duty::Sign) => (
            assigned_assessor,
            "only the assessors assigned to this engagement test and sign",
        ),
        (Tier::ManagedAssurance, Duty::Test | Duty::Sign) => (
            security_lead,
            "only a provider security lead reviews and signs",
        ),
    };
    if allowed { Ok(()) } else { Err(refuse(reason)) }
}

/// Checks an assignment of `firm` and `assessors` (each given with its user) to an engagement.
pub fn check_assignment(
    engagement: &Engagement,
    firm: &AssessorFirmId,
    assessors: &[User],
) -> Result<(), EngagementError> {
    if engagement.tier != Tier::ThirdPartyAssessment {
        return Err(EngagementError::AssessorsNotExpected);
    }
    if !engagement.state.in_progress() {
        return Err(EngagementError::Closed {
            state: engagement.state.as_str(),
            what: "assigning assessors",
        });
    }
    for user in assessors {
        if user.role != Role::Assessor
            || user.affiliation != Affiliation::AssessorFirm(firm.clone())
        {
            return Err(EngagementError::ForeignAssessor {
                assessor: user.id.clone(),
                firm: firm.clone(),
            });
        }
    }
    Ok(())
}

/// Checks a scope against the tenant: services it uses, regions it lives in, frameworks it follows, a
/// period that ends on or after it starts.
pub fn check_scope(scope: &Scope, tenant: &Tenant) -> Result<(), EngagementError> {
    if scope.period.checked().is_none() {
        return Err(EngagementError::InvalidScope(
            "the period ends before it starts".to_owned(),
        ));
    }
    for s in &scope.services {
        if !tenant.services.iter().any(|u| &u.service == s) {
            return Err(EngagementError::InvalidScope(format!(
                "tenant {} does not use service {s}",
                tenant.id
            )));
        }
    }
    for r in &scope.regions {
        if !tenant.regions.contains(r) {
            return Err(EngagementError::InvalidScope(format!(
                "tenant {} has no data in region {r}",
                tenant.id
            )));
        }
    }
    for f in &scope.frameworks {
        if !tenant.frameworks.contains(f) {
            return Err(EngagementError::InvalidScope(format!(
                "tenant {} does not follow framework {f}",
                tenant.id
            )));
        }
    }
    Ok(())
}

/// The tenant as the scope sees it: only the services in scope (all when the scope names none). Its
/// matrix is the one [`in_scope_controls`] reads.
pub fn scoped_tenant(tenant: &Tenant, scope: &Scope) -> Tenant {
    let mut t = tenant.clone();
    if !scope.services.is_empty() {
        t.services.retain(|u| scope.services.contains(&u.service));
    }
    t
}

/// A control in scope with who owns it for this tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScopedControl {
    pub control: ControlId,
    pub title: String,
    pub responsibility: Responsibility,
    /// What the customer does, in words (customer and shared controls).
    pub customer_part: String,
}

impl ScopedControl {
    /// Whether the customer answers for it (customer and shared controls).
    pub fn answered_by_customer(&self) -> bool {
        match self.responsibility {
            Responsibility::Customer | Responsibility::Shared => true,
            Responsibility::Provider | Responsibility::NotApplicable => false,
        }
    }

    /// Whether it is inherited from the provider (tested once on the provider's side).
    pub fn inherited(&self) -> bool {
        self.responsibility == Responsibility::Provider
    }
}

/// The controls in scope, in matrix order: every applicable row of the scoped tenant's matrix (see
/// [`scoped_tenant`]), narrowed to controls mapped to a scope framework when the scope names any.
pub fn in_scope_controls(
    scope: &Scope,
    matrix: &Matrix,
    mappings: &[Mapping],
) -> Vec<ScopedControl> {
    let mapped: Option<BTreeSet<&ControlId>> = (!scope.frameworks.is_empty()).then(|| {
        mappings
            .iter()
            .filter(|m| scope.frameworks.contains(&m.framework))
            .map(|m| &m.control)
            .collect()
    });
    matrix
        .rows
        .iter()
        .filter(|r| r.responsibility != Responsibility::NotApplicable)
        .filter(|r| mapped.as_ref().is_none_or(|m| m.contains(&r.control)))
        .map(|r| ScopedControl {
            control: r.control.clone(),
            title: r.title.clone(),
            responsibility: r.responsibility,
            customer_part: r.customer_part_in_words(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    pub(crate) fn engagement(tier: Tier) -> Engagement {
        Engagement {
            id: "e-1".into(),
            tenant: "northbank".into(),
            tier,
            scope: Scope {
                services: vec![],
                regions: vec![],
                frameworks: vec![],
                period: EngagementPeriod::Period {
                    start: date!(2026 - 01 - 01),
                    end: date!(2026 - 12 - 31),
                },
            },
            state: EngagementState::Fieldwork,
            assessor_firm: (tier == Tier::ThirdPartyAssessment).then(|| "harbour".into()),
            assessors: if tier == Tier::ThirdPartyAssessment {
                vec!["eleanor@harbour.example".into()]
            } else {
                vec![]
            },
            previous: None,
            signed_by: None,
            signed_at: None,
            created_at: datetime!(2026-01-01 0:00 UTC),
            carried_over: None,
        }
    }

    fn user(id: &str, role: Role, affiliation: Affiliation) -> User {
        User {
            id: id.into(),
            name: id.into(),
            role,
            affiliation,
            disabled: false,
        }
    }

    /// Everyone who could plausibly try: each role, own and foreign tenant or firm, assigned or not.
    fn cast() -> Vec<(&'static str, User)> {
        let own = Affiliation::Tenant("northbank".into());
        let foreign = Affiliation::Tenant("brightpath".into());
        let firm = Affiliation::AssessorFirm("harbour".into());
        vec![
            (
                "admin",
                user("admin@p", Role::ProviderAdmin, Affiliation::Provider),
            ),
            (
                "lead",
                user("lead@p", Role::ProviderSecurityLead, Affiliation::Provider),
            ),
            (
                "pdpo",
                user("dpo@p", Role::ProviderDpo, Affiliation::Provider),
            ),
            (
                "co",
                user("co@n", Role::CustomerComplianceOfficer, own.clone()),
            ),
            (
                "foreign-co",
                user("co@b", Role::CustomerComplianceOfficer, foreign),
            ),
            ("viewer", user("v@n", Role::CustomerViewer, own.clone())),
            ("cdpo", user("dpo@n", Role::CustomerDpo, own)),
            (
                "assessor",
                user("eleanor@harbour.example", Role::Assessor, firm.clone()),
            ),
            (
                "other-assessor",
                user("kwame@harbour.example", Role::Assessor, firm),
            ),
            (
                "foreign-firm-assessor",
                user(
                    "eleanor@harbour.example",
                    Role::Assessor,
                    Affiliation::AssessorFirm("meridian".into()),
                ),
            ),
            (
                "oversight",
                user("o@p", Role::Oversight, Affiliation::Provider),
            ),
        ]
    }

    fn allowed(tier: Tier, duty: Duty) -> Vec<&'static str> {
        let e = engagement(tier);
        cast()
            .into_iter()
            .filter(|(_, u)| may(&e, u, duty).is_ok())
            .map(|(name, _)| name)
            .collect()
    }

    #[test]
    fn self_attestation_the_compliance_officer_answers_and_signs_nobody_tests() {
        let t = Tier::SelfAttestation;
        assert_eq!(allowed(t, Duty::Answer), vec!["co"]);
        assert_eq!(allowed(t, Duty::Test), Vec::<&str>::new());
        assert_eq!(allowed(t, Duty::Sign), vec!["co"]);
    }

    #[test]
    fn third_party_only_assigned_assessors_test_and_sign_the_customer_answers() {
        let t = Tier::ThirdPartyAssessment;
        assert_eq!(allowed(t, Duty::Answer), vec!["co"]);
        assert_eq!(allowed(t, Duty::Test), vec!["assessor"]);
        assert_eq!(allowed(t, Duty::Sign), vec!["assessor"]);
    }

    #[test]
    fn managed_assurance_a_provider_security_lead_reviews_and_signs() {
        let t = Tier::ManagedAssurance;
        assert_eq!(allowed(t, Duty::Answer), vec!["co"]);
        assert_eq!(allowed(t, Duty::Test), vec!["lead"]);
        assert_eq!(allowed(t, Duty::Sign), vec!["lead"]);
    }

    #[test]
    fn a_disabled_user_may_do_nothing_and_refusals_say_why() {
        let e = engagement(Tier::ThirdPartyAssessment);
        let mut u = user(
            "eleanor@harbour.example",
            Role::Assessor,
            Affiliation::AssessorFirm("harbour".into()),
        );
        u.disabled = true;
        assert!(may(&e, &u, Duty::Test).is_err());
        let viewer = user(
            "v@n",
            Role::CustomerViewer,
            Affiliation::Tenant("northbank".into()),
        );
        let refusal = may(&e, &viewer, Duty::Sign).err().map(|r| r.to_string());
        assert_eq!(
            refusal.as_deref(),
            Some(
                "may not sign in a third-party-assessment engagement: only the assessors assigned to this engagement test and sign"
            )
        );
    }

    #[test]
    fn every_engagement_transition_legal_or_naming_the_allowed_ones() {
        for tier in Tier::ALL {
            for state in EngagementState::ALL {
                for step in EngagementStep::ALL {
                    let mut e = engagement(tier);
                    e.state = state;
                    let result = next_state(&e, step);
                    let (from, to) = step.edge();
                    if from == state {
                        assert_eq!(result, Ok(to), "{tier:?} {state:?} {step:?}");
                    } else {
                        let Err(EngagementError::Illegal { allowed, .. }) = result else {
                            panic!("{state:?} {step:?}: {result:?}");
                        };
                        assert_eq!(allowed, allowed_steps(state));
                    }
                }
            }
        }
        assert_eq!(
            allowed_steps(EngagementState::Reporting),
            vec!["reopen", "sign"]
        );
        assert!(allowed_steps(EngagementState::Signed).is_empty());
    }

    #[test]
    fn a_third_party_assessment_needs_assessors_before_fieldwork() {
        let mut e = engagement(Tier::ThirdPartyAssessment);
        e.state = EngagementState::Scoping;
        e.assessors.clear();
        assert_eq!(
            next_state(&e, EngagementStep::StartFieldwork),
            Err(EngagementError::NoAssessors)
        );
        let mut e = engagement(Tier::SelfAttestation);
        e.state = EngagementState::Scoping;
        assert_eq!(
            next_state(&e, EngagementStep::StartFieldwork),
            Ok(EngagementState::Fieldwork)
        );
    }

    #[test]
    fn assignments_take_assessors_of_the_named_firm_on_third_party_engagements_only() {
        let e = engagement(Tier::ThirdPartyAssessment);
        let ok = user(
            "kwame@harbour.example",
            Role::Assessor,
            Affiliation::AssessorFirm("harbour".into()),
        );
        let other = user(
            "li@meridian.example",
            Role::Assessor,
            Affiliation::AssessorFirm("meridian".into()),
        );
        assert_eq!(
            check_assignment(&e, &"harbour".into(), std::slice::from_ref(&ok)),
            Ok(())
        );
        assert!(matches!(
            check_assignment(&e, &"harbour".into(), &[ok.clone(), other]),
            Err(EngagementError::ForeignAssessor { .. })
        ));
        assert_eq!(
            check_assignment(
                &engagement(Tier::ManagedAssurance),
                &"harbour".into(),
                &[ok]
            ),
            Err(EngagementError::AssessorsNotExpected)
        );
    }

    #[test]
    fn periods_know_their_bounds_and_whether_they_sample() {
        let p = EngagementPeriod::PointInTime {
            as_of: date!(2026 - 03 - 31),
        };
        assert!(!p.samples());
        assert_eq!(p.label(), "as of 2026-03-31");
        let bad = EngagementPeriod::Period {
            start: date!(2026 - 03 - 31),
            end: date!(2026 - 01 - 01),
        };
        assert_eq!(bad.checked(), None);
        let json = serde_json::to_string(&EngagementPeriod::Period {
            start: date!(2026 - 01 - 01),
            end: date!(2026 - 12 - 31),
        })
        .unwrap_or_default();
        assert_eq!(
            json,
            r#"{"kind":"period","start":"2026-01-01","end":"2026-12-31"}"#
        );
    }
}
