//! The scale-out store: PostgreSQL, shared by several `assure serve` nodes.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;

use crate::{Backend, Result};

type Db = sqlx::Postgres;

const DIALECT: sql::Dialect = sql::Dialect {
    backend: Backend::Postgres,
    begin_write: "BEGIN",
    // Lock the chain head row, so writers of one chain queue while writers of other chains run.
    for_update: " FOR UPDATE",
};

// The same SQL implementation, compiled with this backend's types (see `sql.rs`).
#[allow(clippy::duplicate_mod)]
#[path = "sql.rs"]
mod sql;

/// The PostgreSQL store.
pub type PgStore = sql::SqlStore;

impl PgStore {
    /// Connects to and migrates the database at `url` (`postgres://...`).
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self::from_pool(pool))
    }
}
