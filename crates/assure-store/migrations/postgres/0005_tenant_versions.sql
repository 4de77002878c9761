-- Every version of a tenant's details and profile, appended in the transaction that writes the tenant, so a
-- matrix can be recomputed as it stood on a past date (`assure matrix --as-of`). Tenant-owned.
CREATE TABLE tenant_versions (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    seq         INTEGER NOT NULL,
    valid_from  TEXT NOT NULL,
    tenant_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
