//! `assure users` and `assure tokens`: accounts and API tokens, for operators on the server's machine
//! (the CLI acts as `system:cli` in the audit trail). Secrets (one-time passwords, tokens) are printed
//! once and only their hashes are stored.

use assure_domain::user::{Affiliation, Role, User};
use assure_store::{Actor, Store, TenantScope};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::require_initialised;
use crate::Failure;
use crate::output::{OutputArgs, Rows};

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user with a one-time password (printed once; changed at first login).
    Create(CreateUser),
    /// List users.
    List(ListUsers),
    /// Disable a user: every session ends and its API tokens stop working (`--enable` undoes it).
    Disable(DisableUser),
    /// Remove a user's second factor and recovery codes and end its sessions; the user enrols again at
    /// the next login.
    ResetMfa(UserId),
}

#[derive(Debug, Args)]
pub struct CreateUser {
    /// The user's e-mail address, which is its ID and login name.
    email: String,
    /// Full name.
    #[arg(long)]
    name: String,
    /// Role: provider-admin, provider-security-lead, provider-dpo, oversight, customer-compliance-officer,
    /// customer-viewer, customer-dpo or assessor.
    #[arg(long)]
    role: String,
    /// The tenant a customer role belongs to.
    #[arg(long, conflicts_with = "firm")]
    tenant: Option<String>,
    /// The assessor firm an assessor belongs to.
    #[arg(long)]
    firm: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListUsers {
    /// Only the users of this tenant.
    #[arg(long)]
    tenant: Option<String>,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct DisableUser {
    /// The user's e-mail address.
    email: String,
    /// Enable the user again instead.
    #[arg(long)]
    enable: bool,
}

#[derive(Debug, Args)]
pub struct UserId {
    /// The user's e-mail address.
    email: String,
}

fn cli_actor() -> Actor {
    Actor::system("cli")
}

pub async fn users<S: Store>(store: &S, command: UsersCommand) -> Result<(), Failure> {
    require_initialised(store).await?;
    match command {
        UsersCommand::Create(a) => create(store, a).await,
        UsersCommand::List(a) => list(store, a).await,
        UsersCommand::Disable(a) => {
            store
                .set_user_disabled(&cli_actor(), &a.email.as_str().into(), !a.enable)
                .await
                .map_err(not_found)?;
            let what = if a.enable { "enabled" } else { "disabled" };
            eprintln!("user {} {what}", a.email);
            Ok(())
        }
        UsersCommand::ResetMfa(a) => {
            let id = a.email.as_str().into();
            if store.get_user(&id).await?.is_none() {
                return Err(Failure::Input(format!("no user {}", a.email)));
            }
            store.set_totp(&cli_actor(), &id, None, &[]).await?;
            eprintln!(
                "second factor of {} removed; it enrols again at the next login",
                a.email
            );
            Ok(())
        }
    }
}

fn not_found(e: assure_store::StoreError) -> Failure {
    match e {
        assure_store::StoreError::NotFound(what) => Failure::Input(format!("no {what}")),
        other => other.into(),
    }
}

async fn create<S: Store>(store: &S, a: CreateUser) -> Result<(), Failure> {
    let role = Role::parse(&a.role).ok_or_else(|| {
        let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
        Failure::Input(format!(
            "unknown role {:?}: use one of {}",
            a.role,
            names.join(", ")
        ))
    })?;
    let email = a.email.trim().to_lowercase();
    if !email.contains('@') || email.contains(char::is_whitespace) {
        return Err(Failure::Input(format!(
            "{email:?} is not an e-mail address"
        )));
    }
    let affiliation = match (a.tenant, a.firm) {
        (Some(t), _) => Affiliation::Tenant(t.as_str().into()),
        (None, Some(f)) => Affiliation::AssessorFirm(f.as_str().into()),
        (None, None) => Affiliation::Provider,
    };
    let user = User {
        id: email.as_str().into(),
        name: a.name,
        role,
        affiliation,
        disabled: false,
    };
    user.validate().map_err(|e| {
        Failure::Input(format!(
            "{e}: give --tenant for customer roles, --firm for assessors"
        ))
    })?;
    let password = create_with_one_time_password(store, &cli_actor(), &user)
        .await
        .map_err(|e| match e {
            assure_store::StoreError::Conflict(m) => Failure::Input(m),
            other => not_found(other),
        })?;
    println!("{password}");
    eprintln!(
        "created {} ({}); the line above is its one-time password, shown once: it must be changed at first login",
        user.id,
        role.as_str()
    );
    Ok(())
}

/// Creates `user` with a fresh one-time password, which it returns; the user must change it at first
/// login.
pub async fn create_with_one_time_password<S: Store>(
    store: &S,
    actor: &Actor,
    user: &User,
) -> Result<String, assure_store::StoreError> {
    let password = assure_auth::one_time_password().map_err(|e| corrupt(&e))?;
    let hash = hash(&password).await?;
    store.create_user(actor, user, Some(&hash), true).await?;
    Ok(password)
}

fn corrupt(e: &dyn std::fmt::Display) -> assure_store::StoreError {
    assure_store::StoreError::Corrupt {
        what: "credential".into(),
        detail: e.to_string(),
    }
}

/// Argon2id off the async threads.
pub async fn hash(password: &str) -> Result<String, assure_store::StoreError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || assure_auth::hash_password(&password))
        .await
        .map_err(|e| corrupt(&e))?
        .map_err(|e| corrupt(&e))
}

#[derive(Serialize)]
struct UserLine {
    id: String,
    name: String,
    role: &'static str,
    belongs_to: String,
    disabled: bool,
    mfa_enrolled: bool,
    must_change_password: bool,
}

async fn list<S: Store>(store: &S, a: ListUsers) -> Result<(), Failure> {
    let scope = match &a.tenant {
        Some(t) => TenantScope::Tenant(t.as_str().into()),
        None => TenantScope::AllTenants,
    };
    let mut lines = Vec::new();
    for u in store.list_users(&scope).await? {
        let creds = store.user_credentials(&u.id).await?;
        lines.push(UserLine {
            id: u.id.to_string(),
            name: u.name.clone(),
            role: u.role.as_str(),
            belongs_to: match &u.affiliation {
                Affiliation::Provider => "provider".to_owned(),
                Affiliation::Tenant(t) => format!("tenant:{t}"),
                Affiliation::AssessorFirm(f) => format!("firm:{f}"),
            },
            disabled: u.disabled,
            mfa_enrolled: creds.as_ref().is_some_and(|c| c.totp_secret.is_some()),
            must_change_password: creds.as_ref().is_some_and(|c| c.must_change_password),
        });
    }
    a.out.emit(&lines, || Rows {
        header: vec![
            "id",
            "name",
            "role",
            "belongs to",
            "disabled",
            "mfa",
            "must change password",
        ],
        rows: lines
            .iter()
            .map(|l| {
                vec![
                    l.id.clone(),
                    l.name.clone(),
                    l.role.to_owned(),
                    l.belongs_to.clone(),
                    l.disabled.to_string(),
                    l.mfa_enrolled.to_string(),
                    l.must_change_password.to_string(),
                ]
            })
            .collect(),
    })
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Create an API token for a user; the token is printed once (use it as `Authorization: Bearer`).
    Create(CreateToken),
    /// List API tokens (never their text).
    List(ListTokens),
    /// Revoke an API token by its ID; it is refused from then on.
    Revoke(RevokeToken),
}

#[derive(Debug, Args)]
pub struct CreateToken {
    /// The user the token acts as.
    #[arg(long)]
    user: String,
    /// A name to recognise the token by.
    #[arg(long)]
    name: String,
    /// Days until the token expires; without it, it never expires.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(i64).range(1..=3650))]
    expires: Option<i64>,
}

#[derive(Debug, Args)]
pub struct ListTokens {
    /// Only this user's tokens.
    #[arg(long)]
    user: Option<String>,
    #[command(flatten)]
    out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct RevokeToken {
    /// The token's ID (from `assure tokens list`).
    id: String,
}

#[derive(Serialize)]
struct TokenLine {
    id: String,
    user: String,
    name: String,
    created_at: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
}

pub async fn tokens<S: Store>(store: &S, command: TokensCommand) -> Result<(), Failure> {
    require_initialised(store).await?;
    match command {
        TokensCommand::Create(a) => {
            let user = a.user.trim().to_lowercase();
            match store.get_user(&user.as_str().into()).await? {
                Some(u) if !u.disabled => {}
                Some(_) => return Err(Failure::Input(format!("user {user} is disabled"))),
                None => return Err(Failure::Input(format!("no user {user}"))),
            }
            let text = assure_server::issue_token(
                store,
                &cli_actor(),
                &user.as_str().into(),
                &a.name,
                a.expires,
            )
            .await
            .map_err(|e| Failure::Other(anyhow::anyhow!("{e}")))?;
            println!("{text}");
            eprintln!("token for {user} created; the line above is shown once");
            Ok(())
        }
        TokensCommand::List(a) => {
            let user = a.user.map(|u| assure_domain::UserId::from(u.as_str()));
            let fmt = |t: time::OffsetDateTime| assure_domain::audit::format_instant(t);
            let lines: Vec<TokenLine> = store
                .list_api_tokens(user.as_ref())
                .await?
                .into_iter()
                .map(|t| TokenLine {
                    id: t.id,
                    user: t.user.to_string(),
                    name: t.name,
                    created_at: fmt(t.created_at),
                    expires_at: t.expires_at.map(fmt),
                    revoked_at: t.revoked_at.map(fmt),
                })
                .collect();
            a.out.emit(&lines, || Rows {
                header: vec!["id", "user", "name", "created", "expires", "revoked"],
                rows: lines
                    .iter()
                    .map(|l| {
                        vec![
                            l.id.clone(),
                            l.user.clone(),
                            l.name.clone(),
                            l.created_at.clone(),
                            l.expires_at.clone().unwrap_or_default(),
                            l.revoked_at.clone().unwrap_or_default(),
                        ]
                    })
                    .collect(),
            })
        }
        TokensCommand::Revoke(a) => {
            store
                .revoke_api_token(&cli_actor(), None, &a.id, time::OffsetDateTime::now_utc())
                .await
                .map_err(not_found)?;
            eprintln!("token {} revoked", a.id);
            Ok(())
        }
    }
}
