//! The standard patterns on the real MariaDB (10.11 at `SCHEMAC_TEST_MYSQL`):
//! each schema is built for `mysql`, applied to a fresh database, read back
//! equal to the lowered model, and then driven with real statements whose
//! observable effect is checked — timestamps set and moved, soft delete
//! keeping the row, hiding it from `<table>_live`, refusing a plain DELETE,
//! purging only on purpose and letting the same email register again; the
//! audit log's old and new rows; and the history's as-of read of an old
//! version.

#[path = "support/mysql.rs"]
mod mysql_db;

use std::time::Duration;

use ::mysql::prelude::Queryable;
use mysql_db::TestDb;
use schemac::backends::mysql::{self as backend, compare::compare};
use schemac::diagnostics::Diagnostic;
use schemac::driver;
use schemac::import::introspect;
use schemac::pipeline;

/// A schema built for MySQL and applied to a fresh MariaDB database.
struct Applied {
    db: TestDb,
    sql: String,
}

impl Applied {
    fn new(label: &str, source: &str) -> Applied {
        let mut compilation = driver::compile_str(&format!("{label}.schema"), source);
        let errors: Vec<&Diagnostic> = compilation.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "the source does not compile: {errors:#?}");
        let options = pipeline::Options { targets: vec!["mysql".into()], ..pipeline::Options::default() };
        let output = pipeline::build(&mut compilation, &options);
        let errors: Vec<&Diagnostic> = output.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "the MySQL backend reports errors: {errors:#?}");
        let sql =
            output.artifacts.iter().find(|a| a.path == "mysql/schema.sql").expect("mysql artifact").contents.clone();
        let mut db = TestDb::new(label);
        db.apply(&sql).unwrap_or_else(|e| panic!("the schema does not apply: {e}\n\n{sql}"));
        let (expected, _) = backend::lower::lower(&compilation.ir, &compilation.source_map);
        let name = db.name.clone();
        let actual = introspect::mysql::read_schema(&mut db.conn, &name).expect("introspection");
        let differences = compare(&expected, &actual);
        assert!(
            differences.is_empty(),
            "the database differs from the lowered model:\n{}\n\n{sql}",
            differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
        );
        Applied { db, sql }
    }

    fn run(&mut self, sql: &str) {
        self.db.conn.query_drop(sql).unwrap_or_else(|e| panic!("{sql}: {e}\n\n{}", self.sql));
    }

    fn refused(&mut self, sql: &str) -> String {
        match self.db.conn.query_drop(sql) {
            Ok(()) => panic!("MariaDB accepted what the schema forbids:\n{sql}"),
            Err(e) => e.to_string(),
        }
    }

    fn text(&mut self, sql: &str) -> String {
        let value: Option<Option<String>> = self.db.conn.query_first(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        value.flatten().unwrap_or_else(|| panic!("{sql}: no value"))
    }

    fn int(&mut self, sql: &str) -> i64 {
        let value: Option<i64> = self.db.conn.query_first(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        value.unwrap_or_else(|| panic!("{sql}: no row"))
    }

    /// The server's clock, then a pause, so later writes carry a later time.
    fn now(&mut self) -> String {
        let now = self.text("SELECT CAST(utc_timestamp(6) AS CHAR)");
        std::thread::sleep(Duration::from_millis(20));
        now
    }
}

const ACCOUNTS: &str = r#"
use std::patterns::{timestamps, soft_delete, audit}

entity Account {
  id    bigint = identity primary
  email text   unique
  name  text
  apply timestamps, soft_delete, audit
}
"#;

#[test]
fn timestamps_are_set_on_insert_and_moved_on_update() {
    let mut a = Applied::new("ts", ACCOUNTS);
    let before = a.now();
    a.run("INSERT INTO account (email, name) VALUES ('ann@example.com', 'Ann')");
    let created = a.text("SELECT CAST(created_at AS CHAR) FROM account");
    let updated = a.text("SELECT CAST(updated_at AS CHAR) FROM account");
    assert!(created > before, "created_at is filled in: {before} < {created}");
    assert_eq!(created, updated, "a new row was updated when it was made");
    a.now();
    a.run("UPDATE account SET name = 'Anne'");
    let moved = a.text("SELECT CAST(updated_at AS CHAR) FROM account");
    assert!(moved > updated, "updated_at moves on update: {updated} → {moved}");
    assert_eq!(a.text("SELECT CAST(created_at AS CHAR) FROM account"), created, "created_at stays");
    let message = a.refused("UPDATE account SET created_at = '2000-01-01'");
    assert!(message.contains("created_at of account cannot be changed"), "{message}");
}

#[test]
fn soft_delete_keeps_the_row_and_hides_it_from_the_live_view() {
    let mut a = Applied::new("sd", ACCOUNTS);
    a.run("INSERT INTO account (email, name) VALUES ('ann@example.com', 'Ann'), ('bob@example.com', 'Bob')");
    let ann = a.int("SELECT id FROM account WHERE name = 'Ann'");
    a.run(&format!("CALL account_soft_delete({ann})"));
    assert_eq!(a.int("SELECT count(*) FROM account"), 2, "the row stays");
    assert_eq!(a.int(&format!("SELECT count(*) FROM account WHERE id = {ann} AND deleted_at IS NOT NULL")), 1);
    assert_eq!(a.text("SELECT group_concat(name) FROM account_live"), "Bob", "the live view hides Ann");
    let marked = a.text(&format!("SELECT CAST(deleted_at AS CHAR) FROM account WHERE id = {ann}"));
    a.now();
    a.run(&format!("CALL account_soft_delete({ann})"));
    assert_eq!(
        a.text(&format!("SELECT CAST(deleted_at AS CHAR) FROM account WHERE id = {ann}")),
        marked,
        "marking a marked row again keeps the first time"
    );
}

#[test]
fn a_plain_delete_is_refused_so_no_row_is_lost_by_accident() {
    let mut a = Applied::new("sdrefuse", ACCOUNTS);
    a.run("INSERT INTO account (email, name) VALUES ('ann@example.com', 'Ann')");
    let message = a.refused("DELETE FROM account");
    assert!(message.contains("account is soft-deleted: CALL account_soft_delete"), "{message}");
    let message = a.refused("DELETE FROM account_live");
    assert!(message.contains("soft-deleted"), "a delete through the view reaches the same trigger: {message}");
    assert_eq!(a.int("SELECT count(*) FROM account"), 1);
}

#[test]
fn the_purge_deletes_marked_rows_for_good_and_only_those() {
    let mut a = Applied::new("sdpurge", ACCOUNTS);
    a.run("INSERT INTO account (email, name) VALUES ('ann@example.com', 'Ann'), ('bob@example.com', 'Bob')");
    a.run("CALL account_soft_delete(1)");
    let after = a.now();
    a.run(&format!("CALL account_purge('{after}', @purged)"));
    assert_eq!(a.int("SELECT @purged"), 1);
    assert_eq!(a.text("SELECT group_concat(name) FROM account"), "Bob", "Ann is gone, Bob (live) stays");
    assert_eq!(a.int("SELECT @`schemac.purge` IS NULL"), 1, "the purge switch is put back");
    let message = a.refused("DELETE FROM account");
    assert!(message.contains("soft-deleted"), "after a purge a plain DELETE is refused again: {message}");
}

#[test]
fn a_soft_deleted_email_can_register_again_but_not_twice_live() {
    let mut a = Applied::new("sdunique", ACCOUNTS);
    a.run("INSERT INTO account (email, name) VALUES ('ann@example.com', 'Ann')");
    let message = a.refused("INSERT INTO account (email, name) VALUES ('ann@example.com', 'Ann 2')");
    assert!(message.contains("Duplicate entry"), "two live rows with one email: {message}");
    a.run("CALL account_soft_delete(1)");
    a.run("INSERT INTO account (email, name) VALUES ('ann@example.com', 'Ann 2')");
    let second = a.int("SELECT id FROM account WHERE name = 'Ann 2'");
    a.run(&format!("CALL account_soft_delete({second})"));
    a.run("INSERT INTO account (email, name) VALUES ('ann@example.com', 'Ann 3')");
    assert_eq!(a.int("SELECT count(*) FROM account WHERE email = 'ann@example.com'"), 3);
    let message = a.refused("UPDATE account SET deleted_at = NULL WHERE id = 1");
    assert!(message.contains("Duplicate entry"), "restoring a row while its email is live again: {message}");
}

#[test]
fn soft_delete_cascades_into_soft_deleting_children_at_every_level() {
    let mut a = Applied::new(
        "sdcascade",
        r#"
use std::patterns::{soft_delete}

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

entity Page {
  id bigint = identity primary
  n  int
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

relation Page.document -> Document.pages {
  required
  on delete cascade
}

relation Note.document -> Document.notes {
  required
  on delete cascade
}
"#,
    );
    a.run("INSERT INTO folder (name) VALUES ('f'), ('g')");
    a.run("INSERT INTO document (title, folder_id) VALUES ('d1', 1), ('d2', 1), ('e', 2)");
    a.run("INSERT INTO page (n, document_id) VALUES (1, 1), (2, 2), (3, 3)");
    a.run("INSERT INTO note (body, document_id) VALUES ('n', 1)");
    a.run("CALL folder_soft_delete(1)");
    assert_eq!(a.text("SELECT group_concat(title ORDER BY id) FROM document_live"), "e");
    assert_eq!(a.text("SELECT group_concat(n ORDER BY id) FROM page_live"), "3", "grandchildren are marked too");
    assert_eq!(a.int("SELECT count(*) FROM page"), 3, "and kept");
    assert_eq!(a.int("SELECT count(*) FROM note"), 1, "a child that does not soft-delete keeps its row");
    let after = a.now();
    a.run(&format!("CALL folder_purge('{after}', @purged)"));
    assert_eq!(a.int("SELECT @purged"), 1);
    assert_eq!(a.int("SELECT count(*) FROM page"), 1, "a purge removes the children for good (InnoDB's cascade)");
    assert_eq!(a.int("SELECT count(*) FROM note"), 0);
}

#[test]
fn audit_writes_the_old_and_new_row_of_every_change() {
    let mut a = Applied::new("audit", ACCOUNTS);
    a.run("SET @`app.user_id` = 'alice'");
    a.run("INSERT INTO account (email, name) VALUES ('ann@example.com', 'Ann')");
    a.run("UPDATE account SET name = 'Anne'");
    a.run("CALL account_soft_delete(1)");
    assert_eq!(
        a.text("SELECT group_concat(op ORDER BY id) FROM audit_log WHERE table_name = 'account' AND actor = 'alice'"),
        "INSERT,UPDATE,UPDATE",
        "a soft delete is logged as the update it is"
    );
    let first_update = "SELECT min(id) FROM audit_log WHERE op = 'UPDATE'";
    let id = a.int(first_update);
    let field = |row: &str, key: &str| {
        format!("SELECT json_unquote(json_extract({row}, '$.{key}')) FROM audit_log WHERE id = {id}")
    };
    assert_eq!(a.text(&field("old_row", "name")), "Ann");
    assert_eq!(a.text(&field("new_row", "name")), "Anne");
    // The trigger lists changed columns in table order (schemac may reorder them).
    let changed = a.text(&format!("SELECT json_extract(changed, '$') FROM audit_log WHERE id = {id}"));
    let mut changed: Vec<String> = serde_json::from_str(&changed).expect("a JSON array");
    changed.sort();
    assert_eq!(changed, ["name", "updated_at"]);
    assert_eq!(a.int("SELECT json_extract(new_row, '$.id') FROM audit_log WHERE op = 'INSERT'"), 1);
    let marked =
        a.text("SELECT json_unquote(json_extract(new_row, '$.deleted_at')) FROM audit_log ORDER BY id DESC LIMIT 1");
    assert_ne!(marked, "null", "the last entry shows the row marked");
}

#[test]
fn temporal_history_shows_the_old_version_as_of_a_past_time() {
    let mut a = Applied::new(
        "temporal",
        r#"
use std::patterns::{temporal}

entity Price {
  id     bigint        = identity primary
  amount numeric(8, 2)
  apply temporal
}
"#,
    );
    a.run("INSERT INTO price (amount) VALUES (1)");
    let first = a.now();
    a.run("UPDATE price SET amount = 2");
    let second = a.now();
    a.run("UPDATE price SET amount = 3");
    let as_of = |t: &str| {
        format!(
            "SELECT CAST(amount AS CHAR) FROM (SELECT amount, valid_from FROM price_history WHERE valid_from <= '{t}' \
             AND valid_to > '{t}' UNION ALL SELECT amount, valid_from FROM price WHERE valid_from <= '{t}') v"
        )
    };
    assert_eq!(a.text(&as_of(&first)), "1.00", "as of the first time, the first version");
    assert_eq!(a.text(&as_of(&second)), "2.00", "as of the second time, the second version");
    assert_eq!(a.text("SELECT CAST(amount AS CHAR) FROM price"), "3.00");
    a.run("DELETE FROM price");
    assert_eq!(a.text(&as_of(&second)), "2.00", "deleting the row keeps its past");
}

#[test]
fn a_soft_delete_cascade_back_to_its_own_table_is_refused_with_the_reason() {
    let mut compilation = driver::compile_str(
        "tree.schema",
        "use std::patterns::{soft_delete}\n\nentity Node {\n  id bigint = identity primary\n  apply soft_delete\n}\n\n\
         relation Node.parent -> Node.children {\n  on delete cascade\n}\n",
    );
    assert!(!compilation.has_errors(), "{:#?}", compilation.diagnostics);
    let options = pipeline::Options { targets: vec!["mysql".into()], ..pipeline::Options::default() };
    let output = pipeline::build(&mut compilation, &options);
    let errors: Vec<String> = output.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
    assert_eq!(
        errors,
        ["pattern `soft_delete` (soft delete) on `Node`, whose cascade leads back to it: not expressible on MySQL/MariaDB"]
    );
    let help = output.diagnostics.iter().find_map(|d| d.help.clone()).unwrap_or_default();
    assert!(help.contains("max_sp_recursion_depth"), "{help}");
}
