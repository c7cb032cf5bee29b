//! Runs stored SQLite migrations on a database, with a journal
//! (`schemac_migrations`: name, checksum, steps, when) so running them
//! again does nothing and a failed one can simply be run again.
//!
//! Each migration is one transaction: foreign keys are turned off before it
//! (SQLite ignores the pragma inside a transaction), every step runs, then
//! `PRAGMA foreign_key_check` must report nothing, the journal row is
//! written and the transaction commits. Any failure rolls all of it back,
//! so a migration is either applied and recorded or not applied at all.
//! Foreign keys are left as the connection had them. Refuses a migration
//! whose statements changed after it was recorded.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use super::script::StoredMigration;

/// The journal table.
pub const JOURNAL: &str = "schemac_migrations";

#[derive(Debug)]
pub enum ApplyError {
    /// The database could not be opened or prepared.
    Open(String),
    Database {
        migration: String,
        step: usize,
        summary: String,
        message: String,
    },
    /// The rows break foreign keys after the steps: `table rowid → parent`.
    ForeignKeys {
        migration: String,
        violations: Vec<String>,
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
        let again = "nothing of it was applied; fix the cause and run `schemac migrate apply --sqlite` again";
        match self {
            ApplyError::Open(message) => write!(f, "{message}"),
            ApplyError::Database { migration, step, summary, message } => {
                write!(f, "migration {migration}, step {step} ({summary}) failed: {message}\n  help: {again}")
            }
            ApplyError::ForeignKeys { migration, violations } => write!(
                f,
                "migration {migration} leaves rows that break foreign keys: {}\n  help: {again}",
                violations.join("; ")
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

fn open_error(e: rusqlite::Error) -> ApplyError {
    ApplyError::Open(e.to_string())
}

fn journal(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS \"{JOURNAL}\" (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, \
         steps INTEGER NOT NULL, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"
    ))
}

/// The migrations recorded in the journal: name → checksum.
pub fn recorded(conn: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    let exists: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
        [JOURNAL],
        |row| row.get(0),
    )?;
    if !exists {
        return Ok(Vec::new());
    }
    let mut statement = conn.prepare(&format!("SELECT name, checksum FROM \"{JOURNAL}\" ORDER BY name"))?;
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
    rows.collect()
}

/// Opens (creating it when missing) the database file and applies.
pub fn apply_file(path: &Path, migrations: &[StoredMigration]) -> Result<Report, ApplyError> {
    let mut conn = Connection::open(path)
        .map_err(|e| ApplyError::Open(format!("cannot open the SQLite database {}: {e}", path.display())))?;
    apply(&mut conn, migrations)
}

/// Applies, in order, the migrations the journal does not record.
pub fn apply(conn: &mut Connection, migrations: &[StoredMigration]) -> Result<Report, ApplyError> {
    if !conn.is_autocommit() {
        return Err(ApplyError::Open("migrations need a connection outside a transaction".into()));
    }
    journal(conn).map_err(open_error)?;
    let mut report = Report::default();
    for migration in migrations {
        let checksum = migration.checksum();
        let found: Option<String> = conn
            .query_row(&format!("SELECT checksum FROM \"{JOURNAL}\" WHERE name = ?1"), [&migration.name], |row| {
                row.get(0)
            })
            .optional()
            .map_err(open_error)?;
        match found {
            Some(c) if c == checksum => report.already += 1,
            Some(_) => return Err(ApplyError::Changed { migration: migration.name.clone() }),
            None => {
                let steps: Vec<(&str, &[String])> =
                    migration.steps.iter().map(|s| (s.summary.as_str(), s.up.as_slice())).collect();
                run(conn, &migration.name, &steps, Some(&checksum))?;
                report.applied.push((migration.name.clone(), migration.steps.len()));
            }
        }
    }
    Ok(report)
}

/// Runs `migration`'s down statements (last step first) and removes it
/// from the journal, in one transaction.
pub fn revert(conn: &mut Connection, migration: &StoredMigration) -> Result<(), ApplyError> {
    if !migration.reversible() {
        return Err(ApplyError::Irreversible { migration: migration.name.clone() });
    }
    journal(conn).map_err(open_error)?;
    let steps: Vec<(&str, &[String])> =
        migration.steps.iter().rev().filter_map(|s| Some((s.summary.as_str(), s.down.as_deref()?))).collect();
    run(conn, &migration.name, &steps, None)
}

/// One transaction with foreign keys off: the statements, the foreign key
/// check and the journal (recorded with `checksum`, or removed when none).
fn run(
    conn: &mut Connection,
    name: &str,
    steps: &[(&str, &[String])],
    checksum: Option<&str>,
) -> Result<(), ApplyError> {
    let foreign_keys: i64 = conn.query_row("PRAGMA foreign_keys", [], |row| row.get(0)).map_err(open_error)?;
    conn.execute_batch("PRAGMA foreign_keys = OFF").map_err(open_error)?;
    let result = (|| {
        let tx = conn.transaction().map_err(open_error)?;
        for (n, (summary, statements)) in steps.iter().enumerate() {
            for statement in *statements {
                tx.execute_batch(statement).map_err(|e| ApplyError::Database {
                    migration: name.to_string(),
                    step: n + 1,
                    summary: summary.to_string(),
                    message: e.to_string(),
                })?;
            }
        }
        let violations = foreign_key_violations(&tx).map_err(open_error)?;
        if !violations.is_empty() {
            return Err(ApplyError::ForeignKeys { migration: name.to_string(), violations });
        }
        let journal = match checksum {
            Some(c) => tx.execute(
                &format!("INSERT INTO \"{JOURNAL}\" (name, checksum, steps) VALUES (?1, ?2, ?3)"),
                rusqlite::params![name, c, steps.len() as i64],
            ),
            None => tx.execute(&format!("DELETE FROM \"{JOURNAL}\" WHERE name = ?1"), [name]),
        };
        journal.map_err(open_error)?;
        tx.commit().map_err(open_error)
    })();
    // The transaction rolled back if it did not commit (dropped).
    let restore =
        conn.execute_batch(&format!("PRAGMA foreign_keys = {}", if foreign_keys != 0 { "ON" } else { "OFF" }));
    result?;
    restore.map_err(open_error)
}

/// `PRAGMA foreign_key_check`, one line per broken reference (at most 10).
pub fn foreign_key_violations(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check LIMIT 10")?;
    let rows = statement.query_map([], |row| {
        let table: String = row.get(0)?;
        let rowid: Option<i64> = row.get(1)?;
        let parent: String = row.get(2)?;
        Ok(format!("{table} row {} → {parent}", rowid.map_or("?".to_string(), |r| r.to_string())))
    })?;
    rows.collect()
}
