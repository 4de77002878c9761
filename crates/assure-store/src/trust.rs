//! The trust center in the store: the [`TrustStore`] supertrait of [`crate::Store`] (implemented for both
//! backends by `trust_sql.rs`), its row types, and how they are named in the audit trail.
//!
//! Documents are the provider's (provider chain); requests, terms acceptances and download attempts are a
//! tenant's (that tenant's chain), scoped like every tenant-owned row: a foreign request is "not found".
//! A download attempt is a row of its own with the decision and every refusal reason, audited in the
//! tenant's chain, so a refused download leaves the same trace as a granted one.

use std::future::Future;

use assure_domain::trust::{
    AccessDecision, AccessRequest, AccessRequestId, AccessState, Refusal, TermsAcceptance,
    TrustDocument, TrustDocumentId,
};
use assure_domain::user::Role;
use assure_domain::{TenantId, UserId};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::objects::Audited;
use crate::{Actor, Result, TenantScope};

impl Audited for TrustDocument {
    const KIND: &'static str = "trust-document";
    fn object_id(&self) -> String {
        self.id.to_string()
    }
}

impl Audited for AccessRequest {
    const KIND: &'static str = "trust-access-request";
    fn object_id(&self) -> String {
        self.id.to_string()
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
}

impl Audited for TermsAcceptance {
    const KIND: &'static str = "trust-terms-acceptance";
    fn object_id(&self) -> String {
        format!("{}:{}", self.document, self.user)
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
}

/// One download attempt, granted or refused, as the tenant's audit trail keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadAttempt {
    pub id: String,
    pub tenant: TenantId,
    pub document: TrustDocumentId,
    pub user: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub granted: bool,
    /// Every reason a refused attempt was refused; empty when granted.
    pub refusals: Vec<Refusal>,
}

impl Audited for DownloadAttempt {
    const KIND: &'static str = "trust-download";
    fn object_id(&self) -> String {
        self.id.clone()
    }
    fn tenant(&self) -> Option<TenantId> {
        Some(self.tenant.clone())
    }
    fn event(&self, actor: &str, _verb: &str) -> assure_domain::audit::AuditEvent {
        assure_domain::audit::AuditEvent {
            actor: actor.to_owned(),
            tenant: Some(self.tenant.clone()),
            action: if self.granted {
                "trust-download.granted".to_owned()
            } else {
                "trust-download.refused".to_owned()
            },
            object_kind: Self::KIND.to_owned(),
            object_id: self.object_id(),
            state_digest: Some(assure_domain::audit::state_digest(self)),
        }
    }
}

/// A tenant's new request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccessRequest {
    pub tenant: TenantId,
    pub document: TrustDocumentId,
    pub requested_by: UserId,
    pub justification: Option<String>,
}

/// A decision on a request, by a provider admin or security lead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessDecisionInput {
    pub decision: AccessDecision,
    /// The decider's role; the domain refuses anyone who may not decide.
    pub role: Role,
    pub decided_by: UserId,
    /// The last day an approval holds.
    pub expires: Option<Date>,
    pub note: Option<String>,
}

/// Filter for requests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessRequestQuery {
    pub tenant: Option<TenantId>,
    pub document: Option<TrustDocumentId>,
    pub state: Option<AccessState>,
}

/// What a download decision reads from the store: the tenant's latest request for the document and
/// whether the user accepted its terms. (The enrolment, for the NDA, is read beside it.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadStanding {
    pub document: TrustDocument,
    pub latest_request: Option<AccessRequest>,
    pub terms_accepted: bool,
}

/// Trust-center use cases; see the module documentation.
pub trait TrustStore: Send + Sync {
    /// Publishes a document whose bytes are already stored under its digest (audited on the provider's
    /// chain). `Conflict` when the ID exists.
    fn publish_trust_document(
        &self,
        actor: &Actor,
        document: &TrustDocument,
    ) -> impl Future<Output = Result<TrustDocument>> + Send;
    /// Every published document, newest first: every customer sees the listing.
    fn list_trust_documents(&self) -> impl Future<Output = Result<Vec<TrustDocument>>> + Send;
    fn get_trust_document(
        &self,
        id: &TrustDocumentId,
    ) -> impl Future<Output = Result<Option<TrustDocument>>> + Send;
    /// Files a tenant's request (audited in its chain); `NotFound` for a tenant outside the scope or an
    /// unknown document, `Trust(AlreadyRequested)` while an earlier one is open or granting.
    fn request_trust_access(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        request: &NewAccessRequest,
    ) -> impl Future<Output = Result<AccessRequest>> + Send;
    /// Requests the scope admits, newest first.
    fn list_trust_requests(
        &self,
        scope: &TenantScope,
        query: &AccessRequestQuery,
    ) -> impl Future<Output = Result<Vec<AccessRequest>>> + Send;
    fn get_trust_request(
        &self,
        scope: &TenantScope,
        id: &AccessRequestId,
    ) -> impl Future<Output = Result<Option<AccessRequest>>> + Send;
    /// Approves or denies a request (the domain's `decide`; audited).
    fn decide_trust_request(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &AccessRequestId,
        decision: &AccessDecisionInput,
    ) -> impl Future<Output = Result<AccessRequest>> + Send;
    /// Records that `user` of `tenant` accepted the document's terms (audited once; a repeat returns the
    /// first acceptance).
    fn accept_trust_terms(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
        document: &TrustDocumentId,
        user: &UserId,
    ) -> impl Future<Output = Result<TermsAcceptance>> + Send;
    /// Acceptances of the tenants the scope admits.
    fn list_trust_terms(
        &self,
        scope: &TenantScope,
        tenant: Option<&TenantId>,
    ) -> impl Future<Output = Result<Vec<TermsAcceptance>>> + Send;
    /// What the download decision needs from the store; `NotFound` for a tenant outside the scope or an
    /// unknown document.
    fn trust_download_standing(
        &self,
        scope: &TenantScope,
        tenant: &TenantId,
        document: &TrustDocumentId,
        user: &UserId,
    ) -> impl Future<Output = Result<DownloadStanding>> + Send;
    /// Records a download attempt, granted or refused with its reasons, in the tenant's audit trail.
    fn record_trust_download(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        attempt: &DownloadAttempt,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Download attempts of the tenants the scope admits, newest first.
    fn list_trust_downloads(
        &self,
        scope: &TenantScope,
        tenant: Option<&TenantId>,
    ) -> impl Future<Output = Result<Vec<DownloadAttempt>>> + Send;
}

/// What [`attempt_download`] decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DownloadDecision {
    /// The download may go ahead: serve this document's bytes, watermarked for the attempt's user and
    /// instant.
    Granted(Box<TrustDocument>, DownloadAttempt),
    /// Refused, with every reason; the attempt is recorded all the same.
    Refused(DownloadAttempt),
}

/// Decides a download and records the attempt, granted or refused, in the tenant's audit trail before
/// any byte is served. Reads the tenant's latest request, the user's terms acceptance and the tenant's
/// enrolment (for the NDA), then applies [`assure_domain::trust::may_download`]. `NotFound` for a tenant
/// outside the scope or an unknown document (nothing is recorded then: there is no tenant trail to write).
pub async fn attempt_download<S: crate::Store>(
    store: &S,
    scope: &TenantScope,
    actor: &Actor,
    tenant: &TenantId,
    document: &TrustDocumentId,
    user: &UserId,
    at: OffsetDateTime,
) -> Result<DownloadDecision> {
    let standing = store
        .trust_download_standing(scope, tenant, document, user)
        .await?;
    let enrolment = store.get_enrolment(scope, tenant).await?;
    let context = assure_domain::trust::DownloadContext {
        user,
        request: standing.latest_request.as_ref(),
        terms_accepted: standing.terms_accepted,
        enrolment: enrolment.as_ref(),
        today: at.date(),
    };
    let refusals = match assure_domain::trust::may_download(&context) {
        Ok(()) => Vec::new(),
        Err(refusals) => refusals,
    };
    let attempt = DownloadAttempt {
        id: uuid::Uuid::now_v7().to_string(),
        tenant: tenant.clone(),
        document: document.clone(),
        user: user.clone(),
        at,
        granted: refusals.is_empty(),
        refusals,
    };
    store.record_trust_download(scope, actor, &attempt).await?;
    Ok(if attempt.granted {
        DownloadDecision::Granted(Box::new(standing.document), attempt)
    } else {
        DownloadDecision::Refused(attempt)
    })
}
