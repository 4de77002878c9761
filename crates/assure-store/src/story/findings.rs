//! The findings and scheduler part of the story: policies, the KEV list, detection and de-duplication,
//! isolation, inherited exceptions, every remediation step through the store, re-triage, escalation exactly
//! once, acknowledgement, deliveries with their log, review cycles, and an intact audit trail after all.

use std::collections::BTreeSet;

use assure_domain::escalation::{Alert, EscalationLevel, EscalationPolicy};
use assure_domain::finding::{Detection, FindingId, FindingOwner, FindingSource};
use assure_domain::kev::KevCatalogue;
use assure_domain::remediation::{
    Milestone, RemediationPolicy, RemediationState, Retriage, Step, Ticket, Validation,
};
use assure_domain::severity::Severity;
use assure_domain::{ControlId, TenantId};
use time::{Duration, OffsetDateTime};

use super::{Story, StoryFailure, check, db, hex_of};
use crate::audit::verify;
use crate::findings::{
    AttemptOutcome, Audience, Channel, ChannelTarget, DeliveryState, FindingQuery, FindingSort,
    ReviewKind,
};
use crate::{Actor, Store, StoreError, TenantScope};

fn detection(owner: FindingOwner, resource: &str, at: OffsetDateTime) -> Detection {
    Detection {
        owner,
        test: "iam-root-mfa".into(),
        resource: resource.into(),
        title: "Root account without MFA".into(),
        detail: "internal: seen on host hv-17".into(),
        control: Some(ControlId::new("story-control")),
        severity: Some(Severity::High),
        cvss: None,
        cve: None,
        source: FindingSource::AutomatedCheck { run: None },
        at,
    }
}

pub(super) async fn findings_story<S: Store>(
    s: &mut Story,
    store: &S,
    actor: &Actor,
    mine: &TenantId,
    theirs: &TenantId,
) -> Result<(), StoryFailure> {
    let all = TenantScope::AllTenants;
    let my_scope = TenantScope::Tenant(mine.clone());
    let their_scope = TenantScope::Tenant(theirs.clone());
    let me = FindingOwner::Tenant(mine.clone());
    // Instants with milliseconds, as they read back.
    let t0 = OffsetDateTime::from_unix_timestamp(1_767_225_600).map_err(|e| StoryFailure {
        step: "record_detection",
        message: e.to_string(),
    })?;

    s.step("remediation_policy");
    let policy = store
        .remediation_policy(&my_scope, &me)
        .await
        .map_err(db("remediation_policy"))?;
    check(
        "remediation_policy",
        policy == RemediationPolicy::PROVIDER_DEFAULT,
        "a tenant without a policy runs on the provider's defaults",
    )?;
    check(
        "remediation_policy",
        matches!(
            store.remediation_policy(&their_scope, &me).await,
            Err(StoreError::NotFound(_))
        ),
        "a foreign tenant's policy is not found",
    )?;
    s.step("set_remediation_policy");
    let mine_policy = RemediationPolicy {
        high_days: Some(14),
        ..RemediationPolicy::PROVIDER_DEFAULT
    };
    store
        .set_remediation_policy(&my_scope, actor, &me, &mine_policy)
        .await
        .map_err(db("set_remediation_policy"))?;
    check(
        "set_remediation_policy",
        store
            .set_remediation_policy(&my_scope, actor, &FindingOwner::Provider, &mine_policy)
            .await
            .is_err(),
        "a customer scope cannot set the provider's policy",
    )?;
    s.step("list_remediation_policies");
    let policies = store
        .list_remediation_policies(&all)
        .await
        .map_err(db("list_remediation_policies"))?;
    check(
        "list_remediation_policies",
        policies.len() == 1 && policies[0].policy == mine_policy,
        "the tenant's policy is stored",
    )?;
    check(
        "list_remediation_policies",
        store
            .list_remediation_policies(&their_scope)
            .await
            .map_err(db("list_remediation_policies"))?
            .is_empty(),
        "a foreign tenant's policy is invisible",
    )?;

    s.step("kev_import");
    check(
        "kev_import",
        store
            .kev_import()
            .await
            .map_err(db("kev_import"))?
            .is_none(),
        "no catalogue before the first import",
    )?;
    s.step("import_kev");
    let kev = KevCatalogue::parse(
        r#"{"catalogVersion": "2026.01.01", "dateReleased": "2026-01-01T00:00:00Z",
            "vulnerabilities": [{"cveID": "CVE-2021-44228", "product": "Log4j2"}]}"#,
    )
    .map_err(|e| StoryFailure {
        step: "import_kev",
        message: e.to_string(),
    })?;
    let imported = store
        .import_kev(actor, &kev)
        .await
        .map_err(db("import_kev"))?;
    check("import_kev", imported.count == 1, "one entry imported")?;
    check(
        "kev_import",
        store.kev_import().await.map_err(db("kev_import"))? == Some(imported),
        "the import reads back",
    )?;

    s.step("record_detection");
    let first = store
        .record_detection(
            &my_scope,
            actor,
            &FindingId::new("F-1"),
            &detection(me.clone(), "r1", t0),
        )
        .await
        .map_err(db("record_detection"))?;
    check(
        "record_detection",
        first.created && first.finding.due_at == Some(t0 + Duration::days(14)),
        "a new finding takes its deadline from the tenant's policy",
    )?;
    let again = store
        .record_detection(
            &my_scope,
            actor,
            &FindingId::new("F-ignored"),
            &detection(me.clone(), "r1", t0 + Duration::days(2)),
        )
        .await
        .map_err(db("record_detection"))?;
    check(
        "record_detection",
        !again.created
            && again.finding.id == first.finding.id
            && again.finding.due_at == first.finding.due_at
            && again.finding.detections == 2
            && again.finding.last_seen_at == t0 + Duration::days(2),
        "a re-detection updates the open finding without moving its deadline",
    )?;
    let mut known = detection(me.clone(), "r2", t0);
    known.severity = Some(Severity::Low);
    known.cve = Some("cve-2021-44228".into());
    let kev_finding = store
        .record_detection(&my_scope, actor, &FindingId::new("F-2"), &known)
        .await
        .map_err(db("record_detection"))?;
    check(
        "record_detection",
        kev_finding.finding.known_exploited
            && kev_finding.finding.due_at == Some(t0 + Duration::days(7)),
        "a known-exploited CVE takes the shortest clock",
    )?;
    check(
        "record_detection",
        matches!(
            store
                .record_detection(
                    &their_scope,
                    actor,
                    &FindingId::new("F-x"),
                    &detection(me.clone(), "r3", t0)
                )
                .await,
            Err(StoreError::NotFound(_))
        ),
        "a foreign scope cannot raise a tenant's finding",
    )?;
    let mut bad = detection(me.clone(), "r4", t0);
    bad.severity = None;
    check(
        "record_detection",
        matches!(
            store
                .record_detection(&my_scope, actor, &FindingId::new("F-bad"), &bad)
                .await,
            Err(StoreError::Finding(_))
        ),
        "a detection without a severity is refused",
    )?;
    let provider = store
        .record_detection(
            &all,
            actor,
            &FindingId::new("P-1"),
            &detection(FindingOwner::Provider, "hv-17", t0),
        )
        .await
        .map_err(db("record_detection"))?;
    check(
        "record_detection",
        provider.finding.due_at == Some(t0 + Duration::days(30)),
        "a provider-owned finding runs on the provider's policy",
    )?;

    s.step("get_finding");
    check(
        "get_finding",
        store
            .get_finding(&my_scope, &FindingId::new("F-1"))
            .await
            .map_err(db("get_finding"))?
            .is_some()
            && store
                .get_finding(&their_scope, &FindingId::new("F-1"))
                .await
                .map_err(db("get_finding"))?
                .is_none()
            && store
                .get_finding(&my_scope, &FindingId::new("P-1"))
                .await
                .map_err(db("get_finding"))?
                .is_none(),
        "a finding is visible to its own tenant only; a provider finding to no customer directly",
    )?;

    s.step("list_findings");
    let page = store
        .list_findings(&my_scope, &FindingQuery::default())
        .await
        .map_err(db("list_findings"))?;
    check(
        "list_findings",
        page.total == 2 && page.items.len() == 2,
        format!("the tenant sees its two findings, got {}", page.total),
    )?;
    let overdue = store
        .list_findings(
            &all,
            &FindingQuery {
                overdue_at: Some(t0 + Duration::days(10)),
                ..FindingQuery::default()
            },
        )
        .await
        .map_err(db("list_findings"))?;
    check(
        "list_findings",
        overdue.items.len() == 1 && overdue.items[0].id.as_str() == "F-2",
        "only the known-exploited finding is overdue after 10 days",
    )?;
    let provider_only = store
        .list_findings(
            &all,
            &FindingQuery {
                provider_owned: Some(true),
                limit: Some(10),
                ..FindingQuery::default()
            },
        )
        .await
        .map_err(db("list_findings"))?;
    check(
        "list_findings",
        provider_only.total == 1 && provider_only.items[0].id.as_str() == "P-1",
        "the provider-owned filter",
    )?;
    let by_id = store
        .list_findings(
            &all,
            &FindingQuery {
                sort: FindingSort::Id,
                descending: true,
                ..FindingQuery::default()
            },
        )
        .await
        .map_err(db("list_findings"))?;
    let ids: Vec<&str> = by_id.items.iter().map(|f| f.id.as_str()).collect();
    let mut expected = ids.clone();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    check(
        "list_findings",
        ids.len() >= 3 && ids == expected,
        format!("sorted by ID, descending: {ids:?}"),
    )?;

    s.step("list_inherited_exceptions");
    let inherited: BTreeSet<ControlId> = [ControlId::new("story-control")].into();
    let exceptions = store
        .list_inherited_exceptions(&my_scope, mine, &inherited, t0)
        .await
        .map_err(db("list_inherited_exceptions"))?;
    check(
        "list_inherited_exceptions",
        exceptions.len() == 1 && exceptions[0].id.as_str() == "P-1",
        "a customer inheriting the control sees the provider's finding as an exception",
    )?;
    check(
        "list_inherited_exceptions",
        matches!(
            store
                .list_inherited_exceptions(&their_scope, mine, &inherited, t0)
                .await,
            Err(StoreError::NotFound(_))
        ),
        "another tenant's exceptions are not found",
    )?;

    s.step("transition_finding");
    let f1 = FindingId::new("F-1");
    let refused = store
        .transition_finding(&my_scope, actor, &f1, &Step::Close, t0)
        .await;
    check(
        "transition_finding",
        matches!(refused, Err(StoreError::Remediation(_))),
        "closing an open finding is refused",
    )?;
    let ticket = Ticket::parse("SEC-12").map_err(|e| StoryFailure {
        step: "transition_finding",
        message: e.to_string(),
    })?;
    let steps = [
        Step::Triage {
            owner: "ops@acme.example".into(),
            ticket: ticket.clone(),
        },
        Step::RecordRootCause {
            root_cause: "break-glass account created by hand".into(),
        },
        Step::PlanAction {
            milestones: vec![Milestone {
                title: "enforce MFA".into(),
                due: (t0 + Duration::days(5)).date(),
            }],
        },
    ];
    for step in &steps {
        store
            .transition_finding(&my_scope, actor, &f1, step, t0 + Duration::days(1))
            .await
            .map_err(db("transition_finding"))?;
    }
    check(
        "transition_finding",
        store
            .transition_finding(&their_scope, actor, &f1, &Step::Close, t0)
            .await
            .is_err(),
        "a foreign scope cannot move the finding",
    )?;

    s.step("findings_by_ticket");
    let linked = store
        .findings_by_ticket(&my_scope, &ticket)
        .await
        .map_err(db("findings_by_ticket"))?;
    check(
        "findings_by_ticket",
        linked.len() == 1 && linked[0].state == RemediationState::ActionPlanned,
        "the ticket finds its finding",
    )?;
    check(
        "findings_by_ticket",
        store
            .findings_by_ticket(&their_scope, &ticket)
            .await
            .map_err(db("findings_by_ticket"))?
            .is_empty(),
        "not for another tenant",
    )?;

    s.step("retriage_finding");
    let retriaged = store
        .retriage_finding(
            &my_scope,
            actor,
            &f1,
            &Retriage {
                severity: Severity::Critical,
                justification: "exploit published".into(),
            },
        )
        .await
        .map_err(db("retriage_finding"))?;
    check(
        "retriage_finding",
        retriaged.severity == Severity::Critical
            && retriaged.due_at == Some(t0 + Duration::days(7)),
        "a re-triage moves the deadline, counted from detection",
    )?;

    // Channels, then the sweep: F-1 is due at t0+7d; sweep at t0+15d raises the reminders and the first
    // two escalation levels, each once.
    s.step("add_channel");
    store
        .add_channel(
            actor,
            &Channel {
                id: "ch-mail".into(),
                tenant: Some(mine.clone()),
                audience: Audience::Level(EscalationLevel::CustomerSecurityContact),
                target: ChannelTarget::Email {
                    to: "security@acme.example".into(),
                },
            },
        )
        .await
        .map_err(db("add_channel"))?;
    s.step("list_channels");
    check(
        "list_channels",
        store
            .list_channels()
            .await
            .map_err(db("list_channels"))?
            .len()
            == 1,
        "the channel is listed",
    )?;

    // Webhook and tracker secrets are stored only sealed: the store refuses clear text.
    s.step("set_channel");
    let hook = |secret: &str| Channel {
        id: "ch-hook".into(),
        tenant: None,
        audience: Audience::Level(EscalationLevel::OversightCommittee),
        target: ChannelTarget::Webhook {
            url: "https://hooks.example/assure".into(),
            secret: secret.into(),
        },
    };
    check(
        "set_channel",
        matches!(
            store.set_channel(actor, &hook("in-the-clear")).await,
            Err(StoreError::Conflict(_))
        ) && matches!(
            store.add_channel(actor, &hook("in-the-clear")).await,
            Err(StoreError::Conflict(_))
        ),
        "an unsealed webhook secret is refused",
    )?;
    store
        .set_channel(actor, &hook("sealed1:00aa"))
        .await
        .map_err(db("set_channel"))?;
    store
        .set_channel(actor, &hook("sealed1:00bb"))
        .await
        .map_err(db("set_channel"))?;
    let channels = store.list_channels().await.map_err(db("list_channels"))?;
    check(
        "set_channel",
        channels.len() == 2 && channels.contains(&hook("sealed1:00bb")),
        "a channel is replaced in place",
    )?;
    s.step("set_tracker_secret");
    let tracker = |sealed: &str| crate::findings::TrackerSecret {
        tracker: "github".into(),
        sealed: sealed.into(),
    };
    check(
        "set_tracker_secret",
        matches!(
            store.set_tracker_secret(actor, &tracker("gh-secret")).await,
            Err(StoreError::Conflict(_))
        ),
        "an unsealed tracker secret is refused",
    )?;
    store
        .set_tracker_secret(actor, &tracker("sealed1:0011"))
        .await
        .map_err(db("set_tracker_secret"))?;
    store
        .set_tracker_secret(actor, &tracker("sealed1:0022"))
        .await
        .map_err(db("set_tracker_secret"))?;
    s.step("tracker_secret");
    check(
        "tracker_secret",
        store
            .tracker_secret("github")
            .await
            .map_err(db("tracker_secret"))?
            == Some(tracker("sealed1:0022"))
            && store
                .tracker_secret("jira")
                .await
                .map_err(db("tracker_secret"))?
                .is_none(),
        "the latest sealed secret, none for an unconfigured tracker",
    )?;
    s.step("list_tracker_secrets");
    check(
        "list_tracker_secrets",
        store
            .list_tracker_secrets()
            .await
            .map_err(db("list_tracker_secrets"))?
            == vec![tracker("sealed1:0022")],
        "one secret per tracker",
    )?;

    s.step("sweep_deadlines");
    let policy = EscalationPolicy::default();
    let when = t0 + Duration::days(15);
    let first_sweep = store
        .sweep_deadlines("story-a", when, &policy, 100)
        .await
        .map_err(db("sweep_deadlines"))?;
    let second_sweep = store
        .sweep_deadlines("story-b", when, &policy, 100)
        .await
        .map_err(db("sweep_deadlines"))?;
    check(
        "sweep_deadlines",
        first_sweep.alerts > 0 && second_sweep.alerts == 0,
        format!("a repeated sweep raises nothing again: {first_sweep:?} then {second_sweep:?}"),
    )?;

    s.step("list_escalations");
    let escalations = store
        .list_escalations(&my_scope, Some(&f1))
        .await
        .map_err(db("list_escalations"))?;
    let levels: Vec<EscalationLevel> = escalations
        .iter()
        .filter_map(|e| match e.alert {
            Alert::Escalation { level } => Some(level),
            Alert::Reminder { .. } => None,
        })
        .collect();
    check(
        "list_escalations",
        levels
            == vec![
                EscalationLevel::CustomerSecurityContact,
                EscalationLevel::ProviderSecurityLead,
            ],
        format!("two levels after 8 days overdue, each once: {levels:?}"),
    )?;
    check(
        "list_escalations",
        store
            .list_escalations(&their_scope, None)
            .await
            .map_err(db("list_escalations"))?
            .is_empty(),
        "another tenant sees none",
    )?;

    s.step("acknowledge_escalation");
    let top = escalations
        .iter()
        .rfind(|e| matches!(e.alert, Alert::Escalation { .. }))
        .map(|e| e.id.clone())
        .unwrap_or_default();
    let oversight = Actor("user:oversight@story.example".into());
    let acked = store
        .acknowledge_escalation(&all, &oversight, &top, when)
        .await
        .map_err(db("acknowledge_escalation"))?;
    check(
        "acknowledge_escalation",
        acked.acknowledged_by.as_deref() == Some("user:oversight@story.example"),
        "oversight acknowledges",
    )?;
    check(
        "acknowledge_escalation",
        matches!(
            store
                .acknowledge_escalation(&all, &oversight, &top, when)
                .await,
            Err(StoreError::Conflict(_))
        ),
        "a second acknowledgement is a conflict",
    )?;

    s.step("list_notifications");
    let inbox = store
        .list_notifications(&my_scope, Some(Audience::Owner))
        .await
        .map_err(db("list_notifications"))?;
    check(
        "list_notifications",
        !inbox.is_empty() && inbox.iter().all(|n| n.tenant.as_ref() == Some(mine)),
        "the owner's reminders are in the tenant's inbox",
    )?;

    s.step("list_deliveries");
    let deliveries = store
        .list_deliveries(None)
        .await
        .map_err(db("list_deliveries"))?;
    check(
        "list_deliveries",
        deliveries.len() == 2 && deliveries.iter().all(|d| d.state == DeliveryState::Pending),
        format!(
            "an e-mail to the customer's security contact per overdue finding: {}",
            deliveries.len()
        ),
    )?;
    s.step("claim_deliveries");
    let claimed = store
        .claim_deliveries("story-a", when, when + Duration::minutes(5), 10)
        .await
        .map_err(db("claim_deliveries"))?;
    let other = store
        .claim_deliveries("story-b", when, when + Duration::minutes(5), 10)
        .await
        .map_err(db("claim_deliveries"))?;
    check(
        "claim_deliveries",
        claimed.len() == 2 && other.is_empty(),
        "a leased delivery is not claimed twice",
    )?;
    s.step("finish_delivery");
    let id = claimed[0].id.clone();
    check(
        "finish_delivery",
        store
            .finish_delivery("story-b", &id, when, &AttemptOutcome::Delivered)
            .await
            .is_err(),
        "only the lease holder finishes",
    )?;
    store
        .finish_delivery(
            "story-a",
            &id,
            when,
            &AttemptOutcome::Failed {
                error: "connection refused".into(),
                retry_at: Some(when + Duration::seconds(30)),
            },
        )
        .await
        .map_err(db("finish_delivery"))?;
    let retry = store
        .claim_deliveries(
            "story-b",
            when + Duration::seconds(30),
            when + Duration::minutes(6),
            10,
        )
        .await
        .map_err(db("claim_deliveries"))?;
    check(
        "claim_deliveries",
        retry.len() == 1
            && retry[0].attempts == 1
            && retry[0].idempotency_key == claimed[0].idempotency_key,
        "a failed delivery comes back with the same idempotency key",
    )?;
    store
        .finish_delivery(
            "story-b",
            &id,
            when + Duration::seconds(31),
            &AttemptOutcome::Delivered,
        )
        .await
        .map_err(db("finish_delivery"))?;
    s.step("delivery_log");
    let log = store.delivery_log(&id).await.map_err(db("delivery_log"))?;
    check(
        "delivery_log",
        log.len() == 2 && log[0].outcome == "failed" && log[1].outcome == "delivered",
        "the log keeps every attempt",
    )?;

    s.step("finding_timeline");
    let timeline = store
        .finding_timeline(&my_scope, &f1)
        .await
        .map_err(db("finding_timeline"))?;
    let kinds: Vec<&str> = timeline.iter().map(|e| e.kind.as_str()).collect();
    check(
        "finding_timeline",
        kinds.first() == Some(&"detected")
            && [
                "redetected",
                "triage",
                "record-root-cause",
                "plan-action",
                "retriage",
            ]
            .iter()
            .all(|k| kinds.contains(k))
            && kinds.contains(&"escalation"),
        format!("the timeline tells the story: {kinds:?}"),
    )?;
    check(
        "finding_timeline",
        store
            .finding_timeline(&their_scope, &f1)
            .await
            .map_err(db("finding_timeline"))?
            .is_empty(),
        "not for another tenant",
    )?;

    // The rest of the path: fix, validation, close; closing leaves the key free for a new finding.
    let rest = [
        Step::ImplementFix {
            note: "MFA enforced".into(),
        },
        Step::ValidateRegression {
            validation: Validation::AutomatedRecheck {
                check: "iam-root-mfa".into(),
                passed: true,
                at: when,
            },
        },
        Step::Close,
    ];
    for step in &rest {
        store
            .transition_finding(&my_scope, actor, &f1, step, when)
            .await
            .map_err(db("transition_finding"))?;
    }
    let reopened = store
        .record_detection(
            &my_scope,
            actor,
            &FindingId::new("F-3"),
            &detection(me.clone(), "r1", when),
        )
        .await
        .map_err(db("record_detection"))?;
    check(
        "record_detection",
        reopened.created,
        "a detection after closing raises a new finding",
    )?;

    s.step("schedule_review");
    store
        .schedule_review(Some(mine), ReviewKind::ControlOwnerAttestation, t0)
        .await
        .map_err(db("schedule_review"))?;
    store
        .schedule_review(Some(mine), ReviewKind::ControlOwnerAttestation, t0)
        .await
        .map_err(db("schedule_review"))?;
    s.step("run_due_reviews");
    let subjects = |_: Option<&TenantId>, _: ReviewKind| vec!["story-control".to_owned()];
    let tasks = store
        .run_due_reviews("story-a", t0 + Duration::days(1), &subjects)
        .await
        .map_err(db("run_due_reviews"))?;
    let none = store
        .run_due_reviews("story-b", t0 + Duration::days(2), &subjects)
        .await
        .map_err(db("run_due_reviews"))?;
    check(
        "run_due_reviews",
        tasks.len() == 1 && none.is_empty(),
        "a cycle creates its tasks once",
    )?;
    s.step("record_tracker_refusal");
    let before = store
        .audit_chains(&all)
        .await
        .map_err(db("record_tracker_refusal"))?;
    store
        .record_tracker_refusal(&Actor("webhook:github".into()), "github", "mismatch")
        .await
        .map_err(db("record_tracker_refusal"))?;
    let provider_chain = assure_domain::audit::ChainId::for_tenant(None);
    let records = store
        .audit_records(&all, &provider_chain)
        .await
        .map_err(db("record_tracker_refusal"))?;
    check(
        "record_tracker_refusal",
        records.last().is_some_and(|r| {
            r.event.action == "tracker-webhook.refused.mismatch"
                && r.event.object_kind == "tracker-webhook"
                && r.event.object_id == "github"
                && r.event.state_digest.is_none()
        }) && before
            .iter()
            .filter(|h| h.chain == provider_chain)
            .all(|h| usize::try_from(h.seq + 1).ok() == Some(records.len())),
        "a refused webhook is one record on the provider's chain",
    )?;

    s.step("list_review_tasks");
    check(
        "list_review_tasks",
        store
            .list_review_tasks(&my_scope)
            .await
            .map_err(db("list_review_tasks"))?
            .len()
            == 1
            && store
                .list_review_tasks(&their_scope)
                .await
                .map_err(db("list_review_tasks"))?
                .is_empty(),
        "review tasks are scoped",
    )?;

    let report = verify(store, &all, |c: &assure_domain::audit::Checkpoint| {
        c.signature == hex_of(&c.signed_message())
    })
    .await
    .map_err(db("verify"))?;
    check(
        "verify",
        report.is_intact(),
        format!(
            "findings keep the trail and every object intact: {:?} {:?}",
            report.breaks, report.mismatches
        ),
    )?;
    Ok(())
}
