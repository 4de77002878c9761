//! Findings: weaknesses found by an assessor, an automated check or a person, each with a severity, a
//! deadline from its owner's remediation policy and a remediation record.
//!
//! Architecture invariant: one open finding per de-duplication key (test or check, resource, owner); a
//! re-detection of an open finding only moves its `last_seen_at` and count, never its deadline.
//!
//! Architecture invariant: a weakness in a provider-owned control belongs to the provider (its clock runs on
//! the provider's policy); customers whose matrix inherits the control see it only as an
//! [`InheritedException`], without the provider's internal detail.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::remediation::{Remediation, RemediationPolicy, RemediationState};
use crate::severity::{CvssError, Severity};
use crate::{ControlId, TenantId};

/// A finding's identifier.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct FindingId(String);

impl FindingId {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whose weakness it is, and so whose policy and audit chain it runs on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "tenant", rename_all = "kebab-case")]
pub enum FindingOwner {
    /// A customer's own weakness.
    Tenant(TenantId),
    /// A weakness in a provider-owned control, inherited by the customers whose matrix relies on it.
    Provider,
}

impl FindingOwner {
    pub fn tenant(&self) -> Option<&TenantId> {
        match self {
            Self::Tenant(t) => Some(t),
            Self::Provider => None,
        }
    }

    /// The key part naming the owner: `tenant:ID`, or `provider` (so no tenant ID can pose as the provider).
    pub fn key(&self) -> String {
        match self {
            Self::Tenant(t) => format!("tenant:{t}"),
            Self::Provider => "provider".to_owned(),
        }
    }
}

/// Where a finding came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FindingSource {
    /// An assessor's result in an engagement.
    AssessorResult {
        assessor: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        engagement: Option<String>,
    },
    /// An automated check failed (`test` is the check's ID).
    AutomatedCheck {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        run: Option<String>,
    },
    /// Raised by a person.
    Manual { author: String },
}

impl FindingSource {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::AssessorResult { .. } => "assessor-result",
            Self::AutomatedCheck { .. } => "automated-check",
            Self::Manual { .. } => "manual",
        }
    }
}

/// One detection of a weakness: what raises a finding, or refreshes the open one with the same key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Detection {
    pub owner: FindingOwner,
    /// The check or test procedure that found it.
    pub test: String,
    /// What it was found on (a resource ID, a system, a process).
    pub resource: String,
    pub title: String,
    /// Internal detail; never shown to customers of a provider-owned finding.
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub control: Option<ControlId>,
    /// Given severity; when absent it is derived from `cvss`.
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub cvss: Option<String>,
    #[serde(default)]
    pub cve: Option<String>,
    pub source: FindingSource,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The de-duplication key: (test or check, resource, owner).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DedupKey {
    pub owner: FindingOwner,
    pub test: String,
    pub resource: String,
}

impl DedupKey {
    /// The key as one text (stored in a unique index over open findings). Parts are length-prefixed, so no
    /// choice of names makes two keys collide.
    pub fn as_text(&self) -> String {
        let owner = self.owner.key();
        format!(
            "{}:{}|{}:{}|{}:{}",
            owner.len(),
            owner,
            self.test.len(),
            self.test,
            self.resource.len(),
            self.resource
        )
    }
}

/// Why a detection was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FindingError {
    #[error("{0} must not be empty")]
    Empty(&'static str),
    #[error("give a severity or a CVSS vector to derive it from")]
    NoSeverity,
    #[error(transparent)]
    Cvss(#[from] CvssError),
    #[error("{0:?} is not a CVE ID (CVE-YYYY-NNNN)")]
    BadCve(String),
}

impl Detection {
    pub fn key(&self) -> DedupKey {
        DedupKey {
            owner: self.owner.clone(),
            test: self.test.clone(),
            resource: self.resource.clone(),
        }
    }

    /// The severity to record: the given one, else the CVSS vector's; checks the detection's fields.
    pub fn severity(&self) -> Result<Severity, FindingError> {
        for (name, value) in [
            ("the test", &self.test),
            ("the resource", &self.resource),
            ("the title", &self.title),
        ] {
            if value.trim().is_empty() {
                return Err(FindingError::Empty(name));
            }
        }
        if let Some(cve) = &self.cve
            && !crate::kev::is_cve_id(&cve.trim().to_ascii_uppercase())
        {
            return Err(FindingError::BadCve(cve.clone()));
        }
        let derived = match &self.cvss {
            Some(v) => Some(Severity::from_cvss(v)?.severity),
            None => None,
        };
        self.severity.or(derived).ok_or(FindingError::NoSeverity)
    }
}

/// A finding as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    pub id: FindingId,
    pub owner: FindingOwner,
    pub test: String,
    pub resource: String,
    pub title: String,
    pub detail: String,
    pub control: Option<ControlId>,
    pub severity: Severity,
    pub cvss: Option<String>,
    pub cve: Option<String>,
    /// On the Known Exploited Vulnerabilities list when raised or re-triaged: the shortest clock.
    pub known_exploited: bool,
    pub source: FindingSource,
    pub state: RemediationState,
    pub remediation: Remediation,
    #[serde(with = "time::serde::rfc3339")]
    pub detected_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    /// How many detections this finding stands for.
    pub detections: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub due_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
}

impl Finding {
    /// A new finding from a first detection: severity from the detection, deadline from the owner's policy
    /// (shortest clock when the CVE is known exploited).
    pub fn raise(
        id: FindingId,
        detection: &Detection,
        policy: &RemediationPolicy,
        known_exploited: bool,
    ) -> Result<Self, FindingError> {
        let severity = detection.severity()?;
        Ok(Self {
            id,
            owner: detection.owner.clone(),
            test: detection.test.trim().to_owned(),
            resource: detection.resource.trim().to_owned(),
            title: detection.title.trim().to_owned(),
            detail: detection.detail.clone(),
            control: detection.control.clone(),
            severity,
            cvss: detection.cvss.as_ref().map(|v| v.trim().to_owned()),
            cve: detection
                .cve
                .as_ref()
                .map(|c| c.trim().to_ascii_uppercase()),
            known_exploited,
            source: detection.source.clone(),
            state: RemediationState::Open,
            remediation: Remediation::default(),
            detected_at: detection.at,
            last_seen_at: detection.at,
            detections: 1,
            due_at: policy.due_at(detection.at, severity, known_exploited),
            closed_at: None,
        })
    }

    pub fn key(&self) -> DedupKey {
        DedupKey {
            owner: self.owner.clone(),
            test: self.test.clone(),
            resource: self.resource.clone(),
        }
    }

    /// The finding after a re-detection at `at`: seen again, counted, and nothing else changed (not the
    /// severity, not the deadline, not the state).
    pub fn redetected(&self, at: OffsetDateTime) -> Self {
        let mut next = self.clone();
        next.last_seen_at = next.last_seen_at.max(at);
        next.detections += 1;
        next
    }

    /// Whether the deadline has passed at `now` while the clock runs.
    pub fn is_overdue(&self, now: OffsetDateTime) -> bool {
        self.state.clock_runs() && self.due_at.is_some_and(|due| due < now)
    }

    /// What a customer inheriting the control sees of a provider-owned finding.
    pub fn as_inherited_exception(&self, now: OffsetDateTime) -> InheritedException {
        InheritedException {
            id: self.id.clone(),
            control: self.control.clone(),
            title: self.title.clone(),
            severity: self.severity,
            state: self.state,
            detected_at: self.detected_at,
            due_at: self.due_at,
            overdue: self.is_overdue(now),
        }
    }
}

/// A provider-owned finding as a customer sees it: no detail, resource, test, source or remediation record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InheritedException {
    pub id: FindingId,
    pub control: Option<ControlId>,
    pub title: String,
    pub severity: Severity,
    pub state: RemediationState,
    #[serde(with = "time::serde::rfc3339")]
    pub detected_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub due_at: Option<OffsetDateTime>,
    pub overdue: bool,
}

/// The provider's open findings on controls a customer inherits (`inherited`: the controls its matrix
/// assigns to the provider, wholly or in part), redacted.
pub fn inherited_exceptions(
    findings: &[Finding],
    inherited: &BTreeSet<ControlId>,
    now: OffsetDateTime,
) -> Vec<InheritedException> {
    findings
        .iter()
        .filter(|f| f.owner == FindingOwner::Provider && f.state.is_open())
        .filter(|f| f.control.as_ref().is_some_and(|c| inherited.contains(c)))
        .map(|f| f.as_inherited_exception(now))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;
    use time::macros::datetime;

    const AT: OffsetDateTime = datetime!(2026-02-01 09:00 UTC);

    fn detection() -> Detection {
        Detection {
            owner: FindingOwner::Tenant(TenantId::new("acme")),
            test: "iam-root-mfa".into(),
            resource: "arn:aws:iam::1:root".into(),
            title: "Root account without MFA".into(),
            detail: "seen by check run 7".into(),
            control: Some(ControlId::new("IAM-02")),
            severity: None,
            cvss: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
            cve: None,
            source: FindingSource::AutomatedCheck { run: None },
            at: AT,
        }
    }

    #[test]
    fn a_finding_takes_its_severity_from_cvss_and_its_deadline_from_the_policy() {
        let f = Finding::raise(
            FindingId::new("F-1"),
            &detection(),
            &RemediationPolicy::PROVIDER_DEFAULT,
            false,
        )
        .expect("test value");
        assert_eq!(f.severity, Severity::Critical);
        assert_eq!(f.due_at, Some(AT + Duration::days(7)));
        assert_eq!(f.state, RemediationState::Open);
        let mut given = detection();
        given.severity = Some(Severity::Low);
        let f = Finding::raise(
            FindingId::new("F-2"),
            &given,
            &RemediationPolicy::PROVIDER_DEFAULT,
            true,
        )
        .expect("test value");
        assert_eq!(f.severity, Severity::Low);
        assert_eq!(
            f.due_at,
            Some(AT + Duration::days(7)),
            "known exploited: shortest clock"
        );
    }

    #[test]
    fn a_detection_needs_its_fields_and_a_severity() {
        let mut d = detection();
        d.cvss = None;
        assert_eq!(d.severity(), Err(FindingError::NoSeverity));
        d.cvss = Some("CVSS:3.1/nonsense".into());
        assert!(matches!(d.severity(), Err(FindingError::Cvss(_))));
        let mut d = detection();
        d.resource = " ".into();
        assert_eq!(d.severity(), Err(FindingError::Empty("the resource")));
        let mut d = detection();
        d.cve = Some("CVE-1".into());
        assert!(matches!(d.severity(), Err(FindingError::BadCve(_))));
    }

    #[test]
    fn a_redetection_moves_last_seen_only() {
        let f = Finding::raise(
            FindingId::new("F-1"),
            &detection(),
            &RemediationPolicy::PROVIDER_DEFAULT,
            false,
        )
        .expect("test value");
        let later = AT + Duration::days(3);
        let again = f.redetected(later);
        assert_eq!(again.last_seen_at, later);
        assert_eq!(again.detections, 2);
        assert_eq!(again.due_at, f.due_at);
        assert_eq!(again.detected_at, f.detected_at);
        assert_eq!(again.severity, f.severity);
        // An older detection arriving late does not move last seen backwards.
        assert_eq!(again.redetected(AT).last_seen_at, later);
    }

    #[test]
    fn dedup_keys_cannot_collide_by_choice_of_names() {
        let a = DedupKey {
            owner: FindingOwner::Provider,
            test: "a|b".into(),
            resource: "c".into(),
        };
        let b = DedupKey {
            owner: FindingOwner::Provider,
            test: "a".into(),
            resource: "b|c".into(),
        };
        assert_ne!(a.as_text(), b.as_text());
        let t = DedupKey {
            owner: FindingOwner::Tenant(TenantId::new("provider")),
            ..a.clone()
        };
        assert_ne!(
            t.as_text(),
            a.as_text(),
            "a tenant named provider is not the provider"
        );
        assert_eq!(detection().key(), detection().key());
    }

    #[test]
    fn customers_see_provider_findings_on_inherited_controls_redacted() {
        let mut d = detection();
        d.owner = FindingOwner::Provider;
        d.detail = "internal: hypervisor host hv-17 unpatched".into();
        let provider = Finding::raise(
            FindingId::new("P-1"),
            &d,
            &RemediationPolicy::PROVIDER_DEFAULT,
            false,
        )
        .expect("test value");
        let own = Finding::raise(
            FindingId::new("T-1"),
            &detection(),
            &RemediationPolicy::PROVIDER_DEFAULT,
            false,
        )
        .expect("test value");
        let mut closed = provider.clone();
        closed.id = FindingId::new("P-2");
        closed.state = RemediationState::Closed;
        let all = [provider.clone(), own, closed];
        let inherited: BTreeSet<ControlId> = [ControlId::new("IAM-02")].into();
        let now = AT + Duration::days(8);
        let seen = inherited_exceptions(&all, &inherited, now);
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].id, FindingId::new("P-1"));
        assert!(seen[0].overdue);
        let json = serde_json::to_string(&seen[0]).expect("test value");
        assert!(!json.contains("hv-17"), "{json}");
        assert!(!json.contains("arn:aws"), "{json}");
        assert!(inherited_exceptions(&all, &BTreeSet::new(), now).is_empty());
    }
}
