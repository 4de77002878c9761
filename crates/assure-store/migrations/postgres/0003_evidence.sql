-- Evidence: per-tenant data keys (wrapped by the master key), the blobs records point at, and the
-- records themselves. Records are never updated: a new version is a new row naming the one it supersedes.

CREATE TABLE evidence_keys (
    tenant_id    TEXT PRIMARY KEY REFERENCES tenants (id),
    -- hex of the wrapped data key; NULL once destroyed (the tenant's blobs are then tombstones)
    wrapped      TEXT,
    created_at   TEXT NOT NULL,
    destroyed_at TEXT
);

CREATE TABLE evidence_blobs (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    digest    TEXT NOT NULL,
    size      BIGINT NOT NULL,
    stored_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, digest)
);

CREATE TABLE evidence (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    digest       TEXT NOT NULL,
    size         BIGINT NOT NULL,
    media_type   TEXT NOT NULL,
    file_name    TEXT,
    collected_at TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL,
    period_start TEXT,
    period_end   TEXT,
    expires_on   TEXT,
    source       TEXT NOT NULL,
    links_json   TEXT NOT NULL,
    uploader     TEXT NOT NULL,
    supersedes   TEXT UNIQUE REFERENCES evidence (id),
    lineage      TEXT NOT NULL,
    version      BIGINT NOT NULL,
    flags_json   TEXT NOT NULL,
    FOREIGN KEY (tenant_id, digest) REFERENCES evidence_blobs (tenant_id, digest)
);
CREATE INDEX evidence_by_tenant ON evidence (tenant_id, uploaded_at);
CREATE INDEX evidence_by_lineage ON evidence (lineage, version);

-- Control links, for filtering (the record reads its links from links_json).
CREATE TABLE evidence_controls (
    evidence_id TEXT NOT NULL REFERENCES evidence (id),
    control_id  TEXT NOT NULL,
    PRIMARY KEY (evidence_id, control_id)
);
CREATE INDEX evidence_controls_by_control ON evidence_controls (control_id);
