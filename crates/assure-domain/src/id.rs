//! Newtype identifiers: a `FindingId` can never be passed where a `ControlId` is due.

use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an identifier; validation of its form happens where it enters (content, API).
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The identifier as stored and shown.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_id!(
    /// A control domain of the baseline, e.g. `IAM`.
    DomainId
);
string_id!(
    /// A baseline control, e.g. `IAM-01`.
    ControlId
);
string_id!(
    /// An external framework, e.g. `iso27001-2022`.
    FrameworkId
);
string_id!(
    /// A requirement of one framework in the publisher's canonical form (see [`crate::framework`]).
    RequirementId
);
string_id!(
    /// A cloud service of the provider, e.g. `vm`.
    ServiceId
);
string_id!(
    /// An option a service offers, e.g. `managed-patching`.
    OptionId
);
string_id!(
    /// A region where services run, e.g. `eu-west`.
    RegionId
);
string_id!(
    /// A customer of the provider: the unit of isolation.
    TenantId
);
string_id!(
    /// An assessor firm.
    AssessorFirmId
);
string_id!(
    /// A user account, named by its e-mail address.
    UserId
);
string_id!(
    /// A published version of the baseline, e.g. `2026.1`.
    BaselineVersionId
);
string_id!(
    /// An engagement: one assessment of one tenant for one period, e.g. `northbank-2026`.
    EngagementId
);

/// Whether `value` is a lowercase slug (`a-z`, `0-9`, `-`, `.`), the form of service, tenant and framework IDs.
pub fn is_slug(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !value.starts_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words_joined_by_dashes() {
        assert!(is_slug("iso27001-2022"));
        assert!(is_slug("nist-csf-2.0"));
        assert!(!is_slug("Northbank"));
        assert!(!is_slug(""));
        assert!(!is_slug("-x"));
        assert!(!is_slug("a b"));
    }
}
