//! Timestamps and durations as CEL sees them: both are `i64` nanoseconds (timestamps since the Unix epoch),
//! which covers the years 1678 to 2262.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Nanoseconds in a second.
pub const NANOS: i64 = 1_000_000_000;

/// Parses an RFC 3339 timestamp (`2026-01-31T12:00:00Z`) to nanoseconds since the epoch.
pub fn parse_timestamp(s: &str) -> Result<i64, String> {
    let t = OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|e| format!("'{s}' is not an RFC 3339 timestamp: {e}"))?;
    i64::try_from(t.unix_timestamp_nanos())
        .map_err(|_| format!("timestamp '{s}' is outside the years 1678-2262"))
}

/// Epoch seconds to nanoseconds, checked.
pub fn from_epoch_seconds(secs: i64) -> Result<i64, String> {
    secs.checked_mul(NANOS)
        .ok_or_else(|| format!("epoch seconds {secs} are outside the years 1678-2262"))
}

/// Formats nanoseconds since the epoch as RFC 3339 (UTC).
pub fn format_timestamp(nanos: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("{nanos}ns"))
}

/// Parses a CEL/Go duration (`8760h`, `1h30m`, `1.5s`, `-30s`, `250ms`) to nanoseconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || format!("'{s}' is not a duration (examples: 8760h, 90m, 1.5s, 250ms)");
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest.is_empty() {
        return Err(bad());
    }
    if rest == "0" {
        return Ok(0);
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if num_len == 0 {
            return Err(bad());
        }
        let num: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit: f64 = match &rest[..unit_len] {
            "h" => 3600e9,
            "m" => 60e9,
            "s" => 1e9,
            "ms" => 1e6,
            "us" | "µs" => 1e3,
            "ns" => 1.0,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        let part = num * unit;
        if !part.is_finite() || part.abs() > 9.2e18 {
            return Err(format!("duration '{s}' is out of range"));
        }
        total += part.round() as i128;
    }
    let total = if neg { -total } else { total };
    i64::try_from(total).map_err(|_| format!("duration '{s}' is out of range"))
}

/// Formats nanoseconds as a CEL duration string in seconds (`31536000s`).
pub fn format_duration(nanos: i64) -> String {
    if nanos % NANOS == 0 {
        format!("{}s", nanos / NANOS)
    } else {
        format!("{}s", nanos as f64 / NANOS as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_cel() {
        assert_eq!(parse_duration("8760h"), Ok(31_536_000 * NANOS));
        assert_eq!(parse_duration("1h30m"), Ok(5400 * NANOS));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("-30s"), Ok(-30 * NANOS));
        assert_eq!(parse_duration("250ms"), Ok(250_000_000));
        assert!(parse_duration("10d").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn timestamps_round_trip() {
        let t = parse_timestamp("2026-09-21T14:13:20Z");
        assert_eq!(t, Ok(1_790_000_000 * NANOS));
        assert_eq!(
            format_timestamp(1_790_000_000 * NANOS),
            "2026-09-21T14:13:20Z"
        );
        assert!(parse_timestamp("yesterday").is_err());
    }
}
