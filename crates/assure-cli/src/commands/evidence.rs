//! `assure evidence`: add, list, show, get and verify evidence. The CLI works on the provider's side, with
//! the provider-wide scope; every record still belongs to one tenant, named with `--tenant`.

use std::path::PathBuf;

use assure_domain::evidence::{
    EvidenceClaim, EvidenceId, EvidenceKind, EvidenceLink, EvidenceRecord, EvidenceSource, Period,
};
use assure_evidence::{BlobStore, Repository, UploadRequest};
use assure_store::{Actor, EvidenceQuery, Store, TenantScope};
use clap::{Args, Subcommand};
use futures_util::StreamExt;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::require_initialised;
use crate::Failure;
use crate::output::{OutputArgs, Rows};
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Upload a file as evidence of a tenant (streamed; never read whole into memory).
    Add(AddArgs),
    /// List a tenant's evidence (current versions unless --all-versions).
    List(ListArgs),
    /// Show one record and its versions.
    Show(ShowArgs),
    /// Write a record's bytes to a file or standard output (audited as a download).
    Get(GetArgs),
    /// Re-read, decrypt and re-hash every blob; name each mismatch or missing blob (exit 1).
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The file to upload.
    file: PathBuf,
    #[arg(long)]
    tenant: String,
    /// configuration-snapshot, access-log, key-rotation-record, penetration-test-report, policy,
    /// remediation-ticket-link, questionnaire-answer or other.
    #[arg(long)]
    kind: String,
    #[arg(long)]
    title: String,
    /// When the evidence was collected (RFC 3339), e.g. 2026-04-01T09:30:00Z.
    #[arg(long)]
    collected_at: String,
    /// First day of the period the evidence covers (YYYY-MM-DD); needs --period-end.
    #[arg(long, requires = "period_end")]
    period_start: Option<String>,
    #[arg(long, requires = "period_start")]
    period_end: Option<String>,
    #[arg(long)]
    expires_on: Option<String>,
    /// A control this evidence supports (repeatable).
    #[arg(long)]
    control: Vec<String>,
    /// A requirement this evidence supports, FRAMEWORK:REQUIREMENT (repeatable).
    #[arg(long)]
    requirement: Vec<String>,
    /// The record this upload replaces as a new version.
    #[arg(long)]
    supersedes: Option<String>,
    #[arg(long, default_value = "application/octet-stream")]
    media_type: String,
    /// Who uploads, as recorded.
    #[arg(long, default_value = "cli")]
    uploader: String,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long)]
    tenant: String,
    #[arg(long)]
    kind: Option<String>,
    #[arg(long)]
    control: Option<String>,
    /// Only evidence expiring before this day (YYYY-MM-DD).
    #[arg(long, conflicts_with = "expired")]
    expires_before: Option<String>,
    /// Only evidence already expired.
    #[arg(long)]
    expired: bool,
    #[arg(long)]
    all_versions: bool,
    #[arg(long)]
    limit: Option<i64>,
    #[arg(long, default_value_t = 0)]
    offset: i64,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    id: String,
    #[arg(long)]
    tenant: String,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    id: String,
    #[arg(long)]
    tenant: String,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Only this tenant's blobs.
    #[arg(long)]
    tenant: Option<String>,
    #[command(flatten)]
    out: OutputArgs,
}

/// The evidence repository the settings describe.
pub fn repository<S: Store>(store: S, settings: &Settings) -> Result<Repository<S>, Failure> {
    let master = super::keys::master_key(settings)?;
    let blobs = BlobStore::open(&settings.evidence_store(), settings.s3_endpoint.as_deref())
        .map_err(|e| Failure::Input(e.to_string()))?;
    Ok(Repository::new(
        store,
        blobs,
        master,
        settings.evidence_max_bytes,
    ))
}

fn date(name: &str, value: &str) -> Result<time::Date, Failure> {
    time::Date::parse(
        value,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| Failure::Input(format!("--{name}: expected YYYY-MM-DD, not {value:?}")))
}

fn kind(value: &str) -> Result<EvidenceKind, Failure> {
    EvidenceKind::parse(value).ok_or_else(|| {
        let names: Vec<_> = EvidenceKind::ALL.iter().map(|k| k.as_str()).collect();
        Failure::Input(format!(
            "--kind: one of {}, not {value:?}",
            names.join(", ")
        ))
    })
}

fn rows(records: &[EvidenceRecord]) -> Rows {
    Rows {
        header: vec![
            "id",
            "kind",
            "title",
            "collected",
            "expires",
            "version",
            "sha256",
            "size",
            "flags",
        ],
        rows: records
            .iter()
            .map(|r| {
                vec![
                    r.id.to_string(),
                    r.kind.as_str().to_owned(),
                    r.title.clone(),
                    assure_domain::audit::format_instant(r.collected_at),
                    r.expires_on.map(|d| d.to_string()).unwrap_or_default(),
                    r.version.to_string(),
                    r.digest.to_string(),
                    r.size.to_string(),
                    r.flags
                        .iter()
                        .map(|f| f.code.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                ]
            })
            .collect(),
    }
}

fn evidence_failure(e: assure_evidence::EvidenceError) -> Failure {
    use assure_evidence::EvidenceError as E;
    match e {
        E::Rejected(_)
        | E::TooLarge { .. }
        | E::KeyDestroyed { .. }
        | E::Store(assure_store::StoreError::NotFound(_)) => Failure::Input(e.to_string()),
        other => Failure::Other(other.into()),
    }
}

pub async fn run<S: Store>(
    store: S,
    settings: &Settings,
    command: EvidenceCommand,
) -> Result<(), Failure> {
    require_initialised(&store).await?;
    let scope = TenantScope::AllTenants;
    let known = |t: &str| {
        let store = store.clone();
        let t = t.to_owned();
        async move {
            store
                .get_tenant(&TenantScope::AllTenants, &t.as_str().into())
                .await?
                .map(|x| x.id)
                .ok_or_else(|| Failure::Input(format!("unknown tenant {t:?}")))
        }
    };
    match command {
        EvidenceCommand::Add(a) => {
            let tenant = known(&a.tenant).await?;
            let repo = repository(store.clone(), settings)?;
            let collected_at = time::OffsetDateTime::parse(
                &a.collected_at,
                &time::format_description::well_known::Rfc3339,
            )
            .map_err(|_| {
                Failure::Input(format!(
                    "--collected-at: expected RFC 3339 such as 2026-04-01T09:30:00Z, not {:?}",
                    a.collected_at
                ))
            })?;
            let period = match (&a.period_start, &a.period_end) {
                (Some(s), Some(e)) => Some(Period {
                    start: date("period-start", s)?,
                    end: date("period-end", e)?,
                }),
                _ => None,
            };
            let mut links: Vec<EvidenceLink> = a
                .control
                .iter()
                .map(|c| EvidenceLink::Control {
                    control: c.as_str().into(),
                })
                .collect();
            for r in &a.requirement {
                let (f, q) = r.split_once(':').ok_or_else(|| {
                    Failure::Input(format!(
                        "--requirement: expected FRAMEWORK:REQUIREMENT, not {r:?}"
                    ))
                })?;
                links.push(EvidenceLink::Requirement {
                    framework: f.into(),
                    requirement: q.into(),
                });
            }
            let file = tokio::fs::File::open(&a.file)
                .await
                .map_err(|e| Failure::Input(format!("cannot read {}: {e}", a.file.display())))?;
            let request = UploadRequest {
                tenant,
                claim: EvidenceClaim {
                    kind: kind(&a.kind)?,
                    title: a.title.clone(),
                    collected_at,
                    period,
                    expires_on: a
                        .expires_on
                        .as_deref()
                        .map(|d| date("expires-on", d))
                        .transpose()?,
                    source: EvidenceSource::ManualUpload,
                    links,
                },
                media_type: a.media_type.clone(),
                file_name: a.file.file_name().map(|n| n.to_string_lossy().into_owned()),
                uploader: a.uploader.as_str().into(),
                supersedes: a.supersedes.as_deref().map(EvidenceId::new),
            };
            let actor = Actor(format!("user:{}", a.uploader));
            let record = repo
                .upload(&scope, &actor, request, file_stream(file))
                .await
                .map_err(evidence_failure)?;
            a.out.emit(&record, || rows(std::slice::from_ref(&record)))
        }
        EvidenceCommand::List(a) => {
            let tenant = known(&a.tenant).await?;
            let query = EvidenceQuery {
                tenant,
                kind: a.kind.as_deref().map(kind).transpose()?,
                control: a.control.as_deref().map(Into::into),
                expires_before: match (&a.expires_before, a.expired) {
                    (Some(d), _) => Some(date("expires-before", d)?),
                    (None, true) => Some(time::OffsetDateTime::now_utc().date()),
                    (None, false) => None,
                },
                current_only: !a.all_versions,
                limit: a.limit,
                offset: a.offset,
            };
            let page = store.list_evidence(&scope, &query).await?;
            a.out
                .emit(&json!({ "items": page.items, "total": page.total }), || {
                    rows(&page.items)
                })
        }
        EvidenceCommand::Show(a) => {
            let tenant = known(&a.tenant).await?;
            let id = EvidenceId::new(a.id.as_str());
            let record = store
                .get_evidence(&scope, &tenant, &id)
                .await?
                .ok_or_else(|| {
                    Failure::Input(format!("no evidence {} for tenant {tenant}", a.id))
                })?;
            let versions = store.evidence_versions(&scope, &tenant, &id).await?;
            a.out
                .emit(&json!({ "record": record, "versions": versions }), || {
                    rows(&versions)
                })
        }
        EvidenceCommand::Get(a) => {
            let tenant = known(&a.tenant).await?;
            let repo = repository(store.clone(), settings)?;
            let (_, mut stream) = repo
                .download(
                    &scope,
                    &Actor::system("cli"),
                    &tenant,
                    &EvidenceId::new(a.id.as_str()),
                )
                .await
                .map_err(evidence_failure)?;
            let mut sink: Box<dyn tokio::io::AsyncWrite + Unpin + Send> = match &a.output {
                Some(path) => Box::new(tokio::fs::File::create(path).await.map_err(|e| {
                    Failure::Input(format!("cannot write {}: {e}", path.display()))
                })?),
                None => Box::new(tokio::io::stdout()),
            };
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| Failure::Negative(e.to_string()))?;
                sink.write_all(&chunk).await.map_err(anyhow::Error::from)?;
            }
            sink.flush().await.map_err(anyhow::Error::from)?;
            Ok(())
        }
        EvidenceCommand::Verify(a) => {
            let scope = match &a.tenant {
                Some(t) => TenantScope::Tenant(known(t).await?),
                None => TenantScope::AllTenants,
            };
            let repo = repository(store.clone(), settings)?;
            let report = repo
                .verify(&scope, &Actor::system("verify"))
                .await
                .map_err(|e| Failure::Other(e.into()))?;
            let problems: Vec<_> = report
                .problems
                .iter()
                .map(|p| json!({ "tenant": p.tenant, "digest": p.digest, "problem": p.problem }))
                .collect();
            let value = json!({
                "store": repo.blobs().location(),
                "checked": report.checked,
                "tombstones": report.tombstones,
                "problems": problems,
            });
            a.out.emit(&value, || Rows {
                header: vec!["tenant", "sha256", "problem"],
                rows: report
                    .problems
                    .iter()
                    .map(|p| {
                        vec![
                            p.tenant.to_string(),
                            p.digest.to_string(),
                            p.problem.clone(),
                        ]
                    })
                    .collect(),
            })?;
            if report.problems.is_empty() {
                eprintln!(
                    "evidence verified: {} blobs intact, {} tombstones",
                    report.checked, report.tombstones
                );
                Ok(())
            } else {
                let names: Vec<String> = report
                    .problems
                    .iter()
                    .map(|p| format!("blob {} of tenant {} {}", p.digest, p.tenant, p.problem))
                    .collect();
                Err(Failure::Negative(format!(
                    "evidence verification failed ({} of {} blobs):\n{}",
                    report.problems.len(),
                    report.checked,
                    names.join("\n")
                )))
            }
        }
    }
}

/// A file as a stream of 256 KiB pieces.
fn file_stream(
    file: tokio::fs::File,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send {
    futures_util::stream::try_unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 256 * 1024];
        let n = file.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.truncate(n);
        Ok(Some((bytes::Bytes::from(buf), file)))
    })
}
