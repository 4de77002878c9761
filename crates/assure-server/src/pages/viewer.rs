//! Who is looking at a page: the [`Viewer`] every page handler takes.
//!
//! The viewer is decided *before* the page handlers run, by a layer that inserts a [`Viewer`] request
//! extension; handlers never decide who the caller is. Authentication (another branch) will insert the
//! viewer from the session's `Principal`; until it lands, [`open_access`] inserts the same provider-wide
//! stance the JSON API has today (see `api.rs`), in this one place, so the merge replaces one function.
//!
//! Architecture invariant: a page handler filters what it reads by `viewer.scope` (passed to every tenant
//! store call) and shows only what `permits(viewer.role, action)` allows; a tenant outside the scope is
//! answered exactly as a tenant that does not exist (404).

use assure_domain::TenantId;
use assure_domain::access::{Action, permits};
use assure_domain::user::Role;
use assure_store::TenantScope;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;

use super::PageError;

/// The person a page is rendered for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    /// Display name, also recorded as the uploader of evidence they add.
    pub name: String,
    pub role: Role,
    /// The tenant a customer role belongs to; `None` for provider, oversight and assessor roles.
    pub tenant: Option<TenantId>,
    /// The rows this viewer may read, passed to every tenant-owned store call.
    pub scope: TenantScope,
    /// Put in every state-changing form as the hidden input `csrf_token`; checked by the session layer.
    pub csrf_token: String,
}

impl Viewer {
    /// Whether the role may perform `action` at all (the scope narrows it to rows separately).
    pub fn may(&self, action: Action) -> bool {
        permits(self.role, action)
    }

    /// Refuses a page the role may not use. Answers 404, not 403, so a page's existence is not revealed
    /// to a role that cannot use it, the same answer as for a foreign tenant.
    pub fn require(&self, action: Action) -> Result<(), PageError> {
        if self.may(action) {
            Ok(())
        } else {
            Err(PageError::NotFound("page".to_owned()))
        }
    }

    /// Whether this viewer may read `tenant`'s pages: the role reads tenants and the scope admits it.
    pub fn may_read_tenant(&self, tenant: &TenantId) -> bool {
        self.may(Action::ReadTenant) && self.scope.admits(tenant)
    }

    /// The stance of every page while no login exists: the same as the JSON API's today (provider-wide
    /// scope). Replaced by the session's principal when authentication lands.
    fn open_access() -> Self {
        Self {
            name: "Unauthenticated (no login yet)".to_owned(),
            role: Role::ProviderAdmin,
            tenant: None,
            scope: TenantScope::AllTenants,
            csrf_token: String::new(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .ok_or(PageError::NoViewer)
    }
}

/// Middleware that gives every page the open-access viewer, unless an outer layer (the tests' layer, or
/// later the session layer) has already decided who is looking.
///
/// This mirrors the JSON API, which on this branch also answers without login; it is the single piece the
/// authentication merge replaces with the session's principal.
pub async fn open_access(mut request: Request, next: Next) -> Response {
    if request.extensions().get::<Viewer>().is_none() {
        request.extensions_mut().insert(Viewer::open_access());
    }
    next.run(request).await
}
