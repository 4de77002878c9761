//! The engagement pages: `/engagements` lists enrolments (with the provider's enrolment steps) and
//! engagements (with filters and, for the provider, a form to open one); `/engagements/{engagement}`
//! shows one engagement: its scope, the questionnaire with an answer form and its XLSX/CSV round trip,
//! the evidence it cites, the assessor workspace (test results with their samples, a form to record
//! one) and the steps the viewer may take, the sign button only for whom the tier names.
//!
//! Forms post to page routes that go through the same functions as the API
//! (`crate::engagements`) and redirect (303) back; a refusal is an error page naming why, a refused
//! questionnaire file a page listing every row error. Everything is read with `viewer.scope`, so another
//! tenant's engagement is the same 404 as one that never existed; roles without `ReadEngagement` get
//! the 404 of an unknown page.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use askama::Template;
use assure_domain::access::Action;
use assure_domain::engagement::{
    Duty, Engagement, EngagementPeriod, EngagementState, EngagementStep, Scope, Tier,
    allowed_steps, may,
};
use assure_domain::enrolment::{EnrolmentState, EnrolmentStep, Intake};
use assure_domain::questionnaire::{Answer, Response as QuestionResponse, RowError};
use assure_domain::testing::{TestMethod, TestResult};
use assure_domain::user::User;
use assure_domain::{EngagementId, TenantId, UserId};
use assure_reports::questionnaire::SheetFormat;
use assure_store::engagement::{NewEngagement, questionnaire};
use assure_store::{Actor, Store, StoreError};
use axum::Form;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Choice, Layout, PageError, Viewer, render};
use crate::AppState;
use crate::engagements::{
    SampleRequest, TestRequest, filtered, import_bytes, parse_day, record, sheet_upload,
    step_action, take_enrolment_step, today,
};
use crate::problem::Problem;
use crate::routing::Routes;

type Shared<S> = State<Arc<AppState<S>>>;
type Fields = Form<HashMap<String, String>>;

pub fn routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new()
        .get("/engagements", index::<S>)
        .post("/engagements", create::<S>)
        .post("/engagements/enrolments", request_enrolment::<S>)
        .post(
            "/engagements/enrolments/{tenant}/intake",
            intake_from_record::<S>,
        )
        .post(
            "/engagements/enrolments/{tenant}/transitions",
            enrolment_step::<S>,
        )
        .get("/engagements/{engagement}", detail::<S>)
        .post("/engagements/{engagement}/scope", scope::<S>)
        .post("/engagements/{engagement}/assessors", assign::<S>)
        .post("/engagements/{engagement}/transitions", step::<S>)
        .post("/engagements/{engagement}/answers", answers::<S>)
        .post("/engagements/{engagement}/questionnaire", upload::<S>)
        .post("/engagements/{engagement}/tests", test::<S>)
        .post("/engagements/{engagement}/roll-forward", roll_forward::<S>)
}

fn actor(viewer: &Viewer) -> Actor {
    Actor(format!("user:{}", viewer.user))
}

/// The viewer as the store's tier rules see it (role, affiliation, assignment): read once per request.
async fn user_of<S: Store>(store: &S, viewer: &Viewer) -> Result<Option<User>, PageError> {
    Ok(store.get_user(&UserId::from(viewer.user.as_str())).await?)
}

async fn acting_user<S: Store>(store: &S, viewer: &Viewer) -> Result<User, PageError> {
    user_of(store, viewer)
        .await?
        .ok_or_else(|| PageError::NotFound("page".to_owned()))
}

/// A refusal of the store (tier, state, input) as the error page of its problem: 403, 409 or 422 naming
/// why.
fn refused(e: StoreError) -> PageError {
    match e {
        StoreError::NotFound(what) => PageError::NotFound(what),
        StoreError::Conflict(why) => PageError::Api(Problem::new(StatusCode::CONFLICT, why)),
        other @ (StoreError::Enrolment(_)
        | StoreError::Engagement(_)
        | StoreError::Test(_)
        | StoreError::Trust(_)) => PageError::Api(other.into()),
        other => other.into(),
    }
}

fn api(p: Problem) -> PageError {
    if p.status == StatusCode::NOT_FOUND.as_u16() {
        PageError::NotFound(p.detail)
    } else {
        PageError::Api(p)
    }
}

fn field<'a>(fields: &'a HashMap<String, String>, name: &str) -> Result<&'a str, PageError> {
    fields
        .get(name)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| PageError::BadInput(format!("the form needs {name}")))
}

fn optional<'a>(fields: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// A comma- or space-separated list of IDs.
fn ids(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split([',', ' ', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn day(fields: &HashMap<String, String>, name: &str) -> Result<time::Date, PageError> {
    parse_day(name, field(fields, name)?).map_err(|p| PageError::BadInput(p.detail))
}

/// A scope from the form: services, regions and frameworks as lists of IDs, a point in time or a period.
fn scope_from(fields: &HashMap<String, String>) -> Result<Scope, PageError> {
    let period = match field(fields, "period")? {
        "point-in-time" => EngagementPeriod::PointInTime {
            as_of: day(fields, "as_of")?,
        },
        "period" => EngagementPeriod::Period {
            start: day(fields, "start")?,
            end: day(fields, "end")?,
        },
        other => {
            return Err(PageError::BadInput(format!(
                "period must be point-in-time or period, not {other:?}"
            )));
        }
    };
    Ok(Scope {
        services: ids(optional(fields, "services"))
            .into_iter()
            .map(Into::into)
            .collect(),
        regions: ids(optional(fields, "regions"))
            .into_iter()
            .map(Into::into)
            .collect(),
        frameworks: ids(optional(fields, "frameworks"))
            .into_iter()
            .map(Into::into)
            .collect(),
        period,
    })
}

// ----- the list -----

struct EnrolmentRow {
    tenant: String,
    state: &'static str,
    nda: String,
    unmet: Vec<String>,
    /// The provider's next step: (step, label).
    next: Option<(&'static str, &'static str)>,
    needs_intake: bool,
    needs_nda: bool,
}

struct EngagementRow {
    id: String,
    tenant: String,
    tier: &'static str,
    state: &'static str,
    period: String,
    assessors: String,
}

impl EngagementRow {
    fn of(e: &Engagement) -> Self {
        Self {
            id: e.id.to_string(),
            tenant: e.tenant.to_string(),
            tier: e.tier.as_str(),
            state: e.state.as_str(),
            period: e.scope.period.label(),
            assessors: match &e.assessor_firm {
                Some(f) => format!(
                    "{f}: {}",
                    e.assessors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => String::new(),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "engagements/index.html")]
struct IndexPage {
    layout: Layout,
    enrolments: Vec<EnrolmentRow>,
    engagements: Vec<EngagementRow>,
    states: Vec<Choice>,
    tiers: Vec<Choice>,
    may_enrol: bool,
    may_open: bool,
    /// Tenants in scope without an enrolment yet.
    unenrolled: Vec<String>,
    /// Tenants whose enrolment is active: an engagement may be opened for them.
    active: Vec<String>,
    tier_choices: Vec<Choice>,
    today: String,
    // The scope fields of the form, empty for a new engagement.
    services: String,
    regions: String,
    frameworks: String,
    period_kind: &'static str,
    period_start: String,
    period_end: String,
}

fn tier_choices(chosen: &str, any: bool) -> Vec<Choice> {
    let mut out = Vec::new();
    if any {
        out.push(Choice::new("", "Any tier", chosen));
    }
    for t in [
        Tier::SelfAttestation,
        Tier::ThirdPartyAssessment,
        Tier::ManagedAssurance,
    ] {
        out.push(Choice::new(t.as_str(), t.as_str(), chosen));
    }
    out
}

pub async fn index<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadEngagement)?;
    let may_enrol = viewer.may(Action::ManageEnrolment);
    let enrolments = state.store.list_enrolments(&viewer.scope).await?;
    let day = today();
    let tenants = state.store.list_tenants(&viewer.scope).await?;
    let enrolled: BTreeSet<&TenantId> = enrolments.iter().map(|e| &e.tenant).collect();
    let unenrolled = tenants
        .iter()
        .filter(|t| !enrolled.contains(&t.id))
        .map(|t| t.id.to_string())
        .collect();
    let active = enrolments
        .iter()
        .filter(|e| e.state == EnrolmentState::Active)
        .map(|e| e.tenant.to_string())
        .collect();
    let engagements = state.store.list_engagements(&viewer.scope, None).await?;
    let engagements = filtered(engagements, &params).map_err(|p| PageError::BadInput(p.detail))?;
    let chosen_state = params.get("state").map_or("", String::as_str);
    let mut states = vec![Choice::new("", "Any state", chosen_state)];
    states.extend(
        EngagementState::ALL
            .iter()
            .map(|s| Choice::new(s.as_str(), s.as_str(), chosen_state)),
    );
    render(&IndexPage {
        layout: Layout::new(&viewer, "/engagements"),
        enrolments: enrolments
            .iter()
            .map(|e| {
                let next = match e.state {
                    EnrolmentState::Requested => Some(("start-intake", "Start intake")),
                    EnrolmentState::Intake => Some(("record-nda", "Record the NDA")),
                    EnrolmentState::NdaOnFile => Some(("activate", "Activate")),
                    EnrolmentState::Active => None,
                };
                EnrolmentRow {
                    tenant: e.tenant.to_string(),
                    state: e.state.as_str(),
                    nda: e.nda_signed.map(|d| d.to_string()).unwrap_or_default(),
                    unmet: e
                        .ineligibility(day)
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                    next,
                    needs_intake: e.intake_editable() && !e.intake.missing().is_empty(),
                    needs_nda: e.state == EnrolmentState::Intake,
                }
            })
            .collect(),
        engagements: engagements.iter().map(EngagementRow::of).collect(),
        states,
        tiers: tier_choices(params.get("tier").map_or("", String::as_str), true),
        may_enrol,
        may_open: viewer.may(Action::ManageEngagement),
        unenrolled,
        active,
        tier_choices: tier_choices("third-party-assessment", false),
        today: day.to_string(),
        services: String::new(),
        regions: String::new(),
        frameworks: String::new(),
        period_kind: "point-in-time",
        period_start: day.to_string(),
        period_end: day.to_string(),
    })
}

async fn request_enrolment<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Form(fields): Fields,
) -> Result<Response, PageError> {
    viewer.require(Action::ManageEnrolment)?;
    let tenant = TenantId::from(field(&fields, "tenant")?);
    state
        .store
        .request_enrolment(&viewer.scope, &actor(&viewer), &tenant)
        .await
        .map_err(refused)?;
    Ok(Redirect::to("/engagements").into_response())
}

/// Takes the intake from the tenant's record (contract, processing role, regions, contacts the account
/// team keeps there): the intake the provider already holds, recorded on the enrolment.
async fn intake_from_record<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(tenant): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::ManageEnrolment)?;
    let t = state
        .store
        .get_tenant(&viewer.scope, &TenantId::from(tenant.as_str()))
        .await?
        .ok_or_else(|| PageError::NotFound("tenant".to_owned()))?;
    let intake = Intake {
        contract_ref: t.contract_ref.clone(),
        contract_ends: None,
        processing_role: Some(t.processing_role),
        regions: t.regions.clone(),
        contacts: t.contacts.clone(),
    };
    state
        .store
        .update_intake(&viewer.scope, &actor(&viewer), &t.id, &intake)
        .await
        .map_err(refused)?;
    Ok(Redirect::to("/engagements").into_response())
}

async fn enrolment_step<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(tenant): Path<String>,
    Form(fields): Fields,
) -> Result<Response, PageError> {
    viewer.require(Action::ManageEnrolment)?;
    let step = EnrolmentStep::parse(field(&fields, "step")?)
        .ok_or_else(|| PageError::BadInput("unknown enrolment step".to_owned()))?;
    let nda = optional(&fields, "nda_signed")
        .map(|d| parse_day("nda_signed", d))
        .transpose()
        .map_err(|p| PageError::BadInput(p.detail))?;
    take_enrolment_step(
        &state.store,
        &viewer.scope,
        &actor(&viewer),
        &tenant,
        step,
        nda,
    )
    .await
    .map_err(api)?;
    Ok(Redirect::to("/engagements").into_response())
}

async fn create<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Form(fields): Fields,
) -> Result<Response, PageError> {
    viewer.require(Action::ManageEngagement)?;
    let id = EngagementId::from(field(&fields, "id")?);
    let tier = Tier::parse(field(&fields, "tier")?)
        .ok_or_else(|| PageError::BadInput("unknown tier".to_owned()))?;
    let scope = scope_from(&fields)?;
    let e = state
        .store
        .create_engagement(
            &viewer.scope,
            &actor(&viewer),
            &NewEngagement {
                id,
                tenant: TenantId::from(field(&fields, "tenant")?),
                tier,
                scope,
            },
            today(),
        )
        .await
        .map_err(refused)?;
    Ok(Redirect::to(&format!("/engagements/{}", e.id)).into_response())
}

// ----- one engagement -----

struct QuestionRow {
    control: String,
    responsibility: &'static str,
    text: String,
    answer: String,
    explanation: String,
    evidence: String,
    answers: Vec<Choice>,
}

/// A provider test the engagement reuses, as its customer sees it.
struct InheritedRow {
    control: String,
    period: String,
    method: &'static str,
    result: &'static str,
    sample: String,
    deviations: usize,
}

struct TestRow {
    control: String,
    method: &'static str,
    result: &'static str,
    population: String,
    sample: String,
    deviations: String,
    notes: String,
    evidence: Vec<String>,
    tester: String,
}

#[derive(Template)]
#[template(path = "engagements/detail.html")]
struct DetailPage {
    layout: Layout,
    id: String,
    tenant: String,
    tier: &'static str,
    state: &'static str,
    period: String,
    period_kind: &'static str,
    period_start: String,
    period_end: String,
    services: String,
    regions: String,
    frameworks: String,
    firm: String,
    assessors: String,
    signed: String,
    previous: String,
    in_scope: usize,
    questions: Vec<QuestionRow>,
    answered: usize,
    evidence: Vec<String>,
    tests: Vec<TestRow>,
    inherited: Vec<InheritedRow>,
    reused: Vec<String>,
    flagged: Vec<(String, String)>,
    retest: Vec<(String, String)>,
    controls: Vec<Choice>,
    methods: Vec<Choice>,
    results: Vec<Choice>,
    /// Steps (value, label) the viewer may take now, signing aside.
    steps: Vec<(&'static str, String)>,
    may_answer: bool,
    may_test: bool,
    may_sign: bool,
    may_scope: bool,
    may_assign: bool,
    may_roll_forward: bool,
    has_workspace: bool,
}

fn answer_choices(chosen: &str) -> Vec<Choice> {
    let mut out = vec![Choice::new("", "Not answered", chosen)];
    for a in [
        Answer::Yes,
        Answer::No,
        Answer::Partial,
        Answer::NotApplicable,
    ] {
        out.push(Choice::new(a.as_str(), a.as_str(), chosen));
    }
    out
}

fn joined<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn detail<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadEngagement)?;
    let id = EngagementId::from(id.as_str());
    let (e, questions, answers) = questionnaire(&state.store, &viewer.scope, &id)
        .await
        .map_err(refused)?;
    let tests = state.store.list_tests(&viewer.scope, &id).await?;
    let inherited =
        assure_store::engagement::inherited_results_of(&state.store, &viewer.scope, &id)
            .await
            .map_err(refused)?;
    let user = user_of(&state.store, &viewer).await?;
    let duty = |action: Action, duty: Duty| {
        viewer.may(action) && user.as_ref().is_some_and(|u| may(&e, u, duty).is_ok())
    };
    let open_for_answers = matches!(
        e.state,
        EngagementState::Scoping | EngagementState::Fieldwork
    );
    let may_answer = open_for_answers && duty(Action::AnswerQuestionnaire, Duty::Answer);
    let may_test =
        e.state == EngagementState::Fieldwork && duty(Action::RecordTestResult, Duty::Test);
    let may_sign =
        e.state == EngagementState::Reporting && duty(Action::SignEngagement, Duty::Sign);
    let manage = viewer.may(Action::ManageEngagement);
    let by_control: HashMap<&str, &QuestionResponse> =
        answers.iter().map(|a| (a.control.as_str(), a)).collect();
    let mut cited: BTreeSet<String> = BTreeSet::new();
    for a in &answers {
        cited.extend(a.evidence.iter().map(ToString::to_string));
    }
    for t in &tests {
        cited.extend(t.test.evidence.iter().map(ToString::to_string));
    }
    let (period_kind, period_start, period_end) = match e.scope.period {
        EngagementPeriod::PointInTime { as_of } => {
            ("point-in-time", as_of.to_string(), as_of.to_string())
        }
        EngagementPeriod::Period { start, end } => ("period", start.to_string(), end.to_string()),
    };
    let carried = e.carried_over.as_ref();
    render(&DetailPage {
        layout: Layout::new(&viewer, "/engagements"),
        id: e.id.to_string(),
        tenant: e.tenant.to_string(),
        tier: e.tier.as_str(),
        state: e.state.as_str(),
        period: e.scope.period.label(),
        period_kind,
        period_start,
        period_end,
        services: joined(&e.scope.services),
        regions: joined(&e.scope.regions),
        frameworks: joined(&e.scope.frameworks),
        firm: e
            .assessor_firm
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        assessors: joined(&e.assessors),
        signed: match (&e.signed_by, e.signed_at) {
            (Some(by), Some(at)) => format!("{by} at {}", assure_domain::audit::format_instant(at)),
            _ => String::new(),
        },
        previous: e
            .previous
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        in_scope: questions.len(),
        answered: answers.len(),
        questions: questions
            .iter()
            .map(|q| {
                let a = by_control.get(q.control.as_str());
                let chosen = a.map_or("", |a| a.answer.as_str());
                QuestionRow {
                    control: q.control.to_string(),
                    responsibility: q.responsibility.as_str(),
                    text: q.text.clone(),
                    answer: chosen.to_owned(),
                    explanation: a.map(|a| a.explanation.clone()).unwrap_or_default(),
                    evidence: a.map(|a| joined(&a.evidence)).unwrap_or_default(),
                    answers: answer_choices(chosen),
                }
            })
            .collect(),
        evidence: cited.into_iter().collect(),
        tests: tests
            .iter()
            .map(|t| {
                let t = &t.test;
                TestRow {
                    control: t.control.to_string(),
                    method: t.method.as_str(),
                    result: t.result.as_str(),
                    population: t
                        .sample
                        .as_ref()
                        .map(|s| format!("{} ({} items)", s.population_description, s.population))
                        .unwrap_or_default(),
                    sample: t
                        .sample
                        .as_ref()
                        .map(|s| {
                            format!(
                                "{} drawn with seed {}: {}",
                                s.size,
                                s.seed,
                                joined(&s.items)
                            )
                        })
                        .unwrap_or_default(),
                    deviations: t
                        .sample
                        .as_ref()
                        .map(|s| joined(&s.deviations))
                        .unwrap_or_default(),
                    notes: t.notes.clone(),
                    evidence: t.evidence.iter().map(ToString::to_string).collect(),
                    tester: t.tester.to_string(),
                }
            })
            .collect(),
        inherited: inherited
            .iter()
            .map(|r| InheritedRow {
                control: r.control.to_string(),
                period: r.period.label(),
                method: r.method.as_str(),
                result: r.result.as_str(),
                sample: r.sample_size.map(|n| n.to_string()).unwrap_or_default(),
                deviations: r.deviations,
            })
            .collect(),
        reused: carried
            .map(|c| c.reused().map(ToString::to_string).collect())
            .unwrap_or_default(),
        flagged: carried
            .map(|c| {
                c.flagged()
                    .map(|f| {
                        (
                            f.evidence.to_string(),
                            f.issue
                                .as_ref()
                                .map(|i| format!("{i:?}"))
                                .unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        retest: carried
            .map(|c| {
                c.retest
                    .iter()
                    .map(|r| (r.control.to_string(), r.version.to_string()))
                    .collect()
            })
            .unwrap_or_default(),
        controls: questions
            .iter()
            .map(|q| Choice::new(q.control.as_str(), q.control.as_str(), ""))
            .collect(),
        methods: [
            TestMethod::Inquiry,
            TestMethod::Inspection,
            TestMethod::Observation,
            TestMethod::Reperformance,
        ]
        .iter()
        .map(|m| Choice::new(m.as_str(), m.as_str(), "inspection"))
        .collect(),
        results: [
            TestResult::Effective,
            TestResult::Ineffective,
            TestResult::NotApplicable,
            TestResult::NotTested,
        ]
        .iter()
        .map(|r| Choice::new(r.as_str(), r.as_str(), "effective"))
        .collect(),
        steps: if manage {
            allowed_steps(e.state)
                .into_iter()
                .filter(|s| *s != EngagementStep::Sign.as_str())
                .map(|s| (s, s.replace('-', " ")))
                .collect()
        } else {
            Vec::new()
        },
        may_answer,
        may_test,
        may_sign,
        may_scope: manage && e.state == EngagementState::Scoping,
        may_assign: manage && e.tier == Tier::ThirdPartyAssessment && e.state.in_progress(),
        may_roll_forward: manage && e.state == EngagementState::Signed,
        has_workspace: e.tier != Tier::SelfAttestation,
    })
}

fn back(id: &str) -> Response {
    Redirect::to(&format!("/engagements/{id}")).into_response()
}

async fn scope<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Fields,
) -> Result<Response, PageError> {
    viewer.require(Action::ManageEngagement)?;
    let scope = scope_from(&fields)?;
    state
        .store
        .scope_engagement(
            &viewer.scope,
            &actor(&viewer),
            &EngagementId::from(id.as_str()),
            &scope,
        )
        .await
        .map_err(refused)?;
    Ok(back(&id))
}

async fn assign<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Fields,
) -> Result<Response, PageError> {
    viewer.require(Action::ManageEngagement)?;
    let assessors: Vec<UserId> = ids(optional(&fields, "assessors"))
        .into_iter()
        .map(Into::into)
        .collect();
    state
        .store
        .assign_assessors(
            &viewer.scope,
            &actor(&viewer),
            &EngagementId::from(id.as_str()),
            &field(&fields, "firm")?.into(),
            &assessors,
        )
        .await
        .map_err(refused)?;
    Ok(back(&id))
}

async fn step<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Fields,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadEngagement)?;
    let step = EngagementStep::parse(field(&fields, "step")?)
        .ok_or_else(|| PageError::BadInput("unknown step".to_owned()))?;
    viewer.require(step_action(step))?;
    let user = acting_user(&state.store, &viewer).await?;
    state
        .store
        .transition_engagement(&viewer.scope, &user, &EngagementId::from(id.as_str()), step)
        .await
        .map_err(refused)?;
    Ok(back(&id))
}

/// Saves the answer form: one answer per question that has one chosen (`answer-CONTROL`,
/// `explanation-CONTROL`, `evidence-CONTROL`), all or nothing.
async fn answers<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Fields,
) -> Result<Response, PageError> {
    viewer.require(Action::AnswerQuestionnaire)?;
    let user = acting_user(&state.store, &viewer).await?;
    let engagement = EngagementId::from(id.as_str());
    let (_, questions, _) = questionnaire(&state.store, &viewer.scope, &engagement)
        .await
        .map_err(refused)?;
    let mut responses = Vec::new();
    for q in &questions {
        let c = q.control.as_str();
        let Some(chosen) = optional(&fields, &format!("answer-{c}")) else {
            continue;
        };
        let answer = Answer::parse(chosen)
            .ok_or_else(|| PageError::BadInput(format!("{c}: unknown answer {chosen:?}")))?;
        responses.push(QuestionResponse {
            control: q.control.clone(),
            answer,
            explanation: optional(&fields, &format!("explanation-{c}"))
                .unwrap_or_default()
                .to_owned(),
            evidence: ids(optional(&fields, &format!("evidence-{c}")))
                .into_iter()
                .map(assure_domain::evidence::EvidenceId::new)
                .collect(),
        });
    }
    state
        .store
        .save_answers(&viewer.scope, &user, &engagement, &questions, &responses)
        .await
        .map_err(refused)?;
    Ok(back(&id))
}

#[derive(Template)]
#[template(path = "engagements/rejected.html")]
struct RejectedPage {
    layout: Layout,
    id: String,
    detail: String,
    errors: Vec<RowError>,
}

/// The questionnaire file upload: the same import as the API; a refused file is a page listing every row
/// error (422), and the answers stay as they were.
async fn upload<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    request: Request,
) -> Result<Response, PageError> {
    viewer.require(Action::AnswerQuestionnaire)?;
    let user = acting_user(&state.store, &viewer).await?;
    let (bytes, format): (Vec<u8>, SheetFormat) =
        sheet_upload(&params, request).await.map_err(api)?;
    match import_bytes(&state.store, &user, &viewer.scope, &id, &bytes, format).await {
        Ok(_) => Ok(back(&id)),
        Err(p) if p.status == StatusCode::UNPROCESSABLE_ENTITY.as_u16() => {
            let errors: Vec<RowError> = p
                .problems
                .as_deref()
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default();
            let page = RejectedPage {
                layout: Layout::new(&viewer, "/engagements"),
                id,
                detail: p.detail,
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(p) => Err(api(p)),
    }
}

async fn test<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Fields,
) -> Result<Response, PageError> {
    viewer.require(Action::RecordTestResult)?;
    let user = acting_user(&state.store, &viewer).await?;
    let number = |name: &str| -> Result<u64, PageError> {
        field(&fields, name)?
            .parse::<u64>()
            .map_err(|_| PageError::BadInput(format!("{name} must be a whole number")))
    };
    let sample = match optional(&fields, "seed") {
        None => None,
        Some(seed) => Some(SampleRequest {
            population_description: field(&fields, "population_description")?.to_owned(),
            population: number("population")?,
            size: number("size")?,
            seed: seed.to_owned(),
            items: None,
            deviations: ids(optional(&fields, "deviations"))
                .iter()
                .map(|d| {
                    d.parse::<u64>().map_err(|_| {
                        PageError::BadInput(format!("deviation {d:?} is not an item number"))
                    })
                })
                .collect::<Result<_, _>>()?,
        }),
    };
    let request = TestRequest {
        control: field(&fields, "control")?.to_owned(),
        method: TestMethod::parse(field(&fields, "method")?)
            .ok_or_else(|| PageError::BadInput("unknown method".to_owned()))?,
        result: TestResult::parse(field(&fields, "result")?)
            .ok_or_else(|| PageError::BadInput("unknown result".to_owned()))?,
        notes: optional(&fields, "notes").unwrap_or_default().to_owned(),
        evidence: ids(optional(&fields, "evidence")),
        sample,
    };
    record(
        &state.store,
        &user,
        &viewer.scope,
        &EngagementId::from(id.as_str()),
        request,
    )
    .await
    .map_err(api)?;
    Ok(back(&id))
}

async fn roll_forward<S: Store>(
    State(state): Shared<S>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Fields,
) -> Result<Response, PageError> {
    viewer.require(Action::ManageEngagement)?;
    let next = assure_store::engagement::roll_forward_to(
        &state.store,
        &viewer.scope,
        &actor(&viewer),
        &EngagementId::from(id.as_str()),
        &EngagementId::from(field(&fields, "id")?),
    )
    .await
    .map_err(refused)?;
    Ok(back(next.id.as_str()))
}
