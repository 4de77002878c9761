-- The baseline lifecycle. A version keeps its whole content as JSON (a domain `Baseline`), so any two
-- versions compare and any past date finds the baseline then in force; publishing also writes the content
-- into the catalogue tables the rest of Assure reads. The foundation's table was never written; it is
-- replaced by one that holds the governance record.
DROP TABLE baseline_versions;
CREATE TABLE baseline_versions (
    id             TEXT PRIMARY KEY,
    number         BIGINT NOT NULL UNIQUE,
    state          TEXT NOT NULL,
    trigger_json   TEXT NOT NULL,
    rationale      TEXT NOT NULL,
    author         TEXT NOT NULL,
    reviewers_json TEXT NOT NULL,
    approved_by    TEXT,
    created_at     TEXT NOT NULL,
    published_at   TEXT,
    effective_at   TEXT,
    base_digest    TEXT NOT NULL,
    content_json   TEXT NOT NULL
);

-- Each edit of a version, in order, with its rationale.
CREATE TABLE baseline_changes (
    version_id  TEXT NOT NULL REFERENCES baseline_versions (id),
    seq         BIGINT NOT NULL,
    change_json TEXT NOT NULL,
    rationale   TEXT NOT NULL,
    author      TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (version_id, seq)
);

-- Review comments on a version or on one of its changes.
CREATE TABLE baseline_comments (
    version_id TEXT NOT NULL REFERENCES baseline_versions (id),
    seq        BIGINT NOT NULL,
    change_seq BIGINT,
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (version_id, seq)
);

-- What each affected customer is told when a version is published, and its acknowledgement. Tenant-owned.
CREATE TABLE baseline_notices (
    id              TEXT PRIMARY KEY,
    version_id      TEXT NOT NULL REFERENCES baseline_versions (id),
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    effective_at    TEXT NOT NULL,
    cells_json      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at TEXT
);
CREATE INDEX baseline_notices_by_tenant ON baseline_notices (tenant_id);
