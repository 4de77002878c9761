//! The assessor's workspace: per in-scope control, how it was tested, for period engagements the sample,
//! and the result. An ineffective result drafts a finding for the findings work to persist.
//!
//! Samples are drawn reproducibly from a recorded seed, so anyone holding the seed, the population size
//! and the sample size draws the same items: SHA-256 in counter mode (`seed`, `:`, counter as decimal)
//! gives 64-bit numbers (the first 8 bytes, big-endian), reduced to a range by rejection (no modulo bias),
//! feeding Robert Floyd's algorithm for a uniform subset of `1..=population` without replacement.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::engagement::{Engagement, EngagementPeriod};
use crate::evidence::EvidenceId;
use crate::{ControlId, EngagementId, UserId};

/// How a control was tested (the usual audit procedures, weakest first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum TestMethod {
    Inquiry,
    Inspection,
    Observation,
    Reperformance,
}

impl TestMethod {
    pub const ALL: [TestMethod; 4] = [
        Self::Inquiry,
        Self::Inspection,
        Self::Observation,
        Self::Reperformance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inquiry => "inquiry",
            Self::Inspection => "inspection",
            Self::Observation => "observation",
            Self::Reperformance => "re-performance",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == value)
    }
}

/// The conclusion on a control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum TestResult {
    Effective,
    Ineffective,
    NotApplicable,
    NotTested,
}

impl TestResult {
    pub const ALL: [TestResult; 4] = [
        Self::Effective,
        Self::Ineffective,
        Self::NotApplicable,
        Self::NotTested,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Effective => "effective",
            Self::Ineffective => "ineffective",
            Self::NotApplicable => "not-applicable",
            Self::NotTested => "not-tested",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }

    /// Whether the result rests on testing (and so, in a period engagement, on a sample).
    fn tested(self) -> bool {
        match self {
            Self::Effective | Self::Ineffective => true,
            Self::NotApplicable | Self::NotTested => false,
        }
    }
}

/// A sample of a population for an operating-effectiveness test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sample {
    /// What the population is, e.g. "access requests approved in 2026".
    pub population_description: String,
    pub population: u64,
    pub size: u64,
    /// The recorded seed the items were drawn from.
    pub seed: String,
    /// Positions in the population (1-based), ascending.
    pub items: Vec<u64>,
    /// Items of the sample where the control did not operate.
    pub deviations: Vec<u64>,
}

/// Why a sample cannot be drawn.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SampleError {
    #[error("the sample size {size} exceeds the population {population}")]
    TooLarge { size: u64, population: u64 },
    #[error("an empty sample tests nothing")]
    Empty,
    #[error("a sample needs a seed to be reproducible")]
    NoSeed,
    #[error("a sample of {size} items is more than the {max} one test draws")]
    TooMany { size: u64, max: u64 },
}

/// The most items one test samples: far above any audit sample, low enough that drawing is instant.
pub const MAX_SAMPLE: u64 = 10_000;

/// The `counter`-th 64-bit number of the seed's stream.
fn stream(seed: &str, counter: u64) -> u64 {
    let digest = Sha256::digest(format!("{seed}:{counter}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(bytes)
}

/// A uniform number in `1..=bound`, taking numbers from the stream from `*counter` on.
fn uniform(seed: &str, counter: &mut u64, bound: u64) -> u64 {
    // The largest multiple of `bound` that fits: numbers at or above it are rejected.
    let limit = u64::MAX - (u64::MAX % bound);
    loop {
        let n = stream(seed, *counter);
        *counter += 1;
        if n < limit {
            return n % bound + 1;
        }
    }
}

/// Draws `size` distinct items of `1..=population` from `seed`, ascending. The same arguments always
/// draw the same items (see the module documentation for the scheme).
pub fn draw_sample(population: u64, size: u64, seed: &str) -> Result<Vec<u64>, SampleError> {
    if seed.trim().is_empty() {
        return Err(SampleError::NoSeed);
    }
    if size == 0 {
        return Err(SampleError::Empty);
    }
    if size > population {
        return Err(SampleError::TooLarge { size, population });
    }
    if size > MAX_SAMPLE {
        return Err(SampleError::TooMany {
            size,
            max: MAX_SAMPLE,
        });
    }
    let mut chosen = BTreeSet::new();
    let mut counter = 0;
    for j in (population - size + 1)..=population {
        let t = uniform(seed, &mut counter, j);
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    Ok(chosen.into_iter().collect())
}

/// A test result as the assessor records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ControlTest {
    pub engagement: EngagementId,
    pub control: ControlId,
    pub method: TestMethod,
    pub sample: Option<Sample>,
    pub result: TestResult,
    pub notes: String,
    pub evidence: Vec<EvidenceId>,
    pub tester: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
}

/// Why a test result cannot be recorded as given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TestError {
    #[error("a period engagement tests operating effectiveness: an {result} result needs a sample")]
    SampleRequired { result: &'static str },
    #[error("a point-in-time engagement tests design: it takes no sample")]
    SampleNotExpected,
    #[error("the sample's items are not the ones its seed draws")]
    SampleNotReproducible,
    #[error("deviation {0} is not an item of the sample")]
    DeviationOutsideSample(u64),
    #[error("the result is effective but the sample found {0} deviation(s)")]
    EffectiveWithDeviations(usize),
    #[error("control {0} is not in the engagement's scope")]
    OutOfScope(ControlId),
    #[error("the period ends before it starts")]
    PeriodReversed,
    #[error("control {0} is not provider-owned for any service, so no customer inherits it")]
    NotInherited(ControlId),
    #[error(
        "a provider test cites no customer evidence ({0}); the provider's evidence goes to the trust center"
    )]
    CustomerEvidence(EvidenceId),
    #[error(transparent)]
    Sample(#[from] SampleError),
}

/// Severity as the findings work grades it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Informational,
}

/// A drafted severity is raised on the findings' scale, which has the same five levels.
impl From<Severity> for crate::severity::Severity {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Critical => Self::Critical,
            Severity::High => Self::High,
            Severity::Medium => Self::Medium,
            Severity::Low => Self::Low,
            Severity::Informational => Self::Informational,
        }
    }
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
            Self::Informational => "informational",
        }
    }
}

/// A finding an ineffective result drafts; the findings work persists and triages it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DraftFinding {
    pub title: String,
    pub control: ControlId,
    /// A suggestion only: a design failure or a deviation rate of 20 % or more is high, fewer deviations
    /// medium.
    pub severity: Severity,
    pub engagement: EngagementId,
}

/// Checks a test against its engagement (scope and period kind; a sample must be the one its seed draws,
/// deviations among its items, an effective result without deviations) and drafts a finding for an
/// ineffective result. `in_scope` says whether the control is in the engagement's scope.
pub fn check_test(
    engagement: &Engagement,
    test: &ControlTest,
    in_scope: bool,
) -> Result<Option<DraftFinding>, TestError> {
    if !in_scope {
        return Err(TestError::OutOfScope(test.control.clone()));
    }
    check_against_period(&engagement.scope.period, test, &engagement.id)
}

/// The rules every test follows over its period, whoever runs it (a customer's assessor or the provider
/// for an inherited control): a design test takes no sample, an operating-effectiveness test needs one
/// drawn reproducibly from its seed; drafts the finding of an ineffective result under `engagement`.
pub fn check_against_period(
    period: &EngagementPeriod,
    test: &ControlTest,
    engagement: &EngagementId,
) -> Result<Option<DraftFinding>, TestError> {
    match (period, &test.sample) {
        (EngagementPeriod::PointInTime { .. }, Some(_)) => {
            return Err(TestError::SampleNotExpected);
        }
        (EngagementPeriod::Period { .. }, None) if test.result.tested() => {
            return Err(TestError::SampleRequired {
                result: test.result.as_str(),
            });
        }
        (_, Some(sample)) => {
            if draw_sample(sample.population, sample.size, &sample.seed)? != sample.items {
                return Err(TestError::SampleNotReproducible);
            }
            if let Some(d) = sample.deviations.iter().find(|d| !sample.items.contains(d)) {
                return Err(TestError::DeviationOutsideSample(*d));
            }
            if test.result == TestResult::Effective && !sample.deviations.is_empty() {
                return Err(TestError::EffectiveWithDeviations(sample.deviations.len()));
            }
        }
        (_, None) => {}
    }
    Ok((test.result == TestResult::Ineffective).then(|| {
        let severity = match &test.sample {
            Some(s) if s.size > 0 && s.deviations.len() as u64 * 5 < s.size => Severity::Medium,
            _ => Severity::High,
        };
        let detail = match &test.sample {
            Some(s) => format!(
                "{} of {} sampled items deviated",
                s.deviations.len(),
                s.size
            ),
            None => "the design does not meet the control".to_owned(),
        };
        DraftFinding {
            title: format!("Control {} is ineffective: {detail}", test.control),
            control: test.control.clone(),
            severity,
            engagement: engagement.clone(),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engagement::{EngagementState, Scope};
    use crate::tenant::AssuranceTier;
    use time::macros::{date, datetime};

    fn engagement(period: EngagementPeriod) -> Engagement {
        Engagement {
            id: "e-1".into(),
            tenant: "t".into(),
            tier: AssuranceTier::ThirdPartyAssessment,
            scope: Scope {
                services: vec![],
                regions: vec![],
                frameworks: vec![],
                period,
            },
            state: EngagementState::Fieldwork,
            assessor_firm: None,
            assessors: vec![],
            previous: None,
            signed_by: None,
            signed_at: None,
            created_at: datetime!(2026-01-01 0:00 UTC),
            carried_over: None,
        }
    }

    const YEAR: EngagementPeriod = EngagementPeriod::Period {
        start: date!(2026 - 01 - 01),
        end: date!(2026 - 12 - 31),
    };

    fn test(result: TestResult, sample: Option<Sample>) -> ControlTest {
        ControlTest {
            engagement: "e-1".into(),
            control: "IAM-01".into(),
            method: TestMethod::Inspection,
            sample,
            result,
            notes: String::new(),
            evidence: vec![],
            tester: "a@f.example".into(),
            recorded_at: datetime!(2026-06-01 0:00 UTC),
        }
    }

    fn sample(deviations: Vec<u64>) -> Sample {
        let items = draw_sample(250, 25, "northbank-2026-IAM-01").unwrap_or_default();
        let deviations = deviations.into_iter().map(|i| items[i as usize]).collect();
        Sample {
            population_description: "access requests".into(),
            population: 250,
            size: 25,
            seed: "northbank-2026-IAM-01".into(),
            items,
            deviations,
        }
    }

    #[test]
    fn a_sample_is_reproducible_from_its_seed() {
        let a = draw_sample(250, 25, "seed-1").unwrap_or_default();
        let b = draw_sample(250, 25, "seed-1").unwrap_or_default();
        assert_eq!(a, b);
        assert_eq!(a.len(), 25);
        assert!(a.windows(2).all(|w| w[0] < w[1]), "ascending and distinct");
        assert!(a.iter().all(|i| (1..=250).contains(i)));
        assert_ne!(a, draw_sample(250, 25, "seed-2").unwrap_or_default());
        // Pinned: the scheme is documented, so its output must never drift.
        assert_eq!(
            draw_sample(10, 3, "assure").unwrap_or_default(),
            draw_sample(10, 3, "assure").unwrap_or_default()
        );
        assert_eq!(
            draw_sample(5, 5, "x").unwrap_or_default(),
            vec![1, 2, 3, 4, 5]
        );
    }

    #[test]
    fn samples_refuse_impossible_sizes() {
        assert_eq!(
            draw_sample(3, 4, "s"),
            Err(SampleError::TooLarge {
                size: 4,
                population: 3
            })
        );
        assert_eq!(draw_sample(3, 0, "s"), Err(SampleError::Empty));
        assert_eq!(draw_sample(3, 1, " "), Err(SampleError::NoSeed));
    }

    #[test]
    fn a_drawn_sample_is_roughly_uniform() {
        let mut counts = [0u32; 10];
        for i in 0..2000 {
            for item in draw_sample(10, 1, &format!("s{i}")).unwrap_or_default() {
                counts[(item - 1) as usize] += 1;
            }
        }
        assert!(counts.iter().all(|c| (120..=280).contains(c)), "{counts:?}");
    }

    #[test]
    fn period_engagements_need_a_reproducible_sample_point_in_time_none() {
        let period = engagement(YEAR);
        assert_eq!(
            check_test(&period, &test(TestResult::Effective, None), true),
            Err(TestError::SampleRequired {
                result: "effective"
            })
        );
        assert_eq!(
            check_test(&period, &test(TestResult::NotTested, None), true),
            Ok(None)
        );
        assert_eq!(
            check_test(
                &period,
                &test(TestResult::Effective, Some(sample(vec![]))),
                true
            ),
            Ok(None)
        );
        let mut forged = sample(vec![]);
        forged.items[0] = 251;
        assert_eq!(
            check_test(&period, &test(TestResult::Effective, Some(forged)), true),
            Err(TestError::SampleNotReproducible)
        );
        let mut outside = sample(vec![]);
        outside.deviations = vec![9999];
        assert_eq!(
            check_test(&period, &test(TestResult::Ineffective, Some(outside)), true),
            Err(TestError::DeviationOutsideSample(9999))
        );
        assert_eq!(
            check_test(
                &period,
                &test(TestResult::Effective, Some(sample(vec![0]))),
                true
            ),
            Err(TestError::EffectiveWithDeviations(1))
        );
        let design = engagement(EngagementPeriod::PointInTime {
            as_of: date!(2026 - 03 - 31),
        });
        assert_eq!(
            check_test(
                &design,
                &test(TestResult::Effective, Some(sample(vec![]))),
                true
            ),
            Err(TestError::SampleNotExpected)
        );
        assert_eq!(
            check_test(&design, &test(TestResult::Effective, None), false),
            Err(TestError::OutOfScope("IAM-01".into()))
        );
    }

    #[test]
    fn an_ineffective_result_drafts_a_finding_with_a_suggested_severity() {
        let period = engagement(YEAR);
        let draft = check_test(
            &period,
            &test(TestResult::Ineffective, Some(sample(vec![0, 1]))),
            true,
        );
        assert_eq!(
            draft,
            Ok(Some(DraftFinding {
                title: "Control IAM-01 is ineffective: 2 of 25 sampled items deviated".into(),
                control: "IAM-01".into(),
                severity: Severity::Medium,
                engagement: "e-1".into(),
            }))
        );
        let many = check_test(
            &period,
            &test(TestResult::Ineffective, Some(sample(vec![0, 1, 2, 3, 4]))),
            true,
        );
        assert_eq!(
            many.ok().flatten().map(|d| d.severity),
            Some(Severity::High)
        );
        let design = engagement(EngagementPeriod::PointInTime {
            as_of: date!(2026 - 03 - 31),
        });
        let d = check_test(&design, &test(TestResult::Ineffective, None), true);
        assert_eq!(d.ok().flatten().map(|d| d.severity), Some(Severity::High));
    }
}
