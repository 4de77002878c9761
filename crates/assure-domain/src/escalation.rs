//! Escalation: reminders before a finding's deadline, then escalation along the governance path once it is
//! overdue, level by level, until oversight acknowledges.
//!
//! Architecture invariant: what is due is a pure function of the deadline, the policy and the instant
//! ([`alerts_due`]); the scheduler records each alert once (unique per finding, deadline and alert), so a
//! sweep repeated by a restart or run by a second node never raises one twice.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// A rung of the governance path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum EscalationLevel {
    CustomerSecurityContact,
    ProviderSecurityLead,
    OversightCommittee,
}

impl EscalationLevel {
    pub const ALL: [EscalationLevel; 3] = [
        Self::CustomerSecurityContact,
        Self::ProviderSecurityLead,
        Self::OversightCommittee,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CustomerSecurityContact => "customer-security-contact",
            Self::ProviderSecurityLead => "provider-security-lead",
            Self::OversightCommittee => "oversight-committee",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == value)
    }

    /// 1, 2, 3: the rung's height.
    pub fn rank(self) -> i64 {
        match self {
            Self::CustomerSecurityContact => 1,
            Self::ProviderSecurityLead => 2,
            Self::OversightCommittee => 3,
        }
    }

    /// Whether acknowledging the escalation is oversight's (the top rung).
    pub fn acknowledged_by_oversight(self) -> bool {
        matches!(self, Self::OversightCommittee)
    }
}

/// When reminders and escalations fire, relative to the deadline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EscalationPolicy {
    /// Remind the owner this long before the deadline (e.g. 7 days and 1 day).
    pub reminders_before: Vec<Duration>,
    /// Escalate to each level this long after the deadline, in order of the path.
    pub escalate_after: Vec<(EscalationLevel, Duration)>,
}

impl Default for EscalationPolicy {
    /// Remind 7 days and 1 day before; escalate at once to the customer's security contact, after 7 days to
    /// the provider's security lead, after 14 days to the oversight committee.
    fn default() -> Self {
        Self {
            reminders_before: vec![Duration::days(7), Duration::days(1)],
            escalate_after: vec![
                (EscalationLevel::CustomerSecurityContact, Duration::ZERO),
                (EscalationLevel::ProviderSecurityLead, Duration::days(7)),
                (EscalationLevel::OversightCommittee, Duration::days(14)),
            ],
        }
    }
}

/// One alert about one finding's deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Alert {
    /// The deadline approaches: notify the owner.
    Reminder { seconds_before: i64 },
    /// The deadline has passed: escalate to this level.
    Escalation { level: EscalationLevel },
}

impl Alert {
    /// A stable name for the alert, part of its uniqueness key (`reminder-604800s`,
    /// `escalation-provider-security-lead`).
    pub fn key(self) -> String {
        match self {
            Self::Reminder { seconds_before } => format!("reminder-{seconds_before}s"),
            Self::Escalation { level } => format!("escalation-{}", level.as_str()),
        }
    }
}

impl EscalationPolicy {
    /// The instant each alert fires for a deadline, earliest first. Provider-owned findings skip the
    /// customer's rung (no customer owns them).
    pub fn schedule(
        &self,
        due_at: OffsetDateTime,
        provider_owned: bool,
    ) -> Vec<(Alert, OffsetDateTime)> {
        let mut out: Vec<(Alert, OffsetDateTime)> = self
            .reminders_before
            .iter()
            .filter(|d| d.is_positive())
            .map(|d| {
                (
                    Alert::Reminder {
                        seconds_before: d.whole_seconds(),
                    },
                    due_at - *d,
                )
            })
            .chain(
                self.escalate_after
                    .iter()
                    .filter(|(level, _)| {
                        !(provider_owned && *level == EscalationLevel::CustomerSecurityContact)
                    })
                    .map(|(level, after)| (Alert::Escalation { level: *level }, due_at + *after)),
            )
            .collect();
        out.sort_by_key(|(alert, at)| (*at, *alert));
        out
    }

    /// The earliest instant after `after` at which some alert of this deadline fires, for the job's next run.
    pub fn next_fire(
        &self,
        due_at: OffsetDateTime,
        provider_owned: bool,
        after: OffsetDateTime,
    ) -> Option<OffsetDateTime> {
        self.schedule(due_at, provider_owned)
            .into_iter()
            .map(|(_, at)| at)
            .find(|at| *at > after)
    }
}

/// Every alert whose instant has come by `now` (the store keeps each only once).
pub fn alerts_due(
    policy: &EscalationPolicy,
    due_at: OffsetDateTime,
    provider_owned: bool,
    now: OffsetDateTime,
) -> Vec<Alert> {
    policy
        .schedule(due_at, provider_owned)
        .into_iter()
        .filter(|(_, at)| *at <= now)
        .map(|(alert, _)| alert)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const DUE: OffsetDateTime = datetime!(2026-04-01 00:00 UTC);

    #[test]
    fn reminders_come_before_the_deadline_and_escalations_after_level_by_level() {
        let p = EscalationPolicy::default();
        assert!(alerts_due(&p, DUE, false, DUE - Duration::days(8)).is_empty());
        assert_eq!(
            alerts_due(&p, DUE, false, DUE - Duration::days(7)),
            vec![Alert::Reminder {
                seconds_before: 604_800
            }]
        );
        assert_eq!(
            alerts_due(&p, DUE, false, DUE - Duration::hours(1)).len(),
            2
        );
        let at_due = alerts_due(&p, DUE, false, DUE);
        assert_eq!(
            at_due.last(),
            Some(&Alert::Escalation {
                level: EscalationLevel::CustomerSecurityContact
            })
        );
        let all = alerts_due(&p, DUE, false, DUE + Duration::days(30));
        let levels: Vec<_> = all
            .iter()
            .filter_map(|a| match a {
                Alert::Escalation { level } => Some(*level),
                Alert::Reminder { .. } => None,
            })
            .collect();
        assert_eq!(levels, EscalationLevel::ALL.to_vec());
    }

    #[test]
    fn provider_owned_findings_skip_the_customer_rung() {
        let p = EscalationPolicy::default();
        let all = alerts_due(&p, DUE, true, DUE + Duration::days(30));
        assert!(!all.contains(&Alert::Escalation {
            level: EscalationLevel::CustomerSecurityContact
        }));
        assert_eq!(all.len(), 4);
    }

    #[test]
    fn the_next_fire_is_the_earliest_alert_still_ahead() {
        let p = EscalationPolicy::default();
        assert_eq!(
            p.next_fire(DUE, false, DUE - Duration::days(30)),
            Some(DUE - Duration::days(7))
        );
        assert_eq!(p.next_fire(DUE, false, DUE), Some(DUE + Duration::days(7)));
        assert_eq!(p.next_fire(DUE, false, DUE + Duration::days(14)), None);
    }

    #[test]
    fn alert_keys_are_stable_and_distinct() {
        let keys: std::collections::BTreeSet<String> = EscalationPolicy::default()
            .schedule(DUE, false)
            .into_iter()
            .map(|(a, _)| a.key())
            .collect();
        assert_eq!(keys.len(), 5);
        assert!(keys.contains("escalation-oversight-committee"));
        assert!(EscalationLevel::OversightCommittee.acknowledged_by_oversight());
        for l in EscalationLevel::ALL {
            assert_eq!(EscalationLevel::parse(l.as_str()), Some(l));
        }
    }
}
