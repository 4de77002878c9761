//! The trust center: the provider's evidence packages (audit reports, certificates, penetration-test
//! summaries) that every customer sees listed, and the rules for taking one home.
//!
//! A download needs three things, and [`may_download`] names every one that is missing: an approved, unexpired
//! access request of the customer's tenant for that document; the document's terms accepted by the person
//! downloading; and a valid NDA, read from the tenant's enrolment. The store records each attempt, granted or
//! refused, in the tenant's audit trail; the server watermarks what it hands out.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::enrolment::{Enrolment, EnrolmentState};
use crate::evidence::Digest;
use crate::user::Role;
use crate::{TenantId, UserId};

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

macro_rules! trust_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

trust_id!(
    /// A trust-center document (a UUID v7, so IDs sort by publication).
    TrustDocumentId
);
trust_id!(
    /// A tenant's request for access to one document (a UUID v7).
    AccessRequestId
);

/// What kind of evidence package a document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum PackageKind {
    /// An independent auditor's report on the provider's controls.
    AuditReport,
    /// A certificate, e.g. ISO/IEC 27001:2022.
    Certificate,
    /// The summary of a penetration test.
    PenetrationTestSummary,
    Other,
}

impl PackageKind {
    pub const ALL: [PackageKind; 4] = [
        Self::AuditReport,
        Self::Certificate,
        Self::PenetrationTestSummary,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuditReport => "audit-report",
            Self::Certificate => "certificate",
            Self::PenetrationTestSummary => "penetration-test-summary",
            Self::Other => "other",
        }
    }

    /// Words for pages.
    pub fn label(self) -> &'static str {
        match self {
            Self::AuditReport => "Audit report",
            Self::Certificate => "Certificate",
            Self::PenetrationTestSummary => "Penetration-test summary",
            Self::Other => "Other",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// A published trust-center document. Its bytes live in the evidence blob store under `digest`; a document is
/// never changed (a new edition is a new document), so terms once accepted stay the terms of that document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrustDocument {
    pub id: TrustDocumentId,
    pub title: String,
    pub kind: PackageKind,
    /// The day the report or certificate was issued.
    #[serde(with = "iso_date")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub issued: Date,
    /// The period the document covers, when it covers one (an audit report's period, a certificate's
    /// validity).
    #[serde(default, with = "iso_date::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub period_start: Option<Date>,
    #[serde(default, with = "iso_date::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub period_end: Option<Date>,
    /// The terms a reader accepts before downloading (confidentiality, no redistribution, ...).
    pub terms: String,
    pub digest: Digest,
    /// Plaintext size in bytes.
    pub size: u64,
    pub media_type: String,
    pub file_name: String,
    pub published_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub published_at: OffsetDateTime,
}

/// Why a document cannot be published as given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DocumentProblem {
    #[error("title: must not be empty")]
    EmptyTitle,
    #[error("terms: must not be empty (every document has terms to accept)")]
    EmptyTerms,
    #[error("period_end: {end} is before period_start {start}")]
    PeriodReversed { start: Date, end: Date },
    #[error("file_name: must not be empty")]
    EmptyFileName,
}

impl DocumentProblem {
    /// The field the problem is about, for problem+json.
    pub fn field(&self) -> &'static str {
        match self {
            Self::EmptyTitle => "title",
            Self::EmptyTerms => "terms",
            Self::PeriodReversed { .. } => "period_end",
            Self::EmptyFileName => "file_name",
        }
    }
}

impl TrustDocument {
    /// Every problem of the document's metadata.
    pub fn problems(&self) -> Vec<DocumentProblem> {
        let mut problems = Vec::new();
        if self.title.trim().is_empty() {
            problems.push(DocumentProblem::EmptyTitle);
        }
        if self.terms.trim().is_empty() {
            problems.push(DocumentProblem::EmptyTerms);
        }
        if let (Some(start), Some(end)) = (self.period_start, self.period_end)
            && end < start
        {
            problems.push(DocumentProblem::PeriodReversed { start, end });
        }
        if self.file_name.trim().is_empty() {
            problems.push(DocumentProblem::EmptyFileName);
        }
        problems
    }

    /// Whether the bytes are a PDF (and so are watermarked on download).
    pub fn is_pdf(&self) -> bool {
        self.media_type.eq_ignore_ascii_case("application/pdf")
    }
}

/// Where an access request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum AccessState {
    /// Waiting for a provider admin or security lead.
    Requested,
    /// Granted, possibly until an expiry day.
    Approved,
    /// Refused; the tenant may ask again.
    Denied,
}

impl AccessState {
    pub const ALL: [AccessState; 3] = [Self::Requested, Self::Approved, Self::Denied];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Approved => "approved",
            Self::Denied => "denied",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// A decision on a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum AccessDecision {
    Approve,
    Deny,
}

impl AccessDecision {
    pub const ALL: [AccessDecision; 2] = [Self::Approve, Self::Deny];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Deny => "deny",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == value)
    }
}

/// A tenant's request for one document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessRequest {
    pub id: AccessRequestId,
    pub tenant: TenantId,
    pub document: TrustDocumentId,
    pub state: AccessState,
    /// Why the customer needs the document (optional).
    pub justification: Option<String>,
    pub requested_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    pub decided_by: Option<UserId>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    /// The last day an approval holds; `None` for no expiry.
    #[serde(default, with = "iso_date::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub expires: Option<Date>,
    /// The decider's note (why denied, conditions of an approval).
    pub note: Option<String>,
}

impl AccessRequest {
    /// Whether the request grants access on `today`.
    pub fn grants(&self, today: Date) -> bool {
        match self.state {
            AccessState::Approved => self.expires.is_none_or(|e| e >= today),
            AccessState::Requested | AccessState::Denied => false,
        }
    }

    /// Whether the tenant may ask again (its last request was denied or its approval lapsed).
    pub fn closed(&self, today: Date) -> bool {
        match self.state {
            AccessState::Requested => false,
            AccessState::Approved => !self.grants(today),
            AccessState::Denied => true,
        }
    }
}

/// An illegal move of a request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("a request in state {from} cannot be {decision}d; allowed: {}", allowed_words(.allowed))]
    Illegal {
        from: &'static str,
        decision: &'static str,
        allowed: Vec<&'static str>,
    },
    #[error(
        "role {0} may not decide trust-center requests (provider admins and security leads do)"
    )]
    NotADecider(&'static str),
    #[error("expires: {expires} is before the decision day {today}")]
    ExpiryInPast { expires: Date, today: Date },
    #[error(
        "an open or granting request of tenant {tenant} for document {document} exists already ({existing})"
    )]
    AlreadyRequested {
        tenant: TenantId,
        document: TrustDocumentId,
        existing: AccessRequestId,
    },
}

fn allowed_words(allowed: &[&str]) -> String {
    if allowed.is_empty() {
        "none (final state)".to_owned()
    } else {
        allowed.join(", ")
    }
}

/// The decisions legal from `state`.
pub fn allowed_decisions(state: AccessState) -> Vec<&'static str> {
    match state {
        AccessState::Requested => AccessDecision::ALL.iter().map(|d| d.as_str()).collect(),
        AccessState::Approved | AccessState::Denied => Vec::new(),
    }
}

/// Whether `role` decides requests: provider admins and security leads (the `ManageTrustCenter` action).
pub fn may_decide(role: Role) -> bool {
    crate::access::permits(role, crate::access::Action::ManageTrustCenter)
}

/// The state a decision leads to: `requested -> approved | denied`, by a decider, with an expiry not before
/// `today`. Every other move names the allowed ones.
pub fn decide(
    request: &AccessRequest,
    decision: AccessDecision,
    role: Role,
    expires: Option<Date>,
    today: Date,
) -> Result<AccessState, AccessError> {
    if !may_decide(role) {
        return Err(AccessError::NotADecider(role.as_str()));
    }
    let next = match (request.state, decision) {
        (AccessState::Requested, AccessDecision::Approve) => AccessState::Approved,
        (AccessState::Requested, AccessDecision::Deny) => AccessState::Denied,
        (from @ (AccessState::Approved | AccessState::Denied), _) => {
            return Err(AccessError::Illegal {
                from: from.as_str(),
                decision: decision.as_str(),
                allowed: allowed_decisions(from),
            });
        }
    };
    if let Some(expires) = expires
        && next == AccessState::Approved
        && expires < today
    {
        return Err(AccessError::ExpiryInPast { expires, today });
    }
    Ok(next)
}

/// Whether a tenant may file a new request for a document, given its earlier ones: only when none is open
/// or granting.
pub fn may_request(earlier: &[AccessRequest], today: Date) -> Result<(), AccessError> {
    match earlier.iter().find(|r| !r.closed(today)) {
        Some(open) => Err(AccessError::AlreadyRequested {
            tenant: open.tenant.clone(),
            document: open.document.clone(),
            existing: open.id.clone(),
        }),
        None => Ok(()),
    }
}

/// One person's acceptance of one document's terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TermsAcceptance {
    pub tenant: TenantId,
    pub document: TrustDocumentId,
    pub user: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub accepted_at: OffsetDateTime,
}

/// Why there is no valid NDA.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "nda", rename_all = "kebab-case")]
pub enum NdaProblem {
    #[error("the tenant has not enrolled")]
    NotEnrolled,
    #[error("no NDA is signed")]
    NotSigned,
    #[error("the NDA is dated {signed}, after today")]
    SignedInFuture {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        #[serde(with = "iso_date")]
        signed: Date,
    },
    #[error("the enrolment is in state {}, not nda-on-file or active", state.as_str())]
    EnrolmentNotOnFile { state: EnrolmentState },
}

/// Whether `enrolment` holds a valid NDA on `today`: signed, not in the future, and the enrolment at
/// `nda-on-file` or `active`.
pub fn nda_problem(enrolment: Option<&Enrolment>, today: Date) -> Option<NdaProblem> {
    let Some(enrolment) = enrolment else {
        return Some(NdaProblem::NotEnrolled);
    };
    match enrolment.state {
        EnrolmentState::NdaOnFile | EnrolmentState::Active => {}
        state @ (EnrolmentState::Requested | EnrolmentState::Intake) => {
            return Some(NdaProblem::EnrolmentNotOnFile { state });
        }
    }
    match enrolment.nda_signed {
        None => Some(NdaProblem::NotSigned),
        Some(signed) if signed > today => Some(NdaProblem::SignedInFuture { signed }),
        Some(_) => None,
    }
}

/// Why a download is refused. A refusal names every reason at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Refusal {
    #[error("no access request for this document")]
    NotRequested,
    #[error("the access request is still waiting for approval")]
    AwaitingApproval,
    #[error("the access request was denied")]
    Denied,
    #[error("the approval expired on {expired}")]
    ApprovalExpired {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        #[serde(with = "iso_date")]
        expired: Date,
    },
    #[error("the document's terms are not accepted by {user}")]
    TermsNotAccepted { user: UserId },
    #[error("no valid NDA: {problem}")]
    NoValidNda { problem: NdaProblem },
}

impl Refusal {
    /// A short stable code for audit records and problem documents.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotRequested => "not-requested",
            Self::AwaitingApproval => "awaiting-approval",
            Self::Denied => "denied",
            Self::ApprovalExpired { .. } => "approval-expired",
            Self::TermsNotAccepted { .. } => "terms-not-accepted",
            Self::NoValidNda { .. } => "no-valid-nda",
        }
    }
}

/// What a download decision looks at.
#[derive(Clone, Copy, Debug)]
pub struct DownloadContext<'a> {
    /// The person downloading.
    pub user: &'a UserId,
    /// The tenant's latest request for the document, if any.
    pub request: Option<&'a AccessRequest>,
    /// Whether `user` accepted the document's terms.
    pub terms_accepted: bool,
    /// The tenant's enrolment, if it enrolled.
    pub enrolment: Option<&'a Enrolment>,
    pub today: Date,
}

/// Ok when the download may go ahead; otherwise every reason it may not, in a fixed order (request, terms,
/// NDA).
pub fn may_download(context: &DownloadContext<'_>) -> Result<(), Vec<Refusal>> {
    let mut refusals = Vec::new();
    match context.request {
        None => refusals.push(Refusal::NotRequested),
        Some(request) => match request.state {
            AccessState::Requested => refusals.push(Refusal::AwaitingApproval),
            AccessState::Denied => refusals.push(Refusal::Denied),
            AccessState::Approved => {
                if let Some(expired) = request.expires
                    && expired < context.today
                {
                    refusals.push(Refusal::ApprovalExpired { expired });
                }
            }
        },
    }
    if !context.terms_accepted {
        refusals.push(Refusal::TermsNotAccepted {
            user: context.user.clone(),
        });
    }
    if let Some(problem) = nda_problem(context.enrolment, context.today) {
        refusals.push(Refusal::NoValidNda { problem });
    }
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(refusals)
    }
}

/// The line stamped on every page of a downloaded PDF.
pub fn watermark_text(user: &UserId, tenant: &TenantId, at: OffsetDateTime) -> String {
    let at = crate::audit::format_instant(at);
    format!("Confidential - downloaded by {user} ({tenant}) at {at} - do not redistribute")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn request(state: AccessState, expires: Option<Date>) -> AccessRequest {
        AccessRequest {
            id: AccessRequestId::new("r1"),
            tenant: TenantId::new("northbank"),
            document: TrustDocumentId::new("d1"),
            state,
            justification: None,
            requested_by: UserId::new("co@northbank.example"),
            requested_at: datetime!(2026-01-05 10:00 UTC),
            decided_by: None,
            decided_at: None,
            expires,
            note: None,
        }
    }

    fn enrolment(state: EnrolmentState, nda: Option<Date>) -> Enrolment {
        let mut e = Enrolment::requested(TenantId::new("northbank"));
        e.state = state;
        e.nda_signed = nda;
        e
    }

    const TODAY: Date = date!(2026 - 03 - 01);

    fn check(
        request: Option<&AccessRequest>,
        terms: bool,
        enrolment: Option<&Enrolment>,
    ) -> Result<(), Vec<Refusal>> {
        let user = UserId::new("co@northbank.example");
        may_download(&DownloadContext {
            user: &user,
            request,
            terms_accepted: terms,
            enrolment,
            today: TODAY,
        })
    }

    #[test]
    fn everything_in_place_allows_the_download() {
        let r = request(AccessState::Approved, Some(TODAY));
        let e = enrolment(EnrolmentState::Active, Some(date!(2026 - 01 - 01)));
        assert_eq!(check(Some(&r), true, Some(&e)), Ok(()));
        let e = enrolment(EnrolmentState::NdaOnFile, Some(TODAY));
        assert_eq!(check(Some(&r), true, Some(&e)), Ok(()));
    }

    #[test]
    fn each_request_state_short_of_a_live_approval_is_named() {
        let e = enrolment(EnrolmentState::Active, Some(date!(2026 - 01 - 01)));
        let first = |r: Option<&AccessRequest>| check(r, true, Some(&e)).expect_err("refused");
        assert_eq!(first(None), vec![Refusal::NotRequested]);
        let r = request(AccessState::Requested, None);
        assert_eq!(first(Some(&r)), vec![Refusal::AwaitingApproval]);
        let r = request(AccessState::Denied, None);
        assert_eq!(first(Some(&r)), vec![Refusal::Denied]);
        let r = request(AccessState::Approved, Some(date!(2026 - 02 - 28)));
        assert_eq!(
            first(Some(&r)),
            vec![Refusal::ApprovalExpired {
                expired: date!(2026 - 02 - 28)
            }]
        );
    }

    #[test]
    fn terms_not_accepted_names_the_user() {
        let r = request(AccessState::Approved, None);
        let e = enrolment(EnrolmentState::Active, Some(date!(2026 - 01 - 01)));
        assert_eq!(
            check(Some(&r), false, Some(&e)),
            Err(vec![Refusal::TermsNotAccepted {
                user: UserId::new("co@northbank.example")
            }])
        );
    }

    #[test]
    fn every_nda_problem_is_named() {
        let r = request(AccessState::Approved, None);
        let nda = |e: Option<&Enrolment>| check(Some(&r), true, e).expect_err("refused");
        assert_eq!(
            nda(None),
            vec![Refusal::NoValidNda {
                problem: NdaProblem::NotEnrolled
            }]
        );
        let e = enrolment(EnrolmentState::Intake, Some(date!(2026 - 01 - 01)));
        assert_eq!(
            nda(Some(&e)),
            vec![Refusal::NoValidNda {
                problem: NdaProblem::EnrolmentNotOnFile {
                    state: EnrolmentState::Intake
                }
            }]
        );
        let e = enrolment(EnrolmentState::Active, None);
        assert_eq!(
            nda(Some(&e)),
            vec![Refusal::NoValidNda {
                problem: NdaProblem::NotSigned
            }]
        );
        let e = enrolment(EnrolmentState::NdaOnFile, Some(date!(2026 - 03 - 02)));
        assert_eq!(
            nda(Some(&e)),
            vec![Refusal::NoValidNda {
                problem: NdaProblem::SignedInFuture {
                    signed: date!(2026 - 03 - 02)
                }
            }]
        );
    }

    #[test]
    fn all_reasons_are_given_at_once_in_order() {
        let refusals = check(None, false, None).expect_err("refused");
        let codes: Vec<&str> = refusals.iter().map(Refusal::code).collect();
        assert_eq!(
            codes,
            vec!["not-requested", "terms-not-accepted", "no-valid-nda"]
        );
    }

    #[test]
    fn only_a_requested_request_is_decided_and_only_by_deciders() {
        let r = request(AccessState::Requested, None);
        assert_eq!(
            decide(
                &r,
                AccessDecision::Approve,
                Role::ProviderSecurityLead,
                None,
                TODAY
            ),
            Ok(AccessState::Approved)
        );
        assert_eq!(
            decide(&r, AccessDecision::Deny, Role::ProviderAdmin, None, TODAY),
            Ok(AccessState::Denied)
        );
        for role in Role::ALL {
            if !matches!(role, Role::ProviderAdmin | Role::ProviderSecurityLead) {
                assert_eq!(
                    decide(&r, AccessDecision::Approve, role, None, TODAY),
                    Err(AccessError::NotADecider(role.as_str()))
                );
            }
        }
        let done = request(AccessState::Denied, None);
        let err = decide(
            &done,
            AccessDecision::Approve,
            Role::ProviderAdmin,
            None,
            TODAY,
        )
        .expect_err("refused");
        assert_eq!(
            err.to_string(),
            "a request in state denied cannot be approved; allowed: none (final state)"
        );
        assert_eq!(
            decide(
                &r,
                AccessDecision::Approve,
                Role::ProviderAdmin,
                Some(date!(2026 - 02 - 01)),
                TODAY
            ),
            Err(AccessError::ExpiryInPast {
                expires: date!(2026 - 02 - 01),
                today: TODAY
            })
        );
    }

    #[test]
    fn a_new_request_waits_until_the_last_is_closed() {
        assert_eq!(may_request(&[], TODAY), Ok(()));
        let open = request(AccessState::Requested, None);
        assert!(matches!(
            may_request(std::slice::from_ref(&open), TODAY),
            Err(AccessError::AlreadyRequested { .. })
        ));
        let live = request(AccessState::Approved, None);
        assert!(may_request(&[live], TODAY).is_err());
        let lapsed = request(AccessState::Approved, Some(date!(2026 - 01 - 31)));
        let denied = request(AccessState::Denied, None);
        assert_eq!(may_request(&[lapsed, denied], TODAY), Ok(()));
    }

    #[test]
    fn document_problems_name_their_fields() {
        let doc = TrustDocument {
            id: TrustDocumentId::new("d"),
            title: " ".into(),
            kind: PackageKind::Certificate,
            issued: TODAY,
            period_start: Some(TODAY),
            period_end: Some(date!(2026 - 01 - 01)),
            terms: String::new(),
            digest: Digest::from_bytes([0; 32]),
            size: 0,
            media_type: "application/pdf".into(),
            file_name: String::new(),
            published_by: UserId::new("admin@provider.example"),
            published_at: datetime!(2026-01-01 0:00 UTC),
        };
        let fields: Vec<&str> = doc.problems().iter().map(DocumentProblem::field).collect();
        assert_eq!(fields, vec!["title", "terms", "period_end", "file_name"]);
        assert!(doc.is_pdf());
    }

    #[test]
    fn kinds_and_states_round_trip_their_names() {
        for k in PackageKind::ALL {
            assert_eq!(PackageKind::parse(k.as_str()), Some(k));
        }
        for s in AccessState::ALL {
            assert_eq!(AccessState::parse(s.as_str()), Some(s));
        }
        for d in AccessDecision::ALL {
            assert_eq!(AccessDecision::parse(d.as_str()), Some(d));
        }
    }
}
