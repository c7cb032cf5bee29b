//! SQLite migrations, proven on the real engine (rusqlite's bundled SQLite).
//!
//! A property test draws a random schema A and random edits that turn it
//! into B (the shared generator, `support/edits.rs`, with SQLite values).
//! In a fresh in-memory database per case, build(A) is applied and rows are
//! inserted in every table (children referencing parents); plan(A→B) is
//! applied with `migrate::sqlite::apply` (journal and all) and, on a second
//! database, as the up.sql script. Then: the schema read back equals the
//! model B lowers to; `PRAGMA foreign_key_check` is clean; every row of A
//! that B keeps is still there (counts and every column's values, renames
//! followed), children of rebuilt parents included; applying again does
//! nothing; where the plan is reversible, down returns A's schema and rows;
//! the self-diffs plan(A→A) and plan(B→B) are empty.
//!
//! Schemas have an enum, relations with `on delete` actions, a view and
//! `touch` triggers, so rebuilds meet views, triggers and children.
//!
//! `SCHEMAC_SQLITE_MIGRATE_CASES` sets the number of cases (default 500),
//! `SCHEMAC_MIGRATE_EDITS` the longest edit sequence (default 4).
//!
//! Scenario tests pin the documented behaviour: ADD COLUMN in place, the
//! rebuild for type changes and checks (a violating row stops it and
//! nothing changes), children with `on delete cascade` surviving their
//! parent's rebuild, declared renames in place, drops refused without
//! consent, views over rebuilt tables, and the CLI round trip.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rusqlite::Connection;
use schemac::backends::sqlite::compare::compare;
use schemac::backends::sqlite::quote::ident;
use schemac::backends::sqlite::Schema;
use schemac::driver;
use schemac::import::introspect;
use schemac::migrate::sqlite::apply::{self, JOURNAL};
use schemac::migrate::sqlite::{self as migrate, script, Plan};
use schemac::pipeline;
use schemac::semantic::ir::Ir;
use support::edits::{self, Backend, Edit, Model, SchemaSpec};

// ------------------------------------------------------------------- case

/// What the plans of the property test did: rebuilds, columns added in
/// place, columns dropped in place, renames, tables dropped, downs run.
static STATS: [AtomicUsize; 8] = [const { AtomicUsize::new(0) }; 8];
const STAT_NAMES: [&str; 8] = [
    "rebuilds",
    "ADD COLUMNs",
    "DROP COLUMNs",
    "renames",
    "table drops",
    "reverts",
    "triggers created",
    "views created",
];

fn count(plan: &Plan) {
    for s in &plan.steps {
        let kind = if s.rewrite {
            0
        } else if s.summary.starts_with("add column") {
            1
        } else if s.summary.starts_with("drop column") {
            2
        } else if s.summary.starts_with("rename") {
            3
        } else if s.summary.starts_with("drop table") {
            4
        } else if s.summary.starts_with("create trigger") {
            6
        } else if s.summary.starts_with("create view") {
            7
        } else {
            continue;
        };
        STATS[kind].fetch_add(1, Ordering::Relaxed);
    }
}

struct Built {
    ir: Ir,
    sql: String,
    model: Schema,
}

fn sqlite_only() -> pipeline::Options {
    pipeline::Options { targets: vec!["sqlite".into()], ..pipeline::Options::default() }
}

fn build(source: &str, previous: Option<Arc<Ir>>) -> Result<Built, String> {
    let mut compilation = driver::compile_str("m.schema", source);
    let errors = |d: &[schemac::diagnostics::Diagnostic]| -> Vec<String> {
        d.iter().filter(|d| d.is_error()).map(|d| format!("{}: {}", d.code, d.message)).collect()
    };
    let e = errors(&compilation.diagnostics);
    if !e.is_empty() {
        return Err(format!("the source does not compile: {e:#?}"));
    }
    let mut options = sqlite_only();
    options.previous = previous;
    let output = pipeline::build(&mut compilation, &options);
    let e = errors(&output.diagnostics);
    if !e.is_empty() {
        return Err(format!("the backend reports errors: {e:#?}"));
    }
    let sql = output.artifacts.iter().find(|a| a.path == "sqlite/schema.sql").map(|a| a.contents.clone());
    let model = migrate::model(&compilation.ir, &Default::default());
    Ok(Built { ir: compilation.ir, sql: sql.ok_or("no sqlite/schema.sql")?, model })
}

/// Row counts per table and each column's values (as text, in id order).
#[derive(Debug, PartialEq)]
struct Rows {
    counts: BTreeMap<String, i64>,
    columns: BTreeMap<(String, String), String>,
}

fn read_rows(conn: &Connection, model: &Schema) -> Result<Rows, String> {
    let mut rows = Rows { counts: BTreeMap::new(), columns: BTreeMap::new() };
    for table in &model.tables {
        let mut select = String::from("SELECT count(*)");
        for c in &table.columns {
            let c = ident(&c.name);
            let _ = write!(
                select,
                ", coalesce(group_concat(coalesce(CAST({c} AS TEXT), 'NULL'), ' | ' ORDER BY \"id\"), '')"
            );
        }
        let _ = write!(select, " FROM {}", ident(&table.name));
        let values: Vec<String> = conn
            .query_row(&select, [], |row| {
                (0..=table.columns.len())
                    .map(|i| row.get::<_, rusqlite::types::Value>(i))
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| format!("{select}: {e}"))?
            .into_iter()
            .map(|v| match v {
                rusqlite::types::Value::Integer(n) => n.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
            .collect();
        rows.counts.insert(table.name.clone(), values[0].parse().unwrap_or(-1));
        for (i, c) in table.columns.iter().enumerate() {
            rows.columns.insert((table.name.clone(), c.name.clone()), values[i + 1].clone());
        }
    }
    Ok(rows)
}

/// The schema of a database without the journal.
fn introspect(conn: &Connection) -> Result<Schema, String> {
    let mut schema = introspect::sqlite::read_schema(conn).map_err(|e| format!("read_schema: {e}"))?;
    schema.tables.retain(|t| t.name != JOURNAL);
    schema.indexes.retain(|i| i.table != JOURNAL);
    Ok(schema)
}

fn differences(expected: &Schema, actual: &Schema) -> Option<String> {
    let d = compare(expected, actual);
    (!d.is_empty()).then(|| d.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n"))
}

fn foreign_key_violations(conn: &Connection) -> Vec<String> {
    apply::foreign_key_violations(conn).unwrap_or_else(|e| vec![format!("foreign_key_check failed: {e}")])
}

struct Case {
    a: String,
    b: String,
    up: String,
}

impl Case {
    fn fail(&self, what: &str, details: &str) -> TestCaseError {
        TestCaseError::fail(format!(
            "{what}\n{details}\n\n--- A ---\n{}\n--- B ---\n{}\n--- plan (sqlite/up.sql) ---\n{}",
            self.a, self.b, self.up
        ))
    }
}

/// A database with build(A) and A's rows.
fn database_a(case: &Case, a: &Built, model: &Model) -> Result<Connection, TestCaseError> {
    let conn = Connection::open_in_memory().map_err(|e| case.fail("opening a database", &e.to_string()))?;
    conn.execute_batch(&a.sql).map_err(|e| case.fail("build(A) fails", &format!("{e}\n{}", a.sql)))?;
    for insert in model.insert_rows(&|t| ident(t), &|c| ident(c)) {
        conn.execute_batch(&insert)
            .map_err(|e| case.fail("inserting the rows of A fails", &format!("{insert}: {e}")))?;
    }
    Ok(conn)
}

fn check_rows(
    case: &Case,
    kept: &BTreeMap<(String, String), (String, String)>,
    before: &Rows,
    after: &Rows,
    how: &str,
) -> Result<(), TestCaseError> {
    let mut lost = Vec::new();
    for ((table, column), (new_table, new_column)) in kept {
        if before.counts.get(table) != after.counts.get(new_table) {
            lost.push(format!(
                "  rows of {table} → {new_table}: {:?} → {:?}",
                before.counts.get(table),
                after.counts.get(new_table)
            ));
        }
        let (old, new) = (
            before.columns.get(&(table.clone(), column.clone())),
            after.columns.get(&(new_table.clone(), new_column.clone())),
        );
        if old != new {
            lost.push(format!("  {table}.{column} → {new_table}.{new_column}: {old:?} → {new:?}"));
        }
    }
    if lost.is_empty() {
        return Ok(());
    }
    lost.dedup();
    Err(case.fail(&format!("the plan ({how}) changed rows of A"), &lost.join("\n")))
}

fn run_case(spec: &SchemaSpec, edits: &[Edit]) -> Result<(), TestCaseError> {
    let model_a = edits::model_a(spec, Backend::Sqlite);
    let mut model_b = model_a.clone();
    for e in edits {
        edits::edit_model(&mut model_b, e);
    }
    let mut case = Case { a: model_a.source(), b: model_b.source(), up: String::new() };
    let a = build(&case.a, None).map_err(|e| case.fail("A does not build", &e))?;
    let b = build(&case.b, Some(Arc::new(a.ir.clone()))).map_err(|e| case.fail("B does not build", &e))?;
    let options = Default::default();
    for (name, ir) in [("A", &a.ir), ("B", &b.ir)] {
        let same = migrate::plan(ir, ir, &options);
        if !same.is_empty() {
            let steps: Vec<&str> = same.steps.iter().map(|s| s.summary.as_str()).collect();
            return Err(case.fail(&format!("the self-diff of {name} is not empty"), &format!("{steps:#?}")));
        }
    }
    let plan = migrate::plan(&a.ir, &b.ir, &options);
    count(&plan);
    let stored = script::stored("0002_edit", &plan);
    case.up = script::up_sql(&stored);
    let kept = edits::survivors(&model_a, &model_b);

    // With the journal.
    let mut conn = database_a(&case, &a, &model_a)?;
    let rows_a = read_rows(&conn, &a.model).map_err(|e| case.fail("reading rows", &e))?;
    let report = apply::apply(&mut conn, std::slice::from_ref(&stored))
        .map_err(|e| case.fail("applying the plan fails", &e.to_string()))?;
    if report.applied.len() != 1 {
        return Err(case.fail("the plan was not recorded as applied", &format!("{report:?}")));
    }
    let fks: i64 =
        conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).map_err(|e| case.fail("pragma", &e.to_string()))?;
    if fks != 1 {
        return Err(case.fail("apply left foreign keys off", ""));
    }
    let after = introspect(&conn).map_err(|e| case.fail("introspection", &e))?;
    if let Some(d) = differences(&b.model, &after) {
        return Err(case.fail("after the plan, the schema is not B's", &d));
    }
    let violations = foreign_key_violations(&conn);
    if !violations.is_empty() {
        return Err(case.fail("foreign_key_check reports violations", &violations.join("\n")));
    }
    let rows_b = read_rows(&conn, &b.model).map_err(|e| case.fail("reading rows", &e))?;
    check_rows(&case, &kept, &rows_a, &rows_b, "apply")?;
    let again = apply::apply(&mut conn, std::slice::from_ref(&stored))
        .map_err(|e| case.fail("applying again fails", &e.to_string()))?;
    if again.already != 1 || !again.applied.is_empty() {
        return Err(case.fail("applying again was not a no-op", &format!("{again:?}")));
    }
    if stored.reversible() {
        STATS[5].fetch_add(1, Ordering::Relaxed);
        apply::revert(&mut conn, &stored).map_err(|e| case.fail("down fails", &e.to_string()))?;
        let back = introspect(&conn).map_err(|e| case.fail("introspection", &e))?;
        if let Some(d) = differences(&a.model, &back) {
            return Err(case.fail("after down, the schema is not A's", &d));
        }
        let rows = read_rows(&conn, &a.model).map_err(|e| case.fail("reading rows", &e))?;
        if rows != rows_a {
            return Err(case.fail("after down, the rows are not A's", &format!("{rows_a:#?}\n→\n{rows:#?}")));
        }
    }

    // As the up.sql script.
    let conn = database_a(&case, &a, &model_a)?;
    conn.execute_batch(&case.up).map_err(|e| case.fail("up.sql fails", &e.to_string()))?;
    let after = introspect(&conn).map_err(|e| case.fail("introspection", &e))?;
    if let Some(d) = differences(&b.model, &after) {
        return Err(case.fail("after up.sql, the schema is not B's", &d));
    }
    let rows_b = read_rows(&conn, &b.model).map_err(|e| case.fail("reading rows", &e))?;
    check_rows(&case, &kept, &rows_a, &rows_b, "up.sql")
}

fn worker(cases: u32) -> (usize, Result<(), String>) {
    let runs = std::cell::Cell::new(0usize);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let edits = std::env::var("SCHEMAC_MIGRATE_EDITS").ok().and_then(|n| n.parse().ok()).unwrap_or(4usize).max(1);
    let strategy =
        (edits::schema_spec(Backend::Sqlite), prop::collection::vec(edits::edit(Backend::Sqlite), 1..=edits));
    let result = runner.run(&strategy, |(spec, edits)| {
        runs.set(runs.get() + 1);
        run_case(&spec, &edits)
    });
    (runs.get(), result.map_err(|e| e.to_string()))
}

#[test]
fn random_plans_migrate_the_schema_and_keep_the_rows() {
    let cases: u32 = std::env::var("SCHEMAC_SQLITE_MIGRATE_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(500);
    assert!(cases > 0, "SCHEMAC_SQLITE_MIGRATE_CASES must be at least 1");
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8) as u32;
    let started = Instant::now();
    let results: Vec<(usize, Result<(), String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| scope.spawn(move || worker(cases / workers + u32::from(w < cases % workers))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    let runs: usize = results.iter().map(|(n, _)| n).sum();
    eprintln!(
        "sqlite_migrations: {cases} cases ({runs} runs with shrinking) on {workers} worker(s) in {:.1?}",
        started.elapsed()
    );
    let stats: Vec<String> =
        STAT_NAMES.iter().zip(&STATS).map(|(name, n)| format!("{} {name}", n.load(Ordering::Relaxed))).collect();
    eprintln!("sqlite_migrations: the plans had {}", stats.join(", "));
    for (_, result) in results {
        if let Err(e) = result {
            panic!("{e}");
        }
    }
    assert!(runs >= cases as usize, "only {runs} of {cases} cases ran");
    if cases >= 200 {
        for (name, n) in STAT_NAMES.iter().zip(&STATS) {
            assert!(n.load(Ordering::Relaxed) > 0, "no plan had {name}: the generator does not reach them");
        }
    }
}

// -------------------------------------------------------------- scenarios

/// A and B built, the plan between them, and a database with build(A) and
/// `rows` (SQL) in it.
struct Scenario {
    a: Built,
    b: Built,
    plan: Plan,
    stored: script::StoredMigration,
    conn: Connection,
}

fn scenario(a: &str, b: &str, rows: &[&str]) -> Scenario {
    let a = build(a, None).unwrap_or_else(|e| panic!("A: {e}"));
    let b = build(b, Some(Arc::new(a.ir.clone()))).unwrap_or_else(|e| panic!("B: {e}"));
    let plan = migrate::plan(&a.ir, &b.ir, &Default::default());
    let stored = script::stored("0002_change", &plan);
    let conn = Connection::open_in_memory().expect("a database");
    conn.execute_batch(&a.sql).unwrap_or_else(|e| panic!("build(A): {e}\n{}", a.sql));
    for row in rows {
        conn.execute_batch(row).unwrap_or_else(|e| panic!("{row}: {e}"));
    }
    assert!(migrate::plan(&a.ir, &a.ir, &Default::default()).is_empty(), "self-diff of A");
    Scenario { a, b, plan, stored, conn }
}

impl Scenario {
    fn up(&self) -> String {
        script::up_sql(&self.stored)
    }

    /// Applies the plan; the schema must then be B's and every foreign key hold.
    fn apply(&mut self) {
        let up = self.up();
        apply::apply(&mut self.conn, std::slice::from_ref(&self.stored)).unwrap_or_else(|e| panic!("{e}\n{up}"));
        let actual = introspect(&self.conn).expect("introspection");
        if let Some(d) = differences(&self.b.model, &actual) {
            panic!("the schema is not B's:\n{d}\n{up}");
        }
        assert_eq!(foreign_key_violations(&self.conn), Vec::<String>::new());
    }

    fn int(&self, sql: &str) -> i64 {
        self.conn.query_row(sql, [], |row| row.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn text(&self, sql: &str) -> String {
        self.conn.query_row(sql, [], |row| row.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn summaries(&self) -> Vec<String> {
        self.plan.steps.iter().map(|s| s.summary.clone()).collect()
    }

    fn hazard_keys(&self) -> Vec<String> {
        self.plan.hazards().map(|h| h.key()).collect()
    }

    fn rebuilds(&self) -> bool {
        self.plan.steps.iter().any(|s| s.rewrite)
    }
}

const NOTE: &str = "entity Note {\n  id bigint = identity primary\n  title text\n}\n";

#[test]
fn a_nullable_column_is_added_in_place() {
    let b = "entity Note {\n  id bigint = identity primary\n  title text\n  body text?\n}\n";
    let mut s = scenario(NOTE, b, &["INSERT INTO note (title) VALUES ('a'), ('b')"]);
    assert_eq!(s.summaries(), ["add column note.body"]);
    assert!(!s.rebuilds());
    assert_eq!(s.plan.steps[0].up, ["ALTER TABLE \"note\" ADD COLUMN \"body\" TEXT"]);
    assert!(s.hazard_keys().is_empty(), "{:?}", s.hazard_keys());
    s.apply();
    assert_eq!(s.text("SELECT group_concat(title, ',' ORDER BY id) FROM note"), "a,b");
    assert_eq!(s.int("SELECT count(*) FROM note WHERE body IS NULL"), 2);
    // Down drops the column again.
    apply::revert(&mut s.conn, &s.stored).expect("down");
    assert!(differences(&s.a.model, &introspect(&s.conn).unwrap()).is_none());
}

#[test]
fn a_required_column_with_a_constant_default_is_added_in_place() {
    let b = "entity Note {\n  id bigint = identity primary\n  title text\n  status text = 'new'\n}\n";
    let mut s = scenario(NOTE, b, &["INSERT INTO note (title) VALUES ('a')"]);
    assert_eq!(s.summaries(), ["add column note.status"]);
    assert_eq!(s.plan.steps[0].up, ["ALTER TABLE \"note\" ADD COLUMN \"status\" TEXT NOT NULL DEFAULT ('new')"]);
    s.apply();
    assert_eq!(s.text("SELECT status FROM note"), "new");
}

#[test]
fn a_required_column_with_a_clock_default_rebuilds_and_fills_every_row() {
    let b = "entity Note {\n  id bigint = identity primary\n  title text\n  at timestamptz = now()\n}\n";
    let mut s = scenario(NOTE, b, &["INSERT INTO note (title) VALUES ('a')"]);
    assert!(s.rebuilds(), "SQLite refuses a non-constant default in ADD COLUMN: {:?}", s.summaries());
    s.apply();
    assert_eq!(s.int("SELECT count(*) FROM note WHERE at IS NOT NULL AND title = 'a'"), 1);
}

#[test]
fn a_type_change_rebuilds_the_table_and_converts_the_values() {
    let a = "entity Item {\n  id bigint = identity primary\n  code int\n}\n";
    let b = "entity Item {\n  id bigint = identity primary\n  code text\n}\n";
    let mut s = scenario(a, b, &["INSERT INTO item (code) VALUES (5), (12)"]);
    assert!(s.rebuilds());
    assert!(s.hazard_keys().contains(&"H0003:item".to_string()), "{:?}", s.hazard_keys());
    let up = s.up();
    for expected in [
        "PRAGMA foreign_keys = OFF;\nBEGIN;",
        "CREATE TABLE \"_schemac_new_item\"",
        "INSERT INTO \"_schemac_new_item\" (\"id\", \"code\") SELECT \"id\", \"code\" FROM \"item\";",
        "DROP TABLE \"item\";",
        "ALTER TABLE \"_schemac_new_item\" RENAME TO \"item\";",
        "pragma_foreign_key_check",
        "COMMIT;\nPRAGMA foreign_keys = ON;",
    ] {
        assert!(up.contains(expected), "up.sql lacks {expected:?}:\n{up}");
    }
    s.apply();
    assert_eq!(s.text("SELECT group_concat(typeof(code) || ':' || code, ',' ORDER BY id) FROM item"), "text:5,text:12");
}

#[test]
fn a_check_that_rows_break_stops_the_migration_and_changes_nothing() {
    let a = "entity Item {\n  id bigint = identity primary\n  price int\n}\n";
    let b = "entity Item {\n  id bigint = identity primary\n  price int check (price >= 0)\n}\n";
    let mut s = scenario(a, b, &["INSERT INTO item (price) VALUES (3), (-5)"]);
    assert!(s.rebuilds());
    assert!(s.hazard_keys().iter().any(|k| k.starts_with("H0004:item")), "{:?}", s.hazard_keys());
    let error = apply::apply(&mut s.conn, std::slice::from_ref(&s.stored)).expect_err("a row breaks the check");
    let message = error.to_string();
    assert!(message.contains("CHECK constraint failed"), "{message}");
    assert!(message.contains("nothing of it was applied"), "{message}");
    assert!(differences(&s.a.model, &introspect(&s.conn).unwrap()).is_none(), "the schema changed");
    assert_eq!(s.text("SELECT group_concat(price, ',' ORDER BY id) FROM item"), "3,-5");
    assert!(apply::recorded(&s.conn).unwrap().is_empty(), "a failed migration was recorded");
    assert_eq!(s.int("PRAGMA foreign_keys"), 1, "foreign keys were left off");
    // Fixed, it runs again.
    s.conn.execute_batch("UPDATE item SET price = 0 WHERE price < 0").unwrap();
    s.apply();
    assert_eq!(apply::recorded(&s.conn).unwrap().len(), 1);
}

#[test]
fn children_with_on_delete_cascade_survive_the_rebuild_of_their_parent() {
    let a = "entity Author {\n  id bigint = identity primary\n  rank int\n}\n\nentity Post {\n  id bigint = identity primary\n  title text\n}\n\n\
             relation Post.author -> Author.posts {\n  required\n  on delete cascade\n}\n";
    let b = "entity Author {\n  id bigint = identity primary\n  rank text\n}\n\nentity Post {\n  id bigint = identity primary\n  title text\n}\n\n\
             relation Post.author -> Author.posts {\n  required\n  on delete cascade\n}\n";
    let rows = [
        "INSERT INTO author (rank) VALUES (1), (2)",
        "INSERT INTO post (title, author_id) VALUES ('p1', 1), ('p2', 1), ('p3', 2)",
    ];
    let mut s = scenario(a, b, &rows);
    assert_eq!(s.summaries().len(), 1, "{:?}", s.summaries());
    assert!(s.summaries()[0].starts_with("rebuild table author"), "{:?}", s.summaries());
    s.apply();
    assert_eq!(s.int("SELECT count(*) FROM post"), 3, "the rebuild of author deleted posts");
    assert_eq!(s.text("SELECT group_concat(author_id, ',' ORDER BY id) FROM post"), "1,1,2");
    // The foreign key still works, cascade included.
    s.conn.execute_batch("DELETE FROM author WHERE id = 1").unwrap();
    assert_eq!(s.int("SELECT count(*) FROM post"), 1);
    assert!(s.conn.execute_batch("INSERT INTO post (title, author_id) VALUES ('x', 99)").is_err());
}

#[test]
fn declared_renames_run_in_place() {
    let a = "entity Customer {\n  id bigint = identity primary\n  name text\n}\n\nentity Invoice {\n  id bigint = identity primary\n}\n\n\
             relation Invoice.customer -> Customer.invoices\n";
    let b = "entity Client {\n  id bigint = identity primary\n  full_name text renamed_from name\n  renamed_from Customer\n}\n\n\
             entity Invoice {\n  id bigint = identity primary\n}\n\nrelation Invoice.customer -> Client.invoices\n";
    let rows = ["INSERT INTO customer (name) VALUES ('ann')", "INSERT INTO invoice (customer_id) VALUES (1)"];
    let mut s = scenario(a, b, &rows);
    assert_eq!(s.summaries(), ["rename table customer to client", "rename column client.name to full_name"]);
    assert!(!s.rebuilds());
    assert_eq!(s.hazard_keys(), ["H0005:client", "H0005:client.full_name"]);
    s.apply();
    assert_eq!(s.text("SELECT full_name FROM client"), "ann");
    assert_eq!(s.int("SELECT customer_id FROM invoice"), 1);
    apply::revert(&mut s.conn, &s.stored).expect("down renames back");
    assert!(differences(&s.a.model, &introspect(&s.conn).unwrap()).is_none());
    assert_eq!(s.text("SELECT name FROM customer"), "ann");
}

#[test]
fn dropping_a_column_is_a_hazard_that_needs_consent() {
    let a = "entity Note {\n  id bigint = identity primary\n  title text\n  body text?\n  code text? unique\n}\n";
    let b = "entity Note {\n  id bigint = identity primary\n  title text\n}\n";
    let mut s = scenario(a, b, &["INSERT INTO note (title, body, code) VALUES ('a', 'b', 'c')"]);
    let keys = s.hazard_keys();
    assert!(keys.contains(&"H0002:note.body".to_string()), "{keys:?}");
    assert!(keys.contains(&"H0002:note.code".to_string()), "{keys:?}");
    // A UNIQUE column cannot be dropped in place: the table is rebuilt.
    assert!(s.rebuilds(), "{:?}", s.summaries());
    assert!(!s.stored.reversible(), "a drop cannot be undone");
    assert!(script::down_sql(&s.stored).contains("cannot be undone"));
    s.apply();
    assert_eq!(s.text("SELECT title FROM note"), "a");
}

#[test]
fn a_droppable_column_is_dropped_in_place() {
    let a = "entity Note {\n  id bigint = identity primary\n  title text\n  body text?\n}\n";
    let mut s = scenario(a, NOTE, &["INSERT INTO note (title, body) VALUES ('a', 'b')"]);
    assert_eq!(s.summaries(), ["drop column note.body"]);
    assert_eq!(s.hazard_keys(), ["H0002:note.body"]);
    s.apply();
}

#[test]
fn a_view_over_a_rebuilt_table_is_recreated_and_works() {
    let a = "entity Item {\n  id bigint = identity primary\n  price int\n}\n\nview Cheap = Item where price < 10\n";
    let b = "entity Item {\n  id bigint = identity primary\n  price int check (price >= 0)\n}\n\nview Cheap = Item where price < 10\n";
    let mut s = scenario(a, b, &["INSERT INTO item (price) VALUES (3), (30)"]);
    let summaries = s.summaries();
    assert!(summaries.first().is_some_and(|f| f == "drop view cheap"), "{summaries:?}");
    assert!(summaries.last().is_some_and(|l| l == "create view cheap"), "{summaries:?}");
    s.apply();
    assert_eq!(s.int("SELECT count(*) FROM cheap"), 1);
}

// -------------------------------------------------------------------- CLI

fn schemac(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemac")).args(args).current_dir(dir).output().expect("run schemac")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("schemac_sqlite_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn ok(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{what} failed ({:?}):\n{stderr}", out.status.code());
    stderr
}

#[test]
fn cli_round_trip_new_apply_verify() {
    let dir = scratch("cli");
    std::fs::write(
        dir.join("schemac.toml"),
        "[project]\nname = \"shop\"\n\n[build]\ntargets = [\"postgres\", \"sqlite\"]\n",
    )
    .unwrap();
    let v1 = "entity Product {\n  id bigint = identity primary\n  name text\n  legacy text?\n}\n";
    std::fs::write(dir.join("shop.schema"), v1).unwrap();
    ok(&schemac(&["migrate", "new", "init"], &dir), "migrate new init");
    for file in ["up.sql", "down.sql", "plan.json"] {
        assert!(dir.join("migrations/0001_init/sqlite").join(file).is_file(), "no sqlite/{file}");
    }
    let db = dir.join("app.db");
    let db_arg = db.to_str().unwrap();
    ok(&schemac(&["migrate", "apply", "--sqlite", db_arg], &dir), "migrate apply");
    ok(&schemac(&["verify", "--sqlite", db_arg], &dir), "verify");
    Connection::open(&db).unwrap().execute_batch("INSERT INTO product (name, legacy) VALUES ('tea', 'x')").unwrap();

    let v2 = "entity Product {\n  id bigint = identity primary\n  name text\n  price int?\n}\n";
    std::fs::write(dir.join("shop.schema"), v2).unwrap();
    let refused = schemac(&["migrate", "new", "price"], &dir);
    assert_eq!(refused.status.code(), Some(1), "a drop without consent must be refused");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("--allow H0002:product.legacy"), "{stderr}");
    assert!(!dir.join("migrations/0002_price").exists(), "a refused migration wrote files");
    // PostgreSQL's planner also asks whether the drop and the add are a rename.
    let allow = ["--allow", "H0002:product.legacy", "--allow", "H0009:product.legacy"];
    ok(&schemac(&[&["migrate", "new", "price"][..], &allow[..]].concat(), &dir), "migrate new price");
    let up = std::fs::read_to_string(dir.join("migrations/0002_price/sqlite/up.sql")).unwrap();
    assert!(up.contains("ALTER TABLE \"product\" ADD COLUMN \"price\" INTEGER"), "{up}");
    assert!(up.contains("ALTER TABLE \"product\" DROP COLUMN \"legacy\""), "{up}");
    let applied = ok(&schemac(&["migrate", "apply", "--sqlite", db_arg], &dir), "migrate apply");
    assert!(applied.contains("1 migration(s) applied now, 1 already"), "{applied}");
    let again = ok(&schemac(&["migrate", "apply", "--sqlite", db_arg], &dir), "migrate apply again");
    assert!(again.contains("0 migration(s) applied now, 2 already"), "{again}");
    ok(&schemac(&["verify", "--sqlite", db_arg], &dir), "verify after the second migration");
    let conn = Connection::open(&db).unwrap();
    let name: String = conn.query_row("SELECT name FROM product", [], |r| r.get(0)).unwrap();
    assert_eq!(name, "tea");

    // Drift is reported, with exit code 1.
    conn.execute_batch("ALTER TABLE product ADD COLUMN extra TEXT").unwrap();
    drop(conn);
    let drift = schemac(&["verify", "--sqlite", db_arg], &dir);
    assert_eq!(drift.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&drift.stderr);
    assert!(stderr.contains("difference (sqlite): column product.extra"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

const AUTHORS: &str = "entity Author {\n  id bigint = identity primary\n  rank int\n}\n\nentity Post {\n  id bigint = identity primary\n  title text\n}\n\n\
                       relation Post.author -> Author.posts {\n  required\n  on delete cascade\n}\n";

#[test]
fn a_broken_foreign_key_rolls_the_migration_back_with_the_journal_and_the_script() {
    let rows = ["INSERT INTO author (rank) VALUES (1)", "INSERT INTO post (title, author_id) VALUES ('p', 1)"];
    let mut s = scenario(AUTHORS, AUTHORS, &rows);
    assert!(s.plan.is_empty());
    let dangling = script::StoredMigration {
        name: "0003_dangling".into(),
        steps: vec![script::StoredStep {
            summary: "insert a post of no author".into(),
            phase: "expand".into(),
            rebuild: false,
            up: vec!["INSERT INTO post (title, author_id) VALUES ('x', 99)".into()],
            down: None,
            hazards: Vec::new(),
        }],
    };
    let error = apply::apply(&mut s.conn, std::slice::from_ref(&dangling)).expect_err("a broken reference");
    assert!(matches!(error, apply::ApplyError::ForeignKeys { .. }), "{error}");
    assert!(error.to_string().contains("post row 2 → author"), "{error}");
    assert_eq!(s.int("SELECT count(*) FROM post"), 1, "the step was committed");
    assert!(apply::recorded(&s.conn).unwrap().is_empty());
    // The script stops before COMMIT too.
    let up = script::up_sql(&dangling);
    let message = s.conn.execute_batch(&up).expect_err("up.sql must stop").to_string();
    assert!(message.contains("foreign keys broken"), "{message}");
    assert!(!s.conn.is_autocommit(), "the script's transaction must be left open, uncommitted");
    s.conn.execute_batch("ROLLBACK").unwrap();
    assert_eq!(s.int("SELECT count(*) FROM post"), 1);
}

#[test]
fn a_migration_changed_after_it_was_applied_is_refused() {
    let b = "entity Note {\n  id bigint = identity primary\n  title text\n  body text?\n}\n";
    let mut s = scenario(NOTE, b, &[]);
    s.apply();
    let mut edited = s.stored.clone();
    edited.steps[0].up[0].push_str(" DEFAULT ('x')");
    let error = apply::apply(&mut s.conn, &[edited]).expect_err("changed");
    assert!(matches!(error, apply::ApplyError::Changed { .. }), "{error}");
}

#[test]
fn triggers_of_a_rebuilt_table_are_recreated_and_keep_working() {
    let a = "pattern touched {\n  behaviour touch(updated_at)\n}\n\nentity Note {\n  id bigint = identity primary\n  n int\n  \
             updated_at timestamptz = now()\n  apply touched\n}\n";
    let b = a.replace("n int", "n text");
    let mut s = scenario(a, &b, &["INSERT INTO note (n, updated_at) VALUES (1, '2000-01-01 00:00:00.000')"]);
    assert!(s.rebuilds());
    let summaries = s.summaries();
    assert!(summaries.iter().any(|x| x.starts_with("drop trigger")), "{summaries:?}");
    assert!(summaries.iter().any(|x| x.starts_with("create trigger")), "{summaries:?}");
    assert!(!s.hazard_keys().iter().any(|k| k.starts_with("H0010")), "a recreated trigger is not removed");
    s.apply();
    s.conn.execute_batch("UPDATE note SET n = 'two'").unwrap();
    assert_ne!(s.text("SELECT updated_at FROM note"), "2000-01-01 00:00:00.000", "the touch trigger did not run");
}

#[test]
fn a_self_referencing_table_is_rebuilt_with_its_rows_and_references() {
    let a = "entity Node {\n  id bigint = identity primary\n  label int\n}\n\nrelation Node.parent -> Node.children {\n  on delete cascade\n}\n";
    let b = a.replace("label int", "label text");
    let rows = ["INSERT INTO node (label, parent_id) VALUES (1, NULL), (2, 1), (3, 2)"];
    let mut s = scenario(a, &b, &rows);
    assert!(s.rebuilds());
    s.apply();
    assert_eq!(s.text("SELECT group_concat(coalesce(parent_id, '-'), ',' ORDER BY id) FROM node"), "-,1,2");
    s.conn.execute_batch("DELETE FROM node WHERE id = 1").unwrap();
    assert_eq!(s.int("SELECT count(*) FROM node"), 0, "the cascade runs through the rebuilt table");
}

/// A change only SQLite sees (its own body of a view) needs a migration like
/// any other: the lock does not silently follow the sources.
#[test]
fn a_change_only_sqlite_sees_needs_a_migration() {
    let dir = scratch("sqlite_only_change");
    std::fs::write(
        dir.join("schemac.toml"),
        "[project]\nname = \"shop\"\n\n[build]\ntargets = [\"postgres\", \"sqlite\"]\n",
    )
    .unwrap();
    let view = |sqlite_body: &str| {
        format!(
            "entity Product {{\n  id bigint = identity primary\n  name text\n}}\n\n\
             view product_names {{\n  sql postgres \"SELECT name FROM product\"\n  sql sqlite \"{sqlite_body}\"\n}}\n"
        )
    };
    std::fs::write(dir.join("shop.schema"), view("SELECT name FROM product")).unwrap();
    ok(&schemac(&["migrate", "new", "init"], &dir), "migrate new init");
    ok(&schemac(&["check"], &dir), "check right after the migration");

    std::fs::write(dir.join("shop.schema"), view("SELECT upper(name) AS name FROM product")).unwrap();
    let check = schemac(&["check"], &dir);
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert_eq!(check.status.code(), Some(1), "check passed a change without its migration:\n{stderr}");
    assert!(stderr.contains("migrate new"), "{stderr}");
    ok(&schemac(&["migrate", "new", "upper"], &dir), "migrate new upper");
    let up = std::fs::read_to_string(dir.join("migrations/0002_upper/sqlite/up.sql")).unwrap();
    assert!(up.contains("upper(name)"), "{up}");
    ok(&schemac(&["check"], &dir), "check after the second migration");
    let _ = std::fs::remove_dir_all(&dir);
}
