//! `schemac check`: compile, run the passes and backends, report; write
//! nothing. Fails on errors, and — when schemac.toml says the build output is
//! committed (`[build] committed = true`) — on artifacts a build would change
//! (the diagrams and docs site included, unless `[build] docs = false`).

use std::path::PathBuf;
use std::time::Instant;

use super::report::{self, Reporter};
use super::UsageError;

/// Compiles and prints diagnostics; Ok(false) when there are errors or
/// stale artifacts.
pub fn run(path: Option<PathBuf>, no_reorder: bool, reporter: &Reporter, verbose: bool) -> Result<bool, UsageError> {
    let started = Instant::now();
    // The artifacts' text is compared only when the build output is committed.
    let only_when_committed = |o: &mut crate::pipeline::Options, loaded: &super::workspace::Loaded| {
        o.artifacts = loaded.project.as_ref().is_some_and(|p| p.committed);
    };
    let built = super::build::produce_adjusted(path, no_reorder, reporter, true, &only_when_committed)?;
    let Some((loaded, output, diagnostics)) = built else {
        return Ok(false);
    };
    let mut ok = !diagnostics.iter().any(|d| d.is_error());
    let mut stale = Vec::new();
    if let (true, Some(project)) = (ok, &loaded.project) {
        let mut expected: Vec<(std::path::PathBuf, &str)> =
            output.artifacts.iter().map(|a| (project.out.join(&a.path), a.contents.as_str())).collect();
        let drawn = (project.committed && project.docs).then(|| super::docs::artifacts(&loaded, &project.name));
        if let Some(drawn) = &drawn {
            expected.extend(drawn.site.iter().map(|(p, text)| (project.out.join("docs").join(p), text.as_str())));
            expected.extend(drawn.diagrams.iter().map(|(p, text)| (project.out.join(p), text.as_str())));
        }
        for (on_disk, contents) in expected.into_iter().filter(|_| project.committed) {
            if std::fs::read_to_string(&on_disk).ok().as_deref() != Some(contents) {
                stale.push(super::project::display(&on_disk));
            }
        }
    }
    let mut problems = Vec::new();
    if let (true, Some(project)) = (ok, &loaded.project) {
        if loaded.base.is_some() || project.lock.exists() {
            if let super::build::LockStatus::Stale(message) = super::build::lock_status(&loaded, project, false)? {
                problems.push(message);
            }
        }
    }
    let ir = &loaded.compilation.ir;
    let mut line = format!(
        "checked {} file(s): {} entities, {} relations, {} policies — {}",
        loaded.file_count,
        ir.entities.len(),
        ir.relations.len(),
        ir.policies.len(),
        report::summary(&diagnostics)
    );
    if !stale.is_empty() {
        ok = false;
        line.push_str(&format!(
            "\nerror: {} artifact(s) out of date: {}\n  help: run `schemac build` and commit the result",
            stale.len(),
            stale.join(", ")
        ));
    }
    for problem in &problems {
        ok = false;
        line.push_str(&format!("\nerror: {problem}"));
    }
    if verbose {
        line.push_str(&format!(" ({} ms)", started.elapsed().as_millis()));
    }
    if stale.is_empty() && problems.is_empty() {
        reporter.status(&line);
    } else {
        eprintln!("{line}");
    }
    // The process ends next; freeing a large compilation piece by piece
    // would only delay the exit (about a sixth of the run at 10,000 entities).
    std::mem::forget(loaded);
    std::mem::forget(output);
    Ok(ok)
}
