-- The trust center: the provider's published documents (bytes in the evidence blob store under the
-- provider's trust-center prefix, named by digest), tenants' access requests, per-user terms acceptances,
-- and every download attempt, granted or refused. Documents are never updated; a new edition is a new row.

CREATE TABLE trust_documents (
    id           TEXT PRIMARY KEY,
    published_at TEXT NOT NULL,
    doc_json     TEXT NOT NULL
);

CREATE TABLE trust_requests (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    document_id  TEXT NOT NULL REFERENCES trust_documents (id),
    state        TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    doc_json     TEXT NOT NULL
);
CREATE INDEX trust_requests_by_tenant ON trust_requests (tenant_id, document_id, requested_at);

CREATE TABLE trust_terms (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    document_id TEXT NOT NULL REFERENCES trust_documents (id),
    user_id     TEXT NOT NULL,
    accepted_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, document_id, user_id)
);

CREATE TABLE trust_downloads (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    document_id  TEXT NOT NULL REFERENCES trust_documents (id),
    at           TEXT NOT NULL,
    doc_json     TEXT NOT NULL
);
CREATE INDEX trust_downloads_by_tenant ON trust_downloads (tenant_id, at);
