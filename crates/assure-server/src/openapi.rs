//! The OpenAPI 3.1 document of `/api/v1`, generated from the handlers' `#[utoipa::path]` annotations and
//! the wire types' `ToSchema` derives, served at `/api/openapi.json` (to signed-in callers, like every
//! other route but health and sign-in).
//!
//! The document and the router are kept honest by tests: every API route of [`crate::route_table`] must be
//! an operation here and every operation a route (`tests/isolation.rs`), and schemathesis checks live
//! answers against the schemas (`assure-cli/tests/api_schema.rs`).

use axum::Json;
use axum::response::IntoResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{api, baseline, engagements, evidence, findings, imports, trust};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Assure API",
        description = "The customer security programme of a cloud provider as data: control baseline, \
                       framework mappings, shared-responsibility matrices, tenants and their evidence. \
                       Every operation needs a session or an API token (`Authorization: Bearer`); what a \
                       caller sees is limited to its role and tenants, and anything outside answers \
                       exactly as something that does not exist.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        api::list_controls,
        api::get_control,
        api::list_domains,
        api::list_frameworks,
        api::list_requirements,
        api::framework_coverage,
        api::list_mappings,
        api::list_services,
        api::responsibility,
        api::list_tenants,
        api::get_tenant,
        api::get_profile,
        api::put_profile,
        api::tenant_matrix,
        evidence::list,
        evidence::show,
        evidence::upload,
        evidence::download,
        imports::create,
        imports::list,
        imports::show,
        imports::confirm_route,
        baseline::list_versions,
        baseline::open_draft,
        baseline::show_version,
        baseline::put_change,
        baseline::comment,
        baseline::transition,
        baseline::impact,
        baseline::compare,
        baseline::notices,
        baseline::acknowledge,
        findings::list,
        findings::create,
        findings::report_check,
        findings::show,
        findings::transition,
        findings::accept_risk,
        findings::retriage,
        findings::inherited,
        findings::escalations,
        findings::acknowledge,
        findings::notifications,
        engagements::list_enrolments,
        engagements::request_enrolment,
        engagements::show_enrolment,
        engagements::put_intake,
        engagements::enrolment_step,
        engagements::list,
        engagements::create,
        engagements::show,
        engagements::put_scope,
        engagements::assign,
        engagements::step,
        engagements::get_questionnaire,
        engagements::answer,
        engagements::export_questionnaire,
        engagements::import_questionnaire,
        engagements::export_caiq,
        engagements::list_tests,
        engagements::record_test,
        engagements::roll_forward,
        engagements::inherited_results,
        engagements::list_provider_tests,
        engagements::record_provider_test,
        trust::list_documents,
        trust::show_document,
        trust::accept_terms,
        trust::download,
        trust::list_requests,
        trust::request_access,
        trust::show_request,
        trust::decide,
    ),
    modifiers(&BearerToken),
    security(("bearer" = [])),
    tags(
        (name = "catalogue", description = "The control baseline, frameworks and mappings"),
        (name = "services", description = "Services and the responsibility split"),
        (name = "tenants", description = "Customers, their profiles and matrices"),
        (name = "evidence", description = "A tenant's evidence records and content"),
        (name = "baseline", description = "Versions of the baseline: drafts, review, approval, publication, diff, impact and customer notices"),
        (name = "findings", description = "Findings from assessors, automated checks and people; their remediation, escalations and the in-app inbox"),
        (name = "engagements", description = "Enrolments, engagements by tier and scope, questionnaires (CSV/XLSX round trip, CAIQ v4 export), assessor test results with samples, signing and roll-forward"),
        (name = "trust", description = "The trust center: provider documents, access requests and decisions, terms, audited and watermarked downloads"),
        (name = "imports", description = "OSCAL catalogs, profiles and mappings, and framework spreadsheets, previewed then imported as background jobs"),
    )
)]
struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `GET /api/openapi.json`.
pub(crate) async fn serve() -> impl IntoResponse {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_declares_openapi_3_1_and_bearer_security() {
        let doc = serde_json::to_value(document()).unwrap_or_default();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert!(doc["paths"]["/api/v1/controls"]["get"].is_object());
    }
}
