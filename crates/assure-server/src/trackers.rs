//! Inbound tracker webhooks: `POST /hooks/github` (signed with `X-Hub-Signature-256`, HMAC-SHA256 of the
//! body under the shared secret) and `POST /hooks/jira` (a shared secret in the `X-Assure-Webhook-Secret`
//! header, or the `secret` query parameter for Jira's classic webhooks, which send no headers of their
//! own). Both are public by exact path (`auth::is_public`): the signature or secret is the credential.
//!
//! A refused delivery (no, malformed or wrong signature or secret) answers 401 and is audited on the
//! provider's chain (`tracker-webhook.refused.REASON`) before anything is read from its body. A verified
//! issue event moves every open finding linked to the ticket as `tracker::step_for` decides: a closed
//! ticket implements the fix of a finding whose action is planned, and never closes it (closing needs a
//! passing regression validation). An endpoint without a configured secret answers 404.
//!
//! Architecture invariant: nothing a webhook carries is trusted before its signature or secret verifies.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use assure_domain::tracker::{TrackerEvent, github_event, jira_event, step_for};
use assure_domain::webhook::{
    GITHUB_SIGNATURE_HEADER, SignatureError, verify_github, verify_shared_secret,
};
use assure_store::{Actor, Store, TenantScope};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::AppState;
use crate::auth::now;
use crate::problem::Problem;
use crate::routing::Routes;

/// The path GitHub delivers to (public: the signature is the credential).
pub const GITHUB_PATH: &str = "/hooks/github";
/// The path Jira delivers to (public: the shared secret is the credential).
pub const JIRA_PATH: &str = "/hooks/jira";
/// The header carrying Jira's shared secret.
pub const JIRA_SECRET_HEADER: &str = "x-assure-webhook-secret";

/// The secrets inbound tracker webhooks are checked with; a tracker without one has no endpoint.
#[derive(Clone, Default)]
pub struct TrackerSecrets {
    /// The secret of the GitHub webhook (its "Secret" field).
    pub github: Option<String>,
    /// The shared secret Jira presents.
    pub jira: Option<String>,
}

impl fmt::Debug for TrackerSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |s: &Option<String>| if s.is_some() { "set" } else { "unset" };
        f.debug_struct("TrackerSecrets")
            .field("github", &set(&self.github))
            .field("jira", &set(&self.jira))
            .finish()
    }
}

pub fn routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new()
        .post(GITHUB_PATH, github::<S>)
        .post(JIRA_PATH, jira::<S>)
}

/// What a verified delivery did.
#[derive(Debug, Serialize)]
pub struct HookOutcome {
    /// The ticket the event was about, when it was an issue event.
    pub ticket: Option<String>,
    /// Findings moved (to fix-implemented).
    pub moved: Vec<String>,
    /// Open findings linked to the ticket that the event does not move.
    pub unchanged: Vec<String>,
    /// Why nothing was looked at (an event that is not about issues).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
}

fn reason(e: &SignatureError) -> &'static str {
    match e {
        SignatureError::Missing => "missing",
        SignatureError::Malformed => "malformed",
        SignatureError::Mismatch => "mismatch",
        SignatureError::WrongSecret => "wrong-secret",
        SignatureError::Stale => "stale",
        SignatureError::NoSecret => "no-secret",
    }
}

/// 401, after the refusal is in the audit trail (a failure to audit is logged; the answer stays 401).
async fn refuse<S: Store>(state: &AppState<S>, tracker: &str, e: &SignatureError) -> Response {
    let why = reason(e);
    tracing::warn!(tracker, reason = why, "refused an inbound tracker webhook");
    if let Err(audit) = state
        .store
        .record_tracker_refusal(&Actor(format!("webhook:{tracker}")), tracker, why)
        .await
    {
        tracing::error!(error = %audit, tracker, "could not audit a refused webhook");
    }
    Problem::new(
        StatusCode::UNAUTHORIZED,
        format!("the {tracker} webhook is refused: {e}"),
    )
    .into_response()
}

fn not_configured(tracker: &str) -> Response {
    Problem::not_found(&format!("a {tracker} webhook endpoint")).into_response()
}

/// Moves every open finding linked to the event's ticket as the tracker rules decide.
async fn apply<S: Store>(
    state: &AppState<S>,
    tracker: &str,
    event: &TrackerEvent,
) -> Result<HookOutcome, Problem> {
    let actor = Actor::system(&format!("tracker-{tracker}"));
    // A ticket links findings of any tenant; the webhook acts for the provider's integration.
    let scope = TenantScope::AllTenants;
    let mut outcome = HookOutcome {
        ticket: Some(event.ticket.reference()),
        moved: Vec::new(),
        unchanged: Vec::new(),
        ignored: None,
    };
    for f in state
        .store
        .findings_by_ticket(&scope, &event.ticket)
        .await?
    {
        match step_for(event, f.state) {
            Some(step) => {
                let moved = state
                    .store
                    .transition_finding(&scope, &actor, &f.id, &step, now())
                    .await?;
                outcome.moved.push(moved.id.to_string());
            }
            None => outcome.unchanged.push(f.id.to_string()),
        }
    }
    Ok(outcome)
}

fn unreadable(e: &assure_domain::tracker::TrackerError) -> Response {
    Problem {
        field: Some("body".into()),
        ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
    }
    .into_response()
}

/// `POST /hooks/github`: an `issues` event (a `ping` is answered; other events are ignored).
async fn github<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let Some(secret) = state.auth.trackers.github.as_deref() else {
        return not_configured("GitHub");
    };
    let signature = headers
        .get(GITHUB_SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    if let Err(e) = verify_github(secret.as_bytes(), signature, &bytes) {
        return refuse(&state, "github", &e).await;
    }
    let kind = headers
        .get("x-github-event")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if kind != "issues" {
        return Json(HookOutcome {
            ticket: None,
            moved: Vec::new(),
            unchanged: Vec::new(),
            ignored: Some(format!("a {kind:?} event is not about issues")),
        })
        .into_response();
    }
    match github_event(&bytes) {
        Ok(event) => match apply(&state, "github", &event).await {
            Ok(outcome) => Json(outcome).into_response(),
            Err(p) => p.into_response(),
        },
        Err(e) => unreadable(&e),
    }
}

/// `POST /hooks/jira`: an issue event; a status in the `done` category closes the ticket.
async fn jira<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    bytes: Bytes,
) -> Response {
    let Some(secret) = state.auth.trackers.jira.as_deref() else {
        return not_configured("Jira");
    };
    let presented = headers
        .get(JIRA_SECRET_HEADER)
        .and_then(|v| v.to_str().ok())
        .or(params.get("secret").map(String::as_str));
    if let Err(e) = verify_shared_secret(secret.as_bytes(), presented) {
        return refuse(&state, "jira", &e).await;
    }
    match jira_event(&bytes) {
        Ok(event) => match apply(&state, "jira", &event).await {
            Ok(outcome) => Json(outcome).into_response(),
            Err(p) => p.into_response(),
        },
        Err(e) => unreadable(&e),
    }
}
