//! What each audited object is called in the audit trail, and the state whose digest a record keeps.
//!
//! The digest of an object is computed from the domain value read back from its rows, so a row changed
//! behind Assure's back yields a different digest than the last audit record that describes it.

use assure_domain::audit::{AuditEvent, state_digest};
use assure_domain::catalogue::{Control, ControlDomain};
use assure_domain::framework::{Framework, Requirement};
use assure_domain::mapping::Mapping;
use assure_domain::responsibility::{OptionRule, ResponsibilityEntry, ServiceModelDefaults};
use assure_domain::service::{Region, Service};
use assure_domain::tenant::{AssessorFirm, Tenant};
use assure_domain::user::User;
use serde::Serialize;

/// An audited object: its kind and ID in the trail, and which tenant's chain records it.
pub trait Audited: Serialize {
    const KIND: &'static str;
    fn object_id(&self) -> String;
    fn tenant(&self) -> Option<assure_domain::TenantId> {
        None
    }

    /// The audit event for a change that leaves the object in this state.
    fn event(&self, actor: &str, verb: &str) -> AuditEvent {
        AuditEvent {
            actor: actor.to_owned(),
            tenant: self.tenant(),
            action: format!("{}.{verb}", Self::KIND),
            object_kind: Self::KIND.to_owned(),
            object_id: self.object_id(),
            state_digest: Some(state_digest(self)),
        }
    }
}

impl Audited for Region {
    const KIND: &'static str = "region";
    fn object_id(&self) -> String {
        self.id.to_string()
    }
}

impl Audited for ControlDomain {
    const KIND: &'static str = "domain";
    fn object_id(&self) -> String {
        self.id.to_string()
    }
}

impl Audited for Control {
    const KIND: &'static str = "control";
    fn object_id(&self) -> String {
        self.id.to_string()
    }
}

impl Audited for ServiceModelDefaults {
    const KIND: &'static str = "model-defaults";
    fn object_id(&self) -> String {
        self.control.to_string()
    }
}

impl Audited for Framework {
    const KIND: &'static str = "framework";
    fn object_id(&self) -> String {
        self.id.to_string()
    }
}

impl Audited for Requirement {
    const KIND: &'static str = "requirement";
    fn object_id(&self) -> String {
        format!("{}:{}", self.framework, self.id)
    }
}

impl Audited for Mapping {
    const KIND: &'static str = "mapping";
    fn object_id(&self) -> String {
        format!("{}>{}:{}", self.control, self.framework, self.requirement)
    }
}

impl Audited for Service {
    const KIND: &'static str = "service";
    fn object_id(&self) -> String {
        self.id.to_string()
    }
}

impl Audited for ResponsibilityEntry {
    const KIND: &'static str = "responsibility-entry";
    fn object_id(&self) -> String {
        format!("{}/{}", self.service, self.control)
    }
}

impl Audited for OptionRule {
    const KIND: &'static str = "option-rule";
    fn object_id(&self) -> String {
        format!("{}/{}/{}", self.service, self.option, self.control)
    }
}

impl Audited for AssessorFirm {
    const KIND: &'static str = "assessor-firm";
    fn object_id(&self) -> String {
        self.id.to_string()
    }
}

impl Audited for Tenant {
    const KIND: &'static str = "tenant";
    fn object_id(&self) -> String {
        self.id.to_string()
    }
    fn tenant(&self) -> Option<assure_domain::TenantId> {
        Some(self.id.clone())
    }
}

impl Audited for User {
    const KIND: &'static str = "user";
    fn object_id(&self) -> String {
        self.id.to_string()
    }
    fn tenant(&self) -> Option<assure_domain::TenantId> {
        User::tenant(self).cloned()
    }
}

impl Audited for assure_domain::evidence::EvidenceRecord {
    const KIND: &'static str = "evidence";
    fn object_id(&self) -> String {
        self.id.to_string()
    }
    fn tenant(&self) -> Option<assure_domain::TenantId> {
        Some(self.tenant.clone())
    }
}

impl Audited for crate::FrameworkSource {
    const KIND: &'static str = "framework-source";
    fn object_id(&self) -> String {
        self.framework.to_string()
    }
}

impl Audited for assure_domain::catalogue::BaselineVersion {
    const KIND: &'static str = "baseline-version";
    fn object_id(&self) -> String {
        self.id.to_string()
    }
}

impl Audited for assure_domain::baseline::ChangeRecord {
    const KIND: &'static str = "baseline-change";
    fn object_id(&self) -> String {
        format!("{}#{}", self.version, self.seq)
    }
}

impl Audited for assure_domain::baseline::Comment {
    const KIND: &'static str = "baseline-comment";
    fn object_id(&self) -> String {
        format!("{}#c{}", self.version, self.seq)
    }
}

impl Audited for assure_domain::baseline::Notice {
    const KIND: &'static str = "baseline-notice";
    fn object_id(&self) -> String {
        self.id.clone()
    }
    fn tenant(&self) -> Option<assure_domain::TenantId> {
        Some(self.tenant.clone())
    }
}

impl Audited for assure_domain::enrolment::Enrolment {
    const KIND: &'static str = "enrolment";
    fn object_id(&self) -> String {
        self.tenant.to_string()
    }
    fn tenant(&self) -> Option<assure_domain::TenantId> {
        Some(self.tenant.clone())
    }
}

impl Audited for assure_domain::engagement::Engagement {
    const KIND: &'static str = "engagement";
    fn object_id(&self) -> String {
        self.id.to_string()
    }
    fn tenant(&self) -> Option<assure_domain::TenantId> {
        Some(self.tenant.clone())
    }
}

impl Audited for crate::engagement::StoredAnswer {
    const KIND: &'static str = "engagement-answer";
    fn object_id(&self) -> String {
        format!("{}/{}", self.engagement, self.response.control)
    }
    fn tenant(&self) -> Option<assure_domain::TenantId> {
        Some(self.tenant.clone())
    }
}

impl Audited for assure_domain::cycle::ProviderTest {
    const KIND: &'static str = "provider-test";
    fn object_id(&self) -> String {
        format!("{}/{}", self.test.engagement, self.test.control)
    }
}

impl Audited for crate::engagement::StoredTest {
    const KIND: &'static str = "control-test";
    fn object_id(&self) -> String {
        format!("{}/{}", self.test.engagement, self.test.control)
    }
    fn tenant(&self) -> Option<assure_domain::TenantId> {
        Some(self.tenant.clone())
    }
}
