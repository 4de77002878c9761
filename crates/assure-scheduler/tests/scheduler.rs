//! The scheduler against real stores and real receivers: escalation exactly once per level across a restart
//! and with two scheduler instances at once (SQLite and PostgreSQL), e-mail through a real SMTP server
//! (`aiosmtpd`), and signed webhooks to a local receiver that fails first and is retried.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use assure_auth::SecretSealer;
use assure_domain::TenantId;
use assure_domain::escalation::{Alert, EscalationLevel};
use assure_domain::finding::{Detection, FindingId, FindingOwner, FindingSource};
use assure_domain::severity::Severity;
use assure_domain::webhook;
use assure_scheduler::{Deliverer, Scheduler, SmtpSettings, TestClock};
use assure_store::findings::{Audience, Channel, ChannelTarget};
use assure_store::{Actor, PgStore, SchedulerStore, SqliteStore, Store, TenantScope};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

async fn load<S: Store>(store: &S) -> TenantId {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assure-content/tests/fixtures/mini");
    let programme = assure_content::load_dir(&dir).expect("fixture loads");
    store
        .import_programme(&Actor::system("test"), &programme)
        .await
        .expect("import");
    programme.tenants[0].id.clone()
}

fn detection(tenant: &TenantId, resource: &str) -> Detection {
    Detection {
        owner: FindingOwner::Tenant(tenant.clone()),
        test: "iam-root-mfa".into(),
        resource: resource.into(),
        title: "Root account without MFA".into(),
        detail: String::new(),
        control: None,
        severity: Some(Severity::High),
        cvss: None,
        cve: None,
        source: FindingSource::Manual {
            author: "test".into(),
        },
        at: T0,
    }
}

async fn raise<S: Store>(store: &S, tenant: &TenantId, count: usize) {
    for i in 0..count {
        store
            .record_detection(
                &TenantScope::AllTenants,
                &Actor::system("test"),
                &FindingId::new(format!("F-{i}")),
                &detection(tenant, &format!("r{i}")),
            )
            .await
            .expect("detection");
    }
}

/// Each (finding, alert) recorded once; returns how many findings reached each escalation level.
async fn escalation_counts<S: Store>(store: &S) -> BTreeMap<String, usize> {
    let all = store
        .list_escalations(&TenantScope::AllTenants, None)
        .await
        .expect("escalations");
    let mut per_key: BTreeMap<(String, String), usize> = BTreeMap::new();
    for e in &all {
        *per_key
            .entry((e.finding.to_string(), e.alert.key()))
            .or_default() += 1;
    }
    assert!(
        per_key.values().all(|n| *n == 1),
        "an alert was recorded twice: {per_key:?}"
    );
    let mut levels = BTreeMap::new();
    for e in &all {
        if let Alert::Escalation { level } = e.alert {
            *levels.entry(level.as_str().to_owned()).or_default() += 1;
        }
    }
    levels
}

/// Two instances sweep at once, the store is reopened (a restart), two instances sweep again: each level
/// is recorded exactly once per finding.
async fn exactly_once<S: Store, F, Fut>(connect: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = S>,
{
    const FINDINGS: usize = 60;
    let first = connect().await;
    let tenant = load(&first).await;
    raise(&first, &tenant, FINDINGS).await;
    // High: due at T0 + 30 days. Eight days overdue: the first two levels.
    let clock = Arc::new(TestClock::at(T0 + Duration::days(38)));
    let second = connect().await;
    let mut a = Scheduler::new(first.clone(), clock.clone(), "node-a");
    let mut b = Scheduler::new(second.clone(), clock.clone(), "node-b");
    a.batch = 7;
    b.batch = 7;
    let (ra, rb) = tokio::join!(a.sweep(), b.sweep());
    let (ra, rb) = (ra.expect("sweep a"), rb.expect("sweep b"));
    assert_eq!(
        ra.alerts + rb.alerts,
        FINDINGS * 4,
        "two reminders and two levels per finding: {ra:?} {rb:?}"
    );
    let levels = escalation_counts(&first).await;
    assert_eq!(levels.get("customer-security-contact"), Some(&FINDINGS));
    assert_eq!(levels.get("provider-security-lead"), Some(&FINDINGS));
    assert_eq!(levels.get("oversight-committee"), None);
    drop((a, b, first, second));

    // A restart: new connections, new instances, the same instant, then a week later.
    let first = connect().await;
    let second = connect().await;
    let mut a = Scheduler::new(first.clone(), clock.clone(), "node-a2");
    let mut b = Scheduler::new(second.clone(), clock.clone(), "node-b2");
    a.batch = 5;
    b.batch = 5;
    let (ra, rb) = tokio::join!(a.sweep(), b.sweep());
    assert_eq!(
        ra.expect("sweep").alerts + rb.expect("sweep").alerts,
        0,
        "nothing is raised twice after a restart"
    );
    clock.advance(Duration::days(7));
    let (ra, rb) = tokio::join!(a.sweep(), b.sweep());
    assert_eq!(
        ra.expect("sweep").alerts + rb.expect("sweep").alerts,
        FINDINGS,
        "the oversight committee once per finding"
    );
    let levels = escalation_counts(&first).await;
    for level in EscalationLevel::ALL {
        assert_eq!(levels.get(level.as_str()), Some(&FINDINGS), "{levels:?}");
    }
    let (ra, rb) = tokio::join!(a.sweep(), b.sweep());
    assert_eq!(
        ra.expect("sweep").jobs + rb.expect("sweep").jobs,
        0,
        "no job left due"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn escalation_exactly_once_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("assure.db").display());
    exactly_once(|| async { SqliteStore::connect(&url).await.expect("connect") }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn escalation_exactly_once_with_two_instances_on_postgres() {
    let Some(db) = assure_store::testing::fresh_database().await else {
        return;
    };
    let url = db.url.clone();
    exactly_once(|| async { PgStore::connect(&url).await.expect("connect") }).await;
    db.drop_database().await;
}

async fn overdue_store(channel: ChannelTarget) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("assure.db").display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    let tenant = load(&store).await;
    store
        .add_channel(
            &Actor::system("test"),
            &Channel {
                id: "ch-1".into(),
                tenant: Some(tenant.clone()),
                audience: Audience::Level(EscalationLevel::CustomerSecurityContact),
                target: channel,
            },
        )
        .await
        .expect("channel");
    raise(&store, &tenant, 1).await;
    (dir, store)
}

/// The sealer of webhook secrets (a fixed test key; servers derive theirs from the master key).
fn sealer() -> SecretSealer {
    SecretSealer::new(zeroize::Zeroizing::new([7; 32]))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[tokio::test]
async fn email_arrives_at_a_real_smtp_server() {
    let python = std::env::var("ASSURE_PYTHON")
        .unwrap_or_else(|_| "/root/.cache/assure-venv/bin/python3".to_owned());
    let maildir = tempfile::tempdir().expect("maildir");
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir(maildir.path().join(sub)).expect("maildir folder");
    }
    let port = free_port();
    let mut smtpd = tokio::process::Command::new(&python)
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir.path())
        .kill_on_drop(true)
        .spawn()
        .expect("aiosmtpd starts (scripts/test.sh installs it into the venv)");
    // Wait for the receiver to listen (an external process starting, not time passing in the code).
    let mut ready = false;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ready, "aiosmtpd listens");

    let (_dir, store) = overdue_store(ChannelTarget::Email {
        to: "security@acme.example".into(),
    })
    .await;
    let clock = Arc::new(TestClock::at(T0 + Duration::days(31)));
    let sweep = Scheduler::new(store.clone(), clock.clone(), "node-a")
        .sweep()
        .await
        .expect("sweep");
    assert_eq!(sweep.deliveries, 1);
    let deliverer = Deliverer::new(
        store.clone(),
        clock.clone(),
        "node-a",
        Some(SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            from: "assure@provider.example".into(),
        }),
        sealer(),
    );
    let round = deliverer.deliver_due().await.expect("deliver");
    let deliveries = store.list_deliveries(None).await.expect("deliveries");
    let log = store.delivery_log(&deliveries[0].id).await.expect("log");
    assert_eq!(round.delivered, 1, "{round:?} {log:?}");
    let mut mails = Vec::new();
    for entry in std::fs::read_dir(maildir.path().join("new")).expect("maildir new") {
        mails.push(std::fs::read_to_string(entry.expect("entry").path()).expect("mail"));
    }
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("To: security@acme.example"),
        "{}",
        mails[0]
    );
    assert!(mails[0].contains("is overdue: escalated to customer-security-contact"));
    assert!(
        mails[0].contains("Message-ID: <dlv.esc.F-0."),
        "{}",
        mails[0]
    );
    let _ = smtpd.kill().await;
}

#[derive(Clone, Default)]
struct Receiver {
    fail_first: Arc<AtomicUsize>,
    seen: Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, String)>>>,
}

async fn receive(
    axum::extract::State(r): axum::extract::State<Receiver>,
    headers: axum::http::HeaderMap,
    body: String,
) -> axum::http::StatusCode {
    if let Ok(mut seen) = r.seen.lock() {
        seen.push((headers, body));
    }
    if r.fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    } else {
        axum::http::StatusCode::NO_CONTENT
    }
}

#[tokio::test]
async fn signed_webhooks_arrive_and_a_failing_receiver_is_retried() {
    let receiver = Receiver::default();
    receiver.fail_first.store(1, Ordering::SeqCst);
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });

    let url = format!("http://{addr}/hook");
    // The store keeps webhook secrets only sealed; the deliverer opens them to sign.
    let (dir, store) = overdue_store(ChannelTarget::Webhook {
        secret: sealer()
            .seal(&assure_auth::webhook_context(&url), "hook-secret")
            .expect("seal"),
        url,
    })
    .await;
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        dir.path().join("assure.db").display()
    ))
    .await
    .expect("pool");
    let stored: String = sqlx::query_scalar("SELECT target_json FROM notification_channels")
        .fetch_one(&pool)
        .await
        .expect("row");
    assert!(!stored.contains("hook-secret"), "{stored}");
    let clock = Arc::new(TestClock::at(T0 + Duration::days(31)));
    Scheduler::new(store.clone(), clock.clone(), "node-a")
        .sweep()
        .await
        .expect("sweep");
    let deliverer = Deliverer::new(store.clone(), clock.clone(), "node-a", None, sealer());
    let first = deliverer.deliver_due().await.expect("deliver");
    assert_eq!((first.delivered, first.retried), (0, 1));
    // Not yet due again.
    assert_eq!(
        deliverer.deliver_due().await.expect("deliver"),
        Default::default()
    );
    clock.advance(Duration::seconds(30));
    let second = deliverer.deliver_due().await.expect("deliver");
    assert_eq!(second.delivered, 1);

    let seen = receiver.seen.lock().expect("seen").clone();
    assert_eq!(seen.len(), 2, "one failure, one retry");
    let key = |h: &axum::http::HeaderMap| {
        h.get(webhook::IDEMPOTENCY_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(key(&seen[0].0), key(&seen[1].0), "the same idempotency key");
    for (headers, body) in &seen {
        let ts: i64 = headers
            .get(webhook::TIMESTAMP_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("timestamp");
        let sig = headers
            .get(webhook::SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok());
        assert_eq!(
            webhook::verify(b"hook-secret", ts, sig, body.as_bytes(), ts, 300),
            Ok(())
        );
        let json: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(json["finding"]["id"], "F-0");
        assert_eq!(json["event"], "finding.escalation");
    }
    let deliveries = store.list_deliveries(None).await.expect("deliveries");
    let log = store.delivery_log(&deliveries[0].id).await.expect("log");
    let outcomes: Vec<&str> = log.iter().map(|l| l.outcome.as_str()).collect();
    assert_eq!(outcomes, ["failed", "delivered"]);
    assert!(log[0].detail.contains("503"), "{}", log[0].detail);
}
