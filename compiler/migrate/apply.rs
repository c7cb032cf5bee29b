//! Runs stored plans on PostgreSQL, step by step, with a journal
//! (`schemac_migrations`: name, checksum, steps done) so a run that stops —
//! an error, a lock timeout, a killed connection — resumes at the step that
//! did not finish. A transactional step and its journal update commit
//! together; a non-transactional step (CONCURRENTLY, batched backfills) is
//! written to be safe to run again and is recorded right after it.
//!
//! Refuses a migration whose plan changed after it was (partly) applied.

use postgres::Client;

use super::script::{checksum, plan_json, StoredPlan};
use crate::backends::postgres::quote::{literal, qualified};

/// The journal table, in the schema the migrations manage.
pub const JOURNAL: &str = "schemac_migrations";

#[derive(Debug)]
pub enum ApplyError {
    Database { migration: String, step: usize, summary: String, message: String },
    Changed { migration: String },
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApplyError::Database { migration, step, summary, message } => write!(
                f,
                "migration {migration}, step {step} ({summary}) failed: {message}\n  \
                 help: fix the cause and run `schemac migrate apply` again; it resumes at this step"
            ),
            ApplyError::Changed { migration } => write!(
                f,
                "migration {migration} was changed after it was applied (its checksum differs)\n  \
                 help: restore it from version control; make a new migration for new changes"
            ),
        }
    }
}

/// What a run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// (migration, steps run now).
    pub applied: Vec<(String, usize)>,
    pub already: usize,
    /// With [`Until::Contract`]: the migration that stopped before its
    /// contract phase, and the step (1-based) that phase starts at.
    pub paused: Option<(String, usize)>,
}

/// How far a run goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Every pending step of every pending migration.
    End,
    /// Up to the first contract step (drops, the views kept for old
    /// clients): the expand and backfill phases run while the old
    /// application is still deployed; a later run does the rest.
    Contract,
}

fn message(e: &postgres::Error) -> String {
    e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_string())
}

/// Creates the journal when missing.
fn journal(client: &mut Client, schema: &str) -> Result<String, postgres::Error> {
    let table = qualified(schema, JOURNAL);
    let exists: bool = client.query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])?.get(0);
    if !exists {
        client.batch_execute(&format!(
            "CREATE TABLE {table} (name text PRIMARY KEY, checksum text NOT NULL, steps integer NOT NULL, \
             steps_done integer NOT NULL DEFAULT 0, started_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz)"
        ))?;
    }
    Ok(table)
}

/// Records the migrations up to and including `through` as finished without
/// running them: for a database that already has their schema (the one
/// `schemac import` read). Returns how many were recorded now; a migration
/// recorded before keeps its row (and must have the same checksum).
pub fn record_baseline(
    client: &mut Client,
    schema: &str,
    migrations: &[StoredPlan],
    through: &str,
) -> Result<usize, ApplyError> {
    let db = |migration: &str| {
        let migration = migration.to_string();
        move |e: postgres::Error| ApplyError::Database {
            migration: migration.clone(),
            step: 0,
            summary: "record it as applied".into(),
            message: message(&e),
        }
    };
    let table = journal(client, schema).map_err(db("(journal)"))?;
    let mut recorded = 0;
    for plan in migrations {
        let sum = checksum(&plan_json(plan));
        let existing: Option<String> = client
            .query_opt(&format!("SELECT checksum FROM {table} WHERE name = $1"), &[&plan.name])
            .map_err(db(&plan.name))?
            .map(|row| row.get(0));
        match existing {
            Some(found) if found != sum => return Err(ApplyError::Changed { migration: plan.name.clone() }),
            Some(_) => {}
            None => {
                let steps = plan.steps.len() as i32;
                client
                    .execute(
                        &format!(
                            "INSERT INTO {table} (name, checksum, steps, steps_done, finished_at) VALUES ($1, $2, $3, $3, now())"
                        ),
                        &[&plan.name, &sum, &steps],
                    )
                    .map_err(db(&plan.name))?;
                recorded += 1;
            }
        }
        if plan.name == through {
            return Ok(recorded);
        }
    }
    Err(ApplyError::Database {
        migration: through.to_string(),
        step: 0,
        summary: "record it as applied".into(),
        message: "there is no such migration".into(),
    })
}

/// Applies every migration not yet finished, in the order given.
pub fn apply(client: &mut Client, schema: &str, migrations: &[StoredPlan]) -> Result<Report, ApplyError> {
    apply_observed(client, schema, migrations, &mut |_, _, _| {})
}

/// [`apply`], stopping where `until` says.
pub fn apply_until(
    client: &mut Client,
    schema: &str,
    migrations: &[StoredPlan],
    until: Until,
) -> Result<Report, ApplyError> {
    run(client, schema, migrations, until, &mut |_, _, _| {})
}

/// [`apply`], calling `before_step(client, migration, step index)` before
/// each step runs (tests use it to kill the connection between steps).
pub fn apply_observed(
    client: &mut Client,
    schema: &str,
    migrations: &[StoredPlan],
    before_step: &mut dyn FnMut(&mut Client, &str, usize),
) -> Result<Report, ApplyError> {
    run(client, schema, migrations, Until::End, before_step)
}

fn run(
    client: &mut Client,
    schema: &str,
    migrations: &[StoredPlan],
    until: Until,
    before_step: &mut dyn FnMut(&mut Client, &str, usize),
) -> Result<Report, ApplyError> {
    let db = |migration: &str, step: usize, summary: &str| {
        let (migration, summary) = (migration.to_string(), summary.to_string());
        move |e: postgres::Error| ApplyError::Database {
            migration: migration.clone(),
            step,
            summary: summary.clone(),
            message: message(&e),
        }
    };
    let table = journal(client, schema).map_err(db("(journal)", 0, "create the journal table"))?;
    let mut report = Report::default();
    for plan in migrations {
        let sum = checksum(&plan_json(plan));
        let row = client
            .query_opt(
                &format!("SELECT checksum, steps_done, finished_at IS NOT NULL FROM {table} WHERE name = $1"),
                &[&plan.name],
            )
            .map_err(db(&plan.name, 0, "read the journal"))?;
        let done = match row {
            Some(row) => {
                let (recorded, done, finished): (String, i32, bool) = (row.get(0), row.get(1), row.get(2));
                if recorded != sum {
                    return Err(ApplyError::Changed { migration: plan.name.clone() });
                }
                if finished {
                    report.already += 1;
                    continue;
                }
                done.max(0) as usize
            }
            None => {
                client
                    .execute(
                        &format!("INSERT INTO {table} (name, checksum, steps) VALUES ($1, $2, $3)"),
                        &[&plan.name, &sum, &(plan.steps.len() as i32)],
                    )
                    .map_err(db(&plan.name, 0, "record the migration"))?;
                0
            }
        };
        let record = |n: usize| format!("UPDATE {table} SET steps_done = {n} WHERE name = {}", literal(&plan.name));
        for (i, step) in plan.steps.iter().enumerate().skip(done) {
            if until == Until::Contract && step.phase == "contract" {
                if i > done {
                    report.applied.push((plan.name.clone(), i - done));
                }
                report.paused = Some((plan.name.clone(), i + 1));
                return Ok(report);
            }
            before_step(client, &plan.name, i);
            let fail = db(&plan.name, i + 1, &step.summary);
            if step.transactional {
                let mut tx = client.transaction().map_err(&fail)?;
                tx.batch_execute(&format!(
                    "SET LOCAL lock_timeout = {}; SET LOCAL statement_timeout = {}",
                    literal(&plan.lock_timeout),
                    literal(&plan.statement_timeout)
                ))
                .map_err(&fail)?;
                for statement in &step.up {
                    tx.batch_execute(statement).map_err(&fail)?;
                }
                tx.batch_execute(&record(i + 1)).map_err(&fail)?;
                tx.commit().map_err(&fail)?;
            } else {
                client
                    .batch_execute(&format!("SET lock_timeout = {}", literal(&plan.lock_timeout)))
                    .and_then(|_| {
                        client.batch_execute(&format!("SET statement_timeout = {}", literal(&plan.statement_timeout)))
                    })
                    .map_err(&fail)?;
                for statement in &step.up {
                    client.batch_execute(statement).map_err(&fail)?;
                }
                client.batch_execute(&record(i + 1)).map_err(&fail)?;
                client.batch_execute("RESET lock_timeout; RESET statement_timeout").map_err(&fail)?;
            }
        }
        client
            .batch_execute(&format!("UPDATE {table} SET finished_at = now() WHERE name = {}", literal(&plan.name)))
            .map_err(db(&plan.name, plan.steps.len(), "record the end"))?;
        report.applied.push((plan.name.clone(), plan.steps.len() - done));
    }
    Ok(report)
}

/// Undoes a finished migration: each step's down statements, last step
/// first, then forgets it in the journal. Refuses a plan with an
/// irreversible step before touching anything.
pub fn revert(client: &mut Client, schema: &str, plan: &StoredPlan) -> Result<(), ApplyError> {
    let irreversible = plan.steps.iter().position(|s| s.down.is_none());
    if let Some(i) = irreversible {
        return Err(ApplyError::Database {
            migration: plan.name.clone(),
            step: i + 1,
            summary: plan.steps[i].summary.clone(),
            message: "this step cannot be undone, so neither can the migration".into(),
        });
    }
    let table = qualified(schema, JOURNAL);
    for (i, step) in plan.steps.iter().enumerate().rev() {
        let fail = |e: postgres::Error| ApplyError::Database {
            migration: plan.name.clone(),
            step: i + 1,
            summary: format!("undo: {}", step.summary),
            message: message(&e),
        };
        let statements = step.down.as_deref().unwrap_or_default();
        if step.transactional {
            let mut tx = client.transaction().map_err(fail)?;
            for statement in statements {
                tx.batch_execute(statement).map_err(fail)?;
            }
            tx.commit().map_err(fail)?;
        } else {
            for statement in statements {
                client.batch_execute(statement).map_err(fail)?;
            }
        }
    }
    client.batch_execute(&format!("DELETE FROM {table} WHERE name = {}", literal(&plan.name))).map_err(|e| {
        ApplyError::Database {
            migration: plan.name.clone(),
            step: 0,
            summary: "forget the migration".into(),
            message: message(&e),
        }
    })
}
