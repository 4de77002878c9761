//! Properties of the matrix over random profiles of the demo catalogue: options move responsibility only
//! their declared way, removing a service removes exactly its part, and a control is shared exactly when
//! its services disagree or one of them says shared.

use std::collections::BTreeSet;

use assure_domain::matrix::{Matrix, ResponsibilityModel};
use assure_domain::programme::Programme;
use assure_domain::responsibility::Responsibility;
use assure_domain::tenant::{ServiceUse, Tenant};
use proptest::prelude::*;

fn programme() -> &'static Programme {
    static P: std::sync::OnceLock<Programme> = std::sync::OnceLock::new();
    P.get_or_init(|| assure_content::demo().expect("demo loads"))
}

fn tenant_with(services: Vec<ServiceUse>) -> Tenant {
    let mut t = programme().tenants[0].clone();
    t.services = services;
    t.regions = vec!["us-east".into()];
    t
}

fn matrix(t: &Tenant) -> Matrix {
    ResponsibilityModel::new(programme())
        .expect("model")
        .matrix(t)
        .expect("matrix")
}

/// A random profile: each service in or out, each of its options on or off.
fn profiles() -> impl Strategy<Value = Vec<ServiceUse>> {
    let services = &programme().services;
    let n_bits: usize = services.iter().map(|s| 1 + s.options.len()).sum();
    proptest::collection::vec(any::<bool>(), n_bits).prop_map(move |bits| {
        let mut bits = bits.into_iter();
        let mut uses = Vec::new();
        for s in services {
            let on = bits.next().unwrap_or(false);
            let options: Vec<_> = s
                .options
                .iter()
                .filter(|_| bits.next().unwrap_or(false))
                .map(|o| o.id.clone())
                .collect();
            if on {
                uses.push(ServiceUse {
                    service: s.id.clone(),
                    options,
                });
            }
        }
        uses
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn an_option_never_moves_a_pair_against_its_declared_direction(uses in profiles()) {
        let with = matrix(&tenant_with(uses.clone()));
        for (i, u) in uses.iter().enumerate() {
            let service = programme().services.iter().find(|s| s.id == u.service).expect("service");
            for option in &u.options {
                let direction = service.options.iter().find(|o| &o.id == option).expect("option").direction;
                let mut without = uses.clone();
                without[i].options.retain(|o| o != option);
                let before = matrix(&tenant_with(without));
                for (a, b) in before.rows.iter().zip(&with.rows) {
                    let from = a.services[i].responsibility;
                    let to = b.services[i].responsibility;
                    prop_assert!(
                        from.moves_in(to, direction),
                        "option {option} of {} moved {} from {} to {}", u.service, a.control, from.as_str(), to.as_str()
                    );
                }
            }
        }
    }

    #[test]
    fn removing_a_service_removes_exactly_its_part_and_nothing_else(uses in profiles(), pick in any::<prop::sample::Index>()) {
        prop_assume!(!uses.is_empty());
        let gone = pick.index(uses.len());
        let full = matrix(&tenant_with(uses.clone()));
        let mut fewer = uses.clone();
        let removed = fewer.remove(gone);
        let less = matrix(&tenant_with(fewer));
        for (a, b) in full.rows.iter().zip(&less.rows) {
            let kept: Vec<_> = a.services.iter().filter(|c| c.service != removed.service).cloned().collect();
            prop_assert_eq!(&kept, &b.services, "control {}", a.control);
        }
    }

    #[test]
    fn a_control_is_shared_exactly_when_its_services_disagree_or_one_says_shared(uses in profiles()) {
        for row in matrix(&tenant_with(uses)).rows {
            let applicable: BTreeSet<Responsibility> = row.services.iter()
                .map(|c| c.responsibility)
                .filter(|r| *r != Responsibility::NotApplicable)
                .collect();
            let expect_shared = applicable.len() > 1 || applicable.contains(&Responsibility::Shared);
            prop_assert_eq!(row.responsibility == Responsibility::Shared, expect_shared, "control {}", row.control);
            prop_assert_eq!(row.responsibility == Responsibility::NotApplicable, applicable.is_empty());
        }
    }
}
