-- The shared secrets inbound tracker webhooks (GitHub, Jira) present, stored only sealed (`sealed1:` text,
-- AES-256-GCM under a key derived from the master key; the store never holds the key and refuses unsealed
-- text). One row per tracker.
CREATE TABLE tracker_secrets (
    tracker    TEXT PRIMARY KEY,
    sealed     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
