//! A throw-away PostgreSQL database per test.
//!
//! `TestDb::new("label")` creates `schemac_t_<pid>_<n>_<label>` on the server
//! named by `SCHEMAC_TEST_PG` (default: `host=127.0.0.1 port=5432
//! user=postgres dbname=test`) and connects to it; dropping the value drops
//! the database `WITH (FORCE)`. A server that cannot be reached fails the
//! test with the command that starts one: these tests are never skipped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use postgres::{Client, Config, NoTls};
use schemac::backends::postgres::quote;
use schemac::backends::postgres::Catalog;
use schemac::import::introspect::postgres::read_catalog;

/// Where the test server is, as a libpq connection string or URL.
pub fn connect_url() -> String {
    std::env::var("SCHEMAC_TEST_PG").unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".into())
}

fn config() -> Config {
    let url = connect_url();
    url.parse().unwrap_or_else(|e| panic!("SCHEMAC_TEST_PG={url:?} is not a PostgreSQL connection string: {e}"))
}

fn connect(config: &Config) -> Client {
    config.connect(NoTls).unwrap_or_else(|e| {
        panic!(
            "cannot connect to PostgreSQL at {:?}: {e}\n\
             These tests need a running server. Start the local one with\n  \
             pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n\
             or point SCHEMAC_TEST_PG at another (e.g. \"host=... user=... dbname=...\").",
            connect_url()
        )
    })
}

/// A connection to the server's maintenance database (the one in the URL).
pub fn admin() -> Client {
    connect(&config())
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub struct TestDb {
    pub name: String,
    pub client: Client,
    notices: Arc<Mutex<Vec<String>>>,
}

impl TestDb {
    /// A new, empty database for one test.
    pub fn new(label: &str) -> TestDb {
        let label: String =
            label.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let mut name = format!("schemac_t_{}_{n}_{label}", std::process::id());
        name.truncate(63);
        admin()
            .batch_execute(&format!("CREATE DATABASE {}", quote::ident(&name)))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {}", describe(&e, "")));
        let notices: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = Arc::clone(&notices);
        let mut config = config();
        config.dbname(&name).notice_callback(move |n| {
            sink.lock().expect("notice list").push(format!("{}: {}", n.severity(), n.message()))
        });
        let client = connect(&config);
        TestDb { name, client, notices }
    }

    /// A connection string for this database, for the `--pg` option of the
    /// schemac binary (host, port, user and password of the test server).
    pub fn url(&self) -> String {
        let config = config();
        let mut parts = Vec::new();
        if let Some(postgres::config::Host::Tcp(host)) = config.get_hosts().first() {
            parts.push(format!("host={host}"));
        }
        if let Some(port) = config.get_ports().first() {
            parts.push(format!("port={port}"));
        }
        if let Some(user) = config.get_user() {
            parts.push(format!("user={user}"));
        }
        if let Some(password) = config.get_password() {
            parts.push(format!(
                "password='{}'",
                String::from_utf8_lossy(password).replace('\\', "\\\\").replace('\'', "\\'")
            ));
        }
        parts.push(format!("dbname={}", self.name));
        parts.join(" ")
    }

    /// Another connection to this database (a second session).
    pub fn connect(&self) -> Client {
        connect(config().dbname(&self.name))
    }

    /// Replaces the test's connection (after a test killed it).
    pub fn reconnect(&mut self) {
        self.client = self.connect();
    }

    /// NOTICE/WARNING messages the server sent on this connection so far.
    pub fn notices(&self) -> Vec<String> {
        self.notices.lock().expect("notice list").clone()
    }

    /// Runs a script (a generated schema.sql, say); fails the test with the
    /// server's message and the offending line.
    pub fn apply(&mut self, sql: &str) {
        if let Err(e) = self.client.batch_execute(sql) {
            panic!("applying SQL to {} failed: {}", self.name, describe(&e, sql));
        }
    }

    /// The catalog of one schema, as introspection reads it.
    pub fn catalog(&mut self, schema: &str) -> Catalog {
        read_catalog(&mut self.client, schema)
            .unwrap_or_else(|e| panic!("read_catalog({schema}): {}", describe(&e, "")))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // FORCE ends our own connection too.
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote::ident(&self.name));
        if let Err(e) = admin().batch_execute(&drop) {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

/// A server error with its detail, hint and the line of `sql` it points at.
pub fn describe(error: &postgres::Error, sql: &str) -> String {
    let Some(db) = error.as_db_error() else { return error.to_string() };
    let mut out = format!("{}: {}", db.severity(), db.message());
    if let Some(detail) = db.detail() {
        out.push_str(&format!("\nDETAIL: {detail}"));
    }
    if let Some(hint) = db.hint() {
        out.push_str(&format!("\nHINT: {hint}"));
    }
    if let Some(postgres::error::ErrorPosition::Original(at)) = db.position() {
        // A 1-based character position.
        let at = sql.char_indices().nth((*at as usize).saturating_sub(1)).map_or(sql.len(), |(i, _)| i);
        let start = sql[..at].rfind('\n').map_or(0, |i| i + 1);
        let end = sql[at..].find('\n').map_or(sql.len(), |i| at + i);
        let line = sql[..at].matches('\n').count() + 1;
        out.push_str(&format!("\nat line {line}: {}", &sql[start..end]));
    }
    out
}
