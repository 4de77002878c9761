//! `assure trust`: the trust center from the provider's side of the CLI. Documents are published and
//! requests decided with the provider-wide scope; requests, terms and downloads name the customer's tenant
//! and person (`--tenant`, `--user`), and a download goes through the same decision and audit as the API.

use std::path::PathBuf;

use assure_domain::trust::{AccessDecision, AccessRequestId, PackageKind, TrustDocumentId};
use assure_domain::user::Role;
use assure_evidence::BlobStore;
use assure_evidence::trust::{NewTrustDocument, TrustDownload, TrustLibrary};
use assure_store::trust::{AccessDecisionInput, AccessRequestQuery, NewAccessRequest};
use assure_store::{Actor, Store, TenantScope};
use clap::{Args, Subcommand};
use serde_json::json;

use super::require_initialised;
use crate::Failure;
use crate::output::{OutputArgs, Rows};
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// List published documents (every customer sees this listing).
    List(ListArgs),
    /// Publish a document (its bytes go to the evidence blob store).
    Publish(PublishArgs),
    /// File a tenant's request for a document.
    Request(RequestArgs),
    /// Approve a request (optionally until a day).
    Approve(DecideArgs),
    /// Deny a request.
    Deny(DecideArgs),
    /// Record that a person accepted a document's terms.
    AcceptTerms(TermsArgs),
    /// Download a document for a person of a tenant: refused (exit 1) with every reason, or written
    /// watermarked; each attempt is audited.
    Download(DownloadArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Also list requests (of this tenant, or every tenant's with `--requests`).
    #[arg(long)]
    requests: bool,
    #[arg(long)]
    tenant: Option<String>,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    file: PathBuf,
    #[arg(long)]
    title: String,
    /// audit-report, certificate, penetration-test-summary or other.
    #[arg(long)]
    kind: String,
    /// Issue day (YYYY-MM-DD).
    #[arg(long)]
    issued: String,
    #[arg(long)]
    period_start: Option<String>,
    #[arg(long)]
    period_end: Option<String>,
    /// The terms a reader accepts before downloading.
    #[arg(long)]
    terms: String,
    #[arg(long, default_value = "application/pdf")]
    media_type: String,
    /// Who publishes, as recorded.
    #[arg(long, default_value = "cli")]
    by: String,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct RequestArgs {
    document: String,
    #[arg(long)]
    tenant: String,
    /// The requesting person (e-mail).
    #[arg(long)]
    user: String,
    #[arg(long)]
    justification: Option<String>,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct DecideArgs {
    request: String,
    /// The deciding person (a provider admin or security lead), as recorded.
    #[arg(long, default_value = "cli")]
    by: String,
    /// Last day an approval holds (YYYY-MM-DD).
    #[arg(long)]
    expires: Option<String>,
    #[arg(long)]
    note: Option<String>,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct TermsArgs {
    document: String,
    #[arg(long)]
    tenant: String,
    #[arg(long)]
    user: String,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct DownloadArgs {
    document: String,
    #[arg(long)]
    tenant: String,
    #[arg(long)]
    user: String,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Output format of a refusal.
    #[arg(long, value_enum, default_value = "table")]
    format: crate::output::Format,
}

fn date(name: &str, value: &str) -> Result<time::Date, Failure> {
    time::Date::parse(
        value,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| Failure::Input(format!("--{name}: expected YYYY-MM-DD, not {value:?}")))
}

/// The trust library over the configured blob store and master key (also used by the demo loader).
pub(super) fn library<S: Store>(store: S, settings: &Settings) -> Result<TrustLibrary<S>, Failure> {
    let master = super::keys::master_key(settings)?;
    let blobs = BlobStore::open(&settings.evidence_store(), settings.s3_endpoint.as_deref())
        .map_err(|e| Failure::Input(e.to_string()))?;
    TrustLibrary::new(store, blobs, &master, settings.evidence_max_bytes)
        .map_err(|e| Failure::Other(e.into()))
}

fn trust_failure(e: assure_evidence::EvidenceError) -> Failure {
    use assure_evidence::EvidenceError as E;
    use assure_store::StoreError as SE;
    match e {
        E::TooLarge { .. } | E::Store(SE::NotFound(_) | SE::Conflict(_) | SE::Trust(_)) => {
            Failure::Input(e.to_string())
        }
        other => Failure::Other(other.into()),
    }
}

fn store_failure(e: assure_store::StoreError) -> Failure {
    use assure_store::StoreError as SE;
    match e {
        SE::NotFound(_) | SE::Conflict(_) | SE::Trust(_) => Failure::Input(e.to_string()),
        other => other.into(),
    }
}

pub async fn run<S: Store>(
    store: S,
    settings: &Settings,
    command: TrustCommand,
) -> Result<(), Failure> {
    require_initialised(&store).await?;
    let all = TenantScope::AllTenants;
    match command {
        TrustCommand::List(a) => {
            let documents = store.list_trust_documents().await?;
            let requests = if a.requests || a.tenant.is_some() {
                let query = AccessRequestQuery {
                    tenant: a.tenant.as_deref().map(Into::into),
                    ..AccessRequestQuery::default()
                };
                store.list_trust_requests(&all, &query).await?
            } else {
                Vec::new()
            };
            a.out.emit(
                &json!({ "documents": documents, "requests": requests }),
                || {
                    let mut rows: Vec<Vec<String>> = documents
                        .iter()
                        .map(|d| {
                            vec![
                                "document".into(),
                                d.id.to_string(),
                                d.kind.as_str().into(),
                                d.title.clone(),
                                d.issued.to_string(),
                            ]
                        })
                        .collect();
                    rows.extend(requests.iter().map(|r| {
                        vec![
                            "request".into(),
                            r.id.to_string(),
                            r.state.as_str().into(),
                            r.document.to_string(),
                            r.tenant.to_string(),
                        ]
                    }));
                    Rows {
                        header: vec![
                            "what",
                            "id",
                            "kind/state",
                            "title/document",
                            "issued/tenant",
                        ],
                        rows,
                    }
                },
            )
        }
        TrustCommand::Publish(a) => {
            let kind = PackageKind::parse(&a.kind).ok_or_else(|| {
                let names: Vec<_> = PackageKind::ALL.iter().map(|k| k.as_str()).collect();
                Failure::Input(format!(
                    "--kind: one of {}, not {:?}",
                    names.join(", "),
                    a.kind
                ))
            })?;
            let bytes = std::fs::read(&a.file)
                .map_err(|e| Failure::Input(format!("cannot read {}: {e}", a.file.display())))?;
            let new = NewTrustDocument {
                title: a.title.clone(),
                kind,
                issued: date("issued", &a.issued)?,
                period_start: a
                    .period_start
                    .as_deref()
                    .map(|d| date("period-start", d))
                    .transpose()?,
                period_end: a
                    .period_end
                    .as_deref()
                    .map(|d| date("period-end", d))
                    .transpose()?,
                terms: a.terms.clone(),
                media_type: a.media_type.clone(),
                file_name: a
                    .file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "document".into()),
                published_by: a.by.as_str().into(),
            };
            let doc = library(store.clone(), settings)?
                .publish(&Actor(format!("user:{}", a.by)), new, bytes.into())
                .await
                .map_err(trust_failure)?;
            a.out.emit(&doc, || Rows {
                header: vec!["id", "kind", "title", "sha256"],
                rows: vec![vec![
                    doc.id.to_string(),
                    doc.kind.as_str().into(),
                    doc.title.clone(),
                    doc.digest.to_string(),
                ]],
            })
        }
        TrustCommand::Request(a) => {
            let request = store
                .request_trust_access(
                    &all,
                    &Actor(format!("user:{}", a.user)),
                    &NewAccessRequest {
                        tenant: a.tenant.as_str().into(),
                        document: TrustDocumentId::new(a.document.as_str()),
                        requested_by: a.user.as_str().into(),
                        justification: a.justification.clone(),
                    },
                )
                .await
                .map_err(store_failure)?;
            a.out.emit(&request, || request_rows(&request))
        }
        TrustCommand::Approve(a) => decide(&store, a, AccessDecision::Approve).await,
        TrustCommand::Deny(a) => decide(&store, a, AccessDecision::Deny).await,
        TrustCommand::AcceptTerms(a) => {
            let accepted = store
                .accept_trust_terms(
                    &all,
                    &Actor(format!("user:{}", a.user)),
                    &a.tenant.as_str().into(),
                    &TrustDocumentId::new(a.document.as_str()),
                    &a.user.as_str().into(),
                )
                .await
                .map_err(store_failure)?;
            a.out.emit(&accepted, || Rows {
                header: vec!["document", "user", "accepted"],
                rows: vec![vec![
                    accepted.document.to_string(),
                    accepted.user.to_string(),
                    assure_domain::audit::format_instant(accepted.accepted_at),
                ]],
            })
        }
        TrustCommand::Download(a) => {
            let outcome = library(store.clone(), settings)?
                .download(
                    &all,
                    &Actor(format!("user:{}", a.user)),
                    &a.tenant.as_str().into(),
                    &TrustDocumentId::new(a.document.as_str()),
                    &a.user.as_str().into(),
                )
                .await
                .map_err(trust_failure)?;
            match outcome {
                TrustDownload::Granted { bytes, .. } => match &a.output {
                    Some(path) => std::fs::write(path, &bytes).map_err(|e| {
                        Failure::Input(format!("cannot write {}: {e}", path.display()))
                    }),
                    None => {
                        use std::io::Write;
                        std::io::stdout()
                            .write_all(&bytes)
                            .map_err(|e| Failure::Other(e.into()))
                    }
                },
                TrustDownload::Refused(attempt) => {
                    let reasons: Vec<String> =
                        attempt.refusals.iter().map(ToString::to_string).collect();
                    if matches!(a.format, crate::output::Format::Json) {
                        println!(
                            "{}",
                            json!({ "granted": false, "refusals": attempt.refusals })
                        );
                    }
                    Err(Failure::Negative(format!(
                        "download refused: {}",
                        reasons.join("; ")
                    )))
                }
            }
        }
    }
}

fn request_rows(r: &assure_domain::trust::AccessRequest) -> Rows {
    Rows {
        header: vec!["id", "tenant", "document", "state", "expires"],
        rows: vec![vec![
            r.id.to_string(),
            r.tenant.to_string(),
            r.document.to_string(),
            r.state.as_str().into(),
            r.expires.map(|d| d.to_string()).unwrap_or_default(),
        ]],
    }
}

async fn decide<S: Store>(
    store: &S,
    a: DecideArgs,
    decision: AccessDecision,
) -> Result<(), Failure> {
    let input = AccessDecisionInput {
        decision,
        // The CLI is the provider's operator: it decides as a security lead.
        role: Role::ProviderSecurityLead,
        decided_by: a.by.as_str().into(),
        expires: a
            .expires
            .as_deref()
            .map(|d| date("expires", d))
            .transpose()?,
        note: a.note.clone(),
    };
    let request = store
        .decide_trust_request(
            &TenantScope::AllTenants,
            &Actor(format!("user:{}", a.by)),
            &AccessRequestId::new(a.request.as_str()),
            &input,
        )
        .await
        .map_err(store_failure)?;
    a.out.emit(&request, || request_rows(&request))
}
