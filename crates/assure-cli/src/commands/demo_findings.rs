//! Demo findings: one or more in every remediation state, some overdue, two the provider's own on controls
//! the demo customers inherit (shown to them redacted), each walked to its state through the store's
//! transitions with backdated instants, so every timeline reads as it would have happened.

use std::collections::BTreeSet;

use assure_domain::finding::{Detection, FindingId, FindingOwner, FindingSource};
use assure_domain::matrix::ResponsibilityModel;
use assure_domain::programme::Programme;
use assure_domain::remediation::{
    Milestone, RemediationState, RiskAcceptance, Step, Ticket, Validation,
};
use assure_domain::responsibility::Responsibility;
use assure_domain::severity::Severity;
use assure_domain::user::Role;
use assure_domain::{ControlId, TenantId};
use assure_store::{Actor, EvidenceQuery, Store, TenantScope};
use time::{Duration, OffsetDateTime};

use crate::Failure;

/// The demo's provider security lead, who acts on the provider's findings and accepts risks.
const SECURITY_LEAD: &str = "security-lead@contour.example";

/// One demo finding: who owns it, what it is, the state it is walked to and when it was detected.
struct Demo {
    id: &'static str,
    /// Index into the programme's tenants; `None` for the provider.
    tenant: Option<usize>,
    test: &'static str,
    resource: &'static str,
    title: &'static str,
    detail: &'static str,
    severity: Option<Severity>,
    cvss: Option<&'static str>,
    cve: Option<&'static str>,
    days_ago: i64,
    state: RemediationState,
    ticket: &'static str,
}

const DEMOS: [Demo; 10] = [
    Demo {
        id: "DEMO-F-01",
        tenant: Some(0),
        test: "storage-bucket-public-read",
        resource: "bucket/nb-statement-exports",
        title: "Statement export bucket readable by anyone",
        detail: "Found by the storage check pack on the nightly snapshot.",
        severity: None,
        cvss: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"),
        cve: None,
        days_ago: 12,
        state: RemediationState::Open,
        ticket: "",
    },
    Demo {
        id: "DEMO-F-02",
        tenant: Some(0),
        test: "iam-admin-mfa",
        resource: "iam/role/nb-break-glass",
        title: "Break-glass role usable without a second factor",
        detail: "",
        severity: Some(Severity::High),
        cvss: None,
        cve: None,
        days_ago: 10,
        state: RemediationState::Triaged,
        ticket: "NBSEC-1423",
    },
    Demo {
        id: "DEMO-F-03",
        tenant: Some(1),
        test: "logging-retention-90d",
        resource: "logs/bp-app-audit",
        title: "Application audit logs kept for 30 days, not 90",
        detail: "",
        severity: Some(Severity::Medium),
        cvss: None,
        cve: None,
        days_ago: 40,
        state: RemediationState::RootCauseRecorded,
        ticket: "BP-311",
    },
    Demo {
        id: "DEMO-F-04",
        tenant: Some(2),
        test: "db-tls-enforced",
        resource: "database/mv-claims",
        title: "Claims database accepts connections without TLS",
        detail: "",
        severity: Some(Severity::High),
        cvss: None,
        cve: None,
        days_ago: 45,
        state: RemediationState::ActionPlanned,
        ticket: "https://github.com/mercyvale/platform/issues/88",
    },
    Demo {
        id: "DEMO-F-05",
        tenant: Some(3),
        test: "vm-os-patch-level",
        resource: "vm/kt-billing-07",
        title: "Billing VM missing the OpenSSH security update",
        detail: "",
        severity: None,
        cvss: Some("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        cve: Some("CVE-2024-6387"),
        days_ago: 20,
        state: RemediationState::FixImplemented,
        ticket: "https://github.com/kestrel-telecom/infra/issues/412",
    },
    Demo {
        id: "DEMO-F-06",
        tenant: Some(4),
        test: "kms-key-rotation",
        resource: "kms/lr-payments-cmk",
        title: "Customer-managed key not rotated this year",
        detail: "",
        severity: Some(Severity::Low),
        cvss: None,
        cve: None,
        days_ago: 60,
        state: RemediationState::RegressionValidation,
        ticket: "LRSEC-77",
    },
    Demo {
        id: "DEMO-F-07",
        tenant: Some(0),
        test: "network-admin-ports-open",
        resource: "sg/nb-bastion",
        title: "SSH open to the internet on the bastion security group",
        detail: "",
        severity: Some(Severity::High),
        cvss: None,
        cve: None,
        days_ago: 90,
        state: RemediationState::Closed,
        ticket: "NBSEC-1388",
    },
    Demo {
        id: "DEMO-F-08",
        tenant: Some(5),
        test: "backup-cross-region",
        resource: "backup/rb-ledger",
        title: "Ledger backups kept in one region only",
        detail: "",
        severity: Some(Severity::Medium),
        cvss: None,
        cve: None,
        days_ago: 30,
        state: RemediationState::RiskAccepted,
        ticket: "RB-902",
    },
    Demo {
        id: "DEMO-F-09",
        tenant: None,
        test: "hypervisor-patch-level",
        resource: "host/hv-17.fra2",
        title: "Hypervisor hosts behind on the vendor's security patch",
        detail: "Internal: hosts hv-17..hv-23 in fra2 run build 8.0.2-21; the fix needs a rolling restart.",
        severity: Some(Severity::High),
        cvss: None,
        cve: None,
        days_ago: 35,
        state: RemediationState::Open,
        ticket: "",
    },
    Demo {
        id: "DEMO-F-10",
        tenant: None,
        test: "edge-appliance-firmware",
        resource: "appliance/edge-lb-3",
        title: "Edge load balancer firmware affected by a published vulnerability",
        detail: "Internal: vendor advisory received; replacement firmware staged on edge-lb-3 only.",
        severity: None,
        cvss: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        cve: Some("CVE-2023-4966"),
        days_ago: 3,
        state: RemediationState::ActionPlanned,
        ticket: "https://github.com/contour-cloud/edge/issues/1207",
    },
];

/// Controls of `tenant`'s matrix with responsibility in `wanted`, in order.
fn controls_where(
    model: &ResponsibilityModel<'_>,
    programme: &Programme,
    tenant: usize,
    wanted: &[Responsibility],
) -> Result<Vec<ControlId>, Failure> {
    let Some(t) = programme.tenants.get(tenant) else {
        return Ok(Vec::new());
    };
    let matrix = model.matrix(t).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(matrix
        .rows
        .iter()
        .filter(|r| wanted.contains(&r.responsibility))
        .map(|r| r.control.clone())
        .collect())
}

/// The steps that walk a finding from open to `state`, each with its instant (between detection and now).
fn path(
    demo: &Demo,
    detected: OffsetDateTime,
    now: OffsetDateTime,
    evidence: Option<String>,
) -> Result<Vec<(Step, OffsetDateTime)>, Failure> {
    use RemediationState as S;
    let rank = |s: S| match s {
        S::Open => 0,
        S::Triaged => 1,
        S::RootCauseRecorded => 2,
        S::ActionPlanned => 3,
        S::FixImplemented => 4,
        S::RegressionValidation => 5,
        S::Closed => 6,
        // Accepted after the root cause was known.
        S::RiskAccepted => 3,
    };
    let target = rank(demo.state);
    let span = (now - detected) - Duration::hours(1);
    let at = |i: i64| detected + span * (i as f64 / 8.0);
    let mut steps = Vec::new();
    if target >= 1 {
        let ticket = Ticket::parse(demo.ticket)
            .map_err(|e| anyhow::anyhow!("demo finding {}: {e}", demo.id))?;
        steps.push((
            Step::Triage {
                owner: match demo.tenant {
                    Some(_) => "customer platform team".into(),
                    None => "Contour Cloud infrastructure operations".into(),
                },
                ticket,
            },
            at(1),
        ));
    }
    if target >= 2 {
        steps.push((
            Step::RecordRootCause {
                root_cause:
                    "A change bypassed the baseline template; the drift check ran only weekly."
                        .into(),
            },
            at(2),
        ));
    }
    if demo.state == S::RiskAccepted {
        steps.push((
            Step::AcceptRisk {
                acceptance: RiskAcceptance {
                    approver: SECURITY_LEAD.into(),
                    approver_role: Role::ProviderSecurityLead,
                    justification:
                        "Compensating control: daily restore tests in the secondary site; replication lands next quarter."
                            .into(),
                    expires_at: now + Duration::days(120),
                },
            },
            at(3),
        ));
        return Ok(steps);
    }
    if target >= 3 {
        steps.push((
            Step::PlanAction {
                milestones: vec![
                    Milestone {
                        title: "Change rolled out to staging".into(),
                        due: (detected + Duration::days(14)).date(),
                    },
                    Milestone {
                        title: "Change rolled out everywhere".into(),
                        due: (detected + Duration::days(28)).date(),
                    },
                ],
            },
            at(3),
        ));
    }
    if target >= 4 {
        steps.push((
            Step::ImplementFix {
                note: "Configuration corrected and the template fixed.".into(),
            },
            at(4),
        ));
    }
    if demo.state == S::Closed {
        // The first re-check failed: back to planning, fixed again, then passed.
        steps.push((
            Step::ValidateRegression {
                validation: Validation::AutomatedRecheck {
                    check: demo.test.into(),
                    passed: false,
                    at: at(5),
                },
            },
            at(5),
        ));
        steps.push((
            Step::ImplementFix {
                note: "Second change: the rule was also open on the IPv6 range.".into(),
            },
            at(6),
        ));
    }
    if target >= 5 {
        let validation = match (&evidence, demo.state) {
            (Some(e), S::Closed) => Validation::AssessorRetest {
                assessor: "eleanor.voss@harbour-assurance.example".into(),
                evidence: vec![e.clone()],
                passed: true,
                at: at(7),
            },
            _ => Validation::AutomatedRecheck {
                check: demo.test.into(),
                passed: true,
                at: at(7),
            },
        };
        steps.push((Step::ValidateRegression { validation }, at(7)));
    }
    if target >= 6 {
        steps.push((Step::Close, at(8)));
    }
    Ok(steps)
}

/// Records the demo findings and walks each to its state; returns how many were written.
pub async fn load<S: Store>(store: &S, programme: &Programme) -> Result<usize, Failure> {
    if programme.tenants.is_empty() || programme.controls.is_empty() {
        return Ok(0);
    }
    let model = ResponsibilityModel::new(programme).map_err(|e| anyhow::anyhow!("{e}"))?;
    // Provider findings sit on controls the first customer inherits wholly from the provider.
    let provider_controls = controls_where(&model, programme, 0, &[Responsibility::Provider])?;
    let now = OffsetDateTime::now_utc();
    let all = TenantScope::AllTenants;
    let lead = Actor(format!("user:{SECURITY_LEAD}"));
    let mut written = 0;
    let mut used: BTreeSet<ControlId> = BTreeSet::new();
    for (i, demo) in DEMOS.iter().enumerate() {
        let tenant_index = demo.tenant.map(|t| t % programme.tenants.len());
        let tenant: Option<TenantId> = tenant_index.map(|t| programme.tenants[t].id.clone());
        let control = match tenant_index {
            Some(t) => {
                let own = controls_where(
                    &model,
                    programme,
                    t,
                    &[Responsibility::Customer, Responsibility::Shared],
                )?;
                own.iter()
                    .cycle()
                    .skip(i * 3)
                    .take(own.len())
                    .find(|c| !used.contains(*c))
                    .or(own.first())
                    .cloned()
            }
            None => provider_controls
                .iter()
                .find(|c| !used.contains(*c))
                .cloned(),
        };
        if let Some(c) = &control {
            used.insert(c.clone());
        }
        let detected = now - Duration::days(demo.days_ago);
        let actor = match &tenant {
            Some(_) => Actor::system("check-run"),
            None => lead.clone(),
        };
        let detection = Detection {
            owner: match &tenant {
                Some(t) => FindingOwner::Tenant(t.clone()),
                None => FindingOwner::Provider,
            },
            test: demo.test.into(),
            resource: demo.resource.into(),
            title: demo.title.into(),
            detail: demo.detail.into(),
            control,
            severity: demo.severity,
            cvss: demo.cvss.map(Into::into),
            cve: demo.cve.map(Into::into),
            source: match &tenant {
                Some(_) => FindingSource::AutomatedCheck {
                    run: Some(format!("demo-run-{}", detected.date())),
                },
                None => FindingSource::Manual {
                    author: SECURITY_LEAD.into(),
                },
            },
            at: detected,
        };
        let id = FindingId::new(demo.id);
        store
            .record_detection(&all, &actor, &id, &detection)
            .await
            .map_err(|e| anyhow::anyhow!("demo finding {id}: {e}"))?;
        let evidence = match &tenant {
            Some(t) => store
                .list_evidence(&all, &EvidenceQuery::current(t.clone()))
                .await?
                .items
                .first()
                .map(|e| e.id.to_string()),
            None => None,
        };
        for (step, at) in path(demo, detected, now, evidence)? {
            store
                .transition_finding(&all, &lead, &id, &step, at)
                .await
                .map_err(|e| anyhow::anyhow!("demo finding {id}, {}: {e}", step.kind().as_str()))?;
        }
        written += 1;
    }
    Ok(written)
}
