//! Who is responsible for a control: provider ("security of the cloud"), customer ("security in the cloud"),
//! or both.
//!
//! For one (service, control) pair the answer is decided in three layers, each overriding the one before:
//! the control's default for the service's model (IaaS, PaaS, SaaS), then the service's own entry for that
//! control, then, for each option the customer turned on, the option's rule for that control.
//!
//! Rule: regions never change who is responsible. A region only restricts where a service, and so the
//! customer's data, may live; responsibility is a function of services, options and controls alone.

use serde::{Deserialize, Serialize};

use crate::service::{Direction, ServiceModel};
use crate::{ControlId, OptionId, ServiceId};

/// The owner of a control for one service, or for a customer once its services are combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Responsibility {
    Provider,
    Customer,
    Shared,
    /// The service does not need this control at all (e.g. guest-OS patching for a SaaS mailbox).
    NotApplicable,
}

impl Responsibility {
    pub const ALL: [Responsibility; 4] = [
        Self::Provider,
        Self::Customer,
        Self::Shared,
        Self::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provider => "provider",
            Self::Customer => "customer",
            Self::Shared => "shared",
            Self::NotApplicable => "not-applicable",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }

    /// Position on the customer-to-provider axis, for checking an option's direction;
    /// `None` for not-applicable, which is off the axis.
    pub fn towards_provider_rank(self) -> Option<u8> {
        match self {
            Self::Customer => Some(0),
            Self::Shared => Some(1),
            Self::Provider => Some(2),
            Self::NotApplicable => None,
        }
    }

    /// Whether moving from `self` to `to` goes the declared way (or stays put).
    pub fn moves_in(self, to: Responsibility, direction: Direction) -> bool {
        match (self.towards_provider_rank(), to.towards_provider_rank()) {
            (Some(from), Some(to)) => match direction {
                Direction::TowardsProvider => to >= from,
                Direction::TowardsCustomer => to <= from,
            },
            (None, None) => true,
            _ => false,
        }
    }
}

/// A responsibility with each party's part in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub responsibility: Responsibility,
    pub provider_part: Option<String>,
    pub customer_part: Option<String>,
}

/// Why an assignment is not well formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignmentError {
    #[error("a {0} responsibility needs the provider's part in words (provider_part)")]
    MissingProviderPart(&'static str),
    #[error("a {0} responsibility needs the customer's part in words (customer_part)")]
    MissingCustomerPart(&'static str),
}

impl Assignment {
    /// Checks that each party that holds a part has it described.
    pub fn validate(&self) -> Result<(), AssignmentError> {
        let r = self.responsibility;
        let has = |p: &Option<String>| p.as_deref().is_some_and(|s| !s.trim().is_empty());
        if matches!(r, Responsibility::Provider | Responsibility::Shared)
            && !has(&self.provider_part)
        {
            return Err(AssignmentError::MissingProviderPart(r.as_str()));
        }
        if matches!(r, Responsibility::Customer | Responsibility::Shared)
            && !has(&self.customer_part)
        {
            return Err(AssignmentError::MissingCustomerPart(r.as_str()));
        }
        Ok(())
    }
}

/// The default responsibility of a control under each service model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceModelDefaults {
    pub control: ControlId,
    pub iaas: Assignment,
    pub paas: Assignment,
    pub saas: Assignment,
}

impl ServiceModelDefaults {
    pub fn for_model(&self, model: ServiceModel) -> &Assignment {
        match model {
            ServiceModel::Iaas => &self.iaas,
            ServiceModel::Paas => &self.paas,
            ServiceModel::Saas => &self.saas,
        }
    }
}

/// A service's own answer for one control, overriding its model's default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResponsibilityEntry {
    pub service: ServiceId,
    pub control: ControlId,
    pub assignment: Assignment,
    pub reason: String,
}

/// How turning an option on moves one (service, control) pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OptionRule {
    pub service: ServiceId,
    pub option: OptionId,
    pub control: ControlId,
    pub assignment: Assignment,
    pub reason: String,
}

/// One layer of the explanation of a cell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum Step {
    ModelDefault {
        model: ServiceModel,
        responsibility: Responsibility,
    },
    ServiceEntry {
        responsibility: Responsibility,
        reason: String,
    },
    OptionRule {
        option: OptionId,
        responsibility: Responsibility,
        reason: String,
    },
}

/// The responsibility of one (service, control) pair with the chain of layers that decided it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Resolved {
    pub service: ServiceId,
    pub control: ControlId,
    pub assignment: Assignment,
    pub chain: Vec<Step>,
}

/// Decides one (service, control) pair: model default, then the service entry, then the rules of the
/// options that are on, in the order the options are given.
pub fn resolve(
    service: &ServiceId,
    model: ServiceModel,
    defaults: &ServiceModelDefaults,
    entry: Option<&ResponsibilityEntry>,
    rules_for_options_on: &[&OptionRule],
) -> Resolved {
    let base = defaults.for_model(model);
    let mut assignment = base.clone();
    let mut chain = vec![Step::ModelDefault {
        model,
        responsibility: base.responsibility,
    }];
    if let Some(entry) = entry {
        assignment = entry.assignment.clone();
        chain.push(Step::ServiceEntry {
            responsibility: entry.assignment.responsibility,
            reason: entry.reason.clone(),
        });
    }
    for rule in rules_for_options_on {
        assignment = rule.assignment.clone();
        chain.push(Step::OptionRule {
            option: rule.option.clone(),
            responsibility: rule.assignment.responsibility,
            reason: rule.reason.clone(),
        });
    }
    Resolved {
        service: service.clone(),
        control: defaults.control.clone(),
        assignment,
        chain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(r: Responsibility) -> Assignment {
        Assignment {
            responsibility: r,
            provider_part: Some("provider does".into()),
            customer_part: Some("customer does".into()),
        }
    }

    #[test]
    fn shared_needs_both_parts_in_words() {
        let mut shared = a(Responsibility::Shared);
        assert!(shared.validate().is_ok());
        shared.customer_part = None;
        assert_eq!(
            shared.validate(),
            Err(AssignmentError::MissingCustomerPart("shared"))
        );
        let provider = Assignment {
            responsibility: Responsibility::Provider,
            provider_part: None,
            customer_part: None,
        };
        assert!(provider.validate().is_err());
    }

    #[test]
    fn directions_allow_only_their_own_way() {
        use Responsibility::*;
        assert!(Customer.moves_in(Provider, Direction::TowardsProvider));
        assert!(Customer.moves_in(Shared, Direction::TowardsProvider));
        assert!(!Provider.moves_in(Customer, Direction::TowardsProvider));
        assert!(Provider.moves_in(Shared, Direction::TowardsCustomer));
        assert!(!Shared.moves_in(Provider, Direction::TowardsCustomer));
        assert!(!NotApplicable.moves_in(Provider, Direction::TowardsProvider));
    }

    #[test]
    fn layers_override_in_order_and_are_all_explained() {
        let defaults = ServiceModelDefaults {
            control: "VUL-02".into(),
            iaas: a(Responsibility::Customer),
            paas: a(Responsibility::Provider),
            saas: a(Responsibility::Provider),
        };
        let entry = ResponsibilityEntry {
            service: "vm".into(),
            control: "VUL-02".into(),
            assignment: a(Responsibility::Shared),
            reason: "hypervisor patched by provider".into(),
        };
        let rule = OptionRule {
            service: "vm".into(),
            option: "managed-patching".into(),
            control: "VUL-02".into(),
            assignment: a(Responsibility::Provider),
            reason: "managed services patch the guest".into(),
        };
        let none = resolve(&"vm".into(), ServiceModel::Iaas, &defaults, None, &[]);
        assert_eq!(none.assignment.responsibility, Responsibility::Customer);
        let all = resolve(
            &"vm".into(),
            ServiceModel::Iaas,
            &defaults,
            Some(&entry),
            &[&rule],
        );
        assert_eq!(all.assignment.responsibility, Responsibility::Provider);
        assert_eq!(all.chain.len(), 3);
    }
}
