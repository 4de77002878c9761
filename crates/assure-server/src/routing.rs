//! Every route the server mounts goes through [`Routes`], which keeps a table of (method, path template)
//! beside the axum router. An axum `Router` cannot list its routes; the table can, so the isolation
//! matrix walks the live route set and a test checks the OpenAPI document names every API route. A test
//! of this crate's sources refuses `Router::route` anywhere else, so no route escapes the table.

use std::convert::Infallible;

use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodFilter, MethodRouter, on};

/// One mounted route: an HTTP method and the path template as axum sees it (`/api/v1/tenants/{id}`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouteEntry {
    pub method: &'static str,
    pub path: String,
}

/// An axum router with the table of what it mounts.
#[derive(Debug)]
pub struct Routes<S> {
    router: Router<S>,
    table: Vec<RouteEntry>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    /// Mounts `router` (one method's) at `path`. axum merges method routers of the same path.
    pub fn on(mut self, method: Method, path: &str, router: MethodRouter<S, Infallible>) -> Self {
        self.table.push(RouteEntry {
            method: method.as_str(),
            path: path.to_owned(),
        });
        self.router = self.router.route(path, router);
        self
    }

    pub fn get<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.on(Method::Get, path, on(MethodFilter::GET, handler))
    }

    pub fn post<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.on(Method::Post, path, on(MethodFilter::POST, handler))
    }

    pub fn put<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.on(Method::Put, path, on(MethodFilter::PUT, handler))
    }

    pub fn delete<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.on(Method::Delete, path, on(MethodFilter::DELETE, handler))
    }

    pub fn merge(mut self, other: Self) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    /// Mounts `other` under `prefix` (`/api/v1`).
    pub fn nest(mut self, prefix: &str, other: Self) -> Self {
        self.router = self.router.nest(prefix, other.router);
        self.table
            .extend(other.table.into_iter().map(|e| RouteEntry {
                method: e.method,
                path: format!("{prefix}{}", e.path),
            }));
        self
    }

    /// Applies a router-wide change that adds no route (a `route_layer`, a middleware).
    pub fn layered(mut self, change: impl FnOnce(Router<S>) -> Router<S>) -> Self {
        self.router = change(self.router);
        self
    }

    pub fn table(&self) -> &[RouteEntry] {
        &self.table
    }

    pub fn into_router(self) -> Router<S> {
        self.router
    }
}

/// The methods routes use; a closed set, so the table's method names are the ones axum matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No module mounts a route behind the table's back: `Router::route` appears only in this file.
    #[test]
    fn every_route_goes_through_the_table() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut offenders = Vec::new();
        let mut stack = vec![src];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("routing.rs")
                {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    if text.contains(".route(") || text.contains("Router::new()") {
                        offenders.push(path.display().to_string());
                    }
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "routes mounted outside routing::Routes: {offenders:?}"
        );
    }

    #[test]
    fn nesting_prefixes_the_table() {
        let inner: Routes<()> = Routes::new().get("/a/{id}", || async { "" });
        let outer = Routes::new()
            .get("/healthz", || async { "ok" })
            .nest("/api/v1", inner);
        assert_eq!(
            outer.table(),
            &[
                RouteEntry {
                    method: "GET",
                    path: "/healthz".into()
                },
                RouteEntry {
                    method: "GET",
                    path: "/api/v1/a/{id}".into()
                },
            ]
        );
    }
}
