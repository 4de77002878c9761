//! Customers of the provider (tenants) and the assessor firms that test them.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::{AssessorFirmId, FrameworkId, OptionId, RegionId, ServiceId, TenantId, UserId};

/// The customer's role under GDPR for the personal data it puts in the cloud.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ProcessingRole {
    Controller,
    Processor,
    JointController,
}

impl ProcessingRole {
    pub const ALL: [ProcessingRole; 3] = [Self::Controller, Self::Processor, Self::JointController];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Controller => "controller",
            Self::Processor => "processor",
            Self::JointController => "joint-controller",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }
}

/// The assurance tier a customer chose; it decides who answers, tests and signs (CSA STAR's levels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum AssuranceTier {
    /// The customer's compliance officer answers and signs.
    SelfAttestation,
    /// An assessor firm tests and signs.
    ThirdPartyAssessment,
    /// The provider monitors continuously and a provider security lead signs.
    ManagedAssurance,
}

impl AssuranceTier {
    pub const ALL: [AssuranceTier; 3] = [
        Self::SelfAttestation,
        Self::ThirdPartyAssessment,
        Self::ManagedAssurance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SelfAttestation => "self-attestation",
            Self::ThirdPartyAssessment => "third-party-assessment",
            Self::ManagedAssurance => "managed-assurance",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == value)
    }
}

/// Why a person is a contact of a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ContactRole {
    AccountTeam,
    Procurement,
    ComplianceOfficer,
    Security,
    Dpo,
}

impl ContactRole {
    pub const ALL: [ContactRole; 5] = [
        Self::AccountTeam,
        Self::Procurement,
        Self::ComplianceOfficer,
        Self::Security,
        Self::Dpo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccountTeam => "account-team",
            Self::Procurement => "procurement",
            Self::ComplianceOfficer => "compliance-officer",
            Self::Security => "security",
            Self::Dpo => "dpo",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }
}

/// A person to reach at a tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    pub role: ContactRole,
    pub name: String,
    pub email: String,
}

/// A service a tenant uses, with the options it turned on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceUse {
    pub service: ServiceId,
    pub options: Vec<OptionId>,
}

/// A customer of the provider: the unit of data isolation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tenant {
    pub id: TenantId,
    pub legal_name: String,
    pub industry: String,
    pub contract_ref: Option<String>,
    pub processing_role: ProcessingRole,
    /// The tier chosen at enrolment, if one has been chosen yet.
    pub tier: Option<AssuranceTier>,
    #[serde(with = "iso_date_compat", default)]
    pub nda_signed: Option<Date>,
    pub regions: Vec<RegionId>,
    pub contacts: Vec<Contact>,
    pub services: Vec<ServiceUse>,
    pub frameworks: Vec<FrameworkId>,
}

/// A firm of third-party assessors; its members see only engagements they are assigned to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssessorFirm {
    pub id: AssessorFirmId,
    pub name: String,
    pub assessors: Vec<UserId>,
}

/// Dates as ISO 8601 (`2025-03-03`) on the wire and in audit digests. Reading also accepts the
/// `[year, ordinal]` pairs that earlier builds wrote into stored tenant versions.
mod iso_date_compat {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    time::serde::format_description!(iso, Date, "[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        iso::option::serialize(date, s)
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        Iso(String),
        Pair(i32, u16),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        Option::<Form>::deserialize(d)?
            .map(|form| match form {
                Form::Iso(text) => Date::parse(
                    &text,
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .map_err(D::Error::custom),
                Form::Pair(year, ordinal) => {
                    Date::from_ordinal_date(year, ordinal).map_err(D::Error::custom)
                }
            })
            .transpose()
    }

    #[cfg(test)]
    mod tests {
        use time::macros::date;

        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct T {
            #[serde(with = "super", default)]
            d: Option<time::Date>,
        }

        #[test]
        fn writes_iso_and_reads_both_forms() {
            let t = T {
                d: Some(date!(2025 - 03 - 03)),
            };
            assert_eq!(
                serde_json::to_string(&t).ok().as_deref(),
                Some(r#"{"d":"2025-03-03"}"#)
            );
            let old: Option<T> = serde_json::from_str(r#"{"d":[2025,62]}"#).ok();
            assert_eq!(old, Some(t));
            let none: Option<T> = serde_json::from_str(r#"{"d":null}"#).ok();
            assert_eq!(none, Some(T { d: None }));
        }
    }
}
