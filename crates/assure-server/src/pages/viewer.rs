//! Who is looking at a page: the [`Viewer`] every page handler takes.
//!
//! The viewer is decided *before* the page handlers run, by a layer ([`from_session`]) that inserts a
//! [`Viewer`] request extension from the signed-in `Principal`; handlers never decide who the caller is.
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
use crate::auth::Principal;

/// The person a page is rendered for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    /// The user's id: the uploader of evidence they add and the actor of their changes in the audit trail.
    pub user: String,
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

    /// The viewer of a signed-in caller: its name, role, tenant, the scope its role is handed, and the
    /// session's CSRF token (empty for API tokens, which need none).
    pub fn of(principal: &Principal) -> Self {
        Self {
            user: principal.user.id.to_string(),
            name: principal.user.name.clone(),
            role: principal.role(),
            tenant: principal.user.tenant().cloned(),
            scope: principal.scope.clone(),
            csrf_token: principal.csrf_token().unwrap_or_default().to_owned(),
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

/// Middleware that gives every page the viewer of the signed-in caller, unless an outer layer (the page
/// tests' layer) has already decided who is looking. Runs behind `auth::authenticate`, which has already
/// sent anonymous and part-way signed-in callers to the login steps; a request without a principal gets no
/// viewer, and the handler refuses it.
pub async fn from_session(request: Request, next: Next) -> Response {
    if request.extensions().get::<Viewer>().is_some() {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    match Principal::from_request_parts(&mut parts, &()).await {
        Ok(principal) => {
            parts.extensions.insert(Viewer::of(&principal));
            next.run(Request::from_parts(parts, body)).await
        }
        Err(refusal) => refusal,
    }
}
