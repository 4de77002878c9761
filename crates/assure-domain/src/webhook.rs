//! Webhook signatures: outbound deliveries signed with HMAC-SHA256 over a timestamp and the body; inbound
//! GitHub deliveries verified by `X-Hub-Signature-256`, Jira deliveries by a shared secret; every comparison
//! in constant time.

use hmac::{Hmac, KeyInit, Mac};
use sha2_11::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Header carrying the signature of an outbound delivery: `sha256=HEX` of `TIMESTAMP.BODY`.
pub const SIGNATURE_HEADER: &str = "X-Assure-Signature-256";
/// Header carrying the Unix time (seconds) the signature covers, so a receiver can refuse replays.
pub const TIMESTAMP_HEADER: &str = "X-Assure-Timestamp";
/// Header carrying the delivery's idempotency key, the same on every retry.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// GitHub's signature header.
pub const GITHUB_SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

/// Why an inbound webhook was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing")]
    Missing,
    #[error("the signature header is malformed (expected sha256=HEX)")]
    Malformed,
    #[error("the signature does not match the body")]
    Mismatch,
    #[error("the shared secret does not match")]
    WrongSecret,
    #[error("the timestamp is outside the accepted window")]
    Stale,
    #[error("no secret is configured")]
    NoSecret,
}

fn mac(secret: &[u8]) -> Result<HmacSha256, SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    HmacSha256::new_from_slice(secret).map_err(|_| SignatureError::NoSecret)
}

/// The signature header value of an outbound delivery at `timestamp` (Unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> Result<String, SignatureError> {
    let mut m = mac(secret)?;
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    Ok(format!("sha256={}", hex::encode(m.finalize().into_bytes())))
}

fn hex_tag(header: Option<&str>) -> Result<Vec<u8>, SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex_part = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    let tag = hex::decode(hex_part).map_err(|_| SignatureError::Malformed)?;
    if tag.len() != 32 {
        return Err(SignatureError::Malformed);
    }
    Ok(tag)
}

/// Verifies an outbound-style signature (what a receiver of Assure's webhooks does), refusing timestamps
/// more than `tolerance_secs` from `now`.
pub fn verify(
    secret: &[u8],
    timestamp: i64,
    header: Option<&str>,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let tag = hex_tag(header)?;
    if (now - timestamp).abs() > tolerance_secs {
        return Err(SignatureError::Stale);
    }
    let mut m = mac(secret)?;
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m.verify_slice(&tag).map_err(|_| SignatureError::Mismatch)
}

/// Verifies GitHub's `X-Hub-Signature-256` (HMAC-SHA256 of the raw body) in constant time.
pub fn verify_github(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
) -> Result<(), SignatureError> {
    let tag = hex_tag(header)?;
    let mut m = mac(secret)?;
    m.update(body);
    m.verify_slice(&tag).map_err(|_| SignatureError::Mismatch)
}

/// Verifies the shared secret a Jira webhook presents (a header or query parameter the operator chose), in
/// constant time: both sides are hashed with a keyed MAC first, so neither length nor content leaks.
pub fn verify_shared_secret(
    expected: &[u8],
    presented: Option<&str>,
) -> Result<(), SignatureError> {
    let presented = presented.ok_or(SignatureError::Missing)?;
    if expected.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let digest = |value: &[u8]| -> Result<Vec<u8>, SignatureError> {
        let mut m = mac(b"assure-shared-secret-comparison")?;
        m.update(value);
        Ok(m.finalize().into_bytes().to_vec())
    };
    let mut m = mac(b"assure-shared-secret-comparison")?;
    m.update(presented.as_bytes());
    m.verify_slice(&digest(expected)?)
        .map_err(|_| SignatureError::WrongSecret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbound_signatures_verify_and_refuse_tampering_and_replay() {
        let body = br#"{"finding":"F-1"}"#;
        let sig = sign(b"s3cret", 1_700_000_000, body).expect("test value");
        assert!(sig.starts_with("sha256="));
        assert_eq!(
            verify(
                b"s3cret",
                1_700_000_000,
                Some(&sig),
                body,
                1_700_000_100,
                300
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                b"s3cret",
                1_700_000_000,
                Some(&sig),
                b"{}",
                1_700_000_000,
                300
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                b"s3cret",
                1_700_000_001,
                Some(&sig),
                body,
                1_700_000_001,
                300
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                b"s3cret",
                1_700_000_000,
                Some(&sig),
                body,
                1_700_001_000,
                300
            ),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(
                b"other",
                1_700_000_000,
                Some(&sig),
                body,
                1_700_000_000,
                300
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(sign(b"", 1, body), Err(SignatureError::NoSecret));
    }

    #[test]
    fn github_signatures_match_githubs_documented_example() {
        // GitHub's documentation: secret "It's a Secret to Everybody", payload "Hello, World!".
        let header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(
            verify_github(
                b"It's a Secret to Everybody",
                Some(header),
                b"Hello, World!"
            ),
            Ok(())
        );
        assert_eq!(
            verify_github(
                b"It's a Secret to Everybody",
                Some(header),
                b"Hello, World?"
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify_github(b"x", None, b""), Err(SignatureError::Missing));
        assert_eq!(
            verify_github(b"x", Some("sha1=abcd"), b""),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_github(b"x", Some("sha256=zz"), b""),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn jira_shared_secrets_compare_whole() {
        assert_eq!(verify_shared_secret(b"tok-123", Some("tok-123")), Ok(()));
        assert_eq!(
            verify_shared_secret(b"tok-123", Some("tok-12")),
            Err(SignatureError::WrongSecret)
        );
        assert_eq!(
            verify_shared_secret(b"tok-123", None),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_shared_secret(b"", Some("")),
            Err(SignatureError::NoSecret)
        );
    }
}
