//! pkgfed: follow software packages from the fediverse.
//!
//! A package is an ActivityPub actor; fediverse servers discover it with WebFinger,
//! follow it, and receive its posts. This crate is the application: everything but
//! parsing arguments lives here so tests can boot the real server on a loopback port.
//!
//! # Layout
//! - [`config`]: TOML + `PKGFED_*` configuration and its validation.
//! - [`app`]: the wired application state shared by requests.
//! - [`clock`]: "now" for the whole application (manual in tests).
//! - [`store`]: the backend-neutral storage traits and models, and one folder per
//!   backend (`store/sqlite/`) with its migrations.
//! - [`packages`]: creating and finding package actors, and creating them on first
//!   lookup from their registry.
//! - [`federation`]: documents served to other servers (actors, collections,
//!   WebFinger, NodeInfo) and the URL scheme.
//! - [`inbound`]: the inbound pipeline (parse → signer → verify → validate →
//!   addressing → dedup → handlers → persist → events).
//! - [`outbound`]: the transactional outbox, the durable delivery queue and its
//!   worker, signed attempts, classification, retries, circuit breaker, remediation,
//!   backfill.
//! - [`posts`]: composing and publishing release and advisory posts.
//! - [`watch`]: registry watching: adapters wired from configuration, the check
//!   loop, diffing, schedule, advisories, watcher health.
//! - [`server`]: runs the HTTP server, the delivery worker and the watcher together.
//! - [`events`]: typed events and the publisher interface.
//! - [`web`]: the HTTP router; handler modules mirror URL paths.
//! - [`cli`]: the command line.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod error;
pub mod events;
pub mod federation;
pub mod inbound;
pub mod outbound;
pub mod packages;
pub mod posts;
pub mod server;
pub mod store;
pub mod watch;
pub mod web;

pub use error::{Error, Result};
