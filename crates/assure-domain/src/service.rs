//! The provider's services, their service model and the options a customer may choose.

use serde::{Deserialize, Serialize};

use crate::{OptionId, RegionId, ServiceId};

/// Cloud service model: it decides the default split of responsibility before any service entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ServiceModel {
    Iaas,
    Paas,
    Saas,
}

impl ServiceModel {
    pub const ALL: [ServiceModel; 3] = [Self::Iaas, Self::Paas, Self::Saas];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Iaas => "iaas",
            Self::Paas => "paas",
            Self::Saas => "saas",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == value)
    }

    /// The name people use: IaaS, PaaS, SaaS.
    pub fn label(self) -> &'static str {
        match self {
            Self::Iaas => "IaaS",
            Self::Paas => "PaaS",
            Self::Saas => "SaaS",
        }
    }
}

/// Which way an option moves responsibility; a rule of the option may never move a pair the other way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    TowardsProvider,
    TowardsCustomer,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TowardsProvider => "towards-provider",
            Self::TowardsCustomer => "towards-customer",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "towards-provider" => Some(Self::TowardsProvider),
            "towards-customer" => Some(Self::TowardsCustomer),
            _ => None,
        }
    }
}

/// An option of a service, such as managed guest-OS patching or customer-managed keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceOption {
    pub id: OptionId,
    pub name: String,
    pub direction: Direction,
}

/// A service of the provider's catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Service {
    pub id: ServiceId,
    pub name: String,
    pub model: ServiceModel,
    pub description: String,
    /// Where the service runs. Regions restrict data residency only; they never change who is responsible.
    pub regions: Vec<RegionId>,
    pub options: Vec<ServiceOption>,
}

impl Service {
    pub fn offers_option(&self, option: &OptionId) -> bool {
        self.options.iter().any(|o| &o.id == option)
    }

    pub fn runs_in(&self, region: &RegionId) -> bool {
        self.regions.contains(region)
    }
}

/// A region of the provider, with the country whose law governs data stored there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Region {
    pub id: RegionId,
    pub name: String,
    /// ISO 3166-1 alpha-2 code (`GB` for the UK; `EU` member states by their own code).
    pub country: String,
}
