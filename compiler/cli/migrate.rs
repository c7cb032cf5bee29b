//! `schemac migrate new NAME`: writes the next migration (up.sql, down.sql,
//! plan.json) and moves schema.lock to the new state — refusing while a
//! hazard is unacknowledged. `schemac migrate apply --pg URL`: runs the
//! migrations a database has not finished, resuming an interrupted one.
//! With `sqlite` among the targets, each migration also gets its SQLite form,
//! which `migrate apply --sqlite FILE` runs (`sqlite.rs`); with `mysql`, its
//! MySQL form, which `migrate apply --mysql URL` runs (`mysql.rs`).

use std::path::PathBuf;

use super::database;
use super::report::Reporter;
use super::UsageError;
use crate::migrate::{apply, script, state};

fn write(path: &std::path::Path, text: &str) -> Result<(), UsageError> {
    std::fs::write(path, text).map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))
}

pub fn new(
    name: String,
    path: Option<PathBuf>,
    allow: Vec<String>,
    data: Option<PathBuf>,
    reporter: &Reporter,
) -> Result<bool, UsageError> {
    // Read before anything is planned or written: a missing file writes nothing.
    let data = match &data {
        Some(file) => Some((
            file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned()),
            std::fs::read_to_string(file)
                .map_err(|e| UsageError(format!("cannot read the data step {}: {e}", file.display())))?,
        )),
        None => None,
    };
    let Some(mut planned) = super::plan::compute(path, &allow, reporter)? else { return Ok(false) };
    let project = planned.loaded.project.as_ref().expect("computed with a project");
    let sqlite = super::sqlite::plan(&planned, &allow);
    let mysql = super::mysql::plan(&planned, &allow);
    if let Some((file, sql)) = data {
        if sqlite.is_some() || mysql.is_some() {
            return Err(UsageError(format!(
                "--data {file}: a data step is written for PostgreSQL migrations only, and this project also \
                 targets {}; move the data by hand on those databases, or leave them out of [build] targets",
                if sqlite.is_some() { "sqlite" } else { "mysql" }
            )));
        }
        if sql.trim().is_empty() {
            return Err(UsageError(format!("--data {file}: the file has no SQL")));
        }
        crate::migrate::plan::insert_data_step(&mut planned.plan, &file, sql);
    }
    if planned.plan.is_empty()
        && sqlite.as_ref().is_none_or(|(p, _)| p.is_empty())
        && mysql.as_ref().is_none_or(|(p, _)| p.is_empty())
    {
        reporter.status("nothing to migrate: the sources match schema.lock");
        return Ok(true);
    }
    let mut unacknowledged = planned.unacknowledged.clone();
    for key in sqlite.iter().chain(&mysql).flat_map(|(_, u)| u) {
        if !unacknowledged.contains(key) {
            unacknowledged.push(key.clone());
        }
    }
    if !unacknowledged.is_empty() {
        eprint!("{}", super::plan::human(&planned.plan, &planned.unacknowledged));
        if let Some((plan, keys)) = sqlite.as_ref().filter(|(_, keys)| !keys.is_empty()) {
            eprintln!("on SQLite:");
            eprint!("{}", super::plan::human(plan, keys));
        }
        if let Some((plan, keys)) = mysql.as_ref().filter(|(_, keys)| !keys.is_empty()) {
            eprintln!("on MySQL/MariaDB:");
            eprint!("{}", super::plan::human(plan, keys));
        }
        let flags: Vec<String> = unacknowledged.iter().map(|k| format!("--allow {k}")).collect();
        eprintln!(
            "error: the plan has {} unacknowledged hazard(s); nothing was written\n  help: read them above; to go ahead, run again with {}\n        (or list them under [migrations] allow in schemac.toml)",
            unacknowledged.len(),
            flags.join(" ")
        );
        return Ok(false);
    }
    let dir_name = super::state::next_name(project, &name)?;
    let dir = project.migrations.join(&dir_name);
    std::fs::create_dir_all(&dir).map_err(|e| UsageError(format!("cannot create {}: {e}", dir.display())))?;
    let stored = script::stored(&dir_name, &planned.plan, &project.timeouts);
    write(&dir.join("up.sql"), &script::up_sql(&stored))?;
    write(&dir.join("down.sql"), &script::down_sql(&stored))?;
    write(&dir.join("plan.json"), &script::plan_json(&stored))?;
    if let Some((plan, _)) = &sqlite {
        super::sqlite::write_migration(&dir, &dir_name, plan)?;
    }
    if let Some((plan, _)) = &mysql {
        super::mysql::write_migration(&dir, &dir_name, plan)?;
    }
    let mut locked = std::borrow::Cow::Borrowed(&planned.loaded.compilation.ir);
    if !planned.plan.moved_columns.is_empty() {
        state::move_to_end(locked.to_mut(), &planned.plan.moved_columns);
    }
    write(&project.lock, &state::write(&locked))?;
    reporter.status(&format!(
        "wrote {} ({} step(s){}) and updated {}",
        super::project::display(&dir),
        stored.steps.len(),
        if planned.plan.reversible() { "" } else { ", irreversible" },
        super::project::display(&project.lock)
    ));
    std::mem::forget(planned);
    Ok(true)
}

pub fn apply(
    path: Option<PathBuf>,
    pg: String,
    baseline: Option<String>,
    expand_only: bool,
    reporter: &Reporter,
) -> Result<bool, UsageError> {
    let loaded = super::workspace::load(path)?;
    let Some(project) = loaded.project.as_ref() else {
        return Err(UsageError("migrations need a project: create a schemac.toml next to the sources".into()));
    };
    let plans = super::state::stored_plans(project)?;
    if plans.is_empty() {
        reporter.status("no migrations to apply (create one with `schemac migrate new NAME`)");
        return Ok(true);
    }
    let mut client = database::connect(&database::config(&pg)?, "PostgreSQL")?;
    if let Some(through) = baseline {
        if !plans.iter().any(|p| p.name == through) {
            let names: Vec<&str> = plans.iter().map(|p| p.name.as_str()).collect();
            return Err(UsageError(format!(
                "--baseline {through}: no such migration (there are {})",
                names.join(", ")
            )));
        }
        match apply::record_baseline(&mut client, &project.postgres.schema, &plans, &through) {
            Ok(n) => reporter
                .status(&format!("recorded {n} migration(s) through {through} as applied, without running them")),
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(false);
            }
        }
    }
    let until = if expand_only { apply::Until::Contract } else { apply::Until::End };
    match apply::apply_until(&mut client, &project.postgres.schema, &plans, until) {
        Ok(report) => {
            for (name, steps) in &report.applied {
                reporter.status(&format!("applied {name}: {steps} step(s)"));
            }
            if let Some((name, step)) = &report.paused {
                reporter.status(&format!(
                    "stopped before the contract phase of {name} (step {step}): deploy the application that uses \
                     the new schema, then run `schemac migrate apply` again to finish"
                ));
                return Ok(true);
            }
            reporter.status(&format!(
                "database is up to date: {} migration(s) applied now, {} already",
                report.applied.len(),
                report.already
            ));
            Ok(true)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(false)
        }
    }
}
