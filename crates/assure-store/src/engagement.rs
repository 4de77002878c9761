//! Engagements in the store: enrolments, engagements (tier, scope, assessors, state), questionnaire
//! answers and test results, and roll-forward. [`EngagementStore`] is a supertrait of [`Store`], so every
//! store has these methods; its SQL lives in `engagement_sql.rs`, compiled for both backends like `sql.rs`.
//!
//! The store enforces the tier rules (`engagement::may`) for answering, testing and signing, with the
//! user who acts: the role matrix is the caller's gate, the tier the store's. The free functions below
//! compose trait methods (like `baseline.rs`) for what needs the programme: in-scope controls, the
//! questionnaire, a sheet import, a roll-forward and the engagement hook of baseline impact.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use assure_domain::baseline::{EngagementImpact, EngagementScopes, changed_controls};
use assure_domain::catalogue::VersionState;
use assure_domain::cycle::{
    InheritedResult, ProviderTest, RollForward, check_provider_test, inherited_results,
    roll_forward,
};
use assure_domain::engagement::{
    Engagement, EngagementStep, Scope, ScopedControl, Tier, in_scope_controls, scoped_tenant,
};
use assure_domain::enrolment::{Enrolment, EnrolmentStep, Intake};
use assure_domain::evidence::EvidenceId;
use assure_domain::matrix::ResponsibilityModel;
use assure_domain::programme::Programme;
use assure_domain::questionnaire::{Question, Response, RowError, Sheet, questions, read_sheet};
use assure_domain::testing::{ControlTest, DraftFinding};
use assure_domain::user::User;
use assure_domain::{AssessorFirmId, ControlId, EngagementId, TenantId, UserId};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::snapshot::programme_snapshot;
use crate::{Actor, EvidenceQuery, Result, Store, StoreError, TenantScope};

/// An engagement to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEngagement {
    pub id: EngagementId,
    pub tenant: TenantId,
    pub tier: Tier,
    pub scope: Scope,
}

/// An answer as stored: the response with its engagement, tenant, who answered and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAnswer {
    pub engagement: EngagementId,
    pub tenant: TenantId,
    #[serde(flatten)]
    pub response: Response,
    pub answered_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub answered_at: OffsetDateTime,
}

/// A test result as stored, with its tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTest {
    pub tenant: TenantId,
    #[serde(flatten)]
    pub test: ControlTest,
}

/// The engagement methods of every store (see the module documentation). Tenant-owned rows take the
/// caller's scope: an engagement of a tenant outside it is "not found".
pub trait EngagementStore: Send + Sync {
    /// Enrolments of the tenants the scope admits.
    fn list_enrolments(
        &self,
        scope: &TenantScope,
    ) -> impl Future<Output = Result<Vec<Enrolment>>> + Send;
    fn get_enrolment(
        &self,
        scope: &TenantScope,
        tenant: &TenantId,
    ) -> impl Future<Output = Result<Option<Enrolment>>> + Send;
    /// Records a tenant's request to enrol; `Conflict` when it has an enrolment already.
    fn request_enrolment(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
    ) -> impl Future<Output = Result<Enrolment>> + Send;
    /// Replaces the intake record while the enrolment is not yet active.
    fn update_intake(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
        intake: &Intake,
    ) -> impl Future<Output = Result<Enrolment>> + Send;
    /// Moves an enrolment one step (`enrolment::next_state` decides, on `today`); `nda` is the signing
    /// day recorded with `record-nda`.
    fn transition_enrolment(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        tenant: &TenantId,
        step: EnrolmentStep,
        nda: Option<Date>,
        today: Date,
    ) -> impl Future<Output = Result<Enrolment>> + Send;

    /// Engagements the scope admits, optionally of one tenant, newest first.
    fn list_engagements(
        &self,
        scope: &TenantScope,
        tenant: Option<&TenantId>,
    ) -> impl Future<Output = Result<Vec<Engagement>>> + Send;
    fn get_engagement(
        &self,
        scope: &TenantScope,
        id: &EngagementId,
    ) -> impl Future<Output = Result<Option<Engagement>>> + Send;
    /// Opens an engagement in `scoping` for a tenant whose enrolment is active and eligible on `today`,
    /// over a scope the tenant's profile admits. `Conflict` when the ID is taken.
    fn create_engagement(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        new: &NewEngagement,
        today: Date,
    ) -> impl Future<Output = Result<Engagement>> + Send;
    /// Replaces the scope while the engagement is in `scoping`.
    fn scope_engagement(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &EngagementId,
        engagement_scope: &Scope,
    ) -> impl Future<Output = Result<Engagement>> + Send;
    /// Assigns an assessor firm and named assessors of it to a third-party assessment in progress.
    fn assign_assessors(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &EngagementId,
        firm: &AssessorFirmId,
        assessors: &[UserId],
    ) -> impl Future<Output = Result<Engagement>> + Send;
    /// Moves an engagement one step as `by`; signing also needs `by` to be who the tier names.
    fn transition_engagement(
        &self,
        scope: &TenantScope,
        by: &User,
        id: &EngagementId,
        step: EngagementStep,
    ) -> impl Future<Output = Result<Engagement>> + Send;
    /// Saves answers as `by` (who the tier lets answer) while the engagement is in scoping or fieldwork:
    /// every control must be one of `questions`, every evidence reference the tenant's; all or nothing.
    fn save_answers(
        &self,
        scope: &TenantScope,
        by: &User,
        id: &EngagementId,
        questions: &[Question],
        responses: &[Response],
    ) -> impl Future<Output = Result<usize>> + Send;
    /// The answers of an engagement, by control.
    fn list_answers(
        &self,
        scope: &TenantScope,
        id: &EngagementId,
    ) -> impl Future<Output = Result<Vec<StoredAnswer>>> + Send;
    /// Records a test result as `by` (who the tier lets test) during fieldwork, checked by
    /// `testing::check_test`; replaces the control's earlier result. Returns the finding an ineffective
    /// result drafts (the findings work persists it).
    fn record_test(
        &self,
        scope: &TenantScope,
        by: &User,
        test: &ControlTest,
        in_scope: &[ScopedControl],
    ) -> impl Future<Output = Result<Option<DraftFinding>>> + Send;
    /// The test results of an engagement, by control.
    fn list_tests(
        &self,
        scope: &TenantScope,
        id: &EngagementId,
    ) -> impl Future<Output = Result<Vec<StoredTest>>> + Send;
    /// Opens the next period's engagement `new_id` from a signed one: scope copied with `plan.period`,
    /// answers copied keeping only reused evidence, the plan kept on the new engagement.
    fn roll_forward_engagement(
        &self,
        scope: &TenantScope,
        actor: &Actor,
        id: &EngagementId,
        new_id: &EngagementId,
        plan: &RollForward,
    ) -> impl Future<Output = Result<Engagement>> + Send;
    /// Stores a provider test of an inherited control (checked by [`record_provider_test`]), filed under
    /// its period's provider assessment; a retest of the same control and period replaces it. Provider-side
    /// data: customers see it only through [`inherited_results_of`], redacted.
    fn save_provider_test(
        &self,
        actor: &Actor,
        test: &ProviderTest,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Provider tests, optionally of one control, by control and then newest period first.
    fn list_provider_tests(
        &self,
        control: Option<&ControlId>,
    ) -> impl Future<Output = Result<Vec<ProviderTest>>> + Send;
    /// The tenants of the engagements in progress that name `assessor`: an assessor's tenant scope.
    fn assessor_tenants(
        &self,
        assessor: &UserId,
    ) -> impl Future<Output = Result<BTreeSet<TenantId>>> + Send;
}

/// The controls in an engagement's scope, computed from the tenant's matrix over the programme.
pub fn in_scope_in(programme: &Programme, engagement: &Engagement) -> Result<Vec<ScopedControl>> {
    let tenant = programme
        .tenants
        .iter()
        .find(|t| t.id == engagement.tenant)
        .ok_or_else(|| StoreError::NotFound(format!("tenant {}", engagement.tenant)))?;
    let model =
        ResponsibilityModel::new(programme).map_err(|e| StoreError::Conflict(e.to_string()))?;
    let matrix = model
        .matrix(&scoped_tenant(tenant, &engagement.scope))
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    Ok(in_scope_controls(
        &engagement.scope,
        &matrix,
        &programme.mappings,
    ))
}

/// An engagement the scope admits, or `NotFound`.
pub async fn engagement<S: Store>(
    store: &S,
    scope: &TenantScope,
    id: &EngagementId,
) -> Result<Engagement> {
    store
        .get_engagement(scope, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("engagement {id}")))
}

/// The controls in scope of engagement `id`.
pub async fn in_scope<S: Store>(
    store: &S,
    scope: &TenantScope,
    id: &EngagementId,
) -> Result<(Engagement, Vec<ScopedControl>)> {
    let e = engagement(store, scope, id).await?;
    let programme = programme_snapshot(store, &TenantScope::Tenant(e.tenant.clone())).await?;
    let controls = in_scope_in(&programme, &e)?;
    Ok((e, controls))
}

/// Records a test result; an ineffective one also raises a finding owned by the engagement's customer, so
/// remediation takes it from there. The finding's key is (this control's test, this engagement, the tenant):
/// a retest that is still ineffective refreshes the open finding and never moves its deadline.
pub async fn record_test_with_finding<S: Store>(
    store: &S,
    scope: &TenantScope,
    by: &User,
    engagement: &Engagement,
    test: &ControlTest,
    in_scope: &[ScopedControl],
    finding_id: &assure_domain::finding::FindingId,
) -> Result<(
    Option<DraftFinding>,
    Option<crate::findings::DetectionOutcome>,
)> {
    use assure_domain::finding::{Detection, FindingOwner, FindingSource};
    let draft = store.record_test(scope, by, test, in_scope).await?;
    let Some(d) = &draft else {
        return Ok((None, None));
    };
    let detection = Detection {
        owner: FindingOwner::Tenant(engagement.tenant.clone()),
        test: format!("engagement-test:{}", d.control),
        resource: d.engagement.to_string(),
        title: d.title.clone(),
        detail: test.notes.clone(),
        control: Some(d.control.clone()),
        severity: Some(d.severity.into()),
        cvss: None,
        cve: None,
        source: FindingSource::AssessorResult {
            assessor: by.id.to_string(),
            engagement: Some(d.engagement.to_string()),
        },
        at: test.recorded_at,
    };
    let actor = Actor(format!("user:{}", by.id));
    let outcome = store
        .record_detection(scope, &actor, finding_id, &detection)
        .await?;
    Ok((draft, Some(outcome)))
}

/// The questionnaire of engagement `id` with the answers given so far.
pub async fn questionnaire<S: Store>(
    store: &S,
    scope: &TenantScope,
    id: &EngagementId,
) -> Result<(Engagement, Vec<Question>, Vec<Response>)> {
    let (e, controls) = in_scope(store, scope, id).await?;
    let answers = store.list_answers(scope, id).await?;
    Ok((
        e,
        questions(&controls),
        answers.into_iter().map(|a| a.response).collect(),
    ))
}

/// What a sheet import did: saved answers, or every row error (and nothing saved).
#[derive(Debug)]
pub enum SheetImport {
    Saved(usize),
    Rejected(Vec<RowError>),
}

/// Imports answers from a sheet as `by`: every row is checked first (`questionnaire::read_sheet`, against
/// the questionnaire and the tenant's evidence); anything wrong and nothing is written.
pub async fn import_sheet<S: Store>(
    store: &S,
    scope: &TenantScope,
    by: &User,
    id: &EngagementId,
    sheet: &Sheet,
) -> Result<SheetImport> {
    let (e, questions, _) = questionnaire(store, scope, id).await?;
    let mut every = EvidenceQuery::current(e.tenant.clone());
    every.current_only = false;
    let evidence: BTreeSet<EvidenceId> = store
        .list_evidence(scope, &every)
        .await?
        .items
        .into_iter()
        .map(|r| r.id)
        .collect();
    match read_sheet(sheet, &questions, &evidence) {
        Ok(responses) => Ok(SheetImport::Saved(
            store
                .save_answers(scope, by, id, &questions, &responses)
                .await?,
        )),
        Err(errors) => Ok(SheetImport::Rejected(errors)),
    }
}

/// For each baseline version published after `since`, the controls it changed against the version before.
pub async fn changes_since<S: Store>(
    store: &S,
    since: OffsetDateTime,
) -> Result<Vec<(assure_domain::BaselineVersionId, BTreeSet<ControlId>)>> {
    let versions: Vec<_> = store
        .list_baseline_versions()
        .await?
        .into_iter()
        .filter(|v| v.state == VersionState::Published)
        .collect();
    let mut out = Vec::new();
    for pair in versions.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        if after.published_at.is_none_or(|p| p <= since) {
            continue;
        }
        let (Some(a), Some(b)) = (
            store.baseline_content(&before.id).await?,
            store.baseline_content(&after.id).await?,
        ) else {
            continue;
        };
        out.push((after.id.clone(), changed_controls(&a, &b)));
    }
    Ok(out)
}

/// Rolls signed engagement `id` forward into `new_id`: evidence its answers and tests cite is judged for
/// the next period, controls changed by baseline versions published since it was opened are flagged for
/// retest.
pub async fn roll_forward_to<S: Store>(
    store: &S,
    scope: &TenantScope,
    actor: &Actor,
    id: &EngagementId,
    new_id: &EngagementId,
) -> Result<Engagement> {
    let (previous, controls) = in_scope(store, scope, id).await?;
    let mut cited: BTreeSet<EvidenceId> = BTreeSet::new();
    for a in store.list_answers(scope, id).await? {
        cited.extend(a.response.evidence);
    }
    for t in store.list_tests(scope, id).await? {
        cited.extend(t.test.evidence);
    }
    let mut every = EvidenceQuery::current(previous.tenant.clone());
    every.current_only = false;
    let records: Vec<_> = store
        .list_evidence(scope, &every)
        .await?
        .items
        .into_iter()
        .filter(|r| cited.contains(&r.id))
        .collect();
    let changed = changes_since(store, previous.created_at).await?;
    let plan = roll_forward(&previous, &records, &changed, &controls)?;
    store
        .roll_forward_engagement(scope, actor, id, new_id, &plan)
        .await
}

/// The engagements in progress with their in-scope controls: the stored answer to
/// [`EngagementScopes`], so baseline impact lists engagements touching a changed control.
#[derive(Clone, Debug, Default)]
pub struct StoredEngagements {
    scopes: Vec<(EngagementId, TenantId, BTreeSet<ControlId>)>,
}

impl EngagementScopes for StoredEngagements {
    fn touching(&self, controls: &BTreeSet<ControlId>) -> Vec<EngagementImpact> {
        self.scopes
            .iter()
            .filter_map(|(id, tenant, scope)| {
                let hit: Vec<ControlId> = scope.intersection(controls).cloned().collect();
                (!hit.is_empty()).then(|| EngagementImpact {
                    engagement: id.to_string(),
                    tenant: tenant.clone(),
                    controls: hit,
                })
            })
            .collect()
    }
}

/// Reads the engagements in progress and computes their scopes over `programme` (every tenant).
pub async fn stored_engagements<S: Store>(
    store: &S,
    programme: &Programme,
) -> Result<StoredEngagements> {
    let mut scopes = Vec::new();
    let mut by_tenant: BTreeMap<TenantId, Vec<Engagement>> = BTreeMap::new();
    for e in store
        .list_engagements(&TenantScope::AllTenants, None)
        .await?
    {
        if e.state.in_progress() {
            by_tenant.entry(e.tenant.clone()).or_default().push(e);
        }
    }
    for engagements in by_tenant.values() {
        for e in engagements {
            let controls = in_scope_in(programme, e)?;
            scopes.push((
                e.id.clone(),
                e.tenant.clone(),
                controls.into_iter().map(|c| c.control).collect(),
            ));
        }
    }
    Ok(StoredEngagements { scopes })
}

/// Whether any customer's matrix makes `control` provider-owned: only such a control is inherited, so only
/// its provider test is reused.
fn inherited_by_anyone(programme: &Programme, control: &ControlId) -> Result<bool> {
    let model =
        ResponsibilityModel::new(programme).map_err(|e| StoreError::Conflict(e.to_string()))?;
    for tenant in &programme.tenants {
        let matrix = model
            .matrix(tenant)
            .map_err(|e| StoreError::Conflict(e.to_string()))?;
        if matrix.row(control).is_some_and(|r| {
            r.responsibility == assure_domain::responsibility::Responsibility::Provider
        }) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Records the provider's test of an inherited control once for its period (`cycle::check_provider_test`:
/// the control must be inherited by some customer, the sample reproducible from its seed). An ineffective
/// result raises the provider's finding on the control, which every customer inheriting it sees redacted as
/// an inherited exception; a retest refreshes that finding by its key and never moves its deadline.
pub async fn record_provider_test<S: Store>(
    store: &S,
    actor: &Actor,
    test: &ProviderTest,
    finding_id: &assure_domain::finding::FindingId,
) -> Result<(ProviderTest, Option<crate::findings::DetectionOutcome>)> {
    use assure_domain::finding::{Detection, FindingOwner, FindingSource};
    let programme = programme_snapshot(store, &TenantScope::AllTenants).await?;
    let mut stored = test.clone();
    stored.test.engagement = ProviderTest::assessment(&test.period);
    let draft = check_provider_test(
        &stored,
        inherited_by_anyone(&programme, &test.test.control)?,
    )?;
    store.save_provider_test(actor, &stored).await?;
    let Some(d) = draft else {
        return Ok((stored, None));
    };
    let detection = Detection {
        owner: FindingOwner::Provider,
        test: format!("provider-test:{}", d.control),
        resource: d.engagement.to_string(),
        title: d.title.clone(),
        detail: stored.test.notes.clone(),
        control: Some(d.control.clone()),
        severity: Some(d.severity.into()),
        cvss: None,
        cve: None,
        source: FindingSource::AssessorResult {
            assessor: stored.test.tester.to_string(),
            engagement: None,
        },
        at: stored.test.recorded_at,
    };
    let outcome = store
        .record_detection(&TenantScope::AllTenants, actor, finding_id, &detection)
        .await?;
    Ok((stored, Some(outcome)))
}

/// The provider tests engagement `id` reuses for its inherited controls (those whose period covers the
/// engagement's), as the customer sees them: no provider notes, tester or evidence.
pub async fn inherited_results_of<S: Store>(
    store: &S,
    scope: &TenantScope,
    id: &EngagementId,
) -> Result<Vec<InheritedResult>> {
    let (e, controls) = in_scope(store, scope, id).await?;
    let tests = store.list_provider_tests(None).await?;
    Ok(inherited_results(&e, &controls, &tests)
        .into_iter()
        .map(|(control, t)| InheritedResult::of(control, t))
        .collect())
}
