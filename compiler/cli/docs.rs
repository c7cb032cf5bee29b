//! `schemac docs`: write the documentation site (and, for `schemac build`,
//! the diagrams next to it). Reads the migrations' plan.json files for the
//! history page; removes pages of entities that no longer exist, and nothing
//! else it did not write.

use std::path::{Path, PathBuf};

use super::report::Reporter;
use super::UsageError;
use crate::graph::{self, docs};

/// The migrations under `dir`, in order (their directory names sort as they apply).
fn migrations(dir: &Path) -> Vec<docs::Migration> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    names.sort();
    names
        .into_iter()
        .map(|path| {
            let plan = std::fs::read_to_string(path.join("plan.json")).ok();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            docs::Migration::new(name, plan.as_deref())
        })
        .collect()
}

/// The site and the diagrams of a loaded, built project.
pub fn artifacts(loaded: &super::workspace::Loaded, name: &str) -> graph::Artifacts {
    let history = loaded.project.as_ref().map(|p| migrations(&p.migrations)).unwrap_or_default();
    graph::artifacts(&loaded.compilation, name, &history)
}

/// Writes `files` under `base`, creating directories.
pub fn write_tree(base: &Path, files: &[(String, String)]) -> Result<(), UsageError> {
    for (path, contents) in files {
        let target = base.join(path);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(|e| UsageError(format!("cannot create {}: {e}", dir.display())))?;
        }
        std::fs::write(&target, contents).map_err(|e| UsageError(format!("cannot write {}: {e}", target.display())))?;
    }
    Ok(())
}

/// Removes `<site>/entities/*.html` pages the new site does not have (of
/// entities removed since the last build), and `migrations.html` when there
/// are no migrations any more. Nothing else is touched.
pub fn prune(site_dir: &Path, files: &[(String, String)]) -> Result<(), UsageError> {
    let keep = |relative: &str| files.iter().any(|(p, _)| p == relative);
    let mut stale = Vec::new();
    if let Ok(entries) = std::fs::read_dir(site_dir.join("entities")) {
        for entry in entries.filter_map(|e| e.ok()) {
            let relative = format!("entities/{}", entry.file_name().to_string_lossy());
            if relative.ends_with(".html") && !keep(&relative) {
                stale.push(entry.path());
            }
        }
    }
    if !keep("migrations.html") && site_dir.join("migrations.html").is_file() {
        stale.push(site_dir.join("migrations.html"));
    }
    for path in stale {
        std::fs::remove_file(&path).map_err(|e| UsageError(format!("cannot remove {}: {e}", path.display())))?;
    }
    Ok(())
}

/// `schemac docs [PATH] [--out DIR]`.
pub fn run(path: Option<PathBuf>, out: Option<PathBuf>, reporter: &Reporter) -> Result<bool, UsageError> {
    let Some((loaded, _output, diagnostics)) = super::build::produce(path, false, reporter)? else {
        return Ok(false);
    };
    if diagnostics.iter().any(|d| d.is_error()) {
        reporter.status("docs not written: the schema has errors");
        return Ok(false);
    }
    let name = loaded.project.as_ref().map_or_else(|| "schema".to_string(), |p| p.name.clone());
    let site_dir = match (out, &loaded.project) {
        (Some(dir), _) => dir,
        (None, Some(project)) => project.out.join("docs"),
        (None, None) => PathBuf::from("docs"),
    };
    let files = artifacts(&loaded, &name).site;
    write_tree(&site_dir, &files)?;
    prune(&site_dir, &files)?;
    reporter.status(&format!(
        "wrote the documentation of {name} ({} pages) to {}\n  open {}",
        files.iter().filter(|(p, _)| p.ends_with(".html")).count(),
        super::project::display(&site_dir),
        super::project::display(&site_dir.join("index.html"))
    ));
    Ok(true)
}
