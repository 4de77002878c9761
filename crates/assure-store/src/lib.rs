//! Storage for Assure: one [`Store`] trait, implemented for SQLite (the embedded default) and PostgreSQL
//! (the scale-out store), chosen by URL.
//!
//! Architecture invariant: every method that reads or writes tenant-owned rows takes the caller's
//! [`TenantScope`], and the SQL itself filters by it, so a caller holding one tenant's scope cannot name
//! another tenant's rows. Every change appends to the audit chain of the tenant it touches (or the
//! provider's) in the same transaction as the change.
//!
//! Architecture invariant: both backends run the same SQL text (`src/sql.rs` is compiled once per backend
//! with that backend's types); their schemas live in `migrations/sqlite` and `migrations/postgres`.

use std::future::Future;

use assure_domain::audit::{AuditRecord, ChainId, Checkpoint};
use assure_domain::baseline::{
    Baseline, CellChange, Change, ChangeRecord, Comment, Notice, Transition, Trigger,
};
use assure_domain::catalogue::{BaselineVersion, Control, ControlDomain};
use assure_domain::evidence::{
    Digest, EvidenceClaim, EvidenceFlag, EvidenceId, EvidenceKind, EvidenceRecord,
};
use assure_domain::framework::{Framework, Requirement};
use assure_domain::mapping::Mapping;
use assure_domain::programme::Programme;
use assure_domain::responsibility::{OptionRule, ResponsibilityEntry, ServiceModelDefaults};
use assure_domain::service::{Region, Service};
use assure_domain::tenant::{AssessorFirm, Tenant};
use assure_domain::user::User;
use assure_domain::{
    BaselineVersionId, ControlId, DomainId, FrameworkId, RequirementId, ServiceId, TenantId, UserId,
};
use time::OffsetDateTime;

pub mod audit;
pub mod baseline;
pub mod engagement;
pub mod findings;
mod objects;
pub mod point_read;
pub mod postgres;
pub mod snapshot;
pub mod sqlite;
pub mod story;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod trust;

pub use engagement::EngagementStore;
pub use findings::{FindingStore, SchedulerStore};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use trust::TrustStore;

/// Which tenants' rows a caller may touch. Handed out by the authorization layer after it has checked who
/// the caller is; the store filters every tenant-owned query by it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TenantScope {
    /// Provider roles, oversight and Assure itself: every tenant.
    AllTenants,
    /// A customer role: only that tenant.
    Tenant(TenantId),
    /// A set of tenants, possibly empty: an assessor's, the tenants of the engagements in progress they are
    /// assigned to (`EngagementStore::assessor_tenants`).
    Tenants(std::collections::BTreeSet<TenantId>),
}

impl TenantScope {
    pub fn admits(&self, tenant: &TenantId) -> bool {
        match self {
            Self::AllTenants => true,
            Self::Tenant(t) => t == tenant,
            Self::Tenants(set) => set.contains(tenant),
        }
    }

    pub fn admits_chain(&self, chain: &ChainId) -> bool {
        match (self, chain) {
            (Self::AllTenants, _) => true,
            (_, ChainId::Tenant(c)) => self.admits(c),
            (_, ChainId::Provider) => false,
        }
    }

    /// The one tenant SQL can filter on directly, `None` for every tenant (a set is filtered after).
    pub(crate) fn single(&self) -> Option<String> {
        match self {
            Self::AllTenants | Self::Tenants(_) => None,
            Self::Tenant(t) => Some(t.to_string()),
        }
    }
}

/// Who makes a change, as recorded in the audit chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor(pub String);

impl Actor {
    /// Assure itself, e.g. `system:init`.
    pub fn system(component: &str) -> Self {
        Self(format!("system:{component}"))
    }
}

/// What opens a draft baseline version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewBaselineDraft {
    pub trigger: Trigger,
    pub rationale: String,
}

/// One change to put into a draft, with why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewChange {
    pub change: Change,
    pub rationale: String,
}

/// A step asked of a version. `reviewers` go with a submit; `publication` with a publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionStep {
    pub transition: Transition,
    pub reviewers: Vec<String>,
    pub publication: Option<Publication>,
}

/// What a publication writes besides the version's state: computed by the caller from the impact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publication {
    /// From when the version is in force, not before the publication itself; `None` for the instant of
    /// publication.
    pub effective_at: Option<OffsetDateTime>,
    /// The baseline the catalogue tables hold now (must be the one the draft was opened on).
    pub live: Baseline,
    /// One notice per affected tenant: its own changed cells.
    pub notices: Vec<(TenantId, Vec<CellChange>)>,
}

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A credential lookup on the SQLite file failed (see `point_read`).
    #[error("database error: {0}")]
    PointRead(#[from] rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("stored {what} is unreadable: {detail}")]
    Corrupt { what: String, detail: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("the programme is already loaded; use the baseline import to change it")]
    AlreadyLoaded,
    #[error("{0}")]
    Conflict(String),
    /// A baseline version may not take the step asked (wrong state, the two-person rule, ...).
    #[error(transparent)]
    Transition(#[from] assure_domain::baseline::TransitionError),
    /// A change would make the draft baseline invalid, or names an object it lacks.
    #[error(transparent)]
    Change(#[from] assure_domain::baseline::ChangeError),
    /// A version's trigger names a malformed threat reference.
    #[error(transparent)]
    Trigger(#[from] assure_domain::baseline::TriggerError),
    /// An enrolment may not take the step asked, or the tenant is not eligible (every unmet rule).
    #[error(transparent)]
    Enrolment(#[from] assure_domain::enrolment::EnrolmentError),
    /// An engagement may not take the step asked, or the user may not do this at the engagement's tier.
    #[error(transparent)]
    Engagement(#[from] assure_domain::engagement::EngagementError),
    /// A test result is not consistent with its engagement (sample, deviations, scope).
    #[error(transparent)]
    Test(#[from] assure_domain::testing::TestError),
    /// A detection is malformed (no severity, a bad CVSS vector or CVE ID, an empty field).
    #[error(transparent)]
    Finding(#[from] assure_domain::finding::FindingError),
    /// A finding may not take the step asked (the remediation state machine names the allowed ones).
    #[error(transparent)]
    Remediation(#[from] assure_domain::remediation::RemediationError),
    /// A trust-center request may not be filed or decided (the access state machine names the allowed
    /// steps).
    #[error(transparent)]
    Trust(#[from] assure_domain::trust::AccessError),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A page of results with the total count before paging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// Columns controls can be sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ControlSort {
    /// Baseline order (domain, then position).
    #[default]
    Baseline,
    Id,
    Title,
}

/// Filter, sort and page for controls.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ControlQuery {
    pub domain: Option<DomainId>,
    /// Case-insensitive substring of id, title or statement.
    pub search: Option<String>,
    pub sort: ControlSort,
    pub descending: bool,
    pub limit: Option<i64>,
    pub offset: i64,
}

/// Which mappings to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MappingFilter {
    pub control: Option<ControlId>,
    pub framework: Option<FrameworkId>,
    pub requirement: Option<RequirementId>,
}

/// What an import wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub controls: usize,
    pub frameworks: usize,
    pub requirements: usize,
    pub mappings: usize,
    pub services: usize,
    pub tenants: usize,
    pub users: usize,
    pub audit_records: usize,
}

/// A framework to import: its row, its requirements in publisher order (parents first), and for OSCAL the
/// document it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameworkImport {
    pub framework: Framework,
    pub requirements: Vec<Requirement>,
    pub source: Option<FrameworkSource>,
}

/// The document a framework was imported from, kept so the framework can be exported as it was published.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FrameworkSource {
    pub framework: FrameworkId,
    /// `oscal-catalog` (a catalog, or a profile's resolved catalog).
    pub format: String,
    pub file_name: String,
    /// The OSCAL document as JSON text.
    pub document: String,
}

/// What a framework import changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FrameworkImportOutcome {
    /// Whether the framework was new.
    pub created: bool,
    pub requirements_added: usize,
    pub requirements_updated: usize,
    pub requirements_unchanged: usize,
    /// Requirements stored before that the import lacks: kept, with their mappings, and reported.
    pub missing: Vec<RequirementId>,
    /// Mappings to the framework after the import (none is lost by an import).
    pub mappings: usize,
    pub audit_records: usize,
}

/// What a mapping import changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct MappingImportOutcome {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub audit_records: usize,
}

/// Where an import job is. A state machine: `previewed -> queued -> running -> succeeded | failed`, and a
/// queued job may fail without running (e.g. its payload is unreadable).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportJobState {
    /// Read and previewed; waiting for the user to confirm.
    Previewed,
    /// Confirmed; waiting for a runner.
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl ImportJobState {
    pub const ALL: [ImportJobState; 5] = [
        Self::Previewed,
        Self::Queued,
        Self::Running,
        Self::Succeeded,
        Self::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Previewed => "previewed",
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Whether the job has ended.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }

    /// The legal transitions; `running -> running` is a progress update.
    pub fn may_become(self, next: Self) -> bool {
        use ImportJobState::*;
        match self {
            Previewed => matches!(next, Queued),
            Queued => matches!(next, Running | Failed),
            Running => matches!(next, Running | Succeeded | Failed),
            Succeeded | Failed => false,
        }
    }

    /// The states that may become `next`, for the guarded update.
    pub fn predecessors(next: Self) -> Vec<Self> {
        Self::ALL
            .into_iter()
            .filter(|s| s.may_become(next))
            .collect()
    }
}

/// An import job to record, previewed and not yet confirmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewImportJob {
    pub id: String,
    /// `catalog`, `profile`, `framework` or `mapping`.
    pub kind: String,
    pub file_name: String,
    /// Objects to write (requirements or mappings): the progress total.
    pub total: i64,
    /// The preview shown to the user, as JSON.
    pub preview_json: String,
    /// What to import, as JSON, for whichever node runs the job.
    pub payload_json: String,
    pub created_by: UserId,
    pub at: OffsetDateTime,
}

/// A change of an import job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportJobUpdate {
    pub state: ImportJobState,
    pub done: i64,
    /// The outcome as JSON, when the job succeeded.
    pub outcome_json: Option<String>,
    /// Why the job failed.
    pub error: Option<String>,
    pub at: OffsetDateTime,
}

/// An import job as stored (without its payload).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportJob {
    pub id: String,
    pub kind: String,
    pub file_name: String,
    pub state: ImportJobState,
    pub done: i64,
    pub total: i64,
    pub preview_json: String,
    pub outcome_json: Option<String>,
    pub error: Option<String>,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// The head of one audit chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainHead {
    pub chain: ChainId,
    pub seq: i64,
    pub hash: String,
}

/// Which backend a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One method per use case. Implemented by [`SqliteStore`] and [`PgStore`]; the conformance story in
/// [`story`] exercises every method on both.
pub trait Store:
    Clone + Send + Sync + 'static + EngagementStore + FindingStore + SchedulerStore + TrustStore
{
    fn backend(&self) -> Backend;

    /// Whether `assure init` (or a first `serve`) has set this database up, with or without content.
    fn is_initialised(&self) -> impl Future<Output = Result<bool>> + Send;

    /// A number that grows with every audited change, on any node (the sum of the audit chains' head
    /// sequence numbers). Every change is audited in its own transaction, so a reader that saw the same
    /// mark before and after reading anything has seen no change in between: what read caches key on.
    fn change_mark(&self) -> impl Future<Output = Result<i64>> + Send;

    /// Records that the database is set up; `demo` says whether the demo programme was asked for.
    fn mark_initialised(
        &self,
        actor: &Actor,
        demo: bool,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Whether a programme has been imported into this database.
    fn is_loaded(&self) -> impl Future<Output = Result<bool>> + Send;

    /// Writes a whole programme (validated by the caller) in one transaction, with an audit record per
    /// object; refuses when one is already loaded.
    fn import_programme(
        &self,
        actor: &Actor,
        programme: &Programme,
    ) -> impl Future<Output = Result<ImportSummary>> + Send;

    fn list_regions(&self) -> impl Future<Output = Result<Vec<Region>>> + Send;
    fn list_domains(&self) -> impl Future<Output = Result<Vec<ControlDomain>>> + Send;
    fn list_controls(
        &self,
        query: &ControlQuery,
    ) -> impl Future<Output = Result<Page<Control>>> + Send;
    fn get_control(&self, id: &ControlId) -> impl Future<Output = Result<Option<Control>>> + Send;
    fn list_frameworks(&self) -> impl Future<Output = Result<Vec<Framework>>> + Send;
    fn list_requirements(
        &self,
        framework: &FrameworkId,
    ) -> impl Future<Output = Result<Vec<Requirement>>> + Send;
    /// Every framework's requirements in one read (frameworks in their order, each in publisher order),
    /// so pages and snapshots that need all of them do not ask once per framework.
    fn list_all_requirements(&self) -> impl Future<Output = Result<Vec<Requirement>>> + Send;
    fn list_mappings(
        &self,
        filter: &MappingFilter,
    ) -> impl Future<Output = Result<Vec<Mapping>>> + Send;
    fn list_services(&self) -> impl Future<Output = Result<Vec<Service>>> + Send;
    fn list_model_defaults(&self)
    -> impl Future<Output = Result<Vec<ServiceModelDefaults>>> + Send;
    fn list_responsibility_entries(
        &self,
        service: Option<&ServiceId>,
    ) -> impl Future<Output = Result<Vec<ResponsibilityEntry>>> + Send;
    fn list_option_rules(
        &self,
        service: Option<&ServiceId>,
    ) -> impl Future<Output = Result<Vec<OptionRule>>> + Send;
    fn list_assessor_firms(&self) -> impl Future<Output = Result<Vec<AssessorFirm>>> + Send;

    fn list_tenants(&self, scope: &TenantScope)
    -> impl Future<Output = Result<Vec<Tenant>>> + Send;
    fn get_tenant(
        &self,
        scope: &TenantScope,
        id: &TenantId,
    ) -> impl Future<Output = Result<Option<Tenant>>> + Send;
    /// Replaces a tenant's details and profile; `NotFound` when the scope does not admit it.
    fn update_tenant(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &Tenant,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The tenant as it stood at `at`: the newest version written at or before it (each write of a tenant
    /// keeps one). `None` when the scope does not admit the tenant or it had no version yet.
    fn tenant_as_of(
        &self,
        scope: &TenantScope,
        id: &TenantId,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<Tenant>>> + Send;
    /// Users the scope admits: a tenant's own, or every user for the provider.
    fn list_users(&self, scope: &TenantScope) -> impl Future<Output = Result<Vec<User>>> + Send;

    /// The chains the scope may read.
    fn audit_chains(
        &self,
        scope: &TenantScope,
    ) -> impl Future<Output = Result<Vec<ChainHead>>> + Send;
    /// A chain's records in sequence order; empty when the scope does not admit the chain.
    fn audit_records(
        &self,
        scope: &TenantScope,
        chain: &ChainId,
    ) -> impl Future<Output = Result<Vec<AuditRecord>>> + Send;
    fn audit_checkpoints(
        &self,
        scope: &TenantScope,
        chain: &ChainId,
    ) -> impl Future<Output = Result<Vec<Checkpoint>>> + Send;
    /// Stores a signed checkpoint of a chain head.
    fn record_checkpoint(&self, checkpoint: &Checkpoint)
    -> impl Future<Output = Result<()>> + Send;

    /// The tenant's evidence data key (wrapped by the master key), storing `candidate` as the key when
    /// the tenant has none yet, so concurrent first uploads agree on one key. `NotFound` when the scope
    /// does not admit the tenant or it does not exist.
    fn evidence_data_key(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
        candidate: &str,
    ) -> impl Future<Output = Result<DataKeyState>> + Send;
    /// Destroys the tenant's evidence data key: its blobs become unreadable for good, its records stay as
    /// tombstones naming their digests. `NotFound` when the scope does not admit the tenant.
    fn destroy_evidence_data_key(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Records evidence whose blob is already durably stored; a new version when `supersedes` is set.
    /// `NotFound` when the scope does not admit the tenant or the superseded record is not the tenant's;
    /// `Conflict` when that record already has a newer version.
    fn add_evidence(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        new: &NewEvidence,
    ) -> impl Future<Output = Result<EvidenceRecord>> + Send;
    /// A tenant's evidence, newest first, filtered and paged.
    fn list_evidence(
        &self,
        scope: &TenantScope,
        query: &EvidenceQuery,
    ) -> impl Future<Output = Result<Page<EvidenceRecord>>> + Send;
    fn get_evidence(
        &self,
        scope: &TenantScope,
        tenant: &TenantId,
        id: &EvidenceId,
    ) -> impl Future<Output = Result<Option<EvidenceRecord>>> + Send;
    /// Every version in the line of `id`, oldest first; empty when the record is not visible.
    fn evidence_versions(
        &self,
        scope: &TenantScope,
        tenant: &TenantId,
        id: &EvidenceId,
    ) -> impl Future<Output = Result<Vec<EvidenceRecord>>> + Send;
    /// The blobs records point at, for verification, per tenant and digest.
    fn evidence_blobs(
        &self,
        scope: &TenantScope,
    ) -> impl Future<Output = Result<Vec<BlobEntry>>> + Send;
    /// Writes the audit record of a download of `id`'s bytes.
    fn record_evidence_download(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
        id: &EvidenceId,
    ) -> impl Future<Output = Result<()>> + Send;

    /// One user, whatever its state; `None` when no such user exists.
    fn get_user(&self, id: &UserId) -> impl Future<Output = Result<Option<User>>> + Send;
    /// Creates a user (validated by the caller) with an optional Argon2id password hash; `Conflict` when
    /// the ID is taken.
    fn create_user(
        &self,
        actor: &Actor,
        user: &User,
        password_hash: Option<&str>,
        must_change_password: bool,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Disables (ending every session) or re-enables a user; `NotFound` for an unknown user.
    fn set_user_disabled(
        &self,
        actor: &Actor,
        id: &UserId,
        disabled: bool,
    ) -> impl Future<Output = Result<()>> + Send;
    /// What logging in needs to know about a user; `None` when no such user exists.
    fn user_credentials(
        &self,
        id: &UserId,
    ) -> impl Future<Output = Result<Option<UserCredentials>>> + Send;
    /// Counts a failed login (password or second factor) at `at`; at `policy.max_failures` the account
    /// locks until `at + policy.lock_for` and the count starts again. Counted in the database, so every
    /// server node sees the same count.
    fn record_login_failure(
        &self,
        actor: &Actor,
        id: &UserId,
        at: OffsetDateTime,
        policy: &LockoutPolicy,
    ) -> impl Future<Output = Result<FailureOutcome>> + Send;
    /// Replaces a user's password hash; `must_change` forces a change at the next login.
    fn set_password(
        &self,
        actor: &Actor,
        id: &UserId,
        password_hash: &str,
        must_change: bool,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Enrols a TOTP secret with the hashes of fresh recovery codes, replacing any before; `None` removes
    /// the second factor, its recovery codes and every session of the user (a reset). The store keeps the
    /// text it is given: callers seal the secret first (`assure_auth::TotpVault`), the store never sees
    /// the key.
    fn set_totp(
        &self,
        actor: &Actor,
        id: &UserId,
        secret: Option<&str>,
        recovery_code_hashes: &[String],
    ) -> impl Future<Output = Result<()>> + Send;
    /// Replaces the stored TOTP secret text `expected` by `replacement` (the same secret sealed, for rows
    /// written before secrets were encrypted at rest), keeping the recovery codes, the last accepted step
    /// and the sessions. False, changing nothing, when the stored text is no longer `expected` (enrolled
    /// again or reset meanwhile), so a stale re-encryption never overwrites a newer secret.
    fn replace_totp_secret(
        &self,
        actor: &Actor,
        id: &UserId,
        expected: &str,
        replacement: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Spends a recovery code: true when it was the user's and unused, and now is used.
    fn use_recovery_code(
        &self,
        actor: &Actor,
        id: &UserId,
        code_hash: &str,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Starts a session after a correct password (or an OpenID Connect login); clears the failure count.
    fn create_session(
        &self,
        actor: &Actor,
        session: &NewSession,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The live session with this id hash at `at`: not expired, its user not disabled.
    fn session(
        &self,
        id_hash: &str,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<Session>>> + Send;
    /// Records that a session was used at `at` (bookkeeping, not audited).
    fn touch_session(
        &self,
        id_hash: &str,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Marks a session's second factor passed. With a TOTP `step`, only when the step is later than the
    /// last one the user spent, so a code works once; false when it was refused.
    fn pass_mfa(
        &self,
        actor: &Actor,
        id_hash: &str,
        totp_step: Option<i64>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Ends a session (logout).
    fn end_session(&self, actor: &Actor, id_hash: &str) -> impl Future<Output = Result<()>> + Send;
    /// Stores a new API token (only its hash).
    fn create_api_token(
        &self,
        actor: &Actor,
        token: &NewApiToken,
    ) -> impl Future<Output = Result<()>> + Send;
    /// API tokens, newest first: one user's, or everyone's for `None`.
    fn list_api_tokens(
        &self,
        user: Option<&UserId>,
    ) -> impl Future<Output = Result<Vec<ApiToken>>> + Send;
    /// Revokes a token at `at`; with `user`, only that user's. `NotFound` otherwise.
    fn revoke_api_token(
        &self,
        actor: &Actor,
        user: Option<&UserId>,
        id: &str,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The token with this hash when it is usable at `at` (not revoked, not expired, its user enabled),
    /// with its user.
    fn api_token(
        &self,
        token_hash: &str,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<(ApiToken, User)>>> + Send;
    /// Imports a framework (validated by the caller) in one transaction, all or nothing, with an audit record
    /// per object it changes. A new framework is created; an existing one (e.g. the demo's `nist-800-53-r5`
    /// under the real NIST catalog) keeps its ID and its requirements' IDs: requirements are updated in
    /// place or added, requirements the import lacks are kept (so no mapping is orphaned) and reported in
    /// [`FrameworkImportOutcome::missing`]. `progress` is told how many requirements are written so far.
    fn import_framework(
        &self,
        actor: &Actor,
        import: &FrameworkImport,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> impl Future<Output = Result<FrameworkImportOutcome>> + Send;
    /// The documents frameworks were imported from (kept for export), in framework order.
    fn list_framework_sources(&self) -> impl Future<Output = Result<Vec<FrameworkSource>>> + Send;
    /// Imports mappings with their provenance in one transaction, all or nothing, audited: a mapping with the
    /// key of an existing one replaces it. `NotFound` naming the first unknown control or requirement.
    fn import_mappings(
        &self,
        actor: &Actor,
        mappings: &[Mapping],
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> impl Future<Output = Result<MappingImportOutcome>> + Send;
    /// Records an import job (bookkeeping, not audited: the import it runs is); `Conflict` when the ID is
    /// taken.
    fn create_import_job(&self, job: &NewImportJob) -> impl Future<Output = Result<()>> + Send;
    /// Moves a job on: its state (only along [`ImportJobState::may_become`], checked in the same statement,
    /// so of two nodes claiming a queued job one wins), its progress and, when it ends, its outcome or error
    /// (the payload is then dropped). `Conflict` when the job is not in a state that may become `update.state`,
    /// `NotFound` when there is no such job.
    fn update_import_job(
        &self,
        id: &str,
        update: &ImportJobUpdate,
    ) -> impl Future<Output = Result<()>> + Send;
    fn get_import_job(&self, id: &str) -> impl Future<Output = Result<Option<ImportJob>>> + Send;
    /// The newest jobs first, at most `limit`.
    fn list_import_jobs(&self, limit: i64) -> impl Future<Output = Result<Vec<ImportJob>>> + Send;
    /// What a job will import, as its runner stored it; `None` once the job ended or when there is no such job.
    fn import_job_payload(&self, id: &str) -> impl Future<Output = Result<Option<String>>> + Send;

    /// Whether a tenant asks every one of its users for a second factor.
    fn tenant_requires_mfa(&self, tenant: &TenantId) -> impl Future<Output = Result<bool>> + Send;
    /// Sets a tenant's second-factor policy; `NotFound` when the scope does not admit the tenant.
    /// Every baseline version, oldest first (governance record only; content by `baseline_content`).
    fn list_baseline_versions(&self) -> impl Future<Output = Result<Vec<BaselineVersion>>> + Send;
    /// A version's whole content; `None` for an unknown version.
    fn baseline_content(
        &self,
        id: &BaselineVersionId,
    ) -> impl Future<Output = Result<Option<Baseline>>> + Send;
    /// Opens a draft on `live` (the baseline the catalogue tables hold now). The first draft also records
    /// `live` as version 1, published, in force since the programme was loaded. Refuses while another
    /// version is open (draft, in review or approved).
    fn open_baseline_draft(
        &self,
        actor: &Actor,
        draft: &NewBaselineDraft,
        live: &Baseline,
    ) -> impl Future<Output = Result<BaselineVersion>> + Send;
    /// Applies one change to a draft, checked against `context` (frameworks and tenants), and records it.
    fn add_baseline_change(
        &self,
        actor: &Actor,
        id: &BaselineVersionId,
        change: &NewChange,
        context: &Programme,
    ) -> impl Future<Output = Result<ChangeRecord>> + Send;
    /// The changes of one version (or of every version), in order.
    fn list_baseline_changes(
        &self,
        id: Option<&BaselineVersionId>,
    ) -> impl Future<Output = Result<Vec<ChangeRecord>>> + Send;
    /// Adds a review comment on a version or one of its changes.
    fn comment_on_baseline(
        &self,
        actor: &Actor,
        id: &BaselineVersionId,
        change: Option<i64>,
        body: &str,
    ) -> impl Future<Output = Result<Comment>> + Send;
    /// The comments on one version (or on every version), in order.
    fn list_baseline_comments(
        &self,
        id: Option<&BaselineVersionId>,
    ) -> impl Future<Output = Result<Vec<Comment>>> + Send;
    /// Moves a version one step (`baseline::next_state` decides); publishing writes its content into the
    /// catalogue tables and the notices of `step.publication`, all in one transaction.
    fn transition_baseline(
        &self,
        actor: &Actor,
        id: &BaselineVersionId,
        step: &VersionStep,
    ) -> impl Future<Output = Result<BaselineVersion>> + Send;
    /// Notices of the tenants the scope admits, newest first, optionally of one version only.
    fn list_baseline_notices(
        &self,
        scope: &TenantScope,
        version: Option<&BaselineVersionId>,
    ) -> impl Future<Output = Result<Vec<Notice>>> + Send;
    /// Records a customer's acknowledgement; `NotFound` outside the scope; a second one is a conflict.
    fn acknowledge_notice(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &str,
    ) -> impl Future<Output = Result<Notice>> + Send;

    fn set_tenant_requires_mfa(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
        require: bool,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// A user with what logging in needs. `Debug` leaves the secrets out.
#[derive(Clone, PartialEq, Eq)]
pub struct UserCredentials {
    pub user: User,
    /// Argon2id PHC string; `None` for a user who can only log in through OpenID Connect.
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    /// The stored TOTP secret, when the user enrolled a second factor: sealed (`totp1:...`, opened with
    /// `assure_auth::TotpVault`) or, in rows from before secrets were encrypted, base32.
    pub totp_secret: Option<String>,
    pub failed_logins: i64,
    pub locked_until: Option<OffsetDateTime>,
}

impl std::fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCredentials")
            .field("user", &self.user)
            .field("must_change_password", &self.must_change_password)
            .field("mfa_enrolled", &self.totp_secret.is_some())
            .field("failed_logins", &self.failed_logins)
            .field("locked_until", &self.locked_until)
            .finish_non_exhaustive()
    }
}

/// How many failed logins lock an account, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: i64,
    pub lock_for: time::Duration,
}

/// What a failed login did to the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureOutcome {
    /// Counted; this many failures in a row now.
    Counted(i64),
    /// The account is locked until this instant.
    Locked(OffsetDateTime),
}

/// A session to start; the id itself is never stored, only its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSession {
    pub id_hash: String,
    pub user: UserId,
    pub at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// False while the second factor is still due.
    pub mfa_passed: bool,
    /// The session's CSRF token, required on every state-changing request made with the cookie.
    pub csrf_token: String,
}

/// A live session with its user.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub id_hash: String,
    pub user: User,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub mfa_passed: bool,
    pub csrf_token: String,
    pub must_change_password: bool,
    pub mfa_enrolled: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user.id)
            .field("expires_at", &self.expires_at)
            .field("mfa_passed", &self.mfa_passed)
            .finish_non_exhaustive()
    }
}

/// An API token to store: only the hash of its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApiToken {
    pub id: String,
    pub user: UserId,
    pub name: String,
    pub token_hash: String,
    pub at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
}

/// An API token as listed (never its text or hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub id: String,
    pub user: UserId,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// A tenant's evidence data key as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataKeyState {
    /// The data key, wrapped by the master key, in hex.
    Active(String),
    /// Destroyed at this instant: the tenant's blobs are tombstones.
    Destroyed(String),
}

/// Evidence to record: the checked claim, the stored blob it names, and who uploaded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvidence {
    pub id: EvidenceId,
    pub tenant: TenantId,
    pub claim: EvidenceClaim,
    pub digest: Digest,
    pub size: u64,
    pub media_type: String,
    pub file_name: Option<String>,
    pub uploader: UserId,
    pub supersedes: Option<EvidenceId>,
    pub flags: Vec<EvidenceFlag>,
}

/// Which evidence of one tenant to list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceQuery {
    pub tenant: TenantId,
    pub kind: Option<EvidenceKind>,
    /// Linked to this control.
    pub control: Option<ControlId>,
    /// Expiring before this day (so already expired when it is today).
    pub expires_before: Option<time::Date>,
    /// Leave out records a newer version supersedes.
    pub current_only: bool,
    pub limit: Option<i64>,
    pub offset: i64,
}

impl EvidenceQuery {
    /// Every current record of `tenant`.
    pub fn current(tenant: TenantId) -> Self {
        Self {
            tenant,
            kind: None,
            control: None,
            expires_before: None,
            current_only: true,
            limit: None,
            offset: 0,
        }
    }
}

/// A stored blob as the records know it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobEntry {
    pub tenant: TenantId,
    pub digest: Digest,
    pub size: u64,
    /// The tenant's key is destroyed: the blob is a tombstone and is not expected to be readable.
    pub tombstone: bool,
}

/// A store chosen at run time. Generic code takes `S: Store`; the binary matches on this once.
#[derive(Clone, Debug)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl AnyStore {
    pub async fn connect(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite(SqliteStore::connect(url).await?))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres(PgStore::connect(url).await?))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }
}
