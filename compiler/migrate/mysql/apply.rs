//! Runs stored MySQL migrations on a live database, step by step, with a
//! journal in that database: `schemac_migrations` (one row per finished
//! migration: name, checksum, steps, when) and `schemac_migration_steps`
//! (one row per step begun: migration, step, checksum, when it began and
//! when it finished).
//!
//! MySQL commits each DDL statement by itself, so a migration cannot be
//! rolled back; instead each step is recorded as begun before it runs and
//! as finished after, and a later run skips the finished steps and goes on
//! from the first that is not. A step that fails is not recorded (each DDL
//! statement is atomic: a failed one changed nothing). A step recorded as
//! begun but not finished (the process was killed between the statement
//! and the journal) runs again, and an error saying its work is already there (a duplicate
//! column, key, table or constraint; an unknown one it would drop or rename)
//! counts as done. A guard (`SELECT`) that returns a row stops its step.
//! Foreign key checks are off for the session (the planner's foreign keys
//! are added in place only so). Refuses a migration whose statements changed
//! after it, or one of its steps, was recorded.

use mysql::prelude::Queryable;
use mysql::{Conn, Error};

use super::script::{is_guard, StoredMigration};

/// The journal of finished migrations.
pub const JOURNAL: &str = "schemac_migrations";
/// The journal of steps, begun and finished.
pub const STEP_JOURNAL: &str = "schemac_migration_steps";

#[derive(Debug)]
pub enum ApplyError {
    /// The database could not be reached or prepared.
    Open(String),
    Database {
        migration: String,
        step: usize,
        summary: String,
        message: String,
    },
    /// A guard found rows the step would refuse.
    Guard {
        migration: String,
        step: usize,
        summary: String,
        row: String,
    },
    Changed {
        migration: String,
    },
    Irreversible {
        migration: String,
    },
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let again = "the steps before it are applied and recorded; fix the cause and run \
                     `schemac migrate apply --mysql` again: it resumes at this step";
        match self {
            ApplyError::Open(message) => write!(f, "{message}"),
            ApplyError::Database { migration, step, summary, message } => {
                write!(f, "migration {migration}, step {step} ({summary}) failed: {message}\n  help: {again}")
            }
            ApplyError::Guard { migration, step, summary, row } => write!(
                f,
                "migration {migration}, step {step} ({summary}) stopped: a row breaks it ({row})\n  help: {again}"
            ),
            ApplyError::Changed { migration } => write!(
                f,
                "migration {migration} was changed after it was applied (its checksum differs)\n  \
                 help: restore it from version control; make a new migration for new changes"
            ),
            ApplyError::Irreversible { migration } => write!(f, "migration {migration} cannot be undone"),
        }
    }
}

impl std::error::Error for ApplyError {}

/// What a run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// (migration, steps run now).
    pub applied: Vec<(String, usize)>,
    pub already: usize,
}

fn open_error(e: Error) -> ApplyError {
    ApplyError::Open(e.to_string())
}

/// The server's error codes for work that is already done: the object a
/// step makes exists, or the one it drops or renames is gone.
const ALREADY_DONE: [u16; 11] = [
    1050, // table exists
    1051, // unknown table
    1054, // unknown column
    1060, // duplicate column
    1061, // duplicate key name
    1091, // can't drop: check that it exists
    1146, // table doesn't exist
    1359, // trigger exists
    1360, // trigger doesn't exist
    1826, // duplicate foreign key constraint name
    4089, // duplicate CHECK constraint name (MariaDB)
];

fn already_done(e: &Error) -> bool {
    matches!(e, Error::MySqlError(e) if ALREADY_DONE.contains(&e.code) || e.message.contains("already exists"))
}

/// The session every step runs in.
fn prepare(conn: &mut Conn) -> Result<(), Error> {
    conn.query_drop("SET NAMES utf8mb4")?;
    conn.query_drop("SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'")?;
    conn.query_drop("SET SESSION foreign_key_checks = 0")?;
    conn.query_drop(format!(
        "CREATE TABLE IF NOT EXISTS `{JOURNAL}` (name varchar(200) NOT NULL PRIMARY KEY, \
         checksum char(16) NOT NULL, steps int NOT NULL, \
         applied_at datetime(6) NOT NULL DEFAULT (utc_timestamp(6))) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
    ))?;
    conn.query_drop(format!(
        "CREATE TABLE IF NOT EXISTS `{STEP_JOURNAL}` (migration varchar(200) NOT NULL, step int NOT NULL, \
         checksum char(16) NOT NULL, summary text NOT NULL, \
         started_at datetime(6) NOT NULL DEFAULT (utc_timestamp(6)), finished_at datetime(6) NULL, \
         PRIMARY KEY (migration, step)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
    ))
}

/// The migrations recorded as finished: name → checksum.
pub fn recorded(conn: &mut Conn) -> Result<Vec<(String, String)>, Error> {
    let exists: Option<i64> = conn.exec_first(
        "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = database() AND TABLE_NAME = ?",
        (JOURNAL,),
    )?;
    if exists.unwrap_or(0) == 0 {
        return Ok(Vec::new());
    }
    conn.query(format!("SELECT name, checksum FROM `{JOURNAL}` ORDER BY name"))
}

/// Applies, in order, the migrations the journal does not record as
/// finished, each from its first unfinished step.
pub fn apply(conn: &mut Conn, migrations: &[StoredMigration]) -> Result<Report, ApplyError> {
    apply_steps(conn, migrations, usize::MAX)
}

/// [`apply`], stopping (as if killed) once `budget` steps have run now:
/// what the resume tests use to interrupt a run between two steps.
pub fn apply_steps(conn: &mut Conn, migrations: &[StoredMigration], budget: usize) -> Result<Report, ApplyError> {
    prepare(conn).map_err(open_error)?;
    let mut report = Report::default();
    let mut budget = budget;
    for migration in migrations {
        let checksum = migration.checksum();
        let found: Option<String> = conn
            .exec_first(format!("SELECT checksum FROM `{JOURNAL}` WHERE name = ?"), (&migration.name,))
            .map_err(open_error)?;
        match found {
            Some(c) if c == checksum => {
                report.already += 1;
                continue;
            }
            Some(_) => return Err(ApplyError::Changed { migration: migration.name.clone() }),
            None => {}
        }
        let begun: Vec<(usize, String, Option<String>)> = conn
            .exec(
                format!(
                    "SELECT step, checksum, CAST(finished_at AS char) FROM `{STEP_JOURNAL}` WHERE migration = ? ORDER BY step"
                ),
                (&migration.name,),
            )
            .map_err(open_error)?;
        if begun.iter().any(|(_, c, _)| *c != checksum) {
            return Err(ApplyError::Changed { migration: migration.name.clone() });
        }
        let mut ran = 0;
        for (i, step) in migration.steps.iter().enumerate() {
            let number = i + 1;
            let record = begun.iter().find(|(n, _, _)| *n == number);
            if record.is_some_and(|(_, _, finished)| finished.is_some()) {
                continue;
            }
            if budget == 0 {
                report.applied.push((migration.name.clone(), ran));
                return Ok(report);
            }
            budget -= 1;
            let interrupted = record.is_some();
            if !interrupted {
                conn.exec_drop(
                    format!("INSERT INTO `{STEP_JOURNAL}` (migration, step, checksum, summary) VALUES (?, ?, ?, ?)"),
                    (&migration.name, number, &checksum, &step.summary),
                )
                .map_err(open_error)?;
            }
            if let Err(e) = run_step(conn, &migration.name, number, &step.summary, &step.up, interrupted) {
                // A failed DDL statement changed nothing (MariaDB 10.6+ and
                // MySQL 8 make each one atomic): the step is not begun.
                let _ = conn.exec_drop(
                    format!("DELETE FROM `{STEP_JOURNAL}` WHERE migration = ? AND step = ? AND finished_at IS NULL"),
                    (&migration.name, number),
                );
                return Err(e);
            }
            conn.exec_drop(
                format!("UPDATE `{STEP_JOURNAL}` SET finished_at = utc_timestamp(6) WHERE migration = ? AND step = ?"),
                (&migration.name, number),
            )
            .map_err(open_error)?;
            ran += 1;
        }
        conn.exec_drop(
            format!("INSERT INTO `{JOURNAL}` (name, checksum, steps) VALUES (?, ?, ?)"),
            (&migration.name, &checksum, migration.steps.len()),
        )
        .map_err(open_error)?;
        report.applied.push((migration.name.clone(), ran));
    }
    Ok(report)
}

/// One step's statements. `interrupted`: it may have run already.
fn run_step(
    conn: &mut Conn,
    migration: &str,
    number: usize,
    summary: &str,
    statements: &[String],
    interrupted: bool,
) -> Result<(), ApplyError> {
    let failed = |message: String| ApplyError::Database {
        migration: migration.to_string(),
        step: number,
        summary: summary.to_string(),
        message,
    };
    for statement in statements {
        if is_guard(statement) {
            let row: Option<mysql::Row> = conn.query_first(statement).map_err(|e| failed(e.to_string()))?;
            if let Some(row) = row {
                let values: Vec<String> = row.unwrap().iter().map(|v| v.as_sql(true)).collect();
                return Err(ApplyError::Guard {
                    migration: migration.to_string(),
                    step: number,
                    summary: summary.to_string(),
                    row: values.join(", "),
                });
            }
            continue;
        }
        match conn.query_drop(statement) {
            Ok(()) => {}
            Err(e) if interrupted && already_done(&e) => {}
            Err(e) => return Err(failed(e.to_string())),
        }
    }
    Ok(())
}

/// Runs `migration`'s down statements (last step first) and removes it and
/// its steps from the journal.
pub fn revert(conn: &mut Conn, migration: &StoredMigration) -> Result<(), ApplyError> {
    if !migration.reversible() {
        return Err(ApplyError::Irreversible { migration: migration.name.clone() });
    }
    prepare(conn).map_err(open_error)?;
    for (i, step) in migration.steps.iter().enumerate().rev() {
        run_step(conn, &migration.name, i + 1, &step.summary, step.down.as_deref().unwrap_or_default(), false)?;
    }
    for table in [JOURNAL, STEP_JOURNAL] {
        let column = if table == JOURNAL { "name" } else { "migration" };
        conn.exec_drop(format!("DELETE FROM `{table}` WHERE {column} = ?"), (&migration.name,)).map_err(open_error)?;
    }
    Ok(())
}
