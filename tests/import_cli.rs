//! `schemac import` as users meet it: a project written in one piece (or
//! nothing written), clear messages with locations for bad input — an
//! unreachable server, a user without rights, a dump with an error, a Prisma
//! file with a syntax error — and the exit codes (0 ok, 1 the input has
//! errors, 2 usage or I/O).

mod support;

use std::process::{Command, Output};

use support::pg::{self, TestDb};
use support::{scratch, text};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

fn schemac(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemac")).args(args).output().expect("run schemac")
}

#[test]
fn a_dump_becomes_a_project_that_checks_clean_and_a_second_import_needs_force() {
    let db = TestDb::new("import_cli_project");
    let out_dir = scratch("import_chinook").join("chinook");
    let dump = format!("{CORPUS}/chinook/Chinook_PostgreSql.ddl.sql");
    let out = schemac(&["import", "sql", &dump, "--pg", &db.url(), "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("W1020"), "skipped CREATE DATABASE is reported: {}", text(&out.stderr));
    for file in ["schemac.toml", "schema/chinook.schema", "schema.lock", "build/postgres/schema.sql"] {
        assert!(out_dir.join(file).is_file(), "{file} written");
    }
    let check = schemac(&["check", out_dir.to_str().unwrap()]);
    assert!(check.status.success(), "the imported project checks: {}", text(&check.stderr));
    assert!(out_dir.join("migrations/0001_baseline/up.sql").is_file(), "the baseline migration is written");
    let plan = schemac(&["plan", out_dir.to_str().unwrap()]);
    assert!(plan.status.success(), "{}", text(&plan.stderr));
    let said = text(&plan.stdout) + &text(&plan.stderr);
    assert!(!said.contains("step(s)"), "nothing to plan after the baseline: {said}");

    let again = schemac(&["import", "sql", &dump, "--pg", &db.url(), "--out", out_dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "an occupied directory is refused");
    assert!(text(&again.stderr).contains("--force"), "{}", text(&again.stderr));
    let forced = schemac(&["import", "sql", &dump, "--pg", &db.url(), "--out", out_dir.to_str().unwrap(), "--force"]);
    assert!(forced.status.success(), "{}", text(&forced.stderr));
}

#[test]
fn a_dump_with_an_error_points_at_its_line_and_writes_nothing() {
    let db = TestDb::new("import_cli_bad_dump");
    let dir = scratch("import_bad_dump");
    let dump = dir.join("bad.sql");
    std::fs::write(&dump, "CREATE TABLE a (id int PRIMARY KEY);\n\nCREATE TABLE b (id int PRIMARY KEY,, name text);\n")
        .unwrap();
    let out_dir = dir.join("project");
    let out =
        schemac(&["import", "sql", dump.to_str().unwrap(), "--pg", &db.url(), "--out", out_dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("E1020") && err.contains("bad.sql:3:"), "{err}");
    assert!(!out_dir.exists(), "nothing written");
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(Result::ok).map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 1, "only the dump is there: {leftovers:?}");
}

#[test]
fn an_unreachable_server_and_a_user_without_rights_are_clear_usage_errors() {
    let out = schemac(&["import", "pg", "postgres://postgres@127.0.0.1:1/none"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot connect"), "{}", text(&out.stderr));

    let mut admin = pg::admin();
    admin
        .batch_execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'schemac_import_nocreate') \
             THEN CREATE ROLE schemac_import_nocreate LOGIN NOCREATEDB; END IF; END $$",
        )
        .expect("create a role without CREATEDB");
    let db = TestDb::new("import_cli_rights");
    let url = db.url().replace("user=postgres", "user=schemac_import_nocreate");
    let dump = format!("{CORPUS}/chinook/Chinook_PostgreSql.ddl.sql");
    let out = schemac(&["import", "sql", &dump, "--pg", &url]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("permission denied"), "{}", text(&out.stderr));
}

#[test]
fn a_prisma_file_with_a_syntax_error_points_at_it() {
    let dir = scratch("import_bad_prisma");
    let file = dir.join("schema.prisma");
    std::fs::write(&file, "model User {\n  id Int @id\n  name String @@@\n}\n").unwrap();
    let out = schemac(&["import", "prisma", file.to_str().unwrap(), "--out", dir.join("p").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("E1000") && err.contains("schema.prisma:3:"), "{err}");
    assert!(!dir.join("p").exists(), "nothing written");
}

#[test]
fn a_live_database_prints_source_that_imports_the_same_twice() {
    let mut db = TestDb::new("import_cli_live");
    db.apply(
        "CREATE TYPE mood AS ENUM ('ok', 'meh');\n\
         CREATE TABLE person (id serial PRIMARY KEY, name varchar(40) NOT NULL, mood mood DEFAULT 'ok');\n\
         CREATE TABLE note (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
           person_id int NOT NULL REFERENCES person ON DELETE CASCADE, body text CHECK (length(body) > 0));\n\
         CREATE INDEX note_person ON note (person_id);",
    );
    let first = schemac(&["import", "pg", &db.url()]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let source = text(&first.stdout);
    for expected in [
        "enum Mood { ok, meh }",
        "= serial primary",
        "relation Note.person -> Person.notes",
        "on delete cascade",
        "index note_person (person_id)",
    ] {
        assert!(source.contains(expected), "missing `{expected}` in\n{source}");
    }
    let second = schemac(&["import", "pg", &db.url()]);
    assert_eq!(first.stdout, second.stdout, "byte-identical");
}

#[test]
fn an_imported_database_takes_its_next_change_as_a_migration() {
    let mut db = TestDb::new("import_cli_next_change");
    db.apply(
        "CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);\n\
         CREATE TABLE book (id serial PRIMARY KEY, title text NOT NULL, author_id int NOT NULL REFERENCES author);\n\
         INSERT INTO author (name) VALUES ('Le Guin');\n\
         INSERT INTO book (title, author_id) VALUES ('The Dispossessed', 1);",
    );
    let dir = scratch("import_next_change").join("library");
    let project = dir.to_str().unwrap();
    let out = schemac(&["import", "pg", &db.url(), "--out", project]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--baseline 0001_baseline"), "the next step is said: {}", text(&out.stderr));

    let baseline = schemac(&["migrate", "apply", project, "--pg", &db.url(), "--baseline", "0001_baseline"]);
    assert!(baseline.status.success(), "{}", text(&baseline.stderr));
    assert!(text(&baseline.stderr).contains("recorded 1 migration"), "{}", text(&baseline.stderr));
    let drift = schemac(&["diff", project, "--pg", &db.url()]);
    assert!(drift.status.success(), "no drift after import: {}{}", text(&drift.stdout), text(&drift.stderr));

    // The next change: a new optional column, as a migration applied to the same database.
    let source = dir.join("schema/library.schema");
    let text_before = std::fs::read_to_string(&source).unwrap();
    let edited = text_before.replacen("  title     text\n", "  title     text\n  subtitle  text?\n", 1);
    assert_ne!(edited, text_before, "the source has the field to add after:\n{text_before}");
    std::fs::write(&source, edited).unwrap();
    let new = schemac(&["migrate", "new", "add_subtitle", project]);
    assert!(new.status.success(), "{}", text(&new.stderr));
    let apply = schemac(&["migrate", "apply", project, "--pg", &db.url()]);
    assert!(apply.status.success(), "{}", text(&apply.stderr));
    let subtitle: i64 = db
        .client
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'book' AND column_name = 'subtitle'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(subtitle, 1, "the migration ran on the imported database");
    let books: i64 = db.client.query_one("SELECT count(*) FROM book", &[]).unwrap().get(0);
    assert_eq!(books, 1, "its rows are still there");
}

#[test]
fn recognised_patterns_are_said_and_the_project_has_no_drift() {
    let source = "use std::patterns::timestamps\n\
                  entity Film { id bigint = identity primary  title text  apply timestamps }\n\
                  entity Actor { id int = identity primary  name text }\n\
                  relation Film.actors <-> Actor.films\n";
    let mut compilation = schemac::driver::compile_str("made.schema", source);
    assert!(!compilation.has_errors(), "{:#?}", compilation.diagnostics);
    let mut options = schemac::pipeline::Options::default();
    options.passes.fk_indexes = false;
    options.passes.advise_indexes = false;
    options.passes.reorder_columns = false;
    let output = schemac::pipeline::build(&mut compilation, &options);
    let ddl = output.artifacts.iter().find(|a| a.path == "postgres/schema.sql").expect("postgres artifact");
    let mut db = TestDb::new("import_cli_patterns");
    db.apply(&ddl.contents);

    let dir = scratch("import_patterns").join("films");
    let project = dir.to_str().unwrap();
    let out = schemac(&["import", "pg", &db.url(), "--out", project]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stderr);
    assert!(said.contains("recognised `apply timestamps` on 1 entity, `<->` for 1 junction table"), "{said}");
    let imported = std::fs::read_to_string(dir.join("schema/films.schema")).unwrap();
    assert!(imported.contains("apply timestamps") && imported.contains("relation Film.actors <-> Actor.films"));

    let baseline = schemac(&["migrate", "apply", project, "--pg", &db.url(), "--baseline", "0001_baseline"]);
    assert!(baseline.status.success(), "{}", text(&baseline.stderr));
    let drift = schemac(&["diff", project, "--pg", &db.url()]);
    assert!(drift.status.success(), "no drift after import: {}{}", text(&drift.stdout), text(&drift.stderr));
}

#[test]
fn several_schemas_import_together_and_an_unknown_one_is_a_usage_error() {
    let mut db = TestDb::new("import_cli_schemas");
    let dump = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/import/several_schemas.sql");
    // The dump loaded into the database, as psql would.
    let sql = std::fs::read_to_string(dump).expect("fixture");
    db.client.batch_execute(&sql).expect("the fixture loads");

    let all = schemac(&["import", "pg", &db.url(), "--all-schemas"]);
    assert!(all.status.success(), "{}", text(&all.stderr));
    let source = text(&all.stdout);
    assert!(source.contains("(schemas `public`, `billing`, `crm`)"), "{source}");
    let billing = source.find("\nschema billing\n").expect("a `schema billing` line");
    let crm = source.find("\nschema crm\n").expect("a `schema crm` line");
    let at = |needle: &str| source.find(needle).unwrap_or_else(|| panic!("{needle} in {source}"));
    assert!(at("entity Country") < billing, "public's entity before the first `schema` line");
    assert!(billing < at("entity Invoice") && at("entity Invoice") < crm, "Invoice in billing");
    assert!(crm < at("entity Customer") && crm < at("view OpenInvoices"), "Customer and the view in crm");
    assert!(source.contains("relation Customer.last_invoice -> Invoice.customers"), "the cross-schema FK");

    // The same schemas named one by one give the same source.
    let named = schemac(&["import", "pg", &db.url(), "--schema", "public", "--schema", "billing", "--schema", "crm"]);
    assert!(named.status.success(), "{}", text(&named.stderr));
    assert_eq!(text(&named.stdout), source);

    // The dump itself, loaded by `import sql`, gives the same source but its first line.
    let dumped = schemac(&["import", "sql", dump, "--pg", &db.url(), "--all-schemas"]);
    assert!(dumped.status.success(), "{}", text(&dumped.stderr));
    let body = |s: &str| s.split_once('\n').map(|(_, rest)| rest.to_string()).unwrap_or_default();
    assert_eq!(body(&text(&dumped.stdout)), body(&source));

    // The built DDL places each table where it was.
    let dir = scratch("import_cli_schemas");
    let file = dir.join("imported.schema");
    std::fs::write(&file, &source).unwrap();
    let built = schemac(&["build", file.to_str().unwrap(), "--emit", "postgres"]);
    assert!(built.status.success(), "{}", text(&built.stderr));
    let ddl = text(&built.stdout);
    assert!(ddl.contains("CREATE TABLE billing.invoice ("), "{ddl}");
    assert!(ddl.contains("REFERENCES billing.invoice (id)"), "{ddl}");

    let unknown = schemac(&["import", "pg", &db.url(), "--schema", "crm", "--schema", "nope"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown.stderr));
    assert!(text(&unknown.stderr).contains("no schema `nope`"), "{}", text(&unknown.stderr));
    assert!(text(&unknown.stderr).contains("billing, crm, public"), "{}", text(&unknown.stderr));
}
