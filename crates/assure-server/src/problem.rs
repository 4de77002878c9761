//! Errors as RFC 9457 `application/problem+json`, naming the bad field where there is one.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An API error.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The query parameter or body field that was wrong, when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every problem of an uploaded document (an RFC 9457 extension member), each naming its document and
    /// JSON pointer or spreadsheet row.
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Boxed: most problems have none, and the error type stays small.
    pub problems: Option<Box<serde_json::Value>>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            problems: None,
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    pub fn bad_field(field: &str, detail: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..Self::new(StatusCode::BAD_REQUEST, detail)
        }
    }
}

impl From<assure_store::StoreError> for Problem {
    fn from(e: assure_store::StoreError) -> Self {
        match e {
            // The kind of object only, never its ID: an object outside the caller's scope and one that
            // does not exist answer alike, whichever ID the request named.
            assure_store::StoreError::NotFound(what) => Self::not_found(
                what.rsplit_once(' ')
                    .map_or(what.as_str(), |(kind, _)| kind),
            ),
            assure_store::StoreError::Enrolment(e) => crate::problem_engagement::enrolment(e),
            assure_store::StoreError::Engagement(e) => crate::problem_engagement::engagement(e),
            assure_store::StoreError::Test(e) => crate::problem_engagement::test(e),
            assure_store::StoreError::Trust(e) => crate::problem_engagement::trust(e),
            assure_store::StoreError::Conflict(why) => Self::new(StatusCode::CONFLICT, why),
            assure_store::StoreError::Finding(e) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
            assure_store::StoreError::Remediation(e) => {
                Self::new(remediation_status(&e), e.to_string())
            }
            other => {
                tracing::error!(error = %other, "store error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the store could not answer; see the server log",
                )
            }
        }
    }
}

/// A refused remediation step: a state that does not allow it is a conflict (the message names the
/// allowed steps), a person without the authority is forbidden, and a step lacking what it records is
/// unprocessable. Exhaustive, so a new refusal does not compile until its status is decided.
fn remediation_status(e: &assure_domain::remediation::RemediationError) -> StatusCode {
    use assure_domain::remediation::RemediationError as E;
    match e {
        E::NotAllowed { .. } | E::ClosingWithoutValidation(_) | E::NotExpired(_) => {
            StatusCode::CONFLICT
        }
        E::NoAuthority(..) => StatusCode::FORBIDDEN,
        E::NoOwner | E::Empty(_) | E::NoMilestones | E::RetestWithoutEvidence | E::BadExpiry => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_default();
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assure_domain::finding::FindingError;
    use assure_domain::remediation::{RemediationError, RemediationState, StepKind};
    use assure_domain::user::Role;
    use assure_store::StoreError;

    fn status(e: StoreError) -> u16 {
        Problem::from(e).status
    }

    #[test]
    fn finding_refusals_are_conflicts_forbidden_or_unprocessable_never_server_errors() {
        assert_eq!(
            status(StoreError::Remediation(RemediationError::NotAllowed {
                from: RemediationState::Open,
                attempted: StepKind::Close,
            })),
            409
        );
        let closing = Problem::from(StoreError::Remediation(
            RemediationError::ClosingWithoutValidation(RemediationState::FixImplemented),
        ));
        assert_eq!(closing.status, 409);
        assert!(
            closing.detail.contains("regression validation"),
            "{}",
            closing.detail
        );
        assert_eq!(
            status(StoreError::Remediation(RemediationError::NotExpired(
                "2027-01-01T00:00:00.000Z".into()
            ))),
            409
        );
        assert_eq!(
            status(StoreError::Remediation(RemediationError::NoAuthority(
                Role::CustomerViewer,
                false
            ))),
            403
        );
        for e in [
            RemediationError::NoOwner,
            RemediationError::Empty("the root cause"),
            RemediationError::NoMilestones,
            RemediationError::RetestWithoutEvidence,
            RemediationError::BadExpiry,
        ] {
            assert_eq!(status(StoreError::Remediation(e)), 422);
        }
        assert_eq!(status(StoreError::Finding(FindingError::NoSeverity)), 422);
        let taken = Problem::from(StoreError::Conflict("finding F-1 already exists".into()));
        assert_eq!(
            (taken.status, taken.detail.as_str()),
            (409, "finding F-1 already exists")
        );
        assert_eq!(status(StoreError::NotFound("finding F-9".into())), 404);
        assert_eq!(status(StoreError::AlreadyLoaded), 500);
    }
}
