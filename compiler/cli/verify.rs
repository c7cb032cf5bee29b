//! `schemac verify --pg URL`: proves the generated PostgreSQL schema on a
//! real server. Builds the project, creates a scratch database, applies
//! build/postgres/schema.sql, reads the catalog back and compares it with
//! what the IR says (the same machinery the tests use). The scratch database
//! is dropped afterwards unless `--keep` is given. Never touches the database
//! the URL names, except to create and drop the scratch one.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use postgres::{Client, Config, NoTls};

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

fn connect(config: &Config, what: &str) -> Result<Client, UsageError> {
    config.connect(NoTls).map_err(|e| {
        UsageError(format!(
            "cannot connect to {what}: {e}\n  help: is PostgreSQL running? `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` starts the local one"
        ))
    })
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
    let config: Config = args.pg.parse().map_err(|e| UsageError(format!("invalid --pg connection string: {e}")))?;
    let mut admin = connect(&config, "the server")?;
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let scratch = format!("schemac_verify_{}_{nanos}", std::process::id());
    admin
        .batch_execute(&format!("CREATE DATABASE {}", crate::backends::postgres::quote::ident(&scratch)))
        .map_err(|e| UsageError(format!("cannot create the scratch database {scratch}: {e}")))?;
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
            client.batch_execute(&sql.contents).map_err(|e| {
                let detail = e.as_db_error().map_or(String::new(), |d| {
                    format!("{}{}", d.message(), d.position().map_or(String::new(), |p| format!(" (at {p:?})")))
                });
                UsageError(format!("PostgreSQL refused the generated schema: {e} {detail}"))
            })?;
            read_catalog(&mut client, &expected.schema)
                .map_err(|e| UsageError(format!("cannot read the catalog of {scratch}: {e}")))
        })
    };
    if args.keep {
        reporter.status(&format!("kept the scratch database {scratch}"));
    } else {
        let drop =
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", crate::backends::postgres::quote::ident(&scratch));
        if let Err(e) = admin.batch_execute(&drop) {
            eprintln!("warning: could not drop the scratch database {scratch}: {e}");
        }
    }
    let actual = result?;
    let differences = compare::compare(expected, &actual);
    let notices = notices.lock().map(|n| n.clone()).unwrap_or_default();
    for d in &differences {
        eprintln!("difference: {d}");
    }
    for n in &notices {
        eprintln!("notice from PostgreSQL: {n}");
    }
    let name = loaded.project.as_ref().map_or("file", |p| p.name.as_str());
    if differences.is_empty() && notices.is_empty() {
        reporter.status(&format!(
            "verified {name} on PostgreSQL: {} tables, {} foreign keys, {} indexes, {} views match the IR",
            actual.tables.len(),
            actual.foreign_keys.len(),
            actual.indexes.len(),
            actual.views.len()
        ));
        Ok(true)
    } else {
        eprintln!(
            "verify failed: {} difference(s) between the IR and the database, {} notice(s)",
            differences.len(),
            notices.len()
        );
        Ok(false)
    }
}
