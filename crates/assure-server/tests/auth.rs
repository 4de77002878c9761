//! Negative tests of authentication and authorization over a real TCP listener, on SQLite and (when the
//! test command provides one) PostgreSQL: anonymous callers, CSRF, cookie flags, lock-out counted in the
//! database, revoked and expired tokens, the second factor that cannot be skipped, forced password
//! changes, and tenant isolation (a foreign tenant answers exactly as an unknown one).

use std::path::Path;

use assure_domain::programme::Programme;
use assure_server::{AppState, AuthSettings, router};
use assure_store::{Actor, AnyStore, LockoutPolicy, NewApiToken, Store};
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};

fn mini() -> Programme {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assure-content/tests/fixtures/mini");
    assure_content::load_dir(&dir).expect("fixture loads")
}

const PASSWORD: &str = "a long test password";
const ADMIN: &str = "admin@mini.example";
const CARLA: &str = "carla@alpha.example";
const VIC: &str = "vic@beta.example";

/// A running server over one store.
struct Running {
    base: String,
    http: reqwest::Client,
    /// The server's store, for looking at (and tampering with) what it keeps.
    store: Option<AnyStore>,
    _dir: Option<tempfile::TempDir>,
    pg: Option<assure_store::testing::TestDatabase>,
}

impl Running {
    async fn stop(self) {
        if let Some(pg) = self.pg {
            pg.drop_database().await;
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

async fn start(backend: Backend, auth: AuthSettings) -> Option<Running> {
    start_with(backend, auth, &[]).await
}

/// A server whose users in `must_change` must change their password at the next login.
async fn start_with(backend: Backend, auth: AuthSettings, must_change: &[&str]) -> Option<Running> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = format!("sqlite://{}", dir.path().join("assure.db").display());
            let store = assure_store::SqliteStore::connect(&url)
                .await
                .expect("connect");
            let mut r = serve(store.clone(), auth, must_change).await;
            r._dir = Some(dir);
            r.store = Some(AnyStore::Sqlite(store));
            Some(r)
        }
        Backend::Postgres => {
            let db = assure_store::testing::fresh_database().await?;
            let store = assure_store::PgStore::connect(&db.url)
                .await
                .expect("connect");
            let mut r = serve(store.clone(), auth, must_change).await;
            r.pg = Some(db);
            r.store = Some(AnyStore::Postgres(store));
            Some(r)
        }
    }
}

/// Loads the mini programme, gives every user the test password (no change due) and the admin a TOTP
/// secret, and serves the router on a loopback port.
async fn serve<S: Store>(store: S, auth: AuthSettings, must_change: &[&str]) -> Running {
    let actor = Actor::system("test");
    store
        .import_programme(&actor, &mini())
        .await
        .expect("import");
    store.mark_initialised(&actor, true).await.expect("init");
    let hash = assure_auth::hash_password(PASSWORD).expect("hash");
    for u in store
        .list_users(&assure_store::TenantScope::AllTenants)
        .await
        .expect("users")
    {
        store
            .set_password(&actor, &u.id, &hash, must_change.contains(&u.id.as_str()))
            .await
            .expect("password");
    }
    store
        .set_totp(
            &actor,
            &ADMIN.into(),
            Some(&assure_auth::TotpSecret::demo(ADMIN).to_base32()),
            &[assure_auth::recovery_code_hash("abcd-efgh-ijkm")],
        )
        .await
        .expect("totp");
    let state = AppState::configured(store, None, auth);
    state.set_ready();
    let app = router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    Running {
        base: format!("http://{addr}"),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        store: None,
        _dir: None,
        pg: None,
    }
}

fn cookies_named<'a>(headers: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.starts_with(&format!("{name}=")))
        .collect()
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|p| p.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

/// The value of a hidden or visible `name="..." value="..."` field in a page.
fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).map(|i| i + marker.len());
    start
        .and_then(|s| html[s..].find('"').map(|e| html[s..s + e].to_owned()))
        .unwrap_or_default()
}

/// A browser session: the session cookie and the page's CSRF token.
#[derive(Clone, Debug, Default)]
struct Browser {
    session: String,
}

impl Running {
    /// The TOTP secret text the store holds for `user`.
    async fn stored_totp(&self, user: &str) -> Option<String> {
        let id = user.into();
        let creds = match self.store.as_ref().expect("the test server's store") {
            AnyStore::Sqlite(s) => s.user_credentials(&id).await,
            AnyStore::Postgres(s) => s.user_credentials(&id).await,
        };
        creds.expect("credentials").and_then(|c| c.totp_secret)
    }

    /// Writes `text` as `user`'s stored TOTP secret, as someone with access to the database could.
    async fn store_totp(&self, user: &str, text: &str) {
        let (actor, id) = (Actor::system("test"), user.into());
        let done = match self.store.as_ref().expect("the test server's store") {
            AnyStore::Sqlite(s) => s.set_totp(&actor, &id, Some(text), &[]).await,
            AnyStore::Postgres(s) => s.set_totp(&actor, &id, Some(text), &[]).await,
        };
        done.expect("set_totp");
    }

    /// Seals the TOTP secrets still stored in the clear, as `assure serve` does at start.
    async fn seal_stored(&self, vault: &assure_auth::TotpVault) -> usize {
        let sealed = match self.store.as_ref().expect("the test server's store") {
            AnyStore::Sqlite(s) => assure_server::seal_stored_totp_secrets(s, vault).await,
            AnyStore::Postgres(s) => assure_server::seal_stored_totp_secrets(s, vault).await,
        };
        sealed.expect("sealing")
    }

    /// The second-factor step of a session with `code`; returns the answer's status.
    async fn mfa_step(&self, b: &Browser, code: &str) -> u16 {
        let csrf = csrf_of(self, b).await;
        self.post_form(
            b,
            "/login/mfa",
            &[("csrf_token", csrf.as_str()), ("code", code)],
        )
        .await
        .status()
        .as_u16()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The password step; returns the response (a redirect on success).
    async fn password_step(&self, user: &str, password: &str) -> reqwest::Response {
        let page = self
            .http
            .get(self.url("/login"))
            .send()
            .await
            .expect("login page");
        let login_cookie = cookie_value(cookies_named(page.headers(), "assure_login")[0]);
        let html = page.text().await.expect("html");
        let csrf = field(&html, "csrf_token");
        self.http
            .post(self.url("/login"))
            .header("cookie", format!("assure_login={login_cookie}"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("next", "/account"),
                ("user", user),
                ("password", password),
            ])
            .send()
            .await
            .expect("login")
    }

    async fn login(&self, user: &str) -> (Browser, String) {
        let r = self.password_step(user, PASSWORD).await;
        assert_eq!(r.status(), 303, "login of {user}");
        let location = r.headers()[LOCATION]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        let session = cookie_value(cookies_named(r.headers(), "assure_session")[0]);
        (Browser { session }, location)
    }

    async fn get(&self, b: &Browser, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .header("cookie", format!("assure_session={}", b.session))
            .send()
            .await
            .expect("get")
    }

    async fn csrf(&self, b: &Browser) -> String {
        let html = self.get(b, "/account").await.text().await.expect("html");
        field(&html, "csrf_token")
    }

    async fn post_form(&self, b: &Browser, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .header("cookie", format!("assure_session={}", b.session))
            .form(form)
            .send()
            .await
            .expect("post")
    }

    async fn bearer(&self, token: &str, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("get")
    }

    async fn token_for(&self, store_user: &str) -> String {
        let (b, _) = self.login(store_user).await;
        let csrf = self.csrf(&b).await;
        let html = self
            .post_form(
                &b,
                "/account/tokens",
                &[
                    ("csrf_token", csrf.as_str()),
                    ("name", "test"),
                    ("expires_days", "1"),
                ],
            )
            .await
            .text()
            .await
            .expect("html");
        let start = html.find("id=\"new-token\">").expect("token shown") + 15;
        html[start..start + html[start..].find('<').expect("end")].to_owned()
    }
}

fn totp_now(user: &str) -> String {
    let now = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
    assure_auth::TotpSecret::demo(user)
        .code_at(now)
        .expect("code")
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Backend::Postgres).await })*
        }
    };
}

on_both_backends!(
    totp_secrets_are_sealed_at_rest_and_logins_with_totp_still_work,
    an_expired_session_is_refused,
    account_pages_have_the_main_navigation_only_once_signed_in,
    anonymous_api_calls_get_401_and_pages_redirect_to_login,
    cookies_are_httponly_strict_and_writes_without_csrf_are_refused,
    lockout_happens_at_the_stated_count_and_lifts_at_the_stated_time,
    revoked_expired_and_unknown_tokens_are_refused,
    an_expired_token_is_refused,
    a_token_revoked_elsewhere_is_refused_at_once_whatever_the_read_cache,
    cached_control_pages_answer_like_the_store,
    mfa_cannot_be_skipped_by_going_straight_to_a_page_or_the_api,
    a_password_change_is_forced_before_anything_else,
    a_customer_cannot_read_another_tenant_and_the_404_is_identical,
);

async fn anonymous_api_calls_get_401_and_pages_redirect_to_login(backend: Backend) {
    let Some(s) = start(backend, AuthSettings::default()).await else {
        return;
    };
    let r = s
        .http
        .get(s.url("/api/v1/controls"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    for path in [
        "/api/v1/tenants",
        "/api/v1/tenants/alpha/evidence",
        "/api/v1/frameworks",
    ] {
        let r = s.http.get(s.url(path)).send().await.expect("get");
        assert_eq!(r.status(), 401, "{path}");
    }
    let r = s
        .http
        .put(s.url("/api/v1/tenants/alpha/profile"))
        .body("{}")
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 401);
    let r = s.http.get(s.url("/account")).send().await.expect("get");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/login?next=/account");
    let r = s
        .http
        .get(s.url("/healthz"))
        .header("x-request-id", "test-id-1")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["x-request-id"],
        "test-id-1",
        "the request id is echoed"
    );
    assert_eq!(r.headers()["content-security-policy"], assure_server::CSP);
    assert!(!assure_server::CSP.contains("unsafe-inline"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    assert!(
        r.headers().get("strict-transport-security").is_none(),
        "no HSTS without TLS"
    );
    let r = s.http.get(s.url("/healthz")).send().await.expect("get");
    assert!(
        !r.headers()["x-request-id"].is_empty(),
        "a request id is made when absent"
    );
    let metrics = s.http.get(s.url("/metrics")).send().await.expect("metrics");
    assert_eq!(metrics.status(), 200, "loopback reads metrics");
    let text = metrics.text().await.expect("text");
    assert!(
        text.contains("route=\"/api/v1/controls\",status=\"401\""),
        "{text}"
    );
    s.stop().await;
}

async fn cookies_are_httponly_strict_and_writes_without_csrf_are_refused(backend: Backend) {
    let Some(s) = start(backend, AuthSettings::default()).await else {
        return;
    };
    let login_page = s
        .http
        .get(s.url("/login"))
        .send()
        .await
        .expect("login page");
    let login_cookie = cookies_named(login_page.headers(), "assure_login")[0].to_owned();
    assert!(
        login_cookie.contains("HttpOnly") && login_cookie.contains("SameSite=Strict"),
        "the login form's CSRF cookie: {login_cookie}"
    );
    let r = s.password_step(CARLA, PASSWORD).await;
    assert_eq!(r.status(), 303);
    let set = cookies_named(r.headers(), "assure_session")[0].to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "no Secure flag without TLS: {set}");
    let b = Browser {
        session: cookie_value(&set),
    };
    let csrf = s.csrf(&b).await;
    assert!(!csrf.is_empty());

    // A form post without the token, or with a wrong one, is refused and changes nothing.
    let r = s.post_form(&b, "/account/tokens", &[("name", "x")]).await;
    assert_eq!(r.status(), 403);
    let r = s
        .post_form(
            &b,
            "/account/tokens",
            &[("csrf_token", "wrong"), ("name", "x")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = s.post_form(&b, "/logout", &[]).await;
    assert_eq!(r.status(), 403, "even logout needs the token");
    let r = s
        .post_form(&b, "/tenants/alpha/profile", &[("service", "compute")])
        .await;
    assert_eq!(r.status(), 403, "a page form without the token");
    let r = s
        .http
        .post(s.url("/tenants/alpha/evidence"))
        .header("cookie", format!("assure_session={}", b.session))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x--\r\n")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403, "an upload without the token in its query");
    let page = s.get(&b, "/account").await.text().await.expect("html");
    assert!(
        page.contains("You have no API tokens."),
        "nothing was created"
    );

    // An API write with the cookie needs the X-CSRF-Token header.
    let body = r#"{"services":[],"regions":[],"frameworks":[]}"#;
    let r = s
        .http
        .put(s.url("/api/v1/tenants/alpha/profile"))
        .header("cookie", format!("assure_session={}", b.session))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 403);
    let r = s
        .http
        .put(s.url("/api/v1/tenants/alpha/profile"))
        .header("cookie", format!("assure_session={}", b.session))
        .header("x-csrf-token", &csrf)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("put");
    assert_ne!(
        r.status(),
        403,
        "with the header the write reaches the handler"
    );

    // With the token: logout ends the session for good.
    let r = s
        .post_form(&b, "/logout", &[("csrf_token", csrf.as_str())])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        s.get(&b, "/account").await.status(),
        303,
        "the session is gone"
    );
    s.stop().await;

    let secure = AuthSettings {
        secure_cookies: true,
        ..AuthSettings::default()
    };
    let Some(s) = start(backend, secure).await else {
        return;
    };
    let r = s.password_step(CARLA, PASSWORD).await;
    let set = cookies_named(r.headers(), "assure_session")[0].to_owned();
    assert!(set.contains("; Secure"), "{set}");
    assert!(r.headers().get("strict-transport-security").is_some());
    s.stop().await;
}

async fn lockout_happens_at_the_stated_count_and_lifts_at_the_stated_time(backend: Backend) {
    let auth = AuthSettings {
        lockout: LockoutPolicy {
            max_failures: 3,
            lock_for: time::Duration::seconds(3),
        },
        ..AuthSettings::default()
    };
    let Some(s) = start(backend, auth).await else {
        return;
    };
    for i in 1..=2 {
        let r = s.password_step(VIC, "wrong password!").await;
        assert_eq!(r.status(), 401, "failure {i}");
        let html = r.text().await.expect("html");
        assert!(
            html.contains("wrong e-mail or password"),
            "failure {i} is not a lock yet"
        );
    }
    let r = s.password_step(VIC, "wrong password!").await;
    let locked_at = std::time::Instant::now();
    assert!(
        r.text().await.expect("html").contains("locked until"),
        "the third failure locks"
    );
    let r = s.password_step(VIC, PASSWORD).await;
    assert_eq!(
        r.status(),
        401,
        "while locked even the right password is refused"
    );
    assert!(r.text().await.expect("html").contains("locked until"));
    let wait = std::time::Duration::from_millis(3300).saturating_sub(locked_at.elapsed());
    tokio::time::sleep(wait).await;
    let r = s.password_step(VIC, PASSWORD).await;
    assert_eq!(r.status(), 303, "the lock lifts after the stated time");
    s.stop().await;
}

async fn revoked_expired_and_unknown_tokens_are_refused(backend: Backend) {
    let Some(s) = start(backend, AuthSettings::default()).await else {
        return;
    };
    let token = s.token_for(CARLA).await;
    assert!(token.starts_with(assure_auth::TOKEN_PREFIX));
    let r = s.bearer(&token, "/api/v1/tenants").await;
    assert_eq!(r.status(), 200, "a fresh token works");
    // Bearer writes need no CSRF token.
    let r = s
        .http
        .put(s.url("/api/v1/tenants/alpha/profile"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 400, "a Bearer write reaches the handler");

    // Revoke it on the account page.
    let (b, _) = s.login(CARLA).await;
    let csrf = s.csrf(&b).await;
    let page = s.get(&b, "/account").await.text().await.expect("html");
    let start_at = page.find("/account/tokens/").expect("revoke form") + "/account/tokens/".len();
    let id = page[start_at..start_at + page[start_at..].find('/').expect("id end")].to_owned();
    let r = s
        .post_form(
            &b,
            &format!("/account/tokens/{id}/revoke"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = s.bearer(&token, "/api/v1/tenants").await;
    assert_eq!(r.status(), 401, "a revoked token is refused");
    assert_eq!(r.headers()["content-type"], "application/problem+json");

    let r = s.bearer("assure_never-issued", "/api/v1/tenants").await;
    assert_eq!(r.status(), 401, "an unknown token is refused");
    s.stop().await;
}

/// An expired token is refused: stored directly with an expiry in the past.
async fn an_expired_token_is_refused(backend: Backend) {
    let Some(s) = start(backend, AuthSettings::default()).await else {
        return;
    };
    let secret = assure_auth::new_api_token().expect("token");
    let now = time::OffsetDateTime::now_utc();
    let token = NewApiToken {
        id: "expired".into(),
        user: CARLA.into(),
        name: "old".into(),
        token_hash: secret.hash.clone(),
        at: now - time::Duration::days(2),
        expires_at: Some(now - time::Duration::seconds(1)),
    };
    let actor = Actor::system("test");
    let stored = match s.store.as_ref().expect("the test server's store") {
        AnyStore::Sqlite(store) => store.create_api_token(&actor, &token).await,
        AnyStore::Postgres(store) => store.create_api_token(&actor, &token).await,
    };
    stored.expect("token");
    let r = s.bearer(&secret.text, "/api/v1/controls").await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    s.stop().await;
}

async fn mfa_cannot_be_skipped_by_going_straight_to_a_page_or_the_api(backend: Backend) {
    let Some(s) = start(backend, AuthSettings::default()).await else {
        return;
    };
    let (b, location) = s.login(ADMIN).await;
    assert!(location.starts_with("/login/mfa"), "{location}");
    // Straight to a page, the API, a write: all refused while the second factor is due.
    let r = s.get(&b, "/account").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/login/mfa");
    let r = s.get(&b, "/api/v1/controls").await;
    assert_eq!(r.status(), 401);
    let r = s.get(&b, "/api/v1/tenants/alpha").await;
    assert_eq!(r.status(), 401);
    let r = s.get(&b, "/account/mfa").await;
    assert_eq!(
        r.status(),
        303,
        "re-enrolling cannot replace the enrolled factor"
    );
    let r = s
        .post_form(&b, "/account/tokens", &[("name", "sneaky")])
        .await;
    assert_eq!(r.status(), 303);
    let html = s.get(&b, "/login/mfa").await.text().await.expect("html");
    let csrf = field(&html, "csrf_token");
    let r = s
        .post_form(
            &b,
            "/login/mfa",
            &[("csrf_token", csrf.as_str()), ("code", "000000")],
        )
        .await;
    assert_eq!(r.status(), 401, "a wrong code");
    assert_eq!(s.get(&b, "/api/v1/controls").await.status(), 401);
    let code = totp_now(ADMIN);
    let r = s
        .post_form(
            &b,
            "/login/mfa",
            &[("csrf_token", csrf.as_str()), ("code", code.as_str())],
        )
        .await;
    assert_eq!(r.status(), 303, "the right code");
    assert_eq!(s.get(&b, "/api/v1/controls").await.status(), 200);
    assert_eq!(s.get(&b, "/account").await.status(), 200);

    // The same code does not work twice; a recovery code works once.
    let (b2, _) = s.login(ADMIN).await;
    let r = s
        .post_form(
            &b2,
            "/login/mfa",
            &[
                ("csrf_token", csrf_of(&s, &b2).await.as_str()),
                ("code", code.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status(), 401, "a spent TOTP code is refused");
    let r = s
        .post_form(
            &b2,
            "/login/mfa",
            &[
                ("csrf_token", csrf_of(&s, &b2).await.as_str()),
                ("code", "ABCD-EFGH-IJKM"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "a recovery code");
    let (b3, _) = s.login(ADMIN).await;
    let r = s
        .post_form(
            &b3,
            "/login/mfa",
            &[
                ("csrf_token", csrf_of(&s, &b3).await.as_str()),
                ("code", "abcd-efgh-ijkm"),
            ],
        )
        .await;
    assert_eq!(r.status(), 401, "a spent recovery code is refused");

    // Provider staff without a second factor must enrol before anything else.
    let (lead, location) = s.login("lead@mini.example").await;
    assert_eq!(location, "/account/mfa");
    assert_eq!(s.get(&lead, "/api/v1/controls").await.status(), 401);
    let r = s.get(&lead, "/account").await;
    assert_eq!(r.headers()[LOCATION], "/account/mfa");
    let html = s
        .get(&lead, "/account/mfa")
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("data:image/svg+xml;base64,"), "a QR code");
    let secret = field(&html, "secret");
    let csrf = field(&html, "csrf_token");
    let now = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
    let code = assure_auth::TotpSecret::from_base32(&secret)
        .expect("secret")
        .code_at(now)
        .expect("code");
    let r = s
        .post_form(
            &lead,
            "/account/mfa",
            &[
                ("csrf_token", csrf.as_str()),
                ("secret", secret.as_str()),
                ("code", code.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("html");
    assert_eq!(
        html.matches("<li><code>").count(),
        assure_auth::RECOVERY_CODES
    );
    assert_eq!(s.get(&lead, "/api/v1/controls").await.status(), 200);
    s.stop().await;
}

async fn csrf_of(s: &Running, b: &Browser) -> String {
    let html = s.get(b, "/login/mfa").await.text().await.expect("html");
    field(&html, "csrf_token")
}

async fn a_password_change_is_forced_before_anything_else(backend: Backend) {
    let Some(s) = start_with(backend, AuthSettings::default(), &[CARLA]).await else {
        return;
    };
    let r = s.password_step(CARLA, PASSWORD).await;
    assert_eq!(r.headers()[LOCATION], "/account/password");
    let b = Browser {
        session: cookie_value(cookies_named(r.headers(), "assure_session")[0]),
    };
    assert_eq!(s.get(&b, "/api/v1/tenants").await.status(), 401);
    assert_eq!(
        s.get(&b, "/account").await.headers()[LOCATION],
        "/account/password"
    );
    let html = s
        .get(&b, "/account/password")
        .await
        .text()
        .await
        .expect("html");
    let csrf = field(&html, "csrf_token");
    let r = s
        .post_form(
            &b,
            "/account/password",
            &[
                ("csrf_token", csrf.as_str()),
                ("current", PASSWORD),
                ("new", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    assert_eq!(r.status(), 400, "too short");
    let r = s
        .post_form(
            &b,
            "/account/password",
            &[
                ("csrf_token", csrf.as_str()),
                ("current", PASSWORD),
                ("new", "my own long password"),
                ("confirm", "my own long password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(s.get(&b, "/api/v1/tenants").await.status(), 200);
    let r = s.password_step(CARLA, "my own long password").await;
    assert_eq!(r.headers()[LOCATION], "/account");
    s.stop().await;
}

async fn a_customer_cannot_read_another_tenant_and_the_404_is_identical(backend: Backend) {
    let Some(s) = start(backend, AuthSettings::default()).await else {
        return;
    };
    let carla = s.token_for(CARLA).await;
    let r = s.bearer(&carla, "/api/v1/tenants").await;
    let list: serde_json::Value = r.json().await.expect("json");
    let ids: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["alpha"], "a customer lists only its own tenant");
    assert_eq!(
        s.bearer(&carla, "/api/v1/tenants/alpha").await.status(),
        200
    );
    for (foreign, unknown) in [
        ("/api/v1/tenants/beta", "/api/v1/tenants/nope"),
        ("/api/v1/tenants/beta/matrix", "/api/v1/tenants/nope/matrix"),
        (
            "/api/v1/tenants/beta/profile",
            "/api/v1/tenants/nope/profile",
        ),
        (
            "/api/v1/tenants/beta/evidence",
            "/api/v1/tenants/nope/evidence",
        ),
        (
            "/api/v1/tenants/beta/evidence/ev-1",
            "/api/v1/tenants/nope/evidence/ev-1",
        ),
    ] {
        let a = s.bearer(&carla, foreign).await;
        let b = s.bearer(&carla, unknown).await;
        assert_eq!(a.status(), 404, "{foreign}");
        assert_eq!(b.status(), 404, "{unknown}");
        let (ta, tb) = (a.text().await.expect("a"), b.text().await.expect("b"));
        assert_eq!(
            ta.replace("beta", "X"),
            tb.replace("nope", "X"),
            "{foreign} answers as {unknown}"
        );
    }
    let r = s
        .http
        .put(s.url("/api/v1/tenants/beta/profile"))
        .bearer_auth(&carla)
        .header("content-type", "application/json")
        .body(r#"{"services":[],"regions":[],"frameworks":[]}"#)
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 404, "a foreign tenant cannot be written");

    // A viewer lacks EditTenant even in its own tenant: 403.
    let vic = s.token_for(VIC).await;
    let r = s
        .http
        .put(s.url("/api/v1/tenants/beta/profile"))
        .bearer_auth(&vic)
        .header("content-type", "application/json")
        .body(r#"{"services":[],"regions":[],"frameworks":[]}"#)
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 403);
    // The provider admin sees both tenants (after its second factor).
    let (b, _) = s.login(ADMIN).await;
    let html = s.get(&b, "/login/mfa").await.text().await.expect("html");
    let csrf = field(&html, "csrf_token");
    let code = totp_now(ADMIN);
    s.post_form(
        &b,
        "/login/mfa",
        &[("csrf_token", csrf.as_str()), ("code", code.as_str())],
    )
    .await;
    let list: serde_json::Value = s
        .get(&b, "/api/v1/tenants")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["total"], 2);
    s.stop().await;
}

/// The TOTP code of `user`'s demo secret `steps_ahead` time steps from now (one step ahead is still
/// accepted, so a second login in the same 30 seconds need not wait for a fresh code).
fn totp_ahead(user: &str, steps_ahead: u64) -> String {
    let now = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
    assure_auth::TotpSecret::demo(user)
        .code_at(now + 30 * steps_ahead)
        .expect("code")
}

async fn totp_secrets_are_sealed_at_rest_and_logins_with_totp_still_work(backend: Backend) {
    let vault = assure_auth::TotpVault::ephemeral().expect("vault");
    let auth = AuthSettings {
        totp_vault: vault.clone(),
        ..AuthSettings::default()
    };
    let Some(s) = start(backend, auth).await else {
        return;
    };
    let base32 = assure_auth::TotpSecret::demo(ADMIN).to_base32();
    // The fixture stores the admin's secret as rows did before sealing: bare base32.
    assert_eq!(s.stored_totp(ADMIN).await.as_deref(), Some(base32.as_str()));

    // A login with a code still works on such a row, and seals it.
    let (b, _) = s.login(ADMIN).await;
    assert_eq!(
        s.mfa_step(&b, &totp_now(ADMIN)).await,
        303,
        "a plaintext row still works"
    );
    assert_eq!(s.get(&b, "/api/v1/controls").await.status(), 200);
    let sealed = s.stored_totp(ADMIN).await.expect("still enrolled");
    assert!(
        sealed.starts_with(assure_auth::SEALED_TOTP_PREFIX),
        "{sealed}"
    );
    assert!(
        !sealed.contains(&base32),
        "the stored column is not the base32 secret"
    );

    // A login against the sealed row works.
    let (b, _) = s.login(ADMIN).await;
    assert_eq!(
        s.mfa_step(&b, &totp_ahead(ADMIN, 1)).await,
        303,
        "a sealed row works"
    );
    assert_eq!(s.get(&b, "/api/v1/controls").await.status(), 200);

    // The admin's sealed secret copied onto another user's row does not open there: the admin's codes
    // (and any other) are refused for that user.
    let lead = "lead@mini.example";
    s.store_totp(lead, &sealed).await;
    let (b, location) = s.login(lead).await;
    assert!(location.starts_with("/login/mfa"), "{location}");
    for code in [totp_now(ADMIN), totp_ahead(ADMIN, 1), totp_now(lead)] {
        assert_eq!(
            s.mfa_step(&b, &code).await,
            401,
            "a secret sealed for another user"
        );
    }
    assert_eq!(s.get(&b, "/api/v1/controls").await.status(), 401);

    // Rows still in the clear are sealed at start (`assure serve` runs this before it is ready); sealed
    // rows are left alone, and the sealed row works.
    let lead_base32 = assure_auth::TotpSecret::demo(lead).to_base32();
    s.store_totp(lead, &lead_base32).await;
    assert_eq!(s.seal_stored(&vault).await, 1, "only the plaintext row");
    assert_eq!(s.seal_stored(&vault).await, 0, "nothing left to seal");
    let lead_sealed = s.stored_totp(lead).await.expect("enrolled");
    assert!(lead_sealed.starts_with(assure_auth::SEALED_TOTP_PREFIX));
    assert!(!lead_sealed.contains(&lead_base32));
    assert_eq!(
        s.stored_totp(ADMIN).await.as_deref(),
        Some(sealed.as_str()),
        "a sealed row is not sealed twice"
    );
    let (b, _) = s.login(lead).await;
    assert_eq!(s.mfa_step(&b, &totp_now(lead)).await, 303);

    // Enrolment stores the new secret sealed.
    let (b, _) = s.login(CARLA).await;
    let html = s.get(&b, "/account/mfa").await.text().await.expect("html");
    let secret = field(&html, "secret");
    let now = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
    let code = assure_auth::TotpSecret::from_base32(&secret)
        .expect("secret")
        .code_at(now)
        .expect("code");
    let r = s
        .post_form(
            &b,
            "/account/mfa",
            &[
                ("csrf_token", field(&html, "csrf_token").as_str()),
                ("secret", secret.as_str()),
                ("code", code.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status(), 200, "enrolled");
    let stored = s.stored_totp(CARLA).await.expect("enrolled");
    assert!(
        stored.starts_with(assure_auth::SEALED_TOTP_PREFIX),
        "{stored}"
    );
    assert!(
        !stored.contains(&secret),
        "the stored column is not the base32 secret"
    );
    s.stop().await;
}

async fn an_expired_session_is_refused(backend: Backend) {
    let auth = AuthSettings {
        session_ttl: time::Duration::seconds(2),
        ..AuthSettings::default()
    };
    let Some(s) = start(backend, auth).await else {
        return;
    };
    let (b, _) = s.login(CARLA).await;
    assert_eq!(s.get(&b, "/account").await.status(), 200);
    assert_eq!(s.get(&b, "/api/v1/tenants").await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(2300)).await;
    let r = s.get(&b, "/account").await;
    assert_eq!(r.status(), 303, "an expired session is sent to the login");
    assert_eq!(r.headers()[LOCATION], "/login?next=/account");
    assert_eq!(s.get(&b, "/api/v1/tenants").await.status(), 401);
    s.stop().await;
}

async fn account_pages_have_the_main_navigation_only_once_signed_in(backend: Backend) {
    let Some(s) = start_with(backend, AuthSettings::default(), &[CARLA]).await else {
        return;
    };
    const NAV: &str = "<nav aria-label=\"Main\">";
    // Part-way through signing in: the password change has no navigation.
    let r = s.password_step(CARLA, PASSWORD).await;
    let b = Browser {
        session: cookie_value(cookies_named(r.headers(), "assure_session")[0]),
    };
    let html = s
        .get(&b, "/account/password")
        .await
        .text()
        .await
        .expect("html");
    assert!(!html.contains(NAV), "no navigation while the change is due");
    let r = s
        .post_form(
            &b,
            "/account/password",
            &[
                ("csrf_token", field(&html, "csrf_token").as_str()),
                ("current", PASSWORD),
                ("new", "my own long password"),
                ("confirm", "my own long password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    // Signed in: every account page has the navigation of the customer, the account link and logout.
    for path in ["/account", "/account/password", "/account/mfa"] {
        let r = s.get(&b, path).await;
        assert_eq!(r.status(), 200, "{path}");
        let html = r.text().await.expect("html");
        assert!(html.contains(NAV), "{path} has the main navigation");
        assert!(
            html.contains("href=\"/tenants/alpha\""),
            "{path}: the customer's own tenant"
        );
        assert!(
            html.contains("id=\"account-link\""),
            "{path}: the account link"
        );
        assert_eq!(
            html.matches("action=\"/logout\"").count(),
            1,
            "{path}: one logout form"
        );
    }
    // Provider staff part-way through the second factor: the enrolment page has no navigation.
    let (lead, location) = s.login("lead@mini.example").await;
    assert_eq!(location, "/account/mfa");
    let html = s
        .get(&lead, "/account/mfa")
        .await
        .text()
        .await
        .expect("html");
    assert!(
        !html.contains(NAV),
        "no navigation before the second factor"
    );
    assert!(html.contains("action=\"/logout\""), "but a way out");
    s.stop().await;
}

/// Revokes a token straight in the store, as another node or the CLI would.
async fn revoke_in_store(s: &Running, user: &str) {
    let actor = Actor::system("other-node");
    let at = time::OffsetDateTime::now_utc();
    let revoked = match s.store.as_ref().expect("the test server's store") {
        AnyStore::Sqlite(store) => {
            let id = store
                .list_api_tokens(Some(&user.into()))
                .await
                .expect("tokens")[0]
                .id
                .clone();
            store.revoke_api_token(&actor, None, &id, at).await
        }
        AnyStore::Postgres(store) => {
            let id = store
                .list_api_tokens(Some(&user.into()))
                .await
                .expect("tokens")[0]
                .id
                .clone();
            store.revoke_api_token(&actor, None, &id, at).await
        }
    };
    revoked.expect("revoke");
}

/// Credentials are never cached: a token revoked by another node or the CLI is refused by the very next
/// request, even with the read cache's bound at an hour (and with the cache off).
async fn a_token_revoked_elsewhere_is_refused_at_once_whatever_the_read_cache(backend: Backend) {
    for bound in [
        std::time::Duration::from_secs(3600),
        std::time::Duration::ZERO,
    ] {
        let auth = AuthSettings {
            read_cache_bound: bound,
            ..AuthSettings::default()
        };
        let Some(s) = start(backend, auth).await else {
            return;
        };
        let token = s.token_for(CARLA).await;
        assert_eq!(s.bearer(&token, "/api/v1/controls").await.status(), 200);
        assert_eq!(s.bearer(&token, "/api/v1/controls").await.status(), 200);
        revoke_in_store(&s, CARLA).await;
        assert_eq!(
            s.bearer(&token, "/api/v1/controls").await.status(),
            401,
            "bound {bound:?}"
        );
        s.stop().await;
    }
}

/// Every variant of the controls query is its own cached page: the answers with the cache on equal the
/// store's (cache off), asked twice so the second answer comes from the cache.
async fn cached_control_pages_answer_like_the_store(backend: Backend) {
    let queries = [
        "/api/v1/controls",
        "/api/v1/controls?limit=1",
        "/api/v1/controls?limit=2&offset=1",
        "/api/v1/controls?sort=-id",
        "/api/v1/controls?sort=title",
        "/api/v1/controls?q=access",
        "/api/v1/controls?domain=no-such-domain",
    ];
    let mut answers = Vec::new();
    for bound in [
        std::time::Duration::ZERO,
        std::time::Duration::from_secs(3600),
    ] {
        let auth = AuthSettings {
            read_cache_bound: bound,
            ..AuthSettings::default()
        };
        let Some(s) = start(backend, auth).await else {
            return;
        };
        let token = s.token_for(CARLA).await;
        let mut bodies = Vec::new();
        for _ in 0..2 {
            for q in queries {
                let r = s.bearer(&token, q).await;
                assert_eq!(r.status(), 200, "{q}");
                assert_eq!(r.headers()["content-type"], "application/json");
                let body: serde_json::Value = r.json().await.expect("json");
                bodies.push((q, body));
            }
        }
        answers.push(bodies);
        s.stop().await;
    }
    assert_eq!(answers[0], answers[1]);
    let distinct: std::collections::BTreeSet<String> =
        answers[1].iter().map(|(_, b)| b.to_string()).collect();
    assert!(distinct.len() >= 5, "different queries, different pages");
}
