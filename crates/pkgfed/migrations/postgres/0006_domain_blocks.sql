-- Domains blocked at run time (`pkgfed admin block`, `POST /api/v1/admin/domain-blocks`).
-- Combined with `federation.blocked_domains` from the configuration; a block covers the
-- domain and every subdomain. `domain` is stored lowercase, in ASCII (punycode) form.
CREATE TABLE domain_blocks (
    domain TEXT PRIMARY KEY NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
