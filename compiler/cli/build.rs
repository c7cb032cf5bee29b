//! `schemac build`: compile, run the passes and backends, report, and write
//! the artifacts into the project's output directory (ir.json,
//! postgres/schema.sql, docs/, diagrams/ …). Artifacts are byte-identical for
//! the same input.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::report::{self, Reporter};
use super::workspace::{self, Loaded};
use super::{Emit, UsageError};
use crate::diagnostics::Diagnostic;
use crate::pipeline;

fn write(path: &Path, contents: &str) -> Result<(), UsageError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| UsageError(format!("cannot create {}: {e}", dir.display())))?;
    }
    std::fs::write(path, contents).map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))
}

/// The pipeline's options for a loaded project (defaults for a single file).
pub fn options(loaded: &Loaded, no_reorder: bool) -> pipeline::Options {
    let mut options = pipeline::Options::default();
    if let Some(project) = &loaded.project {
        options.project = project.name.clone();
        options.targets = project.targets.clone();
        options.passes = project.passes.clone();
        options.postgres = project.postgres.clone();
    } else if let Some(file) = loaded.compilation.sources.ids().next() {
        options.project = loaded.compilation.sources.get(file).name.clone();
    }
    if no_reorder {
        options.passes.reorder_columns = false;
    }
    options
}

/// Compiles and runs the pipeline; diagnostics of every stage are reported.
/// `None` when something failed (already reported).
pub fn produce(
    path: Option<PathBuf>,
    no_reorder: bool,
    reporter: &Reporter,
) -> Result<Option<(Loaded, pipeline::Output, Vec<Diagnostic>)>, UsageError> {
    produce_reporting(path, no_reorder, reporter, true)
}

/// [`produce`]; with `report` false the caller prints the diagnostics (to
/// fold them into its own JSON document).
pub fn produce_reporting(
    path: Option<PathBuf>,
    no_reorder: bool,
    reporter: &Reporter,
    report_diagnostics: bool,
) -> Result<Option<(Loaded, pipeline::Output, Vec<Diagnostic>)>, UsageError> {
    produce_adjusted(path, no_reorder, reporter, report_diagnostics, &|_, _| {})
}

/// [`produce_reporting`] with the pipeline's options adjusted (`analyze`
/// builds with and without index advice).
pub fn produce_adjusted(
    path: Option<PathBuf>,
    no_reorder: bool,
    reporter: &Reporter,
    report_diagnostics: bool,
    adjust: &dyn Fn(&mut pipeline::Options, &Loaded),
) -> Result<Option<(Loaded, pipeline::Output, Vec<Diagnostic>)>, UsageError> {
    let mut loaded = workspace::load(path)?;
    if let Some((sources, d)) = &loaded.manifest_error {
        reporter.diagnostics(sources, std::slice::from_ref(d));
        return Ok(None);
    }
    let mut diagnostics = report::apply_lints(loaded.compilation.diagnostics.clone(), &loaded.lints());
    let output = if diagnostics.iter().any(|d| d.is_error()) {
        pipeline::Output::failed()
    } else {
        let mut options = options(&loaded, no_reorder);
        adjust(&mut options, &loaded);
        if let Some(project) = &loaded.project {
            loaded.base = super::state::base(project)?.map(std::sync::Arc::new);
            options.previous = loaded.base.clone();
        }
        let output = pipeline::build(&mut loaded.compilation, &options);
        diagnostics.extend(report::apply_lints(output.diagnostics.clone(), &loaded.lints()));
        output
    };
    // One report for every stage: `--format json` prints one document.
    if report_diagnostics {
        reporter.diagnostics(&loaded.compilation.sources, &diagnostics);
    }
    for target in &output.unavailable {
        reporter.status(&format!("note: the `{target}` backend is not available yet; nothing was generated for it"));
    }
    Ok(Some((loaded, output, diagnostics)))
}

pub fn run(
    path: Option<PathBuf>,
    emit: Option<Emit>,
    no_reorder: bool,
    reporter: &Reporter,
    verbose: bool,
) -> Result<bool, UsageError> {
    let started = Instant::now();
    let Some((loaded, output, diagnostics)) = produce(path, no_reorder, reporter)? else {
        return Ok(false);
    };
    if diagnostics.iter().any(|d| d.is_error()) {
        reporter.status(&format!("build failed: {}", report::summary(&diagnostics)));
        return Ok(false);
    }
    let wanted = match emit {
        Some(Emit::Ir) => Some("ir.json"),
        Some(Emit::Postgres) => Some("postgres/schema.sql"),
        None => None,
    };
    if let Some(artifact) = output.artifacts.iter().find(|a| Some(a.path.as_str()) == wanted) {
        super::out(&artifact.contents);
    } else if let Some(wanted) = wanted {
        return Err(UsageError(format!("{wanted} is not built: add its target to [build] targets in schemac.toml")));
    }
    let mut written = Vec::new();
    if let Some(project) = &loaded.project {
        for artifact in &output.artifacts {
            let target = project.out.join(&artifact.path);
            write(&target, &artifact.contents)?;
            written.push(super::project::display(&target));
        }
        if project.docs {
            let artifacts = super::docs::artifacts(&loaded, &project.name);
            let site_dir = project.out.join("docs");
            super::docs::write_tree(&site_dir, &artifacts.site)?;
            super::docs::prune(&site_dir, &artifacts.site)?;
            written.push(super::project::display(&site_dir.join("index.html")));
            super::docs::write_tree(&project.out, &artifacts.diagrams)?;
            written.extend(artifacts.diagrams.iter().map(|(path, _)| super::project::display(&project.out.join(path))));
        }
    }
    if let Some(project) = &loaded.project {
        match lock_status(&loaded, project, true)? {
            LockStatus::Fresh => {}
            LockStatus::Written => written.push(super::project::display(&project.lock)),
            LockStatus::Stale(message) => reporter.status(&format!("note: {message}")),
        }
    }
    let ir = &loaded.compilation.ir;
    let mut line = format!(
        "built {}: {} entities, {} relations, {} policies",
        loaded.project.as_ref().map_or("file", |p| p.name.as_str()),
        ir.entities.len(),
        ir.relations.len(),
        ir.policies.len(),
    );
    if !diagnostics.is_empty() {
        line.push_str(&format!(" — {}", report::summary(&diagnostics)));
    }
    if verbose {
        line.push_str(&format!(" ({} ms)", started.elapsed().as_millis()));
        for w in &written {
            line.push_str(&format!("\n  wrote {w}"));
        }
    }
    reporter.status(&line);
    // The process ends next; freeing a large compilation piece by piece
    // would only delay the exit (about a sixth of the run at 10,000 entities).
    std::mem::forget(loaded);
    std::mem::forget(output);
    Ok(true)
}

/// What schema.lock says about the compiled sources.
pub enum LockStatus {
    Fresh,
    /// Refreshed by this build (a project without migrations).
    Written,
    /// Out of date, with what to do.
    Stale(String),
}

/// schema.lock against the compiled sources. Without migrations the lock is
/// the compiled state itself: `write_lock` refreshes it, else it is reported
/// stale. With migrations it is the state of the last one and `migrate new`
/// moves it: a difference the database would see means a migration is due;
/// one it would not (workload, volumes) is written like a lock without
/// migrations.
pub fn lock_status(
    loaded: &Loaded,
    project: &super::project::Project,
    write_lock: bool,
) -> Result<LockStatus, UsageError> {
    let ir = &loaded.compilation.ir;
    // With migrations, the lock is the base `produce` has read already.
    if let Some(base) = &loaded.base {
        if base.as_ref() == ir {
            return Ok(LockStatus::Fresh);
        }
        // A change no database sees (a workload query, a volume): no
        // migration to write, so the lock follows the sources directly.
        let sqlite_unchanged = !project.targets.iter().any(|t| t == "sqlite")
            || crate::migrate::sqlite::plan(base, ir, &Default::default()).is_empty();
        let mysql_unchanged =
            !project.targets.iter().any(|t| t == "mysql") || crate::migrate::mysql::plan(base, ir).is_empty();
        if sqlite_unchanged && mysql_unchanged && crate::migrate::plan(base, ir, &project.postgres).is_empty() {
            if write_lock {
                write(&project.lock, &crate::migrate::state::write(ir))?;
                return Ok(LockStatus::Written);
            }
            return Ok(LockStatus::Stale(format!(
                "{} is behind the sources, though the database needs no change: run `schemac build` and commit it",
                super::project::display(&project.lock)
            )));
        }
        return Ok(LockStatus::Stale(
            "the schema changed since the last migration: see `schemac plan`, then `schemac migrate new NAME`".into(),
        ));
    }
    if super::state::read_lock(&project.lock)?.as_ref() == Some(ir) {
        return Ok(LockStatus::Fresh);
    }
    if write_lock {
        write(&project.lock, &crate::migrate::state::write(ir))?;
        return Ok(LockStatus::Written);
    }
    Ok(LockStatus::Stale(format!(
        "{} is not the compiled state of the sources: run `schemac build` and commit it",
        super::project::display(&project.lock)
    )))
}
