//! The programme's catalogue read back from a store as one [`Programme`] value, for the pure computations
//! of the domain (responsibility matrices, framework views) that need all of it at once.
//!
//! Composed of [`Store`] methods only, so it is not a trait method and needs no step of its own in the
//! conformance story: every method it calls has one.

use assure_domain::programme::Programme;

use crate::{ControlQuery, MappingFilter, Result, Store, TenantScope};

/// Everything but users, assessor firms and the provider's details; tenants as the scope admits them.
pub async fn programme_snapshot<S: Store>(store: &S, scope: &TenantScope) -> Result<Programme> {
    let frameworks = store.list_frameworks().await?;
    let requirements = store.list_all_requirements().await?;
    Ok(Programme {
        regions: store.list_regions().await?,
        domains: store.list_domains().await?,
        controls: store.list_controls(&ControlQuery::default()).await?.items,
        defaults: store.list_model_defaults().await?,
        frameworks,
        requirements,
        mappings: store.list_mappings(&MappingFilter::default()).await?,
        services: store.list_services().await?,
        entries: store.list_responsibility_entries(None).await?,
        option_rules: store.list_option_rules(None).await?,
        tenants: store.list_tenants(scope).await?,
        ..Programme::default()
    })
}
