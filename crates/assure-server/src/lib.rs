//! Assure's HTTP server: `/healthz`, `/readyz`, the JSON API under `/api/v1`, and the server-rendered web
//! UI (module [`pages`], templates in `templates/`, assets embedded from `static/` under `/static/`).
//!
//! Architecture invariant: handlers reach data only through [`assure_store::Store`] methods, passing the
//! caller's [`assure_store::TenantScope`]; no SQL lives here.

mod api;
mod evidence;
pub mod pages;
mod problem;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use assure_store::Store;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use problem::Problem;

/// What every handler can reach.
#[derive(Debug)]
pub struct AppState<S> {
    pub store: S,
    /// The evidence repository, when an evidence store is configured.
    pub evidence: Option<assure_evidence::Repository<S>>,
    ready: AtomicBool,
}

impl<S> AppState<S> {
    pub fn new(store: S) -> Arc<Self> {
        Arc::new(Self {
            store,
            evidence: None,
            ready: AtomicBool::new(false),
        })
    }

    /// State with an evidence repository (which shares the store).
    pub fn with_evidence(store: S, evidence: assure_evidence::Repository<S>) -> Arc<Self> {
        Arc::new(Self {
            store,
            evidence: Some(evidence),
            ready: AtomicBool::new(false),
        })
    }

    /// Marks the server ready to take traffic (the store is migrated and the programme loaded).
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }
}

/// The whole application router. Small requests get a 1 MiB body limit and a 30 s timeout; evidence
/// uploads and downloads stream for as long as they take, bounded by the evidence size limit.
///
/// Pages find who is looking in the [`pages::Viewer`] request extension. On this branch no login exists
/// yet, so [`pages::viewer::open_access`] fills it with the API's provider-wide stance when no outer
/// layer has; the authentication merge replaces that layer with the session's principal.
pub fn router<S: Store>(state: Arc<AppState<S>>) -> Router {
    let small = api::routes::<S>()
        .merge(evidence::routes::<S>())
        .route_layer(RequestBodyLimitLayer::new(1024 * 1024))
        .route_layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ));
    let pages = pages::routes::<S>()
        .route_layer(RequestBodyLimitLayer::new(1024 * 1024))
        .route_layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .merge(pages::streaming_routes::<S>())
        .route_layer(axum::middleware::from_fn(pages::viewer::open_access));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz::<S>))
        .nest("/api/v1", small.merge(evidence::streaming_routes::<S>()))
        .merge(pages)
        .merge(pages::assets::routes())
        .with_state(state)
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
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

/// Serves `router` on `listener` until ctrl-c or SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(listener, app)
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
