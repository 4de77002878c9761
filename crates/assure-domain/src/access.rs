//! The `Role x Action` matrix: what each role may do, before tenant scoping narrows it to rows.
//!
//! Tenant scoping is a second, independent gate: a customer role that may `ReadTenant` reads only its own
//! tenant; that narrowing is done by the store's scoped capabilities, not here.

use serde::{Deserialize, Serialize};

use crate::user::Role;

/// Something a user asks to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Read controls, frameworks, mappings, services and responsibility defaults.
    ReadCatalogue,
    /// Change the baseline, mappings or services (into a draft).
    EditCatalogue,
    /// Read tenants (scoped: customers their own).
    ReadTenant,
    /// Change a tenant's profile, contacts or enrolment.
    EditTenant,
    /// Create, disable and reset users.
    ManageUsers,
    /// Read the audit trail (scoped like tenants).
    ReadAudit,
    /// Export a tenant's audit trail with its checkpoints.
    ExportAudit,
    /// Read privacy data: data-subject requests, breach register, records of processing.
    ReadPrivacy,
    /// Acknowledge an escalation (the one write oversight holds).
    AcknowledgeEscalation,
    /// Import frameworks (OSCAL catalogs and profiles, spreadsheets) and mappings into the catalogue. Apart
    /// from `EditCatalogue` because one import rewrites a whole framework at once: provider admins and
    /// security leads only.
    ImportContent,
    /// Approve and publish a baseline version another person wrote (the two-person rule is the domain's,
    /// `baseline::next_state`): provider admins and security leads.
    ApproveBaseline,
    /// Acknowledge a baseline notice addressed to one's own tenant.
    AcknowledgeNotice,
    /// Read engagements, their questionnaires and test results (scoped: customers their own, assessors
    /// those they are assigned to).
    ReadEngagement,
    /// Move a tenant's enrolment through intake, NDA and activation: provider admins and security leads.
    ManageEnrolment,
    /// Create, scope and assign engagements and move them on: provider admins and security leads.
    ManageEngagement,
    /// Answer a questionnaire and attach evidence to answers: the customer's compliance officer (the tier
    /// rules in `engagement::may` are the second gate).
    AnswerQuestionnaire,
    /// Record test results: assessors, and provider security leads for managed assurance (the tier decides
    /// which, `engagement::may`).
    RecordTestResult,
    /// Sign an engagement: whoever the tier names (`engagement::may`) among these roles.
    SignEngagement,
    /// Read the trust center (provider evidence packages): every role.
    ReadTrustCenter,
    /// Publish trust-center documents and decide access requests: provider admins and security leads.
    ManageTrustCenter,
    // Findings and remediation (issue 9).
    /// Read findings (scoped; provider-owned findings on inherited controls show redacted to customers).
    ReadFinding,
    /// Raise findings by hand or from assessor results, triage them and move their remediation on.
    ManageFinding,
    /// Accept a finding's risk until an expiry (the domain narrows who for which severity:
    /// `remediation::may_accept_risk`).
    AcceptRisk,
    /// Report the results of automated checks as findings (an API the checks call with a token).
    ReportCheckFinding,
}

impl Action {
    pub const ALL: [Action; 24] = [
        Self::ReadCatalogue,
        Self::EditCatalogue,
        Self::ReadTenant,
        Self::EditTenant,
        Self::ManageUsers,
        Self::ReadAudit,
        Self::ExportAudit,
        Self::ReadPrivacy,
        Self::AcknowledgeEscalation,
        Self::ImportContent,
        Self::ApproveBaseline,
        Self::AcknowledgeNotice,
        Self::ReadEngagement,
        Self::ManageEnrolment,
        Self::ManageEngagement,
        Self::AnswerQuestionnaire,
        Self::RecordTestResult,
        Self::SignEngagement,
        Self::ReadTrustCenter,
        Self::ManageTrustCenter,
        Self::ReadFinding,
        Self::ManageFinding,
        Self::AcceptRisk,
        Self::ReportCheckFinding,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadCatalogue => "read-catalogue",
            Self::EditCatalogue => "edit-catalogue",
            Self::ReadTenant => "read-tenant",
            Self::EditTenant => "edit-tenant",
            Self::ManageUsers => "manage-users",
            Self::ReadAudit => "read-audit",
            Self::ExportAudit => "export-audit",
            Self::ReadPrivacy => "read-privacy",
            Self::AcknowledgeEscalation => "acknowledge-escalation",
            Self::ImportContent => "import-content",
            Self::ApproveBaseline => "approve-baseline",
            Self::AcknowledgeNotice => "acknowledge-notice",
            Self::ReadEngagement => "read-engagement",
            Self::ManageEnrolment => "manage-enrolment",
            Self::ManageEngagement => "manage-engagement",
            Self::AnswerQuestionnaire => "answer-questionnaire",
            Self::RecordTestResult => "record-test-result",
            Self::SignEngagement => "sign-engagement",
            Self::ReadTrustCenter => "read-trust-center",
            Self::ManageTrustCenter => "manage-trust-center",
            Self::ReadFinding => "read-finding",
            Self::ManageFinding => "manage-finding",
            Self::AcceptRisk => "accept-risk",
            Self::ReportCheckFinding => "report-check-finding",
        }
    }
}

/// Whether `role` may perform `action` at all. Exhaustive on both enums, so a new role or action does not
/// compile until someone decides its row.
pub fn permits(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match role {
        ProviderAdmin => !matches!(
            action,
            AcknowledgeEscalation
                | ReadPrivacy
                | AcknowledgeNotice
                | AnswerQuestionnaire
                | RecordTestResult
                | SignEngagement
        ),
        ProviderSecurityLead => matches!(
            action,
            ReadCatalogue
                | EditCatalogue
                | ReadTenant
                | EditTenant
                | ReadAudit
                | ExportAudit
                | ImportContent
                | ApproveBaseline
                | ReadEngagement
                | ManageEnrolment
                | ManageEngagement
                | RecordTestResult
                | SignEngagement
                | ReadTrustCenter
                | ManageTrustCenter
                | ReadFinding
                | ManageFinding
                | AcceptRisk
                | ReportCheckFinding
        ),
        ProviderDpo => matches!(
            action,
            ReadCatalogue | ReadTenant | ReadAudit | ExportAudit | ReadPrivacy | ReadTrustCenter
        ),
        CustomerComplianceOfficer => matches!(
            action,
            ReadCatalogue
                | ReadTenant
                | EditTenant
                | ReadAudit
                | ExportAudit
                | AcknowledgeNotice
                | ReadEngagement
                | AnswerQuestionnaire
                | SignEngagement
                | ReadTrustCenter
                | ReadFinding
                | ManageFinding
                | AcceptRisk
        ),
        CustomerViewer => matches!(
            action,
            ReadCatalogue | ReadTenant | ReadEngagement | ReadTrustCenter | ReadFinding
        ),
        CustomerDpo => matches!(
            action,
            ReadCatalogue | ReadTenant | ReadPrivacy | ReadTrustCenter
        ),
        Assessor => matches!(
            action,
            ReadCatalogue
                | ReadTenant
                | ReadEngagement
                | RecordTestResult
                | SignEngagement
                | ReadTrustCenter
                | ReadFinding
                | ManageFinding
        ),
        Oversight => matches!(
            action,
            ReadCatalogue
                | ReadTenant
                | ReadAudit
                | ReadPrivacy
                | AcknowledgeEscalation
                | ReadEngagement
                | ReadTrustCenter
                | ReadFinding
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole matrix written out: a change to `permits` must change this table too.
    const MATRIX: &str = "\
provider-admin              RC EC RT ET MU RA XA -- -- IC AB -- RE ME MG -- -- -- RT MT RF MF AR CF
provider-security-lead      RC EC RT ET -- RA XA -- -- IC AB -- RE ME MG -- TR SG RT MT RF MF AR CF
provider-dpo                RC -- RT -- -- RA XA RP -- -- -- -- -- -- -- -- -- -- RT -- -- -- -- --
customer-compliance-officer RC -- RT ET -- RA XA -- -- -- -- AN RE -- -- AQ -- SG RT -- RF MF AR --
customer-viewer             RC -- RT -- -- -- -- -- -- -- -- -- RE -- -- -- -- -- RT -- RF -- -- --
customer-dpo                RC -- RT -- -- -- -- RP -- -- -- -- -- -- -- -- -- -- RT -- -- -- -- --
assessor                    RC -- RT -- -- -- -- -- -- -- -- -- RE -- -- -- TR SG RT -- RF MF -- --
oversight                   RC -- RT -- -- RA -- RP AE -- -- -- RE -- -- -- -- -- RT -- RF -- -- --";

    #[test]
    fn every_role_action_pair_matches_the_written_matrix() {
        let rows: Vec<&str> = MATRIX.lines().collect();
        assert_eq!(rows.len(), Role::ALL.len());
        for (role, row) in Role::ALL.into_iter().zip(rows) {
            let mut cells = row.split_whitespace();
            assert_eq!(cells.next(), Some(role.as_str()));
            for action in Action::ALL {
                let cell = cells.next().unwrap_or("missing");
                let expected = cell != "--";
                assert_eq!(
                    permits(role, action),
                    expected,
                    "{} {}",
                    role.as_str(),
                    action.as_str()
                );
            }
        }
    }

    #[test]
    fn oversight_writes_only_acknowledgements() {
        let writes = [
            Action::EditCatalogue,
            Action::ImportContent,
            Action::EditTenant,
            Action::ManageUsers,
        ];
        assert!(writes.iter().all(|a| !permits(Role::Oversight, *a)));
        assert!(permits(Role::Oversight, Action::AcknowledgeEscalation));
    }
}
