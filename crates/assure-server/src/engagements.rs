//! Engagements in the API: enrolments under `/api/v1/enrolments` and engagements under
//! `/api/v1/engagements` (scope, assessors, steps, questionnaire with its CSV/XLSX round trip and CAIQ
//! export, test results, roll-forward).
//!
//! Two gates, as everywhere in engagements: the role matrix here (`ReadEngagement` to read,
//! `ManageEnrolment` and `ManageEngagement` for the provider's steps, `AnswerQuestionnaire`,
//! `RecordTestResult`, `SignEngagement`), then the tier rule inside the store's transaction with the
//! acting user (`engagement::may`), whose refusal is a 403 naming why. Every read and write passes the
//! caller's scope, so an engagement or enrolment of another tenant answers exactly as one that does not
//! exist. Request bodies refuse unknown fields and are read before anything else, so a malformed request
//! changes nothing.

use std::collections::HashMap;
use std::sync::Arc;

use assure_domain::access::Action;
use assure_domain::cycle::{InheritedResult, ProviderTest};
use assure_domain::engagement::{
    Engagement, EngagementPeriod, EngagementState, EngagementStep, Scope, ScopedControl, Tier,
};
use assure_domain::enrolment::{Enrolment, EnrolmentStep, Ineligibility, Intake};
use assure_domain::evidence::EvidenceId;
use assure_domain::questionnaire::{
    CaiqRow, Question, Response, RowError, caiq, caiq_sheet, to_sheet,
};
use assure_domain::testing::{
    ControlTest, DraftFinding, Sample, TestMethod, TestResult, draw_sample,
};
use assure_domain::user::User;
use assure_domain::{AssessorFirmId, ControlId, EngagementId, TenantId, UserId};
use assure_reports::questionnaire::{SheetFormat, read_sheet_bytes, sheet_bytes};
use assure_store::engagement::{
    NewEngagement, SheetImport, engagement, import_sheet, in_scope, inherited_results_of,
    questionnaire, roll_forward_to,
};
use assure_store::{Actor, MappingFilter, Store, StoreError, TenantScope};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::{DEFAULT_LIMIT, MAX_LIMIT, Page, int_param};
use crate::auth::Principal;
use crate::problem::Problem;
use crate::routing::Routes;

type Shared<S> = State<Arc<AppState<S>>>;
type Created<T> = Result<(StatusCode, Json<T>), Problem>;

/// The largest questionnaire file an import reads (a questionnaire of every control is a few KiB).
pub(crate) const MAX_SHEET: usize = 1024 * 1024;

pub fn routes<S: Store>() -> Routes<Arc<AppState<S>>> {
    Routes::new()
        .get("/enrolments", list_enrolments::<S>)
        .post("/enrolments", request_enrolment::<S>)
        .get("/enrolments/{tenant}", show_enrolment::<S>)
        .put("/enrolments/{tenant}/intake", put_intake::<S>)
        .post("/enrolments/{tenant}/transitions", enrolment_step::<S>)
        .get("/engagements", list::<S>)
        .post("/engagements", create::<S>)
        .get("/engagements/{engagement}", show::<S>)
        .put("/engagements/{engagement}/scope", put_scope::<S>)
        .put("/engagements/{engagement}/assessors", assign::<S>)
        .post("/engagements/{engagement}/transitions", step::<S>)
        .get(
            "/engagements/{engagement}/questionnaire",
            get_questionnaire::<S>,
        )
        .put("/engagements/{engagement}/answers", answer::<S>)
        .get(
            "/engagements/{engagement}/questionnaire/export",
            export_questionnaire::<S>,
        )
        .post(
            "/engagements/{engagement}/questionnaire/import",
            import_questionnaire::<S>,
        )
        .get("/engagements/{engagement}/caiq", export_caiq::<S>)
        .get("/engagements/{engagement}/tests", list_tests::<S>)
        .post("/engagements/{engagement}/tests", record_test::<S>)
        .post("/engagements/{engagement}/roll-forward", roll_forward::<S>)
        .get(
            "/engagements/{engagement}/inherited-results",
            inherited_results::<S>,
        )
        .get("/provider-tests", list_provider_tests::<S>)
        .post("/provider-tests", record_provider_test::<S>)
}

// ----- wire types -----

/// An enrolment with every eligibility rule it does not meet today.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentView {
    #[serde(flatten)]
    pub enrolment: Enrolment,
    /// Empty when the tenant is eligible for an engagement.
    pub ineligibility: Vec<Ineligibility>,
}

impl EnrolmentView {
    pub(crate) fn of(enrolment: Enrolment, today: Date) -> Self {
        Self {
            ineligibility: enrolment.ineligibility(today),
            enrolment,
        }
    }
}

/// A tenant asks to enrol.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentRequest {
    pub tenant: String,
}

/// One step of an enrolment; `nda_signed` (YYYY-MM-DD) goes with `record-nda`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentStepRequest {
    pub step: EnrolmentStep,
    #[serde(default)]
    pub nda_signed: Option<String>,
}

/// An engagement to open.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EngagementRequest {
    pub id: String,
    pub tenant: String,
    pub tier: Tier,
    pub scope: Scope,
}

/// An engagement with the controls its scope takes in.
#[derive(Debug, Serialize, ToSchema)]
pub struct EngagementDetail {
    pub engagement: Engagement,
    pub in_scope: Vec<ScopedControl>,
}

/// The assessor firm and its named assessors (user ids) of a third-party assessment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRequest {
    pub firm: String,
    pub assessors: Vec<String>,
}

/// One step of an engagement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    pub step: EngagementStep,
}

/// The questionnaire and the answers given so far.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionnaireView {
    pub engagement: EngagementId,
    pub questions: Vec<Question>,
    pub answers: Vec<Response>,
}

/// Answers to save, all or nothing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswersRequest {
    pub answers: Vec<Response>,
}

/// How many answers were saved.
#[derive(Debug, Serialize, ToSchema)]
pub struct Saved {
    pub saved: usize,
}

/// A sample as an assessor records it: the items are drawn by the server from the seed
/// (`testing::draw_sample`) unless given, and given items must be the ones the seed draws.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleRequest {
    pub population_description: String,
    pub population: u64,
    pub size: u64,
    pub seed: String,
    #[serde(default)]
    pub items: Option<Vec<u64>>,
    #[serde(default)]
    pub deviations: Vec<u64>,
}

/// A test result for one in-scope control.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestRequest {
    pub control: String,
    pub method: TestMethod,
    pub result: TestResult,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub evidence: Vec<String>,
    #[serde(default)]
    pub sample: Option<SampleRequest>,
}

/// A recorded test and the finding an ineffective result drafts.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestOutcome {
    pub test: ControlTest,
    pub draft_finding: Option<DraftFinding>,
    /// The finding an ineffective result raised (or refreshed, when it was open already).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<String>,
}

/// The provider's test of an inherited control for a period: done once, reused by every customer
/// engagement inheriting the control whose period it covers.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderTestRequest {
    pub control: String,
    pub period: EngagementPeriod,
    pub method: TestMethod,
    pub result: TestResult,
    /// The provider's own notes: never shown to customers.
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub sample: Option<SampleRequest>,
}

/// A recorded provider test and the provider finding an ineffective result raised (or refreshed).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderTestOutcome {
    pub test: ProviderTest,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<String>,
}

/// The id of the next period's engagement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollForwardRequest {
    pub id: String,
}

// ----- helpers -----

/// A JSON body, or a 400 naming what was expected. The parser's position is left out of the answer:
/// it depends on the values sent, and the same mistake must read the same whatever the IDs in it.
pub(crate) fn body<T: serde::de::DeserializeOwned>(
    bytes: &Bytes,
    what: &str,
) -> Result<T, Problem> {
    serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        let text = text.split(" at line ").next().unwrap_or_default();
        Problem::bad_field("body", format!("not {what}: {text}"))
    })
}

pub(crate) fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

pub(crate) fn parse_day(field: &str, value: &str) -> Result<Date, Problem> {
    Date::parse(
        value,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| Problem::bad_field(field, format!("{field} must be YYYY-MM-DD, not {value:?}")))
}

/// The same answer for an enrolment that does not exist and one of a tenant the caller may not see.
fn no_enrolment(_tenant: &str) -> Problem {
    Problem::not_found("enrolment")
}

fn sheet_format(params: &HashMap<String, String>) -> Result<SheetFormat, Problem> {
    match params.get("format").map(String::as_str) {
        Some("xlsx") => Ok(SheetFormat::Xlsx),
        None | Some("csv") => Ok(SheetFormat::Csv),
        Some(other) => Err(Problem::bad_field(
            "format",
            format!("format must be csv or xlsx, not {other:?}"),
        )),
    }
}

fn attachment(bytes: Vec<u8>, format: SheetFormat, stem: &str) -> HttpResponse {
    let (media, ext) = match format {
        SheetFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        SheetFormat::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, media.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{ext}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn report_problem(e: assure_reports::ReportError) -> Problem {
    tracing::error!(error = %e, "could not write a sheet");
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the sheet could not be written",
    )
}

/// Every row error of a refused sheet as one 422 problem (`problems` lists each row, column and what is
/// wrong); nothing was saved.
pub(crate) fn rejected_sheet(errors: &[RowError]) -> Problem {
    Problem {
        field: Some("file".to_owned()),
        problems: Some(Box::new(serde_json::to_value(errors).unwrap_or_default())),
        ..Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "the questionnaire file has {} problem(s); no answer was saved",
                errors.len()
            ),
        )
    }
}

/// Reads a questionnaire file from a multipart body (a `file` part; its name's extension picks the format)
/// or a raw body (`?format=csv|xlsx`, or `?file_name=` with an extension).
pub(crate) async fn sheet_upload(
    params: &HashMap<String, String>,
    request: Request,
) -> Result<(Vec<u8>, SheetFormat), Problem> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart {
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, e.body_text()))?;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, e.body_text()))?
        {
            if field.name() == Some("file") {
                let format = SheetFormat::of_file_name(field.file_name().unwrap_or("upload.csv"));
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, e.body_text()))?;
                if bytes.is_empty() {
                    return Err(Problem::bad_field("file", "the uploaded file is empty"));
                }
                return Ok((bytes.to_vec(), format));
            }
        }
        return Err(Problem::bad_field("file", "no file was uploaded"));
    }
    let format = match (params.get("format"), params.get("file_name")) {
        (Some(_), _) => sheet_format(params)?,
        (None, Some(name)) => SheetFormat::of_file_name(name),
        (None, None) => SheetFormat::Csv,
    };
    let bytes = axum::body::to_bytes(request.into_body(), MAX_SHEET)
        .await
        .map_err(|e| Problem::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()))?;
    if bytes.is_empty() {
        return Err(Problem::bad_field("file", "no file was uploaded"));
    }
    Ok((bytes.to_vec(), format))
}

/// The sorted, paged window of `items` asked for by `sort`, `limit` and `offset`.
fn window(
    mut items: Vec<Engagement>,
    params: &HashMap<String, String>,
) -> Result<Page<Engagement>, Problem> {
    let limit = int_param(params, "limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let offset = int_param(params, "offset", 0, i64::MAX)?;
    let sort = params.get("sort").map_or("-created", String::as_str);
    let (key, descending) = match sort.strip_prefix('-') {
        Some(k) => (k, true),
        None => (sort, false),
    };
    match key {
        "created" => items.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id))),
        "id" => items.sort_by(|a, b| a.id.cmp(&b.id)),
        "tenant" => items.sort_by(|a, b| a.tenant.cmp(&b.tenant).then(a.id.cmp(&b.id))),
        "state" => items.sort_by(|a, b| a.state.cmp(&b.state).then(a.id.cmp(&b.id))),
        other => {
            return Err(Problem::bad_field(
                "sort",
                format!(
                    "sort must be created, id, tenant or state (prefix - to reverse), not {other:?}"
                ),
            ));
        }
    }
    if descending {
        items.reverse();
    }
    let total = i64::try_from(items.len()).unwrap_or(i64::MAX);
    let items = items
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    Ok(Page {
        items,
        total,
        limit,
        offset,
    })
}

/// Filters engagements by `state` and `tier` query parameters.
pub(crate) fn filtered(
    items: Vec<Engagement>,
    params: &HashMap<String, String>,
) -> Result<Vec<Engagement>, Problem> {
    let state = params
        .get("state")
        .filter(|s| !s.is_empty())
        .map(|s| {
            EngagementState::parse(s).ok_or_else(|| {
                Problem::bad_field(
                    "state",
                    format!("state must be scoping, fieldwork, reporting or signed, not {s:?}"),
                )
            })
        })
        .transpose()?;
    let tier = params
        .get("tier")
        .filter(|s| !s.is_empty())
        .map(|s| {
            Tier::parse(s).ok_or_else(|| {
                Problem::bad_field(
                    "tier",
                    format!(
                        "tier must be self-attestation, third-party-assessment or managed-assurance, not {s:?}"
                    ),
                )
            })
        })
        .transpose()?;
    Ok(items
        .into_iter()
        .filter(|e| state.is_none_or(|s| e.state == s) && tier.is_none_or(|t| e.tier == t))
        .collect())
}

/// The sample a test request describes, with the items its seed draws when none are given.
fn sample_of(request: SampleRequest) -> Result<Sample, Problem> {
    let items = match request.items {
        Some(items) => items,
        None => {
            draw_sample(request.population, request.size, &request.seed).map_err(|e| Problem {
                field: Some("sample".to_owned()),
                ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            })?
        }
    };
    Ok(Sample {
        population_description: request.population_description,
        population: request.population,
        size: request.size,
        seed: request.seed,
        items,
        deviations: request.deviations,
    })
}

/// Records a test result as `user` (the caller checked `RecordTestResult`; the store applies the tier
/// rule and `check_test`).
pub(crate) async fn record<S: Store>(
    store: &S,
    user: &User,
    scope: &TenantScope,
    id: &EngagementId,
    request: TestRequest,
) -> Result<TestOutcome, Problem> {
    let (engagement, controls) = in_scope(store, scope, id).await?;
    let test = ControlTest {
        engagement: id.clone(),
        control: ControlId::from(request.control.as_str()),
        method: request.method,
        sample: request.sample.map(sample_of).transpose()?,
        result: request.result,
        notes: request.notes,
        evidence: request
            .evidence
            .iter()
            .filter(|e| !e.trim().is_empty())
            .map(|e| EvidenceId::new(e.trim()))
            .collect(),
        tester: user.id.clone(),
        recorded_at: OffsetDateTime::now_utc(),
    };
    let (draft_finding, finding) = assure_store::engagement::record_test_with_finding(
        store,
        scope,
        user,
        &engagement,
        &test,
        &controls,
        &crate::findings::new_finding_id(),
    )
    .await?;
    Ok(TestOutcome {
        test,
        draft_finding,
        finding: finding.map(|f| f.finding.id.to_string()),
    })
}

/// The action a step needs: signing `SignEngagement` (and the tier's signer, checked by the store); the
/// other steps are the provider's (`ManageEngagement`).
pub(crate) fn step_action(step: EngagementStep) -> Action {
    match step {
        EngagementStep::Sign => Action::SignEngagement,
        EngagementStep::StartFieldwork
        | EngagementStep::StartReporting
        | EngagementStep::Reopen => Action::ManageEngagement,
    }
}

/// Moves an enrolment one step (the caller checked `ManageEnrolment`).
pub(crate) async fn take_enrolment_step<S: Store>(
    store: &S,
    scope: &TenantScope,
    actor: &Actor,
    tenant: &str,
    step: EnrolmentStep,
    nda_signed: Option<Date>,
) -> Result<Enrolment, Problem> {
    store
        .transition_enrolment(
            scope,
            actor,
            &TenantId::from(tenant),
            step,
            nda_signed,
            today(),
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => no_enrolment(tenant),
            other => other.into(),
        })
}

// ----- enrolments -----

/// The enrolments of the tenants the caller may see, each with what it lacks for an engagement.
#[utoipa::path(get, path = "/api/v1/enrolments", tag = "engagements",
    responses(
        (status = 200, description = "The enrolments", body = Page<EnrolmentView>),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_enrolments<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
) -> Result<Json<Page<EnrolmentView>>, Problem> {
    let cap = principal.authorize(Action::ReadEngagement)?;
    let day = today();
    let items: Vec<EnrolmentView> = state
        .store
        .list_enrolments(cap.scope())
        .await?
        .into_iter()
        .map(|e| EnrolmentView::of(e, day))
        .collect();
    let n = i64::try_from(items.len()).unwrap_or(i64::MAX);
    Ok(Json(Page {
        items,
        total: n,
        limit: n,
        offset: 0,
    }))
}

/// A tenant's enrolment with every unmet eligibility rule.
#[utoipa::path(get, path = "/api/v1/enrolments/{tenant}", tag = "engagements",
    params(("tenant" = String, Path, description = "Tenant id", example = "northbank")),
    responses(
        (status = 200, description = "The enrolment", body = EnrolmentView),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not enrolled, or a tenant the caller may not see (the two look alike)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn show_enrolment<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(tenant): Path<String>,
) -> Result<Json<EnrolmentView>, Problem> {
    let cap = principal.authorize(Action::ReadEngagement)?;
    let enrolment = state
        .store
        .get_enrolment(cap.scope(), &TenantId::from(tenant.as_str()))
        .await?
        .ok_or_else(|| no_enrolment(&tenant))?;
    Ok(Json(EnrolmentView::of(enrolment, today())))
}

/// Records a tenant's request to enrol.
#[utoipa::path(post, path = "/api/v1/enrolments", tag = "engagements",
    request_body(content = EnrolmentRequest),
    responses(
        (status = 201, description = "The enrolment, requested", body = EnrolmentView),
        (status = 400, description = "The body is not an enrolment request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant, or one the caller may not see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The tenant has an enrolment already", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn request_enrolment<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    bytes: Bytes,
) -> Created<EnrolmentView> {
    let cap = principal.authorize(Action::ManageEnrolment)?;
    let request: EnrolmentRequest = body(&bytes, "an enrolment request ({tenant})")?;
    let enrolment = state
        .store
        .request_enrolment(
            cap.scope(),
            cap.actor(),
            &TenantId::from(request.tenant.as_str()),
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(why) => Problem::new(StatusCode::CONFLICT, why),
            other => other.into(),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(EnrolmentView::of(enrolment, today())),
    ))
}

/// Replaces the intake record (contract, processing role, regions, contacts) before activation.
#[utoipa::path(put, path = "/api/v1/enrolments/{tenant}/intake", tag = "engagements",
    params(("tenant" = String, Path, description = "Tenant id", example = "northbank")),
    request_body(content = Intake),
    responses(
        (status = 200, description = "The enrolment", body = EnrolmentView),
        (status = 400, description = "The body is not an intake record", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not enrolled, or a tenant the caller may not see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The enrolment is active: the intake is closed", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn put_intake<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(tenant): Path<String>,
    bytes: Bytes,
) -> Result<Json<EnrolmentView>, Problem> {
    let cap = principal.authorize(Action::ManageEnrolment)?;
    let intake: Intake = body(&bytes, "an intake record")?;
    let enrolment = state
        .store
        .update_intake(
            cap.scope(),
            cap.actor(),
            &TenantId::from(tenant.as_str()),
            &intake,
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => no_enrolment(&tenant),
            other => other.into(),
        })?;
    Ok(Json(EnrolmentView::of(enrolment, today())))
}

/// Moves an enrolment one step: `start-intake`, `record-nda` (with `nda_signed`), `activate`. A refusal
/// names the allowed steps or every unmet rule.
#[utoipa::path(post, path = "/api/v1/enrolments/{tenant}/transitions", tag = "engagements",
    params(("tenant" = String, Path, description = "Tenant id", example = "northbank")),
    request_body(content = EnrolmentStepRequest),
    responses(
        (status = 200, description = "The enrolment after the step", body = EnrolmentView),
        (status = 400, description = "The body is not a step, or the NDA day is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not enrolled, or a tenant the caller may not see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Illegal step (the allowed ones named) or not eligible (`problems` lists every unmet rule)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn enrolment_step<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(tenant): Path<String>,
    bytes: Bytes,
) -> Result<Json<EnrolmentView>, Problem> {
    let cap = principal.authorize(Action::ManageEnrolment)?;
    let request: EnrolmentStepRequest = body(&bytes, "an enrolment step ({step, nda_signed?})")?;
    let nda = request
        .nda_signed
        .as_deref()
        .map(|d| parse_day("nda_signed", d))
        .transpose()?;
    let enrolment = take_enrolment_step(
        &state.store,
        cap.scope(),
        cap.actor(),
        &tenant,
        request.step,
        nda,
    )
    .await?;
    Ok(Json(EnrolmentView::of(enrolment, today())))
}

// ----- engagements -----

/// The engagements the caller may see, paged, filtered and sorted (newest first by default).
#[utoipa::path(get, path = "/api/v1/engagements", tag = "engagements",
    params(
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 0, maximum = 1000),
        ("offset" = Option<i64>, Query, description = "Items to skip", minimum = 0),
        ("sort" = Option<String>, Query, description = "created (default, newest first as -created), id, tenant or state; prefix - to reverse",
            pattern = "^-?(created|id|tenant|state)$"),
        ("tenant" = Option<String>, Query, description = "Only this tenant's engagements"),
        ("state" = Option<String>, Query, description = "scoping, fieldwork, reporting or signed"),
        ("tier" = Option<String>, Query, description = "self-attestation, third-party-assessment or managed-assurance"),
    ),
    responses(
        (status = 200, description = "A page of engagements", body = Page<Engagement>),
        (status = 400, description = "A parameter is wrong; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Page<Engagement>>, Problem> {
    let cap = principal.authorize(Action::ReadEngagement)?;
    let tenant = params
        .get("tenant")
        .filter(|t| !t.is_empty())
        .map(|t| TenantId::from(t.as_str()));
    let items = state
        .store
        .list_engagements(cap.scope(), tenant.as_ref())
        .await?;
    Ok(Json(window(filtered(items, &params)?, &params)?))
}

/// Opens an engagement in `scoping` for an active, eligible tenant over a scope its profile admits.
#[utoipa::path(post, path = "/api/v1/engagements", tag = "engagements",
    request_body(content = EngagementRequest),
    responses(
        (status = 201, description = "The engagement", body = Engagement),
        (status = 400, description = "The body is not an engagement", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant, or one the caller may not see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The id is taken, or the tenant is not enrolled and eligible (every unmet rule named)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The scope names what the tenant does not use", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn create<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    bytes: Bytes,
) -> Created<Engagement> {
    let cap = principal.authorize(Action::ManageEngagement)?;
    let request: EngagementRequest = body(&bytes, "an engagement ({id, tenant, tier, scope})")?;
    if request.id.trim().is_empty() {
        return Err(Problem::bad_field("id", "id must not be empty"));
    }
    let e = state
        .store
        .create_engagement(
            cap.scope(),
            cap.actor(),
            &NewEngagement {
                id: EngagementId::from(request.id.trim()),
                tenant: TenantId::from(request.tenant.as_str()),
                tier: request.tier,
                scope: request.scope,
            },
            today(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(why) => Problem::new(StatusCode::CONFLICT, why),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(e)))
}

/// An engagement with its in-scope controls.
#[utoipa::path(get, path = "/api/v1/engagements/{engagement}", tag = "engagements",
    params(("engagement" = String, Path, description = "Engagement id", example = "northbank-2026")),
    responses(
        (status = 200, description = "The engagement", body = EngagementDetail),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or another tenant's (the two look alike)", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn show<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<EngagementDetail>, Problem> {
    let cap = principal.authorize(Action::ReadEngagement)?;
    let (engagement, in_scope) =
        in_scope(&state.store, cap.scope(), &EngagementId::from(id.as_str())).await?;
    Ok(Json(EngagementDetail {
        engagement,
        in_scope,
    }))
}

/// Replaces the scope while the engagement is in `scoping`.
#[utoipa::path(put, path = "/api/v1/engagements/{engagement}/scope", tag = "engagements",
    params(("engagement" = String, Path, description = "Engagement id", example = "northbank-2026")),
    request_body(content = Scope),
    responses(
        (status = 200, description = "The engagement", body = Engagement),
        (status = 400, description = "The body is not a scope", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or another tenant's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The engagement is past scoping", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The scope names what the tenant does not use", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn put_scope<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Engagement>, Problem> {
    let cap = principal.authorize(Action::ManageEngagement)?;
    let scope: Scope = body(&bytes, "a scope ({services, regions, frameworks, period})")?;
    let e = state
        .store
        .scope_engagement(
            cap.scope(),
            cap.actor(),
            &EngagementId::from(id.as_str()),
            &scope,
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(why) => Problem::new(StatusCode::CONFLICT, why),
            other => other.into(),
        })?;
    Ok(Json(e))
}

/// Assigns an assessor firm and named assessors of it to a third-party assessment.
#[utoipa::path(put, path = "/api/v1/engagements/{engagement}/assessors", tag = "engagements",
    params(("engagement" = String, Path, description = "Engagement id", example = "northbank-2026")),
    request_body(content = AssignmentRequest),
    responses(
        (status = 200, description = "The engagement", body = Engagement),
        (status = 400, description = "The body is not an assignment", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown engagement (or another tenant's), firm or assessor", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The engagement is signed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a third-party assessment, or an assessor not of the firm", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn assign<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Engagement>, Problem> {
    let cap = principal.authorize(Action::ManageEngagement)?;
    let request: AssignmentRequest = body(&bytes, "an assignment ({firm, assessors})")?;
    let assessors: Vec<UserId> = request
        .assessors
        .iter()
        .map(|a| UserId::from(a.as_str()))
        .collect();
    let e = state
        .store
        .assign_assessors(
            cap.scope(),
            cap.actor(),
            &EngagementId::from(id.as_str()),
            &AssessorFirmId::from(request.firm.as_str()),
            &assessors,
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(why) => Problem::new(StatusCode::CONFLICT, why),
            other => other.into(),
        })?;
    Ok(Json(e))
}

/// Moves an engagement one step: `start-fieldwork`, `start-reporting`, `reopen` (the provider's) or
/// `sign` (whom the tier names: the compliance officer of a self-attestation, an assigned assessor of a
/// third-party assessment, a provider security lead of managed assurance).
#[utoipa::path(post, path = "/api/v1/engagements/{engagement}/transitions", tag = "engagements",
    params(("engagement" = String, Path, description = "Engagement id", example = "northbank-2026")),
    request_body(content = StepRequest),
    responses(
        (status = 200, description = "The engagement after the step", body = Engagement),
        (status = 400, description = "The body is not a step", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role, or the tier, does not let the caller take this step", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or another tenant's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Illegal step (the allowed ones named), or no assessors yet", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn step<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Engagement>, Problem> {
    principal.authorize(Action::ReadEngagement)?;
    let request: StepRequest = body(&bytes, "a step ({step})")?;
    let cap = principal.authorize(step_action(request.step))?;
    let e = state
        .store
        .transition_engagement(
            cap.scope(),
            &principal.user,
            &EngagementId::from(id.as_str()),
            request.step,
        )
        .await?;
    Ok(Json(e))
}

/// The questionnaire (one question per in-scope customer or shared control) and the answers so far.
#[utoipa::path(get, path = "/api/v1/engagements/{engagement}/questionnaire", tag = "engagements",
    params(("engagement" = String, Path, description = "Engagement id", example = "northbank-2026")),
    responses(
        (status = 200, description = "The questionnaire", body = QuestionnaireView),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or another tenant's", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get_questionnaire<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<QuestionnaireView>, Problem> {
    let cap = principal.authorize(Action::ReadEngagement)?;
    let (e, questions, answers) =
        questionnaire(&state.store, cap.scope(), &EngagementId::from(id.as_str())).await?;
    Ok(Json(QuestionnaireView {
        engagement: e.id,
        questions,
        answers,
    }))
}

/// Saves answers, all or nothing: every control a question of this questionnaire, every evidence
/// reference the tenant's. Only whom the tier lets answer (the tenant's compliance officer).
#[utoipa::path(put, path = "/api/v1/engagements/{engagement}/answers", tag = "engagements",
    params(("engagement" = String, Path, description = "Engagement id", example = "northbank-2026")),
    request_body(content = AnswersRequest),
    responses(
        (status = 200, description = "How many answers were saved", body = Saved),
        (status = 400, description = "The body is not a list of answers", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role or the tier does not let the caller answer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or another tenant's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The engagement no longer takes answers", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A control or evidence reference is unknown", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn answer<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Saved>, Problem> {
    let cap = principal.authorize(Action::AnswerQuestionnaire)?;
    let request: AnswersRequest = body(&bytes, "answers ({answers: [...]})")?;
    let id = EngagementId::from(id.as_str());
    let (_, questions, _) = questionnaire(&state.store, cap.scope(), &id).await?;
    let saved = state
        .store
        .save_answers(
            cap.scope(),
            &principal.user,
            &id,
            &questions,
            &request.answers,
        )
        .await?;
    Ok(Json(Saved { saved }))
}

/// The questionnaire with its current answers as a file to answer offline (columns `control,
/// responsibility, question, answer, explanation, evidence`).
#[utoipa::path(get, path = "/api/v1/engagements/{engagement}/questionnaire/export", tag = "engagements",
    params(
        ("engagement" = String, Path, description = "Engagement id", example = "northbank-2026"),
        ("format" = Option<String>, Query, description = "csv (default) or xlsx", pattern = "^(csv|xlsx)$"),
    ),
    responses(
        (status = 200, description = "The questionnaire as a file", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
        (status = 400, description = "An unknown format", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or another tenant's", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn export_questionnaire<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<HttpResponse, Problem> {
    let cap = principal.authorize(Action::ReadEngagement)?;
    let format = sheet_format(&params)?;
    let (e, questions, answers) =
        questionnaire(&state.store, cap.scope(), &EngagementId::from(id.as_str())).await?;
    let bytes = sheet_bytes(&to_sheet(&questions, &answers), format, "Questionnaire")
        .map_err(report_problem)?;
    Ok(attachment(
        bytes,
        format,
        &format!("{}-questionnaire", e.id),
    ))
}

/// Imports answers from a questionnaire file (multipart `file`, or the raw body with `?format=` or
/// `?file_name=`): every row is checked first, and any problem refuses the whole file with every row
/// error (row, column, what is wrong) in `problems`; the answers stay as they were.
#[utoipa::path(post, path = "/api/v1/engagements/{engagement}/questionnaire/import", tag = "engagements",
    params(
        ("engagement" = String, Path, description = "Engagement id", example = "northbank-2026"),
        ("format" = Option<String>, Query, description = "csv or xlsx, for a raw body"),
        ("file_name" = Option<String>, Query, description = "The file's name (its extension picks the format), for a raw body"),
    ),
    request_body(content(
        (Vec<u8> = "multipart/form-data"),
        (Vec<u8> = "application/octet-stream"),
        (String = "text/csv"),
    )),
    responses(
        (status = 200, description = "Every answer of the file was saved", body = Saved),
        (status = 400, description = "No file, or an unknown format", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role or the tier does not let the caller answer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or another tenant's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The engagement no longer takes answers", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file is refused: `problems` lists every row error; nothing was saved", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn import_questionnaire<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    request: Request,
) -> Result<Json<Saved>, Problem> {
    let cap = principal.authorize(Action::AnswerQuestionnaire)?;
    let (bytes, format) = sheet_upload(&params, request).await?;
    let saved = import_bytes(
        &state.store,
        &principal.user,
        cap.scope(),
        &id,
        &bytes,
        format,
    )
    .await?;
    Ok(Json(Saved { saved }))
}

/// Reads a questionnaire file and imports it as `user`: a file that is not a sheet, or any row error, is
/// a 422 problem and nothing is saved.
pub(crate) async fn import_bytes<S: Store>(
    store: &S,
    user: &User,
    scope: &TenantScope,
    id: &str,
    bytes: &[u8],
    format: SheetFormat,
) -> Result<usize, Problem> {
    let id = EngagementId::from(id);
    // The engagement first: a foreign one is "not found" whatever the file holds.
    engagement(store, scope, &id).await?;
    let sheet = read_sheet_bytes(bytes, format).map_err(|e| Problem {
        field: Some("file".to_owned()),
        ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
    })?;
    match import_sheet(store, scope, user, &id, &sheet).await? {
        SheetImport::Saved(n) => Ok(n),
        SheetImport::Rejected(errors) => Err(rejected_sheet(&errors)),
    }
}

/// The answers in the CAIQ v4 layout, keyed by CCM v4 control IDs (our words and IDs only).
#[utoipa::path(get, path = "/api/v1/engagements/{engagement}/caiq", tag = "engagements",
    params(
        ("engagement" = String, Path, description = "Engagement id", example = "northbank-2026"),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx", pattern = "^(json|csv|xlsx)$"),
    ),
    responses(
        (status = 200, description = "The CAIQ rows as JSON, CSV or XLSX", content(
            (Vec<CaiqRow> = "application/json"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
        (status = 400, description = "An unknown format", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or another tenant's", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn export_caiq<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<HttpResponse, Problem> {
    let cap = principal.authorize(Action::ReadEngagement)?;
    let format = match params.get("format").map(String::as_str) {
        None | Some("json") => None,
        Some(_) => Some(sheet_format(&params)?),
    };
    let (e, questions, answers) =
        questionnaire(&state.store, cap.scope(), &EngagementId::from(id.as_str())).await?;
    let mappings = state
        .store
        .list_mappings(&MappingFilter {
            framework: Some(assure_domain::questionnaire::CCM_FRAMEWORK.into()),
            ..MappingFilter::default()
        })
        .await?;
    let rows = caiq(&questions, &answers, &mappings);
    Ok(match format {
        None => Json(rows).into_response(),
        Some(format) => attachment(
            sheet_bytes(&caiq_sheet(&rows), format, "CAIQ").map_err(report_problem)?,
            format,
            &format!("{}-caiq", e.id),
        ),
    })
}

/// The test results of an engagement, one per control.
#[utoipa::path(get, path = "/api/v1/engagements/{engagement}/tests", tag = "engagements",
    params(("engagement" = String, Path, description = "Engagement id", example = "northbank-2026")),
    responses(
        (status = 200, description = "The test results", body = Page<ControlTest>),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or another tenant's", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_tests<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Page<ControlTest>>, Problem> {
    let cap = principal.authorize(Action::ReadEngagement)?;
    let id = EngagementId::from(id.as_str());
    engagement(&state.store, cap.scope(), &id).await?;
    let items: Vec<ControlTest> = state
        .store
        .list_tests(cap.scope(), &id)
        .await?
        .into_iter()
        .map(|t| t.test)
        .collect();
    let n = i64::try_from(items.len()).unwrap_or(i64::MAX);
    Ok(Json(Page {
        items,
        total: n,
        limit: n,
        offset: 0,
    }))
}

/// Records a test result for an in-scope control during fieldwork (replacing the control's earlier
/// one). A period engagement needs the sample its seed draws (the server draws the items when none are
/// given); an ineffective result returns the finding it drafts.
#[utoipa::path(post, path = "/api/v1/engagements/{engagement}/tests", tag = "engagements",
    params(("engagement" = String, Path, description = "Engagement id", example = "northbank-2026")),
    request_body(content = TestRequest),
    responses(
        (status = 201, description = "The recorded test and any drafted finding", body = TestOutcome),
        (status = 400, description = "The body is not a test result", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role or the tier does not let the caller test", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or another tenant's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The engagement is not in fieldwork", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The sample, deviations or control are wrong; `field` names which", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn record_test<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Created<TestOutcome> {
    let cap = principal.authorize(Action::RecordTestResult)?;
    let request: TestRequest = body(&bytes, "a test result ({control, method, result, ...})")?;
    let outcome = record(
        &state.store,
        &principal.user,
        cap.scope(),
        &EngagementId::from(id.as_str()),
        request,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(outcome)))
}

/// The provider tests an engagement reuses for its inherited controls, as the customer sees them (no
/// provider notes, tester or evidence): one per inherited control in scope whose test period covers the
/// engagement's.
#[utoipa::path(get, path = "/api/v1/engagements/{engagement}/inherited-results", tag = "engagements",
    params(("engagement" = String, Path, description = "Engagement id", example = "northbank-2026")),
    responses(
        (status = 200, description = "The reused provider results", body = Page<InheritedResult>),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or another tenant's", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn inherited_results<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Page<InheritedResult>>, Problem> {
    let cap = principal.authorize(Action::ReadEngagement)?;
    let items =
        inherited_results_of(&state.store, cap.scope(), &EngagementId::from(id.as_str())).await?;
    let n = i64::try_from(items.len()).unwrap_or(i64::MAX);
    Ok(Json(Page {
        items,
        total: n,
        limit: n,
        offset: 0,
    }))
}

/// The provider's tests of inherited controls with their notes and samples (provider roles only),
/// optionally of one control; by control, newest period first.
#[utoipa::path(get, path = "/api/v1/provider-tests", tag = "engagements",
    params(("control" = Option<String>, Query, description = "Only this control's tests", example = "PHY-01")),
    responses(
        (status = 200, description = "The provider tests", body = Page<ProviderTest>),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_provider_tests<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Page<ProviderTest>>, Problem> {
    principal.authorize(Action::ManageEngagement)?;
    let control = params
        .get("control")
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .map(ControlId::from);
    let items = state.store.list_provider_tests(control.as_ref()).await?;
    let n = i64::try_from(items.len()).unwrap_or(i64::MAX);
    Ok(Json(Page {
        items,
        total: n,
        limit: n,
        offset: 0,
    }))
}

/// Records the provider's test of an inherited control for a period (replacing that control's earlier
/// test of the same period). A period needs the sample its seed draws (drawn by the server when no items
/// are given); a control no customer inherits is refused; an ineffective result raises the provider's
/// finding, which customers inheriting the control see redacted.
#[utoipa::path(post, path = "/api/v1/provider-tests", tag = "engagements",
    request_body(content = ProviderTestRequest),
    responses(
        (status = 201, description = "The recorded test and any finding it raised", body = ProviderTestOutcome),
        (status = 400, description = "The body is not a provider test", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The control is not inherited, or the sample or deviations are wrong; `field` names which", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn record_provider_test<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    bytes: Bytes,
) -> Created<ProviderTestOutcome> {
    principal.authorize(Action::ManageEngagement)?;
    let request: ProviderTestRequest = body(
        &bytes,
        "a provider test ({control, period, method, result, ...})",
    )?;
    let test = ProviderTest {
        period: request.period,
        test: ControlTest {
            engagement: ProviderTest::assessment(&request.period),
            control: ControlId::from(request.control.trim()),
            method: request.method,
            sample: request.sample.map(sample_of).transpose()?,
            result: request.result,
            notes: request.notes,
            evidence: vec![],
            tester: principal.user.id.clone(),
            recorded_at: OffsetDateTime::now_utc(),
        },
    };
    let (test, finding) = assure_store::engagement::record_provider_test(
        &state.store,
        &principal.actor(),
        &test,
        &crate::findings::new_finding_id(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ProviderTestOutcome {
            test,
            finding: finding.map(|f| f.finding.id.to_string()),
        }),
    ))
}

/// Opens the next period's engagement from a signed one: scope copied, valid evidence reused (expired or
/// out-of-period evidence flagged), controls changed since by a baseline version flagged for retest.
#[utoipa::path(post, path = "/api/v1/engagements/{engagement}/roll-forward", tag = "engagements",
    params(("engagement" = String, Path, description = "Engagement id", example = "northbank-2026")),
    request_body(content = RollForwardRequest),
    responses(
        (status = 201, description = "The next period's engagement, with what was carried over", body = Engagement),
        (status = 400, description = "The body is not a roll-forward request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No session or token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not do this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or another tenant's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not signed yet, or the new id is taken", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn roll_forward<S: Store>(
    State(state): Shared<S>,
    principal: Principal,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Created<Engagement> {
    let cap = principal.authorize(Action::ManageEngagement)?;
    let request: RollForwardRequest = body(&bytes, "a roll-forward request ({id})")?;
    if request.id.trim().is_empty() {
        return Err(Problem::bad_field("id", "id must not be empty"));
    }
    let next = roll_forward_to(
        &state.store,
        cap.scope(),
        cap.actor(),
        &EngagementId::from(id.as_str()),
        &EngagementId::from(request.id.trim()),
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(why) => Problem::new(StatusCode::CONFLICT, why),
        other => other.into(),
    })?;
    Ok((StatusCode::CREATED, Json(next)))
}
