//! Files sretop keeps on disk. The formats are pure logic in [`crate::domain`]; this module
//! only reads, writes, locks and reports what went wrong with which path.
pub mod handoff;
