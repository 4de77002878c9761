//! `assure serve`: the HTTP server, with periodic signed checkpoints of the audit chains.

use std::net::SocketAddr;
use std::time::Duration;

use assure_server::{AppState, router};
use assure_store::Store;
use clap::Args;

use super::setup::{Seed, prepare, provider_key};
use crate::Failure;
use crate::settings::Settings;

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
    let state = AppState::with_evidence(store.clone(), repository);
    let app = router(state.clone());
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
        let summary = prepare(&store, settings, seed).await?;
        tracing::info!("{summary}");
    }
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
    served.map_err(|e| Failure::Other(e.into()))
}
