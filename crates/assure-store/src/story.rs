//! The conformance story: one sequence of steps, run against every backend, that exercises every
//! [`Store`] method (atuin's pattern). A method with no step makes `every_store_method_has_a_step` fail.
//!
//! The story expects an empty database and a programme with at least two tenants, the first of which uses
//! at least one service; it returns the names of the methods it exercised.

use std::collections::BTreeSet;

use assure_domain::audit::{ChainId, Checkpoint};
use assure_domain::programme::Programme;
use assure_domain::tenant::Contact;

use crate::audit::{checkpoint, verify};
use crate::{Actor, ControlQuery, ControlSort, MappingFilter, Store, StoreError, TenantScope};

mod findings;
mod trust;

/// Failure of a story step, naming the step.
#[derive(Debug, thiserror::Error)]
#[error("story step {step}: {message}")]
pub struct StoryFailure {
    pub step: &'static str,
    pub message: String,
}

struct Story {
    covered: BTreeSet<&'static str>,
}

impl Story {
    fn step(&mut self, method: &'static str) {
        self.covered.insert(method);
    }
}

fn check(step: &'static str, ok: bool, message: impl Into<String>) -> Result<(), StoryFailure> {
    if ok {
        Ok(())
    } else {
        Err(StoryFailure {
            step,
            message: message.into(),
        })
    }
}

fn db(step: &'static str) -> impl Fn(StoreError) -> StoryFailure {
    move |e| StoryFailure {
        step,
        message: e.to_string(),
    }
}

/// Runs the story; returns the store methods it exercised.
pub async fn run_story<S: Store>(
    store: &S,
    programme: &Programme,
) -> Result<BTreeSet<&'static str>, StoryFailure> {
    let mut s = Story {
        covered: BTreeSet::new(),
    };
    let all = TenantScope::AllTenants;
    let actor = Actor::system("story");

    s.step("backend");
    let _ = store.backend();

    s.step("is_initialised");
    check(
        "is_initialised",
        !store.is_initialised().await.map_err(db("is_initialised"))?,
        "a new database is not set up",
    )?;
    s.step("mark_initialised");
    store
        .mark_initialised(&actor, true)
        .await
        .map_err(db("mark_initialised"))?;
    store
        .mark_initialised(&actor, true)
        .await
        .map_err(db("mark_initialised"))?;
    check(
        "mark_initialised",
        store.is_initialised().await.map_err(db("is_initialised"))?,
        "set up after init, and a second call changes nothing",
    )?;

    s.step("is_loaded");
    check(
        "is_loaded",
        !store.is_loaded().await.map_err(db("is_loaded"))?,
        "a new database is not loaded",
    )?;

    s.step("change_mark");
    let mark_before = store.change_mark().await.map_err(db("change_mark"))?;
    s.step("import_programme");
    let summary = store
        .import_programme(&actor, programme)
        .await
        .map_err(db("import_programme"))?;
    check(
        "import_programme",
        summary.controls == programme.controls.len(),
        "every control imported",
    )?;
    check(
        "import_programme",
        summary.audit_records > summary.controls,
        "every object audited",
    )?;
    check(
        "is_loaded",
        store.is_loaded().await.map_err(db("is_loaded"))?,
        "loaded after import",
    )?;
    let mark_after = store.change_mark().await.map_err(db("change_mark"))?;
    check(
        "change_mark",
        mark_after >= mark_before + i64::try_from(summary.audit_records).unwrap_or(i64::MAX),
        "the mark grows by at least one per audit record",
    )?;
    check(
        "change_mark",
        store.change_mark().await.map_err(db("change_mark"))? == mark_after,
        "reading changes nothing",
    )?;
    let again = store.import_programme(&actor, programme).await;
    check(
        "import_programme",
        matches!(again, Err(StoreError::AlreadyLoaded)),
        "a second import is refused",
    )?;

    s.step("list_regions");
    let regions = store.list_regions().await.map_err(db("list_regions"))?;
    check(
        "list_regions",
        regions == programme.regions,
        "regions round-trip in order",
    )?;

    s.step("list_domains");
    let domains = store.list_domains().await.map_err(db("list_domains"))?;
    check(
        "list_domains",
        domains == programme.domains,
        "domains round-trip in order",
    )?;

    s.step("list_controls");
    let page = store
        .list_controls(&ControlQuery::default())
        .await
        .map_err(db("list_controls"))?;
    check(
        "list_controls",
        page.items == programme.controls,
        "controls round-trip in baseline order",
    )?;
    check(
        "list_controls",
        page.total == i64::try_from(programme.controls.len()).unwrap_or(-1),
        "total counts all",
    )?;
    let first = &programme.controls[0];
    let by_domain = store
        .list_controls(&ControlQuery {
            domain: Some(first.domain.clone()),
            ..ControlQuery::default()
        })
        .await
        .map_err(db("list_controls"))?;
    check(
        "list_controls",
        by_domain.items.iter().all(|c| c.domain == first.domain),
        "domain filter",
    )?;
    let searched = store
        .list_controls(&ControlQuery {
            search: Some(first.title.to_uppercase()),
            ..ControlQuery::default()
        })
        .await
        .map_err(db("list_controls"))?;
    check(
        "list_controls",
        searched.items.iter().any(|c| c.id == first.id),
        "search is case-insensitive",
    )?;
    let paged = store
        .list_controls(&ControlQuery {
            sort: ControlSort::Id,
            descending: true,
            limit: Some(1),
            offset: 0,
            ..ControlQuery::default()
        })
        .await
        .map_err(db("list_controls"))?;
    let max_id = programme.controls.iter().map(|c| &c.id).max();
    check(
        "list_controls",
        paged.items.len() == 1 && paged.items.first().map(|c| &c.id) == max_id,
        "sort and page",
    )?;
    check(
        "list_controls",
        paged.total == page.total,
        "total ignores paging",
    )?;

    s.step("get_control");
    let got = store
        .get_control(&first.id)
        .await
        .map_err(db("get_control"))?;
    check(
        "get_control",
        got.as_ref() == Some(first),
        "a control reads back",
    )?;
    let missing = store
        .get_control(&"NOPE-99".into())
        .await
        .map_err(db("get_control"))?;
    check(
        "get_control",
        missing.is_none(),
        "an unknown control is None",
    )?;

    s.step("list_frameworks");
    let frameworks = store
        .list_frameworks()
        .await
        .map_err(db("list_frameworks"))?;
    check(
        "list_frameworks",
        frameworks == programme.frameworks,
        "frameworks round-trip",
    )?;

    s.step("list_requirements");
    for f in &frameworks {
        let reqs = store
            .list_requirements(&f.id)
            .await
            .map_err(db("list_requirements"))?;
        let expected: Vec<_> = programme.requirements_of(&f.id).cloned().collect();
        check(
            "list_requirements",
            reqs == expected,
            format!("requirements of {} round-trip", f.id),
        )?;
    }

    s.step("list_all_requirements");
    let every = store
        .list_all_requirements()
        .await
        .map_err(db("list_all_requirements"))?;
    let expected: Vec<_> = frameworks
        .iter()
        .flat_map(|f| programme.requirements_of(&f.id).cloned())
        .collect();
    check(
        "list_all_requirements",
        every == expected,
        "every framework's requirements in framework order",
    )?;

    s.step("list_mappings");
    let mappings = store
        .list_mappings(&MappingFilter::default())
        .await
        .map_err(db("list_mappings"))?;
    check(
        "list_mappings",
        mappings.len() == programme.mappings.len(),
        "every mapping listed",
    )?;
    check(
        "list_mappings",
        mappings.iter().all(|m| programme.mappings.contains(m)),
        "mappings round-trip",
    )?;
    let of_first = store
        .list_mappings(&MappingFilter {
            control: Some(first.id.clone()),
            ..MappingFilter::default()
        })
        .await
        .map_err(db("list_mappings"))?;
    check(
        "list_mappings",
        of_first.len()
            == programme
                .mappings
                .iter()
                .filter(|m| m.control == first.id)
                .count(),
        "filter by control",
    )?;

    s.step("list_services");
    let services = store.list_services().await.map_err(db("list_services"))?;
    check(
        "list_services",
        services == programme.services,
        "services round-trip with options",
    )?;

    s.step("list_model_defaults");
    let defaults = store
        .list_model_defaults()
        .await
        .map_err(db("list_model_defaults"))?;
    check(
        "list_model_defaults",
        defaults == programme.defaults,
        "defaults round-trip",
    )?;

    s.step("list_responsibility_entries");
    let entries = store
        .list_responsibility_entries(None)
        .await
        .map_err(db("list_responsibility_entries"))?;
    check(
        "list_responsibility_entries",
        entries.len() == programme.entries.len(),
        "every entry",
    )?;
    check(
        "list_responsibility_entries",
        entries.iter().all(|e| programme.entries.contains(e)),
        "entries round-trip",
    )?;
    if let Some(e) = programme.entries.first() {
        let one = store
            .list_responsibility_entries(Some(&e.service))
            .await
            .map_err(db("list_responsibility_entries"))?;
        check(
            "list_responsibility_entries",
            one.iter().all(|x| x.service == e.service),
            "filter by service",
        )?;
    }

    s.step("list_option_rules");
    let rules = store
        .list_option_rules(None)
        .await
        .map_err(db("list_option_rules"))?;
    check(
        "list_option_rules",
        rules.len() == programme.option_rules.len(),
        "every rule",
    )?;
    check(
        "list_option_rules",
        rules.iter().all(|r| programme.option_rules.contains(r)),
        "rules round-trip",
    )?;

    s.step("list_assessor_firms");
    let firms = store
        .list_assessor_firms()
        .await
        .map_err(db("list_assessor_firms"))?;
    check(
        "list_assessor_firms",
        firms.len() == programme.assessor_firms.len(),
        "every firm",
    )?;
    for f in &programme.assessor_firms {
        let stored = firms.iter().find(|x| x.id == f.id);
        let mut expected = f.assessors.clone();
        expected.sort();
        check(
            "list_assessor_firms",
            stored.is_some_and(|x| x.assessors == expected),
            format!("firm {} with its assessors", f.id),
        )?;
    }

    // Tenant isolation: a tenant's scope sees only that tenant.
    let mine = programme.tenants[0].id.clone();
    let theirs = programme.tenants[1].id.clone();
    let my_scope = TenantScope::Tenant(mine.clone());

    s.step("list_tenants");
    let tenants = store.list_tenants(&all).await.map_err(db("list_tenants"))?;
    check(
        "list_tenants",
        tenants.len() == programme.tenants.len(),
        "provider sees every tenant",
    )?;
    for t in &programme.tenants {
        check(
            "list_tenants",
            tenants.contains(t),
            format!("tenant {} round-trips", t.id),
        )?;
    }
    let own = store
        .list_tenants(&my_scope)
        .await
        .map_err(db("list_tenants"))?;
    check(
        "list_tenants",
        own.len() == 1 && own[0].id == mine,
        "a tenant sees only itself",
    )?;

    s.step("get_tenant");
    let foreign = store
        .get_tenant(&my_scope, &theirs)
        .await
        .map_err(db("get_tenant"))?;
    check(
        "get_tenant",
        foreign.is_none(),
        "a foreign tenant is invisible",
    )?;
    let mut me = store
        .get_tenant(&my_scope, &mine)
        .await
        .map_err(db("get_tenant"))?
        .ok_or_else(|| StoryFailure {
            step: "get_tenant",
            message: "own tenant missing".into(),
        })?;

    s.step("update_tenant");
    let original_of_mine = me.clone();
    // Versions are stamped to the millisecond: step past the one the import wrote.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let update_started = time::OffsetDateTime::now_utc();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    me.contacts.push(Contact {
        role: assure_domain::tenant::ContactRole::Security,
        name: "Story Contact".into(),
        email: "story@example.test".into(),
    });
    store
        .update_tenant(&my_scope, &actor, &me)
        .await
        .map_err(db("update_tenant"))?;
    let reread = store
        .get_tenant(&all, &mine)
        .await
        .map_err(db("get_tenant"))?;
    check(
        "update_tenant",
        reread.as_ref() == Some(&me),
        "an update reads back",
    )?;
    let mut them = tenants
        .iter()
        .find(|t| t.id == theirs)
        .cloned()
        .ok_or_else(|| StoryFailure {
            step: "update_tenant",
            message: "second tenant missing".into(),
        })?;
    them.industry = "changed by the wrong tenant".into();
    let refused = store.update_tenant(&my_scope, &actor, &them).await;
    check(
        "update_tenant",
        matches!(refused, Err(StoreError::NotFound(_))),
        "a foreign update is refused as not found",
    )?;

    s.step("tenant_as_of");
    let before_update = original_of_mine;
    let now = time::OffsetDateTime::now_utc();
    let current = store
        .tenant_as_of(&my_scope, &mine, now + time::Duration::seconds(1))
        .await
        .map_err(db("tenant_as_of"))?;
    check(
        "tenant_as_of",
        current.as_ref() == Some(&me),
        "the newest version is the current tenant",
    )?;
    let earlier = store
        .tenant_as_of(
            &my_scope,
            &mine,
            update_started - time::Duration::milliseconds(1),
        )
        .await
        .map_err(db("tenant_as_of"))?;
    check(
        "tenant_as_of",
        earlier.as_ref() == Some(&before_update),
        "an instant before the update gives the version before it",
    )?;
    let ancient = store
        .tenant_as_of(&my_scope, &mine, time::OffsetDateTime::UNIX_EPOCH)
        .await
        .map_err(db("tenant_as_of"))?;
    check(
        "tenant_as_of",
        ancient.is_none(),
        "no version before the tenant existed",
    )?;
    let foreign = store
        .tenant_as_of(&my_scope, &theirs, now)
        .await
        .map_err(db("tenant_as_of"))?;
    check(
        "tenant_as_of",
        foreign.is_none(),
        "a foreign tenant's history is not there",
    )?;

    // Writers of different tenants in parallel: both chains stay intact.
    let mut a = me.clone();
    let mut b = store
        .get_tenant(&all, &theirs)
        .await
        .map_err(db("get_tenant"))?
        .ok_or_else(|| StoryFailure {
            step: "update_tenant",
            message: "second tenant missing".into(),
        })?;
    let mut writes = Vec::new();
    for i in 0..8 {
        a.industry = format!("industry {i}");
        b.industry = format!("industry {i}");
        let (sa, sb, ta, tb, act) = (
            store.clone(),
            store.clone(),
            a.clone(),
            b.clone(),
            actor.clone(),
        );
        writes.push(tokio::spawn(async move {
            sa.update_tenant(&TenantScope::AllTenants, &act, &ta).await
        }));
        let act = actor.clone();
        writes.push(tokio::spawn(async move {
            sb.update_tenant(&TenantScope::AllTenants, &act, &tb).await
        }));
    }
    for w in writes {
        w.await
            .map_err(|e| StoryFailure {
                step: "update_tenant",
                message: e.to_string(),
            })?
            .map_err(db("update_tenant"))?;
    }

    s.step("list_users");
    let users = store.list_users(&all).await.map_err(db("list_users"))?;
    check(
        "list_users",
        users.len() == programme.users.len(),
        "provider sees every user",
    )?;
    let own_users = store
        .list_users(&my_scope)
        .await
        .map_err(db("list_users"))?;
    check(
        "list_users",
        own_users.iter().all(|u| u.tenant() == Some(&mine)),
        "a tenant sees only its users",
    )?;

    s.step("audit_chains");
    let chains = store.audit_chains(&all).await.map_err(db("audit_chains"))?;
    check(
        "audit_chains",
        chains.iter().any(|c| c.chain == ChainId::Provider),
        "the provider chain exists",
    )?;
    check(
        "audit_chains",
        chains
            .iter()
            .any(|c| c.chain == ChainId::Tenant(mine.clone())),
        "each tenant has its chain",
    )?;
    let own_chains = store
        .audit_chains(&my_scope)
        .await
        .map_err(db("audit_chains"))?;
    check(
        "audit_chains",
        own_chains.len() == 1 && own_chains[0].chain == ChainId::Tenant(mine.clone()),
        "a tenant sees only its chain",
    )?;

    s.step("audit_records");
    let provider_records = store
        .audit_records(&my_scope, &ChainId::Provider)
        .await
        .map_err(db("audit_records"))?;
    check(
        "audit_records",
        provider_records.is_empty(),
        "a tenant cannot read the provider chain",
    )?;
    let my_records = store
        .audit_records(&my_scope, &ChainId::Tenant(mine.clone()))
        .await
        .map_err(db("audit_records"))?;
    check(
        "audit_records",
        my_records.len() >= 10,
        "every update of the tenant is recorded",
    )?;
    check(
        "audit_records",
        my_records
            .iter()
            .all(|r| r.event.tenant.as_ref() == Some(&mine)),
        "a tenant chain holds only its tenant",
    )?;

    s.step("record_checkpoint");
    let written = checkpoint(store, time::OffsetDateTime::now_utc(), |m| {
        ("test-key".into(), hex_of(m))
    })
    .await
    .map_err(db("record_checkpoint"))?;
    check(
        "record_checkpoint",
        written.len() == chains.len(),
        "every moved chain is signed",
    )?;
    let none = checkpoint(store, time::OffsetDateTime::now_utc(), |m| {
        ("test-key".into(), hex_of(m))
    })
    .await
    .map_err(db("record_checkpoint"))?;
    check(
        "record_checkpoint",
        none.is_empty(),
        "an unmoved chain is not signed again",
    )?;

    s.step("audit_checkpoints");
    let cps = store
        .audit_checkpoints(&all, &ChainId::Tenant(mine.clone()))
        .await
        .map_err(db("audit_checkpoints"))?;
    check(
        "audit_checkpoints",
        cps.len() == 1,
        "the checkpoint reads back",
    )?;
    let foreign_cps = store
        .audit_checkpoints(&my_scope, &ChainId::Tenant(theirs.clone()))
        .await
        .map_err(db("audit_checkpoints"))?;
    check(
        "audit_checkpoints",
        foreign_cps.is_empty(),
        "a foreign chain's checkpoints are invisible",
    )?;

    let report = verify(store, &all, |c: &Checkpoint| {
        c.signature == hex_of(&c.signed_message())
    })
    .await
    .map_err(db("verify"))?;
    check(
        "verify",
        report.is_intact(),
        format!(
            "an untouched store verifies: {:?} {:?}",
            report.breaks, report.mismatches
        ),
    )?;
    let own_report = verify(store, &my_scope, |c: &Checkpoint| {
        c.signature == hex_of(&c.signed_message())
    })
    .await
    .map_err(db("verify"))?;
    check(
        "verify",
        own_report.is_intact() && own_report.chains.len() == 1,
        "a tenant verifies its own chain",
    )?;

    evidence_story(&mut s, store, &actor, &mine, &theirs).await?;
    auth_story(&mut s, store, &actor, &mine, &theirs).await?;
    import_story(&mut s, store, &actor, programme).await?;
    baseline_story(&mut s, store, &actor, &mine, &theirs).await?;
    findings::findings_story(&mut s, store, &actor, &mine, &theirs).await?;
    engagement_story(&mut s, store, &actor, programme, &mine, &theirs).await?;

    let report = verify(store, &all, |c: &Checkpoint| {
        c.signature == hex_of(&c.signed_message())
    })
    .await
    .map_err(db("verify"))?;
    check(
        "verify",
        report.is_intact(),
        format!(
            "every engagement object verifies against its audit record: {:?} {:?}",
            report.breaks, report.mismatches
        ),
    )?;
    trust::trust_story(&mut s, store, &actor, &mine, &theirs).await?;

    Ok(s.covered)
}

/// Evidence: data keys, records and versions, filters, tenant isolation, downloads, tombstones.
async fn evidence_story<S: Store>(
    s: &mut Story,
    store: &S,
    actor: &Actor,
    mine: &assure_domain::TenantId,
    theirs: &assure_domain::TenantId,
) -> Result<(), StoryFailure> {
    use assure_domain::evidence::{
        Digest, EvidenceClaim, EvidenceId, EvidenceKind, EvidenceLink, EvidenceSource,
    };

    use crate::{DataKeyState, EvidenceQuery, NewEvidence};

    let my_scope = TenantScope::Tenant(mine.clone());
    let their_scope = TenantScope::Tenant(theirs.clone());

    s.step("evidence_data_key");
    let key = store
        .evidence_data_key(&my_scope, actor, mine, "aa11")
        .await
        .map_err(db("evidence_data_key"))?;
    let again = store
        .evidence_data_key(&my_scope, actor, mine, "bb22")
        .await
        .map_err(db("evidence_data_key"))?;
    check(
        "evidence_data_key",
        key == DataKeyState::Active("aa11".into()) && again == key,
        "the first candidate becomes the key and stays",
    )?;
    let foreign_key = store
        .evidence_data_key(&my_scope, actor, theirs, "cc33")
        .await;
    check(
        "evidence_data_key",
        matches!(foreign_key, Err(StoreError::NotFound(_))),
        "a foreign tenant's key is not found",
    )?;

    let digest = Digest::from_bytes([7; 32]);
    let claim = EvidenceClaim {
        kind: EvidenceKind::AccessLog,
        title: "Story access log".into(),
        collected_at: time::OffsetDateTime::now_utc() - time::Duration::days(1),
        period: None,
        expires_on: Some(time::macros::date!(2020 - 01 - 01)),
        source: EvidenceSource::Api,
        links: vec![EvidenceLink::Control {
            control: "STORY-CONTROL".into(),
        }],
    };
    let new = |id: &str, tenant: &assure_domain::TenantId, supersedes: Option<&str>| NewEvidence {
        id: EvidenceId::new(id),
        tenant: tenant.clone(),
        claim: claim.clone(),
        digest: digest.clone(),
        size: 42,
        media_type: "text/plain".into(),
        file_name: Some("log.txt".into()),
        uploader: "story@example.test".into(),
        supersedes: supersedes.map(EvidenceId::new),
        flags: vec![],
    };

    s.step("add_evidence");
    let first = store
        .add_evidence(&my_scope, actor, &new("ev-1", mine, None))
        .await
        .map_err(db("add_evidence"))?;
    check(
        "add_evidence",
        first.version == 1 && first.lineage == first.id && first.digest == digest,
        "a first record starts its own line",
    )?;
    let second = store
        .add_evidence(&my_scope, actor, &new("ev-2", mine, Some("ev-1")))
        .await
        .map_err(db("add_evidence"))?;
    check(
        "add_evidence",
        second.version == 2 && second.lineage == first.id,
        "a new version continues the line",
    )?;
    let fork = store
        .add_evidence(&my_scope, actor, &new("ev-3", mine, Some("ev-1")))
        .await;
    check(
        "add_evidence",
        matches!(fork, Err(StoreError::Conflict(_))),
        "a superseded record cannot be superseded again",
    )?;
    let cross = store
        .add_evidence(&their_scope, actor, &new("ev-4", theirs, Some("ev-1")))
        .await;
    check(
        "add_evidence",
        matches!(cross, Err(StoreError::NotFound(_))),
        "another tenant's record cannot be superseded",
    )?;
    let smuggled = store
        .add_evidence(&my_scope, actor, &new("ev-5", theirs, None))
        .await;
    check(
        "add_evidence",
        matches!(smuggled, Err(StoreError::NotFound(_))),
        "a scope cannot write another tenant's evidence",
    )?;
    // The same digest in another tenant is a first upload there.
    let theirs_first = store
        .add_evidence(&their_scope, actor, &new("ev-6", theirs, None))
        .await
        .map_err(db("add_evidence"))?;
    check(
        "add_evidence",
        theirs_first.version == 1,
        "the same bytes in another tenant start afresh",
    )?;

    s.step("list_evidence");
    let current = store
        .list_evidence(&my_scope, &EvidenceQuery::current(mine.clone()))
        .await
        .map_err(db("list_evidence"))?;
    check(
        "list_evidence",
        current.total == 1 && current.items[0].id == second.id,
        "only the newest version is current",
    )?;
    let mut all_versions = EvidenceQuery::current(mine.clone());
    all_versions.current_only = false;
    all_versions.kind = Some(EvidenceKind::AccessLog);
    all_versions.control = Some("STORY-CONTROL".into());
    all_versions.expires_before = Some(time::macros::date!(2021 - 01 - 01));
    let filtered = store
        .list_evidence(&my_scope, &all_versions)
        .await
        .map_err(db("list_evidence"))?;
    check(
        "list_evidence",
        filtered.total == 2,
        "filters by kind, control and expiry",
    )?;
    all_versions.kind = Some(EvidenceKind::Policy);
    let none = store
        .list_evidence(&my_scope, &all_versions)
        .await
        .map_err(db("list_evidence"))?;
    check("list_evidence", none.total == 0, "a kind filter excludes")?;
    let peek = store
        .list_evidence(&their_scope, &EvidenceQuery::current(mine.clone()))
        .await
        .map_err(db("list_evidence"))?;
    check(
        "list_evidence",
        peek.total == 0,
        "a foreign tenant's list is empty",
    )?;

    s.step("get_evidence");
    let got = store
        .get_evidence(&my_scope, mine, &first.id)
        .await
        .map_err(db("get_evidence"))?;
    check(
        "get_evidence",
        got.as_ref() == Some(&first),
        "a record reads back",
    )?;
    let hidden = store
        .get_evidence(&their_scope, mine, &first.id)
        .await
        .map_err(db("get_evidence"))?;
    check(
        "get_evidence",
        hidden.is_none(),
        "a foreign record is invisible",
    )?;

    s.step("evidence_versions");
    let versions = store
        .evidence_versions(&my_scope, mine, &second.id)
        .await
        .map_err(db("evidence_versions"))?;
    check(
        "evidence_versions",
        versions.iter().map(|r| r.version).collect::<Vec<_>>() == vec![1, 2],
        "versions in order",
    )?;

    s.step("record_evidence_download");
    store
        .record_evidence_download(&my_scope, actor, mine, &first.id)
        .await
        .map_err(db("record_evidence_download"))?;
    let records = store
        .audit_records(&my_scope, &ChainId::Tenant(mine.clone()))
        .await
        .map_err(db("audit_records"))?;
    check(
        "record_evidence_download",
        records
            .iter()
            .any(|r| r.event.action == "evidence.download"),
        "a download is audited",
    )?;
    let foreign_download = store
        .record_evidence_download(&their_scope, actor, mine, &first.id)
        .await;
    check(
        "record_evidence_download",
        matches!(foreign_download, Err(StoreError::NotFound(_))),
        "a foreign download is not found",
    )?;

    s.step("evidence_blobs");
    let blobs = store
        .evidence_blobs(&TenantScope::AllTenants)
        .await
        .map_err(db("evidence_blobs"))?;
    check(
        "evidence_blobs",
        blobs.len() == 2 && blobs.iter().all(|b| b.digest == digest && !b.tombstone),
        "one blob per tenant, deduplicated within each",
    )?;

    s.step("destroy_evidence_data_key");
    store
        .destroy_evidence_data_key(&their_scope, actor, theirs)
        .await
        .map_err(db("destroy_evidence_data_key"))?;
    let destroyed = store
        .evidence_data_key(&their_scope, actor, theirs, "dd44")
        .await
        .map_err(db("evidence_data_key"))?;
    check(
        "destroy_evidence_data_key",
        matches!(destroyed, DataKeyState::Destroyed(_)),
        "a destroyed key is never recreated",
    )?;
    let tombstones = store
        .evidence_blobs(&their_scope)
        .await
        .map_err(db("evidence_blobs"))?;
    check(
        "destroy_evidence_data_key",
        tombstones.len() == 1 && tombstones[0].tombstone,
        "the tenant's blobs become tombstones; the records stay",
    )?;
    let kept = store
        .list_evidence(&their_scope, &EvidenceQuery::current(theirs.clone()))
        .await
        .map_err(db("list_evidence"))?;
    check(
        "destroy_evidence_data_key",
        kept.total == 1,
        "records outlive the key",
    )?;
    Ok(())
}

/// Authentication: users and credentials, lock-out, sessions and their second factor, recovery codes,
/// API tokens, the tenant MFA policy, and an audit trail that still verifies afterwards.
async fn auth_story<S: Store>(
    s: &mut Story,
    store: &S,
    actor: &Actor,
    mine: &assure_domain::TenantId,
    theirs: &assure_domain::TenantId,
) -> Result<(), StoryFailure> {
    use assure_domain::user::{Affiliation, Role, User};

    use crate::{FailureOutcome, LockoutPolicy, NewApiToken, NewSession};

    let t0 = time::macros::datetime!(2030-01-01 09:00:00.000 UTC);
    let second = time::Duration::seconds(1);

    s.step("get_user");
    check(
        "get_user",
        store
            .get_user(&"nobody@nowhere.example".into())
            .await
            .map_err(db("get_user"))?
            .is_none(),
        "an unknown user is None",
    )?;

    s.step("create_user");
    let ops = User {
        id: "ops@story.example".into(),
        name: "Olga Ops".into(),
        role: Role::ProviderSecurityLead,
        affiliation: Affiliation::Provider,
        disabled: false,
    };
    store
        .create_user(actor, &ops, Some("hash-1"), true)
        .await
        .map_err(db("create_user"))?;
    check(
        "create_user",
        matches!(
            store.create_user(actor, &ops, None, false).await,
            Err(StoreError::Conflict(_))
        ),
        "a taken ID is a conflict",
    )?;
    let customer = User {
        id: "cleo@story.example".into(),
        name: "Cleo Customer".into(),
        role: Role::CustomerViewer,
        affiliation: Affiliation::Tenant(mine.clone()),
        disabled: false,
    };
    store
        .create_user(actor, &customer, None, false)
        .await
        .map_err(db("create_user"))?;
    let stray = User {
        id: "stray@story.example".into(),
        affiliation: Affiliation::Tenant("no-such-tenant".into()),
        ..customer.clone()
    };
    check(
        "create_user",
        matches!(
            store.create_user(actor, &stray, None, false).await,
            Err(StoreError::NotFound(_))
        ),
        "a user of an unknown tenant is refused",
    )?;
    check(
        "get_user",
        store.get_user(&ops.id).await.map_err(db("get_user"))? == Some(ops.clone()),
        "a created user reads back",
    )?;

    s.step("user_credentials");
    let creds = store
        .user_credentials(&ops.id)
        .await
        .map_err(db("user_credentials"))?;
    check(
        "user_credentials",
        creds.as_ref().is_some_and(|c| {
            c.password_hash.as_deref() == Some("hash-1")
                && c.must_change_password
                && c.totp_secret.is_none()
                && c.failed_logins == 0
        }),
        format!("credentials as created: {creds:?}"),
    )?;

    s.step("record_login_failure");
    let policy = LockoutPolicy {
        max_failures: 3,
        lock_for: time::Duration::minutes(15),
    };
    let mut outcomes = Vec::new();
    for i in 0..3 {
        outcomes.push(
            store
                .record_login_failure(actor, &ops.id, t0 + second * i, &policy)
                .await
                .map_err(db("record_login_failure"))?,
        );
    }
    let until = t0 + second * 2 + time::Duration::minutes(15);
    check(
        "record_login_failure",
        outcomes
            == vec![
                FailureOutcome::Counted(1),
                FailureOutcome::Counted(2),
                FailureOutcome::Locked(until),
            ],
        format!("the third failure locks for 15 minutes: {outcomes:?}"),
    )?;
    let locked = store
        .user_credentials(&ops.id)
        .await
        .map_err(db("user_credentials"))?;
    check(
        "record_login_failure",
        locked
            .as_ref()
            .is_some_and(|c| c.locked_until == Some(until) && c.failed_logins == 0),
        format!("the lock-out is stored: {locked:?}"),
    )?;

    s.step("create_session");
    let session = NewSession {
        id_hash: "session-hash-1".into(),
        user: ops.id.clone(),
        at: t0,
        expires_at: t0 + time::Duration::hours(12),
        mfa_passed: false,
        csrf_token: "csrf-1".into(),
    };
    store
        .create_session(actor, &session)
        .await
        .map_err(db("create_session"))?;
    let cleared = store
        .user_credentials(&ops.id)
        .await
        .map_err(db("user_credentials"))?;
    check(
        "create_session",
        cleared
            .as_ref()
            .is_some_and(|c| c.locked_until.is_none() && c.failed_logins == 0),
        "a login clears the failure count",
    )?;

    s.step("session");
    let live = store
        .session("session-hash-1", t0 + second)
        .await
        .map_err(db("session"))?;
    check(
        "session",
        live.as_ref().is_some_and(|l| {
            l.user.id == ops.id
                && !l.mfa_passed
                && l.csrf_token == "csrf-1"
                && l.must_change_password
                && !l.mfa_enrolled
        }),
        format!("the session reads back: {live:?}"),
    )?;
    check(
        "session",
        store
            .session("session-hash-1", t0 + time::Duration::hours(12))
            .await
            .map_err(db("session"))?
            .is_none(),
        "an expired session is gone",
    )?;
    check(
        "session",
        store
            .session("other-hash", t0)
            .await
            .map_err(db("session"))?
            .is_none(),
        "an unknown session is None",
    )?;

    s.step("touch_session");
    store
        .touch_session("session-hash-1", t0 + second * 30)
        .await
        .map_err(db("touch_session"))?;
    let touched = store
        .session("session-hash-1", t0 + second * 31)
        .await
        .map_err(db("session"))?;
    check(
        "touch_session",
        touched.is_some_and(|t| t.last_seen_at == t0 + second * 30),
        "last seen moves",
    )?;

    s.step("set_totp");
    store
        .set_totp(
            actor,
            &ops.id,
            Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
            &[
                "code-a".to_owned(),
                "code-b".to_owned(),
                "code-c".to_owned(),
            ],
        )
        .await
        .map_err(db("set_totp"))?;
    check(
        "set_totp",
        store
            .user_credentials(&ops.id)
            .await
            .map_err(db("user_credentials"))?
            .is_some_and(|c| c.totp_secret.as_deref() == Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")),
        "the secret is stored",
    )?;

    s.step("pass_mfa");
    let first = store
        .pass_mfa(actor, "session-hash-1", Some(100))
        .await
        .map_err(db("pass_mfa"))?;
    let replay = store
        .pass_mfa(actor, "session-hash-1", Some(100))
        .await
        .map_err(db("pass_mfa"))?;
    let older = store
        .pass_mfa(actor, "session-hash-1", Some(99))
        .await
        .map_err(db("pass_mfa"))?;
    check(
        "pass_mfa",
        first && !replay && !older,
        "a TOTP step is accepted once, and never an earlier one",
    )?;
    check(
        "pass_mfa",
        store
            .session("session-hash-1", t0 + second)
            .await
            .map_err(db("session"))?
            .is_some_and(|l| l.mfa_passed && l.mfa_enrolled),
        "the session has passed its second factor",
    )?;

    s.step("use_recovery_code");
    let spent = store
        .use_recovery_code(actor, &ops.id, "code-a", t0)
        .await
        .map_err(db("use_recovery_code"))?;
    let again = store
        .use_recovery_code(actor, &ops.id, "code-a", t0)
        .await
        .map_err(db("use_recovery_code"))?;
    let foreign = store
        .use_recovery_code(actor, &customer.id, "code-b", t0)
        .await
        .map_err(db("use_recovery_code"))?;
    check(
        "use_recovery_code",
        spent && !again && !foreign,
        "a recovery code works once, and only for its user",
    )?;

    s.step("replace_totp_secret");
    let stale = store
        .replace_totp_secret(actor, &ops.id, "not-the-stored-text", "totp1:other")
        .await
        .map_err(db("replace_totp_secret"))?;
    let replaced = store
        .replace_totp_secret(
            actor,
            &ops.id,
            "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
            "totp1:sealed",
        )
        .await
        .map_err(db("replace_totp_secret"))?;
    check(
        "replace_totp_secret",
        !stale && replaced,
        "only the expected stored text is replaced",
    )?;
    let stored = store
        .user_credentials(&ops.id)
        .await
        .map_err(db("user_credentials"))?
        .and_then(|c| c.totp_secret);
    let replay = store
        .pass_mfa(actor, "session-hash-1", Some(100))
        .await
        .map_err(db("pass_mfa"))?;
    let code_c = store
        .use_recovery_code(actor, &ops.id, "code-c", t0)
        .await
        .map_err(db("use_recovery_code"))?;
    check(
        "replace_totp_secret",
        stored.as_deref() == Some("totp1:sealed") && !replay && code_c,
        "the new text is stored; the last step and the recovery codes are kept",
    )?;

    s.step("set_password");
    store
        .set_password(actor, &ops.id, "hash-2", false)
        .await
        .map_err(db("set_password"))?;
    check(
        "set_password",
        store
            .user_credentials(&ops.id)
            .await
            .map_err(db("user_credentials"))?
            .is_some_and(|c| {
                c.password_hash.as_deref() == Some("hash-2") && !c.must_change_password
            }),
        "the new hash is stored and the change no longer due",
    )?;

    s.step("create_api_token");
    let token = NewApiToken {
        id: "tok-1".into(),
        user: ops.id.clone(),
        name: "ci".into(),
        token_hash: "token-hash-1".into(),
        at: t0,
        expires_at: Some(t0 + time::Duration::days(30)),
    };
    store
        .create_api_token(actor, &token)
        .await
        .map_err(db("create_api_token"))?;
    store
        .create_api_token(
            actor,
            &NewApiToken {
                id: "tok-2".into(),
                token_hash: "token-hash-2".into(),
                expires_at: None,
                ..token.clone()
            },
        )
        .await
        .map_err(db("create_api_token"))?;

    s.step("api_token");
    let found = store
        .api_token("token-hash-1", t0 + second)
        .await
        .map_err(db("api_token"))?;
    check(
        "api_token",
        found
            .as_ref()
            .is_some_and(|(t, u)| t.id == "tok-1" && u.id == ops.id),
        "a token finds its user",
    )?;
    check(
        "api_token",
        store
            .api_token("token-hash-1", t0 + time::Duration::days(30))
            .await
            .map_err(db("api_token"))?
            .is_none(),
        "an expired token is refused",
    )?;

    s.step("list_api_tokens");
    let listed = store
        .list_api_tokens(Some(&ops.id))
        .await
        .map_err(db("list_api_tokens"))?;
    let none_for_customer = store
        .list_api_tokens(Some(&customer.id))
        .await
        .map_err(db("list_api_tokens"))?;
    check(
        "list_api_tokens",
        listed.len() == 2 && none_for_customer.is_empty(),
        "a user's tokens, and no one else's",
    )?;

    s.step("revoke_api_token");
    check(
        "revoke_api_token",
        matches!(
            store
                .revoke_api_token(actor, Some(&customer.id), "tok-1", t0)
                .await,
            Err(StoreError::NotFound(_))
        ),
        "another user's token cannot be revoked by a user",
    )?;
    store
        .revoke_api_token(actor, Some(&ops.id), "tok-1", t0 + second)
        .await
        .map_err(db("revoke_api_token"))?;
    check(
        "revoke_api_token",
        store
            .api_token("token-hash-1", t0 + second * 2)
            .await
            .map_err(db("api_token"))?
            .is_none(),
        "a revoked token is refused",
    )?;

    s.step("end_session");
    store
        .end_session(actor, "session-hash-1")
        .await
        .map_err(db("end_session"))?;
    check(
        "end_session",
        store
            .session("session-hash-1", t0 + second)
            .await
            .map_err(db("session"))?
            .is_none(),
        "a session ended by logout is gone",
    )?;

    s.step("set_user_disabled");
    store
        .create_session(
            actor,
            &NewSession {
                id_hash: "session-hash-2".into(),
                ..session.clone()
            },
        )
        .await
        .map_err(db("create_session"))?;
    store
        .set_user_disabled(actor, &ops.id, true)
        .await
        .map_err(db("set_user_disabled"))?;
    let after_disable = (
        store
            .session("session-hash-2", t0 + second)
            .await
            .map_err(db("session"))?,
        store
            .api_token("token-hash-2", t0 + second)
            .await
            .map_err(db("api_token"))?,
    );
    check(
        "set_user_disabled",
        after_disable.0.is_none() && after_disable.1.is_none(),
        "a disabled user's sessions and tokens stop working",
    )?;
    store
        .set_user_disabled(actor, &ops.id, false)
        .await
        .map_err(db("set_user_disabled"))?;
    check(
        "set_user_disabled",
        store
            .api_token("token-hash-2", t0 + second)
            .await
            .map_err(db("api_token"))?
            .is_some(),
        "re-enabled, the token works again",
    )?;
    check(
        "set_user_disabled",
        matches!(
            store
                .set_user_disabled(actor, &"nobody@nowhere.example".into(), true)
                .await,
            Err(StoreError::NotFound(_))
        ),
        "an unknown user is not found",
    )?;

    store
        .create_session(
            actor,
            &NewSession {
                id_hash: "session-hash-3".into(),
                ..session.clone()
            },
        )
        .await
        .map_err(db("create_session"))?;
    store
        .set_totp(actor, &ops.id, None, &[])
        .await
        .map_err(db("set_totp"))?;
    check(
        "set_totp",
        store
            .session("session-hash-3", t0 + second)
            .await
            .map_err(db("session"))?
            .is_none()
            && store
                .user_credentials(&ops.id)
                .await
                .map_err(db("user_credentials"))?
                .is_some_and(|c| c.totp_secret.is_none())
            && !store
                .use_recovery_code(actor, &ops.id, "code-b", t0)
                .await
                .map_err(db("use_recovery_code"))?,
        "a reset removes the secret, the recovery codes and the sessions",
    )?;

    s.step("tenant_requires_mfa");
    check(
        "tenant_requires_mfa",
        !store
            .tenant_requires_mfa(mine)
            .await
            .map_err(db("tenant_requires_mfa"))?,
        "tenants do not require MFA until told to",
    )?;

    s.step("set_tenant_requires_mfa");
    check(
        "set_tenant_requires_mfa",
        matches!(
            store
                .set_tenant_requires_mfa(&TenantScope::Tenant(mine.clone()), actor, theirs, true)
                .await,
            Err(StoreError::NotFound(_))
        ),
        "a foreign tenant's policy is not found",
    )?;
    store
        .set_tenant_requires_mfa(&TenantScope::Tenant(mine.clone()), actor, mine, true)
        .await
        .map_err(db("set_tenant_requires_mfa"))?;
    check(
        "set_tenant_requires_mfa",
        store
            .tenant_requires_mfa(mine)
            .await
            .map_err(db("tenant_requires_mfa"))?
            && !store
                .tenant_requires_mfa(theirs)
                .await
                .map_err(db("tenant_requires_mfa"))?,
        "the policy is per tenant",
    )?;

    let report = verify(store, &TenantScope::AllTenants, |c: &Checkpoint| {
        c.signature == hex_of(&c.signed_message())
    })
    .await
    .map_err(db("verify"))?;
    check(
        "verify",
        report.is_intact(),
        format!(
            "credential changes keep the trail intact: {:?} {:?}",
            report.breaks, report.mismatches
        ),
    )?;
    Ok(())
}

/// Imports: a new framework, a catalog over an existing framework (same IDs, mappings kept, missing ones
/// reported), all or nothing, mappings with provenance, and the import job state machine.
async fn import_story<S: Store>(
    s: &mut Story,
    store: &S,
    actor: &Actor,
    programme: &Programme,
) -> Result<(), StoryFailure> {
    use assure_domain::framework::{Framework, Requirement, RequirementKind};
    use assure_domain::mapping::{Mapping, MappingProvenance, Relationship};

    use crate::{FrameworkImport, FrameworkSource, ImportJobState, ImportJobUpdate, NewImportJob};

    let no_progress = |_: usize| {};
    let req = |fw: &str, id: &str, title: &str, parent: Option<&str>, kind| Requirement {
        framework: fw.into(),
        id: id.into(),
        title: title.into(),
        text: None,
        parent: parent.map(Into::into),
        kind,
        position: 0,
    };
    let framework = |id: &str| Framework {
        id: id.into(),
        name: format!("{id} imported"),
        version: "1".into(),
        publisher: "Story".into(),
        licence: "CC0".into(),
    };

    s.step("import_framework");
    let new = FrameworkImport {
        framework: framework("story-fw"),
        requirements: vec![
            req("story-fw", "G", "Group", None, RequirementKind::Group),
            req(
                "story-fw",
                "G-1",
                "One",
                Some("G"),
                RequirementKind::Requirement,
            ),
        ],
        source: Some(FrameworkSource {
            framework: "story-fw".into(),
            format: "oscal-catalog".into(),
            file_name: "story.json".into(),
            document: r#"{"catalog":{"uuid":"u"}}"#.into(),
        }),
    };
    let seen = std::sync::Mutex::new(Vec::new());
    let record = |n: usize| {
        if let Ok(mut v) = seen.lock() {
            v.push(n);
        }
    };
    let outcome = store
        .import_framework(actor, &new, &record)
        .await
        .map_err(db("import_framework"))?;
    check(
        "import_framework",
        outcome.created && outcome.requirements_added == 2 && outcome.missing.is_empty(),
        format!("a new framework is created with its requirements: {outcome:?}"),
    )?;
    check(
        "import_framework",
        seen.lock().map(|v| v.last() == Some(&2)).unwrap_or(false),
        "progress reaches the requirement count",
    )?;
    let listed = store
        .list_requirements(&"story-fw".into())
        .await
        .map_err(db("list_requirements"))?;
    check(
        "import_framework",
        listed.len() == 2 && listed[1].parent.as_ref().map(|p| p.as_str()) == Some("G"),
        "the requirements read back in order with their parents",
    )?;

    let nist: assure_domain::FrameworkId = "nist-800-53-r5".into();
    let before = store
        .list_requirements(&nist)
        .await
        .map_err(db("list_requirements"))?;
    let mappings_before = store
        .list_mappings(&MappingFilter {
            framework: Some(nist.clone()),
            ..MappingFilter::default()
        })
        .await
        .map_err(db("list_mappings"))?;
    check(
        "import_framework",
        before.iter().any(|r| r.id.as_str() == "ia-2.1") && !mappings_before.is_empty(),
        "the story's programme has 800-53 with ia-2.1 and mappings to it",
    )?;
    // The catalog keeps ia-2.1 (retitled) and adds ac-2; everything else the demo had is missing from it.
    let over = FrameworkImport {
        framework: framework("nist-800-53-r5"),
        requirements: vec![
            req(
                "nist-800-53-r5",
                "ia",
                "Identification and Authentication",
                None,
                RequirementKind::Group,
            ),
            req(
                "nist-800-53-r5",
                "ia-2.1",
                "Multi-factor Authentication to Privileged Accounts (catalog)",
                Some("ia"),
                RequirementKind::Requirement,
            ),
            req(
                "nist-800-53-r5",
                "ac-2",
                "Account Management",
                Some("ia"),
                RequirementKind::Requirement,
            ),
        ],
        source: None,
    };
    let outcome = store
        .import_framework(actor, &over, &no_progress)
        .await
        .map_err(db("import_framework"))?;
    let expected_missing: Vec<_> = before
        .iter()
        .filter(|r| !matches!(r.id.as_str(), "ia" | "ia-2.1"))
        .map(|r| r.id.clone())
        .collect();
    check(
        "import_framework",
        !outcome.created
            && outcome.requirements_added == 1
            && outcome.missing == expected_missing
            && outcome.mappings == mappings_before.len(),
        format!(
            "importing over a framework keeps its IDs and reports what is missing: {outcome:?}"
        ),
    )?;
    let mappings_after = store
        .list_mappings(&MappingFilter {
            framework: Some(nist.clone()),
            ..MappingFilter::default()
        })
        .await
        .map_err(db("list_mappings"))?;
    check(
        "import_framework",
        mappings_after == mappings_before,
        "no mapping is orphaned or changed by importing over its framework",
    )?;
    let frameworks_before = store
        .list_frameworks()
        .await
        .map_err(db("list_frameworks"))?;
    let broken = FrameworkImport {
        framework: framework("story-broken"),
        requirements: vec![
            req("story-broken", "X", "X", None, RequirementKind::Requirement),
            req(
                "story-broken",
                "X",
                "X again",
                None,
                RequirementKind::Requirement,
            ),
        ],
        source: None,
    };
    let refused = store.import_framework(actor, &broken, &no_progress).await;
    check(
        "import_framework",
        refused.is_err()
            && store
                .list_frameworks()
                .await
                .map_err(db("list_frameworks"))?
                == frameworks_before,
        "a failing import stores nothing, not even its framework",
    )?;

    s.step("list_framework_sources");
    let sources = store
        .list_framework_sources()
        .await
        .map_err(db("list_framework_sources"))?;
    check(
        "list_framework_sources",
        sources.len() == 1
            && sources[0].framework.as_str() == "story-fw"
            && sources[0].document.contains("\"catalog\""),
        "the imported document is kept for export",
    )?;

    s.step("import_mappings");
    let Some(control) = programme.controls.first() else {
        return Err(StoryFailure {
            step: "import_mappings",
            message: "the programme has no control".into(),
        });
    };
    let mapping = Mapping {
        control: control.id.clone(),
        framework: "story-fw".into(),
        requirement: "G-1".into(),
        relationship: Relationship::SubsetOf,
        rationale: "Imported.".into(),
        provenance: Some(MappingProvenance {
            source: "crosswalk.csv".into(),
            format: "csv-crosswalk".into(),
            row: Some(2),
            ..MappingProvenance::default()
        }),
    };
    let outcome = store
        .import_mappings(actor, std::slice::from_ref(&mapping), &no_progress)
        .await
        .map_err(db("import_mappings"))?;
    check(
        "import_mappings",
        outcome.created == 1 && outcome.audit_records == 1,
        format!("a new mapping is created and audited: {outcome:?}"),
    )?;
    let stored = store
        .list_mappings(&MappingFilter {
            framework: Some("story-fw".into()),
            ..MappingFilter::default()
        })
        .await
        .map_err(db("list_mappings"))?;
    check(
        "import_mappings",
        stored == vec![mapping.clone()],
        "the mapping reads back with its provenance",
    )?;
    let again = store
        .import_mappings(actor, std::slice::from_ref(&mapping), &no_progress)
        .await
        .map_err(db("import_mappings"))?;
    check(
        "import_mappings",
        again.unchanged == 1 && again.audit_records == 0,
        "importing the same mapping again changes nothing",
    )?;
    let dangling = Mapping {
        requirement: "G-404".into(),
        ..mapping.clone()
    };
    let updated = Mapping {
        relationship: Relationship::EqualTo,
        ..mapping.clone()
    };
    let refused = store
        .import_mappings(actor, &[updated, dangling], &no_progress)
        .await;
    let after = store
        .list_mappings(&MappingFilter {
            framework: Some("story-fw".into()),
            ..MappingFilter::default()
        })
        .await
        .map_err(db("list_mappings"))?;
    check(
        "import_mappings",
        matches!(refused, Err(StoreError::NotFound(_))) && after == vec![mapping.clone()],
        "a mapping to an unknown requirement refuses the whole import",
    )?;

    s.step("create_import_job");
    let t0 =
        time::OffsetDateTime::from_unix_timestamp(1_780_000_000).map_err(|e| StoryFailure {
            step: "create_import_job",
            message: e.to_string(),
        })?;
    let job = NewImportJob {
        id: "job-1".into(),
        kind: "catalog".into(),
        file_name: "catalog.json".into(),
        total: 3,
        preview_json: "{}".into(),
        payload_json: "{\"payload\":true}".into(),
        created_by: "admin@story.example".into(),
        at: t0,
    };
    store
        .create_import_job(&job)
        .await
        .map_err(db("create_import_job"))?;
    check(
        "create_import_job",
        matches!(
            store.create_import_job(&job).await,
            Err(StoreError::Conflict(_))
        ),
        "a job ID is used once",
    )?;

    s.step("get_import_job");
    let got = store
        .get_import_job("job-1")
        .await
        .map_err(db("get_import_job"))?;
    check(
        "get_import_job",
        got.as_ref().is_some_and(|j| {
            j.state == ImportJobState::Previewed
                && j.total == 3
                && j.done == 0
                && j.created_at == t0
        }),
        format!("a new job is previewed: {got:?}"),
    )?;
    check(
        "get_import_job",
        store
            .get_import_job("job-404")
            .await
            .map_err(db("get_import_job"))?
            .is_none(),
        "an unknown job is none",
    )?;

    s.step("import_job_payload");
    check(
        "import_job_payload",
        store
            .import_job_payload("job-1")
            .await
            .map_err(db("import_job_payload"))?
            .as_deref()
            == Some(job.payload_json.as_str()),
        "the payload is kept until the job ends",
    )?;

    s.step("update_import_job");
    let update = |state, done| ImportJobUpdate {
        state,
        done,
        outcome_json: None,
        error: None,
        at: t0,
    };
    check(
        "update_import_job",
        matches!(
            store
                .update_import_job("job-1", &update(ImportJobState::Running, 0))
                .await,
            Err(StoreError::Conflict(_))
        ),
        "a job runs only once confirmed",
    )?;
    for (state, done) in [
        (ImportJobState::Queued, 0),
        (ImportJobState::Running, 0),
        (ImportJobState::Running, 2),
    ] {
        store
            .update_import_job("job-1", &update(state, done))
            .await
            .map_err(db("update_import_job"))?;
    }
    check(
        "update_import_job",
        matches!(
            store
                .update_import_job("job-1", &update(ImportJobState::Running, 0))
                .await
                .and(
                    store
                        .update_import_job("job-1", &update(ImportJobState::Queued, 0))
                        .await
                ),
            Err(StoreError::Conflict(_))
        ),
        "a second node cannot claim a running job",
    )?;
    store
        .update_import_job(
            "job-1",
            &ImportJobUpdate {
                outcome_json: Some("{\"ok\":true}".into()),
                ..update(ImportJobState::Succeeded, 3)
            },
        )
        .await
        .map_err(db("update_import_job"))?;
    let done = store
        .get_import_job("job-1")
        .await
        .map_err(db("get_import_job"))?;
    check(
        "update_import_job",
        done.as_ref().is_some_and(|j| {
            j.state == ImportJobState::Succeeded
                && j.done == 3
                && j.outcome_json.as_deref() == Some("{\"ok\":true}")
        }) && store
            .import_job_payload("job-1")
            .await
            .map_err(db("import_job_payload"))?
            .is_none(),
        "an ended job keeps its outcome and drops its payload",
    )?;
    check(
        "update_import_job",
        matches!(
            store
                .update_import_job("job-1", &update(ImportJobState::Failed, 3))
                .await,
            Err(StoreError::Conflict(_))
        ) && matches!(
            store
                .update_import_job("job-404", &update(ImportJobState::Queued, 0))
                .await,
            Err(StoreError::NotFound(_))
        ),
        "an ended job stays ended; an unknown job is not found",
    )?;

    s.step("list_import_jobs");
    store
        .create_import_job(&NewImportJob {
            id: "job-2".into(),
            at: t0 + time::Duration::seconds(1),
            ..job.clone()
        })
        .await
        .map_err(db("create_import_job"))?;
    let jobs = store
        .list_import_jobs(10)
        .await
        .map_err(db("list_import_jobs"))?;
    check(
        "list_import_jobs",
        jobs.iter().map(|j| j.id.as_str()).collect::<Vec<_>>() == ["job-2", "job-1"],
        "newest first",
    )?;

    let report = verify(store, &TenantScope::AllTenants, |c: &Checkpoint| {
        c.signature == hex_of(&c.signed_message())
    })
    .await
    .map_err(db("verify"))?;
    check(
        "verify",
        report.is_intact(),
        format!(
            "imports keep the trail and every object intact: {:?} {:?}",
            report.breaks, report.mismatches
        ),
    )?;
    Ok(())
}

/// A stand-in "signature" for the story: the message's hex. Real signing lives in `assure-attest`.
fn hex_of(message: &[u8]) -> String {
    message.iter().map(|b| format!("{b:02x}")).collect()
}

/// The methods of the [`Store`] trait, read from this crate's source, so a new method without a story step
/// is noticed.
pub fn store_methods() -> BTreeSet<String> {
    // `Store` and its supertraits, each in its own file.
    [
        (include_str!("lib.rs"), "pub trait Store"),
        (include_str!("findings.rs"), "pub trait FindingStore"),
        (include_str!("findings.rs"), "pub trait SchedulerStore"),
        (include_str!("trust.rs"), "pub trait TrustStore"),
        (include_str!("engagement.rs"), "pub trait EngagementStore"),
    ]
    .into_iter()
    .flat_map(|(source, name)| trait_methods(source, name))
    .collect()
}

fn trait_methods(source: &str, name: &str) -> BTreeSet<String> {
    let Some(start) = source.find(name) else {
        return BTreeSet::new();
    };
    let body = &source[start..];
    let end = body.find("\n}\n").unwrap_or(body.len());
    body[..end]
        .lines()
        .filter_map(|l| l.trim().strip_prefix("fn "))
        .filter_map(|rest| rest.split(['(', '<']).next())
        .map(str::to_owned)
        .collect()
}

/// The baseline lifecycle: a draft over the live baseline (recording the loaded content as version 1),
/// one change, review comments, every refusal of the governance, publication into the catalogue tables
/// with notices, the baseline in force at a date, and acknowledgements scoped to their tenant.
async fn baseline_story<S: Store>(
    s: &mut Story,
    store: &S,
    actor: &Actor,
    mine: &assure_domain::TenantId,
    theirs: &assure_domain::TenantId,
) -> Result<(), StoryFailure> {
    use assure_domain::baseline::{Change, Transition, TransitionError, Trigger};
    use assure_domain::catalogue::VersionState;
    use assure_domain::responsibility::{Assignment, Responsibility, ResponsibilityEntry};

    use crate::baseline::{add_change, baseline_as_of, live_baseline, publish};
    use crate::{NewBaselineDraft, VersionStep};

    s.step("list_baseline_versions");
    check(
        "list_baseline_versions",
        store
            .list_baseline_versions()
            .await
            .map_err(db("list_baseline_versions"))?
            .is_empty(),
        "no version before the first draft",
    )?;
    let before_drafts = time::OffsetDateTime::now_utc();
    let live = live_baseline(store).await.map_err(db("live_baseline"))?;

    s.step("open_baseline_draft");
    let author = Actor("user:author@story.example".into());
    let draft = NewBaselineDraft {
        trigger: Trigger::PeriodicReview,
        rationale: "annual review".into(),
    };
    let v2 = store
        .open_baseline_draft(&author, &draft, &live)
        .await
        .map_err(db("open_baseline_draft"))?;
    let versions = store
        .list_baseline_versions()
        .await
        .map_err(db("list_baseline_versions"))?;
    check(
        "open_baseline_draft",
        v2.id.as_str() == "v2"
            && v2.state == VersionState::Draft
            && versions.len() == 2
            && versions[0].state == VersionState::Published
            && versions[0].trigger == Trigger::ContentLoad,
        format!("the loaded content is v1, published; the draft v2: {versions:?}"),
    )?;
    let again = store.open_baseline_draft(&author, &draft, &live).await;
    check(
        "open_baseline_draft",
        matches!(&again, Err(StoreError::Conflict(m)) if m.contains("v2 is still draft")),
        format!("one open version at a time: {again:?}"),
    )?;

    s.step("baseline_content");
    let v1 = store
        .baseline_content(&"v1".into())
        .await
        .map_err(db("baseline_content"))?;
    check(
        "baseline_content",
        v1.as_ref() == Some(&live)
            && store
                .baseline_content(&"v9".into())
                .await
                .map_err(db("baseline_content"))?
                .is_none(),
        "v1 holds the live baseline; an unknown version has none",
    )?;

    s.step("add_baseline_change");
    let tenant = store
        .get_tenant(&TenantScope::AllTenants, mine)
        .await
        .map_err(db("get_tenant"))?
        .ok_or_else(|| StoryFailure {
            step: "add_baseline_change",
            message: "the first tenant exists".into(),
        })?;
    let service = tenant.services[0].service.clone();
    let control = live.controls[0].id.clone();
    let entry = ResponsibilityEntry {
        service: service.clone(),
        control: control.clone(),
        assignment: Assignment {
            responsibility: Responsibility::Shared,
            provider_part: Some("the provider patches the host".into()),
            customer_part: Some("the customer patches the guest".into()),
        },
        reason: "story: threat intelligence".into(),
    };
    let record = add_change(
        store,
        &author,
        &v2.id,
        Change::Entry {
            entry: entry.clone(),
        },
        "new exploit in the wild",
    )
    .await
    .map_err(db("add_baseline_change"))?;
    check(
        "add_baseline_change",
        record.seq == 1 && record.author == author.0,
        "the first change is numbered 1 and names its author",
    )?;
    let bad = add_change(
        store,
        &author,
        &v2.id,
        Change::RemoveEntry {
            service: service.clone(),
            control: "NO-SUCH-99".into(),
        },
        "typo",
    )
    .await;
    check(
        "add_baseline_change",
        matches!(bad, Err(StoreError::Change(_))),
        format!("a change naming nothing is refused: {bad:?}"),
    )?;

    s.step("list_baseline_changes");
    let changes = store
        .list_baseline_changes(Some(&v2.id))
        .await
        .map_err(db("list_baseline_changes"))?;
    check(
        "list_baseline_changes",
        changes == vec![record.clone()],
        "the refused change left no record",
    )?;

    s.step("comment_on_baseline");
    let reviewer = Actor("user:reviewer@story.example".into());
    store
        .comment_on_baseline(&reviewer, &v2.id, Some(1), "is the host part right?")
        .await
        .map_err(db("comment_on_baseline"))?;
    let missing = store
        .comment_on_baseline(&reviewer, &v2.id, Some(7), "no such change")
        .await;
    check(
        "comment_on_baseline",
        matches!(missing, Err(StoreError::NotFound(_))),
        "a comment on an unknown change is refused",
    )?;

    s.step("list_baseline_comments");
    let comments = store
        .list_baseline_comments(Some(&v2.id))
        .await
        .map_err(db("list_baseline_comments"))?;
    check(
        "list_baseline_comments",
        comments.len() == 1 && comments[0].change == Some(1),
        "one comment on change 1",
    )?;

    s.step("transition_baseline");
    let ask = |t: Transition, reviewers: &[&str]| VersionStep {
        transition: t,
        reviewers: reviewers.iter().map(|r| (*r).to_owned()).collect(),
        publication: None,
    };
    let early = publish(store, &reviewer, &v2.id, None).await;
    check(
        "transition_baseline",
        matches!(
            early,
            Err(StoreError::Transition(TransitionError::NotApproved(
                VersionState::Draft
            )))
        ),
        format!("no publication without approval: {early:?}"),
    )?;
    store
        .transition_baseline(&author, &v2.id, &ask(Transition::Submit, &[&reviewer.0]))
        .await
        .map_err(db("transition_baseline"))?;
    let own = store
        .transition_baseline(&author, &v2.id, &ask(Transition::Approve, &[]))
        .await;
    check(
        "transition_baseline",
        matches!(
            own,
            Err(StoreError::Transition(
                TransitionError::AuthorCannotApprove(_)
            ))
        ),
        format!("the author cannot approve: {own:?}"),
    )?;
    let late = add_change(
        store,
        &author,
        &v2.id,
        Change::Entry {
            entry: entry.clone(),
        },
        "again",
    )
    .await;
    check(
        "transition_baseline",
        matches!(&late, Err(StoreError::Conflict(m)) if m.contains("only a draft takes changes")),
        format!("a version in review takes no changes: {late:?}"),
    )?;
    let approved = store
        .transition_baseline(&reviewer, &v2.id, &ask(Transition::Approve, &[]))
        .await
        .map_err(db("transition_baseline"))?;
    check(
        "transition_baseline",
        approved.state == VersionState::Approved
            && approved.approved_by.as_deref() == Some(reviewer.0.as_str()),
        "approved by the reviewer",
    )?;
    let past = publish(
        store,
        &author,
        &v2.id,
        Some(time::OffsetDateTime::now_utc() - time::Duration::days(1)),
    )
    .await;
    check(
        "transition_baseline",
        matches!(&past, Err(StoreError::Conflict(m)) if m.contains("never rewritten")),
        format!("no effective date in the past: {past:?}"),
    )?;
    let effective = time::OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let (published, impact) = publish(store, &author, &v2.id, Some(effective))
        .await
        .map_err(db("transition_baseline"))?;
    let entries = store
        .list_responsibility_entries(Some(&service))
        .await
        .map_err(db("list_responsibility_entries"))?;
    check(
        "transition_baseline",
        published.state == VersionState::Published
            && entries.contains(&entry)
            && impact
                .tenants
                .iter()
                .all(|t| t.cells.iter().all(|c| c.control == control)),
        "publication writes the entry into the catalogue; only that control's cells move",
    )?;
    check(
        "transition_baseline",
        live_baseline(store).await.map_err(db("live_baseline"))?
            == store
                .baseline_content(&v2.id)
                .await
                .map_err(db("baseline_content"))?
                .unwrap_or_default(),
        "the catalogue reads back exactly as the published content, in the same order",
    )?;
    let then = baseline_as_of(store, before_drafts)
        .await
        .map_err(db("baseline_as_of"))?
        .map(|(v, _)| v.id.to_string());
    let later = baseline_as_of(store, effective + time::Duration::seconds(1))
        .await
        .map_err(db("baseline_as_of"))?
        .map(|(v, _)| v.id.to_string());
    check(
        "transition_baseline",
        then.as_deref() == Some("v1") && later.as_deref() == Some("v2"),
        format!("in force: {then:?} before, {later:?} after the effective date"),
    )?;

    s.step("list_baseline_notices");
    let all_notices = store
        .list_baseline_notices(&TenantScope::AllTenants, Some(&v2.id))
        .await
        .map_err(db("list_baseline_notices"))?;
    check(
        "list_baseline_notices",
        all_notices.len() == impact.tenants.len()
            && all_notices.iter().all(|n| {
                impact
                    .tenants
                    .iter()
                    .any(|t| t.tenant == n.tenant && t.cells == n.cells)
            }),
        "one notice per affected tenant with its own cells",
    )?;
    let own_notices = store
        .list_baseline_notices(&TenantScope::Tenant(mine.clone()), None)
        .await
        .map_err(db("list_baseline_notices"))?;
    check(
        "list_baseline_notices",
        own_notices.iter().all(|n| &n.tenant == mine),
        "a tenant sees only its own notices",
    )?;

    s.step("acknowledge_notice");
    if let Some(n) = own_notices.first() {
        let foreign = store
            .acknowledge_notice(&TenantScope::Tenant(theirs.clone()), actor, &n.id)
            .await;
        check(
            "acknowledge_notice",
            matches!(foreign, Err(StoreError::NotFound(_))),
            "another tenant's notice is not found",
        )?;
        let done = store
            .acknowledge_notice(&TenantScope::Tenant(mine.clone()), actor, &n.id)
            .await
            .map_err(db("acknowledge_notice"))?;
        let twice = store
            .acknowledge_notice(&TenantScope::Tenant(mine.clone()), actor, &n.id)
            .await;
        check(
            "acknowledge_notice",
            done.acknowledged_by.as_deref() == Some(actor.0.as_str())
                && matches!(twice, Err(StoreError::Conflict(_))),
            "acknowledged once",
        )?;
    } else {
        return Err(StoryFailure {
            step: "acknowledge_notice",
            message: format!("the change of {control} for {service} should reach {mine}"),
        });
    }

    // A change to the catalogue between opening a draft and publishing it (an import) makes the draft
    // unpublishable rather than silently reverted.
    let live = live_baseline(store).await.map_err(db("live_baseline"))?;
    let v3 = store
        .open_baseline_draft(&author, &draft, &live)
        .await
        .map_err(db("open_baseline_draft"))?;
    store
        .transition_baseline(&author, &v3.id, &ask(Transition::Submit, &[&reviewer.0]))
        .await
        .map_err(db("transition_baseline"))?;
    store
        .transition_baseline(&reviewer, &v3.id, &ask(Transition::Approve, &[]))
        .await
        .map_err(db("transition_baseline"))?;
    let mut retyped = live.mappings[0].clone();
    retyped.rationale = format!("{} (imported)", retyped.rationale);
    store
        .import_mappings(actor, &[retyped], &|_| {})
        .await
        .map_err(db("import_mappings"))?;
    let stale = publish(
        store,
        &reviewer,
        &v3.id,
        Some(effective + time::Duration::seconds(1)),
    )
    .await;
    check(
        "transition_baseline",
        matches!(&stale, Err(StoreError::Conflict(m)) if m.contains("changed since v3 was opened")),
        format!("a draft over a catalogue that moved is not published: {stale:?}"),
    )?;
    let withdrawn = store
        .transition_baseline(&author, &v3.id, &ask(Transition::Withdraw, &[]))
        .await
        .map_err(db("transition_baseline"))?;
    let v4 = store
        .open_baseline_draft(
            &author,
            &draft,
            &live_baseline(store).await.map_err(db("live_baseline"))?,
        )
        .await
        .map_err(db("open_baseline_draft"))?;
    check(
        "transition_baseline",
        withdrawn.state == VersionState::Withdrawn && v4.id.as_str() == "v4",
        "a withdrawn version frees the way for a new draft",
    )?;

    let report = verify(store, &TenantScope::AllTenants, |c: &Checkpoint| {
        c.signature == hex_of(&c.signed_message())
    })
    .await
    .map_err(db("verify"))?;
    check(
        "verify",
        report.is_intact(),
        format!(
            "the baseline lifecycle keeps the trail and every object intact: {:?} {:?}",
            report.breaks, report.mismatches
        ),
    )?;
    Ok(())
}

/// Engagements: enrolment through every state with its refusals, an engagement of each tier with who may
/// answer, test and sign (and everyone else refused), a sample, a draft finding, scoping by tenant, the
/// assessor's tenants, and a roll-forward reusing valid evidence and flagging expired evidence.
async fn engagement_story<S: Store>(
    s: &mut Story,
    store: &S,
    actor: &Actor,
    programme: &Programme,
    mine: &assure_domain::TenantId,
    theirs: &assure_domain::TenantId,
) -> Result<(), StoryFailure> {
    use assure_domain::engagement::{
        EngagementError, EngagementPeriod, EngagementState, EngagementStep, Scope, Tier,
    };
    use assure_domain::enrolment::{
        EnrolmentError, EnrolmentState, EnrolmentStep, INTAKE_CONTACTS, Intake,
    };
    use assure_domain::evidence::{
        Digest, EvidenceClaim, EvidenceId, EvidenceKind, EvidenceSource,
    };
    use assure_domain::questionnaire::{Answer, Response};
    use assure_domain::tenant::{Contact, ProcessingRole};
    use assure_domain::testing::{ControlTest, Sample, TestMethod, TestResult, draw_sample};
    use assure_domain::user::{Affiliation, Role, User};
    use time::macros::date;

    use crate::NewEvidence;
    use crate::engagement::{
        NewEngagement, SheetImport, import_sheet, in_scope, inherited_results_of, questionnaire,
        record_provider_test, roll_forward_to,
    };
    use assure_domain::cycle::ProviderTest;
    use assure_domain::testing::TestError;

    let today = date!(2026 - 06 - 01);
    let my_scope = TenantScope::Tenant(mine.clone());
    let their_scope = TenantScope::Tenant(theirs.clone());
    let all = TenantScope::AllTenants;
    let tenant = programme.tenants.first().ok_or_else(|| StoryFailure {
        step: "engagements",
        message: "the story needs a tenant".into(),
    })?;

    s.step("request_enrolment");
    let e = store
        .request_enrolment(&all, actor, mine)
        .await
        .map_err(db("request_enrolment"))?;
    check(
        "request_enrolment",
        e.state == EnrolmentState::Requested,
        "a new enrolment is requested",
    )?;
    check(
        "request_enrolment",
        matches!(
            store.request_enrolment(&all, actor, mine).await,
            Err(StoreError::Conflict(_))
        ) && matches!(
            store.request_enrolment(&their_scope, actor, mine).await,
            Err(StoreError::NotFound(_))
        ),
        "a second request conflicts; a foreign scope finds no tenant",
    )?;

    s.step("transition_enrolment");
    let illegal = store
        .transition_enrolment(&all, actor, mine, EnrolmentStep::Activate, None, today)
        .await;
    check(
        "transition_enrolment",
        matches!(&illegal, Err(StoreError::Enrolment(EnrolmentError::Illegal { allowed, .. })) if allowed == &vec!["start-intake"]),
        format!("an illegal step names the allowed ones: {illegal:?}"),
    )?;
    store
        .transition_enrolment(&all, actor, mine, EnrolmentStep::StartIntake, None, today)
        .await
        .map_err(db("transition_enrolment"))?;
    let early_nda = store
        .transition_enrolment(
            &all,
            actor,
            mine,
            EnrolmentStep::RecordNda,
            Some(date!(2026 - 05 - 01)),
            today,
        )
        .await;
    check(
        "transition_enrolment",
        matches!(
            early_nda,
            Err(StoreError::Enrolment(EnrolmentError::Ineligible(_)))
        ),
        "the NDA waits for a complete intake",
    )?;

    s.step("update_intake");
    let intake = Intake {
        contract_ref: Some("MC-1".into()),
        contract_ends: None,
        processing_role: Some(ProcessingRole::Controller),
        regions: tenant.regions.clone(),
        contacts: INTAKE_CONTACTS
            .into_iter()
            .map(|role| Contact {
                role,
                name: "Story".into(),
                email: format!("{}@story.example", role.as_str()),
            })
            .collect(),
    };
    store
        .update_intake(&my_scope, actor, mine, &intake)
        .await
        .map_err(db("update_intake"))?;
    store
        .transition_enrolment(
            &all,
            actor,
            mine,
            EnrolmentStep::RecordNda,
            Some(date!(2026 - 05 - 01)),
            today,
        )
        .await
        .map_err(db("transition_enrolment"))?;
    let active = store
        .transition_enrolment(&all, actor, mine, EnrolmentStep::Activate, None, today)
        .await
        .map_err(db("transition_enrolment"))?;
    check(
        "transition_enrolment",
        active.state == EnrolmentState::Active && active.nda_signed == Some(date!(2026 - 05 - 01)),
        "the enrolment is active with its NDA",
    )?;
    check(
        "update_intake",
        matches!(
            store.update_intake(&my_scope, actor, mine, &intake).await,
            Err(StoreError::Enrolment(EnrolmentError::IntakeClosed))
        ),
        "an active enrolment's intake is closed",
    )?;

    s.step("list_enrolments");
    check(
        "list_enrolments",
        store
            .list_enrolments(&all)
            .await
            .map_err(db("list_enrolments"))?
            .len()
            == 1
            && store
                .list_enrolments(&their_scope)
                .await
                .map_err(db("list_enrolments"))?
                .is_empty(),
        "one enrolment, invisible to another tenant",
    )?;
    s.step("get_enrolment");
    check(
        "get_enrolment",
        store
            .get_enrolment(&my_scope, mine)
            .await
            .map_err(db("get_enrolment"))?
            == Some(active.clone())
            && store
                .get_enrolment(&their_scope, mine)
                .await
                .map_err(db("get_enrolment"))?
                .is_none(),
        "the enrolment reads back in scope only",
    )?;

    s.step("create_engagement");
    let year = Scope {
        services: vec![],
        regions: vec![],
        frameworks: vec![],
        period: EngagementPeriod::Period {
            start: date!(2026 - 01 - 01),
            end: date!(2026 - 12 - 31),
        },
    };
    let new = |id: &str, tier: Tier| NewEngagement {
        id: id.into(),
        tenant: mine.clone(),
        tier,
        scope: year.clone(),
    };
    let third = store
        .create_engagement(
            &all,
            actor,
            &new("story-tpa", Tier::ThirdPartyAssessment),
            today,
        )
        .await
        .map_err(db("create_engagement"))?;
    let selfa = store
        .create_engagement(
            &all,
            actor,
            &new("story-self", Tier::SelfAttestation),
            today,
        )
        .await
        .map_err(db("create_engagement"))?;
    let managed = store
        .create_engagement(
            &all,
            actor,
            &new("story-managed", Tier::ManagedAssurance),
            today,
        )
        .await
        .map_err(db("create_engagement"))?;
    check(
        "create_engagement",
        third.state == EngagementState::Scoping,
        "a new engagement is scoping",
    )?;
    let refused = store
        .create_engagement(
            &all,
            actor,
            &NewEngagement {
                tenant: theirs.clone(),
                ..new("story-theirs", Tier::SelfAttestation)
            },
            today,
        )
        .await;
    check(
        "create_engagement",
        matches!(refused, Err(StoreError::Conflict(_))),
        "a tenant that did not enrol gets no engagement",
    )?;
    check(
        "create_engagement",
        matches!(
            store
                .create_engagement(&all, actor, &new("story-tpa", Tier::SelfAttestation), today)
                .await,
            Err(StoreError::Conflict(_))
        ),
        "a taken engagement ID conflicts",
    )?;

    s.step("scope_engagement");
    let mut narrowed = year.clone();
    narrowed.regions = tenant.regions.clone();
    let scoped = store
        .scope_engagement(&all, actor, &third.id, &narrowed)
        .await
        .map_err(db("scope_engagement"))?;
    check(
        "scope_engagement",
        scoped.scope == narrowed,
        "the scope is replaced while scoping",
    )?;
    let mut foreign_region = year.clone();
    foreign_region.regions = vec!["no-such-region".into()];
    check(
        "scope_engagement",
        matches!(
            store
                .scope_engagement(&all, actor, &third.id, &foreign_region)
                .await,
            Err(StoreError::Engagement(EngagementError::InvalidScope(_)))
        ),
        "a region the tenant does not use is refused",
    )?;

    s.step("list_engagements");
    check(
        "list_engagements",
        store
            .list_engagements(&my_scope, None)
            .await
            .map_err(db("list_engagements"))?
            .len()
            == 3
            && store
                .list_engagements(&their_scope, None)
                .await
                .map_err(db("list_engagements"))?
                .is_empty(),
        "three engagements of mine, none visible to another tenant",
    )?;
    s.step("get_engagement");
    check(
        "get_engagement",
        store
            .get_engagement(&their_scope, &third.id)
            .await
            .map_err(db("get_engagement"))?
            .is_none(),
        "a foreign engagement is not found",
    )?;

    // The cast: the tenant's compliance officer, the assessor firm's assessor, a provider security lead.
    let firm = programme
        .assessor_firms
        .first()
        .ok_or_else(|| StoryFailure {
            step: "engagements",
            message: "the story needs an assessor firm".into(),
        })?;
    let user_with = |role: Role| {
        programme
            .users
            .iter()
            .find(|u| {
                u.role == role
                    && (role != Role::CustomerComplianceOfficer || u.tenant() == Some(mine))
            })
            .cloned()
    };
    let (Some(officer), Some(assessor)) = (
        user_with(Role::CustomerComplianceOfficer),
        user_with(Role::Assessor),
    ) else {
        return Err(StoryFailure {
            step: "engagements",
            message: "the story needs a compliance officer of the first tenant and an assessor"
                .into(),
        });
    };
    let lead = store
        .get_user(&"ops@story.example".into())
        .await
        .map_err(db("get_user"))?
        .ok_or_else(|| StoryFailure {
            step: "engagements",
            message: "the auth story's security lead is gone".into(),
        })?;
    let viewer = User {
        id: "viewer@story.example".into(),
        name: "V".into(),
        role: Role::CustomerViewer,
        affiliation: Affiliation::Tenant(mine.clone()),
        disabled: false,
    };

    s.step("assign_assessors");
    check(
        "assign_assessors",
        matches!(
            store
                .transition_engagement(&all, &lead, &third.id, EngagementStep::StartFieldwork)
                .await,
            Err(StoreError::Engagement(EngagementError::NoAssessors))
        ),
        "fieldwork of a third-party assessment waits for assessors",
    )?;
    check(
        "assign_assessors",
        matches!(
            store
                .assign_assessors(
                    &all,
                    actor,
                    &managed.id,
                    &firm.id,
                    std::slice::from_ref(&assessor.id)
                )
                .await,
            Err(StoreError::Engagement(
                EngagementError::AssessorsNotExpected
            ))
        ) && matches!(
            store
                .assign_assessors(
                    &all,
                    actor,
                    &third.id,
                    &firm.id,
                    std::slice::from_ref(&officer.id)
                )
                .await,
            Err(StoreError::Engagement(
                EngagementError::ForeignAssessor { .. }
            ))
        ),
        "assessors only on third-party assessments, and only the firm's",
    )?;
    let assigned = store
        .assign_assessors(
            &all,
            actor,
            &third.id,
            &firm.id,
            std::slice::from_ref(&assessor.id),
        )
        .await
        .map_err(db("assign_assessors"))?;
    check(
        "assign_assessors",
        assigned.assessors == vec![assessor.id.clone()],
        "the assessor is named",
    )?;

    s.step("assessor_tenants");
    check(
        "assessor_tenants",
        store
            .assessor_tenants(&assessor.id)
            .await
            .map_err(db("assessor_tenants"))?
            == [mine.clone()].into()
            && store
                .assessor_tenants(&officer.id)
                .await
                .map_err(db("assessor_tenants"))?
                .is_empty(),
        "the assessor's scope is the tenant of its engagement",
    )?;

    s.step("transition_engagement");
    for e in [&third, &selfa, &managed] {
        store
            .transition_engagement(&all, &lead, &e.id, EngagementStep::StartFieldwork)
            .await
            .map_err(db("transition_engagement"))?;
    }

    s.step("save_answers");
    let (_, questions, _) = questionnaire(store, &my_scope, &third.id)
        .await
        .map_err(db("save_answers"))?;
    let Some(first) = questions.first() else {
        return Err(StoryFailure {
            step: "save_answers",
            message: "the engagement has no question".into(),
        });
    };
    let claim = EvidenceClaim {
        kind: EvidenceKind::Policy,
        title: "Story policy".into(),
        collected_at: time::OffsetDateTime::now_utc() - time::Duration::days(1),
        period: None,
        expires_on: None,
        source: EvidenceSource::Api,
        links: vec![],
    };
    store
        .add_evidence(
            &my_scope,
            actor,
            &NewEvidence {
                id: EvidenceId::new("ev-policy"),
                tenant: mine.clone(),
                claim,
                digest: Digest::from_bytes([9; 32]),
                size: 1,
                media_type: "text/plain".into(),
                file_name: None,
                uploader: officer.id.clone(),
                supersedes: None,
                flags: vec![],
            },
        )
        .await
        .map_err(db("add_evidence"))?;
    let response = Response {
        control: first.control.clone(),
        answer: Answer::Partial,
        explanation: "rolled out to half the accounts".into(),
        evidence: vec![EvidenceId::new("ev-policy"), EvidenceId::new("ev-1")],
    };
    for (who, user) in [
        ("assessor", &assessor),
        ("lead", &lead),
        ("viewer", &viewer),
    ] {
        check(
            "save_answers",
            matches!(
                store
                    .save_answers(
                        &all,
                        user,
                        &third.id,
                        &questions,
                        std::slice::from_ref(&response)
                    )
                    .await,
                Err(StoreError::Engagement(EngagementError::Refused(_)))
            ),
            format!("the {who} may not answer"),
        )?;
    }
    let mut unknown = response.clone();
    unknown.evidence = vec![EvidenceId::new("ev-4")];
    check(
        "save_answers",
        matches!(
            store
                .save_answers(
                    &all,
                    &officer,
                    &third.id,
                    &questions,
                    &[response.clone(), unknown]
                )
                .await,
            Err(StoreError::Engagement(EngagementError::UnknownEvidence(_)))
        ),
        "another tenant's evidence is refused, and nothing is saved",
    )?;
    s.step("list_answers");
    check(
        "list_answers",
        store
            .list_answers(&all, &third.id)
            .await
            .map_err(db("list_answers"))?
            .is_empty(),
        "a refused batch saved nothing",
    )?;
    let saved = store
        .save_answers(
            &my_scope,
            &officer,
            &third.id,
            &questions,
            std::slice::from_ref(&response),
        )
        .await
        .map_err(db("save_answers"))?;
    let answers = store
        .list_answers(&my_scope, &third.id)
        .await
        .map_err(db("list_answers"))?;
    check(
        "list_answers",
        saved == 1
            && answers.len() == 1
            && answers[0].response == response
            && answers[0].answered_by == officer.id
            && store
                .list_answers(&their_scope, &third.id)
                .await
                .map_err(db("list_answers"))?
                .is_empty(),
        "the answer reads back with who gave it, in scope only",
    )?;
    let bad_sheet = assure_domain::questionnaire::Sheet {
        header: vec!["control".into(), "answer".into()],
        rows: vec![vec!["NOPE-1".into(), "maybe".into()]],
    };
    let rejected = import_sheet(store, &my_scope, &officer, &third.id, &bad_sheet)
        .await
        .map_err(db("save_answers"))?;
    check(
        "save_answers",
        matches!(&rejected, SheetImport::Rejected(errors) if errors.len() == 4),
        format!("a bad sheet returns every row error: {rejected:?}"),
    )?;

    s.step("record_test");
    let (_, controls) = in_scope(store, &my_scope, &third.id)
        .await
        .map_err(db("record_test"))?;
    let seed = "story-seed";
    let items = draw_sample(120, 10, seed).map_err(|e| StoryFailure {
        step: "record_test",
        message: e.to_string(),
    })?;
    let test = ControlTest {
        engagement: third.id.clone(),
        control: first.control.clone(),
        method: TestMethod::Reperformance,
        sample: Some(Sample {
            population_description: "privileged logins".into(),
            population: 120,
            size: 10,
            seed: seed.into(),
            items: items.clone(),
            deviations: vec![items[0], items[1], items[2]],
        }),
        result: TestResult::Ineffective,
        notes: "three logins without a second factor".into(),
        evidence: vec![EvidenceId::new("ev-policy")],
        tester: "ignored@story.example".into(),
        recorded_at: time::OffsetDateTime::UNIX_EPOCH,
    };
    for (who, user) in [("officer", &officer), ("lead", &lead), ("viewer", &viewer)] {
        check(
            "record_test",
            matches!(
                store.record_test(&all, user, &test, &controls).await,
                Err(StoreError::Engagement(EngagementError::Refused(_)))
            ),
            format!("the {who} may not test a third-party assessment"),
        )?;
    }
    let draft = store
        .record_test(&all, &assessor, &test, &controls)
        .await
        .map_err(db("record_test"))?;
    check(
        "record_test",
        draft
            .as_ref()
            .is_some_and(|d| d.control == first.control && d.engagement == third.id),
        "an ineffective result drafts a finding",
    )?;
    let mut self_test = test.clone();
    self_test.engagement = selfa.id.clone();
    check(
        "record_test",
        matches!(
            store
                .record_test(&all, &officer, &self_test, &controls)
                .await,
            Err(StoreError::Engagement(EngagementError::Refused(_)))
        ),
        "nobody tests a self-attestation",
    )?;
    let mut managed_test = test.clone();
    managed_test.engagement = managed.id.clone();
    managed_test.result = TestResult::Effective;
    if let Some(sample) = managed_test.sample.as_mut() {
        sample.deviations.clear();
    }
    check(
        "record_test",
        matches!(
            store
                .record_test(&all, &assessor, &managed_test, &controls)
                .await,
            Err(StoreError::Engagement(EngagementError::Refused(_)))
        ),
        "an assessor does not test managed assurance",
    )?;
    check(
        "record_test",
        store
            .record_test(&all, &lead, &managed_test, &controls)
            .await
            .map_err(db("record_test"))?
            .is_none(),
        "the security lead reviews managed assurance",
    )?;

    s.step("list_tests");
    let tests = store
        .list_tests(&my_scope, &third.id)
        .await
        .map_err(db("list_tests"))?;
    check(
        "list_tests",
        tests.len() == 1
            && tests[0].test.tester == assessor.id
            && tests[0].test.sample.as_ref().map(|s| &s.items) == Some(&items)
            && store
                .list_tests(&their_scope, &third.id)
                .await
                .map_err(db("list_tests"))?
                .is_empty(),
        "the result reads back with its sample and tester, in scope only",
    )?;

    // Provider-side tests of inherited controls: done once per period, reused by the engagements that
    // inherit the control, seen by customers without the provider's notes.
    s.step("save_provider_test");
    let (_, managed_controls) = in_scope(store, &my_scope, &managed.id)
        .await
        .map_err(db("save_provider_test"))?;
    let inherited = managed_controls
        .iter()
        .find(|c| c.inherited())
        .ok_or_else(|| StoryFailure {
            step: "save_provider_test",
            message: "the story's engagement needs an inherited control in scope".into(),
        })?;
    let provider_items = draw_sample(250, 25, "story-provider").map_err(|e| StoryFailure {
        step: "save_provider_test",
        message: e.to_string(),
    })?;
    let provider_test = ProviderTest {
        period: year.period,
        test: ControlTest {
            engagement: "ignored".into(),
            control: inherited.control.clone(),
            method: TestMethod::Inspection,
            sample: Some(Sample {
                population_description: "badge-access days".into(),
                population: 250,
                size: 25,
                seed: "story-provider".into(),
                items: provider_items.clone(),
                deviations: vec![],
            }),
            result: TestResult::Effective,
            notes: "provider-internal: site 3 badge logs".into(),
            evidence: vec![],
            tester: lead.id.clone(),
            recorded_at: time::OffsetDateTime::UNIX_EPOCH,
        },
    };
    let (stored, raised) = record_provider_test(
        store,
        actor,
        &provider_test,
        &assure_domain::finding::FindingId::new("F-story-prov"),
    )
    .await
    .map_err(db("save_provider_test"))?;
    check(
        "save_provider_test",
        stored.test.engagement.as_str() == "provider-2026-01-01-2026-12-31" && raised.is_none(),
        "an effective provider test is filed under its period's assessment and raises nothing",
    )?;
    let mut uninherited = provider_test.clone();
    uninherited.test.control = "NO-SUCH-1".into();
    check(
        "save_provider_test",
        matches!(
            record_provider_test(
                store,
                actor,
                &uninherited,
                &assure_domain::finding::FindingId::new("F-story-prov")
            )
            .await,
            Err(StoreError::Test(TestError::NotInherited(_)))
        ),
        "a control no customer inherits takes no provider test",
    )?;
    let mut retest = provider_test.clone();
    retest.test.result = TestResult::Ineffective;
    if let Some(sample) = retest.test.sample.as_mut() {
        sample.deviations = provider_items[..6].to_vec();
    }
    let (_, raised) = record_provider_test(
        store,
        actor,
        &retest,
        &assure_domain::finding::FindingId::new("F-story-prov"),
    )
    .await
    .map_err(db("save_provider_test"))?;
    check(
        "save_provider_test",
        raised.as_ref().is_some_and(|o| {
            o.created
                && o.finding.owner == assure_domain::finding::FindingOwner::Provider
                && o.finding.control.as_ref() == Some(&inherited.control)
        }),
        "an ineffective provider test raises the provider's finding on the control",
    )?;

    s.step("list_provider_tests");
    let listed = store
        .list_provider_tests(Some(&inherited.control))
        .await
        .map_err(db("list_provider_tests"))?;
    check(
        "list_provider_tests",
        listed.len() == 1
            && listed[0].test.result == TestResult::Ineffective
            && store
                .list_provider_tests(Some(&"NO-SUCH-1".into()))
                .await
                .map_err(db("list_provider_tests"))?
                .is_empty(),
        format!("a retest of the same control and period replaces the first: {listed:?}"),
    )?;
    let seen = inherited_results_of(store, &my_scope, &managed.id)
        .await
        .map_err(db("list_provider_tests"))?;
    let seen_text = serde_json::to_string(&seen).unwrap_or_default();
    check(
        "list_provider_tests",
        seen.iter()
            .any(|r| r.control == inherited.control && r.result == TestResult::Ineffective)
            && !seen_text.contains("provider-internal")
            && matches!(
                inherited_results_of(store, &their_scope, &managed.id).await,
                Err(StoreError::NotFound(_))
            ),
        format!(
            "the engagement reuses the provider test, redacted, for its tenant only: {seen_text}"
        ),
    )?;

    // Signing: per tier, only who the tier names.
    for e in [&third, &selfa, &managed] {
        store
            .transition_engagement(&all, &lead, &e.id, EngagementStep::StartReporting)
            .await
            .map_err(db("transition_engagement"))?;
    }
    for (engagement, signer, others) in [
        (&third, &assessor, [&officer, &lead, &viewer]),
        (&selfa, &officer, [&assessor, &lead, &viewer]),
        (&managed, &lead, [&officer, &assessor, &viewer]),
    ] {
        for other in others {
            check(
                "transition_engagement",
                matches!(
                    store
                        .transition_engagement(&all, other, &engagement.id, EngagementStep::Sign)
                        .await,
                    Err(StoreError::Engagement(EngagementError::Refused(_)))
                ),
                format!("{} may not sign {}", other.id, engagement.id),
            )?;
        }
        let signed = store
            .transition_engagement(&all, signer, &engagement.id, EngagementStep::Sign)
            .await
            .map_err(db("transition_engagement"))?;
        check(
            "transition_engagement",
            signed.state == EngagementState::Signed
                && signed.signed_by.as_ref() == Some(&signer.id),
            format!("{} signs {}", signer.id, engagement.id),
        )?;
    }
    check(
        "save_answers",
        matches!(
            store
                .save_answers(
                    &all,
                    &officer,
                    &third.id,
                    &questions,
                    std::slice::from_ref(&response)
                )
                .await,
            Err(StoreError::Engagement(EngagementError::Closed { .. }))
        ),
        "a signed engagement takes no answers",
    )?;
    check(
        "assessor_tenants",
        store
            .assessor_tenants(&assessor.id)
            .await
            .map_err(db("assessor_tenants"))?
            .is_empty(),
        "a signed engagement no longer opens the tenant to its assessor",
    )?;

    s.step("roll_forward_engagement");
    let next = roll_forward_to(store, &my_scope, actor, &third.id, &"story-tpa-2027".into())
        .await
        .map_err(db("roll_forward_engagement"))?;
    let carried = next
        .carried_over
        .clone()
        .unwrap_or_else(|| assure_domain::cycle::RollForward {
            period: next.scope.period,
            evidence: vec![],
            retest: vec![],
        });
    let reused: Vec<&str> = carried.reused().map(EvidenceId::as_str).collect();
    let flagged: Vec<&str> = carried.flagged().map(|c| c.evidence.as_str()).collect();
    check(
        "roll_forward_engagement",
        next.state == EngagementState::Scoping
            && next.previous.as_ref() == Some(&third.id)
            && next.scope.period
                == (EngagementPeriod::Period {
                    start: date!(2027 - 01 - 01),
                    end: date!(2027 - 12 - 31),
                })
            && next.assessors == vec![assessor.id.clone()]
            && reused == ["ev-policy"]
            && flagged == ["ev-1"],
        format!("the next period reuses valid evidence and flags expired: {next:?}"),
    )?;
    let copied = store
        .list_answers(&my_scope, &next.id)
        .await
        .map_err(db("list_answers"))?;
    check(
        "roll_forward_engagement",
        copied.len() == 1 && copied[0].response.evidence == vec![EvidenceId::new("ev-policy")],
        "answers carry over with the reused evidence only",
    )?;
    check(
        "roll_forward_engagement",
        matches!(
            roll_forward_to(store, &my_scope, actor, &next.id, &"story-x".into()).await,
            Err(StoreError::Engagement(EngagementError::Closed { .. }))
        ),
        "only a signed engagement rolls forward",
    )?;
    Ok(())
}
