//! The SQL implementation of [`crate::findings::FindingStore`] and [`crate::findings::SchedulerStore`],
//! compiled once per backend as a child of `sql.rs` (so it shares its `AuditWriter`, helpers and types).

use std::collections::BTreeSet;

use assure_domain::ControlId;
use assure_domain::TenantId;
use assure_domain::audit::format_instant;
use assure_domain::escalation::{Alert, EscalationPolicy, alerts_due};
use assure_domain::finding::{
    Detection, Finding, FindingId, FindingOwner, InheritedException, inherited_exceptions,
};
use assure_domain::kev::KevCatalogue;
use assure_domain::remediation::{
    RemediationPolicy, RemediationState, Retriage, Step, StepContext, Ticket, apply, retriage,
};
use sqlx::Row;
use time::OffsetDateTime;

use super::{AuditWriter, DIALECT, DbRow, SqlStore, Tx, corrupt, from_json, json, parse_instant};
use crate::findings::{
    AttemptOutcome, Audience, Channel, ChannelTarget, Delivery, DeliveryLogEntry, DeliveryState,
    DetectionOutcome, Escalation, FindingQuery, FindingSort, KevImport, Notification, ReviewKind,
    ReviewTask, StoredPolicy, SweepOutcome, TimelineEntry, TrackerSecret,
};
use crate::{Actor, Backend, Page, Result, StoreError, TenantScope};

/// Suffix that claims rows no other transaction holds, skipping the held ones (PostgreSQL); SQLite has one
/// writer, so nothing to skip.
fn skip_locked(table: &str) -> String {
    match DIALECT.backend {
        Backend::Postgres => format!(" FOR UPDATE OF {table} SKIP LOCKED"),
        Backend::Sqlite => String::new(),
    }
}

fn at(instant: OffsetDateTime) -> String {
    format_instant(instant)
}

fn visible(scope: &TenantScope, owner: &FindingOwner) -> bool {
    match owner {
        FindingOwner::Tenant(t) => scope.admits(t),
        FindingOwner::Provider => *scope == TenantScope::AllTenants,
    }
}

fn finding_from_row(row: &DbRow) -> Result<Finding> {
    from_json("finding", &row.try_get::<String, _>("finding_json")?)
}

fn escalation_from_row(row: &DbRow) -> Result<Escalation> {
    let ack_at: Option<String> = row.try_get("acknowledged_at")?;
    Ok(Escalation {
        id: row.try_get("id")?,
        finding: FindingId::new(row.try_get::<String, _>("finding_id")?),
        tenant: row
            .try_get::<Option<String>, _>("tenant_id")?
            .map(TenantId::new),
        due_at: parse_instant("escalation due", &row.try_get::<String, _>("due_at")?)?,
        alert: from_json("escalation alert", &row.try_get::<String, _>("alert_json")?)?,
        raised_at: parse_instant("escalation raised", &row.try_get::<String, _>("raised_at")?)?,
        acknowledged_by: row.try_get("acknowledged_by")?,
        acknowledged_at: ack_at
            .map(|a| parse_instant("escalation acknowledged", &a))
            .transpose()?,
    })
}

fn target_from_json(text: &str) -> Result<ChannelTarget> {
    let v: serde_json::Value = from_json("channel target", text)?;
    let field = |name: &str| {
        v.get(name)
            .and_then(|x| x.as_str())
            .map(str::to_owned)
            .ok_or_else(|| corrupt("channel target", format!("no {name}")))
    };
    match v.get("kind").and_then(|k| k.as_str()) {
        Some("email") => Ok(ChannelTarget::Email { to: field("to")? }),
        Some("webhook") => Ok(ChannelTarget::Webhook {
            url: field("url")?,
            secret: field("secret")?,
        }),
        other => Err(corrupt("channel target", format!("kind {other:?}"))),
    }
}

fn delivery_from_row(row: &DbRow) -> Result<Delivery> {
    let state: String = row.try_get("state")?;
    Ok(Delivery {
        id: row.try_get("id")?,
        idempotency_key: row.try_get("idempotency_key")?,
        notification: row.try_get("notification_id")?,
        target: target_from_json(&row.try_get::<String, _>("target_json")?)?,
        subject: row.try_get("subject")?,
        payload: row.try_get("payload")?,
        state: DeliveryState::parse(&state).ok_or_else(|| corrupt("delivery state", &state))?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: parse_instant(
            "delivery next attempt",
            &row.try_get::<String, _>("next_attempt_at")?,
        )?,
    })
}

fn notification_from_row(row: &DbRow) -> Result<Notification> {
    let audience: String = row.try_get("audience")?;
    Ok(Notification {
        id: row.try_get("id")?,
        tenant: row
            .try_get::<Option<String>, _>("tenant_id")?
            .map(TenantId::new),
        audience: Audience::parse(&audience).ok_or_else(|| corrupt("audience", &audience))?,
        finding: FindingId::new(row.try_get::<String, _>("finding_id")?),
        escalation: row.try_get("escalation_id")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        created_at: parse_instant("notification", &row.try_get::<String, _>("created_at")?)?,
    })
}

fn review_task_from_row(row: &DbRow) -> Result<ReviewTask> {
    let kind: String = row.try_get("kind")?;
    Ok(ReviewTask {
        id: row.try_get("id")?,
        tenant: row
            .try_get::<Option<String>, _>("tenant_id")?
            .map(TenantId::new),
        kind: ReviewKind::parse(&kind).ok_or_else(|| corrupt("review kind", &kind))?,
        subject: row.try_get("subject")?,
        due_at: parse_instant("review due", &row.try_get::<String, _>("due_at")?)?,
        created_at: parse_instant("review created", &row.try_get::<String, _>("created_at")?)?,
    })
}

fn channel_from_row(row: &DbRow) -> Result<Channel> {
    let audience: String = row.try_get("audience")?;
    Ok(Channel {
        id: row.try_get("id")?,
        tenant: row
            .try_get::<Option<String>, _>("tenant_id")?
            .map(TenantId::new),
        audience: Audience::parse(&audience).ok_or_else(|| corrupt("audience", &audience))?,
        target: target_from_json(&row.try_get::<String, _>("target_json")?)?,
    })
}

/// Updates a finding's row, keeping the query columns in step with its JSON (new findings go through
/// [`insert_if_key_free`]).
async fn write_finding(tx: &mut Tx, f: &Finding) -> Result<()> {
    let key = f.key().as_text();
    let open_key = f.state.is_open().then(|| key.clone());
    let ticket = f.remediation.ticket.as_ref().map(Ticket::reference);
    let sql = "UPDATE findings SET tenant_id = $2, dedup_key = $3, open_key = $4, state = $5, severity = $6, \
         control_id = $7, ticket = $8, due_at = $9, detected_at = $10, finding_json = $11 WHERE id = $1";
    sqlx::query(sql)
        .bind(f.id.as_str())
        .bind(f.owner.tenant().map(|t| t.to_string()))
        .bind(&key)
        .bind(open_key)
        .bind(f.state.as_str())
        .bind(f.severity.name())
        .bind(f.control.as_ref().map(|c| c.to_string()))
        .bind(ticket)
        .bind(f.due_at.map(at))
        .bind(at(f.detected_at))
        .bind(json(f))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn add_event(
    tx: &mut Tx,
    finding: &FindingId,
    when: OffsetDateTime,
    actor: &Actor,
    kind: &str,
    detail: serde_json::Value,
) -> Result<()> {
    let next: i64 = sqlx::query(
        "SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM finding_events WHERE finding_id = $1",
    )
    .bind(finding.as_str())
    .fetch_one(&mut **tx)
    .await?
    .try_get("next")?;
    sqlx::query(
        "INSERT INTO finding_events (finding_id, seq, at, actor, kind, detail_json) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(finding.as_str())
    .bind(next)
    .bind(at(when))
    .bind(&actor.0)
    .bind(kind)
    .bind(detail.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets (or drops, for `None`) a finding's deadline job.
async fn set_deadline_job(tx: &mut Tx, f: &Finding, run_at: Option<OffsetDateTime>) -> Result<()> {
    let id = format!("deadline:{}", f.id);
    match run_at {
        Some(run_at) => {
            sqlx::query(
                "INSERT INTO jobs (id, kind, subject, tenant_id, next_run_at, payload_json) \
                 VALUES ($1, 'deadline', $2, $3, $4, '{}') \
                 ON CONFLICT (id) DO UPDATE SET next_run_at = excluded.next_run_at",
            )
            .bind(&id)
            .bind(f.id.as_str())
            .bind(f.owner.tenant().map(|t| t.to_string()))
            .bind(at(run_at))
            .execute(&mut **tx)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM jobs WHERE id = $1")
                .bind(&id)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// When a finding's deadline job should next look at it after a change at `now`: at once while its clock
/// runs (the sweep then finds its next alert), at the expiry of an accepted risk, never once closed.
fn job_after_change(f: &Finding, now: OffsetDateTime) -> Option<OffsetDateTime> {
    match f.state {
        RemediationState::Closed => None,
        RemediationState::RiskAccepted => {
            f.remediation.risk_acceptance.as_ref().map(|a| a.expires_at)
        }
        RemediationState::Open
        | RemediationState::Triaged
        | RemediationState::RootCauseRecorded
        | RemediationState::ActionPlanned
        | RemediationState::FixImplemented
        | RemediationState::RegressionValidation => f.due_at.map(|_| now),
    }
}

async fn policy_in(tx: &mut Tx, owner: &FindingOwner) -> Result<RemediationPolicy> {
    for key in [owner.key(), FindingOwner::Provider.key()] {
        let row = sqlx::query("SELECT policy_json FROM remediation_policies WHERE owner_key = $1")
            .bind(&key)
            .fetch_optional(&mut **tx)
            .await?;
        if let Some(row) = row {
            return from_json(
                "remediation policy",
                &row.try_get::<String, _>("policy_json")?,
            );
        }
    }
    Ok(RemediationPolicy::PROVIDER_DEFAULT)
}

/// The open finding with de-duplication key `key`, locked for change on PostgreSQL.
async fn open_finding_for_change(tx: &mut Tx, key: &str) -> Result<Option<Finding>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT finding_json FROM findings WHERE open_key = $1{}",
        DIALECT.for_update
    )))
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(finding_from_row).transpose()
}

/// Inserts a new finding unless an open finding holds its key: `ON CONFLICT (open_key) DO NOTHING`, so a
/// concurrent first detection of the same key (which PostgreSQL makes this insert wait for) never fails
/// on the unique key. Returns whether the row was inserted.
async fn insert_if_key_free(tx: &mut Tx, f: &Finding) -> Result<bool> {
    let key = f.key().as_text();
    let open_key = f.state.is_open().then(|| key.clone());
    let ticket = f.remediation.ticket.as_ref().map(Ticket::reference);
    let inserted = sqlx::query(
        "INSERT INTO findings (id, tenant_id, dedup_key, open_key, state, severity, control_id, ticket, \
         due_at, detected_at, finding_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (open_key) DO NOTHING",
    )
    .bind(f.id.as_str())
    .bind(f.owner.tenant().map(|t| t.to_string()))
    .bind(&key)
    .bind(open_key)
    .bind(f.state.as_str())
    .bind(f.severity.name())
    .bind(f.control.as_ref().map(|c| c.to_string()))
    .bind(ticket)
    .bind(f.due_at.map(at))
    .bind(at(f.detected_at))
    .bind(json(f))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// A re-detection of the open finding `open`: seen again and counted (never a new deadline), on its
/// timeline and audited; commits `tx`.
async fn refresh(
    mut tx: Tx,
    actor: &Actor,
    open: &Finding,
    detection: &Detection,
) -> Result<DetectionOutcome> {
    let seen = open.redetected(detection.at);
    write_finding(&mut tx, &seen).await?;
    add_event(
        &mut tx,
        &seen.id,
        detection.at,
        actor,
        "redetected",
        serde_json::json!({ "source": detection.source }),
    )
    .await?;
    let mut audit = AuditWriter::new(actor);
    audit.record(&mut tx, &seen, "redetect").await?;
    audit.finish(&mut tx).await?;
    tx.commit().await?;
    Ok(DetectionOutcome {
        finding: seen,
        created: false,
    })
}

/// Open findings whose CVE the new catalogue lists move to the shortest clock of their owner's policy
/// (counted from detection, never later than their deadline already is), each on its timeline as
/// `kev-listed` and audited: a KEV listing is an audited re-triage the catalogue makes.
async fn reclock_known_exploited(
    tx: &mut Tx,
    audit: &mut AuditWriter,
    actor: &Actor,
    catalogue: &KevCatalogue,
) -> Result<usize> {
    // Only rows that name a CVE (the JSON writes `"cve":null` otherwise).
    let rows = sqlx::query(
        "SELECT finding_json FROM findings WHERE open_key IS NOT NULL \
         AND finding_json NOT LIKE '%\"cve\":null%' ORDER BY id",
    )
    .fetch_all(&mut **tx)
    .await?;
    let now = OffsetDateTime::now_utc();
    let mut moved = 0;
    for row in &rows {
        let mut f = finding_from_row(row)?;
        let Some(cve) = f.cve.clone() else { continue };
        if f.known_exploited || !catalogue.lists(&cve) {
            continue;
        }
        let policy = policy_in(tx, &f.owner).await?;
        let shortest = policy.due_at(f.detected_at, f.severity, true);
        let before = f.due_at;
        f.known_exploited = true;
        f.due_at = match (before, shortest) {
            (Some(b), Some(s)) => Some(b.min(s)),
            (b, s) => s.or(b),
        };
        write_finding(tx, &f).await?;
        add_event(
            tx,
            &f.id,
            now,
            actor,
            "kev-listed",
            serde_json::json!({
                "cve": cve,
                "catalog_version": catalogue.catalog_version,
                "from": { "due_at": before.map(at) },
                "to": { "due_at": f.due_at.map(at) },
            }),
        )
        .await?;
        set_deadline_job(tx, &f, job_after_change(&f, f.detected_at)).await?;
        audit.record(tx, &f, "kev-listed").await?;
        moved += 1;
    }
    Ok(moved)
}

impl SqlStore {
    async fn owner_exists(&self, scope: &TenantScope, owner: &FindingOwner) -> Result<bool> {
        match owner {
            FindingOwner::Provider => Ok(*scope == TenantScope::AllTenants),
            FindingOwner::Tenant(t) => self.visible_tenant(scope, t).await,
        }
    }

    /// Loads a finding for change inside `tx` (locked on PostgreSQL); `NotFound` outside the scope.
    async fn finding_for_change(
        tx: &mut Tx,
        scope: &TenantScope,
        id: &FindingId,
    ) -> Result<Finding> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT finding_json FROM findings WHERE id = $1{}",
            DIALECT.for_update
        )))
        .bind(id.as_str())
        .fetch_optional(&mut **tx)
        .await?;
        match row.as_ref().map(finding_from_row).transpose()? {
            Some(f) if visible(scope, &f.owner) => Ok(f),
            _ => Err(StoreError::NotFound(format!("finding {id}"))),
        }
    }
}

fn alert_text(f: &Finding, alert: Alert) -> (String, String) {
    let due = f.due_at.map(at).unwrap_or_default();
    let subject = match alert {
        Alert::Reminder { seconds_before } => format!(
            "Finding {} ({}) is due in {} day(s)",
            f.id,
            f.severity,
            seconds_before / 86_400
        ),
        Alert::Escalation { level } => format!(
            "Finding {} ({}) is overdue: escalated to {}",
            f.id,
            f.severity,
            level.as_str()
        ),
    };
    let body = format!(
        "{subject}.\nTitle: {}\nOwner: {}\nState: {}\nDue: {due}\n",
        f.title,
        f.remediation.owner.as_deref().unwrap_or("(not triaged)"),
        f.state.as_str()
    );
    (subject, body)
}

impl crate::findings::FindingStore for SqlStore {
    async fn list_remediation_policies(&self, scope: &TenantScope) -> Result<Vec<StoredPolicy>> {
        let rows = sqlx::query("SELECT * FROM remediation_policies ORDER BY owner_key")
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::new();
        for row in &rows {
            let owner = match row.try_get::<Option<String>, _>("tenant_id")? {
                Some(t) => FindingOwner::Tenant(TenantId::new(t)),
                None => FindingOwner::Provider,
            };
            if visible(scope, &owner) {
                out.push(StoredPolicy {
                    owner,
                    policy: from_json(
                        "remediation policy",
                        &row.try_get::<String, _>("policy_json")?,
                    )?,
                });
            }
        }
        Ok(out)
    }

    async fn remediation_policy(
        &self,
        scope: &TenantScope,
        owner: &FindingOwner,
    ) -> Result<RemediationPolicy> {
        if !self.owner_exists(scope, owner).await? {
            return Err(StoreError::NotFound(format!("owner {}", owner.key())));
        }
        let mut tx = self.pool.begin().await?;
        let policy = policy_in(&mut tx, owner).await?;
        tx.commit().await?;
        Ok(policy)
    }

    async fn set_remediation_policy(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        owner: &FindingOwner,
        policy: &RemediationPolicy,
    ) -> Result<()> {
        if !self.owner_exists(scope, owner).await? {
            return Err(StoreError::NotFound(format!("owner {}", owner.key())));
        }
        let problems = policy.problems();
        if !problems.is_empty() {
            return Err(StoreError::Conflict(problems.join("; ")));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO remediation_policies (owner_key, tenant_id, policy_json, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (owner_key) DO UPDATE SET \
             policy_json = excluded.policy_json, updated_at = excluded.updated_at",
        )
        .bind(owner.key())
        .bind(owner.tenant().map(|t| t.to_string()))
        .bind(json(policy))
        .bind(at(OffsetDateTime::now_utc()))
        .execute(&mut *tx)
        .await?;
        let mut audit = AuditWriter::new(actor);
        let stored = StoredPolicy {
            owner: owner.clone(),
            policy: *policy,
        };
        audit.record(&mut tx, &stored, "set").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn import_kev(&self, actor: &Actor, catalogue: &KevCatalogue) -> Result<KevImport> {
        let import = KevImport {
            catalog_version: catalogue.catalog_version.clone(),
            date_released: catalogue.date_released.clone(),
            count: i64::try_from(catalogue.len()).unwrap_or(i64::MAX),
            entries_digest: assure_domain::audit::state_digest(&catalogue.entries),
        };
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM kev_entries")
            .execute(&mut *tx)
            .await?;
        for (cve, entry) in &catalogue.entries {
            sqlx::query("INSERT INTO kev_entries (cve_id, entry_json) VALUES ($1, $2)")
                .bind(cve)
                .bind(json(entry))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO kev_imports (id, import_json, imported_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET import_json = excluded.import_json, \
             imported_at = excluded.imported_at",
        )
        .bind(json(&import))
        .bind(at(OffsetDateTime::now_utc()))
        .execute(&mut *tx)
        .await?;
        let mut audit = AuditWriter::new(actor);
        audit.record(&mut tx, &import, "import").await?;
        reclock_known_exploited(&mut tx, &mut audit, actor, catalogue).await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(import)
    }

    async fn kev_import(&self) -> Result<Option<KevImport>> {
        let row = sqlx::query("SELECT import_json FROM kev_imports WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let v: serde_json::Value =
            from_json("kev import", &row.try_get::<String, _>("import_json")?)?;
        let text = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
        Ok(Some(KevImport {
            catalog_version: text("catalog_version"),
            date_released: text("date_released"),
            count: v.get("count").and_then(|c| c.as_i64()).unwrap_or(0),
            entries_digest: text("entries_digest"),
        }))
    }

    async fn record_detection(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &FindingId,
        detection: &Detection,
    ) -> Result<DetectionOutcome> {
        if !self.owner_exists(scope, &detection.owner).await? {
            return Err(StoreError::NotFound(format!(
                "owner {}",
                detection.owner.key()
            )));
        }
        // Refuse a malformed detection before anything is written.
        detection.severity()?;
        let mut tx = self.begin_write().await?;
        let key = detection.key().as_text();
        if let Some(open) = open_finding_for_change(&mut tx, &key).await? {
            return refresh(tx, actor, &open, detection).await;
        }
        let taken = sqlx::query("SELECT id FROM findings WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!("finding {id} already exists")));
        }
        let policy = policy_in(&mut tx, &detection.owner).await?;
        let known_exploited = match &detection.cve {
            Some(cve) => sqlx::query("SELECT cve_id FROM kev_entries WHERE cve_id = $1")
                .bind(cve.trim().to_ascii_uppercase())
                .fetch_optional(&mut *tx)
                .await?
                .is_some(),
            None => false,
        };
        let finding = Finding::raise(id.clone(), detection, &policy, known_exploited)?;
        if !insert_if_key_free(&mut tx, &finding).await? {
            // A concurrent detection of the same key committed its finding after our first look (on
            // PostgreSQL the insert waited for it): this detection refreshes that finding instead.
            let open = open_finding_for_change(&mut tx, &key)
                .await?
                .ok_or_else(|| {
                    StoreError::Conflict(format!(
                        "finding {id}: its key was taken and released again; retry the detection"
                    ))
                })?;
            return refresh(tx, actor, &open, detection).await;
        }
        let mut audit = AuditWriter::new(actor);
        add_event(
            &mut tx,
            &finding.id,
            detection.at,
            actor,
            "detected",
            serde_json::json!({
                "source": finding.source,
                "severity": finding.severity,
                "known_exploited": known_exploited,
                "due_at": finding.due_at.map(at),
            }),
        )
        .await?;
        set_deadline_job(&mut tx, &finding, finding.due_at.map(|_| detection.at)).await?;
        audit.record(&mut tx, &finding, "create").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(DetectionOutcome {
            finding,
            created: true,
        })
    }

    async fn get_finding(&self, scope: &TenantScope, id: &FindingId) -> Result<Option<Finding>> {
        let row = sqlx::query("SELECT finding_json FROM findings WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row
            .as_ref()
            .map(finding_from_row)
            .transpose()?
            .filter(|f| visible(scope, &f.owner)))
    }

    async fn list_findings(
        &self,
        scope: &TenantScope,
        query: &FindingQuery,
    ) -> Result<Page<Finding>> {
        let mut conditions: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let bind = |value: String, binds: &mut Vec<String>| {
            binds.push(value);
            format!("${}", binds.len())
        };
        match scope {
            TenantScope::AllTenants => {}
            TenantScope::Tenant(t) => {
                let p = bind(t.to_string(), &mut binds);
                conditions.push(format!("tenant_id = {p}"));
            }
            TenantScope::Tenants(set) => {
                if set.is_empty() {
                    return Ok(Page {
                        items: Vec::new(),
                        total: 0,
                    });
                }
                let ps: Vec<String> = set
                    .iter()
                    .map(|t| bind(t.to_string(), &mut binds))
                    .collect();
                conditions.push(format!("tenant_id IN ({})", ps.join(", ")));
            }
        }
        if let Some(t) = &query.tenant {
            let p = bind(t.to_string(), &mut binds);
            conditions.push(format!("tenant_id = {p}"));
        }
        match query.provider_owned {
            Some(true) => conditions.push("tenant_id IS NULL".into()),
            Some(false) => conditions.push("tenant_id IS NOT NULL".into()),
            None => {}
        }
        if let Some(s) = query.severity {
            let p = bind(s.name().to_owned(), &mut binds);
            conditions.push(format!("severity = {p}"));
        }
        if let Some(s) = query.state {
            let p = bind(s.as_str().to_owned(), &mut binds);
            conditions.push(format!("state = {p}"));
        }
        if let Some(c) = &query.control {
            let p = bind(c.to_string(), &mut binds);
            conditions.push(format!("control_id = {p}"));
        }
        if let Some(now) = query.overdue_at {
            let p = bind(at(now), &mut binds);
            conditions.push(format!(
                "due_at < {p} AND state <> 'closed' AND state <> 'risk-accepted'"
            ));
        }
        if query.open_only {
            conditions.push("state <> 'closed'".into());
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        let mut count = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM findings{filter}"
        )));
        for b in &binds {
            count = count.bind(b.clone());
        }
        let total: i64 = count.fetch_one(&self.pool).await?.try_get("n")?;
        let paging = match query.limit {
            Some(limit) => format!(" LIMIT {} OFFSET {}", limit.max(0), query.offset.max(0)),
            None if query.offset > 0 => format!(" LIMIT -1 OFFSET {}", query.offset),
            None => String::new(),
        };
        let paging = if DIALECT.backend == Backend::Postgres && paging.contains("LIMIT -1") {
            paging.replace("LIMIT -1 ", "")
        } else {
            paging
        };
        let dir = if query.descending { " DESC" } else { "" };
        let severity_rank = "CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 \
             WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END";
        let due = "CASE WHEN due_at IS NULL THEN 1 ELSE 0 END";
        // Every order ends with the ID, so pages never overlap.
        let order = match query.sort {
            FindingSort::Severity => {
                format!("{severity_rank}{dir}, {due}{dir}, due_at{dir}, id{dir}")
            }
            FindingSort::Due => format!("{due}{dir}, due_at{dir}, id{dir}"),
            FindingSort::Detected => format!("detected_at{dir}, id{dir}"),
            FindingSort::Id => format!("id{dir}"),
        };
        let mut select = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT finding_json FROM findings{filter} ORDER BY {order}{paging}"
        )));
        for b in &binds {
            select = select.bind(b.clone());
        }
        let items = select
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(finding_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page { items, total })
    }

    async fn list_inherited_exceptions(
        &self,
        scope: &TenantScope,
        tenant: &TenantId,
        inherited: &BTreeSet<ControlId>,
        now: OffsetDateTime,
    ) -> Result<Vec<InheritedException>> {
        if !self.visible_tenant(scope, tenant).await? {
            return Err(StoreError::NotFound(format!("tenant {tenant}")));
        }
        let rows = sqlx::query(
            "SELECT finding_json FROM findings WHERE tenant_id IS NULL AND state <> 'closed' \
             AND control_id IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        let findings = rows
            .iter()
            .map(finding_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(inherited_exceptions(&findings, inherited, now))
    }

    async fn transition_finding(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &FindingId,
        step: &Step,
        now: OffsetDateTime,
    ) -> Result<Finding> {
        let mut tx = self.begin_write().await?;
        let mut f = Self::finding_for_change(&mut tx, scope, id).await?;
        let outcome = apply(
            f.state,
            &f.remediation,
            step,
            StepContext {
                now,
                severity: f.severity,
                provider_owned: f.owner == FindingOwner::Provider,
            },
        )?;
        f.state = outcome.state;
        f.remediation = outcome.remediation;
        if f.state == RemediationState::Closed {
            f.closed_at = Some(now);
        }
        write_finding(&mut tx, &f).await?;
        add_event(
            &mut tx,
            &f.id,
            now,
            actor,
            step.kind().as_str(),
            serde_json::to_value(step).unwrap_or_default(),
        )
        .await?;
        set_deadline_job(&mut tx, &f, job_after_change(&f, now)).await?;
        let mut audit = AuditWriter::new(actor);
        audit
            .record(&mut tx, &f, &format!("transition-{}", step.kind().as_str()))
            .await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(f)
    }

    async fn retriage_finding(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &FindingId,
        change: &Retriage,
    ) -> Result<Finding> {
        let mut tx = self.begin_write().await?;
        let mut f = Self::finding_for_change(&mut tx, scope, id).await?;
        let policy = policy_in(&mut tx, &f.owner).await?;
        let due = retriage(&policy, f.state, f.detected_at, f.known_exploited, change)?;
        let before = (f.severity, f.due_at.map(at));
        f.severity = change.severity;
        f.due_at = due;
        write_finding(&mut tx, &f).await?;
        let now = OffsetDateTime::now_utc();
        add_event(
            &mut tx,
            &f.id,
            now,
            actor,
            "retriage",
            serde_json::json!({
                "from": { "severity": before.0, "due_at": before.1 },
                "to": { "severity": f.severity, "due_at": f.due_at.map(at) },
                "justification": change.justification,
            }),
        )
        .await?;
        // Look at the finding at the next sweep (any instant not after now; detection is one).
        set_deadline_job(&mut tx, &f, job_after_change(&f, f.detected_at)).await?;
        let mut audit = AuditWriter::new(actor);
        audit.record(&mut tx, &f, "retriage").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(f)
    }

    async fn finding_timeline(
        &self,
        scope: &TenantScope,
        id: &FindingId,
    ) -> Result<Vec<TimelineEntry>> {
        if self.get_finding(scope, id).await?.is_none() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query("SELECT * FROM finding_events WHERE finding_id = $1 ORDER BY seq")
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::new();
        for row in &rows {
            out.push(TimelineEntry {
                seq: row.try_get("seq")?,
                at: parse_instant("finding event", &row.try_get::<String, _>("at")?)?,
                actor: row.try_get("actor")?,
                kind: row.try_get("kind")?,
                detail: from_json("finding event", &row.try_get::<String, _>("detail_json")?)?,
            });
        }
        // Reminders and escalations belong on the timeline too.
        for e in self.list_escalations(scope, Some(id)).await? {
            out.push(TimelineEntry {
                seq: 0,
                at: e.raised_at,
                actor: "system:scheduler".into(),
                kind: match e.alert {
                    Alert::Reminder { .. } => "reminder".into(),
                    Alert::Escalation { .. } => "escalation".into(),
                },
                detail: serde_json::json!({ "alert": e.alert, "escalation": e.id }),
            });
        }
        out.sort_by_key(|e| e.at);
        for (i, e) in out.iter_mut().enumerate() {
            e.seq = i64::try_from(i + 1).unwrap_or(i64::MAX);
        }
        Ok(out)
    }

    async fn findings_by_ticket(
        &self,
        scope: &TenantScope,
        ticket: &Ticket,
    ) -> Result<Vec<Finding>> {
        let rows = sqlx::query(
            "SELECT finding_json FROM findings WHERE ticket = $1 AND state <> 'closed' ORDER BY id",
        )
        .bind(ticket.reference())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(finding_from_row)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|f| visible(scope, &f.owner))
            .collect())
    }

    async fn list_escalations(
        &self,
        scope: &TenantScope,
        finding: Option<&FindingId>,
    ) -> Result<Vec<Escalation>> {
        let rows = sqlx::query(
            "SELECT * FROM escalations WHERE ($1 IS NULL OR finding_id = $1) \
             AND ($2 IS NULL OR tenant_id = $2) ORDER BY raised_at, id",
        )
        .bind(finding.map(|f| f.to_string()))
        .bind(scope.single())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(escalation_from_row)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|e| match &e.tenant {
                Some(t) => scope.admits(t),
                None => *scope == TenantScope::AllTenants,
            })
            .collect())
    }

    async fn acknowledge_escalation(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &str,
        when: OffsetDateTime,
    ) -> Result<Escalation> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM escalations WHERE id = $1{}",
            DIALECT.for_update
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let mut e = match row.as_ref().map(escalation_from_row).transpose()? {
            Some(e)
                if match &e.tenant {
                    Some(t) => scope.admits(t),
                    None => *scope == TenantScope::AllTenants,
                } =>
            {
                e
            }
            _ => return Err(StoreError::NotFound(format!("escalation {id}"))),
        };
        if matches!(e.alert, Alert::Reminder { .. }) {
            return Err(StoreError::Conflict(format!(
                "{id} is a reminder to the owner, not an escalation: nothing to acknowledge"
            )));
        }
        if let Some(by) = &e.acknowledged_by {
            return Err(StoreError::Conflict(format!(
                "escalation {id} was already acknowledged by {by}"
            )));
        }
        let when = parse_instant("instant", &at(when))?;
        e.acknowledged_by = Some(actor.0.clone());
        e.acknowledged_at = Some(when);
        sqlx::query(
            "UPDATE escalations SET acknowledged_by = $1, acknowledged_at = $2 WHERE id = $3",
        )
        .bind(&actor.0)
        .bind(at(when))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let mut audit = AuditWriter::new(actor);
        audit.record(&mut tx, &e, "acknowledge").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(e)
    }

    async fn record_tracker_refusal(
        &self,
        actor: &Actor,
        tracker: &str,
        reason: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut audit = AuditWriter::new(actor);
        audit
            .append(
                &mut tx,
                assure_domain::audit::AuditEvent {
                    actor: actor.0.clone(),
                    tenant: None,
                    action: format!("tracker-webhook.refused.{reason}"),
                    object_kind: "tracker-webhook".to_owned(),
                    object_id: tracker.to_owned(),
                    state_digest: None,
                },
            )
            .await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_notifications(
        &self,
        scope: &TenantScope,
        audience: Option<Audience>,
    ) -> Result<Vec<Notification>> {
        let rows = sqlx::query(
            "SELECT * FROM notifications WHERE ($1 IS NULL OR tenant_id = $1) \
             AND ($2 IS NULL OR audience = $2) ORDER BY created_at DESC, id",
        )
        .bind(scope.single())
        .bind(audience.map(|a| a.as_str().to_owned()))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(notification_from_row)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|n| match &n.tenant {
                Some(t) => scope.admits(t),
                None => *scope == TenantScope::AllTenants,
            })
            .collect())
    }
}

/// One alert a sweep decided is due, before it knows whether an earlier sweep recorded it already.
struct DueAlert<'a> {
    finding: &'a Finding,
    due_at: OffsetDateTime,
    alert: Alert,
    /// Unique per finding, deadline and alert: the escalation's key and the stem of its notification's
    /// and deliveries' keys.
    id: String,
}

/// Records each due alert unless it is recorded already: the escalation row (unique per finding, deadline
/// and alert), the inbox notification, a delivery per matching channel, and the audit record. Each kind of
/// row goes in multi-row statements, so a sweep of thousands of alerts costs a few round trips per batch;
/// the `ON CONFLICT ... RETURNING` on escalations is what keeps a repeat or a racing node from raising an
/// alert twice. Returns the alerts newly recorded and the deliveries enqueued.
async fn raise_alerts(
    tx: &mut Tx,
    audit: &mut AuditWriter,
    due: &[DueAlert<'_>],
    now: OffsetDateTime,
    channels: &[Channel],
) -> Result<(usize, usize)> {
    let now_text = at(now);
    let mut raised: BTreeSet<String> = BTreeSet::new();
    for chunk in due.chunks(super::rows_per_statement()) {
        let sql = format!(
            "INSERT INTO escalations (id, finding_id, tenant_id, due_at, alert_key, alert_json, raised_at) \
             VALUES {} ON CONFLICT (finding_id, due_at, alert_key) DO NOTHING RETURNING id",
            super::values_list(chunk.len(), 7)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for d in chunk {
            q = q
                .bind(&d.id)
                .bind(d.finding.id.as_str())
                .bind(d.finding.owner.tenant().map(|t| t.to_string()))
                .bind(at(d.due_at))
                .bind(d.alert.key())
                .bind(json(&d.alert))
                .bind(&now_text);
        }
        for row in q.fetch_all(&mut **tx).await? {
            raised.insert(row.try_get("id")?);
        }
    }
    let fresh: Vec<&DueAlert<'_>> = due.iter().filter(|d| raised.contains(&d.id)).collect();
    // The inbox notification of each alert, then a delivery per channel that wants it.
    let mut deliveries: Vec<[String; 5]> = Vec::new();
    for chunk in fresh.chunks(super::rows_per_statement()) {
        let sql = format!(
            "INSERT INTO notifications (id, tenant_id, audience, finding_id, escalation_id, subject, body, \
             created_at) VALUES {}",
            super::values_list(chunk.len(), 8)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for d in chunk {
            let f = d.finding;
            let audience = Audience::of(d.alert);
            let (subject, body) = alert_text(f, d.alert);
            let notification = format!("ntf:{}", d.id);
            for c in channels.iter().filter(|c| {
                c.audience == audience
                    && (c.tenant.is_none() || c.tenant.as_ref() == f.owner.tenant())
            }) {
                let payload = match &c.target {
                    ChannelTarget::Email { .. } => body.clone(),
                    ChannelTarget::Webhook { .. } => serde_json::json!({
                        "event": match d.alert { Alert::Reminder { .. } => "finding.reminder", Alert::Escalation { .. } => "finding.escalation" },
                        "escalation": d.id,
                        "alert": d.alert,
                        "finding": { "id": f.id, "title": f.title, "severity": f.severity,
                                     "state": f.state, "due_at": f.due_at.map(at), "tenant": f.owner.tenant() },
                    })
                    .to_string(),
                };
                deliveries.push([
                    format!("dlv:{}:{}", d.id, c.id),
                    notification.clone(),
                    json(&c.target),
                    subject.clone(),
                    payload,
                ]);
            }
            q = q
                .bind(notification)
                .bind(f.owner.tenant().map(|t| t.to_string()))
                .bind(audience.as_str())
                .bind(f.id.as_str())
                .bind(&d.id)
                .bind(subject)
                .bind(body)
                .bind(&now_text);
        }
        q.execute(&mut **tx).await?;
    }
    for chunk in deliveries.chunks(super::rows_per_statement()) {
        let sql = format!(
            "INSERT INTO deliveries (id, idempotency_key, notification_id, target_json, subject, payload, \
             state, attempts, next_attempt_at, created_at) \
             SELECT v.column1, v.column1, v.column2, v.column3, v.column4, v.column5, 'pending', 0, \
             v.column6, v.column6 FROM (VALUES {}) AS v WHERE true \
             ON CONFLICT (idempotency_key) DO NOTHING",
            super::values_list(chunk.len(), 6)
        );
        // `WHERE true` settles SQLite's parse of `SELECT ... ON CONFLICT` (the upsert, not a join's ON).
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for [id, notification, target, subject, payload] in chunk {
            q = q
                .bind(id)
                .bind(notification)
                .bind(target)
                .bind(subject)
                .bind(payload)
                .bind(&now_text);
        }
        q.execute(&mut **tx).await?;
    }
    let raised_at = parse_instant("instant", &now_text)?;
    for d in &fresh {
        let escalation = Escalation {
            id: d.id.clone(),
            finding: d.finding.id.clone(),
            tenant: d.finding.owner.tenant().cloned(),
            due_at: parse_instant("instant", &at(d.due_at))?,
            alert: d.alert,
            raised_at,
            acknowledged_by: None,
            acknowledged_at: None,
        };
        audit.record(tx, &escalation, "raise").await?;
    }
    Ok((fresh.len(), deliveries.len()))
}

/// Moves each claimed deadline job to its next run (and releases its lease), or deletes it when its
/// finding needs no more alerts: one statement per batch.
async fn move_jobs(
    tx: &mut Tx,
    worker: &str,
    moves: &[(String, Option<OffsetDateTime>)],
) -> Result<()> {
    let (next, done): (Vec<_>, Vec<_>) = moves.iter().partition(|(_, next)| next.is_some());
    for chunk in next.chunks(super::rows_per_statement()) {
        let sql = format!(
            // Driven by the batch's IDs (the primary key), not by a join SQLite would plan as a scan of
            // every job.
            "WITH moved (id, next_run_at) AS (VALUES {}) \
             UPDATE jobs SET next_run_at = (SELECT moved.next_run_at FROM moved WHERE moved.id = jobs.id), \
             lease_owner = ${}, lease_until = NULL WHERE jobs.id IN (SELECT moved.id FROM moved)",
            super::values_list(chunk.len(), 2),
            chunk.len() * 2 + 1
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (job, when) in chunk {
            q = q.bind(job).bind(when.map(at));
        }
        q.bind(worker).execute(&mut **tx).await?;
    }
    for chunk in done.chunks(super::rows_per_statement()) {
        let list = (1..=chunk.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM jobs WHERE id IN ({list})"
        )));
        for (job, _) in chunk {
            q = q.bind(job);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

impl crate::findings::SchedulerStore for SqlStore {
    async fn add_channel(&self, actor: &Actor, channel: &Channel) -> Result<()> {
        crate::findings::check_channel_sealed(channel)?;
        let mut tx = self.begin_write().await?;
        let taken = sqlx::query("SELECT id FROM notification_channels WHERE id = $1")
            .bind(&channel.id)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "channel {} already exists",
                channel.id
            )));
        }
        sqlx::query(
            "INSERT INTO notification_channels (id, tenant_id, audience, target_json) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&channel.id)
        .bind(channel.tenant.as_ref().map(|t| t.to_string()))
        .bind(channel.audience.as_str())
        .bind(json(&channel.target))
        .execute(&mut *tx)
        .await?;
        let mut audit = AuditWriter::new(actor);
        audit.record(&mut tx, channel, "create").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_channel(&self, actor: &Actor, channel: &Channel) -> Result<()> {
        crate::findings::check_channel_sealed(channel)?;
        let mut tx = self.begin_write().await?;
        let existed = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM notification_channels WHERE id = $1{}",
            DIALECT.for_update
        )))
        .bind(&channel.id)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
        sqlx::query(
            "INSERT INTO notification_channels (id, tenant_id, audience, target_json) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET tenant_id = excluded.tenant_id, \
             audience = excluded.audience, target_json = excluded.target_json",
        )
        .bind(&channel.id)
        .bind(channel.tenant.as_ref().map(|t| t.to_string()))
        .bind(channel.audience.as_str())
        .bind(json(&channel.target))
        .execute(&mut *tx)
        .await?;
        let mut audit = AuditWriter::new(actor);
        audit
            .record(&mut tx, channel, if existed { "update" } else { "create" })
            .await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_tracker_secret(&self, actor: &Actor, secret: &TrackerSecret) -> Result<()> {
        if !secret
            .sealed
            .starts_with(crate::findings::SEALED_SECRET_PREFIX)
        {
            return Err(StoreError::Conflict(format!(
                "the {} tracker secret is stored only sealed (seal it with assure_auth::SecretSealer)",
                secret.tracker
            )));
        }
        if secret.tracker.trim().is_empty() {
            return Err(StoreError::Conflict("name the tracker".into()));
        }
        let mut tx = self.begin_write().await?;
        let existed = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT tracker FROM tracker_secrets WHERE tracker = $1{}",
            DIALECT.for_update
        )))
        .bind(&secret.tracker)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
        sqlx::query(
            "INSERT INTO tracker_secrets (tracker, sealed, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (tracker) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
        )
        .bind(&secret.tracker)
        .bind(&secret.sealed)
        .bind(at(OffsetDateTime::now_utc()))
        .execute(&mut *tx)
        .await?;
        let mut audit = AuditWriter::new(actor);
        audit
            .record(&mut tx, secret, if existed { "update" } else { "create" })
            .await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn tracker_secret(&self, tracker: &str) -> Result<Option<TrackerSecret>> {
        let row = sqlx::query("SELECT tracker, sealed FROM tracker_secrets WHERE tracker = $1")
            .bind(tracker)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(TrackerSecret {
                tracker: r.try_get("tracker")?,
                sealed: r.try_get("sealed")?,
            })
        })
        .transpose()
    }

    async fn list_tracker_secrets(&self) -> Result<Vec<TrackerSecret>> {
        sqlx::query("SELECT tracker, sealed FROM tracker_secrets ORDER BY tracker")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(TrackerSecret {
                    tracker: r.try_get("tracker")?,
                    sealed: r.try_get("sealed")?,
                })
            })
            .collect()
    }

    async fn list_channels(&self) -> Result<Vec<Channel>> {
        sqlx::query("SELECT * FROM notification_channels ORDER BY id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(channel_from_row)
            .collect()
    }

    async fn sweep_deadlines(
        &self,
        worker: &str,
        now: OffsetDateTime,
        policy: &EscalationPolicy,
        limit: i64,
    ) -> Result<SweepOutcome> {
        let channels = self.list_channels().await?;
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT jobs.id AS job_id, findings.finding_json AS finding_json FROM jobs \
             JOIN findings ON findings.id = jobs.subject \
             WHERE jobs.kind = 'deadline' AND jobs.next_run_at <= $1 \
             ORDER BY jobs.next_run_at, jobs.id LIMIT $2{}",
            skip_locked("jobs")
        )))
        .bind(at(now))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut outcome = SweepOutcome::default();
        let system = Actor::system("scheduler");
        let mut audit = AuditWriter::new(&system);
        let mut claimed: Vec<(String, Finding)> = Vec::with_capacity(rows.len());
        for row in &rows {
            claimed.push((row.try_get("job_id")?, finding_from_row(row)?));
        }
        for (_, f) in claimed.iter_mut() {
            // An accepted risk whose expiry has passed comes back, and its clock runs again.
            if f.state == RemediationState::RiskAccepted
                && f.remediation
                    .risk_acceptance
                    .as_ref()
                    .is_some_and(|a| a.expires_at <= now)
            {
                let reopened = apply(
                    f.state,
                    &f.remediation,
                    &Step::Reopen,
                    StepContext {
                        now,
                        severity: f.severity,
                        provider_owned: f.owner == FindingOwner::Provider,
                    },
                )?;
                f.state = reopened.state;
                f.remediation = reopened.remediation;
                write_finding(&mut tx, f).await?;
                add_event(
                    &mut tx,
                    &f.id,
                    now,
                    &system,
                    "reopen",
                    serde_json::json!({"reason": "risk acceptance expired"}),
                )
                .await?;
                audit.record(&mut tx, &*f, "transition-reopen").await?;
            }
        }
        let mut due = Vec::new();
        let mut moves = Vec::with_capacity(claimed.len());
        for (job, f) in &claimed {
            outcome.jobs += 1;
            let next = match (f.state.clock_runs(), f.due_at) {
                (true, Some(due_at)) => {
                    let provider = f.owner == FindingOwner::Provider;
                    for alert in alerts_due(policy, due_at, provider, now) {
                        due.push(DueAlert {
                            finding: f,
                            due_at,
                            alert,
                            id: format!("esc:{}:{}:{}", f.id, due_at.unix_timestamp(), alert.key()),
                        });
                    }
                    policy.next_fire(due_at, provider, now)
                }
                _ => job_after_change(f, now).filter(|_| f.state == RemediationState::RiskAccepted),
            };
            moves.push((job.clone(), next));
        }
        let (alerts, deliveries) = raise_alerts(&mut tx, &mut audit, &due, now, &channels).await?;
        outcome.alerts = alerts;
        outcome.deliveries = deliveries;
        move_jobs(&mut tx, worker, &moves).await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn claim_deliveries(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $1 \
             AND (lease_until IS NULL OR lease_until <= $1) ORDER BY next_attempt_at, id LIMIT $2{}",
            skip_locked("deliveries")
        )))
        .bind(at(now))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let deliveries = rows
            .iter()
            .map(delivery_from_row)
            .collect::<Result<Vec<_>>>()?;
        for d in &deliveries {
            sqlx::query("UPDATE deliveries SET lease_owner = $1, lease_until = $2 WHERE id = $3")
                .bind(worker)
                .bind(at(lease_until))
                .bind(&d.id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(deliveries)
    }

    async fn finish_delivery(
        &self,
        worker: &str,
        id: &str,
        when: OffsetDateTime,
        outcome: &AttemptOutcome,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT lease_owner, attempts, state FROM deliveries WHERE id = $1{}",
            DIALECT.for_update
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("delivery {id}")))?;
        let owner: Option<String> = row.try_get("lease_owner")?;
        let state: String = row.try_get("state")?;
        if owner.as_deref() != Some(worker) || state != DeliveryState::Pending.as_str() {
            return Err(StoreError::Conflict(format!(
                "delivery {id} is not leased to {worker}"
            )));
        }
        let attempt = row.try_get::<i64, _>("attempts")? + 1;
        let (state, next, result, detail) = match outcome {
            AttemptOutcome::Delivered => {
                (DeliveryState::Delivered, when, "delivered", String::new())
            }
            AttemptOutcome::Failed { error, retry_at } => match retry_at {
                Some(retry) => (DeliveryState::Pending, *retry, "failed", error.clone()),
                None => (DeliveryState::Failed, when, "failed", error.clone()),
            },
        };
        sqlx::query(
            "UPDATE deliveries SET state = $1, attempts = $2, next_attempt_at = $3, lease_owner = NULL, \
             lease_until = NULL WHERE id = $4",
        )
        .bind(state.as_str())
        .bind(attempt)
        .bind(at(next))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO delivery_log (delivery_id, attempt, at, worker, outcome, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(attempt)
        .bind(at(when))
        .bind(worker)
        .bind(result)
        .bind(detail)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_deliveries(&self, notification: Option<&str>) -> Result<Vec<Delivery>> {
        sqlx::query(
            "SELECT * FROM deliveries WHERE ($1 IS NULL OR notification_id = $1) \
             ORDER BY created_at, id",
        )
        .bind(notification)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(delivery_from_row)
        .collect()
    }

    async fn delivery_log(&self, id: &str) -> Result<Vec<DeliveryLogEntry>> {
        let rows =
            sqlx::query("SELECT * FROM delivery_log WHERE delivery_id = $1 ORDER BY attempt")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        let mut out = Vec::new();
        for row in &rows {
            out.push(DeliveryLogEntry {
                delivery: row.try_get("delivery_id")?,
                attempt: row.try_get("attempt")?,
                at: parse_instant("delivery log", &row.try_get::<String, _>("at")?)?,
                worker: row.try_get("worker")?,
                outcome: row.try_get("outcome")?,
                detail: row.try_get("detail")?,
            });
        }
        Ok(out)
    }

    async fn schedule_review(
        &self,
        tenant: Option<&TenantId>,
        kind: ReviewKind,
        first_at: OffsetDateTime,
    ) -> Result<()> {
        let owner = tenant.map_or("provider".to_owned(), |t| format!("tenant:{t}"));
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO jobs (id, kind, subject, tenant_id, next_run_at, payload_json) \
             VALUES ($1, 'review', $2, $3, $4, '{}') ON CONFLICT (id) DO NOTHING",
        )
        .bind(format!("review:{}:{owner}", kind.as_str()))
        .bind(kind.as_str())
        .bind(tenant.map(|t| t.to_string()))
        .bind(at(first_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn run_due_reviews(
        &self,
        worker: &str,
        now: OffsetDateTime,
        subjects: &(dyn Fn(Option<&TenantId>, ReviewKind) -> Vec<String> + Send + Sync),
    ) -> Result<Vec<ReviewTask>> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM jobs WHERE kind = 'review' AND next_run_at <= $1 ORDER BY next_run_at, id{}",
            skip_locked("jobs")
        )))
        .bind(at(now))
        .fetch_all(&mut *tx)
        .await?;
        let system = Actor::system("scheduler");
        let mut audit = AuditWriter::new(&system);
        let mut created = Vec::new();
        for row in &rows {
            let job: String = row.try_get("id")?;
            let kind_text: String = row.try_get("subject")?;
            let kind =
                ReviewKind::parse(&kind_text).ok_or_else(|| corrupt("review kind", &kind_text))?;
            let tenant = row
                .try_get::<Option<String>, _>("tenant_id")?
                .map(TenantId::new);
            let due = parse_instant("job", &row.try_get::<String, _>("next_run_at")?)?;
            for subject in subjects(tenant.as_ref(), kind) {
                let task = ReviewTask {
                    id: format!("{job}:{}:{subject}", due.unix_timestamp()),
                    tenant: tenant.clone(),
                    kind,
                    subject,
                    due_at: due + kind.every(),
                    created_at: parse_instant("instant", &at(now))?,
                };
                let inserted = sqlx::query(
                    "INSERT INTO review_tasks (id, tenant_id, kind, subject, job_id, due_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (job_id, due_at, subject) DO NOTHING",
                )
                .bind(&task.id)
                .bind(task.tenant.as_ref().map(|t| t.to_string()))
                .bind(kind.as_str())
                .bind(&task.subject)
                .bind(&job)
                .bind(at(task.due_at))
                .bind(at(task.created_at))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 1 {
                    audit.record(&mut tx, &task, "create").await?;
                    created.push(task);
                }
            }
            // The next cycle after now: a node that was down for several cycles creates one round of tasks.
            let mut next = due + kind.every();
            while next <= now {
                next += kind.every();
            }
            sqlx::query("UPDATE jobs SET next_run_at = $1, lease_owner = $2 WHERE id = $3")
                .bind(at(next))
                .bind(worker)
                .bind(&job)
                .execute(&mut *tx)
                .await?;
        }
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn list_review_tasks(&self, scope: &TenantScope) -> Result<Vec<ReviewTask>> {
        let rows = sqlx::query(
            "SELECT * FROM review_tasks WHERE ($1 IS NULL OR tenant_id = $1) ORDER BY created_at, id",
        )
        .bind(scope.single())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(review_task_from_row)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|t| match &t.tenant {
                Some(x) => scope.admits(x),
                None => *scope == TenantScope::AllTenants,
            })
            .collect())
    }
}
