//! `assure baseline`: the governed baseline. Open a draft, edit it, submit it for review, approve it (not
//! its author), publish it with an effective date; compare versions, see a version's impact on every
//! tenant and framework, and export or import a baseline as content files.
//!
//! Writes name the person acting (`--as EMAIL`): the role decides what they may do (`EditCatalogue` to
//! draft, edit, comment and submit; `ApproveBaseline` to approve and publish), and the two-person rule
//! compares them with the draft's author. Exit codes: 0 done, 1 refused (with why), 2 usage or input.

use std::path::PathBuf;

use assure_domain::access::{Action, permits};
use assure_domain::baseline::{
    Baseline, Change, Impact, ThreatReference, ThreatSource, Transition, Trigger, diff,
};
use assure_domain::catalogue::BaselineVersion;
use assure_domain::mapping::{Mapping, Relationship};
use assure_domain::responsibility::{Assignment, OptionRule, Responsibility, ResponsibilityEntry};
use assure_domain::{BaselineVersionId, UserId};
use assure_store::baseline::{add_change, content_of, impact_of, live_baseline, publish};
use assure_store::{Actor, NewBaselineDraft, Store, StoreError, TenantScope, VersionStep};
use clap::{Args, Subcommand};
use serde_json::json;

use super::require_initialised;
use crate::Failure;
use crate::output::{OutputArgs, Rows};

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Every version with its state, trigger and effective date.
    List(OutputOnly),
    /// One version: its record, changes and review comments.
    Show(VersionArgs),
    /// Open a draft over the baseline in force (the first draft records the loaded content as v1).
    Draft(DraftArgs),
    /// Put one change into a draft.
    Edit(EditArgs),
    /// Comment on a version, or on one of its changes (`--change N`).
    Comment(CommentArgs),
    /// Send a draft for review, naming the reviewers.
    Submit(SubmitArgs),
    /// Send a version in review (or approved) back to draft.
    Return(ActArgs),
    /// Abandon an open version (draft, in review or approved), so another draft can be opened.
    Withdraw(ActArgs),
    /// Approve a version in review: someone other than its author, with the authority to approve.
    Approve(ActArgs),
    /// Publish an approved version from an effective date, telling each affected customer.
    Publish(PublishArgs),
    /// Compare two versions change by change (`live` names the catalogue as it is now).
    Diff(DiffArgs),
    /// What publishing a version would change: each tenant's cells, each framework's coverage.
    Impact(VersionArgs),
    /// Notices sent to customers when versions were published, with their acknowledgements.
    Notices(NoticesArgs),
    /// Acknowledge a notice, as a user of the tenant it was sent to.
    Acknowledge(AcknowledgeArgs),
    /// Write a version (default: the live baseline) as content files (`baseline/`, `services.yaml`, ...).
    Export(ExportArgs),
    /// Open a draft holding the baseline of a content folder; nothing is written unless all of it is valid.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct OutputOnly {
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Version id, e.g. v2.
    #[arg(value_name = "VERSION")]
    id: String,
    #[command(flatten)]
    out: OutputArgs,
}

/// Who acts: an existing, enabled user, by e-mail address.
#[derive(Debug, Args)]
pub struct Person {
    /// The user acting (e-mail address); their role must permit the step.
    #[arg(long = "as", value_name = "EMAIL")]
    who: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TriggerKind {
    PeriodicReview,
    FrameworkUpdate,
    ThreatIntelligence,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SourceKind {
    Cve,
    Kev,
    VendorAdvisory,
}

/// Why a version is opened.
#[derive(Debug, Args)]
pub struct TriggerArgs {
    /// What prompted the version.
    #[arg(long, value_enum)]
    trigger: TriggerKind,
    /// The framework that was revised (framework-update).
    #[arg(long)]
    framework: Option<String>,
    /// Where the threat was reported (threat-intelligence).
    #[arg(long, value_enum)]
    source: Option<SourceKind>,
    /// The reference: a CVE id (cve, kev) or the vendor's advisory id.
    #[arg(long)]
    reference: Option<String>,
    /// Where to read the reference.
    #[arg(long)]
    url: Option<String>,
    /// When the reference was published (YYYY-MM-DD).
    #[arg(long)]
    published: Option<String>,
    /// Why the version is opened.
    #[arg(long)]
    rationale: String,
}

#[derive(Debug, Args)]
pub struct DraftArgs {
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    trigger: TriggerArgs,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The draft, e.g. v2.
    #[arg(value_name = "VERSION")]
    id: String,
    #[command(flatten)]
    person: Person,
    /// Why the change is made.
    #[arg(long)]
    rationale: String,
    #[command(subcommand)]
    change: EditCommand,
}

/// An assignment given on the command line.
#[derive(Debug, Args)]
pub struct AssignmentArgs {
    /// provider, customer, shared or not-applicable.
    #[arg(long)]
    responsibility: String,
    /// The provider's part in words (provider and shared).
    #[arg(long)]
    provider_part: Option<String>,
    /// The customer's part in words (customer and shared).
    #[arg(long)]
    customer_part: Option<String>,
    /// The reason shown in the explanation chain.
    #[arg(long)]
    reason: String,
}

#[derive(Debug, Subcommand)]
pub enum EditCommand {
    /// A control's title, statement, test procedure or evidence expectations.
    Control {
        control: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        statement: Option<String>,
        #[arg(long)]
        test_procedure: Option<String>,
        /// Evidence expectations, replacing the control's (repeat for several).
        #[arg(long)]
        evidence: Vec<String>,
    },
    /// Add a mapping or retype one.
    Mapping {
        control: String,
        #[arg(long)]
        framework: String,
        #[arg(long)]
        requirement: String,
        /// OSCAL relationship: equal-to, equivalent-to, subset-of, superset-of, intersects-with,
        /// no-relationship.
        #[arg(long)]
        relationship: String,
        /// The mapping's own rationale.
        #[arg(long, default_value = "")]
        why: String,
    },
    /// Remove a mapping.
    RemoveMapping {
        control: String,
        #[arg(long)]
        framework: String,
        #[arg(long)]
        requirement: String,
    },
    /// Add or replace a service's responsibility entry for a control.
    Entry {
        service: String,
        control: String,
        #[command(flatten)]
        assignment: AssignmentArgs,
    },
    /// Remove a service's responsibility entry.
    RemoveEntry { service: String, control: String },
    /// Add or replace an option's rule for a control.
    OptionRule {
        service: String,
        option: String,
        control: String,
        #[command(flatten)]
        assignment: AssignmentArgs,
    },
    /// Remove an option rule.
    RemoveOptionRule {
        service: String,
        option: String,
        control: String,
    },
    /// Any change as JSON (e.g. a service or a control's defaults): `{"kind": "service", "service": {...}}`.
    Json {
        /// File holding the change, or - for standard input.
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct CommentArgs {
    #[arg(value_name = "VERSION")]
    id: String,
    #[command(flatten)]
    person: Person,
    /// The change commented on (its number in `baseline show`).
    #[arg(long)]
    change: Option<i64>,
    /// The comment.
    body: String,
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    #[arg(value_name = "VERSION")]
    id: String,
    #[command(flatten)]
    person: Person,
    /// A reviewer (e-mail address of a user); repeat for several.
    #[arg(long = "reviewer", required = true)]
    reviewers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ActArgs {
    #[arg(value_name = "VERSION")]
    id: String,
    #[command(flatten)]
    person: Person,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    #[arg(value_name = "VERSION")]
    id: String,
    #[command(flatten)]
    person: Person,
    /// From when the version is in force: an RFC 3339 instant, or a date (its start, UTC); default now.
    #[arg(long, value_name = "DATE")]
    effective: Option<String>,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct NoticesArgs {
    /// Only this tenant's notices.
    #[arg(long)]
    tenant: Option<String>,
    /// Only the notices of this version.
    #[arg(long = "of", value_name = "VERSION")]
    of: Option<String>,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AcknowledgeArgs {
    /// Notice id, e.g. v2-northbank.
    notice: String,
    #[command(flatten)]
    person: Person,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older version (or `live`).
    from: String,
    /// The newer version (or `live`).
    to: String,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The version to export; default the live baseline.
    #[arg(long = "of", value_name = "VERSION")]
    of: Option<String>,
    /// The folder to write (created; files in it are replaced).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: PathBuf,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A content folder (as written by `baseline export`, or `content/`).
    dir: PathBuf,
    #[command(flatten)]
    person: Person,
    #[command(flatten)]
    trigger: TriggerArgs,
    #[command(flatten)]
    out: OutputArgs,
}

/// Maps store refusals to exit 1 with their reason, unknown objects to exit 2.
pub(super) fn refused(e: StoreError) -> Failure {
    match e {
        StoreError::Transition(_)
        | StoreError::Change(_)
        | StoreError::Trigger(_)
        | StoreError::Conflict(_) => Failure::Negative(format!("refused: {e}")),
        StoreError::NotFound(what) => Failure::Input(format!("no {what}")),
        other => other.into(),
    }
}

/// The actor for `--as EMAIL`, once their role permits `action`.
async fn acting<S: Store>(store: &S, person: &Person, action: Action) -> Result<Actor, Failure> {
    let user = store
        .get_user(&UserId::from(person.who.as_str()))
        .await?
        .ok_or_else(|| {
            Failure::Input(format!(
                "--as {}: no such user (see `assure users list`)",
                person.who
            ))
        })?;
    if user.disabled {
        return Err(Failure::Negative(format!(
            "refused: {} is disabled",
            person.who
        )));
    }
    if !permits(user.role, action) {
        return Err(Failure::Negative(format!(
            "refused: {} is {}, a role that may not {}",
            person.who,
            user.role.as_str(),
            action.as_str()
        )));
    }
    Ok(Actor(format!("user:{}", user.id)))
}

fn trigger_of(a: &TriggerArgs) -> Result<Trigger, Failure> {
    Ok(match a.trigger {
        TriggerKind::PeriodicReview => Trigger::PeriodicReview,
        TriggerKind::FrameworkUpdate => Trigger::FrameworkUpdate {
            framework: a.framework.as_deref().map(Into::into),
        },
        TriggerKind::ThreatIntelligence => {
            let missing = |flag: &str| {
                Failure::Input(format!("--trigger threat-intelligence needs --{flag}"))
            };
            let date_format = time::macros::format_description!("[year]-[month]-[day]");
            let published = a.published.as_deref().ok_or_else(|| missing("published"))?;
            Trigger::ThreatIntelligence {
                reference: ThreatReference {
                    source: match a.source.ok_or_else(|| missing("source"))? {
                        SourceKind::Cve => ThreatSource::Cve,
                        SourceKind::Kev => ThreatSource::Kev,
                        SourceKind::VendorAdvisory => ThreatSource::VendorAdvisory,
                    },
                    id: a.reference.clone().ok_or_else(|| missing("reference"))?,
                    url: a.url.clone().ok_or_else(|| missing("url"))?,
                    date: time::Date::parse(published, date_format).map_err(|_| {
                        Failure::Input(format!("--published {published:?} is not YYYY-MM-DD"))
                    })?,
                },
            }
        }
    })
}

fn assignment(a: &AssignmentArgs) -> Result<Assignment, Failure> {
    Ok(Assignment {
        responsibility: Responsibility::parse(&a.responsibility).ok_or_else(|| {
            Failure::Input(format!(
                "--responsibility {:?}: use provider, customer, shared or not-applicable",
                a.responsibility
            ))
        })?,
        provider_part: a.provider_part.clone(),
        customer_part: a.customer_part.clone(),
    })
}

async fn change_of<S: Store>(store: &S, command: EditCommand) -> Result<Change, Failure> {
    Ok(match command {
        EditCommand::Control {
            control,
            title,
            statement,
            test_procedure,
            evidence,
        } => {
            let mut c = store
                .get_control(&control.as_str().into())
                .await?
                .ok_or_else(|| Failure::Input(format!("unknown control {control:?}")))?;
            if let Some(t) = title {
                c.title = t;
            }
            if let Some(s) = statement {
                c.statement = s;
            }
            if let Some(t) = test_procedure {
                c.test_procedure = t;
            }
            if !evidence.is_empty() {
                c.evidence = evidence;
            }
            Change::Control { control: c }
        }
        EditCommand::Mapping {
            control,
            framework,
            requirement,
            relationship,
            why,
        } => Change::Mapping {
            mapping: Mapping {
                control: control.into(),
                framework: framework.into(),
                requirement: requirement.into(),
                relationship: Relationship::parse(&relationship).ok_or_else(|| {
                    Failure::Input(format!(
                        "--relationship {relationship:?} is not an OSCAL relationship"
                    ))
                })?,
                rationale: why,
                provenance: None,
            },
        },
        EditCommand::RemoveMapping {
            control,
            framework,
            requirement,
        } => Change::RemoveMapping {
            control: control.into(),
            framework: framework.into(),
            requirement: requirement.into(),
        },
        EditCommand::Entry {
            service,
            control,
            assignment: a,
        } => Change::Entry {
            entry: ResponsibilityEntry {
                service: service.into(),
                control: control.into(),
                assignment: assignment(&a)?,
                reason: a.reason,
            },
        },
        EditCommand::RemoveEntry { service, control } => Change::RemoveEntry {
            service: service.into(),
            control: control.into(),
        },
        EditCommand::OptionRule {
            service,
            option,
            control,
            assignment: a,
        } => Change::OptionRule {
            rule: OptionRule {
                service: service.into(),
                option: option.into(),
                control: control.into(),
                assignment: assignment(&a)?,
                reason: a.reason,
            },
        },
        EditCommand::RemoveOptionRule {
            service,
            option,
            control,
        } => Change::RemoveOptionRule {
            service: service.into(),
            option: option.into(),
            control: control.into(),
        },
        EditCommand::Json { file } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).map_err(anyhow::Error::from)?
            } else {
                std::fs::read_to_string(&file)
                    .map_err(|e| Failure::Input(format!("cannot read {}: {e}", file.display())))?
            };
            serde_json::from_str(&text)
                .map_err(|e| Failure::Input(format!("{}: not a change: {e}", file.display())))?
        }
    })
}

fn version_rows(versions: &[BaselineVersion]) -> Rows {
    Rows {
        header: vec![
            "version",
            "state",
            "trigger",
            "author",
            "effective",
            "rationale",
        ],
        rows: versions
            .iter()
            .map(|v| {
                vec![
                    v.id.to_string(),
                    v.state.as_str().to_owned(),
                    v.trigger.label(),
                    v.author.clone(),
                    v.effective_at
                        .map(assure_domain::audit::format_instant)
                        .unwrap_or_default(),
                    v.rationale.clone(),
                ]
            })
            .collect(),
    }
}

fn impact_rows(impact: &Impact) -> Rows {
    let mut rows = Vec::new();
    for t in &impact.tenants {
        for c in &t.cells {
            let words = |cell: &Option<assure_domain::baseline::Cell>| {
                cell.as_ref().map_or_else(String::new, |c| {
                    format!(
                        "{} ({})",
                        c.responsibility.as_str(),
                        c.per_service.join(" ")
                    )
                })
            };
            rows.push(vec![
                format!("tenant {}", t.tenant),
                c.control.to_string(),
                words(&c.before),
                words(&c.after),
            ]);
        }
    }
    for f in &impact.frameworks {
        let counts = |c: &assure_domain::baseline::CoverageCounts| {
            format!(
                "{} covered, {} partly, {} not",
                c.covered, c.partly_covered, c.not_covered
            )
        };
        rows.push(vec![
            format!("framework {}", f.framework),
            f.requirements
                .iter()
                .map(|r| r.requirement.to_string())
                .collect::<Vec<_>>()
                .join(" "),
            counts(&f.before),
            counts(&f.after),
        ]);
    }
    Rows {
        header: vec!["affects", "cell", "before", "after"],
        rows,
    }
}

async fn baseline_named<S: Store>(store: &S, name: &str) -> Result<Baseline, Failure> {
    if name == "live" {
        return Ok(live_baseline(store).await?);
    }
    content_of(store, &BaselineVersionId::from(name))
        .await
        .map_err(refused)
}

/// `--effective`: `None` (the instant of publication) when absent or today's date.
fn effective_at(text: Option<&str>) -> Result<Option<time::OffsetDateTime>, Failure> {
    let Some(text) = text else {
        return Ok(None);
    };
    if let Ok(at) =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
    {
        return Ok(Some(at));
    }
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, date_format).map_err(|_| {
        Failure::Input(format!(
            "--effective {text:?} is neither a date (2026-12-31) nor an RFC 3339 instant"
        ))
    })?;
    // Today's date means now: its start has already passed, and history is never rewritten.
    let today = time::OffsetDateTime::now_utc().date();
    Ok((date != today).then(|| date.midnight().assume_utc()))
}

pub async fn run<S: Store>(store: &S, command: BaselineCommand) -> Result<(), Failure> {
    require_initialised(store).await?;
    match command {
        BaselineCommand::List(a) => {
            let versions = store.list_baseline_versions().await?;
            a.out.emit(&versions, || version_rows(&versions))
        }
        BaselineCommand::Show(a) => {
            let id = BaselineVersionId::from(a.id.as_str());
            let version = store
                .list_baseline_versions()
                .await?
                .into_iter()
                .find(|v| v.id == id)
                .ok_or_else(|| Failure::Input(format!("no baseline version {id}")))?;
            let changes = store.list_baseline_changes(Some(&id)).await?;
            let comments = store.list_baseline_comments(Some(&id)).await?;
            let value = json!({"version": version, "changes": changes, "comments": comments});
            a.out.emit(&value, || {
                let mut out = vec![
                    vec!["version".to_owned(), version.id.to_string()],
                    vec!["state".to_owned(), version.state.as_str().to_owned()],
                    vec!["trigger".to_owned(), version.trigger.label()],
                    vec!["rationale".to_owned(), version.rationale.clone()],
                    vec!["author".to_owned(), version.author.clone()],
                    vec!["reviewers".to_owned(), version.reviewers.join(", ")],
                    vec![
                        "approved by".to_owned(),
                        version.approved_by.clone().unwrap_or_default(),
                    ],
                ];
                for c in &changes {
                    let (kind, object) = c.change.object();
                    out.push(vec![
                        format!("change {}", c.seq),
                        format!("{} {object}: {}", kind.as_str(), c.rationale),
                    ]);
                }
                for c in &comments {
                    out.push(vec![
                        format!("comment {}", c.seq),
                        format!(
                            "{}{}: {}",
                            c.author,
                            c.change
                                .map(|n| format!(" on change {n}"))
                                .unwrap_or_default(),
                            c.body
                        ),
                    ]);
                }
                Rows {
                    header: vec!["field", "value"],
                    rows: out,
                }
            })
        }
        BaselineCommand::Draft(a) => {
            let actor = acting(store, &a.person, Action::EditCatalogue).await?;
            let draft = NewBaselineDraft {
                trigger: trigger_of(&a.trigger)?,
                rationale: a.trigger.rationale.clone(),
            };
            let live = live_baseline(store).await?;
            let version = store
                .open_baseline_draft(&actor, &draft, &live)
                .await
                .map_err(refused)?;
            a.out
                .emit(&version, || version_rows(std::slice::from_ref(&version)))
        }
        BaselineCommand::Edit(a) => {
            let actor = acting(store, &a.person, Action::EditCatalogue).await?;
            let change = change_of(store, a.change).await?;
            let record = add_change(
                store,
                &actor,
                &BaselineVersionId::from(a.id.as_str()),
                change,
                &a.rationale,
            )
            .await
            .map_err(refused)?;
            let (kind, object) = record.change.object();
            println!(
                "{}: change {} ({} {object})",
                record.version,
                record.seq,
                kind.as_str()
            );
            Ok(())
        }
        BaselineCommand::Comment(a) => {
            let actor = acting(store, &a.person, Action::EditCatalogue).await?;
            let c = store
                .comment_on_baseline(
                    &actor,
                    &BaselineVersionId::from(a.id.as_str()),
                    a.change,
                    &a.body,
                )
                .await
                .map_err(refused)?;
            println!("{}: comment {}", c.version, c.seq);
            Ok(())
        }
        BaselineCommand::Submit(a) => {
            let actor = acting(store, &a.person, Action::EditCatalogue).await?;
            let mut reviewers = Vec::new();
            for r in &a.reviewers {
                let user = store
                    .get_user(&UserId::from(r.as_str()))
                    .await?
                    .ok_or_else(|| Failure::Input(format!("--reviewer {r}: no such user")))?;
                if !permits(user.role, Action::ApproveBaseline) {
                    return Err(Failure::Negative(format!(
                        "refused: reviewer {r} is {}, a role that may not approve a baseline",
                        user.role.as_str()
                    )));
                }
                reviewers.push(format!("user:{}", user.id));
            }
            step(store, &actor, &a.id, Transition::Submit, reviewers).await
        }
        BaselineCommand::Return(a) => {
            let actor = acting(store, &a.person, Action::EditCatalogue).await?;
            step(store, &actor, &a.id, Transition::Return, Vec::new()).await
        }
        BaselineCommand::Withdraw(a) => {
            let actor = acting(store, &a.person, Action::EditCatalogue).await?;
            step(store, &actor, &a.id, Transition::Withdraw, Vec::new()).await
        }
        BaselineCommand::Approve(a) => {
            let actor = acting(store, &a.person, Action::ApproveBaseline).await?;
            step(store, &actor, &a.id, Transition::Approve, Vec::new()).await
        }
        BaselineCommand::Publish(a) => {
            let actor = acting(store, &a.person, Action::ApproveBaseline).await?;
            let at = effective_at(a.effective.as_deref())?;
            let (version, impact) =
                publish(store, &actor, &BaselineVersionId::from(a.id.as_str()), at)
                    .await
                    .map_err(refused)?;
            eprintln!(
                "{} published, in force from {}; {} tenant(s) notified",
                version.id,
                version
                    .effective_at
                    .map(assure_domain::audit::format_instant)
                    .unwrap_or_default(),
                impact.tenants.len()
            );
            let value = json!({"version": version, "impact": impact});
            a.out.emit(&value, || impact_rows(&impact))
        }
        BaselineCommand::Diff(a) => {
            let from = baseline_named(store, &a.from).await?;
            let to = baseline_named(store, &a.to).await?;
            let d = diff(&from, &to);
            a.out.emit(&d, || Rows {
                header: vec!["object", "id", "change", "fields"],
                rows: d
                    .iter()
                    .map(|x| {
                        vec![
                            x.object.as_str().to_owned(),
                            x.id.clone(),
                            format!("{:?}", x.kind).to_lowercase(),
                            x.fields.join(", "),
                        ]
                    })
                    .collect(),
            })
        }
        BaselineCommand::Impact(a) => {
            let impact = impact_of(store, &BaselineVersionId::from(a.id.as_str()))
                .await
                .map_err(refused)?;
            a.out.emit(&impact, || impact_rows(&impact))
        }
        BaselineCommand::Notices(a) => {
            let scope = match &a.tenant {
                Some(t) => TenantScope::Tenant(t.as_str().into()),
                None => TenantScope::AllTenants,
            };
            let version = a.of.as_deref().map(BaselineVersionId::from);
            let notices = store
                .list_baseline_notices(&scope, version.as_ref())
                .await?;
            a.out.emit(&notices, || Rows {
                header: vec!["notice", "tenant", "effective", "cells", "acknowledged by"],
                rows: notices
                    .iter()
                    .map(|n| {
                        vec![
                            n.id.clone(),
                            n.tenant.to_string(),
                            assure_domain::audit::format_instant(n.effective_at),
                            n.cells
                                .iter()
                                .map(|c| c.control.to_string())
                                .collect::<Vec<_>>()
                                .join(" "),
                            n.acknowledged_by.clone().unwrap_or_default(),
                        ]
                    })
                    .collect(),
            })
        }
        BaselineCommand::Acknowledge(a) => {
            let actor = acting(store, &a.person, Action::AcknowledgeNotice).await?;
            let user = store
                .get_user(&UserId::from(a.person.who.as_str()))
                .await?
                .ok_or_else(|| Failure::Input(format!("--as {}: no such user", a.person.who)))?;
            // A customer acknowledges for its own tenant only: a foreign notice is not found.
            let scope = match user.tenant() {
                Some(t) => TenantScope::Tenant(t.clone()),
                None => TenantScope::Tenants(Default::default()),
            };
            let n = store
                .acknowledge_notice(&scope, &actor, &a.notice)
                .await
                .map_err(refused)?;
            println!(
                "{} acknowledged by {}",
                n.id,
                n.acknowledged_by.unwrap_or_default()
            );
            Ok(())
        }
        BaselineCommand::Export(a) => super::baseline_files::export(store, a.of, &a.output).await,
        BaselineCommand::Import(a) => {
            let actor = acting(store, &a.person, Action::EditCatalogue).await?;
            let trigger = trigger_of(&a.trigger)?;
            super::baseline_files::import(
                store,
                &actor,
                &a.dir,
                trigger,
                &a.trigger.rationale,
                &a.out,
            )
            .await
        }
    }
}

async fn step<S: Store>(
    store: &S,
    actor: &Actor,
    version: &str,
    transition: Transition,
    reviewers: Vec<String>,
) -> Result<(), Failure> {
    let v = store
        .transition_baseline(
            actor,
            &BaselineVersionId::from(version),
            &VersionStep {
                transition,
                reviewers,
                publication: None,
            },
        )
        .await
        .map_err(refused)?;
    println!("{}: {}", v.id, v.state.as_str());
    Ok(())
}
