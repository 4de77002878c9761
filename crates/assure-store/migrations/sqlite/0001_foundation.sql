-- Foundation: catalogue, services and responsibility, tenants, users, audit chains.
-- Identifiers are TEXT (the domain's own IDs); instants are RFC 3339 TEXT in UTC with milliseconds, which
-- sorts in time order and hashes identically on both backends; lists are JSON TEXT.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE regions (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    country  TEXT NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE domains (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    position    INTEGER NOT NULL
);

CREATE TABLE controls (
    id             TEXT PRIMARY KEY,
    domain_id      TEXT NOT NULL REFERENCES domains (id),
    title          TEXT NOT NULL,
    statement      TEXT NOT NULL,
    test_procedure TEXT NOT NULL,
    evidence_json  TEXT NOT NULL,
    position       INTEGER NOT NULL
);

CREATE TABLE frameworks (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    version   TEXT NOT NULL,
    publisher TEXT NOT NULL,
    licence   TEXT NOT NULL,
    position  INTEGER NOT NULL
);

CREATE TABLE requirements (
    framework_id TEXT NOT NULL REFERENCES frameworks (id),
    id           TEXT NOT NULL,
    title        TEXT NOT NULL,
    text         TEXT,
    parent_id    TEXT,
    kind         TEXT NOT NULL CHECK (kind IN ('requirement', 'group')),
    position     INTEGER NOT NULL,
    PRIMARY KEY (framework_id, id)
);

CREATE TABLE mappings (
    control_id     TEXT NOT NULL REFERENCES controls (id),
    framework_id   TEXT NOT NULL,
    requirement_id TEXT NOT NULL,
    relationship   TEXT NOT NULL,
    rationale      TEXT NOT NULL,
    PRIMARY KEY (control_id, framework_id, requirement_id),
    FOREIGN KEY (framework_id, requirement_id) REFERENCES requirements (framework_id, id)
);
CREATE INDEX mappings_by_requirement ON mappings (framework_id, requirement_id);

CREATE TABLE model_defaults (
    control_id     TEXT NOT NULL REFERENCES controls (id),
    model          TEXT NOT NULL CHECK (model IN ('iaas', 'paas', 'saas')),
    responsibility TEXT NOT NULL,
    provider_part  TEXT,
    customer_part  TEXT,
    PRIMARY KEY (control_id, model)
);

CREATE TABLE services (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    model        TEXT NOT NULL CHECK (model IN ('iaas', 'paas', 'saas')),
    description  TEXT NOT NULL,
    regions_json TEXT NOT NULL,
    options_json TEXT NOT NULL,
    position     INTEGER NOT NULL
);

CREATE TABLE responsibility_entries (
    service_id     TEXT NOT NULL REFERENCES services (id),
    control_id     TEXT NOT NULL REFERENCES controls (id),
    responsibility TEXT NOT NULL,
    provider_part  TEXT,
    customer_part  TEXT,
    reason         TEXT NOT NULL,
    PRIMARY KEY (service_id, control_id)
);

CREATE TABLE option_rules (
    service_id     TEXT NOT NULL REFERENCES services (id),
    option_id      TEXT NOT NULL,
    control_id     TEXT NOT NULL REFERENCES controls (id),
    responsibility TEXT NOT NULL,
    provider_part  TEXT,
    customer_part  TEXT,
    reason         TEXT NOT NULL,
    PRIMARY KEY (service_id, option_id, control_id)
);

CREATE TABLE baseline_versions (
    id           TEXT PRIMARY KEY,
    state        TEXT NOT NULL,
    rationale    TEXT NOT NULL,
    effective_at TEXT
);

CREATE TABLE tenants (
    id              TEXT PRIMARY KEY,
    legal_name      TEXT NOT NULL,
    industry        TEXT NOT NULL,
    contract_ref    TEXT,
    processing_role TEXT NOT NULL,
    tier            TEXT,
    nda_signed      TEXT,
    regions_json    TEXT NOT NULL,
    contacts_json   TEXT NOT NULL,
    frameworks_json TEXT NOT NULL,
    created_at      TEXT NOT NULL
);

-- A tenant's profile: the services it uses and the options it turned on. Tenant-owned.
CREATE TABLE tenant_services (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    service_id   TEXT NOT NULL REFERENCES services (id),
    options_json TEXT NOT NULL,
    position     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, service_id)
);

CREATE TABLE assessor_firms (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    tenant_id     TEXT REFERENCES tenants (id),
    firm_id       TEXT REFERENCES assessor_firms (id),
    disabled      BOOLEAN NOT NULL,
    password_hash TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX users_by_tenant ON users (tenant_id);

-- Audit: one chain per tenant ('tenant:<id>') and the provider's ('provider').
CREATE TABLE audit_log (
    chain        TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    tenant_id    TEXT,
    action       TEXT NOT NULL,
    object_kind  TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    state_digest TEXT,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    PRIMARY KEY (chain, seq)
);
CREATE INDEX audit_by_object ON audit_log (object_kind, object_id);

CREATE TABLE audit_heads (
    chain TEXT PRIMARY KEY,
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
);

CREATE TABLE audit_checkpoints (
    chain     TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    head_hash TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (chain, seq)
);
