//! MySQL/MariaDB migrations, proven on the real server (MariaDB 10.11 at
//! `SCHEMAC_TEST_MYSQL`).
//!
//! A property test draws a random schema A and random edits that turn it
//! into B (the shared generator, `support/edits.rs`, with MySQL values).
//! Per case, in a database reused by each worker (DROP/CREATE DATABASE):
//! DDL(A) is applied and rows are inserted in every table; plan(A→B) is
//! applied with `migrate::mysql::apply` (journal and all). Then the catalog
//! read back equals the one DDL(B) gives an empty database (and the model
//! B lowers to); every row of A that B keeps is still there (row counts
//! and every surviving column's values, renames followed); applying again
//! does nothing; where the plan is reversible, down returns A's catalog and
//! rows; plan(A→A) and plan(B→B) are empty. Every ALTER in a plan states
//! its ALGORITHM and LOCK, so MariaDB accepting the plan proves the online
//! DDL rules of `migrate/mysql/online.rs` for the changes drawn.
//!
//! Scenario tests pin each rule (the algorithm and lock a change states,
//! and that MariaDB runs it), resuming after a run stopped between any two
//! steps or killed between a statement and its journal row, and the CLI
//! (`migrate new` writing mysql/, drops refused without consent,
//! `migrate apply --mysql`, `verify --mysql`, `plan --backend mysql`).
//!
//! `SCHEMAC_MYSQL_MIGRATE_CASES` sets the number of cases (default 200),
//! `SCHEMAC_MIGRATE_EDITS` the longest edit sequence (default 4).

#[path = "support/mysql.rs"]
mod mysql_db;
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use ::mysql::prelude::Queryable;
use ::mysql::Conn;
use mysql_db::TestDb;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use schemac::backends::mysql::compare::compare;
use schemac::backends::mysql::quote::ident;
use schemac::backends::mysql::Schema;
use schemac::driver;
use schemac::import::introspect;
use schemac::migrate::mysql::apply::{self, JOURNAL, STEP_JOURNAL};
use schemac::migrate::mysql::{self as migrate, script, Plan};
use schemac::pipeline;
use schemac::semantic::ir::Ir;
use support::edits::{self, Backend, Edit, SchemaSpec};

// ------------------------------------------------------------------ build

struct Built {
    ir: Ir,
    sql: String,
    model: Schema,
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
    let options = pipeline::Options { targets: vec!["mysql".into()], previous, ..pipeline::Options::default() };
    let output = pipeline::build(&mut compilation, &options);
    let e = errors(&output.diagnostics);
    if !e.is_empty() {
        return Err(format!("the backend reports errors: {e:#?}"));
    }
    let sql = output.artifacts.iter().find(|a| a.path == "mysql/schema.sql").map(|a| a.contents.clone());
    let model = migrate::model(&compilation.ir);
    Ok(Built { ir: compilation.ir, sql: sql.ok_or("no mysql/schema.sql")?, model })
}

/// Empties the test database (drop and create it again) and uses it.
fn reset(db: &mut TestDb) {
    let name = ident(&db.name);
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"),
        format!("USE {name}"),
    ] {
        db.conn.query_drop(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// The schema of the test database without the journal.
fn introspect(db: &mut TestDb) -> Result<Schema, String> {
    let name = db.name.clone();
    let mut schema = introspect::mysql::read_schema(&mut db.conn, &name).map_err(|e| format!("read_schema: {e}"))?;
    schema.tables.retain(|t| t.name != JOURNAL && t.name != STEP_JOURNAL);
    Ok(schema)
}

fn differences(expected: &Schema, actual: &Schema) -> Option<String> {
    let d = compare(expected, actual);
    (!d.is_empty()).then(|| d.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n"))
}

/// Row counts per table and each column's values (as text, in id order).
#[derive(Debug, PartialEq)]
struct Rows {
    counts: BTreeMap<String, i64>,
    columns: BTreeMap<(String, String), String>,
}

fn read_rows(conn: &mut Conn, model: &Schema) -> Result<Rows, String> {
    let mut rows = Rows { counts: BTreeMap::new(), columns: BTreeMap::new() };
    for table in &model.tables {
        let mut select = String::from("SELECT CAST(count(*) AS char)");
        for c in &table.columns {
            let c = ident(&c.name);
            select.push_str(&format!(
                ", coalesce(group_concat(coalesce(CAST({c} AS char), 'NULL') ORDER BY `id` SEPARATOR ' | '), '')"
            ));
        }
        select.push_str(&format!(" FROM {}", ident(&table.name)));
        let row: Option<::mysql::Row> = conn.query_first(&select).map_err(|e| format!("{select}: {e}"))?;
        let values: Vec<String> = row
            .ok_or("no row")?
            .unwrap()
            .into_iter()
            .map(|v| match v {
                ::mysql::Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
                other => other.as_sql(true),
            })
            .collect();
        rows.counts.insert(table.name.clone(), values[0].parse().unwrap_or(-1));
        for (i, c) in table.columns.iter().enumerate() {
            rows.columns.insert((table.name.clone(), c.name.clone()), values[i + 1].clone());
        }
    }
    Ok(rows)
}

// ------------------------------------------------------------------- case

/// What the plans of the property test did, so a run shows the generator
/// reaches every kind of step.
static STATS: [AtomicUsize; 8] = [const { AtomicUsize::new(0) }; 8];
const STAT_NAMES: [&str; 8] = [
    "ALGORITHM=INSTANT steps",
    "ALGORITHM=INPLACE steps",
    "ALGORITHM=COPY steps",
    "renames",
    "table drops",
    "reverts",
    "triggers created",
    "views created",
];

fn count(plan: &Plan) {
    for s in &plan.steps {
        let kind = if s.summary.starts_with("rename") {
            3
        } else if s.summary.starts_with("drop table") {
            4
        } else if s.summary.starts_with("create trigger") {
            6
        } else if s.summary.starts_with("create view") {
            7
        } else if s.lock.contains("INSTANT") {
            0
        } else if s.lock.contains("INPLACE") {
            1
        } else if s.lock.contains("COPY") {
            2
        } else {
            continue;
        };
        STATS[kind].fetch_add(1, Ordering::Relaxed);
    }
}

struct Case {
    a: String,
    b: String,
    up: String,
}

impl Case {
    fn fail(&self, what: &str, details: &str) -> TestCaseError {
        TestCaseError::fail(format!(
            "{what}\n{details}\n\n--- A ---\n{}\n--- B ---\n{}\n--- plan (mysql/up.sql) ---\n{}",
            self.a, self.b, self.up
        ))
    }
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

/// Every ALTER states its algorithm and lock.
fn explicit_online_ddl(plan: &Plan) -> Result<(), String> {
    for s in &plan.steps {
        for statement in s.up.iter().chain(s.down.iter().flatten()) {
            if statement.starts_with("ALTER TABLE")
                && !(statement.contains(", ALGORITHM=") && statement.contains(", LOCK="))
            {
                return Err(format!("step {:?}: {statement}", s.summary));
            }
        }
    }
    Ok(())
}

fn run_case(db: &mut TestDb, number: usize, spec: &SchemaSpec, edit_list: &[Edit]) -> Result<(), TestCaseError> {
    let model_a = edits::model_a(spec, Backend::Mysql);
    let mut model_b = model_a.clone();
    for e in edit_list {
        edits::edit_model(&mut model_b, e);
    }
    let mut case = Case { a: model_a.source(), b: model_b.source(), up: String::new() };
    let a = build(&case.a, None).map_err(|e| case.fail("A does not build", &e))?;
    let b = build(&case.b, Some(Arc::new(a.ir.clone()))).map_err(|e| case.fail("B does not build", &e))?;
    for (name, ir) in [("A", &a.ir), ("B", &b.ir)] {
        let same = migrate::plan(ir, ir);
        if !same.is_empty() {
            let steps: Vec<&str> = same.steps.iter().map(|s| s.summary.as_str()).collect();
            return Err(case.fail(&format!("the self-diff of {name} is not empty"), &format!("{steps:#?}")));
        }
    }
    let plan = migrate::plan(&a.ir, &b.ir);
    count(&plan);
    let stored = script::stored("0002_edit", &plan);
    case.up = script::up_sql(&stored);
    explicit_online_ddl(&plan).map_err(|e| case.fail("an ALTER does not state its algorithm and lock", &e))?;
    let kept = edits::survivors(&model_a, &model_b);

    // DDL(B) on an empty database: the catalog the plan must reach.
    reset(db);
    db.apply(&b.sql).map_err(|e| case.fail("DDL(B) fails", &e))?;
    let fresh_b = introspect(db).map_err(|e| case.fail("introspection", &e))?;
    if let Some(d) = differences(&b.model, &fresh_b) {
        return Err(case.fail("DDL(B) does not give B's model", &d));
    }

    // DDL(A), A's rows, then the plan.
    reset(db);
    db.apply(&a.sql).map_err(|e| case.fail("DDL(A) fails", &e))?;
    let rows_sql = model_a.insert_rows(&|t| ident(t), &|c| ident(c));
    for insert in &rows_sql {
        db.conn
            .query_drop(insert)
            .map_err(|e| case.fail("inserting the rows of A fails", &format!("{insert}: {e}")))?;
    }
    let rows_a = read_rows(&mut db.conn, &a.model).map_err(|e| case.fail("reading rows", &e))?;
    let report = apply::apply(&mut db.conn, std::slice::from_ref(&stored))
        .map_err(|e| case.fail("applying the plan fails", &e.to_string()))?;
    if report.applied != [("0002_edit".to_string(), stored.steps.len())] {
        return Err(case.fail("the plan was not recorded as applied", &format!("{report:?}")));
    }
    let after = introspect(db).map_err(|e| case.fail("introspection", &e))?;
    if let Some(d) = differences(&fresh_b, &after) {
        return Err(case.fail("after the plan, the catalog is not what DDL(B) gives", &d));
    }
    let rows_b = read_rows(&mut db.conn, &b.model).map_err(|e| case.fail("reading rows", &e))?;
    check_rows(&case, &kept, &rows_a, &rows_b, "apply")?;
    let again = apply::apply(&mut db.conn, std::slice::from_ref(&stored))
        .map_err(|e| case.fail("applying again fails", &e.to_string()))?;
    if again.already != 1 || !again.applied.is_empty() {
        return Err(case.fail("applying again was not a no-op", &format!("{again:?}")));
    }
    // Down is proven on every third case: MariaDB's DDL is slow, and the
    // suite must stay within its time.
    if stored.reversible() && number.is_multiple_of(3) {
        STATS[5].fetch_add(1, Ordering::Relaxed);
        apply::revert(&mut db.conn, &stored).map_err(|e| case.fail("down fails", &e.to_string()))?;
        let back = introspect(db).map_err(|e| case.fail("introspection", &e))?;
        if let Some(d) = differences(&a.model, &back) {
            return Err(case.fail("after down, the catalog is not A's", &d));
        }
        let rows = read_rows(&mut db.conn, &a.model).map_err(|e| case.fail("reading rows", &e))?;
        if rows != rows_a {
            return Err(case.fail("after down, the rows are not A's", &format!("{rows_a:#?}\n→\n{rows:#?}")));
        }
    }
    Ok(())
}

fn worker(cases: u32) -> (usize, Result<(), String>) {
    let runs = std::cell::Cell::new(0usize);
    let db = std::cell::RefCell::new(TestDb::new("mig"));
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let longest = std::env::var("SCHEMAC_MIGRATE_EDITS").ok().and_then(|n| n.parse().ok()).unwrap_or(4usize).max(1);
    let strategy =
        (edits::schema_spec(Backend::Mysql), prop::collection::vec(edits::edit(Backend::Mysql), 1..=longest));
    let result = runner.run(&strategy, |(spec, edit_list)| {
        runs.set(runs.get() + 1);
        run_case(&mut db.borrow_mut(), runs.get(), &spec, &edit_list)
    });
    (runs.get(), result.map_err(|e| e.to_string()))
}

#[test]
fn random_plans_migrate_the_catalog_and_keep_the_rows() {
    let cases: u32 = std::env::var("SCHEMAC_MYSQL_MIGRATE_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(200);
    assert!(cases > 0, "SCHEMAC_MYSQL_MIGRATE_CASES must be at least 1");
    // MariaDB spends most of a case waiting for its disk: more workers than cores help.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(2, 4) as u32 * 2;
    let started = Instant::now();
    let results: Vec<(usize, Result<(), String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| scope.spawn(move || worker(cases / workers + u32::from(w < cases % workers))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    let runs: usize = results.iter().map(|(n, _)| n).sum();
    eprintln!(
        "mysql_migrations: {cases} cases ({runs} runs with shrinking) on {workers} worker(s) in {:.1?}",
        started.elapsed()
    );
    let stats: Vec<String> =
        STAT_NAMES.iter().zip(&STATS).map(|(name, n)| format!("{} {name}", n.load(Ordering::Relaxed))).collect();
    eprintln!("mysql_migrations: the plans had {}", stats.join(", "));
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

/// A and B built, the plan between them, and a database with DDL(A) and
/// `rows` (SQL) in it.
struct Scenario {
    b: Built,
    plan: Plan,
    stored: script::StoredMigration,
    db: TestDb,
}

fn scenario(label: &str, a: &str, b: &str, rows: &[&str]) -> Scenario {
    let a = build(a, None).unwrap_or_else(|e| panic!("A: {e}"));
    let b = build(b, Some(Arc::new(a.ir.clone()))).unwrap_or_else(|e| panic!("B: {e}"));
    let plan = migrate::plan(&a.ir, &b.ir);
    explicit_online_ddl(&plan).unwrap_or_else(|e| panic!("{e}"));
    let stored = script::stored("0002_change", &plan);
    let mut db = TestDb::new(label);
    db.apply(&a.sql).unwrap_or_else(|e| panic!("DDL(A): {e}"));
    for row in rows {
        db.conn.query_drop(row).unwrap_or_else(|e| panic!("{row}: {e}"));
    }
    assert!(migrate::plan(&a.ir, &a.ir).is_empty(), "self-diff of A");
    Scenario { b, plan, stored, db }
}

impl Scenario {
    /// Applies the plan; the catalog must then be B's.
    fn apply(&mut self) {
        let up = script::up_sql(&self.stored);
        apply::apply(&mut self.db.conn, std::slice::from_ref(&self.stored)).unwrap_or_else(|e| panic!("{e}\n{up}"));
        let actual = introspect(&mut self.db).expect("introspection");
        if let Some(d) = differences(&self.b.model, &actual) {
            panic!("the catalog is not B's:\n{d}\n{up}");
        }
    }

    /// The `lock` (algorithm and lock) of the one step whose summary starts with `summary`.
    fn online(&self, summary: &str) -> String {
        let found: Vec<&schemac::migrate::Step> =
            self.plan.steps.iter().filter(|s| s.summary.starts_with(summary)).collect();
        assert_eq!(found.len(), 1, "steps starting with {summary:?}: {:#?}", self.summaries());
        let statement = found[0].up.last().expect("a statement");
        assert!(statement.ends_with(&found[0].lock), "{statement} does not state {}", found[0].lock);
        found[0].lock.clone()
    }

    fn summaries(&self) -> Vec<String> {
        self.plan.steps.iter().map(|s| s.summary.clone()).collect()
    }

    fn hazard_keys(&self) -> Vec<String> {
        self.plan.hazards().map(|h| h.key()).collect()
    }

    fn text(&mut self, sql: &str) -> String {
        let value: Option<String> = self.db.conn.query_first(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        value.unwrap_or_else(|| panic!("{sql}: no row"))
    }
}

const INSTANT: &str = "ALGORITHM=INSTANT, LOCK=NONE";
const INPLACE: &str = "ALGORITHM=INPLACE, LOCK=NONE";
const COPY: &str = "ALGORITHM=COPY, LOCK=SHARED";

const NOTE: &str = "entity Note {\n  id bigint = identity primary\n  title varchar(10)\n  rank int\n}\n";
const NOTE_ROWS: &[&str] = &["INSERT INTO note (title, `rank`) VALUES ('a', 1), ('b', 2)"];

fn note_with(extra: &str) -> String {
    format!("entity Note {{\n  id bigint = identity primary\n  title varchar(10)\n  rank int\n{extra}}}\n")
}

#[test]
fn a_nullable_column_is_added_instantly() {
    let mut s = scenario("addcol", NOTE, &note_with("  body text?\n"), NOTE_ROWS);
    assert_eq!(s.online("add column note.body"), INSTANT);
    s.apply();
    assert_eq!(s.text("SELECT coalesce(max(body), 'none') FROM note"), "none");
}

#[test]
fn a_required_column_with_a_constant_default_is_added_instantly_and_fills_the_rows() {
    let mut s = scenario("adddefault", NOTE, &note_with("  stars int = 5\n"), NOTE_ROWS);
    assert_eq!(s.online("add column note.stars"), INSTANT);
    s.apply();
    assert_eq!(s.text("SELECT group_concat(stars ORDER BY id) FROM note"), "5,5");
}

#[test]
fn a_required_column_with_a_clock_default_copies_the_table() {
    let mut s = scenario("addclock", NOTE, &note_with("  seen timestamptz = now()\n"), NOTE_ROWS);
    assert_eq!(s.online("add column note.seen"), COPY);
    assert!(s.hazard_keys().contains(&"H0003:note.seen".to_string()), "{:?}", s.hazard_keys());
    s.apply();
    assert_eq!(s.text("SELECT CAST(count(*) AS char) FROM note WHERE seen IS NOT NULL"), "2");
}

#[test]
fn widening_a_varchar_is_instant_within_its_length_byte_class_and_copies_across_it() {
    let b = NOTE.replace("varchar(10)", "varchar(60)");
    let mut s = scenario("widen", NOTE, &b, NOTE_ROWS);
    assert_eq!(s.online("modify column note.title"), INSTANT);
    s.apply();
    let c = NOTE.replace("varchar(10)", "varchar(200)");
    let mut s = scenario("widen2", NOTE, &c, NOTE_ROWS);
    assert_eq!(s.online("modify column note.title"), COPY);
    s.apply();
    assert_eq!(s.text("SELECT group_concat(title ORDER BY id) FROM note"), "a,b");
}

#[test]
fn int_to_bigint_copies_the_table_and_keeps_the_values() {
    let b = NOTE.replace("rank int", "rank bigint");
    let mut s = scenario("bigint", NOTE, &b, NOTE_ROWS);
    assert_eq!(s.online("modify column note.rank"), COPY);
    assert!(s.hazard_keys().contains(&"H0003:note.rank".to_string()), "{:?}", s.hazard_keys());
    s.apply();
    assert_eq!(s.text("SELECT group_concat(`rank` ORDER BY id) FROM note"), "1,2");
    assert_eq!(
        s.text("SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = database() AND COLUMN_NAME = 'rank'"),
        "bigint(20)"
    );
}

#[test]
fn making_a_column_required_rebuilds_in_place() {
    let a = "entity Note {\n  id bigint = identity primary\n  title text?\n}\n";
    let b = "entity Note {\n  id bigint = identity primary\n  title text\n}\n";
    let mut s = scenario("notnull", a, b, &["INSERT INTO note (title) VALUES ('a')"]);
    assert_eq!(s.online("modify column note.title"), INPLACE);
    assert!(s.hazard_keys().contains(&"H0004:note.title".to_string()), "{:?}", s.hazard_keys());
    s.apply();
}

#[test]
fn an_index_and_a_unique_are_added_in_place_without_locks() {
    let b = note_with("  index (rank)\n  unique (title)\n");
    let mut s = scenario("index", NOTE, &b, NOTE_ROWS);
    let index = s.summaries().into_iter().find(|x| x.starts_with("create index")).expect("an index step");
    assert_eq!(s.online(&index), INPLACE);
    let unique = s.summaries().into_iter().find(|x| x.starts_with("create unique index")).expect("a unique step");
    assert_eq!(s.online(&unique), INPLACE);
    assert!(s.hazard_keys().iter().any(|k| k.starts_with("H0004:")), "{:?}", s.hazard_keys());
    s.apply();
}

#[test]
fn a_unique_that_rows_break_is_refused_by_the_server_and_resumes_once_fixed() {
    let b = note_with("  unique (rank)\n");
    let mut s = scenario("uniquebad", NOTE, &b, &["INSERT INTO note (title, `rank`) VALUES ('a', 1), ('b', 1)"]);
    let error = apply::apply(&mut s.db.conn, std::slice::from_ref(&s.stored)).expect_err("duplicates must stop it");
    assert!(error.to_string().contains("Duplicate entry"), "{error}");
    let failed = journal(&mut s.db).len();
    let finished = journal(&mut s.db).iter().filter(|(_, f)| f.is_some()).count();
    assert_eq!(failed, finished, "the failed step stays recorded as begun");
    s.db.conn.query_drop("UPDATE note SET `rank` = 2 WHERE title = 'b'").unwrap();
    s.apply();
}

const AUTHORS: &str = "entity Author {\n  id bigint = identity primary\n  rank int\n}\n\nentity Post {\n  id bigint = identity primary\n  title text\n}\n";

#[test]
fn a_foreign_key_is_added_in_place_after_its_orphan_query() {
    let b = format!("{AUTHORS}\nrelation Post.author -> Author.posts {{\n  on delete cascade\n}}\n");
    let mut s = scenario(
        "fk",
        AUTHORS,
        &b,
        &["INSERT INTO author (`rank`) VALUES (1), (2)", "INSERT INTO post (title) VALUES ('p')"],
    );
    let step = s.summaries().into_iter().find(|x| x.starts_with("add foreign key")).expect("a foreign key step");
    assert_eq!(s.online(&step), INPLACE);
    s.apply();
    s.db.conn.query_drop("SET foreign_key_checks = 1").unwrap();
    s.db.conn.query_drop("UPDATE post SET author_id = 1").unwrap();
    assert!(s.db.conn.query_drop("UPDATE post SET author_id = 99").is_err(), "the foreign key does not hold");
    s.db.conn.query_drop("DELETE FROM author WHERE id = 1").unwrap();
    assert_eq!(s.text("SELECT CAST(count(*) AS char) FROM post"), "0", "on delete cascade");
}

#[test]
fn a_foreign_key_that_rows_break_stops_before_the_alter() {
    let a = "entity Author {\n  id bigint = identity primary\n}\n\nentity Post {\n  id bigint = identity primary\n  author_id bigint?\n}\n";
    let b = "entity Author {\n  id bigint = identity primary\n}\n\nentity Post {\n  id bigint = identity primary\n}\n\nrelation Post.author -> Author.posts\n";
    let s = scenario("fkbad", a, b, &["INSERT INTO author () VALUES ()", "INSERT INTO post (author_id) VALUES (42)"]);
    let mut s = s;
    let error = apply::apply(&mut s.db.conn, std::slice::from_ref(&s.stored)).expect_err("the orphan must stop it");
    assert!(matches!(error, apply::ApplyError::Guard { .. }), "{error}");
    assert!(error.to_string().contains("42"), "{error}");
}

#[test]
fn an_enum_value_appended_is_instant_and_one_inserted_copies() {
    let a = "enum Color { red, green }\n\nentity Car {\n  id bigint = identity primary\n  color Color\n}\n";
    let rows = &["INSERT INTO car (color) VALUES ('red'), ('green')"][..];
    let mut s = scenario("enumadd", a, &a.replace("red, green", "red, green, blue"), rows);
    assert_eq!(s.online("modify column car.color"), INSTANT);
    s.apply();
    let mut s = scenario("enumins", a, &a.replace("red, green", "blue, red, green"), rows);
    assert_eq!(s.online("modify column car.color"), COPY);
    s.apply();
    assert_eq!(s.text("SELECT group_concat(color ORDER BY id) FROM car"), "red,green");
}

#[test]
fn declared_renames_run_instantly_in_place() {
    let a = "entity Note {\n  id bigint = identity primary\n  title text\n}\n";
    let b =
        "entity Memo {\n  id bigint = identity primary\n  heading text renamed_from title\n  renamed_from Note\n}\n";
    let mut s = scenario("rename", a, b, &["INSERT INTO note (title) VALUES ('kept')"]);
    assert_eq!(s.online("rename table note to memo"), "ALGORITHM=INSTANT, LOCK=EXCLUSIVE");
    assert_eq!(s.online("rename column memo.title to heading"), INSTANT);
    assert!(s.hazard_keys().contains(&"H0005:memo".to_string()), "{:?}", s.hazard_keys());
    s.apply();
    assert_eq!(s.text("SELECT heading FROM memo"), "kept");
}

#[test]
fn dropping_a_column_is_an_instant_step_with_a_hazard() {
    let b = "entity Note {\n  id bigint = identity primary\n  title varchar(10)\n}\n";
    let mut s = scenario("dropcol", NOTE, b, NOTE_ROWS);
    assert_eq!(s.online("drop column note.rank"), INSTANT);
    assert_eq!(s.hazard_keys(), ["H0002:note.rank"]);
    assert!(!s.plan.reversible());
    s.apply();
}

// ----------------------------------------------------------------- resume

const RESUME_A: &str =
    "enum Color { red, green }\n\nentity Note {\n  id bigint = identity primary\n  title varchar(10)\n  rank int\n}\n";
const RESUME_B: &str = "enum Color { red, green, blue }\n\nentity Note {\n  id bigint = identity primary\n  title varchar(40)\n  rank bigint\n  color Color = red\n  body text?\n  index (rank)\n  unique (title)\n}\n\nentity Tag {\n  id bigint = identity primary\n  name text\n}\n\nrelation Tag.note -> Note.tags\n";

fn resume_scenario(label: &str) -> Scenario {
    scenario(label, RESUME_A, RESUME_B, NOTE_ROWS)
}

fn journal(db: &mut TestDb) -> Vec<(u32, Option<String>)> {
    db.conn
        .query(format!("SELECT step, CAST(finished_at AS char) FROM `{STEP_JOURNAL}` ORDER BY step"))
        .expect("read the journal")
}

#[test]
fn an_apply_stopped_after_any_step_resumes_to_the_same_end_state() {
    let mut clean = resume_scenario("resume0");
    clean.apply();
    let end = introspect(&mut clean.db).unwrap();
    let end_rows = read_rows(&mut clean.db.conn, &clean.b.model).unwrap();
    let steps = clean.stored.steps.len();
    assert!(steps >= 5, "{:#?}", clean.summaries());
    for k in 1..steps {
        let mut s = resume_scenario("resume");
        let first = apply::apply_steps(&mut s.db.conn, std::slice::from_ref(&s.stored), k).unwrap();
        assert_eq!(first.applied, [("0002_change".to_string(), k)]);
        assert!(apply::recorded(&mut s.db.conn).unwrap().is_empty(), "stopped at {k}: recorded as finished");
        let finished = journal(&mut s.db).iter().filter(|(_, f)| f.is_some()).count();
        assert_eq!(finished, k);
        let rest = apply::apply(&mut s.db.conn, std::slice::from_ref(&s.stored)).unwrap();
        assert_eq!(rest.applied, [("0002_change".to_string(), steps - k)], "after stopping at {k}");
        let actual = introspect(&mut s.db).unwrap();
        if let Some(d) = differences(&end, &actual) {
            panic!("resumed after step {k}, the catalog differs:\n{d}");
        }
        assert_eq!(read_rows(&mut s.db.conn, &s.b.model).unwrap(), end_rows, "rows after resuming at {k}");
        assert_eq!(apply::recorded(&mut s.db.conn).unwrap().len(), 1);
    }
}

#[test]
fn a_step_killed_before_its_journal_row_was_finished_counts_as_done_on_resume() {
    let steps = resume_scenario("killed0").stored.steps.len();
    for k in 0..steps {
        let mut s = resume_scenario("killed");
        apply::apply_steps(&mut s.db.conn, std::slice::from_ref(&s.stored), k).unwrap();
        // Step k+1 ran, then the process died before recording it as finished.
        let step = &s.stored.steps[k];
        s.db.conn
            .exec_drop(
                format!("INSERT INTO `{STEP_JOURNAL}` (migration, step, checksum, summary) VALUES (?, ?, ?, ?)"),
                (&s.stored.name, k + 1, s.stored.checksum(), &step.summary),
            )
            .unwrap();
        for statement in step.up.iter().filter(|st| !script::is_guard(st)) {
            s.db.conn.query_drop(statement).unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        apply::apply(&mut s.db.conn, std::slice::from_ref(&s.stored))
            .unwrap_or_else(|e| panic!("resuming after step {} was killed: {e}", k + 1));
        let actual = introspect(&mut s.db).unwrap();
        if let Some(d) = differences(&s.b.model, &actual) {
            panic!("killed in step {}, the catalog differs:\n{d}", k + 1);
        }
    }
}

#[test]
fn up_sql_and_down_sql_run_in_the_client_and_state_every_algorithm() {
    let mut s = resume_scenario("script");
    let up = script::up_sql(&s.stored);
    for statement in schemac::backends::mysql::statements::split(&up) {
        if statement.starts_with("ALTER TABLE") {
            assert!(statement.contains(", ALGORITHM=") && statement.contains(", LOCK="), "{statement}");
        }
    }
    s.db.apply(&up).unwrap_or_else(|e| panic!("up.sql: {e}\n{up}"));
    let after = introspect(&mut s.db).unwrap();
    if let Some(d) = differences(&s.b.model, &after) {
        panic!("after up.sql the catalog is not B's:\n{d}\n{up}");
    }
    assert!(s.stored.reversible(), "{:#?}", s.summaries());
    let down = script::down_sql(&s.stored);
    s.db.apply(&down).unwrap_or_else(|e| panic!("down.sql: {e}\n{down}"));
    let a = build(RESUME_A, None).unwrap();
    let back = introspect(&mut s.db).unwrap();
    if let Some(d) = differences(&a.model, &back) {
        panic!("after down.sql the catalog is not A's:\n{d}\n{down}");
    }
    assert_eq!(s.text("SELECT group_concat(title ORDER BY id) FROM note"), "a,b");
}

#[test]
fn the_down_script_of_an_irreversible_plan_refuses_to_run() {
    let b = "entity Note {\n  id bigint = identity primary\n  title varchar(10)\n}\n";
    let mut s = scenario("irrev", NOTE, b, NOTE_ROWS);
    let down = script::down_sql(&s.stored);
    assert!(down.contains("irreversible"), "{down}");
    let error = s.db.apply(&down).expect_err("the down script must refuse");
    assert!(error.contains("cannot be undone"), "{error}");
}

#[test]
fn a_migration_changed_after_its_first_steps_is_refused() {
    let mut s = resume_scenario("changed");
    apply::apply_steps(&mut s.db.conn, std::slice::from_ref(&s.stored), 2).unwrap();
    let mut changed = s.stored.clone();
    changed.steps[3].up = vec!["SELECT 1 FROM dual WHERE 0".into()];
    let error = apply::apply(&mut s.db.conn, std::slice::from_ref(&changed)).expect_err("a changed migration");
    assert!(matches!(error, apply::ApplyError::Changed { .. }), "{error}");
}

// -------------------------------------------------------------------- cli

fn schemac(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemac")).args(args).current_dir(dir).output().expect("run schemac")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("schemac_mysql_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn ok(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{what} failed ({:?}):\n{stderr}", out.status.code());
    stderr
}

/// The URL of the test database `db` (the server of `SCHEMAC_TEST_MYSQL`).
fn url_of(db: &TestDb) -> String {
    let base = mysql_db::connect_url();
    let server = base.rsplit_once('/').map_or(base.as_str(), |(server, _)| server);
    format!("{server}/{}", db.name)
}

#[test]
fn cli_round_trip_new_apply_verify_and_drop_consent() {
    let dir = scratch("cli");
    std::fs::write(
        dir.join("schemac.toml"),
        "[project]\nname = \"shop\"\n\n[build]\ntargets = [\"postgres\", \"mysql\"]\n",
    )
    .unwrap();
    let v1 = "entity Product {\n  id bigint = identity primary\n  name text\n  legacy text?\n}\n";
    std::fs::write(dir.join("shop.schema"), v1).unwrap();
    ok(&schemac(&["migrate", "new", "init"], &dir), "migrate new init");
    for file in ["up.sql", "down.sql", "plan.json"] {
        assert!(dir.join("migrations/0001_init/mysql").join(file).is_file(), "no mysql/{file}");
    }
    let mut db = TestDb::new("cli");
    let url = url_of(&db);
    ok(&schemac(&["migrate", "apply", "--mysql", &url], &dir), "migrate apply");
    ok(&schemac(&["verify", "--mysql", &url], &dir), "verify");
    db.conn.query_drop("INSERT INTO product (name, legacy) VALUES ('tea', 'x')").unwrap();

    let v2 = "entity Product {\n  id bigint = identity primary\n  name text\n  price int?\n}\n";
    std::fs::write(dir.join("shop.schema"), v2).unwrap();
    let plan = schemac(&["plan", "--backend", "mysql"], &dir);
    let shown = String::from_utf8_lossy(&plan.stdout);
    assert!(shown.contains("drop column product.legacy") && shown.contains(INSTANT), "{shown}");
    let sql = String::from_utf8_lossy(&schemac(&["plan", "--backend", "mysql", "--sql"], &dir).stdout).to_string();
    assert!(
        sql.contains("ALTER TABLE `product` ADD COLUMN `price` int AFTER `name`, ALGORITHM=INSTANT, LOCK=NONE;"),
        "{sql}"
    );
    let refused = schemac(&["migrate", "new", "price"], &dir);
    assert_eq!(refused.status.code(), Some(1), "a drop without consent must be refused");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("--allow H0002:product.legacy"), "{stderr}");
    assert!(!dir.join("migrations/0002_price").exists(), "a refused migration wrote files");
    let allow = ["--allow", "H0002:product.legacy", "--allow", "H0009:product.legacy"];
    ok(&schemac(&[&["migrate", "new", "price"][..], &allow[..]].concat(), &dir), "migrate new price");
    let up = std::fs::read_to_string(dir.join("migrations/0002_price/mysql/up.sql")).unwrap();
    assert!(up.contains("ALTER TABLE `product` DROP COLUMN `legacy`, ALGORITHM=INSTANT, LOCK=NONE;"), "{up}");
    let applied = ok(&schemac(&["migrate", "apply", "--mysql", &url], &dir), "migrate apply");
    assert!(applied.contains("1 migration(s) applied now, 1 already"), "{applied}");
    let again = ok(&schemac(&["migrate", "apply", "--mysql", &url], &dir), "migrate apply again");
    assert!(again.contains("0 migration(s) applied now, 2 already"), "{again}");
    ok(&schemac(&["verify", "--mysql", &url], &dir), "verify after the second migration");
    let name: Option<String> = db.conn.query_first("SELECT name FROM product").unwrap();
    assert_eq!(name.as_deref(), Some("tea"));

    // Drift is reported, with exit code 1.
    db.conn.query_drop("ALTER TABLE product ADD COLUMN extra text").unwrap();
    let drift = schemac(&["verify", "--mysql", &url], &dir);
    assert_eq!(drift.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&drift.stderr);
    assert!(stderr.contains("difference (mysql): column product.extra"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn plan_shows_each_targeted_backend_and_refuses_one_that_is_not() {
    let dir = scratch("plan");
    std::fs::write(
        dir.join("schemac.toml"),
        "[project]\nname = \"s\"\n\n[build]\ntargets = [\"postgres\", \"mysql\"]\n",
    )
    .unwrap();
    std::fs::write(dir.join("s.schema"), NOTE).unwrap();
    let first = schemac(&["plan", "--backend", "mysql"], &dir);
    let shown = String::from_utf8_lossy(&first.stdout);
    assert!(shown.contains("create table note"), "{shown}");
    ok(&schemac(&["migrate", "new", "init"], &dir), "migrate new init");
    let plan = schemac(&["plan", "--backend", "mysql"], &dir);
    assert!(String::from_utf8_lossy(&plan.stderr).contains("nothing to migrate on mysql"), "{plan:?}");
    let sqlite = schemac(&["plan", "--backend", "sqlite"], &dir);
    assert_eq!(sqlite.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&sqlite.stderr).contains("sqlite is not a target"), "{sqlite:?}");
    std::fs::write(dir.join("s.schema"), note_with("  body text?\n")).unwrap();
    let stale = schemac(&["check"], &dir);
    let stderr = String::from_utf8_lossy(&stale.stderr);
    assert!(stderr.contains("schemac migrate new") || stderr.contains("schema.lock"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
