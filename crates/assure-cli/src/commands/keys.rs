//! The server's secret keys as the settings name them: the master key (hex setting or key file, created
//! on first use) and the keys derived from it.

use assure_auth::TotpVault;
use assure_evidence::MasterKey;

use crate::Failure;
use crate::settings::Settings;

/// The master key: `--evidence-master-key` / `ASSURE_EVIDENCE_MASTER_KEY`, else the key file in the data
/// folder, created on first use.
pub fn master_key(settings: &Settings) -> Result<MasterKey, Failure> {
    MasterKey::load(
        settings.evidence_master_key.as_ref().map(|s| s.0.as_str()),
        &settings.evidence_master_key_file(),
    )
    .map_err(|e| Failure::Input(e.to_string()))
}

/// The vault that seals TOTP secrets at rest, keyed by a derivation of the master key, so every command
/// and every server node with the same master key reads the same secrets.
pub fn totp_vault(settings: &Settings) -> Result<TotpVault, Failure> {
    let key = master_key(settings)?
        .derive(assure_auth::TOTP_KEY_PURPOSE)
        .map_err(|e| Failure::Input(e.to_string()))?;
    Ok(TotpVault::new(key))
}

/// The sealer of integration secrets (outgoing webhook keys, tracker shared secrets), keyed by its own
/// derivation of the master key, so every node and command with the same master key opens them.
pub fn integration_sealer(settings: &Settings) -> Result<assure_auth::SecretSealer, Failure> {
    let key = master_key(settings)?
        .derive(assure_auth::INTEGRATION_KEY_PURPOSE)
        .map_err(|e| Failure::Input(e.to_string()))?;
    Ok(assure_auth::SecretSealer::new(key))
}
