//! The embedded default: SQLite in WAL mode with foreign keys on, one writer at a time.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::{Backend, Result};

type Db = sqlx::Sqlite;

const DIALECT: sql::Dialect = sql::Dialect {
    backend: Backend::Sqlite,
    // Take the write lock at the start, so two writers never deadlock upgrading a read lock.
    begin_write: "BEGIN IMMEDIATE",
    // SQLite has one writer at a time already.
    for_update: "",
};

// The same SQL implementation, compiled with this backend's types (see `sql.rs`).
#[allow(clippy::duplicate_mod)]
#[path = "sql.rs"]
mod sql;

/// The SQLite store.
pub type SqliteStore = sql::SqlStore;

impl SqliteStore {
    /// Opens (creating if missing) and migrates the database at `url` (`sqlite://PATH`).
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a transaction acknowledged is on disk, even across power loss.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        let store = Self::from_pool(pool);
        // A database on disk (not `sqlite::memory:`) serves credential lookups inline.
        let file = options.get_filename();
        Ok(if file.is_file() {
            store.with_point_reads(crate::point_read::PointReads::new(file))
        } else {
            store
        })
    }
}
