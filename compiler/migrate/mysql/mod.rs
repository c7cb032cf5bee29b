//! Migrations for MySQL/MariaDB: the plan between two compiled states as
//! steps MariaDB 10.11 runs online where it can (`planner.rs`), each ALTER
//! stating the algorithm and lock chosen by InnoDB's documented rules
//! (`online.rs`); the declared renames in the model's terms (`renames.rs`);
//! the stored form and the scripts (`script.rs`); and the per-step journal
//! that applies them to a live database and resumes after the step that
//! finished last (`apply.rs`) — MySQL commits every DDL statement by itself,
//! so a migration cannot be one transaction.
//!
//! Reuses the plan types of the PostgreSQL planner ([`Plan`], [`Step`],
//! [`Hazard`]) and its H codes. Speaks IR and the MySQL model; never syntax,
//! never the CLI, never PostgreSQL SQL.

pub mod apply;
pub mod online;
pub mod planner;
pub mod renames;
pub mod script;

use crate::backends::mysql;
use crate::semantic::ir::{Ir, SourceMap};

pub use super::plan::{Hazard, Phase, Plan, Step};
pub use renames::Renames;

/// The MySQL model an IR lowers to (what a fresh build creates).
pub fn model(ir: &Ir) -> mysql::Schema {
    mysql::lower::lower(ir, &SourceMap::default()).0
}

/// The plan from `old` (the compiled state) to `new`, renames declared with
/// `renamed_from` followed.
pub fn plan(old: &Ir, new: &Ir) -> Plan {
    let renames = Renames::from_declared(&super::rename::declared(old, new));
    planner::plan(&model(old), &model(new), &renames)
}
