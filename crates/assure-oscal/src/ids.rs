//! Control ids: OSCAL's (`ac-2.1`) are what Assure stores; people read 800-53's (`AC-2(1)`).

/// Displays an OSCAL control id the way NIST prints it: `ac-2` -> `AC-2`, `ac-2.1` -> `AC-2(1)`,
/// `ac-2.1.a` stays readable as `AC-2(1)(a)`. Ids that do not look like 800-53 ids are upper-cased as they are.
pub fn display_control_id(id: &str) -> String {
    let mut parts = id.split('.');
    let base = parts.next().unwrap_or_default().to_uppercase();
    let mut out = base;
    for p in parts {
        out.push('(');
        out.push_str(p);
        out.push(')');
    }
    out
}

/// Parses the displayed form back to an OSCAL id: `AC-2(1)` -> `ac-2.1`. Returns the input lower-cased when it
/// has no enhancement suffix.
pub fn oscal_control_id(display: &str) -> String {
    let trimmed = display.trim();
    let mut out = String::with_capacity(trimmed.len());
    for ch in trimmed.chars() {
        match ch {
            '(' => out.push('.'),
            ')' | ' ' => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    // "AC-02" (zero padded, as in 800-53A ODP ids) is "ac-2" in OSCAL.
    match out.split_once('-') {
        Some((family, rest)) if rest.starts_with('0') && rest.len() > 1 => {
            let digits_end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let number = rest[..digits_end].trim_start_matches('0');
            let number = if number.is_empty() { "0" } else { number };
            format!("{family}-{number}{}", &rest[digits_end..])
        }
        _ => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enhancement_ids_display_with_parentheses() {
        assert_eq!(display_control_id("ac-2"), "AC-2");
        assert_eq!(display_control_id("ac-2.1"), "AC-2(1)");
        assert_eq!(display_control_id("si-4.24"), "SI-4(24)");
    }

    #[test]
    fn displayed_ids_parse_back() {
        assert_eq!(oscal_control_id("AC-2(1)"), "ac-2.1");
        assert_eq!(oscal_control_id("AC-02"), "ac-2");
        assert_eq!(oscal_control_id("SC-7 (5)"), "sc-7.5");
    }
}
