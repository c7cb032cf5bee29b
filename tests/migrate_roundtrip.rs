//! The migration planner, proven on the real server by a property test.
//!
//! Each case draws a random schema A (entities with typed fields, defaults,
//! uniques, checks, indexes, doc comments, an enum, many-to-one relations)
//! and a random sequence of edits that turns it into B (fields and entities
//! added, dropped and renamed with `renamed_from`, safe type widenings,
//! nullability, defaults, indexes, uniques, checks, relations, their
//! `required` and `on delete`, enum values, doc comments). Then, in a fresh
//! PostgreSQL schema:
//!
//! 1. DDL(A) is applied and rows are inserted into every table;
//! 2. plan(A→B) is applied with `migrate::apply` (journal and all);
//! 3. the introspected catalog equals the catalog B lowers to — which
//!    `postgres_backend.rs` proves is what DDL(B) gives an empty database —
//!    and so are what the catalog model does not show: identity sequences
//!    named as `CREATE TABLE` names them, every constraint validated, every
//!    index valid;
//! 4. every row is still there: per surviving table the row count, and per
//!    surviving column (renames followed) the values of every row, as text;
//! 5. a plan with no step that claims a rewrite left every table's storage
//!    (`relfilenode`) as it was;
//! 6. where the plan says it is reversible, `migrate::apply::revert` returns
//!    the catalog to A's and the rows to what they were.
//!
//! A second test plans a fifth as many cases with `[migrations]
//! column_changes = "with_shadow"` and checks the same, but for the order of
//! columns (a shadow column is added, so it ends up last).
//!
//! Also: the self-diffs plan(A→A) and plan(B→B) are empty, and no generated
//! edit needs a manual migration (H0008). A failure shrinks to a minimal
//! schema and edit list and shows A, B, the up script and the differences.
//!
//! `SCHEMAC_MIGRATE_CASES` sets the number of cases (default 500, shared out
//! among one worker per core, each with its own database);
//! `SCHEMAC_MIGRATE_EDITS` the longest edit sequence (default 4).

mod support;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;
use std::time::Instant;

use postgres::Client;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use schemac::backends::postgres::compare::compare;
use schemac::backends::postgres::quote::{ident, qualified};
use schemac::backends::postgres::{Catalog, ColumnChanges};
use schemac::diagnostics::codes;
use schemac::driver;
use schemac::migrate::apply::JOURNAL;
use schemac::migrate::plan::Timeouts;
use schemac::migrate::{self, script};
use schemac::pipeline;
use schemac::semantic::ir::Ir;
use support::edits::{self, Backend, Edit, SchemaSpec};
use support::pg::{describe, TestDb};

// ------------------------------------------------------------------- case

struct Built {
    ir: Ir,
    sql: String,
    catalog: Catalog,
}

fn build(source: &str, schema: &str, previous: Option<Arc<Ir>>) -> Result<Built, String> {
    let mut compilation = driver::compile_str("m.schema", source);
    let errors = |d: &[schemac::diagnostics::Diagnostic]| -> Vec<String> {
        d.iter().filter(|d| d.is_error()).map(|d| format!("{}: {}", d.code, d.message)).collect()
    };
    let e = errors(&compilation.diagnostics);
    if !e.is_empty() {
        return Err(format!("the source does not compile: {e:#?}"));
    }
    let mut options = pipeline::Options::default();
    options.postgres.schema = schema.to_string();
    options.previous = previous;
    let output = pipeline::build(&mut compilation, &options);
    let e = errors(&output.diagnostics);
    if !e.is_empty() {
        return Err(format!("the backend reports errors: {e:#?}"));
    }
    let sql = output.artifacts.iter().find(|a| a.path == "postgres/schema.sql").map(|a| a.contents.clone());
    Ok(Built {
        ir: compilation.ir,
        sql: sql.ok_or("no postgres/schema.sql")?,
        catalog: output.postgres.ok_or("no postgres catalog")?,
    })
}

/// Row counts per table and each column's values (as text, in id order).
#[derive(Debug, PartialEq)]
struct Rows {
    counts: BTreeMap<String, i64>,
    columns: BTreeMap<(String, String), String>,
}

fn read_rows(client: &mut Client, schema: &str, catalog: &Catalog) -> Result<Rows, String> {
    let mut rows = Rows { counts: BTreeMap::new(), columns: BTreeMap::new() };
    for table in &catalog.tables {
        let mut select = String::from("SELECT count(*)");
        for c in &table.columns {
            let c = ident(&c.name);
            let _ = write!(select, ", coalesce(string_agg(coalesce({c}::text, 'NULL'), ' | ' ORDER BY id), '')");
        }
        let _ = write!(select, " FROM {}", qualified(schema, &table.name));
        let row = client.query_one(&select, &[]).map_err(|e| describe(&e, &select))?;
        rows.counts.insert(table.name.clone(), row.get(0));
        for (i, c) in table.columns.iter().enumerate() {
            rows.columns.insert((table.name.clone(), c.name.clone()), row.get(i + 1));
        }
    }
    Ok(rows)
}

/// How the schema differs from what DDL gives an empty database in ways the
/// catalog model does not show: identity sequences not named as `CREATE
/// TABLE` names them (`<table>_<column>_seq`), constraints left NOT VALID,
/// indexes left invalid by a concurrent build.
fn hidden_differences(client: &mut Client, schema: &str, catalog: &Catalog) -> Result<Vec<String>, String> {
    let sql = "SELECT 'constraint ' || con.conname || ' is NOT VALID' FROM pg_constraint con \
               JOIN pg_namespace n ON n.oid = con.connamespace WHERE n.nspname = $1 AND NOT con.convalidated \
               UNION ALL \
               SELECT 'index ' || c.relname || ' is invalid' FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE n.nspname = $1 AND NOT (x.indisvalid AND x.indisready)";
    let rows = client.query(sql, &[&schema]).map_err(|e| describe(&e, sql))?;
    let mut out: Vec<String> = rows.iter().map(|r| format!("  {}", r.get::<_, String>(0))).collect();
    for table in &catalog.tables {
        for column in table.columns.iter().filter(|c| c.identity) {
            let sql = "SELECT pg_get_serial_sequence($1, $2)";
            let row = client
                .query_one(sql, &[&qualified(schema, &table.name), &column.name])
                .map_err(|e| describe(&e, sql))?;
            let actual: Option<String> = row.get(0);
            let expected = qualified(schema, &format!("{}_{}_seq", table.name, column.name));
            if actual.as_deref() != Some(expected.as_str()) {
                out.push(format!(
                    "  sequence of {}.{}: expected {expected}, found {actual:?}",
                    table.name, column.name
                ));
            }
        }
    }
    Ok(out)
}

/// Each table's storage (`relfilenode`): a rewrite gives a table a new one.
fn storage(client: &mut Client, schema: &str) -> Result<BTreeMap<String, u32>, String> {
    let sql = "SELECT c.relname::text, c.relfilenode FROM pg_class c \
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'";
    let rows = client.query(sql, &[&schema]).map_err(|e| describe(&e, sql))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// The catalog of a schema without the migrations journal.
fn introspect(client: &mut Client, schema: &str) -> Result<Catalog, String> {
    let mut catalog = schemac::import::introspect::postgres::read_catalog(client, schema)
        .map_err(|e| format!("read_catalog({schema}): {}", describe(&e, "")))?;
    catalog.tables.retain(|t| t.name != JOURNAL);
    catalog.indexes.retain(|i| i.table != JOURNAL);
    Ok(catalog)
}

/// Shadow columns planned by the shadow test's cases (each has two steps
/// that name its trigger function: the expand and the contract).
static SHADOWED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// What `compare` finds, but for the order of columns when `shadow`: a
/// column made through a shadow column (`column_changes = "with_shadow"`)
/// is added, so it ends up last (spec/migrations.md).
fn differences(expected: &Catalog, actual: &Catalog, shadow: bool) -> Option<String> {
    let mut d = compare(expected, actual);
    if shadow {
        d.retain(|d| !d.object.starts_with("column order of table "));
    }
    (!d.is_empty()).then(|| d.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n"))
}

struct Case {
    a: String,
    b: String,
    up: String,
}

impl Case {
    fn fail(&self, what: &str, details: &str) -> TestCaseError {
        TestCaseError::fail(format!(
            "{what}\n{details}\n\n--- A ---\n{}\n--- B ---\n{}\n--- plan (up.sql) ---\n{}",
            self.a, self.b, self.up
        ))
    }
}

fn run_case(
    db: &mut TestDb,
    number: usize,
    spec: &SchemaSpec,
    edits: &[Edit],
    shadow: bool,
) -> Result<(), TestCaseError> {
    let model_a = edits::model_a(spec, Backend::Postgres);
    let mut model_b = model_a.clone();
    for e in edits {
        edits::edit_model(&mut model_b, e);
    }
    let mut case = Case { a: model_a.source(), b: model_b.source(), up: String::new() };
    let schema = format!("m{number}");
    let a = build(&case.a, &schema, None).map_err(|e| case.fail("A does not build", &e))?;
    let b = build(&case.b, &schema, Some(Arc::new(a.ir.clone()))).map_err(|e| case.fail("B does not build", &e))?;
    let column_changes = if shadow { ColumnChanges::WithShadow } else { ColumnChanges::InPlace };
    let options = schemac::backends::postgres::Options { schema: schema.clone(), column_changes, ..Default::default() };

    for (name, ir) in [("A", &a.ir), ("B", &b.ir)] {
        let same = migrate::plan(ir, ir, &options);
        if !same.is_empty() {
            let steps: Vec<&str> = same.steps.iter().map(|s| s.summary.as_str()).collect();
            return Err(case.fail(&format!("the self-diff of {name} is not empty"), &format!("{steps:#?}")));
        }
    }
    let plan = migrate::plan(&a.ir, &b.ir, &options);
    if shadow {
        let made = plan.steps.iter().filter(|s| s.up.iter().any(|sql| sql.contains("_shadow_sync()"))).count();
        SHADOWED.fetch_add(made / 2, std::sync::atomic::Ordering::Relaxed);
    }
    let stored = script::stored("m", &plan, &Timeouts::default());
    case.up = script::up_sql(&stored);
    if let Some(h) = plan.hazards().find(|h| h.code == codes::H0008) {
        return Err(case.fail("the plan needs a manual migration", &format!("{h:?}")));
    }

    let client = &mut db.client;
    client.batch_execute(&a.sql).map_err(|e| case.fail("DDL(A) fails", &describe(&e, &a.sql)))?;
    for insert in model_a.insert_rows(&|t| qualified(&schema, t), &|c| ident(c)) {
        client
            .batch_execute(&insert)
            .map_err(|e| case.fail("inserting the rows of A fails", &describe(&e, &insert)))?;
    }
    let rows_a = read_rows(client, &schema, &a.catalog).map_err(|e| case.fail("reading rows", &e))?;
    let storage_a = storage(client, &schema).map_err(|e| case.fail("reading storage", &e))?;

    migrate::apply::apply(client, &schema, std::slice::from_ref(&stored))
        .map_err(|e| case.fail("applying the plan fails", &e.to_string()))?;
    let after = introspect(client, &schema).map_err(|e| case.fail("introspection", &e))?;
    if let Some(d) = differences(&b.catalog, &after, shadow) {
        return Err(case.fail("after the plan, the catalog is not B's", &d));
    }
    let hidden = hidden_differences(client, &schema, &b.catalog).map_err(|e| case.fail("reading", &e))?;
    if !hidden.is_empty() {
        return Err(case.fail("after the plan, the schema is not what DDL(B) gives", &hidden.join("\n")));
    }
    let rows_b = read_rows(client, &schema, &b.catalog).map_err(|e| case.fail("reading rows", &e))?;
    let mut lost = Vec::new();
    let kept = edits::survivors(&model_a, &model_b);
    for ((table, column), (new_table, new_column)) in &kept {
        if rows_a.counts.get(table) != rows_b.counts.get(new_table) {
            lost.push(format!(
                "  rows of {table} → {new_table}: {:?} → {:?}",
                rows_a.counts.get(table),
                rows_b.counts.get(new_table)
            ));
        }
        let (old, new) = (
            rows_a.columns.get(&(table.clone(), column.clone())),
            rows_b.columns.get(&(new_table.clone(), new_column.clone())),
        );
        if old != new {
            lost.push(format!("  {table}.{column} → {new_table}.{new_column}: {old:?} → {new:?}"));
        }
    }
    if !lost.is_empty() {
        lost.dedup();
        return Err(case.fail("the plan changed rows of A", &lost.join("\n")));
    }
    // "No rewrite" is a claim the plan makes: check it on the tables.
    if !plan.steps.iter().any(|s| s.rewrite) {
        let storage_b = storage(client, &schema).map_err(|e| case.fail("reading storage", &e))?;
        let tables: BTreeMap<&String, &String> = kept.iter().map(|((old, _), (new, _))| (old, new)).collect();
        let rewritten: Vec<String> = tables
            .iter()
            .filter(|(old, new)| storage_a.get(**old) != storage_b.get(**new))
            .map(|(old, new)| format!("  {old} → {new}"))
            .collect();
        if !rewritten.is_empty() {
            return Err(case.fail("tables were rewritten by a plan that claims no rewrite", &rewritten.join("\n")));
        }
    }

    if plan.reversible() {
        migrate::apply::revert(client, &schema, &stored).map_err(|e| case.fail("down fails", &e.to_string()))?;
        let back = introspect(client, &schema).map_err(|e| case.fail("introspection", &e))?;
        if let Some(d) = differences(&a.catalog, &back, shadow) {
            return Err(case.fail("after down, the catalog is not A's", &d));
        }
        let hidden = hidden_differences(client, &schema, &a.catalog).map_err(|e| case.fail("reading", &e))?;
        if !hidden.is_empty() {
            return Err(case.fail("after down, the schema is not what DDL(A) gives", &hidden.join("\n")));
        }
        let rows = read_rows(client, &schema, &a.catalog).map_err(|e| case.fail("reading rows", &e))?;
        if rows != rows_a {
            return Err(case.fail("after down, the rows are not A's", &format!("{rows_a:#?}\n→\n{rows:#?}")));
        }
    }
    let drop = format!("DROP SCHEMA {} CASCADE", ident(&schema));
    client.batch_execute(&drop).map_err(|e| case.fail("dropping the schema", &describe(&e, &drop)))?;
    Ok(())
}

/// One worker: its own database and runner, `cases` cases; how many case
/// runs it made (shrinking included) and the failure, if any.
fn worker(worker: usize, cases: u32, shadow: bool) -> (usize, Result<(), String>) {
    let mut db = TestDb::new(&format!("migrate_roundtrip_{}{worker}", if shadow { "shadow_" } else { "" }));
    // Hundreds of small transactions: not waiting for each commit's WAL
    // flush changes nothing the test looks at and saves most of the time.
    db.apply("SET synchronous_commit = off");
    let db = RefCell::new(db);
    let runs = Cell::new(0usize);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    // SCHEMAC_MIGRATE_EDITS=8 for longer edit sequences in a longer hunt.
    let edits = std::env::var("SCHEMAC_MIGRATE_EDITS").ok().and_then(|n| n.parse().ok()).unwrap_or(4usize).max(1);
    let strategy =
        (edits::schema_spec(Backend::Postgres), prop::collection::vec(edits::edit(Backend::Postgres), 1..=edits));
    let result = runner.run(&strategy, |(spec, edits)| {
        runs.set(runs.get() + 1);
        run_case(&mut db.borrow_mut(), runs.get(), &spec, &edits, shadow)
    });
    (runs.get(), result.map_err(|e| e.to_string()))
}

#[test]
fn random_plans_migrate_the_catalog_and_keep_the_rows() {
    let cases: u32 = std::env::var("SCHEMAC_MIGRATE_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(500);
    run_cases(cases, false);
}

/// The same, planned with `[migrations] column_changes = "with_shadow"`:
/// rewriting type changes and renames through shadow columns, with every
/// claim checked but the order of columns (a fifth of the cases).
#[test]
fn random_plans_with_shadow_columns_migrate_the_catalog_and_keep_the_rows() {
    let cases: u32 = std::env::var("SCHEMAC_MIGRATE_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(500);
    run_cases((cases / 5).max(1), true);
    let shadowed = SHADOWED.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("migrate_roundtrip: {shadowed} shadow column(s) planned");
    assert!(shadowed > 0 || cases < 50, "the edits made no change a shadow column makes");
}

fn run_cases(cases: u32, shadow: bool) {
    // The server does most of the work: one worker (database, connection,
    // runner) per core, the cases shared out.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4) as u32;
    let started = Instant::now();
    let results: Vec<(usize, Result<(), String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| scope.spawn(move || worker(w as usize, cases / workers + u32::from(w < cases % workers), shadow)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    let runs: usize = results.iter().map(|(n, _)| n).sum();
    eprintln!(
        "migrate_roundtrip: {cases} cases ({runs} runs with shrinking) on {workers} worker(s) in {:.1?}",
        started.elapsed()
    );
    for (_, result) in results {
        if let Err(e) = result {
            panic!("{e}");
        }
    }
}
