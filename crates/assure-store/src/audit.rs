//! Verifying the audit trail against itself and against the rows it describes.
//!
//! Two questions: is every chain intact (links, hashes, signed checkpoints; see
//! [`assure_domain::audit::verify_chain`]), and does every audited object still have the state its last
//! record describes? The second catches a row changed, added or deleted directly in the database.
//! Signing and checking signatures is passed in, so this crate holds no key material.

use std::collections::BTreeMap;

use assure_domain::audit::{
    ChainBreak, ChainId, ChainSummary, Checkpoint, format_instant, verify_chain,
};
use serde::Serialize;
use time::OffsetDateTime;

use crate::objects::Audited;
use crate::{ControlQuery, MappingFilter, Result, Store, TenantScope};

/// An object whose stored state does not match its audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StateMismatch {
    pub chain: ChainId,
    /// The last record describing the object, when there is one.
    pub seq: Option<i64>,
    pub object_kind: String,
    pub object_id: String,
    pub problem: String,
}

impl std::fmt::Display for StateMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.seq {
            Some(seq) => write!(
                f,
                "chain {}: record {seq}: {} {} {}",
                self.chain, self.object_kind, self.object_id, self.problem
            ),
            None => write!(
                f,
                "chain {}: {} {} {}",
                self.chain, self.object_kind, self.object_id, self.problem
            ),
        }
    }
}

/// The outcome of verifying every chain a scope admits.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AuditReport {
    pub chains: Vec<ChainSummary>,
    pub breaks: Vec<ChainBreak>,
    pub mismatches: Vec<StateMismatch>,
}

impl AuditReport {
    pub fn is_intact(&self) -> bool {
        self.breaks.is_empty() && self.mismatches.is_empty()
    }
}

type ObjectKey = (String, String);

/// The current digest of every audited object the scope admits, keyed by (kind, id), with its chain.
pub async fn current_digests<S: Store>(
    store: &S,
    scope: &TenantScope,
) -> Result<BTreeMap<ObjectKey, (ChainId, String)>> {
    let mut out = BTreeMap::new();
    fn put<T: Audited>(out: &mut BTreeMap<ObjectKey, (ChainId, String)>, items: &[T]) {
        for item in items {
            let event = item.event("", "");
            let chain = ChainId::for_tenant(event.tenant.as_ref());
            out.insert(
                (event.object_kind, event.object_id),
                (chain, event.state_digest.unwrap_or_default()),
            );
        }
    }
    if *scope == TenantScope::AllTenants {
        put(&mut out, &store.list_regions().await?);
        put(&mut out, &store.list_domains().await?);
        put(
            &mut out,
            &store.list_controls(&ControlQuery::default()).await?.items,
        );
        put(&mut out, &store.list_model_defaults().await?);
        let frameworks = store.list_frameworks().await?;
        for f in &frameworks {
            put(&mut out, &store.list_requirements(&f.id).await?);
        }
        put(&mut out, &frameworks);
        put(&mut out, &store.list_framework_sources().await?);
        put(
            &mut out,
            &store.list_mappings(&MappingFilter::default()).await?,
        );
        put(&mut out, &store.list_services().await?);
        put(&mut out, &store.list_responsibility_entries(None).await?);
        put(&mut out, &store.list_option_rules(None).await?);
        put(&mut out, &store.list_assessor_firms().await?);
        put(&mut out, &store.list_baseline_versions().await?);
        put(&mut out, &store.list_baseline_changes(None).await?);
        put(&mut out, &store.list_baseline_comments(None).await?);
    }
    put(&mut out, &store.list_baseline_notices(scope, None).await?);
    let tenants = store.list_tenants(scope).await?;
    for t in &tenants {
        let mut every = crate::EvidenceQuery::current(t.id.clone());
        every.current_only = false;
        put(&mut out, &store.list_evidence(scope, &every).await?.items);
    }
    put(&mut out, &tenants);
    put(&mut out, &store.list_users(scope).await?);
    put(&mut out, &store.list_enrolments(scope).await?);
    let engagements = store.list_engagements(scope, None).await?;
    for e in &engagements {
        put(&mut out, &store.list_answers(scope, &e.id).await?);
        put(&mut out, &store.list_tests(scope, &e.id).await?);
    }
    put(&mut out, &engagements);
    findings_digests(store, scope, &mut out).await?;
    if *scope == TenantScope::AllTenants {
        put(&mut out, &store.list_trust_documents().await?);
        put(&mut out, &store.list_provider_tests(None).await?);
    }
    put(
        &mut out,
        &store
            .list_trust_requests(scope, &crate::trust::AccessRequestQuery::default())
            .await?,
    );
    put(&mut out, &store.list_trust_terms(scope, None).await?);
    put(&mut out, &store.list_trust_downloads(scope, None).await?);
    Ok(out)
}

/// The audited objects of findings and the scheduler (`findings.rs`).
async fn findings_digests<S: Store>(
    store: &S,
    scope: &TenantScope,
    out: &mut BTreeMap<ObjectKey, (ChainId, String)>,
) -> Result<()> {
    use crate::findings::FindingQuery;
    fn put_all<T: Audited>(out: &mut BTreeMap<ObjectKey, (ChainId, String)>, items: &[T]) {
        for item in items {
            let event = item.event("", "");
            let chain = ChainId::for_tenant(event.tenant.as_ref());
            out.insert(
                (event.object_kind, event.object_id),
                (chain, event.state_digest.unwrap_or_default()),
            );
        }
    }
    put_all(
        out,
        &store
            .list_findings(scope, &FindingQuery::default())
            .await?
            .items,
    );
    put_all(out, &store.list_remediation_policies(scope).await?);
    put_all(out, &store.list_escalations(scope, None).await?);
    put_all(out, &store.list_review_tasks(scope).await?);
    if *scope == TenantScope::AllTenants {
        put_all(out, &store.list_channels().await?);
        put_all(out, &store.list_tracker_secrets().await?);
        if let Some(kev) = store.kev_import().await? {
            put_all(out, &[kev]);
        }
    }
    Ok(())
}

/// Verifies every chain the scope admits and the state of every object they describe.
pub async fn verify<S: Store>(
    store: &S,
    scope: &TenantScope,
    signature_valid: impl Fn(&Checkpoint) -> bool,
) -> Result<AuditReport> {
    let mut report = AuditReport::default();
    let mut latest: BTreeMap<ObjectKey, (ChainId, i64, Option<String>)> = BTreeMap::new();
    for head in store.audit_chains(scope).await? {
        let records = store.audit_records(scope, &head.chain).await?;
        let checkpoints = store.audit_checkpoints(scope, &head.chain).await?;
        match verify_chain(&head.chain, &records, &checkpoints, &signature_valid) {
            Ok(summary) => report.chains.push(summary),
            Err(b) => report.breaks.push(b),
        }
        for r in &records {
            latest.insert(
                (r.event.object_kind.clone(), r.event.object_id.clone()),
                (r.chain.clone(), r.seq, r.event.state_digest.clone()),
            );
        }
    }
    let mut current = current_digests(store, scope).await?;
    for ((kind, id), (chain, seq, recorded)) in latest {
        let now = current.remove(&(kind.clone(), id.clone()));
        let problem = match (recorded, now) {
            (Some(r), Some((_, c))) if r == c => None,
            (Some(_), Some(_)) => Some(
                "was changed outside Assure: its state no longer matches its last audit record",
            ),
            (Some(_), None) => {
                Some("was deleted outside Assure: its last audit record says it exists")
            }
            (None, Some(_)) => Some("exists although its last audit record deleted it"),
            (None, None) => None,
        };
        if let Some(problem) = problem {
            report.mismatches.push(StateMismatch {
                chain,
                seq: Some(seq),
                object_kind: kind,
                object_id: id,
                problem: problem.to_owned(),
            });
        }
    }
    for ((kind, id), (chain, _)) in current {
        report.mismatches.push(StateMismatch {
            chain,
            seq: None,
            object_kind: kind,
            object_id: id,
            problem: "has no audit record: it was added outside Assure".to_owned(),
        });
    }
    Ok(report)
}

/// Signs the head of every chain that moved since its last checkpoint. `sign` returns the key id and the
/// hex signature of the message it is given. Returns the checkpoints written.
pub async fn checkpoint<S: Store>(
    store: &S,
    at: OffsetDateTime,
    sign: impl Fn(&[u8]) -> (String, String),
) -> Result<Vec<Checkpoint>> {
    let scope = TenantScope::AllTenants;
    let signed_at = format_instant(at);
    let mut written = Vec::new();
    for head in store.audit_chains(&scope).await? {
        if head.seq == 0 {
            continue;
        }
        let last = store.audit_checkpoints(&scope, &head.chain).await?;
        if last.last().is_some_and(|c| c.seq == head.seq) {
            continue;
        }
        let message = Checkpoint::message(&head.chain, head.seq, &head.hash, &signed_at);
        let (key_id, signature) = sign(&message);
        let c = Checkpoint {
            chain: head.chain,
            seq: head.seq,
            head_hash: head.hash,
            signed_at: signed_at.clone(),
            key_id,
            signature,
        };
        store.record_checkpoint(&c).await?;
        written.push(c);
    }
    Ok(written)
}
