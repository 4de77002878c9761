use serde_json::json;

use super::*;
use crate::mapping::Relationship;
use crate::responsibility::Assignment;

/// Two controls, two services (IaaS `vm`, SaaS `mail`), three tenants: `a` uses vm, `b` uses mail, `c`
/// uses vm with the `managed` option on.
fn programme() -> Programme {
    let assignment = |r: &str| json!({"responsibility": r, "provider_part": "provider does it", "customer_part": "customer does it"});
    let tenant = |id: &str, services: serde_json::Value| {
        json!({"id": id, "legal_name": id, "industry": "bank", "contract_ref": null,
               "processing_role": "controller", "tier": null, "regions": ["r1"], "contacts": [],
               "services": services, "frameworks": ["fw"]})
    };
    serde_json::from_value(json!({
        "provider": {"name": "P", "legal_name": "P", "website": "https://p.example"},
        "regions": [{"id": "r1", "name": "R1", "country": "GB"}],
        "domains": [{"id": "IAM", "name": "Identity", "description": "d"}],
        "controls": [
            {"id": "IAM-01", "domain": "IAM", "title": "MFA", "statement": "s1", "test_procedure": "t1", "evidence": ["e1"]},
            {"id": "IAM-02", "domain": "IAM", "title": "Reviews", "statement": "s2", "test_procedure": "t2", "evidence": ["e2"]}
        ],
        "defaults": [
            {"control": "IAM-01", "iaas": assignment("customer"), "paas": assignment("shared"), "saas": assignment("provider")},
            {"control": "IAM-02", "iaas": assignment("customer"), "paas": assignment("shared"), "saas": assignment("provider")}
        ],
        "frameworks": [{"id": "fw", "name": "FW", "version": "1", "publisher": "X", "licence": "ids only"}],
        "requirements": [
            {"framework": "fw", "id": "1", "title": "one", "text": null, "parent": null, "kind": "requirement", "position": 0},
            {"framework": "fw", "id": "2", "title": "two", "text": null, "parent": null, "kind": "requirement", "position": 1}
        ],
        "mappings": [
            {"control": "IAM-01", "framework": "fw", "requirement": "1", "relationship": "equal-to", "rationale": "r"},
            {"control": "IAM-02", "framework": "fw", "requirement": "2", "relationship": "subset-of", "rationale": "r"}
        ],
        "services": [
            {"id": "vm", "name": "VM", "model": "iaas", "description": "d", "regions": ["r1"],
             "options": [{"id": "managed", "name": "Managed", "direction": "towards-provider"}]},
            {"id": "mail", "name": "Mail", "model": "saas", "description": "d", "regions": ["r1"], "options": []}
        ],
        "entries": [],
        "option_rules": [
            {"service": "vm", "option": "managed", "control": "IAM-02", "assignment": assignment("provider"), "reason": "managed"}
        ],
        "tenants": [
            tenant("a", json!([{"service": "vm", "options": []}])),
            tenant("b", json!([{"service": "mail", "options": []}])),
            tenant("c", json!([{"service": "vm", "options": ["managed"]}]))
        ],
        "assessor_firms": [],
        "users": []
    }))
    .expect("fixture programme")
}

fn entry(service: &str, control: &str, r: Responsibility) -> Change {
    Change::Entry {
        entry: ResponsibilityEntry {
            service: service.into(),
            control: control.into(),
            assignment: Assignment {
                responsibility: r,
                provider_part: Some("provider runs it".into()),
                customer_part: Some("customer runs it".into()),
            },
            reason: "threat".into(),
        },
    }
}

#[test]
fn the_fixture_is_a_valid_programme() {
    assert_eq!(programme().validate(), vec![]);
}

#[test]
fn a_new_entry_changes_exactly_the_tenants_using_its_service_cell_by_cell() {
    let p = programme();
    let current = Baseline::of(&p);
    let mut next = current.clone();
    next.apply(&entry("vm", "IAM-01", Responsibility::Shared), &p)
        .expect("valid change");
    let impact = impact(&p, &current, &next, &NoEngagements).expect("impact");
    let tenants: Vec<&str> = impact.tenants.iter().map(|t| t.tenant.as_str()).collect();
    assert_eq!(tenants, ["a", "c"], "b uses mail, not vm");
    for t in &impact.tenants {
        assert_eq!(t.cells.len(), 1);
        let cell = &t.cells[0];
        assert_eq!(cell.control.as_str(), "IAM-01");
        assert_eq!(
            cell.before.as_ref().map(|c| c.responsibility),
            Some(Responsibility::Customer)
        );
        assert_eq!(
            cell.after.as_ref().map(|c| c.responsibility),
            Some(Responsibility::Shared)
        );
    }
    assert!(impact.frameworks.is_empty(), "no mapping moved");
    assert!(impact.engagements.is_empty());
}

#[test]
fn an_entry_under_an_option_rule_moves_only_that_tenants_explanation() {
    let p = programme();
    let current = Baseline::of(&p);
    let mut next = current.clone();
    next.apply(&entry("vm", "IAM-02", Responsibility::Shared), &p)
        .expect("valid change");
    let impact = impact(&p, &current, &next, &NoEngagements).expect("impact");
    let tenants: Vec<&str> = impact.tenants.iter().map(|t| t.tenant.as_str()).collect();
    // c's managed option decides IAM-02 after the entry; only its explanation moves, so it is listed with
    // the same responsibility before and after.
    assert_eq!(tenants, ["a", "c"]);
    let c = &impact.tenants[1].cells[0];
    assert_eq!(
        c.before.as_ref().map(|x| x.responsibility),
        Some(Responsibility::Provider)
    );
    assert_eq!(
        c.after.as_ref().map(|x| x.responsibility),
        Some(Responsibility::Provider)
    );
    assert_ne!(
        c.before.as_ref().map(|x| &x.explanation),
        c.after.as_ref().map(|x| &x.explanation)
    );
}

#[test]
fn retyping_a_mapping_moves_that_frameworks_coverage_and_no_matrix() {
    let p = programme();
    let current = Baseline::of(&p);
    let mut next = current.clone();
    next.apply(
        &Change::Mapping {
            mapping: Mapping {
                control: "IAM-01".into(),
                framework: "fw".into(),
                requirement: "1".into(),
                relationship: Relationship::IntersectsWith,
                rationale: "only part".into(),
                provenance: None,
            },
        },
        &p,
    )
    .expect("valid change");
    let impact = impact(&p, &current, &next, &NoEngagements).expect("impact");
    assert!(impact.tenants.is_empty());
    assert_eq!(impact.frameworks.len(), 1);
    let m = &impact.frameworks[0];
    assert_eq!(m.before.covered, 1);
    assert_eq!(m.after.covered, 0);
    assert_eq!(m.after.partly_covered, 2);
    assert_eq!(m.requirements.len(), 1);
    assert_eq!(m.requirements[0].after, CoverageStatus::PartlyCovered);
}

#[test]
fn a_change_that_breaks_the_programme_is_refused_and_leaves_the_draft_alone() {
    let p = programme();
    let mut draft = Baseline::of(&p);
    let unknown_requirement = Change::Mapping {
        mapping: Mapping {
            control: "IAM-01".into(),
            framework: "fw".into(),
            requirement: "99".into(),
            relationship: Relationship::EqualTo,
            rationale: "r".into(),
            provenance: None,
        },
    };
    let e = draft.apply(&unknown_requirement, &p).expect_err("refused");
    assert!(e.to_string().contains("unknown requirement 99"), "{e}");
    let last_mapping = Change::RemoveMapping {
        control: "IAM-01".into(),
        framework: "fw".into(),
        requirement: "1".into(),
    };
    let e = draft.apply(&last_mapping, &p).expect_err("refused");
    assert!(e.to_string().contains("no mapping"), "{e}");
    let unknown = Change::RemoveEntry {
        service: "vm".into(),
        control: "IAM-01".into(),
    };
    assert!(matches!(
        draft.apply(&unknown, &p),
        Err(ChangeError::Unknown(_))
    ));
    assert_eq!(draft, Baseline::of(&p));
}

#[test]
fn a_control_keeps_its_domain() {
    let p = programme();
    let mut draft = Baseline::of(&p);
    let mut c = p.controls[0].clone();
    c.domain = "NET".into();
    assert!(matches!(
        draft.apply(&Change::Control { control: c }, &p),
        Err(ChangeError::DomainFixed(_))
    ));
}

#[test]
fn diff_names_each_changed_object_and_field() {
    let p = programme();
    let current = Baseline::of(&p);
    let mut next = current.clone();
    let mut c = p.controls[0].clone();
    c.statement = "new statement".into();
    next.apply(&Change::Control { control: c }, &p).expect("ok");
    next.apply(&entry("vm", "IAM-01", Responsibility::Shared), &p)
        .expect("ok");
    next.apply(
        &Change::RemoveOptionRule {
            service: "vm".into(),
            option: "managed".into(),
            control: "IAM-02".into(),
        },
        &p,
    )
    .expect("ok");
    let d = diff(&current, &next);
    let summary: Vec<(ObjectKind, &str, DiffKind, Vec<String>)> = d
        .iter()
        .map(|x| (x.object, x.id.as_str(), x.kind, x.fields.clone()))
        .collect();
    assert_eq!(
        summary[0],
        (
            ObjectKind::Control,
            "IAM-01",
            DiffKind::Modified,
            vec!["statement".to_owned()]
        )
    );
    assert_eq!(summary[1].0, ObjectKind::Entry);
    assert_eq!(summary[1].2, DiffKind::Added);
    assert_eq!(
        summary[2],
        (
            ObjectKind::OptionRule,
            "vm/managed/IAM-02",
            DiffKind::Removed,
            summary[2].3.clone()
        )
    );
    assert_eq!(summary.len(), 3);
    assert!(diff(&next, &next).is_empty());
}

fn ask(t: Transition, actor: &str) -> Request<'_> {
    Request {
        transition: t,
        actor,
        author: "user:alice",
        reviewers: &[],
    }
}

#[test]
fn the_author_cannot_approve() {
    let e = next_state(
        VersionState::InReview,
        ask(Transition::Approve, "user:alice"),
    )
    .expect_err("two-person rule");
    assert_eq!(e, TransitionError::AuthorCannotApprove("user:alice".into()));
    assert!(e.to_string().contains("two-person rule"));
    assert_eq!(
        next_state(VersionState::InReview, ask(Transition::Approve, "user:bob")),
        Ok(VersionState::Approved)
    );
}

#[test]
fn nothing_is_published_without_approval_and_the_refusal_says_so() {
    for state in [VersionState::Draft, VersionState::InReview] {
        let e = next_state(state, ask(Transition::Publish, "user:bob")).expect_err("refused");
        assert_eq!(e, TransitionError::NotApproved(state));
        assert!(e.to_string().contains("without approval"), "{e}");
    }
    assert_eq!(
        next_state(
            VersionState::Approved,
            ask(Transition::Publish, "user:alice")
        ),
        Ok(VersionState::Published)
    );
}

#[test]
fn every_illegal_transition_is_refused_naming_the_allowed_ones() {
    let states = [
        VersionState::Draft,
        VersionState::InReview,
        VersionState::Approved,
        VersionState::Published,
        VersionState::Withdrawn,
    ];
    let all = [
        Transition::Submit,
        Transition::Return,
        Transition::Approve,
        Transition::Publish,
        Transition::Withdraw,
    ];
    let reviewers = vec!["user:bob".to_owned()];
    let mut legal = 0;
    for from in states {
        for t in all {
            let request = Request {
                transition: t,
                actor: "user:carol",
                author: "user:alice",
                reviewers: &reviewers,
            };
            match next_state(from, request) {
                Ok(to) => {
                    legal += 1;
                    assert!(Transition::allowed_from(from).contains(&t));
                    assert_eq!(to, t.target());
                }
                Err(e) => {
                    assert!(!Transition::allowed_from(from).contains(&t));
                    let text = e.to_string();
                    if let TransitionError::NotAllowed { .. } = e {
                        let allowed = in_words(Transition::allowed_from(from));
                        assert!(text.ends_with(&allowed), "{text}");
                    }
                }
            }
        }
    }
    assert_eq!(
        legal, 8,
        "submit, approve, return twice, publish, withdraw from each open state"
    );
    let e = next_state(VersionState::Published, ask(Transition::Return, "user:bob"))
        .expect_err("final");
    assert!(
        e.to_string()
            .contains("a published or withdrawn version is final"),
        "{e}"
    );
}

#[test]
fn review_needs_reviewers_other_than_the_author() {
    assert_eq!(
        next_state(VersionState::Draft, ask(Transition::Submit, "user:alice")),
        Err(TransitionError::NoReviewers)
    );
    let me = vec!["user:alice".to_owned()];
    let request = Request {
        reviewers: &me,
        ..ask(Transition::Submit, "user:alice")
    };
    assert_eq!(
        next_state(VersionState::Draft, request),
        Err(TransitionError::AuthorAsReviewer("user:alice".into()))
    );
}

#[test]
fn threat_references_are_checked() {
    let reference = |source, id: &str, url: &str| Trigger::ThreatIntelligence {
        reference: ThreatReference {
            source,
            id: id.into(),
            url: url.into(),
            date: time::macros::date!(2024 - 03 - 29),
        },
    };
    let nvd = "https://nvd.nist.gov/vuln/detail/CVE-2024-3094";
    assert_eq!(
        reference(ThreatSource::Cve, "CVE-2024-3094", nvd).validate(),
        Ok(())
    );
    assert_eq!(
        reference(ThreatSource::Kev, "CVE-2024-3094", nvd).validate(),
        Ok(())
    );
    assert!(matches!(
        reference(ThreatSource::Kev, "xz backdoor", nvd).validate(),
        Err(TriggerError::NotACve { .. })
    ));
    assert!(matches!(
        reference(ThreatSource::VendorAdvisory, "VSA-2024-01", "ftp://x").validate(),
        Err(TriggerError::BadUrl(_))
    ));
    assert_eq!(
        reference(
            ThreatSource::VendorAdvisory,
            "VSA-2024-01",
            "https://vendor.example/vsa"
        )
        .validate(),
        Ok(())
    );
}

#[test]
fn the_version_in_force_is_the_latest_effective_at_or_before_the_instant() {
    let t =
        |h: u8| time::macros::datetime!(2026-01-01 00:00 UTC) + time::Duration::hours(i64::from(h));
    let versions = [(1, Some(t(0))), (2, Some(t(10))), (3, None)];
    let pick = |at| in_force_at(&versions, at, |v| v.1).map(|v| v.0);
    assert_eq!(pick(t(0) - time::Duration::SECOND), None);
    assert_eq!(pick(t(5)), Some(1));
    assert_eq!(pick(t(10)), Some(2));
    assert_eq!(pick(t(100)), Some(2), "a draft is never in force");
}

/// An engagement source as the engagements feature will provide: one engagement scoped to IAM-01.
struct OneEngagement;

impl EngagementScopes for OneEngagement {
    fn touching(&self, controls: &BTreeSet<ControlId>) -> Vec<EngagementImpact> {
        let scope: ControlId = "IAM-01".into();
        if controls.contains(&scope) {
            vec![EngagementImpact {
                engagement: "eng-1".into(),
                tenant: "a".into(),
                controls: vec![scope],
            }]
        } else {
            Vec::new()
        }
    }
}

#[test]
fn engagements_whose_scope_touches_a_changed_control_are_listed_through_the_hook() {
    let p = programme();
    let current = Baseline::of(&p);
    let mut touching = current.clone();
    let mut c = p.controls[0].clone();
    c.test_procedure = "sample 25 privileged logins".into();
    touching
        .apply(&Change::Control { control: c }, &p)
        .expect("ok");
    let listed = impact(&p, &current, &touching, &OneEngagement).expect("impact");
    assert_eq!(listed.engagements.len(), 1);
    assert!(listed.tenants.is_empty(), "a test procedure moves no cell");
    let mut elsewhere = current.clone();
    let mut c = p.controls[1].clone();
    c.statement = "quarterly reviews".into();
    elsewhere
        .apply(&Change::Control { control: c }, &p)
        .expect("ok");
    let none = impact(&p, &current, &elsewhere, &OneEngagement).expect("impact");
    assert!(none.engagements.is_empty());
}

#[test]
fn a_whole_baseline_replacing_this_one_keeps_its_controls_and_services() {
    let p = programme();
    let mut draft = Baseline::of(&p);
    let mut fewer = draft.clone();
    fewer.controls.pop();
    let e = draft
        .apply(
            &Change::Baseline {
                baseline: Box::new(fewer),
            },
            &p,
        )
        .expect_err("refused");
    assert_eq!(e, ChangeError::DifferentObjects);
    let mut same = draft.clone();
    same.entries.clear();
    same.controls[0].statement = "restated".into();
    draft
        .apply(
            &Change::Baseline {
                baseline: Box::new(same.clone()),
            },
            &p,
        )
        .expect("same objects, new content");
    assert_eq!(draft, same);
}

#[test]
fn changes_keep_the_order_the_store_lists_them_in() {
    let p = programme();
    let mut draft = Baseline::of(&p);
    // Added in reverse: the draft lists them by service, then control, as the store does.
    draft
        .apply(&entry("mail", "IAM-02", Responsibility::Provider), &p)
        .expect("ok");
    draft
        .apply(&entry("vm", "IAM-02", Responsibility::Customer), &p)
        .expect("ok");
    draft
        .apply(&entry("vm", "IAM-01", Responsibility::Customer), &p)
        .expect("ok");
    let order: Vec<String> = draft
        .entries
        .iter()
        .map(|e| format!("{}/{}", e.service, e.control))
        .collect();
    assert_eq!(order, ["vm/IAM-01", "vm/IAM-02", "mail/IAM-02"]);
}
