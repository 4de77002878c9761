//! Assure's HTTP server: `/healthz`, `/readyz`, the JSON API under `/api/v1`, and the server-rendered web
//! UI (module [`pages`], templates in `templates/`, assets embedded from `static/` under `/static/`).
//!
//! Architecture invariant: handlers reach data only through [`assure_store::Store`] methods, passing the
//! caller's [`assure_store::TenantScope`]; no SQL lives here.

mod api;
pub mod auth;
mod baseline;
mod engagements;
mod evidence;
mod findings;
mod hardening;
pub mod imports;
pub mod openapi;
pub mod pages;
mod problem;
mod problem_engagement;
pub mod read_cache;
pub mod routing;
pub mod trackers;
mod trust;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use assure_store::Store;
use axum::Router;
use axum::http::HeaderName;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use auth::pages::issue_token;
pub use auth::totp::seal_stored_totp_secrets;
pub use auth::{
    AuthSettings, Authorized, Credential, LANDING, Principal, SessionCaller, scope_for, scope_of,
};
pub use hardening::CSP;
pub use problem::Problem;
pub use routing::RouteEntry;
use routing::Routes;

/// What every handler can reach.
#[derive(Debug)]
pub struct AppState<S> {
    pub store: S,
    /// The evidence repository, when an evidence store is configured.
    pub evidence: Option<assure_evidence::Repository<S>>,
    /// How logins, sessions, cookies and metrics behave.
    pub auth: AuthSettings,
    metrics: hardening::Metrics,
    ready: AtomicBool,
    /// Token checks and catalogue pages kept while nothing changed.
    pub(crate) read_cache: read_cache::ReadCache,
}

impl<S> AppState<S> {
    pub fn new(store: S) -> Arc<Self> {
        Self::configured(store, None, AuthSettings::default())
    }

    /// State with an evidence repository (which shares the store).
    pub fn with_evidence(store: S, evidence: assure_evidence::Repository<S>) -> Arc<Self> {
        Self::configured(store, Some(evidence), AuthSettings::default())
    }

    /// State with every part chosen.
    pub fn configured(
        store: S,
        evidence: Option<assure_evidence::Repository<S>>,
        auth: AuthSettings,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            evidence,
            read_cache: read_cache::ReadCache::new(auth.read_cache_bound),
            auth,
            metrics: hardening::Metrics::default(),
            ready: AtomicBool::new(false),
        })
    }

    /// Marks the server ready to take traffic (the store is migrated and the programme loaded).
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }
}

/// Every route of the application with its method, as mounted by [`router`]: what the isolation matrix
/// walks and the OpenAPI document must cover.
pub fn route_table<S: Store>() -> Vec<RouteEntry> {
    routes::<S>().table().to_vec()
}

fn small_bodies<S: Store>(routes: Routes<Arc<AppState<S>>>) -> Routes<Arc<AppState<S>>> {
    routes.layered(|r| {
        r.route_layer(RequestBodyLimitLayer::new(1024 * 1024))
            .route_layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                Duration::from_secs(30),
            ))
    })
}

/// The routes before the application-wide layers.
fn routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    let small = small_bodies(
        api::routes::<S>()
            .merge(evidence::routes::<S>())
            .merge(baseline::routes::<S>())
            .merge(findings::routes::<S>())
            .merge(engagements::routes::<S>())
            .merge(trust::routes::<S>()),
    );
    // The sign-in and account pages serve callers part-way through signing in: they take no viewer.
    let sign_in = small_bodies(auth::pages::routes::<S>().merge(auth::oidc::routes::<S>()));
    let pages = small_bodies(pages::routes::<S>())
        .merge(pages::streaming_routes::<S>())
        .layered(|r| r.route_layer(axum::middleware::from_fn(pages::viewer::from_session)))
        .merge(sign_in);
    // Imports take whole documents (NIST's catalog is about 10 MiB) and read them before answering.
    let imports = imports::routes::<S>().layered(|r| {
        r.route_layer(RequestBodyLimitLayer::new(imports::MAX_UPLOAD))
            .route_layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                Duration::from_secs(300),
            ))
    });
    Routes::new()
        .get("/healthz", || async { "ok" })
        .get("/readyz", readyz::<S>)
        .get("/metrics", hardening::metrics::<S>)
        .get("/api/openapi.json", openapi::serve)
        .nest(
            "/api/v1",
            small
                .merge(evidence::streaming_routes::<S>())
                .merge(imports),
        )
        .merge(pages)
        .merge(small_bodies(trackers::routes::<S>()))
        .merge(pages::assets::routes())
}

/// The whole application router. Small requests get a 1 MiB body limit and a 30 s timeout; evidence
/// uploads and downloads stream for as long as they take, bounded by the evidence size limit.
///
/// Every route passes [`auth::authenticate`] (anonymous callers reach only `/healthz`, `/readyz`,
/// `/metrics` with its own rule, the login pages and `/static/`), is counted in the metrics under its
/// route template, and answers with the security headers and an `x-request-id`.
pub fn router<S: Store>(state: Arc<AppState<S>>) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    routes::<S>()
        .into_router()
        .layer(from_fn_with_state(state.clone(), auth::authenticate::<S>))
        .layer(from_fn_with_state(
            state.clone(),
            hardening::record_metrics::<S>,
        ))
        .with_state(state.clone())
        .layer(from_fn_with_state(state, hardening::security_headers::<S>))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|req: &axum::http::Request<_>| {
                            let id = req
                                .headers()
                                .get("x-request-id")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default();
                            tracing::info_span!(
                                "request",
                                method = %req.method(),
                                path = %req.uri().path(),
                                request_id = %id,
                                user = tracing::field::Empty,
                                tenant = tracing::field::Empty,
                            )
                        })
                        .on_response(
                            |res: &axum::http::Response<_>,
                             latency: Duration,
                             _span: &tracing::Span| {
                                tracing::info!(
                                    target: "assure_server::access",
                                    status = res.status().as_u16(),
                                    latency_ms = latency.as_secs_f64() * 1000.0,
                                    "answered"
                                );
                            },
                        ),
                )
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(CatchPanicLayer::new()),
        )
}

async fn readyz<S: Store>(
    axum::extract::State(state): axum::extract::State<Arc<AppState<S>>>,
) -> (StatusCode, &'static str) {
    if !state.ready.load(Ordering::Acquire) {
        return (StatusCode::SERVICE_UNAVAILABLE, "starting");
    }
    match state.store.is_initialised().await {
        Ok(true) => (StatusCode::OK, "ready"),
        Ok(false) => (StatusCode::SERVICE_UNAVAILABLE, "database not initialised"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// Serves `router` on `listener` until ctrl-c or SIGTERM. The peer address reaches handlers (the
/// metrics route serves loopback without a token).
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
