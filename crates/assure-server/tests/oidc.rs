//! OpenID Connect login against an in-process fake identity provider (discovery, JWKS, authorize with
//! PKCE, token), over real TCP: a good login starts a session; a wrong state, a wrong nonce, a token
//! signed by another key, a wrong audience and an unknown user are refused. The RSA key in `tests/data`
//! is a throwaway made for this test.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use assure_server::auth::oidc::{ClaimMapping, OidcSettings};
use assure_server::{AppState, AuthSettings, router};
use assure_store::{Actor, Store};

use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Json, Router};
use sha2::Digest;

const CARLA: &str = "carla@alpha.example";

/// How the fake provider misbehaves, if at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Twist {
    None,
    WrongNonce,
    WrongAudience,
    ForeignKey,
}

#[derive(Default)]
struct Provider {
    base: String,
    /// code -> (nonce, code challenge)
    codes: HashMap<String, (String, String)>,
    email: String,
    twist: Option<Twist>,
}

type Shared = Arc<Mutex<Provider>>;

async fn discovery(State(p): State<Shared>) -> impl IntoResponse {
    let base = p.lock().map(|p| p.base.clone()).unwrap_or_default();
    Json(serde_json::json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
    }))
}

async fn jwks() -> impl IntoResponse {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/oidc-test-jwk.json"),
    )
    .expect("jwk");
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        text,
    )
}

async fn authorize(
    State(p): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    assert_eq!(q.get("response_type").map(String::as_str), Some("code"));
    assert_eq!(
        q.get("code_challenge_method").map(String::as_str),
        Some("S256")
    );
    let code = format!("code-{}", q["state"].len() + q["nonce"].len());
    if let Ok(mut p) = p.lock() {
        p.codes.insert(
            code.clone(),
            (q["nonce"].clone(), q["code_challenge"].clone()),
        );
    }
    Redirect::to(&format!(
        "{}?code={code}&state={}",
        q["redirect_uri"], q["state"]
    ))
}

#[derive(serde::Serialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    email: String,
    nonce: String,
    iat: i64,
    exp: i64,
}

async fn token(
    State(p): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> axum::response::Response {
    let (base, entry, email, twist) = {
        let p = p.lock().expect("lock");
        (
            p.base.clone(),
            p.codes.get(&form["code"]).cloned(),
            p.email.clone(),
            p.twist.unwrap_or(Twist::None),
        )
    };
    let Some((nonce, challenge)) = entry else {
        return (axum::http::StatusCode::BAD_REQUEST, "unknown code").into_response();
    };
    let verifier = &form["code_verifier"];
    let computed =
        data_encoding::BASE64URL_NOPAD.encode(&sha2::Sha256::digest(verifier.as_bytes()));
    if computed != challenge {
        return (axum::http::StatusCode::BAD_REQUEST, "PKCE mismatch").into_response();
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = Claims {
        iss: base,
        aud: if twist == Twist::WrongAudience {
            "someone-else".into()
        } else {
            "assure-test".into()
        },
        sub: "subject-1".into(),
        email,
        nonce: if twist == Twist::WrongNonce {
            "another-nonce".into()
        } else {
            nonce
        },
        iat: now,
        exp: now + 300,
    };
    let pem =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/oidc-test-rsa.pem"))
            .expect("pem");
    let key = if twist == Twist::ForeignKey {
        jsonwebtoken::EncodingKey::from_secret(b"not the provider's key")
    } else {
        jsonwebtoken::EncodingKey::from_rsa_pem(&pem).expect("rsa key")
    };
    let mut header = jsonwebtoken::Header::new(if twist == Twist::ForeignKey {
        jsonwebtoken::Algorithm::HS256
    } else {
        jsonwebtoken::Algorithm::RS256
    });
    header.kid = Some("test-key-1".into());
    let id_token = jsonwebtoken::encode(&header, &claims, &key).expect("sign");
    Json(serde_json::json!({ "access_token": "x", "token_type": "Bearer", "id_token": id_token }))
        .into_response()
}

async fn fake_provider(email: &str, twist: Twist) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let state: Shared = Arc::new(Mutex::new(Provider {
        base: base.clone(),
        email: email.to_owned(),
        twist: Some(twist),
        ..Provider::default()
    }));
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .with_state(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

/// Assure with OIDC against the fake provider; returns its base URL (the temp dir lives as long as the
/// returned guard).
async fn assure(issuer: &str) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("assure.db").display());
    let store = assure_store::SqliteStore::connect(&url)
        .await
        .expect("connect");
    let programme = assure_content::load_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../assure-content/tests/fixtures/mini"),
    )
    .expect("fixture");
    let actor = Actor::system("test");
    store
        .import_programme(&actor, &programme)
        .await
        .expect("import");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let auth = AuthSettings {
        oidc: Some(OidcSettings {
            issuer: issuer.to_owned(),
            client_id: "assure-test".into(),
            client_secret: "test-secret".into(),
            mapping: ClaimMapping::Email,
            redirect_url: format!("{base}/login/oidc/callback"),
        }),
        ..AuthSettings::default()
    };
    let app = router(AppState::configured(store, None, auth));
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    (base, dir)
}

fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// Runs the browser's part of the flow; returns the callback's response and the Assure base URL.
async fn log_in(
    email: &str,
    twist: Twist,
    tamper_state: bool,
) -> (reqwest::Response, String, tempfile::TempDir) {
    let issuer = fake_provider(email, twist).await;
    let (base, dir) = assure(&issuer).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = http
        .get(format!("{base}/login/oidc?next=/account"))
        .send()
        .await
        .expect("start");
    assert_eq!(r.status(), 303);
    let flow = set_cookie(&r, "assure_oidc").expect("flow cookie");
    assert!(
        r.headers().get_all("set-cookie").iter().any(|v| v
            .to_str()
            .is_ok_and(|v| v.contains("HttpOnly") && v.contains("SameSite=Lax"))),
        "the flow cookie survives the provider's cross-site redirect, and scripts cannot read it"
    );
    let to_provider = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(to_provider.contains("code_challenge="), "{to_provider}");
    assert!(to_provider.contains("nonce="), "{to_provider}");
    let r = http.get(&to_provider).send().await.expect("authorize");
    let mut back = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    if tamper_state {
        back = back.replace("state=", "state=x");
    }
    let r = http
        .get(&back)
        .header("cookie", flow)
        .send()
        .await
        .expect("callback");
    (r, base, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oidc_login_maps_the_email_to_the_user_and_starts_a_session() {
    let (r, base, _dir) = log_in(CARLA, Twist::None, false).await;
    assert_eq!(r.status(), 200);
    let session = set_cookie(&r, "assure_session").expect("session cookie");
    let html = r.text().await.expect("html");
    assert!(html.contains("Carla Compliance"), "{html}");
    let tenants: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/tenants"))
        .header("cookie", session)
        .send()
        .await
        .expect("api")
        .json()
        .await
        .expect("json");
    assert_eq!(tenants["total"], 1, "the session is Carla's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_refuses_a_wrong_state_nonce_audience_key_or_user() {
    for (email, twist, tamper, why) in [
        (
            CARLA,
            Twist::None,
            true,
            "a state this browser did not start",
        ),
        (CARLA, Twist::WrongNonce, false, "a nonce of another login"),
        (
            CARLA,
            Twist::WrongAudience,
            false,
            "a token for another client",
        ),
        (
            CARLA,
            Twist::ForeignKey,
            false,
            "a token not signed by the provider's RS256 key",
        ),
        (
            "stranger@nowhere.example",
            Twist::None,
            false,
            "an identity with no Assure user",
        ),
    ] {
        let (r, _, _dir) = log_in(email, twist, tamper).await;
        assert_eq!(r.status(), 401, "{why}");
        assert!(
            set_cookie(&r, "assure_session").is_none(),
            "{why}: no session"
        );
    }
}
