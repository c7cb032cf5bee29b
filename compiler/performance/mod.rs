//! The performance report (`build/performance.md`): how each workload query
//! reaches its rows and which index would serve it, how much disk each
//! entity takes and grows by, and which large entities are partitioning
//! candidates.
//!
//! Reads the IR after the passes; advises and never changes the schema (the
//! index advisor that does is a pass: `passes/index_advice.rs`, using
//! `access_path` and `estimate`). `explain` and `synthetic` are the pure
//! halves of `schemac analyze`; `synthetic::load` runs its SQL on a client
//! the CLI hands it, as `migrate::apply` does.

pub mod access_path;
mod advice;
pub mod estimate;
pub mod explain;
mod report;
pub mod storage;
pub mod synthetic;

pub use report::render;
