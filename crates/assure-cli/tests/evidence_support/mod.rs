//! Helpers of the evidence end-to-end tests: raw HTTP uploads, a moto S3 server, blob tampering, and
//! uploads cut off by SIGKILL.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The API token of each running server, by its base URL: the server's tests act as the demo provider
/// admin unless they send their own `authorization` header.
static TOKENS: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

/// Records the token requests to `base` carry.
pub fn register_token(base: &str, token: &str) {
    if let Ok(mut t) = TOKENS.lock() {
        t.push((base.to_owned(), token.to_owned()));
    }
}

/// The token for a URL under a registered base.
pub fn token_for(url: &str) -> Option<String> {
    TOKENS.lock().ok().and_then(|t| {
        t.iter()
            .rev()
            .find(|(b, _)| url.starts_with(b.as_str()))
            .map(|(_, tok)| tok.clone())
    })
}

/// Adds the registered token unless the caller brings an `authorization` header.
fn authorised(
    request: reqwest::blocking::RequestBuilder,
    url: &str,
    headers: &[(&str, &str)],
) -> reqwest::blocking::RequestBuilder {
    let own = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("authorization"));
    match token_for(url) {
        Some(t) if !own => request.bearer_auth(t),
        _ => request,
    }
}

/// A moto S3 server: `ASSURE_MOTO_URL`, or one started from `ASSURE_PYTHON` (a python with moto) on a
/// free loopback port. Absent both: a failure under CI, a skip with a message elsewhere.
pub struct Moto {
    pub url: String,
    child: Option<Child>,
}

impl Moto {
    pub fn get() -> Option<Self> {
        if let Ok(url) = std::env::var("ASSURE_MOTO_URL") {
            return Some(Self { url, child: None });
        }
        let Ok(python) = std::env::var("ASSURE_PYTHON") else {
            assert!(
                std::env::var("CI").is_err(),
                "ASSURE_MOTO_URL or ASSURE_PYTHON (a python with moto installed) must be set under CI"
            );
            eprintln!(
                "skipped: set ASSURE_PYTHON to a python with moto[server], or ASSURE_MOTO_URL"
            );
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(&python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto server");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while reqwest::blocking::get(format!("{url}/")).is_err() {
            assert!(Instant::now() < deadline, "moto did not start on {url}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Self {
            url,
            child: Some(child),
        })
    }

    /// Creates a fresh bucket; returns the environment that points Assure at it.
    pub fn env_for_new_bucket(&self) -> Vec<(String, String)> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let bucket = format!("assure-test-{nanos:x}");
        let status = reqwest::blocking::Client::new()
            .put(format!("{}/{bucket}", self.url))
            .send()
            .expect("create bucket")
            .status();
        assert!(status.is_success(), "create bucket: {status}");
        vec![
            ("ASSURE_EVIDENCE_STORE".into(), format!("s3://{bucket}")),
            ("ASSURE_S3_ENDPOINT".into(), self.url.clone()),
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
        ]
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// moto checks no signatures, but answers anonymous reads of private objects with 403.
const MOTO_AUTH: &str = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, \
                         SignedHeaders=host, Signature=00";

/// A function that flips one byte of a tenant's stored blob, on the local store or in the bucket.
pub fn blob_tamperer<'a>(
    dir: &'a tempfile::TempDir,
    moto: Option<&'a Moto>,
    env: &'a [(String, String)],
) -> impl Fn(&str, &str) + 'a {
    move |tenant, digest| {
        let key = format!("tenants/{tenant}/blobs/{digest}");
        match moto {
            None => {
                let path = dir.path().join("evidence").join(&key);
                let mut bytes = std::fs::read(&path).expect("stored blob");
                bytes[100] ^= 0x01;
                std::fs::write(&path, bytes).expect("rewrite blob");
            }
            Some(m) => {
                let bucket = env
                    .iter()
                    .find(|(k, _)| k == "ASSURE_EVIDENCE_STORE")
                    .and_then(|(_, v)| v.strip_prefix("s3://"))
                    .expect("bucket");
                let url = format!("{}/{bucket}/{key}", m.url);
                let client = reqwest::blocking::Client::new();
                let mut bytes = client
                    .get(&url)
                    .header("authorization", MOTO_AUTH)
                    .send()
                    .expect("get blob")
                    .bytes()
                    .expect("bytes")
                    .to_vec();
                bytes[100] ^= 0x01;
                let status = client
                    .put(&url)
                    .header("authorization", MOTO_AUTH)
                    .body(bytes)
                    .send()
                    .expect("put blob")
                    .status();
                assert!(status.is_success(), "rewrite blob: {status}");
            }
        }
    }
}

/// `POST /api/v1/tenants/{tenant}/evidence?{query}` with a raw body: (status, header names, JSON body).
pub fn upload_raw(
    base: &str,
    tenant: &str,
    query: &str,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> (u16, Vec<String>, Value) {
    let url = format!("{base}/api/v1/tenants/{tenant}/evidence?{query}");
    let mut request = reqwest::blocking::Client::new()
        .post(&url)
        .header("content-type", "text/plain")
        .body(body);
    request = authorised(request, &url, headers);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().expect("upload");
    let status = response.status().as_u16();
    let mut names: Vec<String> = response
        .headers()
        .keys()
        .map(|k| k.as_str().to_owned())
        .filter(|k| k != "date")
        .collect();
    names.sort();
    let text = response.text().expect("body");
    (
        status,
        names,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// GET a path: (status, JSON or text body).
pub fn get(base: &str, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let url = format!("{base}{path}");
    let mut request = authorised(reqwest::blocking::Client::new().get(&url), &url, headers);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().expect("get");
    let status = response.status().as_u16();
    let text = response.text().expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub fn get_bytes(base: &str, path: &str) -> Vec<u8> {
    let url = format!("{base}{path}");
    let response = authorised(reqwest::blocking::Client::new().get(&url), &url, &[])
        .send()
        .expect("get");
    assert_eq!(response.status().as_u16(), 200);
    response.bytes().expect("bytes").to_vec()
}

/// One upload of the kill test and how it ended.
pub struct Outcome {
    pub title: String,
    pub body: Vec<u8>,
    pub status: Option<u16>,
    pub id: Option<String>,
}

/// A body that trickles out in 64 KiB pieces with a pause between them.
struct Trickle {
    data: Vec<u8>,
    at: usize,
    pause: Duration,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at >= self.data.len() {
            return Ok(0);
        }
        if self.at > 0 {
            std::thread::sleep(self.pause);
        }
        let n = buf.len().min(64 * 1024).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Starts `n` concurrent uploads to tenant northbank (half small and quick, half large and slow), waits
/// for the quick ones to be answered, then kills the server with SIGKILL mid-way through the slow ones.
pub fn uploads_then_kill(base: &str, server: &mut Child, n: usize) -> Vec<Outcome> {
    let (tx, rx) = mpsc::channel();
    let mut threads = Vec::new();
    for i in 0..n {
        let quick = i % 2 == 0;
        let title = format!("kill-test-{i:02}-{}", if quick { "quick" } else { "slow" });
        let size = if quick {
            64 * 1024 + i
        } else {
            8 * 1024 * 1024 + i
        };
        let body: Vec<u8> = (0..size).map(|j| ((j * 31 + i * 7) % 256) as u8).collect();
        let url = format!(
            "{base}/api/v1/tenants/northbank/evidence?kind=access-log&title={title}&collected_at=2026-01-02T00:00:00Z"
        );
        let tx = tx.clone();
        threads.push(std::thread::spawn(move || {
            let client = reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client");
            let request = authorised(
                client
                    .post(&url)
                    .header("content-type", "application/octet-stream"),
                &url,
                &[],
            );
            let request = if quick {
                request.body(body.clone())
            } else {
                let trickle = Trickle {
                    data: body.clone(),
                    at: 0,
                    pause: Duration::from_millis(40),
                };
                request.body(reqwest::blocking::Body::new(trickle))
            };
            let (status, id) = match request.send() {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let v: Value = r.json().unwrap_or(Value::Null);
                    (Some(status), v["id"].as_str().map(str::to_owned))
                }
                Err(_) => (None, None),
            };
            let _ = tx.send(quick);
            Outcome {
                title,
                body,
                status,
                id,
            }
        }));
    }
    drop(tx);
    let quick = n.div_ceil(2);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut done = 0;
    while done < quick && Instant::now() < deadline {
        if rx.recv_timeout(Duration::from_millis(100)).is_ok_and(|q| q) {
            done += 1;
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    // `Child::kill` is SIGKILL on Unix: no graceful shutdown, no flushing.
    server.kill().expect("SIGKILL the server");
    let _ = server.wait();
    threads
        .into_iter()
        .map(|t| t.join().expect("upload thread"))
        .collect()
}
