//! One broker connection, from open to failure: declare the topology, then publish
//! events and wakes and consume wake queues until the connection fails (the caller
//! reconnects) or the process shuts down.

use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, ExchangeDeclareOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, Consumer, ExchangeKind};
use tokio::sync::{mpsc, watch};

use super::wake::{WakeKind, Wakers};
use super::{DropReason, EXCHANGE, Shared};
use crate::config::broker::BrokerSettings;
use crate::events::Event;

/// How long connecting and declaring may take before the attempt counts as failed.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);
/// Events published before their confirms are awaited together.
const BATCH: usize = 64;
/// Unacknowledged wakes a consumer holds at most.
const PREFETCH: u16 = 16;
/// Wakes a queue keeps at most: they coalesce, so more than a few are redundant
/// (and a cluster whose workers are all down must not pile them up).
const WAKE_QUEUE_MAX: i32 = 1000;
/// AMQP `delivery_mode` of a persistent message.
const PERSISTENT: u8 = 2;

type LapinResult<T> = Result<T, lapin::Error>;

/// An open connection with its channels.
pub(super) struct Session {
    conn: Connection,
    publish: Channel,
    /// Consumers of the deliveries and registry wake queues, when consumed here.
    consumers: [Option<Consumer>; 2],
}

impl Session {
    /// Connects and declares the exchange and the wake queues (idempotent: every
    /// process declares the same), then consumes the queues `wakers` asks for.
    pub(super) async fn open(settings: &BrokerSettings, wakers: &Wakers) -> LapinResult<Self> {
        match tokio::time::timeout(OPEN_TIMEOUT, Self::open_now(settings, wakers)).await {
            Ok(r) => r,
            Err(_) => Err(lapin::Error::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer within {} s", OPEN_TIMEOUT.as_secs()),
            ))),
        }
    }

    async fn open_now(settings: &BrokerSettings, wakers: &Wakers) -> LapinResult<Self> {
        let props = ConnectionProperties::default().with_connection_name(
            format!(
                "pkgfed {} pid {}",
                env!("CARGO_PKG_VERSION"),
                std::process::id()
            )
            .into(),
        );
        let conn = Connection::connect(&settings.url, props).await?;
        let publish = conn.create_channel().await?;
        publish
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        publish
            .exchange_declare(
                EXCHANGE.into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    durable: true,
                    ..ExchangeDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await?;
        let mut args = FieldTable::default();
        args.insert("x-max-length".into(), AMQPValue::LongInt(WAKE_QUEUE_MAX));
        for kind in WakeKind::ALL {
            publish
                .queue_declare(
                    kind.queue().into(),
                    QueueDeclareOptions::durable(),
                    args.clone(),
                )
                .await?;
        }
        let mut consumers = [None, None];
        if WakeKind::ALL.iter().any(|k| wakers.consumes(*k)) {
            let channel = conn.create_channel().await?;
            channel
                .basic_qos(PREFETCH, BasicQosOptions::default())
                .await?;
            for kind in WakeKind::ALL.into_iter().filter(|k| wakers.consumes(*k)) {
                let consumer = channel
                    .basic_consume(
                        kind.queue().into(),
                        "".into(),
                        BasicConsumeOptions::default(),
                        FieldTable::default(),
                    )
                    .await?;
                consumers[kind as usize] = Some(consumer);
            }
        }
        Ok(Self {
            conn,
            publish,
            consumers,
        })
    }

    /// Serves the connection until it fails (`Err`: reconnect) or `shutdown` turns
    /// true (`Ok`), then closes it (a connection that is still up, e.g. after its
    /// consumer was cancelled, must not linger beside the next one).
    pub(super) async fn run(
        mut self,
        shared: &Shared,
        wakers: &Wakers,
        queue: &mut mpsc::Receiver<Event>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> LapinResult<()> {
        let result = self.serve(shared, wakers, queue, shutdown).await;
        if self.conn.status().connected() {
            let _ = tokio::time::timeout(
                Duration::from_secs(2),
                self.conn.close(200, "pkgfed closing".into()),
            )
            .await;
        }
        result
    }

    async fn serve(
        &mut self,
        shared: &Shared,
        wakers: &Wakers,
        queue: &mut mpsc::Receiver<Event>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> LapinResult<()> {
        let mut conn_events = self.conn.events_listener();
        // Wakes set while the broker was down go out first.
        self.publish_wakes(shared).await?;
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            let [deliveries, registry] = &mut self.consumers;
            tokio::select! {
                // The switch gone is a shutdown too.
                changed = shutdown.changed() => if changed.is_err() {
                    return Ok(());
                },
                event = conn_events.next() => match event {
                    Some(lapin::Event::Error(e)) => return Err(e),
                    None => return Err(closed("the connection closed")),
                    Some(_) => {}
                },
                d = next_delivery(deliveries) => {
                    received(shared, wakers, WakeKind::Deliveries, d).await?;
                }
                d = next_delivery(registry) => {
                    received(shared, wakers, WakeKind::Registry, d).await?;
                }
                () = shared.wakes.notify.notified() => self.publish_wakes(shared).await?,
                event = queue.recv() => match event {
                    Some(event) => {
                        let mut batch = vec![event];
                        while batch.len() < BATCH {
                            match queue.try_recv() {
                                Ok(e) => batch.push(e),
                                Err(_) => break,
                            }
                        }
                        self.publish_events(shared, batch).await?;
                    }
                    None => return Ok(()),
                },
            }
        }
    }

    /// Publishes `batch` to the exchange, then awaits the confirms together.
    async fn publish_events(&self, shared: &Shared, batch: Vec<Event>) -> LapinResult<()> {
        let total = batch.len() as u64;
        let mut confirms = Vec::with_capacity(batch.len());
        let mut failure = None;
        for event in &batch {
            let (name, body) = encode(event);
            let props = BasicProperties::default()
                .with_content_type("application/json".into())
                .with_delivery_mode(PERSISTENT)
                .with_type(name.as_str().into())
                .with_message_id(uuid::Uuid::now_v7().to_string().into())
                .with_timestamp(super::now_ms() as u64 / 1000)
                .with_app_id("pkgfed".into());
            match self
                .publish
                .basic_publish(
                    EXCHANGE.into(),
                    name.as_str().into(),
                    BasicPublishOptions::default(),
                    &body,
                    props,
                )
                .await
            {
                Ok(c) => confirms.push(c),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        let sent = confirms.len() as u64;
        for confirm in confirms {
            match confirm.await {
                Ok(c) if c.is_ack() => shared.status.published(),
                Ok(_) => shared.status.dropped(DropReason::Nacked, 1),
                Err(e) => {
                    shared.status.dropped(DropReason::PublishFailed, 1);
                    failure.get_or_insert(e);
                }
            }
        }
        shared
            .status
            .dropped(DropReason::PublishFailed, total - sent);
        failure.map_or(Ok(()), Err)
    }

    /// Publishes one persistent wake per pending kind, confirmed; a kind that could
    /// not be sent stays pending for the next connection.
    async fn publish_wakes(&self, shared: &Shared) -> LapinResult<()> {
        for kind in shared.wakes.take() {
            let props = BasicProperties::default()
                .with_content_type("text/plain".into())
                .with_delivery_mode(PERSISTENT)
                .with_type(kind.as_str().into())
                .with_app_id("pkgfed".into());
            let sent = async {
                self.publish
                    .basic_publish(
                        "".into(),
                        kind.queue().into(),
                        BasicPublishOptions::default(),
                        kind.as_str().as_bytes(),
                        props,
                    )
                    .await?
                    .await
            };
            match sent.await {
                Ok(c) if c.is_ack() => shared.status.wake_sent(kind),
                Ok(_) => tracing::warn!(kind = kind.as_str(), "the broker refused a wake"),
                Err(e) => {
                    shared.wakes.set(kind);
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

/// The consumer's next delivery; never, without a consumer.
async fn next_delivery(
    consumer: &mut Option<Consumer>,
) -> Option<LapinResult<lapin::message::Delivery>> {
    match consumer {
        Some(c) => c.next().await,
        None => std::future::pending().await,
    }
}

/// Wakes the local worker for a received wake and acknowledges it.
async fn received(
    shared: &Shared,
    wakers: &Wakers,
    queue_kind: WakeKind,
    delivery: Option<LapinResult<lapin::message::Delivery>>,
) -> LapinResult<()> {
    let delivery = match delivery {
        Some(Ok(d)) => d,
        Some(Err(e)) => return Err(e),
        None => return Err(closed("the broker cancelled the wake consumer")),
    };
    match WakeKind::parse(&delivery.data) {
        Some(kind) => {
            shared.status.wake_received(kind);
            wakers.wake(kind);
        }
        None => tracing::warn!(
            queue = queue_kind.queue(),
            "ignoring a message that is not a wake (its body is not `deliveries` or `registry`)"
        ),
    }
    delivery.acker.ack(BasicAckOptions::default()).await?;
    Ok(())
}

/// The event's name (its routing key) and its JSON body, as the SSE stream shows it.
fn encode(event: &Event) -> (String, Vec<u8>) {
    let value = serde_json::to_value(event).unwrap_or_default();
    let name = value
        .get("event")
        .and_then(|v| v.as_str())
        .unwrap_or("unknown")
        .to_owned();
    let body = serde_json::to_vec(&value).unwrap_or_default();
    (name, body)
}

fn closed(why: &str) -> lapin::Error {
    lapin::Error::from(std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        why.to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_routed_by_their_snake_case_name() {
        let (name, body) = encode(&Event::PackageTracked {
            package: "https://pkgs.example.org/packages/serde".into(),
        });
        assert_eq!(name, "package_tracked");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["event"], "package_tracked");
        assert_eq!(v["package"], "https://pkgs.example.org/packages/serde");
    }
}
