//! `schemac build`: compile, report, and write the artifacts into the
//! project's output directory. Artifacts are byte-identical for the same input.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::report::{self, Reporter};
use super::{workspace, Emit, UsageError};
use crate::semantic::ir::Ir;

/// The IR as canonical JSON (the form `--emit ir` prints and build writes).
pub fn ir_json(ir: &Ir) -> String {
    serde_json::to_string_pretty(ir).expect("the IR serializes") + "\n"
}

fn write(path: &Path, contents: &str) -> Result<(), UsageError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| UsageError(format!("cannot create {}: {e}", dir.display())))?;
    }
    std::fs::write(path, contents).map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))
}

pub fn run(path: Option<PathBuf>, emit: Option<Emit>, reporter: &Reporter, verbose: bool) -> Result<bool, UsageError> {
    let started = Instant::now();
    let Some((loaded, diagnostics)) = workspace::compile_and_report(path, reporter)? else {
        return Ok(false);
    };
    if diagnostics.iter().any(|d| d.is_error()) {
        reporter.status(&format!("build failed: {}", report::summary(&diagnostics)));
        return Ok(false);
    }
    let ir = &loaded.compilation.ir;
    let json = ir_json(ir);
    if emit == Some(Emit::Ir) {
        super::out(&json);
    }
    let mut written = Vec::new();
    if let Some(project) = &loaded.project {
        let target = project.out.join("ir.json");
        write(&target, &json)?;
        written.push(super::project::display(&target));
    }
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
    Ok(true)
}
