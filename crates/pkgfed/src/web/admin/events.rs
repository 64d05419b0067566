//! `GET /api/v1/admin/events`: the live event bus as Server-Sent Events.
//!
//! Each event is one SSE message whose `event:` is its snake_case name and whose
//! `data:` is its JSON (the same object, `event` field included). Only events
//! published after connecting are sent; there is no replay. A subscriber that falls
//! behind the bus's buffer gets a `: lagged, N events skipped` comment and carries on.
//! Comment pings every [`KEEP_ALIVE`] keep proxies from closing an idle stream.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use crate::events::Event;
use crate::web::AppState;

/// Interval of keep-alive comments.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `GET /events`.
pub async fn stream(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    // Subscribed before the response starts, so a client that has the headers sees
    // every event published afterwards.
    let rx = state.bus.subscribe();
    let stop = state.shutdown.on_request();
    tracing::info!("admin event stream opened");
    Sse::new(stream::unfold((rx, stop), next))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))
}

/// The next SSE message; None ends the stream (the server is shutting down, so the
/// stream does not hold up the graceful shutdown).
async fn next(
    (mut rx, mut stop): (Receiver<Event>, watch::Receiver<bool>),
) -> Option<(
    Result<SseEvent, Infallible>,
    (Receiver<Event>, watch::Receiver<bool>),
)> {
    let received = tokio::select! {
        r = rx.recv() => r,
        _ = stop.wait_for(|stopping| *stopping) => return None,
    };
    let message = match received {
        Ok(event) => to_sse(&event),
        Err(RecvError::Lagged(skipped)) => {
            tracing::warn!(skipped, "admin event stream fell behind; events skipped");
            SseEvent::default().comment(format!("lagged, {skipped} events skipped"))
        }
        Err(RecvError::Closed) => return None,
    };
    Some((Ok(message), (rx, stop)))
}

/// One event as an SSE message.
pub fn to_sse(event: &Event) -> SseEvent {
    let json = serde_json::to_value(event).unwrap_or_default();
    let name = json
        .get("event")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("unknown")
        .to_owned();
    SseEvent::default().event(name).data(json.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_name_is_the_snake_case_tag() {
        let e = Event::CircuitOpened {
            host: "social.example".into(),
        };
        // The SSE encoding is axum's; what we choose is the name and the JSON.
        let text = format!("{:?}", to_sse(&e));
        assert!(text.contains("circuit_opened"), "{text}");
        assert!(text.contains("social.example"), "{text}");
    }
}
