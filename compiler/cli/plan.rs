//! `schemac plan`: what the next migration would do — the steps from the
//! compiled state of the last migration (schema.lock) to the sources, with
//! their phases, locks, rewrites and hazards. `--sql` prints up.sql,
//! `--format json` the plan as data. Writes nothing.

use std::path::PathBuf;

use super::report::Reporter;
use super::{workspace::Loaded, UsageError};
use crate::diagnostics::render::Format;
use crate::migrate::{self, script, Plan};

/// A plan with what it was computed from.
pub struct Planned {
    pub loaded: Loaded,
    pub plan: Plan,
    /// Hazards not acknowledged by `--allow` or `[migrations] allow`.
    pub unacknowledged: Vec<String>,
    pub had_base: bool,
    pub diagnostics: Vec<crate::diagnostics::Diagnostic>,
}

/// Compiles the project and plans from its base state. `None` when the
/// sources have errors (reported).
pub fn compute(path: Option<PathBuf>, allow: &[String], reporter: &Reporter) -> Result<Option<Planned>, UsageError> {
    // JSON output is one document: the diagnostics go into it (see `run`).
    let json = reporter.format == Format::Json;
    // Only the PostgreSQL model of the sources is wanted, not the artifacts.
    let no_artifacts = |options: &mut crate::pipeline::Options, _: &Loaded| options.artifacts = false;
    let Some((mut loaded, mut output, diagnostics)) =
        super::build::produce_adjusted(path, false, reporter, !json, &no_artifacts)?
    else {
        return Ok(None);
    };
    let lowered = output.postgres.take();
    std::mem::forget(output);
    if diagnostics.iter().any(|d| d.is_error()) {
        if json {
            super::out(&crate::diagnostics::render::json(&loaded.compilation.sources, &diagnostics));
        }
        return Ok(None);
    }
    let Some(project) = loaded.project.take() else {
        return Err(UsageError("migrations need a project: create a schemac.toml next to the sources".into()));
    };
    let had_base = loaded.base.is_some();
    let empty = crate::semantic::ir::Ir::default();
    let base = loaded.base.as_deref().unwrap_or(&empty);
    let plan = migrate::plan_lowered(base, &loaded.compilation.ir, lowered, &project.postgres);
    // Acknowledged in schemac.toml, on the command line, or by `allow`
    // lines in the sources.
    let unacknowledged = unacknowledged(plan.hazards().map(|h| h.key()), &project, allow, &loaded.compilation.ir);
    loaded.project = Some(project);
    Ok(Some(Planned { loaded, plan, unacknowledged, had_base, diagnostics }))
}

/// The hazards (keys like `H0002:order.note`) that neither `--allow`, nor
/// `[migrations] allow` in schemac.toml, nor an `allow` line in the sources
/// acknowledges, in plan order without repeats in a row.
pub fn unacknowledged(
    hazards: impl Iterator<Item = String>,
    project: &super::project::Project,
    allow: &[String],
    ir: &crate::semantic::ir::Ir,
) -> Vec<String> {
    let acknowledged: Vec<&String> = project.allow.iter().chain(allow).chain(&ir.allows).collect();
    let mut out: Vec<String> = hazards.filter(|k| !acknowledged.contains(&k)).collect();
    out.dedup();
    out
}

/// The plan as a reviewer reads it.
pub fn human(plan: &Plan, unacknowledged: &[String]) -> String {
    let mut out = String::new();
    for (i, step) in plan.steps.iter().enumerate() {
        let mut facts = vec![format!("{:?}", step.phase).to_lowercase(), format!("lock {}", step.lock)];
        if step.rewrite {
            facts.push("rewrites the table".into());
        } else if step.scan {
            facts.push("scans the table".into());
        }
        if !step.transactional {
            facts.push("not in a transaction".into());
        }
        if step.down.is_none() {
            facts.push("irreversible".into());
        }
        out.push_str(&format!("{:>3}. {}\n     {}\n", i + 1, step.summary, facts.join(", ")));
        for h in &step.hazards {
            let state = if unacknowledged.contains(&h.key()) { "" } else { " (acknowledged)" };
            out.push_str(&format!("     hazard {} {}: {}{state}\n", h.code, h.object, h.message));
        }
    }
    out
}

/// Whose plan `schemac plan` shows.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
    Mysql,
}

pub fn run(
    path: Option<PathBuf>,
    sql: bool,
    backend: Backend,
    allow: Vec<String>,
    reporter: &Reporter,
) -> Result<bool, UsageError> {
    let Some(planned) = compute(path, &allow, reporter)? else { return Ok(false) };
    if backend != Backend::Postgres {
        return run_other(planned, sql, backend, &allow, reporter);
    }
    let project = planned.loaded.project.as_ref().expect("computed with a project");
    let stored = script::stored("next", &planned.plan, &project.timeouts);
    let from = if planned.had_base { "schema.lock" } else { "an empty database (no migrations yet)" };
    if reporter.format == Format::Json {
        let diagnostics: serde_json::Value = serde_json::from_str(&crate::diagnostics::render::json(
            &planned.loaded.compilation.sources,
            &planned.diagnostics,
        ))
        .unwrap_or_default();
        let document = serde_json::json!({
            "diagnostics": diagnostics,
            "plan": stored,
            "unacknowledged": planned.unacknowledged,
        });
        super::out(&(serde_json::to_string_pretty(&document).expect("a plan serializes") + "\n"));
    } else if sql {
        super::out(&script::up_sql(&stored));
    } else if planned.plan.is_empty() {
        reporter.status(&format!("nothing to migrate: the sources match {from}"));
    } else {
        super::out(&format!("plan from {from} to the sources: {} step(s)\n\n", planned.plan.steps.len()));
        super::out(&human(&planned.plan, &planned.unacknowledged));
    }
    if !planned.unacknowledged.is_empty() {
        let flags: Vec<String> = planned.unacknowledged.iter().map(|k| format!("--allow {k}")).collect();
        reporter.status(&format!(
            "{} hazard(s) need acknowledgement before `schemac migrate new`: {}",
            planned.unacknowledged.len(),
            flags.join(" ")
        ));
    }
    std::mem::forget(planned);
    Ok(true)
}

/// `schemac plan --backend sqlite|mysql`: that backend's plan, printed as
/// the PostgreSQL one is (`--sql` its up.sql, `--format json` its stored form).
fn run_other(
    planned: Planned,
    sql: bool,
    backend: Backend,
    allow: &[String],
    reporter: &Reporter,
) -> Result<bool, UsageError> {
    let (name, computed, stored, up) = match backend {
        Backend::Sqlite => {
            let computed = super::sqlite::plan(&planned, allow);
            let stored = computed.as_ref().map(|(p, _)| crate::migrate::sqlite::script::stored("next", p));
            let up = stored.as_ref().map(crate::migrate::sqlite::script::up_sql);
            ("sqlite", computed, stored.map(|s| serde_json::to_value(s).unwrap_or_default()), up)
        }
        Backend::Mysql | Backend::Postgres => {
            let computed = super::mysql::plan(&planned, allow);
            let stored = computed.as_ref().map(|(p, _)| crate::migrate::mysql::script::stored("next", p));
            let up = stored.as_ref().map(crate::migrate::mysql::script::up_sql);
            ("mysql", computed, stored.map(|s| serde_json::to_value(s).unwrap_or_default()), up)
        }
    };
    let (Some((plan, unacknowledged)), Some(stored), Some(up)) = (computed, stored, up) else {
        return Err(UsageError(format!("{name} is not a target of this project ([build] targets in schemac.toml)")));
    };
    let from = if planned.had_base { "schema.lock" } else { "an empty database (no migrations yet)" };
    if reporter.format == Format::Json {
        let document = serde_json::json!({ "backend": name, "plan": stored, "unacknowledged": unacknowledged });
        super::out(&(serde_json::to_string_pretty(&document).expect("a plan serializes") + "\n"));
    } else if sql {
        super::out(&up);
    } else if plan.is_empty() {
        reporter.status(&format!("nothing to migrate on {name}: the sources match {from}"));
    } else {
        super::out(&format!("{name} plan from {from} to the sources: {} step(s)\n\n", plan.steps.len()));
        super::out(&human(&plan, &unacknowledged));
    }
    if !unacknowledged.is_empty() {
        let flags: Vec<String> = unacknowledged.iter().map(|k| format!("--allow {k}")).collect();
        reporter.status(&format!(
            "{} hazard(s) need acknowledgement before `schemac migrate new`: {}",
            unacknowledged.len(),
            flags.join(" ")
        ));
    }
    std::mem::forget(planned);
    Ok(true)
}
