//! CISA's Known Exploited Vulnerabilities catalogue, as the operator imports it from the JSON file CISA
//! publishes (`known_exploited_vulnerabilities.json`). Assure never fetches it: the operator brings the file.
//!
//! A finding whose CVE is listed runs on the shortest clock of its remediation policy
//! (`RemediationPolicy::due_at` with `known_exploited`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One listed vulnerability (the fields Assure uses; the file's others are ignored).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KevEntry {
    #[serde(rename = "cveID")]
    pub cve_id: String,
    #[serde(default)]
    pub vendor_project: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub vulnerability_name: String,
    /// `YYYY-MM-DD`, as CISA writes it.
    #[serde(default)]
    pub date_added: String,
    /// CISA's own due date for federal agencies, `YYYY-MM-DD`.
    #[serde(default)]
    pub due_date: String,
    #[serde(default)]
    pub known_ransomware_campaign_use: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KevFile {
    #[serde(default)]
    catalog_version: String,
    #[serde(default)]
    date_released: String,
    vulnerabilities: Vec<KevEntry>,
}

/// The imported catalogue, keyed by CVE ID.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevCatalogue {
    pub catalog_version: String,
    pub date_released: String,
    pub entries: BTreeMap<String, KevEntry>,
}

/// Why a catalogue file was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KevError {
    #[error("the file is not CISA's KEV JSON: {0}")]
    Malformed(String),
    #[error("entry {index}: {cve:?} is not a CVE ID (CVE-YYYY-NNNN)")]
    BadCve { index: usize, cve: String },
}

/// Whether `text` is a CVE ID: `CVE-` a four-digit year `-` at least four digits.
pub fn is_cve_id(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, number)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.chars().all(|c| c.is_ascii_digit())
        && number.len() >= 4
        && number.len() <= 19
        && number.chars().all(|c| c.is_ascii_digit())
}

impl KevCatalogue {
    /// Reads CISA's JSON; every entry must carry a well-formed CVE ID, or nothing is imported.
    pub fn parse(json: &str) -> Result<Self, KevError> {
        let file: KevFile =
            serde_json::from_str(json).map_err(|e| KevError::Malformed(e.to_string()))?;
        let mut entries = BTreeMap::new();
        for (index, entry) in file.vulnerabilities.into_iter().enumerate() {
            let cve = entry.cve_id.trim().to_ascii_uppercase();
            if !is_cve_id(&cve) {
                return Err(KevError::BadCve {
                    index,
                    cve: entry.cve_id,
                });
            }
            entries.insert(
                cve.clone(),
                KevEntry {
                    cve_id: cve,
                    ..entry
                },
            );
        }
        Ok(Self {
            catalog_version: file.catalog_version,
            date_released: file.date_released,
            entries,
        })
    }

    /// Whether a CVE is known to be exploited (case-insensitive).
    pub fn lists(&self, cve: &str) -> bool {
        self.entries
            .contains_key(cve.trim().to_ascii_uppercase().as_str())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "title": "CISA Catalog of Known Exploited Vulnerabilities",
      "catalogVersion": "2026.01.15",
      "dateReleased": "2026-01-15T17:00:00.000Z",
      "count": 2,
      "vulnerabilities": [
        {"cveID": "CVE-2021-44228", "vendorProject": "Apache", "product": "Log4j2",
         "vulnerabilityName": "Apache Log4j2 Remote Code Execution Vulnerability",
         "dateAdded": "2021-12-10", "shortDescription": "...", "requiredAction": "...",
         "dueDate": "2021-12-24", "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": ["CWE-20"]},
        {"cveID": "cve-2023-4966", "vendorProject": "Citrix", "product": "NetScaler",
         "vulnerabilityName": "Citrix Bleed", "dateAdded": "2023-10-18", "dueDate": "2023-11-08"}
      ]
    }"#;

    #[test]
    fn reads_cisas_file_and_looks_cves_up_case_insensitively() {
        let kev = KevCatalogue::parse(SAMPLE).expect("test value");
        assert_eq!(kev.len(), 2);
        assert_eq!(kev.catalog_version, "2026.01.15");
        assert!(kev.lists("CVE-2021-44228"));
        assert!(kev.lists("cve-2023-4966"));
        assert!(!kev.lists("CVE-2020-0001"));
        assert_eq!(kev.entries["CVE-2021-44228"].product, "Log4j2");
    }

    #[test]
    fn a_malformed_file_or_cve_imports_nothing() {
        assert!(matches!(
            KevCatalogue::parse("{}"),
            Err(KevError::Malformed(_))
        ));
        let bad = r#"{"vulnerabilities": [{"cveID": "CVE-2021-44228"}, {"cveID": "CVE-21-1"}]}"#;
        assert_eq!(
            KevCatalogue::parse(bad),
            Err(KevError::BadCve {
                index: 1,
                cve: "CVE-21-1".into()
            })
        );
    }

    #[test]
    fn cve_ids() {
        assert!(is_cve_id("CVE-2024-12345"));
        assert!(!is_cve_id("CVE-2024-123"));
        assert!(!is_cve_id("GHSA-xxxx"));
        assert!(!is_cve_id("CVE-24-1234"));
    }
}
