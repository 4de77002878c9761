//! The SQL of [`crate::engagement::EngagementStore`], compiled once per backend as a child of `sql.rs`
//! (same `Db`, `DIALECT` and audit writer). Rows keep their domain value as JSON in `doc_json`.

use std::collections::BTreeSet;

use assure_domain::cycle::{ProviderTest, RollForward};
use assure_domain::engagement::{
    Duty, Engagement, EngagementError, EngagementPeriod, EngagementState, EngagementStep, Scope,
    ScopedControl, check_assignment, check_scope, may, next_state,
};
use assure_domain::enrolment::{
    Enrolment, EnrolmentError, EnrolmentState, EnrolmentStep, Intake, next_state as next_enrolment,
};
use assure_domain::evidence::EvidenceId;
use assure_domain::questionnaire::{Question, Response};
use assure_domain::testing::{ControlTest, DraftFinding, check_test};
use assure_domain::user::User;
use assure_domain::{AssessorFirmId, ControlId, EngagementId, TenantId, UserId};
use sqlx::Row;
use time::Date;

use super::{AuditWriter, SqlStore, Tx, from_json, json};
use crate::engagement::{EngagementStore, NewEngagement, StoredAnswer, StoredTest};
use crate::{Actor, Result, Store, StoreError, TenantScope};

fn not_found(what: &str, id: impl std::fmt::Display) -> StoreError {
    StoreError::NotFound(format!("{what} {id}"))
}

impl SqlStore {
    async fn enrolment_in(tx: &mut Tx, tenant: &TenantId) -> Result<Option<Enrolment>> {
        let row = sqlx::query("SELECT doc_json FROM enrolments WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_optional(&mut **tx)
            .await?;
        row.map(|r| from_json("enrolment", &r.try_get::<String, _>("doc_json")?))
            .transpose()
    }

    async fn write_enrolment(
        tx: &mut Tx,
        audit: &mut AuditWriter,
        e: &Enrolment,
        verb: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO enrolments (tenant_id, state, doc_json, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id) DO UPDATE SET state = $2, doc_json = $3, updated_at = $4",
        )
        .bind(e.tenant.as_str())
        .bind(e.state.as_str())
        .bind(json(e))
        .bind(assure_domain::audit::format_instant(audit.at))
        .execute(&mut **tx)
        .await?;
        audit.record(tx, e, verb).await
    }

    /// The engagement, locked for the transaction's change, when the scope admits its tenant.
    async fn engagement_in(
        tx: &mut Tx,
        scope: &TenantScope,
        id: &EngagementId,
    ) -> Result<Engagement> {
        let row = sqlx::query("SELECT doc_json FROM engagements WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&mut **tx)
            .await?;
        let e: Option<Engagement> = row
            .map(|r| from_json("engagement", &r.try_get::<String, _>("doc_json")?))
            .transpose()?;
        e.filter(|e| scope.admits(&e.tenant))
            .ok_or_else(|| not_found("engagement", id))
    }

    async fn write_engagement(
        tx: &mut Tx,
        audit: &mut AuditWriter,
        e: &Engagement,
        verb: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO engagements (id, tenant_id, state, previous_id, doc_json, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (id) DO UPDATE SET state = $3, doc_json = $5",
        )
        .bind(e.id.as_str())
        .bind(e.tenant.as_str())
        .bind(e.state.as_str())
        .bind(e.previous.as_ref().map(|p| p.to_string()))
        .bind(json(e))
        .bind(assure_domain::audit::format_instant(e.created_at))
        .execute(&mut **tx)
        .await?;
        audit.record(tx, e, verb).await
    }

    async fn write_answer(tx: &mut Tx, audit: &mut AuditWriter, a: &StoredAnswer) -> Result<()> {
        sqlx::query(
            "INSERT INTO engagement_answers (engagement_id, control_id, tenant_id, doc_json) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (engagement_id, control_id) DO UPDATE SET doc_json = $4",
        )
        .bind(a.engagement.as_str())
        .bind(a.response.control.as_str())
        .bind(a.tenant.as_str())
        .bind(json(a))
        .execute(&mut **tx)
        .await?;
        audit.record(tx, a, "answer").await
    }

    async fn tenant_evidence(tx: &mut Tx, tenant: &TenantId) -> Result<BTreeSet<EvidenceId>> {
        Ok(sqlx::query("SELECT id FROM evidence WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("id").map(EvidenceId::new))
            .collect::<Result<_, _>>()?)
    }
}

fn refuse(e: &Engagement, by: &User, duty: Duty) -> Result<()> {
    may(e, by, duty).map_err(|r| StoreError::Engagement(EngagementError::Refused(r)))
}

impl EngagementStore for SqlStore {
    async fn list_enrolments(&self, scope: &TenantScope) -> Result<Vec<Enrolment>> {
        let rows = sqlx::query(
            "SELECT doc_json FROM enrolments WHERE ($1 IS NULL OR tenant_id = $1) ORDER BY tenant_id",
        )
        .bind(scope.single())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let e: Enrolment = from_json("enrolment", &r.try_get::<String, _>("doc_json")?)?;
            if scope.admits(&e.tenant) {
                out.push(e);
            }
        }
        Ok(out)
    }

    async fn get_enrolment(
        &self,
        scope: &TenantScope,
        tenant: &TenantId,
    ) -> Result<Option<Enrolment>> {
        if !scope.admits(tenant) {
            return Ok(None);
        }
        let mut tx = self.pool.begin().await?;
        let e = Self::enrolment_in(&mut tx, tenant).await?;
        tx.commit().await?;
        Ok(e)
    }

    async fn request_enrolment(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
    ) -> Result<Enrolment> {
        if !self.visible_tenant(scope, tenant).await? {
            return Err(not_found("tenant", tenant));
        }
        let mut tx = self.begin_write().await?;
        if let Some(e) = Self::enrolment_in(&mut tx, tenant).await? {
            return Err(StoreError::Conflict(format!(
                "tenant {tenant} is already enrolling (state {})",
                e.state.as_str()
            )));
        }
        let e = Enrolment::requested(tenant.clone());
        let mut audit = AuditWriter::new(actor);
        Self::write_enrolment(&mut tx, &mut audit, &e, "request").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(e)
    }

    async fn update_intake(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
        intake: &Intake,
    ) -> Result<Enrolment> {
        if !scope.admits(tenant) {
            return Err(not_found("enrolment of tenant", tenant));
        }
        let mut tx = self.begin_write().await?;
        let mut e = Self::enrolment_in(&mut tx, tenant)
            .await?
            .ok_or_else(|| not_found("enrolment of tenant", tenant))?;
        if !e.intake_editable() {
            return Err(StoreError::Enrolment(EnrolmentError::IntakeClosed));
        }
        e.intake = intake.clone();
        let mut audit = AuditWriter::new(actor);
        Self::write_enrolment(&mut tx, &mut audit, &e, "intake").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(e)
    }

    async fn transition_enrolment(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
        step: EnrolmentStep,
        nda: Option<Date>,
        today: Date,
    ) -> Result<Enrolment> {
        if !scope.admits(tenant) {
            return Err(not_found("enrolment of tenant", tenant));
        }
        let mut tx = self.begin_write().await?;
        let mut e = Self::enrolment_in(&mut tx, tenant)
            .await?
            .ok_or_else(|| not_found("enrolment of tenant", tenant))?;
        e.state = next_enrolment(&e, step, nda, today)?;
        if step == EnrolmentStep::RecordNda {
            e.nda_signed = nda.or(e.nda_signed);
        }
        let mut audit = AuditWriter::new(actor);
        Self::write_enrolment(&mut tx, &mut audit, &e, step.as_str()).await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(e)
    }

    async fn list_engagements(
        &self,
        scope: &TenantScope,
        tenant: Option<&TenantId>,
    ) -> Result<Vec<Engagement>> {
        let rows = sqlx::query(
            "SELECT doc_json FROM engagements WHERE ($1 IS NULL OR tenant_id = $1) \
             AND ($2 IS NULL OR tenant_id = $2) ORDER BY created_at DESC, id",
        )
        .bind(scope.single())
        .bind(tenant.map(|t| t.to_string()))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let e: Engagement = from_json("engagement", &r.try_get::<String, _>("doc_json")?)?;
            if scope.admits(&e.tenant) {
                out.push(e);
            }
        }
        Ok(out)
    }

    async fn get_engagement(
        &self,
        scope: &TenantScope,
        id: &EngagementId,
    ) -> Result<Option<Engagement>> {
        let mut tx = self.pool.begin().await?;
        let e = match Self::engagement_in(&mut tx, scope, id).await {
            Ok(e) => Some(e),
            Err(StoreError::NotFound(_)) => None,
            Err(other) => return Err(other),
        };
        tx.commit().await?;
        Ok(e)
    }

    async fn create_engagement(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        new: &NewEngagement,
        today: Date,
    ) -> Result<Engagement> {
        let tenant = self
            .get_tenant(scope, &new.tenant)
            .await?
            .ok_or_else(|| not_found("tenant", &new.tenant))?;
        check_scope(&new.scope, &tenant)?;
        let mut tx = self.begin_write().await?;
        let enrolment = Self::enrolment_in(&mut tx, &new.tenant).await?;
        match enrolment {
            Some(e) if e.state == EnrolmentState::Active => {
                let unmet = e.ineligibility(today);
                if !unmet.is_empty() {
                    return Err(StoreError::Enrolment(EnrolmentError::Ineligible(unmet)));
                }
            }
            Some(e) => {
                return Err(StoreError::Conflict(format!(
                    "tenant {} is not enrolled yet (enrolment state {}); activate the enrolment first",
                    new.tenant,
                    e.state.as_str()
                )));
            }
            None => {
                return Err(StoreError::Conflict(format!(
                    "tenant {} has not asked to enrol",
                    new.tenant
                )));
            }
        }
        if sqlx::query("SELECT id FROM engagements WHERE id = $1")
            .bind(new.id.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict(format!(
                "engagement {} exists already",
                new.id
            )));
        }
        let mut audit = AuditWriter::new(actor);
        let e = Engagement {
            id: new.id.clone(),
            tenant: new.tenant.clone(),
            tier: new.tier,
            scope: new.scope.clone(),
            state: EngagementState::Scoping,
            assessor_firm: None,
            assessors: Vec::new(),
            previous: None,
            signed_by: None,
            signed_at: None,
            created_at: audit.at,
            carried_over: None,
        };
        Self::write_engagement(&mut tx, &mut audit, &e, "create").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(e)
    }

    async fn scope_engagement(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &EngagementId,
        engagement_scope: &Scope,
    ) -> Result<Engagement> {
        let mut tx = self.begin_write().await?;
        let mut e = Self::engagement_in(&mut tx, scope, id).await?;
        if e.state != EngagementState::Scoping {
            return Err(StoreError::Engagement(EngagementError::Closed {
                state: e.state.as_str(),
                what: "changing the scope",
            }));
        }
        let tenant = self
            .get_tenant(scope, &e.tenant)
            .await?
            .ok_or_else(|| not_found("tenant", &e.tenant))?;
        check_scope(engagement_scope, &tenant)?;
        e.scope = engagement_scope.clone();
        let mut audit = AuditWriter::new(actor);
        Self::write_engagement(&mut tx, &mut audit, &e, "scope").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(e)
    }

    async fn assign_assessors(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &EngagementId,
        firm: &AssessorFirmId,
        assessors: &[UserId],
    ) -> Result<Engagement> {
        let mut users = Vec::new();
        for a in assessors {
            users.push(
                self.get_user(a)
                    .await?
                    .ok_or_else(|| not_found("user", a))?,
            );
        }
        let mut tx = self.begin_write().await?;
        let mut e = Self::engagement_in(&mut tx, scope, id).await?;
        check_assignment(&e, firm, &users)?;
        e.assessor_firm = Some(firm.clone());
        e.assessors = assessors.to_vec();
        let mut audit = AuditWriter::new(actor);
        Self::write_engagement(&mut tx, &mut audit, &e, "assign").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(e)
    }

    async fn transition_engagement(
        &self,
        scope: &TenantScope,
        by: &User,
        id: &EngagementId,
        step: EngagementStep,
    ) -> Result<Engagement> {
        let mut tx = self.begin_write().await?;
        let mut e = Self::engagement_in(&mut tx, scope, id).await?;
        let next = next_state(&e, step)?;
        let mut audit = AuditWriter::new(&Actor(by.id.to_string()));
        if step == EngagementStep::Sign {
            refuse(&e, by, Duty::Sign)?;
            e.signed_by = Some(by.id.clone());
            e.signed_at = Some(audit.at);
        }
        e.state = next;
        Self::write_engagement(&mut tx, &mut audit, &e, step.as_str()).await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(e)
    }

    async fn save_answers(
        &self,
        scope: &TenantScope,
        by: &User,
        id: &EngagementId,
        questions: &[Question],
        responses: &[Response],
    ) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let e = Self::engagement_in(&mut tx, scope, id).await?;
        refuse(&e, by, Duty::Answer)?;
        match e.state {
            EngagementState::Scoping | EngagementState::Fieldwork => {}
            EngagementState::Reporting | EngagementState::Signed => {
                return Err(StoreError::Engagement(EngagementError::Closed {
                    state: e.state.as_str(),
                    what: "answering",
                }));
            }
        }
        let known: BTreeSet<_> = questions.iter().map(|q| &q.control).collect();
        let evidence = Self::tenant_evidence(&mut tx, &e.tenant).await?;
        let mut audit = AuditWriter::new(&Actor(by.id.to_string()));
        for r in responses {
            if !known.contains(&r.control) {
                return Err(StoreError::Engagement(EngagementError::UnknownControl(
                    r.control.clone(),
                )));
            }
            if let Some(missing) = r.evidence.iter().find(|ev| !evidence.contains(ev)) {
                return Err(StoreError::Engagement(EngagementError::UnknownEvidence(
                    missing.clone(),
                )));
            }
            let answer = StoredAnswer {
                engagement: e.id.clone(),
                tenant: e.tenant.clone(),
                response: r.clone(),
                answered_by: by.id.clone(),
                answered_at: audit.at,
            };
            Self::write_answer(&mut tx, &mut audit, &answer).await?;
        }
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(responses.len())
    }

    async fn list_answers(
        &self,
        scope: &TenantScope,
        id: &EngagementId,
    ) -> Result<Vec<StoredAnswer>> {
        let rows = sqlx::query(
            "SELECT doc_json FROM engagement_answers WHERE engagement_id = $1 ORDER BY control_id",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let a: StoredAnswer = from_json("answer", &r.try_get::<String, _>("doc_json")?)?;
            if scope.admits(&a.tenant) {
                out.push(a);
            }
        }
        Ok(out)
    }

    async fn record_test(
        &self,
        scope: &TenantScope,
        by: &User,
        test: &ControlTest,
        in_scope: &[ScopedControl],
    ) -> Result<Option<DraftFinding>> {
        let mut tx = self.begin_write().await?;
        let e = Self::engagement_in(&mut tx, scope, &test.engagement).await?;
        refuse(&e, by, Duty::Test)?;
        if e.state != EngagementState::Fieldwork {
            return Err(StoreError::Engagement(EngagementError::Closed {
                state: e.state.as_str(),
                what: "recording test results (only during fieldwork)",
            }));
        }
        let draft = check_test(&e, test, in_scope.iter().any(|c| c.control == test.control))?;
        let evidence = Self::tenant_evidence(&mut tx, &e.tenant).await?;
        if let Some(missing) = test.evidence.iter().find(|ev| !evidence.contains(ev)) {
            return Err(StoreError::Engagement(EngagementError::UnknownEvidence(
                missing.clone(),
            )));
        }
        let mut audit = AuditWriter::new(&Actor(by.id.to_string()));
        let mut stored = StoredTest {
            tenant: e.tenant.clone(),
            test: test.clone(),
        };
        stored.test.tester = by.id.clone();
        stored.test.recorded_at = audit.at;
        sqlx::query(
            "INSERT INTO control_tests (engagement_id, control_id, tenant_id, doc_json) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (engagement_id, control_id) DO UPDATE SET doc_json = $4",
        )
        .bind(e.id.as_str())
        .bind(test.control.as_str())
        .bind(e.tenant.as_str())
        .bind(json(&stored))
        .execute(&mut *tx)
        .await?;
        audit.record(&mut tx, &stored, "record").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(draft)
    }

    async fn list_tests(&self, scope: &TenantScope, id: &EngagementId) -> Result<Vec<StoredTest>> {
        let rows = sqlx::query(
            "SELECT doc_json FROM control_tests WHERE engagement_id = $1 ORDER BY control_id",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let t: StoredTest = from_json("test", &r.try_get::<String, _>("doc_json")?)?;
            if scope.admits(&t.tenant) {
                out.push(t);
            }
        }
        Ok(out)
    }

    async fn roll_forward_engagement(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &EngagementId,
        new_id: &EngagementId,
        plan: &RollForward,
    ) -> Result<Engagement> {
        let answers = self.list_answers(scope, id).await?;
        let mut tx = self.begin_write().await?;
        let previous = Self::engagement_in(&mut tx, scope, id).await?;
        if previous.state != EngagementState::Signed {
            return Err(StoreError::Engagement(EngagementError::Closed {
                state: previous.state.as_str(),
                what: "rolling forward (only a signed engagement rolls forward)",
            }));
        }
        if sqlx::query("SELECT id FROM engagements WHERE id = $1")
            .bind(new_id.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict(format!(
                "engagement {new_id} exists already"
            )));
        }
        let mut audit = AuditWriter::new(actor);
        let mut scope_next = previous.scope.clone();
        scope_next.period = plan.period;
        let next = Engagement {
            id: new_id.clone(),
            tenant: previous.tenant.clone(),
            tier: previous.tier,
            scope: scope_next,
            state: EngagementState::Scoping,
            assessor_firm: previous.assessor_firm.clone(),
            assessors: previous.assessors.clone(),
            previous: Some(previous.id.clone()),
            signed_by: None,
            signed_at: None,
            created_at: audit.at,
            carried_over: Some(plan.clone()),
        };
        Self::write_engagement(&mut tx, &mut audit, &next, "roll-forward").await?;
        let reused: BTreeSet<&EvidenceId> = plan.reused().collect();
        for a in answers {
            let mut response = a.response;
            response.evidence.retain(|ev| reused.contains(ev));
            let copied = StoredAnswer {
                engagement: next.id.clone(),
                tenant: next.tenant.clone(),
                response,
                answered_by: a.answered_by,
                answered_at: a.answered_at,
            };
            Self::write_answer(&mut tx, &mut audit, &copied).await?;
        }
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(next)
    }

    async fn assessor_tenants(&self, assessor: &UserId) -> Result<BTreeSet<TenantId>> {
        let rows = sqlx::query("SELECT doc_json FROM engagements WHERE state <> $1")
            .bind(EngagementState::Signed.as_str())
            .fetch_all(&self.pool)
            .await?;
        let mut out = BTreeSet::new();
        for r in rows {
            let e: Engagement = from_json("engagement", &r.try_get::<String, _>("doc_json")?)?;
            if e.assessors.contains(assessor) {
                out.insert(e.tenant);
            }
        }
        Ok(out)
    }

    async fn save_provider_test(&self, actor: &Actor, test: &ProviderTest) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut audit = AuditWriter::new(actor);
        let (kind, start, end) = match test.period {
            EngagementPeriod::PointInTime { as_of } => ("point-in-time", as_of, as_of),
            EngagementPeriod::Period { start, end } => ("period", start, end),
        };
        sqlx::query(
            "INSERT INTO provider_tests (control_id, period_kind, period_start, period_end, doc_json) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (control_id, period_kind, period_start, period_end) DO UPDATE SET doc_json = $5",
        )
        .bind(test.test.control.as_str())
        .bind(kind)
        .bind(start.to_string())
        .bind(end.to_string())
        .bind(json(test))
        .execute(&mut *tx)
        .await?;
        audit.record(&mut tx, test, "record").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_provider_tests(&self, control: Option<&ControlId>) -> Result<Vec<ProviderTest>> {
        let rows = sqlx::query(
            "SELECT doc_json FROM provider_tests WHERE ($1 IS NULL OR control_id = $1) \
             ORDER BY control_id, period_end DESC, period_start DESC, period_kind",
        )
        .bind(control.map(ControlId::as_str))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| from_json("provider test", &r.try_get::<String, _>("doc_json")?))
            .collect()
    }
}
