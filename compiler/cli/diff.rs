//! `schemac diff --pg URL`: drift between a live database and the compiled
//! state (schema.lock, or the sources when there is none). Reads the
//! database's catalog, takes the compiled spelling where both mean the same,
//! and prints the plan that would bring the database to the compiled state.
//! Reads only; changes nothing.

use std::path::PathBuf;

use super::database;
use super::report::Reporter;
use super::UsageError;
use crate::backends::postgres;
use crate::import::introspect::postgres::read_catalog;
use crate::migrate::{diff, drift, plan};

pub fn run(path: Option<PathBuf>, pg: String, reporter: &Reporter) -> Result<bool, UsageError> {
    let Some((loaded, output, diagnostics)) = super::build::produce(path, false, reporter)? else {
        return Ok(false);
    };
    if diagnostics.iter().any(|d| d.is_error()) {
        return Ok(false);
    }
    let (state, options, from) = match &loaded.project {
        Some(project) => match super::state::read_lock(&project.lock)? {
            Some(lock) => (lock, project.postgres.clone(), "schema.lock"),
            None => (loaded.compilation.ir.clone(), project.postgres.clone(), "the sources"),
        },
        None => (loaded.compilation.ir.clone(), postgres::Options::default(), "the sources"),
    };
    std::mem::forget(output);
    let (expected, _) = postgres::lower::lower(&state, &Default::default(), &options);
    let mut client = database::connect(&database::config(&pg)?, "PostgreSQL")?;
    let live = read_catalog(&mut client, &options.schema)
        .map_err(|e| UsageError(format!("cannot read the database's catalog: {e}")))?;
    let live = drift::reconcile(&live, &expected);
    let changes = diff::catalogs(&live, &expected);
    let plan = plan::plan(&changes, &options);
    if plan.is_empty() {
        reporter.status(&format!("no drift: the database matches {from}"));
        return Ok(true);
    }
    super::out(&format!(
        "the database differs from {from}; this plan would reconcile it ({} step(s)):\n\n",
        plan.steps.len()
    ));
    // Nothing is acknowledged here: this is a report, not a migration.
    let hazards: Vec<String> = plan.hazards().map(|h| h.key()).collect();
    super::out(&super::plan::human(&plan, &hazards));
    Ok(false)
}
