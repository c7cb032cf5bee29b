//! `schemac import pg|sql|prisma`: what a team already has, as `.schema`
//! source.
//!
//! Reads the database, dump or Prisma schema into the IR (`import/`; for
//! PostgreSQL with the patterns `import::recognise` proves), raises
//! it to source (`semantic::raise`), proves the source compiles, and then
//! either prints it or writes a new project: schemac.toml, the source,
//! schema.lock and build/, so the next change is already a migration. The
//! project is written in a scratch directory beside the target and moved
//! into place only when everything succeeded: a failed import leaves nothing
//! half-written. Importing never changes the database it reads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::report::Reporter;
use super::{database, UsageError};
use crate::backends::postgres::Catalog;
use crate::diagnostics::{Diagnostic, Sources};
use crate::import;
use crate::import::introspect::postgres::{read_catalog, read_schemas, read_view_dependencies, ViewDependencies};
use crate::pipeline;
use crate::semantic::ir::Ir;
use crate::semantic::raise;

/// Where the result goes.
pub struct Output {
    /// A new project directory; `None` prints the source.
    pub out: Option<PathBuf>,
    /// Write into `out` even when it holds files (those schemac writes are replaced).
    pub force: bool,
}

/// Which schemas `import pg` reads.
pub struct Schemas {
    /// As given (`--schema`, repeatable); the first is the project's.
    pub names: Vec<String>,
    /// `--all-schemas`: every schema but PostgreSQL's own.
    pub all: bool,
}

impl Schemas {
    pub fn new(names: Vec<String>, all: bool) -> Schemas {
        Schemas { names, all }
    }
}

/// `schemac import pg URL`
pub fn pg(url: String, schemas: Schemas, output: Output, reporter: &Reporter) -> Result<bool, UsageError> {
    let mut client = database::connect(&database::config(&url)?, "the database to import")?;
    let read = read_schemas_of(&mut client, schemas)
        .map_err(|e| e.unwrap_or_else(|e| UsageError(format!("cannot read the database's catalog: {e}"))))?;
    let ir = read.import(reporter);
    let header = format!("Imported from PostgreSQL ({}) by `schemac import pg`.", read.describe());
    finish(&ir, &read.names[0], &header, output, reporter)
}

/// The catalogs of the schemas an import reads.
struct Read {
    /// The schemas, the project's first.
    names: Vec<String>,
    catalogs: Vec<Catalog>,
    views: BTreeMap<String, ViewDependencies>,
}

impl Read {
    fn describe(&self) -> String {
        match self.names.as_slice() {
            [one] => format!("schema `{one}`"),
            many => format!("schemas `{}`", many.join("`, `")),
        }
    }

    /// The IR, with the patterns recognised; reports the warnings.
    fn import(&self, reporter: &Reporter) -> Ir {
        let schema = &self.names[0];
        if let [catalog] = self.catalogs.as_slice() {
            return from_catalog(catalog, &self.views, schema, reporter);
        }
        let (merged, imported) = import::schemas::import(&self.catalogs, &self.views);
        recognised(imported, &merged, schema, reporter)
    }
}

/// Resolves `schemas` against the database and reads them. The error is a
/// usage error, or a database error still to be described.
fn read_schemas_of(client: &mut postgres::Client, schemas: Schemas) -> Result<Read, Result<UsageError, String>> {
    let describe = |e: postgres::Error| Err(database::describe(&e));
    let existing = read_schemas(client).map_err(describe)?;
    let mut names = if schemas.all {
        let mut names = existing.clone();
        // public, when there is one, is the project's schema.
        if let Some(at) = names.iter().position(|n| n == "public") {
            let public = names.remove(at);
            names.insert(0, public);
        }
        names
    } else if schemas.names.is_empty() {
        vec!["public".to_string()]
    } else {
        schemas.names
    };
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| seen.insert(n.clone()));
    if names.is_empty() {
        return Err(Ok(UsageError("the database has no schema to import".into())));
    }
    for schema in &names {
        if !existing.contains(schema) {
            return Err(Ok(UsageError(format!(
                "the database has no schema `{schema}` (choose with --schema NAME, or --all-schemas; it has {})",
                existing.join(", ")
            ))));
        }
    }
    let mut catalogs = Vec::new();
    let mut views = BTreeMap::new();
    for schema in &names {
        catalogs.push(read_catalog(client, schema).map_err(describe)?);
        views.extend(read_view_dependencies(client, schema).map_err(describe)?);
    }
    Ok(Read { names, catalogs, views })
}

/// The IR of a PostgreSQL catalog, with the patterns it provably holds
/// recognised (`import::recognise`); reports the warnings and what was recognised.
fn from_catalog(
    catalog: &Catalog,
    views: &BTreeMap<String, ViewDependencies>,
    schema: &str,
    reporter: &Reporter,
) -> Ir {
    recognised(import::postgres::import(catalog, views), catalog, schema, reporter)
}

/// `imported` with the patterns it provably holds recognised; reports the
/// warnings and what was recognised.
fn recognised(imported: import::postgres::Imported, catalog: &Catalog, schema: &str, reporter: &Reporter) -> Ir {
    let recognised = import::recognise::recognise(imported.ir, catalog, &project_options(schema));
    let mut diagnostics = imported.diagnostics;
    diagnostics.extend(recognised.diagnostics.iter().cloned());
    reporter.diagnostics(&Sources::new(), &diagnostics);
    if let Some(summary) = recognised.summary() {
        reporter.status(&summary);
    }
    recognised.ir
}

/// The build options of the project an import writes (its schemac.toml):
/// the database keeps its column order and its own indexes.
pub fn project_options(schema: &str) -> pipeline::Options {
    let mut options = pipeline::Options::default();
    options.passes.fk_indexes = false;
    options.passes.advise_indexes = false;
    options.passes.reorder_columns = false;
    options.postgres.schema = schema.to_string();
    options
}

/// `schemac import prisma PATH`: one schema.prisma, or a folder of them.
pub fn prisma(path: PathBuf, output: Output, reporter: &Reporter) -> Result<bool, UsageError> {
    let files = prisma_files(&path)?;
    let mut sources = Sources::new();
    let mut ids = Vec::new();
    for file in &files {
        let text =
            std::fs::read_to_string(file).map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
        ids.push(sources.add(file.display().to_string(), text));
    }
    let imported = import::prisma::import(&sources, &ids);
    reporter.diagnostics(&sources, &imported.diagnostics);
    let Some(ir) = imported.ir else { return Ok(false) };
    let header = format!("Imported from {} by `schemac import prisma`.", path.display());
    finish(&ir, "public", &header, output, reporter)
}

fn prisma_files(path: &Path) -> Result<Vec<PathBuf>, UsageError> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "prisma"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(UsageError(format!("{} holds no .prisma file", path.display())));
    }
    Ok(files)
}

/// Raises `ir`, checks that the source compiles, then prints it or writes the project.
pub fn finish(ir: &Ir, schema: &str, header: &str, output: Output, reporter: &Reporter) -> Result<bool, UsageError> {
    let body = raise::source(ir);
    let text = format!("// {header}\n// Names, column order and constraints are the database's own.\n\n{body}");
    let compiled = crate::driver::compile_str("imported.schema", &text);
    let errors: Vec<&Diagnostic> = compiled.diagnostics.iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty() {
        let mut sources = Sources::new();
        sources.add("imported.schema", text.clone());
        reporter.diagnostics(&sources, &compiled.diagnostics);
        return Err(UsageError(
            "the imported source does not compile (a bug in schemac import: please report it with the source above)"
                .into(),
        ));
    }
    let Some(out) = output.out else {
        super::out(&text);
        return Ok(true);
    };
    if !write_project(&out, output.force, schema, &text, reporter)? {
        reporter.status(&format!(
            "imported {} entities and {} relations into {}, in several PostgreSQL schemas: no baseline migration \
             (migrations see the project's schema only, for now); `schemac build` writes the DDL",
            ir.entities.len(),
            ir.relations.len(),
            out.display()
        ));
        return Ok(true);
    }
    reporter.status(&format!(
        "imported {} entities and {} relations into {dir}, with the baseline migration 0001_baseline\n  \
         next: on the database it came from, `schemac migrate apply {dir} --pg URL --baseline 0001_baseline` \
         records the baseline without running it; a new database gets it from `schemac migrate apply`",
        ir.entities.len(),
        ir.relations.len(),
        dir = out.display()
    ));
    Ok(true)
}

/// Writes the project in a scratch directory beside `out`, builds it (which
/// writes schema.lock), then moves it into place. Whether it has the
/// baseline migration (not when it places objects in several schemas).
fn write_project(out: &Path, force: bool, schema: &str, text: &str, reporter: &Reporter) -> Result<bool, UsageError> {
    let occupied = out.read_dir().map(|mut d| d.next().is_some()).unwrap_or(false);
    if occupied && !force {
        return Err(UsageError(format!(
            "{} exists and is not empty; choose a new directory, or pass --force to replace schemac's files in it",
            out.display()
        )));
    }
    let name = out.file_name().and_then(|n| n.to_str()).filter(|n| !n.is_empty()).unwrap_or("imported").to_string();
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let scratch = parent.join(format!(".{name}.schemac-import-{}", std::process::id()));
    let result = (|| {
        let io = |e: std::io::Error| UsageError(format!("cannot write {}: {e}", scratch.display()));
        std::fs::create_dir_all(scratch.join("schema")).map_err(io)?;
        // Keep in step with `project_options`, which recognition proves against.
        let toml = format!(
            "[project]\nname = \"{}\"\n\n# The database keeps its column order and its own indexes.\n[passes]\nfk_indexes = false\nadvise_indexes = false\nreorder_columns = false\n\n[postgres]\nschema = \"{}\"\n",
            name.replace(['"', '\\'], "_"),
            schema.replace(['"', '\\'], "_")
        );
        std::fs::write(scratch.join("schemac.toml"), toml).map_err(io)?;
        std::fs::write(scratch.join("schema").join(format!("{}.schema", file_stem(&name))), text).map_err(io)?;
        let quiet = Reporter { quiet: true, ..*reporter };
        if !super::build::run(Some(scratch.clone()), None, false, &quiet, false)? {
            return Err(UsageError(
                "the imported project does not build (a bug in schemac import: please report it)".into(),
            ));
        }
        // The baseline: the migration that makes the imported schema from
        // nothing, so the next change is an ordinary migration after it.
        // Migrations do not place objects in several schemas yet: a project
        // of several gets no baseline (spec/import.md).
        if text.lines().any(|l| l.starts_with("schema ")) {
            return move_into(&scratch, out).map(|()| false);
        }
        if !super::migrate::new("baseline".into(), Some(scratch.clone()), Vec::new(), None, &quiet)? {
            return Err(UsageError(
                "the imported project cannot plan its baseline (a bug in schemac import: please report it)".into(),
            ));
        }
        move_into(&scratch, out).map(|()| true)
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// Moves each entry of `from` into `to` (made if missing), replacing what is there.
fn move_into(from: &Path, to: &Path) -> Result<(), UsageError> {
    let io = |e: std::io::Error| UsageError(format!("cannot write {}: {e}", to.display()));
    std::fs::create_dir_all(to).map_err(io)?;
    for entry in std::fs::read_dir(from).map_err(io)? {
        let entry = entry.map_err(io)?;
        let target = to.join(entry.file_name());
        if target.is_dir() {
            std::fs::remove_dir_all(&target).map_err(io)?;
        } else if target.exists() {
            std::fs::remove_file(&target).map_err(io)?;
        }
        std::fs::rename(entry.path(), &target).map_err(io)?;
    }
    Ok(())
}

/// A file name from a project name: letters, digits, `_` and `-`.
fn file_stem(name: &str) -> String {
    let stem: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if stem.is_empty() {
        "schema".into()
    } else {
        stem
    }
}

/// `schemac import sql FILE`: the dump is loaded into a scratch database
/// on the `--pg` server (dropped afterwards), which is then read like a live one.
pub fn sql(
    files: Vec<PathBuf>,
    pg: String,
    schemas: Schemas,
    dialect: String,
    output: Output,
    reporter: &Reporter,
) -> Result<bool, UsageError> {
    if dialect != "postgres" {
        return Err(UsageError(format!(
            "--dialect {dialect}: only postgres dumps import for now (MySQL and SQLite come with their backends)"
        )));
    }
    let mut sources = Sources::new();
    let mut ids = Vec::new();
    for file in dump_files(&files)? {
        let bytes = std::fs::read(&file).map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            UsageError(format!("{} is not UTF-8 text (at byte {})", file.display(), e.utf8_error().valid_up_to()))
        })?;
        ids.push(sources.add(file.display().to_string(), text));
    }
    let config = database::config(&pg)?;
    let mut admin = database::connect(&config, "the server to load the dump on")?;
    let loaded = super::verify::in_scratch(&mut admin, &config, "import", false, reporter, |client| {
        let mut warnings = Vec::new();
        let mut last = None;
        for id in &ids {
            match import::dump::load(client, &sources, *id) {
                Ok(loaded) => {
                    warnings.extend(loaded.warnings.iter().cloned());
                    last = Some(loaded);
                }
                Err(e) => return Ok(Err(e.diagnostic(&sources))),
            }
        }
        let last = last.unwrap_or_default();
        let rolled_back = import::dump::finish(client, &last)
            .map_err(|e| UsageError(format!("cannot end the dump's session: {}", database::describe(&e))))?;
        warnings.extend(rolled_back);
        let read = match read_schemas_of(client, schemas) {
            Ok(read) => read,
            Err(Ok(usage)) => return Err(usage),
            Err(Err(e)) => return Err(UsageError(format!("cannot read the scratch database's catalog: {e}"))),
        };
        Ok(Ok((warnings, read)))
    })?;
    let (warnings, read) = match loaded.0 {
        Ok(done) => done,
        Err(diagnostic) => {
            reporter.diagnostics(&sources, &[diagnostic]);
            return Ok(false);
        }
    };
    reporter.diagnostics(&sources, &warnings);
    if read.catalogs.iter().all(|c| c.tables.is_empty() && c.enums.is_empty()) {
        return Err(UsageError(format!(
            "the dump made no tables in {} (choose with --schema NAME, or --all-schemas)",
            read.describe()
        )));
    }
    let ir = read.import(reporter);
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let header = format!("Imported from {} ({}) by `schemac import sql`.", names.join(", "), read.describe());
    finish(&ir, &read.names[0], &header, output, reporter)
}

/// The dump files: each file as given, each directory's .sql files (and
/// below) in path order.
fn dump_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, UsageError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            collect_sql(path, &mut found)?;
            found.sort();
            if found.is_empty() {
                return Err(UsageError(format!("{} holds no .sql file", path.display())));
            }
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn collect_sql(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), UsageError> {
    let entries = std::fs::read_dir(dir).map_err(|e| UsageError(format!("cannot read {}: {e}", dir.display())))?;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            collect_sql(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "sql") {
            out.push(path);
        }
    }
    Ok(())
}
