//! Tracker sync: what an inbound GitHub or Jira webhook (already verified, see `webhook`) means for the
//! finding linked to its ticket.
//!
//! Architecture invariant: a tracker moves a finding at most to `fix-implemented`, never to `closed`:
//! closing needs a passing regression validation, which no ticket can stand in for.

use serde::Deserialize;

use crate::remediation::{RemediationState, Step, StepKind, Ticket};

/// What happened to a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketChange {
    Closed,
    Reopened,
    /// Anything else (comments, labels, edits): ignored.
    Other,
}

/// A tracker event, reduced to the ticket and what happened to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackerEvent {
    pub ticket: Ticket,
    pub change: TicketChange,
}

/// Why a payload could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TrackerError {
    #[error("the payload is not a {tracker} issue event: {detail}")]
    Unreadable {
        tracker: &'static str,
        detail: String,
    },
    #[error(transparent)]
    Ticket(#[from] crate::remediation::TicketError),
}

#[derive(Deserialize)]
struct GithubPayload {
    action: String,
    issue: GithubIssue,
}

#[derive(Deserialize)]
struct GithubIssue {
    html_url: String,
}

/// Reads a GitHub `issues` event payload.
pub fn github_event(body: &[u8]) -> Result<TrackerEvent, TrackerError> {
    let p: GithubPayload = serde_json::from_slice(body).map_err(|e| TrackerError::Unreadable {
        tracker: "GitHub",
        detail: e.to_string(),
    })?;
    let ticket = Ticket::parse(&p.issue.html_url)?;
    let change = match p.action.as_str() {
        "closed" => TicketChange::Closed,
        "reopened" => TicketChange::Reopened,
        _ => TicketChange::Other,
    };
    Ok(TrackerEvent { ticket, change })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JiraPayload {
    #[serde(default)]
    webhook_event: String,
    issue: JiraIssue,
}

#[derive(Deserialize)]
struct JiraIssue {
    key: String,
    #[serde(default)]
    fields: Option<JiraFields>,
}

#[derive(Deserialize)]
struct JiraFields {
    #[serde(default)]
    status: Option<JiraStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JiraStatus {
    #[serde(default)]
    status_category: Option<JiraCategory>,
}

#[derive(Deserialize)]
struct JiraCategory {
    key: String,
}

/// Reads a Jira issue webhook payload: an issue whose status category is `done` is closed.
pub fn jira_event(body: &[u8]) -> Result<TrackerEvent, TrackerError> {
    let p: JiraPayload = serde_json::from_slice(body).map_err(|e| TrackerError::Unreadable {
        tracker: "Jira",
        detail: e.to_string(),
    })?;
    let ticket = Ticket::parse(&p.issue.key)?;
    let category = p
        .issue
        .fields
        .and_then(|f| f.status)
        .and_then(|s| s.status_category)
        .map(|c| c.key);
    let change = match (p.webhook_event.as_str(), category.as_deref()) {
        ("jira:issue_updated" | "jira:issue_created", Some("done")) => TicketChange::Closed,
        ("jira:issue_updated", Some("new" | "indeterminate")) => TicketChange::Reopened,
        _ => TicketChange::Other,
    };
    Ok(TrackerEvent { ticket, change })
}

/// The step a tracker event asks of a finding in `state`, if any: a closed ticket implements the fix of a
/// finding whose action is planned; nothing else moves (a reopened ticket is shown, not acted on).
pub fn step_for(event: &TrackerEvent, state: RemediationState) -> Option<Step> {
    match event.change {
        TicketChange::Closed if StepKind::allowed_from(state).contains(&StepKind::ImplementFix) => {
            Some(Step::ImplementFix {
                note: format!("ticket {} closed", event.ticket.reference()),
            })
        }
        TicketChange::Closed | TicketChange::Reopened | TicketChange::Other => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed from a recorded GitHub `issues` delivery.
    const GITHUB_CLOSED: &str = r#"{
      "action": "closed",
      "issue": {"url": "https://api.github.com/repos/acme/infra/issues/17",
                "html_url": "https://github.com/acme/infra/issues/17", "number": 17,
                "title": "Enforce MFA", "state": "closed"},
      "repository": {"full_name": "acme/infra"},
      "sender": {"login": "octocat"}
    }"#;

    /// Trimmed from a recorded Jira `jira:issue_updated` delivery.
    const JIRA_DONE: &str = r#"{
      "timestamp": 1767225600000,
      "webhookEvent": "jira:issue_updated",
      "issue_event_type_name": "issue_generic",
      "issue": {"id": "10002", "key": "SEC-12",
                "fields": {"status": {"name": "Done", "statusCategory": {"id": 3, "key": "done", "name": "Done"}}}},
      "changelog": {"items": [{"field": "status", "fromString": "In Progress", "toString": "Done"}]}
    }"#;

    #[test]
    fn a_closed_github_issue_implements_the_fix_and_never_closes() {
        let e = github_event(GITHUB_CLOSED.as_bytes()).expect("test value");
        assert_eq!(e.change, TicketChange::Closed);
        assert_eq!(
            e.ticket,
            Ticket::parse("https://github.com/acme/infra/issues/17").expect("test value")
        );
        for state in RemediationState::ALL {
            let step = step_for(&e, state);
            if state == RemediationState::ActionPlanned {
                assert!(matches!(step, Some(Step::ImplementFix { .. })));
            } else {
                assert_eq!(step, None, "{}", state.as_str());
            }
        }
    }

    #[test]
    fn a_done_jira_issue_implements_the_fix() {
        let e = jira_event(JIRA_DONE.as_bytes()).expect("test value");
        assert_eq!(
            e.ticket,
            Ticket::Jira {
                key: "SEC-12".into()
            }
        );
        assert_eq!(e.change, TicketChange::Closed);
        assert!(step_for(&e, RemediationState::ActionPlanned).is_some());
        let reopened = JIRA_DONE.replace(r#""key": "done""#, r#""key": "indeterminate""#);
        let e = jira_event(reopened.as_bytes()).expect("test value");
        assert_eq!(e.change, TicketChange::Reopened);
        assert_eq!(step_for(&e, RemediationState::ActionPlanned), None);
    }

    #[test]
    fn other_events_and_unreadable_payloads() {
        let labelled = GITHUB_CLOSED.replace(r#""action": "closed""#, r#""action": "labeled""#);
        assert_eq!(
            github_event(labelled.as_bytes())
                .expect("test value")
                .change,
            TicketChange::Other
        );
        assert!(matches!(
            github_event(b"{}"),
            Err(TrackerError::Unreadable { .. })
        ));
        let pr = GITHUB_CLOSED.replace("infra/issues/17", "infra/pull/17");
        assert!(matches!(
            github_event(pr.as_bytes()),
            Err(TrackerError::Ticket(_))
        ));
        assert!(matches!(
            jira_event(b"[]"),
            Err(TrackerError::Unreadable { .. })
        ));
    }
}
