//! Authentication primitives of Assure, with no storage or HTTP: Argon2id password hashes, TOTP codes
//! (RFC 6238) with their `otpauth://` URI and QR code as SVG, single-use recovery codes, and opaque
//! secrets (session ids, API tokens) of which only the SHA-256 is ever stored. TOTP secrets, which the
//! server must read back, are sealed at rest with AES-256-GCM ([`TotpVault`]).
//!
//! Architecture invariant: a secret handed to a person (a token, a session id, a recovery code) is shown
//! once and never stored; the store keeps its SHA-256 (tokens, sessions) or its Argon2id hash (passwords).

mod sealed;
mod vault;

pub use sealed::{
    INTEGRATION_KEY_PURPOSE, SEALED_SECRET_PREFIX, SealError, SecretSealer, is_sealed,
    tracker_context, webhook_context,
};
pub use vault::{OpenedTotp, SEALED_TOTP_PREFIX, TOTP_KEY_PURPOSE, TotpVault};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Errors of the authentication primitives.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("TOTP secret is unusable: {0}")]
    Totp(String),
    #[error("QR code could not be drawn: {0}")]
    Qr(String),
}

/// Fills `n` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(buf)
}

/// The Argon2id hash of `password` as a PHC string (salt and parameters inside).
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `hash`. A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the user does not exist, so an unknown name costs the same time as a
/// wrong password and the answer time does not reveal which accounts exist.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("assure-decoy-password").unwrap_or_default())
}

/// Why a new password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRule {
    #[error("the password must have at least {0} characters")]
    TooShort(usize),
    #[error("the new password must differ from the current one")]
    Unchanged,
}

/// Shortest password accepted (NIST SP 800-63B asks for at least 8; a GRC tool asks for more).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Checks a new password: long enough and not the current one.
pub fn check_new_password(new: &str, current: Option<&str>) -> Result<(), PasswordRule> {
    if new.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordRule::TooShort(MIN_PASSWORD_CHARS));
    }
    if current == Some(new) {
        return Err(PasswordRule::Unchanged);
    }
    Ok(())
}

/// A one-time password generated for a person (first admin, reset): 20 characters from a 32-letter
/// alphabet without look-alikes, about 100 bits.
pub fn one_time_password() -> Result<String, AuthError> {
    let bytes: [u8; 13] = random_bytes()?;
    let text = data_encoding::BASE32_NOPAD.encode(&bytes).to_lowercase();
    Ok(text.chars().take(20).collect())
}

/// A secret handed out once (session id, API token, recovery code) and its SHA-256, which is all the
/// store keeps.
#[derive(Clone, PartialEq, Eq)]
pub struct OpaqueSecret {
    pub text: String,
    pub hash: String,
}

impl std::fmt::Debug for OpaqueSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpaqueSecret")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

/// The SHA-256 (hex) of a secret's text, as stored.
pub fn secret_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Compares two hashes in constant time.
pub fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Prefix of API tokens, so a leaked token is recognisable by secret scanners.
pub const TOKEN_PREFIX: &str = "assure_";

/// A new API token: `assure_` and 32 random bytes in base64url.
pub fn new_api_token() -> Result<OpaqueSecret, AuthError> {
    let bytes: [u8; 32] = random_bytes()?;
    let text = format!(
        "{TOKEN_PREFIX}{}",
        data_encoding::BASE64URL_NOPAD.encode(&bytes)
    );
    Ok(OpaqueSecret {
        hash: secret_hash(&text),
        text,
    })
}

/// A new session id (the cookie value): 32 random bytes in base64url.
pub fn new_session_id() -> Result<OpaqueSecret, AuthError> {
    let bytes: [u8; 32] = random_bytes()?;
    let text = data_encoding::BASE64URL_NOPAD.encode(&bytes);
    Ok(OpaqueSecret {
        hash: secret_hash(&text),
        text,
    })
}

/// A short random identifier (token ids, CSRF tokens), 16 bytes in base64url.
pub fn new_identifier() -> Result<String, AuthError> {
    let bytes: [u8; 16] = random_bytes()?;
    Ok(data_encoding::BASE64URL_NOPAD.encode(&bytes))
}

/// How many recovery codes an enrolment hands out.
pub const RECOVERY_CODES: usize = 10;

/// Recovery codes: `xxxx-xxxx-xxxx` from a 32-letter alphabet (60 bits each), with their hashes.
pub fn new_recovery_codes() -> Result<Vec<OpaqueSecret>, AuthError> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let bytes: [u8; 8] = random_bytes()?;
            let raw = data_encoding::BASE32_NOPAD.encode(&bytes).to_lowercase();
            let text = format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12]);
            Ok(OpaqueSecret {
                hash: recovery_code_hash(&text),
                text,
            })
        })
        .collect()
}

/// The stored hash of a recovery code as typed: case, spaces and dashes do not matter.
pub fn recovery_code_hash(typed: &str) -> String {
    let normal: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    secret_hash(&normal)
}

/// A TOTP secret (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, one step of skew either way).
#[derive(Clone)]
pub struct TotpSecret {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

/// Who a TOTP secret is for, as shown by authenticator apps.
pub const TOTP_ISSUER: &str = "Assure";

impl TotpSecret {
    /// A new random secret of 160 bits (RFC 4226's recommendation).
    pub fn generate() -> Result<Self, AuthError> {
        Ok(Self {
            bytes: random_bytes::<20>()?.to_vec(),
        })
    }

    /// The deterministic secret of a demo user, so browser tests can compute its codes: the first 20
    /// bytes of SHA-256("assure-demo-totp:" + user id). Only demo mode uses it.
    pub fn demo(user_id: &str) -> Self {
        let digest = Sha256::digest(format!("assure-demo-totp:{user_id}").as_bytes());
        Self {
            bytes: digest[..20].to_vec(),
        }
    }

    /// Reads a base32 secret (as stored, or typed from an authenticator app's export).
    pub fn from_base32(text: &str) -> Result<Self, AuthError> {
        let clean: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = data_encoding::BASE32_NOPAD
            .decode(clean.trim_end_matches('=').as_bytes())
            .map_err(|e| AuthError::Totp(e.to_string()))?;
        if bytes.len() < 16 {
            return Err(AuthError::Totp("a secret needs at least 128 bits".into()));
        }
        Ok(Self { bytes })
    }

    /// A secret from its raw bytes (as a sealed secret holds them); at least 128 bits.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AuthError> {
        if bytes.len() < 16 {
            return Err(AuthError::Totp("a secret needs at least 128 bits".into()));
        }
        Ok(Self {
            bytes: bytes.to_vec(),
        })
    }

    /// The secret in base32 without padding, as authenticator apps take it.
    pub fn to_base32(&self) -> String {
        data_encoding::BASE32_NOPAD.encode(&self.bytes)
    }

    fn totp(&self, account: &str) -> Result<totp_rs::Totp, AuthError> {
        totp_rs::Builder::new()
            .with_secret(totp_rs::Secret::new(self.bytes.clone().into_boxed_slice()))
            .with_account_name(account.replace(':', "_"))
            .with_issuer(Some(TOTP_ISSUER))
            .build()
            .map_err(|e| AuthError::Totp(e.to_string()))
    }

    /// The code for the instant `unix_seconds`.
    pub fn code_at(&self, unix_seconds: u64) -> Result<String, AuthError> {
        Ok(self.totp("code")?.generate(unix_seconds).to_string())
    }

    /// The time step a typed code matches at `unix_seconds` (one step of skew either way), if any.
    /// The caller refuses a step at or before the last one it accepted, so a code works once.
    pub fn matching_step(&self, typed: &str, unix_seconds: u64) -> Option<u64> {
        let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
        if digits.len() != 6 {
            return None;
        }
        self.totp("code").ok()?.check(&digits, unix_seconds)
    }

    /// The `otpauth://totp/...` URI an authenticator app reads from the QR code.
    pub fn uri(&self, account: &str) -> Result<String, AuthError> {
        self.totp(account)?
            .to_url()
            .map_err(|e| AuthError::Totp(e.to_string()))
    }

    /// The URI as a QR code in SVG, for the enrolment page (no script, an `<img>` data URI or inline).
    pub fn qr_svg(&self, account: &str) -> Result<String, AuthError> {
        let code = qrcode::QrCode::new(self.uri(account)?.as_bytes())
            .map_err(|e| AuthError::Qr(e.to_string()))?;
        Ok(code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("correct horse battery", "not-a-hash"));
    }

    #[test]
    fn short_or_unchanged_passwords_are_refused() {
        assert_eq!(
            check_new_password("short", None),
            Err(PasswordRule::TooShort(MIN_PASSWORD_CHARS))
        );
        assert_eq!(
            check_new_password("long enough passw0rd", Some("long enough passw0rd")),
            Err(PasswordRule::Unchanged)
        );
        assert!(check_new_password("long enough passw0rd", Some("other")).is_ok());
    }

    /// RFC 6238 appendix B, SHA-1 rows, truncated to 6 digits.
    #[test]
    fn totp_codes_match_rfc_6238_test_vectors() {
        let secret = TotpSecret {
            bytes: b"12345678901234567890".to_vec(),
        };
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(secret.code_at(t).expect("code"), code, "at {t}");
        }
    }

    #[test]
    fn a_code_matches_its_step_and_neighbours_but_not_further() {
        let secret = TotpSecret::generate().expect("secret");
        let now = 1_700_000_000;
        let code = secret.code_at(now).expect("code");
        assert_eq!(secret.matching_step(&code, now), Some(now / 30));
        assert!(secret.matching_step(&code, now + 30).is_some());
        assert_eq!(secret.matching_step(&code, now + 120), None);
        assert_eq!(secret.matching_step("12345", now), None);
    }

    #[test]
    fn a_secret_round_trips_through_base32_and_draws_a_qr_code() {
        let secret = TotpSecret::demo("admin@contour.example");
        let again = TotpSecret::from_base32(&secret.to_base32()).expect("base32");
        assert_eq!(again.code_at(1000).ok(), secret.code_at(1000).ok());
        let uri = secret.uri("admin@contour.example").expect("uri");
        assert!(uri.starts_with("otpauth://totp/Assure:admin"), "{uri}");
        assert!(uri.contains(&format!("secret={}", secret.to_base32())));
        let svg = secret.qr_svg("admin@contour.example").expect("svg");
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }

    #[test]
    fn tokens_are_stored_as_their_sha256_and_compared_in_constant_time() {
        let token = new_api_token().expect("token");
        assert!(token.text.starts_with(TOKEN_PREFIX));
        assert_eq!(token.hash, secret_hash(&token.text));
        assert_eq!(token.hash.len(), 64);
        assert!(!format!("{token:?}").contains(&token.text));
        assert!(same_hash(&token.hash, &secret_hash(&token.text)));
        assert!(!same_hash(&token.hash, &secret_hash("assure_other")));
        let other = new_api_token().expect("token");
        assert_ne!(token.text, other.text);
    }

    #[test]
    fn recovery_codes_are_distinct_and_typed_loosely() {
        let codes = new_recovery_codes().expect("codes");
        assert_eq!(codes.len(), RECOVERY_CODES);
        let first = &codes[0];
        assert_eq!(first.text.len(), 14);
        assert_eq!(
            recovery_code_hash(&first.text.to_uppercase().replace('-', " ")),
            first.hash
        );
        let set: std::collections::BTreeSet<_> = codes.iter().map(|c| &c.hash).collect();
        assert_eq!(set.len(), RECOVERY_CODES);
    }
}
