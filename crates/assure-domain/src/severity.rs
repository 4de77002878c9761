//! How bad a weakness is: one scale for check failures, assessor results and manual findings, and the
//! derivation of that scale from a CVSS 3.1 or 4.0 vector (parsed by the `cvss` crate, never by hand).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How bad a weakness is, worst first (so `Ord` sorts the worst first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Informational,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Self::Critical,
        Self::High,
        Self::Medium,
        Self::Low,
        Self::Informational,
    ];

    /// Lower-case name, as stored and shown.
    pub fn name(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
            Self::Informational => "informational",
        }
    }

    /// Same as [`Severity::name`]; the spelling other domain enums use.
    pub fn as_str(self) -> &'static str {
        self.name()
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == value)
    }

    /// The qualitative rating of a CVSS base score (the CVSS 3.1 and 4.0 scale: 0 none, 0.1-3.9 low,
    /// 4.0-6.9 medium, 7.0-8.9 high, 9.0-10 critical); a score of none is informational.
    pub fn from_score(score: f64) -> Self {
        if score >= 9.0 {
            Self::Critical
        } else if score >= 7.0 {
            Self::High
        } else if score >= 4.0 {
            Self::Medium
        } else if score > 0.0 {
            Self::Low
        } else {
            Self::Informational
        }
    }

    /// The severity of a CVSS 3.0, 3.1 or 4.0 vector's base score.
    pub fn from_cvss(vector: &str) -> Result<CvssRating, CvssError> {
        let trimmed = vector.trim();
        let parsed = cvss::Cvss::from_str(trimmed).map_err(|e| CvssError {
            vector: trimmed.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(CvssRating {
            vector: trimmed.to_owned(),
            score: parsed.score(),
            severity: match parsed.severity() {
                cvss::Severity::Critical => Self::Critical,
                cvss::Severity::High => Self::High,
                cvss::Severity::Medium => Self::Medium,
                cvss::Severity::Low => Self::Low,
                cvss::Severity::None => Self::Informational,
            },
        })
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A CVSS vector with the base score and severity it gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssRating {
    pub vector: String,
    pub score: f64,
    pub severity: Severity,
}

/// A CVSS vector that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{vector:?} is not a CVSS 3.1 or 4.0 vector: {reason}")]
pub struct CvssError {
    pub vector: String,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_31_vectors_rate_by_base_score() {
        let critical = Severity::from_cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
            .expect("test value");
        assert_eq!(critical.severity, Severity::Critical);
        assert!((critical.score - 9.8).abs() < 1e-9);
        let medium = Severity::from_cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N")
            .expect("test value");
        assert_eq!(medium.severity, Severity::Medium);
        let none = Severity::from_cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N")
            .expect("test value");
        assert_eq!(none.severity, Severity::Informational);
    }

    #[test]
    fn cvss_40_vectors_rate_by_base_score() {
        let r =
            Severity::from_cvss("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
                .expect("test value");
        assert_eq!(r.severity, Severity::Critical);
        assert!((r.score - 9.3).abs() < 1e-9);
        let low =
            Severity::from_cvss("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N")
                .expect("test value");
        assert_eq!(low.severity, Severity::Low);
    }

    #[test]
    fn malformed_vectors_are_refused_naming_the_vector() {
        for bad in ["", "CVSS:3.1/AV:X", "AV:N/AC:L", "CVSS:9.9/AV:N"] {
            let err = Severity::from_cvss(bad).expect_err("refused");
            assert_eq!(err.vector, bad);
        }
    }

    #[test]
    fn names_round_trip_and_order_is_worst_first() {
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.name()), Some(s));
        }
        assert!(Severity::Critical < Severity::Informational);
        assert_eq!(Severity::parse("severe"), None);
    }
}
