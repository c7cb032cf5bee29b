//! Connecting to the PostgreSQL server a `--pg` option names, with one
//! message for a bad connection string and one for a server that is down
//! (saying how to start the local one). Used by verify, diff and migrate.

use postgres::{Client, Config, NoTls};

use super::UsageError;

/// A `--pg` connection string (URL or `host=… user=…`).
pub fn config(url: &str) -> Result<Config, UsageError> {
    url.parse().map_err(|e| UsageError(format!("invalid --pg connection string: {e}")))
}

/// A server error as its message (and hint), not the driver's "db error".
pub fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.hint() {
            Some(hint) => format!("{}\n  hint: {hint}", db.message()),
            None => db.message().to_string(),
        },
        None => e.to_string(),
    }
}

/// Connects; `what` names the database for the message.
pub fn connect(config: &Config, what: &str) -> Result<Client, UsageError> {
    config.connect(NoTls).map_err(|e| {
        UsageError(format!(
            "cannot connect to {what}: {e}\n  help: is PostgreSQL running? `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` starts the local one"
        ))
    })
}
