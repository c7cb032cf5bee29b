//! `schemac verify --pg URL`: proves the generated PostgreSQL schema on a
//! real server. Builds the project, creates a scratch database, applies
//! build/postgres/schema.sql, reads the catalog back and compares it with
//! what the IR says (the same machinery the tests use); when the project has
//! migrations, applies them to a second scratch database and compares that
//! with schema.lock. Scratch databases are dropped afterwards unless `--keep`
//! is given. Never touches the database the URL names.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use postgres::{Client, Config};

use super::database::{self, connect};
use super::report::Reporter;
use super::UsageError;
use crate::backends::postgres::compare;
use crate::import::introspect::postgres::read_catalog;

pub struct Args {
    pub path: Option<PathBuf>,
    pub pg: String,
    pub keep: bool,
    pub no_reorder: bool,
}

/// Runs `work` on a new, empty database next to the one `config` names,
/// then drops it (unless `keep`). Notices the server sent are returned too.
pub(super) fn in_scratch<T>(
    admin: &mut Client,
    config: &Config,
    label: &str,
    keep: bool,
    reporter: &Reporter,
    work: impl FnOnce(&mut Client) -> Result<T, UsageError>,
) -> Result<(T, Vec<String>), UsageError> {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let scratch = format!("schemac_{label}_{}_{nanos}", std::process::id());
    let quoted = crate::backends::postgres::quote::ident(&scratch);
    admin
        .batch_execute(&format!("CREATE DATABASE {quoted}"))
        .map_err(|e| {
            UsageError(format!(
                "cannot create the scratch database {scratch}: {}\n  help: the --pg user must be allowed to create databases (CREATEDB)",
                super::database::describe(&e)
            ))
        })?;
    let notices: Arc<Mutex<Vec<String>>> = Arc::default();
    let result = {
        let mut scratch_config = config.clone();
        scratch_config.dbname(&scratch);
        let sink = Arc::clone(&notices);
        scratch_config.notice_callback(move |notice| {
            if let Ok(mut all) = sink.lock() {
                all.push(format!("{}: {}", notice.severity(), notice.message()));
            }
        });
        connect(&scratch_config, &scratch).and_then(|mut client| {
            // The script sets this too, but the server parses a whole batch
            // before running any of it.
            client
                .batch_execute("SET standard_conforming_strings = on")
                .map_err(|e| UsageError(format!("cannot prepare the session: {e}")))?;
            work(&mut client)
        })
    };
    if keep {
        reporter.status(&format!("kept the scratch database {scratch}"));
    } else if let Err(e) = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")) {
        eprintln!("warning: could not drop the scratch database {scratch}: {e}");
    }
    let notices = notices.lock().map(|n| n.clone()).unwrap_or_default();
    result.map(|value| (value, notices))
}

fn report(what: &str, differences: &[compare::Difference], notices: &[String]) -> bool {
    for d in differences {
        eprintln!("difference ({what}): {d}");
    }
    for n in notices {
        eprintln!("notice from PostgreSQL ({what}): {n}");
    }
    differences.is_empty() && notices.is_empty()
}

pub fn run(args: Args, reporter: &Reporter) -> Result<bool, UsageError> {
    let Some((loaded, output, diagnostics)) = super::build::produce(args.path, args.no_reorder, reporter)? else {
        return Ok(false);
    };
    if diagnostics.iter().any(|d| d.is_error()) {
        reporter.status("verify stopped: the schema has errors");
        return Ok(false);
    }
    let (Some(expected), Some(sql)) =
        (output.postgres.as_ref(), output.artifacts.iter().find(|a| a.path == "postgres/schema.sql"))
    else {
        return Err(UsageError("postgres is not a target of this project ([build] targets in schemac.toml)".into()));
    };
    let config = database::config(&args.pg)?;
    let mut admin = connect(&config, "the server")?;
    let (actual, notices) = in_scratch(&mut admin, &config, "verify", args.keep, reporter, |client| {
        client.batch_execute(&sql.contents).map_err(|e| {
            let detail = e.as_db_error().map_or(String::new(), |d| {
                format!("{}{}", d.message(), d.position().map_or(String::new(), |p| format!(" (at {p:?})")))
            });
            UsageError(format!("PostgreSQL refused the generated schema: {e} {detail}"))
        })?;
        // Several PostgreSQL schemas (`schema NAME`): each read and compared with its own.
        let expected = if output.postgres_schemas.is_empty() {
            std::slice::from_ref(expected)
        } else {
            output.postgres_schemas.as_slice()
        };
        let mut read = Vec::new();
        for catalog in expected {
            let actual = read_catalog(client, &catalog.schema)
                .map_err(|e| UsageError(format!("cannot read the catalog: {e}")))?;
            read.push((catalog, actual));
        }
        Ok(read)
    })?;
    let differences: Vec<_> = actual.iter().flat_map(|(expected, actual)| compare::compare(expected, actual)).collect();
    let name = loaded.project.as_ref().map_or("file", |p| p.name.as_str());
    let mut ok = report("schema.sql", &differences, &notices);
    if ok {
        let count =
            |f: fn(&crate::backends::postgres::Catalog) -> usize| actual.iter().map(|(_, a)| f(a)).sum::<usize>();
        reporter.status(&format!(
            "verified {name} on PostgreSQL: {} tables, {} foreign keys, {} indexes, {} views match the IR",
            count(|c| c.tables.len()),
            count(|c| c.foreign_keys.len()),
            count(|c| c.indexes.len()),
            count(|c| c.views.len())
        ));
    }
    // The migrations, applied in order to an empty database, must build
    // exactly the state schema.lock records.
    if let Some(project) = &loaded.project {
        let plans = super::state::stored_plans(project)?;
        // With migrations, the base state `produce` read is schema.lock.
        if let (false, Some(lock)) = (plans.is_empty(), &loaded.base) {
            let (state, _) = crate::backends::postgres::lower::lower(lock, &Default::default(), &project.postgres);
            let schema = project.postgres.schema.clone();
            let (mut migrated, notices) =
                in_scratch(&mut admin, &config, "verify_migrations", args.keep, reporter, |client| {
                    crate::migrate::apply::apply(client, &schema, &plans).map_err(|e| UsageError(e.to_string()))?;
                    read_catalog(client, &schema).map_err(|e| UsageError(format!("cannot read the catalog: {e}")))
                })?;
            migrated.tables.retain(|t| t.name != crate::migrate::apply::JOURNAL);
            let differences = compare::compare(&state, &migrated);
            if report("migrations", &differences, &notices) {
                reporter.status(&format!(
                    "verified migrations/: {} migration(s) build what schema.lock records",
                    plans.len()
                ));
            } else {
                ok = false;
            }
        }
    }
    if !ok {
        eprintln!("verify failed: see the differences above");
    }
    Ok(ok)
}
