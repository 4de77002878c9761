//! Checking TOTP codes against secrets sealed at rest ([`assure_auth::TotpVault`]), and sealing the rows
//! written before secrets were encrypted: one at a time when their owner next proves a code, and all of
//! them when `assure serve` starts ([`seal_stored_totp_secrets`]).

use assure_auth::{TotpSecret, TotpVault};
use assure_domain::UserId;
use assure_store::{Actor, Store, StoreError, TenantScope};
use time::OffsetDateTime;

/// The time step `code` matches at `at` for `user`'s stored secret, if any. A row from before sealing
/// is sealed once a code has proved it. A stored secret that does not open (moved from another user's
/// row, or sealed under another master key) matches nothing, and the server log says why.
pub(crate) async fn matching_step<S: Store>(
    store: &S,
    vault: &TotpVault,
    actor: &Actor,
    user: &UserId,
    stored: &str,
    code: &str,
    at: OffsetDateTime,
) -> Option<i64> {
    let opened = match vault.open(user.as_str(), stored) {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(user = %user, error = %e, "a stored TOTP secret does not open");
            return None;
        }
    };
    let unix = u64::try_from(at.unix_timestamp()).unwrap_or(0);
    let step = opened
        .secret
        .matching_step(code, unix)
        .and_then(|s| i64::try_from(s).ok())?;
    if opened.needs_sealing {
        seal_in_place(store, vault, actor, user, stored, &opened.secret).await;
    }
    Some(step)
}

/// Replaces a bare base32 row by its sealed form, unless the row changed meanwhile. A failure is logged
/// and left for the next use or start: the login it happens in is not refused for it.
async fn seal_in_place<S: Store>(
    store: &S,
    vault: &TotpVault,
    actor: &Actor,
    user: &UserId,
    stored: &str,
    secret: &TotpSecret,
) -> bool {
    let sealed = match vault.seal(user.as_str(), secret) {
        Ok(text) => text,
        Err(e) => {
            tracing::warn!(user = %user, error = %e, "could not seal a TOTP secret");
            return false;
        }
    };
    match store
        .replace_totp_secret(actor, user, stored, &sealed)
        .await
    {
        Ok(replaced) => replaced,
        Err(e) => {
            tracing::warn!(user = %user, error = %e, "could not store a sealed TOTP secret");
            false
        }
    }
}

/// Seals every TOTP secret still stored as bare base32 (rows from before secrets were encrypted at rest)
/// and returns how many it sealed. Run by `assure serve` at start, so no plaintext secret outlives an
/// upgrade; sealed rows are left alone, and a row that does not read as base32 is logged and skipped.
pub async fn seal_stored_totp_secrets<S: Store>(
    store: &S,
    vault: &TotpVault,
) -> Result<usize, StoreError> {
    let actor = Actor::system("totp-sealing");
    let mut sealed = 0;
    for user in store.list_users(&TenantScope::AllTenants).await? {
        let Some(stored) = store
            .user_credentials(&user.id)
            .await?
            .and_then(|c| c.totp_secret)
        else {
            continue;
        };
        if stored.starts_with(assure_auth::SEALED_TOTP_PREFIX) {
            continue;
        }
        match vault.open(user.id.as_str(), &stored) {
            Ok(opened) => {
                if seal_in_place(store, vault, &actor, &user.id, &stored, &opened.secret).await {
                    sealed += 1;
                }
            }
            Err(e) => {
                tracing::warn!(user = %user.id, error = %e, "a stored TOTP secret is neither sealed nor base32");
            }
        }
    }
    Ok(sealed)
}
