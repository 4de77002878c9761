//! The SQL implementation of [`crate::trust::TrustStore`], compiled once per backend as a child of
//! `sql.rs` (so it shares its `AuditWriter`, helpers and types).

use assure_domain::TenantId;
use assure_domain::UserId;
use assure_domain::audit::format_instant;
use assure_domain::trust::{
    AccessRequest, AccessRequestId, TermsAcceptance, TrustDocument, TrustDocumentId, decide,
    may_request,
};
use sqlx::Row;

use super::{AuditWriter, DIALECT, SqlStore, Tx, from_json, json, now, parse_instant};
use crate::trust::{
    AccessDecisionInput, AccessRequestQuery, DownloadAttempt, DownloadStanding, NewAccessRequest,
};
use crate::{Actor, Result, StoreError, TenantScope};

impl SqlStore {
    async fn trust_requests_of(
        &self,
        tenant: &TenantId,
        document: &TrustDocumentId,
    ) -> Result<Vec<AccessRequest>> {
        let rows = sqlx::query(
            "SELECT doc_json FROM trust_requests WHERE tenant_id = $1 AND document_id = $2 \
             ORDER BY requested_at DESC, id DESC",
        )
        .bind(tenant.as_str())
        .bind(document.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| from_json("trust request", &r.try_get::<String, _>("doc_json")?))
            .collect()
    }

    async fn write_trust_request(tx: &mut Tx, r: &AccessRequest, insert: bool) -> Result<()> {
        let sql = if insert {
            "INSERT INTO trust_requests (id, tenant_id, document_id, state, requested_at, doc_json) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        } else {
            "UPDATE trust_requests SET tenant_id = $2, document_id = $3, state = $4, requested_at = $5, \
             doc_json = $6 WHERE id = $1"
        };
        sqlx::query(sql)
            .bind(r.id.as_str())
            .bind(r.tenant.as_str())
            .bind(r.document.as_str())
            .bind(r.state.as_str())
            .bind(format_instant(r.requested_at))
            .bind(json(r))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

fn acceptance_from_row(row: &super::DbRow) -> Result<TermsAcceptance> {
    Ok(TermsAcceptance {
        tenant: TenantId::new(row.try_get::<String, _>("tenant_id")?),
        document: TrustDocumentId::new(row.try_get::<String, _>("document_id")?),
        user: UserId::new(row.try_get::<String, _>("user_id")?),
        accepted_at: parse_instant(
            "terms acceptance",
            &row.try_get::<String, _>("accepted_at")?,
        )?,
    })
}

impl crate::trust::TrustStore for SqlStore {
    async fn publish_trust_document(
        &self,
        actor: &Actor,
        document: &TrustDocument,
    ) -> Result<TrustDocument> {
        if let Some(problem) = document.problems().first() {
            return Err(StoreError::Conflict(problem.to_string()));
        }
        let mut stored = document.clone();
        stored.published_at = parse_instant("instant", &format_instant(document.published_at))?;
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT id FROM trust_documents WHERE id = $1")
            .bind(stored.id.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if exists {
            return Err(StoreError::Conflict(format!(
                "trust document {} exists already",
                stored.id
            )));
        }
        sqlx::query("INSERT INTO trust_documents (id, published_at, doc_json) VALUES ($1, $2, $3)")
            .bind(stored.id.as_str())
            .bind(format_instant(stored.published_at))
            .bind(json(&stored))
            .execute(&mut *tx)
            .await?;
        let mut audit = AuditWriter::new(actor);
        audit.record(&mut tx, &stored, "publish").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn list_trust_documents(&self) -> Result<Vec<TrustDocument>> {
        let rows =
            sqlx::query("SELECT doc_json FROM trust_documents ORDER BY published_at DESC, id DESC")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| from_json("trust document", &r.try_get::<String, _>("doc_json")?))
            .collect()
    }

    async fn get_trust_document(&self, id: &TrustDocumentId) -> Result<Option<TrustDocument>> {
        let row = sqlx::query("SELECT doc_json FROM trust_documents WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| from_json("trust document", &r.try_get::<String, _>("doc_json")?))
            .transpose()
    }

    async fn request_trust_access(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        request: &NewAccessRequest,
    ) -> Result<AccessRequest> {
        if !self.visible_tenant(scope, &request.tenant).await? {
            return Err(StoreError::NotFound(format!("tenant {}", request.tenant)));
        }
        if self.get_trust_document(&request.document).await?.is_none() {
            return Err(StoreError::NotFound(format!(
                "trust document {}",
                request.document
            )));
        }
        let at = now();
        let mut tx = self.begin_write().await?;
        // Read the earlier requests inside the write transaction (SQLite has one writer; PostgreSQL locks
        // them), so two concurrent requests cannot both pass.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT doc_json FROM trust_requests WHERE tenant_id = $1 AND document_id = $2{}",
            DIALECT.for_update
        )))
        .bind(request.tenant.as_str())
        .bind(request.document.as_str())
        .fetch_all(&mut *tx)
        .await?;
        let earlier: Vec<AccessRequest> = rows
            .iter()
            .map(|r| from_json("trust request", &r.try_get::<String, _>("doc_json")?))
            .collect::<Result<_>>()?;
        may_request(&earlier, at.date())?;
        let created = AccessRequest {
            id: AccessRequestId::new(uuid::Uuid::now_v7().to_string()),
            tenant: request.tenant.clone(),
            document: request.document.clone(),
            state: assure_domain::trust::AccessState::Requested,
            justification: request
                .justification
                .as_ref()
                .map(|j| j.trim().to_owned())
                .filter(|j| !j.is_empty()),
            requested_by: request.requested_by.clone(),
            requested_at: at,
            decided_by: None,
            decided_at: None,
            expires: None,
            note: None,
        };
        Self::write_trust_request(&mut tx, &created, true).await?;
        let mut audit = AuditWriter::new(actor);
        audit.record(&mut tx, &created, "request").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn list_trust_requests(
        &self,
        scope: &TenantScope,
        query: &AccessRequestQuery,
    ) -> Result<Vec<AccessRequest>> {
        let rows = sqlx::query(
            "SELECT tenant_id, doc_json FROM trust_requests \
             WHERE ($1 IS NULL OR tenant_id = $1) AND ($2 IS NULL OR document_id = $2) \
             AND ($3 IS NULL OR state = $3) ORDER BY requested_at DESC, id DESC",
        )
        .bind(query.tenant.as_ref().map(|t| t.to_string()))
        .bind(query.document.as_ref().map(|d| d.to_string()))
        .bind(query.state.map(|s| s.as_str().to_owned()))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for row in &rows {
            let tenant = TenantId::new(row.try_get::<String, _>("tenant_id")?);
            if scope.admits(&tenant) {
                out.push(from_json(
                    "trust request",
                    &row.try_get::<String, _>("doc_json")?,
                )?);
            }
        }
        Ok(out)
    }

    async fn get_trust_request(
        &self,
        scope: &TenantScope,
        id: &AccessRequestId,
    ) -> Result<Option<AccessRequest>> {
        let row = sqlx::query("SELECT doc_json FROM trust_requests WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        let request: Option<AccessRequest> = row
            .map(|r| from_json("trust request", &r.try_get::<String, _>("doc_json")?))
            .transpose()?;
        Ok(request.filter(|r| scope.admits(&r.tenant)))
    }

    async fn decide_trust_request(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &AccessRequestId,
        decision: &AccessDecisionInput,
    ) -> Result<AccessRequest> {
        let at = now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT doc_json FROM trust_requests WHERE id = $1{}",
            DIALECT.for_update
        )))
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let request: AccessRequest = match row
            .map(|r| {
                from_json::<AccessRequest>("trust request", &r.try_get::<String, _>("doc_json")?)
            })
            .transpose()?
        {
            Some(r) if scope.admits(&r.tenant) => r,
            _ => return Err(StoreError::NotFound(format!("trust request {id}"))),
        };
        let state = decide(
            &request,
            decision.decision,
            decision.role,
            decision.expires,
            at.date(),
        )?;
        let mut decided = request;
        decided.state = state;
        decided.decided_by = Some(decision.decided_by.clone());
        decided.decided_at = Some(at);
        decided.expires = match state {
            assure_domain::trust::AccessState::Approved => decision.expires,
            assure_domain::trust::AccessState::Requested
            | assure_domain::trust::AccessState::Denied => None,
        };
        decided.note = decision
            .note
            .as_ref()
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        Self::write_trust_request(&mut tx, &decided, false).await?;
        let mut audit = AuditWriter::new(actor);
        audit
            .record(&mut tx, &decided, decision.decision.as_str())
            .await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(decided)
    }

    async fn accept_trust_terms(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
        document: &TrustDocumentId,
        user: &UserId,
    ) -> Result<TermsAcceptance> {
        if !self.visible_tenant(scope, tenant).await? {
            return Err(StoreError::NotFound(format!("tenant {tenant}")));
        }
        if self.get_trust_document(document).await?.is_none() {
            return Err(StoreError::NotFound(format!("trust document {document}")));
        }
        let mut tx = self.begin_write().await?;
        let existing = sqlx::query(
            "SELECT * FROM trust_terms WHERE tenant_id = $1 AND document_id = $2 AND user_id = $3",
        )
        .bind(tenant.as_str())
        .bind(document.as_str())
        .bind(user.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            return acceptance_from_row(&row);
        }
        let accepted = TermsAcceptance {
            tenant: tenant.clone(),
            document: document.clone(),
            user: user.clone(),
            accepted_at: now(),
        };
        sqlx::query(
            "INSERT INTO trust_terms (tenant_id, document_id, user_id, accepted_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(tenant.as_str())
        .bind(document.as_str())
        .bind(user.as_str())
        .bind(format_instant(accepted.accepted_at))
        .execute(&mut *tx)
        .await?;
        let mut audit = AuditWriter::new(actor);
        audit.record(&mut tx, &accepted, "accept").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(accepted)
    }

    async fn list_trust_terms(
        &self,
        scope: &TenantScope,
        tenant: Option<&TenantId>,
    ) -> Result<Vec<TermsAcceptance>> {
        let rows = sqlx::query(
            "SELECT * FROM trust_terms WHERE ($1 IS NULL OR tenant_id = $1) \
             ORDER BY tenant_id, document_id, user_id",
        )
        .bind(tenant.map(|t| t.to_string()))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for row in &rows {
            let a = acceptance_from_row(row)?;
            if scope.admits(&a.tenant) {
                out.push(a);
            }
        }
        Ok(out)
    }

    async fn trust_download_standing(
        &self,
        scope: &TenantScope,
        tenant: &TenantId,
        document: &TrustDocumentId,
        user: &UserId,
    ) -> Result<DownloadStanding> {
        if !self.visible_tenant(scope, tenant).await? {
            return Err(StoreError::NotFound(format!("tenant {tenant}")));
        }
        let document = self
            .get_trust_document(document)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("trust document {document}")))?;
        let latest_request = self
            .trust_requests_of(tenant, &document.id)
            .await?
            .into_iter()
            .next();
        let terms_accepted = sqlx::query(
            "SELECT user_id FROM trust_terms WHERE tenant_id = $1 AND document_id = $2 AND user_id = $3",
        )
        .bind(tenant.as_str())
        .bind(document.id.as_str())
        .bind(user.as_str())
        .fetch_optional(&self.pool)
        .await?
        .is_some();
        Ok(DownloadStanding {
            document,
            latest_request,
            terms_accepted,
        })
    }

    async fn record_trust_download(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        attempt: &DownloadAttempt,
    ) -> Result<()> {
        if !self.visible_tenant(scope, &attempt.tenant).await? {
            return Err(StoreError::NotFound(format!("tenant {}", attempt.tenant)));
        }
        if self.get_trust_document(&attempt.document).await?.is_none() {
            return Err(StoreError::NotFound(format!(
                "trust document {}",
                attempt.document
            )));
        }
        let mut stored = attempt.clone();
        stored.at = parse_instant("instant", &format_instant(attempt.at))?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO trust_downloads (id, tenant_id, document_id, at, doc_json) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&stored.id)
        .bind(stored.tenant.as_str())
        .bind(stored.document.as_str())
        .bind(format_instant(stored.at))
        .bind(json(&stored))
        .execute(&mut *tx)
        .await?;
        let mut audit = AuditWriter::new(actor);
        audit.record(&mut tx, &stored, "attempt").await?;
        audit.finish(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_trust_downloads(
        &self,
        scope: &TenantScope,
        tenant: Option<&TenantId>,
    ) -> Result<Vec<DownloadAttempt>> {
        let rows = sqlx::query(
            "SELECT tenant_id, doc_json FROM trust_downloads WHERE ($1 IS NULL OR tenant_id = $1) \
             ORDER BY at DESC, id DESC",
        )
        .bind(tenant.map(|t| t.to_string()))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for row in &rows {
            let t = TenantId::new(row.try_get::<String, _>("tenant_id")?);
            if scope.admits(&t) {
                out.push(from_json(
                    "trust download",
                    &row.try_get::<String, _>("doc_json")?,
                )?);
            }
        }
        Ok(out)
    }
}
