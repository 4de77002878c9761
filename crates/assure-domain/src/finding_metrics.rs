//! Remediation metrics the dashboard draws: a burn-down of open findings over time and the ageing of open
//! findings by severity. Pure functions of the findings a viewer may see and an instant, so the charts
//! and their data tables are the same numbers and tests need no clock.

use std::collections::BTreeSet;

use time::{Duration, OffsetDateTime};

use crate::ControlId;
use crate::finding::Finding;
use crate::matrix::Matrix;
use crate::responsibility::Responsibility;
use crate::severity::Severity;

/// How many findings were open at the end of one period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BurnDownPoint {
    pub at: OffsetDateTime,
    pub open: usize,
}

/// Whether `f` was open at `t`: detected by then and not closed by then.
fn open_at(f: &Finding, t: OffsetDateTime) -> bool {
    f.detected_at <= t && f.closed_at.is_none_or(|closed| closed > t)
}

/// Open findings at the end of each of `periods` periods of length `step`, the last ending at `now`,
/// oldest first. A finding counts from its detection until its closing (risk-accepted ones still count:
/// the weakness is still there).
pub fn burn_down(
    findings: &[Finding],
    now: OffsetDateTime,
    periods: usize,
    step: Duration,
) -> Vec<BurnDownPoint> {
    (0..periods)
        .rev()
        .map(|k| {
            let back = i32::try_from(k).unwrap_or(i32::MAX);
            let at = now - step * back;
            BurnDownPoint {
                at,
                open: findings.iter().filter(|f| open_at(f, at)).count(),
            }
        })
        .collect()
}

/// The age bands of [`ageing`], youngest first: the label and the largest age in days (none for the last).
pub const AGE_BANDS: [(&str, Option<i64>); 4] = [
    ("0-30 days", Some(30)),
    ("31-90 days", Some(90)),
    ("91-180 days", Some(180)),
    ("over 180 days", None),
];

/// Open findings of one severity by age band (see [`AGE_BANDS`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ageing {
    pub severity: Severity,
    pub bands: [usize; 4],
}

/// For every severity, worst first, how long its open findings have been open at `now` (from detection).
pub fn ageing(findings: &[Finding], now: OffsetDateTime) -> Vec<Ageing> {
    Severity::ALL
        .into_iter()
        .map(|severity| {
            let mut bands = [0; 4];
            for f in findings
                .iter()
                .filter(|f| f.severity == severity && open_at(f, now))
            {
                let days = (now - f.detected_at).whole_days();
                let band = AGE_BANDS
                    .iter()
                    .position(|(_, max)| max.is_none_or(|m| days <= m))
                    .unwrap_or(AGE_BANDS.len() - 1);
                bands[band] += 1;
            }
            Ageing { severity, bands }
        })
        .collect()
}

/// The controls a customer inherits from the provider, wholly or in part (provider and shared rows of its
/// matrix): the controls on which the provider's findings are shown to it as inherited exceptions.
pub fn inherited_controls(matrix: &Matrix) -> BTreeSet<ControlId> {
    matrix
        .rows
        .iter()
        .filter(|r| {
            matches!(
                r.responsibility,
                Responsibility::Provider | Responsibility::Shared
            )
        })
        .map(|r| r.control.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TenantId;
    use crate::finding::{Detection, FindingId, FindingOwner, FindingSource};
    use crate::remediation::{RemediationPolicy, RemediationState};
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-06-01 00:00 UTC);

    fn finding(
        id: &str,
        severity: Severity,
        days_ago: i64,
        closed_days_ago: Option<i64>,
    ) -> Finding {
        let detection = Detection {
            owner: FindingOwner::Tenant(TenantId::new("acme")),
            test: id.into(),
            resource: "r".into(),
            title: "t".into(),
            detail: String::new(),
            control: None,
            severity: Some(severity),
            cvss: None,
            cve: None,
            source: FindingSource::Manual { author: "a".into() },
            at: NOW - Duration::days(days_ago),
        };
        let mut f = Finding::raise(
            FindingId::new(id),
            &detection,
            &RemediationPolicy::PROVIDER_DEFAULT,
            false,
        )
        .expect("test value");
        if let Some(c) = closed_days_ago {
            f.state = RemediationState::Closed;
            f.closed_at = Some(NOW - Duration::days(c));
        }
        f
    }

    #[test]
    fn the_burn_down_counts_what_was_open_at_each_period_end() {
        let all = [
            finding("a", Severity::High, 20, Some(3)),
            finding("b", Severity::Low, 10, None),
            finding("c", Severity::Low, 2, None),
        ];
        let points = burn_down(&all, NOW, 4, Duration::weeks(1));
        let counts: Vec<usize> = points.iter().map(|p| p.open).collect();
        // 21 days ago: nothing; 14: a; 7: a, b; now: b, c (a closed 3 days ago).
        assert_eq!(counts, vec![0, 1, 2, 2]);
        assert_eq!(points[3].at, NOW);
        assert_eq!(points[0].at, NOW - Duration::weeks(3));
    }

    #[test]
    fn ageing_bands_open_findings_by_severity() {
        let all = [
            finding("a", Severity::Critical, 30, None),
            finding("b", Severity::Critical, 31, None),
            finding("c", Severity::Critical, 400, None),
            finding("d", Severity::Critical, 400, Some(1)),
            finding("e", Severity::Low, 100, None),
        ];
        let rows = ageing(&all, NOW);
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[0].severity, Severity::Critical);
        assert_eq!(rows[0].bands, [1, 1, 0, 1]);
        assert_eq!(rows[3].severity, Severity::Low);
        assert_eq!(rows[3].bands, [0, 0, 1, 0]);
        assert_eq!(rows[1].bands, [0; 4]);
    }
}
