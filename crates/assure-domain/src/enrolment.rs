//! A customer's enrolment in the programme: a state machine (`requested -> intake -> nda-on-file ->
//! active`) with an intake record, and the eligibility rules an engagement needs.
//!
//! Eligibility answers with every unmet rule, by name, so a customer is told exactly what is missing rather
//! than "not eligible".

use serde::{Deserialize, Serialize};
use time::Date;

use crate::tenant::{Contact, ContactRole, ProcessingRole};
use crate::{RegionId, TenantId};

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// Where an enrolment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum EnrolmentState {
    /// The customer asked to take part; nothing is recorded yet.
    Requested,
    /// Intake documentation is being gathered.
    Intake,
    /// The non-disclosure agreement is signed and on file.
    NdaOnFile,
    /// Eligible and enrolled: engagements may be opened.
    Active,
}

impl EnrolmentState {
    pub const ALL: [EnrolmentState; 4] =
        [Self::Requested, Self::Intake, Self::NdaOnFile, Self::Active];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Intake => "intake",
            Self::NdaOnFile => "nda-on-file",
            Self::Active => "active",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// A step asked of an enrolment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum EnrolmentStep {
    /// `requested -> intake`.
    StartIntake,
    /// `intake -> nda-on-file`: needs a complete intake and a signed NDA.
    RecordNda,
    /// `nda-on-file -> active`: needs every eligibility rule met.
    Activate,
}

impl EnrolmentStep {
    pub const ALL: [EnrolmentStep; 3] = [Self::StartIntake, Self::RecordNda, Self::Activate];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::StartIntake => "start-intake",
            Self::RecordNda => "record-nda",
            Self::Activate => "activate",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// The state this step leaves from.
    fn source(self) -> EnrolmentState {
        match self {
            Self::StartIntake => EnrolmentState::Requested,
            Self::RecordNda => EnrolmentState::Intake,
            Self::Activate => EnrolmentState::NdaOnFile,
        }
    }

    fn target(self) -> EnrolmentState {
        match self {
            Self::StartIntake => EnrolmentState::Intake,
            Self::RecordNda => EnrolmentState::NdaOnFile,
            Self::Activate => EnrolmentState::Active,
        }
    }
}

/// The intake record: what the account team, procurement and the customer's compliance officer provide.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Intake {
    /// The contract with the provider, e.g. `CC-2024-0117`.
    pub contract_ref: Option<String>,
    /// The last day the contract runs; `None` for an open-ended contract.
    #[serde(default, with = "iso_date::option")]
    pub contract_ends: Option<Date>,
    /// Controller or processor of the data the provider processes.
    pub processing_role: Option<ProcessingRole>,
    /// Regions where the customer's data lives.
    pub regions: Vec<RegionId>,
    pub contacts: Vec<Contact>,
}

/// The contact roles an intake must name.
pub const INTAKE_CONTACTS: [ContactRole; 3] = [
    ContactRole::AccountTeam,
    ContactRole::Procurement,
    ContactRole::ComplianceOfficer,
];

impl Intake {
    /// What the intake still lacks, in words; empty when it is complete.
    pub fn missing(&self) -> Vec<String> {
        let mut missing = Vec::new();
        if self
            .contract_ref
            .as_deref()
            .is_none_or(|c| c.trim().is_empty())
        {
            missing.push("contract reference".to_owned());
        }
        if self.processing_role.is_none() {
            missing.push("data-processing role".to_owned());
        }
        if self.regions.is_empty() {
            missing.push("regions".to_owned());
        }
        for role in INTAKE_CONTACTS {
            if !self
                .contacts
                .iter()
                .any(|c| c.role == role && !c.email.trim().is_empty())
            {
                missing.push(format!("{} contact", role.as_str()));
            }
        }
        missing
    }
}

/// A tenant's enrolment as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enrolment {
    pub tenant: TenantId,
    pub state: EnrolmentState,
    pub intake: Intake,
    /// The day the NDA was signed, once it is on file.
    #[serde(default, with = "iso_date::option")]
    pub nda_signed: Option<Date>,
}

/// An eligibility rule that is not met.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "rule", rename_all = "kebab-case")]
pub enum Ineligibility {
    #[error("no active contract: {reason}")]
    NoActiveContract { reason: String },
    #[error("the data-processing role (controller or processor) is not defined")]
    ProcessingRoleUndefined,
    #[error("no signed NDA on file")]
    NoNda,
    #[error("intake incomplete: missing {}", missing.join(", "))]
    IntakeIncomplete { missing: Vec<String> },
}

impl Enrolment {
    /// A new request for `tenant`.
    pub fn requested(tenant: TenantId) -> Self {
        Self {
            tenant,
            state: EnrolmentState::Requested,
            intake: Intake::default(),
            nda_signed: None,
        }
    }

    /// Every eligibility rule not met on `today`: an active contract, a defined processing role, an NDA on
    /// file, a complete intake. Empty when the customer is eligible.
    pub fn ineligibility(&self, today: Date) -> Vec<Ineligibility> {
        let mut unmet = Vec::new();
        match (&self.intake.contract_ref, self.intake.contract_ends) {
            (None, _) => unmet.push(Ineligibility::NoActiveContract {
                reason: "no contract reference".to_owned(),
            }),
            (Some(r), _) if r.trim().is_empty() => unmet.push(Ineligibility::NoActiveContract {
                reason: "no contract reference".to_owned(),
            }),
            (Some(r), Some(ends)) if ends < today => unmet.push(Ineligibility::NoActiveContract {
                reason: format!("contract {r} ended on {ends}"),
            }),
            _ => {}
        }
        if self.intake.processing_role.is_none() {
            unmet.push(Ineligibility::ProcessingRoleUndefined);
        }
        if self.nda_signed.is_none_or(|d| d > today) {
            unmet.push(Ineligibility::NoNda);
        }
        let missing = self.intake.missing();
        if !missing.is_empty() {
            unmet.push(Ineligibility::IntakeIncomplete { missing });
        }
        unmet
    }

    /// Whether the intake may still be edited: before the enrolment is active.
    pub fn intake_editable(&self) -> bool {
        match self.state {
            EnrolmentState::Requested | EnrolmentState::Intake | EnrolmentState::NdaOnFile => true,
            EnrolmentState::Active => false,
        }
    }
}

/// Why an enrolment may not take a step.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnrolmentError {
    #[error("an enrolment in state {from} cannot {step}; allowed: {}", allowed_words(.allowed))]
    Illegal {
        from: &'static str,
        step: &'static str,
        allowed: Vec<&'static str>,
    },
    #[error("not eligible: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Ineligible(Vec<Ineligibility>),
    #[error("the intake can no longer change: the enrolment is active")]
    IntakeClosed,
}

fn allowed_words(allowed: &[&str]) -> String {
    if allowed.is_empty() {
        "none (final state)".to_owned()
    } else {
        allowed.join(", ")
    }
}

/// The steps legal from `state`.
pub fn allowed_steps(state: EnrolmentState) -> Vec<&'static str> {
    EnrolmentStep::ALL
        .into_iter()
        .filter(|s| s.source() == state)
        .map(EnrolmentStep::as_str)
        .collect()
}

/// The state after `step`, or why not. Recording the NDA needs a complete intake and a signed NDA (`nda`,
/// on or before `today`); activating needs every eligibility rule.
pub fn next_state(
    enrolment: &Enrolment,
    step: EnrolmentStep,
    nda: Option<Date>,
    today: Date,
) -> Result<EnrolmentState, EnrolmentError> {
    if step.source() != enrolment.state {
        return Err(EnrolmentError::Illegal {
            from: enrolment.state.as_str(),
            step: step.as_str(),
            allowed: allowed_steps(enrolment.state),
        });
    }
    match step {
        EnrolmentStep::StartIntake => {}
        EnrolmentStep::RecordNda => {
            let mut unmet = Vec::new();
            if nda.or(enrolment.nda_signed).is_none_or(|d| d > today) {
                unmet.push(Ineligibility::NoNda);
            }
            let missing = enrolment.intake.missing();
            if !missing.is_empty() {
                unmet.push(Ineligibility::IntakeIncomplete { missing });
            }
            if !unmet.is_empty() {
                return Err(EnrolmentError::Ineligible(unmet));
            }
        }
        EnrolmentStep::Activate => {
            let unmet = enrolment.ineligibility(today);
            if !unmet.is_empty() {
                return Err(EnrolmentError::Ineligible(unmet));
            }
        }
    }
    Ok(step.target())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn complete() -> Intake {
        Intake {
            contract_ref: Some("CC-2024-0117".into()),
            contract_ends: None,
            processing_role: Some(ProcessingRole::Controller),
            regions: vec!["uk-south".into()],
            contacts: INTAKE_CONTACTS
                .into_iter()
                .map(|role| Contact {
                    role,
                    name: "N".into(),
                    email: format!("{}@x.example", role.as_str()),
                })
                .collect(),
        }
    }

    fn at(state: EnrolmentState, intake: Intake, nda: Option<Date>) -> Enrolment {
        Enrolment {
            tenant: "t".into(),
            state,
            intake,
            nda_signed: nda,
        }
    }

    const TODAY: Date = date!(2026 - 06 - 01);

    #[test]
    fn the_happy_path_goes_requested_intake_nda_active() {
        let mut e = Enrolment::requested("t".into());
        e.state = next_state(&e, EnrolmentStep::StartIntake, None, TODAY).expect("intake");
        assert_eq!(e.state, EnrolmentState::Intake);
        e.intake = complete();
        let nda = Some(date!(2026 - 05 - 01));
        e.state = next_state(&e, EnrolmentStep::RecordNda, nda, TODAY).expect("nda");
        e.nda_signed = nda;
        assert_eq!(e.state, EnrolmentState::NdaOnFile);
        e.state = next_state(&e, EnrolmentStep::Activate, None, TODAY).expect("active");
        assert_eq!(e.state, EnrolmentState::Active);
        assert!(e.ineligibility(TODAY).is_empty());
        assert!(!e.intake_editable());
    }

    #[test]
    fn every_illegal_step_names_the_allowed_ones() {
        for state in EnrolmentState::ALL {
            for step in EnrolmentStep::ALL {
                let e = at(state, complete(), Some(date!(2026 - 01 - 01)));
                let result = next_state(&e, step, None, TODAY);
                if step.source() == state {
                    assert_eq!(result, Ok(step.target()), "{state:?} {step:?}");
                } else {
                    let Err(EnrolmentError::Illegal { allowed, .. }) = result else {
                        panic!("{state:?} {step:?} should be illegal: {result:?}");
                    };
                    assert_eq!(allowed, allowed_steps(state));
                }
            }
        }
        let e = at(EnrolmentState::Active, complete(), None);
        let err = next_state(&e, EnrolmentStep::StartIntake, None, TODAY)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("an enrolment in state active cannot start-intake; allowed: none (final state)")
        );
        let e = at(EnrolmentState::Requested, complete(), None);
        let err = next_state(&e, EnrolmentStep::Activate, None, TODAY)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("an enrolment in state requested cannot activate; allowed: start-intake")
        );
    }

    #[test]
    fn eligibility_names_every_unmet_rule() {
        let e = at(EnrolmentState::NdaOnFile, Intake::default(), None);
        let unmet = e.ineligibility(TODAY);
        assert_eq!(
            unmet,
            vec![
                Ineligibility::NoActiveContract {
                    reason: "no contract reference".into()
                },
                Ineligibility::ProcessingRoleUndefined,
                Ineligibility::NoNda,
                Ineligibility::IntakeIncomplete {
                    missing: vec![
                        "contract reference".into(),
                        "data-processing role".into(),
                        "regions".into(),
                        "account-team contact".into(),
                        "procurement contact".into(),
                        "compliance-officer contact".into(),
                    ]
                },
            ]
        );
        let Err(EnrolmentError::Ineligible(reasons)) =
            next_state(&e, EnrolmentStep::Activate, None, TODAY)
        else {
            panic!("activation must be refused");
        };
        assert_eq!(reasons, unmet);
    }

    #[test]
    fn an_ended_contract_or_a_future_nda_is_not_enough() {
        let mut intake = complete();
        intake.contract_ends = Some(date!(2026 - 05 - 31));
        let e = at(
            EnrolmentState::NdaOnFile,
            intake,
            Some(date!(2026 - 07 - 01)),
        );
        assert_eq!(
            e.ineligibility(TODAY),
            vec![
                Ineligibility::NoActiveContract {
                    reason: "contract CC-2024-0117 ended on 2026-05-31".into()
                },
                Ineligibility::NoNda,
            ]
        );
        let mut intake = complete();
        intake.contract_ends = Some(TODAY);
        let e = at(EnrolmentState::NdaOnFile, intake, Some(TODAY));
        assert!(
            e.ineligibility(TODAY).is_empty(),
            "the last day still counts"
        );
    }

    #[test]
    fn the_nda_is_recorded_only_over_a_complete_intake() {
        let mut intake = complete();
        intake
            .contacts
            .retain(|c| c.role != ContactRole::Procurement);
        let e = at(EnrolmentState::Intake, intake, None);
        assert_eq!(
            next_state(&e, EnrolmentStep::RecordNda, Some(TODAY), TODAY),
            Err(EnrolmentError::Ineligible(vec![
                Ineligibility::IntakeIncomplete {
                    missing: vec!["procurement contact".into()]
                }
            ]))
        );
        let e = at(EnrolmentState::Intake, complete(), None);
        assert_eq!(
            next_state(&e, EnrolmentStep::RecordNda, None, TODAY),
            Err(EnrolmentError::Ineligible(vec![Ineligibility::NoNda]))
        );
    }
}
