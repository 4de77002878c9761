//! `assure engagements`: the customer-facing flow from the command line. Enrolment (request, intake, NDA,
//! activation), engagements (tier, scope, period, assessors, state), the questionnaire as CSV or XLSX out
//! and back in, the CAIQ v4 export, assessor test results with reproducible samples, signing and the
//! roll-forward to the next period.
//!
//! Every write names the person acting (`--as EMAIL`), as `assure baseline` does: their role must permit
//! the action (the `Role x Action` matrix), they see only the tenants their role and engagements give
//! them (the server's `scope_for`), and the store then applies the tier rules (`engagement::may`) with
//! that user, so the CLI refuses exactly what the API refuses. Reads without `--as` are the operator's,
//! over every tenant. Exit codes: 0 done, 1 refused (with why), 2 usage or input error (a questionnaire
//! sheet with any bad row exits 2 naming every row error, and nothing is saved).

use std::path::{Path, PathBuf};

use assure_domain::access::{Action, permits};
use assure_domain::audit::format_instant;
use assure_domain::cycle::EvidenceIssue;
use assure_domain::cycle::ProviderTest;
use assure_domain::engagement::{
    Engagement, EngagementError, EngagementPeriod, EngagementStep, Scope, Tier,
};
use assure_domain::enrolment::{Enrolment, EnrolmentStep, Intake};
use assure_domain::evidence::EvidenceId;
use assure_domain::questionnaire::{Question, Response, caiq, caiq_sheet, to_sheet};
use assure_domain::tenant::{Contact, ContactRole, ProcessingRole, Tenant};
use assure_domain::testing::{ControlTest, Sample, TestMethod, TestResult, draw_sample};
use assure_domain::user::User;
use assure_domain::{AssessorFirmId, ControlId, EngagementId, TenantId, UserId};
use assure_reports::questionnaire::{SheetFormat, read_sheet_bytes, sheet_bytes};
use assure_store::engagement::{
    NewEngagement, SheetImport, engagement, import_sheet, in_scope, inherited_results_of,
    questionnaire, roll_forward_to,
};
use assure_store::snapshot::programme_snapshot;
use assure_store::{Actor, Store, StoreError, TenantScope};
use clap::{Args, Subcommand};
use serde_json::json;
use time::{Date, OffsetDateTime};

use super::require_initialised;
use crate::Failure;
use crate::output::{Format, OutputArgs, Rows};

#[derive(Debug, Subcommand)]
pub enum EngagementsCommand {
    /// Engagements with tier, state, period and assessors (newest first).
    List(ListArgs),
    /// One engagement: scope, state, assessors, questionnaire progress, answers and test results.
    Show(ShowArgs),
    /// Enrolments of every tenant with their state and every unmet eligibility rule.
    Enrolments(ReadArgs),
    /// Record a tenant's request to enrol (state `requested`).
    Enrol(TenantStepArgs),
    /// Record the intake (contract, processing role, regions, contacts); moves `requested -> intake`.
    Intake(IntakeArgs),
    /// Put the signed NDA on file (`intake -> nda-on-file`); needs a complete intake.
    Nda(NdaArgs),
    /// Activate an enrolment (`nda-on-file -> active`); refused naming every unmet eligibility rule.
    Activate(TenantStepArgs),
    /// Open an engagement at a tier over a scope (services, regions, frameworks, point in time or period).
    Create(CreateArgs),
    /// Replace parts of an engagement's scope while it is in scoping.
    Scope(ScopeArgs),
    /// Assign an assessor firm and named assessors of it to a third-party assessment.
    Assign(AssignArgs),
    /// Move an engagement: start-fieldwork, start-reporting or reopen (signing is `sign`).
    Transition(TransitionArgs),
    /// The questionnaire: show it, export it to CSV or XLSX to answer offline, import the answers back.
    #[command(subcommand)]
    Questionnaire(QuestionnaireCommand),
    /// The answers in the CAIQ v4 layout, keyed by CSA CCM v4 control IDs (IDs and our own words only).
    Caiq(CaiqArgs),
    /// The items a seed draws from a population (the reproducible sample a test records).
    Sample(SampleArgs),
    /// Record an assessor's test result for one in-scope control (with a sample for a period engagement).
    Test(TestArgs),
    /// Sign an engagement in reporting, as the person its tier names.
    Sign(ActArgs),
    /// Open the next period's engagement from a signed one (scope copied, valid evidence reused, expired
    /// evidence and changed controls flagged).
    RollForward(RollForwardArgs),
    /// The provider tests an engagement reuses for its inherited controls, as its customer sees them
    /// (result, method, period, sample size; no provider notes).
    Inherited(ShowArgs),
    /// Record the provider's own test of an inherited control for a period: done once, reused by every
    /// customer engagement inheriting the control whose period it covers.
    ProviderTest(ProviderTestArgs),
    /// The provider's tests of inherited controls, with notes and samples (provider roles).
    ProviderTests(ProviderTestsArgs),
}

#[derive(Debug, Args)]
pub struct ProviderTestArgs {
    /// The inherited control tested.
    control: String,
    /// A design test on this day (YYYY-MM-DD).
    #[arg(long, conflicts_with_all = ["period_start", "period_end"])]
    as_of: Option<String>,
    /// First day of the period tested (YYYY-MM-DD), with --period-end.
    #[arg(long, requires = "period_end")]
    period_start: Option<String>,
    /// Last day of the period tested (YYYY-MM-DD).
    #[arg(long, requires = "period_start")]
    period_end: Option<String>,
    #[arg(long, value_enum)]
    method: MethodArg,
    #[arg(long, value_enum)]
    result: ResultArg,
    #[command(flatten)]
    sample: SampleParts,
    /// What the population is, e.g. "operating days of 2026".
    #[arg(long, default_value = "")]
    population_description: String,
    /// An item of the sample where the control did not operate (repeat).
    #[arg(long = "deviation")]
    deviations: Vec<u64>,
    /// The provider's own notes (never shown to customers).
    #[arg(long, default_value = "")]
    notes: String,
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ProviderTestsArgs {
    /// Only this control's tests.
    #[arg(long)]
    control: Option<String>,
    /// Read as this user (e-mail address; a provider role). Default: the operator.
    #[arg(long = "as", value_name = "EMAIL")]
    who: Option<String>,
    #[command(flatten)]
    out: OutputArgs,
}

/// The person acting.
#[derive(Debug, Args)]
pub struct Person {
    /// The user acting (e-mail address); their role and the engagement's tier decide what they may do.
    #[arg(long = "as", value_name = "EMAIL")]
    who: String,
}

/// Optionally read as a person (their tenants only).
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Read as this user (e-mail address): only the tenants they may see. Default: every tenant.
    #[arg(long = "as", value_name = "EMAIL")]
    who: Option<String>,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this tenant's engagements.
    #[arg(long)]
    tenant: Option<String>,
    #[command(flatten)]
    read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The engagement ID.
    id: String,
    #[command(flatten)]
    read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct TenantStepArgs {
    /// The tenant ID.
    tenant: String,
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct IntakeArgs {
    /// The tenant ID.
    tenant: String,
    #[command(flatten)]
    person: Person,
    /// Start from the tenant's profile (contract, processing role, regions, contacts); flags override.
    #[arg(long)]
    from_profile: bool,
    /// The contract reference, e.g. CC-2024-0117.
    #[arg(long)]
    contract: Option<String>,
    /// The last day the contract runs (YYYY-MM-DD).
    #[arg(long)]
    contract_ends: Option<String>,
    /// controller, processor or joint-controller.
    #[arg(long)]
    processing_role: Option<String>,
    /// A region of the customer's data (repeat; replaces the regions).
    #[arg(long = "region")]
    regions: Vec<String>,
    /// A contact as ROLE=NAME<EMAIL> (roles account-team, procurement, compliance-officer, security,
    /// dpo; repeat; replaces the contact of that role).
    #[arg(long = "contact", value_name = "ROLE=NAME<EMAIL>")]
    contacts: Vec<String>,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct NdaArgs {
    /// The tenant ID.
    tenant: String,
    /// The day the NDA was signed (YYYY-MM-DD), not in the future.
    #[arg(long)]
    signed: String,
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    out: OutputArgs,
}

/// The scope's parts on the command line.
#[derive(Debug, Args)]
pub struct ScopeParts {
    /// A service in scope (repeat); none means every service the tenant uses.
    #[arg(long = "service")]
    services: Vec<String>,
    /// A region in scope (repeat).
    #[arg(long = "region")]
    regions: Vec<String>,
    /// A framework reported against (repeat); none means every control regardless of mappings.
    #[arg(long = "framework")]
    frameworks: Vec<String>,
    /// A point-in-time (design) engagement on this day (YYYY-MM-DD).
    #[arg(long, conflicts_with_all = ["period_start", "period_end"])]
    as_of: Option<String>,
    /// First day of a period (operating effectiveness) engagement (YYYY-MM-DD), with --period-end.
    #[arg(long, requires = "period_end")]
    period_start: Option<String>,
    /// Last day of the period (YYYY-MM-DD).
    #[arg(long, requires = "period_start")]
    period_end: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TierArg {
    SelfAttestation,
    ThirdPartyAssessment,
    ManagedAssurance,
}

impl TierArg {
    fn tier(self) -> Tier {
        match self {
            Self::SelfAttestation => Tier::SelfAttestation,
            Self::ThirdPartyAssessment => Tier::ThirdPartyAssessment,
            Self::ManagedAssurance => Tier::ManagedAssurance,
        }
    }
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The new engagement's ID, e.g. northbank-2026.
    id: String,
    #[arg(long)]
    tenant: String,
    #[arg(long, value_enum)]
    tier: TierArg,
    #[command(flatten)]
    scope: ScopeParts,
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ScopeArgs {
    /// The engagement ID.
    id: String,
    /// The scope's parts given replace the current ones; parts not given stay.
    #[command(flatten)]
    scope: ScopeParts,
    /// Every service the tenant uses (clears --service).
    #[arg(long, conflicts_with = "services")]
    all_services: bool,
    /// Every control regardless of mappings (clears --framework).
    #[arg(long, conflicts_with = "frameworks")]
    all_frameworks: bool,
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AssignArgs {
    /// The engagement ID.
    id: String,
    /// The assessor firm.
    #[arg(long)]
    firm: String,
    /// A named assessor of the firm (e-mail; repeat).
    #[arg(long = "assessor", required = true)]
    assessors: Vec<String>,
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum StepArg {
    StartFieldwork,
    StartReporting,
    Reopen,
}

#[derive(Debug, Args)]
pub struct TransitionArgs {
    /// The engagement ID.
    id: String,
    #[arg(value_enum)]
    step: StepArg,
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ActArgs {
    /// The engagement ID.
    id: String,
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum QuestionnaireCommand {
    /// Every question with its current answer.
    Show(ShowArgs),
    /// Write the questionnaire (with answers so far) as CSV or XLSX, to answer offline.
    Export(ExportArgs),
    /// Import answers from a CSV or XLSX sheet: every row is checked first; any error and nothing is
    /// saved (exit 2, every row error named with its row and column).
    Import(ImportArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SheetArg {
    Csv,
    Xlsx,
}

impl SheetArg {
    fn format(self) -> SheetFormat {
        match self {
            Self::Csv => SheetFormat::Csv,
            Self::Xlsx => SheetFormat::Xlsx,
        }
    }
}

/// The sheet format asked for, else the one the file name's extension names (`.xlsx`, else CSV).
fn sheet_format(asked: Option<SheetArg>, file: Option<&Path>) -> SheetFormat {
    match (asked, file) {
        (Some(a), _) => a.format(),
        (None, Some(f)) => SheetFormat::of_file_name(&f.to_string_lossy()),
        (None, None) => SheetFormat::Csv,
    }
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The engagement ID.
    id: String,
    /// csv or xlsx; default from the extension of -o (CSV on standard output).
    #[arg(long, value_enum)]
    format: Option<SheetArg>,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Read as this user (e-mail address).
    #[arg(long = "as", value_name = "EMAIL")]
    who: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The engagement ID.
    id: String,
    /// The answered sheet.
    file: PathBuf,
    /// csv or xlsx when the extension does not say (`.xlsx` is XLSX, anything else CSV).
    #[arg(long, value_enum)]
    input_format: Option<SheetArg>,
    #[command(flatten)]
    person: Person,
    /// How to print the outcome (json: `{"saved": N}` or `{"errors": [...]}`).
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CaiqFormat {
    Csv,
    Xlsx,
    Json,
}

#[derive(Debug, Args)]
pub struct CaiqArgs {
    /// The engagement ID.
    id: String,
    /// csv, xlsx or json; default from the extension of -o (CSV on standard output).
    #[arg(long, value_enum)]
    format: Option<CaiqFormat>,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Read as this user (e-mail address).
    #[arg(long = "as", value_name = "EMAIL")]
    who: Option<String>,
}

/// A sample on the command line: population, size and seed.
#[derive(Debug, Args)]
pub struct SampleParts {
    /// The population size (items are numbered 1..=N).
    #[arg(long)]
    population: Option<u64>,
    /// How many items to draw.
    #[arg(long)]
    sample_size: Option<u64>,
    /// The seed the items are drawn from (recorded with the result). Default for a test: the engagement,
    /// control and instant.
    #[arg(long)]
    seed: Option<String>,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    #[command(flatten)]
    sample: SampleParts,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum MethodArg {
    Inquiry,
    Inspection,
    Observation,
    #[value(name = "re-performance")]
    Reperformance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ResultArg {
    Effective,
    Ineffective,
    NotApplicable,
    NotTested,
}

impl MethodArg {
    fn method(self) -> TestMethod {
        match self {
            Self::Inquiry => TestMethod::Inquiry,
            Self::Inspection => TestMethod::Inspection,
            Self::Observation => TestMethod::Observation,
            Self::Reperformance => TestMethod::Reperformance,
        }
    }
}

impl ResultArg {
    fn result(self) -> TestResult {
        match self {
            Self::Effective => TestResult::Effective,
            Self::Ineffective => TestResult::Ineffective,
            Self::NotApplicable => TestResult::NotApplicable,
            Self::NotTested => TestResult::NotTested,
        }
    }
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// The engagement ID.
    id: String,
    /// The control tested.
    control: String,
    #[arg(long, value_enum)]
    method: MethodArg,
    #[arg(long, value_enum)]
    result: ResultArg,
    #[command(flatten)]
    sample: SampleParts,
    /// What the population is, e.g. "access requests approved in 2026".
    #[arg(long, default_value = "")]
    population_description: String,
    /// An item of the sample where the control did not operate (repeat).
    #[arg(long = "deviation")]
    deviations: Vec<u64>,
    #[arg(long, default_value = "")]
    notes: String,
    /// Evidence cited (its ID; repeat).
    #[arg(long = "evidence")]
    evidence: Vec<String>,
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct RollForwardArgs {
    /// The signed engagement.
    id: String,
    /// The next period's engagement ID.
    #[arg(long)]
    new_id: String,
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    out: OutputArgs,
}

/// Maps store errors: refusals (tier, state machine, eligibility, conflicts) exit 1 with their reason;
/// unknown objects and inconsistent input exit 2.
fn refused(e: StoreError) -> Failure {
    match e {
        StoreError::Engagement(
            EngagementError::InvalidScope(_)
            | EngagementError::UnknownControl(_)
            | EngagementError::UnknownEvidence(_),
        )
        | StoreError::Test(_) => Failure::Input(e.to_string()),
        StoreError::Engagement(_) | StoreError::Enrolment(_) | StoreError::Conflict(_) => {
            Failure::Negative(format!("refused: {e}"))
        }
        StoreError::NotFound(_) => Failure::Input(e.to_string()),
        other => other.into(),
    }
}

/// The user `--as` names with the scope they see, once their role permits `action`.
async fn acting<S: Store>(
    store: &S,
    who: &str,
    action: Action,
) -> Result<(User, TenantScope), Failure> {
    let user = store
        .get_user(&UserId::from(who.trim().to_lowercase()))
        .await?
        .ok_or_else(|| {
            Failure::Input(format!(
                "--as {who}: no such user (see `assure users list`)"
            ))
        })?;
    if user.disabled {
        return Err(Failure::Negative(format!("refused: {who} is disabled")));
    }
    if !permits(user.role, action) {
        return Err(Failure::Negative(format!(
            "refused: {who} is {}, a role that may not {}",
            user.role.as_str(),
            action.as_str()
        )));
    }
    let scope = assure_server::auth::scope_for(store, &user).await?;
    Ok((user, scope))
}

fn actor(user: &User) -> Actor {
    Actor(format!("user:{}", user.id))
}

/// The scope of a read: the user's with `--as`, else every tenant.
async fn reading<S: Store>(store: &S, who: Option<&str>) -> Result<TenantScope, Failure> {
    match who {
        Some(w) => Ok(acting(store, w, Action::ReadEngagement).await?.1),
        None => Ok(TenantScope::AllTenants),
    }
}

fn date(name: &str, value: &str) -> Result<Date, Failure> {
    Date::parse(
        value,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| Failure::Input(format!("--{name}: expected YYYY-MM-DD, not {value:?}")))
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// The intake a tenant's profile already holds: its contract, processing role, regions and contacts.
pub fn intake_of(tenant: &Tenant) -> Intake {
    Intake {
        contract_ref: tenant.contract_ref.clone(),
        contract_ends: None,
        processing_role: Some(tenant.processing_role),
        regions: tenant.regions.clone(),
        contacts: tenant.contacts.clone(),
    }
}

/// Reads `ROLE=NAME<EMAIL>`.
fn contact(value: &str) -> Result<Contact, Failure> {
    let bad = || {
        Failure::Input(format!(
            "--contact: expected ROLE=NAME<EMAIL>, e.g. procurement=Daniel Osei<daniel@example.com>, not {value:?}"
        ))
    };
    let (role, rest) = value.split_once('=').ok_or_else(bad)?;
    let role = ContactRole::parse(role.trim()).ok_or_else(|| {
        Failure::Input(format!(
            "--contact: unknown role {role:?} (account-team, procurement, compliance-officer, security, dpo)"
        ))
    })?;
    let (name, email) = rest.split_once('<').ok_or_else(bad)?;
    let email = email.strip_suffix('>').ok_or_else(bad)?.trim();
    if email.is_empty() {
        return Err(bad());
    }
    Ok(Contact {
        role,
        name: name.trim().to_owned(),
        email: email.to_owned(),
    })
}

/// The period the flags name, or `None` when none is given.
fn period(parts: &ScopeParts) -> Result<Option<EngagementPeriod>, Failure> {
    match (&parts.as_of, &parts.period_start, &parts.period_end) {
        (Some(d), _, _) => Ok(Some(EngagementPeriod::PointInTime {
            as_of: date("as-of", d)?,
        })),
        (None, Some(s), Some(e)) => {
            let p = EngagementPeriod::Period {
                start: date("period-start", s)?,
                end: date("period-end", e)?,
            };
            p.checked().map(Some).ok_or_else(|| {
                Failure::Input("--period-end: the period ends before it starts".into())
            })
        }
        _ => Ok(None),
    }
}

fn ids<T: From<String>>(values: &[String]) -> Vec<T> {
    values
        .iter()
        .map(|v| T::from(v.trim().to_owned()))
        .collect()
}

fn engagement_rows(list: &[Engagement]) -> Rows {
    Rows {
        header: vec![
            "id",
            "tenant",
            "tier",
            "state",
            "period",
            "assessors",
            "signed by",
        ],
        rows: list
            .iter()
            .map(|e| {
                vec![
                    e.id.to_string(),
                    e.tenant.to_string(),
                    e.tier.as_str().into(),
                    e.state.as_str().into(),
                    e.scope.period.label(),
                    e.assessors
                        .iter()
                        .map(UserId::as_str)
                        .collect::<Vec<_>>()
                        .join(", "),
                    e.signed_by
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                ]
            })
            .collect(),
    }
}

fn enrolment_rows(list: &[Enrolment]) -> Rows {
    let today = today();
    Rows {
        header: vec!["tenant", "state", "nda signed", "unmet rules"],
        rows: list
            .iter()
            .map(|e| {
                vec![
                    e.tenant.to_string(),
                    e.state.as_str().into(),
                    e.nda_signed.map(|d| d.to_string()).unwrap_or_default(),
                    e.ineligibility(today)
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                ]
            })
            .collect(),
    }
}

fn emit_engagement(out: &OutputArgs, e: &Engagement) -> Result<(), Failure> {
    out.emit(e, || engagement_rows(std::slice::from_ref(e)))
}

fn emit_enrolment(out: &OutputArgs, e: &Enrolment) -> Result<(), Failure> {
    let unmet = e.ineligibility(today());
    out.emit(&json!({ "enrolment": e, "unmet": unmet }), || {
        enrolment_rows(std::slice::from_ref(e))
    })
}

/// Writes bytes to the file or standard output.
fn write_bytes(output: Option<&Path>, bytes: &[u8]) -> Result<(), Failure> {
    match output {
        Some(path) => std::fs::write(path, bytes)
            .map_err(|e| Failure::Input(format!("cannot write {}: {e}", path.display()))),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(bytes)
                .map_err(|e| Failure::Other(e.into()))
        }
    }
}

pub async fn run<S: Store>(store: &S, command: EngagementsCommand) -> Result<(), Failure> {
    require_initialised(store).await?;
    match command {
        EngagementsCommand::List(a) => {
            let scope = reading(store, a.read.who.as_deref()).await?;
            let tenant = a.tenant.as_deref().map(TenantId::from);
            let list = store.list_engagements(&scope, tenant.as_ref()).await?;
            a.read.out.emit(&list, || engagement_rows(&list))
        }
        EngagementsCommand::Show(a) => show(store, a).await,
        EngagementsCommand::Enrolments(a) => {
            let scope = reading(store, a.who.as_deref()).await?;
            let list = store.list_enrolments(&scope).await?;
            let today = today();
            let value: Vec<_> = list
                .iter()
                .map(|e| json!({ "enrolment": e, "unmet": e.ineligibility(today) }))
                .collect();
            a.out.emit(&value, || enrolment_rows(&list))
        }
        EngagementsCommand::Enrol(a) => {
            let (user, scope) = acting(store, &a.person.who, Action::ManageEnrolment).await?;
            let e = store
                .request_enrolment(&scope, &actor(&user), &TenantId::from(a.tenant.as_str()))
                .await
                .map_err(refused)?;
            emit_enrolment(&a.out, &e)
        }
        EngagementsCommand::Intake(a) => intake(store, a).await,
        EngagementsCommand::Nda(a) => {
            let (user, scope) = acting(store, &a.person.who, Action::ManageEnrolment).await?;
            let signed = date("signed", &a.signed)?;
            let e = store
                .transition_enrolment(
                    &scope,
                    &actor(&user),
                    &TenantId::from(a.tenant.as_str()),
                    EnrolmentStep::RecordNda,
                    Some(signed),
                    today(),
                )
                .await
                .map_err(refused)?;
            emit_enrolment(&a.out, &e)
        }
        EngagementsCommand::Activate(a) => {
            let (user, scope) = acting(store, &a.person.who, Action::ManageEnrolment).await?;
            let e = store
                .transition_enrolment(
                    &scope,
                    &actor(&user),
                    &TenantId::from(a.tenant.as_str()),
                    EnrolmentStep::Activate,
                    None,
                    today(),
                )
                .await
                .map_err(refused)?;
            emit_enrolment(&a.out, &e)
        }
        EngagementsCommand::Create(a) => {
            let (user, scope) = acting(store, &a.person.who, Action::ManageEngagement).await?;
            let period = period(&a.scope)?.ok_or_else(|| {
                Failure::Input(
                    "give the period: --as-of DATE (design) or --period-start DATE --period-end DATE (operating effectiveness)"
                        .into(),
                )
            })?;
            let new = NewEngagement {
                id: EngagementId::from(a.id.trim()),
                tenant: TenantId::from(a.tenant.trim()),
                tier: a.tier.tier(),
                scope: Scope {
                    services: ids(&a.scope.services),
                    regions: ids(&a.scope.regions),
                    frameworks: ids(&a.scope.frameworks),
                    period,
                },
            };
            let e = store
                .create_engagement(&scope, &actor(&user), &new, today())
                .await
                .map_err(refused)?;
            emit_engagement(&a.out, &e)
        }
        EngagementsCommand::Scope(a) => {
            let (user, scope) = acting(store, &a.person.who, Action::ManageEngagement).await?;
            let id = EngagementId::from(a.id.as_str());
            let current = engagement(store, &scope, &id).await.map_err(refused)?;
            let mut next = current.scope.clone();
            if a.all_services {
                next.services.clear();
            } else if !a.scope.services.is_empty() {
                next.services = ids(&a.scope.services);
            }
            if !a.scope.regions.is_empty() {
                next.regions = ids(&a.scope.regions);
            }
            if a.all_frameworks {
                next.frameworks.clear();
            } else if !a.scope.frameworks.is_empty() {
                next.frameworks = ids(&a.scope.frameworks);
            }
            if let Some(p) = period(&a.scope)? {
                next.period = p;
            }
            let e = store
                .scope_engagement(&scope, &actor(&user), &id, &next)
                .await
                .map_err(refused)?;
            emit_engagement(&a.out, &e)
        }
        EngagementsCommand::Assign(a) => {
            let (user, scope) = acting(store, &a.person.who, Action::ManageEngagement).await?;
            let assessors: Vec<UserId> = a
                .assessors
                .iter()
                .map(|s| UserId::from(s.trim().to_lowercase()))
                .collect();
            let e = store
                .assign_assessors(
                    &scope,
                    &actor(&user),
                    &EngagementId::from(a.id.as_str()),
                    &AssessorFirmId::from(a.firm.trim()),
                    &assessors,
                )
                .await
                .map_err(refused)?;
            emit_engagement(&a.out, &e)
        }
        EngagementsCommand::Transition(a) => {
            let step = match a.step {
                StepArg::StartFieldwork => EngagementStep::StartFieldwork,
                StepArg::StartReporting => EngagementStep::StartReporting,
                StepArg::Reopen => EngagementStep::Reopen,
            };
            let (user, scope) = acting(store, &a.person.who, Action::ManageEngagement).await?;
            let e = store
                .transition_engagement(&scope, &user, &EngagementId::from(a.id.as_str()), step)
                .await
                .map_err(refused)?;
            emit_engagement(&a.out, &e)
        }
        EngagementsCommand::Sign(a) => {
            let (user, scope) = acting(store, &a.person.who, Action::SignEngagement).await?;
            let e = store
                .transition_engagement(
                    &scope,
                    &user,
                    &EngagementId::from(a.id.as_str()),
                    EngagementStep::Sign,
                )
                .await
                .map_err(refused)?;
            emit_engagement(&a.out, &e)
        }
        EngagementsCommand::Questionnaire(c) => questionnaire_command(store, c).await,
        EngagementsCommand::Caiq(a) => {
            let scope = reading(store, a.who.as_deref()).await?;
            let id = EngagementId::from(a.id.as_str());
            let (e, questions, responses) =
                questionnaire(store, &scope, &id).await.map_err(refused)?;
            let programme =
                programme_snapshot(store, &TenantScope::Tenant(e.tenant.clone())).await?;
            let rows = caiq(&questions, &responses, &programme.mappings);
            let format = match (a.format, &a.output) {
                (Some(f), _) => f,
                (None, Some(p))
                    if SheetFormat::of_file_name(&p.to_string_lossy()) == SheetFormat::Xlsx =>
                {
                    CaiqFormat::Xlsx
                }
                (None, Some(p))
                    if p.extension()
                        .is_some_and(|x| x.eq_ignore_ascii_case("json")) =>
                {
                    CaiqFormat::Json
                }
                _ => CaiqFormat::Csv,
            };
            let bytes = match format {
                CaiqFormat::Json => {
                    let mut s = serde_json::to_vec_pretty(&rows).map_err(anyhow::Error::from)?;
                    s.push(b'\n');
                    s
                }
                CaiqFormat::Csv => sheet_bytes(&caiq_sheet(&rows), SheetFormat::Csv, "CAIQ")
                    .map_err(anyhow::Error::from)?,
                CaiqFormat::Xlsx => sheet_bytes(&caiq_sheet(&rows), SheetFormat::Xlsx, "CAIQ")
                    .map_err(anyhow::Error::from)?,
            };
            write_bytes(a.output.as_deref(), &bytes)
        }
        EngagementsCommand::Sample(a) => {
            let sample = draw(&a.sample, None)?;
            a.out.emit(&sample, || Rows {
                header: vec!["population", "size", "seed", "items"],
                rows: vec![vec![
                    sample.population.to_string(),
                    sample.size.to_string(),
                    sample.seed.clone(),
                    sample
                        .items
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" "),
                ]],
            })
        }
        EngagementsCommand::Test(a) => test(store, a).await,
        EngagementsCommand::ProviderTest(a) => provider_test(store, a).await,
        EngagementsCommand::ProviderTests(a) => {
            if let Some(w) = &a.who {
                acting(store, w, Action::ManageEngagement).await?;
            }
            let control = a.control.as_deref().map(|c| ControlId::from(c.trim()));
            let tests = store.list_provider_tests(control.as_ref()).await?;
            a.out.emit(&tests, || Rows {
                header: vec![
                    "control", "period", "method", "result", "sample", "tester", "notes",
                ],
                rows: tests
                    .iter()
                    .map(|t| {
                        vec![
                            t.test.control.to_string(),
                            period_words(&t.period),
                            t.test.method.as_str().into(),
                            t.test.result.as_str().into(),
                            t.test.sample.as_ref().map_or_else(String::new, |s| {
                                format!(
                                    "{} of {}, {} deviation(s)",
                                    s.size,
                                    s.population,
                                    s.deviations.len()
                                )
                            }),
                            t.test.tester.to_string(),
                            t.test.notes.clone(),
                        ]
                    })
                    .collect(),
            })
        }
        EngagementsCommand::Inherited(a) => {
            let scope = reading(store, a.read.who.as_deref()).await?;
            let results = inherited_results_of(store, &scope, &EngagementId::from(a.id.as_str()))
                .await
                .map_err(refused)?;
            a.read.out.emit(&results, || Rows {
                header: vec![
                    "control",
                    "period",
                    "method",
                    "result",
                    "sample",
                    "deviations",
                ],
                rows: results
                    .iter()
                    .map(|r| {
                        vec![
                            r.control.to_string(),
                            period_words(&r.period),
                            r.method.as_str().into(),
                            r.result.as_str().into(),
                            r.sample_size.map_or_else(String::new, |n| n.to_string()),
                            r.deviations.to_string(),
                        ]
                    })
                    .collect(),
            })
        }
        EngagementsCommand::RollForward(a) => {
            let (user, scope) = acting(store, &a.person.who, Action::ManageEngagement).await?;
            let e = roll_forward_to(
                store,
                &scope,
                &actor(&user),
                &EngagementId::from(a.id.as_str()),
                &EngagementId::from(a.new_id.trim()),
            )
            .await
            .map_err(refused)?;
            let carried = e.carried_over.clone();
            a.out.emit(&e, || {
                let mut rows = engagement_rows(std::slice::from_ref(&e));
                if let Some(c) = &carried {
                    rows.header
                        .extend(["reused evidence", "flagged evidence", "retest"]);
                    if let Some(r) = rows.rows.first_mut() {
                        r.push(
                            c.reused()
                                .map(EvidenceId::as_str)
                                .collect::<Vec<_>>()
                                .join(", "),
                        );
                        r.push(
                            c.flagged()
                                .map(|f| {
                                    format!("{} ({})", f.evidence, issue_words(f.issue.as_ref()))
                                })
                                .collect::<Vec<_>>()
                                .join(", "),
                        );
                        r.push(
                            c.retest
                                .iter()
                                .map(|t| t.control.to_string())
                                .collect::<Vec<_>>()
                                .join(", "),
                        );
                    }
                }
                rows
            })
        }
    }
}

async fn show<S: Store>(store: &S, a: ShowArgs) -> Result<(), Failure> {
    let scope = reading(store, a.read.who.as_deref()).await?;
    let id = EngagementId::from(a.id.as_str());
    let (e, controls) = in_scope(store, &scope, &id).await.map_err(refused)?;
    let answers = store.list_answers(&scope, &id).await?;
    let tests = store.list_tests(&scope, &id).await?;
    let questions = controls.iter().filter(|c| c.answered_by_customer()).count();
    let value = json!({
        "engagement": e,
        "in_scope_controls": controls.len(),
        "questions": questions,
        "answered": answers.len(),
        "answers": answers,
        "tests": tests,
    });
    a.read.out.emit(&value, || {
        let mut rows = vec![
            vec!["id".to_owned(), e.id.to_string()],
            vec!["tenant".into(), e.tenant.to_string()],
            vec!["tier".into(), e.tier.as_str().into()],
            vec!["state".into(), e.state.as_str().into()],
            vec!["period".into(), e.scope.period.label()],
            vec![
                "services".into(),
                if e.scope.services.is_empty() {
                    "every service the tenant uses".into()
                } else {
                    join(&e.scope.services)
                },
            ],
            vec!["regions".into(), join(&e.scope.regions)],
            vec![
                "frameworks".into(),
                if e.scope.frameworks.is_empty() {
                    "every control".into()
                } else {
                    join(&e.scope.frameworks)
                },
            ],
            vec![
                "assessors".into(),
                match &e.assessor_firm {
                    Some(f) => format!("{f}: {}", join(&e.assessors)),
                    None => String::new(),
                },
            ],
            vec!["in-scope controls".into(), controls.len().to_string()],
            vec![
                "answered".into(),
                format!("{} of {questions} questions", answers.len()),
            ],
        ];
        for t in &tests {
            rows.push(vec![
                format!("test {}", t.test.control),
                format!(
                    "{} by {} ({}){}",
                    t.test.result.as_str(),
                    t.test.tester,
                    t.test.method.as_str(),
                    t.test
                        .sample
                        .as_ref()
                        .map(|s| format!(
                            ", sample {} of {}, {} deviation(s)",
                            s.size,
                            s.population,
                            s.deviations.len()
                        ))
                        .unwrap_or_default()
                ),
            ]);
        }
        if let Some(by) = &e.signed_by {
            rows.push(vec![
                "signed".into(),
                format!(
                    "by {by} at {}",
                    e.signed_at.map(format_instant).unwrap_or_default()
                ),
            ]);
        }
        Rows {
            header: vec!["field", "value"],
            rows,
        }
    })
}

/// Why carried evidence cannot be reused, in words.
fn issue_words(issue: Option<&EvidenceIssue>) -> String {
    match issue {
        Some(EvidenceIssue::Expired { expires_on }) => format!("expired {expires_on}"),
        Some(EvidenceIssue::OutOfPeriod { period_end }) => {
            format!("out of period, ended {period_end}")
        }
        None => "reused".into(),
    }
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

async fn intake<S: Store>(store: &S, a: IntakeArgs) -> Result<(), Failure> {
    let (user, scope) = acting(store, &a.person.who, Action::ManageEnrolment).await?;
    let tenant_id = TenantId::from(a.tenant.as_str());
    let current = store
        .get_enrolment(&scope, &tenant_id)
        .await?
        .ok_or_else(|| {
            Failure::Input(format!(
                "tenant {tenant_id} has no enrolment: run `assure engagements enrol {tenant_id}` first"
            ))
        })?;
    let mut intake = if a.from_profile {
        let tenant = store
            .get_tenant(&scope, &tenant_id)
            .await?
            .ok_or_else(|| Failure::Input(format!("no tenant {tenant_id}")))?;
        intake_of(&tenant)
    } else {
        current.intake.clone()
    };
    if let Some(c) = &a.contract {
        intake.contract_ref = Some(c.trim().to_owned());
    }
    if let Some(d) = &a.contract_ends {
        intake.contract_ends = Some(date("contract-ends", d)?);
    }
    if let Some(r) = &a.processing_role {
        intake.processing_role = Some(ProcessingRole::parse(r.trim()).ok_or_else(|| {
            Failure::Input(format!(
                "--processing-role: controller, processor or joint-controller, not {r:?}"
            ))
        })?);
    }
    if !a.regions.is_empty() {
        intake.regions = ids(&a.regions);
    }
    for c in &a.contacts {
        let c = contact(c)?;
        intake.contacts.retain(|x| x.role != c.role);
        intake.contacts.push(c);
    }
    let who = actor(&user);
    let mut e = store
        .update_intake(&scope, &who, &tenant_id, &intake)
        .await
        .map_err(refused)?;
    if e.state == assure_domain::enrolment::EnrolmentState::Requested {
        e = store
            .transition_enrolment(
                &scope,
                &who,
                &tenant_id,
                EnrolmentStep::StartIntake,
                None,
                today(),
            )
            .await
            .map_err(refused)?;
    }
    let missing = e.intake.missing();
    a.out
        .emit(&json!({ "enrolment": e, "missing": missing }), || Rows {
            header: vec!["tenant", "state", "intake still lacks"],
            rows: vec![vec![
                e.tenant.to_string(),
                e.state.as_str().into(),
                missing.join(", "),
            ]],
        })
}

async fn questionnaire_command<S: Store>(
    store: &S,
    command: QuestionnaireCommand,
) -> Result<(), Failure> {
    match command {
        QuestionnaireCommand::Show(a) => {
            let scope = reading(store, a.read.who.as_deref()).await?;
            let id = EngagementId::from(a.id.as_str());
            let (_, questions, responses) =
                questionnaire(store, &scope, &id).await.map_err(refused)?;
            let value: Vec<_> = questions
                .iter()
                .map(|q| {
                    json!({
                        "question": q,
                        "response": responses.iter().find(|r| r.control == q.control),
                    })
                })
                .collect();
            a.read
                .out
                .emit(&value, || question_rows(&questions, &responses))
        }
        QuestionnaireCommand::Export(a) => {
            let scope = reading(store, a.who.as_deref()).await?;
            let id = EngagementId::from(a.id.as_str());
            let (_, questions, responses) =
                questionnaire(store, &scope, &id).await.map_err(refused)?;
            let format = sheet_format(a.format, a.output.as_deref());
            let bytes = sheet_bytes(&to_sheet(&questions, &responses), format, "Questionnaire")
                .map_err(anyhow::Error::from)?;
            write_bytes(a.output.as_deref(), &bytes)
        }
        QuestionnaireCommand::Import(a) => {
            let (user, scope) = acting(store, &a.person.who, Action::AnswerQuestionnaire).await?;
            let bytes = std::fs::read(&a.file)
                .map_err(|e| Failure::Input(format!("cannot read {}: {e}", a.file.display())))?;
            let format = sheet_format(a.input_format, Some(&a.file));
            let sheet = read_sheet_bytes(&bytes, format)
                .map_err(|e| Failure::Input(format!("{}: {e}", a.file.display())))?;
            let id = EngagementId::from(a.id.as_str());
            match import_sheet(store, &scope, &user, &id, &sheet)
                .await
                .map_err(refused)?
            {
                SheetImport::Saved(n) => {
                    if a.format == Format::Json {
                        println!("{}", json!({ "saved": n }));
                    } else {
                        println!("saved {n} answers to {id}");
                    }
                    Ok(())
                }
                SheetImport::Rejected(errors) => {
                    if a.format == Format::Json {
                        println!("{}", json!({ "saved": 0, "errors": errors }));
                    }
                    let mut message = format!(
                        "{}: {} problem(s), nothing was saved:",
                        a.file.display(),
                        errors.len()
                    );
                    for e in &errors {
                        message.push_str(&format!("\n  {e}"));
                    }
                    Err(Failure::Input(message))
                }
            }
        }
    }
}

fn question_rows(questions: &[Question], responses: &[Response]) -> Rows {
    Rows {
        header: vec![
            "control",
            "responsibility",
            "question",
            "answer",
            "explanation",
            "evidence",
        ],
        rows: questions
            .iter()
            .map(|q| {
                let r = responses.iter().find(|r| r.control == q.control);
                vec![
                    q.control.to_string(),
                    q.responsibility.as_str().into(),
                    q.text.clone(),
                    r.map(|r| r.answer.as_str().to_owned()).unwrap_or_default(),
                    r.map(|r| r.explanation.clone()).unwrap_or_default(),
                    r.map(|r| join(&r.evidence)).unwrap_or_default(),
                ]
            })
            .collect(),
    }
}

/// Draws the sample the flags describe; `default_seed` is used when no `--seed` is given (a test records
/// it, so the draw stays reproducible).
fn draw(parts: &SampleParts, default_seed: Option<String>) -> Result<Sample, Failure> {
    let (Some(population), Some(size)) = (parts.population, parts.sample_size) else {
        return Err(Failure::Input(
            "a sample needs --population N and --sample-size K".into(),
        ));
    };
    let seed = parts
        .seed
        .clone()
        .or(default_seed)
        .ok_or_else(|| Failure::Input("a sample needs --seed".into()))?;
    let items =
        draw_sample(population, size, &seed).map_err(|e| Failure::Input(format!("sample: {e}")))?;
    Ok(Sample {
        population_description: String::new(),
        population,
        size,
        seed,
        items,
        deviations: Vec::new(),
    })
}

fn period_words(p: &EngagementPeriod) -> String {
    match p {
        EngagementPeriod::PointInTime { as_of } => format!("as of {as_of}"),
        EngagementPeriod::Period { start, end } => format!("{start} to {end}"),
    }
}

/// Records the provider's test of an inherited control (`engagement::record_provider_test`).
async fn provider_test<S: Store>(store: &S, a: ProviderTestArgs) -> Result<(), Failure> {
    let (user, _) = acting(store, &a.person.who, Action::ManageEngagement).await?;
    let period = period(&ScopeParts {
        services: vec![],
        regions: vec![],
        frameworks: vec![],
        as_of: a.as_of.clone(),
        period_start: a.period_start.clone(),
        period_end: a.period_end.clone(),
    })?
    .ok_or_else(|| {
        Failure::Input(
            "give the period: --as-of DATE (design) or --period-start DATE --period-end DATE (operating effectiveness)"
                .into(),
        )
    })?;
    let control = ControlId::from(a.control.trim());
    let assessment = ProviderTest::assessment(&period);
    let wants_sample = a.sample.population.is_some() || a.sample.sample_size.is_some();
    let sample = if wants_sample {
        let mut s = draw(&a.sample, Some(format!("{assessment}:{control}")))?;
        s.population_description = a.population_description.clone();
        s.deviations = a.deviations.clone();
        s.deviations.sort_unstable();
        s.deviations.dedup();
        Some(s)
    } else if !a.deviations.is_empty() {
        return Err(Failure::Input(
            "--deviation needs a sample (--population and --sample-size)".into(),
        ));
    } else {
        None
    };
    let test = ProviderTest {
        period,
        test: ControlTest {
            engagement: assessment,
            control,
            method: a.method.method(),
            sample,
            result: a.result.result(),
            notes: a.notes.clone(),
            evidence: vec![],
            tester: user.id.clone(),
            recorded_at: OffsetDateTime::now_utc(),
        },
    };
    let (test, finding) = assure_store::engagement::record_provider_test(
        store,
        &actor(&user),
        &test,
        &super::findings::new_id(),
    )
    .await
    .map_err(refused)?;
    let finding = finding.map(|f| f.finding.id.to_string());
    a.out
        .emit(&json!({ "test": test, "finding": finding }), || Rows {
            header: vec!["control", "period", "result", "finding"],
            rows: vec![vec![
                test.test.control.to_string(),
                period_words(&test.period),
                test.test.result.as_str().into(),
                finding.clone().unwrap_or_default(),
            ]],
        })
}

async fn test<S: Store>(store: &S, a: TestArgs) -> Result<(), Failure> {
    let (user, scope) = acting(store, &a.person.who, Action::RecordTestResult).await?;
    let id = EngagementId::from(a.id.as_str());
    let (e, controls) = in_scope(store, &scope, &id).await.map_err(refused)?;
    let control = ControlId::from(a.control.trim());
    let now = OffsetDateTime::now_utc();
    let wants_sample = a.sample.population.is_some() || a.sample.sample_size.is_some();
    let sample = if wants_sample {
        let mut s = draw(
            &a.sample,
            Some(format!("{}:{}:{}", e.id, control, format_instant(now))),
        )?;
        s.population_description = a.population_description.clone();
        s.deviations = a.deviations.clone();
        s.deviations.sort_unstable();
        s.deviations.dedup();
        Some(s)
    } else if !a.deviations.is_empty() {
        return Err(Failure::Input(
            "--deviation needs a sample (--population and --sample-size)".into(),
        ));
    } else {
        None
    };
    let test = ControlTest {
        engagement: id.clone(),
        control,
        method: a.method.method(),
        sample,
        result: a.result.result(),
        notes: a.notes.clone(),
        evidence: a
            .evidence
            .iter()
            .map(|v| EvidenceId::new(v.trim()))
            .collect(),
        tester: user.id.clone(),
        recorded_at: now,
    };
    let (draft, finding) = assure_store::engagement::record_test_with_finding(
        store,
        &scope,
        &user,
        &e,
        &test,
        &controls,
        &super::findings::new_id(),
    )
    .await
    .map_err(refused)?;
    let finding = finding.map(|f| f.finding.id.to_string());
    a.out.emit(
        &json!({ "test": test, "draft_finding": draft, "finding": finding }),
        || Rows {
            header: vec!["control", "result", "sample", "seed", "draft finding"],
            rows: vec![vec![
                test.control.to_string(),
                test.result.as_str().into(),
                test.sample
                    .as_ref()
                    .map(|s| {
                        format!(
                            "{} of {}: {}",
                            s.size,
                            s.population,
                            s.items
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(" ")
                        )
                    })
                    .unwrap_or_default(),
                test.sample
                    .as_ref()
                    .map(|s| s.seed.clone())
                    .unwrap_or_default(),
                draft
                    .as_ref()
                    .map(|d| {
                        format!(
                            "{} ({}) raised as {}",
                            d.title,
                            d.severity.as_str(),
                            finding.as_deref().unwrap_or("-")
                        )
                    })
                    .unwrap_or_default(),
            ]],
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_reads_role_name_and_address_or_says_what_is_expected() {
        let c = contact("procurement=Klaus Wendt <vergabe@ravensberg.example>").expect("contact");
        assert_eq!(c.role, ContactRole::Procurement);
        assert_eq!(c.name, "Klaus Wendt");
        assert_eq!(c.email, "vergabe@ravensberg.example");
        for bad in [
            "Klaus Wendt <vergabe@ravensberg.example>",
            "procurement=Klaus Wendt",
            "procurement=Klaus <>",
            "buyer=Klaus <k@example.com>",
        ] {
            let Err(Failure::Input(message)) = contact(bad) else {
                panic!("{bad:?} is not a contact");
            };
            assert!(message.starts_with("--contact:"), "{message}");
        }
    }

    #[test]
    fn the_sheet_format_is_the_one_asked_for_else_the_extension() {
        let xlsx = Path::new("answers.XLSX");
        let txt = Path::new("answers.txt");
        assert_eq!(sheet_format(None, Some(xlsx)), SheetFormat::Xlsx);
        assert_eq!(sheet_format(None, Some(txt)), SheetFormat::Csv);
        assert_eq!(
            sheet_format(Some(SheetArg::Xlsx), Some(txt)),
            SheetFormat::Xlsx
        );
        assert_eq!(
            sheet_format(Some(SheetArg::Csv), Some(xlsx)),
            SheetFormat::Csv
        );
        assert_eq!(sheet_format(None, None), SheetFormat::Csv);
    }

    #[test]
    fn a_sample_is_the_one_its_seed_draws_and_needs_population_size_and_seed() {
        let parts = SampleParts {
            population: Some(120),
            sample_size: Some(10),
            seed: Some("s".into()),
        };
        let sample = draw(&parts, None).expect("sample");
        assert_eq!(sample.items, draw_sample(120, 10, "s").expect("draw"));
        let unseeded = SampleParts {
            seed: None,
            ..parts
        };
        assert!(matches!(draw(&unseeded, None), Err(Failure::Input(_))));
        let recorded = draw(&unseeded, Some("recorded".into())).expect("default seed");
        assert_eq!(recorded.seed, "recorded");
        let too_big = SampleParts {
            population: Some(5),
            sample_size: Some(6),
            seed: Some("s".into()),
        };
        assert!(matches!(draw(&too_big, None), Err(Failure::Input(_))));
    }
}
