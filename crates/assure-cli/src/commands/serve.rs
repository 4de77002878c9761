//! `assure serve`: the HTTP server, with periodic signed checkpoints of the audit chains and the
//! scheduler (deadline sweeps, review cycles, notifications) in the background.

use std::net::SocketAddr;
use std::time::Duration;

use assure_auth::TotpVault;
use assure_server::auth::oidc::{ClaimMapping, OidcSettings};
use assure_server::{AppState, AuthSettings, router};
use assure_store::Store;
use clap::Args;

use super::setup::{Seed, prepare, provider_key};
use crate::Failure;
use crate::settings::{NotificationSettings, Secret, Settings};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ASSURE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// On an empty database, set it up without the demo programme.
    #[arg(long)]
    pub no_demo: bool,
    /// Seconds between signed checkpoints of the audit chains.
    #[arg(long, env = "ASSURE_CHECKPOINT_SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_seconds: u64,
    /// The URL people reach this server at. An https:// URL marks cookies Secure and sends HSTS; it is
    /// also the base of the OpenID Connect redirect URL.
    #[arg(long, env = "ASSURE_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Mark cookies Secure and send HSTS even without an https:// --public-url (TLS ends at a proxy).
    #[arg(long, env = "ASSURE_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Failed logins in a row (password or second factor, counted per account in the database) that
    /// lock an account.
    #[arg(long, env = "ASSURE_LOCKOUT_FAILURES", default_value_t = 5, value_parser = clap::value_parser!(i64).range(1..))]
    pub lockout_failures: i64,
    /// How long a lock-out lasts, in seconds (900 = 15 minutes).
    #[arg(long, env = "ASSURE_LOCKOUT_SECONDS", default_value_t = 900, value_parser = clap::value_parser!(i64).range(1..))]
    pub lockout_seconds: i64,
    /// How long a login session lasts, in hours.
    #[arg(long, env = "ASSURE_SESSION_HOURS", default_value_t = 12, value_parser = clap::value_parser!(i64).range(1..=720))]
    pub session_hours: i64,
    /// How stale, in milliseconds, a cached catalogue page may be when another node or the CLI changes the
    /// catalogue (changes made through this server are seen at once); 0 turns the cache off.
    #[arg(long, env = "ASSURE_READ_CACHE_MS", default_value_t = 100, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub read_cache_ms: u64,
    /// A token that reads /metrics from anywhere (as Authorization: Bearer); loopback needs none.
    #[arg(long, env = "ASSURE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,
    /// OpenID Connect: the identity provider's issuer URL (enables "log in with your organisation").
    #[arg(long, env = "ASSURE_OIDC_ISSUER", requires_all = ["oidc_client_id", "oidc_client_secret"])]
    pub oidc_issuer: Option<String>,
    /// OpenID Connect client ID registered at the provider.
    #[arg(long, env = "ASSURE_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    /// OpenID Connect client secret.
    #[arg(long, env = "ASSURE_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<Secret>,
    /// Which ID-token claim names the existing Assure user: its e-mail address, or its subject.
    #[arg(long, env = "ASSURE_OIDC_CLAIM", value_enum, default_value = "email")]
    pub oidc_claim: OidcClaim,
    /// The scheduler, notifications and tracker secrets.
    #[command(flatten)]
    pub notify: NotificationSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OidcClaim {
    /// The `email` claim equals the user's e-mail address.
    Email,
    /// The `sub` claim equals the user's ID.
    Sub,
}

impl ServeArgs {
    /// The authentication settings these flags describe, sealing TOTP secrets with `totp_vault`.
    pub fn auth_settings(&self, totp_vault: TotpVault) -> Result<AuthSettings, Failure> {
        let public = self
            .public_url
            .as_deref()
            .map(|u| u.trim_end_matches('/').to_owned());
        let tls = public.as_deref().is_some_and(|u| u.starts_with("https://"));
        let oidc = match (
            &self.oidc_issuer,
            &self.oidc_client_id,
            &self.oidc_client_secret,
        ) {
            (Some(issuer), Some(id), Some(secret)) => {
                let base = public
                    .clone()
                    .unwrap_or_else(|| format!("http://{}", self.bind));
                Some(OidcSettings {
                    issuer: issuer.clone(),
                    client_id: id.clone(),
                    client_secret: secret.0.clone(),
                    mapping: match self.oidc_claim {
                        OidcClaim::Email => ClaimMapping::Email,
                        OidcClaim::Sub => ClaimMapping::Subject,
                    },
                    redirect_url: format!("{base}/login/oidc/callback"),
                })
            }
            (None, _, _) => None,
            _ => {
                return Err(Failure::Input(
                    "--oidc-issuer needs --oidc-client-id and --oidc-client-secret".into(),
                ));
            }
        };
        Ok(AuthSettings {
            secure_cookies: tls || self.secure_cookies,
            lockout: assure_store::LockoutPolicy {
                max_failures: self.lockout_failures,
                lock_for: time::Duration::seconds(self.lockout_seconds),
            },
            session_ttl: time::Duration::hours(self.session_hours),
            metrics_token: self.metrics_token.as_ref().map(|s| s.0.clone()),
            oidc,
            public_url: public,
            totp_vault,
            read_cache_bound: std::time::Duration::from_millis(self.read_cache_ms),
            // The secrets given to this start (also stored sealed by `scheduler::configure`).
            trackers: assure_server::trackers::TrackerSecrets {
                github: self
                    .notify
                    .github_webhook_secret
                    .as_ref()
                    .map(|s| s.0.clone()),
                jira: self
                    .notify
                    .jira_webhook_secret
                    .as_ref()
                    .map(|s| s.0.clone()),
            },
        })
    }
}

/// The tracker secrets this start was given, else those stored sealed in the store.
async fn stored_tracker_secrets<S: Store>(
    store: &S,
    sealer: &assure_auth::SecretSealer,
    given: assure_server::trackers::TrackerSecrets,
) -> Result<assure_server::trackers::TrackerSecrets, Failure> {
    let open = |tracker: &'static str| async move {
        let Some(row) = store.tracker_secret(tracker).await? else {
            return Ok::<_, Failure>(None);
        };
        let secret = sealer
            .open(&assure_auth::tracker_context(tracker), &row.sealed)
            .map_err(|e| {
                Failure::Input(format!(
                    "the stored {tracker} tracker secret cannot be opened with this master key: {e}"
                ))
            })?;
        Ok(Some(secret.to_string()))
    };
    Ok(assure_server::trackers::TrackerSecrets {
        github: match given.github {
            Some(s) => Some(s),
            None => open("github").await?,
        },
        jira: match given.jira {
            Some(s) => Some(s),
            None => open("jira").await?,
        },
    })
}

pub async fn run<S: Store>(store: S, settings: &Settings, args: &ServeArgs) -> Result<(), Failure> {
    let repository = super::evidence::repository(store.clone(), settings)?;
    // Staging objects older than a day belong to uploads that were interrupted (a crash, a kill).
    let cutoff = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    match repository.blobs().sweep_staging(cutoff).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            removed = n,
            "removed staging objects of interrupted uploads"
        ),
        Err(e) => tracing::warn!(error = %e, "could not sweep evidence staging"),
    }
    let totp_vault = super::keys::totp_vault(settings)?;
    let mut auth = args.auth_settings(totp_vault.clone())?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|e| Failure::Input(format!("cannot listen on {}: {e}", args.bind)))?;
    let local = listener.local_addr().map_err(anyhow::Error::from)?;

    if !store.is_initialised().await? {
        let seed = if args.no_demo {
            Seed::Nothing
        } else {
            Seed::Demo
        };
        let summary = prepare(&store, settings, seed, super::setup::FIRST_ADMIN).await?;
        tracing::info!("{summary}");
    }
    // Rows from before TOTP secrets were encrypted at rest are sealed before anyone logs in.
    match assure_server::seal_stored_totp_secrets(&store, &totp_vault).await? {
        0 => {}
        n => tracing::info!(sealed = n, "sealed TOTP secrets stored in the clear"),
    }
    // Channels and tracker secrets from the settings, sealed, then the scheduler in the background.
    let sealer = super::keys::integration_sealer(settings)?;
    match super::scheduler::configure(&store, &args.notify, &sealer).await? {
        0 => {}
        n => tracing::info!(
            written = n,
            "notification channels and tracker secrets stored sealed"
        ),
    }
    // Every node checks tracker webhooks with the secrets stored (sealed) by whichever start was given
    // them, so a node started without the flags still verifies deliveries.
    auth.trackers = stored_tracker_secrets(&store, &sealer, auth.trackers).await?;
    let state = AppState::configured(store.clone(), Some(repository), auth);
    let app = router(state.clone());
    let scheduler = super::scheduler::start(store.clone(), &args.notify, sealer).await?;
    let key = provider_key(settings)?;
    state.set_ready();
    eprintln!("assure listening on http://{local}");

    let period = Duration::from_secs(args.checkpoint_seconds);
    let checkpoints = tokio::spawn(async move {
        let mut ticker = tokio::time::interval(period);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            match assure_store::audit::checkpoint(&store, time::OffsetDateTime::now_utc(), |m| {
                key.sign(m)
            })
            .await
            {
                Ok(written) if !written.is_empty() => {
                    tracing::info!(chains = written.len(), "signed audit checkpoints")
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "audit checkpoint failed"),
            }
        }
    });
    let served = assure_server::serve(listener, app).await;
    checkpoints.abort();
    if let Some(s) = scheduler {
        s.abort();
    }
    served.map_err(|e| Failure::Other(e.into()))
}
