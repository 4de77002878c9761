//! Demo engagements and trust-center documents, loaded at init through the store's own methods (so the
//! tier rules, state machines and audit apply as they do for anyone): enrolments in every state, one
//! engagement of each tier in a different state, and the provider's trust-center documents with a
//! pending and an approved request.
//!
//! - northbank: a third-party assessment in fieldwork, Eleanor Voss of Harbour Assurance assigned, some
//!   answers citing evidence, three test results with samples (one ineffective);
//! - brightpath: a self-attestation, answered and signed by its compliance officer;
//! - lionrock: managed assurance, still in scoping;
//! - the provider's own tests of the controls northbank and brightpath inherit, over the last year, which
//!   both engagements reuse.
//!
//! Enrolments: those three and mercyvale are active or have the NDA on file; kestrel-telecom is at intake
//! (its NDA is still with legal); ravensberg has not asked to enrol. Dates are relative to the day of
//! `assure init`, so the demo reads the same whenever it is set up.

use assure_domain::cycle::ProviderTest;
use assure_domain::engagement::{EngagementPeriod, EngagementStep, Scope, Tier};
use assure_domain::enrolment::EnrolmentStep;
use assure_domain::evidence::{EvidenceId, EvidenceKind};
use assure_domain::programme::Programme;
use assure_domain::questionnaire::{Answer, Response, questions};
use assure_domain::testing::{ControlTest, Sample, TestMethod, TestResult, draw_sample};
use assure_domain::trust::{AccessDecision, PackageKind};
use assure_domain::user::{Role, User};
use assure_domain::{EngagementId, TenantId, UserId};
use assure_evidence::trust::NewTrustDocument;
use assure_store::engagement::{NewEngagement, in_scope};
use assure_store::trust::{AccessDecisionInput, NewAccessRequest};
use assure_store::{Actor, EvidenceQuery, Store, TenantScope};
use time::{Duration, OffsetDateTime};

use crate::Failure;
use crate::settings::Settings;

/// The demo's engagement IDs, by tenant.
pub const NORTHBANK: &str = "northbank-third-party";
pub const BRIGHTPATH: &str = "brightpath-self-attestation";
pub const LIONROCK: &str = "lionrock-managed";

const LEAD: &str = "security-lead@contour.example";
const ASSESSOR: &str = "eleanor.voss@harbour-assurance.example";
const FIRM: &str = "harbour-assurance";

fn failed(what: &str) -> impl Fn(assure_store::StoreError) -> Failure + '_ {
    move |e| Failure::Other(anyhow::anyhow!("demo {what}: {e}"))
}

async fn user<S: Store>(store: &S, id: &str) -> Result<User, Failure> {
    store
        .get_user(&UserId::from(id))
        .await?
        .ok_or_else(|| Failure::Other(anyhow::anyhow!("the demo has no user {id}")))
}

/// How far a demo tenant's enrolment goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    Intake,
    NdaOnFile,
    Active,
}

/// Loads the demo enrolments, engagements and trust center; returns a summary for the init line.
pub async fn load<S: Store>(
    store: &S,
    settings: &Settings,
    programme: &Programme,
) -> Result<String, Failure> {
    let all = TenantScope::AllTenants;
    let lead = user(store, LEAD).await?;
    let by_lead = Actor(format!("user:{}", lead.id));
    let today = OffsetDateTime::now_utc().date();

    let plan = [
        ("northbank", Reach::Active),
        ("brightpath", Reach::Active),
        ("lionrock", Reach::Active),
        ("mercyvale", Reach::NdaOnFile),
        ("kestrel-telecom", Reach::Intake),
    ];
    let mut enrolled = 0;
    for (id, reach) in plan {
        let Some(tenant) = programme.tenants.iter().find(|t| t.id.as_str() == id) else {
            continue;
        };
        let t = &tenant.id;
        store
            .request_enrolment(&all, &by_lead, t)
            .await
            .map_err(failed("enrolment"))?;
        let mut intake = super::engagements::intake_of(tenant);
        if reach == Reach::Intake {
            // The NDA is still with legal; the intake itself is complete.
            intake.contract_ends = Some(today + Duration::days(700));
        }
        store
            .update_intake(&all, &by_lead, t, &intake)
            .await
            .map_err(failed("intake"))?;
        store
            .transition_enrolment(&all, &by_lead, t, EnrolmentStep::StartIntake, None, today)
            .await
            .map_err(failed("intake"))?;
        enrolled += 1;
        let Some(nda) = tenant.nda_signed.filter(|_| reach != Reach::Intake) else {
            continue;
        };
        store
            .transition_enrolment(
                &all,
                &by_lead,
                t,
                EnrolmentStep::RecordNda,
                Some(nda),
                today,
            )
            .await
            .map_err(failed("NDA"))?;
        if reach == Reach::Active {
            store
                .transition_enrolment(&all, &by_lead, t, EnrolmentStep::Activate, None, today)
                .await
                .map_err(failed("activation"))?;
        }
    }

    let mut engagements = 0;
    if programme
        .tenants
        .iter()
        .any(|t| t.id.as_str() == "northbank")
    {
        northbank(store, &lead, today).await?;
        engagements += 1;
    }
    if programme
        .tenants
        .iter()
        .any(|t| t.id.as_str() == "brightpath")
    {
        brightpath(store, &lead, today).await?;
        engagements += 1;
    }
    let provider_tests = provider_tests(store, today).await?;
    if programme
        .tenants
        .iter()
        .any(|t| t.id.as_str() == "lionrock")
    {
        store
            .create_engagement(
                &all,
                &by_lead,
                &NewEngagement {
                    id: LIONROCK.into(),
                    tenant: "lionrock".into(),
                    tier: Tier::ManagedAssurance,
                    scope: Scope {
                        services: Vec::new(),
                        regions: vec!["sg-central".into()],
                        frameworks: vec!["mas-trm".into()],
                        period: EngagementPeriod::Period {
                            start: today,
                            end: today + Duration::days(364),
                        },
                    },
                },
                today,
            )
            .await
            .map_err(failed("lionrock engagement"))?;
        engagements += 1;
    }
    let documents = trust_center(store, settings, &lead, today).await?;
    Ok(format!(
        "{enrolled} demo enrolments, {engagements} demo engagements, {provider_tests} provider tests of \
         inherited controls, {documents} trust-center documents"
    ))
}

/// The provider's tests of the controls northbank and brightpath inherit, over the last year: done once,
/// each reused by both engagements (lionrock's year has not run yet, so it reuses none).
async fn provider_tests<S: Store>(store: &S, today: time::Date) -> Result<usize, Failure> {
    let all = TenantScope::AllTenants;
    let lead = Actor(format!("user:{LEAD}"));
    let mut inherited = std::collections::BTreeSet::new();
    for id in [NORTHBANK, BRIGHTPATH] {
        if let Ok((_, controls)) = in_scope(store, &all, &EngagementId::from(id)).await {
            inherited.extend(
                controls
                    .into_iter()
                    .filter(|c| c.inherited())
                    .map(|c| c.control),
            );
        }
    }
    let period = EngagementPeriod::Period {
        start: today - Duration::days(365),
        end: today - Duration::days(1),
    };
    let mut recorded = 0;
    for control in inherited {
        let seed = format!("provider:{control}:demo");
        let items = draw_sample(365, 25, &seed)
            .map_err(|e| Failure::Other(anyhow::anyhow!("demo sample: {e}")))?;
        let test = ProviderTest {
            period,
            test: ControlTest {
                engagement: ProviderTest::assessment(&period),
                control: control.clone(),
                method: TestMethod::Inspection,
                sample: Some(Sample {
                    population_description: "operating days of the year".into(),
                    population: 365,
                    size: 25,
                    seed,
                    items,
                    deviations: Vec::new(),
                }),
                result: TestResult::Effective,
                notes: "Tested by the provider's internal audit on the production estate.".into(),
                evidence: Vec::new(),
                tester: UserId::from(LEAD),
                recorded_at: OffsetDateTime::now_utc(),
            },
        };
        assure_store::engagement::record_provider_test(
            store,
            &lead,
            &test,
            &assure_domain::finding::FindingId::new(format!("F-PROV-{control}")),
        )
        .await
        .map_err(failed("provider test"))?;
        recorded += 1;
    }
    Ok(recorded)
}

/// The evidence IDs of a tenant, by kind.
async fn evidence_of<S: Store>(
    store: &S,
    tenant: &TenantId,
    kind: EvidenceKind,
) -> Result<Vec<EvidenceId>, Failure> {
    let mut q = EvidenceQuery::current(tenant.clone());
    q.kind = Some(kind);
    Ok(store
        .list_evidence(&TenantScope::AllTenants, &q)
        .await?
        .items
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// Northbank: a third-party assessment of the last half year, in fieldwork.
async fn northbank<S: Store>(store: &S, lead: &User, today: time::Date) -> Result<(), Failure> {
    let all = TenantScope::AllTenants;
    let by_lead = Actor(format!("user:{}", lead.id));
    let id = EngagementId::from(NORTHBANK);
    let tenant = TenantId::from("northbank");
    store
        .create_engagement(
            &all,
            &by_lead,
            &NewEngagement {
                id: id.clone(),
                tenant: tenant.clone(),
                tier: Tier::ThirdPartyAssessment,
                scope: Scope {
                    services: Vec::new(),
                    regions: vec!["uk-south".into(), "eu-west".into()],
                    frameworks: vec!["iso27001-2022".into()],
                    period: EngagementPeriod::Period {
                        start: today - Duration::days(183),
                        end: today - Duration::days(1),
                    },
                },
            },
            today,
        )
        .await
        .map_err(failed("northbank engagement"))?;
    store
        .assign_assessors(&all, &by_lead, &id, &FIRM.into(), &[UserId::from(ASSESSOR)])
        .await
        .map_err(failed("northbank assignment"))?;
    store
        .transition_engagement(&all, lead, &id, EngagementStep::StartFieldwork)
        .await
        .map_err(failed("northbank fieldwork"))?;

    let (_, controls) = in_scope(store, &all, &id)
        .await
        .map_err(failed("northbank scope"))?;
    let qs = questions(&controls);
    let policy = evidence_of(store, &tenant, EvidenceKind::Policy).await?;
    let access_log = evidence_of(store, &tenant, EvidenceKind::AccessLog).await?;
    let officer = user(store, "fiona.macleod@northbank.example").await?;
    let answers: Vec<Response> = qs
        .iter()
        .take(6)
        .enumerate()
        .map(|(i, q)| {
            let (answer, explanation, evidence) = match i % 3 {
                0 => (
                    Answer::Yes,
                    "In place across both regions; owned by the security office.",
                    policy.clone(),
                ),
                1 => (
                    Answer::Partial,
                    "In place for production accounts; the development estate follows next quarter.",
                    access_log.clone(),
                ),
                _ => (
                    Answer::Yes,
                    "Reviewed quarterly by the risk committee.",
                    Vec::new(),
                ),
            };
            Response {
                control: q.control.clone(),
                answer,
                explanation: explanation.to_owned(),
                evidence,
            }
        })
        .collect();
    store
        .save_answers(&all, &officer, &id, &qs, &answers)
        .await
        .map_err(failed("northbank answers"))?;

    let assessor = user(store, ASSESSOR).await?;
    let tested: Vec<_> = controls.iter().take(3).collect();
    for (i, c) in tested.iter().enumerate() {
        let seed = format!("{NORTHBANK}:{}:demo", c.control);
        let items = draw_sample(250, 25, &seed)
            .map_err(|e| Failure::Other(anyhow::anyhow!("demo sample: {e}")))?;
        let ineffective = i == 2;
        let deviations = if ineffective {
            vec![items[3], items[11]]
        } else {
            Vec::new()
        };
        let test = ControlTest {
            engagement: id.clone(),
            control: c.control.clone(),
            method: if ineffective {
                TestMethod::Reperformance
            } else {
                TestMethod::Inspection
            },
            sample: Some(Sample {
                population_description: "changes and access grants in the period".into(),
                population: 250,
                size: 25,
                seed,
                items,
                deviations,
            }),
            result: if ineffective {
                TestResult::Ineffective
            } else {
                TestResult::Effective
            },
            notes: if ineffective {
                "Two sampled grants lacked a recorded approval.".into()
            } else {
                "Every sampled item operated as described.".into()
            },
            evidence: if ineffective {
                access_log.clone()
            } else {
                policy.clone()
            },
            tester: assessor.id.clone(),
            recorded_at: OffsetDateTime::now_utc(),
        };
        store
            .record_test(&all, &assessor, &test, &controls)
            .await
            .map_err(failed("northbank test"))?;
    }
    Ok(())
}

/// Brightpath: a self-attestation as of a month ago, answered and signed by its compliance officer.
async fn brightpath<S: Store>(store: &S, lead: &User, today: time::Date) -> Result<(), Failure> {
    let all = TenantScope::AllTenants;
    let by_lead = Actor(format!("user:{}", lead.id));
    let id = EngagementId::from(BRIGHTPATH);
    store
        .create_engagement(
            &all,
            &by_lead,
            &NewEngagement {
                id: id.clone(),
                tenant: "brightpath".into(),
                tier: Tier::SelfAttestation,
                scope: Scope {
                    services: Vec::new(),
                    regions: Vec::new(),
                    frameworks: vec!["soc2".into()],
                    period: EngagementPeriod::PointInTime {
                        as_of: today - Duration::days(30),
                    },
                },
            },
            today,
        )
        .await
        .map_err(failed("brightpath engagement"))?;
    let (_, controls) = in_scope(store, &all, &id)
        .await
        .map_err(failed("brightpath scope"))?;
    let qs = questions(&controls);
    let officer = user(store, "jonas.albrecht@brightpath.example").await?;
    let answers: Vec<Response> = qs
        .iter()
        .map(|q| Response {
            control: q.control.clone(),
            answer: Answer::Yes,
            explanation: "In place; see our information security policy.".into(),
            evidence: Vec::new(),
        })
        .collect();
    store
        .save_answers(&all, &officer, &id, &qs, &answers)
        .await
        .map_err(failed("brightpath answers"))?;
    for step in [
        EngagementStep::StartFieldwork,
        EngagementStep::StartReporting,
    ] {
        store
            .transition_engagement(&all, lead, &id, step)
            .await
            .map_err(failed("brightpath transition"))?;
    }
    store
        .transition_engagement(&all, &officer, &id, EngagementStep::Sign)
        .await
        .map_err(failed("brightpath signature"))?;
    Ok(())
}

/// The provider's trust-center documents (our own short demo texts) and two requests: northbank's
/// approved, lionrock's pending.
async fn trust_center<S: Store>(
    store: &S,
    settings: &Settings,
    lead: &User,
    today: time::Date,
) -> Result<usize, Failure> {
    let library = super::trust::library(store.clone(), settings)?;
    let by_lead = Actor(format!("user:{}", lead.id));
    let year_ago = today - Duration::days(365);
    let documents = [
        (
            "Independent audit report summary",
            PackageKind::AuditReport,
            Some((year_ago, today - Duration::days(60))),
            vec![
                "Summary of an independent auditor's examination of Contour Cloud's controls.".to_owned(),
                format!("Period examined: {year_ago} to {}.", today - Duration::days(60)),
                "Opinion: the controls were suitably designed and operated effectively, with one exception noted and remediated.".to_owned(),
                "Demo document generated by assure init; not a real report.".to_owned(),
            ],
        ),
        (
            "ISO/IEC 27001:2022 certificate",
            PackageKind::Certificate,
            None,
            vec![
                "Contour Cloud's information security management system conforms to ISO/IEC 27001:2022.".to_owned(),
                "Scope: the Contour Cloud platform services and their operation in every region.".to_owned(),
                format!("Valid from {} for three years, subject to surveillance audits.", today - Duration::days(120)),
                "Demo document generated by assure init; not a real certificate.".to_owned(),
            ],
        ),
        (
            "Penetration test summary",
            PackageKind::PenetrationTestSummary,
            Some((today - Duration::days(95), today - Duration::days(81))),
            vec![
                "External and internal penetration test of the Contour Cloud control plane and customer-facing APIs.".to_owned(),
                "Findings: no critical, one high (fixed and retested), four medium, six low.".to_owned(),
                "Demo document generated by assure init; not a real test report.".to_owned(),
            ],
        ),
    ];
    let mut published = Vec::new();
    for (title, kind, period, lines) in documents {
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let pdf = assure_reports::trust_pdf::text_pdf(title, &lines)
            .map_err(|e| Failure::Other(anyhow::anyhow!("demo trust document: {e}")))?;
        let doc = library
            .publish(
                &by_lead,
                NewTrustDocument {
                    title: title.to_owned(),
                    kind,
                    issued: period.map_or(today - Duration::days(120), |(_, end)| {
                        end + Duration::days(14)
                    }),
                    period_start: period.map(|(s, _)| s),
                    period_end: period.map(|(_, e)| e),
                    terms: "Confidential. For the recipient's own vendor-risk review; do not share further.".to_owned(),
                    media_type: "application/pdf".to_owned(),
                    file_name: format!("{}.pdf", kind.as_str()),
                    published_by: lead.id.clone(),
                },
                pdf.into(),
            )
            .await
            .map_err(|e| Failure::Other(anyhow::anyhow!("demo trust document: {e}")))?;
        published.push(doc);
    }
    let all = TenantScope::AllTenants;
    if let (Some(report), true) = (
        published.first(),
        store.get_tenant(&all, &"northbank".into()).await?.is_some(),
    ) {
        let officer = UserId::from("fiona.macleod@northbank.example");
        let request = store
            .request_trust_access(
                &all,
                &Actor(format!("user:{officer}")),
                &NewAccessRequest {
                    tenant: "northbank".into(),
                    document: report.id.clone(),
                    requested_by: officer,
                    justification: Some("Annual vendor review of our cloud provider.".into()),
                },
            )
            .await
            .map_err(failed("trust request"))?;
        store
            .decide_trust_request(
                &all,
                &by_lead,
                &request.id,
                &AccessDecisionInput {
                    decision: AccessDecision::Approve,
                    role: Role::ProviderSecurityLead,
                    decided_by: lead.id.clone(),
                    expires: Some(today + Duration::days(90)),
                    note: Some("NDA on file.".into()),
                },
            )
            .await
            .map_err(failed("trust decision"))?;
    }
    if let (Some(pentest), true) = (
        published.get(2),
        store.get_tenant(&all, &"lionrock".into()).await?.is_some(),
    ) {
        let officer = UserId::from("mei.chen@lionrock.example");
        store
            .request_trust_access(
                &all,
                &Actor(format!("user:{officer}")),
                &NewAccessRequest {
                    tenant: "lionrock".into(),
                    document: pentest.id.clone(),
                    requested_by: officer,
                    justification: Some("MAS TRM outsourcing due diligence.".into()),
                },
            )
            .await
            .map_err(failed("trust request"))?;
    }
    Ok(published.len())
}
