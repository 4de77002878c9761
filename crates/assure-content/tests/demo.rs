//! The embedded Contour Cloud demo: it loads, its frameworks are the real ones, and the pairs auditors look
//! for first are mapped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use assure_domain::coverage::coverage;
use assure_domain::framework::RequirementKind;
use assure_domain::mapping::Relationship;
use assure_domain::programme::Programme;

fn demo() -> Programme {
    match assure_content::demo() {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

fn requirement_ids(p: &Programme, framework: &str) -> BTreeSet<String> {
    p.requirements
        .iter()
        .filter(|r| r.framework.as_str() == framework && r.kind == RequirementKind::Requirement)
        .map(|r| r.id.to_string())
        .collect()
}

#[test]
fn the_embedded_demo_loads_without_problems() {
    let p = demo();
    assert!(p.controls.len() >= 80, "{} controls", p.controls.len());
    let domains_used: BTreeSet<_> = p.controls.iter().map(|c| &c.domain).collect();
    assert!(domains_used.len() >= 12, "{} domains", domains_used.len());
    assert!(p.services.len() >= 12);
    let models: BTreeSet<_> = p.services.iter().map(|s| s.model).collect();
    assert_eq!(models.len(), 3, "services span IaaS, PaaS and SaaS");
    assert_eq!(p.tenants.len(), 6);
    assert!(p.assessor_firms.iter().all(|f| !f.assessors.is_empty()));
}

#[test]
fn iso_annex_a_is_exactly_the_93_controls_of_2022() {
    let p = demo();
    let mut expected = BTreeSet::new();
    for (theme, count) in [(5, 37), (6, 8), (7, 14), (8, 34)] {
        for n in 1..=count {
            expected.insert(format!("A.{theme}.{n}"));
        }
    }
    assert_eq!(requirement_ids(&p, "iso27001-2022"), expected);
}

#[test]
fn csf_2_has_its_106_subcategories() {
    let p = demo();
    assert_eq!(requirement_ids(&p, "nist-csf-2.0").len(), 106);
}

#[test]
fn every_control_maps_to_at_least_four_required_frameworks() {
    let p = demo();
    let required = [
        "iso27001-2022",
        "soc2",
        "nist-csf-2.0",
        "nist-800-53-r5",
        "csa-ccm-4",
        "gdpr",
        "hipaa-security",
    ];
    let mut by_control: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for m in &p.mappings {
        if required.contains(&m.framework.as_str()) {
            by_control
                .entry(m.control.as_str())
                .or_default()
                .insert(m.framework.as_str());
        }
    }
    for c in &p.controls {
        let n = by_control.get(c.id.as_str()).map_or(0, BTreeSet::len);
        assert!(n >= 4, "{} maps to {n} required frameworks", c.id);
    }
}

#[test]
fn coverage_counts_add_up_to_each_frameworks_size() {
    let p = demo();
    for f in &p.frameworks {
        let reqs: Vec<_> = p.requirements_of(&f.id).cloned().collect();
        let maps: Vec<_> = p
            .mappings
            .iter()
            .filter(|m| m.framework == f.id)
            .cloned()
            .collect();
        let c = coverage(&reqs, &maps);
        assert_eq!(
            c.covered + c.partly_covered + c.not_covered,
            c.total(),
            "{}",
            f.id
        );
        assert_eq!(
            c.total(),
            requirement_ids(&p, f.id.as_str()).len(),
            "{}",
            f.id
        );
    }
    for f in ["iso27001-2022", "soc2"] {
        let id = f.into();
        let reqs: Vec<_> = p.requirements_of(&id).cloned().collect();
        let c = coverage(&reqs, &p.mappings);
        assert!(
            c.covered_or_partly_percent() >= 85.0,
            "{f}: {:.1}%",
            c.covered_or_partly_percent()
        );
    }
}

#[test]
fn the_pairs_auditors_look_for_are_mapped() {
    let p = demo();
    let pairs = [
        ("IAM-01", "iso27001-2022", "A.8.5"),
        ("IAM-01", "soc2", "CC6.1"),
        ("IAM-01", "nist-csf-2.0", "PR.AA-03"),
        ("IAM-01", "nist-800-53-r5", "ia-2.1"),
        ("IAM-01", "csa-ccm-4", "IAM-14"),
        ("CRY-01", "iso27001-2022", "A.8.24"),
        ("CRY-01", "soc2", "CC6.1"),
        ("CRY-01", "nist-800-53-r5", "sc-28"),
        ("CRY-01", "csa-ccm-4", "CEK-03"),
        ("LOG-01", "iso27001-2022", "A.8.15"),
        ("LOG-01", "nist-800-53-r5", "au-2"),
        ("LOG-01", "nist-csf-2.0", "DE.CM-01"),
        ("INC-01", "iso27001-2022", "A.5.24"),
        ("INC-01", "iso27001-2022", "A.5.25"),
        ("INC-01", "iso27001-2022", "A.5.26"),
        ("INC-01", "nist-800-53-r5", "ir-4"),
        ("INC-01", "soc2", "CC7.4"),
        ("PRV-01", "gdpr", "Art. 28(3)(c)"),
        ("PRV-01", "gdpr", "Art. 32(1)"),
    ];
    for (control, framework, requirement) in pairs {
        let m = p.mappings.iter().find(|m| {
            m.control.as_str() == control
                && m.framework.as_str() == framework
                && m.requirement.as_str() == requirement
        });
        let Some(m) = m else {
            panic!("{control} is not mapped to {framework} {requirement}");
        };
        assert_ne!(
            m.relationship,
            Relationship::NoRelationship,
            "{control} -> {requirement}"
        );
    }
}

#[test]
fn content_carries_no_outdated_terms() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../content");
    let outdated = [
        "27001:2013",
        "ssae 16",
        "trust principles",
        "privacy shield",
        "us-cert",
        "cert-uk",
        "model contract clauses",
        "fips 140-2",
    ];
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("content folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                let text = std::fs::read_to_string(&path).expect("read").to_lowercase();
                for term in outdated {
                    assert!(!text.contains(term), "{} mentions {term:?}", path.display());
                }
            }
        }
    }
}

/// The reference catalog: `ASSURE_SHARED_DIR/data/...`, or `../shared/data` beside the repository.
fn nist_catalog() -> Option<PathBuf> {
    let shared = std::env::var_os("ASSURE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let path = shared.join("data/nist-800-53-rev5-v5.0.1/NIST_SP-800-53_rev5_catalog.json");
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have the reference data at {}",
        path.display()
    );
    eprintln!(
        "skipped: {} is absent; download NIST_SP-800-53_rev5_catalog.json (usnistgov/oscal-content, SP 800-53 rev5 5.0.1) there or set ASSURE_SHARED_DIR",
        path.display()
    );
    None
}

fn collect_ids(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    if let Some(controls) = value.get("controls").and_then(|c| c.as_array()) {
        for c in controls {
            if let Some(id) = c.get("id").and_then(|i| i.as_str()) {
                out.insert(id.to_owned());
            }
            collect_ids(c, out);
        }
    }
    if let Some(groups) = value.get("groups").and_then(|g| g.as_array()) {
        for g in groups {
            collect_ids(g, out);
        }
    }
}

#[test]
fn every_800_53_id_used_exists_in_nists_catalog() {
    let Some(path) = nist_catalog() else { return };
    let text = std::fs::read_to_string(&path).expect("read catalog");
    let catalog: serde_json::Value = serde_json::from_str(&text).expect("catalog JSON");
    let mut ids = BTreeSet::new();
    collect_ids(&catalog["catalog"], &mut ids);
    assert!(ids.len() > 1000, "catalog read: {} ids", ids.len());
    let p = demo();
    for m in p
        .mappings
        .iter()
        .filter(|m| m.framework.as_str() == "nist-800-53-r5")
    {
        assert!(
            ids.contains(m.requirement.as_str()),
            "{} maps to {}, absent from NIST's catalog",
            m.control,
            m.requirement
        );
    }
    for r in p.requirements.iter().filter(|r| {
        r.framework.as_str() == "nist-800-53-r5" && r.kind == RequirementKind::Requirement
    }) {
        assert!(
            ids.contains(r.id.as_str()),
            "requirement {} is not in NIST's catalog",
            r.id
        );
    }
}

#[test]
fn demo_tenants_span_tiers_regions_industries_and_roles() {
    let p = demo();
    let tiers: BTreeSet<_> = p.tenants.iter().filter_map(|t| t.tier).collect();
    assert_eq!(tiers.len(), 3, "every assurance tier has a demo customer");
    let roles: BTreeSet<_> = p.tenants.iter().map(|t| t.processing_role).collect();
    assert_eq!(roles.len(), 3, "controller, processor and joint controller");
    let industries: BTreeSet<_> = p.tenants.iter().map(|t| t.industry.as_str()).collect();
    assert_eq!(industries.len(), 6);
    let countries: BTreeSet<_> = p
        .tenants
        .iter()
        .flat_map(|t| &t.regions)
        .filter_map(|r| p.regions.iter().find(|x| &x.id == r))
        .map(|r| r.country.as_str())
        .collect();
    for c in ["US", "GB", "SG", "AU"] {
        assert!(countries.contains(c), "a tenant in {c}: {countries:?}");
    }
    assert!(
        countries
            .iter()
            .any(|c| ["DE", "IE", "FR", "NL"].contains(c)),
        "a tenant in the EU: {countries:?}"
    );
}
