//! Concurrent re-detections of one finding: every writer succeeds, exactly one creates the finding and the
//! others refresh it (no unique-key error, no second open finding, no moved deadline). On PostgreSQL two
//! connections race for the same de-duplication key inside overlapping transactions; on SQLite the write
//! lock serialises them. PostgreSQL runs when `ASSURE_TEST_POSTGRES_URL` names a server.

use std::path::Path;

use assure_domain::TenantId;
use assure_domain::finding::{Detection, FindingId, FindingOwner, FindingSource};
use assure_domain::severity::Severity;
use assure_store::findings::FindingQuery;
use assure_store::{Actor, PgStore, SqliteStore, Store, TenantScope};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);
const WRITERS: usize = 12;

fn detection(tenant: &TenantId, at: OffsetDateTime) -> Detection {
    Detection {
        owner: FindingOwner::Tenant(tenant.clone()),
        test: "storage-public-read".into(),
        resource: "bucket/exports".into(),
        title: "Bucket readable by anyone".into(),
        detail: String::new(),
        control: None,
        severity: Some(Severity::High),
        cvss: None,
        cve: None,
        source: FindingSource::AutomatedCheck { run: None },
        at,
    }
}

/// `WRITERS` detections of one key at once through `stores` (round robin), several rounds, each round on a
/// fresh key so the first detection itself races.
async fn race<S: Store>(stores: &[S]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assure-content/tests/fixtures/mini");
    let programme = assure_content::load_dir(&dir).expect("fixture loads");
    stores[0]
        .import_programme(&Actor::system("test"), &programme)
        .await
        .expect("import");
    let tenant = programme.tenants[0].id.clone();
    for round in 0..3 {
        let mut tasks = Vec::new();
        for i in 0..WRITERS {
            let store = stores[i % stores.len()].clone();
            let mut d = detection(&tenant, T0 + Duration::hours(i as i64));
            d.resource = format!("bucket/exports-{round}");
            let id = FindingId::new(format!("F-{round}-{i}"));
            tasks.push(tokio::spawn(async move {
                store
                    .record_detection(
                        &TenantScope::AllTenants,
                        &Actor::system("check-run"),
                        &id,
                        &d,
                    )
                    .await
            }));
        }
        let mut created = 0;
        let mut ids = std::collections::BTreeSet::new();
        for t in tasks {
            let outcome = t
                .await
                .expect("task")
                .expect("every concurrent detection succeeds");
            created += usize::from(outcome.created);
            ids.insert(outcome.finding.id.clone());
        }
        assert_eq!(created, 1, "round {round}: exactly one detection creates");
        assert_eq!(ids.len(), 1, "round {round}: one finding for one key");
        let id = ids.into_iter().next().expect("one id");
        let f = stores[0]
            .get_finding(&TenantScope::AllTenants, &id)
            .await
            .expect("get")
            .expect("exists");
        assert_eq!(f.detections, WRITERS as i64, "every detection counted");
        assert_eq!(
            f.due_at,
            Some(f.detected_at + Duration::days(30)),
            "the deadline runs from the first detection only"
        );
        let timeline = stores[0]
            .finding_timeline(&TenantScope::AllTenants, &id)
            .await
            .expect("timeline");
        assert_eq!(timeline.len(), WRITERS, "one entry per detection");
        assert_eq!(timeline.iter().filter(|e| e.kind == "detected").count(), 1);
    }
    let open = stores[0]
        .list_findings(&TenantScope::AllTenants, &FindingQuery::default())
        .await
        .expect("list");
    assert_eq!(open.total, 3, "one finding per key");
    let report = assure_store::audit::verify(&stores[0], &TenantScope::AllTenants, |_| true)
        .await
        .expect("verify");
    assert!(
        report.breaks.is_empty() && report.mismatches.is_empty(),
        "{report:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_redetections_refresh_one_finding_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("assure.db").display());
    let a = SqliteStore::connect(&url).await.expect("connect");
    let b = SqliteStore::connect(&url).await.expect("connect");
    race(&[a, b]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_redetections_refresh_one_finding_on_postgres() {
    let Some(db) = assure_store::testing::fresh_database().await else {
        return;
    };
    let a = PgStore::connect(&db.url).await.expect("connect");
    let b = PgStore::connect(&db.url).await.expect("connect");
    let stores = [a, b];
    race(&stores).await;
    drop(stores);
    db.drop_database().await;
}
