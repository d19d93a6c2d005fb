//! sretop: a terminal dashboard for on-call engineers.
//!
//! The crate is laid out so the data flow is visible from the file tree:
//!
//! ```text
//!  keys, ticks, results ──Msg──▶ app::App::update ──Cmd──▶ runtime (tokio tasks, prom clients)
//!                                     │                            │
//!                                     ▼                            └──Msg (results)──▶ …
//!                              ui::render(&App)
//! ```
//!
//! - [`config`]: YAML schema, validation and error locations.
//! - [`prom`]: typed Prometheus HTTP API client; knows nothing of the UI.
//! - [`discover`]: zero-config start: which services a Prometheus has (see `domain::discover`).
//! - [`domain`]: pure logic: golden-signal queries, series, formatting of values.
//! - [`app`]: the one state, changed only by `update(msg, now) -> Vec<Cmd>`; the poll schedule.
//! - [`store`]: files on disk (shift handoff notes and drafts): atomic writes, locking.
//! - [`runtime`]: the only place where terminal and network meet.
//! - [`ui`]: pure rendering of `&App` into a frame.
//! - [`tui`]: terminal setup and restore, panic hook.

pub mod app;
pub mod budget;
pub mod cli;
pub mod config;
pub mod discover;
pub mod domain;
#[doc(hidden)]
pub mod fixture;
pub mod handoff;
pub mod keys;
pub mod prom;
pub mod runtime;
pub mod snapshot;
pub mod store;
pub mod tui;
pub mod ui;
