//! How the engagement and trust-center refusals of the store become problems: 403 when the tier or role
//! says no (the second gate, after the role matrix), 409 when the object's state forbids the step (the
//! allowed steps are named), 422 when what was sent is invalid. None of them is a server error: each
//! names exactly what the caller can act on.

use assure_domain::engagement::EngagementError;
use assure_domain::enrolment::EnrolmentError;
use assure_domain::testing::TestError;
use assure_domain::trust::AccessError;
use axum::http::StatusCode;

use crate::problem::Problem;

/// An enrolment step refused: every step it may not take is a conflict with its state; an ineligible
/// tenant's problem lists every unmet rule in `problems`.
pub(crate) fn enrolment(e: EnrolmentError) -> Problem {
    let detail = e.to_string();
    match e {
        EnrolmentError::Illegal { .. } | EnrolmentError::IntakeClosed => {
            Problem::new(StatusCode::CONFLICT, detail)
        }
        EnrolmentError::Ineligible(unmet) => {
            let list: Vec<String> = unmet.iter().map(ToString::to_string).collect();
            Problem {
                problems: Some(Box::new(serde_json::json!(list))),
                ..Problem::new(StatusCode::CONFLICT, detail)
            }
        }
    }
}

/// An engagement refusal: the tier's rule (who answers, tests, signs) is 403, a step the state forbids
/// 409, a scope, assignment or answer that names the wrong things 422.
pub(crate) fn engagement(e: EngagementError) -> Problem {
    let status = match &e {
        EngagementError::Refused(_) => StatusCode::FORBIDDEN,
        EngagementError::Illegal { .. }
        | EngagementError::NoAssessors
        | EngagementError::Closed { .. } => StatusCode::CONFLICT,
        EngagementError::ForeignAssessor { .. }
        | EngagementError::AssessorsNotExpected
        | EngagementError::InvalidScope(_)
        | EngagementError::UnknownControl(_)
        | EngagementError::UnknownEvidence(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Problem::new(status, e.to_string())
}

/// A test result inconsistent with its engagement (sample, deviations, scope): invalid input.
pub(crate) fn test(e: TestError) -> Problem {
    let field = match &e {
        TestError::SampleRequired { .. }
        | TestError::SampleNotExpected
        | TestError::SampleNotReproducible
        | TestError::Sample(_) => Some("sample"),
        TestError::DeviationOutsideSample(_) | TestError::EffectiveWithDeviations(_) => {
            Some("deviations")
        }
        TestError::OutOfScope(_) | TestError::NotInherited(_) => Some("control"),
        TestError::CustomerEvidence(_) => Some("evidence"),
        TestError::PeriodReversed => Some("period"),
    };
    Problem {
        field: field.map(str::to_owned),
        ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
    }
}

/// A trust-center request refused: a role that may not decide is 403, a decided or still open request
/// 409, an expiry in the past 422.
pub(crate) fn trust(e: AccessError) -> Problem {
    match &e {
        AccessError::NotADecider(_) => Problem::new(StatusCode::FORBIDDEN, e.to_string()),
        AccessError::Illegal { .. } | AccessError::AlreadyRequested { .. } => {
            Problem::new(StatusCode::CONFLICT, e.to_string())
        }
        AccessError::ExpiryInPast { .. } => Problem {
            field: Some("expires".to_owned()),
            ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
        },
    }
}

#[cfg(test)]
mod tests {
    use assure_domain::engagement::{Duty, Refusal, Tier};
    use assure_domain::enrolment::Ineligibility;
    use assure_domain::testing::SampleError;
    use assure_domain::trust::{AccessRequestId, TrustDocumentId};
    use assure_store::StoreError;
    use time::macros::date;

    use super::*;

    fn status(e: impl Into<StoreError>) -> u16 {
        Problem::from(e.into()).status
    }

    #[test]
    fn enrolment_refusals_are_conflicts_naming_every_unmet_rule() {
        assert_eq!(
            status(EnrolmentError::Illegal {
                from: "requested",
                step: "activate",
                allowed: vec!["start-intake"],
            }),
            409
        );
        assert_eq!(status(EnrolmentError::IntakeClosed), 409);
        let p = Problem::from(StoreError::from(EnrolmentError::Ineligible(vec![
            Ineligibility::NoNda,
            Ineligibility::ProcessingRoleUndefined,
        ])));
        assert_eq!(p.status, 409);
        let listed = p.problems.map(|b| *b).unwrap_or_default();
        assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
        assert!(p.detail.contains("NDA"), "{}", p.detail);
    }

    #[test]
    fn engagement_refusals_are_403_409_or_422_never_500() {
        let refused = EngagementError::Refused(Refusal {
            duty: Duty::Sign,
            tier: Tier::SelfAttestation,
            reason: "only the customer's compliance officer signs a self-attestation".into(),
        });
        assert_eq!(status(refused), 403);
        assert_eq!(status(EngagementError::NoAssessors), 409);
        assert_eq!(
            status(EngagementError::Illegal {
                from: "signed",
                step: "sign",
                allowed: vec![],
            }),
            409
        );
        assert_eq!(
            status(EngagementError::Closed {
                state: "signed",
                what: "answering",
            }),
            409
        );
        assert_eq!(status(EngagementError::InvalidScope("x".into())), 422);
        assert_eq!(status(EngagementError::AssessorsNotExpected), 422);
        assert_eq!(
            status(EngagementError::UnknownControl("NOPE-1".into())),
            422
        );
        assert_eq!(
            status(EngagementError::ForeignAssessor {
                assessor: "a@b.example".into(),
                firm: "f".into(),
            }),
            422
        );
    }

    #[test]
    fn test_refusals_are_invalid_input_naming_the_field() {
        let p = Problem::from(StoreError::from(TestError::SampleNotReproducible));
        assert_eq!((p.status, p.field.as_deref()), (422, Some("sample")));
        let p = Problem::from(StoreError::from(TestError::Sample(SampleError::Empty)));
        assert_eq!((p.status, p.field.as_deref()), (422, Some("sample")));
        let p = Problem::from(StoreError::from(TestError::EffectiveWithDeviations(2)));
        assert_eq!((p.status, p.field.as_deref()), (422, Some("deviations")));
        let p = Problem::from(StoreError::from(TestError::OutOfScope("IAM-01".into())));
        assert_eq!((p.status, p.field.as_deref()), (422, Some("control")));
    }

    #[test]
    fn trust_refusals_are_403_409_or_422() {
        assert_eq!(status(AccessError::NotADecider("customer-viewer")), 403);
        assert_eq!(
            status(AccessError::Illegal {
                from: "approved",
                decision: "deny",
                allowed: vec![],
            }),
            409
        );
        assert_eq!(
            status(AccessError::AlreadyRequested {
                tenant: "northbank".into(),
                document: TrustDocumentId::new("d"),
                existing: AccessRequestId::new("r"),
            }),
            409
        );
        let p = Problem::from(StoreError::from(AccessError::ExpiryInPast {
            expires: date!(2026 - 01 - 01),
            today: date!(2026 - 02 - 01),
        }));
        assert_eq!((p.status, p.field.as_deref()), (422, Some("expires")));
    }
}
