//! pkgfed: follow software packages from the fediverse.
//!
//! A package is an ActivityPub actor; fediverse servers discover it with WebFinger,
//! follow it, and receive its posts. This crate is the application: everything but
//! parsing arguments lives here so tests can boot the real server on a loopback port.
//!
//! # Layout
//! Top-level modules in layers; a module imports only its own layer or lower ones,
//! never in a loop (checked by `tests/import_graph.rs`, which prints the offending
//! files).
//!
//! 1. Foundations
//!    - [`config`]: TOML + `PKGFED_*` configuration and its validation.
//!    - [`clock`]: "now" for the whole application (manual in tests).
//!    - [`error`]: the application's error enum.
//!    - [`events`]: typed events and the publisher interface.
//!    - [`broker`]: the optional RabbitMQ connection of cluster mode: events
//!      published to an exchange, wakes between processes, reconnection, status.
//!    - [`store`]: the backend-neutral storage traits and models, and one folder per
//!      backend (`store/sqlite/`) with its migrations.
//!    - [`shutdown`]: the two-stage shutdown switch.
//!    - [`telemetry`]: log output and the Prometheus metrics recorder.
//! 2. Building blocks
//!    - [`signing`]: the instance key, package keys, both request signers.
//!    - [`registries`]: one adapter and rate limiter per configured registry.
//!    - [`federation`]: documents served to other servers (actors, collections,
//!      WebFinger, NodeInfo) and the URL scheme.
//!    - [`packages`]: creating and finding package actors, and creating them on first
//!      lookup from their registry.
//!    - [`outbound`]: the transactional outbox (the one way anything is sent), the
//!      durable delivery queue and its worker, signed attempts, classification,
//!      retries, circuit breaker, remediation, housekeeping.
//! 3. Subsystems
//!    - [`inbound`]: the inbound pipeline (parse → signer → verify → validate →
//!      addressing → dedup → handlers → persist → events).
//!    - [`posts`]: composing and publishing release and advisory posts, and choosing
//!      a new follower's backfill.
//!    - [`watch`]: registry watching: the check loops, diffing, schedule, advisory
//!      sources, watcher health.
//! 4. [`web`]: the HTTP router on a web-side state; handler modules mirror URL paths.
//! 5. [`app`]: the wiring — builds everything and gives each subsystem its narrow
//!    context ([`outbound::Outbound`], [`inbound::Inbound`], [`watch::Watcher`],
//!    [`packages::lazy::FirstLookup`]).
//! 6. Entry points: [`server`] runs the HTTP server, the delivery worker and the
//!    watcher together; [`cli`] is the command line.
//!
//! A release travels `watch` (the registry adapter's answer, diffed) → `posts`
//! (the Note and its `Create`) → `outbound` (outbox, queue, signed POST).

pub mod app;
pub mod broker;
pub mod cli;
pub mod clock;
pub mod config;
pub mod error;
pub mod events;
pub mod federation;
pub mod inbound;
pub mod microcache;
pub mod outbound;
pub mod packages;
pub mod posts;
pub mod registries;
pub mod server;
pub mod shutdown;
pub mod signing;
pub mod store;
pub mod telemetry;
pub mod watch;
pub mod web;

pub use error::{Error, Result};
