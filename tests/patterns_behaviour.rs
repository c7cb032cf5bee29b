//! The behaviours the stdlib patterns attach, proven with rows on the real
//! server: each test compiles a small schema, applies it to its own database
//! and then writes and reads rows, asserting exact results.
//!
//! - `timestamps`: `updated_at` moves on a later update, `created_at` cannot
//!   change (23514) but may be written back unchanged.
//! - `soft_delete`: DELETE marks (0 rows reported), the live view hides and
//!   deletes through (1 row), unique keys hold among live rows only, purge
//!   removes for good, and cascades soft-delete or hard-delete children as
//!   their parents do — never leaving orphans.
//! - `audit`: one log row per changed row with the old and new rows, the
//!   changed columns, the actor and the transaction; the log cannot be
//!   changed by an application role (no privilege) nor by its owner (trigger).
//! - `temporal`: a scripted history read back with `_as_of` at every step;
//!   the history's periods never overlap.
//! - `versioned`: stale updates change nothing, current ones bump once.
//! - `tenant_scoped`: a non-superuser session sees and writes only its
//!   tenant's rows (and history), and nothing without a tenant.
//! - The `saas` example: the patterns together on User.
//!
//! Times are transaction start times, so every step that must happen "later"
//! runs in its own transaction, after a sleep of a few milliseconds.

mod support;

use std::path::Path;
use std::time::{Duration, SystemTime};

use postgres::types::{FromSqlOwned, ToSql};
use postgres::Client;
use schemac::backends::postgres::quote;
use support::pg::TestDb;

// ---------------------------------------------------------------- helpers

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Compiles `text` and applies its schema.sql to a new database.
fn database(label: &str, text: &str) -> TestDb {
    let (_, _, sql) = support::build_state(&format!("{label}.schema"), text, None);
    let mut db = TestDb::new(label);
    db.apply(&sql);
    db
}

/// The SQLSTATE of a server error (or the error itself when it has none).
fn sqlstate(error: &postgres::Error) -> String {
    error.code().map_or_else(|| format!("no SQLSTATE: {error}"), |c| c.code().to_string())
}

/// The single value of a one-row, one-column query.
fn scalar<T: FromSqlOwned>(client: &mut Client, sql: &str, params: Params) -> T {
    client.query_one(sql, params).unwrap_or_else(|e| panic!("{sql}: {}", support::pg::describe(&e, sql))).get(0)
}

/// Runs one statement; returns the number of rows it reports.
fn exec(client: &mut Client, sql: &str, params: Params) -> u64 {
    client.execute(sql, params).unwrap_or_else(|e| panic!("{sql}: {}", support::pg::describe(&e, sql)))
}

/// Runs one statement that must fail; returns the error.
fn refused(client: &mut Client, sql: &str, params: Params) -> postgres::Error {
    match client.execute(sql, params) {
        Ok(n) => panic!("expected an error, but `{sql}` succeeded ({n} rows)"),
        Err(e) => e,
    }
}

/// Asserts `sql` fails with `state`; returns the server's message.
fn refused_with(client: &mut Client, state: &str, sql: &str, params: Params) -> String {
    let error = refused(client, sql, params);
    let message = error.as_db_error().map_or_else(|| error.to_string(), |d| d.message().to_string());
    assert_eq!(sqlstate(&error), state, "`{sql}` failed with the wrong SQLSTATE: {message}");
    message
}

/// The first column of every row of a query.
fn column<T: FromSqlOwned>(client: &mut Client, sql: &str, params: Params) -> Vec<T> {
    client
        .query(sql, params)
        .unwrap_or_else(|e| panic!("{sql}: {}", support::pg::describe(&e, sql)))
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// The rows of a query as `(id, text)` pairs, for exact comparisons.
fn pairs(client: &mut Client, sql: &str, params: Params) -> Vec<(i64, String)> {
    client
        .query(sql, params)
        .unwrap_or_else(|e| panic!("{sql}: {}", support::pg::describe(&e, sql)))
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// Lets the clock move on, so the next transaction starts strictly later.
fn tick() {
    std::thread::sleep(Duration::from_millis(3));
}

/// A non-superuser role for one test, dropped (with its grants) even when
/// the test panics. Sessions made by `session` act as the role.
struct AppRole {
    name: String,
    admin: Client,
}

impl AppRole {
    /// `CREATE ROLE … NOLOGIN` with USAGE on `public`, then `GRANT <grant> TO role` each.
    fn new(db: &TestDb, grants: &[&str]) -> AppRole {
        let name = db.name.replacen("schemac_t_", "schemac_r_", 1);
        let role = quote::ident(&name);
        let mut admin = db.connect();
        admin
            .batch_execute(&format!("CREATE ROLE {role} NOLOGIN; GRANT USAGE ON SCHEMA public TO {role};"))
            .unwrap_or_else(|e| panic!("CREATE ROLE {name}: {e}"));
        // From here on the role is dropped whatever happens.
        let mut guard = AppRole { name, admin };
        for grant in grants {
            let sql = format!("GRANT {grant} TO {role}");
            guard.admin.batch_execute(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        guard
    }

    /// A new session on `db` acting as the role (`SET ROLE`), with `settings`
    /// (`app.tenant_id`, …) set for the session.
    fn session(&self, db: &TestDb, settings: &[(&str, &str)]) -> Client {
        let mut client = db.connect();
        client.batch_execute(&format!("SET ROLE {}", quote::ident(&self.name))).expect("SET ROLE");
        for (name, value) in settings {
            client.execute("SELECT set_config($1, $2, false)", &[name, value]).expect("set_config");
        }
        client
    }
}

impl Drop for AppRole {
    fn drop(&mut self) {
        let role = quote::ident(&self.name);
        if let Err(e) = self.admin.batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE IF EXISTS {role}")) {
            eprintln!("could not drop role {}: {e}", self.name);
        }
    }
}

// ------------------------------------------------------------- timestamps

const TIMESTAMPS: &str = "use std::patterns::{timestamps}

entity Note {
  id    bigint = identity primary
  title text
  apply timestamps
}
";

/// `(created_at, updated_at, title)` of one note.
fn note(client: &mut Client, id: i64) -> (SystemTime, SystemTime, String) {
    let row =
        client.query_one("SELECT created_at, updated_at, title FROM note WHERE id = $1", &[&id]).expect("the note");
    (row.get(0), row.get(1), row.get(2))
}

#[test]
fn timestamps_move_updated_at_and_keep_created_at() {
    let mut db = database("timestamps", TIMESTAMPS);
    let c = &mut db.client;
    let row = c.query_one("INSERT INTO note (title) VALUES ('a') RETURNING id, created_at, updated_at", &[]).unwrap();
    let (id, created, inserted): (i64, SystemTime, SystemTime) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(created, inserted, "both default to the inserting transaction's time");

    // An update in a later transaction moves updated_at only.
    tick();
    assert_eq!(exec(c, "UPDATE note SET title = 'b' WHERE id = $1", &[&id]), 1);
    let (created_1, updated_1, title) = note(c, id);
    assert_eq!((created_1, title.as_str()), (created, "b"));
    assert!(updated_1 > inserted, "updated_at moved forward");

    // updated_at is the transaction's time, whatever the statement writes.
    tick();
    let mut tx = c.transaction().unwrap();
    let now: SystemTime = tx.query_one("SELECT now()", &[]).unwrap().get(0);
    assert_eq!(tx.execute("UPDATE note SET updated_at = '2000-01-01' WHERE id = $1", &[&id]).unwrap(), 1);
    tx.commit().unwrap();
    let (_, updated_2, _) = note(c, id);
    assert_eq!(updated_2, now);

    // Changing created_at is refused, and nothing changes.
    tick();
    let message = refused_with(
        c,
        "23514",
        "UPDATE note SET created_at = created_at - interval '1 day', title = 'c' WHERE id = $1",
        &[&id],
    );
    assert!(message.contains("created_at"), "{message}");
    assert_eq!(note(c, id), (created, updated_2, "b".to_string()));

    // Writing the same value back (an ORM saving the whole row) is fine.
    tick();
    assert_eq!(exec(c, "UPDATE note SET created_at = $2, title = 'd' WHERE id = $1", &[&id, &created]), 1);
    let (created_3, updated_3, title) = note(c, id);
    assert_eq!((created_3, title.as_str()), (created, "d"));
    assert!(updated_3 > updated_2);
}

// ------------------------------------------------------------ soft_delete

const SOFT_DELETE: &str = "use std::patterns::{soft_delete}

entity Account {
  id    bigint = identity primary
  email text
  unique (email)
  apply soft_delete
}

// (a) parent and child both soft-delete; the child cascades.
entity Folder {
  id   bigint = identity primary
  name text
  apply soft_delete
}

entity File {
  id   bigint = identity primary
  name text
  apply soft_delete
}

relation File.folder -> Folder.files {
  required
  on delete cascade
}

// (b) only the child soft-deletes; it cascades from a hard-deleting parent.
entity Owner {
  id   bigint = identity primary
  name text
}

entity Pet {
  id   bigint = identity primary
  name text
  apply soft_delete
}

relation Pet.owner -> Owner.pets {
  required
  on delete cascade
}
";

fn insert_id(client: &mut Client, sql: &str, params: Params) -> i64 {
    scalar(client, sql, params)
}

#[test]
fn soft_delete_marks_rows_hides_them_and_purges_for_good() {
    let mut db = database("soft_delete", SOFT_DELETE);
    let c = &mut db.client;
    let account = "INSERT INTO account (email) VALUES ($1) RETURNING id";
    let a = insert_id(c, account, &[&"a@example.com"]);
    let b = insert_id(c, account, &[&"b@example.com"]);

    // DELETE marks the row: 0 rows reported, the row stays, the view hides it.
    tick();
    assert_eq!(exec(c, "DELETE FROM account WHERE id = $1", &[&a]), 0);
    let deleted_at = "SELECT deleted_at FROM account WHERE id = $1";
    let marked: Option<SystemTime> = scalar(c, deleted_at, &[&a]);
    assert!(marked.is_some(), "the row is marked");
    assert_eq!(column::<i64>(c, "SELECT id FROM account ORDER BY id", &[]), [a, b]);
    assert_eq!(column::<i64>(c, "SELECT id FROM account_live ORDER BY id", &[]), [b]);
    // Deleting a marked row again changes nothing.
    tick();
    assert_eq!(exec(c, "DELETE FROM account WHERE id = $1", &[&a]), 0);
    assert_eq!(scalar::<Option<SystemTime>>(c, deleted_at, &[&a]), marked);

    // DELETE through the live view reports the row and marks it.
    assert_eq!(exec(c, "DELETE FROM account_live WHERE id = $1", &[&b]), 1);
    assert!(scalar::<Option<SystemTime>>(c, deleted_at, &[&b]).is_some());
    assert_eq!(scalar::<i64>(c, "SELECT count(*) FROM account", &[]), 2);
    assert_eq!(scalar::<i64>(c, "SELECT count(*) FROM account_live", &[]), 0);

    // A unique key holds among live rows only.
    let c1 = insert_id(c, account, &[&"c@example.com"]);
    refused_with(c, "23505", account, &[&"c@example.com"]);
    assert_eq!(exec(c, "DELETE FROM account WHERE id = $1", &[&c1]), 0);
    let c2 = insert_id(c, account, &[&"c@example.com"]);
    refused_with(c, "23505", account, &[&"c@example.com"]);
    assert_eq!(column::<i64>(c, "SELECT id FROM account WHERE email = 'c@example.com' ORDER BY id", &[]), [c1, c2]);
    assert_eq!(column::<i64>(c, "SELECT id FROM account_live", &[]), [c2]);

    // Purge removes the rows marked before the time, for good.
    tick();
    assert_eq!(scalar::<i64>(c, "SELECT account_purge(now() - interval '1 hour')", &[]), 0);
    assert_eq!(scalar::<i64>(c, "SELECT account_purge(now() + interval '1 hour')", &[]), 3);
    assert_eq!(column::<i64>(c, "SELECT id FROM account ORDER BY id", &[]), [c2]);

    // (a) Both soft-delete, cascade: deleting the folder marks its files.
    let folder = "INSERT INTO folder (name) VALUES ($1) RETURNING id";
    let (f1, f2) = (insert_id(c, folder, &[&"one"]), insert_id(c, folder, &[&"two"]));
    let file = "INSERT INTO file (name, folder_id) VALUES ($1, $2) RETURNING id";
    for (name, folder) in [("x", f1), ("y", f1), ("z", f2)] {
        insert_id(c, file, &[&name, &folder]);
    }
    tick();
    assert_eq!(exec(c, "DELETE FROM folder WHERE id = $1", &[&f1]), 0);
    let files = "SELECT name, CASE WHEN deleted_at IS NULL THEN 'live' ELSE 'deleted' END FROM file ORDER BY name";
    let state = |c: &mut Client| -> Vec<(String, String)> {
        c.query(files, &[]).unwrap().iter().map(|r| (r.get(0), r.get(1))).collect()
    };
    let expect = |rows: &[(&str, &str)]| -> Vec<(String, String)> {
        rows.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    };
    assert_eq!(state(c), expect(&[("x", "deleted"), ("y", "deleted"), ("z", "live")]));
    let same_time = "SELECT count(*) FROM file JOIN folder ON folder.id = file.folder_id \
                     WHERE file.deleted_at = folder.deleted_at";
    assert_eq!(scalar::<i64>(c, same_time, &[]), 2, "the files are marked with their folder's time");
    assert_eq!(column::<i64>(c, "SELECT id FROM folder_live", &[]), [f2]);

    // (c) Purging the folder removes its files for good.
    tick();
    assert_eq!(scalar::<i64>(c, "SELECT folder_purge(now() + interval '1 hour')", &[]), 1);
    assert_eq!(state(c), expect(&[("z", "live")]));
    let orphan_files =
        "SELECT count(*) FROM file WHERE NOT EXISTS (SELECT 1 FROM folder WHERE folder.id = file.folder_id)";
    assert_eq!(scalar::<i64>(c, orphan_files, &[]), 0);

    // (b) A hard-deleted parent takes its soft-deleting children with it.
    let owner = "INSERT INTO owner (name) VALUES ($1) RETURNING id";
    let (o1, o2) = (insert_id(c, owner, &[&"ann"]), insert_id(c, owner, &[&"bob"]));
    let pet = "INSERT INTO pet (name, owner_id) VALUES ($1, $2) RETURNING id";
    for (name, owner) in [("rex", o1), ("tom", o1), ("max", o2)] {
        insert_id(c, pet, &[&name, &owner]);
    }
    tick();
    assert_eq!(exec(c, "DELETE FROM owner WHERE id = $1", &[&o1]), 1);
    let pets = "SELECT name, CASE WHEN deleted_at IS NULL THEN 'live' ELSE 'deleted' END FROM pet ORDER BY name";
    let pet_state = |c: &mut Client| -> Vec<(String, String)> {
        c.query(pets, &[]).unwrap().iter().map(|r| (r.get(0), r.get(1))).collect()
    };
    assert_eq!(pet_state(c), expect(&[("max", "live")]));
    let orphan_pets = "SELECT count(*) FROM pet WHERE NOT EXISTS (SELECT 1 FROM owner WHERE owner.id = pet.owner_id)";
    assert_eq!(scalar::<i64>(c, orphan_pets, &[]), 0);
    // Deleting the child itself, its parent alive, still only marks it.
    assert_eq!(exec(c, "DELETE FROM pet WHERE name = 'max'", &[]), 0);
    assert_eq!(pet_state(c), expect(&[("max", "deleted")]));

    // DELETE privilege is enough to (soft-)delete, as it is to delete: a role
    // with no UPDATE on the tables and no privilege on a parent it cascades
    // from marks rows and their children like the owner does.
    let role = AppRole::new(&db, &["SELECT, DELETE ON folder, file, pet, folder_live"]);
    let mut app = role.session(&db, &[]);
    let c = &mut db.client;
    let f3 = insert_id(c, folder, &[&"three"]);
    insert_id(c, file, &[&"w", &f3]);
    let o3 = insert_id(c, owner, &[&"cid"]);
    insert_id(c, pet, &[&"pip", &o3]);
    tick();
    assert_eq!(exec(&mut app, "DELETE FROM pet WHERE name = 'pip'", &[]), 0);
    assert_eq!(exec(&mut app, "DELETE FROM folder_live WHERE id = $1", &[&f3]), 1);
    assert_eq!(state(c), expect(&[("w", "deleted"), ("z", "live")]));
    assert_eq!(pet_state(c), expect(&[("max", "deleted"), ("pip", "deleted")]));
}

// ------------------------------------------------------------------ audit

const AUDIT: &str = "use std::patterns::{timestamps, audit}

context {
  user_id uuid?
}

entity Item {
  id    bigint = identity primary
  label text
  qty   int = 0
  apply timestamps, audit
}
";

const ACTOR: &str = "0190b5a0-0000-7000-8000-0000000000a1";

/// One audit row, in a comparable form.
#[derive(Debug, PartialEq)]
struct Logged {
    op: String,
    txid: i64,
    actor: Option<String>,
    row_key: String,
    old_label: Option<String>,
    new_label: Option<String>,
    changed: Option<Vec<String>>,
}

fn logged(client: &mut Client, filter: &str) -> Vec<Logged> {
    let sql = format!(
        "SELECT op, txid, actor::text, row_key::text, old_row ->> 'label', new_row ->> 'label', changed \
         FROM audit_log WHERE {filter} ORDER BY id"
    );
    client
        .query(&sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| Logged {
            op: r.get(0),
            txid: r.get(1),
            actor: r.get(2),
            row_key: r.get(3),
            old_label: r.get(4),
            new_label: r.get(5),
            changed: r.get(6),
        })
        .collect()
}

/// Runs `sql` in its own transaction; returns the rows it reports and the
/// transaction's id.
fn in_transaction(client: &mut Client, sql: &str, params: Params) -> (u64, i64) {
    let mut tx = client.transaction().unwrap();
    let rows = tx.execute(sql, params).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let txid: i64 = tx.query_one("SELECT txid_current()", &[]).unwrap().get(0);
    tx.commit().unwrap();
    (rows, txid)
}

#[test]
fn audit_logs_every_changed_row_and_cannot_be_changed() {
    let mut db = database("audit", AUDIT);
    let role = AppRole::new(&db, &["SELECT, INSERT, UPDATE, DELETE ON item"]);
    let mut app = role.session(&db, &[("app.user_id", ACTOR)]);
    let actor = Some(ACTOR.to_string());

    // Insert, update, delete: one row each, written by the application role.
    let (_, insert_tx) = in_transaction(&mut app, "INSERT INTO item (id, label) VALUES (1, 'a')", &[]);
    tick();
    let (updated, update_tx) = in_transaction(&mut app, "UPDATE item SET label = 'b' WHERE id = 1", &[]);
    assert_eq!(updated, 1);
    tick();
    let (deleted, delete_tx) = in_transaction(&mut app, "DELETE FROM item WHERE id = 1", &[]);
    assert_eq!(deleted, 1);
    let key = r#"{"id": 1}"#.to_string();
    let entry = |op: &str, txid, old: Option<&str>, new: Option<&str>, changed: Option<&[&str]>| Logged {
        op: op.into(),
        txid,
        actor: actor.clone(),
        row_key: key.clone(),
        old_label: old.map(String::from),
        new_label: new.map(String::from),
        changed: changed.map(|c| c.iter().map(|s| s.to_string()).collect()),
    };
    assert_eq!(
        logged(&mut db.client, "true"),
        [
            entry("INSERT", insert_tx, None, Some("a"), None),
            entry("UPDATE", update_tx, Some("a"), Some("b"), Some(&["label", "updated_at"])),
            entry("DELETE", delete_tx, Some("b"), None, None),
        ]
    );
    // Whole rows, every column.
    let keys = "SELECT array_agg(k ORDER BY k) FROM audit_log, jsonb_object_keys(coalesce(new_row, old_row)) k \
                WHERE op = $1";
    let all = ["created_at", "id", "label", "qty", "updated_at"].map(String::from).to_vec();
    for op in ["INSERT", "DELETE"] {
        assert_eq!(scalar::<Vec<String>>(&mut db.client, keys, &[&op]), all, "{op}");
    }
    assert_eq!(scalar::<String>(&mut db.client, "SELECT DISTINCT table_name FROM audit_log", &[]), "item");

    // One row per changed row: an update of two rows logs two, of none logs none.
    in_transaction(&mut app, "INSERT INTO item (id, label) VALUES (2, 'c'), (3, 'd')", &[]);
    tick();
    let (updated, tx) = in_transaction(&mut app, "UPDATE item SET qty = qty + 1", &[]);
    assert_eq!(updated, 2);
    let changed: Vec<(String, Vec<String>)> = db
        .client
        .query("SELECT row_key ->> 'id', changed FROM audit_log WHERE txid = $1 ORDER BY row_key ->> 'id'", &[&tx])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let qty = vec!["qty".to_string(), "updated_at".to_string()];
    assert_eq!(changed, [("2".to_string(), qty.clone()), ("3".to_string(), qty)]);
    let (updated, tx) = in_transaction(&mut app, "UPDATE item SET qty = 0 WHERE id = 42", &[]);
    assert_eq!(updated, 0);
    assert_eq!(scalar::<i64>(&mut db.client, "SELECT count(*) FROM audit_log WHERE txid = $1", &[&tx]), 0);
    let total: i64 = scalar(&mut db.client, "SELECT count(*) FROM audit_log", &[]);
    assert_eq!(total, 7);

    // The application role has no privilege on the log: it cannot read,
    // forge, change or remove entries.
    for sql in [
        "SELECT count(*) FROM audit_log",
        "INSERT INTO audit_log (table_name, op, row_key) VALUES ('item', 'DELETE', '{\"id\": 2}')",
        "UPDATE audit_log SET actor = NULL",
        "DELETE FROM audit_log",
    ] {
        let message = refused_with(&mut app, "42501", sql, &[]);
        assert!(message.starts_with("permission denied for table audit_log"), "{sql}: {message}");
    }
    // Even its owner cannot change or remove entries: the trigger refuses.
    for sql in ["UPDATE audit_log SET actor = NULL", "DELETE FROM audit_log WHERE op = 'INSERT'", "TRUNCATE audit_log"]
    {
        let message = refused_with(&mut db.client, "42501", sql, &[]);
        assert_eq!(message, "audit_log is append-only", "{sql}");
    }
    assert_eq!(scalar::<i64>(&mut db.client, "SELECT count(*) FROM audit_log", &[]), total);
}

// --------------------------------------------------------------- temporal

const TEMPORAL: &str = "use std::patterns::{temporal}

entity Price {
  id     bigint = identity primary
  amount int
  apply temporal
}
";

/// The time now, between two transactions that come strictly before and after.
fn instant(client: &mut Client) -> SystemTime {
    tick();
    let now = scalar(client, "SELECT now()", &[]);
    tick();
    now
}

fn versions(rows: &[(i64, i32)]) -> Vec<(i64, String)> {
    rows.iter().map(|(id, amount)| (*id, amount.to_string())).collect()
}

#[test]
fn temporal_keeps_every_version_readable_as_of_any_time() {
    let mut db = database("temporal", TEMPORAL);
    let c = &mut db.client;
    // Each step is its own transaction; `seen` records the time after it
    // and what the table held then.
    let mut seen: Vec<(SystemTime, Vec<(i64, String)>)> = Vec::new();
    let steps: [(&str, &[(i64, i32)]); 8] = [
        ("INSERT INTO price (id, amount) VALUES (1, 10)", &[(1, 10)]),
        ("INSERT INTO price (id, amount) VALUES (2, 20)", &[(1, 10), (2, 20)]),
        ("UPDATE price SET amount = 11 WHERE id = 1", &[(1, 11), (2, 20)]),
        ("UPDATE price SET amount = 12 WHERE id = 1", &[(1, 12), (2, 20)]),
        ("DELETE FROM price WHERE id = 2", &[(1, 12)]),
        ("UPDATE price SET amount = 13 WHERE id = 1", &[(1, 13)]),
        // A version that lives for no time (changed in the transaction that made it) is not filed.
        (
            "INSERT INTO price (id, amount) VALUES (3, 30); UPDATE price SET amount = 31 WHERE id = 3",
            &[(1, 13), (3, 31)],
        ),
        ("DELETE FROM price WHERE id = 1", &[(3, 31)]),
    ];
    seen.push((instant(c), Vec::new()));
    for (sql, expected) in steps {
        c.batch_execute(&format!("BEGIN; {sql}; COMMIT")).unwrap_or_else(|e| panic!("{sql}: {e}"));
        seen.push((instant(c), versions(expected)));
    }
    for (step, (at, expected)) in seen.iter().enumerate() {
        let rows = pairs(c, "SELECT id, amount::text FROM price_as_of($1) ORDER BY id", &[at]);
        assert_eq!(&rows, expected, "as of the time after step {step}");
    }

    // The history: every replaced or deleted version, none that lived for no time.
    let history = pairs(c, "SELECT id, amount::text FROM price_history ORDER BY id, valid_from", &[]);
    assert_eq!(history, versions(&[(1, 10), (1, 11), (1, 12), (1, 13), (2, 20)]));
    // The versions of a row follow each other without gaps …
    let joined =
        "SELECT count(*) FROM price_history a JOIN price_history b ON a.id = b.id AND a.valid_to = b.valid_from";
    assert_eq!(scalar::<i64>(c, joined, &[]), 3);
    // … a version starts at its valid_from (inclusive) …
    let start = "SELECT amount FROM price_as_of((SELECT valid_from FROM price_history WHERE amount = 11)) WHERE id = 1";
    assert_eq!(column::<i32>(c, start, &[]), [11]);
    // … the current one is open-ended …
    let current = "SELECT valid_to = 'infinity' FROM price_as_of(now()) WHERE id = 3";
    assert_eq!(column::<bool>(c, current, &[]), [true]);
    // … and no two periods of one key overlap.
    let overlaps = "SELECT count(*) FROM price_history a JOIN price_history b ON a.id = b.id AND a.ctid <> b.ctid \
                    AND tstzrange(a.valid_from, a.valid_to) && tstzrange(b.valid_from, b.valid_to)";
    assert_eq!(scalar::<i64>(c, overlaps, &[]), 0);

    // The exclusion constraint refuses an overlapping version written by hand …
    let forged = "INSERT INTO price_history (id, valid_from, amount, valid_to) \
                  SELECT id, valid_from + interval '1 microsecond', 99, valid_to FROM price_history WHERE amount = 10";
    refused_with(c, "23P01", forged, &[]);
    // … but not one in a free period.
    let old =
        "INSERT INTO price_history (id, valid_from, amount, valid_to) VALUES (1, '2000-01-01Z', 5, '2000-01-02Z')";
    assert_eq!(exec(c, old, &[]), 1);
    assert_eq!(pairs(c, "SELECT id, amount::text FROM price_as_of('2000-01-01 12:00Z')", &[]), versions(&[(1, 5)]));
}

// -------------------------------------------------------------- versioned

#[test]
fn temporal_files_a_version_written_by_a_later_transaction_that_committed_first() {
    let mut db = database("temporal_overtaken", TEMPORAL);
    let mut early = db.connect();
    db.client.batch_execute("INSERT INTO price (id, amount) VALUES (1, 10)").unwrap();
    // `early` starts first; a later transaction changes the row and commits.
    early.batch_execute("BEGIN; SELECT now()").unwrap();
    tick();
    db.client.batch_execute("UPDATE price SET amount = 11 WHERE id = 1").unwrap();
    early.batch_execute("UPDATE price SET amount = 12 WHERE id = 1; COMMIT").unwrap();
    let filed = pairs(&mut db.client, "SELECT id, amount::text FROM price_history ORDER BY valid_from", &[]);
    assert_eq!(filed, [(1, "10".to_string()), (1, "11".to_string())], "both earlier versions are history");
    let overlaps: i64 = scalar(
        &mut db.client,
        "SELECT count(*) FROM price_history a JOIN price_history b ON a.id = b.id AND a.ctid < b.ctid \
         AND tstzrange(a.valid_from, a.valid_to) && tstzrange(b.valid_from, b.valid_to)",
        &[],
    );
    assert_eq!(overlaps, 0);
    let current: i64 = scalar(
        &mut db.client,
        "SELECT count(*) FROM price p JOIN price_history h ON h.id = p.id AND h.valid_to = p.valid_from \
         WHERE h.amount = 11",
        &[],
    );
    assert_eq!(current, 1, "the current version starts where the overtaken one ends");
}

const VERSIONED: &str = "use std::patterns::{versioned}

entity Doc {
  id   bigint = identity primary
  body text
  apply versioned
}
";

fn doc(client: &mut Client) -> (String, i32) {
    let row = client.query_one("SELECT body, version FROM doc WHERE id = 1", &[]).expect("the doc");
    (row.get(0), row.get(1))
}

#[test]
fn versioned_bumps_once_and_skips_stale_updates() {
    let mut db = database("versioned", VERSIONED);
    let c = &mut db.client;
    exec(c, "INSERT INTO doc (id, body) VALUES (1, 'a')", &[]);
    let read: i32 = scalar(c, "SELECT version FROM doc WHERE id = 1", &[]);
    assert_eq!(read, 1);

    // Writing back the version read: the update goes through, bumped by one.
    assert_eq!(exec(c, "UPDATE doc SET body = 'b', version = $1 WHERE id = 1", &[&read]), 1);
    assert_eq!(doc(c), ("b".into(), 2));

    // Writing back a stale version: nothing changes, zero rows reported.
    assert_eq!(exec(c, "UPDATE doc SET body = 'stale', version = $1 WHERE id = 1", &[&read]), 0);
    assert_eq!(doc(c), ("b".into(), 2));
    // A version from the future is just as wrong.
    assert_eq!(exec(c, "UPDATE doc SET body = 'future', version = 9 WHERE id = 1", &[]), 0);
    assert_eq!(doc(c), ("b".into(), 2));

    // Bumping it yourself, guarded by the version read: bumped once, not twice.
    let bump = "UPDATE doc SET body = 'c', version = version + 1 WHERE id = 1 AND version = $1";
    assert_eq!(exec(c, bump, &[&2i32]), 1);
    assert_eq!(doc(c), ("c".into(), 3));
    assert_eq!(exec(c, bump, &[&2i32]), 0, "the guard no longer matches");

    // An update that does not mention the version bumps it.
    assert_eq!(exec(c, "UPDATE doc SET body = 'd' WHERE id = 1", &[]), 1);
    assert_eq!(doc(c), ("d".into(), 4));
}

// ---------------------------------------------------------- tenant_scoped

const TENANTS: &str = "use std::patterns::{temporal, tenant_scoped}

context {
  tenant_id uuid
}

entity Tenant {
  id   uuid primary
  name text
}

entity Thing {
  id   bigint = identity primary
  name text
  apply tenant_scoped
}

entity Price {
  id     bigint = identity primary
  amount int
  apply temporal, tenant_scoped
}
";

const T1: &str = "11111111-1111-4111-8111-111111111111";
const T2: &str = "22222222-2222-4222-8222-222222222222";

#[test]
fn tenant_scoped_sessions_see_and_write_only_their_tenant() {
    let mut db = database("tenant_scoped", TENANTS);
    db.apply(&format!(
        "INSERT INTO tenant (id, name) VALUES ('{T1}', 'one'), ('{T2}', 'two');
         INSERT INTO thing (tenant_id, name) VALUES ('{T1}', 'a1'), ('{T1}', 'a2'), ('{T2}', 'b1');
         INSERT INTO price (id, tenant_id, amount) VALUES (1, '{T1}', 10), (2, '{T2}', 20);"
    ));
    let before = instant(&mut db.client);
    exec(&mut db.client, "UPDATE price SET amount = amount + 1", &[]);
    let after = instant(&mut db.client);
    let role = AppRole::new(
        &db,
        &[
            "SELECT, INSERT, UPDATE, DELETE ON thing, price",
            "SELECT ON price_history",
            "EXECUTE ON FUNCTION price_as_of(timestamptz)",
        ],
    );
    let mut app = role.session(&db, &[("app.tenant_id", T1)]);
    let names = "SELECT name FROM thing ORDER BY name";

    // Reads: only the session's tenant.
    assert_eq!(column::<String>(&mut app, names, &[]), ["a1", "a2"]);
    // Updates and deletes of the other tenant's rows touch nothing.
    assert_eq!(exec(&mut app, "UPDATE thing SET name = 'taken' WHERE name = 'b1'", &[]), 0);
    assert_eq!(exec(&mut app, &format!("DELETE FROM thing WHERE tenant_id = '{T2}'"), &[]), 0);
    assert_eq!(exec(&mut app, "UPDATE thing SET name = name || '!'", &[]), 2);
    let all = "SELECT tenant_id::text || ' ' || name FROM thing ORDER BY name";
    assert_eq!(
        column::<String>(&mut db.client, all, &[]),
        [format!("{T1} a1!"), format!("{T1} a2!"), format!("{T2} b1")]
    );
    // Writing a row of the other tenant is refused.
    let insert = "INSERT INTO thing (tenant_id, name) VALUES ($1::text::uuid, 'new')";
    let message = refused_with(&mut app, "42501", insert, &[&T2]);
    assert!(message.contains("row-level security"), "{message}");
    let message =
        refused_with(&mut app, "42501", &format!("UPDATE thing SET tenant_id = '{T2}' WHERE name = 'a1!'"), &[]);
    assert!(message.contains("row-level security"), "{message}");
    assert_eq!(exec(&mut app, insert, &[&T1]), 1);
    assert_eq!(column::<String>(&mut app, names, &[]), ["a1!", "a2!", "new"]);

    // The history and the as-of function of a temporal entity too.
    let history = "SELECT id, amount::text FROM price_history ORDER BY id";
    assert_eq!(pairs(&mut db.client, history, &[]), versions(&[(1, 10), (2, 20)]), "the owner sees both");
    assert_eq!(pairs(&mut app, history, &[]), versions(&[(1, 10)]));
    let as_of = "SELECT id, amount::text FROM price_as_of($1) ORDER BY id";
    assert_eq!(pairs(&mut app, as_of, &[&before]), versions(&[(1, 10)]));
    assert_eq!(pairs(&mut app, as_of, &[&after]), versions(&[(1, 11)]));
    assert_eq!(pairs(&mut app, "SELECT id, amount::text FROM price", &[]), versions(&[(1, 11)]));

    // No tenant (never set, or empty): no rows at all, and no writes.
    let mut none = role.session(&db, &[]);
    app.batch_execute("SET app.tenant_id = ''").unwrap();
    for session in [&mut none, &mut app] {
        for table in ["thing", "price", "price_history"] {
            assert_eq!(scalar::<i64>(session, &format!("SELECT count(*) FROM {table}"), &[]), 0, "{table}");
        }
        assert_eq!(pairs(session, as_of, &[&after]), []);
        refused_with(session, "42501", insert, &[&T1]);
    }
}

// ---------------------------------------------------------- examples/saas

/// The schema.sql of a bundled example.
fn example_sql(name: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name);
    let mut compilation = schemac::driver::compile(&support::example_inputs(&dir));
    assert!(!compilation.has_errors(), "{name} does not compile: {:#?}", compilation.diagnostics);
    let output = schemac::pipeline::build(&mut compilation, &schemac::pipeline::Options::default());
    assert!(!output.diagnostics.iter().any(|d| d.is_error()), "{name}: {:#?}", output.diagnostics);
    output.artifacts.iter().find(|a| a.path == "postgres/schema.sql").expect("postgres artifact").contents.clone()
}

const ANN: &str = "0190b5a0-0000-7000-8000-0000000000a2";

#[test]
fn saas_users_are_tenant_scoped_soft_deleted_and_audited() {
    let mut db = TestDb::new("saas_patterns");
    db.apply(&example_sql("saas"));
    let tenant = "INSERT INTO tenant (slug, name) VALUES ($1::text, $2) RETURNING id::text";
    let acme: String = scalar(&mut db.client, tenant, &[&"acme", &"Acme"]);
    let globex: String = scalar(&mut db.client, tenant, &[&"globex", &"Globex"]);
    // The grants of security.schema, and the live view.
    let role = AppRole::new(
        &db,
        &[
            "SELECT, INSERT, UPDATE, DELETE ON \"user\", team, post, comment, reaction, membership, profile",
            "SELECT ON tenant",
            "SELECT, DELETE ON user_live",
        ],
    );
    let mut app = role.session(&db, &[("app.tenant_id", &acme), ("app.user_id", ANN)]);

    // Sign-up in the session's tenant; not in another.
    let user =
        "INSERT INTO \"user\" (tenant_id, email, name) VALUES ($1::text::uuid, $2::text, 'Ann') RETURNING id::text";
    let ann: String = scalar(&mut app, user, &[&acme, &"ann@example.com"]);
    refused_with(&mut app, "42501", user, &[&globex, &"ann@example.com"]);
    let bob: String = scalar(&mut db.client, user, &[&globex, &"bob@example.com"]);
    let emails = "SELECT email::text FROM \"user\" ORDER BY email";
    assert_eq!(column::<String>(&mut app, emails, &[]), ["ann@example.com"]);

    // Soft delete: marked, hidden from the live view, the address free again.
    tick();
    assert_eq!(exec(&mut app, "DELETE FROM \"user\" WHERE id = $1::text::uuid", &[&ann]), 0);
    assert_eq!(scalar::<i64>(&mut app, "SELECT count(*) FROM user_live", &[]), 0);
    assert_eq!(scalar::<i64>(&mut app, "SELECT count(*) FROM \"user\" WHERE deleted_at IS NOT NULL", &[]), 1);
    let again: String = scalar(&mut app, user, &[&acme, &"ann@example.com"]);
    refused_with(&mut app, "23505", user, &[&acme, &"ann@example.com"]);

    // The audit trail of Ann's first account: the sign-up and the soft delete.
    let trail = "SELECT op, actor::text, changed FROM audit_log \
                 WHERE table_name = 'user' AND row_key ->> 'id' = $1 ORDER BY id";
    let rows = |c: &mut Client, id: &str| -> Vec<(String, Option<String>, Option<Vec<String>>)> {
        c.query(trail, &[&id]).unwrap().iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect()
    };
    let changed = Some(vec!["deleted_at".to_string(), "updated_at".to_string()]);
    assert_eq!(
        rows(&mut db.client, &ann),
        [("INSERT".to_string(), Some(ANN.to_string()), None), ("UPDATE".to_string(), Some(ANN.to_string()), changed)]
    );
    assert_eq!(rows(&mut db.client, &again).len(), 1);

    // Deleting a tenant (which does not soft-delete) removes its users for good, audited.
    assert_eq!(exec(&mut db.client, "DELETE FROM tenant WHERE id = $1::text::uuid", &[&globex]), 1);
    let left = "SELECT count(*) FROM \"user\" WHERE tenant_id = $1::text::uuid";
    assert_eq!(scalar::<i64>(&mut db.client, left, &[&globex]), 0);
    assert_eq!(rows(&mut db.client, &bob), [("INSERT".to_string(), None, None), ("DELETE".to_string(), None, None)]);
    assert_eq!(scalar::<i64>(&mut db.client, left, &[&acme]), 2);

    // The project's own pattern `publishable`: a published post needs its time.
    let post = "INSERT INTO post (tenant_id, author_id, title, body, published, published_at) \
                VALUES ($1::text::uuid, $2::text::uuid, 'Hello', 'World', $3, $4::text::timestamptz)";
    let never: Option<&str> = None;
    let message = refused_with(&mut app, "23514", post, &[&acme, &again, &true, &never]);
    assert!(message.contains("post_published_published_at_check"), "{message}");
    assert_eq!(exec(&mut app, post, &[&acme, &again, &false, &never]), 1, "a draft needs no time");
    assert_eq!(exec(&mut app, post, &[&acme, &again, &true, &Some("2026-01-01")]), 1);
    let published = "SELECT count(*) FROM post WHERE published";
    assert_eq!(scalar::<i64>(&mut app, published, &[]), 1);
}
