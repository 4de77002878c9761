//! Findings and the durable scheduler in the store: the [`FindingStore`] and [`SchedulerStore`] traits
//! (supertraits of [`crate::Store`], implemented for both backends by `findings_sql.rs`), their row types,
//! and how findings, policies, the KEV catalogue and escalations are named in the audit trail.
//!
//! Architecture invariant: an escalation (or reminder) is recorded once per finding, deadline and alert: a
//! unique key in `escalations` makes a repeated sweep (after a restart, or by a second node) a no-op.
//! Deliveries are at least once: each carries an idempotency key the receiver can de-duplicate on.

use std::collections::BTreeSet;
use std::future::Future;

use assure_domain::ControlId;
use assure_domain::TenantId;
use assure_domain::escalation::{Alert, EscalationLevel, EscalationPolicy};
use assure_domain::finding::{Detection, Finding, FindingId, FindingOwner, InheritedException};
use assure_domain::kev::KevCatalogue;
use assure_domain::remediation::{RemediationPolicy, RemediationState, Retriage, Step, Ticket};
use assure_domain::severity::Severity;
use serde::Serialize;
use time::OffsetDateTime;

use crate::objects::Audited;
use crate::{Actor, Page, Result, TenantScope};

impl Audited for Finding {
    const KIND: &'static str = "finding";
    fn object_id(&self) -> String {
        self.id.to_string()
    }
    fn tenant(&self) -> Option<TenantId> {
        self.owner.tenant().cloned()
    }
}

/// A remediation policy as stored: whose it is and the days it gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredPolicy {
    pub owner: FindingOwner,
    pub policy: RemediationPolicy,
}

impl Audited for StoredPolicy {
    const KIND: &'static str = "remediation-policy";
    fn object_id(&self) -> String {
        self.owner.key()
    }
    fn tenant(&self) -> Option<TenantId> {
        self.owner.tenant().cloned()
    }
}

/// The imported KEV catalogue as a whole: one audited object whose digest covers every entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KevImport {
    pub catalog_version: String,
    pub date_released: String,
    pub count: i64,
    /// SHA-256 of the entries' canonical JSON.
    pub entries_digest: String,
}

impl Audited for KevImport {
    const KIND: &'static str = "kev-catalogue";
    fn object_id(&self) -> String {
        "cisa-kev".to_owned()
    }
}

/// What recording a detection did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetectionOutcome {
    pub finding: Finding,
    /// False when an open finding with the same key was refreshed instead.
    pub created: bool,
}

/// How a list of findings is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FindingSort {
    /// Worst severity first, then the nearest deadline (none last), then ID: what needs work first.
    #[default]
    Severity,
    /// Nearest deadline first (none last), then ID.
    Due,
    /// Oldest detection first, then ID.
    Detected,
    Id,
}

/// Filter and page for findings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FindingQuery {
    pub tenant: Option<TenantId>,
    /// Only provider-owned (`Some(true)`) or only tenants' own (`Some(false)`).
    pub provider_owned: Option<bool>,
    pub severity: Option<Severity>,
    pub state: Option<RemediationState>,
    pub control: Option<ControlId>,
    /// Only findings whose clock runs and whose deadline is before this instant.
    pub overdue_at: Option<OffsetDateTime>,
    /// Leave out closed findings.
    pub open_only: bool,
    pub sort: FindingSort,
    /// Reverse the sort.
    pub descending: bool,
    pub limit: Option<i64>,
    pub offset: i64,
}

/// One entry of a finding's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: String,
    /// `detected`, `redetected`, a step (`triage`, ...), `retriage`, `reminder`, `escalation`.
    pub kind: String,
    /// What the entry recorded, as JSON.
    pub detail: serde_json::Value,
}

/// A reminder or escalation, recorded once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Escalation {
    pub id: String,
    pub finding: FindingId,
    pub tenant: Option<TenantId>,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    pub alert: Alert,
    #[serde(with = "time::serde::rfc3339")]
    pub raised_at: OffsetDateTime,
    pub acknowledged_by: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub acknowledged_at: Option<OffsetDateTime>,
}

impl Audited for Escalation {
    const KIND: &'static str = "escalation";
    fn object_id(&self) -> String {
        self.id.clone()
    }
    fn tenant(&self) -> Option<TenantId> {
        self.tenant.clone()
    }
}

/// Who a notification is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Audience {
    /// The finding's remediation owner (reminders).
    Owner,
    /// A rung of the governance path (escalations).
    Level(EscalationLevel),
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Level(l) => l.as_str(),
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        if value == "owner" {
            Some(Self::Owner)
        } else {
            EscalationLevel::parse(value).map(Self::Level)
        }
    }

    pub fn of(alert: Alert) -> Self {
        match alert {
            Alert::Reminder { .. } => Self::Owner,
            Alert::Escalation { level } => Self::Level(level),
        }
    }
}

/// An in-app notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: String,
    pub tenant: Option<TenantId>,
    pub audience: Audience,
    pub finding: FindingId,
    pub escalation: String,
    pub subject: String,
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// How a channel delivers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ChannelTarget {
    Email {
        to: String,
    },
    /// A URL receiving signed JSON; the secret signs it (`assure_domain::webhook::sign`).
    Webhook {
        url: String,
        secret: String,
    },
}

/// Where notifications for an audience (of one tenant, or of every tenant for `None`) go beside the inbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Channel {
    pub id: String,
    pub tenant: Option<TenantId>,
    pub audience: Audience,
    pub target: ChannelTarget,
}

impl Audited for Channel {
    const KIND: &'static str = "notification-channel";
    fn object_id(&self) -> String {
        self.id.clone()
    }
    fn tenant(&self) -> Option<TenantId> {
        self.tenant.clone()
    }
}

/// Prefix of a sealed secret (`assure_auth::SEALED_SECRET_PREFIX`): the store keeps webhook and tracker
/// secrets only in this form and refuses anything else, so no caller can put one in the clear.
pub const SEALED_SECRET_PREFIX: &str = "sealed1:";

/// Whether a channel target's secret (if it has one) is sealed.
fn target_is_sealed(target: &ChannelTarget) -> bool {
    match target {
        ChannelTarget::Email { .. } => true,
        ChannelTarget::Webhook { secret, .. } => secret.starts_with(SEALED_SECRET_PREFIX),
    }
}

/// Refuses a channel whose webhook secret is not sealed.
pub(crate) fn check_channel_sealed(channel: &Channel) -> Result<()> {
    if target_is_sealed(&channel.target) {
        Ok(())
    } else {
        Err(crate::StoreError::Conflict(format!(
            "channel {}: a webhook secret is stored only sealed (seal it with assure_auth::SecretSealer)",
            channel.id
        )))
    }
}

/// The shared secret an inbound tracker webhook presents (`github`: the HMAC key of
/// `X-Hub-Signature-256`; `jira`: the secret its URL or header carries), sealed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrackerSecret {
    /// `github` or `jira`.
    pub tracker: String,
    /// `sealed1:` text, bound to `assure_auth::tracker_context(tracker)`.
    pub sealed: String,
}

impl Audited for TrackerSecret {
    const KIND: &'static str = "tracker-secret";
    fn object_id(&self) -> String {
        self.tracker.clone()
    }
}

/// Where a delivery is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryState {
    Pending,
    Delivered,
    /// Gave up after the last attempt.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

/// One message to send through one channel, at least once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub id: String,
    /// The same on every attempt, so the receiver can drop duplicates.
    pub idempotency_key: String,
    pub notification: String,
    pub target: ChannelTarget,
    pub subject: String,
    /// JSON for webhooks, text for e-mail.
    pub payload: String,
    pub state: DeliveryState,
    pub attempts: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt_at: OffsetDateTime,
}

/// The result of one delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    /// Failed; try again at `retry_at`, or give up when `None`.
    Failed {
        error: String,
        retry_at: Option<OffsetDateTime>,
    },
}

/// One line of the delivery log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeliveryLogEntry {
    pub delivery: String,
    pub attempt: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub worker: String,
    /// `delivered` or `failed`.
    pub outcome: String,
    pub detail: String,
}

/// What one deadline sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepOutcome {
    /// Deadline jobs claimed and handled.
    pub jobs: usize,
    /// Reminders and escalations newly recorded (a repeat finds them recorded and adds none).
    pub alerts: usize,
    pub deliveries: usize,
}

/// A periodic review cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewKind {
    /// Quarterly: control owners re-attest their controls.
    ControlOwnerAttestation,
    /// Annual: the baseline is reviewed.
    BaselineReview,
    /// Evidence reaching its expiry needs replacing.
    EvidenceExpiry,
}

impl ReviewKind {
    pub const ALL: [ReviewKind; 3] = [
        Self::ControlOwnerAttestation,
        Self::BaselineReview,
        Self::EvidenceExpiry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ControlOwnerAttestation => "control-owner-attestation",
            Self::BaselineReview => "baseline-review",
            Self::EvidenceExpiry => "evidence-expiry",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }

    /// The cycle: a quarter, a year, or daily for evidence expiry checks.
    pub fn every(self) -> time::Duration {
        match self {
            Self::ControlOwnerAttestation => time::Duration::days(91),
            Self::BaselineReview => time::Duration::days(365),
            Self::EvidenceExpiry => time::Duration::days(1),
        }
    }
}

/// A task a review cycle created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReviewTask {
    pub id: String,
    pub tenant: Option<TenantId>,
    pub kind: ReviewKind,
    /// What to review (a control, `baseline`, an evidence record).
    pub subject: String,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Audited for ReviewTask {
    const KIND: &'static str = "review-task";
    fn object_id(&self) -> String {
        self.id.clone()
    }
    fn tenant(&self) -> Option<TenantId> {
        self.tenant.clone()
    }
}

/// Findings, their remediation and escalations. Tenant-owned rows take a [`TenantScope`]; provider-owned
/// findings are visible only to a scope of every tenant (customers see them through
/// [`FindingStore::list_inherited_exceptions`]).
pub trait FindingStore: Send + Sync {
    /// The owner's remediation policy: the stored one, else the provider's; a tenant without one of its own
    /// runs on the provider's. `NotFound` when the scope does not admit the owner.
    fn remediation_policy(
        &self,
        scope: &TenantScope,
        owner: &FindingOwner,
    ) -> impl Future<Output = Result<RemediationPolicy>> + Send;
    /// Sets an owner's policy (audited). Existing deadlines keep; new findings use it.
    fn set_remediation_policy(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        owner: &FindingOwner,
        policy: &RemediationPolicy,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Every stored policy the scope admits (owners without one run on the provider's).
    fn list_remediation_policies(
        &self,
        scope: &TenantScope,
    ) -> impl Future<Output = Result<Vec<StoredPolicy>>> + Send;
    /// Replaces the Known Exploited Vulnerabilities catalogue with the one the operator imported (audited
    /// as one object). In the same transaction every open finding whose CVE it newly lists moves to its
    /// policy's shortest clock (never to a later deadline), recorded as `kev-listed` on its timeline and
    /// audited.
    fn import_kev(
        &self,
        actor: &Actor,
        catalogue: &KevCatalogue,
    ) -> impl Future<Output = Result<KevImport>> + Send;
    /// The imported catalogue's summary, `None` before the first import.
    fn kev_import(&self) -> impl Future<Output = Result<Option<KevImport>>> + Send;
    /// Records a detection: a new finding (deadline from the owner's policy, the shortest clock when its
    /// CVE is on the KEV list, a deadline job scheduled), or, when an open finding has the same key, that
    /// finding seen again (last seen and count only). `NotFound` when the scope does not admit the owner.
    fn record_detection(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &FindingId,
        detection: &Detection,
    ) -> impl Future<Output = Result<DetectionOutcome>> + Send;
    fn get_finding(
        &self,
        scope: &TenantScope,
        id: &FindingId,
    ) -> impl Future<Output = Result<Option<Finding>>> + Send;
    /// Findings the scope admits, worst and oldest deadline first.
    fn list_findings(
        &self,
        scope: &TenantScope,
        query: &FindingQuery,
    ) -> impl Future<Output = Result<Page<Finding>>> + Send;
    /// The provider's open findings on the controls `tenant` inherits (`inherited`, from its matrix),
    /// redacted. `NotFound` when the scope does not admit the tenant.
    fn list_inherited_exceptions(
        &self,
        scope: &TenantScope,
        tenant: &TenantId,
        inherited: &BTreeSet<ControlId>,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Vec<InheritedException>>> + Send;
    /// Moves a finding one step (`remediation::apply` decides; refused steps name the allowed ones),
    /// audited and on its timeline.
    fn transition_finding(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &FindingId,
        step: &Step,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Finding>> + Send;
    /// Changes severity and so the deadline (from the detection, by the owner's policy): the only way a
    /// deadline moves. The deadline job follows.
    fn retriage_finding(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &FindingId,
        change: &Retriage,
    ) -> impl Future<Output = Result<Finding>> + Send;
    /// A finding's timeline, oldest first; empty when the scope does not admit it.
    fn finding_timeline(
        &self,
        scope: &TenantScope,
        id: &FindingId,
    ) -> impl Future<Output = Result<Vec<TimelineEntry>>> + Send;
    /// The open findings linked to an external ticket (for tracker webhooks).
    fn findings_by_ticket(
        &self,
        scope: &TenantScope,
        ticket: &Ticket,
    ) -> impl Future<Output = Result<Vec<Finding>>> + Send;
    /// Reminders and escalations the scope admits, of one finding or all, oldest first.
    fn list_escalations(
        &self,
        scope: &TenantScope,
        finding: Option<&FindingId>,
    ) -> impl Future<Output = Result<Vec<Escalation>>> + Send;
    /// Oversight acknowledges an escalation; `Conflict` when already acknowledged or not an escalation.
    fn acknowledge_escalation(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &str,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<Escalation>> + Send;
    /// Audits an inbound tracker webhook that was refused (forged, unsigned or with the wrong secret) on
    /// the provider's chain: `tracker` (`github`, `jira`) names the object, `reason` (`mismatch`,
    /// `missing`, ...) ends the action `tracker-webhook.refused.REASON`. Nothing else is written.
    fn record_tracker_refusal(
        &self,
        actor: &Actor,
        tracker: &str,
        reason: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The in-app inbox: notifications the scope admits, newest first, optionally for one audience.
    fn list_notifications(
        &self,
        scope: &TenantScope,
        audience: Option<Audience>,
    ) -> impl Future<Output = Result<Vec<Notification>>> + Send;
}

/// The durable scheduler's state: deadline and review jobs with leases, deliveries with idempotency keys
/// and their log.
pub trait SchedulerStore: Send + Sync {
    /// Registers a channel (audited); `Conflict` when its id is taken or its webhook secret is not sealed.
    fn add_channel(
        &self,
        actor: &Actor,
        channel: &Channel,
    ) -> impl Future<Output = Result<()>> + Send;
    fn list_channels(&self) -> impl Future<Output = Result<Vec<Channel>>> + Send;
    /// Registers a channel or replaces the one with its id (audited). Webhook secrets must be sealed.
    fn set_channel(
        &self,
        actor: &Actor,
        channel: &Channel,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Stores a tracker's sealed shared secret, replacing the previous one (audited); unsealed text is
    /// refused.
    fn set_tracker_secret(
        &self,
        actor: &Actor,
        secret: &TrackerSecret,
    ) -> impl Future<Output = Result<()>> + Send;
    /// A tracker's sealed secret, `None` when none is configured.
    fn tracker_secret(
        &self,
        tracker: &str,
    ) -> impl Future<Output = Result<Option<TrackerSecret>>> + Send;
    fn list_tracker_secrets(&self) -> impl Future<Output = Result<Vec<TrackerSecret>>> + Send;
    /// One sweep of up to `limit` due deadline jobs, in one transaction: records every alert due by `now`
    /// that is not yet recorded (with its notification, deliveries and audit record), and moves each job to
    /// its next alert (or drops it). On PostgreSQL the jobs are claimed `FOR UPDATE SKIP LOCKED`, so two
    /// nodes sweep disjoint jobs; on SQLite the write lock serialises sweeps.
    fn sweep_deadlines(
        &self,
        worker: &str,
        now: OffsetDateTime,
        policy: &EscalationPolicy,
        limit: i64,
    ) -> impl Future<Output = Result<SweepOutcome>> + Send;
    /// Claims up to `limit` pending deliveries due by `now` that no live lease holds, leasing them to
    /// `worker` until `lease_until`.
    fn claim_deliveries(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Delivery>>> + Send;
    /// Records an attempt of a delivery `worker` holds and logs it. `Conflict` when the lease is lost.
    fn finish_delivery(
        &self,
        worker: &str,
        id: &str,
        at: OffsetDateTime,
        outcome: &AttemptOutcome,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Deliveries of a notification (or all), oldest first.
    fn list_deliveries(
        &self,
        notification: Option<&str>,
    ) -> impl Future<Output = Result<Vec<Delivery>>> + Send;
    /// The log of one delivery's attempts.
    fn delivery_log(&self, id: &str) -> impl Future<Output = Result<Vec<DeliveryLogEntry>>> + Send;
    /// Schedules a review cycle for a tenant (or the provider) from `first_at` (idempotent per kind and
    /// tenant).
    fn schedule_review(
        &self,
        tenant: Option<&TenantId>,
        kind: ReviewKind,
        first_at: OffsetDateTime,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Runs the review jobs due by `now` (leased to `worker`): each creates its tasks once per cycle
    /// (subjects from `subjects`, e.g. the controls a tenant owns) and moves to its next cycle.
    fn run_due_reviews(
        &self,
        worker: &str,
        now: OffsetDateTime,
        subjects: &(dyn Fn(Option<&TenantId>, ReviewKind) -> Vec<String> + Send + Sync),
    ) -> impl Future<Output = Result<Vec<ReviewTask>>> + Send;
    /// Review tasks the scope admits, oldest first.
    fn list_review_tasks(
        &self,
        scope: &TenantScope,
    ) -> impl Future<Output = Result<Vec<ReviewTask>>> + Send;
}

/// The provider's open findings a tenant's matrix inherits (provider and shared controls), redacted: the
/// matrix is computed from the catalogue and the tenant's profile now. `NotFound` when the scope does not
/// admit the tenant.
pub async fn inherited_exceptions_for<S: crate::Store>(
    store: &S,
    scope: &TenantScope,
    tenant: &TenantId,
    now: OffsetDateTime,
) -> Result<Vec<InheritedException>> {
    let programme = crate::snapshot::programme_snapshot(store, scope).await?;
    let Some(profile) = programme.tenants.iter().find(|t| &t.id == tenant) else {
        return Err(crate::StoreError::NotFound(format!("tenant {tenant}")));
    };
    let unreadable = |e: assure_domain::matrix::MatrixError| crate::StoreError::Corrupt {
        what: format!("the matrix of tenant {tenant}"),
        detail: e.to_string(),
    };
    let matrix = assure_domain::matrix::ResponsibilityModel::new(&programme)
        .and_then(|m| m.matrix(profile))
        .map_err(unreadable)?;
    let inherited = assure_domain::finding_metrics::inherited_controls(&matrix);
    store
        .list_inherited_exceptions(scope, tenant, &inherited, now)
        .await
}
