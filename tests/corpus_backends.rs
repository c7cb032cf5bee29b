//! The corpus's MySQL and SQLite schemas, and its PostgreSQL ones carried to
//! MySQL/MariaDB and SQLite by schemac.
//!
//! (a) Each MySQL file (sakila, chinook) loads into a fresh MariaDB
//! database and each SQLite file into an in-memory SQLite — proof that the
//! engines and the harness take real schemas — and schemac's introspection
//! (`import::introspect::mysql`, `import::introspect::sqlite`) reads them
//! without error and finds every table the file creates.
//!
//! (b) The matching PostgreSQL file is loaded into PostgreSQL, imported as
//! `schemac import` does (catalog → IR → patterns recognised → `.schema`
//! source), compiled for `mysql` and `sqlite`, and the script of each
//! applies to MariaDB / SQLite and reads back equal to the model the IR
//! lowers to. What a target cannot hold is an E0802 for that target: each
//! case lists exactly which, with the reason, and any other fails.

#[path = "support/mysql.rs"]
mod mysql_db;
mod support;

use ::mysql::prelude::Queryable;
use rusqlite::Connection;
use schemac::backends::{mysql as my, sqlite};
use schemac::diagnostics::{codes, Diagnostic, Sources};
use schemac::import;
use schemac::import::introspect;
use schemac::import::introspect::postgres::read_view_dependencies;
use schemac::semantic::raise;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

fn read(file: &str) -> String {
    let path = format!("{CORPUS}/{file}");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The tables a dump creates (`CREATE TABLE [IF NOT EXISTS] name`), lowercased, unquoted.
fn created_tables(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let lower = text.to_lowercase();
    for (at, _) in lower.match_indices("create table") {
        let rest = &lower[at + "create table".len()..];
        if !rest.starts_with(char::is_whitespace) {
            continue; // "Create Tables" in a comment
        }
        let rest = rest.trim_start();
        let rest = rest.strip_prefix("if not exists").unwrap_or(rest).trim_start();
        let name: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '(')
            .filter(|c| !matches!(c, '`' | '"' | '[' | ']'))
            .collect();
        let name = name.rsplit('.').next().unwrap_or_default().to_string();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.sort();
    names
}

/// (a) A MySQL dump into a fresh MariaDB database, read back. The dump's own
/// `DROP/CREATE DATABASE` and `USE` are left out, and names it qualifies
/// with its database (`sakila.film`) lose the qualifier: the test database
/// stands in for the one they name.
fn load_mysql(label: &str, database: &str, file: &str) -> usize {
    let text = read(file).replace(&format!("{database}."), "");
    let mut db = mysql_db::TestDb::new(label);
    for statement in my::statements::split(&text) {
        let head = statement.trim_start().to_lowercase();
        let skipped = ["drop schema", "create schema", "drop database", "create database", "use "];
        if skipped.iter().any(|s| head.starts_with(s)) {
            continue;
        }
        db.conn.query_drop(&statement).unwrap_or_else(|e| panic!("{file}: {e}\nin:\n{statement}"));
    }
    let name = db.name.clone();
    let schema = introspect::mysql::read_schema(&mut db.conn, &name).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut read: Vec<String> = schema.tables.iter().map(|t| t.name.to_lowercase()).collect();
    read.sort();
    assert_eq!(read, created_tables(&text), "{file}: the tables read back are the ones the file creates");
    read.len()
}

/// (a) A SQLite dump into an in-memory database, read back.
fn load_sqlite(file: &str) -> usize {
    let text = read(file);
    let conn = Connection::open_in_memory().expect("an in-memory database");
    conn.execute_batch(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let schema = introspect::sqlite::read_schema(&conn).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut read: Vec<String> = schema.tables.iter().map(|t| t.name.to_lowercase()).collect();
    read.sort();
    assert_eq!(read, created_tables(&text), "{file}: the tables read back are the ones the file creates");
    read.len()
}

#[test]
fn mysql_files_load_into_mariadb_and_read_back() {
    let mut rows = Vec::new();
    for (label, database, file) in [
        ("sakila", "sakila", "sakila/mysql-sakila-schema.sql"),
        ("chinook", "Chinook", "chinook/Chinook_MySql.ddl.sql"),
        ("chinook_ai", "Chinook", "chinook/Chinook_MySql_AutoIncrementPKs.ddl.sql"),
    ] {
        rows.push(format!("{file}: {} tables", load_mysql(label, database, file)));
    }
    eprintln!("{}", rows.join("\n"));
}

#[test]
fn sqlite_files_load_into_sqlite_and_read_back() {
    let mut rows = Vec::new();
    for file in [
        "sakila/sqlite-sakila-schema.sql",
        "chinook/Chinook_Sqlite.ddl.sql",
        "chinook/Chinook_Sqlite_AutoIncrementPKs.ddl.sql",
    ] {
        rows.push(format!("{file}: {} tables", load_sqlite(file)));
    }
    eprintln!("{}", rows.join("\n"));
}

/// (b) A PostgreSQL file loaded, imported and raised to source as
/// `schemac import sql` does.
fn imported_source(file: &str) -> String {
    let mut db = support::pg::TestDb::new("corpus_import");
    let mut sources = Sources::new();
    let path = format!("{CORPUS}/{file}");
    let id = sources.add(path.clone(), read(file));
    let loaded = import::dump::load(&mut db.client, &sources, id)
        .unwrap_or_else(|e| panic!("{path} does not load: {:?}", e.diagnostic(&sources)));
    import::dump::finish(&mut db.client, &loaded).expect("end the dump's session");
    let catalog = db.catalog("public");
    let views = read_view_dependencies(&mut db.client, "public").expect("view dependencies");
    let imported = import::postgres::import(&catalog, &views);
    let recognised = import::recognise::recognise(imported.ir, &catalog, &options(vec!["postgres".into()]));
    raise::source(&recognised.ir)
}

/// The options of the project `schemac import` writes, for `targets`.
fn options(targets: Vec<String>) -> schemac::pipeline::Options {
    let mut options = schemac::pipeline::Options::default();
    options.passes.fk_indexes = false;
    options.passes.advise_indexes = false;
    options.passes.reorder_columns = false;
    options.targets = targets;
    options
}

/// What one target made of the imported source.
struct Carried {
    tables: usize,
    /// The target's E0802 messages, without the ": not expressible on …" tail.
    rejected: Vec<String>,
}

/// Builds `source` for `target`, applies its script and compares what the
/// engine holds with the lowered model.
fn carry(label: &str, source: &str, target: &str) -> Result<Carried, String> {
    let mut compilation = schemac::driver::compile_str(&format!("{label}.schema"), source);
    let errors: Vec<&Diagnostic> = compilation.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{label}: the imported source does not compile: {errors:#?}\n{source}");
    let output = schemac::pipeline::build(&mut compilation, &options(vec![target.into()]));
    let backend = if target == "mysql" { "MySQL/MariaDB" } else { "SQLite" };
    let tail = format!(": not expressible on {backend}");
    let mut rejected = Vec::new();
    for d in output.diagnostics.iter().filter(|d| d.is_error()) {
        assert_eq!(d.code, codes::E0802, "{label} on {target}: only E0802 is expected: {d:#?}");
        let message = d.message.strip_suffix(&tail).unwrap_or_else(|| panic!("{label}: not {backend}'s: {d:#?}"));
        rejected.push(message.to_string());
    }
    let script = |path: &str| {
        output
            .artifacts
            .iter()
            .find(|a| a.path == path)
            .unwrap_or_else(|| panic!("{label}: no {path}"))
            .contents
            .clone()
    };
    let differences: Vec<String> = if target == "mysql" {
        let sql = script("mysql/schema.sql");
        let mut db = mysql_db::TestDb::new(label);
        db.apply(&sql).map_err(|e| format!("{label}: the MySQL script does not apply: {e}\n\n{sql}"))?;
        let (expected, _) = my::lower::lower(&compilation.ir, &compilation.source_map);
        let name = db.name.clone();
        let actual = introspect::mysql::read_schema(&mut db.conn, &name).expect("introspection");
        my::compare::compare(&expected, &actual).iter().map(ToString::to_string).collect()
    } else {
        let sql = script("sqlite/schema.sql");
        let conn = Connection::open_in_memory().expect("an in-memory database");
        conn.execute_batch(&sql).map_err(|e| format!("{label}: the SQLite script does not apply: {e}\n\n{sql}"))?;
        let (expected, _) = sqlite::lower::lower(&compilation.ir, &compilation.source_map, &sqlite::Options::default());
        let actual = introspect::sqlite::read_schema(&conn).expect("introspection");
        sqlite::compare::compare(&expected, &actual).iter().map(ToString::to_string).collect()
    };
    assert!(
        differences.is_empty(),
        "{label} on {target}: the database differs from the model:\n{}",
        differences.join("\n")
    );
    Ok(Carried { tables: compilation.ir.entities.len(), rejected })
}

fn assert_carried(label: &str, file: &str, target: &str, rejected: &[&str]) {
    let source = imported_source(file);
    let carried = carry(label, &source, target).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(carried.rejected, rejected, "{file} on {target}: the E0802s are not the documented ones");
    eprintln!("{file} | {target} | {} tables | {} E0802", carried.tables, carried.rejected.len());
}

#[test]
fn chinook_from_postgres_applies_to_mysql_and_sqlite() {
    for file in [
        "chinook/Chinook_PostgreSql.ddl.sql",
        "chinook/Chinook_PostgreSql_SerialPKs.ddl.sql",
        "chinook/Chinook_PostgreSql_AutoIncrementPKs.ddl.sql",
    ] {
        assert_carried("chinook_pg", file, "mysql", &[]);
        assert_carried("chinook_pg", file, "sqlite", &[]);
    }
}

/// What MySQL and SQLite cannot hold of sakila's PostgreSQL schema, each for
/// a reason the E0802's help gives:
const SAKILA_ELSEWHERE: &[&str] = &[
    // The import keeps PostgreSQL's `('now'::text)::date` as SQL (it is not
    // the literal it looks like); MySQL and SQLite have no `::`.
    "PostgreSQL's `::` cast in `sql(\"('now'::text)::date\")` in the default of field `Customer.create_date`",
    // tsvector and its GiST index: PostgreSQL's full-text search.
    "the type of field `Film.fulltext`",
    "`using gist` on the index (fulltext) of entity `Film`",
    // Views the import keeps as PostgreSQL SQL (no MySQL or SQLite body);
    // three of them call the aggregate group_concat.
    "view `ActorInfo` written in SQL for other backends",
    "view `CustomerList` written in SQL for other backends",
    "view `FilmList` written in SQL for other backends",
    "view `NicerButSlowerFilmList` written in SQL for other backends",
    "view `SalesByFilmCategory` written in SQL for other backends",
    "view `SalesByStore` written in SQL for other backends",
    "view `StaffList` written in SQL for other backends",
    // PL/pgSQL and PostgreSQL SQL functions: neither has a form for them.
    "function `_group_concat`",
    "function `film_in_stock`",
    "function `film_not_in_stock`",
    "function `get_customer_balance`",
    "function `inventory_held_by_customer`",
    "function `inventory_in_stock`",
    "function `last_day`",
    "function `rewards_report`",
    // CREATE AGGREGATE: PostgreSQL's own.
    "aggregate `group_concat`",
];

/// sakila's triggers in the order the import declares them: `last_updated()`
/// on each of its 14 tables, with film's full-text trigger (PostgreSQL's
/// built-in tsvector_update_trigger, called with arguments) among them.
fn sakila_triggers(last_updated: &'static str) -> Vec<&'static str> {
    let mut triggers = vec![last_updated; 14];
    triggers.insert(6, "trigger `film_fulltext_trigger` with arguments");
    triggers
}

#[test]
fn sakila_from_postgres_applies_to_mysql() {
    let mut expected: Vec<&str> = SAKILA_ELSEWHERE.to_vec();
    // sakila's `last_updated()` trigger, on each of its 14 tables, is
    // PL/pgSQL with no MySQL body (the import does not recognise it as
    // `timestamps`, whose touch MySQL would carry).
    expected.extend(sakila_triggers("trigger `last_updated`, whose function `last_updated` has no SQL for MySQL"));
    assert_carried("sakila_pg", "sakila/postgres-sakila-schema.sql", "mysql", &expected);
}

#[test]
fn sakila_from_postgres_applies_to_sqlite() {
    let mut expected: Vec<&str> = SAKILA_ELSEWHERE.to_vec();
    // The same trigger: PL/pgSQL, no SQLite body.
    expected.extend(sakila_triggers("trigger `last_updated`, whose function `last_updated` has no SQL for SQLite"));
    assert_carried("sakila_pg", "sakila/postgres-sakila-schema.sql", "sqlite", &expected);
}
