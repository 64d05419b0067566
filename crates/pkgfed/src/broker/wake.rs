//! Wake messages: "work was queued in the database, look now".
//!
//! Which work an event announces is decided here, in one place: the events are
//! emitted exactly where work is queued (the outbox write, a new follower), so the
//! subsystems stay unaware of the broker; the admin re-check, which has no event,
//! calls `Broker::wake`. One durable queue per kind of work, so a
//! process consumes only the wakes of the work it runs (a process without the
//! watcher never swallows a registry wake meant for one with it). A wake carries no
//! work: the database does. A lost wake delays work until the next poll, nothing
//! more, and pending wakes coalesce (a thousand enqueues in a burst are one message).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

use crate::events::Event;

/// A kind of work a wake announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WakeKind {
    /// Deliveries were queued (the delivery worker should claim).
    Deliveries,
    /// A package may have gained its first follower (the watcher should reconcile
    /// which packages are watched, then check the new ones).
    Registry,
}

impl WakeKind {
    /// Every kind.
    pub const ALL: [WakeKind; 2] = [WakeKind::Deliveries, WakeKind::Registry];

    /// The name in messages (body and `type` property), metrics and status.
    pub fn as_str(self) -> &'static str {
        match self {
            WakeKind::Deliveries => "deliveries",
            WakeKind::Registry => "registry",
        }
    }

    /// The durable queue of this kind's wakes.
    pub fn queue(self) -> &'static str {
        match self {
            WakeKind::Deliveries => "pkgfed.work.deliveries",
            WakeKind::Registry => "pkgfed.work.registry",
        }
    }

    /// The kind named `s` (a message body).
    pub fn parse(s: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str().as_bytes() == s)
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The work `event` says was queued, if any (work queued without an event, such
    /// as an operator's re-check, calls `Broker::wake` itself).
    pub fn for_event(event: &Event) -> Option<Self> {
        match event {
            Event::DeliveryRequested { deliveries, .. } if *deliveries > 0 => {
                Some(WakeKind::Deliveries)
            }
            Event::BackfillRequested { posts, .. } if *posts > 0 => Some(WakeKind::Deliveries),
            Event::FollowAccepted { .. } => Some(WakeKind::Registry),
            _ => None,
        }
    }
}

/// The local wake-ups a received wake triggers; `None` for work this process does
/// not run (its queue is then not consumed).
#[derive(Clone, Default)]
pub struct Wakers {
    /// The delivery worker's wake.
    pub deliveries: Option<Arc<Notify>>,
    /// The watcher's: its tracking reconciliation and its registry loops.
    pub registry: Option<(Arc<Notify>, Arc<Notify>)>,
}

impl Wakers {
    /// Whether this process consumes `kind`'s queue.
    pub fn consumes(&self, kind: WakeKind) -> bool {
        match kind {
            WakeKind::Deliveries => self.deliveries.is_some(),
            WakeKind::Registry => self.registry.is_some(),
        }
    }

    /// Wakes what `kind` is for.
    pub fn wake(&self, kind: WakeKind) {
        match kind {
            WakeKind::Deliveries => {
                if let Some(n) = &self.deliveries {
                    n.notify_one();
                }
            }
            WakeKind::Registry => {
                if let Some((watch, registries)) = &self.registry {
                    watch.notify_one();
                    registries.notify_waiters();
                }
            }
        }
    }
}

/// Wakes waiting to be published: one flag per kind (so bursts coalesce) and a
/// notification for the publishing task. Flags stay set while the broker is down
/// and go out after reconnection.
#[derive(Default)]
pub struct PendingWakes {
    flags: [AtomicBool; 2],
    /// Signals the publishing task that a flag was set.
    pub notify: Notify,
}

impl PendingWakes {
    /// Marks `kind` to be published.
    pub fn set(&self, kind: WakeKind) {
        if !self.flags[kind.index()].swap(true, Ordering::AcqRel) {
            self.notify.notify_one();
        }
    }

    /// The kinds to publish now, clearing them.
    pub fn take(&self) -> Vec<WakeKind> {
        WakeKind::ALL
            .into_iter()
            .filter(|k| self.flags[k.index()].swap(false, Ordering::AcqRel))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_work_maps_to_its_wake() {
        let requested = |deliveries| Event::DeliveryRequested {
            activity_id: "a".into(),
            kind: "Create".into(),
            deliveries,
            skipped: 0,
        };
        assert_eq!(
            WakeKind::for_event(&requested(3)),
            Some(WakeKind::Deliveries)
        );
        assert_eq!(WakeKind::for_event(&requested(0)), None);
        let follow = Event::FollowAccepted {
            package: "p".into(),
            follower: "f".into(),
        };
        assert_eq!(WakeKind::for_event(&follow), Some(WakeKind::Registry));
        let tracked = Event::PackageTracked {
            package: "p".into(),
        };
        assert_eq!(WakeKind::for_event(&tracked), None);
    }

    #[test]
    fn names_round_trip() {
        for k in WakeKind::ALL {
            assert_eq!(WakeKind::parse(k.as_str().as_bytes()), Some(k));
        }
        assert_eq!(WakeKind::parse(b"everything"), None);
    }

    #[test]
    fn pending_wakes_coalesce() {
        let p = PendingWakes::default();
        for _ in 0..1000 {
            p.set(WakeKind::Deliveries);
        }
        p.set(WakeKind::Registry);
        assert_eq!(p.take(), vec![WakeKind::Deliveries, WakeKind::Registry]);
        assert!(p.take().is_empty());
    }
}
