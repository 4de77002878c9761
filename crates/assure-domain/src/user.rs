//! People who use Assure and the role each one holds.

use serde::{Deserialize, Serialize};

use crate::{AssessorFirmId, TenantId, UserId};

/// A role decides what a user may do; see [`crate::access`] for the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    ProviderAdmin,
    ProviderSecurityLead,
    ProviderDpo,
    CustomerComplianceOfficer,
    CustomerViewer,
    CustomerDpo,
    Assessor,
    Oversight,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Self::ProviderAdmin,
        Self::ProviderSecurityLead,
        Self::ProviderDpo,
        Self::CustomerComplianceOfficer,
        Self::CustomerViewer,
        Self::CustomerDpo,
        Self::Assessor,
        Self::Oversight,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProviderAdmin => "provider-admin",
            Self::ProviderSecurityLead => "provider-security-lead",
            Self::ProviderDpo => "provider-dpo",
            Self::CustomerComplianceOfficer => "customer-compliance-officer",
            Self::CustomerViewer => "customer-viewer",
            Self::CustomerDpo => "customer-dpo",
            Self::Assessor => "assessor",
            Self::Oversight => "oversight",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }

    /// Provider roles work across every tenant.
    pub fn is_provider(self) -> bool {
        matches!(
            self,
            Self::ProviderAdmin | Self::ProviderSecurityLead | Self::ProviderDpo
        )
    }

    /// Customer roles belong to exactly one tenant.
    pub fn is_customer(self) -> bool {
        matches!(
            self,
            Self::CustomerComplianceOfficer | Self::CustomerViewer | Self::CustomerDpo
        )
    }
}

/// Where a user belongs: the provider, one tenant, or one assessor firm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "kebab-case")]
pub enum Affiliation {
    Provider,
    Tenant(TenantId),
    AssessorFirm(AssessorFirmId),
}

/// A user account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub affiliation: Affiliation,
    pub disabled: bool,
}

/// Why a role does not fit an affiliation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("role {role} cannot belong to {affiliation}")]
pub struct AffiliationError {
    pub role: &'static str,
    pub affiliation: String,
}

impl User {
    /// Customer roles belong to a tenant, assessors to a firm, every other role to the provider.
    pub fn validate(&self) -> Result<(), AffiliationError> {
        let fits = match (&self.affiliation, self.role) {
            (Affiliation::Tenant(_), role) => role.is_customer(),
            (Affiliation::AssessorFirm(_), role) => role == Role::Assessor,
            (Affiliation::Provider, role) => role.is_provider() || role == Role::Oversight,
        };
        if fits {
            Ok(())
        } else {
            Err(AffiliationError {
                role: self.role.as_str(),
                affiliation: match &self.affiliation {
                    Affiliation::Provider => "the provider".to_owned(),
                    Affiliation::Tenant(t) => format!("tenant {t}"),
                    Affiliation::AssessorFirm(f) => format!("assessor firm {f}"),
                },
            })
        }
    }

    pub fn tenant(&self) -> Option<&TenantId> {
        match &self.affiliation {
            Affiliation::Tenant(t) => Some(t),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn customer_roles_must_belong_to_a_tenant() {
        let mut u = User {
            id: "a@b.example".into(),
            name: "A".into(),
            role: Role::CustomerViewer,
            affiliation: Affiliation::Provider,
            disabled: false,
        };
        assert!(u.validate().is_err());
        u.affiliation = Affiliation::Tenant("northbank".into());
        assert!(u.validate().is_ok());
        u.role = Role::Assessor;
        assert!(u.validate().is_err());
    }
}
