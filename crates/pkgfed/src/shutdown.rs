//! Shutdown, in one place and two stages, so everything stops in the right order:
//!
//! 1. **requested** (SIGINT/SIGTERM, or the embedder's stop future): HTTP stops
//!    accepting, long-lived streams (the admin event stream) end, the watcher stops;
//! 2. **drained** (HTTP has finished within the grace period): the delivery worker
//!    stops claiming and lets in-flight deliveries finish; housekeeping stops.
//!
//! Deliveries keep running while HTTP drains, since a request being answered may
//! still queue one (an `Accept`).

use tokio::sync::watch;

/// The process's shutdown switch; cheap to clone, every clone is the same switch.
#[derive(Clone)]
pub struct Shutdown {
    requested: watch::Sender<bool>,
    drained: watch::Sender<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self {
            requested: watch::channel(false).0,
            drained: watch::channel(false).0,
        }
    }
}

impl Shutdown {
    /// Stage 1: stop taking new work (see the module docs).
    pub fn request(&self) {
        self.requested.send_replace(true);
    }

    /// Stage 2: HTTP has drained; background work stops (implies stage 1).
    pub fn drained(&self) {
        self.request();
        self.drained.send_replace(true);
    }

    /// Turns true at stage 1.
    pub fn on_request(&self) -> watch::Receiver<bool> {
        self.requested.subscribe()
    }

    /// Turns true at stage 2.
    pub fn on_drained(&self) -> watch::Receiver<bool> {
        self.drained.subscribe()
    }
}
