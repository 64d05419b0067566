//! pkgfed: follow software packages from the fediverse.
//!
//! A package is an ActivityPub actor; fediverse servers discover it with WebFinger,
//! follow it, and receive its posts. This crate is the application: everything but
//! parsing arguments lives here so tests can boot the real server on a loopback port.
//!
//! # Layout
//! - [`config`]: TOML + `PKGFED_*` configuration and its validation.
//! - [`app`]: the wired application state shared by requests.
//! - [`store`]: the storage interface and its SQLite backend with migrations.
//! - [`packages`]: creating and finding package actors.
//! - [`federation`]: documents served to other servers (actors, collections,
//!   WebFinger, NodeInfo) and the URL scheme.
//! - [`pipeline`]: the inbound pipeline (parse → signer → verify → validate →
//!   addressing → persist → handlers → events).
//! - [`delivery`]: the transactional outbox, the durable delivery queue and its
//!   worker, classification, retries, circuit breaker, remediation, backfill.
//! - [`watch`]: registry watching: adapters wired from configuration, the check
//!   loop, release posts, yanks, actors created on first lookup, watcher health.
//! - [`server`]: runs the HTTP server, the delivery worker and the watcher together.
//! - [`events`]: typed events and the publisher interface.
//! - [`web`]: the HTTP router; handler modules mirror URL paths.
//! - [`cli`]: the command line.

pub mod app;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod error;
pub mod events;
pub mod federation;
pub mod packages;
pub mod pipeline;
pub mod server;
pub mod store;
pub mod watch;
pub mod web;

pub use error::{Error, Result};
