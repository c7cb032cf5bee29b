//! Quoting on the real server: every identifier and literal the PostgreSQL
//! backend prints goes through `backends::postgres::quote`, and nothing
//! escapes its quotes. Names do not only come from the `.schema` language
//! (ASCII identifiers): schemac.toml names the schema, doc comments become
//! COMMENT literals, enum values, string defaults and check strings are user
//! text, and import will bring arbitrary names. So catalogs are built at the
//! model level from hostile names and texts (quotes, backslashes, `$`, `--`,
//! `/*`, unicode, reserved words, 63-byte multi-byte names), rendered,
//! applied, read back through introspection and compared: a name or text
//! that escaped its quotes would either fail to apply or come back changed.
//! The keyword list is held against the server's own, and a compiled
//! `.schema` with a hostile schema name round-trips too.
//!
//! Needs a server (see tests/support/pg.rs); never skipped.

mod support;

use std::cell::RefCell;
use std::collections::BTreeSet;

use postgres::error::SqlState;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use schemac::backends::postgres::compare::compare;
use schemac::backends::postgres::model::*;
use schemac::backends::postgres::names::MAX_IDENTIFIER;
use schemac::backends::postgres::quote::{self, ident, literal, qualified, KEYWORDS};
use schemac::backends::postgres::render;
use schemac::diagnostics::Diagnostic;
use schemac::{driver, pipeline};
use support::pg::{self, describe, TestDb};

// ---------------------------------------------------------------- keywords

#[test]
fn keywords_cover_every_reserved_word_of_the_server() {
    let mut admin = pg::admin();
    let rows = admin
        .query("SELECT word::text, catcode::text FROM pg_get_keywords() WHERE catcode <> 'U' ORDER BY word", &[])
        .expect("pg_get_keywords()");
    assert!(rows.len() > 100, "the server lists only {} keywords that are not unreserved", rows.len());
    let missing: Vec<String> = rows
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
        .filter(|(word, _)| !KEYWORDS.contains(&word.as_str()))
        .map(|(word, category)| format!("{word} ({category})"))
        .collect();
    assert!(missing.is_empty(), "quote::KEYWORDS lacks words the server does not accept bare: {missing:?}");

    // Every keyword of the server, whatever its category, as `quote::ident`
    // prints it (unreserved ones bare), names a column: the server accepts
    // the name and stores exactly the word.
    let words: Vec<String> = admin
        .query("SELECT word::text FROM pg_get_keywords() ORDER BY word", &[])
        .expect("pg_get_keywords()")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let columns: Vec<String> = words.iter().map(|w| format!("{} int", ident(w))).collect();
    let create = format!("CREATE TEMPORARY TABLE keywords ({})", columns.join(", "));
    admin.batch_execute(&create).unwrap_or_else(|e| panic!("{}", describe(&e, &create)));
    let stored: Vec<String> = admin
        .query(
            "SELECT attname::text FROM pg_attribute WHERE attrelid = 'keywords'::regclass AND attnum > 0 ORDER BY attnum",
            &[],
        )
        .expect("the columns of keywords")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(stored, words);
}

// ---------------------------------------------------------------- hostile text

/// Pieces hostile names and texts are made of.
const PIECES: &[&str] = &[
    "\"",
    "\"\"",
    "'",
    "''",
    " ",
    "\\",
    "\\'",
    "$",
    "$$",
    "$body$",
    "$1",
    ".",
    ";",
    "--",
    "/*",
    "*/",
    "(",
    ")",
    ",",
    "%s",
    "%I",
    "\n",
    "\r",
    "\t",
    "é",
    "É",
    "日本",
    "🦀",
    "ß",
    "Order",
    "USER",
    "x",
    "_",
    "0",
    "9",
    "order",
    "user",
    "select",
    "table",
    "json",
    "system_user",
    "public",
];

/// Reserved words and words PostgreSQL folds or reads specially, as whole names.
const WORDS: &[&str] = &["order", "user", "select", "table", "group", "Order", "json", "system_user", "value", "0x"];

/// A name of at most 63 bytes (PostgreSQL keeps 63): hostile pieces, a
/// reserved word alone, or a name of exactly 63 bytes whose multi-byte
/// characters straddle byte 63 (a byte cut would split one).
fn hostile_name() -> impl Strategy<Value = String> {
    let pieces = prop::collection::vec(prop::sample::select(PIECES), 1..8)
        .prop_map(|p| p.concat())
        .prop_filter_map("too long", |s| (s.len() <= MAX_IDENTIFIER).then_some(s));
    let word = prop::sample::select(WORDS).prop_map(String::from);
    let exact = (prop::sample::select(&["é", "日本", "🦀", "\"é", "'日"][..]), 0usize..4).prop_map(|(unit, pad)| {
        // Fill to 63 bytes with `unit`, then pad with ASCII: the unit that
        // would cross byte 63 is replaced by the padding.
        let mut s = "x".repeat(pad);
        while s.len() + unit.len() <= MAX_IDENTIFIER {
            s.push_str(unit);
        }
        while s.len() < MAX_IDENTIFIER {
            s.push('"');
        }
        s
    });
    let any = "\\PC{1,12}".prop_filter("no NUL", |s| !s.contains('\0'));
    prop_oneof![4 => pieces, 2 => word, 2 => exact, 1 => any]
}

/// Text for comments, enum labels and string literals, empty included (enum
/// labels are held to 63 bytes where they are drawn).
fn hostile_text() -> impl Strategy<Value = String> {
    let pieces = prop::collection::vec(prop::sample::select(PIECES), 0..12).prop_map(|p| p.concat());
    let injection = prop::sample::select(
        &[
            "'); DROP TABLE x; --",
            "\\'; DROP SCHEMA public CASCADE; --",
            "$body$; DROP TABLE x; $body$",
            "*/ DROP TABLE x; /*",
            "E'\\x27'",
            "",
        ][..],
    )
    .prop_map(String::from);
    prop_oneof![3 => pieces, 1 => injection, 1 => "\\PC{0,20}"]
}

/// Names the catalog needs, all distinct: one namespace holds tables, views,
/// indexes and key constraints, another enums, domains and row types; a
/// table's constraints share one more. Distinct everywhere is simplest.
const NAMES: usize = 22;

#[derive(Debug, Clone)]
struct Hostile {
    schema: String,
    names: Vec<String>,
    labels: Vec<String>,
    texts: Vec<String>,
}

fn hostile() -> impl Strategy<Value = Hostile> {
    (
        hostile_name().prop_filter("pg_ is reserved for system schemas", |s| !s.starts_with("pg_") && s != "public"),
        // Distinct, in random order (a set alone would hand out names sorted).
        prop::collection::btree_set(hostile_name(), NAMES).prop_map(Vec::from_iter).prop_shuffle(),
        prop::collection::btree_set(hostile_text().prop_filter("label too long", |s| s.len() <= MAX_IDENTIFIER), 3)
            .prop_map(Vec::from_iter)
            .prop_shuffle(),
        prop::collection::vec(hostile_text(), 12),
    )
        .prop_map(|(schema, names, labels, texts)| Hostile { schema, names, labels, texts })
}

/// A catalog using every hostile name and text: a schema, an enum, a domain
/// with a check, two tables (keys, unique, check, defaults, comments), a
/// foreign key, a partial index, an exclusion constraint, a view, a
/// SECURITY DEFINER trigger function, a trigger, row-level security and a
/// policy.
fn catalog(h: &Hostile) -> Catalog {
    let n = |i: usize| h.names[i].clone();
    let t = |i: usize| Some(h.texts[i].clone());
    let schema = h.schema.clone();
    let enum_type = qualified(&schema, &n(0));
    let domain_type = qualified(&schema, &n(1));
    let (parent, child) = (n(2), n(3));
    let (id, code, state, amount) = (n(4), n(5), n(6), n(7));
    let (child_id, parent_ref, note) = (n(8), n(9), n(10));
    let column = |name: String, ty: &str, not_null: bool, default: Option<String>, comment: Option<String>| Column {
        name,
        ty: ty.to_string(),
        not_null,
        default,
        identity: false,
        identity_always: false,
        serial: false,
        generated: None,
        comment,
    };
    Catalog {
        schema: schema.clone(),
        extensions: Vec::new(),
        enums: vec![EnumType { name: n(0), labels: h.labels.clone(), comment: t(0) }],
        domains: vec![DomainType {
            name: n(1),
            base: "text".into(),
            check: Some(Check { name: n(11), expr: format!("VALUE <> {}", literal(&h.texts[1])), raw: false }),
            comment: t(2),
        }],
        tables: vec![
            Table {
                name: parent.clone(),
                columns: vec![
                    column(id.clone(), "integer", true, None, t(3)),
                    column(code.clone(), "text", true, Some(literal(&h.texts[4])), t(4)),
                    column(
                        state.clone(),
                        &enum_type,
                        true,
                        Some(format!("{}::{enum_type}", literal(&h.labels[0]))),
                        t(5),
                    ),
                    column(amount.clone(), &domain_type, false, None, None),
                ],
                primary_key: Some(Key { name: n(12), columns: vec![id.clone()] }),
                uniques: vec![Key { name: n(13), columns: vec![code.clone(), state.clone()] }],
                checks: vec![Check {
                    name: n(14),
                    expr: format!("{} <> {}", ident(&code), literal(&h.texts[6])),
                    raw: false,
                }],
                partition: None,
                partitions: Vec::new(),
                row_security: RowSecurity::Forced,
                comment: t(7),
                ..Table::default()
            },
            Table {
                name: child.clone(),
                columns: vec![
                    column(child_id.clone(), "integer", true, None, None),
                    column(parent_ref.clone(), "integer", false, None, t(8)),
                    column(note.clone(), "text", false, Some(literal(&h.texts[9])), None),
                ],
                primary_key: Some(Key { name: n(15), columns: vec![child_id.clone()] }),
                uniques: Vec::new(),
                checks: Vec::new(),
                // btree takes `=` exclusions without an extension.
                exclusions: vec![Exclusion {
                    name: n(20),
                    method: "btree".into(),
                    elements: vec![(ident(&note), "=".into())],
                    predicate: Some(format!("{} <> {}", ident(&note), literal(&h.texts[2]))),
                }],
                partition: None,
                partitions: Vec::new(),
                comment: t(10),
                ..Table::default()
            },
        ],
        foreign_keys: vec![ForeignKey {
            table: child.clone(),
            name: n(16),
            columns: vec![parent_ref.clone()],
            references: parent.clone(),
            referenced_columns: vec![id.clone()],
            on_delete: "CASCADE".into(),
            on_update: "NO ACTION".into(),
            deferrable: true,
            comment: t(11),
        }],
        indexes: vec![Index {
            name: n(17),
            table: child.clone(),
            unique: false,
            method: "btree".into(),
            keys: vec![ident(&parent_ref), format!("{} DESC", ident(&note))],
            include: vec![child_id.clone()],
            predicate: Some(format!("{} <> {}", ident(&note), literal(&h.texts[6]))),
            comment: t(1),
        }],
        views: vec![View {
            name: n(18),
            materialized: false,
            security_invoker: true,
            query: format!(
                "SELECT {} FROM {} WHERE {} <> {}",
                quote::ident_list(&[&id, &code]),
                qualified(&schema, &parent),
                ident(&code),
                literal(&h.texts[3])
            ),
            columns: vec![id.clone(), code.clone()],
            comment: t(9),
        }],
        functions: vec![Function {
            name: n(19),
            params: Vec::new(),
            defaults: Vec::new(),
            returns: "trigger".into(),
            language: "plpgsql".into(),
            // The body holds the default dollar-quote tag and hostile text in
            // a string and in a comment.
            body: format!(
                "\nBEGIN\n  -- $body$ {}\n  PERFORM {};\n  RETURN NEW;\nEND\n",
                h.texts[5].replace(['\n', '\r'], " "),
                literal(&h.texts[5])
            ),
            volatility: None,
            strict: false,
            security_definer: true,
            search_path: Some(format!("pg_catalog, {}, pg_temp", ident(&schema))),
            revoke_public: true,
            helper: false,
            comment: t(6),
        }],
        aggregates: Vec::new(),
        triggers: vec![Trigger {
            name: n(2), // trigger names are per table: reuse a relation's name
            table: child.clone(),
            timing: "BEFORE".into(),
            events: vec!["INSERT".into(), "UPDATE".into()],
            for_each_row: true,
            function: n(19),
            arguments: Vec::new(),
            comment: t(8),
        }],
        policies: vec![Policy {
            name: n(21),
            table: parent.clone(),
            permissive: false,
            command: "UPDATE".into(),
            roles: Vec::new(),
            using: Some(format!("{} <> {}", ident(&code), literal(&h.texts[4]))),
            check: None,
            comment: t(3),
        }],
        // Roles are the cluster's: a hostile one would outlive the test.
        roles: Vec::new(),
        grants: Vec::new(),
    }
}

/// The script, applied on `db` (rolled back on failure so the next case
/// starts clean).
fn apply(db: &mut TestDb, sql: &str) -> Result<(), TestCaseError> {
    db.client.batch_execute(sql).map_err(|e| {
        let message = describe(&e, sql);
        let _ = db.client.batch_execute("ROLLBACK");
        TestCaseError::fail(format!("applying the script failed: {message}\n{sql}"))
    })
}

fn names<T>(items: &[T], name: impl Fn(&T) -> &str) -> BTreeSet<String> {
    items.iter().map(|i| name(i).to_string()).collect()
}

fn round_trip(db: &mut TestDb, h: &Hostile) -> Result<(), TestCaseError> {
    let expected = catalog(h);
    let header = format!("hostile names\r{}\n{}", h.texts[0], h.texts[6]);
    let sql = render::script(&expected, &header);
    let drop = format!("DROP SCHEMA IF EXISTS {} CASCADE", ident(&h.schema));
    db.client.batch_execute(&drop).map_err(|e| TestCaseError::fail(describe(&e, &drop)))?;
    let notices_before = db.notices().len();
    apply(db, &sql)?;
    let notices: Vec<String> = db.notices().split_off(notices_before);
    prop_assert!(notices.is_empty(), "applying raised notices (a truncated name?): {notices:#?}\n{sql}");
    let actual = db.catalog(&h.schema);

    let differences = compare(&expected, &actual);
    prop_assert!(
        differences.is_empty(),
        "the catalog read back differs:\n{}\n\n{sql}",
        differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    );

    // Byte for byte: names, labels and comments as generated (an empty
    // comment is stored as none).
    let c = |comment: &Option<String>| comment.as_deref().filter(|c| !c.is_empty()).map(str::to_string);
    prop_assert_eq!(names(&actual.tables, |t| &t.name), names(&expected.tables, |t| &t.name));
    for (e, a) in expected.tables.iter().map(|e| (e, actual.table(&e.name).expect("table read back"))) {
        prop_assert_eq!(
            a.columns.iter().map(|col| (&col.name, c(&col.comment))).collect::<Vec<_>>(),
            e.columns.iter().map(|col| (&col.name, c(&col.comment))).collect::<Vec<_>>()
        );
        prop_assert_eq!(c(&a.comment), c(&e.comment));
        prop_assert_eq!(&a.primary_key, &e.primary_key);
        prop_assert_eq!(&a.uniques, &e.uniques);
        prop_assert_eq!(names(&a.checks, |k| &k.name), names(&e.checks, |k| &k.name));
    }
    prop_assert_eq!(
        actual.enums.iter().map(|e| (&e.name, &e.labels, c(&e.comment))).collect::<Vec<_>>(),
        expected.enums.iter().map(|e| (&e.name, &e.labels, c(&e.comment))).collect::<Vec<_>>()
    );
    prop_assert_eq!(
        actual.domains.iter().map(|d| (&d.name, c(&d.comment), d.check.as_ref().map(|k| &k.name))).collect::<Vec<_>>(),
        expected
            .domains
            .iter()
            .map(|d| (&d.name, c(&d.comment), d.check.as_ref().map(|k| &k.name)))
            .collect::<Vec<_>>()
    );
    prop_assert_eq!(
        actual.foreign_keys.iter().map(|f| (&f.table, &f.name, c(&f.comment))).collect::<Vec<_>>(),
        expected.foreign_keys.iter().map(|f| (&f.table, &f.name, c(&f.comment))).collect::<Vec<_>>()
    );
    prop_assert_eq!(
        actual.indexes.iter().map(|i| (&i.name, &i.table, &i.include, c(&i.comment))).collect::<Vec<_>>(),
        expected.indexes.iter().map(|i| (&i.name, &i.table, &i.include, c(&i.comment))).collect::<Vec<_>>()
    );
    prop_assert_eq!(
        actual.views.iter().map(|v| (&v.name, &v.columns, c(&v.comment))).collect::<Vec<_>>(),
        expected.views.iter().map(|v| (&v.name, &v.columns, c(&v.comment))).collect::<Vec<_>>()
    );
    prop_assert_eq!(
        actual.functions.iter().map(|f| (&f.name, f.body.as_str(), c(&f.comment))).collect::<Vec<_>>(),
        expected.functions.iter().map(|f| (&f.name, f.body.as_str(), c(&f.comment))).collect::<Vec<_>>()
    );
    prop_assert_eq!(
        actual.triggers.iter().map(|t| (&t.name, &t.table, &t.function, c(&t.comment))).collect::<Vec<_>>(),
        expected.triggers.iter().map(|t| (&t.name, &t.table, &t.function, c(&t.comment))).collect::<Vec<_>>()
    );

    // The checks and the default hold the literals' exact text: a row with
    // the checked text is refused by that very constraint, any other text is
    // not, and the default is the text. The trigger's function runs.
    let (parent, child) = (qualified(&h.schema, &h.names[2]), qualified(&h.schema, &h.names[3]));
    let insert_parent = |id: i32, code: &str, amount: &str| {
        format!(
            "INSERT INTO {parent} ({}, {}, {}, {}) VALUES ({id}, {}, {}, {})",
            ident(&h.names[4]),
            ident(&h.names[5]),
            ident(&h.names[6]),
            ident(&h.names[7]),
            literal(code),
            literal(&h.labels[0]),
            literal(amount),
        )
    };
    let other = |text: &str| format!("{text}-other");
    for (statement, constraint) in [
        (insert_parent(1, &h.texts[6], &other(&h.texts[1])), &h.names[14]),
        (insert_parent(1, &other(&h.texts[6]), &h.texts[1]), &h.names[11]),
    ] {
        let error =
            db.client.batch_execute(&statement).expect_err(&format!("a check let its literal through: {statement}"));
        let error = error.as_db_error().map(|e| (e.code().clone(), e.constraint().map(str::to_string)));
        prop_assert_eq!(error, Some((SqlState::CHECK_VIOLATION, Some(constraint.clone()))), "{}", statement);
    }
    let statements = [
        insert_parent(1, &other(&h.texts[6]), &other(&h.texts[1])),
        format!("INSERT INTO {child} ({}, {}) VALUES (1, 1)", ident(&h.names[8]), ident(&h.names[9])),
    ];
    for statement in &statements {
        db.client.batch_execute(statement).map_err(|e| TestCaseError::fail(describe(&e, statement)))?;
    }
    let select = format!("SELECT {} FROM {child}", ident(&h.names[10]));
    let note: Option<String> =
        db.client.query_one(&select, &[]).map_err(|e| TestCaseError::fail(describe(&e, &select)))?.get(0);
    prop_assert_eq!(note.as_deref(), Some(h.texts[9].as_str()));

    let drop = format!("DROP SCHEMA {} CASCADE", ident(&h.schema));
    db.client.batch_execute(&drop).map_err(|e| TestCaseError::fail(describe(&e, &drop)))?;
    Ok(())
}

#[test]
fn hostile_names_and_texts_round_trip_through_the_server() {
    let db = RefCell::new(TestDb::new("quoting_proptest"));
    // PROPTEST_CASES=1000 for a longer hunt.
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(32);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let result = runner.run(&hostile(), |h| round_trip(&mut db.borrow_mut(), &h));
    if let Err(e) = result {
        panic!("{e}");
    }
}

// ---------------------------------------------------------------- injection

#[test]
fn injected_sql_stays_inside_its_quotes() {
    let comment = "'); DROP TABLE x; --";
    let hostile_table = "x\"; DROP TABLE y; --";
    let table = |name: &str, column: &str| Table {
        name: name.into(),
        columns: vec![Column {
            name: column.into(),
            ty: "text".into(),
            not_null: false,
            // What breaks out of a literal where backslash escapes a quote.
            default: Some(literal("\\'; DROP TABLE y; --")),
            identity: false,
            identity_always: false,
            serial: false,
            generated: None,
            comment: Some(comment.into()),
        }],
        primary_key: None,
        uniques: Vec::new(),
        checks: vec![Check {
            name: format!("{name}\"); DROP TABLE x; --"),
            expr: format!("{} <> {}", ident(column), literal(comment)),
            raw: false,
        }],
        partition: None,
        partitions: Vec::new(),
        comment: Some(comment.into()),
        ..Table::default()
    };
    for schema in ["public", "s\"; DROP SCHEMA public CASCADE; --"] {
        let expected = Catalog {
            schema: schema.into(),
            tables: vec![table("x", "a"), table("y", "b"), table(hostile_table, "c\"); DROP TABLE x; --")],
            ..Catalog::default()
        };
        // PostgreSQL ends a `--` comment at a carriage return too.
        let sql = render::script(&expected, "injection\rCREATE TABLE public.injected (); --\r\nend");
        let mut db = TestDb::new("quoting_injection");
        db.apply(&sql);
        let actual = db.catalog(schema);
        let tables: Vec<&str> = actual.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(tables, ["x", hostile_table, "y"], "{sql}");
        for t in &actual.tables {
            assert_eq!(t.comment.as_deref(), Some(comment), "{sql}");
            assert_eq!(t.columns[0].comment.as_deref(), Some(comment), "{sql}");
            assert_eq!(t.checks[0].name, format!("{}\"); DROP TABLE x; --", t.name), "{sql}");
        }
        let differences = compare(&expected, &actual);
        assert!(differences.is_empty(), "{differences:#?}\n{sql}");
        if schema != "public" {
            let public = db.catalog("public");
            assert!(public.tables.is_empty(), "the header comment ran as SQL: {:?}\n{sql}", public.tables);
        }
        let schemas: i64 = db
            .client
            .query_one("SELECT count(*) FROM pg_namespace WHERE nspname IN ('public', $1)", &[&schema])
            .expect("count schemas")
            .get(0);
        assert_eq!(schemas, if schema == "public" { 1 } else { 2 }, "a schema was dropped\n{sql}");
    }
}

// ---------------------------------------------------------------- language

/// A hostile schema name from schemac.toml and user text from the language:
/// doc comments with quotes, dollar tags and backslashes, keywords as enum
/// values, field and entity names that are reserved words, string defaults
/// and checks with `'` and `\`, a role's doc comment and a policy whose
/// condition holds SQL comment markers, dollar quotes and a statement. `system_user` is reserved by newer servers
/// only (quote::ident quotes it, PostgreSQL 15's `quote_ident` does not); an
/// empty doc comment is an empty COMMENT, which PostgreSQL stores as none.
const SOURCE: &str = r#"
/// It's the shop's "status" — $body$ $$ \ \\ '; DROP TABLE x; --
enum Status { order, select, user, placed }

///
enum SystemUser { json, table, group }

/// Who orders: 'quoted', "double", $body$, a \backslash\ and */ /* --
entity Customer {
  id   bigint = identity  primary
  /// The name; it's 'theirs' \n (not a newline) $$
  name text = 'it''s a \ backslash'  check (name <> '$body$''; DROP TABLE x; --')
  note text? doc "double \"quoted\" and \\ back; $body$"
}

/// An `order`: the entity, its table and its fields are reserved words.
entity Order {
  id     bigint = identity  primary
  user   text = '\'
  order  int = 1  check (order > 0)
  status Status = order
  kind   SystemUser = table
  remark text = "say \"it's\" \\ ok"  check (remark <> 'it''s\')
  index (order desc) where user <> 'it''s'
}

/// Who placed it: '; DROP TABLE "order"; --
relation Order.customer -> Customer.orders {
  required
  on delete cascade
}

/// Orders that matter: $body$ 'x' \
view Ordered = Order where status != select select (id, user, order)

/// Reads orders; it's "quoted" '; DROP ROLE x; -- $$ */
role quoting_clerk

/// Clerks see orders not marked: $body$ '; DROP TABLE "order"; -- /* x */
policy clerk_orders on Order {
  to quoting_clerk
  for select
  using (remark != '$$; DROP TABLE "order"; --' and user != 'it''s /* x */ \')
}

grant select on Order to quoting_clerk
"#;

/// The schema in schemac.toml: quotes, a dot, a semicolon, comment starts,
/// a parameter sign, unicode and uppercase; exactly 63 bytes.
const SCHEMA: &str = "Sch\"ema.é; -- /* 'x' $1 日本日本日本日本日本日本\\'";

#[test]
fn a_compiled_schema_with_hostile_names_round_trips() {
    assert_eq!(SCHEMA.len(), MAX_IDENTIFIER);
    let mut compilation = driver::compile_str("t.schema", SOURCE);
    let errors: Vec<&Diagnostic> = compilation.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "the source does not compile: {errors:#?}");
    let mut options = pipeline::Options::default();
    options.postgres.schema = SCHEMA.into();
    // The project's name lands in the script's header comment.
    options.project = "shop\rCREATE TABLE public.injected (a int); --".into();
    let output = pipeline::build(&mut compilation, &options);
    let errors: Vec<&Diagnostic> = output.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "the backend reports errors: {errors:#?}");
    let sql = &output.artifacts.iter().find(|a| a.path == "postgres/schema.sql").expect("schema.sql").contents;
    let expected = output.postgres.as_ref().expect("the postgres catalog");
    assert_eq!(expected.schema, SCHEMA);

    let mut db = TestDb::new("quoting_language");
    db.apply(sql);
    let notices = db.notices();
    assert!(notices.is_empty(), "applying raised notices: {notices:#?}\n{sql}");
    let actual = db.catalog(SCHEMA);
    let differences = compare(expected, &actual);
    assert!(
        differences.is_empty(),
        "the catalog read back differs:\n{}\n\n{sql}",
        differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    );
    assert!(db.catalog("public").tables.is_empty(), "the header comment ran as SQL:\n{sql}");

    // Names and texts byte for byte.
    let tables: Vec<&str> = actual.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tables, ["customer", "order"]);
    let order = actual.table("order").expect("table order");
    for column in ["user", "order", "status", "kind", "remark"] {
        assert!(order.column(column).is_some(), "no column {column:?} in {:?}", order.columns);
    }
    let enums: Vec<(&str, Vec<&str>)> =
        actual.enums.iter().map(|e| (e.name.as_str(), e.labels.iter().map(String::as_str).collect())).collect();
    assert_eq!(
        enums,
        [("status", vec!["order", "select", "user", "placed"]), ("system_user", vec!["json", "table", "group"])]
    );
    let customer = actual.table("customer").expect("table customer");
    assert_eq!(
        customer.comment.as_deref(),
        Some("Who orders: 'quoted', \"double\", $body$, a \\backslash\\ and */ /* --")
    );
    assert_eq!(
        customer.column("name").and_then(|c| c.comment.as_deref()),
        Some("The name; it's 'theirs' \\n (not a newline) $$")
    );
    assert_eq!(
        customer.column("note").and_then(|c| c.comment.as_deref()),
        Some("double \"quoted\" and \\ back; $body$")
    );
    assert_eq!(
        actual.enums[0].comment.as_deref(),
        Some("It's the shop's \"status\" — $body$ $$ \\ \\\\ '; DROP TABLE x; --")
    );
    assert_eq!(actual.foreign_keys[0].comment.as_deref(), Some("Who placed it: '; DROP TABLE \"order\"; --"));
    assert_eq!(actual.views[0].comment.as_deref(), Some("Orders that matter: $body$ 'x' \\"));

    // The string defaults are the texts written, quotes and backslashes included.
    let order_table = qualified(SCHEMA, "order");
    db.client
        .batch_execute(&format!(
            "INSERT INTO {} (name) VALUES (DEFAULT); INSERT INTO {order_table} (customer_id) SELECT id FROM {}",
            qualified(SCHEMA, "customer"),
            qualified(SCHEMA, "customer")
        ))
        .unwrap_or_else(|e| panic!("{}", describe(&e, "")));
    let row = db
        .client
        .query_one(
            &format!(
                "SELECT c.name, o.\"user\", o.remark, o.status::text, o.kind::text FROM {order_table} o JOIN {} c ON c.id = o.customer_id",
                qualified(SCHEMA, "customer")
            ),
            &[],
        )
        .unwrap_or_else(|e| panic!("{}", describe(&e, "")));
    let values: Vec<String> = (0..5).map(|i| row.get(i)).collect();
    assert_eq!(values, ["it's a \\ backslash", "\\", "say \"it's\" \\ ok", "order", "table"]);
    // The policy does what it says, its strings compared as written: the two
    // rows marked with its texts are hidden from the clerk, the first is not.
    db.client
        .batch_execute(&format!(
            "INSERT INTO {order_table} (customer_id, remark) SELECT id, '$$; DROP TABLE \"order\"; --' FROM {customer};\n\
             INSERT INTO {order_table} (customer_id, \"user\") SELECT id, 'it''s /* x */ \\' FROM {customer};",
            customer = qualified(SCHEMA, "customer")
        ))
        .unwrap_or_else(|e| panic!("{}", describe(&e, "")));
    let mut tx = db.client.transaction().expect("begin");
    tx.batch_execute("SET LOCAL ROLE quoting_clerk").expect("become the clerk");
    let seen: i64 = tx
        .query_one(&format!("SELECT count(*) FROM {order_table}"), &[])
        .unwrap_or_else(|e| panic!("{}", describe(&e, "")))
        .get(0);
    assert_eq!(seen, 1, "the clerk sees only the order its policy allows");
    drop(tx);
    let orders: i64 = db.client.query_one(&format!("SELECT count(*) FROM {order_table}"), &[]).unwrap().get(0);
    assert_eq!(orders, 3, "nothing injected ran");
}
