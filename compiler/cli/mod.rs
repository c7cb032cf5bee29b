//! The command line: argument parsing (clap) and one file per subcommand.
//! All file system and terminal I/O of schemac happens under this module.

mod analyze;
mod build;
mod check;
mod database;
mod diagram;
mod diff;
mod docs;
mod explain;
mod fmt;
mod import;
mod migrate;
mod mysql;
mod plan;
pub mod project;
mod report;
mod sqlite;
mod state;
mod verify;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::diagnostics::render::Format;

/// schemac compiles database schemas written as code (`.schema` files) into
/// PostgreSQL DDL, and plans safe migrations between versions of them.
///
/// A project is a directory with a `schemac.toml`; commands find the nearest
/// one above the path you give (or the current directory).
#[derive(Parser, Debug)]
#[command(
    name = "schemac",
    version,
    propagate_version = true,
    after_help = "Examples:\n  schemac build examples/saas      compile a project, write build/ (ir.json, postgres/schema.sql, docs/, diagrams/)\n  schemac diagram --focus User     a Mermaid diagram of User and its neighbours\n  schemac build --emit postgres    print the PostgreSQL DDL too\n  schemac check --format github    report problems as GitHub annotations\n  schemac fmt --check              list files that are not formatted\n  schemac explain E0102            what a diagnostic code means"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// How to print diagnostics.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Print only errors.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print what each step did and how long it took.
    #[arg(long, short, global = true)]
    pub verbose: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Compile a project and write its artifacts (into build/ by default).
    ///
    /// Example: `schemac build examples/saas`, or `schemac build --emit ir` to
    /// print the typed IR as JSON.
    Build {
        /// A project directory, a path inside one, or a single .schema file.
        path: Option<PathBuf>,
        /// Print an artifact on standard output as well as writing the files.
        #[arg(long, value_enum)]
        emit: Option<Emit>,
        /// Keep columns in declared order (no reordering for alignment).
        #[arg(long)]
        no_reorder: bool,
    },
    /// Check a project without writing anything: for CI and editors.
    ///
    /// Exits with 1 when there are errors (warnings denied in schemac.toml count).
    Check {
        /// A project directory, a path inside one, or a single .schema file.
        path: Option<PathBuf>,
        /// Keep columns in declared order (as `build --no-reorder`).
        #[arg(long)]
        no_reorder: bool,
    },
    /// Format .schema files in the canonical style, keeping comments.
    ///
    /// With `--check`, change nothing and exit with 1 if a file would change.
    Fmt {
        /// Files or directories (default: the current project's sources).
        paths: Vec<PathBuf>,
        /// Report files that are not formatted instead of rewriting them.
        #[arg(long)]
        check: bool,
    },
    /// Show the next migration: the steps from schema.lock to the sources.
    ///
    /// Each step says its phase (expand, backfill, contract), the lock it
    /// takes, whether it rewrites or scans the table, and its hazards
    /// (H codes; `schemac explain H0002`). `--sql` prints up.sql instead,
    /// `--format json` the plan as data.
    Plan {
        /// A project directory or a path inside one.
        path: Option<PathBuf>,
        /// Print the up.sql the migration would have.
        #[arg(long)]
        sql: bool,
        /// Whose plan: `postgres` (default), `sqlite` or `mysql` (the
        /// latter two when they are among the project's targets).
        #[arg(long, value_enum, default_value = "postgres")]
        backend: plan::Backend,
        /// Acknowledge a hazard, like `--allow H0002:order.note` (repeatable).
        #[arg(long, value_name = "CODE:OBJECT")]
        allow: Vec<String>,
    },
    /// Compare a live database with the compiled state (schema.lock) and
    /// print the plan that would reconcile them. Exits with 1 on drift.
    Diff {
        /// A project directory or a path inside one.
        path: Option<PathBuf>,
        /// A connection string (URL or `host=… user=… dbname=…`).
        #[arg(long, env = "SCHEMAC_PG", value_name = "URL")]
        pg: String,
    },
    /// Write migrations and apply them.
    #[command(subcommand)]
    Migrate(MigrateCommand),
    /// Prove the PostgreSQL schema on a real server: apply it to a scratch
    /// database, read the catalog back and compare it with the IR. With
    /// `--sqlite FILE` or `--mysql URL`, compare a live SQLite or
    /// MySQL/MariaDB database with the compiled state instead.
    ///
    /// Example: `schemac verify examples/saas --pg postgres://postgres@127.0.0.1/test`.
    /// The scratch database is created next to the one the URL names and
    /// dropped afterwards. Exits with 1 on any difference or notice.
    ///
    /// `schemac verify --sqlite app.db` (or `--mysql mysql://root@127.0.0.1/app`)
    /// reads that database (read only) and compares it with what schema.lock
    /// lowers to (the sources before the first migration); it prints each
    /// difference and exits with 1 when there is one.
    Verify {
        /// A project directory, a path inside one, or a single .schema file.
        path: Option<PathBuf>,
        /// A connection string (URL or `host=… user=…`) for a user that may create databases.
        #[arg(long, env = "SCHEMAC_PG", value_name = "URL", required_unless_present_any = ["sqlite", "mysql"])]
        pg: Option<String>,
        /// Verify this SQLite database file instead (read only; no server needed).
        #[arg(long, value_name = "FILE")]
        sqlite: Option<PathBuf>,
        /// Verify this live MySQL/MariaDB database instead (read only):
        /// `mysql://user@host:3306/DATABASE`.
        #[arg(long, value_name = "URL", conflicts_with = "sqlite")]
        mysql: Option<String>,
        /// Keep the scratch database for inspection.
        #[arg(long)]
        keep: bool,
        /// Keep columns in declared order (as `build --no-reorder`).
        #[arg(long)]
        no_reorder: bool,
    },
    /// Check the performance report on a real server: load synthetic data
    /// and EXPLAIN every workload query.
    ///
    /// Example: `schemac analyze examples/ecommerce --pg postgres://postgres@127.0.0.1/test`.
    /// Creates a scratch database next to the one the URL names, applies the
    /// schema, loads `--scale` of each entity's declared `volume` (data that
    /// keeps every constraint, spread as the report's cost model assumes),
    /// runs VACUUM ANALYZE, then runs each query with EXPLAIN (ANALYZE,
    /// BUFFERS): plan, index used, estimated and actual rows, pages, time.
    /// Queries the advisor added an index for run again without it, to
    /// measure the margin. Exits with 1 when a query the report says is
    /// indexed is read another way, or the margin falls far short.
    Analyze {
        /// A project directory, a path inside one, or a single .schema file.
        path: Option<PathBuf>,
        /// A connection string (URL or `host=… user=…`) for a user that may create databases.
        #[arg(long, env = "SCHEMAC_PG", value_name = "URL")]
        pg: String,
        /// The share of each declared volume to load (0.01: one row in a hundred).
        #[arg(long, default_value_t = 0.01, value_name = "FRACTION")]
        scale: f64,
        /// Load at most this many rows into any one entity (a quicker run;
        /// predictions follow the rows really loaded).
        #[arg(long, value_name = "ROWS")]
        max_rows: Option<u64>,
        /// Build without index advice (`[passes] advise_indexes = false`) and analyze that.
        #[arg(long)]
        no_advice: bool,
        /// Keep the scratch database for inspection.
        #[arg(long)]
        keep: bool,
    },
    /// Print an ER diagram: the whole schema, one entity and its
    /// neighbourhood, or some modules, as Mermaid, DOT or SVG.
    ///
    /// Example: `schemac diagram examples/saas --as mermaid --focus User --depth 1`.
    /// Modules are the source files (`schema/billing.schema` is `billing`).
    Diagram {
        /// A project directory, a path inside one, or a single .schema file.
        path: Option<PathBuf>,
        /// The notation.
        #[arg(long = "as", value_enum, default_value_t = diagram::DiagramFormat::Mermaid)]
        notation: diagram::DiagramFormat,
        /// Draw only this entity and its neighbours.
        #[arg(long, value_name = "ENTITY")]
        focus: Option<String>,
        /// With --focus: how many relations away a neighbour may be.
        #[arg(long, default_value_t = 1, requires = "focus")]
        depth: usize,
        /// Only entities of this module (repeatable).
        #[arg(long = "module", value_name = "NAME")]
        modules: Vec<String>,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Write the documentation site: an overview diagram with zoom and pan,
    /// one page per entity, search, and the migration history.
    ///
    /// Example: `schemac docs examples/saas`, then open
    /// examples/saas/build/docs/index.html. `schemac build` writes it too
    /// (unless `[build] docs = false`).
    Docs {
        /// A project directory, a path inside one, or a single .schema file.
        path: Option<PathBuf>,
        /// Where to write the site (default: <out>/docs of the project).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Turn what a team already has into `.schema` source: a live
    /// PostgreSQL database, an SQL dump, or a Prisma schema.
    ///
    /// Prints the source, or with `--out DIR` writes a new project (schemac.toml,
    /// schema/, schema.lock, build/) so the next change is a migration. Names,
    /// column order and constraints stay the database's own; what schemac
    /// cannot express yet is a warning (W1040–W1047), never dropped silently.
    ///
    /// Example: `schemac import pg postgres://postgres@127.0.0.1/shop --out shop`.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Explain a diagnostic code, with an example: `schemac explain E0102`.
    Explain {
        /// The code, like E0102 or W0100.
        code: Option<String>,
        /// List every code with its title.
        #[arg(long)]
        list: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum MigrateCommand {
    /// Write migrations/NNNN_NAME/ (up.sql, down.sql, plan.json) for the
    /// changes since schema.lock, and update schema.lock. When [build]
    /// targets includes sqlite, also migrations/NNNN_NAME/sqlite/ (the same
    /// change for SQLite: ALTER TABLE where SQLite allows it, else a table
    /// rebuild).
    ///
    /// Refuses while a hazard is unacknowledged: data loss, rewrites,
    /// renames… `--allow CODE:OBJECT` acknowledges one.
    New {
        /// What the migration does, like `add_order_notes`.
        name: String,
        /// A project directory or a path inside one.
        path: Option<PathBuf>,
        /// Acknowledge a hazard, like `--allow H0002:order.note` (repeatable).
        #[arg(long, value_name = "CODE:OBJECT")]
        allow: Vec<String>,
        /// SQL you write that moves data while both shapes exist — say,
        /// `INSERT INTO address (customer_id, street) SELECT id, street FROM
        /// customer` when a table is split. It runs as one transactional step
        /// of the backfill phase: after the new tables and columns are made,
        /// before anything is dropped. PostgreSQL migrations only.
        #[arg(long, value_name = "FILE.sql")]
        data: Option<PathBuf>,
    },
    /// Apply the migrations a database has not finished, in order. Progress
    /// is recorded per step in `schemac_migrations`; a run that stopped
    /// resumes at the step that did not finish.
    ///
    /// With `--sqlite FILE`, apply the SQLite migrations (sqlite/ in each
    /// migration) to that database file, creating it when missing: each
    /// migration in one transaction with foreign keys off and checked before
    /// COMMIT, recorded in its `schemac_migrations`; a failed one leaves
    /// nothing behind and can be run again.
    Apply {
        /// A project directory or a path inside one.
        path: Option<PathBuf>,
        /// A connection string (URL or `host=… user=… dbname=…`).
        #[arg(long, env = "SCHEMAC_PG", value_name = "URL", required_unless_present_any = ["sqlite", "mysql"])]
        pg: Option<String>,
        /// Apply to this SQLite database file instead of PostgreSQL.
        #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
        sqlite: Option<PathBuf>,
        /// Apply to this MySQL/MariaDB database instead of PostgreSQL
        /// (`mysql://user@host:3306/DATABASE`), step by step with a journal.
        #[arg(long, value_name = "URL", conflicts_with_all = ["baseline", "sqlite"])]
        mysql: Option<String>,
        /// First record the migrations up to this one as applied without
        /// running them: for the database a project was imported from, whose
        /// schema the baseline migration describes (`schemac diff` shows any drift).
        #[arg(long, value_name = "MIGRATION")]
        baseline: Option<String>,
        /// Stop before the first contract step (drops, the views kept under
        /// renamed tables' old names): run the expand and backfill phases
        /// while the old application is still deployed, deploy the new one,
        /// then run `migrate apply` again to contract. PostgreSQL only.
        #[arg(long, conflicts_with_all = ["sqlite", "mysql"])]
        expand_only: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Read a live database's catalog (read only: nothing is changed).
    Pg {
        /// A connection string (URL or `host=… user=… dbname=…`).
        url: String,
        /// A schema (namespace) to import; repeat it for several (`--schema
        /// sales --schema person`): the first is the project's, the others
        /// are written after `schema NAME` lines. Default: public.
        #[arg(long, value_name = "NAME")]
        schema: Vec<String>,
        /// Import every schema but PostgreSQL's own (pg_*, information_schema);
        /// public, when it exists, is the project's.
        #[arg(long, conflicts_with = "schema")]
        all_schemas: bool,
        /// Write a new project here instead of printing the source.
        #[arg(long)]
        out: Option<PathBuf>,
        /// With --out: write into a directory that holds files (schemac's own are replaced).
        #[arg(long)]
        force: bool,
    },
    /// Load an SQL dump into a scratch database and read that: the server
    /// parses the dump, so anything PostgreSQL accepts imports.
    Sql {
        /// The dump (plain SQL, as `pg_dump` or a migration tool writes it).
        /// Several files, or a directory (every .sql file in it and below,
        /// in path order: a migrations folder), load one after another.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The server to load it on (a user that may create databases).
        #[arg(long, env = "SCHEMAC_PG", value_name = "URL", default_value = "postgres://postgres@127.0.0.1/postgres")]
        pg: String,
        /// A schema (namespace) to import; repeat it for several: the first
        /// is the project's, the others are written after `schema NAME`
        /// lines. Default: public.
        #[arg(long, value_name = "NAME")]
        schema: Vec<String>,
        /// Import every schema the dump made but PostgreSQL's own.
        #[arg(long, conflicts_with = "schema")]
        all_schemas: bool,
        /// The dump's SQL dialect (only postgres for now).
        #[arg(long, default_value = "postgres")]
        dialect: String,
        /// Write a new project here instead of printing the source.
        #[arg(long)]
        out: Option<PathBuf>,
        /// With --out: write into a directory that holds files (schemac's own are replaced).
        #[arg(long)]
        force: bool,
    },
    /// Read a schema.prisma (or a prismaSchemaFolder of .prisma files).
    Prisma {
        /// The schema file or folder.
        path: PathBuf,
        /// Write a new project here instead of printing the source.
        #[arg(long)]
        out: Option<PathBuf>,
        /// With --out: write into a directory that holds files (schemac's own are replaced).
        #[arg(long)]
        force: bool,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emit {
    /// The typed intermediate representation, as canonical JSON.
    Ir,
    /// The PostgreSQL DDL (build/postgres/schema.sql).
    Postgres,
}

/// A failure that is not about the schema: a missing file, a bad argument.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Writes to standard output. A closed pipe (`schemac … | head`) ends the
/// output quietly instead of failing.
pub fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|_| stdout.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

/// Runs a parsed command line; returns the process exit code
/// (0 ok, 1 diagnostics with errors, 2 usage or I/O error).
pub fn run(cli: Cli) -> ExitCode {
    let reporter = report::Reporter { format: cli.format, quiet: cli.quiet };
    let result = match cli.command {
        Command::Build { path, emit, no_reorder } => build::run(path, emit, no_reorder, &reporter, cli.verbose),
        Command::Check { path, no_reorder } => check::run(path, no_reorder, &reporter, cli.verbose),
        Command::Diff { path, pg } => diff::run(path, pg, &reporter),
        Command::Plan { path, sql, backend, allow } => plan::run(path, sql, backend, allow, &reporter),
        Command::Migrate(MigrateCommand::New { name, path, allow, data }) => {
            migrate::new(name, path, allow, data, &reporter)
        }
        Command::Migrate(MigrateCommand::Apply { path, pg, sqlite, mysql, baseline, expand_only }) => {
            match (sqlite, mysql, pg) {
                (Some(file), _, _) => sqlite::apply(path, file, &reporter),
                (None, Some(url), _) => mysql::apply(path, url, &reporter),
                (None, None, Some(pg)) => migrate::apply(path, pg, baseline, expand_only, &reporter),
                (None, None, None) => Err(UsageError("give --pg URL, --sqlite FILE or --mysql URL".into())),
            }
        }
        Command::Verify { path, pg, sqlite, mysql, keep, no_reorder } => match (sqlite, mysql, pg) {
            (Some(file), _, _) => sqlite::verify(path, file, no_reorder, &reporter),
            (None, Some(url), _) => mysql::verify(path, url, no_reorder, &reporter),
            (None, None, Some(pg)) => verify::run(verify::Args { path, pg, keep, no_reorder }, &reporter),
            (None, None, None) => Err(UsageError("give --pg URL, --sqlite FILE or --mysql URL".into())),
        },
        Command::Analyze { path, pg, scale, max_rows, no_advice, keep } => {
            analyze::run(analyze::Args { path, pg, scale, max_rows, no_advice, keep }, &reporter)
        }
        Command::Diagram { path, notation, focus, depth, modules, out } => {
            diagram::run(diagram::Args { path, format: notation, focus, depth, modules, out }, &reporter)
        }
        Command::Docs { path, out } => docs::run(path, out, &reporter),
        Command::Fmt { paths, check } => fmt::run(paths, check, &reporter),
        Command::Explain { code, list } => explain::run(code, list),
        Command::Import(ImportCommand::Pg { url, schema, all_schemas, out, force }) => {
            import::pg(url, import::Schemas::new(schema, all_schemas), import::Output { out, force }, &reporter)
        }
        Command::Import(ImportCommand::Sql { files, pg, schema, all_schemas, dialect, out, force }) => {
            let schemas = import::Schemas::new(schema, all_schemas);
            import::sql(files, pg, schemas, dialect, import::Output { out, force }, &reporter)
        }
        Command::Import(ImportCommand::Prisma { path, out, force }) => {
            import::prisma(path, import::Output { out, force }, &reporter)
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(UsageError(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
