//! The patterns the SQLite backend lowers to triggers — soft delete, audit,
//! temporal history — and full-text search (FTS5), proven with rows on the
//! real engine (rusqlite's bundled SQLite). Each schema is built for
//! SQLite, applied to an in-memory database with foreign keys on, read
//! back and compared with the model the IR lowers to; then statements run
//! and the rows are checked. The last tests migrate such tables with a
//! rebuild and check the behaviours still hold.

use std::sync::Arc;

use rusqlite::Connection;
use schemac::backends::sqlite::{self, compare::compare, Schema};
use schemac::diagnostics::codes;
use schemac::driver;
use schemac::import::introspect;
use schemac::migrate::sqlite::apply::{self, JOURNAL};
use schemac::migrate::sqlite::{self as migrate, script};
use schemac::pipeline;
use schemac::semantic::ir::Ir;

/// A schema built for SQLite, applied and read back.
struct Db {
    conn: Connection,
    sql: String,
}

impl Db {
    fn run(&self, sql: &str) {
        self.conn.execute_batch(sql).unwrap_or_else(|e| panic!("{sql}: {e}\n\n{}", self.sql));
    }

    /// How many rows the statement changed (what the client is told).
    fn changes(&self, sql: &str) -> usize {
        self.conn.execute(sql, []).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs `sql` as a purge: in one transaction with the purge switch on
    /// (spec/backends/sqlite.md); how many rows it changed, or why it failed
    /// (rolled back).
    fn purge(&self, sql: &str) -> Result<usize, String> {
        self.run("BEGIN; INSERT INTO schemac_purge VALUES (1);");
        match self.conn.execute(sql, []) {
            Ok(n) => {
                self.run("DELETE FROM schemac_purge; COMMIT;");
                Ok(n)
            }
            Err(e) => {
                self.run("ROLLBACK");
                Err(e.to_string())
            }
        }
    }

    fn refused(&self, sql: &str) -> String {
        match self.conn.execute_batch(sql) {
            Ok(()) => panic!("SQLite accepted:\n{sql}"),
            Err(e) => e.to_string(),
        }
    }

    fn int(&self, sql: &str) -> i64 {
        self.conn.query_row(sql, [], |row| row.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn text(&self, sql: &str) -> String {
        self.conn.query_row(sql, [], |row| row.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn texts(&self, sql: &str) -> Vec<String> {
        let mut statement = self.conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let rows = statement.query_map([], |row| row.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.collect::<Result<_, _>>().unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn json(&self, sql: &str) -> serde_json::Value {
        let text: Option<String> =
            self.conn.query_row(sql, [], |row| row.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"));
        text.map_or(serde_json::Value::Null, |t| serde_json::from_str(&t).expect("JSON"))
    }
}

/// Lets SQLite's clock (milliseconds) move, so two statements get two times.
fn tick() {
    std::thread::sleep(std::time::Duration::from_millis(5));
}

fn sqlite_only(previous: Option<Arc<Ir>>) -> pipeline::Options {
    pipeline::Options { targets: vec!["sqlite".into()], previous, ..pipeline::Options::default() }
}

struct Built {
    ir: Ir,
    sql: String,
    model: Schema,
}

fn build(source: &str, previous: Option<Arc<Ir>>) -> Built {
    let mut compilation = driver::compile_str("patterns.schema", source);
    let errors: Vec<_> = compilation.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "the source does not compile: {errors:#?}");
    let output = pipeline::build(&mut compilation, &sqlite_only(previous));
    let errors: Vec<_> = output.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "the SQLite backend reports errors: {errors:#?}");
    let sql =
        output.artifacts.iter().find(|a| a.path == "sqlite/schema.sql").expect("sqlite artifact").contents.clone();
    let (model, _) = sqlite::lower::lower(&compilation.ir, &compilation.source_map, &sqlite::Options::default());
    Built { ir: compilation.ir, sql, model }
}

/// The schema as the database holds it (the migration journal left out).
fn read_back(conn: &Connection) -> Schema {
    let mut schema = introspect::sqlite::read_schema(conn).expect("introspection");
    schema.tables.retain(|t| t.name != JOURNAL);
    schema.indexes.retain(|i| i.table != JOURNAL);
    schema
}

fn assert_same(expected: &Schema, conn: &Connection, sql: &str) {
    let differences = compare(expected, &read_back(conn));
    assert!(
        differences.is_empty(),
        "the database differs from the lowered model:\n{}\n\n{sql}",
        differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    );
}

fn prove(source: &str) -> Db {
    let built = build(source, None);
    let conn = Connection::open_in_memory().expect("an in-memory database");
    conn.execute_batch(&built.sql).unwrap_or_else(|e| panic!("the schema does not apply: {e}\n\n{}", built.sql));
    assert_same(&built.model, &conn, &built.sql);
    Db { conn, sql: built.sql }
}

// ---------------------------------------------------------------- soft delete

const SOFT: &str = r#"
use std::patterns::{timestamps, soft_delete}

entity Account {
  id    bigint = identity primary
  email text unique
  name  text
  apply timestamps, soft_delete
}

entity Folder {
  id   bigint = identity primary
  name text
  apply soft_delete
}

entity Document {
  id    bigint = identity primary
  title text
  apply soft_delete
}

entity Note {
  id   bigint = identity primary
  body text
}

relation Document.folder -> Folder.documents {
  required
  on delete cascade
}

relation Note.document -> Document.notes {
  required
  on delete restrict
}
"#;

#[test]
fn a_deleted_row_stays_in_the_table_and_leaves_the_live_view() {
    let db = prove(SOFT);
    db.run("INSERT INTO account (email, name) VALUES ('ann@example.com', 'Ann'), ('bob@example.com', 'Bob')");
    db.changes("DELETE FROM account WHERE email = 'ann@example.com'");
    assert_eq!(db.int("SELECT count(*) FROM account"), 2, "the row must stay");
    assert_eq!(db.int("SELECT count(*) FROM account WHERE email = 'ann@example.com' AND deleted_at IS NOT NULL"), 1);
    assert_eq!(db.texts("SELECT email FROM account_live"), ["bob@example.com"]);
    // The soft delete is an update: timestamps moves updated_at.
    assert_eq!(db.int("SELECT count(*) FROM account WHERE email = 'ann@example.com' AND updated_at = deleted_at"), 1);
}

#[test]
fn a_soft_deleted_email_can_be_registered_again() {
    let db = prove(SOFT);
    db.run("INSERT INTO account (email, name) VALUES ('ann@example.com', 'Ann')");
    let duplicate = db.refused("INSERT INTO account (email, name) VALUES ('ann@example.com', 'Ann 2')");
    assert!(duplicate.contains("UNIQUE"), "{duplicate}");
    db.run("DELETE FROM account WHERE email = 'ann@example.com'");
    db.run("INSERT INTO account (email, name) VALUES ('ann@example.com', 'Ann again')");
    assert_eq!(db.int("SELECT count(*) FROM account WHERE email = 'ann@example.com'"), 2);
    assert_eq!(db.texts("SELECT name FROM account_live"), ["Ann again"]);
    // Undeleting the first Ann now breaks the key among live rows.
    let undelete = db.refused("UPDATE account SET deleted_at = NULL WHERE name = 'Ann'");
    assert!(undelete.contains("UNIQUE"), "{undelete}");
}

#[test]
fn deleting_through_the_live_view_marks_the_row() {
    let db = prove(SOFT);
    db.run("INSERT INTO account (email, name) VALUES ('ann@example.com', 'Ann')");
    db.run("DELETE FROM account_live WHERE email = 'ann@example.com'");
    assert_eq!(db.int("SELECT count(*) FROM account WHERE deleted_at IS NOT NULL"), 1);
    assert_eq!(db.int("SELECT count(*) FROM account_live"), 0);
}

#[test]
fn a_marked_row_stays_until_a_purge_removes_it_and_live_rows_are_only_marked() {
    let db = prove(SOFT);
    db.run(
        "INSERT INTO account (email, name) VALUES ('a@x', 'A'), ('b@x', 'B'), ('c@x', 'C');
         DELETE FROM account WHERE name IN ('A', 'B');",
    );
    // A second delete (an ORM retrying, say) changes nothing, as on PostgreSQL.
    assert_eq!(db.changes("DELETE FROM account WHERE name IN ('A', 'B')"), 0);
    assert_eq!(db.texts("SELECT name FROM account ORDER BY name"), ["A", "B", "C"]);
    // The purge: rows marked before a time go for good; a live row it
    // deletes is only marked, even with the switch on.
    let purged = db.purge("DELETE FROM account WHERE deleted_at < strftime('%Y-%m-%d %H:%M:%f', 'now', '+1 day')");
    assert_eq!(purged, Ok(2));
    assert_eq!(db.purge("DELETE FROM account WHERE name = 'C'"), Ok(0));
    assert_eq!(db.texts("SELECT name FROM account"), ["C"]);
    assert_eq!(db.int("SELECT count(*) FROM account WHERE deleted_at IS NOT NULL"), 1);
    assert_eq!(db.int("SELECT count(*) FROM schemac_purge"), 0, "the switch is off after a purge");
}

#[test]
fn marking_a_folder_marks_its_documents_and_purging_it_removes_them() {
    let db = prove(SOFT);
    db.run(
        "INSERT INTO folder (id, name) VALUES (1, 'f1'), (2, 'f2');
         INSERT INTO document (id, title, folder_id) VALUES (1, 'd1', 1), (2, 'd2', 1), (3, 'd3', 2);
         INSERT INTO note (body, document_id) VALUES ('n', 3);",
    );
    db.run("DELETE FROM folder WHERE id = 1");
    assert_eq!(db.int("SELECT count(*) FROM folder"), 2);
    assert_eq!(db.texts("SELECT title FROM document WHERE deleted_at IS NOT NULL ORDER BY id"), ["d1", "d2"]);
    assert_eq!(db.texts("SELECT title FROM document_live"), ["d3"]);
    // A marked document with a note: marking is an update, restrict does not apply.
    db.run("DELETE FROM document WHERE id = 3");
    assert_eq!(db.int("SELECT count(*) FROM document_live"), 0);
    // Deleting the marked folder again keeps it and its documents.
    db.run("DELETE FROM folder WHERE id = 1");
    assert_eq!(db.int("SELECT count(*) FROM folder"), 2);
    assert_eq!(db.int("SELECT count(*) FROM document"), 3);
    // Purging the folder deletes its (marked) documents for good.
    assert_eq!(db.purge("DELETE FROM folder WHERE id = 1"), Ok(1));
    assert_eq!(db.texts("SELECT name FROM folder"), ["f2"]);
    assert_eq!(db.texts("SELECT title FROM document ORDER BY id"), ["d3"]);
    // Purging the marked document with a note is refused by the foreign key.
    let refused = db.purge("DELETE FROM document WHERE id = 3").expect_err("a restricting note");
    assert!(refused.contains("FOREIGN KEY"), "{refused}");
    assert_eq!(db.int("SELECT count(*) FROM document"), 1);
}

#[test]
fn a_soft_deleting_entity_that_cascades_to_itself_is_refused_for_sqlite() {
    let source = r#"
use std::patterns::soft_delete

entity Topic {
  id   bigint = identity primary
  name text
  apply soft_delete
}

relation Topic.parent -> Topic.children {
  on delete cascade
}
"#;
    let mut compilation = driver::compile_str("self.schema", source);
    let output = pipeline::build(&mut compilation, &sqlite_only(None));
    let errors: Vec<_> = output.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].code, codes::E0802);
    assert_eq!(
        errors[0].message,
        "pattern `soft_delete` (soft delete) on `Topic` with an `on delete cascade` to itself: not expressible on SQLite"
    );
}

// ---------------------------------------------------------------- audit

const AUDITED: &str = r#"
use std::patterns::{timestamps, audit}

entity Invoice {
  id       bigint = identity primary
  number   text unique
  paid     bool = false
  lines    json = {}
  tags     text[] = []
  total    numeric(12, 2)
  apply timestamps, audit
}

entity Tag {
  name text primary
  apply audit
}
"#;

#[test]
fn each_change_writes_one_audit_row_with_old_and_new() {
    let db = prove(AUDITED);
    db.run("INSERT INTO invoice (number, total) VALUES ('A-1', 10.5)");
    tick();
    db.run("UPDATE invoice SET paid = 1, total = 12 WHERE number = 'A-1'");
    db.run("DELETE FROM invoice WHERE number = 'A-1'");
    assert_eq!(db.texts("SELECT op FROM audit_log ORDER BY id"), ["INSERT", "UPDATE", "DELETE"]);
    assert_eq!(db.texts("SELECT DISTINCT table_name FROM audit_log"), ["invoice"]);
    assert_eq!(db.texts("SELECT DISTINCT row_key FROM audit_log"), ["{\"id\":1}"]);

    let inserted = db.json("SELECT new_row FROM audit_log WHERE op = 'INSERT'");
    assert_eq!(inserted["number"], "A-1");
    assert_eq!(inserted["paid"], false, "booleans are JSON booleans");
    assert_eq!(inserted["lines"], serde_json::json!({}), "json columns nest");
    assert_eq!(inserted["tags"], serde_json::json!([]), "arrays nest");
    assert_eq!(db.json("SELECT old_row FROM audit_log WHERE op = 'INSERT'"), serde_json::Value::Null);

    let old = db.json("SELECT old_row FROM audit_log WHERE op = 'UPDATE'");
    let new = db.json("SELECT new_row FROM audit_log WHERE op = 'UPDATE'");
    assert_eq!((old["paid"].clone(), new["paid"].clone()), (serde_json::json!(false), serde_json::json!(true)));
    assert_eq!((old["total"].as_f64(), new["total"].as_f64()), (Some(10.5), Some(12.0)));
    // The logged row is the row as it ended up: timestamps moved updated_at.
    assert_ne!(old["updated_at"], new["updated_at"]);
    assert_eq!(
        new["updated_at"].as_str().map(str::to_string),
        Some(db.text("SELECT json_extract(old_row, '$.updated_at') FROM audit_log WHERE op = 'DELETE'"))
    );
    assert_eq!(
        db.json("SELECT changed FROM audit_log WHERE op = 'UPDATE'"),
        serde_json::json!(["paid", "total", "updated_at"])
    );
    let deleted = db.json("SELECT old_row FROM audit_log WHERE op = 'DELETE'");
    assert_eq!(deleted["paid"], true);
    assert_eq!(db.json("SELECT new_row FROM audit_log WHERE op = 'DELETE'"), serde_json::Value::Null);
}

#[test]
fn a_text_key_is_logged_and_an_update_that_changes_nothing_has_an_empty_list() {
    let db = prove(AUDITED);
    db.run("INSERT INTO tag (name) VALUES ('x'); UPDATE tag SET name = 'x'; UPDATE tag SET name = 'y';");
    assert_eq!(
        db.texts("SELECT row_key FROM audit_log ORDER BY id"),
        ["{\"name\":\"x\"}", "{\"name\":\"x\"}", "{\"name\":\"y\"}"]
    );
    assert_eq!(db.texts("SELECT changed FROM audit_log WHERE op = 'UPDATE' ORDER BY id"), ["[]", "[\"name\"]"]);
}

#[test]
fn the_audit_log_refuses_changes_and_removals() {
    let db = prove(AUDITED);
    db.run("INSERT INTO tag (name) VALUES ('x')");
    for statement in ["UPDATE audit_log SET op = 'DELETE'", "DELETE FROM audit_log"] {
        let refused = db.refused(statement);
        assert!(refused.contains("audit_log is append-only"), "{refused}");
    }
    assert_eq!(db.int("SELECT count(*) FROM audit_log"), 1);
}

// ---------------------------------------------------------------- temporal

const TEMPORAL: &str = r#"
use std::patterns::{temporal, timestamps}

entity Post {
  id    bigint = identity primary
  title text
  apply temporal, timestamps
}
"#;

/// The rows as of a time: the query spec/backends/sqlite.md documents.
fn titles_as_of(db: &Db, at: &str) -> Vec<String> {
    db.texts(&format!(
        "SELECT title FROM (SELECT id, title, valid_from FROM post WHERE valid_from <= '{at}' \
         UNION ALL SELECT id, title, valid_from FROM post_history WHERE valid_from <= '{at}' AND '{at}' < valid_to) \
         ORDER BY id"
    ))
}

#[test]
fn an_update_files_the_old_version_with_its_period() {
    let db = prove(TEMPORAL);
    db.run("INSERT INTO post (title, valid_from) VALUES ('Draft', '2026-01-01 00:00:00.000')");
    db.run("UPDATE post SET title = 'Final'");
    assert_eq!(db.int("SELECT count(*) FROM post_history"), 1);
    assert_eq!(db.text("SELECT title FROM post_history"), "Draft");
    assert_eq!(db.text("SELECT valid_from FROM post_history"), "2026-01-01 00:00:00.000");
    // The old version ends exactly when the current one begins.
    assert_eq!(db.text("SELECT valid_to FROM post_history"), db.text("SELECT valid_from FROM post"));
    assert!(db.text("SELECT valid_from FROM post").as_str() > "2026-01-01 00:00:00.000");
    assert_eq!(db.text("SELECT title FROM post"), "Final");
}

#[test]
fn past_states_read_back_as_they_were_after_updates_and_a_delete() {
    let db = prove(TEMPORAL);
    db.run(
        "INSERT INTO post (title, valid_from) VALUES ('Draft', '2026-01-01 00:00:00.000'),
                                                     ('Other', '2026-01-01 00:00:00.000');
         UPDATE post SET title = 'Final' WHERE title = 'Draft';",
    );
    tick();
    // A start set by hand is kept and files nothing (the documented correction).
    db.run("UPDATE post SET valid_from = '2026-02-01 00:00:00.000' WHERE title = 'Final'");
    assert_eq!(db.text("SELECT valid_from FROM post WHERE title = 'Final'"), "2026-02-01 00:00:00.000");
    assert_eq!(db.int("SELECT count(*) FROM post_history"), 1);
    // Backdate the filed version's end so the three times below are apart.
    db.run("UPDATE post_history SET valid_to = '2026-02-01 00:00:00.000'");
    db.run("DELETE FROM post WHERE title = 'Final'");
    assert_eq!(db.int("SELECT count(*) FROM post_history"), 2);
    assert_eq!(titles_as_of(&db, "2025-12-31 00:00:00.000"), Vec::<String>::new());
    assert_eq!(titles_as_of(&db, "2026-01-15 00:00:00.000"), ["Draft", "Other"]);
    assert_eq!(titles_as_of(&db, "2026-02-15 00:00:00.000"), ["Final", "Other"]);
    assert_eq!(titles_as_of(&db, "9999-01-01 00:00:00.000"), ["Other"]);
}

#[test]
fn a_version_that_lived_for_no_time_is_not_filed() {
    let db = prove(TEMPORAL);
    // Inserted and updated within one statement's clock: nothing to file.
    db.run(
        "CREATE TEMP TRIGGER t AFTER INSERT ON post BEGIN UPDATE post SET title = 'b' WHERE id = NEW.id; END;
         INSERT INTO post (title) VALUES ('a');",
    );
    assert_eq!(db.text("SELECT title FROM post"), "b");
    assert_eq!(db.int("SELECT count(*) FROM post_history"), 0);
}

// ---------------------------------------------------------------- search

const SEARCH: &str = r#"
use std::patterns::{timestamps, soft_delete}

entity Article {
  id    bigint = identity primary
  title text
  body  text
  search (title weight A, body weight B) language english
  apply timestamps, soft_delete
}

entity Page {
  id   uuid = uuid_v7() primary
  text text
  search (text) language simple
}
"#;

/// The `column` of the rows of `table` whose FTS5 index matches `query`,
/// joined on the rowid the index keeps.
fn found(db: &Db, table: &str, column: &str, query: &str) -> Vec<String> {
    let fts = format!("{table}_search");
    db.texts(&format!(
        "SELECT t.{column} FROM {fts} JOIN {table} AS t ON t.rowid = {fts}.rowid WHERE {fts} MATCH '{query}' \
         ORDER BY t.rowid"
    ))
}

fn integrity(db: &Db, fts: &str) {
    db.run(&format!("INSERT INTO {fts} ({fts}, rank) VALUES ('integrity-check', 1)"));
}

#[test]
fn fts5_is_compiled_into_the_bundled_sqlite() {
    let conn = Connection::open_in_memory().expect("database");
    let enabled: i64 =
        conn.query_row("SELECT sqlite_compileoption_used('ENABLE_FTS5')", [], |r| r.get(0)).expect("compile options");
    assert_eq!(enabled, 1, "rusqlite's bundled SQLite lacks FTS5");
}

#[test]
fn a_row_is_found_after_insert_not_after_delete_and_by_its_new_text_after_update() {
    let db = prove(SEARCH);
    db.run(
        "INSERT INTO article (title, body) VALUES ('Running shoes', 'light and fast'), ('Rain coats', 'dry in storms');",
    );
    assert_eq!(found(&db, "article", "title", "run"), ["Running shoes"], "english stems: run finds running");
    assert_eq!(found(&db, "article", "title", "storm"), ["Rain coats"]);
    db.run("UPDATE article SET title = 'Walking boots', body = 'sturdy' WHERE id = 1");
    assert_eq!(found(&db, "article", "title", "run"), Vec::<String>::new(), "the old text is gone");
    assert_eq!(found(&db, "article", "title", "boots"), ["Walking boots"]);
    integrity(&db, "article_search");
    // Soft delete keeps the row, so the index keeps it; the purge removes both.
    db.run("DELETE FROM article WHERE id = 2");
    assert_eq!(found(&db, "article", "title", "storm"), ["Rain coats"]);
    assert_eq!(db.purge("DELETE FROM article WHERE id = 2"), Ok(1));
    assert_eq!(found(&db, "article", "title", "storm"), Vec::<String>::new());
    integrity(&db, "article_search");
}

#[test]
fn a_table_without_an_integer_key_is_indexed_by_its_rowid() {
    let db = prove(SEARCH);
    db.run("INSERT INTO page (text) VALUES ('alpha beta'), ('gamma delta'), ('beta gamma')");
    assert_eq!(found(&db, "page", "text", "beta"), ["alpha beta", "beta gamma"]);
    db.run("DELETE FROM page WHERE text = 'alpha beta'; UPDATE page SET text = 'epsilon' WHERE text = 'beta gamma';");
    assert_eq!(found(&db, "page", "text", "beta"), Vec::<String>::new());
    assert_eq!(found(&db, "page", "text", "epsilon"), ["epsilon"]);
    // `simple` does not stem.
    db.run("INSERT INTO page (text) VALUES ('running')");
    assert_eq!(found(&db, "page", "text", "run"), Vec::<String>::new());
    integrity(&db, "page_search");
}

// ---------------------------------------------------------------- everything, migrated

const ALL: &str = r#"
use std::patterns::{timestamps, soft_delete, audit, temporal}

entity Account {
  id    bigint = identity primary
  email text unique
  name  text
  search (name) language english
  apply timestamps, soft_delete, audit, temporal
}
"#;

#[test]
fn the_patterns_together_log_file_and_index_each_change_once() {
    let db = prove(ALL);
    db.run("INSERT INTO account (email, name, valid_from) VALUES ('ann@x', 'Ann Smith', '2026-01-01 00:00:00.000')");
    tick();
    db.run("UPDATE account SET name = 'Ann Jones'");
    tick();
    db.run("DELETE FROM account");
    assert_eq!(db.texts("SELECT op FROM audit_log ORDER BY id"), ["INSERT", "UPDATE", "UPDATE"]);
    assert_eq!(db.text("SELECT changed FROM audit_log WHERE id = 2"), "[\"name\",\"updated_at\",\"valid_from\"]");
    assert_eq!(db.text("SELECT changed FROM audit_log WHERE id = 3"), "[\"deleted_at\",\"updated_at\",\"valid_from\"]");
    // The soft delete is an update: the version before it is filed too.
    assert_eq!(db.texts("SELECT name FROM account_history ORDER BY valid_from"), ["Ann Smith", "Ann Jones"]);
    assert_eq!(db.int("SELECT count(*) FROM account_history WHERE deleted_at IS NOT NULL"), 0);
    assert_eq!(db.int("SELECT count(*) FROM account_search WHERE account_search MATCH 'jones'"), 1);
    assert_eq!(db.int("SELECT count(*) FROM account_live"), 0);
    integrity(&db, "account_search");
}

/// Builds `before`, applies it with rows, migrates to `after` through the
/// journal and checks the schema is `after`'s. Returns the database, A and
/// the stored migration.
fn migrate_with_rows(before: &str, rows: &str, after: &str) -> (Db, Built, script::StoredMigration) {
    let a = build(before, None);
    let b = build(after, Some(Arc::new(a.ir.clone())));
    for (name, ir) in [("A", &a.ir), ("B", &b.ir)] {
        let same = migrate::plan(ir, ir, &Default::default());
        assert!(same.steps.is_empty(), "the self-diff of {name} is not empty: {:#?}", same.steps);
    }
    let mut conn = Connection::open_in_memory().expect("database");
    conn.execute_batch(&a.sql).expect("A applies");
    conn.execute_batch(rows).unwrap_or_else(|e| panic!("{rows}: {e}"));
    let plan = migrate::plan(&a.ir, &b.ir, &Default::default());
    assert!(plan.steps.iter().any(|s| s.summary.starts_with("rebuild table")), "no rebuild: {:#?}", plan.steps);
    let stored = script::stored("0002_change", &plan);
    apply::apply(&mut conn, std::slice::from_ref(&stored))
        .unwrap_or_else(|e| panic!("{e}\n\n{}", script::up_sql(&stored)));
    assert_same(&b.model, &conn, &script::up_sql(&stored));
    assert_eq!(apply::foreign_key_violations(&conn).expect("fk check"), Vec::<String>::new());
    (Db { conn, sql: b.sql }, a, stored)
}

fn migrated(before: &str, rows: &str, after: &str) -> Db {
    migrate_with_rows(before, rows, after).0
}

#[test]
fn a_rebuilt_table_keeps_its_soft_delete_audit_history_and_search() {
    let after = ALL.replace("  name  text\n", "  name  text\n  note  text = ''\n  check (length(email) > 2)\n");
    let db = migrated(
        ALL,
        "INSERT INTO account (email, name) VALUES ('ann@x', 'Ann Smith'), ('bob@x', 'Bob Stone');
         DELETE FROM account WHERE email = 'ann@x';",
        &after,
    );
    // Rows and the index survived the rebuild.
    assert_eq!(db.int("SELECT count(*) FROM account"), 2);
    assert_eq!(db.int("SELECT count(*) FROM account_search WHERE account_search MATCH 'stone'"), 1);
    integrity(&db, "account_search");
    // And every trigger works on the rebuilt table.
    let logged = db.int("SELECT count(*) FROM audit_log");
    tick();
    db.run("UPDATE account SET name = 'Bob Rivers' WHERE email = 'bob@x'");
    db.run("DELETE FROM account WHERE email = 'bob@x'");
    assert_eq!(db.int("SELECT count(*) FROM audit_log"), logged + 2);
    assert_eq!(db.int("SELECT count(*) FROM account_live"), 0);
    assert_eq!(db.int("SELECT count(*) FROM account"), 2);
    assert_eq!(db.int("SELECT count(*) FROM account_history WHERE name = 'Bob Stone'"), 1);
    assert_eq!(db.int("SELECT count(*) FROM account_search WHERE account_search MATCH 'rivers'"), 1);
    assert_eq!(db.int("SELECT count(*) FROM account_search WHERE account_search MATCH 'stone'"), 0);
    db.run("INSERT INTO account (email, name) VALUES ('bob@x', 'Bob again')");
    integrity(&db, "account_search");
}

#[test]
fn a_rebuilt_table_without_an_integer_key_is_indexed_again() {
    let before = "entity Page {\n  id   uuid = uuid_v7() primary\n  text text\n  search (text) language simple\n}\n";
    let after = before.replace("  text text\n", "  text text\n  check (length(text) < 100)\n");
    let db = migrated(
        before,
        "INSERT INTO page (text) VALUES ('one'), ('two'), ('three');
         DELETE FROM page WHERE text = 'one';",
        &after,
    );
    assert_eq!(found(&db, "page", "text", "three"), ["three"]);
    db.run("DELETE FROM page WHERE text = 'three'");
    assert_eq!(found(&db, "page", "text", "three"), Vec::<String>::new());
    integrity(&db, "page_search");
}

#[test]
fn undoing_the_rebuild_restores_the_schema_and_the_index() {
    let after = ALL.replace("  name  text\n", "  name  text\n  check (length(name) > 1)\n");
    let (mut db, a, stored) =
        migrate_with_rows(ALL, "INSERT INTO account (email, name) VALUES ('bob@x', 'Bob Stone');", &after);
    assert!(stored.reversible(), "the rebuild cannot be undone");
    apply::revert(&mut db.conn, &stored).unwrap_or_else(|e| panic!("down fails: {e}"));
    assert_same(&a.model, &db.conn, &script::down_sql(&stored));
    assert_eq!(db.int("SELECT count(*) FROM account_search WHERE account_search MATCH 'stone'"), 1);
    db.sql = a.sql;
    integrity(&db, "account_search");
}

#[test]
fn removing_search_drops_the_fts5_table_and_its_triggers() {
    let after = ALL.replace("  search (name) language english\n", "");
    let a = build(ALL, None);
    let b = build(&after, Some(Arc::new(a.ir.clone())));
    let mut conn = Connection::open_in_memory().expect("database");
    conn.execute_batch(&a.sql).expect("A applies");
    conn.execute_batch("INSERT INTO account (email, name) VALUES ('bob@x', 'Bob Stone')").expect("a row");
    let plan = migrate::plan(&a.ir, &b.ir, &Default::default());
    let stored = script::stored("0002_no_search", &plan);
    apply::apply(&mut conn, std::slice::from_ref(&stored)).unwrap_or_else(|e| panic!("{e}"));
    assert_same(&b.model, &conn, &script::up_sql(&stored));
    let left: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'account_search%'", [], |r| r.get(0))
        .expect("count");
    assert_eq!(left, 0, "the FTS5 table, its shadow tables or its triggers are left");
}

#[test]
fn a_name_a_pattern_needs_that_is_taken_is_e0801() {
    let source = r#"
use std::patterns::{audit, soft_delete}

entity AuditLog {
  id bigint primary
}

entity Account {
  id bigint primary
  apply audit, soft_delete
}

entity AccountLive {
  id bigint primary
}
"#;
    let mut compilation = driver::compile_str("taken.schema", source);
    let output = pipeline::build(&mut compilation, &sqlite_only(None));
    let errors: Vec<String> =
        output.diagnostics.iter().filter(|d| d.is_error()).map(|d| format!("{}: {}", d.code, d.message)).collect();
    assert_eq!(
        errors,
        [
            "E0801: the audit log of pattern `audit` and the table of entity `AuditLog` would both be `audit_log` on SQLite",
            "E0801: the live view of `Account` (pattern `soft_delete`) and the table of entity `AccountLive` would both \
             be `account_live` on SQLite",
        ]
    );
}
