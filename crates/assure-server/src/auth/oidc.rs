//! OpenID Connect login against one operator-configured identity provider: the authorization code flow
//! with PKCE (S256) and a nonce, the provider's discovery document, and an ID token checked for issuer,
//! audience, expiry, nonce and its RS256 signature by a key of the provider's JWKS. The token's `email`
//! (or `sub`) must name an existing, enabled Assure user: OpenID Connect logs people in, it does not
//! create them. The second factor and password rules then apply as after a password login.
//!
//! The flow's state, nonce and PKCE verifier travel in a short-lived `assure_oidc` cookie (HttpOnly,
//! SameSite=Lax: the provider's redirect back is a cross-site navigation, which a Strict cookie would
//! not accompany), so any server node can finish a login another one started.

use std::sync::Arc;

use askama::Template;
use assure_store::{Actor, Store};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{cookie, mfa_required, safe_next};
use crate::AppState;
use crate::routing::Routes;

/// Which claim of the ID token names the Assure user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimMapping {
    /// The `email` claim equals the user's ID (its e-mail address).
    Email,
    /// The `sub` claim equals the user's ID.
    Subject,
}

/// The identity provider, as the operator configured it.
#[derive(Clone)]
pub struct OidcSettings {
    /// The issuer URL; its `/.well-known/openid-configuration` is fetched.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub mapping: ClaimMapping,
    /// Where the provider sends people back: `PUBLIC_URL/login/oidc/callback`.
    pub redirect_url: String,
}

impl std::fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("mapping", &self.mapping)
            .field("redirect_url", &self.redirect_url)
            .finish_non_exhaustive()
    }
}

const FLOW_COOKIE: &str = "assure_oidc";

pub fn routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new()
        .get("/login/oidc", start::<S>)
        .get("/login/oidc/callback", callback::<S>)
}

/// Why an OpenID Connect login failed; shown to the person (no secrets in it).
#[derive(Debug, thiserror::Error)]
enum OidcError {
    #[error("OpenID Connect login is not configured on this server")]
    NotConfigured,
    #[error("the identity provider could not be reached or answered badly: {0}")]
    Provider(String),
    #[error("the login could not be matched to the one this browser started; start again")]
    State,
    #[error("the identity provider's ID token was refused: {0}")]
    Token(String),
    #[error("no enabled Assure user matches this identity")]
    NoUser,
    #[error("internal error: {0}")]
    Internal(String),
}

impl IntoResponse for OidcError {
    fn into_response(self) -> Response {
        let status = match self {
            Self::NotConfigured => StatusCode::NOT_FOUND,
            Self::Provider(_) => StatusCode::BAD_GATEWAY,
            Self::State | Self::Token(_) | Self::NoUser => StatusCode::UNAUTHORIZED,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        tracing::warn!(error = %self, "OpenID Connect login failed");
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.to_string(),
        )
            .into_response()
    }
}

#[derive(Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

fn client() -> Result<reqwest::Client, OidcError> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| OidcError::Internal(e.to_string()))
}

async fn discover(http: &reqwest::Client, issuer: &str) -> Result<Discovery, OidcError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let doc: Discovery = http
        .get(&url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| OidcError::Provider(e.to_string()))?
        .json()
        .await
        .map_err(|e| OidcError::Provider(format!("discovery document: {e}")))?;
    // OpenID Connect Discovery 1.0, section 4.3: the issuer in the document must be the one configured.
    if doc.issuer.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(OidcError::Provider(format!(
            "discovery names issuer {:?}, not the configured {issuer:?}",
            doc.issuer
        )));
    }
    Ok(doc)
}

fn b64(bytes: &[u8]) -> String {
    data_encoding::BASE64URL_NOPAD.encode(bytes)
}

fn random() -> Result<String, OidcError> {
    assure_auth::random_bytes::<32>()
        .map(|b| b64(&b))
        .map_err(|e| OidcError::Internal(e.to_string()))
}

#[derive(Debug, Deserialize)]
struct StartQuery {
    next: Option<String>,
}

/// Sends the browser to the provider with a fresh state, nonce and PKCE challenge.
async fn start<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Query(q): Query<StartQuery>,
) -> Result<Response, OidcError> {
    let settings = state.auth.oidc.as_ref().ok_or(OidcError::NotConfigured)?;
    let doc = discover(&client()?, &settings.issuer).await?;
    let (flow_state, nonce, verifier) = (random()?, random()?, random()?);
    let challenge = b64(&Sha256::digest(verifier.as_bytes()));
    let next = safe_next(q.next.as_deref());
    let mut url = reqwest::Url::parse(&doc.authorization_endpoint)
        .map_err(|e| OidcError::Provider(format!("authorization endpoint: {e}")))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &settings.client_id)
        .append_pair("redirect_uri", &settings.redirect_url)
        .append_pair("scope", "openid email profile")
        .append_pair("state", &flow_state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let value = format!("{flow_state}.{nonce}.{verifier}.{}", b64(next.as_bytes()));
    let mut cookie_text =
        format!("{FLOW_COOKIE}={value}; Path=/login/oidc; HttpOnly; SameSite=Lax; Max-Age=600");
    if state.auth.secure_cookies {
        cookie_text.push_str("; Secure");
    }
    let mut response = Redirect::to(url.as_str()).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie_text).map_err(|e| OidcError::Internal(e.to_string()))?,
    );
    Ok(response)
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    id_token: String,
}

#[derive(Debug, Deserialize)]
struct IdClaims {
    sub: String,
    nonce: Option<String>,
    email: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/oidc_done.html")]
struct DonePage {
    name: String,
    next: String,
}

/// Finishes the login: checks the state, redeems the code with the PKCE verifier, validates the ID
/// token, maps it to a user and starts a session.
async fn callback<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, OidcError> {
    let settings = state.auth.oidc.as_ref().ok_or(OidcError::NotConfigured)?;
    if let Some(e) = q.error {
        return Err(OidcError::Provider(format!("the provider refused: {e}")));
    }
    let flow = cookie(&headers, FLOW_COOKIE).ok_or(OidcError::State)?;
    let parts: Vec<&str> = flow.split('.').collect();
    let [flow_state, nonce, verifier, next_b64] = parts.as_slice() else {
        return Err(OidcError::State);
    };
    let given_state = q.state.as_deref().unwrap_or_default();
    if given_state.is_empty() || !assure_auth::same_hash(given_state, flow_state) {
        return Err(OidcError::State);
    }
    let code = q.code.ok_or(OidcError::State)?;
    let next = data_encoding::BASE64URL_NOPAD
        .decode(next_b64.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let next = safe_next(next.as_deref());

    let http = client()?;
    let doc = discover(&http, &settings.issuer).await?;
    let tokens: TokenResponse = http
        .post(&doc.token_endpoint)
        .basic_auth(&settings.client_id, Some(&settings.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", settings.redirect_url.as_str()),
            ("client_id", settings.client_id.as_str()),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| OidcError::Provider(format!("token endpoint: {e}")))?
        .json()
        .await
        .map_err(|e| OidcError::Provider(format!("token response: {e}")))?;
    let jwks: jsonwebtoken::jwk::JwkSet = http
        .get(&doc.jwks_uri)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| OidcError::Provider(format!("JWKS: {e}")))?
        .json()
        .await
        .map_err(|e| OidcError::Provider(format!("JWKS: {e}")))?;
    let claims = validate_id_token(&tokens.id_token, &jwks, settings, &doc.issuer, nonce)?;

    let user_id = match settings.mapping {
        ClaimMapping::Email => claims.email.ok_or(OidcError::NoUser)?.to_lowercase(),
        ClaimMapping::Subject => claims.sub,
    };
    let creds = state
        .store
        .user_credentials(&user_id.as_str().into())
        .await
        .map_err(|e| OidcError::Internal(e.to_string()))?
        .filter(|c| !c.user.disabled)
        .ok_or(OidcError::NoUser)?;
    let enrolled = creds.totp_secret.is_some();
    let needs_mfa = mfa_required(&state.store, &creds.user, enrolled).await;
    let destination = if enrolled {
        format!("/login/mfa?next={}", super::percent_encode(&next))
    } else if needs_mfa {
        "/account/mfa".to_owned()
    } else {
        next
    };
    let actor = Actor(format!("user:{user_id}"));
    let started =
        super::pages::start_session(&state, &actor, &creds.user.id, !needs_mfa, &destination).await;
    if !started.status().is_redirection() {
        return Ok(started);
    }
    let html = DonePage {
        name: creds.user.name.clone(),
        next: destination,
    }
    .render()
    .map_err(|e| OidcError::Internal(e.to_string()))?;
    let mut response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response();
    for v in started.headers().get_all(header::SET_COOKIE) {
        response.headers_mut().append(header::SET_COOKIE, v.clone());
    }
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "assure_oidc=; Path=/login/oidc; HttpOnly; SameSite=Lax; Max-Age=0",
        ),
    );
    Ok(response)
}

/// Checks an ID token: RS256 signature by a key of the provider's JWKS (by `kid`), issuer, audience,
/// expiry, and the nonce this browser's login carried.
fn validate_id_token(
    token: &str,
    jwks: &jsonwebtoken::jwk::JwkSet,
    settings: &OidcSettings,
    issuer: &str,
    nonce: &str,
) -> Result<IdClaims, OidcError> {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
    let header = decode_header(token).map_err(|e| OidcError::Token(e.to_string()))?;
    if header.alg != Algorithm::RS256 {
        return Err(OidcError::Token(format!(
            "algorithm {:?} is not RS256",
            header.alg
        )));
    }
    let jwk = match &header.kid {
        Some(kid) => jwks.find(kid),
        None if jwks.keys.len() == 1 => jwks.keys.first(),
        None => None,
    }
    .ok_or_else(|| OidcError::Token("no key of the provider's JWKS signed it".into()))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| OidcError::Token(e.to_string()))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[settings.client_id.as_str()]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = decode::<IdClaims>(token, &key, &validation)
        .map_err(|e| OidcError::Token(e.to_string()))?
        .claims;
    match &claims.nonce {
        Some(n) if assure_auth::same_hash(n, nonce) => Ok(claims),
        _ => Err(OidcError::Token(
            "the nonce does not match this login".into(),
        )),
    }
}
