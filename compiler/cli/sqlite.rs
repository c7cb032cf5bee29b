//! The SQLite side of the migration commands: `migrate new` writes
//! `migrations/<NNNN>_<name>/sqlite/` (up.sql, down.sql, plan.json) when
//! `[build] targets` includes `sqlite`; `migrate apply --sqlite FILE` runs
//! the migrations the file's journal does not record; `verify --sqlite
//! FILE` reads a live database and compares it with what the compiled state
//! lowers to. File system and terminal I/O only; planning, applying and
//! comparing are the library's (`migrate::sqlite`, `backends::sqlite`).

use std::path::{Path, PathBuf};

use super::plan::Planned;
use super::project::Project;
use super::report::Reporter;
use super::UsageError;
use crate::backends::sqlite::compare::compare;
use crate::migrate::sqlite::{self as migrate, apply, script, Plan};

/// Whether the project builds for SQLite.
pub fn targeted(project: &Project) -> bool {
    project.targets.iter().any(|t| t == "sqlite")
}

/// The SQLite plan of the next migration, with its hazards that `allow`,
/// schemac.toml and the sources do not acknowledge; `None` when SQLite is
/// not a target.
pub fn plan(planned: &Planned, allow: &[String]) -> Option<(Plan, Vec<String>)> {
    let project = planned.loaded.project.as_ref()?;
    if !targeted(project) {
        return None;
    }
    let empty = crate::semantic::ir::Ir::default();
    let base = planned.loaded.base.as_deref().unwrap_or(&empty);
    let ir = &planned.loaded.compilation.ir;
    let plan = migrate::plan(base, ir, &Default::default());
    let unacknowledged = super::plan::unacknowledged(plan.hazards().map(|h| h.key()), project, allow, ir);
    Some((plan, unacknowledged))
}

/// Writes `<dir>/sqlite/` for the migration `name`.
pub fn write_migration(dir: &Path, name: &str, plan: &Plan) -> Result<(), UsageError> {
    let stored = script::stored(name, plan);
    let files = [
        ("up.sql", script::up_sql(&stored)),
        ("down.sql", script::down_sql(&stored)),
        ("plan.json", script::plan_json(&stored)),
    ];
    super::state::write_backend_migration(dir, "sqlite", files)
}

/// Every migration's SQLite plan, in order.
fn stored_migrations(project: &Project) -> Result<Vec<script::StoredMigration>, UsageError> {
    super::state::backend_plans(project, "sqlite", "SQLite")
}

/// `schemac migrate apply --sqlite FILE`.
pub fn apply(path: Option<PathBuf>, file: PathBuf, reporter: &Reporter) -> Result<bool, UsageError> {
    let loaded = super::workspace::load(path)?;
    let Some(project) = loaded.project.as_ref() else {
        return Err(UsageError("migrations need a project: create a schemac.toml next to the sources".into()));
    };
    let migrations = stored_migrations(project)?;
    if migrations.is_empty() {
        reporter.status("no migrations to apply (create one with `schemac migrate new NAME`)");
        return Ok(true);
    }
    match apply::apply_file(&file, &migrations) {
        Ok(report) => {
            for (name, steps) in &report.applied {
                reporter.status(&format!("applied {name} to {}: {steps} step(s)", file.display()));
            }
            reporter.status(&format!(
                "SQLite database is up to date: {} migration(s) applied now, {} already",
                report.applied.len(),
                report.already
            ));
            Ok(true)
        }
        Err(apply::ApplyError::Open(message)) => Err(UsageError(message)),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(false)
        }
    }
}

/// `schemac verify --sqlite FILE`: the live database against the compiled
/// state (schema.lock once migrations exist, else the sources).
pub fn verify(path: Option<PathBuf>, file: PathBuf, no_reorder: bool, reporter: &Reporter) -> Result<bool, UsageError> {
    let Some((loaded, output, diagnostics)) = super::build::produce(path, no_reorder, reporter)? else {
        return Ok(false);
    };
    std::mem::forget(output);
    if diagnostics.iter().any(|d| d.is_error()) {
        reporter.status("verify stopped: the schema has errors");
        return Ok(false);
    }
    if let Some(project) = &loaded.project {
        if !targeted(project) {
            return Err(UsageError("sqlite is not a target of this project ([build] targets in schemac.toml)".into()));
        }
    }
    let (ir, state) = match &loaded.base {
        Some(lock) => (lock.as_ref(), "schema.lock"),
        None => (&loaded.compilation.ir, "the sources"),
    };
    let expected = migrate::model(ir, &Default::default());
    if !file.is_file() {
        return Err(UsageError(format!("{}: no such SQLite database", file.display())));
    }
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = rusqlite::Connection::open_with_flags(&file, flags)
        .map_err(|e| UsageError(format!("cannot open the SQLite database {}: {e}", file.display())))?;
    let mut actual = crate::import::introspect::sqlite::read_schema(&conn)
        .map_err(|e| UsageError(format!("cannot read the schema of {}: {e}", file.display())))?;
    actual.tables.retain(|t| t.name != apply::JOURNAL);
    actual.indexes.retain(|i| i.table != apply::JOURNAL);
    let differences = compare(&expected, &actual);
    for d in &differences {
        eprintln!("difference (sqlite): {d}");
    }
    if !differences.is_empty() {
        eprintln!("verify failed: {} differs from {state} in {} place(s)", file.display(), differences.len());
        return Ok(false);
    }
    reporter.status(&format!(
        "verified {} on SQLite: {} tables, {} indexes, {} views, {} triggers match {state}",
        file.display(),
        actual.tables.len(),
        actual.indexes.len(),
        actual.views.len(),
        actual.triggers.len()
    ));
    Ok(true)
}
