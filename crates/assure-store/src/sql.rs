//! The SQL implementation of [`crate::Store`], compiled once per backend: the parent module (`sqlite` or
//! `postgres`) defines `Db` and `DIALECT`, and both backends run this same SQL text.

use std::collections::BTreeMap;

use assure_domain::audit::{AuditEvent, AuditRecord, ChainId, Checkpoint, GENESIS_HASH};
use assure_domain::baseline::{
    Baseline, ChangeRecord, Comment, Notice, Request, Transition, Trigger, next_state,
};
use assure_domain::catalogue::{BaselineVersion, Control, ControlDomain, VersionState};
use assure_domain::framework::{Framework, Requirement, RequirementKind};
use assure_domain::mapping::{Mapping, Relationship};
use assure_domain::programme::Programme;
use assure_domain::responsibility::{
    Assignment, OptionRule, Responsibility, ResponsibilityEntry, ServiceModelDefaults,
};
use assure_domain::service::{Region, Service, ServiceModel, ServiceOption};
use assure_domain::tenant::{
    AssessorFirm, AssuranceTier, Contact, ProcessingRole, ServiceUse, Tenant,
};
use assure_domain::user::{Affiliation, Role, User};
use assure_domain::{BaselineVersionId, ControlId, FrameworkId, ServiceId, TenantId, UserId};
use sqlx::Row;
use time::OffsetDateTime;

use super::{DIALECT, Db};
use crate::objects::Audited;
use crate::{
    Actor, ApiToken, Backend, BlobEntry, ChainHead, ControlQuery, ControlSort, DataKeyState,
    EvidenceQuery, FailureOutcome, FrameworkImport, FrameworkImportOutcome, FrameworkSource,
    ImportJob, ImportJobState, ImportJobUpdate, ImportSummary, LockoutPolicy, MappingFilter,
    MappingImportOutcome, NewApiToken, NewBaselineDraft, NewChange, NewEvidence, NewImportJob,
    NewSession, Page, Result, Session, StoreError, TenantScope, UserCredentials, VersionStep,
};
use assure_domain::evidence::{
    Digest, EvidenceId, EvidenceKind, EvidenceLink, EvidenceRecord, EvidenceSource, Period,
};

// The engagement methods, in a file of their own compiled with this one's types.
#[path = "engagement_sql.rs"]
mod engagement_sql;
// Findings and the scheduler, in their own file (a child module, so it shares this one's helpers).
#[path = "findings_sql.rs"]
mod findings_sql;

// The trust center, likewise.
#[path = "trust_sql.rs"]
mod trust_sql;

type Pool = sqlx::Pool<Db>;
type Tx = sqlx::Transaction<'static, Db>;
type DbRow = <Db as sqlx::Database>::Row;

/// What differs between the backends' SQL.
pub struct Dialect {
    pub backend: Backend,
    /// Statement that opens a transaction that will write.
    pub begin_write: &'static str,
    /// Suffix that locks selected rows until commit.
    pub for_update: &'static str,
}

/// A store over one connection pool.
#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: Pool,
    /// Inline credential lookups (SQLite files only; see `point_read`).
    point_reads: Option<std::sync::Arc<crate::point_read::PointReads>>,
}

impl SqlStore {
    pub(super) fn from_pool(pool: Pool) -> Self {
        Self {
            pool,
            point_reads: None,
        }
    }

    /// Serves credential lookups from `reads` instead of the pool.
    // Unused in the PostgreSQL copy of this module.
    #[allow(dead_code)]
    pub(super) fn with_point_reads(mut self, reads: crate::point_read::PointReads) -> Self {
        self.point_reads = Some(std::sync::Arc::new(reads));
        self
    }

    /// The pool, for tests that tamper with rows directly.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<Tx> {
        Ok(self.pool.begin_with(DIALECT.begin_write).await?)
    }
}

fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what: what.to_owned(),
        detail: detail.to_string(),
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    // Serializing domain values (strings, numbers, vectors) cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

fn parse_enum<T>(what: &str, value: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
    parse(value).ok_or_else(|| corrupt(what, format!("unknown value {value:?}")))
}

fn position(index: usize) -> i64 {
    i64::try_from(index).unwrap_or(i64::MAX)
}

fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    // Audit instants keep milliseconds; truncating here keeps the stored and hashed forms equal.
    now.replace_nanosecond(now.millisecond() as u32 * 1_000_000)
        .unwrap_or(now)
}

/// Appends audit records inside one transaction, locking each chain head once and writing it back at
/// the end, so a large import does not rewrite the head per record. Records are hashed as they come and
/// written in multi-row statements (at most [`rows_per_statement`] at a time, and the rest at
/// [`AuditWriter::finish`]): a sweep raising thousands of alerts pays a round trip per batch, not per record.
struct AuditWriter {
    actor: String,
    at: OffsetDateTime,
    heads: BTreeMap<ChainId, (i64, String)>,
    pending: Vec<AuditRecord>,
    written: usize,
}

/// Rows per multi-row statement. PostgreSQL pays a round trip per statement, so large batches (the widest,
/// 11 columns, stays well under its 65,535 parameters). SQLite is in process, and binding a numbered
/// parameter looks its name up in a list as long as the statement's parameters (quadratic in the batch):
/// small batches there. Measured with `escalation-bench` (README).
fn rows_per_statement() -> usize {
    match DIALECT.backend {
        Backend::Postgres => 1000,
        Backend::Sqlite => 32,
    }
}

/// `($1, ..., $cols), ($cols+1, ...), ...` for `rows` rows: the VALUES list of a multi-row statement.
fn values_list(rows: usize, cols: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push(',');
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push(',');
            }
            out.push('$');
            out.push_str(&(r * cols + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

impl AuditWriter {
    fn new(actor: &Actor) -> Self {
        Self {
            actor: actor.0.clone(),
            at: now(),
            heads: BTreeMap::new(),
            pending: Vec::new(),
            written: 0,
        }
    }

    async fn record<T: Audited>(&mut self, tx: &mut Tx, object: &T, verb: &str) -> Result<()> {
        let event = object.event(&self.actor, verb);
        self.append(tx, event).await
    }

    async fn append(&mut self, tx: &mut Tx, event: AuditEvent) -> Result<()> {
        let chain = ChainId::for_tenant(event.tenant.as_ref());
        if !self.heads.contains_key(&chain) {
            sqlx::query(
                "INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (chain) DO NOTHING",
            )
            .bind(chain.to_string())
            .bind(GENESIS_HASH)
            .execute(&mut **tx)
            .await?;
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT seq, hash FROM audit_heads WHERE chain = $1{}",
                DIALECT.for_update
            )))
            .bind(chain.to_string())
            .fetch_one(&mut **tx)
            .await?;
            self.heads
                .insert(chain.clone(), (row.try_get("seq")?, row.try_get("hash")?));
        }
        let (seq, hash) = self
            .heads
            .get(&chain)
            .cloned()
            .unwrap_or((0, GENESIS_HASH.to_owned()));
        let record = AuditRecord::next(chain.clone(), seq, &hash, self.at, event);
        self.heads.insert(chain, (record.seq, record.hash.clone()));
        self.pending.push(record);
        self.written += 1;
        if self.pending.len() >= rows_per_statement() {
            self.flush(tx).await?;
        }
        Ok(())
    }

    /// Writes the records hashed so far in one statement.
    async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO audit_log (chain, seq, at, actor, tenant_id, action, object_kind, object_id, \
             state_digest, prev_hash, hash) VALUES {}",
            values_list(self.pending.len(), 11)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for record in &self.pending {
            q = q
                .bind(record.chain.to_string())
                .bind(record.seq)
                .bind(&record.at)
                .bind(&record.event.actor)
                .bind(record.event.tenant.as_ref().map(|t| t.to_string()))
                .bind(&record.event.action)
                .bind(&record.event.object_kind)
                .bind(&record.event.object_id)
                .bind(&record.event.state_digest)
                .bind(&record.prev_hash)
                .bind(&record.hash);
        }
        q.execute(&mut **tx).await?;
        self.pending.clear();
        Ok(())
    }

    /// Records that an object is gone: its last record carries no state.
    async fn record_deleted<T: Audited>(&mut self, tx: &mut Tx, object: &T) -> Result<()> {
        let mut event = object.event(&self.actor, "delete");
        event.state_digest = None;
        self.append(tx, event).await
    }

    /// Writes what is still pending and moves the chain heads; every writer must end here, inside the
    /// transaction it recorded in.
    async fn finish(mut self, tx: &mut Tx) -> Result<usize> {
        self.flush(tx).await?;
        for (chain, (seq, hash)) in &self.heads {
            sqlx::query("UPDATE audit_heads SET seq = $1, hash = $2 WHERE chain = $3")
                .bind(seq)
                .bind(hash)
                .bind(chain.to_string())
                .execute(&mut **tx)
                .await?;
        }
        Ok(self.written)
    }
}

async fn insert_assignment_row(
    tx: &mut Tx,
    sql: &'static str,
    keys: &[&str],
    a: &Assignment,
    reason: Option<&str>,
) -> Result<()> {
    let mut q = sqlx::query(sql);
    for k in keys {
        q = q.bind(*k);
    }
    q = q
        .bind(a.responsibility.as_str())
        .bind(&a.provider_part)
        .bind(&a.customer_part);
    if let Some(reason) = reason {
        q = q.bind(reason);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

fn assignment_from_row(row: &DbRow, what: &str) -> Result<Assignment> {
    Ok(Assignment {
        responsibility: parse_enum(
            what,
            &row.try_get::<String, _>("responsibility")?,
            Responsibility::parse,
        )?,
        provider_part: row.try_get("provider_part")?,
        customer_part: row.try_get("customer_part")?,
    })
}

fn control_from_row(row: &DbRow) -> Result<Control> {
    Ok(Control {
        id: row.try_get::<String, _>("id")?.into(),
        domain: row.try_get::<String, _>("domain_id")?.into(),
        title: row.try_get("title")?,
        statement: row.try_get("statement")?,
        test_procedure: row.try_get("test_procedure")?,
        evidence: from_json(
            "control evidence",
            &row.try_get::<String, _>("evidence_json")?,
        )?,
    })
}

fn requirement_from_row(row: &DbRow) -> Result<Requirement> {
    Ok(Requirement {
        framework: row.try_get::<String, _>("framework_id")?.into(),
        id: row.try_get::<String, _>("id")?.into(),
        title: row.try_get("title")?,
        text: row.try_get("text")?,
        parent: row
            .try_get::<Option<String>, _>("parent_id")?
            .map(Into::into),
        kind: parse_enum(
            "requirement kind",
            &row.try_get::<String, _>("kind")?,
            RequirementKind::parse,
        )?,
        position: row.try_get("position")?,
    })
}

fn mapping_from_row(row: &DbRow) -> Result<Mapping> {
    Ok(Mapping {
        control: row.try_get::<String, _>("control_id")?.into(),
        framework: row.try_get::<String, _>("framework_id")?.into(),
        requirement: row.try_get::<String, _>("requirement_id")?.into(),
        relationship: parse_enum(
            "mapping relationship",
            &row.try_get::<String, _>("relationship")?,
            Relationship::parse,
        )?,
        rationale: row.try_get("rationale")?,
        provenance: row
            .try_get::<Option<String>, _>("provenance_json")?
            .map(|p| from_json("mapping provenance", &p))
            .transpose()?,
    })
}

fn framework_from_row(r: &DbRow) -> Result<Framework> {
    Ok(Framework {
        id: r.try_get::<String, _>("id")?.into(),
        name: r.try_get("name")?,
        version: r.try_get("version")?,
        publisher: r.try_get("publisher")?,
        licence: r.try_get("licence")?,
    })
}

fn import_job_from_row(r: &DbRow) -> Result<ImportJob> {
    Ok(ImportJob {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        file_name: r.try_get("file_name")?,
        state: parse_enum(
            "import job state",
            &r.try_get::<String, _>("state")?,
            ImportJobState::parse,
        )?,
        done: r.try_get("done")?,
        total: r.try_get("total")?,
        preview_json: r.try_get("preview_json")?,
        outcome_json: r.try_get("outcome_json")?,
        error: r.try_get("error")?,
        created_by: r.try_get::<String, _>("created_by")?.into(),
        created_at: parse_instant(
            "import job created_at",
            &r.try_get::<String, _>("created_at")?,
        )?,
        updated_at: parse_instant(
            "import job updated_at",
            &r.try_get::<String, _>("updated_at")?,
        )?,
    })
}

/// How often an import reports progress (every this many objects), so the callback costs nothing.
const PROGRESS_EVERY: usize = 25;

async fn write_requirement(tx: &mut Tx, r: &Requirement, insert: bool) -> Result<()> {
    let sql = if insert {
        "INSERT INTO requirements (framework_id, id, title, text, parent_id, kind, position) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    } else {
        "UPDATE requirements SET title = $3, text = $4, parent_id = $5, kind = $6, position = $7 \
         WHERE framework_id = $1 AND id = $2"
    };
    sqlx::query(sql)
        .bind(r.framework.as_str())
        .bind(r.id.as_str())
        .bind(&r.title)
        .bind(&r.text)
        .bind(r.parent.as_ref().map(|x| x.as_str()))
        .bind(r.kind.as_str())
        .bind(r.position)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn service_from_row(row: &DbRow) -> Result<Service> {
    Ok(Service {
        id: row.try_get::<String, _>("id")?.into(),
        name: row.try_get("name")?,
        model: parse_enum(
            "service model",
            &row.try_get::<String, _>("model")?,
            ServiceModel::parse,
        )?,
        description: row.try_get("description")?,
        regions: from_json(
            "service regions",
            &row.try_get::<String, _>("regions_json")?,
        )?,
        options: from_json::<Vec<ServiceOption>>(
            "service options",
            &row.try_get::<String, _>("options_json")?,
        )?,
    })
}

fn user_from_row(row: &DbRow) -> Result<User> {
    let tenant: Option<String> = row.try_get("tenant_id")?;
    let firm: Option<String> = row.try_get("firm_id")?;
    let affiliation = match (tenant, firm) {
        (Some(t), _) => Affiliation::Tenant(t.into()),
        (None, Some(f)) => Affiliation::AssessorFirm(f.into()),
        (None, None) => Affiliation::Provider,
    };
    Ok(User {
        id: row.try_get::<String, _>("id")?.into(),
        name: row.try_get("name")?,
        role: parse_enum("user role", &row.try_get::<String, _>("role")?, Role::parse)?,
        affiliation,
        disabled: row.try_get("disabled")?,
    })
}

const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

impl SqlStore {
    async fn tenant_rows(&self, scope: &TenantScope, id: Option<&TenantId>) -> Result<Vec<Tenant>> {
        let scoped = scope.single();
        let rows = sqlx::query(
            "SELECT * FROM tenants WHERE ($1 IS NULL OR id = $1) AND ($2 IS NULL OR id = $2) ORDER BY id",
        )
        .bind(scoped.clone())
        .bind(id.map(ToString::to_string))
        .fetch_all(&self.pool)
        .await?;
        let service_rows = sqlx::query(
            "SELECT tenant_id, service_id, options_json FROM tenant_services \
             WHERE ($1 IS NULL OR tenant_id = $1) ORDER BY tenant_id, position",
        )
        .bind(scoped)
        .fetch_all(&self.pool)
        .await?;
        let mut services: BTreeMap<String, Vec<ServiceUse>> = BTreeMap::new();
        for row in &service_rows {
            services
                .entry(row.try_get("tenant_id")?)
                .or_default()
                .push(ServiceUse {
                    service: row.try_get::<String, _>("service_id")?.into(),
                    options: from_json(
                        "tenant service options",
                        &row.try_get::<String, _>("options_json")?,
                    )?,
                });
        }
        rows.iter()
            .filter(|row| {
                row.try_get::<String, _>("id")
                    .is_ok_and(|id| scope.admits(&id.into()))
            })
            .map(|row| {
                let id: String = row.try_get("id")?;
                let nda: Option<String> = row.try_get("nda_signed")?;
                Ok(Tenant {
                    legal_name: row.try_get("legal_name")?,
                    industry: row.try_get("industry")?,
                    contract_ref: row.try_get("contract_ref")?,
                    processing_role: parse_enum(
                        "processing role",
                        &row.try_get::<String, _>("processing_role")?,
                        ProcessingRole::parse,
                    )?,
                    tier: row
                        .try_get::<Option<String>, _>("tier")?
                        .map(|t| parse_enum("assurance tier", &t, AssuranceTier::parse))
                        .transpose()?,
                    nda_signed: nda
                        .map(|d| {
                            time::Date::parse(&d, DATE).map_err(|e| corrupt("tenant NDA date", e))
                        })
                        .transpose()?,
                    regions: from_json(
                        "tenant regions",
                        &row.try_get::<String, _>("regions_json")?,
                    )?,
                    contacts: from_json::<Vec<Contact>>(
                        "tenant contacts",
                        &row.try_get::<String, _>("contacts_json")?,
                    )?,
                    frameworks: from_json(
                        "tenant frameworks",
                        &row.try_get::<String, _>("frameworks_json")?,
                    )?,
                    services: services.remove(&id).unwrap_or_default(),
                    id: id.into(),
                })
            })
            .collect()
    }

    async fn write_tenant(tx: &mut Tx, tenant: &Tenant, insert: bool) -> Result<()> {
        let nda = tenant
            .nda_signed
            .map(|d| d.format(DATE))
            .transpose()
            .map_err(|e| corrupt("NDA date", e))?;
        let sql = if insert {
            "INSERT INTO tenants (legal_name, industry, contract_ref, processing_role, nda_signed, regions_json, \
             contacts_json, frameworks_json, created_at, tier, id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        } else {
            "UPDATE tenants SET legal_name = $1, industry = $2, contract_ref = $3, processing_role = $4, \
             nda_signed = $5, regions_json = $6, contacts_json = $7, frameworks_json = $8, created_at = \
             COALESCE(created_at, $9), tier = $10 WHERE id = $11"
        };
        sqlx::query(sql)
            .bind(&tenant.legal_name)
            .bind(&tenant.industry)
            .bind(&tenant.contract_ref)
            .bind(tenant.processing_role.as_str())
            .bind(nda)
            .bind(json(&tenant.regions))
            .bind(json(&tenant.contacts))
            .bind(json(&tenant.frameworks))
            .bind(assure_domain::audit::format_instant(now()))
            .bind(tenant.tier.map(AssuranceTier::as_str))
            .bind(tenant.id.as_str())
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM tenant_services WHERE tenant_id = $1")
            .bind(tenant.id.as_str())
            .execute(&mut **tx)
            .await?;
        for (i, s) in tenant.services.iter().enumerate() {
            sqlx::query(
                "INSERT INTO tenant_services (tenant_id, service_id, options_json, position) VALUES ($1, $2, $3, $4)",
            )
            .bind(tenant.id.as_str())
            .bind(s.service.as_str())
            .bind(json(&s.options))
            .bind(position(i))
            .execute(&mut **tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO tenant_versions (tenant_id, seq, valid_from, tenant_json) SELECT $1, \
             COALESCE(MAX(seq), 0) + 1, $2, $3 FROM tenant_versions WHERE tenant_id = $1",
        )
        .bind(tenant.id.as_str())
        .bind(assure_domain::audit::format_instant(now()))
        .bind(json(tenant))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

fn parse_date(what: &str, text: &str) -> Result<time::Date> {
    time::Date::parse(text, DATE).map_err(|e| corrupt(what, e))
}

fn format_date(d: time::Date) -> String {
    d.format(DATE).unwrap_or_default()
}

fn parse_instant(what: &str, text: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| corrupt(what, e))
}

/// An instant as it reads back from the database.
fn stored_instant(at: OffsetDateTime) -> Result<OffsetDateTime> {
    parse_instant("instant", &assure_domain::audit::format_instant(at))
}

fn evidence_from_row(row: &DbRow) -> Result<EvidenceRecord> {
    let start: Option<String> = row.try_get("period_start")?;
    let end: Option<String> = row.try_get("period_end")?;
    let period = match (start, end) {
        (Some(s), Some(e)) => Some(Period {
            start: parse_date("evidence period start", &s)?,
            end: parse_date("evidence period end", &e)?,
        }),
        _ => None,
    };
    let digest: String = row.try_get("digest")?;
    let size: i64 = row.try_get("size")?;
    Ok(EvidenceRecord {
        id: EvidenceId::new(row.try_get::<String, _>("id")?),
        tenant: row.try_get::<String, _>("tenant_id")?.into(),
        kind: parse_enum(
            "evidence kind",
            &row.try_get::<String, _>("kind")?,
            EvidenceKind::parse,
        )?,
        title: row.try_get("title")?,
        digest: Digest::parse(&digest).ok_or_else(|| corrupt("evidence digest", &digest))?,
        size: u64::try_from(size).map_err(|e| corrupt("evidence size", e))?,
        media_type: row.try_get("media_type")?,
        file_name: row.try_get("file_name")?,
        collected_at: parse_instant(
            "evidence collected_at",
            &row.try_get::<String, _>("collected_at")?,
        )?,
        uploaded_at: parse_instant(
            "evidence uploaded_at",
            &row.try_get::<String, _>("uploaded_at")?,
        )?,
        period,
        expires_on: row
            .try_get::<Option<String>, _>("expires_on")?
            .map(|d| parse_date("evidence expires_on", &d))
            .transpose()?,
        source: parse_enum(
            "evidence source",
            &row.try_get::<String, _>("source")?,
            EvidenceSource::parse,
        )?,
        links: from_json("evidence links", &row.try_get::<String, _>("links_json")?)?,
        uploader: row.try_get::<String, _>("uploader")?.into(),
        supersedes: row
            .try_get::<Option<String>, _>("supersedes")?
            .map(EvidenceId::new),
        lineage: EvidenceId::new(row.try_get::<String, _>("lineage")?),
        version: row.try_get("version")?,
        flags: from_json("evidence flags", &row.try_get::<String, _>("flags_json")?)?,
    })
}

/// The audit event of an action on a tenant's evidence that changes no stored object's state.
fn evidence_event(
    actor: &Actor,
    tenant: &TenantId,
    action: &str,
    kind: &str,
    id: &str,
) -> AuditEvent {
    AuditEvent {
        actor: actor.0.clone(),
        tenant: Some(tenant.clone()),
        action: action.to_owned(),
        object_kind: kind.to_owned(),
        object_id: id.to_owned(),
        state_digest: None,
    }
}

impl SqlStore {
    /// Whether the scope admits `tenant` and the tenant exists.
    async fn visible_tenant(&self, scope: &TenantScope, tenant: &TenantId) -> Result<bool> {
        if !scope.admits(tenant) {
            return Ok(false);
        }
        Ok(sqlx::query("SELECT id FROM tenants WHERE id = $1")
            .bind(tenant.as_str())
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    async fn insert_evidence(tx: &mut Tx, r: &EvidenceRecord) -> Result<()> {
        let size = i64::try_from(r.size).map_err(|e| corrupt("evidence size", e))?;
        sqlx::query(
            "INSERT INTO evidence_blobs (tenant_id, digest, size, stored_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, digest) DO NOTHING",
        )
        .bind(r.tenant.as_str())
        .bind(r.digest.as_str())
        .bind(size)
        .bind(assure_domain::audit::format_instant(r.uploaded_at))
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO evidence (id, tenant_id, kind, title, digest, size, media_type, file_name, collected_at, \
             uploaded_at, period_start, period_end, expires_on, source, links_json, uploader, supersedes, lineage, \
             version, flags_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $17, $18, $19, $20)",
        )
        .bind(r.id.as_str())
        .bind(r.tenant.as_str())
        .bind(r.kind.as_str())
        .bind(&r.title)
        .bind(r.digest.as_str())
        .bind(size)
        .bind(&r.media_type)
        .bind(&r.file_name)
        .bind(assure_domain::audit::format_instant(r.collected_at))
        .bind(assure_domain::audit::format_instant(r.uploaded_at))
        .bind(r.period.map(|p| format_date(p.start)))
        .bind(r.period.map(|p| format_date(p.end)))
        .bind(r.expires_on.map(format_date))
        .bind(r.source.as_str())
        .bind(json(&r.links))
        .bind(r.uploader.as_str())
        .bind(r.supersedes.as_ref().map(EvidenceId::as_str))
        .bind(r.lineage.as_str())
        .bind(r.version)
        .bind(json(&r.flags))
        .execute(&mut **tx)
        .await?;
        for link in &r.links {
            if let EvidenceLink::Control { control } = link {
                sqlx::query(
                    "INSERT INTO evidence_controls (evidence_id, control_id) VALUES ($1, $2) \
                     ON CONFLICT (evidence_id, control_id) DO NOTHING",
                )
                .bind(r.id.as_str())
                .bind(control.as_str())
                .execute(&mut **tx)
                .await?;
            }
        }
        Ok(())
    }
}

/// The audit event of a change to a user's credentials or sessions. Credentials are not an audited
/// object with a state digest (their state is secret), so the event names the action only, in the chain
/// of the user's tenant or the provider's.
fn credential_event(actor: &Actor, user: &User, action: &str) -> AuditEvent {
    AuditEvent {
        actor: actor.0.clone(),
        tenant: user.tenant().cloned(),
        action: action.to_owned(),
        object_kind: "user-credential".to_owned(),
        object_id: user.id.to_string(),
        state_digest: None,
    }
}

/// The user `id` inside a write transaction, or `NotFound`.
async fn user_in(tx: &mut Tx, id: &UserId) -> Result<User> {
    let row = sqlx::query("SELECT * FROM users WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
    user_from_row(&row)
}

fn token_from_point_row(row: crate::point_read::TokenRow) -> Result<(ApiToken, User)> {
    let affiliation = match (row.tenant_id, row.firm_id) {
        (Some(t), _) => Affiliation::Tenant(t.into()),
        (None, Some(f)) => Affiliation::AssessorFirm(f.into()),
        (None, None) => Affiliation::Provider,
    };
    let token = ApiToken {
        id: row.token_id,
        user: row.user_id.clone().into(),
        name: row.token_name,
        created_at: parse_instant("token created_at", &row.token_created_at)?,
        expires_at: row
            .expires_at
            .map(|t| parse_instant("token expires_at", &t))
            .transpose()?,
        revoked_at: None,
    };
    let user = User {
        id: row.user_id.into(),
        name: row.name,
        role: parse_enum("user role", &row.role, Role::parse)?,
        affiliation,
        disabled: row.disabled,
    };
    Ok((token, user))
}

fn api_token_from_row(row: &DbRow) -> Result<ApiToken> {
    let instant = |name: &str| -> Result<Option<OffsetDateTime>> {
        row.try_get::<Option<String>, _>(name)?
            .map(|t| parse_instant("api token instant", &t))
            .transpose()
    };
    Ok(ApiToken {
        id: row.try_get("id")?,
        user: row.try_get::<String, _>("user_id")?.into(),
        name: row.try_get("name")?,
        created_at: parse_instant(
            "api token created_at",
            &row.try_get::<String, _>("created_at")?,
        )?,
        expires_at: instant("expires_at")?,
        revoked_at: instant("revoked_at")?,
    })
}

fn optional_instant(row: &DbRow, column: &str) -> Result<Option<OffsetDateTime>> {
    row.try_get::<Option<String>, _>(column)?
        .map(|t| parse_instant(column, &t))
        .transpose()
}

fn version_from_row(row: &DbRow) -> Result<BaselineVersion> {
    let content: String = row.try_get("content_json")?;
    Ok(BaselineVersion {
        id: row.try_get::<String, _>("id")?.into(),
        number: row.try_get("number")?,
        state: parse_enum(
            "baseline version state",
            &row.try_get::<String, _>("state")?,
            VersionState::parse,
        )?,
        trigger: from_json(
            "baseline trigger",
            &row.try_get::<String, _>("trigger_json")?,
        )?,
        rationale: row.try_get("rationale")?,
        author: row.try_get("author")?,
        reviewers: from_json("reviewers", &row.try_get::<String, _>("reviewers_json")?)?,
        approved_by: row.try_get("approved_by")?,
        created_at: parse_instant("created_at", &row.try_get::<String, _>("created_at")?)?,
        published_at: optional_instant(row, "published_at")?,
        effective_at: optional_instant(row, "effective_at")?,
        content_digest: assure_domain::audit::state_digest(content.as_str()),
        base_digest: row.try_get("base_digest")?,
    })
}

fn notice_from_row(row: &DbRow) -> Result<Notice> {
    Ok(Notice {
        id: row.try_get("id")?,
        version: row.try_get::<String, _>("version_id")?.into(),
        tenant: row.try_get::<String, _>("tenant_id")?.into(),
        effective_at: parse_instant("effective_at", &row.try_get::<String, _>("effective_at")?)?,
        cells: from_json("notice cells", &row.try_get::<String, _>("cells_json")?)?,
        created_at: parse_instant("created_at", &row.try_get::<String, _>("created_at")?)?,
        acknowledged_by: row.try_get("acknowledged_by")?,
        acknowledged_at: optional_instant(row, "acknowledged_at")?,
    })
}

async fn insert_version(tx: &mut Tx, v: &BaselineVersion, content: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO baseline_versions (id, number, state, trigger_json, rationale, author, reviewers_json, \
         approved_by, created_at, published_at, effective_at, base_digest, content_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(v.id.as_str())
    .bind(v.number)
    .bind(v.state.as_str())
    .bind(json(&v.trigger))
    .bind(&v.rationale)
    .bind(&v.author)
    .bind(json(&v.reviewers))
    .bind(&v.approved_by)
    .bind(assure_domain::audit::format_instant(v.created_at))
    .bind(v.published_at.map(assure_domain::audit::format_instant))
    .bind(v.effective_at.map(assure_domain::audit::format_instant))
    .bind(&v.base_digest)
    .bind(content)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A version and its content, read inside a write transaction; `NotFound` for an unknown id.
async fn version_in(tx: &mut Tx, id: &BaselineVersionId) -> Result<(BaselineVersion, Baseline)> {
    let row = sqlx::query("SELECT * FROM baseline_versions WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("baseline version {id}")))?;
    let content = from_json(
        "baseline content",
        &row.try_get::<String, _>("content_json")?,
    )?;
    Ok((version_from_row(&row)?, content))
}

fn same_ids<T>(a: &[T], b: &[T], id: impl Fn(&T) -> String) -> bool {
    let ids = |x: &[T]| x.iter().map(&id).collect::<std::collections::BTreeSet<_>>();
    ids(a) == ids(b)
}

/// Objects keyed by id, to compare two baselines kind by kind.
fn by_key<T>(items: &[T], key: impl Fn(&T) -> String) -> BTreeMap<String, &T> {
    items.iter().map(|i| (key(i), i)).collect()
}

/// Writes the catalogue tables from `from` (what they hold) to `to`, auditing every object that changes.
/// Domains, controls and services are edited in place; mappings, entries and option rules also come and go.
async fn write_baseline(
    tx: &mut Tx,
    audit: &mut AuditWriter,
    from: &Baseline,
    to: &Baseline,
) -> Result<()> {
    if !same_ids(&from.domains, &to.domains, |d| d.id.to_string())
        || !same_ids(&from.controls, &to.controls, |c| c.id.to_string())
        || !same_ids(&from.services, &to.services, |s| s.id.to_string())
    {
        return Err(StoreError::Conflict(
            "a baseline version edits domains, controls and services but cannot add or remove them yet".into(),
        ));
    }
    let old = by_key(&from.domains, |d| d.id.to_string());
    for d in &to.domains {
        if old.get(d.id.as_str()) != Some(&d) {
            sqlx::query("UPDATE domains SET name = $1, description = $2 WHERE id = $3")
                .bind(&d.name)
                .bind(&d.description)
                .bind(d.id.as_str())
                .execute(&mut **tx)
                .await?;
            audit.record(tx, d, "update").await?;
        }
    }
    let old = by_key(&from.controls, |c| c.id.to_string());
    for c in &to.controls {
        if old.get(c.id.as_str()) != Some(&c) {
            sqlx::query(
                "UPDATE controls SET title = $1, statement = $2, test_procedure = $3, evidence_json = $4 \
                 WHERE id = $5",
            )
            .bind(&c.title)
            .bind(&c.statement)
            .bind(&c.test_procedure)
            .bind(json(&c.evidence))
            .bind(c.id.as_str())
            .execute(&mut **tx)
            .await?;
            audit.record(tx, c, "update").await?;
        }
    }
    let old = by_key(&from.defaults, |d| d.control.to_string());
    for d in &to.defaults {
        if old.get(d.control.as_str()) != Some(&d) {
            for model in ServiceModel::ALL {
                let a = d.for_model(model);
                sqlx::query(
                    "UPDATE model_defaults SET responsibility = $1, provider_part = $2, customer_part = $3 \
                     WHERE control_id = $4 AND model = $5",
                )
                .bind(a.responsibility.as_str())
                .bind(&a.provider_part)
                .bind(&a.customer_part)
                .bind(d.control.as_str())
                .bind(model.as_str())
                .execute(&mut **tx)
                .await?;
            }
            audit.record(tx, d, "update").await?;
        }
    }
    let old = by_key(&from.services, |s| s.id.to_string());
    for s in &to.services {
        if old.get(s.id.as_str()) != Some(&s) {
            sqlx::query(
                "UPDATE services SET name = $1, model = $2, description = $3, regions_json = $4, \
                 options_json = $5 WHERE id = $6",
            )
            .bind(&s.name)
            .bind(s.model.as_str())
            .bind(&s.description)
            .bind(json(&s.regions))
            .bind(json(&s.options))
            .bind(s.id.as_str())
            .execute(&mut **tx)
            .await?;
            audit.record(tx, s, "update").await?;
        }
    }
    let key = |m: &Mapping| format!("{}>{}:{}", m.control, m.framework, m.requirement);
    let (old, new) = (by_key(&from.mappings, key), by_key(&to.mappings, key));
    for (k, m) in &old {
        if !new.contains_key(k) {
            sqlx::query(
                "DELETE FROM mappings WHERE control_id = $1 AND framework_id = $2 AND requirement_id = $3",
            )
            .bind(m.control.as_str())
            .bind(m.framework.as_str())
            .bind(m.requirement.as_str())
            .execute(&mut **tx)
            .await?;
            audit.record_deleted(tx, *m).await?;
        }
    }
    for (k, m) in &new {
        let sql = match old.get(k) {
            Some(o) if o == m => continue,
            Some(_) => {
                "UPDATE mappings SET relationship = $4, rationale = $5, provenance_json = $6 \
                 WHERE control_id = $1 AND framework_id = $2 AND requirement_id = $3"
            }
            None => {
                "INSERT INTO mappings (control_id, framework_id, requirement_id, relationship, rationale, \
                 provenance_json) VALUES ($1, $2, $3, $4, $5, $6)"
            }
        };
        sqlx::query(sql)
            .bind(m.control.as_str())
            .bind(m.framework.as_str())
            .bind(m.requirement.as_str())
            .bind(m.relationship.as_str())
            .bind(&m.rationale)
            .bind(m.provenance.as_ref().map(json))
            .execute(&mut **tx)
            .await?;
        let verb = if old.contains_key(k) {
            "update"
        } else {
            "create"
        };
        audit.record(tx, *m, verb).await?;
    }
    let key = |e: &ResponsibilityEntry| format!("{}/{}", e.service, e.control);
    let (old, new) = (by_key(&from.entries, key), by_key(&to.entries, key));
    for (k, e) in &old {
        if !new.contains_key(k) {
            sqlx::query(
                "DELETE FROM responsibility_entries WHERE service_id = $1 AND control_id = $2",
            )
            .bind(e.service.as_str())
            .bind(e.control.as_str())
            .execute(&mut **tx)
            .await?;
            audit.record_deleted(tx, *e).await?;
        }
    }
    for (k, e) in &new {
        match old.get(k) {
            Some(o) if o == e => continue,
            Some(_) => {
                sqlx::query(
                    "UPDATE responsibility_entries SET responsibility = $3, provider_part = $4, \
                     customer_part = $5, reason = $6 WHERE service_id = $1 AND control_id = $2",
                )
                .bind(e.service.as_str())
                .bind(e.control.as_str())
                .bind(e.assignment.responsibility.as_str())
                .bind(&e.assignment.provider_part)
                .bind(&e.assignment.customer_part)
                .bind(&e.reason)
                .execute(&mut **tx)
                .await?;
                audit.record(tx, *e, "update").await?;
            }
            None => {
                insert_assignment_row(
                    tx,
                    "INSERT INTO responsibility_entries (service_id, control_id, responsibility, provider_part, \
                     customer_part, reason) VALUES ($1, $2, $3, $4, $5, $6)",
                    &[e.service.as_str(), e.control.as_str()],
                    &e.assignment,
                    Some(&e.reason),
                )
                .await?;
                audit.record(tx, *e, "create").await?;
            }
        }
    }
    let key = |r: &OptionRule| format!("{}/{}/{}", r.service, r.option, r.control);
    let (old, new) = (
        by_key(&from.option_rules, key),
        by_key(&to.option_rules, key),
    );
    for (k, r) in &old {
        if !new.contains_key(k) {
            sqlx::query(
                "DELETE FROM option_rules WHERE service_id = $1 AND option_id = $2 AND control_id = $3",
            )
            .bind(r.service.as_str())
            .bind(r.option.as_str())
            .bind(r.control.as_str())
            .execute(&mut **tx)
            .await?;
            audit.record_deleted(tx, *r).await?;
        }
    }
    for (k, r) in &new {
        match old.get(k) {
            Some(o) if o == r => continue,
            Some(_) => {
                sqlx::query(
                    "UPDATE option_rules SET responsibility = $4, provider_part = $5, customer_part = $6, \
                     reason = $7 WHERE service_id = $1 AND option_id = $2 AND control_id = $3",
                )
                .bind(r.service.as_str())
                .bind(r.option.as_str())
                .bind(r.control.as_str())
                .bind(r.assignment.responsibility.as_str())
                .bind(&r.assignment.provider_part)
                .bind(&r.assignment.customer_part)
                .bind(&r.reason)
                .execute(&mut **tx)
                .await?;
                audit.record(tx, *r, "update").await?;
            }
            None => {
                insert_assignment_row(
                    tx,
                    "INSERT INTO option_rules (service_id, option_id, control_id, responsibility, provider_part, \
                     customer_part, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[r.service.as_str(), r.option.as_str(), r.control.as_str()],
                    &r.assignment,
                    Some(&r.reason),
                )
                .await?;
                audit.record(tx, *r, "create").await?;
            }
        }
    }
    Ok(())
}

impl crate::Store for SqlStore {
    fn backend(&self) -> Backend {
        DIALECT.backend
    }

    async fn is_initialised(&self) -> Result<bool> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = 'initialised_at'")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn change_mark(&self) -> Result<i64> {
        let row = sqlx::query("SELECT CAST(COALESCE(SUM(seq), 0) AS BIGINT) AS n FROM audit_heads")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    async fn mark_initialised(&self, actor: &Actor, demo: bool) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let at = assure_domain::audit::format_instant(now());
        let inserted = sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('initialised_at', $1) ON CONFLICT (key) DO NOTHING",
        )
        .bind(&at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            let mut audit = AuditWriter::new(actor);
            audit
                .append(
                    &mut tx,
                    AuditEvent {
                        actor: actor.0.clone(),
                        tenant: None,
                        action: if demo {
                            "database.init-demo"
                        } else {
                            "database.init"
                        }
                        .to_owned(),
                        object_kind: "database".to_owned(),
                        object_id: "assure".to_owned(),
                        state_digest: None,
                    },
                )
                .await?;
            audit.finish(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn is_loaded(&self) -> Result<bool> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = 'programme_loaded_at'")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn import_programme(&self, actor: &Actor, p: &Programme) -> Result<ImportSummary> {
        let mut tx = self.begin_write().await?;
        let loaded = sqlx::query("SELECT value FROM meta WHERE key = 'programme_loaded_at'")
            .fetch_optional(&mut *tx)
            .await?;
        if loaded.is_some() {
            return Err(StoreError::AlreadyLoaded);
        }
        let mut audit = AuditWriter::new(actor);
        for (i, r) in p.regions.iter().enumerate() {
            sqlx::query(
                "INSERT INTO regions (id, name, country, position) VALUES ($1, $2, $3, $4)",
            )
            .bind(r.id.as_str())
            .bind(&r.name)
            .bind(&r.country)
            .bind(position(i))
            .execute(&mut *tx)
            .await?;
            audit.record(&mut tx, r, "create").await?;
        }
        for (i, d) in p.domains.iter().enumerate() {
            sqlx::query(
                "INSERT INTO domains (id, name, description, position) VALUES ($1, $2, $3, $4)",
            )
            .bind(d.id.as_str())
            .bind(&d.name)
            .bind(&d.description)
            .bind(position(i))
            .execute(&mut *tx)
            .await?;
            audit.record(&mut tx, d, "create").await?;
        }
        for (i, c) in p.controls.iter().enumerate() {
            sqlx::query(
                "INSERT INTO controls (id, domain_id, title, statement, test_procedure, evidence_json, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(c.id.as_str())
            .bind(c.domain.as_str())
            .bind(&c.title)
            .bind(&c.statement)
            .bind(&c.test_procedure)
            .bind(json(&c.evidence))
            .bind(position(i))
            .execute(&mut *tx)
            .await?;
            audit.record(&mut tx, c, "create").await?;
        }
        for d in &p.defaults {
            for model in ServiceModel::ALL {
                insert_assignment_row(
                    &mut tx,
                    "INSERT INTO model_defaults (control_id, model, responsibility, provider_part, customer_part) \
                     VALUES ($1, $2, $3, $4, $5)",
                    &[d.control.as_str(), model.as_str()],
                    d.for_model(model),
                    None,
                )
                .await?;
            }
            audit.record(&mut tx, d, "create").await?;
        }
        for (i, f) in p.frameworks.iter().enumerate() {
            sqlx::query(
                "INSERT INTO frameworks (id, name, version, publisher, licence, position) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(f.id.as_str())
            .bind(&f.name)
            .bind(&f.version)
            .bind(&f.publisher)
            .bind(&f.licence)
            .bind(position(i))
            .execute(&mut *tx)
            .await?;
            audit.record(&mut tx, f, "create").await?;
        }
        for r in &p.requirements {
            sqlx::query(
                "INSERT INTO requirements (framework_id, id, title, text, parent_id, kind, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(r.framework.as_str())
            .bind(r.id.as_str())
            .bind(&r.title)
            .bind(&r.text)
            .bind(r.parent.as_ref().map(|x| x.as_str()))
            .bind(r.kind.as_str())
            .bind(r.position)
            .execute(&mut *tx)
            .await?;
            audit.record(&mut tx, r, "create").await?;
        }
        for m in &p.mappings {
            sqlx::query(
                "INSERT INTO mappings (control_id, framework_id, requirement_id, relationship, rationale, \
                 provenance_json) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(m.control.as_str())
            .bind(m.framework.as_str())
            .bind(m.requirement.as_str())
            .bind(m.relationship.as_str())
            .bind(&m.rationale)
            .bind(m.provenance.as_ref().map(json))
            .execute(&mut *tx)
            .await?;
            audit.record(&mut tx, m, "create").await?;
        }
        for (i, s) in p.services.iter().enumerate() {
            sqlx::query(
                "INSERT INTO services (id, name, model, description, regions_json, options_json, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(s.id.as_str())
            .bind(&s.name)
            .bind(s.model.as_str())
            .bind(&s.description)
            .bind(json(&s.regions))
            .bind(json(&s.options))
            .bind(position(i))
            .execute(&mut *tx)
            .await?;
            audit.record(&mut tx, s, "create").await?;
        }
        for e in &p.entries {
            insert_assignment_row(
                &mut tx,
                "INSERT INTO responsibility_entries (service_id, control_id, responsibility, provider_part, \
                 customer_part, reason) VALUES ($1, $2, $3, $4, $5, $6)",
                &[e.service.as_str(), e.control.as_str()],
                &e.assignment,
                Some(&e.reason),
            )
            .await?;
            audit.record(&mut tx, e, "create").await?;
        }
        for r in &p.option_rules {
            insert_assignment_row(
                &mut tx,
                "INSERT INTO option_rules (service_id, option_id, control_id, responsibility, provider_part, \
                 customer_part, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[r.service.as_str(), r.option.as_str(), r.control.as_str()],
                &r.assignment,
                Some(&r.reason),
            )
            .await?;
            audit.record(&mut tx, r, "create").await?;
        }
        for f in &p.assessor_firms {
            sqlx::query("INSERT INTO assessor_firms (id, name) VALUES ($1, $2)")
                .bind(f.id.as_str())
                .bind(&f.name)
                .execute(&mut *tx)
                .await?;
            audit.record(&mut tx, f, "create").await?;
        }
        for t in &p.tenants {
            Self::write_tenant(&mut tx, t, true).await?;
            audit.record(&mut tx, t, "create").await?;
        }
        for u in &p.users {
            let (tenant, firm) = match &u.affiliation {
                Affiliation::Provider => (None, None),
                Affiliation::Tenant(t) => (Some(t.as_str()), None),
                Affiliation::AssessorFirm(f) => (None, Some(f.as_str())),
            };
            sqlx::query(
                "INSERT INTO users (id, name, role, tenant_id, firm_id, disabled, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(u.id.as_str())
            .bind(&u.name)
            .bind(u.role.as_str())
            .bind(tenant)
            .bind(firm)
            .bind(u.disabled)
            .bind(assure_domain::audit::format_instant(audit.at))
            .execute(&mut *tx)
            .await?;
            audit.record(&mut tx, u, "create").await?;
        }
        sqlx::query("INSERT INTO meta (key, value) VALUES ('programme_loaded_at', $1)")
            .bind(assure_domain::audit::format_instant(audit.at))
            .execute(&mut *tx)
            .await?;
        let audit_records = audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(ImportSummary {
            controls: p.controls.len(),
            frameworks: p.frameworks.len(),
            requirements: p.requirements.len(),
            mappings: p.mappings.len(),
            services: p.services.len(),
            tenants: p.tenants.len(),
            users: p.users.len(),
            audit_records,
        })
    }

    async fn list_regions(&self) -> Result<Vec<Region>> {
        let rows = sqlx::query("SELECT id, name, country FROM regions ORDER BY position")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Region {
                    id: r.try_get::<String, _>("id")?.into(),
                    name: r.try_get("name")?,
                    country: r.try_get("country")?,
                })
            })
            .collect()
    }

    async fn list_domains(&self) -> Result<Vec<ControlDomain>> {
        let rows = sqlx::query("SELECT id, name, description FROM domains ORDER BY position")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ControlDomain {
                    id: r.try_get::<String, _>("id")?.into(),
                    name: r.try_get("name")?,
                    description: r.try_get("description")?,
                })
            })
            .collect()
    }

    async fn list_controls(&self, q: &ControlQuery) -> Result<Page<Control>> {
        let order = match q.sort {
            ControlSort::Baseline => "d.position, c.position",
            ControlSort::Id => "c.id",
            ControlSort::Title => "c.title, c.id",
        };
        let direction = if q.descending { "DESC" } else { "ASC" };
        let order = order
            .split(", ")
            .map(|col| format!("{col} {direction}"))
            .collect::<Vec<_>>()
            .join(", ");
        let search = q.search.as_ref().map(|s| format!("%{}%", s.to_lowercase()));
        let filter = "FROM controls c JOIN domains d ON d.id = c.domain_id \
                      WHERE ($1 IS NULL OR c.domain_id = $1) \
                      AND ($2 IS NULL OR LOWER(c.id) LIKE $2 OR LOWER(c.title) LIKE $2 OR LOWER(c.statement) LIKE $2)";
        let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n {filter}"
        )))
        .bind(q.domain.as_ref().map(|d| d.as_str()))
        .bind(search.clone())
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT c.* {filter} ORDER BY {order} LIMIT $3 OFFSET $4"
        )))
        .bind(q.domain.as_ref().map(|d| d.as_str()))
        .bind(search)
        .bind(q.limit.unwrap_or(i64::MAX).max(0))
        .bind(q.offset.max(0))
        .fetch_all(&self.pool)
        .await?;
        Ok(Page {
            items: rows.iter().map(control_from_row).collect::<Result<_>>()?,
            total,
        })
    }

    async fn get_control(&self, id: &ControlId) -> Result<Option<Control>> {
        let row = sqlx::query("SELECT * FROM controls WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(control_from_row).transpose()
    }

    async fn list_frameworks(&self) -> Result<Vec<Framework>> {
        let rows = sqlx::query("SELECT * FROM frameworks ORDER BY position")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(framework_from_row).collect()
    }

    async fn list_requirements(&self, framework: &FrameworkId) -> Result<Vec<Requirement>> {
        let rows =
            sqlx::query("SELECT * FROM requirements WHERE framework_id = $1 ORDER BY position")
                .bind(framework.as_str())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(requirement_from_row).collect()
    }

    async fn list_all_requirements(&self) -> Result<Vec<Requirement>> {
        let rows = sqlx::query(
            "SELECT r.* FROM requirements r JOIN frameworks f ON f.id = r.framework_id \
             ORDER BY f.position, r.position",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(requirement_from_row).collect()
    }

    async fn list_mappings(&self, f: &MappingFilter) -> Result<Vec<Mapping>> {
        let rows = sqlx::query(
            "SELECT m.* FROM mappings m JOIN controls c ON c.id = m.control_id \
             JOIN frameworks f ON f.id = m.framework_id \
             JOIN requirements r ON r.framework_id = m.framework_id AND r.id = m.requirement_id \
             WHERE ($1 IS NULL OR m.control_id = $1) AND ($2 IS NULL OR m.framework_id = $2) \
             AND ($3 IS NULL OR m.requirement_id = $3) \
             ORDER BY c.position, f.position, r.position",
        )
        .bind(f.control.as_ref().map(|x| x.as_str()))
        .bind(f.framework.as_ref().map(|x| x.as_str()))
        .bind(f.requirement.as_ref().map(|x| x.as_str()))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(mapping_from_row).collect()
    }

    async fn list_services(&self) -> Result<Vec<Service>> {
        let rows = sqlx::query("SELECT * FROM services ORDER BY position")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(service_from_row).collect()
    }

    async fn list_model_defaults(&self) -> Result<Vec<ServiceModelDefaults>> {
        let rows = sqlx::query(
            "SELECT md.* FROM model_defaults md JOIN controls c ON c.id = md.control_id ORDER BY c.position, md.model",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut by_control: Vec<(ControlId, BTreeMap<ServiceModel, Assignment>)> = Vec::new();
        for row in &rows {
            let control: ControlId = row.try_get::<String, _>("control_id")?.into();
            let model = parse_enum(
                "service model",
                &row.try_get::<String, _>("model")?,
                ServiceModel::parse,
            )?;
            let assignment = assignment_from_row(row, "default responsibility")?;
            match by_control.last_mut() {
                Some((c, map)) if *c == control => {
                    map.insert(model, assignment);
                }
                _ => by_control.push((control, BTreeMap::from([(model, assignment)]))),
            }
        }
        by_control
            .into_iter()
            .map(|(control, mut map)| {
                let mut take = |m: ServiceModel| {
                    map.remove(&m).ok_or_else(|| {
                        corrupt(
                            "service-model defaults",
                            format!("{control} lacks {}", m.as_str()),
                        )
                    })
                };
                Ok(ServiceModelDefaults {
                    iaas: take(ServiceModel::Iaas)?,
                    paas: take(ServiceModel::Paas)?,
                    saas: take(ServiceModel::Saas)?,
                    control,
                })
            })
            .collect()
    }

    async fn list_responsibility_entries(
        &self,
        service: Option<&ServiceId>,
    ) -> Result<Vec<ResponsibilityEntry>> {
        let rows = sqlx::query(
            "SELECT e.* FROM responsibility_entries e JOIN services s ON s.id = e.service_id \
             JOIN controls c ON c.id = e.control_id WHERE ($1 IS NULL OR e.service_id = $1) \
             ORDER BY s.position, c.position",
        )
        .bind(service.map(|s| s.as_str()))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ResponsibilityEntry {
                    service: r.try_get::<String, _>("service_id")?.into(),
                    control: r.try_get::<String, _>("control_id")?.into(),
                    assignment: assignment_from_row(r, "responsibility entry")?,
                    reason: r.try_get("reason")?,
                })
            })
            .collect()
    }

    async fn list_option_rules(&self, service: Option<&ServiceId>) -> Result<Vec<OptionRule>> {
        let rows = sqlx::query(
            "SELECT o.* FROM option_rules o JOIN services s ON s.id = o.service_id \
             JOIN controls c ON c.id = o.control_id WHERE ($1 IS NULL OR o.service_id = $1) \
             ORDER BY s.position, o.option_id, c.position",
        )
        .bind(service.map(|s| s.as_str()))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OptionRule {
                    service: r.try_get::<String, _>("service_id")?.into(),
                    option: r.try_get::<String, _>("option_id")?.into(),
                    control: r.try_get::<String, _>("control_id")?.into(),
                    assignment: assignment_from_row(r, "option rule")?,
                    reason: r.try_get("reason")?,
                })
            })
            .collect()
    }

    async fn list_assessor_firms(&self) -> Result<Vec<AssessorFirm>> {
        let firms = sqlx::query("SELECT id, name FROM assessor_firms ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        let members =
            sqlx::query("SELECT id, firm_id FROM users WHERE firm_id IS NOT NULL ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        firms
            .iter()
            .map(|f| {
                let id: String = f.try_get("id")?;
                let assessors = members
                    .iter()
                    .filter(|m| m.try_get::<String, _>("firm_id").is_ok_and(|x| x == id))
                    .map(|m| m.try_get::<String, _>("id").map(Into::into))
                    .collect::<Result<_, _>>()?;
                Ok(AssessorFirm {
                    name: f.try_get("name")?,
                    id: id.into(),
                    assessors,
                })
            })
            .collect()
    }

    async fn list_tenants(&self, scope: &TenantScope) -> Result<Vec<Tenant>> {
        self.tenant_rows(scope, None).await
    }

    async fn get_tenant(&self, scope: &TenantScope, id: &TenantId) -> Result<Option<Tenant>> {
        Ok(self.tenant_rows(scope, Some(id)).await?.into_iter().next())
    }

    async fn update_tenant(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &Tenant,
    ) -> Result<()> {
        if !scope.admits(&tenant.id) {
            return Err(StoreError::NotFound(format!("tenant {}", tenant.id)));
        }
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT id FROM tenants WHERE id = $1")
            .bind(tenant.id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("tenant {}", tenant.id)));
        }
        Self::write_tenant(&mut tx, tenant, false).await?;
        let mut audit = AuditWriter::new(actor);
        audit.record(&mut tx, tenant, "update").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn tenant_as_of(
        &self,
        scope: &TenantScope,
        id: &TenantId,
        at: OffsetDateTime,
    ) -> Result<Option<Tenant>> {
        if !scope.admits(id) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT tenant_json FROM tenant_versions WHERE tenant_id = $1 AND valid_from <= $2 \
             ORDER BY seq DESC LIMIT 1",
        )
        .bind(id.as_str())
        .bind(assure_domain::audit::format_instant(at))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let text: String = r.try_get("tenant_json")?;
            serde_json::from_str(&text).map_err(|e| corrupt("tenant version", e))
        })
        .transpose()
    }

    async fn list_users(&self, scope: &TenantScope) -> Result<Vec<User>> {
        let rows = match scope {
            TenantScope::AllTenants => {
                sqlx::query("SELECT * FROM users ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?
            }
            TenantScope::Tenant(t) => {
                sqlx::query("SELECT * FROM users WHERE tenant_id = $1 ORDER BY id")
                    .bind(t.as_str())
                    .fetch_all(&self.pool)
                    .await?
            }
            TenantScope::Tenants(_) => {
                sqlx::query("SELECT * FROM users WHERE tenant_id IS NOT NULL ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        let users = rows.iter().map(user_from_row).collect::<Result<Vec<_>>>()?;
        Ok(users
            .into_iter()
            .filter(|u| {
                u.tenant().is_some_and(|t| scope.admits(t)) || *scope == TenantScope::AllTenants
            })
            .collect())
    }

    async fn audit_chains(&self, scope: &TenantScope) -> Result<Vec<ChainHead>> {
        let rows = sqlx::query("SELECT chain, seq, hash FROM audit_heads ORDER BY chain")
            .fetch_all(&self.pool)
            .await?;
        let mut heads = Vec::new();
        for r in &rows {
            let name: String = r.try_get("chain")?;
            let chain = ChainId::parse(&name).ok_or_else(|| corrupt("audit chain name", &name))?;
            if scope.admits_chain(&chain) {
                heads.push(ChainHead {
                    chain,
                    seq: r.try_get("seq")?,
                    hash: r.try_get("hash")?,
                });
            }
        }
        Ok(heads)
    }

    async fn audit_records(
        &self,
        scope: &TenantScope,
        chain: &ChainId,
    ) -> Result<Vec<AuditRecord>> {
        if !scope.admits_chain(chain) {
            return Ok(Vec::new());
        }
        let rows = sqlx::query("SELECT * FROM audit_log WHERE chain = $1 ORDER BY seq")
            .bind(chain.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let name: String = r.try_get("chain")?;
                Ok(AuditRecord {
                    chain: ChainId::parse(&name)
                        .ok_or_else(|| corrupt("audit chain name", &name))?,
                    seq: r.try_get("seq")?,
                    at: r.try_get("at")?,
                    event: AuditEvent {
                        actor: r.try_get("actor")?,
                        tenant: r.try_get::<Option<String>, _>("tenant_id")?.map(Into::into),
                        action: r.try_get("action")?,
                        object_kind: r.try_get("object_kind")?,
                        object_id: r.try_get("object_id")?,
                        state_digest: r.try_get("state_digest")?,
                    },
                    prev_hash: r.try_get("prev_hash")?,
                    hash: r.try_get("hash")?,
                })
            })
            .collect()
    }

    async fn audit_checkpoints(
        &self,
        scope: &TenantScope,
        chain: &ChainId,
    ) -> Result<Vec<Checkpoint>> {
        if !scope.admits_chain(chain) {
            return Ok(Vec::new());
        }
        let rows = sqlx::query("SELECT * FROM audit_checkpoints WHERE chain = $1 ORDER BY seq")
            .bind(chain.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Checkpoint {
                    chain: chain.clone(),
                    seq: r.try_get("seq")?,
                    head_hash: r.try_get("head_hash")?,
                    signed_at: r.try_get("signed_at")?,
                    key_id: r.try_get("key_id")?,
                    signature: r.try_get("signature")?,
                })
            })
            .collect()
    }

    async fn record_checkpoint(&self, c: &Checkpoint) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_checkpoints (chain, seq, head_hash, signed_at, key_id, signature) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (chain, seq) DO NOTHING",
        )
        .bind(c.chain.to_string())
        .bind(c.seq)
        .bind(&c.head_hash)
        .bind(&c.signed_at)
        .bind(&c.key_id)
        .bind(&c.signature)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn evidence_data_key(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
        candidate: &str,
    ) -> Result<DataKeyState> {
        if !self.visible_tenant(scope, tenant).await? {
            return Err(StoreError::NotFound(format!("tenant {tenant}")));
        }
        let read = |row: &DbRow| -> Result<DataKeyState> {
            let wrapped: Option<String> = row.try_get("wrapped")?;
            let destroyed: Option<String> = row.try_get("destroyed_at")?;
            match (wrapped, destroyed) {
                (Some(w), None) => Ok(DataKeyState::Active(w)),
                (_, Some(at)) => Ok(DataKeyState::Destroyed(at)),
                (None, None) => Err(corrupt("evidence key", "neither key nor destruction")),
            }
        };
        let existing =
            sqlx::query("SELECT wrapped, destroyed_at FROM evidence_keys WHERE tenant_id = $1")
                .bind(tenant.as_str())
                .fetch_optional(&self.pool)
                .await?;
        if let Some(row) = existing {
            return read(&row);
        }
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO evidence_keys (tenant_id, wrapped, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id) DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(candidate)
        .bind(assure_domain::audit::format_instant(now()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            let mut audit = AuditWriter::new(actor);
            let event = evidence_event(
                actor,
                tenant,
                "evidence-key.create",
                "evidence-key",
                tenant.as_str(),
            );
            audit.append(&mut tx, event).await?;
            audit.finish(&mut tx).await?;
        }
        let row =
            sqlx::query("SELECT wrapped, destroyed_at FROM evidence_keys WHERE tenant_id = $1")
                .bind(tenant.as_str())
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        read(&row)
    }

    async fn destroy_evidence_data_key(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
    ) -> Result<()> {
        if !self.visible_tenant(scope, tenant).await? {
            return Err(StoreError::NotFound(format!("tenant {tenant}")));
        }
        let mut tx = self.begin_write().await?;
        let at = assure_domain::audit::format_instant(now());
        // A tenant without a key yet gets a destroyed one, so no later upload can create a key.
        sqlx::query(
            "INSERT INTO evidence_keys (tenant_id, wrapped, created_at, destroyed_at) VALUES ($1, NULL, $2, $2) \
             ON CONFLICT (tenant_id) DO UPDATE SET wrapped = NULL, \
             destroyed_at = COALESCE(evidence_keys.destroyed_at, $2)",
        )
        .bind(tenant.as_str())
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        let mut audit = AuditWriter::new(actor);
        let event = evidence_event(
            actor,
            tenant,
            "evidence-key.destroy",
            "evidence-key",
            tenant.as_str(),
        );
        audit.append(&mut tx, event).await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_evidence(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        new: &NewEvidence,
    ) -> Result<EvidenceRecord> {
        if !self.visible_tenant(scope, &new.tenant).await? {
            return Err(StoreError::NotFound(format!("tenant {}", new.tenant)));
        }
        let mut tx = self.begin_write().await?;
        let (lineage, version) = match &new.supersedes {
            None => (new.id.clone(), 1),
            Some(old) => {
                let row = sqlx::query(
                    "SELECT lineage, version FROM evidence WHERE id = $1 AND tenant_id = $2",
                )
                .bind(old.as_str())
                .bind(new.tenant.as_str())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("evidence {old}")))?;
                let newer = sqlx::query("SELECT id FROM evidence WHERE supersedes = $1")
                    .bind(old.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(newer) = newer {
                    return Err(StoreError::Conflict(format!(
                        "evidence {old} is already superseded by {}; supersede the newest version",
                        newer.try_get::<String, _>("id")?
                    )));
                }
                (
                    EvidenceId::new(row.try_get::<String, _>("lineage")?),
                    row.try_get::<i64, _>("version")? + 1,
                )
            }
        };
        let record = EvidenceRecord {
            id: new.id.clone(),
            tenant: new.tenant.clone(),
            kind: new.claim.kind,
            title: new.claim.title.clone(),
            digest: new.digest.clone(),
            size: new.size,
            media_type: new.media_type.clone(),
            file_name: new.file_name.clone(),
            // The audited state must equal the state read back: instants as stored (UTC, milliseconds).
            collected_at: stored_instant(new.claim.collected_at)?,
            uploaded_at: now(),
            period: new.claim.period,
            expires_on: new.claim.expires_on,
            source: new.claim.source,
            links: new.claim.links.clone(),
            uploader: new.uploader.clone(),
            supersedes: new.supersedes.clone(),
            lineage,
            version,
            flags: new.flags.clone(),
        };
        Self::insert_evidence(&mut tx, &record).await?;
        let mut audit = AuditWriter::new(actor);
        audit.record(&mut tx, &record, "create").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        // Read back, so the caller sees exactly what is stored (instants at stored precision).
        self.get_evidence(scope, &record.tenant, &record.id)
            .await?
            .ok_or_else(|| corrupt("evidence", format!("{} vanished after commit", record.id)))
    }

    async fn list_evidence(
        &self,
        scope: &TenantScope,
        q: &EvidenceQuery,
    ) -> Result<Page<EvidenceRecord>> {
        if !scope.admits(&q.tenant) {
            return Ok(Page {
                items: Vec::new(),
                total: 0,
            });
        }
        let filter = "FROM evidence e WHERE e.tenant_id = $1 AND ($2 IS NULL OR e.kind = $2) \
             AND ($3 IS NULL OR EXISTS (SELECT 1 FROM evidence_controls c WHERE c.evidence_id = e.id AND c.control_id = $3)) \
             AND ($4 IS NULL OR (e.expires_on IS NOT NULL AND e.expires_on < $4)) \
             AND ($5 = 0 OR NOT EXISTS (SELECT 1 FROM evidence s WHERE s.supersedes = e.id))";
        let current = i64::from(q.current_only);
        let kind = q.kind.map(EvidenceKind::as_str);
        let control = q.control.as_ref().map(|c| c.as_str().to_owned());
        let expires = q.expires_before.map(format_date);
        let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n {filter}"
        )))
        .bind(q.tenant.as_str())
        .bind(kind)
        .bind(control.clone())
        .bind(expires.clone())
        .bind(current)
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT e.* {filter} ORDER BY e.uploaded_at DESC, e.id DESC LIMIT $6 OFFSET $7"
        )))
        .bind(q.tenant.as_str())
        .bind(kind)
        .bind(control)
        .bind(expires)
        .bind(current)
        .bind(q.limit.unwrap_or(i64::MAX).max(0))
        .bind(q.offset.max(0))
        .fetch_all(&self.pool)
        .await?;
        Ok(Page {
            items: rows.iter().map(evidence_from_row).collect::<Result<_>>()?,
            total,
        })
    }

    async fn get_evidence(
        &self,
        scope: &TenantScope,
        tenant: &TenantId,
        id: &EvidenceId,
    ) -> Result<Option<EvidenceRecord>> {
        if !scope.admits(tenant) {
            return Ok(None);
        }
        let row = sqlx::query("SELECT * FROM evidence WHERE id = $1 AND tenant_id = $2")
            .bind(id.as_str())
            .bind(tenant.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(evidence_from_row).transpose()
    }

    async fn evidence_versions(
        &self,
        scope: &TenantScope,
        tenant: &TenantId,
        id: &EvidenceId,
    ) -> Result<Vec<EvidenceRecord>> {
        let Some(record) = self.get_evidence(scope, tenant, id).await? else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(
            "SELECT * FROM evidence WHERE lineage = $1 AND tenant_id = $2 ORDER BY version",
        )
        .bind(record.lineage.as_str())
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(evidence_from_row).collect()
    }

    async fn evidence_blobs(&self, scope: &TenantScope) -> Result<Vec<BlobEntry>> {
        let scoped = scope.single();
        let rows = sqlx::query(
            "SELECT b.tenant_id, b.digest, b.size, k.destroyed_at FROM evidence_blobs b \
             LEFT JOIN evidence_keys k ON k.tenant_id = b.tenant_id \
             WHERE ($1 IS NULL OR b.tenant_id = $1) ORDER BY b.tenant_id, b.digest",
        )
        .bind(scoped)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let digest: String = r.try_get("digest")?;
                let size: i64 = r.try_get("size")?;
                Ok(BlobEntry {
                    tenant: r.try_get::<String, _>("tenant_id")?.into(),
                    digest: Digest::parse(&digest)
                        .ok_or_else(|| corrupt("blob digest", &digest))?,
                    size: u64::try_from(size).map_err(|e| corrupt("blob size", e))?,
                    tombstone: r.try_get::<Option<String>, _>("destroyed_at")?.is_some(),
                })
            })
            .filter(|b: &Result<BlobEntry>| b.as_ref().map_or(true, |b| scope.admits(&b.tenant)))
            .collect()
    }

    async fn record_evidence_download(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
        id: &EvidenceId,
    ) -> Result<()> {
        if self.get_evidence(scope, tenant, id).await?.is_none() {
            return Err(StoreError::NotFound(format!("evidence {id}")));
        }
        let mut tx = self.begin_write().await?;
        let mut audit = AuditWriter::new(actor);
        let event = evidence_event(
            actor,
            tenant,
            "evidence.download",
            // Not the record's own kind: a download changes no state, and the record's last state
            // digest must stay the one its creation wrote.
            "evidence-download",
            id.as_str(),
        );
        audit.append(&mut tx, event).await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_user(&self, id: &UserId) -> Result<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn create_user(
        &self,
        actor: &Actor,
        user: &User,
        password_hash: Option<&str>,
        must_change_password: bool,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT id FROM users WHERE id = $1")
            .bind(user.id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Err(StoreError::Conflict(format!(
                "user {} already exists",
                user.id
            )));
        }
        let (tenant, firm) = match &user.affiliation {
            Affiliation::Provider => (None, None),
            Affiliation::Tenant(t) => (Some(t.as_str()), None),
            Affiliation::AssessorFirm(f) => (None, Some(f.as_str())),
        };
        if let Some(t) = tenant
            && sqlx::query("SELECT id FROM tenants WHERE id = $1")
                .bind(t)
                .fetch_optional(&mut *tx)
                .await?
                .is_none()
        {
            return Err(StoreError::NotFound(format!("tenant {t}")));
        }
        if let Some(f) = firm
            && sqlx::query("SELECT id FROM assessor_firms WHERE id = $1")
                .bind(f)
                .fetch_optional(&mut *tx)
                .await?
                .is_none()
        {
            return Err(StoreError::NotFound(format!("assessor firm {f}")));
        }
        let mut audit = AuditWriter::new(actor);
        sqlx::query(
            "INSERT INTO users (id, name, role, tenant_id, firm_id, disabled, created_at, password_hash, \
             must_change_password) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(user.id.as_str())
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(tenant)
        .bind(firm)
        .bind(user.disabled)
        .bind(assure_domain::audit::format_instant(audit.at))
        .bind(password_hash)
        .bind(must_change_password)
        .execute(&mut *tx)
        .await?;
        audit.record(&mut tx, user, "create").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_user_disabled(&self, actor: &Actor, id: &UserId, disabled: bool) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(disabled)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound(format!("user {id}")));
        }
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let row = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let user = user_from_row(&row)?;
        let mut audit = AuditWriter::new(actor);
        let verb = if disabled { "disable" } else { "enable" };
        audit.record(&mut tx, &user, verb).await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user_credentials(&self, id: &UserId) -> Result<Option<UserCredentials>> {
        let row = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(UserCredentials {
            user: user_from_row(&row)?,
            password_hash: row.try_get("password_hash")?,
            must_change_password: row.try_get("must_change_password")?,
            totp_secret: row.try_get("totp_secret")?,
            failed_logins: row.try_get("failed_logins")?,
            locked_until: row
                .try_get::<Option<String>, _>("locked_until")?
                .map(|t| parse_instant("user locked_until", &t))
                .transpose()?,
        }))
    }

    async fn record_login_failure(
        &self,
        actor: &Actor,
        id: &UserId,
        at: OffsetDateTime,
        policy: &LockoutPolicy,
    ) -> Result<FailureOutcome> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM users WHERE id = $1{}",
            DIALECT.for_update
        )))
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
        let user = user_from_row(&row)?;
        let failures = row.try_get::<i64, _>("failed_logins")? + 1;
        let outcome = if failures >= policy.max_failures {
            let until = at + policy.lock_for;
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = $1 WHERE id = $2")
                .bind(assure_domain::audit::format_instant(until))
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
            FailureOutcome::Locked(stored_instant(until)?)
        } else {
            sqlx::query("UPDATE users SET failed_logins = $1 WHERE id = $2")
                .bind(failures)
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
            FailureOutcome::Counted(failures)
        };
        let action = match outcome {
            FailureOutcome::Counted(_) => "login.failure",
            FailureOutcome::Locked(_) => "login.lock",
        };
        let mut audit = AuditWriter::new(actor);
        audit
            .append(&mut tx, credential_event(actor, &user, action))
            .await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn set_password(
        &self,
        actor: &Actor,
        id: &UserId,
        password_hash: &str,
        must_change: bool,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let user = user_in(&mut tx, id).await?;
        sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = $2, failed_logins = 0, \
             locked_until = NULL WHERE id = $3",
        )
        .bind(password_hash)
        .bind(must_change)
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        let action = if must_change {
            "user.password-reset"
        } else {
            "user.password-change"
        };
        let mut audit = AuditWriter::new(actor);
        audit
            .append(&mut tx, credential_event(actor, &user, action))
            .await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_totp(
        &self,
        actor: &Actor,
        id: &UserId,
        secret: Option<&str>,
        recovery_code_hashes: &[String],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let user = user_in(&mut tx, id).await?;
        sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = NULL WHERE id = $2")
            .bind(secret)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        for hash in recovery_code_hashes {
            sqlx::query(
                "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2) \
                 ON CONFLICT (user_id, code_hash) DO NOTHING",
            )
            .bind(id.as_str())
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        }
        if secret.is_none() {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let action = if secret.is_some() {
            "user.mfa-enrol"
        } else {
            "user.mfa-reset"
        };
        let mut audit = AuditWriter::new(actor);
        audit
            .append(&mut tx, credential_event(actor, &user, action))
            .await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn replace_totp_secret(
        &self,
        actor: &Actor,
        id: &UserId,
        expected: &str,
        replacement: &str,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let user = user_in(&mut tx, id).await?;
        let changed =
            sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2 AND totp_secret = $3")
                .bind(replacement)
                .bind(id.as_str())
                .bind(expected)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        let mut audit = AuditWriter::new(actor);
        audit
            .append(&mut tx, credential_event(actor, &user, "user.mfa-reseal"))
            .await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn use_recovery_code(
        &self,
        actor: &Actor,
        id: &UserId,
        code_hash: &str,
        at: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let user = user_in(&mut tx, id).await?;
        let spent = sqlx::query(
            "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
        )
        .bind(assure_domain::audit::format_instant(at))
        .bind(id.as_str())
        .bind(code_hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if spent == 0 {
            return Ok(false);
        }
        let mut audit = AuditWriter::new(actor);
        audit
            .append(
                &mut tx,
                credential_event(actor, &user, "user.recovery-code-use"),
            )
            .await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn create_session(&self, actor: &Actor, session: &NewSession) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let user = user_in(&mut tx, &session.user).await?;
        let at = assure_domain::audit::format_instant(session.at);
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, mfa_passed, csrf_token) \
             VALUES ($1, $2, $3, $3, $4, $5, $6)",
        )
        .bind(&session.id_hash)
        .bind(session.user.as_str())
        .bind(&at)
        .bind(assure_domain::audit::format_instant(session.expires_at))
        .bind(session.mfa_passed)
        .bind(&session.csrf_token)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(session.user.as_str())
            .execute(&mut *tx)
            .await?;
        // Expired sessions of this user go when a new one starts, so the table does not grow forever.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2")
            .bind(session.user.as_str())
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        let mut audit = AuditWriter::new(actor);
        audit
            .append(&mut tx, credential_event(actor, &user, "session.create"))
            .await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(&self, id_hash: &str, at: OffsetDateTime) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT s.id_hash, s.created_at, s.last_seen_at, s.expires_at, s.mfa_passed, s.csrf_token, \
             u.id, u.name, u.role, u.tenant_id, u.firm_id, u.disabled, u.must_change_password, u.totp_secret \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled = FALSE",
        )
        .bind(id_hash)
        .bind(assure_domain::audit::format_instant(at))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let instant = |name: &str| -> Result<OffsetDateTime> {
            parse_instant("session instant", &row.try_get::<String, _>(name)?)
        };
        Ok(Some(Session {
            id_hash: row.try_get("id_hash")?,
            user: user_from_row(&row)?,
            created_at: instant("created_at")?,
            last_seen_at: instant("last_seen_at")?,
            expires_at: instant("expires_at")?,
            mfa_passed: row.try_get("mfa_passed")?,
            csrf_token: row.try_get("csrf_token")?,
            must_change_password: row.try_get("must_change_password")?,
            mfa_enrolled: row.try_get::<Option<String>, _>("totp_secret")?.is_some(),
        }))
    }

    async fn touch_session(&self, id_hash: &str, at: OffsetDateTime) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(assure_domain::audit::format_instant(at))
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn pass_mfa(&self, actor: &Actor, id_hash: &str, totp_step: Option<i64>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let Some(row) = sqlx::query("SELECT user_id FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(false);
        };
        let user_id: UserId = row.try_get::<String, _>("user_id")?.into();
        let user = user_in(&mut tx, &user_id).await?;
        if let Some(step) = totp_step {
            let fresh = sqlx::query(
                "UPDATE users SET totp_last_step = $1 WHERE id = $2 \
                 AND (totp_last_step IS NULL OR totp_last_step < $1)",
            )
            .bind(step)
            .bind(user_id.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if fresh == 0 {
                return Ok(false);
            }
        }
        sqlx::query("UPDATE sessions SET mfa_passed = TRUE WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&mut *tx)
            .await?;
        let mut audit = AuditWriter::new(actor);
        audit
            .append(&mut tx, credential_event(actor, &user, "session.mfa-pass"))
            .await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn end_session(&self, actor: &Actor, id_hash: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let Some(row) = sqlx::query("SELECT user_id FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(());
        };
        let user = user_in(&mut tx, &row.try_get::<String, _>("user_id")?.into()).await?;
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&mut *tx)
            .await?;
        let mut audit = AuditWriter::new(actor);
        audit
            .append(&mut tx, credential_event(actor, &user, "session.end"))
            .await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_api_token(&self, actor: &Actor, token: &NewApiToken) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let user = user_in(&mut tx, &token.user).await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&token.id)
        .bind(token.user.as_str())
        .bind(&token.name)
        .bind(&token.token_hash)
        .bind(assure_domain::audit::format_instant(token.at))
        .bind(token.expires_at.map(assure_domain::audit::format_instant))
        .execute(&mut *tx)
        .await?;
        let mut audit = AuditWriter::new(actor);
        let mut event = credential_event(actor, &user, "api-token.create");
        event.object_kind = "api-token".to_owned();
        event.object_id = token.id.clone();
        audit.append(&mut tx, event).await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_api_tokens(&self, user: Option<&UserId>) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT * FROM api_tokens WHERE ($1 IS NULL OR user_id = $1) ORDER BY created_at DESC, id",
        )
        .bind(user.map(UserId::as_str))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(api_token_from_row).collect()
    }

    async fn revoke_api_token(
        &self,
        actor: &Actor,
        user: Option<&UserId>,
        id: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT user_id FROM api_tokens WHERE id = $1 AND ($2 IS NULL OR user_id = $2)",
        )
        .bind(id)
        .bind(user.map(UserId::as_str))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("token {id}")))?;
        let owner = user_in(&mut tx, &row.try_get::<String, _>("user_id")?.into()).await?;
        sqlx::query("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
            .bind(assure_domain::audit::format_instant(at))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let mut audit = AuditWriter::new(actor);
        let mut event = credential_event(actor, &owner, "api-token.revoke");
        event.object_kind = "api-token".to_owned();
        event.object_id = id.to_owned();
        audit.append(&mut tx, event).await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn api_token(
        &self,
        token_hash: &str,
        at: OffsetDateTime,
    ) -> Result<Option<(ApiToken, User)>> {
        if let Some(reads) = &self.point_reads {
            let at = assure_domain::audit::format_instant(at);
            return reads
                .api_token(token_hash, &at)?
                .map(token_from_point_row)
                .transpose();
        }
        let row = sqlx::query(
            "SELECT t.id AS token_id, t.user_id, t.name AS token_name, t.created_at AS token_created_at, \
             t.expires_at, t.revoked_at, u.id, u.name, u.role, u.tenant_id, u.firm_id, u.disabled \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) \
             AND u.disabled = FALSE",
        )
        .bind(token_hash)
        .bind(assure_domain::audit::format_instant(at))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let token = ApiToken {
            id: row.try_get("token_id")?,
            user: row.try_get::<String, _>("user_id")?.into(),
            name: row.try_get("token_name")?,
            created_at: parse_instant(
                "token created_at",
                &row.try_get::<String, _>("token_created_at")?,
            )?,
            expires_at: row
                .try_get::<Option<String>, _>("expires_at")?
                .map(|t| parse_instant("token expires_at", &t))
                .transpose()?,
            revoked_at: None,
        };
        Ok(Some((token, user_from_row(&row)?)))
    }

    async fn import_framework(
        &self,
        actor: &Actor,
        import: &FrameworkImport,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<FrameworkImportOutcome> {
        let f = &import.framework;
        let mut tx = self.begin_write().await?;
        let mut audit = AuditWriter::new(actor);
        let mut out = FrameworkImportOutcome::default();
        let existing = sqlx::query("SELECT * FROM frameworks WHERE id = $1")
            .bind(f.id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        match existing {
            None => {
                let next: i64 =
                    sqlx::query("SELECT COALESCE(MAX(position) + 1, 0) AS next FROM frameworks")
                        .fetch_one(&mut *tx)
                        .await?
                        .try_get("next")?;
                sqlx::query(
                    "INSERT INTO frameworks (id, name, version, publisher, licence, position) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(f.id.as_str())
                .bind(&f.name)
                .bind(&f.version)
                .bind(&f.publisher)
                .bind(&f.licence)
                .bind(next)
                .execute(&mut *tx)
                .await?;
                audit.record(&mut tx, f, "create").await?;
                out.created = true;
            }
            Some(row) => {
                if framework_from_row(&row)? != *f {
                    sqlx::query(
                        "UPDATE frameworks SET name = $2, version = $3, publisher = $4, licence = $5 \
                         WHERE id = $1",
                    )
                    .bind(f.id.as_str())
                    .bind(&f.name)
                    .bind(&f.version)
                    .bind(&f.publisher)
                    .bind(&f.licence)
                    .execute(&mut *tx)
                    .await?;
                    audit.record(&mut tx, f, "update").await?;
                }
            }
        }
        let rows =
            sqlx::query("SELECT * FROM requirements WHERE framework_id = $1 ORDER BY position")
                .bind(f.id.as_str())
                .fetch_all(&mut *tx)
                .await?;
        let before: Vec<Requirement> = rows
            .iter()
            .map(requirement_from_row)
            .collect::<Result<_>>()?;
        let mut old: BTreeMap<String, Requirement> = before
            .iter()
            .map(|r| (r.id.to_string(), r.clone()))
            .collect();
        // The import's order is the publisher's; requirements it lacks follow, in their old order.
        for (i, r) in import.requirements.iter().enumerate() {
            let new = Requirement {
                framework: f.id.clone(),
                position: position(i),
                ..r.clone()
            };
            match old.remove(new.id.as_str()) {
                None => {
                    write_requirement(&mut tx, &new, true).await?;
                    audit.record(&mut tx, &new, "create").await?;
                    out.requirements_added += 1;
                }
                Some(o) if o == new => out.requirements_unchanged += 1,
                Some(_) => {
                    write_requirement(&mut tx, &new, false).await?;
                    audit.record(&mut tx, &new, "update").await?;
                    out.requirements_updated += 1;
                }
            }
            if i % PROGRESS_EVERY == 0 {
                progress(i);
            }
        }
        let kept = before.iter().filter(|r| old.contains_key(r.id.as_str()));
        for (k, r) in kept.enumerate() {
            out.missing.push(r.id.clone());
            let moved = Requirement {
                position: position(import.requirements.len() + k),
                ..r.clone()
            };
            if moved != *r {
                write_requirement(&mut tx, &moved, false).await?;
                audit.record(&mut tx, &moved, "update").await?;
            }
        }
        let stored_source =
            sqlx::query("SELECT framework_id FROM framework_sources WHERE framework_id = $1")
                .bind(f.id.as_str())
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
        match &import.source {
            Some(source) => {
                let source = FrameworkSource {
                    framework: f.id.clone(),
                    ..source.clone()
                };
                sqlx::query("DELETE FROM framework_sources WHERE framework_id = $1")
                    .bind(f.id.as_str())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO framework_sources (framework_id, format, file_name, document) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(f.id.as_str())
                .bind(&source.format)
                .bind(&source.file_name)
                .bind(&source.document)
                .execute(&mut *tx)
                .await?;
                audit.record(&mut tx, &source, "import").await?;
            }
            None if stored_source => {
                // A spreadsheet import replaces an OSCAL one: the old document no longer describes it.
                sqlx::query("DELETE FROM framework_sources WHERE framework_id = $1")
                    .bind(f.id.as_str())
                    .execute(&mut *tx)
                    .await?;
                audit
                    .append(
                        &mut tx,
                        AuditEvent {
                            actor: actor.0.clone(),
                            tenant: None,
                            action: "framework-source.delete".to_owned(),
                            object_kind: "framework-source".to_owned(),
                            object_id: f.id.to_string(),
                            state_digest: None,
                        },
                    )
                    .await?;
            }
            None => {}
        }
        let mappings: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM mappings WHERE framework_id = $1")
                .bind(f.id.as_str())
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        out.mappings = usize::try_from(mappings).unwrap_or_default();
        out.audit_records = audit.finish(&mut tx).await?;
        tx.commit().await?;
        progress(import.requirements.len());
        Ok(out)
    }

    async fn list_framework_sources(&self) -> Result<Vec<FrameworkSource>> {
        let rows = sqlx::query(
            "SELECT s.* FROM framework_sources s JOIN frameworks f ON f.id = s.framework_id \
             ORDER BY f.position",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FrameworkSource {
                    framework: r.try_get::<String, _>("framework_id")?.into(),
                    format: r.try_get("format")?,
                    file_name: r.try_get("file_name")?,
                    document: r.try_get("document")?,
                })
            })
            .collect()
    }

    async fn import_mappings(
        &self,
        actor: &Actor,
        mappings: &[Mapping],
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<MappingImportOutcome> {
        let mut tx = self.begin_write().await?;
        let mut audit = AuditWriter::new(actor);
        let mut out = MappingImportOutcome::default();
        for (i, m) in mappings.iter().enumerate() {
            if sqlx::query("SELECT id FROM controls WHERE id = $1")
                .bind(m.control.as_str())
                .fetch_optional(&mut *tx)
                .await?
                .is_none()
            {
                return Err(StoreError::NotFound(format!("control `{}`", m.control)));
            }
            if sqlx::query("SELECT id FROM requirements WHERE framework_id = $1 AND id = $2")
                .bind(m.framework.as_str())
                .bind(m.requirement.as_str())
                .fetch_optional(&mut *tx)
                .await?
                .is_none()
            {
                return Err(StoreError::NotFound(format!(
                    "requirement `{}` of framework `{}`",
                    m.requirement, m.framework
                )));
            }
            let existing = sqlx::query(
                "SELECT * FROM mappings WHERE control_id = $1 AND framework_id = $2 AND requirement_id = $3",
            )
            .bind(m.control.as_str())
            .bind(m.framework.as_str())
            .bind(m.requirement.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let existing = existing.as_ref().map(mapping_from_row).transpose()?;
            let sql = match &existing {
                Some(o) if o == m => {
                    out.unchanged += 1;
                    continue;
                }
                Some(_) => {
                    "UPDATE mappings SET relationship = $4, rationale = $5, provenance_json = $6 \
                     WHERE control_id = $1 AND framework_id = $2 AND requirement_id = $3"
                }
                None => {
                    "INSERT INTO mappings (control_id, framework_id, requirement_id, relationship, \
                     rationale, provenance_json) VALUES ($1, $2, $3, $4, $5, $6)"
                }
            };
            sqlx::query(sql)
                .bind(m.control.as_str())
                .bind(m.framework.as_str())
                .bind(m.requirement.as_str())
                .bind(m.relationship.as_str())
                .bind(&m.rationale)
                .bind(m.provenance.as_ref().map(json))
                .execute(&mut *tx)
                .await?;
            if existing.is_some() {
                audit.record(&mut tx, m, "update").await?;
                out.updated += 1;
            } else {
                audit.record(&mut tx, m, "create").await?;
                out.created += 1;
            }
            if i % PROGRESS_EVERY == 0 {
                progress(i);
            }
        }
        out.audit_records = audit.finish(&mut tx).await?;
        tx.commit().await?;
        progress(mappings.len());
        Ok(out)
    }

    async fn create_import_job(&self, job: &NewImportJob) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if sqlx::query("SELECT id FROM import_jobs WHERE id = $1")
            .bind(&job.id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict(format!(
                "import job {} already exists",
                job.id
            )));
        }
        let at = assure_domain::audit::format_instant(job.at);
        sqlx::query(
            "INSERT INTO import_jobs (id, kind, file_name, state, done, total, preview_json, payload_json, \
             created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8, $9, $9)",
        )
        .bind(&job.id)
        .bind(&job.kind)
        .bind(&job.file_name)
        .bind(ImportJobState::Previewed.as_str())
        .bind(job.total)
        .bind(&job.preview_json)
        .bind(&job.payload_json)
        .bind(job.created_by.as_str())
        .bind(at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update_import_job(&self, id: &str, update: &ImportJobUpdate) -> Result<()> {
        let from: Vec<String> = ImportJobState::predecessors(update.state)
            .into_iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        let changed = if from.is_empty() {
            0
        } else {
            // The states are this crate's own constants, never input.
            let payload = if update.state.is_final() {
                "NULL"
            } else {
                "payload_json"
            };
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE import_jobs SET state = $2, done = $3, outcome_json = COALESCE($4, outcome_json), \
                 error = COALESCE($5, error), updated_at = $6, payload_json = {payload} \
                 WHERE id = $1 AND state IN ({})",
                from.join(", ")
            )))
            .bind(id)
            .bind(update.state.as_str())
            .bind(update.done)
            .bind(&update.outcome_json)
            .bind(&update.error)
            .bind(assure_domain::audit::format_instant(update.at))
            .execute(&self.pool)
            .await?
            .rows_affected()
        };
        if changed > 0 {
            return Ok(());
        }
        match self.get_import_job(id).await? {
            None => Err(StoreError::NotFound(format!("import job {id}"))),
            Some(job) => Err(StoreError::Conflict(format!(
                "import job {id} is {}, which cannot become {}",
                job.state.as_str(),
                update.state.as_str()
            ))),
        }
    }

    async fn get_import_job(&self, id: &str) -> Result<Option<ImportJob>> {
        let row = sqlx::query("SELECT * FROM import_jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(import_job_from_row).transpose()
    }

    async fn list_import_jobs(&self, limit: i64) -> Result<Vec<ImportJob>> {
        let rows = sqlx::query("SELECT * FROM import_jobs ORDER BY created_at DESC, id LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(import_job_from_row).collect()
    }

    async fn import_job_payload(&self, id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT payload_json FROM import_jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => r.try_get("payload_json")?,
            None => None,
        })
    }

    async fn list_baseline_versions(&self) -> Result<Vec<BaselineVersion>> {
        let rows = sqlx::query("SELECT * FROM baseline_versions ORDER BY number")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(version_from_row).collect()
    }

    async fn baseline_content(&self, id: &BaselineVersionId) -> Result<Option<Baseline>> {
        let row = sqlx::query("SELECT content_json FROM baseline_versions WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| from_json("baseline content", &r.try_get::<String, _>("content_json")?))
            .transpose()
    }

    async fn open_baseline_draft(
        &self,
        actor: &Actor,
        draft: &NewBaselineDraft,
        live: &Baseline,
    ) -> Result<BaselineVersion> {
        draft.trigger.validate()?;
        if draft.rationale.trim().is_empty() {
            return Err(StoreError::Conflict(
                "a baseline version needs a rationale: say why it is opened".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query("SELECT * FROM baseline_versions ORDER BY number")
            .fetch_all(&mut *tx)
            .await?;
        let versions = rows
            .iter()
            .map(version_from_row)
            .collect::<Result<Vec<_>>>()?;
        if let Some(open) = versions.iter().find(|v| v.state.is_open()) {
            return Err(StoreError::Conflict(format!(
                "version {} is still {}: publish or withdraw it before opening another draft",
                open.id,
                open.state.as_str()
            )));
        }
        let mut audit = AuditWriter::new(actor);
        let content = json(live);
        let live_digest = assure_domain::audit::state_digest(live);
        let mut number = versions.last().map_or(1, |v| v.number + 1);
        if versions.is_empty() {
            let loaded = sqlx::query("SELECT value FROM meta WHERE key = 'programme_loaded_at'")
                .fetch_optional(&mut *tx)
                .await?;
            let loaded = match loaded {
                Some(r) => parse_instant("programme load time", &r.try_get::<String, _>("value")?)?,
                None => audit.at,
            };
            let first = BaselineVersion {
                id: "v1".into(),
                number: 1,
                state: VersionState::Published,
                trigger: Trigger::ContentLoad,
                rationale: "the baseline as loaded from content".into(),
                author: "system:content".into(),
                reviewers: Vec::new(),
                approved_by: None,
                created_at: loaded,
                published_at: Some(loaded),
                effective_at: Some(loaded),
                content_digest: assure_domain::audit::state_digest(content.as_str()),
                base_digest: live_digest.clone(),
            };
            insert_version(&mut tx, &first, &content).await?;
            audit.record(&mut tx, &first, "create").await?;
            number = 2;
        }
        let version = BaselineVersion {
            id: format!("v{number}").into(),
            number,
            state: VersionState::Draft,
            trigger: draft.trigger.clone(),
            rationale: draft.rationale.clone(),
            author: actor.0.clone(),
            reviewers: Vec::new(),
            approved_by: None,
            created_at: audit.at,
            published_at: None,
            effective_at: None,
            content_digest: assure_domain::audit::state_digest(content.as_str()),
            base_digest: live_digest,
        };
        insert_version(&mut tx, &version, &content).await?;
        audit.record(&mut tx, &version, "create").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn add_baseline_change(
        &self,
        actor: &Actor,
        id: &BaselineVersionId,
        change: &NewChange,
        context: &Programme,
    ) -> Result<ChangeRecord> {
        if change.rationale.trim().is_empty() {
            return Err(StoreError::Conflict(
                "a change needs a rationale: say why it is made".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let (mut version, mut content) = version_in(&mut tx, id).await?;
        if version.state != VersionState::Draft {
            return Err(StoreError::Conflict(format!(
                "version {id} is {}: only a draft takes changes{}",
                version.state.as_str(),
                if version.state.is_open() {
                    "; return it to draft first"
                } else {
                    "; open a new draft"
                }
            )));
        }
        content.apply(&change.change, context)?;
        let count = sqlx::query("SELECT COUNT(*) AS n FROM baseline_changes WHERE version_id = $1")
            .bind(id.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let mut audit = AuditWriter::new(actor);
        let record = ChangeRecord {
            version: id.clone(),
            seq: count.try_get::<i64, _>("n")? + 1,
            change: change.change.clone(),
            rationale: change.rationale.clone(),
            author: actor.0.clone(),
            at: audit.at,
        };
        sqlx::query(
            "INSERT INTO baseline_changes (version_id, seq, change_json, rationale, author, at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.as_str())
        .bind(record.seq)
        .bind(json(&record.change))
        .bind(&record.rationale)
        .bind(&record.author)
        .bind(assure_domain::audit::format_instant(record.at))
        .execute(&mut *tx)
        .await?;
        let text = json(&content);
        sqlx::query("UPDATE baseline_versions SET content_json = $1 WHERE id = $2")
            .bind(&text)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        version.content_digest = assure_domain::audit::state_digest(text.as_str());
        audit.record(&mut tx, &record, "create").await?;
        audit.record(&mut tx, &version, "change").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn list_baseline_changes(
        &self,
        id: Option<&BaselineVersionId>,
    ) -> Result<Vec<ChangeRecord>> {
        let rows = sqlx::query(
            "SELECT c.* FROM baseline_changes c JOIN baseline_versions v ON v.id = c.version_id \
             WHERE ($1 IS NULL OR c.version_id = $1) ORDER BY v.number, c.seq",
        )
        .bind(id.map(|x| x.as_str()))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ChangeRecord {
                    version: r.try_get::<String, _>("version_id")?.into(),
                    seq: r.try_get("seq")?,
                    change: from_json("baseline change", &r.try_get::<String, _>("change_json")?)?,
                    rationale: r.try_get("rationale")?,
                    author: r.try_get("author")?,
                    at: parse_instant("change time", &r.try_get::<String, _>("at")?)?,
                })
            })
            .collect()
    }

    async fn comment_on_baseline(
        &self,
        actor: &Actor,
        id: &BaselineVersionId,
        change: Option<i64>,
        body: &str,
    ) -> Result<Comment> {
        if body.trim().is_empty() {
            return Err(StoreError::Conflict("a comment needs a body".into()));
        }
        let mut tx = self.begin_write().await?;
        version_in(&mut tx, id).await?;
        if let Some(seq) = change {
            let found =
                sqlx::query("SELECT seq FROM baseline_changes WHERE version_id = $1 AND seq = $2")
                    .bind(id.as_str())
                    .bind(seq)
                    .fetch_optional(&mut *tx)
                    .await?;
            if found.is_none() {
                return Err(StoreError::NotFound(format!(
                    "change {seq} of version {id}"
                )));
            }
        }
        let count =
            sqlx::query("SELECT COUNT(*) AS n FROM baseline_comments WHERE version_id = $1")
                .bind(id.as_str())
                .fetch_one(&mut *tx)
                .await?;
        let mut audit = AuditWriter::new(actor);
        let comment = Comment {
            version: id.clone(),
            seq: count.try_get::<i64, _>("n")? + 1,
            change,
            author: actor.0.clone(),
            body: body.to_owned(),
            at: audit.at,
        };
        sqlx::query(
            "INSERT INTO baseline_comments (version_id, seq, change_seq, author, body, at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.as_str())
        .bind(comment.seq)
        .bind(comment.change)
        .bind(&comment.author)
        .bind(&comment.body)
        .bind(assure_domain::audit::format_instant(comment.at))
        .execute(&mut *tx)
        .await?;
        audit.record(&mut tx, &comment, "create").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(comment)
    }

    async fn list_baseline_comments(&self, id: Option<&BaselineVersionId>) -> Result<Vec<Comment>> {
        let rows = sqlx::query(
            "SELECT c.* FROM baseline_comments c JOIN baseline_versions v ON v.id = c.version_id \
             WHERE ($1 IS NULL OR c.version_id = $1) ORDER BY v.number, c.seq",
        )
        .bind(id.map(|x| x.as_str()))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Comment {
                    version: r.try_get::<String, _>("version_id")?.into(),
                    seq: r.try_get("seq")?,
                    change: r.try_get("change_seq")?,
                    author: r.try_get("author")?,
                    body: r.try_get("body")?,
                    at: parse_instant("comment time", &r.try_get::<String, _>("at")?)?,
                })
            })
            .collect()
    }

    async fn transition_baseline(
        &self,
        actor: &Actor,
        id: &BaselineVersionId,
        step: &VersionStep,
    ) -> Result<BaselineVersion> {
        let mut tx = self.begin_write().await?;
        let (mut version, content) = version_in(&mut tx, id).await?;
        let mut reviewers: Vec<String> = Vec::new();
        for r in &step.reviewers {
            if !reviewers.contains(r) {
                reviewers.push(r.clone());
            }
        }
        version.state = next_state(
            version.state,
            Request {
                transition: step.transition,
                actor: &actor.0,
                author: &version.author,
                reviewers: &reviewers,
            },
        )?;
        let mut audit = AuditWriter::new(actor);
        match step.transition {
            Transition::Submit => version.reviewers = reviewers,
            Transition::Return => version.approved_by = None,
            Transition::Approve => version.approved_by = Some(actor.0.clone()),
            Transition::Withdraw => {}
            Transition::Publish => {
                let p = step.publication.as_ref().ok_or_else(|| {
                    StoreError::Conflict(
                        "publishing needs an effective date and the live baseline".into(),
                    )
                })?;
                // A stale draft can never be published, whatever its date.
                if assure_domain::audit::state_digest(&p.live) != version.base_digest {
                    return Err(StoreError::Conflict(format!(
                        "the live baseline changed since {id} was opened (an import in between?); \
                         open a new draft so nothing is reverted"
                    )));
                }
                let effective = match p.effective_at {
                    Some(at) => stored_instant(at)?,
                    None => audit.at,
                };
                if effective < audit.at {
                    return Err(StoreError::Conflict(format!(
                        "effective date {} is before the publication ({}): history already shown is never rewritten",
                        assure_domain::audit::format_instant(effective),
                        assure_domain::audit::format_instant(audit.at)
                    )));
                }
                let latest = sqlx::query(
                    "SELECT MAX(effective_at) AS e FROM baseline_versions WHERE state = 'published'",
                )
                .fetch_one(&mut *tx)
                .await?;
                if let Some(e) = latest.try_get::<Option<String>, _>("e")? {
                    let e = parse_instant("effective date", &e)?;
                    if effective < e {
                        return Err(StoreError::Conflict(format!(
                            "effective date {} is before that of the latest published version ({}): versions come into force in order",
                            assure_domain::audit::format_instant(effective),
                            assure_domain::audit::format_instant(e)
                        )));
                    }
                }
                write_baseline(&mut tx, &mut audit, &p.live, &content).await?;
                for (tenant, cells) in &p.notices {
                    let notice = Notice {
                        id: format!("{id}-{tenant}"),
                        version: id.clone(),
                        tenant: tenant.clone(),
                        effective_at: effective,
                        cells: cells.clone(),
                        created_at: audit.at,
                        acknowledged_by: None,
                        acknowledged_at: None,
                    };
                    sqlx::query(
                        "INSERT INTO baseline_notices (id, version_id, tenant_id, effective_at, cells_json, \
                         created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&notice.id)
                    .bind(id.as_str())
                    .bind(tenant.as_str())
                    .bind(assure_domain::audit::format_instant(effective))
                    .bind(json(&notice.cells))
                    .bind(assure_domain::audit::format_instant(notice.created_at))
                    .execute(&mut *tx)
                    .await?;
                    audit.record(&mut tx, &notice, "create").await?;
                }
                version.published_at = Some(audit.at);
                version.effective_at = Some(effective);
            }
        }
        sqlx::query(
            "UPDATE baseline_versions SET state = $1, reviewers_json = $2, approved_by = $3, \
             published_at = $4, effective_at = $5 WHERE id = $6",
        )
        .bind(version.state.as_str())
        .bind(json(&version.reviewers))
        .bind(&version.approved_by)
        .bind(
            version
                .published_at
                .map(assure_domain::audit::format_instant),
        )
        .bind(
            version
                .effective_at
                .map(assure_domain::audit::format_instant),
        )
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        audit
            .record(&mut tx, &version, step.transition.as_str())
            .await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn list_baseline_notices(
        &self,
        scope: &TenantScope,
        version: Option<&BaselineVersionId>,
    ) -> Result<Vec<Notice>> {
        let rows = sqlx::query(
            "SELECT * FROM baseline_notices WHERE ($1 IS NULL OR tenant_id = $1) \
             AND ($2 IS NULL OR version_id = $2) ORDER BY created_at DESC, id",
        )
        .bind(scope.single())
        .bind(version.map(|v| v.as_str()))
        .fetch_all(&self.pool)
        .await?;
        let notices = rows
            .iter()
            .map(notice_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(notices
            .into_iter()
            .filter(|n| scope.admits(&n.tenant))
            .collect())
    }

    async fn acknowledge_notice(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &str,
    ) -> Result<Notice> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT * FROM baseline_notices WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let mut notice = match row.as_ref().map(notice_from_row).transpose()? {
            Some(n) if scope.admits(&n.tenant) => n,
            _ => return Err(StoreError::NotFound(format!("notice {id}"))),
        };
        if let (Some(by), Some(at)) = (&notice.acknowledged_by, notice.acknowledged_at) {
            return Err(StoreError::Conflict(format!(
                "notice {id} was already acknowledged by {by} at {}",
                assure_domain::audit::format_instant(at)
            )));
        }
        let mut audit = AuditWriter::new(actor);
        notice.acknowledged_by = Some(actor.0.clone());
        notice.acknowledged_at = Some(audit.at);
        sqlx::query(
            "UPDATE baseline_notices SET acknowledged_by = $1, acknowledged_at = $2 WHERE id = $3",
        )
        .bind(&notice.acknowledged_by)
        .bind(assure_domain::audit::format_instant(audit.at))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        audit.record(&mut tx, &notice, "acknowledge").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(notice)
    }

    async fn tenant_requires_mfa(&self, tenant: &TenantId) -> Result<bool> {
        let row = sqlx::query("SELECT require_mfa FROM tenant_security WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => r.try_get("require_mfa")?,
            None => false,
        })
    }

    async fn set_tenant_requires_mfa(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
        require: bool,
    ) -> Result<()> {
        if !self.visible_tenant(scope, tenant).await? {
            return Err(StoreError::NotFound(format!("tenant {tenant}")));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO tenant_security (tenant_id, require_mfa) VALUES ($1, $2) \
             ON CONFLICT (tenant_id) DO UPDATE SET require_mfa = $2",
        )
        .bind(tenant.as_str())
        .bind(require)
        .execute(&mut *tx)
        .await?;
        let mut audit = AuditWriter::new(actor);
        let action = if require {
            "tenant-security.require-mfa"
        } else {
            "tenant-security.allow-password-only"
        };
        let event = evidence_event(actor, tenant, action, "tenant-security", tenant.as_str());
        audit.append(&mut tx, event).await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
