//! Credential lookups on SQLite without the async driver's round trip.
//!
//! Every authenticated request starts by looking up its API token. Through sqlx that lookup is a hop to
//! a connection's worker thread and back, and under load the hop costs more than serving a cached page
//! (issue 4's throughput goal). The lookup is one indexed row on a WAL database, where readers never wait
//! for the writer, so it runs inline on a small pool of read-only rusqlite connections instead.
//!
//! Nothing is cached: every call reads the database, so a token revoked by another process (the CLI, a
//! second node's write) is refused by the very next request.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// How many idle connections are kept; more are opened under load and closed when returned.
const IDLE: usize = 8;

/// A read-only connection pool over one SQLite file.
#[derive(Debug)]
pub struct PointReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

/// An API token row joined with its user, as stored (instants in their canonical text form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub token_id: String,
    pub user_id: String,
    pub token_name: String,
    pub token_created_at: String,
    pub expires_at: Option<String>,
    pub name: String,
    pub role: String,
    pub tenant_id: Option<String>,
    pub firm_id: Option<String>,
    pub disabled: bool,
}

/// The same predicate as the sqlx lookup: a live token of an enabled user.
const TOKEN_SQL: &str = "SELECT t.id, t.user_id, t.name, t.created_at, t.expires_at, \
     u.name, u.role, u.tenant_id, u.firm_id, u.disabled \
     FROM api_tokens t JOIN users u ON u.id = t.user_id \
     WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?2) \
     AND u.disabled = FALSE";

impl PointReads {
    /// Reads the database file at `path`, which the sqlx pool has already created and migrated.
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(Duration::from_secs(10))?;
        Ok(connection)
    }

    /// Runs `read` on an idle connection (or a new one), returning the connection afterwards unless it
    /// failed, so a broken connection is never reused.
    fn with<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        let taken = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let connection = match taken {
            Some(c) => c,
            None => self.open()?,
        };
        let result = read(&connection)?;
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < IDLE {
            idle.push(connection);
        }
        Ok(result)
    }

    /// The live token with this hash at `at` (canonical instant text), with its enabled user.
    pub fn api_token(&self, token_hash: &str, at: &str) -> rusqlite::Result<Option<TokenRow>> {
        self.with(|c| {
            c.prepare_cached(TOKEN_SQL)?
                .query_row(rusqlite::params![token_hash, at], |row| {
                    Ok(TokenRow {
                        token_id: row.get(0)?,
                        user_id: row.get(1)?,
                        token_name: row.get(2)?,
                        token_created_at: row.get(3)?,
                        expires_at: row.get(4)?,
                        name: row.get(5)?,
                        role: row.get(6)?,
                        tenant_id: row.get(7)?,
                        firm_id: row.get(8)?,
                        disabled: row.get(9)?,
                    })
                })
                .optional()
        })
    }
}
