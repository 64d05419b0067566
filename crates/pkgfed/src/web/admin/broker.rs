//! `GET /api/v1/admin/broker`: the RabbitMQ connection of cluster mode — connected or
//! not and since when, the last error (credentials removed), and the event and wake
//! counters behind the `pkgfed_broker_*` / `pkgfed_events_*` metrics. Without
//! `[broker]` it says so (`configured: false`).

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use serde_json::{Value, json};

use crate::broker::BrokerStatusView;
use crate::web::AppState;

/// `GET /broker` answer.
#[derive(Debug, Serialize)]
pub struct BrokerResponse {
    /// Whether `[broker]` is configured.
    configured: bool,
    /// The connection's state, when configured.
    #[serde(flatten)]
    status: Option<BrokerStatusView>,
}

/// `GET /broker`.
pub async fn status(State(state): State<AppState>) -> Json<BrokerResponse> {
    Json(BrokerResponse {
        configured: state.broker.is_some(),
        status: state.broker.as_ref().map(|b| b.view()),
    })
}

/// This route's OpenAPI path item (merged into the document by [`super::openapi`]).
pub fn openapi() -> Value {
    let counts = json!({ "type": "object", "additionalProperties": { "type": "integer" } });
    json!({ "get": {
        "operationId": "broker",
        "summary": "The RabbitMQ connection (`[broker]`): connected or not, since when, the last error, \
                    events published and dropped, wakes sent and received (docs/operations.md).",
        "responses": {
            "200": { "description": "The broker's state; only `configured: false` without `[broker]`.",
                "content": { "application/json": { "schema": {
                    "type": "object", "required": ["configured"],
                    "properties": {
                        "configured": { "type": "boolean" },
                        "address": { "type": "string", "description": "scheme://host:port/vhost, without credentials." },
                        "connected": { "type": "boolean" },
                        "since_ms": { "type": ["integer", "null"], "description": "Unix ms of the last change of `connected`." },
                        "last_error": { "type": ["string", "null"] },
                        "connections": { "type": "integer", "description": "Successful connections since start." },
                        "events_published": { "type": "integer" },
                        "events_dropped": counts.clone(),
                        "wakes_sent": counts.clone(),
                        "wakes_received": counts
                    }
                } } } },
            "401": { "description": "Missing or wrong bearer token.",
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
        }
    }})
}
