//! `GET /api/v1/admin/openapi.json`: the OpenAPI 3.1 description of the admin API,
//! written by hand (it is small, and a generator would cost a dependency and macros
//! on every handler). Served without the token: it describes routes, not data. The
//! integration tests check that every route it lists exists and is protected.

use axum::Json;
use serde_json::{Value, json};

/// `GET /openapi.json`.
pub async fn document() -> Json<Value> {
    Json(spec())
}

fn ok(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn error(description: &str) -> Value {
    ok(description, json!({ "$ref": "#/components/schemas/Error" }))
}

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn list_of(field: &str, item: &str) -> Value {
    json!({
        "type": "object",
        "required": [field],
        "properties": { field: { "type": "array", "items": schema(item) } }
    })
}

fn query(name: &str, required: bool, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": required, "description": description, "schema": schema })
}

fn package_param(what: &str) -> Value {
    query(
        "package",
        false,
        &format!("Only {what} of this package: a purl (`pkg:cargo/serde`) or a handle."),
        json!({ "type": "string" }),
    )
}

/// One registry's health (`GET /registries`).
fn registry_health_schema() -> Value {
    json!({ "type": "object",
                                "required": ["ecosystem", "change_feed", "tracked", "due", "erroring", "requests", "error_rate", "stalled"],
                                "properties": {
                                    "ecosystem": { "type": "string" },
                                    "change_feed": { "type": "boolean" },
                                    "tracked": { "type": "integer" },
                                    "due": { "type": "integer", "description": "Tracked packages due now (the backlog)." },
                                    "erroring": { "type": "integer" },
                                    "overdue": { "type": "integer", "description": "Tracked packages more than one interval late." },
                                    "behind": { "type": "boolean", "description": "The rate limit cannot keep up with the schedule." },
                                    "last_success_at": { "type": ["integer", "null"] },
                                    "last_success": { "type": ["string", "null"], "format": "date-time" },
                                    "requests": { "type": "object" },
                                    "error_rate": { "type": "number" },
                                    "stalled": { "type": "boolean" }
                                }
    })
}

/// The document.
pub fn spec() -> Value {
    let unauthorized = error(
        "Missing or wrong bearer token. `WWW-Authenticate: Bearer` is set; nothing was done.",
    );
    let bad_request = error("A query parameter is missing or invalid; `error` says which.");
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "pkgfed admin API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Operator view of delivery state. Every route needs `Authorization: Bearer <token>` \
                            (`admin.token`, or the generated one printed by `pkgfed admin token`), except this document. \
                            Times are Unix milliseconds. Errors are `{\"error\": \"…\"}`."
        },
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/admin/activities/status": { "get": {
                "operationId": "activityStatus",
                "summary": "An outbound activity's status, per-inbox deliveries and final reports.",
                "parameters": [query("id", true, "The activity id (a URL).", json!({ "type": "string" }))],
                "responses": {
                    "200": ok("The activity.", schema("ActivityStatus")),
                    "400": bad_request, "401": unauthorized,
                    "404": error("No outbound activity has this id.")
                }
            }},
            "/api/v1/admin/deliveries/failures": { "get": {
                "operationId": "deliveryFailures",
                "summary": "Reports of deliveries that failed for good or were skipped, newest first.",
                "parameters": [
                    query("actor", false, "Only deliveries signed by this actor: its id (URL), or a package's purl or handle.", json!({ "type": "string" })),
                    query("limit", false, "At most this many.", json!({ "type": "integer", "minimum": 1, "maximum": 500, "default": 50 }))
                ],
                "responses": {
                    "200": ok("The failures.", json!({
                        "type": "object", "required": ["actor", "failures"],
                        "properties": {
                            "actor": { "type": ["string", "null"], "description": "The actor id filtered on." },
                            "failures": { "type": "array", "items": schema("DeliveryReport") }
                        }
                    })),
                    "400": bad_request, "401": unauthorized,
                    "404": error("No package has this purl or handle.")
                }
            }},
            "/api/v1/admin/followers/dead": { "get": {
                "operationId": "deadFollowers",
                "summary": "Followers that are gone: their host is marked unavailable, or their inbox answered 404/410.",
                "parameters": [package_param("followers")],
                "responses": {
                    "200": ok("The dead followers.", list_of("dead_followers", "DeadFollower")),
                    "400": bad_request, "401": unauthorized,
                    "404": error("No package has this purl or handle.")
                }
            }},
            "/api/v1/admin/followers/dead/cleanup": { "post": {
                "operationId": "cleanupDeadFollowers",
                "summary": "Removes the dead followers (a `follower_removed` event with reason `cleanup` each), or with `dry_run=true` only says which it would remove.",
                "parameters": [
                    query("dry_run", false, "Change nothing; answer what would be removed.", json!({ "type": "boolean", "default": false })),
                    package_param("dead followers")
                ],
                "responses": {
                    "200": ok("What was (or would be) removed.", json!({
                        "type": "object", "required": ["dry_run", "removed", "followers"],
                        "properties": {
                            "dry_run": { "type": "boolean" },
                            "removed": { "type": "integer", "minimum": 0 },
                            "followers": { "type": "array", "items": schema("DeadFollower") }
                        }
                    })),
                    "400": bad_request, "401": unauthorized,
                    "404": error("No package has this purl or handle.")
                }
            }},
            "/api/v1/admin/domains/flagged": { "get": {
                "operationId": "flaggedDomains",
                "summary": "Domains flagged for review after repeated 403s.",
                "responses": {
                    "200": ok("The flagged domains.", list_of("flagged_domains", "FlaggedDomain")),
                    "401": unauthorized
                }
            }},
            "/api/v1/admin/domains/flagged/{domain}": { "delete": {
                "operationId": "clearFlaggedDomain",
                "summary": "Clears a domain's flag.",
                "parameters": [{ "name": "domain", "in": "path", "required": true,
                                 "description": "The flagged host, as listed (lowercase, `:port` when not the default).",
                                 "schema": { "type": "string" } }],
                "responses": {
                    "200": ok("Cleared.", json!({
                        "type": "object", "required": ["domain", "cleared"],
                        "properties": { "domain": { "type": "string" }, "cleared": { "const": true } }
                    })),
                    "400": bad_request, "401": unauthorized,
                    "404": error("The domain is not flagged.")
                }
            }},
            "/api/v1/admin/domain-blocks": {
                "get": {
                    "operationId": "domainBlocks",
                    "summary": "Every domain block (configured and added at run time) and whether allow-list mode is on.",
                    "responses": {
                        "200": ok("The blocks.", json!({
                            "type": "object", "required": ["allowlist_mode", "domain_blocks"],
                            "properties": {
                                "allowlist_mode": { "type": "boolean", "description": "Only `federation.allowed_domains` are talked to." },
                                "domain_blocks": { "type": "array", "items": schema("DomainBlock") }
                            }
                        })),
                        "401": unauthorized
                    }
                },
                "post": {
                    "operationId": "blockDomain",
                    "summary": "Blocks a domain and its subdomains from the next request on; persisted.",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "required": ["domain"], "additionalProperties": false,
                        "properties": {
                            "domain": { "type": "string", "description": "A host name (IDNs are stored in ASCII form); no scheme, port or path." },
                            "reason": { "type": "string", "maxLength": 500 }
                        }
                    }}}},
                    "responses": {
                        "201": ok("Blocked.", schema("DomainBlockChange")),
                        "200": ok("It was blocked already; nothing changed.", schema("DomainBlockChange")),
                        "400": error("The body or the domain is invalid; `error` says what."),
                        "401": unauthorized
                    }
                }
            },
            "/api/v1/admin/domain-blocks/{domain}": { "delete": {
                "operationId": "unblockDomain",
                "summary": "Removes a run-time domain block.",
                "parameters": [{ "name": "domain", "in": "path", "required": true,
                                 "description": "The blocked domain, as listed.",
                                 "schema": { "type": "string" } }],
                "responses": {
                    "200": ok("Unblocked (`blocked` stays true when a configured block or the allow-list still refuses it).", schema("DomainBlockChange")),
                    "400": bad_request, "401": unauthorized,
                    "403": error("The domain is blocked by `federation.blocked_domains`: change the configuration."),
                    "404": error("The domain is not blocked at run time.")
                }
            }},
            "/api/v1/admin/hosts": { "get": {
                "operationId": "hosts",
                "summary": "Every host delivered to, with its circuit state, availability and queue depth.",
                "responses": {
                    "200": ok("The hosts.", json!({
                        "type": "object", "required": ["now", "hosts"],
                        "properties": {
                            "now": { "type": "integer", "description": "The time circuit states were computed at." },
                            "hosts": { "type": "array", "items": schema("HostState") }
                        }
                    })),
                    "401": unauthorized
                }
            }},
            "/api/v1/admin/packages/import": { "post": {
                "operationId": "importPackages",
                "summary": "Creates package actors from purls. All or nothing at validation: a purl that does not parse \
                            or names an ecosystem that is not enabled gets 400 naming its index, and nothing is created. \
                            Packages already present are listed as `existing`.",
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["purls"], "additionalProperties": false,
                    "properties": { "purls": { "type": "array", "minItems": 1, "maxItems": 100,
                        "items": { "type": "string", "examples": ["pkg:cargo/serde"] } } }
                } } } },
                "responses": {
                    "200": ok("What was created and what existed.", json!({
                        "type": "object", "required": ["created", "existing"],
                        "properties": {
                            "created": { "type": "array", "items": { "type": "string" } },
                            "existing": { "type": "array", "items": { "type": "string" } }
                        }
                    })),
                    "400": error("The body is malformed, has 0 or more than 100 purls, or one purl is invalid; `error` names it."),
                    "401": unauthorized
                }
            }},
            "/api/v1/admin/packages/rotate-key": { "post": {
                "operationId": "rotatePackageKey",
                "summary": "Gives the package actor a new RSA-2048 key pair and queues `Update{actor}` with the new \
                            `publicKey` to every follower, signed with the new key. The old key is never used again.",
                "parameters": [{ "name": "package", "in": "query", "required": true,
                                 "description": "The package: its purl or handle.",
                                 "schema": { "type": "string" } }],
                "responses": {
                    "200": ok("The rotation.", json!({
                        "type": "object", "required": ["package", "key_id", "fingerprint", "update_id", "deliveries"],
                        "properties": {
                            "package": { "type": "string" }, "key_id": { "type": "string" },
                            "fingerprint": { "type": "string", "description": "SHA-256 of the new public key PEM, 16 hex digits." },
                            "update_id": { "type": "string" },
                            "deliveries": { "type": "integer", "description": "Inboxes the Update was queued to." }
                        }
                    })),
                    "400": error("`package` is missing."),
                    "401": unauthorized,
                    "404": error("No such package.")
                }
            }},
            "/api/v1/admin/registries": { "get": {
                "operationId": "registries",
                "summary": "Registry watcher health: tracked packages, backlog, erroring packages, request counters, \
                            last success and whether the registry has stalled (docs/registries.md).",
                "responses": {
                    "200": ok("One entry per configured registry.", json!({
                        "type": "object", "required": ["registries", "unconfigured"],
                        "properties": {
                            "registries": { "type": "array", "items": registry_health_schema() },
                            "unconfigured": { "type": "array", "items": { "type": "object",
                                "properties": { "ecosystem": { "type": "string" }, "key": { "type": "string" } } } }
                        }
                    })),
                    "401": unauthorized
                }
            }},
            "/api/v1/admin/registries/recheck": { "post": {
                "operationId": "recheckRegistries",
                "summary": "Makes every tracked package (of `ecosystem`, or of every configured registry) due now and wakes \
                            the checkers; the checks run at each registry's rate limit and the backlog of `GET /registries` \
                            shows their progress.",
                "parameters": [{ "name": "ecosystem", "in": "query", "required": false,
                                 "description": "Only this ecosystem (cargo, npm, pypi); it must have a registry configured.",
                                 "schema": { "type": "string" } }],
                "responses": {
                    "200": ok("How many tracked packages were marked due, per ecosystem.", json!({
                        "type": "object", "required": ["marked"],
                        "properties": { "marked": { "type": "object", "additionalProperties": { "type": "integer" } } }
                    })),
                    "400": error("The ecosystem is unknown or has no registry configured; `error` says which."),
                    "401": unauthorized
                }
            }},
            "/api/v1/admin/metrics": { "get": {
                "operationId": "metrics",
                "summary": "Every pkgfed series (HTTP latency, inbox, deliveries, queue, registries, watcher, followers) in the Prometheus text format; see docs/operations.md.",
                "responses": {
                    "200": { "description": "Prometheus text exposition 0.0.4.",
                             "content": { "text/plain": { "schema": { "type": "string" } } } },
                    "401": unauthorized
                }
            }},
            "/api/v1/admin/events": { "get": {
                "operationId": "events",
                "summary": "Live events as Server-Sent Events: `event:` is the event's name (see docs/events.md), `data:` its JSON. \
                            No replay; comments ping every 15 s and report skipped events when the client falls behind.",
                "responses": {
                    "200": { "description": "An endless event stream.",
                             "content": { "text/event-stream": { "schema": { "type": "string" } } } },
                    "401": unauthorized
                }
            }},
            "/api/v1/admin/openapi.json": { "get": {
                "operationId": "openapi",
                "summary": "This document (no token needed).",
                "security": [],
                "responses": { "200": ok("OpenAPI 3.1.", json!({ "type": "object" })) }
            }}
        },
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer",
                            "description": "`admin.token`, or the token generated at first start (`pkgfed admin token`)." }
            },
            "schemas": schemas()
        }
    });
    doc["paths"]["/api/v1/admin/broker"] = super::broker::openapi();
    doc
}

fn schemas() -> Value {
    let string = json!({ "type": "string" });
    let opt_string = json!({ "type": ["string", "null"] });
    let opt_int = json!({ "type": ["integer", "null"] });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    json!({
        "Error": {
            "type": "object", "required": ["error"],
            "properties": { "error": { "type": "string", "description": "What was wrong and what to do." } }
        },
        "ActivityStatus": {
            "type": "object",
            "required": ["activity_id", "actor_id", "kind", "status", "status_detail", "deliveries", "reports"],
            "properties": {
                "activity_id": string, "actor_id": string, "kind": string,
                "status": { "enum": ["pending", "completed", "failed"] },
                "status_detail": opt_string,
                "deliveries": { "type": "array", "items": schema("DeliveryRow") },
                "reports": { "type": "array", "items": schema("DeliveryReport") }
            }
        },
        "DeliveryRow": {
            "type": "object",
            "required": ["inbox", "recipients", "state", "attempts", "next_attempt_at", "last_status", "last_error"],
            "properties": {
                "inbox": string, "recipients": strings,
                "state": { "enum": ["pending", "in_flight", "succeeded", "failed", "skipped"] },
                "attempts": { "type": "integer" }, "next_attempt_at": { "type": "integer" },
                "last_status": opt_int, "last_error": opt_string
            }
        },
        "DeliveryReport": {
            "type": "object",
            "required": ["report_id", "activity_id", "actor_id", "activity_type", "recipients", "inbox_url", "result",
                         "status_code", "reason", "suggested_action", "action_taken", "attempts", "created_at"],
            "properties": {
                "report_id": string, "activity_id": string, "actor_id": string, "activity_type": string,
                "recipients": strings, "inbox_url": string,
                "result": { "enum": ["success", "permanent_failure", "transient_failure", "skipped"] },
                "status_code": opt_int, "reason": string,
                "suggested_action": { "enum": ["remove_follower", "flag_remote_server", "rotate_keys", null] },
                "action_taken": { "type": "boolean" }, "attempts": { "type": "integer" }, "created_at": { "type": "integer" }
            }
        },
        "DeadFollower": {
            "type": "object", "required": ["package", "package_actor", "actor_id", "inbox", "reason"],
            "properties": {
                "package": { "type": "string", "description": "The followed package's purl." },
                "package_actor": string, "actor_id": string, "inbox": string, "reason": string
            }
        },
        "FlaggedDomain": {
            "type": "object", "required": ["domain", "reason", "flagged_at"],
            "properties": { "domain": string, "reason": string, "flagged_at": { "type": "integer" } }
        },
        "DomainBlock": {
            "type": "object", "required": ["domain", "source", "reason", "created_at"],
            "properties": {
                "domain": string,
                "source": { "enum": ["config", "runtime"], "description": "`config`: federation.blocked_domains; `runtime`: added through this API or `pkgfed admin block`." },
                "reason": string, "created_at": opt_int
            }
        },
        "DomainBlockChange": {
            "type": "object", "required": ["domain", "blocked", "changed"],
            "properties": { "domain": string, "blocked": { "type": "boolean" }, "changed": { "type": "boolean" } }
        },
        "HostState": {
            "type": "object",
            "required": ["host", "circuit", "consecutive_failures", "failing_since", "circuit_open_until", "unavailable",
                         "last_success_at", "signature_scheme", "pending"],
            "properties": {
                "host": string,
                "circuit": { "enum": ["closed", "open", "half_open"] },
                "consecutive_failures": { "type": "integer" },
                "failing_since": opt_int, "circuit_open_until": opt_int,
                "unavailable": { "type": "boolean", "description": "New deliveries are recorded as skipped." },
                "last_success_at": opt_int,
                "signature_scheme": { "enum": ["cavage", "rfc9421", null] },
                "pending": { "type": "integer", "description": "Deliveries waiting." }
            }
        }
    })
}
