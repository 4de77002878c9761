//! Repeatable cycles: rolling an engagement forward to the next period without starting over. The scope is
//! copied, evidence still valid is reused, expired or out-of-period evidence is flagged, and controls a
//! baseline version changed since are flagged for retest. A provider-side test of an inherited control is
//! done once and reused by every engagement that inherits the control.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::Date;

use crate::engagement::{
    Engagement, EngagementError, EngagementPeriod, EngagementState, ScopedControl,
};
use crate::evidence::{EvidenceId, EvidenceRecord};
use crate::testing::{
    ControlTest, DraftFinding, TestError, TestMethod, TestResult, check_against_period,
};
use crate::{BaselineVersionId, ControlId, EngagementId};
use time::OffsetDateTime;

/// The period after `period`: as long, starting the day after it ends. A point in time moves by a year.
pub fn next_period(period: &EngagementPeriod) -> EngagementPeriod {
    match *period {
        EngagementPeriod::PointInTime { as_of } => EngagementPeriod::PointInTime {
            as_of: as_of
                .replace_year(as_of.year() + 1)
                .unwrap_or(as_of + time::Duration::days(365)),
        },
        EngagementPeriod::Period { start, end } => {
            let next_start = end.next_day().unwrap_or(end);
            EngagementPeriod::Period {
                start: next_start,
                end: next_start + (end - start),
            }
        }
    }
}

/// Why a piece of evidence cannot be reused as it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum EvidenceIssue {
    /// It expires before the next period ends.
    Expired {
        #[serde(with = "iso_date")]
        expires_on: Date,
    },
    /// It speaks for a period that does not overlap the next one.
    OutOfPeriod {
        #[serde(with = "iso_date")]
        period_end: Date,
    },
}

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// Evidence of the previous period, judged for the next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CarriedEvidence {
    pub evidence: EvidenceId,
    /// `None`: reused as it is.
    pub issue: Option<EvidenceIssue>,
}

/// A control to retest because a baseline version published since changed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Retest {
    pub control: ControlId,
    pub version: BaselineVersionId,
}

/// What rolling forward carries into the next period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RollForward {
    pub period: EngagementPeriod,
    pub evidence: Vec<CarriedEvidence>,
    pub retest: Vec<Retest>,
}

impl RollForward {
    pub fn reused(&self) -> impl Iterator<Item = &EvidenceId> {
        self.evidence
            .iter()
            .filter(|e| e.issue.is_none())
            .map(|e| &e.evidence)
    }

    pub fn flagged(&self) -> impl Iterator<Item = &CarriedEvidence> {
        self.evidence.iter().filter(|e| e.issue.is_some())
    }
}

/// Judges one piece of evidence for `period`: expired when it expires before the period ends;
/// out of period when it speaks for a period that ends before this one starts.
pub fn judge(record: &EvidenceRecord, period: &EngagementPeriod) -> Option<EvidenceIssue> {
    if let Some(expires_on) = record.expires_on.filter(|e| *e < period.end()) {
        return Some(EvidenceIssue::Expired { expires_on });
    }
    record
        .period
        .filter(|p| p.end < period.start())
        .map(|p| EvidenceIssue::OutOfPeriod { period_end: p.end })
}

/// Rolls a signed engagement forward. `evidence` are the records the previous engagement referenced
/// (answers and tests); `changed` the controls each baseline version published since the previous
/// engagement began changed, oldest first (the newest version that changed a control is named);
/// `in_scope` the controls of the new scope.
pub fn roll_forward(
    previous: &Engagement,
    evidence: &[EvidenceRecord],
    changed: &[(BaselineVersionId, BTreeSet<ControlId>)],
    in_scope: &[ScopedControl],
) -> Result<RollForward, EngagementError> {
    if previous.state != EngagementState::Signed {
        return Err(EngagementError::Closed {
            state: previous.state.as_str(),
            what: "rolling forward (only a signed engagement rolls forward)",
        });
    }
    let period = next_period(&previous.scope.period);
    let mut seen = BTreeSet::new();
    let evidence = evidence
        .iter()
        .filter(|r| seen.insert(r.id.clone()))
        .map(|r| CarriedEvidence {
            evidence: r.id.clone(),
            issue: judge(r, &period),
        })
        .collect();
    let mut newest: BTreeMap<&ControlId, &BaselineVersionId> = BTreeMap::new();
    for (version, controls) in changed {
        for c in controls {
            newest.insert(c, version);
        }
    }
    let retest = in_scope
        .iter()
        .filter_map(|c| {
            newest.get(&c.control).map(|v| Retest {
                control: c.control.clone(),
                version: (*v).clone(),
            })
        })
        .collect();
    Ok(RollForward {
        period,
        evidence,
        retest,
    })
}

/// A provider-side test of an inherited control, done once for a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderTest {
    pub period: EngagementPeriod,
    pub test: ControlTest,
}

impl ProviderTest {
    /// The provider's own assessment a test is filed under: one per period, so a test is stored once per
    /// control and period however many customers reuse it.
    pub fn assessment(period: &EngagementPeriod) -> EngagementId {
        match period {
            EngagementPeriod::PointInTime { as_of } => {
                EngagementId::new(format!("provider-{as_of}"))
            }
            EngagementPeriod::Period { start, end } => {
                EngagementId::new(format!("provider-{start}-{end}"))
            }
        }
    }
}

/// Checks a provider test: the control must be provider-owned for some service (`inherited`), the test
/// follows its period's rules (`testing::check_against_period`) and cites no customer evidence. Returns
/// the finding an ineffective result drafts: the provider's, seen by every customer that inherits it.
pub fn check_provider_test(
    test: &ProviderTest,
    inherited: bool,
) -> Result<Option<DraftFinding>, TestError> {
    if test.period.checked().is_none() {
        return Err(TestError::PeriodReversed);
    }
    if !inherited {
        return Err(TestError::NotInherited(test.test.control.clone()));
    }
    if let Some(e) = test.test.evidence.first() {
        return Err(TestError::CustomerEvidence(e.clone()));
    }
    check_against_period(
        &test.period,
        &test.test,
        &ProviderTest::assessment(&test.period),
    )
}

/// What a customer sees of a provider test it reuses: the result, method, period and sample size, without
/// the provider's notes, tester or internal evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InheritedResult {
    pub control: ControlId,
    pub period: EngagementPeriod,
    pub method: TestMethod,
    pub result: TestResult,
    /// Items sampled (period tests).
    pub sample_size: Option<u64>,
    /// Sampled items where the control did not operate.
    pub deviations: usize,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
}

impl InheritedResult {
    pub fn of(control: ControlId, test: &ProviderTest) -> Self {
        Self {
            control,
            period: test.period,
            method: test.test.method,
            result: test.test.result,
            sample_size: test.test.sample.as_ref().map(|s| s.size),
            deviations: test.test.sample.as_ref().map_or(0, |s| s.deviations.len()),
            recorded_at: test.test.recorded_at,
        }
    }
}

/// For each inherited control in scope, the provider test whose period covers the engagement's (the
/// latest such when there are several): what the engagement reuses instead of testing again.
pub fn inherited_results<'a>(
    engagement: &Engagement,
    in_scope: &[ScopedControl],
    provider_tests: &'a [ProviderTest],
) -> Vec<(ControlId, &'a ProviderTest)> {
    let period = engagement.scope.period;
    in_scope
        .iter()
        .filter(|c| c.inherited())
        .filter_map(|c| {
            provider_tests
                .iter()
                .filter(|t| {
                    t.test.control == c.control
                        && t.period.start() <= period.start()
                        && t.period.end() >= period.end()
                })
                .max_by_key(|t| t.period.end())
                .map(|t| (c.control.clone(), t))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engagement::Scope;
    use crate::evidence::{Digest, EvidenceKind, EvidenceSource, Period};
    use crate::responsibility::Responsibility;
    use crate::tenant::AssuranceTier;
    use crate::testing::{TestMethod, TestResult};
    use time::macros::{date, datetime};

    const YEAR: EngagementPeriod = EngagementPeriod::Period {
        start: date!(2025 - 01 - 01),
        end: date!(2025 - 12 - 31),
    };

    fn signed(period: EngagementPeriod) -> Engagement {
        Engagement {
            id: "e-2025".into(),
            tenant: "t".into(),
            tier: AssuranceTier::ThirdPartyAssessment,
            scope: Scope {
                services: vec!["vm".into()],
                regions: vec!["uk-south".into()],
                frameworks: vec![],
                period,
            },
            state: EngagementState::Signed,
            assessor_firm: None,
            assessors: vec![],
            previous: None,
            signed_by: None,
            signed_at: None,
            created_at: datetime!(2025-01-01 0:00 UTC),
            carried_over: None,
        }
    }

    fn record(id: &str, expires_on: Option<Date>, period: Option<Period>) -> EvidenceRecord {
        EvidenceRecord {
            id: EvidenceId::new(id),
            tenant: "t".into(),
            kind: EvidenceKind::Policy,
            title: id.into(),
            digest: Digest::from_bytes([0; 32]),
            size: 1,
            media_type: "text/plain".into(),
            file_name: None,
            collected_at: datetime!(2025-06-01 0:00 UTC),
            uploaded_at: datetime!(2025-06-01 0:00 UTC),
            period,
            expires_on,
            source: EvidenceSource::ManualUpload,
            links: vec![],
            uploader: "u".into(),
            supersedes: None,
            lineage: EvidenceId::new(id),
            version: 1,
            flags: vec![],
        }
    }

    fn scoped(control: &str, responsibility: Responsibility) -> ScopedControl {
        ScopedControl {
            control: control.into(),
            title: control.into(),
            responsibility,
            customer_part: String::new(),
        }
    }

    #[test]
    fn the_next_period_is_as_long_and_follows_on() {
        assert_eq!(
            next_period(&YEAR),
            EngagementPeriod::Period {
                start: date!(2026 - 01 - 01),
                end: date!(2026 - 12 - 31),
            }
        );
        assert_eq!(
            next_period(&EngagementPeriod::PointInTime {
                as_of: date!(2025 - 03 - 31)
            }),
            EngagementPeriod::PointInTime {
                as_of: date!(2026 - 03 - 31)
            }
        );
    }

    #[test]
    fn rolling_forward_reuses_valid_evidence_and_flags_the_rest_and_changed_controls() {
        let evidence = [
            record("policy", None, None),
            record("cert", Some(date!(2026 - 06 - 30)), None),
            record("cert-long", Some(date!(2027 - 06 - 30)), None),
            record(
                "logs-2025",
                None,
                Some(Period {
                    start: date!(2025 - 01 - 01),
                    end: date!(2025 - 12 - 31),
                }),
            ),
            record("policy", None, None),
        ];
        let changed = [
            ("2".into(), BTreeSet::from([ControlId::from("IAM-01")])),
            (
                "3".into(),
                BTreeSet::from([ControlId::from("IAM-01"), ControlId::from("NET-09")]),
            ),
        ];
        let scope = [
            scoped("IAM-01", Responsibility::Customer),
            scoped("CRY-01", Responsibility::Shared),
        ];
        let r = roll_forward(&signed(YEAR), &evidence, &changed, &scope).expect("rolls");
        assert_eq!(r.period, next_period(&YEAR));
        let reused: Vec<&str> = r.reused().map(EvidenceId::as_str).collect();
        assert_eq!(reused, ["policy", "cert-long"]);
        let flagged: Vec<(&str, &EvidenceIssue)> = r
            .flagged()
            .filter_map(|c| c.issue.as_ref().map(|i| (c.evidence.as_str(), i)))
            .collect();
        assert_eq!(
            flagged,
            [
                (
                    "cert",
                    &EvidenceIssue::Expired {
                        expires_on: date!(2026 - 06 - 30)
                    }
                ),
                (
                    "logs-2025",
                    &EvidenceIssue::OutOfPeriod {
                        period_end: date!(2025 - 12 - 31)
                    }
                ),
            ]
        );
        assert_eq!(
            r.retest,
            vec![Retest {
                control: "IAM-01".into(),
                version: "3".into()
            }],
            "NET-09 is out of scope; the newest version is named"
        );
    }

    #[test]
    fn only_a_signed_engagement_rolls_forward() {
        let mut e = signed(YEAR);
        e.state = EngagementState::Reporting;
        assert!(matches!(
            roll_forward(&e, &[], &[], &[]),
            Err(EngagementError::Closed { .. })
        ));
    }

    #[test]
    fn a_provider_test_of_an_inherited_control_is_reused_by_every_engagement_inheriting_it() {
        let provider_test = ProviderTest {
            period: EngagementPeriod::Period {
                start: date!(2025 - 01 - 01),
                end: date!(2026 - 12 - 31),
            },
            test: ControlTest {
                engagement: "provider-2025".into(),
                control: "PHY-01".into(),
                method: TestMethod::Observation,
                sample: None,
                result: TestResult::Effective,
                notes: String::new(),
                evidence: vec![],
                tester: "lead@p".into(),
                recorded_at: datetime!(2025-02-01 0:00 UTC),
            },
        };
        let tests = [provider_test];
        let scope = [
            scoped("PHY-01", Responsibility::Provider),
            scoped("IAM-01", Responsibility::Customer),
        ];
        for (tenant, period) in [("a", YEAR), ("b", next_period(&YEAR))] {
            let mut e = signed(period);
            e.tenant = tenant.into();
            let reused = inherited_results(&e, &scope, &tests);
            assert_eq!(reused.len(), 1, "{tenant}");
            assert_eq!(reused[0].0, ControlId::from("PHY-01"));
        }
        let later = signed(next_period(&next_period(&YEAR)));
        assert!(inherited_results(&later, &scope, &tests).is_empty());
    }

    fn provider_year_test(result: TestResult, deviations: Vec<u64>) -> ProviderTest {
        let period = EngagementPeriod::Period {
            start: date!(2025 - 01 - 01),
            end: date!(2025 - 12 - 31),
        };
        let items = crate::testing::draw_sample(250, 25, "seed-phy").expect("draws");
        let deviations = deviations.into_iter().map(|i| items[i as usize]).collect();
        ProviderTest {
            period,
            test: ControlTest {
                engagement: ProviderTest::assessment(&period),
                control: "PHY-01".into(),
                method: TestMethod::Inspection,
                sample: Some(crate::testing::Sample {
                    population: 250,
                    population_description: "badge-access days".into(),
                    size: 25,
                    seed: "seed-phy".into(),
                    items,
                    deviations,
                }),
                result,
                notes: "badge logs of site 3".into(),
                evidence: vec![],
                tester: "lead@p".into(),
                recorded_at: datetime!(2025-12-15 0:00 UTC),
            },
        }
    }

    #[test]
    fn a_provider_test_follows_the_period_rules_and_only_for_inherited_controls() {
        let ok = provider_year_test(TestResult::Effective, vec![]);
        assert_eq!(check_provider_test(&ok, true), Ok(None));
        assert_eq!(
            ok.test.engagement.as_str(),
            "provider-2025-01-01-2025-12-31"
        );
        assert_eq!(
            check_provider_test(&ok, false),
            Err(TestError::NotInherited("PHY-01".into()))
        );
        let mut reversed = ok.clone();
        reversed.period = EngagementPeriod::Period {
            start: date!(2025 - 12 - 31),
            end: date!(2025 - 01 - 01),
        };
        assert_eq!(
            check_provider_test(&reversed, true),
            Err(TestError::PeriodReversed)
        );
        assert!(matches!(
            crate::testing::draw_sample(u64::MAX, u64::MAX / 2, "s"),
            Err(crate::testing::SampleError::TooMany { .. })
        ));
        let mut cited = ok.clone();
        cited.test.evidence = vec![EvidenceId::new("ev-1")];
        assert_eq!(
            check_provider_test(&cited, true),
            Err(TestError::CustomerEvidence(EvidenceId::new("ev-1")))
        );
        let mut unsampled = ok.clone();
        unsampled.test.sample = None;
        assert!(matches!(
            check_provider_test(&unsampled, true),
            Err(TestError::SampleRequired { .. })
        ));
        let bad = provider_year_test(TestResult::Ineffective, vec![0, 1, 2, 3, 4, 5]);
        let draft = check_provider_test(&bad, true)
            .expect("valid")
            .expect("an ineffective result drafts a finding");
        assert_eq!(draft.control, ControlId::from("PHY-01"));
        assert_eq!(draft.engagement, bad.test.engagement);
    }

    #[test]
    fn a_customer_sees_a_provider_test_without_its_notes_or_tester() {
        let t = provider_year_test(TestResult::Ineffective, vec![0, 1]);
        let seen = InheritedResult::of("PHY-01".into(), &t);
        assert_eq!(seen.sample_size, Some(25));
        assert_eq!(seen.deviations, 2);
        let text = serde_json::to_string(&seen).expect("serializes");
        assert!(!text.contains("badge logs"), "{text}");
        assert!(!text.contains("lead@p"), "{text}");
    }
}
