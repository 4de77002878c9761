//! Benchmark: one escalation sweep over many open findings.
//!
//! `escalation-bench --url sqlite:///tmp/bench.db --findings 1000000 --due 10000` loads that many open
//! provider-owned findings with their deadline jobs (batch inserts straight into the tables), `--due` of
//! them with a deadline already passed, then times one `Scheduler::sweep` (every due job claimed, alerts
//! recorded once with their audit records, jobs moved on). Prints the load and sweep times. `--no-load`
//! sweeps a database loaded before: `--load-only` then a copy of the SQLite file repeats a run.

use std::time::Instant;

use assure_domain::audit::format_instant;
use assure_domain::finding::{Detection, Finding, FindingId, FindingOwner, FindingSource};
use assure_domain::remediation::RemediationPolicy;
use assure_domain::severity::Severity;
use assure_scheduler::{Scheduler, TestClock};
use assure_store::{AnyStore, PgStore, SqliteStore, Store};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-06-01 00:00 UTC);
const ROWS_PER_INSERT: usize = 400;

/// Times one escalation sweep over many open findings (see the README's benchmark section).
#[derive(Debug, clap::Parser)]
#[command(name = "escalation-bench", version)]
struct Args {
    /// The store: `sqlite:///path/to.db` or `postgres://user@host:port/db` (an empty database).
    #[arg(long, default_value = "sqlite:///tmp/assure-escalation-bench.db")]
    url: String,
    /// Open findings to load.
    #[arg(long, default_value_t = 1_000_000)]
    findings: usize,
    /// How many of them are overdue (their deadline jobs due now).
    #[arg(long, default_value_t = 10_000)]
    due: usize,
    /// Sweep the database as it is, loaded by an earlier run (the counts are only for the report).
    #[arg(long, conflicts_with = "load_only")]
    no_load: bool,
    /// Load and stop without sweeping (to keep a loaded copy for `--no-load` runs).
    #[arg(long)]
    load_only: bool,
}

fn finding(i: usize, due: bool) -> Finding {
    // Due ones were detected 40 days ago (high: 30 days, so 10 days overdue); the rest yesterday.
    let at = if due {
        NOW - Duration::days(40)
    } else {
        NOW - Duration::days(1)
    };
    let detection = Detection {
        owner: FindingOwner::Provider,
        test: "bench-check".into(),
        resource: format!("resource-{i}"),
        title: "Benchmark weakness".into(),
        detail: String::new(),
        control: None,
        severity: Some(Severity::High),
        cvss: None,
        cve: None,
        source: FindingSource::AutomatedCheck { run: None },
        at,
    };
    Finding::raise(
        FindingId::new(format!("B-{i:07}")),
        &detection,
        &RemediationPolicy::PROVIDER_DEFAULT,
        false,
    )
    .expect("a valid finding")
}

macro_rules! load {
    ($pool:expr, $n:expr, $due:expr) => {{
        let pool = $pool;
        let mut i = 0;
        while i < $n {
            let end = ($n).min(i + ROWS_PER_INSERT);
            let mut tx = pool.begin().await?;
            let mut values = Vec::new();
            let mut jobs = Vec::new();
            for k in 0..(end - i) {
                let b = k * 11;
                values.push(format!(
                    "(${},${},${},${},${},${},${},${},${},${},${})",
                    b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10, b + 11
                ));
                let j = k * 4;
                jobs.push(format!("(${},'deadline',${},${},${},'{{}}')", j + 1, j + 2, j + 3, j + 4));
            }
            let sql = format!(
                "INSERT INTO findings (id, tenant_id, dedup_key, open_key, state, severity, control_id, \
                 ticket, due_at, detected_at, finding_json) VALUES {}",
                values.join(",")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            let batch: Vec<Finding> = (i..end).map(|x| finding(x, x < $due)).collect();
            for f in &batch {
                let key = f.key().as_text();
                q = q
                    .bind(f.id.to_string())
                    .bind(None::<String>)
                    .bind(key.clone())
                    .bind(Some(key))
                    .bind(f.state.as_str())
                    .bind(f.severity.name())
                    .bind(None::<String>)
                    .bind(None::<String>)
                    .bind(f.due_at.map(format_instant))
                    .bind(format_instant(f.detected_at))
                    .bind(serde_json::to_string(f).unwrap_or_default());
            }
            q.execute(&mut *tx).await?;
            let sql = format!(
                "INSERT INTO jobs (id, kind, subject, tenant_id, next_run_at, payload_json) VALUES {}",
                jobs.join(",")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for f in &batch {
                // Due findings' jobs are due now; the others' at their first reminder.
                let next = if f.due_at.is_some_and(|d| d < NOW) {
                    NOW - Duration::days(10)
                } else {
                    f.due_at.unwrap_or(NOW) - Duration::days(7)
                };
                q = q
                    .bind(format!("deadline:{}", f.id))
                    .bind(f.id.to_string())
                    .bind(None::<String>)
                    .bind(format_instant(next));
            }
            q.execute(&mut *tx).await?;
            tx.commit().await?;
            i = end;
        }
    }};
}

async fn run<S: Store>(
    store: S,
    findings: usize,
    due: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let clock = TestClock::at(NOW);
    let scheduler = Scheduler::new(store, clock, "bench");
    let started = Instant::now();
    let outcome = scheduler.sweep().await?;
    let elapsed = started.elapsed();
    println!(
        "sweep over {findings} open findings ({due} overdue): {} jobs, {} alerts recorded in {:.2} s",
        outcome.jobs,
        outcome.alerts,
        elapsed.as_secs_f64()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = <Args as clap::Parser>::parse();
    let (findings, due) = (args.findings, args.due);
    if due > findings {
        eprintln!("error: --due {due} is more than --findings {findings}");
        std::process::exit(2);
    }
    let store = AnyStore::connect(&args.url).await?;
    if !args.no_load {
        let started = Instant::now();
        match &store {
            AnyStore::Sqlite(s) => load!(s.pool(), findings, due),
            AnyStore::Postgres(s) => load!(s.pool(), findings, due),
        }
        println!(
            "loaded {findings} findings and jobs in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    if args.load_only {
        return Ok(());
    }
    match store {
        AnyStore::Sqlite(s) => run::<SqliteStore>(s, findings, due).await,
        AnyStore::Postgres(s) => run::<PgStore>(s, findings, due).await,
    }
}
