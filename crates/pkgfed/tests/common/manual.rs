//! A pkgfed whose delivery queue runs on a manual clock and is driven by the test:
//! HTTP is served (actor documents for signature checks, the inbox) but no worker
//! runs. `run_due` attempts whatever is due at the clock's "now", so the retry
//! schedule, cooldowns and the 7-day availability rule are tested without sleeping.

use std::ops::Deref;
use std::sync::{Arc, Mutex};

use pkgfed::clock::ManualClock;
use pkgfed::config::Config;
use pkgfed::events::Event;
use pkgfed::outbound::outbox;
use pkgfed::outbound::worker::Deliverer;
use pkgfed::store::delivery::{
    ActivityStatusView, Audience, DeliveryReport, DeliveryRow, HostState, NewOutbound,
};
use pkgfed::store::{NewFollower, Package};
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::TestServer;

/// The server, its clock and its (idle) worker.
pub struct ManualServer {
    pub server: TestServer,
    pub clock: Arc<ManualClock>,
    pub deliverer: Deliverer,
    /// Subscribed at start, so no event is missed.
    events: Mutex<broadcast::Receiver<Event>>,
}

impl Deref for ManualServer {
    type Target = TestServer;
    fn deref(&self) -> &TestServer {
        &self.server
    }
}

impl TestServer {
    pub async fn start_manual() -> ManualServer {
        Self::start_manual_with(|_| {}).await
    }

    pub async fn start_manual_with(tweak: impl FnOnce(&mut Config)) -> ManualServer {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let clock = Arc::new(ManualClock::new(now));
        let server = Self::boot(tweak, Some(clock.clone())).await;
        let events = Mutex::new(server.state.bus.subscribe());
        ManualServer {
            deliverer: Deliverer::new(server.state.clone()),
            server,
            clock,
            events,
        }
    }
}

impl ManualServer {
    pub fn now(&self) -> i64 {
        use pkgfed::clock::Clock;
        self.clock.now_ms()
    }

    pub fn advance_ms(&self, ms: i64) {
        self.clock.advance_ms(ms);
    }

    /// Moves the clock to `at_ms` (never backwards).
    pub fn advance_to(&self, at_ms: i64) {
        let now = self.now();
        assert!(at_ms >= now, "the clock does not go back");
        self.clock.advance_ms(at_ms - now);
    }

    /// Runs every delivery due now; returns how many attempts ran.
    pub async fn run_due(&self) -> usize {
        self.deliverer.run_due().await.unwrap()
    }

    /// Events published since the last call.
    pub fn events(&self) -> Vec<Event> {
        let mut rx = self.events.lock().unwrap();
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }

    pub async fn status(&self, activity_id: &str) -> ActivityStatusView {
        self.state
            .store
            .activity_status(activity_id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no outbound activity {activity_id}"))
    }

    pub async fn reports(&self, activity_id: &str) -> Vec<DeliveryReport> {
        self.state.store.reports_for(activity_id).await.unwrap()
    }

    pub async fn host_state(&self, host: &str) -> HostState {
        let hosts = self.state.store.hosts(self.now()).await.unwrap();
        hosts
            .into_iter()
            .find(|h| h.host == host)
            .unwrap_or_else(|| panic!("no state for host {host}"))
    }
}

impl TestServer {
    /// Adds followers straight to the store.
    pub async fn add_followers(&self, package: &Package, followers: &[NewFollower]) {
        for f in followers {
            self.state.store.add_follower(package.id, f).await.unwrap();
        }
    }

    /// Publishes post `n` of `package` to its followers (as a release post would be);
    /// returns the activity id.
    pub async fn publish_post(&self, package: &Package, n: u32) -> String {
        let activity = post(&self.state.urls.actor(&package.handle), n);
        outbox::publish(&self.state, package, &activity, Audience::default())
            .await
            .unwrap();
        activity["id"].as_str().unwrap().to_owned()
    }
}

/// Post `n` of `package` (signed as `actor`) as the store takes it, with its
/// followers as the audience: for queueing from outside the server process.
pub fn queued_post(actor: &str, package: &Package, n: u32) -> (NewOutbound, Audience) {
    let activity = post(actor, n);
    let outbound = NewOutbound {
        activity_id: activity["id"].as_str().unwrap().to_owned(),
        actor_id: actor.to_owned(),
        package_id: Some(package.id),
        kind: "Create".into(),
        activity: activity.to_string(),
    };
    let audience = Audience {
        followers_of: Some(package.id),
        ..Audience::default()
    };
    (outbound, audience)
}

/// A public `Create{Note}` by `actor`, addressed to as:Public and its followers.
pub fn post(actor: &str, n: u32) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}/posts/{n}/activity"),
        "type": "Create",
        "actor": actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [format!("{actor}/followers")],
        "object": {
            "id": format!("{actor}/posts/{n}"),
            "type": "Note",
            "attributedTo": actor,
            "content": format!("release {n}"),
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [format!("{actor}/followers")],
        },
    })
}

/// Package `pkg:cargo/serde` followed by user `u` on each host, each at its own inbox.
pub async fn followed_by_each(server: &TestServer, fleet: &super::fleet::Fleet) -> Package {
    let package = server.add_package("pkg:cargo/serde").await;
    let followers: Vec<NewFollower> = fleet.hosts.iter().map(|h| h.follower("u", false)).collect();
    server.add_followers(&package, &followers).await;
    package
}

/// The delivery of `view` to `inbox`.
pub fn row<'a>(view: &'a ActivityStatusView, inbox: &str) -> &'a DeliveryRow {
    view.deliveries
        .iter()
        .find(|d| d.inbox == inbox)
        .unwrap_or_else(|| panic!("no delivery to {inbox} in {view:#?}"))
}
