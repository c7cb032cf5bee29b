//! Turns a path given on the command line into the files to compile: the
//! project around it (schemac.toml) or a single file, read from disk.

use std::path::{Path, PathBuf};

use super::project::{self, LintLevel, Project};
use super::UsageError;
use crate::diagnostics::{Code, Diagnostic, Sources};
use crate::driver::{self, Compilation, Input};

pub struct Loaded {
    pub project: Option<Project>,
    pub compilation: Compilation,
    pub file_count: usize,
    /// Diagnostics about schemac.toml itself, with its own sources.
    pub manifest_error: Option<(Sources, Diagnostic)>,
    /// The compiled state the next migration starts from (schema.lock once
    /// there are migrations), read once by `build::produce` for all who need it.
    pub base: Option<std::sync::Arc<crate::semantic::ir::Ir>>,
}

impl Loaded {
    pub fn lints(&self) -> std::collections::BTreeMap<Code, LintLevel> {
        self.project.as_ref().map(|p| p.lints.clone()).unwrap_or_default()
    }
}

fn read(path: &Path) -> Result<Input, UsageError> {
    let bytes = std::fs::read(path).map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    Ok(Input { name: project::display(path), bytes })
}

/// The project containing `path` (or the current directory).
pub fn locate(path: Option<PathBuf>) -> Result<(Option<PathBuf>, Vec<PathBuf>), UsageError> {
    let start = path.clone().unwrap_or_else(|| PathBuf::from("."));
    if !start.exists() {
        return Err(UsageError(format!("{} does not exist", start.display())));
    }
    if start.is_file() {
        if start.file_name().is_some_and(|n| n == project::MANIFEST) {
            return Ok((Some(start), Vec::new()));
        }
        if start.extension().is_none_or(|e| e != "schema") {
            return Err(UsageError(format!("{} is not a .schema file", start.display())));
        }
        return Ok((None, vec![start]));
    }
    match project::find(&start) {
        Some(manifest) => Ok((Some(manifest), Vec::new())),
        None => Err(UsageError(format!(
            "no {} in {} or any parent directory\n  help: create one (a `[project]` table is enough), or pass a .schema file",
            project::MANIFEST,
            std::path::absolute(&start).unwrap_or(start).display()
        ))),
    }
}

pub fn load(path: Option<PathBuf>) -> Result<Loaded, UsageError> {
    let (manifest, files) = locate(path)?;
    let Some(manifest) = manifest else {
        let inputs = files.iter().map(|f| read(f)).collect::<Result<Vec<_>, _>>()?;
        return Ok(Loaded {
            project: None,
            file_count: inputs.len(),
            compilation: driver::compile(&inputs),
            manifest_error: None,
            base: None,
        });
    };
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", manifest.display())))?;
    let mut manifest_sources = Sources::new();
    let project = match project::load(&manifest, &text, &mut manifest_sources, project::display(&manifest)) {
        Ok(p) => p,
        Err(d) => {
            return Ok(Loaded {
                project: None,
                file_count: 0,
                compilation: driver::compile(&[]),
                manifest_error: Some((manifest_sources, d)),
                base: None,
            })
        }
    };
    let files = project::schema_files(&project.sources, Some(&project.out))
        .map_err(|e| UsageError(format!("cannot list the sources of {}: {e}", manifest.display())))?;
    if files.is_empty() {
        return Err(UsageError(format!(
            "the project at {} has no .schema files\n  help: add one, or point `sources` in {} at them",
            project.root.display(),
            project::MANIFEST
        )));
    }
    let inputs = files.iter().map(|f| read(f)).collect::<Result<Vec<_>, _>>()?;
    Ok(Loaded {
        file_count: inputs.len(),
        compilation: driver::compile(&inputs),
        project: Some(project),
        manifest_error: None,
        base: None,
    })
}
