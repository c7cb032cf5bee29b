//! The MySQL/MariaDB backend, proven on the real server (MariaDB 10.11 at
//! `SCHEMAC_TEST_MYSQL`): each example and each construct is built with
//! targets `postgres` and `mysql`; the mysql/schema.sql artifact applies to
//! a fresh database, and the schema read back through information_schema
//! equals the model the IR lowers to. What MySQL/MariaDB cannot honour is
//! an E0802 that names the backend and the construct; behaviours (touch,
//! immutable, optimistic locking, checks, enums, cascades, set null,
//! AUTO_INCREMENT) are proven with rows.

#[path = "support/mysql.rs"]
mod mysql_db;
mod support;

use std::path::Path;

use ::mysql::prelude::Queryable;
use mysql_db::TestDb;
use schemac::backends::mysql::{self as backend, compare::compare, Schema};
use schemac::diagnostics::{codes, Diagnostic};
use schemac::driver::{self, Input};
use schemac::import::introspect;
use schemac::pipeline;

/// A schema built for both targets, applied to MariaDB and read back.
struct Proven {
    db: TestDb,
    sql: String,
    expected: Schema,
    /// The errors the MySQL backend reported (what it left out).
    mysql_errors: Vec<Diagnostic>,
}

impl Proven {
    fn run(&mut self, sql: &str) {
        let sql = sql.to_string();
        self.db.conn.query_drop(&sql).unwrap_or_else(|e| panic!("{sql}: {e}\n\n{}", self.sql));
    }

    /// Runs a statement that must fail; returns the server's message.
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
}

fn both_targets() -> pipeline::Options {
    pipeline::Options { targets: vec!["postgres".into(), "mysql".into()], ..pipeline::Options::default() }
}

fn prove_inputs(label: &str, inputs: &[Input]) -> Proven {
    let mut compilation = driver::compile(inputs);
    let errors: Vec<&Diagnostic> = compilation.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "the source does not compile: {errors:#?}");
    let output = pipeline::build(&mut compilation, &both_targets());
    let sql = output.artifacts.iter().find(|a| a.path == "mysql/schema.sql").expect("mysql artifact").contents.clone();
    let (expected, _) = backend::lower::lower(&compilation.ir, &compilation.source_map);
    let mysql_errors: Vec<Diagnostic> =
        output.diagnostics.into_iter().filter(|d| d.is_error() && d.message.contains("MySQL")).collect();
    let mut db = TestDb::new(label);
    db.apply(&sql).unwrap_or_else(|e| panic!("the schema does not apply: {e}\n\n{sql}"));
    let name = db.name.clone();
    let actual = introspect::mysql::read_schema(&mut db.conn, &name).expect("introspection");
    let differences = compare(&expected, &actual);
    assert!(
        differences.is_empty(),
        "the database differs from the lowered model:\n{}\n\n{sql}",
        differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    );
    Proven { db, sql, expected, mysql_errors }
}

fn prove(label: &str, source: &str) -> Proven {
    let p = prove_inputs(label, &[Input { name: format!("{label}.schema"), bytes: source.as_bytes().to_vec() }]);
    assert!(p.mysql_errors.is_empty(), "the MySQL backend reports errors: {:#?}", p.mysql_errors);
    p
}

fn example(name: &str) -> Vec<Input> {
    support::example_inputs(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name))
}

/// The messages of the MySQL backend's errors, each E0802 or E0801.
fn messages(p: &Proven) -> Vec<String> {
    for d in &p.mysql_errors {
        assert!(d.code == codes::E0802 || d.code == codes::E0801, "unexpected code: {d:#?}");
        assert!(d.help.is_some(), "no help: {d:#?}");
    }
    p.mysql_errors.iter().map(|d| d.message.clone()).collect()
}

fn assert_rejected(p: &Proven, expected: &[&str]) {
    let got = messages(p);
    let expected: Vec<String> = expected.iter().map(|m| format!("{m}: not expressible on MySQL/MariaDB")).collect();
    assert_eq!(got, expected, "\nthe MySQL diagnostics are not the documented ones");
}

#[test]
fn example_saas_reports_what_mysql_cannot_honour_and_the_rest_matches() {
    let mut p = prove_inputs("saas", &example("saas"));
    assert_rejected(
        &p,
        &[
            "full-text `search` of entity `Post`",
            "`pii(encrypt)` on field `User.ssn`",
            "`pii(mask)` on field `User.phone`",
            "pattern `tenant_scoped` (tenant isolation) on `Comment`, `Membership`, `Post`, `Profile`, `Reaction`, \
             `Team`, `User`",
            "policy `own_posts`",
            "policy `published_only`",
            "policy `billing`",
            "policy `own_tenant`",
        ],
    );
    // The rest is there: the junction with its composite key, the covering
    // partial index as a composite one over every row, the regex checks.
    let membership = p.expected.table("membership").expect("junction");
    assert_eq!(membership.primary_key, ["user_id", "team_id"]);
    let post = p.expected.table("post").expect("post");
    let index = post.index("post_author_id_published_at_idx").expect("index");
    assert_eq!(index.keys, ["`author_id`", "`published_at` DESC", "`title`"]);
    assert!(p.sql.contains("CREATE SQL SECURITY INVOKER VIEW `live_posts` AS SELECT"));
    let user = p.expected.table("user").expect("user");
    assert!(user.checks.iter().any(|c| c.name == "user_email_check" && c.expr.contains("REGEXP")));
    p.run("INSERT INTO tenant (slug, name) VALUES ('acme', 'Acme')");
    let message = p.refused("INSERT INTO tenant (slug, name) VALUES ('Not A Slug', 'B')");
    assert!(message.contains("tenant_slug_check"), "{message}");
    // The exclusive arc's check reads columns whose foreign keys cascade,
    // which MySQL 8 allows no CHECK on: it is BEFORE triggers instead.
    let arc = p.expected.triggers.iter().find(|t| t.table == "reaction" && t.event == "INSERT" && t.timing == "BEFORE");
    let arc = arc.expect("the arc's trigger").name.clone();
    assert!(!p.expected.table("reaction").expect("reaction").checks.iter().any(|c| arc.starts_with(&c.name)));
    let message = p.refused("INSERT INTO reaction (kind, tenant_id, author_id) VALUES ('love', 'x', 'y')");
    assert!(message.contains("failed on reaction"), "{arc}: {message}");
}

#[test]
fn example_ecommerce_reports_what_mysql_cannot_honour_and_the_rest_matches() {
    let mut p = prove_inputs("ecommerce", &example("ecommerce"));
    assert_rejected(
        &p,
        &[
            "`pii(encrypt)` on field `Customer.birth_date`",
            "`pii(mask)` on field `Customer.phone`",
            "`partition by` (occurred_at) of entity `OrderEvent`",
            "full-text `search` of entity `Product`",
            "`using gin` on the index (tags) of entity `Product`",
            "`using gin` on the index (attributes) of entity `Product`",
            "trigger `order_item_reserves_stock`, whose function `reserve_stock` has no SQL for MySQL",
        ],
    );
    // A generated column, a native enum, money as an exact decimal.
    let order = p.expected.table("order").expect("order");
    assert_eq!(order.column("total").and_then(|c| c.generated.as_deref()), Some("`subtotal` + `shipping`"));
    assert!(order.column("status").is_some_and(|c| c.ty.starts_with("enum('cart','placed'")));
    assert_eq!(order.column("subtotal").map(|c| c.ty.as_str()), Some("decimal(19,4)"));
    p.run(
        "INSERT INTO customer (email, full_name, country) VALUES ('a@b.c', 'A', 'DE'); \
         INSERT INTO `order` (number, customer_id, subtotal, shipping) SELECT 'n1', id, 10.25, 1.5 FROM customer",
    );
    assert_eq!(p.text("SELECT CAST(total AS CHAR) FROM `order`"), "11.7500");
    // Roles and their table and column privileges, read back from the grant tables.
    let name = p.db.name.clone();
    let actual = introspect::mysql::read_schema(&mut p.db.conn, &name).expect("introspection");
    let worker = actual.roles.iter().find(|r| r.name == "warehouse_worker").expect("role");
    let update: Vec<String> = worker
        .privileges
        .iter()
        .filter(|g| g.privilege == "UPDATE")
        .map(|g| format!("{}.{}", g.table, g.column.as_deref().unwrap_or("*")))
        .collect();
    assert_eq!(update, ["inventory.on_hand", "inventory.reserved"]);
    assert!(p.sql.contains("CREATE ROLE IF NOT EXISTS `analyst`;\n"));
    assert!(p.sql.contains("-- `analyst` may sign in on PostgreSQL; a MySQL role cannot."));
}

#[test]
fn example_rental_reports_what_mysql_cannot_honour_and_the_rest_matches() {
    let mut p = prove_inputs("rental", &example("rental"));
    assert_rejected(&p, &["full-text `search` of entity `Film`", "`partition by` (payment_date) of entity `Payment`"]);
    // Pagila's `year` domain is a check on each column of that type, the
    // payment's AUTO_INCREMENT column gets the index InnoDB needs, and every
    // table's `last_update` moves on update.
    let film = p.expected.table("film").expect("film");
    assert!(film
        .checks
        .iter()
        .any(|c| c.name == "film_release_year_check" && c.expr.contains("BETWEEN 1901 AND 2155")));
    let payment = p.expected.table("payment").expect("payment");
    assert!(payment.index("payment_payment_id_idx").is_some(), "{:#?}", payment.indexes);
    p.run("INSERT INTO language (name) VALUES ('English')");
    p.run("UPDATE language SET last_update = '2000-01-01 00:00:00'");
    let before = p.text("SELECT CAST(last_update AS CHAR) FROM language");
    p.run("UPDATE language SET name = 'English (UK)'");
    let after = p.text("SELECT CAST(last_update AS CHAR) FROM language");
    assert!(after > before && after.as_str() > "2020", "{before} → {after}");
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
  balance  numeric(10, 2) = 0 check (balance >= 0)
  apply timestamps, versioned
}

entity Member {
  id     bigint = identity primary
  email  text   unique
  active bool   = true
  index (email, active desc)
}

relation Member.account -> Account.members {
  required
  on delete cascade
}

relation Member.mentor -> Member.mentees {
  on delete set null
}
"#;

#[test]
fn touch_moves_updated_at_and_created_at_is_immutable() {
    let mut p = prove("touch", SHOP);
    p.run("INSERT INTO account (name) VALUES ('a')");
    p.run("SET @old = '2000-01-01 00:00:00.000000'");
    p.run("UPDATE account SET updated_at = @old");
    let updated = p.text("SELECT CAST(updated_at AS CHAR) FROM account");
    assert!(updated.as_str() > "2020", "every update moves updated_at, as on PostgreSQL: {updated}");
    let created = p.text("SELECT CAST(created_at AS CHAR) FROM account");
    p.run("UPDATE account SET name = 'b'");
    assert_eq!(p.text("SELECT CAST(created_at AS CHAR) FROM account"), created);
    let message = p.refused("UPDATE account SET created_at = '2000-01-01'");
    assert!(message.contains("created_at of account cannot be changed"), "{message}");
}

#[test]
fn optimistic_locking_bumps_the_version_and_refuses_stale_updates() {
    let mut p = prove("versioned", SHOP);
    p.run("INSERT INTO account (name) VALUES ('a')");
    p.run("UPDATE account SET name = 'b'");
    assert_eq!(p.int("SELECT version FROM account"), 2, "an update that leaves the version alone bumps it");
    let message = p.refused("UPDATE account SET name = 'stale', version = 1");
    assert!(message.contains("stale version of account"), "{message}");
    assert_eq!(p.text("SELECT name FROM account"), "b", "an update from a stale read changes nothing");
    p.run("UPDATE account SET name = 'c', version = 3");
    assert_eq!((p.text("SELECT name FROM account"), p.int("SELECT version FROM account")), ("c".into(), 3));
}

#[test]
fn checks_enums_arrays_and_lengths_refuse_bad_rows() {
    let mut p = prove("checks", SHOP);
    let message = p.refused("INSERT INTO account (name, status) VALUES ('a', 'bogus')");
    assert!(message.contains("status"), "{message}");
    let message = p.refused("INSERT INTO account (name, settings) VALUES ('a', '{bad')");
    assert!(message.contains("settings"), "{message}");
    let message = p.refused("INSERT INTO account (name, tags) VALUES ('a', '{}')");
    assert!(message.contains("account_tags_array"), "{message}");
    let message = p.refused("INSERT INTO account (name, code) VALUES ('a', 'ABCDE')");
    assert!(message.contains("code"), "{message}");
    let message = p.refused("INSERT INTO account (name, balance) VALUES ('a', -1)");
    assert!(message.contains("account_balance_check"), "{message}");
    p.run("INSERT INTO account (name, status, tags, code) VALUES ('a', 'live', '[\"x\"]', 'ABCD')");
    assert_eq!(p.text("SELECT status FROM account"), "live");
}

#[test]
fn auto_increment_and_uuid_defaults_fill_themselves_in() {
    let mut p = prove("defaults", SHOP);
    p.run("INSERT INTO account (name) VALUES ('a'); INSERT INTO account (name) VALUES ('b')");
    assert_eq!(p.int("SELECT max(id) FROM account"), 2);
    let v7 = p.text("SELECT `key` FROM account WHERE id = 1");
    let v4 = p.text("SELECT token FROM account WHERE id = 1");
    for (uuid, version) in [(&v7, '7'), (&v4, '4')] {
        assert_eq!(uuid.len(), 36, "{uuid}");
        assert_eq!(uuid.chars().nth(14), Some(version), "{uuid}");
        assert!("89ab".contains(uuid.chars().nth(19).unwrap()), "{uuid}");
        assert!(uuid.chars().all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{uuid}");
    }
    assert_ne!(v7, p.text("SELECT `key` FROM account WHERE id = 2"));
    assert_eq!(p.text("SELECT concat(settings, tags) FROM account WHERE id = 1"), "{}[]");
}

#[test]
fn foreign_keys_cascade_set_null_and_unique_keys_refuse_duplicates() {
    let mut p = prove("cascade", SHOP);
    p.run("INSERT INTO account (name) VALUES ('a')");
    p.run("INSERT INTO member (email, account_id) VALUES ('x', 1)");
    p.run("INSERT INTO member (email, account_id, mentor_id) VALUES ('y', 1, 1)");
    let message = p.refused("INSERT INTO member (email, account_id) VALUES ('z', 99)");
    assert!(message.contains("foreign key constraint fails"), "{message}");
    let message = p.refused("INSERT INTO member (email, account_id) VALUES ('x', 1)");
    assert!(message.contains("Duplicate entry"), "{message}");
    // Text compares as on PostgreSQL: case matters.
    p.run("INSERT INTO member (email, account_id) VALUES ('X', 1)");
    p.run("DELETE FROM member WHERE email = 'x'");
    assert_eq!(p.int("SELECT count(*) FROM member WHERE mentor_id IS NULL"), 2, "set null");
    p.run("DELETE FROM account");
    assert_eq!(p.int("SELECT count(*) FROM member"), 0, "cascade");
}

#[test]
fn keywords_and_quotes_in_names_are_quoted() {
    let mut p = prove(
        "quoting",
        r#"
entity Order {
  id     bigint = identity primary
  select text   column "sel`ect"
  group  int?
  note   text = 'it''s \ fine'
  check (length(select) > 0)
}
"#,
    );
    p.run("INSERT INTO `order` (`sel``ect`, `group`) VALUES ('x', 1)");
    assert_eq!(p.int("SELECT `group` FROM `order`"), 1);
    assert_eq!(p.text("SELECT note FROM `order`"), "it's \\ fine");
}

#[test]
fn names_over_64_characters_are_refused() {
    let long = "A".repeat(65);
    let mut compilation =
        driver::compile_str("long.schema", &format!("entity {long} {{\n  id bigint = identity primary\n}}\n"));
    let errors: Vec<&Diagnostic> = compilation.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut options = both_targets();
    options.targets = vec!["mysql".into()];
    let output = pipeline::build(&mut compilation, &options);
    let errors: Vec<&Diagnostic> = output.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].code, codes::E0800);
    assert!(errors[0].message.contains("MySQL allows 64"), "{}", errors[0].message);
}

#[test]
fn two_objects_with_one_name_in_a_mysql_namespace_are_refused() {
    let mut compilation = driver::compile_str(
        "dup.schema",
        "entity Tag {\n  id bigint = identity primary\n  a int\n  b int\n  index same (a)\n  index same (b)\n}\n\n\
         entity Other {\n  id bigint = identity primary\n  a int\n  index same (a)\n  check pos (a > 0)\n}\n\n\
         entity Third {\n  id bigint = identity primary\n  a int\n  check pos (a > 1)\n}\n",
    );
    assert!(!compilation.has_errors(), "{:#?}", compilation.diagnostics);
    let mut options = both_targets();
    options.targets = vec!["mysql".into()];
    let output = pipeline::build(&mut compilation, &options);
    let errors: Vec<&Diagnostic> = output.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.iter().all(|d| d.code == codes::E0801), "{errors:#?}");
    let messages: Vec<&str> = errors.iter().map(|d| d.message.as_str()).collect();
    // Index names are per table (`same` on Other is fine); check names per database.
    assert_eq!(
        messages,
        [
            "the index `same` of entity `Tag` and the index `same` of entity `Tag` would both be `same` on \
             MySQL/MariaDB",
            "check `pos` and check `pos` would both be `pos` on MySQL/MariaDB",
        ]
    );
}

#[test]
fn expression_and_gin_indexes_are_refused_with_the_backend_named() {
    let mut compilation = driver::compile_str(
        "expr.schema",
        "entity Tag {\n  id bigint = identity primary\n  name text\n  tags text[]\n  index (lower(name))\n  \
         index (tags) using gin\n}\n",
    );
    assert!(!compilation.has_errors(), "{:#?}", compilation.diagnostics);
    let output = pipeline::build(&mut compilation, &both_targets());
    let errors: Vec<String> = output.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
    assert_eq!(
        errors,
        [
            "an expression key of the index (…) of entity `Tag`: not expressible on MySQL/MariaDB",
            "`using gin` on the index (tags) of entity `Tag`: not expressible on MySQL/MariaDB",
        ]
    );
    assert!(output.diagnostics.iter().filter(|d| d.is_error()).all(|d| d.code == codes::E0802 && d.help.is_some()));
}

#[test]
fn the_script_is_the_same_for_the_same_sources() {
    let build = || {
        let mut compilation = driver::compile(&example("rental"));
        let output = pipeline::build(&mut compilation, &both_targets());
        output.artifacts.into_iter().find(|a| a.path == "mysql/schema.sql").expect("artifact").contents
    };
    let first = build();
    assert_eq!(first, build());
    assert!(first.starts_with("-- MySQL 8.0 / MariaDB 10.11 schema of `"));
    assert!(first.contains("SET FOREIGN_KEY_CHECKS = 0;") && first.ends_with("DELIMITER ;\n"));
}

#[test]
fn a_json_shape_refuses_documents_of_another_shape() {
    let mut p = prove(
        "shape",
        r#"
enum Theme { light, dark }

type Prefs = json {
  theme Theme?
  size  int
  tags  json[]?
}

entity Profile {
  id    bigint = identity primary
  prefs Prefs  = { 'size': 1 }
}
"#,
    );
    p.run("INSERT INTO profile (prefs) VALUES ('{\"size\": 2, \"theme\": \"dark\", \"extra\": true}')");
    p.run("INSERT INTO profile () VALUES ()");
    for bad in ["[]", "{\"theme\": \"dark\"}", "{\"size\": \"2\"}", "{\"size\": 2, \"theme\": \"blue\"}"] {
        let message = p.refused(&format!("INSERT INTO profile (prefs) VALUES ('{bad}')"));
        assert!(message.contains("profile_prefs_check"), "{bad}: {message}");
    }
}

#[test]
fn source_triggers_and_views_use_their_mysql_bodies() {
    let mut p = prove(
        "routines",
        r#"
entity Post {
  id        bigint = identity primary
  title     text
  published bool   = false
  score     int    = 0
}

function trim_title() returns trigger language sql {
  sql postgres "begin new.title := trim(new.title); return new; end"
  sql mysql "SET NEW.title = trim(NEW.title); SET NEW.score = NEW.score + 1"
}

trigger post_trim_title on Post before insert or update execute trim_title

view Published = Post where published select (id, title)
materialized view Drafts = Post where not published

view TitleCount {
  sql postgres "select count(*) as n from post"
  sql mysql "select count(*) as n from post"
}
"#,
    );
    assert_eq!(
        p.expected.triggers.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["post_trim_title_insert", "post_trim_title_update"]
    );
    p.run("INSERT INTO post (title) VALUES ('  hello  ')");
    assert_eq!(p.text("SELECT title FROM post"), "hello");
    p.run("UPDATE post SET title = ' again ', published = 1");
    assert_eq!((p.text("SELECT title FROM post"), p.int("SELECT score FROM post")), ("again".into(), 2));
    assert_eq!(p.int("SELECT count(*) FROM published"), 1);
    assert_eq!(p.int("SELECT count(*) FROM drafts"), 0);
    assert_eq!(p.int("SELECT n FROM title_count"), 1);
    let drafts = p.expected.views.iter().find(|v| v.name == "drafts").expect("drafts");
    assert!(drafts.comment.as_deref().is_some_and(|c| c.contains("no materialized views")));
}

#[test]
fn audit_appends_every_change_and_the_log_refuses_changes() {
    let mut p = prove(
        "audit",
        r#"
use std::patterns::{audit}

entity Doc {
  id    bigint = identity primary
  title text
  pages int    = 1
  apply audit
}
"#,
    );
    p.run("SET @`app.user_id` = 'alice'");
    p.run("INSERT INTO doc (title) VALUES ('a')");
    p.run("UPDATE doc SET title = 'b'");
    p.run("DELETE FROM doc");
    assert_eq!(
        p.text("SELECT group_concat(op ORDER BY id) FROM audit_log WHERE table_name = 'doc' AND actor = 'alice'"),
        "INSERT,UPDATE,DELETE"
    );
    assert_eq!(p.text("SELECT json_extract(changed, '$[0]') FROM audit_log WHERE op = 'UPDATE'"), "\"title\"");
    assert_eq!(p.int("SELECT json_length(changed) FROM audit_log WHERE op = 'UPDATE'"), 1);
    assert_eq!(p.int("SELECT json_extract(row_key, '$.id') FROM audit_log WHERE op = 'DELETE'"), 1);
    assert_eq!(p.text("SELECT json_unquote(json_extract(old_row, '$.title')) FROM audit_log WHERE op = 'DELETE'"), "b");
    let message = p.refused("UPDATE audit_log SET actor = 'mallory'");
    assert!(message.contains("append-only"), "{message}");
    let message = p.refused("DELETE FROM audit_log");
    assert!(message.contains("append-only"), "{message}");
}

#[test]
fn temporal_files_each_old_version_in_the_history() {
    let mut p = prove(
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
    assert!(p.expected.table("price_history").is_some_and(|t| t.column("valid_to").is_some()));
    p.run("INSERT INTO price (amount) VALUES (1)");
    p.run("UPDATE price SET amount = 2");
    p.run("UPDATE price SET amount = 3");
    assert_eq!(p.text("SELECT group_concat(CAST(amount AS CHAR) ORDER BY valid_from) FROM price_history"), "1.00,2.00");
    assert_eq!(p.int("SELECT count(*) FROM price_history h JOIN price_history n ON n.valid_from = h.valid_to"), 1);
    assert_eq!(p.int("SELECT count(*) FROM price p JOIN price_history h ON h.valid_to = p.valid_from"), 1, "no gap");
    p.run("DELETE FROM price");
    assert_eq!(p.int("SELECT count(*) FROM price_history"), 3);
    assert_eq!(p.int("SELECT count(*) FROM price_history WHERE valid_from >= valid_to"), 0);
}

#[test]
fn what_mysql_8_refuses_is_reported_at_compile_time() {
    let mut compilation = driver::compile_str(
        "limits.schema",
        "entity Wide {\n  id bigint = identity primary\n  a text\n  b text\n  c text\n  d text\n  doc json\n  \
         twice bigint = generated(id * 2)\n  unique (a, b, c, d)\n  index (doc)\n  check (id > 0)\n}\n",
    );
    assert!(!compilation.has_errors(), "{:#?}", compilation.diagnostics);
    let output = pipeline::build(&mut compilation, &both_targets());
    let errors: Vec<String> = output
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && d.message.contains("MySQL"))
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(
        errors,
        [
            "the generated value of field `Wide.twice`, computed from an AUTO_INCREMENT column: not expressible on \
             MySQL/MariaDB",
            "the json field `Wide.doc` in a key or an index: not expressible on MySQL/MariaDB",
            "a check of entity `Wide` on the AUTO_INCREMENT column `id`: not expressible on MySQL/MariaDB",
            "the unique key (a, b, c, d) of entity `Wide`, 4080 bytes long: not expressible on MySQL/MariaDB",
        ]
    );
}

/// The ```schema blocks of every page in spec/ (errors.md's fail on purpose).
fn spec_blocks() -> Vec<(String, String)> {
    let mut pages = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("spec")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("spec/").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") && !path.ends_with("errors.md") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    let mut blocks = Vec::new();
    for page in pages {
        let text = std::fs::read_to_string(&page).expect("page");
        let mut current: Option<String> = None;
        for line in text.lines() {
            match &mut current {
                None if line.trim() == "```schema" => current = Some(String::new()),
                Some(body) if line.trim_start().starts_with("```") => {
                    blocks.push((format!("{} #{}", page.display(), blocks.len()), std::mem::take(body)));
                    current = None;
                }
                Some(body) => {
                    body.push_str(line);
                    body.push('\n');
                }
                None => {}
            }
        }
    }
    blocks
}

#[test]
fn every_spec_example_mysql_can_hold_applies_and_reads_back_equal() {
    let mut applied = 0;
    for (label, source) in spec_blocks() {
        let inputs = [Input { name: "spec.schema".into(), bytes: source.as_bytes().to_vec() }];
        let mut compilation = driver::compile(&inputs);
        if compilation.has_errors() {
            continue;
        }
        let output = pipeline::build(&mut compilation, &both_targets());
        if output.diagnostics.iter().any(|d| d.is_error()) {
            continue;
        }
        let sql = output.artifacts.iter().find(|a| a.path == "mysql/schema.sql").expect("artifact").contents.clone();
        let (expected, _) = backend::lower::lower(&compilation.ir, &compilation.source_map);
        let mut db = TestDb::new("spec");
        db.apply(&sql).unwrap_or_else(|e| panic!("{label}: the schema does not apply: {e}\n\n{source}\n\n{sql}"));
        let name = db.name.clone();
        let actual = introspect::mysql::read_schema(&mut db.conn, &name).expect("introspection");
        let differences = compare(&expected, &actual);
        assert!(
            differences.is_empty(),
            "{label}: the database differs from the lowered model:\n{}\n\n{sql}",
            differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
        );
        applied += 1;
    }
    assert!(applied >= 30, "only {applied} spec examples applied on MySQL");
}
