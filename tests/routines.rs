//! Aggregates, parameters without names, strict functions and trigger arguments, on the real
//! server: a source declaring them builds DDL that PostgreSQL takes, the
//! catalog read back equals what the IR lowers to, and the objects behave
//! (the aggregate folds rows, the built-in trigger function fills its
//! column). The formatter prints them back as written; migrations create,
//! replace and drop them in an order PostgreSQL accepts, and a state
//! planned against itself changes nothing. Mistakes are diagnostics, and
//! MySQL and SQLite say what they cannot honour (E0802).

mod support;

use schemac::backends::postgres::compare::compare;
use schemac::diagnostics::Diagnostic;
use schemac::migrate;
use support::pg::TestDb;
use support::scenario::Scenario;

/// A table, a function with unnamed parameters, aggregates over it (one
/// with a final function and an initial state), a view that calls one and
/// a trigger running PostgreSQL's own tsvector_update_trigger.
const ROUTINES: &str = r#"entity Film {
  id          bigint = identity primary
  title       text
  description text?
  fulltext    sql("tsvector")?
}

/// Joins two texts with a comma.
function _group_concat(text, text) returns text language sql immutable {
  sql postgres "SELECT CASE WHEN $2 IS NULL THEN $1 WHEN $1 IS NULL THEN $2 ELSE $1 || ', ' || $2 END"
}

function _count_step(bigint, text) returns bigint language sql immutable {
  sql postgres "SELECT $1 + 1"
}

function _count_final(n bigint) returns text language sql immutable {
  sql postgres "SELECT n::text || ' rows'"
}

/// Strict: NULL in, NULL out, the body not run.
function zero_if_null(bigint) returns bigint language sql immutable strict {
  sql postgres "SELECT coalesce($1, 0)"
}

/// Every value, comma-separated.
aggregate group_concat(text) state text step _group_concat

aggregate text_count(text) state bigint step _count_step final _count_final initial '0'

view Titles {
  sql postgres "SELECT group_concat(title ORDER BY title) AS titles FROM film"
}

trigger film_fulltext on Film before insert or update execute tsvector_update_trigger('fulltext', 'pg_catalog.english', 'title', 'description')
"#;

/// The same table alone: what the migrations start from and go back to.
const TABLE_ONLY: &str = r#"entity Film {
  id          bigint = identity primary
  title       text
  description text?
  fulltext    sql("tsvector")?
}
"#;

fn codes(diagnostics: &[Diagnostic]) -> Vec<&str> {
    diagnostics.iter().map(|d| d.code.0).collect()
}

#[test]
fn aggregates_unnamed_parameters_and_trigger_arguments_apply_as_declared() {
    let (_, expected, sql) = support::build_state("routines.schema", ROUTINES, None);
    assert!(sql.contains("CREATE FUNCTION public._group_concat(text, text) RETURNS text"), "{sql}");
    assert!(
        sql.find("CREATE AGGREGATE").unwrap() < sql.find("CREATE VIEW").unwrap(),
        "the aggregate must exist before the view that calls it:\n{sql}"
    );
    let mut db = TestDb::new("routines_apply");
    db.apply(&sql);
    let actual = db.catalog("public");
    assert_eq!(actual.aggregates.len(), 2, "{:#?}", actual.aggregates);
    assert_eq!(actual.triggers[0].arguments, ["fulltext", "pg_catalog.english", "title", "description"]);
    let differences = compare(&expected, &actual);
    assert!(differences.is_empty(), "{differences:#?}");

    db.apply("INSERT INTO film (title, description) VALUES ('Zorro', 'A masked hero'), ('Alien', 'In space')");
    let one = |db: &mut TestDb, query: &str| -> String { db.client.query_one(query, &[]).unwrap().get(0) };
    assert_eq!(one(&mut db, "SELECT titles FROM titles"), "Alien, Zorro");
    assert_eq!(one(&mut db, "SELECT text_count(title) FROM film"), "2 rows");
    assert_eq!(one(&mut db, "SELECT coalesce(zero_if_null(NULL)::text, 'null')"), "null");
    // The trigger's arguments reached tsvector_update_trigger: title and description, stemmed in English.
    assert_eq!(one(&mut db, "SELECT fulltext::text FROM film WHERE title = 'Alien'"), "'alien':1 'space':3");
}

#[test]
fn the_formatter_prints_them_as_written() {
    let parsed = schemac::syntax::parser::parse(schemac::diagnostics::FileId(0), ROUTINES);
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let printed = schemac::syntax::printer::print(&parsed.file, ROUTINES).expect("prints");
    let reparsed = schemac::syntax::parser::parse(schemac::diagnostics::FileId(0), &printed);
    assert!(reparsed.diagnostics.is_empty(), "{printed}\n{:#?}", reparsed.diagnostics);
    assert_eq!(reparsed.file, parsed.file, "printed, it parses to another tree:\n{printed}");
    assert_eq!(schemac::syntax::printer::print(&reparsed.file, &printed).expect("prints again"), printed);
    for line in [
        "function _group_concat(text, text) returns text language sql immutable {",
        "function _count_final(n bigint) returns text language sql immutable {",
        "function zero_if_null(bigint) returns bigint language sql immutable strict {",
        "aggregate group_concat(text) state text step _group_concat\n",
        "aggregate text_count(text) state bigint step _count_step final _count_final initial '0'\n",
        "execute tsvector_update_trigger('fulltext', 'pg_catalog.english', 'title', 'description')\n",
    ] {
        assert!(printed.contains(line), "`{line}` not printed:\n{printed}");
    }
    // Raised from the IR (as `schemac import` writes), the same declarations.
    let compiled = schemac::driver::compile_str("routines.schema", ROUTINES);
    let raised = schemac::semantic::raise::source(&compiled.ir);
    for line in [
        "function _group_concat(text, text) returns text language sql immutable {",
        "aggregate group_concat(text) state text step _group_concat",
        "aggregate text_count(text) state bigint step _count_step final _count_final initial '0'",
        "execute tsvector_update_trigger('fulltext', 'pg_catalog.english', 'title', 'description')",
    ] {
        assert!(raised.contains(line), "`{line}` not raised:\n{raised}");
    }
    let again = schemac::driver::compile_str("raised.schema", &raised);
    assert_eq!(schemac::pipeline::ir_json(&again.ir), schemac::pipeline::ir_json(&compiled.ir));
}

#[test]
fn migrations_create_replace_and_drop_them() {
    // Created: functions, then aggregates, then the view over them.
    let mut created = Scenario::new("routines_create", TABLE_ONLY, "", ROUTINES);
    let readable = created.readable();
    let at = |what: &str| readable.find(what).unwrap_or_else(|| panic!("no `{what}` in\n{readable}"));
    assert!(at("create function _group_concat") < at("create aggregate group_concat"));
    assert!(at("create aggregate group_concat") < at("create view titles"));
    created.migrate();
    created.assert_matches_after();
    assert!(migrate::plan(&created.after, &created.after, &Default::default()).steps.is_empty());

    // Replaced in place: another initial state.
    let changed = ROUTINES.replace("initial '0'", "initial '10'");
    let mut replaced = Scenario::new("routines_replace", ROUTINES, "INSERT INTO film (title) VALUES ('x')", &changed);
    assert!(replaced.readable().contains("CREATE OR REPLACE AGGREGATE"), "{}", replaced.readable());
    replaced.migrate();
    replaced.assert_matches_after();
    assert_eq!(replaced.scalar("SELECT text_count(title) FROM film"), "11 rows");

    // Dropped: the view, then the aggregates, then the functions.
    let mut dropped = Scenario::new("routines_drop", ROUTINES, "", TABLE_ONLY);
    let readable = dropped.readable();
    let at = |what: &str| readable.find(what).unwrap_or_else(|| panic!("no `{what}` in\n{readable}"));
    assert!(at("drop aggregate group_concat") < at("drop function _group_concat"));
    dropped.migrate();
    dropped.assert_matches_after();
}

#[test]
fn mistakes_are_diagnostics() {
    let base = "entity T {\n  id bigint = identity primary\n}\n\
                function step(text, text) returns text language sql { sql postgres \"SELECT $1\" }\n";
    let cases = [
        ("aggregate a(text) state text step nope", "E0110"),
        ("aggregate a(bigint) state text step step", "E0702"),
        ("aggregate a(text) state bigint step step", "E0702"),
        ("aggregate a(text) state text step step final nope", "E0110"),
        ("aggregate step(text) state text step step", "E0100"),
        ("trigger t on T before insert execute tsvector_update_triger('a')", "E0110"),
    ];
    for (declaration, code) in cases {
        let source = format!("{base}{declaration}\n");
        let compiled = schemac::driver::compile_str("mistake.schema", &source);
        let errors: Vec<&str> = codes(&compiled.diagnostics).into_iter().filter(|c| c.starts_with('E')).collect();
        assert_eq!(errors, [code], "{declaration}: {:#?}", compiled.diagnostics);
    }
    // Parameters named twice are still refused; unnamed ones may repeat a type.
    let twice = "function f(a text, a text) returns text language sql { sql postgres \"SELECT a\" }\n";
    let compiled = schemac::driver::compile_str("twice.schema", twice);
    assert!(codes(&compiled.diagnostics).contains(&"E0702"), "{:#?}", compiled.diagnostics);
}

#[test]
fn mysql_and_sqlite_refuse_aggregates_and_trigger_arguments() {
    let mut compilation = schemac::driver::compile_str("routines.schema", ROUTINES);
    let options = schemac::pipeline::Options { targets: vec!["mysql".into(), "sqlite".into()], ..Default::default() };
    let output = schemac::pipeline::build(&mut compilation, &options);
    let refused: Vec<String> =
        output.diagnostics.iter().filter(|d| d.code.0 == "E0802").map(|d| d.message.clone()).collect();
    for expected in [
        "aggregate `group_concat`: not expressible on MySQL/MariaDB",
        "aggregate `text_count`: not expressible on SQLite",
        "trigger `film_fulltext` with arguments: not expressible on MySQL/MariaDB",
        "trigger `film_fulltext` with arguments: not expressible on SQLite",
    ] {
        assert!(refused.iter().any(|m| m == expected), "no `{expected}` among {refused:#?}");
    }
}

/// spec/function.md's example of aggregates and trigger arguments (a
/// `schema-error` block, for its W0102) compiles with W0102 alone and
/// builds a schema PostgreSQL takes and reads back unchanged.
#[test]
fn the_spec_example_builds_and_applies() {
    let page = include_str!("../spec/function.md");
    let start = page.find("```schema-error\n// warns W0102: the function bodies").expect("the example") + 16;
    let block = &page[start..start + page[start..].find("```").expect("its end")];
    assert!(block.contains("aggregate group_concat(text)"), "{block}");
    let compiled = schemac::driver::compile_str("function.md", block);
    assert!(codes(&compiled.diagnostics).iter().all(|c| *c == "W0102"), "{:#?}", compiled.diagnostics);
    let mut compilation = compiled;
    let output = schemac::pipeline::build(&mut compilation, &Default::default());
    assert!(!output.diagnostics.iter().any(|d| d.is_error()), "{:#?}", output.diagnostics);
    let sql = output.artifacts.iter().find(|a| a.path == "postgres/schema.sql").expect("postgres artifact");
    let mut db = TestDb::new("routines_spec");
    db.apply(&sql.contents);
    let differences = compare(output.postgres.as_ref().expect("catalog"), &db.catalog("public"));
    assert!(differences.is_empty(), "{differences:#?}");
}

/// An aggregate the language cannot declare (here PARALLEL SAFE) is named
/// in a W1049 and left out; a plain one next to it is imported.
#[test]
fn an_aggregate_with_other_options_is_refused_by_import() {
    let mut db = TestDb::new("routines_import_options");
    db.apply(
        "CREATE FUNCTION cat(text, text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1 || $2 $$;\n\
         CREATE AGGREGATE plain_cat(text) (SFUNC = cat, STYPE = text, INITCOND = '');\n\
         CREATE AGGREGATE parallel_cat(text) (SFUNC = cat, STYPE = text, PARALLEL = SAFE);",
    );
    let catalog = db.catalog("public");
    let views = schemac::import::introspect::postgres::read_view_dependencies(&mut db.client, "public").unwrap();
    let imported = schemac::import::postgres::import(&catalog, &views);
    let names: Vec<&str> = imported.ir.aggregates.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["plain_cat"]);
    assert!(
        imported.diagnostics.iter().any(|d| d.code.0 == "W1049" && d.message.contains("`parallel_cat`")),
        "{:#?}",
        imported.diagnostics
    );
    let source = schemac::semantic::raise::source(&imported.ir);
    assert!(source.contains("aggregate plain_cat(text) state text step cat initial ''"), "{source}");
}
