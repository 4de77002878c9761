-- Imports (issue 11): the OSCAL document a framework was imported from, kept so the framework can be exported
-- as the catalog it came from; the provenance of imported mappings; and import jobs, so a large import runs in
-- the background and every server node can show its progress.

-- Audited as object kind `framework-source` (the digest covers the document).
CREATE TABLE framework_sources (
    framework_id TEXT PRIMARY KEY REFERENCES frameworks (id),
    format       TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    document     TEXT NOT NULL
);

-- `MappingProvenance` as JSON; NULL for mappings written in the programme's own content.
ALTER TABLE mappings ADD COLUMN provenance_json TEXT;

-- Bookkeeping, not audited: the import a job runs is audited when it writes. `payload_json` holds what was
-- read from the uploaded file (so any node can run the job after a preview) and is cleared when the job ends.
CREATE TABLE import_jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('previewed', 'queued', 'running', 'succeeded', 'failed')),
    done         INTEGER NOT NULL,
    total        INTEGER NOT NULL,
    preview_json TEXT NOT NULL,
    payload_json TEXT,
    outcome_json TEXT,
    error        TEXT,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX import_jobs_by_created ON import_jobs (created_at);
