-- Authentication: credentials on users, TOTP recovery codes, sessions, API tokens, and per-tenant policy.
-- Secrets handed to people (session ids, API tokens, recovery codes) are stored only as their SHA-256;
-- passwords as Argon2id PHC strings. Instants are RFC 3339 TEXT in UTC with milliseconds, so they compare
-- as text.

ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
-- The TOTP secret in base32; never returned by any API.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
-- The last TOTP time step accepted, so a code works once.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
-- Failed logins since the last success or lock-out, and the end of the current lock-out.
ALTER TABLE users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TEXT;

CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at   TEXT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    mfa_passed   BOOLEAN NOT NULL,
    csrf_token   TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

CREATE TABLE tenant_security (
    tenant_id   TEXT PRIMARY KEY REFERENCES tenants (id),
    require_mfa BOOLEAN NOT NULL
);
