//! The scheduler as `assure serve` runs it: the settings turned into an escalation policy, SMTP settings,
//! notification channels and tracker secrets (secrets sealed before they reach the database), and the
//! background loop that sweeps deadlines, runs review cycles and sends deliveries.
//!
//! Every node may run the loop: deadline jobs are claimed in the database (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL), escalations are unique per finding, deadline and alert, and deliveries are leased.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use assure_auth::{SecretSealer, tracker_context, webhook_context};
use assure_domain::TenantId;
use assure_domain::escalation::{EscalationLevel, EscalationPolicy};
use assure_scheduler::{Deliverer, Scheduler, SmtpSettings, SystemClock};
use assure_store::findings::{Audience, Channel, ChannelTarget, ReviewKind, TrackerSecret};
use assure_store::{Actor, ControlQuery, EvidenceQuery, Store, TenantScope};
use time::{Duration, OffsetDateTime};

use crate::Failure;
use crate::settings::NotificationSettings;

/// The reminder and escalation thresholds the settings give.
pub fn escalation_policy(n: &NotificationSettings) -> Result<EscalationPolicy, Failure> {
    let [customer, lead, oversight] = n.escalation_days.as_slice() else {
        return Err(Failure::Input(format!(
            "--escalation-days: give three numbers (customer security contact, provider security lead, oversight committee), not {:?}",
            n.escalation_days
        )));
    };
    if customer > lead || lead > oversight {
        return Err(Failure::Input(
            "--escalation-days: the levels must not come before the ones below them".into(),
        ));
    }
    if n.reminder_days.contains(&0) {
        return Err(Failure::Input(
            "--reminder-days: a reminder comes at least one day before the deadline".into(),
        ));
    }
    let days = |d: &u32| Duration::days(i64::from(*d));
    Ok(EscalationPolicy {
        reminders_before: n.reminder_days.iter().map(days).collect(),
        escalate_after: vec![
            (EscalationLevel::CustomerSecurityContact, days(customer)),
            (EscalationLevel::ProviderSecurityLead, days(lead)),
            (EscalationLevel::OversightCommittee, days(oversight)),
        ],
    })
}

fn smtp(n: &NotificationSettings) -> Option<SmtpSettings> {
    n.smtp_host.as_ref().map(|host| SmtpSettings {
        host: host.clone(),
        port: n.smtp_port,
        from: n.smtp_from.clone(),
    })
}

const AUDIENCES: [Audience; 4] = [
    Audience::Owner,
    Audience::Level(EscalationLevel::CustomerSecurityContact),
    Audience::Level(EscalationLevel::ProviderSecurityLead),
    Audience::Level(EscalationLevel::OversightCommittee),
];

/// The channels the settings ask for (provider-wide), webhook secrets sealed with `sealer`.
fn wanted_channels(
    n: &NotificationSettings,
    sealer: &SecretSealer,
) -> Result<Vec<(Channel, Option<String>)>, Failure> {
    let mut out = Vec::new();
    for entry in &n.notify_email {
        let (audience, to) = entry.split_once('=').ok_or_else(|| {
            Failure::Input(format!(
                "--notify-email: expected AUDIENCE=ADDRESS, not {entry:?}"
            ))
        })?;
        let audience = Audience::parse(audience.trim()).ok_or_else(|| {
            Failure::Input(format!(
                "--notify-email: unknown audience {audience:?} (owner, customer-security-contact, provider-security-lead, oversight-committee)"
            ))
        })?;
        out.push((
            Channel {
                id: format!("settings-email-{}", audience.as_str()),
                tenant: None,
                audience,
                target: ChannelTarget::Email {
                    to: to.trim().to_owned(),
                },
            },
            None,
        ));
    }
    if let (Some(url), Some(secret)) = (&n.notify_webhook_url, &n.notify_webhook_secret) {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(Failure::Input(format!(
                "--notify-webhook-url: an http(s) URL, not {url:?}"
            )));
        }
        for audience in AUDIENCES {
            let sealed = sealer
                .seal(&webhook_context(url), &secret.0)
                .map_err(|e| Failure::Input(format!("--notify-webhook-secret: {e}")))?;
            out.push((
                Channel {
                    id: format!("settings-webhook-{}", audience.as_str()),
                    tenant: None,
                    audience,
                    target: ChannelTarget::Webhook {
                        url: url.clone(),
                        secret: sealed,
                    },
                },
                Some(secret.0.clone()),
            ));
        }
    }
    Ok(out)
}

/// Writes the channels and tracker secrets the settings give into the store, sealed; a channel or secret
/// that already holds the same value is left alone (sealing again would only churn the audit trail).
/// Returns how many were written.
pub async fn configure<S: Store>(
    store: &S,
    n: &NotificationSettings,
    sealer: &SecretSealer,
) -> Result<usize, Failure> {
    escalation_policy(n)?;
    let actor = Actor::system("settings");
    let existing: BTreeMap<String, Channel> = store
        .list_channels()
        .await?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();
    let mut written = 0;
    for (channel, plain) in wanted_channels(n, sealer)? {
        let same = existing.get(&channel.id).is_some_and(|old| {
            old.tenant == channel.tenant
                && old.audience == channel.audience
                && match (&old.target, &channel.target, &plain) {
                    (ChannelTarget::Email { to: a }, ChannelTarget::Email { to: b }, _) => a == b,
                    (
                        ChannelTarget::Webhook { url: a, secret },
                        ChannelTarget::Webhook { url: b, .. },
                        Some(plain),
                    ) => {
                        a == b
                            && sealer
                                .open(&webhook_context(a), secret)
                                .is_ok_and(|s| s.as_str() == plain.as_str())
                    }
                    _ => false,
                }
        });
        if !same {
            store.set_channel(&actor, &channel).await?;
            written += 1;
        }
    }
    for (tracker, secret) in [
        ("github", &n.github_webhook_secret),
        ("jira", &n.jira_webhook_secret),
    ] {
        let Some(secret) = secret else { continue };
        let context = tracker_context(tracker);
        let same = store.tracker_secret(tracker).await?.is_some_and(|old| {
            sealer
                .open(&context, &old.sealed)
                .is_ok_and(|s| s.as_str() == secret.0.as_str())
        });
        if !same {
            let sealed = sealer
                .seal(&context, &secret.0)
                .map_err(|e| Failure::Input(format!("--{tracker}-webhook-secret: {e}")))?;
            store
                .set_tracker_secret(
                    &actor,
                    &TrackerSecret {
                        tracker: tracker.to_owned(),
                        sealed,
                    },
                )
                .await?;
            written += 1;
        }
    }
    Ok(written)
}

/// What each review cycle reviews: the provider's controls (quarterly attestation), the baseline
/// (annual review), and per tenant its current evidence expiring within 30 days.
async fn review_subjects<S: Store>(
    store: &S,
) -> Result<BTreeMap<(Option<TenantId>, &'static str), Vec<String>>, assure_store::StoreError> {
    let mut out = BTreeMap::new();
    let controls = store
        .list_controls(&ControlQuery::default())
        .await?
        .items
        .into_iter()
        .map(|c| c.id.to_string())
        .collect();
    out.insert(
        (None, ReviewKind::ControlOwnerAttestation.as_str()),
        controls,
    );
    out.insert(
        (None, ReviewKind::BaselineReview.as_str()),
        vec!["baseline".to_owned()],
    );
    let soon = (OffsetDateTime::now_utc() + Duration::days(30)).date();
    for t in store.list_tenants(&TenantScope::AllTenants).await? {
        let mut q = EvidenceQuery::current(t.id.clone());
        q.expires_before = Some(soon);
        let ids = store
            .list_evidence(&TenantScope::AllTenants, &q)
            .await?
            .items
            .into_iter()
            .map(|e| e.id.to_string())
            .collect();
        out.insert(
            (Some(t.id.clone()), ReviewKind::EvidenceExpiry.as_str()),
            ids,
        );
    }
    Ok(out)
}

/// Schedules the review cycles (idempotent) and starts the loop: every `scheduler_seconds` a deadline
/// sweep and the due deliveries; review cycles at most hourly. `None` when the settings turn it off.
pub async fn start<S: Store>(
    store: S,
    n: &NotificationSettings,
    sealer: SecretSealer,
) -> Result<Option<tokio::task::JoinHandle<()>>, Failure> {
    if n.scheduler_seconds == 0 {
        return Ok(None);
    }
    let now = OffsetDateTime::now_utc();
    store
        .schedule_review(None, ReviewKind::ControlOwnerAttestation, now)
        .await?;
    store
        .schedule_review(None, ReviewKind::BaselineReview, now)
        .await?;
    for t in store.list_tenants(&TenantScope::AllTenants).await? {
        store
            .schedule_review(Some(&t.id), ReviewKind::EvidenceExpiry, now)
            .await?;
    }
    let worker = format!("serve-{}", std::process::id());
    let mut scheduler = Scheduler::new(store.clone(), SystemClock, worker.clone());
    scheduler.policy = escalation_policy(n)?;
    let deliverer = Deliverer::new(store.clone(), SystemClock, worker, smtp(n), sealer);
    let period = StdDuration::from_secs(n.scheduler_seconds);
    Ok(Some(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(period);
        let mut last_reviews: Option<OffsetDateTime> = None;
        loop {
            ticker.tick().await;
            match scheduler.sweep().await {
                Ok(o) if o.alerts > 0 => tracing::info!(
                    jobs = o.jobs,
                    alerts = o.alerts,
                    deliveries = o.deliveries,
                    "deadline sweep"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "deadline sweep failed"),
            }
            let now = OffsetDateTime::now_utc();
            if last_reviews.is_none_or(|t| now - t >= Duration::hours(1)) {
                last_reviews = Some(now);
                match review_subjects(&store).await {
                    Ok(subjects) => {
                        let pick = move |t: Option<&TenantId>, k: ReviewKind| {
                            subjects
                                .get(&(t.cloned(), k.as_str()))
                                .cloned()
                                .unwrap_or_default()
                        };
                        match scheduler.run_reviews(&pick).await {
                            Ok(0) => {}
                            Ok(n) => tracing::info!(tasks = n, "review cycles created tasks"),
                            Err(e) => tracing::error!(error = %e, "review cycles failed"),
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "review subjects unreadable"),
                }
            }
            match deliverer.deliver_due().await {
                Ok(r) if r.delivered + r.retried + r.given_up > 0 => tracing::info!(
                    delivered = r.delivered,
                    retried = r.retried,
                    given_up = r.given_up,
                    "deliveries"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "deliveries failed"),
            }
        }
    })))
}
