//! The MySQL/MariaDB side of the migration commands: `migrate new` writes
//! `migrations/<NNNN>_<name>/mysql/` (up.sql, down.sql, plan.json) when
//! `[build] targets` includes `mysql`; `migrate apply --mysql URL` runs the
//! steps the database's journal does not record as finished; `verify
//! --mysql URL` reads the live database and compares it with what the
//! compiled state lowers to; `plan --backend mysql` shows the next plan.
//! Connections, files and terminal I/O only; planning, applying and
//! comparing are the library's (`migrate::mysql`, `backends::mysql`).

use std::path::{Path, PathBuf};

use super::plan::Planned;
use super::project::Project;
use super::report::Reporter;
use super::UsageError;
use crate::backends::mysql::compare::compare;
use crate::migrate::mysql::{self as migrate, apply, script, Plan};

/// Whether the project builds for MySQL/MariaDB.
pub fn targeted(project: &Project) -> bool {
    project.targets.iter().any(|t| t == "mysql")
}

/// The MySQL plan of the next migration, with its hazards that `allow`,
/// schemac.toml and the sources do not acknowledge; `None` when MySQL is
/// not a target.
pub fn plan(planned: &Planned, allow: &[String]) -> Option<(Plan, Vec<String>)> {
    let project = planned.loaded.project.as_ref()?;
    if !targeted(project) {
        return None;
    }
    let empty = crate::semantic::ir::Ir::default();
    let base = planned.loaded.base.as_deref().unwrap_or(&empty);
    let ir = &planned.loaded.compilation.ir;
    let plan = migrate::plan(base, ir);
    let unacknowledged = super::plan::unacknowledged(plan.hazards().map(|h| h.key()), project, allow, ir);
    Some((plan, unacknowledged))
}

/// Writes `<dir>/mysql/` for the migration `name`.
pub fn write_migration(dir: &Path, name: &str, plan: &Plan) -> Result<(), UsageError> {
    let stored = script::stored(name, plan);
    let files = [
        ("up.sql", script::up_sql(&stored)),
        ("down.sql", script::down_sql(&stored)),
        ("plan.json", script::plan_json(&stored)),
    ];
    super::state::write_backend_migration(dir, "mysql", files)
}

/// Every migration's MySQL plan, in order.
fn stored_migrations(project: &Project) -> Result<Vec<script::StoredMigration>, UsageError> {
    super::state::backend_plans(project, "mysql", "MySQL")
}

/// A connection to the database `url` names (`mysql://user:pw@host:port/db`).
fn connect(url: &str) -> Result<(::mysql::Conn, String), UsageError> {
    let opts =
        ::mysql::Opts::from_url(url).map_err(|e| UsageError(format!("--mysql {url:?} is not a mysql:// URL: {e}")))?;
    let Some(database) = opts.get_db_name().map(str::to_string) else {
        return Err(UsageError(format!("--mysql {url:?} names no database (mysql://user@host:3306/DATABASE)")));
    };
    let conn =
        ::mysql::Conn::new(opts).map_err(|e| UsageError(format!("cannot connect to MySQL/MariaDB at {url}: {e}")))?;
    Ok((conn, database))
}

/// `schemac migrate apply --mysql URL`.
pub fn apply(path: Option<PathBuf>, url: String, reporter: &Reporter) -> Result<bool, UsageError> {
    let loaded = super::workspace::load(path)?;
    let Some(project) = loaded.project.as_ref() else {
        return Err(UsageError("migrations need a project: create a schemac.toml next to the sources".into()));
    };
    let migrations = stored_migrations(project)?;
    if migrations.is_empty() {
        reporter.status("no migrations to apply (create one with `schemac migrate new NAME`)");
        return Ok(true);
    }
    let (mut conn, database) = connect(&url)?;
    match apply::apply(&mut conn, &migrations) {
        Ok(report) => {
            for (name, steps) in &report.applied {
                reporter.status(&format!("applied {name} to {database}: {steps} step(s)"));
            }
            reporter.status(&format!(
                "MySQL database {database} is up to date: {} migration(s) applied now, {} already",
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

/// `schemac verify --mysql URL`: the live database against the compiled
/// state (schema.lock once migrations exist, else the sources).
pub fn verify(path: Option<PathBuf>, url: String, no_reorder: bool, reporter: &Reporter) -> Result<bool, UsageError> {
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
            return Err(UsageError("mysql is not a target of this project ([build] targets in schemac.toml)".into()));
        }
    }
    let (ir, state) = match &loaded.base {
        Some(lock) => (lock.as_ref(), "schema.lock"),
        None => (&loaded.compilation.ir, "the sources"),
    };
    let expected = migrate::model(ir);
    let (mut conn, database) = connect(&url)?;
    let mut actual = crate::import::introspect::mysql::read_schema(&mut conn, &database)
        .map_err(|e| UsageError(format!("cannot read the schema of {database}: {e}")))?;
    actual.tables.retain(|t| t.name != apply::JOURNAL && t.name != apply::STEP_JOURNAL);
    let differences = compare(&expected, &actual);
    for d in &differences {
        eprintln!("difference (mysql): {d}");
    }
    if !differences.is_empty() {
        eprintln!("verify failed: {database} differs from {state} in {} place(s)", differences.len());
        return Ok(false);
    }
    reporter.status(&format!(
        "verified {database} on MySQL/MariaDB: {} tables, {} views, {} triggers match {state}",
        actual.tables.len(),
        actual.views.len(),
        actual.triggers.len()
    ));
    Ok(true)
}
