//! The server-rendered web UI: one module per area, askama templates in `templates/`, static assets in
//! `static/` embedded into the binary.
//!
//! Every page handler takes a [`Viewer`] (who is looking) and reads only through [`assure_store::Store`]
//! methods with `viewer.scope`. Pages work without JavaScript; htmx (vendored, see `static/vendor/`) only
//! enhances filters, and no page carries an inline script or style, so a Content-Security-Policy without
//! `unsafe-inline` holds.

pub mod assets;
mod baseline;
mod catalogue;
mod chart;
mod dashboard;
mod engagements;
mod evidence;
mod findings;
mod imports;
mod matrix;
mod services;
mod tenants;
mod trust;
pub mod viewer;

use std::sync::Arc;

use askama::Template;
use assure_domain::access::Action;
use assure_store::Store;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

pub use viewer::Viewer;

use crate::AppState;
use crate::problem::Problem;
use crate::routing::Routes;

/// Page routes with small bodies (the caller adds the body limit and timeout).
pub fn routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new()
        .get("/", dashboard::page::<S>)
        .get("/controls", catalogue::controls::<S>)
        .get("/controls/{id}", catalogue::control::<S>)
        .get("/frameworks", catalogue::frameworks::<S>)
        .get("/frameworks/{id}", catalogue::framework::<S>)
        .get("/services", services::list::<S>)
        .get("/services/defaults", services::defaults::<S>)
        .get("/services/{id}", services::service::<S>)
        .get("/tenants", tenants::list::<S>)
        .get("/tenants/{id}", tenants::tenant::<S>)
        .get("/tenants/{id}/profile", tenants::profile_form::<S>)
        .post("/tenants/{id}/profile", tenants::profile_save::<S>)
        .get("/tenants/{id}/matrix", matrix::table::<S>)
        .get("/tenants/{id}/matrix/{control}", matrix::cell::<S>)
        .get(
            "/tenants/{id}/frameworks/{framework}",
            matrix::framework::<S>,
        )
        .get("/tenants/{id}/soa", matrix::soa::<S>)
        .get("/tenants/{id}/evidence", evidence::list::<S>)
        .get("/tenants/{id}/evidence/new", evidence::form::<S>)
        .get("/tenants/{id}/evidence/{evidence}", evidence::record::<S>)
        .merge(imports::routes::<S>())
        .merge(baseline::routes::<S>())
        .merge(findings::routes::<S>())
        .merge(engagements::routes::<S>())
        .merge(trust::routes::<S>())
}

/// Page routes that stream request bodies (evidence upload, import upload): no body limit beyond their own.
pub fn streaming_routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    evidence::upload_routes::<S>().merge(imports::upload_routes::<S>())
}

/// Why a page cannot be shown. Rendered as an HTML page with the matching status.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Unknown, foreign (outside the viewer's scope) or not permitted for the role: all look alike.
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    BadInput(String),
    /// No layer decided who is looking: a wiring mistake, never a reason to show the page.
    #[error("no one is signed in")]
    NoViewer,
    #[error(transparent)]
    Store(#[from] assure_store::StoreError),
    #[error(transparent)]
    Report(#[from] assure_reports::ReportError),
    #[error(transparent)]
    Matrix(#[from] assure_domain::matrix::MatrixError),
    #[error("the page could not be rendered: {0}")]
    Render(#[from] askama::Error),
    /// An error of the API code this page shares (the evidence upload path).
    #[error("{}", .0.detail)]
    Api(Problem),
}

impl PageError {
    fn status(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadInput(_) => StatusCode::BAD_REQUEST,
            Self::NoViewer => StatusCode::UNAUTHORIZED,
            Self::Store(assure_store::StoreError::NotFound(_)) => StatusCode::NOT_FOUND,
            Self::Api(p) => {
                StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Self::Store(_) | Self::Report(_) | Self::Matrix(_) | Self::Render(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

/// A page shown for an error: its own minimal layout (it cannot know the viewer's navigation).
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    css: String,
    status: u16,
    reason: String,
    detail: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = if status.is_server_error() {
            tracing::error!(error = %self, "page failed");
            "Something went wrong on our side; the server log has the details.".to_owned()
        } else if let Self::NotFound(_) = self {
            // One answer for unknown and foreign objects, so nothing about other tenants leaks.
            "There is nothing here, or you may not see it.".to_owned()
        } else {
            self.to_string()
        };
        let page = ErrorPage {
            css: assets::url("app.css"),
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("Error").to_owned(),
            detail,
        };
        match page.render() {
            Ok(body) => (status, Html(body)).into_response(),
            Err(_) => (status, page.reason).into_response(),
        }
    }
}

/// Renders a page template as an HTML response.
pub(crate) fn render(page: &impl Template) -> Result<Response, PageError> {
    Ok(Html(page.render()?).into_response())
}

/// One entry of the main navigation.
#[derive(Clone, Debug)]
pub(crate) struct NavLink {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// What the base layout shows around every page: who is looking and where they may go.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    /// Fully signed in: show the navigation, the account link and logout. False only on the account
    /// pages a caller reaches part-way through signing in (second factor or password change due).
    pub signed_in: bool,
    pub viewer_name: String,
    pub role: &'static str,
    pub nav: Vec<NavLink>,
    /// The page is one of the viewer's own account pages (the account link is the current one).
    pub account_current: bool,
    /// For the logout form in the header; empty for API-token callers, who get no logout form.
    pub csrf_token: String,
    /// Versioned URLs of the stylesheet and htmx.
    pub css: String,
    pub htmx: String,
}

impl Layout {
    /// The layout for `viewer`, with the navigation entry that starts `path` marked current. Only links the
    /// role may use are shown: catalogue pages need `ReadCatalogue`, tenant pages `ReadTenant`; a customer's
    /// tenant pages are linked directly.
    pub fn new(viewer: &Viewer, path: &str) -> Self {
        let mut links: Vec<(String, &'static str)> = Vec::new();
        if viewer.may(Action::ReadCatalogue) {
            links.push(("/".to_owned(), "Dashboard"));
            links.push(("/controls".to_owned(), "Controls"));
            links.push(("/frameworks".to_owned(), "Frameworks"));
            links.push(("/services".to_owned(), "Services"));
        }
        if viewer.may(Action::ReadTenant) {
            match &viewer.tenant {
                Some(t) => {
                    links.push((format!("/tenants/{t}"), "Our profile"));
                    links.push((format!("/tenants/{t}/matrix"), "Our matrix"));
                    links.push((format!("/tenants/{t}/evidence"), "Our evidence"));
                    links.push(("/notices".to_owned(), "Our notices"));
                }
                None => links.push(("/tenants".to_owned(), "Tenants")),
            }
        }
        if viewer.may(Action::ReadFinding) {
            links.push(("/findings".to_owned(), "Findings"));
        }
        if viewer.may(Action::ImportContent) {
            links.push(("/imports".to_owned(), "Imports"));
        }
        if viewer.may(Action::EditCatalogue) || viewer.may(Action::ApproveBaseline) {
            links.push(("/baseline".to_owned(), "Baseline"));
        }
        if viewer.may(Action::ReadEngagement) {
            links.push(("/engagements".to_owned(), "Engagements"));
        }
        if viewer.may(Action::ReadTrustCenter) {
            links.push(("/trust".to_owned(), "Trust center"));
        }
        // The longest link that prefixes the path is the current section ("/" only for the dashboard).
        let current = links
            .iter()
            .map(|(href, _)| href.clone())
            .filter(|href| {
                if href == "/" {
                    path == "/"
                } else {
                    path == href || path.starts_with(&format!("{href}/"))
                }
            })
            .max_by_key(String::len);
        Self {
            signed_in: true,
            account_current: path == "/account" || path.starts_with("/account/"),
            viewer_name: viewer.name.clone(),
            role: viewer.role.as_str(),
            nav: links
                .into_iter()
                .map(|(href, label)| NavLink {
                    current: current.as_ref() == Some(&href),
                    href,
                    label,
                })
                .collect(),
            csrf_token: viewer.csrf_token.clone(),
            css: assets::url("app.css"),
            htmx: assets::url("vendor/htmx.min.js"),
        }
    }

    /// The layout of an account page shown part-way through signing in (second factor or password
    /// change still due): no navigation and no viewer, since none of those pages may be used yet.
    pub fn signing_in() -> Self {
        Self {
            signed_in: false,
            viewer_name: String::new(),
            role: "",
            nav: Vec::new(),
            account_current: false,
            csrf_token: String::new(),
            css: assets::url("app.css"),
            htmx: assets::url("vendor/htmx.min.js"),
        }
    }
}

/// Pages of a list: which slice to show and links to the others.
#[derive(Clone, Debug)]
pub(crate) struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub first_shown: i64,
    pub last_shown: i64,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `base_query` is the query string without `page` (already encoded).
    pub fn new(page: i64, per_page: i64, total: i64, path: &str, base_query: &str) -> Self {
        let pages = ((total + per_page - 1) / per_page).max(1);
        let page = page.clamp(1, pages);
        let link = |p: i64| {
            if base_query.is_empty() {
                format!("{path}?page={p}")
            } else {
                format!("{path}?{base_query}&page={p}")
            }
        };
        let first_shown = if total == 0 {
            0
        } else {
            (page - 1) * per_page + 1
        };
        Self {
            page,
            pages,
            total,
            first_shown,
            last_shown: (page * per_page).min(total),
            previous: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }

    pub fn offset(&self, per_page: i64) -> i64 {
        (self.page - 1) * per_page
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A query string from name/value pairs, leaving out empty values.
pub(crate) fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// An option of a `<select>`, with whether it is the chosen one.
#[derive(Clone, Debug)]
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>, chosen: &str) -> Self {
        let value = value.into();
        Self {
            selected: value == chosen,
            label: label.into(),
            value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assure_domain::user::Role;
    use assure_store::TenantScope;

    fn viewer(role: Role, tenant: Option<&str>) -> Viewer {
        Viewer {
            user: "test@example.test".into(),
            name: "Test".into(),
            role,
            tenant: tenant.map(Into::into),
            scope: tenant.map_or(TenantScope::AllTenants, |t| TenantScope::Tenant(t.into())),
            csrf_token: "t".into(),
        }
    }

    #[test]
    fn a_customer_sees_its_own_tenant_links_and_no_tenant_list() {
        let layout = Layout::new(&viewer(Role::CustomerViewer, Some("northbank")), "/");
        let hrefs: Vec<&str> = layout.nav.iter().map(|l| l.href.as_str()).collect();
        assert!(hrefs.contains(&"/tenants/northbank/matrix"));
        assert!(!hrefs.contains(&"/tenants"));
    }

    #[test]
    fn the_current_section_is_the_longest_matching_link() {
        let layout = Layout::new(
            &viewer(Role::CustomerViewer, Some("northbank")),
            "/tenants/northbank/matrix/IAM-01",
        );
        let current: Vec<&str> = layout
            .nav
            .iter()
            .filter(|l| l.current)
            .map(|l| l.href.as_str())
            .collect();
        assert_eq!(current, vec!["/tenants/northbank/matrix"]);
    }

    #[test]
    fn pager_clamps_and_links_neighbours() {
        let p = Pager::new(9, 25, 110, "/controls", "q=mfa");
        assert_eq!(
            (p.page, p.pages, p.first_shown, p.last_shown),
            (5, 5, 101, 110)
        );
        assert_eq!(p.previous.as_deref(), Some("/controls?q=mfa&page=4"));
        assert_eq!(p.next, None);
        let empty = Pager::new(1, 25, 0, "/controls", "");
        assert_eq!(
            (empty.pages, empty.first_shown, empty.last_shown),
            (1, 0, 0)
        );
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            query_string(&[("q", "a b&c"), ("domain", "")]),
            "q=a%20b%26c"
        );
    }
}
