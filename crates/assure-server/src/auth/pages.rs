//! The pages of logging in and of one's own account: `/login` (password, then the second factor at
//! `/login/mfa`), `/logout`, `/account` (API tokens), `/account/password`, `/account/mfa` (enrolment with
//! a QR code and recovery codes shown once). Server-rendered, no script, every field labelled.

use std::sync::Arc;

use askama::Template;
use assure_domain::user::Affiliation;
use assure_store::{Actor, FailureOutcome, NewApiToken, NewSession, Store};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{
    LOGIN_COOKIE, Principal, SESSION_COOKIE, SessionCaller, cookie, mfa_required, now,
    percent_encode, safe_next, set_cookie,
};
use crate::AppState;
use crate::pages::{Layout, Viewer};
use crate::routing::Routes;

type Shared<S> = State<Arc<AppState<S>>>;

pub fn routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new()
        .get("/login", login_page::<S>)
        .post("/login", login::<S>)
        .get("/login/mfa", mfa_page)
        .post("/login/mfa", mfa::<S>)
        .post("/logout", logout::<S>)
        .get("/account", account::<S>)
        .post("/account/tokens", create_token::<S>)
        .post("/account/tokens/{id}/revoke", revoke_token::<S>)
        .get("/account/password", password_page)
        .post("/account/password", change_password::<S>)
        .get("/account/mfa", enrol_page)
        .post("/account/mfa", enrol::<S>)
}

/// A rendered page; pages of this module are never cached (they show secrets once).
fn page<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(html) => (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be drawn",
            )
                .into_response()
        }
    }
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "authentication failed internally");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "something went wrong; see the server log",
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    csrf_token: String,
    next: String,
    next_encoded: String,
    user: String,
    error: Option<String>,
    oidc: bool,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The login form, with a fresh login CSRF token in a cookie and the form (double submit: there is no
/// session yet to hold it).
async fn login_page<S: Store>(State(state): Shared<S>, Query(q): Query<NextQuery>) -> Response {
    render_login(&state, safe_next(q.next.as_deref()), String::new(), None)
}

fn render_login<S: Store>(
    state: &AppState<S>,
    next: String,
    user: String,
    error: Option<(StatusCode, String)>,
) -> Response {
    let token = match assure_auth::new_identifier() {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    let (status, error) = match error {
        Some((s, e)) => (s, Some(e)),
        None => (StatusCode::OK, None),
    };
    let mut response = page(
        status,
        &LoginPage {
            csrf_token: token.clone(),
            next_encoded: percent_encode(&next),
            next,
            user,
            error,
            oidc: state.auth.oidc.is_some(),
        },
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, &token, Some(3600), state.auth.secure_cookies),
    );
    response
}

#[derive(Deserialize)]
pub struct LoginForm {
    csrf_token: String,
    next: Option<String>,
    user: String,
    password: String,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

const WRONG: &str = "wrong e-mail or password";

/// The message of a locked account. It says when the lock lifts: the lock protects the password, and
/// knowing the time does not help guess it.
fn locked_message(until: time::OffsetDateTime) -> String {
    format!(
        "too many failed attempts: this account is locked until {} UTC",
        assure_domain::audit::format_instant(until)
    )
}

/// The password step. Failures are counted in the database per account; at the limit the account locks
/// for the configured time, and while locked even the right password is refused.
async fn login<S: Store>(
    State(state): Shared<S>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let user_id = form.user.trim().to_lowercase();
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !assure_auth::same_hash(&form.csrf_token, expected) {
        return render_login(
            &state,
            next,
            user_id,
            Some((
                StatusCode::FORBIDDEN,
                "the login form expired; please try again".to_owned(),
            )),
        );
    }
    let at = now();
    let credentials = match state.store.user_credentials(&user_id.as_str().into()).await {
        Ok(c) => c.filter(|c| !c.user.disabled),
        Err(e) => return internal(e),
    };
    let refuse = |message: String| {
        render_login(
            &state,
            next.clone(),
            user_id.clone(),
            Some((StatusCode::UNAUTHORIZED, message)),
        )
    };
    let Some(creds) = credentials else {
        // Spend the same time as a real check, so the answer does not tell which accounts exist.
        let password = form.password.clone();
        let _ = tokio::task::spawn_blocking(move || {
            assure_auth::verify_password(&password, assure_auth::decoy_hash())
        })
        .await;
        return refuse(WRONG.to_owned());
    };
    if let Some(until) = creds.locked_until
        && until > at
    {
        return refuse(locked_message(until));
    }
    let hash = creds.password_hash.clone().unwrap_or_default();
    let password = form.password.clone();
    let good = tokio::task::spawn_blocking(move || {
        let target = if hash.is_empty() {
            assure_auth::decoy_hash()
        } else {
            &hash
        };
        assure_auth::verify_password(&password, target) && !hash.is_empty()
    })
    .await
    .unwrap_or(false);
    let actor = Actor(format!("user:{user_id}"));
    if !good {
        return match state
            .store
            .record_login_failure(&actor, &creds.user.id, at, &state.auth.lockout)
            .await
        {
            Ok(FailureOutcome::Locked(until)) => refuse(locked_message(until)),
            Ok(FailureOutcome::Counted(_)) => refuse(WRONG.to_owned()),
            Err(e) => internal(e),
        };
    }
    let enrolled = creds.totp_secret.is_some();
    let needs_mfa = mfa_required(&state.store, &creds.user, enrolled).await;
    let destination = if enrolled {
        format!("/login/mfa?next={}", percent_encode(&next))
    } else if needs_mfa {
        "/account/mfa".to_owned()
    } else if creds.must_change_password {
        "/account/password".to_owned()
    } else {
        next
    };
    start_session(&state, &actor, &creds.user.id, !needs_mfa, &destination).await
}

/// Starts a session and answers with its cookie and a redirect (or `page` instead).
pub(crate) async fn start_session<S: Store>(
    state: &AppState<S>,
    actor: &Actor,
    user: &assure_domain::UserId,
    mfa_passed: bool,
    destination: &str,
) -> Response {
    let (id, csrf) = match (assure_auth::new_session_id(), assure_auth::new_identifier()) {
        (Ok(id), Ok(csrf)) => (id, csrf),
        (Err(e), _) | (_, Err(e)) => return internal(e),
    };
    let at = now();
    let session = NewSession {
        id_hash: id.hash.clone(),
        user: user.clone(),
        at,
        expires_at: at + state.auth.session_ttl,
        mfa_passed,
        csrf_token: csrf,
    };
    if let Err(e) = state.store.create_session(actor, &session).await {
        return internal(e);
    }
    let mut response = Redirect::to(destination).into_response();
    session_cookies(state, &mut response, &id.text);
    response
}

/// Sets the session cookie (and clears the login form's).
pub(crate) fn session_cookies<S>(state: &AppState<S>, response: &mut Response, id: &str) {
    let secure = state.auth.secure_cookies;
    let max_age = state.auth.session_ttl.whole_seconds();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, id, Some(max_age), secure),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, "", Some(0), secure),
    );
}

#[derive(Template)]
#[template(path = "auth/mfa.html")]
struct MfaPage {
    csrf_token: String,
    next: String,
    error: Option<String>,
}

async fn mfa_page(caller: SessionCaller, Query(q): Query<NextQuery>) -> Response {
    if !caller.mfa_pending {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    page(
        StatusCode::OK,
        &MfaPage {
            csrf_token: caller.csrf_token,
            next: safe_next(q.next.as_deref()),
            error: None,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    code: String,
    next: Option<String>,
}

/// The second-factor step: a TOTP code (each time step accepted once) or a recovery code (each once).
/// Wrong codes count toward the same lock-out as wrong passwords; a lock ends the session.
async fn mfa<S: Store>(
    State(state): Shared<S>,
    caller: SessionCaller,
    Form(form): Form<CodeForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    if !caller.mfa_pending {
        return Redirect::to(&next).into_response();
    }
    let actor = Actor(format!("user:{}", caller.user.id));
    let at = now();
    let creds = match state.store.user_credentials(&caller.user.id).await {
        Ok(Some(c)) => c,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return internal(e),
    };
    let code = form.code.trim();
    let passed = if code.chars().any(|c| c.is_ascii_alphabetic()) {
        let hash = assure_auth::recovery_code_hash(code);
        match state
            .store
            .use_recovery_code(&actor, &caller.user.id, &hash, at)
            .await
        {
            Ok(true) => state.store.pass_mfa(&actor, &caller.id_hash, None).await,
            Ok(false) => Ok(false),
            Err(e) => Err(e),
        }
    } else {
        let step = match creds.totp_secret.as_deref() {
            Some(stored) => {
                super::totp::matching_step(
                    &state.store,
                    &state.auth.totp_vault,
                    &actor,
                    &caller.user.id,
                    stored,
                    code,
                    at,
                )
                .await
            }
            None => None,
        };
        match step {
            Some(step) => {
                state
                    .store
                    .pass_mfa(&actor, &caller.id_hash, Some(step))
                    .await
            }
            None => Ok(false),
        }
    };
    match passed {
        Ok(true) if creds.must_change_password => Redirect::to("/account/password").into_response(),
        Ok(true) => Redirect::to(&next).into_response(),
        Ok(false) => {
            let message = match state
                .store
                .record_login_failure(&actor, &caller.user.id, at, &state.auth.lockout)
                .await
            {
                Ok(FailureOutcome::Locked(until)) => {
                    let _ = state.store.end_session(&actor, &caller.id_hash).await;
                    let mut r = render_login(
                        &state,
                        next,
                        caller.user.id.to_string(),
                        Some((StatusCode::UNAUTHORIZED, locked_message(until))),
                    );
                    r.headers_mut().append(
                        header::SET_COOKIE,
                        set_cookie(SESSION_COOKIE, "", Some(0), state.auth.secure_cookies),
                    );
                    return r;
                }
                Ok(FailureOutcome::Counted(_)) => "that code is wrong or was already used",
                Err(e) => return internal(e),
            };
            page(
                StatusCode::UNAUTHORIZED,
                &MfaPage {
                    csrf_token: caller.csrf_token,
                    next,
                    error: Some(message.to_owned()),
                },
            )
        }
        Err(e) => internal(e),
    }
}

fn unix(at: time::OffsetDateTime) -> u64 {
    u64::try_from(at.unix_timestamp()).unwrap_or(0)
}

/// Logout: ends the session in the database (so no node accepts it again) and clears the cookie.
async fn logout<S: Store>(State(state): Shared<S>, caller: SessionCaller) -> Response {
    let actor = Actor(format!("user:{}", caller.user.id));
    if let Err(e) = state.store.end_session(&actor, &caller.id_hash).await {
        return internal(e);
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), state.auth.secure_cookies),
    );
    response
}

struct TokenRow {
    id: String,
    name: String,
    created: String,
    expires: String,
    state: &'static str,
    active: bool,
}

/// The layout of an account page for `caller`: the normal one with navigation once fully signed in,
/// the bare one part-way through signing in.
fn account_layout(caller: &SessionCaller, path: &str) -> Layout {
    caller
        .principal()
        .map_or_else(Layout::signing_in, |p| Layout::new(&Viewer::of(&p), path))
}

#[derive(Template)]
#[template(path = "account/index.html")]
struct AccountPage {
    layout: Layout,
    csrf_token: String,
    name: String,
    user_id: String,
    role: &'static str,
    affiliation: String,
    mfa_enrolled: bool,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    notice: Option<String>,
}

fn day(at: time::OffsetDateTime) -> String {
    assure_domain::audit::format_instant(at)
        .get(..10)
        .unwrap_or_default()
        .to_owned()
}

async fn render_account<S: Store>(
    state: &AppState<S>,
    principal: &Principal,
    new_token: Option<String>,
    notice: Option<String>,
) -> Response {
    let at = now();
    let (tokens, creds) = match (
        state.store.list_api_tokens(Some(&principal.user.id)).await,
        state.store.user_credentials(&principal.user.id).await,
    ) {
        (Ok(t), Ok(c)) => (t, c),
        (Err(e), _) | (_, Err(e)) => return internal(e),
    };
    let rows = tokens
        .into_iter()
        .map(|t| {
            let expired = t.expires_at.is_some_and(|e| e <= at);
            let (state, active) = match (t.revoked_at, expired) {
                (Some(_), _) => ("revoked", false),
                (None, true) => ("expired", false),
                (None, false) => ("active", true),
            };
            TokenRow {
                id: t.id,
                name: t.name,
                created: day(t.created_at),
                expires: t.expires_at.map_or_else(|| "never".to_owned(), day),
                state,
                active,
            }
        })
        .collect();
    let u = &principal.user;
    page(
        StatusCode::OK,
        &AccountPage {
            layout: Layout::new(&Viewer::of(principal), "/account"),
            csrf_token: principal.csrf_token().unwrap_or_default().to_owned(),
            name: u.name.clone(),
            user_id: u.id.to_string(),
            role: u.role.as_str(),
            affiliation: match &u.affiliation {
                Affiliation::Provider => "the provider".to_owned(),
                Affiliation::Tenant(t) => format!("tenant {t}"),
                Affiliation::AssessorFirm(f) => format!("assessor firm {f}"),
            },
            mfa_enrolled: creds.is_some_and(|c| c.totp_secret.is_some()),
            tokens: rows,
            new_token,
            notice,
        },
    )
}

async fn account<S: Store>(State(state): Shared<S>, principal: Principal) -> Response {
    render_account(&state, &principal, None, None).await
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    name: String,
    expires_days: Option<String>,
}

/// Creates an API token for oneself and shows it once.
async fn create_token<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Form(form): Form<TokenForm>,
) -> Response {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return render_account(
            &state,
            &principal,
            None,
            Some("a token needs a name of 1 to 100 characters".into()),
        )
        .await;
    }
    let days = match form.expires_days.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(d) => match d.parse::<i64>() {
            Ok(n) if (1..=3650).contains(&n) => Some(n),
            _ => {
                return render_account(
                    &state,
                    &principal,
                    None,
                    Some("expiry must be a number of days from 1 to 3650, or empty".into()),
                )
                .await;
            }
        },
    };
    match issue_token(
        &state.store,
        &principal.actor(),
        &principal.user.id,
        name,
        days,
    )
    .await
    {
        Ok(text) => render_account(&state, &principal, Some(text), None).await,
        Err(e) => internal(e),
    }
}

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error(transparent)]
    Auth(#[from] assure_auth::AuthError),
    #[error(transparent)]
    Store(#[from] assure_store::StoreError),
}

/// Issues an API token for `user` valid `days` days (or forever) and returns its text, which is never
/// stored. Shared by the account page and `assure tokens create`.
pub async fn issue_token<S: Store>(
    store: &S,
    actor: &Actor,
    user: &assure_domain::UserId,
    name: &str,
    days: Option<i64>,
) -> Result<String, IssueError> {
    let secret = assure_auth::new_api_token()?;
    let at = now();
    store
        .create_api_token(
            actor,
            &NewApiToken {
                id: assure_auth::new_identifier()?,
                user: user.clone(),
                name: name.to_owned(),
                token_hash: secret.hash.clone(),
                at,
                expires_at: days.map(|d| at + time::Duration::days(d)),
            },
        )
        .await?;
    Ok(secret.text)
}

async fn revoke_token<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> Response {
    match state
        .store
        .revoke_api_token(&principal.actor(), Some(&principal.user.id), &id, now())
        .await
    {
        Ok(()) => {
            render_account(
                &state,
                &principal,
                None,
                Some("the token is revoked".into()),
            )
            .await
        }
        Err(assure_store::StoreError::NotFound(_)) => {
            (StatusCode::NOT_FOUND, "no such token of yours").into_response()
        }
        Err(e) => internal(e),
    }
}

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    layout: Layout,
    csrf_token: String,
    forced: bool,
    error: Option<String>,
    min_chars: usize,
}

async fn password_page(caller: SessionCaller) -> Response {
    page(
        StatusCode::OK,
        &PasswordPage {
            layout: account_layout(&caller, "/account/password"),
            csrf_token: caller.csrf_token,
            forced: caller.must_change_password,
            error: None,
            min_chars: assure_auth::MIN_PASSWORD_CHARS,
        },
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

impl std::fmt::Debug for PasswordForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordForm(..)")
    }
}

/// Changes one's password: the current one is checked (wrong answers count toward the lock-out), the
/// new one must be long enough and different.
async fn change_password<S: Store>(
    State(state): Shared<S>,
    caller: SessionCaller,
    Form(form): Form<PasswordForm>,
) -> Response {
    let refuse = |status: StatusCode, message: String| {
        page(
            status,
            &PasswordPage {
                layout: account_layout(&caller, "/account/password"),
                csrf_token: caller.csrf_token.clone(),
                forced: caller.must_change_password,
                error: Some(message),
                min_chars: assure_auth::MIN_PASSWORD_CHARS,
            },
        )
    };
    let actor = Actor(format!("user:{}", caller.user.id));
    let creds = match state.store.user_credentials(&caller.user.id).await {
        Ok(Some(c)) => c,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return internal(e),
    };
    let hash = creds.password_hash.clone().unwrap_or_default();
    let current = form.current.clone();
    let good = tokio::task::spawn_blocking(move || {
        !hash.is_empty() && assure_auth::verify_password(&current, &hash)
    })
    .await
    .unwrap_or(false);
    if !good {
        let _ = state
            .store
            .record_login_failure(&actor, &caller.user.id, now(), &state.auth.lockout)
            .await;
        return refuse(
            StatusCode::UNAUTHORIZED,
            "the current password is wrong".into(),
        );
    }
    if form.new != form.confirm {
        return refuse(
            StatusCode::BAD_REQUEST,
            "the two new passwords differ".into(),
        );
    }
    if let Err(rule) = assure_auth::check_new_password(&form.new, Some(&form.current)) {
        return refuse(StatusCode::BAD_REQUEST, rule.to_string());
    }
    let new = form.new.clone();
    let hashed = match tokio::task::spawn_blocking(move || assure_auth::hash_password(&new)).await {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => return internal(e),
        Err(e) => return internal(e),
    };
    match state
        .store
        .set_password(&actor, &caller.user.id, &hashed, false)
        .await
    {
        Ok(()) => Redirect::to(super::LANDING).into_response(),
        Err(e) => internal(e),
    }
}

#[derive(Template)]
#[template(path = "account/mfa.html")]
struct EnrolPage {
    layout: Layout,
    csrf_token: String,
    required: bool,
    error: Option<String>,
    secret: String,
    qr_data_uri: String,
}

fn enrol_page_for(
    caller: &SessionCaller,
    secret: &assure_auth::TotpSecret,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let svg = match secret.qr_svg(caller.user.id.as_str()) {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    page(
        status,
        &EnrolPage {
            layout: account_layout(caller, "/account/mfa"),
            csrf_token: caller.csrf_token.clone(),
            required: caller.mfa_pending,
            error,
            secret: secret.to_base32(),
            qr_data_uri: format!(
                "data:image/svg+xml;base64,{}",
                data_encoding::BASE64.encode(svg.as_bytes())
            ),
        },
    )
}

/// Enrolment: a fresh secret, shown as a QR code and as text. Reached while the second factor is due
/// and none is enrolled (first login of provider staff), or from the account page.
async fn enrol_page(caller: SessionCaller) -> Response {
    match assure_auth::TotpSecret::generate() {
        Ok(secret) => enrol_page_for(&caller, &secret, None, StatusCode::OK),
        Err(e) => internal(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct EnrolForm {
    secret: String,
    code: String,
}

#[derive(Template)]
#[template(path = "account/recovery.html")]
struct RecoveryPage {
    layout: Layout,
    codes: Vec<String>,
    next: String,
}

/// Completes enrolment: the code must match the secret; the secret and fresh recovery codes are stored,
/// the session's second factor is passed, and the recovery codes are shown once.
async fn enrol<S: Store>(
    State(state): Shared<S>,
    caller: SessionCaller,
    Form(form): Form<EnrolForm>,
) -> Response {
    let Ok(secret) = assure_auth::TotpSecret::from_base32(&form.secret) else {
        return (StatusCode::BAD_REQUEST, "the enrolment form was altered").into_response();
    };
    let at = now();
    let Some(step) = secret
        .matching_step(&form.code, unix(at))
        .and_then(|s| i64::try_from(s).ok())
    else {
        return enrol_page_for(
            &caller,
            &secret,
            Some("that code does not match; check the app's clock and try again".into()),
            StatusCode::BAD_REQUEST,
        );
    };
    let codes = match assure_auth::new_recovery_codes() {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    let hashes: Vec<String> = codes.iter().map(|c| c.hash.clone()).collect();
    let actor = Actor(format!("user:{}", caller.user.id));
    let sealed = match state.auth.totp_vault.seal(caller.user.id.as_str(), &secret) {
        Ok(text) => text,
        Err(e) => return internal(e),
    };
    if let Err(e) = state
        .store
        .set_totp(&actor, &caller.user.id, Some(&sealed), &hashes)
        .await
    {
        return internal(e);
    }
    if let Err(e) = state
        .store
        .pass_mfa(&actor, &caller.id_hash, Some(step))
        .await
    {
        return internal(e);
    }
    let next = if caller.must_change_password {
        "/account/password"
    } else {
        super::LANDING
    };
    page(
        StatusCode::OK,
        &RecoveryPage {
            // The second factor has just passed: signed in unless a password change is still due.
            layout: account_layout(
                &SessionCaller {
                    mfa_pending: false,
                    ..caller.clone()
                },
                "/account/mfa",
            ),
            codes: codes.into_iter().map(|c| c.text).collect(),
            next: next.to_owned(),
        },
    )
}
