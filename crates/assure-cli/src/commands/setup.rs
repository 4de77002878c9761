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
    /// Without the demo: the e-mail address of the first provider admin, created with a one-time
    /// password printed once.
    #[arg(long, value_name = "EMAIL", default_value = FIRST_ADMIN)]
    pub admin: String,
}

/// The first provider admin of a database set up without the demo.
pub const FIRST_ADMIN: &str = "admin@assure.local";

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
    let summary = prepare(store, settings, seed, &args.admin).await?;
    eprintln!("{summary}");
    Ok(())
}

/// Sets up a new database with `seed`, then signs the chain heads. Returns a one-line summary.
pub async fn prepare<S: Store>(
    store: &S,
    settings: &Settings,
    seed: Seed,
    first_admin: &str,
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
        let f = super::demo_findings::load(store, p).await?;
        line.push_str(&format!("; {f} demo findings"));
        demo_logins(store, &actor, p, &super::keys::totp_vault(settings)?).await?;
        let engagements = super::demo_engagements::load(store, settings, p).await?;
        line.push_str(&format!("; {engagements}"));
    } else {
        first_admin_account(store, &actor, first_admin).await?;
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

/// The demo password of a demo user: `demo-` and its e-mail address. Demo users exist only in demo
/// mode, and each must change this password at its first login.
pub fn demo_password(user: &str) -> String {
    format!("demo-{user}")
}

/// Gives every demo user its demo password (to be changed at first login) and provider staff their
/// deterministic demo TOTP secret (`assure_auth::TotpSecret::demo`, stored sealed by `vault`), then
/// prints the logins.
async fn demo_logins<S: Store>(
    store: &S,
    actor: &Actor,
    p: &Programme,
    vault: &assure_auth::TotpVault,
) -> Result<(), Failure> {
    let mut lines = vec![
        "demo logins (each must change its password at first login; TOTP secrets are base32 for any authenticator app):"
            .to_owned(),
    ];
    for user in &p.users {
        let password = demo_password(user.id.as_str());
        let hash = super::users::hash(&password).await?;
        store.set_password(actor, &user.id, &hash, true).await?;
        let totp = if matches!(user.affiliation, assure_domain::user::Affiliation::Provider) {
            let secret = assure_auth::TotpSecret::demo(user.id.as_str());
            let sealed = vault
                .seal(user.id.as_str(), &secret)
                .map_err(|e| anyhow::anyhow!("sealing the demo TOTP secret of {}: {e}", user.id))?;
            store.set_totp(actor, &user.id, Some(&sealed), &[]).await?;
            format!("  TOTP secret {}", secret.to_base32())
        } else {
            String::new()
        };
        lines.push(format!(
            "  {:<28} {:<44} password {password}{totp}",
            user.role.as_str(),
            user.id
        ));
    }
    eprintln!("{}", lines.join("\n"));
    Ok(())
}

/// Creates the first provider admin with a one-time password, printed once, unless that user exists.
async fn first_admin_account<S: Store>(
    store: &S,
    actor: &Actor,
    email: &str,
) -> Result<(), Failure> {
    let email = email.trim().to_lowercase();
    if store.get_user(&email.as_str().into()).await?.is_some() {
        return Ok(());
    }
    let admin = assure_domain::user::User {
        id: email.as_str().into(),
        name: "Administrator".to_owned(),
        role: assure_domain::user::Role::ProviderAdmin,
        affiliation: assure_domain::user::Affiliation::Provider,
        disabled: false,
    };
    let password = super::users::create_with_one_time_password(store, actor, &admin).await?;
    eprintln!(
        "first provider admin: {email}  one-time password: {password}\n  (shown only now; log in at /login, enrol an authenticator app and choose a new password)"
    );
    Ok(())
}
