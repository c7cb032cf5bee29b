//! The SQLite backend, proven on the real engine (rusqlite's bundled
//! SQLite): each example and each construct is built with targets
//! `postgres` and `sqlite`; the sqlite/schema.sql artifact applies to an
//! in-memory database with foreign keys on and `foreign_key_check` clean,
//! and the schema read back through sqlite_schema and the pragmas equals
//! the model the IR lowers to. What SQLite cannot honour is an E0802 that
//! names SQLite and the construct; behaviours (touch, immutable, optimistic
//! locking, checks, cascades, partial uniques) are proven with rows; the
//! patterns lowered to triggers (soft delete, audit, temporal, full-text
//! search) in tests/sqlite_patterns.rs.

mod support;

use std::path::Path;

use rusqlite::Connection;
use schemac::backends::sqlite::{self, compare::compare, Schema};
use schemac::diagnostics::{codes, Diagnostic};
use schemac::driver::{self, Input};
use schemac::import::introspect;
use schemac::pipeline;

/// A schema built for both targets, applied to SQLite and read back.
struct Proven {
    conn: Connection,
    sql: String,
    expected: Schema,
    /// The errors the SQLite backend reported (what it left out).
    sqlite_errors: Vec<Diagnostic>,
}

impl Proven {
    fn run(&self, sql: &str) {
        self.conn.execute_batch(sql).unwrap_or_else(|e| panic!("{sql}: {e}\n\n{}", self.sql));
    }

    /// Runs a statement that must fail; returns SQLite's message.
    fn refused(&self, sql: &str) -> String {
        match self.conn.execute_batch(sql) {
            Ok(()) => panic!("SQLite accepted what the schema forbids:\n{sql}"),
            Err(e) => e.to_string(),
        }
    }

    fn text(&self, sql: &str) -> String {
        self.conn.query_row(sql, [], |row| row.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn int(&self, sql: &str) -> i64 {
        self.conn.query_row(sql, [], |row| row.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

fn both_targets() -> pipeline::Options {
    pipeline::Options { targets: vec!["postgres".into(), "sqlite".into()], ..pipeline::Options::default() }
}

fn prove_inputs(inputs: &[Input]) -> Proven {
    let mut compilation = driver::compile(inputs);
    let errors: Vec<&Diagnostic> = compilation.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "the source does not compile: {errors:#?}");
    let output = pipeline::build(&mut compilation, &both_targets());
    let sql =
        output.artifacts.iter().find(|a| a.path == "sqlite/schema.sql").expect("sqlite artifact").contents.clone();
    let (expected, _) = sqlite::lower::lower(&compilation.ir, &compilation.source_map, &sqlite::Options::default());
    let sqlite_errors: Vec<Diagnostic> =
        output.diagnostics.into_iter().filter(|d| d.is_error() && d.message.contains("SQLite")).collect();
    let conn = Connection::open_in_memory().expect("an in-memory database");
    conn.execute_batch(&sql).unwrap_or_else(|e| panic!("the schema does not apply: {e}\n\n{sql}"));
    let violations: i64 =
        conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| row.get(0)).expect("fk check");
    assert_eq!(violations, 0, "foreign_key_check reports violations");
    let fks: i64 = conn.query_row("PRAGMA foreign_keys", [], |row| row.get(0)).expect("pragma");
    assert_eq!(fks, 1, "the script turns foreign keys on");
    let actual = introspect::sqlite::read_schema(&conn).expect("introspection");
    let differences = compare(&expected, &actual);
    assert!(
        differences.is_empty(),
        "the database differs from the lowered model:\n{}\n\n{sql}",
        differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    );
    Proven { conn, sql, expected, sqlite_errors }
}

fn prove(label: &str, source: &str) -> Proven {
    let p = prove_inputs(&[Input { name: format!("{label}.schema"), bytes: source.as_bytes().to_vec() }]);
    assert!(p.sqlite_errors.is_empty(), "the SQLite backend reports errors: {:#?}", p.sqlite_errors);
    p
}

fn example(name: &str) -> Vec<Input> {
    support::example_inputs(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name))
}

/// The messages of the SQLite backend's errors, each E0802 or E0801.
fn messages(p: &Proven) -> Vec<String> {
    for d in &p.sqlite_errors {
        assert!(d.code == codes::E0802 || d.code == codes::E0801, "unexpected code: {d:#?}");
        assert!(d.help.is_some(), "no help: {d:#?}");
    }
    p.sqlite_errors.iter().map(|d| d.message.clone()).collect()
}

fn assert_rejected(p: &Proven, expected: &[&str]) {
    let got = messages(p);
    let expected: Vec<String> = expected.iter().map(|m| format!("{m}: not expressible on SQLite")).collect();
    assert_eq!(got, expected, "\nthe SQLite diagnostics are not the documented ones");
}

#[test]
fn example_saas_reports_what_sqlite_cannot_honour_and_the_rest_matches() {
    let p = prove_inputs(&example("saas"));
    assert_rejected(
        &p,
        &[
            "the regular expression match `~` in type `slug`",
            "the regular expression match `~` in type `email`",
            "`pii(encrypt)` on field `User.ssn`",
            "`pii(mask)` on field `User.phone`",
            "pattern `tenant_scoped` (tenant isolation) on `Comment`, `Membership`, `Post`, `Profile`, `Reaction`, \
             `Team`, `User`",
            "role `app_user` and its 29 grant(s)",
            "role `auditor` and its 1 grant(s)",
            "role `support` and its 3 grant(s)",
            "policy `own_posts`",
            "policy `published_only`",
            "policy `billing`",
            "policy `own_tenant`",
        ],
    );
    // The rest is there: the junction with its composite key, the exclusive
    // arc's check, the covering partial index as a composite one.
    let membership = p.expected.table("membership").expect("junction");
    assert_eq!(membership.primary_key, ["user_id", "team_id"]);
    let index = p.expected.indexes.iter().find(|i| i.name == "post_author_id_published_at_idx").expect("index");
    assert_eq!(index.keys, ["\"author_id\"", "\"published_at\" DESC", "\"title\""]);
    assert_eq!(index.predicate.as_deref(), Some("\"published\""));
    assert!(p.sql.contains("CREATE VIEW \"live_posts\" AS SELECT"));
    // The patterns SQLite lowers with triggers are there and work: a soft
    // deleted, audited user; a post found by its words, with its history.
    for object in ["user_live", "post_history", "audit_log", "post_search"] {
        assert!(p.sql.contains(&format!("\"{object}\"")), "no {object} in the script");
    }
}

#[test]
fn example_ecommerce_reports_what_sqlite_cannot_honour_and_the_rest_matches() {
    let p = prove_inputs(&example("ecommerce"));
    assert_rejected(
        &p,
        &[
            "`pii(encrypt)` on field `Customer.birth_date`",
            "the regular expression match `~` in type `email`",
            "the regular expression match `~` in type `country_code`",
            "`pii(mask)` on field `Customer.phone`",
            "the regular expression match `~` in type `currency`",
            "`partition by` (occurred_at) of entity `OrderEvent`",
            "`= identity` on field `OrderEvent.id`",
            "the regular expression match `~` in type `slug`",
            "`using gin` on the index (tags) of entity `Product`",
            "`using gin` on the index (attributes) of entity `Product`",
            "trigger `order_item_reserves_stock`, whose function `reserve_stock` has no SQL for SQLite",
            "role `analyst` and its 4 grant(s)",
            "role `shop_api` and its 18 grant(s)",
            "role `warehouse_worker` and its 4 grant(s)",
        ],
    );
    // A generated column, an enum as a check, money as REAL.
    let order = p.expected.table("order").expect("order");
    assert_eq!(order.column("total").and_then(|c| c.generated.as_deref()), Some("\"subtotal\" + \"shipping\""));
    assert!(order.checks.iter().any(|c| c.name == "order_status_enum"));
    assert_eq!(order.column("subtotal").map(|c| c.ty.as_str()), Some("REAL"));
}

#[test]
fn example_rental_reports_what_sqlite_cannot_honour_and_the_rest_matches() {
    let p = prove_inputs(&example("rental"));
    assert_rejected(
        &p,
        &["`partition by` (payment_date) of entity `Payment`", "`= identity` on field `Payment.payment_id`"],
    );
    // Pagila's `year` domain is a check on each column of that type, and
    // every table's `last_update` moves on update.
    let film = p.expected.table("film").expect("film");
    assert!(film
        .checks
        .iter()
        .any(|c| c.name == "film_release_year_check" && c.expr.contains("BETWEEN 1901 AND 2155")));
    p.run(
        "INSERT INTO language (name) VALUES ('English'); UPDATE language SET last_update = '2000-01-01 00:00:00.000';",
    );
    p.run("UPDATE language SET name = 'English (UK)'");
    assert!(p.text("SELECT last_update FROM language").as_str() > "2020");
}

/// Every behaviour the tests below exercise, in one schema.
const SHOP: &str = r#"
use std::patterns::{timestamps, versioned}

enum Status { draft, live }

entity Account {
  id       bigint = identity primary
  name     text
  status   Status = draft
  settings json   = {}
  key      uuid   = uuid_v7()
  token    uuid   = uuid_v4()
  tags     text[] = []
  code     varchar(4)?
  apply timestamps, versioned
}

entity Member {
  id     bigint = identity primary
  email  text
  active bool   = true
  unique (email) where active
  index (lower(email))
}

relation Member.account -> Account.members {
  required
  on delete cascade
}
"#;

#[test]
fn touch_moves_updated_at_and_keeps_created_at() {
    let p = prove("touch", SHOP);
    p.run("INSERT INTO account (name) VALUES ('a')");
    p.run("UPDATE account SET updated_at = '2000-01-01 00:00:00.000'");
    assert_eq!(p.text("SELECT updated_at FROM account"), "2000-01-01 00:00:00.000", "an explicit value is kept");
    let created = p.text("SELECT created_at FROM account");
    p.run("UPDATE account SET name = 'b'");
    let updated = p.text("SELECT updated_at FROM account");
    assert!(updated.as_str() > "2000-01-01 00:00:00.000" && updated.len() == 23, "{updated}");
    assert_eq!(p.text("SELECT created_at FROM account"), created);
}

#[test]
fn an_immutable_column_refuses_changes() {
    let p = prove("immutable", SHOP);
    p.run("INSERT INTO account (name) VALUES ('a')");
    let message = p.refused("UPDATE account SET created_at = '2000-01-01'");
    assert!(message.contains("created_at of account cannot be changed"), "{message}");
    p.run("UPDATE account SET name = 'b'");
}

#[test]
fn optimistic_locking_bumps_the_version_and_skips_stale_updates() {
    let p = prove("versioned", SHOP);
    p.run("INSERT INTO account (name) VALUES ('a')");
    p.run("UPDATE account SET name = 'b'");
    assert_eq!(p.int("SELECT version FROM account"), 2, "an update that leaves the version alone bumps it");
    p.run("UPDATE account SET name = 'stale', version = 1");
    assert_eq!(p.text("SELECT name FROM account"), "b", "an update from a stale read changes nothing");
    p.run("UPDATE account SET name = 'c', version = 3");
    assert_eq!((p.text("SELECT name FROM account"), p.int("SELECT version FROM account")), ("c".into(), 3));
}

#[test]
fn checks_keep_enums_json_arrays_and_lengths() {
    let p = prove("checks", SHOP);
    let message = p.refused("INSERT INTO account (name, status) VALUES ('a', 'bogus')");
    assert!(message.contains("account_status_enum"), "{message}");
    let message = p.refused("INSERT INTO account (name, settings) VALUES ('a', '{bad')");
    assert!(message.contains("account_settings_json"), "{message}");
    let message = p.refused("INSERT INTO account (name, tags) VALUES ('a', '{}')");
    assert!(message.contains("account_tags_array"), "{message}");
    let message = p.refused("INSERT INTO account (name, code) VALUES ('a', 'ABCDE')");
    assert!(message.contains("account_code_length"), "{message}");
    p.run("INSERT INTO account (name) VALUES ('owner')");
    let message = p.refused("INSERT INTO member (email, active, account_id) VALUES ('x', 2, 1)");
    assert!(message.contains("member_active_bool"), "{message}");
    // STRICT: a value of another type is refused, not stored.
    let message = p.refused("INSERT INTO account (name, version) VALUES ('a', 'abc')");
    assert!(message.contains("cannot store TEXT value in INTEGER column account.version"), "{message}");
    p.run("INSERT INTO account (name, status, tags, code) VALUES ('a', 'live', '[\"x\"]', 'ABCD')");
}

#[test]
fn identity_and_uuid_defaults_fill_themselves_in() {
    let p = prove("defaults", SHOP);
    p.run("INSERT INTO account (name) VALUES ('a'); INSERT INTO account (name) VALUES ('b')");
    assert_eq!(p.int("SELECT max(id) FROM account"), 2);
    let v7 = p.text("SELECT key FROM account WHERE id = 1");
    let v4 = p.text("SELECT token FROM account WHERE id = 1");
    for (uuid, version) in [(&v7, '7'), (&v4, '4')] {
        assert_eq!(uuid.len(), 36, "{uuid}");
        assert_eq!(uuid.chars().nth(14), Some(version), "{uuid}");
        assert!("89ab".contains(uuid.chars().nth(19).unwrap()), "{uuid}");
        assert!(uuid.chars().all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{uuid}");
    }
    assert_ne!(v7, p.text("SELECT key FROM account WHERE id = 2"));
    assert_eq!(p.text("SELECT settings || tags FROM account WHERE id = 1"), "{}[]");
}

#[test]
fn on_delete_cascade_removes_the_children() {
    let p = prove("cascade", SHOP);
    p.run("INSERT INTO account (name) VALUES ('a'); INSERT INTO member (email, account_id) VALUES ('x', 1), ('y', 1)");
    let message = p.refused("INSERT INTO member (email, account_id) VALUES ('z', 99)");
    assert!(message.contains("FOREIGN KEY"), "{message}");
    p.run("DELETE FROM account");
    assert_eq!(p.int("SELECT count(*) FROM member"), 0);
}

#[test]
fn a_partial_unique_index_allows_duplicates_outside_its_condition() {
    let p = prove("partial", SHOP);
    p.run("INSERT INTO account (name) VALUES ('a')");
    p.run("INSERT INTO member (email, active, account_id) VALUES ('x', 0, 1), ('x', 0, 1), ('x', 1, 1)");
    let message = p.refused("INSERT INTO member (email, active, account_id) VALUES ('x', 1, 1)");
    assert!(message.contains("UNIQUE"), "{message}");
    let index = p.expected.indexes.iter().find(|i| i.name == "member_email_idx");
    assert!(index.is_some_and(|i| i.keys == ["(lower(\"email\"))"]), "{:#?}", p.expected.indexes);
    assert_eq!(p.int("SELECT id FROM member WHERE lower(email) = 'x' AND active"), 3);
}

#[test]
fn keywords_and_quotes_in_names_are_quoted() {
    let p = prove(
        "quoting",
        r#"
entity Order {
  id     bigint = identity primary
  select text   column "sel\"ect"
  group  int?
  check (length(select) > 0)
}
"#,
    );
    p.run(r#"INSERT INTO "order" ("sel""ect", "group") VALUES ('x', 1)"#);
    assert_eq!(p.int(r#"SELECT "group" FROM "order""#), 1);
}

#[test]
fn regular_expressions_are_refused_with_the_backend_named() {
    let mut compilation = driver::compile_str(
        "regex.schema",
        "entity Tag {\n  id bigint = identity primary\n  name text check (name ~ '^[a-z]+$')\n}\n",
    );
    assert!(!compilation.has_errors(), "{:#?}", compilation.diagnostics);
    let output = pipeline::build(&mut compilation, &both_targets());
    let errors: Vec<&Diagnostic> = output.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].code, codes::E0802);
    assert_eq!(
        errors[0].message,
        "the regular expression match `~` in a check of entity `Tag`: not expressible on SQLite"
    );
    assert!(errors[0].primary_span().is_some(), "points at the entity");
}

#[test]
fn the_script_is_the_same_for_the_same_sources() {
    let build = || {
        let mut compilation = driver::compile(&example("rental"));
        let output = pipeline::build(&mut compilation, &both_targets());
        output.artifacts.into_iter().find(|a| a.path == "sqlite/schema.sql").expect("artifact").contents
    };
    let first = build();
    assert_eq!(first, build());
    assert!(first.starts_with("-- SQLite schema of `"));
    assert!(first.contains("PRAGMA foreign_keys = ON;\n\nBEGIN;\n") && first.ends_with("COMMIT;\n"));
}

#[test]
fn a_deferrable_foreign_key_is_checked_at_commit() {
    let p = prove(
        "deferrable",
        "entity Node {\n  id bigint = identity primary\n  name text\n}\n\n\
         relation Node.parent -> Node.children {\n  deferrable\n}\n",
    );
    assert!(p.expected.tables[0].foreign_keys[0].deferrable);
    p.run("BEGIN; INSERT INTO node (id, name, parent_id) VALUES (1, 'a', 2); INSERT INTO node (id, name) VALUES (2, 'b'); COMMIT;");
    let message = p.refused("BEGIN; INSERT INTO node (id, name, parent_id) VALUES (3, 'c', 99); COMMIT;");
    assert!(message.contains("FOREIGN KEY"), "{message}");
}
