//! The trust center end to end over SQLite and a local blob store: a download without approval, terms or
//! a valid NDA is refused and audited; with all three the PDF comes back watermarked with the requester
//! and the instant.

use assure_domain::audit::ChainId;
use assure_domain::enrolment::{EnrolmentStep, INTAKE_CONTACTS, Intake};
use assure_domain::tenant::{Contact, ProcessingRole};
use assure_domain::trust::{AccessDecision, NdaProblem, PackageKind, Refusal};
use assure_domain::user::Role;
use assure_domain::{TenantId, UserId};
use assure_evidence::trust::{NewTrustDocument, TrustDownload, TrustLibrary};
use assure_evidence::{BlobStore, MasterKey};
use assure_store::trust::{AccessDecisionInput, NewAccessRequest};
use assure_store::{Actor, EngagementStore, SqliteStore, Store, TenantScope, TrustStore};
use bytes::Bytes;

#[tokio::test]
async fn a_download_is_refused_and_audited_until_approval_terms_and_nda_then_watermarked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("assure.db").display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    let programme = assure_content::demo().expect("demo content");
    let system = Actor::system("test");
    store
        .import_programme(&system, &programme)
        .await
        .expect("import");
    let blobs = BlobStore::local(&dir.path().join("evidence")).expect("blobs");
    let master = MasterKey::from_hex(&"11".repeat(32), "test").expect("key");
    let library = TrustLibrary::new(store.clone(), blobs, &master, 1 << 20).expect("library");

    let admin = Actor("admin@provider.example".into());
    let pdf = assure_reports::trust_pdf::text_pdf(
        "Penetration-test summary 2026",
        &["No critical findings remain open."],
    )
    .expect("pdf");
    let doc = library
        .publish(
            &admin,
            NewTrustDocument {
                title: "Penetration-test summary 2026".into(),
                kind: PackageKind::PenetrationTestSummary,
                issued: time::macros::date!(2026 - 01 - 15),
                period_start: None,
                period_end: None,
                terms: "Confidential.".into(),
                media_type: "application/pdf".into(),
                file_name: "pentest-2026.pdf".into(),
                published_by: UserId::new("admin@provider.example"),
            },
            Bytes::from(pdf),
        )
        .await
        .expect("published");

    let tenant = TenantId::new("northbank");
    let scope = TenantScope::Tenant(tenant.clone());
    let user = UserId::new("co@northbank.example");
    let customer = Actor(user.to_string());
    let refusals = |d: TrustDownload| match d {
        TrustDownload::Refused(a) => a.refusals,
        TrustDownload::Granted { .. } => panic!("granted too early"),
    };

    // Nothing in place: every reason at once.
    let first = library
        .download(&scope, &customer, &tenant, &doc.id, &user)
        .await
        .expect("decided");
    let reasons = refusals(first);
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert_eq!(reasons[0], Refusal::NotRequested);

    // Requested, terms accepted, still no approval and no NDA.
    let request = store
        .request_trust_access(
            &scope,
            &customer,
            &NewAccessRequest {
                tenant: tenant.clone(),
                document: doc.id.clone(),
                requested_by: user.clone(),
                justification: None,
            },
        )
        .await
        .expect("requested");
    store
        .accept_trust_terms(&scope, &customer, &tenant, &doc.id, &user)
        .await
        .expect("accepted");
    let reasons = refusals(
        library
            .download(&scope, &customer, &tenant, &doc.id, &user)
            .await
            .expect("decided"),
    );
    assert_eq!(
        reasons,
        vec![
            Refusal::AwaitingApproval,
            Refusal::NoValidNda {
                problem: NdaProblem::NotEnrolled
            }
        ]
    );

    // Approved: refused for the NDA alone.
    store
        .decide_trust_request(
            &TenantScope::AllTenants,
            &admin,
            &request.id,
            &AccessDecisionInput {
                decision: AccessDecision::Approve,
                role: Role::ProviderSecurityLead,
                decided_by: UserId::new("lead@provider.example"),
                expires: None,
                note: None,
            },
        )
        .await
        .expect("approved");
    let reasons = refusals(
        library
            .download(&scope, &customer, &tenant, &doc.id, &user)
            .await
            .expect("decided"),
    );
    assert_eq!(
        reasons,
        vec![Refusal::NoValidNda {
            problem: NdaProblem::NotEnrolled
        }]
    );

    // The NDA on file: granted, watermarked.
    let all = TenantScope::AllTenants;
    let today = time::OffsetDateTime::now_utc().date();
    store
        .request_enrolment(&all, &system, &tenant)
        .await
        .expect("enrol");
    store
        .transition_enrolment(
            &all,
            &system,
            &tenant,
            EnrolmentStep::StartIntake,
            None,
            today,
        )
        .await
        .expect("intake");
    let intake = Intake {
        contract_ref: Some("MC-1".into()),
        contract_ends: None,
        processing_role: Some(ProcessingRole::Controller),
        regions: vec!["eu-west".into()],
        contacts: INTAKE_CONTACTS
            .into_iter()
            .map(|role| Contact {
                role,
                name: "Test".into(),
                email: format!("{}@northbank.example", role.as_str()),
            })
            .collect(),
    };
    store
        .update_intake(&all, &system, &tenant, &intake)
        .await
        .expect("intake recorded");
    store
        .transition_enrolment(
            &all,
            &system,
            &tenant,
            EnrolmentStep::RecordNda,
            Some(today),
            today,
        )
        .await
        .expect("nda on file");
    let granted = library
        .download(&scope, &customer, &tenant, &doc.id, &user)
        .await
        .expect("decided");
    let TrustDownload::Granted {
        bytes,
        watermarked,
        attempt,
        ..
    } = granted
    else {
        panic!("refused with the NDA on file");
    };
    assert!(watermarked);
    let instant = assure_domain::audit::format_instant(attempt.at);
    let pages = assure_reports::trust_pdf::pdf_page_texts(&bytes).expect("text");
    for page in &pages {
        assert!(page.contains("co@northbank.example"), "{page}");
        assert!(page.contains(&instant), "{page}");
    }

    // Every attempt is in the tenant's chain: three refused, one granted.
    let records = store
        .audit_records(&scope, &ChainId::for_tenant(Some(&tenant)))
        .await
        .expect("records");
    let count = |action: &str| records.iter().filter(|r| r.event.action == action).count();
    assert_eq!(count("trust-download.refused"), 3);
    assert_eq!(count("trust-download.granted"), 1);

    // A foreign tenant's scope cannot even ask.
    let other = TenantScope::Tenant(TenantId::new("brightpath"));
    assert!(
        library
            .download(&other, &customer, &tenant, &doc.id, &user)
            .await
            .is_err()
    );
}
