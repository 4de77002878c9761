//! Times the matrix: one tenant using every service (goal: median under 5 ms), and recomputing 1,000
//! tenants with varied profiles (goal: under 2 s). Run with `cargo bench -p assure-reports --bench matrix`.

use std::time::{Duration, Instant};

use assure_domain::matrix::ResponsibilityModel;
use assure_domain::tenant::{ServiceUse, Tenant};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let programme = assure_content::demo().expect("demo loads");
    let base = programme.tenants[0].clone();
    let every = Tenant {
        services: programme
            .services
            .iter()
            .map(|s| ServiceUse {
                service: s.id.clone(),
                options: s.options.iter().map(|o| o.id.clone()).collect(),
            })
            .collect(),
        regions: vec!["us-east".into()],
        ..base.clone()
    };
    let model = ResponsibilityModel::new(&programme).expect("model");
    let one: Vec<Duration> = (0..200)
        .map(|_| {
            let t = Instant::now();
            let m = model.matrix(&every).expect("matrix");
            std::hint::black_box(m);
            t.elapsed()
        })
        .collect();
    println!(
        "one tenant, all {} services and options, {} controls: median {:.3} ms",
        every.services.len(),
        programme.controls.len(),
        median(one).as_secs_f64() * 1e3
    );

    // 1,000 tenants, each a different subset of services (bit pattern of its number).
    let tenants: Vec<Tenant> = (0..1000u32)
        .map(|i| Tenant {
            services: every
                .services
                .iter()
                .enumerate()
                .filter(|(k, _)| (i.wrapping_mul(2_654_435_761) >> (k % 32)) & 1 == 1)
                .map(|(_, u)| u.clone())
                .collect(),
            ..every.clone()
        })
        .collect();
    let runs: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let model = ResponsibilityModel::new(&programme).expect("model");
            for tenant in &tenants {
                std::hint::black_box(model.matrix(tenant).expect("matrix"));
            }
            t.elapsed()
        })
        .collect();
    println!(
        "1,000 tenants recomputed (model indexed once per run): median {:.1} ms",
        median(runs).as_secs_f64() * 1e3
    );
}
