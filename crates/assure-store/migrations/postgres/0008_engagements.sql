-- Engagements: a tenant's enrolment, its engagements (tier, scope, state, assessors), the questionnaire's
-- answers and the assessors' test results. Each row keeps its domain value as JSON (`doc_json`, the state
-- its audit records digest) beside the columns queries filter on.
CREATE TABLE enrolments (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants (id),
    state      TEXT NOT NULL,
    doc_json   TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE engagements (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    state       TEXT NOT NULL,
    previous_id TEXT REFERENCES engagements (id),
    doc_json    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX engagements_tenant ON engagements (tenant_id);

-- One answer per engagement and control, with who answered and when.
CREATE TABLE engagement_answers (
    engagement_id TEXT NOT NULL REFERENCES engagements (id),
    control_id    TEXT NOT NULL,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    doc_json      TEXT NOT NULL,
    PRIMARY KEY (engagement_id, control_id)
);

-- One test result per engagement and control (the latest recorded), with its sample.
CREATE TABLE control_tests (
    engagement_id TEXT NOT NULL REFERENCES engagements (id),
    control_id    TEXT NOT NULL,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    doc_json      TEXT NOT NULL,
    PRIMARY KEY (engagement_id, control_id)
);
