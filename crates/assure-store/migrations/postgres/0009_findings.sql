-- Findings and remediation (issue 9): findings with their timeline, remediation policies per owner, the
-- KEV catalogue the operator imports, the durable scheduler's jobs (with leases), escalations recorded once,
-- the in-app inbox, notification channels, deliveries with idempotency keys and their log, review tasks.

-- A finding keeps its whole domain value as JSON beside the columns queries filter on. `open_key` is the
-- de-duplication key while the finding is open and NULL once closed, so one open finding per key.
CREATE TABLE findings (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT REFERENCES tenants (id),
    dedup_key    TEXT NOT NULL,
    open_key     TEXT UNIQUE,
    state        TEXT NOT NULL,
    severity     TEXT NOT NULL,
    control_id   TEXT,
    ticket       TEXT,
    due_at       TEXT,
    detected_at  TEXT NOT NULL,
    finding_json TEXT NOT NULL
);
CREATE INDEX findings_tenant ON findings (tenant_id, state);
CREATE INDEX findings_ticket ON findings (ticket);

CREATE TABLE finding_events (
    finding_id  TEXT NOT NULL REFERENCES findings (id),
    seq         BIGINT NOT NULL,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    detail_json TEXT NOT NULL,
    PRIMARY KEY (finding_id, seq)
);

-- `owner_key` is `provider` or `tenant:ID`.
CREATE TABLE remediation_policies (
    owner_key   TEXT PRIMARY KEY,
    tenant_id   TEXT REFERENCES tenants (id),
    policy_json TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE kev_entries (
    cve_id     TEXT PRIMARY KEY,
    entry_json TEXT NOT NULL
);
CREATE TABLE kev_imports (
    id          BIGINT PRIMARY KEY,
    import_json TEXT NOT NULL,
    imported_at TEXT NOT NULL
);

-- Scheduled work. A deadline job (`deadline`, subject = finding) runs at the finding's next alert; a
-- review job (`review`) at its next cycle. A worker holds a job while `lease_until` is in the future.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    tenant_id    TEXT,
    next_run_at  TEXT NOT NULL,
    lease_owner  TEXT,
    lease_until  TEXT,
    payload_json TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs (kind, next_run_at);

-- Each reminder or escalation once per finding, deadline and alert.
CREATE TABLE escalations (
    id              TEXT PRIMARY KEY,
    finding_id      TEXT NOT NULL REFERENCES findings (id),
    tenant_id       TEXT,
    due_at          TEXT NOT NULL,
    alert_key       TEXT NOT NULL,
    alert_json      TEXT NOT NULL,
    raised_at       TEXT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at TEXT,
    UNIQUE (finding_id, due_at, alert_key)
);

CREATE TABLE notifications (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT,
    audience      TEXT NOT NULL,
    finding_id    TEXT NOT NULL,
    escalation_id TEXT NOT NULL REFERENCES escalations (id),
    subject       TEXT NOT NULL,
    body          TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX notifications_tenant ON notifications (tenant_id, created_at);

CREATE TABLE notification_channels (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT,
    audience    TEXT NOT NULL,
    target_json TEXT NOT NULL
);

CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    notification_id TEXT NOT NULL REFERENCES notifications (id),
    target_json     TEXT NOT NULL,
    subject         TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    lease_owner     TEXT,
    lease_until     TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);

CREATE TABLE delivery_log (
    delivery_id TEXT NOT NULL REFERENCES deliveries (id),
    attempt     BIGINT NOT NULL,
    at          TEXT NOT NULL,
    worker      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    detail      TEXT NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

-- One task per review job, cycle and subject.
CREATE TABLE review_tasks (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    job_id     TEXT NOT NULL,
    due_at     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (job_id, due_at, subject)
);
