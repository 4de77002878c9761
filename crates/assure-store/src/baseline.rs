//! The baseline lifecycle composed of [`Store`] methods: the live baseline, the one in force at a date,
//! a version's impact, and publication with its notices. Like `snapshot`, it is not a trait method, so
//! the conformance story covers it through the methods it calls.

use assure_domain::BaselineVersionId;
use assure_domain::baseline::{Baseline, Change, Impact, Transition, impact};
use assure_domain::catalogue::{BaselineVersion, VersionState};
use assure_domain::programme::Programme;
use time::OffsetDateTime;

use crate::snapshot::programme_snapshot;
use crate::{Actor, NewChange, Publication, Result, Store, StoreError, TenantScope, VersionStep};

/// The baseline the catalogue tables hold now (the published one in force, or the content loaded).
pub async fn live_baseline<S: Store>(store: &S) -> Result<Baseline> {
    Ok(Baseline::of(
        &programme_snapshot(store, &TenantScope::Tenants(Default::default())).await?,
    ))
}

/// The baseline in force at `at`: the published version with the latest effective instant at or before
/// it; before the first version's, that first version (the content as loaded). `None` while no version
/// was ever recorded, when the catalogue tables are the only baseline there has been.
pub async fn baseline_as_of<S: Store>(
    store: &S,
    at: OffsetDateTime,
) -> Result<Option<(BaselineVersion, Baseline)>> {
    let versions = store.list_baseline_versions().await?;
    let chosen = assure_domain::baseline::in_force_at(&versions, at, |v| {
        (v.state == VersionState::Published)
            .then_some(v.effective_at)
            .flatten()
    })
    .or_else(|| versions.iter().find(|v| v.state == VersionState::Published));
    let Some(version) = chosen else {
        return Ok(None);
    };
    let content = store
        .baseline_content(&version.id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("baseline version {}", version.id)))?;
    Ok(Some((version.clone(), content)))
}

/// The programme (tenants as the scope admits them, as they are now) with the baseline in force at `at`.
pub async fn programme_as_of<S: Store>(
    store: &S,
    scope: &TenantScope,
    at: OffsetDateTime,
) -> Result<Programme> {
    let programme = programme_snapshot(store, scope).await?;
    Ok(match baseline_as_of(store, at).await? {
        Some((_, baseline)) => baseline.installed_in(&programme),
        None => programme,
    })
}

/// A version's content; `NotFound` for an unknown version.
pub async fn content_of<S: Store>(store: &S, id: &BaselineVersionId) -> Result<Baseline> {
    store
        .baseline_content(id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("baseline version {id}")))
}

/// What publishing version `id` would change now: every tenant's cells and every framework's coverage,
/// computed over the live baseline and every tenant as it is now.
pub async fn impact_of<S: Store>(store: &S, id: &BaselineVersionId) -> Result<Impact> {
    let programme = programme_snapshot(store, &TenantScope::AllTenants).await?;
    let next = content_of(store, id).await?;
    let engagements = crate::engagement::stored_engagements(store, &programme).await?;
    impact(&programme, &Baseline::of(&programme), &next, &engagements)
        .map_err(|e| StoreError::Conflict(e.to_string()))
}

/// Puts one change into a draft, checked against the programme's frameworks and tenants as they are now.
pub async fn add_change<S: Store>(
    store: &S,
    actor: &Actor,
    id: &BaselineVersionId,
    change: Change,
    rationale: &str,
) -> Result<assure_domain::baseline::ChangeRecord> {
    let context = programme_snapshot(store, &TenantScope::AllTenants).await?;
    store
        .add_baseline_change(
            actor,
            id,
            &NewChange {
                change,
                rationale: rationale.to_owned(),
            },
            &context,
        )
        .await
}

/// Publishes an approved version from `effective_at` (`None`: from the publication itself), with a notice to each tenant whose matrix it
/// changes (its own cells). Returns the version and the impact the notices were made from.
pub async fn publish<S: Store>(
    store: &S,
    actor: &Actor,
    id: &BaselineVersionId,
    effective_at: Option<OffsetDateTime>,
) -> Result<(BaselineVersion, Impact)> {
    let programme = programme_snapshot(store, &TenantScope::AllTenants).await?;
    let live = Baseline::of(&programme);
    let next = content_of(store, id).await?;
    let engagements = crate::engagement::stored_engagements(store, &programme).await?;
    let impact = impact(&programme, &live, &next, &engagements)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    let step = VersionStep {
        transition: Transition::Publish,
        reviewers: Vec::new(),
        publication: Some(Publication {
            effective_at,
            live,
            notices: impact
                .tenants
                .iter()
                .map(|t| (t.tenant.clone(), t.cells.clone()))
                .collect(),
        }),
    };
    let version = store.transition_baseline(actor, id, &step).await?;
    Ok((version, impact))
}
