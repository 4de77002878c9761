//! Setting a database up: migrate, load the demo (or a content folder), sign the first checkpoints.

use std::path::PathBuf;

use assure_attest::ProviderKey;
use assure_domain::programme::Programme;
use assure_store::{Actor, Store};
use clap::Args;

use crate::Failure;
use crate::settings::Settings;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Do not load the demo programme.
    #[arg(long, conflicts_with = "content")]
    pub no_demo: bool,
    /// Load this content folder (the layout of `content/`) instead of the demo.
    #[arg(long, value_name = "DIR")]
    pub content: Option<PathBuf>,
}

/// What to load into a new database.
pub enum Seed {
    Demo,
    Folder(PathBuf),
    Nothing,
}

pub async fn init<S: Store>(
    store: &S,
    settings: &Settings,
    args: &InitArgs,
) -> Result<(), Failure> {
    if store.is_initialised().await? {
        return Err(Failure::Input(format!(
            "the database at {} is already set up; nothing was changed",
            settings.database_url()
        )));
    }
    let seed = match (&args.content, args.no_demo) {
        (Some(dir), _) => Seed::Folder(dir.clone()),
        (None, true) => Seed::Nothing,
        (None, false) => Seed::Demo,
    };
    let summary = prepare(store, settings, seed).await?;
    eprintln!("{summary}");
    Ok(())
}

/// Sets up a new database with `seed`, then signs the chain heads. Returns a one-line summary.
pub async fn prepare<S: Store>(
    store: &S,
    settings: &Settings,
    seed: Seed,
) -> Result<String, Failure> {
    let key = provider_key(settings)?;
    let actor = Actor::system("init");
    let demo = matches!(seed, Seed::Demo);
    let (programme, what): (Option<Programme>, String) = match seed {
        Seed::Demo => (
            Some(
                assure_content::demo()
                    .map_err(|e| anyhow::anyhow!("the embedded demo is invalid: {e}"))?,
            ),
            "the Contour Cloud demo programme".to_owned(),
        ),
        Seed::Folder(dir) => (
            Some(assure_content::load_dir(&dir).map_err(|e| Failure::Input(e.to_string()))?),
            format!("content from {}", dir.display()),
        ),
        Seed::Nothing => (None, "no content".to_owned()),
    };
    let mut line = format!("initialised {} with {what}", settings.database_url());
    if let Some(p) = &programme {
        let s = store.import_programme(&actor, p).await?;
        line.push_str(&format!(
            ": {} controls, {} frameworks ({} requirements), {} mappings, {} services, {} tenants, {} users; {} audit records",
            s.controls, s.frameworks, s.requirements, s.mappings, s.services, s.tenants, s.users, s.audit_records
        ));
    }
    if let (Some(p), true) = (&programme, demo) {
        let repository = super::evidence::repository(store.clone(), settings)?;
        let n = super::demo_evidence::load(&repository, p).await?;
        line.push_str(&format!("; {n} demo evidence records"));
    }
    store.mark_initialised(&actor, programme.is_some()).await?;
    assure_store::audit::checkpoint(store, time::OffsetDateTime::now_utc(), |m| key.sign(m))
        .await?;
    Ok(line)
}

/// The provider's key, created on first use.
pub fn provider_key(settings: &Settings) -> Result<ProviderKey, Failure> {
    ProviderKey::load_or_create(&settings.signing_key()).map_err(|e| Failure::Input(e.to_string()))
}
