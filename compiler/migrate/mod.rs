//! Migrations: the compiled state (`state.rs`), the declared renames
//! (`rename.rs`), the diff of two states (`diff.rs`), the column changes
//! made through a shadow column (`shadow_column.rs`), the ordered,
//! lock-aware plan (`plan.rs`) and its scripts (`script.rs`); `apply.rs` runs a plan on
//! PostgreSQL with a journal so an interrupted run resumes. `mysql/` and
//! `sqlite/` plan for those backends, over their own models, with the
//! renames by storage names they share (`storage_renames.rs`).
//!
//! Speaks IR and the backends' models; never syntax, never the CLI.

pub mod apply;
pub mod compatibility_view;
pub mod diff;
pub mod drift;
pub mod mysql;
pub mod plan;
pub mod rename;
pub mod script;
pub mod shadow_column;
pub mod sqlite;
pub mod state;
pub mod storage_renames;

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
    let (states, mut changes) = diff::diff_states(old, new, lowered, options);
    if options.column_changes == postgres::ColumnChanges::WithShadow {
        changes = shadow_column::choose(&states, changes);
    }
    let mut plan = plan::plan(&changes, options);
    several_schemas(&mut plan, old, new, options);
    plan
}

/// Migrations see one PostgreSQL schema, the project's: when the sources
/// place objects in others (`schema NAME`), every step says so (H0008),
/// so no step is applied in the wrong schema unacknowledged.
fn several_schemas(plan: &mut Plan, old: &Ir, new: &Ir, options: &postgres::Options) {
    let placed: std::collections::BTreeSet<&str> = [old, new]
        .iter()
        .flat_map(|ir| ir.schemas.values())
        .map(String::as_str)
        .filter(|s| *s != options.schema)
        .collect();
    if placed.is_empty() {
        return;
    }
    let names: Vec<&str> = placed.into_iter().collect();
    for step in &mut plan.steps {
        step.hazards.push(Hazard {
            code: crate::diagnostics::codes::H0008,
            object: "schemas".into(),
            message: format!(
                "the sources place objects in the schemas {} besides `{}`; migrations write every step in `{}` \
                 for now: check or write this step by hand",
                names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
                options.schema,
                options.schema
            ),
        });
    }
}
