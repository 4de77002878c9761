//! Static assets of the web UI, embedded into the binary (nothing is read from disk or fetched at run
//! time) and served under `/static/` with a year-long, immutable cache lifetime.
//!
//! Pages link each asset with `?v=` and the first 16 hex digits of its SHA-256, so a new build with a
//! changed file gets a new URL and no browser keeps a stale copy.

use crate::routing::Routes;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// Path below `/static/`.
    pub path: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

/// Every embedded asset.
pub const ASSETS: [Asset; 3] = [
    Asset {
        path: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../static/app.css"),
    },
    Asset {
        path: "upload.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/upload.js"),
    },
    Asset {
        path: "vendor/htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/vendor/htmx.min.js"),
    },
];

/// Cache-busting URLs, computed once.
static URLS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            let digest = hex_prefix(&Sha256::digest(a.bytes));
            format!("/static/{}?v={digest}", a.path)
        })
        .collect()
});

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The versioned URL of the asset at `path` (below `/static/`); the bare path if there is no such asset.
pub fn url(path: &str) -> String {
    ASSETS
        .iter()
        .position(|a| a.path == path)
        .and_then(|i| URLS.get(i).cloned())
        .unwrap_or_else(|| format!("/static/{path}"))
}

/// The `/static/{*path}` route.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Routes<S> {
    Routes::new().get("/static/{*path}", serve)
}

async fn serve(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.path == path) {
        Some(asset) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(asset.content_type),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            asset.bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
