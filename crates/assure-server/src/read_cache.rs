//! A read cache for the hottest catalogue reads: pages of `/api/v1/controls`, serialised once per change.
//!
//! Every change Assure makes is audited in the transaction that makes it, so the store's
//! [`Store::change_mark`] (the sum of the audit chains' heads) moves with every change on every node. A
//! cached value is kept with the mark it was read under and used only while the mark is unchanged. The
//! mark itself is re-read at most once per `bound` (100 ms by default), and at once after any write this
//! server handled, so:
//!
//! - a change made through this server is seen by the next request (read your writes);
//! - a change made by another node or the CLI (an import, a published baseline) is seen within `bound`.
//!
//! Credentials are never cached: a token or session revoked anywhere is refused by the next request.
//! A `bound` of zero turns the cache off: every request reads the store.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use assure_store::{Store, StoreError};
use axum::body::Bytes;

/// At most this many catalogue pages are kept; a full map is emptied and refilled
/// (the working set of a GRC deployment is far smaller).
const MAX_ENTRIES: usize = 4096;

/// The default bound on how stale a cached read may be when another node changes the data.
pub const DEFAULT_BOUND: Duration = Duration::from_millis(100);

#[derive(Debug)]
pub struct ReadCache {
    bound: Duration,
    /// The last mark read and when.
    checked: Mutex<Option<(i64, Instant)>>,
    /// Set after a write through this server: the next request re-reads the mark.
    invalidated: AtomicBool,
    /// One request refreshes the mark at a time; the others wait for its answer.
    refresh: tokio::sync::Mutex<()>,
    pages: Mutex<HashMap<String, (i64, Bytes)>>,
}

impl Default for ReadCache {
    fn default() -> Self {
        Self::new(DEFAULT_BOUND)
    }
}

impl ReadCache {
    pub fn new(bound: Duration) -> Self {
        Self {
            bound,
            checked: Mutex::new(None),
            invalidated: AtomicBool::new(false),
            refresh: tokio::sync::Mutex::new(()),
            pages: Mutex::new(HashMap::new()),
        }
    }

    fn enabled(&self) -> bool {
        !self.bound.is_zero()
    }

    /// Called after every state-changing request this server handled.
    pub fn invalidate(&self) {
        self.invalidated.store(true, Ordering::Release);
    }

    fn fresh_mark(&self) -> Option<i64> {
        if self.invalidated.load(Ordering::Acquire) {
            return None;
        }
        let checked = *self.checked.lock().unwrap_or_else(|p| p.into_inner());
        checked.and_then(|(mark, at)| (at.elapsed() < self.bound).then_some(mark))
    }

    /// The change mark, re-read from the store when older than the bound or after a local write.
    async fn mark<S: Store>(&self, store: &S) -> Result<i64, StoreError> {
        if let Some(mark) = self.fresh_mark() {
            return Ok(mark);
        }
        let _single = self.refresh.lock().await;
        if let Some(mark) = self.fresh_mark() {
            return Ok(mark);
        }
        // Cleared before reading, so a write finishing meanwhile sets it again and is not missed.
        self.invalidated.store(false, Ordering::Release);
        let mark = store.change_mark().await?;
        *self.checked.lock().unwrap_or_else(|p| p.into_inner()) = Some((mark, Instant::now()));
        Ok(mark)
    }

    /// The response body for `key`, computed by `render` when the cache has none for the current mark.
    /// `render` must read only what an audited change can alter (catalogue data, not time).
    pub async fn page<S, F, Fut, E>(&self, store: &S, key: String, render: F) -> Result<Bytes, E>
    where
        S: Store,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Bytes, E>>,
        E: From<StoreError>,
    {
        if !self.enabled() {
            return render().await;
        }
        // Read before the data, so the data is at least as new as the mark it is kept under.
        let mark = self.mark(store).await?;
        if let Some((m, body)) = self
            .pages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            && *m == mark
        {
            return Ok(body.clone());
        }
        let body = render().await?;
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        if pages.len() >= MAX_ENTRIES {
            pages.clear();
        }
        pages.insert(key, (mark, body.clone()));
        Ok(body)
    }
}
