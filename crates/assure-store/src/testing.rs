//! Test support: a throwaway PostgreSQL database per test, on the server named by
//! `ASSURE_TEST_POSTGRES_URL` (the test command starts one). Under CI its absence is a failure; elsewhere a
//! test without it says what to set and returns early.

use sqlx::Connection;

/// A database created for one test; drop it with [`TestDatabase::drop_database`].
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

/// A new, empty database; `None` (with a message) when no server is configured outside CI.
pub async fn fresh_database() -> Option<TestDatabase> {
    let Ok(admin_url) = std::env::var("ASSURE_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("CI").is_err(),
            "ASSURE_TEST_POSTGRES_URL must be set under CI (the test command starts PostgreSQL)"
        );
        eprintln!(
            "skipped: set ASSURE_TEST_POSTGRES_URL=postgres://USER@127.0.0.1:PORT/postgres (scripts/test.sh does)"
        );
        return None;
    };
    let name = format!("assure_test_{}", uuid_like());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create database");
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    Some(TestDatabase {
        url: format!("{base}/{name}"),
        admin_url,
        name,
    })
}

impl TestDatabase {
    /// Drops the database (forcing out connections still open).
    pub async fn drop_database(self) {
        if let Ok(mut admin) = sqlx::PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut admin)
            .await;
        }
    }
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}{:x}", nanos, std::process::id())
}
