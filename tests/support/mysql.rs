//! A throw-away MySQL/MariaDB database per test.
//!
//! `TestDb::new("label")` creates `schemac_t_<label>_<pid>_<n>` on the
//! server named by `SCHEMAC_TEST_MYSQL` (default:
//! `mysql://root@127.0.0.1:3306/test`) and connects to it; dropping the
//! value drops the database and the privileges granted on it. A server that cannot be reached fails the test
//! with how to start one: these tests are never skipped.

use std::sync::atomic::{AtomicUsize, Ordering};

use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder};
use schemac::backends::mysql::quote::ident;
use schemac::backends::mysql::statements;

/// Where the test server is, as a `mysql://` URL.
pub fn connect_url() -> String {
    std::env::var("SCHEMAC_TEST_MYSQL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

fn opts() -> Opts {
    let url = connect_url();
    Opts::from_url(&url).unwrap_or_else(|e| panic!("SCHEMAC_TEST_MYSQL={url:?} is not a mysql:// URL: {e}"))
}

fn connect(opts: Opts) -> Conn {
    Conn::new(opts).unwrap_or_else(|e| {
        panic!(
            "cannot connect to MySQL/MariaDB at {:?}: {e}\n\
             These tests need a running server. Start the local one with\n  \
             service mariadb start   (or: mysqld_safe &)\n\
             or point SCHEMAC_TEST_MYSQL at another (mysql://user:password@host:port/db).",
            connect_url()
        )
    })
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub struct TestDb {
    pub name: String,
    pub conn: Conn,
}

impl TestDb {
    pub fn new(label: &str) -> TestDb {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("schemac_t_{label}_{}_{n}", std::process::id());
        let mut admin = connect(opts());
        admin.query_drop(format!("DROP DATABASE IF EXISTS {}", ident(&name))).expect("drop an old test database");
        admin
            .query_drop(format!("CREATE DATABASE {} CHARACTER SET utf8mb4", ident(&name)))
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        let conn = connect(OptsBuilder::from_opts(opts()).db_name(Some(name.clone())).into());
        TestDb { name, conn }
    }

    /// Runs each statement of a script made for the `mysql` client.
    pub fn apply(&mut self, script: &str) -> Result<(), String> {
        for statement in statements::split(script) {
            self.conn.query_drop(&statement).map_err(|e| format!("{e}\n\nin the statement:\n{statement}"))?;
        }
        Ok(())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let mut admin = connect(opts());
        let _ = admin.query_drop(format!("DROP DATABASE IF EXISTS {}", ident(&self.name)));
        // Privileges outlive their database on MySQL; roles are the server's and stay.
        let _ = admin.exec_drop("DELETE FROM mysql.tables_priv WHERE Db = ?", (&self.name,));
        let _ = admin.exec_drop("DELETE FROM mysql.columns_priv WHERE Db = ?", (&self.name,));
        let _ = admin.query_drop("FLUSH PRIVILEGES");
    }
}
