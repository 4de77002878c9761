-- Provider-side tests of inherited controls (issue 8): one per control and period, reused by every customer
-- engagement whose matrix inherits the control and whose period the test's covers.
CREATE TABLE provider_tests (
    control_id   TEXT NOT NULL,
    period_kind  TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end   TEXT NOT NULL,
    doc_json     TEXT NOT NULL,
    PRIMARY KEY (control_id, period_kind, period_start, period_end)
);
