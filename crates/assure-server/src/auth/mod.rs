//! Authentication and authorization at the HTTP edge.
//!
//! One middleware, [`authenticate`], runs before every route: it finds the caller's credential (an
//! `Authorization: Bearer` API token or the `assure_session` cookie), checks the CSRF token of every
//! state-changing request made with the cookie, and lets through only what the caller's state allows:
//! anonymous callers reach `/healthz`, `/readyz`, the login pages and static assets; a session whose second
//! factor is still due reaches only the MFA step (or enrolment) and logout; a user who must change the
//! password reaches only that page and logout. Everything else answers 401 (API, problem+json) or
//! redirects to `/login?next=...` (pages). Handlers then take a [`Principal`] and ask it for an
//! [`Authorized`] capability per action: the `Role x Action` matrix decides (403 otherwise) and the
//! capability carries the [`TenantScope`] the store must be given.

pub mod oidc;
pub mod pages;
pub mod totp;

use std::sync::Arc;

use assure_domain::access::{Action, permits};
use assure_domain::user::{Affiliation, Role, User};
use assure_store::{Actor, LockoutPolicy, Store, TenantScope};
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use time::OffsetDateTime;

use crate::AppState;
use crate::problem::Problem;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "assure_session";
/// Name of the cookie that carries the login form's CSRF token before a session exists.
pub const LOGIN_COOKIE: &str = "assure_login";
/// The header carrying the CSRF token on cookie-authenticated API writes.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field carrying the CSRF token on form posts.
pub const CSRF_FIELD: &str = "csrf_token";
/// Where a person lands after logging in when no `next` was asked for.
pub const LANDING: &str = "/";

/// How authentication behaves; every number is a setting of `assure serve`.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// Mark cookies `Secure` and send HSTS: the server is reached over TLS (`--public-url https://...`).
    pub secure_cookies: bool,
    /// Failed logins (password or second factor) in a row that lock an account, and for how long.
    pub lockout: LockoutPolicy,
    /// How long a session lives after login.
    pub session_ttl: time::Duration,
    /// A token that may read `/metrics` from anywhere (loopback may always).
    pub metrics_token: Option<String>,
    /// The OpenID Connect provider, when one is configured.
    pub oidc: Option<oidc::OidcSettings>,
    /// The URL people reach the server at, for OpenID Connect redirects.
    pub public_url: Option<String>,
    /// Seals TOTP secrets before they are stored and opens them to check a code. `assure serve` derives
    /// its key from the master key; the default is a random key that lasts as long as the process.
    pub totp_vault: assure_auth::TotpVault,
    /// How stale a cached catalogue page may be when another node (or the CLI) changes the catalogue;
    /// zero turns the read cache off (see `read_cache`). Credentials are never cached.
    pub read_cache_bound: std::time::Duration,
    /// The secrets inbound tracker webhooks are checked with (`trackers`); none by default, so the
    /// endpoints answer 404 until configured.
    pub trackers: crate::trackers::TrackerSecrets,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            lockout: LockoutPolicy {
                max_failures: 5,
                lock_for: time::Duration::minutes(15),
            },
            session_ttl: time::Duration::hours(12),
            metrics_token: None,
            oidc: None,
            public_url: None,
            // Only tests and embedders take the default; a server that cannot draw 32 random bytes from
            // the operating system cannot make sessions either.
            totp_vault: assure_auth::TotpVault::ephemeral()
                .expect("the operating system's random number generator works"),
            read_cache_bound: crate::read_cache::DEFAULT_BOUND,
            trackers: crate::trackers::TrackerSecrets::default(),
        }
    }
}

/// How the caller proved who it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// The session cookie; the session's CSRF token guards its writes.
    Session { id_hash: String, csrf_token: String },
    /// An API token (`Authorization: Bearer`), by its ID; no CSRF token is needed.
    Token { id: String },
}

/// What the middleware learnt about the caller, kept in the request's extensions.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    user: User,
    credential: Credential,
    /// The tenants the caller's role reaches (`scope_for`), read once per request.
    scope: TenantScope,
    /// The second factor is still due (sessions only).
    mfa_pending: bool,
    mfa_enrolled: bool,
    must_change_password: bool,
}

/// A caller who is fully logged in: password and (where due) second factor passed, no password change
/// pending. Handlers take it as an extractor; a request without one never reaches them.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: User,
    pub credential: Credential,
    /// The tenants the caller reaches (`scope_for`): what every capability hands the store.
    pub scope: TenantScope,
}

/// A caller with a session in any state, for the MFA step, enrolment and password change pages.
#[derive(Clone, Debug)]
pub struct SessionCaller {
    pub user: User,
    pub id_hash: String,
    pub csrf_token: String,
    pub mfa_pending: bool,
    pub mfa_enrolled: bool,
    pub must_change_password: bool,
}

/// A capability handed out for one action after the role check passed: the scope the store must be given
/// and the actor its audit records name.
#[derive(Clone, Debug)]
pub struct Authorized {
    scope: TenantScope,
    actor: Actor,
}

impl Authorized {
    pub fn scope(&self) -> &TenantScope {
        &self.scope
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }
}

/// The scope of a request's caller: [`scope_of`], except that an assessor reaches the tenants of the
/// engagements in progress it is assigned to (one store read).
pub async fn scope_for<S: Store>(
    store: &S,
    user: &User,
) -> Result<TenantScope, assure_store::StoreError> {
    match user.role {
        Role::Assessor => Ok(TenantScope::Tenants(
            store.assessor_tenants(&user.id).await?,
        )),
        Role::ProviderAdmin
        | Role::ProviderSecurityLead
        | Role::ProviderDpo
        | Role::CustomerComplianceOfficer
        | Role::CustomerViewer
        | Role::CustomerDpo
        | Role::Oversight => Ok(scope_of(user)),
    }
}

/// The scope a user's role and affiliation grant without reading engagements: every tenant, the own
/// tenant, or for an assessor none (its engagements widen it in [`scope_for`]).
pub fn scope_of(user: &User) -> TenantScope {
    match (user.role, &user.affiliation) {
        (Role::ProviderAdmin | Role::ProviderSecurityLead | Role::ProviderDpo, _) => {
            TenantScope::AllTenants
        }
        // Oversight reads everything; the matrix keeps its writes to acknowledgements.
        (Role::Oversight, _) => TenantScope::AllTenants,
        (
            Role::CustomerComplianceOfficer | Role::CustomerViewer | Role::CustomerDpo,
            Affiliation::Tenant(t),
        ) => TenantScope::Tenant(t.clone()),
        (Role::Assessor, _) => TenantScope::Tenants(std::collections::BTreeSet::new()),
        // A customer role without a tenant cannot exist (User::validate); if one did, it sees nothing.
        (Role::CustomerComplianceOfficer | Role::CustomerViewer | Role::CustomerDpo, _) => {
            TenantScope::Tenants(std::collections::BTreeSet::new())
        }
    }
}

impl SessionCaller {
    /// The caller as a [`Principal`] once fully signed in (second factor passed where due, no password
    /// change pending); `None` part-way through, when only the sign-in steps may be used.
    pub fn principal(&self) -> Option<Principal> {
        (!self.mfa_pending && !self.must_change_password).then(|| Principal {
            scope: scope_of(&self.user),
            user: self.user.clone(),
            credential: Credential::Session {
                id_hash: self.id_hash.clone(),
                csrf_token: self.csrf_token.clone(),
            },
        })
    }
}

impl Principal {
    pub fn role(&self) -> Role {
        self.user.role
    }

    /// The actor audit records name for this caller.
    pub fn actor(&self) -> Actor {
        Actor(format!("user:{}", self.user.id))
    }

    /// The session's CSRF token, for the hidden `csrf_token` field of every form a page renders; `None`
    /// for API tokens, which need none.
    pub fn csrf_token(&self) -> Option<&str> {
        match &self.credential {
            Credential::Session { csrf_token, .. } => Some(csrf_token),
            Credential::Token { .. } => None,
        }
    }

    /// Whether the role may perform `action` at all (for showing or hiding links).
    pub fn may(&self, action: Action) -> bool {
        permits(self.user.role, action)
    }

    /// The capability for `action`: 403 when the role lacks it, else the scope to pass to the store.
    pub fn authorize(&self, action: Action) -> Result<Authorized, Problem> {
        if !permits(self.user.role, action) {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                format!(
                    "the role {} may not {}",
                    self.user.role.as_str(),
                    action.as_str().replace('-', " ")
                ),
            ));
        }
        Ok(Authorized {
            scope: self.scope.clone(),
            actor: self.actor(),
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Caller>() {
            Some(c) if !c.mfa_pending && !c.must_change_password => Ok(Principal {
                scope: c.scope.clone(),
                user: c.user.clone(),
                credential: c.credential.clone(),
            }),
            _ => Err(unauthenticated(parts.uri.path(), &parts.uri.to_string())),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SessionCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Caller>() {
            Some(Caller {
                user,
                credential:
                    Credential::Session {
                        id_hash,
                        csrf_token,
                    },
                mfa_pending,
                mfa_enrolled,
                must_change_password,
                scope: _,
            }) => Ok(SessionCaller {
                user: user.clone(),
                id_hash: id_hash.clone(),
                csrf_token: csrf_token.clone(),
                mfa_pending: *mfa_pending,
                mfa_enrolled: *mfa_enrolled,
                must_change_password: *must_change_password,
            }),
            _ => Err(unauthenticated(parts.uri.path(), &parts.uri.to_string())),
        }
    }
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// 401 problem for the API; a redirect to the login page (remembering where the person was going) for
/// pages.
fn unauthenticated(path: &str, path_and_query: &str) -> Response {
    if is_api(path) {
        let mut r = Problem::new(
            StatusCode::UNAUTHORIZED,
            "authentication required: a session cookie or an Authorization: Bearer token",
        )
        .into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"assure\""),
        );
        r
    } else {
        let next = percent_encode(path_and_query);
        Redirect::to(&format!("/login?next={next}")).into_response()
    }
}

/// Paths anyone may reach.
fn is_public(path: &str) -> bool {
    // Tracker webhooks carry their own credential (a signature or shared secret), by exact path only.
    matches!(
        path,
        "/healthz"
            | "/readyz"
            | "/login"
            | "/metrics"
            | crate::trackers::GITHUB_PATH
            | crate::trackers::JIRA_PATH
    ) || path.starts_with("/login/oidc")
        || path.starts_with("/static/")
}

/// Paths a session reaches while its second factor is due: the step itself (when enrolled) or
/// enrolment (when not), and logout.
fn allowed_while_mfa_pending(path: &str, enrolled: bool) -> bool {
    path == "/logout" || (enrolled && path == "/login/mfa") || (!enrolled && path == "/account/mfa")
}

/// Where a session in a pending state must go.
fn pending_destination(caller: &Caller) -> &'static str {
    if caller.mfa_pending {
        if caller.mfa_enrolled {
            "/login/mfa"
        } else {
            "/account/mfa"
        }
    } else {
        "/account/password"
    }
}

pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value with the flags every Assure cookie carries.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// Percent-encodes a path for a query parameter.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Finds the caller, checks CSRF and gates the route by the caller's state; see the module docs.
pub(crate) async fn authenticate<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or(path.clone(), |p| p.as_str().to_owned());
    let caller = match identify(&state, request.headers()).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    if let Some(c) = &caller {
        let span = tracing::Span::current();
        span.record("user", c.user.id.as_str());
        if let Some(t) = c.user.tenant() {
            span.record("tenant", t.as_str());
        }
    }
    if is_public(&path) {
        if let Some(c) = caller {
            request.extensions_mut().insert(c);
        }
        let writes = !is_safe(request.method());
        let response = next.run(request).await;
        if writes {
            state.read_cache.invalidate();
        }
        return response;
    }
    let Some(caller) = caller else {
        return unauthenticated(&path, &path_and_query);
    };
    let pending_ok = if caller.mfa_pending {
        allowed_while_mfa_pending(&path, caller.mfa_enrolled)
    } else if caller.must_change_password {
        matches!(path.as_str(), "/account/password" | "/logout")
    } else {
        true
    };
    if !pending_ok {
        if is_api(&path) {
            let detail = if caller.mfa_pending {
                "the second factor is still due: finish logging in at /login/mfa"
            } else {
                "the password must be changed first at /account/password"
            };
            return Problem::new(StatusCode::UNAUTHORIZED, detail).into_response();
        }
        return Redirect::to(pending_destination(&caller)).into_response();
    }
    let request = match &caller.credential {
        Credential::Session { csrf_token, .. } if !is_safe(request.method()) => {
            match csrf_checked(request, csrf_token).await {
                Ok(r) => r,
                Err(response) => return response,
            }
        }
        _ => request,
    };
    let mut request = request;
    request.extensions_mut().insert(caller);
    let writes = !is_safe(request.method());
    let response = next.run(request).await;
    if writes {
        // Whatever the handler changed, the next request sees it rather than a cached read.
        state.read_cache.invalidate();
    }
    response
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn csrf_refused(path: &str) -> Response {
    let problem = Problem::new(
        StatusCode::FORBIDDEN,
        "missing or wrong CSRF token: send the X-CSRF-Token header or the csrf_token form field",
    );
    if is_api(path) {
        problem.into_response()
    } else {
        (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            problem.detail,
        )
            .into_response()
    }
}

/// Largest form body read for its CSRF field; page forms are small.
const FORM_LIMIT: usize = 64 * 1024;

/// Checks the CSRF token of a cookie-authenticated write: the `X-CSRF-Token` header, else the
/// `csrf_token` field of a URL-encoded form (the body is read and put back), else a `csrf_token` query
/// parameter (for multipart uploads from a page without script).
async fn csrf_checked(request: Request, expected: &str) -> Result<Request, Response> {
    let path = request.uri().path().to_owned();
    let matches = |given: &str| assure_auth::same_hash(given, expected);
    if let Some(given) = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        return if matches(given) {
            Ok(request)
        } else {
            Err(csrf_refused(&path))
        };
    }
    if let Some(q) = request.uri().query()
        && let Some(given) = form_field(q.as_bytes(), CSRF_FIELD)
    {
        return if matches(&given) {
            Ok(request)
        } else {
            Err(csrf_refused(&path))
        };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(csrf_refused(&path));
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| csrf_refused(&path))?;
    match form_field(&bytes, CSRF_FIELD) {
        Some(given) if matches(&given) => Ok(Request::from_parts(parts, Body::from(bytes))),
        _ => Err(csrf_refused(&path)),
    }
}

/// One field of a URL-encoded form.
pub(crate) fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The caller behind the request's credential, if any. A Bearer token that is wrong, revoked or expired
/// is refused outright (401), not treated as anonymous.
async fn identify<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
) -> Result<Option<Caller>, Response> {
    let at = now();
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(token) = auth.strip_prefix("Bearer ")
    {
        let hash = assure_auth::secret_hash(token.trim());
        return match state.store.api_token(&hash, at).await {
            Ok(Some((token, user))) => Ok(Some(Caller {
                scope: scope_for(&state.store, &user)
                    .await
                    .map_err(|e| Problem::from(e).into_response())?,
                user,
                credential: Credential::Token { id: token.id },
                mfa_pending: false,
                mfa_enrolled: false,
                must_change_password: false,
            })),
            Ok(None) => Err(Problem::new(
                StatusCode::UNAUTHORIZED,
                "the API token is unknown, revoked or expired",
            )
            .into_response()),
            Err(e) => Err(Problem::from(e).into_response()),
        };
    }
    let Some(id) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = assure_auth::secret_hash(id);
    match state.store.session(&hash, at).await {
        Ok(Some(session)) => {
            // Last-seen is bookkeeping: written at most once a minute per session.
            if at - session.last_seen_at > time::Duration::minutes(1)
                && let Err(e) = state.store.touch_session(&hash, at).await
            {
                tracing::warn!(error = %e, "could not record session use");
            }
            Ok(Some(Caller {
                scope: scope_for(&state.store, &session.user)
                    .await
                    .map_err(|e| Problem::from(e).into_response())?,
                user: session.user,
                credential: Credential::Session {
                    id_hash: session.id_hash,
                    csrf_token: session.csrf_token,
                },
                mfa_pending: !session.mfa_passed,
                mfa_enrolled: session.mfa_enrolled,
                must_change_password: session.must_change_password,
            }))
        }
        Ok(None) => Ok(None),
        Err(e) => Err(Problem::from(e).into_response()),
    }
}

/// Whether a user must pass a second factor: provider staff (provider roles and oversight) always, a
/// customer when its tenant requires it, anyone who enrolled one.
pub async fn mfa_required<S: Store>(store: &S, user: &User, enrolled: bool) -> bool {
    if enrolled || matches!(user.affiliation, Affiliation::Provider) {
        return true;
    }
    match user.tenant() {
        Some(t) => store.tenant_requires_mfa(t).await.unwrap_or(true),
        None => false,
    }
}

/// A `next` target that stays on this site: a path, never `//host` or a scheme.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => LANDING.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, affiliation: Affiliation) -> User {
        User {
            id: "u@x.example".into(),
            name: "U".into(),
            role,
            affiliation,
            disabled: false,
        }
    }

    #[test]
    fn each_role_gets_the_scope_of_its_affiliation() {
        assert_eq!(
            scope_of(&user(Role::ProviderDpo, Affiliation::Provider)),
            TenantScope::AllTenants
        );
        assert_eq!(
            scope_of(&user(Role::Oversight, Affiliation::Provider)),
            TenantScope::AllTenants
        );
        assert_eq!(
            scope_of(&user(
                Role::CustomerDpo,
                Affiliation::Tenant("northbank".into())
            )),
            TenantScope::Tenant("northbank".into())
        );
        assert_eq!(
            scope_of(&user(
                Role::Assessor,
                Affiliation::AssessorFirm("harbour".into())
            )),
            TenantScope::Tenants(Default::default())
        );
    }

    #[test]
    fn a_role_without_the_action_is_forbidden() {
        let p = Principal {
            scope: TenantScope::Tenant("a".into()),
            user: user(Role::CustomerViewer, Affiliation::Tenant("a".into())),
            credential: Credential::Token { id: "t".into() },
        };
        assert!(p.authorize(Action::ReadTenant).is_ok());
        let refused = p.authorize(Action::EditTenant).err();
        assert_eq!(refused.map(|e| e.status), Some(403));
    }

    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(safe_next(Some("/tenants?x=1")), "/tenants?x=1");
        assert_eq!(safe_next(Some("//evil.example/")), LANDING);
        assert_eq!(safe_next(Some("https://evil.example/")), LANDING);
        assert_eq!(safe_next(None), LANDING);
    }

    #[test]
    fn cookies_carry_their_flags() {
        let c = set_cookie(SESSION_COOKIE, "abc", None, true);
        assert_eq!(
            c.to_str().ok(),
            Some("assure_session=abc; Path=/; HttpOnly; SameSite=Strict; Secure")
        );
    }

    #[test]
    fn form_fields_are_decoded() {
        assert_eq!(
            form_field(b"a=1&csrf_token=x%2By&b=2", "csrf_token").as_deref(),
            Some("x+y")
        );
        assert_eq!(form_field(b"a=1", "csrf_token"), None);
    }
}
