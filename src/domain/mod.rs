//! Pure logic with no I/O: what to query for each golden signal, how answers become series on
//! a time grid, the time window on screen, and how values are formatted and judged.
pub mod alerts;
pub mod discover;
pub mod expr;
pub mod format;
pub mod handoff;
pub mod health;
pub mod oncall;
pub mod series;
pub mod signals;
pub mod silence;
pub mod slo;
pub mod slo_plan;
pub mod window;
