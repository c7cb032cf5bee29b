//! Migrations for SQLite: the plan between two compiled states as steps
//! SQLite can run (`planner.rs`), with ALTER TABLE where SQLite allows the
//! change in place and its documented table rebuild everywhere else
//! (`rebuild.rs`); the declared renames in the model's terms
//! (`renames.rs`); the stored form and the scripts (`script.rs`); and the
//! journal that applies them to a database file (`apply.rs`).
//!
//! Reuses the plan types of the PostgreSQL planner ([`Plan`], [`Step`],
//! [`Hazard`]) and its H codes. Speaks IR and the SQLite model; never syntax,
//! never the CLI, never PostgreSQL SQL.

pub mod apply;
pub mod planner;
pub mod rebuild;
pub mod renames;
pub mod script;

use crate::backends::sqlite;
use crate::semantic::ir::{Ir, SourceMap};

pub use super::plan::{Hazard, Phase, Plan, Step};
pub use renames::Renames;

/// The SQLite model an IR lowers to (what a fresh build creates).
pub fn model(ir: &Ir, options: &sqlite::Options) -> sqlite::Schema {
    sqlite::lower::lower(ir, &SourceMap::default(), options).0
}

/// The plan from `old` (the compiled state) to `new`, renames declared with
/// `renamed_from` followed.
pub fn plan(old: &Ir, new: &Ir, options: &sqlite::Options) -> Plan {
    let renames = Renames::from_declared(&super::rename::declared(old, new));
    planner::plan(&model(old, options), &model(new, options), &renames)
}
