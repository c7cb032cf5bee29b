//! Migrations: the compiled state (`state.rs`), the declared renames
//! (`rename.rs`), the diff of two states (`diff.rs`), the ordered, lock-aware
//! plan (`plan.rs`) and its scripts (`script.rs`); `apply.rs` runs a plan on
//! PostgreSQL with a journal so an interrupted run resumes.
//!
//! Speaks IR and the PostgreSQL model; never syntax, never the CLI.

pub mod apply;
pub mod diff;
pub mod drift;
pub mod plan;
pub mod rename;
pub mod script;
pub mod sqlite;
pub mod state;

use crate::backends::postgres;
use crate::semantic::ir::Ir;

pub use plan::{Hazard, Phase, Plan, Step};

/// The plan from `old` (the compiled state) to `new`.
pub fn plan(old: &Ir, new: &Ir, options: &postgres::Options) -> Plan {
    plan_lowered(old, new, None, options)
}

/// [`plan`] when the caller has lowered `new` already (a build has): that
/// catalog is used instead of lowering it again.
pub fn plan_lowered(old: &Ir, new: &Ir, lowered: Option<postgres::Catalog>, options: &postgres::Options) -> Plan {
    let changes = diff::diff_lowered(old, new, lowered, options);
    plan::plan(&changes, &options.schema)
}
