//! `schemac.toml`: finding it (the nearest ancestor, like Cargo.toml),
//! reading it, and listing the project's `.schema` files in a stable order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diagnostics::{codes, Code, Diagnostic, Sources, Span};

pub const MANIFEST: &str = "schemac.toml";
const TARGETS: &[&str] = &["postgres", "mysql", "sqlite", "mongodb"];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(default)]
    project: ProjectSection,
    #[serde(default)]
    build: BuildSection,
    #[serde(default)]
    lint: BTreeMap<String, LintLevel>,
    #[serde(default)]
    passes: PassesSection,
    #[serde(default)]
    postgres: PostgresSection,
    #[serde(default)]
    migrations: MigrationsSection,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MigrationsSection {
    dir: Option<String>,
    allow: Option<Vec<String>>,
    lock_timeout: Option<String>,
    statement_timeout: Option<String>,
    rename_tables: Option<String>,
    column_changes: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PassesSection {
    fk_indexes: Option<bool>,
    advise_indexes: Option<bool>,
    reorder_columns: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PostgresSection {
    schema: Option<String>,
    partitions_ahead: Option<u32>,
    hash_partitions: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ProjectSection {
    name: Option<String>,
    sources: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct BuildSection {
    out: Option<String>,
    targets: Option<Vec<String>>,
    committed: Option<bool>,
    docs: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LintLevel {
    Allow,
    Warn,
    Deny,
}

#[derive(Debug)]
pub struct Project {
    pub root: PathBuf,
    pub name: String,
    pub sources: Vec<PathBuf>,
    pub out: PathBuf,
    pub targets: Vec<String>,
    /// The build output is committed: `schemac check` fails when it is stale.
    pub committed: bool,
    /// `schemac build` also writes the diagrams and the docs site (default).
    pub docs: bool,
    pub lints: BTreeMap<Code, LintLevel>,
    pub passes: crate::passes::Options,
    pub postgres: crate::backends::postgres::Options,
    /// `schema.lock`, next to schemac.toml.
    pub lock: PathBuf,
    pub migrations: PathBuf,
    /// Hazards acknowledged in schemac.toml (`H0002:order.note`).
    pub allow: Vec<String>,
    pub timeouts: crate::migrate::plan::Timeouts,
}

/// The nearest `schemac.toml` at or above `start`.
pub fn find(start: &Path) -> Option<PathBuf> {
    let start = if start.is_file() { start.parent()? } else { start };
    let absolute = std::path::absolute(start).ok()?;
    absolute.ancestors().map(|dir| dir.join(MANIFEST)).find(|candidate| candidate.is_file())
}

/// Reads a manifest. Errors are diagnostics on the manifest itself (E0900).
pub fn load(path: &Path, text: &str, sources: &mut Sources, display: String) -> Result<Project, Diagnostic> {
    let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let file = sources.add(display, text);
    let at = |span: Option<std::ops::Range<usize>>| {
        let r = span.unwrap_or(0..0);
        Span::new(file, r.start, r.end)
    };
    let manifest: Manifest = toml::from_str(text).map_err(|e| {
        Diagnostic::new(codes::E0900, format!("invalid {MANIFEST}: {}", e.message()))
            .at(at(e.span()), "here")
            .help("see `schemac explain E0900` for the keys schemac.toml accepts")
    })?;
    let targets = manifest.build.targets.unwrap_or_else(|| vec!["postgres".into()]);
    for target in &targets {
        if !TARGETS.contains(&target.as_str()) {
            let offset = text.find(&format!("\"{target}\"")).unwrap_or(0);
            return Err(Diagnostic::new(codes::E0900, format!("unknown target `{target}`"))
                .at(Span::new(file, offset, offset + target.len() + 2), "not a backend")
                .help("targets are postgres, mysql, sqlite and mongodb"));
        }
    }
    let mut lints = BTreeMap::new();
    for (code, level) in manifest.lint {
        match Code::parse(&code).filter(|c| c.0.starts_with('W')) {
            Some(c) => {
                lints.insert(c, level);
            }
            None => {
                let offset = text.find(&code).unwrap_or(0);
                return Err(Diagnostic::new(codes::E0900, format!("`{code}` is not a warning code"))
                    .at(Span::new(file, offset, offset + code.len()), "lint levels apply to W codes")
                    .help("list the codes with `schemac explain --list`"));
            }
        }
    }
    let name = manifest
        .project
        .name
        .unwrap_or_else(|| root.file_name().map_or("schema".into(), |n| n.to_string_lossy().into_owned()));
    let sources = manifest.project.sources.unwrap_or_else(|| vec![".".into()]).iter().map(|s| root.join(s)).collect();
    let out = root.join(manifest.build.out.unwrap_or_else(|| "build".into()));
    let defaults = crate::passes::Options::default();
    let passes = crate::passes::Options {
        fk_indexes: manifest.passes.fk_indexes.unwrap_or(defaults.fk_indexes),
        advise_indexes: manifest.passes.advise_indexes.unwrap_or(defaults.advise_indexes),
        reorder_columns: manifest.passes.reorder_columns.unwrap_or(defaults.reorder_columns),
        existing_fields: Default::default(),
    };
    use crate::backends::postgres::{ColumnChanges, RenameTables};
    let pg = crate::backends::postgres::Options::default();
    let postgres = crate::backends::postgres::Options {
        schema: manifest.postgres.schema.unwrap_or(pg.schema),
        partitions_ahead: manifest.postgres.partitions_ahead.unwrap_or(pg.partitions_ahead),
        hash_partitions: manifest.postgres.hash_partitions.unwrap_or(pg.hash_partitions),
        rename_tables: match manifest.migrations.rename_tables.as_deref() {
            None | Some("in_place") => RenameTables::InPlace,
            Some("with_view") => RenameTables::WithView,
            Some(other) => {
                let offset = text.find("rename_tables").unwrap_or(0);
                return Err(Diagnostic::new(codes::E0900, format!("unknown `rename_tables = \"{other}\"`"))
                    .at(Span::new(file, offset, offset + "rename_tables".len()), "here")
                    .help("`rename_tables` under [migrations] is \"in_place\" (the default: ALTER TABLE … RENAME) or \"with_view\" (rename, and keep a view under the old name until the contract phase)"));
            }
        },
        column_changes: match manifest.migrations.column_changes.as_deref() {
            None | Some("in_place") => ColumnChanges::InPlace,
            Some("with_shadow") => ColumnChanges::WithShadow,
            Some(other) => {
                let offset = text.find("column_changes").unwrap_or(0);
                return Err(Diagnostic::new(codes::E0900, format!("unknown `column_changes = \"{other}\"`"))
                    .at(Span::new(file, offset, offset + "column_changes".len()), "here")
                    .help("`column_changes` under [migrations] is \"in_place\" (the default: ALTER COLUMN … TYPE, RENAME COLUMN) or \"with_shadow\" (a new column kept in sync by a trigger and filled in batches, swapped in at the contract phase)"));
            }
        },
    };
    let reserved = postgres.schema.starts_with("pg_") || postgres.schema == "information_schema";
    if postgres.schema.is_empty() || reserved || !(1..=1024).contains(&postgres.hash_partitions) {
        let offset = text.find("[postgres]").unwrap_or(0);
        return Err(Diagnostic::new(codes::E0900, "invalid [postgres] settings")
            .at(Span::new(file, offset, offset + 10), "here")
            .help("`schema` must be a name PostgreSQL accepts for a new schema (not empty, not `pg_…`, not `information_schema`), and `hash_partitions` between 1 and 1024"));
    }
    let committed = manifest.build.committed.unwrap_or(false);
    let migrations = root.join(manifest.migrations.dir.unwrap_or_else(|| "migrations".into()));
    let lock = root.join("schema.lock");
    let allow = manifest.migrations.allow.unwrap_or_default();
    let defaults = crate::migrate::plan::Timeouts::default();
    let timeouts = crate::migrate::plan::Timeouts {
        lock_timeout: manifest.migrations.lock_timeout.unwrap_or(defaults.lock_timeout),
        statement_timeout: manifest.migrations.statement_timeout.unwrap_or(defaults.statement_timeout),
    };
    Ok(Project {
        root,
        name,
        sources,
        out,
        targets,
        committed,
        docs: manifest.build.docs.unwrap_or(true),
        lints,
        passes,
        postgres,
        lock,
        migrations,
        allow,
        timeouts,
    })
}

/// Every `.schema` file under the given roots, sorted, without the build output.
pub fn schema_files(roots: &[PathBuf], skip: Option<&Path>) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for root in roots {
        collect(root, skip, &mut files)?;
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn collect(path: &Path, skip: Option<&Path>, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if skip.is_some_and(|s| s == path) {
        return Ok(());
    }
    let metadata = std::fs::metadata(path)?;
    if metadata.is_file() {
        if path.extension().is_some_and(|e| e == "schema") {
            files.push(path.to_path_buf());
        }
        return Ok(());
    }
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') || name == "target" {
            continue;
        }
        collect(&entry.path(), skip, files)?;
    }
    Ok(())
}

/// A path as shown to the user: relative to the working directory when possible.
pub fn display(path: &Path) -> String {
    let cwd = std::env::current_dir().ok().and_then(|c| std::path::absolute(c).ok());
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match cwd.as_deref().and_then(|c| absolute.strip_prefix(c).ok()) {
        Some(relative) if !relative.as_os_str().is_empty() => relative.display().to_string(),
        _ => path.display().to_string(),
    }
}
