//! The performance report (`build/performance.md`): how each workload query
//! reaches its rows and which index would serve it, how much disk each
//! entity takes and grows by, and which large entities are partitioning
//! candidates.
//!
//! Reads the IR after the passes; advises and never changes the schema.
//! `schemac analyze` (checking the advice with EXPLAIN on a real server) is
//! not built yet.

pub mod access_path;
mod advice;
pub mod estimate;
pub mod explain;
mod report;
pub mod storage;

pub use report::render;
