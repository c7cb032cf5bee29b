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
    let acknowledged: Vec<&String> = project.allow.iter().chain(allow).chain(&loaded.compilation.ir.allows).collect();
    let mut unacknowledged: Vec<String> =
        plan.hazards().map(|h| h.key()).filter(|k| !acknowledged.contains(&k)).collect();
    unacknowledged.dedup();
    loaded.project = Some(project);
    Ok(Some(Planned { loaded, plan, unacknowledged, had_base, diagnostics }))
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

pub fn run(path: Option<PathBuf>, sql: bool, allow: Vec<String>, reporter: &Reporter) -> Result<bool, UsageError> {
    let Some(planned) = compute(path, &allow, reporter)? else { return Ok(false) };
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
