//! The durable scheduler: deadline sweeps that record each reminder and escalation exactly once, periodic
//! review cycles, and at-least-once deliveries (e-mail over SMTP, webhooks signed with HMAC-SHA256) with
//! retries, backoff and a delivery log.
//!
//! Architecture invariant: all scheduler state is in the store (jobs, escalations, deliveries), so a restart
//! loses nothing and two nodes on one PostgreSQL share the work; time comes from a [`Clock`], so tests move
//! it instead of sleeping.

use std::sync::Mutex;
use std::time::Duration as StdDuration;

use assure_auth::{SecretSealer, webhook_context};
use assure_domain::escalation::EscalationPolicy;
use assure_domain::webhook;
use assure_store::findings::{AttemptOutcome, ChannelTarget, Delivery, ReviewKind, SweepOutcome};
use assure_store::{Store, StoreError};
use time::{Duration, OffsetDateTime};

/// Where the scheduler reads the time.
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// The wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock tests set and move.
#[derive(Debug)]
pub struct TestClock(Mutex<OffsetDateTime>);

impl TestClock {
    pub fn at(now: OffsetDateTime) -> Self {
        Self(Mutex::new(now))
    }

    pub fn set(&self, now: OffsetDateTime) {
        if let Ok(mut t) = self.0.lock() {
            *t = now;
        }
    }

    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        self.0
            .lock()
            .map(|t| *t)
            .unwrap_or_else(|_| OffsetDateTime::now_utc())
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> OffsetDateTime {
        (**self).now()
    }
}

/// Errors of the scheduler.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sweeps deadlines and runs review cycles for one node (`worker` names it in leases and logs).
#[derive(Debug)]
pub struct Scheduler<S, C> {
    pub store: S,
    pub clock: C,
    pub worker: String,
    pub policy: EscalationPolicy,
    /// Jobs per transaction.
    pub batch: i64,
}

impl<S: Store, C: Clock> Scheduler<S, C> {
    pub fn new(store: S, clock: C, worker: impl Into<String>) -> Self {
        Self {
            store,
            clock,
            worker: worker.into(),
            policy: EscalationPolicy::default(),
            batch: 500,
        }
    }

    /// One sweep: every due deadline job, batch by batch, until none is due.
    pub async fn sweep(&self) -> Result<SweepOutcome, SchedulerError> {
        let now = self.clock.now();
        let mut total = SweepOutcome::default();
        loop {
            let round = self
                .store
                .sweep_deadlines(&self.worker, now, &self.policy, self.batch)
                .await?;
            total.jobs += round.jobs;
            total.alerts += round.alerts;
            total.deliveries += round.deliveries;
            if i64::try_from(round.jobs).unwrap_or(i64::MAX) < self.batch {
                return Ok(total);
            }
        }
    }

    /// Runs the review cycles that are due; `subjects` names what each cycle reviews.
    pub async fn run_reviews(
        &self,
        subjects: &(
             dyn Fn(Option<&assure_domain::TenantId>, ReviewKind) -> Vec<String> + Send + Sync
         ),
    ) -> Result<usize, SchedulerError> {
        Ok(self
            .store
            .run_due_reviews(&self.worker, self.clock.now(), subjects)
            .await?
            .len())
    }
}

/// Where e-mail goes.
#[derive(Clone, Debug)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub from: String,
}

/// Retry policy of deliveries: `base * 2^(attempt-1)`, at most `max_delay`, giving up after `max_attempts`.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub max_delay: Duration,
    pub max_attempts: i64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::seconds(30),
            max_delay: Duration::hours(1),
            max_attempts: 8,
        }
    }
}

impl Backoff {
    /// When to try again after failed attempt number `attempt` (1-based) at `now`; `None` to give up.
    pub fn retry_at(&self, attempt: i64, now: OffsetDateTime) -> Option<OffsetDateTime> {
        if attempt >= self.max_attempts {
            return None;
        }
        let shift = u32::try_from(attempt.clamp(1, 30) - 1).unwrap_or(0);
        let delay = self.base * 2_i32.saturating_pow(shift);
        Some(now + delay.min(self.max_delay))
    }
}

/// What one delivery round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryRound {
    pub delivered: usize,
    pub retried: usize,
    pub given_up: usize,
}

/// Sends pending deliveries, at least once each.
#[derive(Debug)]
pub struct Deliverer<S, C> {
    pub store: S,
    pub clock: C,
    pub worker: String,
    pub smtp: Option<SmtpSettings>,
    pub http: reqwest::Client,
    pub backoff: Backoff,
    /// How long a claimed delivery stays ours before another node may take it.
    pub lease: Duration,
    /// Opens webhook secrets, which the store keeps only sealed.
    pub sealer: SecretSealer,
}

impl<S: Store, C: Clock> Deliverer<S, C> {
    pub fn new(
        store: S,
        clock: C,
        worker: impl Into<String>,
        smtp: Option<SmtpSettings>,
        sealer: SecretSealer,
    ) -> Self {
        Self {
            store,
            clock,
            worker: worker.into(),
            smtp,
            http: reqwest::Client::builder()
                .timeout(StdDuration::from_secs(10))
                .build()
                .unwrap_or_default(),
            backoff: Backoff::default(),
            lease: Duration::minutes(5),
            sealer,
        }
    }

    /// Claims the due deliveries, sends each, and records every attempt.
    pub async fn deliver_due(&self) -> Result<DeliveryRound, SchedulerError> {
        let now = self.clock.now();
        let claimed = self
            .store
            .claim_deliveries(&self.worker, now, now + self.lease, 100)
            .await?;
        let mut round = DeliveryRound::default();
        for d in claimed {
            let result = self.send(&d).await;
            let at = self.clock.now();
            let outcome = match result {
                Ok(()) => {
                    round.delivered += 1;
                    AttemptOutcome::Delivered
                }
                Err(error) => {
                    let retry_at = self.backoff.retry_at(d.attempts + 1, at);
                    if retry_at.is_some() {
                        round.retried += 1;
                    } else {
                        round.given_up += 1;
                    }
                    tracing::warn!(delivery = %d.id, %error, "delivery failed");
                    AttemptOutcome::Failed { error, retry_at }
                }
            };
            self.store
                .finish_delivery(&self.worker, &d.id, at, &outcome)
                .await?;
        }
        Ok(round)
    }

    async fn send(&self, d: &Delivery) -> Result<(), String> {
        match &d.target {
            ChannelTarget::Email { to } => self.send_email(d, to).await,
            ChannelTarget::Webhook { url, secret } => self.send_webhook(d, url, secret).await,
        }
    }

    async fn send_email(&self, d: &Delivery, to: &str) -> Result<(), String> {
        use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
        let smtp = self
            .smtp
            .as_ref()
            .ok_or_else(|| "no SMTP server is configured".to_owned())?;
        let message = Message::builder()
            .from(smtp.from.parse().map_err(|e| format!("from: {e}"))?)
            .to(to.parse().map_err(|e| format!("to: {e}"))?)
            .subject(d.subject.clone())
            // The idempotency key as Message-ID: a receiver sees a retry as the same message.
            .message_id(Some(format!(
                "<{}@assure>",
                d.idempotency_key.replace(':', ".")
            )))
            .body(d.payload.clone())
            .map_err(|e| e.to_string())?;
        let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.as_str())
            .port(smtp.port)
            .timeout(Some(StdDuration::from_secs(10)))
            .build();
        mailer
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn send_webhook(&self, d: &Delivery, url: &str, sealed: &str) -> Result<(), String> {
        let secret = self
            .sealer
            .open(&webhook_context(url), sealed)
            .map_err(|e| format!("webhook secret: {e}"))?;
        let timestamp = self.clock.now().unix_timestamp();
        let signature = webhook::sign(secret.as_bytes(), timestamp, d.payload.as_bytes())
            .map_err(|e| e.to_string())?;
        let response = self
            .http
            .post(url)
            .header("Content-Type", "application/json")
            .header(webhook::SIGNATURE_HEADER, signature)
            .header(webhook::TIMESTAMP_HEADER, timestamp.to_string())
            .header(webhook::IDEMPOTENCY_HEADER, &d.idempotency_key)
            .body(d.payload.clone())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("receiver answered {}", response.status()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn backoff_doubles_up_to_a_cap_then_gives_up() {
        let b = Backoff {
            base: Duration::seconds(10),
            max_delay: Duration::seconds(60),
            max_attempts: 5,
        };
        let now = datetime!(2026-01-01 00:00 UTC);
        assert_eq!(b.retry_at(1, now), Some(now + Duration::seconds(10)));
        assert_eq!(b.retry_at(2, now), Some(now + Duration::seconds(20)));
        assert_eq!(b.retry_at(4, now), Some(now + Duration::seconds(60)));
        assert_eq!(b.retry_at(5, now), None);
    }

    #[test]
    fn the_test_clock_moves_only_when_told() {
        let t = datetime!(2026-01-01 00:00 UTC);
        let c = TestClock::at(t);
        assert_eq!(c.now(), t);
        c.advance(Duration::days(2));
        assert_eq!(c.now(), t + Duration::days(2));
        c.set(t);
        assert_eq!(c.now(), t);
    }
}
