//! The trust-center part of the story: publishing, the listing, requests and their isolation, decisions
//! and illegal ones, terms, download standing, attempts granted and refused, and an intact audit trail.

use assure_domain::TenantId;
use assure_domain::evidence::Digest;
use assure_domain::trust::{
    AccessDecision, AccessError, AccessRequestId, AccessState, NdaProblem, PackageKind, Refusal,
    TrustDocument, TrustDocumentId,
};
use assure_domain::user::Role;

use super::{Story, StoryFailure, check, db, hex_of};
use crate::audit::verify;
use crate::trust::{AccessDecisionInput, AccessRequestQuery, DownloadAttempt, NewAccessRequest};
use crate::{Actor, Store, StoreError, TenantScope};

pub(super) async fn trust_story<S: Store>(
    s: &mut Story,
    store: &S,
    actor: &Actor,
    mine: &TenantId,
    theirs: &TenantId,
) -> Result<(), StoryFailure> {
    let my_scope = TenantScope::Tenant(mine.clone());
    let their_scope = TenantScope::Tenant(theirs.clone());
    let all = TenantScope::AllTenants;
    let user = assure_domain::UserId::new("co@story.example");

    s.step("publish_trust_document");
    let doc = TrustDocument {
        id: TrustDocumentId::new("story-pentest-2026"),
        title: "Penetration-test summary 2026".into(),
        kind: PackageKind::PenetrationTestSummary,
        issued: time::macros::date!(2026 - 01 - 15),
        period_start: None,
        period_end: None,
        terms: "Confidential; do not redistribute.".into(),
        digest: Digest::from_bytes([7; 32]),
        size: 1234,
        media_type: "application/pdf".into(),
        file_name: "pentest-2026.pdf".into(),
        published_by: assure_domain::UserId::new("admin@provider.example"),
        published_at: time::OffsetDateTime::now_utc(),
    };
    let published = store
        .publish_trust_document(actor, &doc)
        .await
        .map_err(db("publish_trust_document"))?;
    check(
        "publish_trust_document",
        matches!(
            store.publish_trust_document(actor, &doc).await,
            Err(StoreError::Conflict(_))
        ),
        "a second document with the same ID is refused",
    )?;
    let mut blank = doc.clone();
    blank.id = TrustDocumentId::new("story-blank");
    blank.terms = " ".into();
    check(
        "publish_trust_document",
        store.publish_trust_document(actor, &blank).await.is_err(),
        "a document without terms is refused",
    )?;

    s.step("list_trust_documents");
    let listed = store
        .list_trust_documents()
        .await
        .map_err(db("list_trust_documents"))?;
    check(
        "list_trust_documents",
        listed == vec![published.clone()],
        format!("the listing holds the one document: {listed:?}"),
    )?;
    s.step("get_trust_document");
    check(
        "get_trust_document",
        store
            .get_trust_document(&doc.id)
            .await
            .map_err(db("get_trust_document"))?
            == Some(published.clone())
            && store
                .get_trust_document(&TrustDocumentId::new("nope"))
                .await
                .map_err(db("get_trust_document"))?
                .is_none(),
        "a document reads back; an unknown one is none",
    )?;

    s.step("trust_download_standing");
    let standing = store
        .trust_download_standing(&my_scope, mine, &doc.id, &user)
        .await
        .map_err(db("trust_download_standing"))?;
    check(
        "trust_download_standing",
        standing.latest_request.is_none() && !standing.terms_accepted,
        "nothing requested or accepted yet",
    )?;
    check(
        "trust_download_standing",
        matches!(
            store
                .trust_download_standing(&their_scope, mine, &doc.id, &user)
                .await,
            Err(StoreError::NotFound(_))
        ),
        "a foreign tenant's standing is not found",
    )?;

    s.step("request_trust_access");
    let new = NewAccessRequest {
        tenant: mine.clone(),
        document: doc.id.clone(),
        requested_by: user.clone(),
        justification: Some("vendor review".into()),
    };
    let request = store
        .request_trust_access(&my_scope, actor, &new)
        .await
        .map_err(db("request_trust_access"))?;
    check(
        "request_trust_access",
        request.state == AccessState::Requested,
        "a new request waits",
    )?;
    check(
        "request_trust_access",
        matches!(
            store.request_trust_access(&my_scope, actor, &new).await,
            Err(StoreError::Trust(AccessError::AlreadyRequested { .. }))
        ),
        "a second request while one is open is refused",
    )?;
    check(
        "request_trust_access",
        matches!(
            store.request_trust_access(&their_scope, actor, &new).await,
            Err(StoreError::NotFound(_))
        ),
        "a request for a foreign tenant is not found",
    )?;

    s.step("get_trust_request");
    check(
        "get_trust_request",
        store
            .get_trust_request(&my_scope, &request.id)
            .await
            .map_err(db("get_trust_request"))?
            == Some(request.clone())
            && store
                .get_trust_request(&their_scope, &request.id)
                .await
                .map_err(db("get_trust_request"))?
                .is_none(),
        "a request reads back in its tenant's scope only",
    )?;
    s.step("list_trust_requests");
    let waiting = AccessRequestQuery {
        state: Some(AccessState::Requested),
        ..AccessRequestQuery::default()
    };
    check(
        "list_trust_requests",
        store
            .list_trust_requests(&all, &waiting)
            .await
            .map_err(db("list_trust_requests"))?
            .len()
            == 1
            && store
                .list_trust_requests(&their_scope, &AccessRequestQuery::default())
                .await
                .map_err(db("list_trust_requests"))?
                .is_empty(),
        "the provider sees the waiting request; the other tenant none",
    )?;

    s.step("decide_trust_request");
    let approve = AccessDecisionInput {
        decision: AccessDecision::Approve,
        role: Role::ProviderSecurityLead,
        decided_by: assure_domain::UserId::new("lead@provider.example"),
        expires: None,
        note: Some("standard terms".into()),
    };
    check(
        "decide_trust_request",
        matches!(
            store
                .decide_trust_request(&their_scope, actor, &request.id, &approve)
                .await,
            Err(StoreError::NotFound(_))
        ),
        "a foreign tenant's request is not found",
    )?;
    let mut by_viewer = approve.clone();
    by_viewer.role = Role::CustomerViewer;
    check(
        "decide_trust_request",
        matches!(
            store
                .decide_trust_request(&all, actor, &request.id, &by_viewer)
                .await,
            Err(StoreError::Trust(AccessError::NotADecider(_)))
        ),
        "only deciders decide",
    )?;
    let approved = store
        .decide_trust_request(&all, actor, &request.id, &approve)
        .await
        .map_err(db("decide_trust_request"))?;
    check(
        "decide_trust_request",
        approved.state == AccessState::Approved && approved.decided_by.is_some(),
        "the request is approved",
    )?;
    check(
        "decide_trust_request",
        matches!(
            store
                .decide_trust_request(&all, actor, &request.id, &approve)
                .await,
            Err(StoreError::Trust(AccessError::Illegal { .. }))
        ),
        "a decided request is not decided again",
    )?;
    check(
        "decide_trust_request",
        matches!(
            store
                .decide_trust_request(&all, actor, &AccessRequestId::new("nope"), &approve)
                .await,
            Err(StoreError::NotFound(_))
        ),
        "an unknown request is not found",
    )?;

    s.step("accept_trust_terms");
    let accepted = store
        .accept_trust_terms(&my_scope, actor, mine, &doc.id, &user)
        .await
        .map_err(db("accept_trust_terms"))?;
    let again = store
        .accept_trust_terms(&my_scope, actor, mine, &doc.id, &user)
        .await
        .map_err(db("accept_trust_terms"))?;
    check(
        "accept_trust_terms",
        accepted == again,
        "accepting twice keeps the first acceptance",
    )?;
    check(
        "accept_trust_terms",
        matches!(
            store
                .accept_trust_terms(&their_scope, actor, mine, &doc.id, &user)
                .await,
            Err(StoreError::NotFound(_))
        ),
        "accepting for a foreign tenant is not found",
    )?;
    s.step("list_trust_terms");
    check(
        "list_trust_terms",
        store
            .list_trust_terms(&my_scope, None)
            .await
            .map_err(db("list_trust_terms"))?
            == vec![accepted.clone()]
            && store
                .list_trust_terms(&their_scope, None)
                .await
                .map_err(db("list_trust_terms"))?
                .is_empty(),
        "acceptances are scoped",
    )?;
    let standing = store
        .trust_download_standing(&my_scope, mine, &doc.id, &user)
        .await
        .map_err(db("trust_download_standing"))?;
    check(
        "trust_download_standing",
        standing.latest_request == Some(approved.clone()) && standing.terms_accepted,
        "the standing shows the approval and the terms",
    )?;

    s.step("record_trust_download");
    let refused = DownloadAttempt {
        id: uuid::Uuid::now_v7().to_string(),
        tenant: mine.clone(),
        document: doc.id.clone(),
        user: user.clone(),
        at: time::OffsetDateTime::now_utc(),
        granted: false,
        refusals: vec![Refusal::NoValidNda {
            problem: NdaProblem::NotEnrolled,
        }],
    };
    store
        .record_trust_download(&my_scope, actor, &refused)
        .await
        .map_err(db("record_trust_download"))?;
    let mut granted = refused.clone();
    granted.id = uuid::Uuid::now_v7().to_string();
    granted.granted = true;
    granted.refusals.clear();
    store
        .record_trust_download(&my_scope, actor, &granted)
        .await
        .map_err(db("record_trust_download"))?;
    check(
        "record_trust_download",
        matches!(
            store
                .record_trust_download(&their_scope, actor, &refused)
                .await,
            Err(StoreError::NotFound(_))
        ),
        "an attempt for a foreign tenant is not found",
    )?;
    s.step("list_trust_downloads");
    let attempts = store
        .list_trust_downloads(&all, Some(mine))
        .await
        .map_err(db("list_trust_downloads"))?;
    check(
        "list_trust_downloads",
        attempts.len() == 2
            && attempts.iter().any(|a| !a.granted && a.refusals.len() == 1)
            && store
                .list_trust_downloads(&their_scope, None)
                .await
                .map_err(db("list_trust_downloads"))?
                .is_empty(),
        "both attempts are kept with their reasons, in the tenant's scope only",
    )?;
    let records = store
        .audit_records(
            &my_scope,
            &assure_domain::audit::ChainId::for_tenant(Some(mine)),
        )
        .await
        .map_err(db("audit_records"))?;
    let actions: Vec<&str> = records.iter().map(|r| r.event.action.as_str()).collect();
    check(
        "record_trust_download",
        [
            "trust-access-request.request",
            "trust-access-request.approve",
            "trust-terms-acceptance.accept",
            "trust-download.refused",
            "trust-download.granted",
        ]
        .iter()
        .all(|a| actions.contains(a)),
        format!("the tenant's chain records each step: {actions:?}"),
    )?;
    // The composed decision: without a request (and terms) refused and audited; with the approval and
    // the terms, granted exactly when the tenant's enrolment holds a valid NDA.
    let now = time::OffsetDateTime::now_utc();
    let theirs_user = assure_domain::UserId::new("viewer@theirs.example");
    match crate::trust::attempt_download(
        store,
        &their_scope,
        actor,
        theirs,
        &doc.id,
        &theirs_user,
        now,
    )
    .await
    .map_err(db("attempt_download"))?
    {
        crate::trust::DownloadDecision::Refused(a) => check(
            "attempt_download",
            a.refusals.contains(&Refusal::NotRequested)
                && a.refusals
                    .iter()
                    .any(|r| matches!(r, Refusal::TermsNotAccepted { .. })),
            format!("refused for no request and no terms: {:?}", a.refusals),
        )?,
        crate::trust::DownloadDecision::Granted(..) => {
            return Err(StoryFailure {
                step: "attempt_download",
                message: "granted without a request".into(),
            });
        }
    }
    check(
        "attempt_download",
        store
            .list_trust_downloads(&their_scope, None)
            .await
            .map_err(db("list_trust_downloads"))?
            .iter()
            .any(|a| !a.granted),
        "the refused attempt is kept in the other tenant's trail",
    )?;
    let enrolment = store
        .get_enrolment(&my_scope, mine)
        .await
        .map_err(db("get_enrolment"))?;
    let nda = assure_domain::trust::nda_problem(enrolment.as_ref(), now.date());
    let decision =
        crate::trust::attempt_download(store, &my_scope, actor, mine, &doc.id, &user, now)
            .await
            .map_err(db("attempt_download"))?;
    check(
        "attempt_download",
        match (&decision, &nda) {
            (crate::trust::DownloadDecision::Granted(d, _), None) => d.id == doc.id,
            (crate::trust::DownloadDecision::Refused(a), Some(problem)) => {
                a.refusals
                    == vec![Refusal::NoValidNda {
                        problem: problem.clone(),
                    }]
            }
            _ => false,
        },
        format!("decided by the NDA alone ({nda:?}): {decision:?}"),
    )?;

    let report = verify(store, &all, |c| c.signature == hex_of(&c.signed_message()))
        .await
        .map_err(db("verify"))?;
    check(
        "verify",
        report.is_intact(),
        format!(
            "the trail verifies after the trust center: {:?} {:?}",
            report.breaks, report.mismatches
        ),
    )?;
    Ok(())
}
