//! Where Assure keeps its data: flags shared by every command, each with an environment variable.

use std::path::PathBuf;

use clap::Args;

/// Settings every command shares.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Folder for the SQLite database and the provider's signing key.
    #[arg(long, global = true, env = "ASSURE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB [default: sqlite://DATA_DIR/assure.db].
    #[arg(long, global = true, env = "ASSURE_DATABASE_URL")]
    pub database_url: Option<String>,
    /// The provider's Ed25519 signing key (64 hex digits), created when missing
    /// [default: DATA_DIR/keys/provider-ed25519.key].
    #[arg(long, global = true, env = "ASSURE_SIGNING_KEY")]
    pub signing_key: Option<PathBuf>,
    /// Where evidence blobs live: a folder, or s3://BUCKET[/PREFIX] [default: DATA_DIR/evidence].
    #[arg(long, global = true, env = "ASSURE_EVIDENCE_STORE")]
    pub evidence_store: Option<String>,
    /// Endpoint of an S3-compatible server (MinIO, Ceph, moto) for an s3:// evidence store; credentials
    /// and region come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION.
    #[arg(long, global = true, env = "ASSURE_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// Largest evidence upload, in bytes.
    #[arg(long, global = true, env = "ASSURE_EVIDENCE_MAX_BYTES", default_value_t = 4 * 1024 * 1024 * 1024)]
    pub evidence_max_bytes: u64,
    /// The evidence master key (64 hex digits), which wraps every tenant's data key
    /// [default: DATA_DIR/keys/evidence-master.key, created on first use].
    #[arg(
        long,
        global = true,
        env = "ASSURE_EVIDENCE_MASTER_KEY",
        hide_env_values = true
    )]
    pub evidence_master_key: Option<Secret>,
    /// Log format on stderr.
    #[arg(
        long,
        global = true,
        env = "ASSURE_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,
}

/// A secret setting: shown as `..` in `Debug`, so it never reaches a log.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Settings {
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("assure.db").display()))
    }

    pub fn signing_key(&self) -> PathBuf {
        self.signing_key
            .clone()
            .unwrap_or_else(|| self.data_dir.join("keys").join("provider-ed25519.key"))
    }

    /// The evidence store location.
    pub fn evidence_store(&self) -> String {
        self.evidence_store
            .clone()
            .unwrap_or_else(|| self.data_dir.join("evidence").display().to_string())
    }

    /// The evidence master key file, used when no key is given.
    pub fn evidence_master_key_file(&self) -> PathBuf {
        self.data_dir.join("keys").join("evidence-master.key")
    }

    /// Creates the data folder when the database lives in it.
    pub fn ensure_data_dir(&self) -> std::io::Result<()> {
        if self.database_url.is_none() {
            std::fs::create_dir_all(&self.data_dir)?;
        }
        Ok(())
    }
}

/// Logs go to stderr; `ASSURE_LOG` (or `RUST_LOG`) filters them, default `info`.
pub fn init_logging(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ASSURE_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new("warn,assure=info,assure_server=info")
        });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match settings.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// How `assure serve` notifies and escalates: the background scheduler's period, reminder and escalation
/// thresholds, the SMTP server, an outgoing webhook, and the shared secrets inbound tracker webhooks
/// present. Secrets are sealed (AES-256-GCM under a key derived from the master key) before they reach
/// the database; the settings themselves never print them (`Secret`).
#[derive(Debug, Clone, Args)]
pub struct NotificationSettings {
    /// Seconds between scheduler rounds (deadline sweep, review cycles, deliveries); 0 turns the
    /// scheduler off on this node (every node may run it: work is claimed in the database).
    #[arg(long, env = "ASSURE_SCHEDULER_SECONDS", default_value_t = 60)]
    pub scheduler_seconds: u64,
    /// Remind the remediation owner this many days before a deadline (comma-separated).
    #[arg(
        long,
        env = "ASSURE_REMINDER_DAYS",
        value_delimiter = ',',
        default_value = "7,1"
    )]
    pub reminder_days: Vec<u32>,
    /// Days after the deadline to escalate to the customer's security contact, the provider's security
    /// lead and the oversight committee (three comma-separated numbers, rising).
    #[arg(
        long,
        env = "ASSURE_ESCALATION_DAYS",
        value_delimiter = ',',
        default_value = "0,7,14"
    )]
    pub escalation_days: Vec<u32>,
    /// SMTP server for e-mail notifications (no e-mail without it).
    #[arg(long, env = "ASSURE_SMTP_HOST")]
    pub smtp_host: Option<String>,
    #[arg(long, env = "ASSURE_SMTP_PORT", default_value_t = 25)]
    pub smtp_port: u16,
    /// Sender address of e-mail notifications.
    #[arg(long, env = "ASSURE_SMTP_FROM", default_value = "assure@localhost")]
    pub smtp_from: String,
    /// E-mail recipients as AUDIENCE=ADDRESS (comma-separated); audiences: owner,
    /// customer-security-contact, provider-security-lead, oversight-committee.
    #[arg(long, env = "ASSURE_NOTIFY_EMAIL", value_delimiter = ',')]
    pub notify_email: Vec<String>,
    /// A URL receiving every reminder and escalation as JSON signed with HMAC-SHA256
    /// (`X-Assure-Signature-256` over `TIMESTAMP.BODY`).
    #[arg(
        long,
        env = "ASSURE_NOTIFY_WEBHOOK_URL",
        requires = "notify_webhook_secret"
    )]
    pub notify_webhook_url: Option<String>,
    /// The webhook's signing secret (stored sealed).
    #[arg(
        long,
        env = "ASSURE_NOTIFY_WEBHOOK_SECRET",
        hide_env_values = true,
        requires = "notify_webhook_url"
    )]
    pub notify_webhook_secret: Option<Secret>,
    /// The secret GitHub signs issue webhooks with (`X-Hub-Signature-256`; stored sealed).
    #[arg(long, env = "ASSURE_GITHUB_WEBHOOK_SECRET", hide_env_values = true)]
    pub github_webhook_secret: Option<Secret>,
    /// The shared secret Jira webhooks present (stored sealed).
    #[arg(long, env = "ASSURE_JIRA_WEBHOOK_SECRET", hide_env_values = true)]
    pub jira_webhook_secret: Option<Secret>,
}
