//! The project's migration state on disk: `schema.lock` (the compiled state
//! of the last migration) and `migrations/<NNNN>_<name>/` (up.sql, down.sql,
//! plan.json). Reading and writing them, and which state the next plan
//! starts from.

use std::path::{Path, PathBuf};

use super::project::Project;
use super::UsageError;
use crate::migrate::script::StoredPlan;
use crate::migrate::state;
use crate::semantic::ir::Ir;

/// The migration directories, in order (`0001_init`, `0002_…`).
pub fn migration_dirs(project: &Project) -> Result<Vec<PathBuf>, UsageError> {
    let Ok(entries) = std::fs::read_dir(&project.migrations) else { return Ok(Vec::new()) };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && p.file_name().and_then(|n| n.to_str()).is_some_and(is_migration_name))
        .collect();
    dirs.sort();
    Ok(dirs)
}

fn is_migration_name(name: &str) -> bool {
    name.len() > 5 && name.as_bytes()[..4].iter().all(u8::is_ascii_digit) && name.as_bytes()[4] == b'_'
}

/// The state the next plan starts from: schema.lock once migrations exist,
/// the empty database before the first one.
pub fn base(project: &Project) -> Result<Option<Ir>, UsageError> {
    if migration_dirs(project)?.is_empty() {
        return Ok(None);
    }
    read_lock(&project.lock)?.map(Some).ok_or_else(|| {
        UsageError(format!(
            "{} has migrations but no {}\n  help: restore schema.lock from version control (it is the state the migrations end in)",
            super::project::display(&project.migrations),
            super::project::display(&project.lock)
        ))
    })
}

pub fn read_lock(path: &Path) -> Result<Option<Ir>, UsageError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            state::read(&text).map(Some).map_err(|e| UsageError(format!("{}: {e}", super::project::display(path))))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(UsageError(format!("cannot read {}: {e}", path.display()))),
    }
}

/// Every stored plan, in order.
pub fn stored_plans(project: &Project) -> Result<Vec<StoredPlan>, UsageError> {
    migration_dirs(project)?
        .iter()
        .map(|dir| {
            let path = dir.join("plan.json");
            let text = std::fs::read_to_string(&path)
                .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
            serde_json::from_str(&text)
                .map_err(|e| UsageError(format!("{} is not a schemac plan: {e}", path.display())))
        })
        .collect()
}

/// The directory name of the next migration: `0003_add_notes`.
pub fn next_name(project: &Project, name: &str) -> Result<String, UsageError> {
    let clean: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect::<String>()
        .trim_matches('_')
        .to_string();
    if clean.is_empty() {
        return Err(UsageError(format!("`{name}` is not a usable migration name: use letters, digits and _")));
    }
    let next = migration_dirs(project)?
        .last()
        .and_then(|d| d.file_name()?.to_str()?.get(..4)?.parse::<u32>().ok())
        .map_or(1, |n| n + 1);
    Ok(format!("{next:04}_{clean}"))
}

/// Every migration's plan for another backend (`mysql/plan.json`,
/// `sqlite/plan.json` in each migration's directory), in order.
pub fn backend_plans<T: serde::de::DeserializeOwned>(
    project: &Project,
    directory: &str,
    backend: &str,
) -> Result<Vec<T>, UsageError> {
    migration_dirs(project)?
        .iter()
        .map(|dir| {
            let path = dir.join(directory).join("plan.json");
            let text = std::fs::read_to_string(&path).map_err(|e| {
                UsageError(format!(
                    "cannot read {}: {e}\n  help: {backend} migrations are written by `schemac migrate new` when [build] targets includes \"{directory}\"",
                    path.display()
                ))
            })?;
            serde_json::from_str(&text)
                .map_err(|e| UsageError(format!("{} is not a schemac {backend} plan: {e}", path.display())))
        })
        .collect()
}

/// Writes a migration's files for another backend: `<dir>/<directory>/`
/// with up.sql, down.sql and plan.json.
pub fn write_backend_migration(dir: &Path, directory: &str, files: [(&str, String); 3]) -> Result<(), UsageError> {
    let out = dir.join(directory);
    std::fs::create_dir_all(&out).map_err(|e| UsageError(format!("cannot create {}: {e}", out.display())))?;
    for (name, text) in files {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}
