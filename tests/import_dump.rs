//! `import::dump::load` on the real server.
//!
//! - Every PostgreSQL dump of the corpus (../shared/corpus, MANIFEST.tsv)
//!   loads, and leaves the number of tables the manifest counts, in the
//!   schemas they belong to.
//! - A broken dump fails at the line and column the server points at, and
//!   the diagnostic renders with that line.
//! - A missing role, a missing extension and an unclosed quote are reported
//!   with their own codes; statements that reach beyond the scratch
//!   database are not run (no database is created), and say so.
//! - The SQL examples of spec/errors.md (E1020–E1023, W1020–W1023) show
//!   their codes.
//!
//! Each test has its own database; PostgreSQL must be running (see
//! tests/support/pg.rs): these tests fail when it is not, they never skip.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use schemac::diagnostics::{codes, render, Code, Diagnostic, Sources};
use schemac::import::dump::{self, Cause, DumpError, Loaded};
use support::pg::{admin, TestDb};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

/// The Supabase stub creates cluster roles when they are missing; two
/// sessions doing that at once can collide.
static SUPABASE_STUB: Mutex<()> = Mutex::new(());

/// A scratch database and the dumps loaded into it.
struct Session {
    db: TestDb,
    sources: Sources,
}

impl Session {
    fn new(label: &str) -> Session {
        Session { db: TestDb::new(label), sources: Sources::new() }
    }

    fn load_text(&mut self, name: &str, text: &str) -> Result<Loaded, Box<DumpError>> {
        let file = self.sources.add(name, text);
        dump::load(&mut self.db.client, &self.sources, file)
    }

    /// Loads a corpus file; fails the test with the rendered diagnostic.
    fn load_corpus(&mut self, path: &str) -> Loaded {
        let text = std::fs::read_to_string(Path::new(CORPUS).join(path))
            .unwrap_or_else(|e| panic!("cannot read corpus file {path}: {e}"));
        match self.load_text(path, &text) {
            Ok(loaded) => loaded,
            Err(e) => panic!("{path} does not load:\n{}", self.render(&e.diagnostic(&self.sources))),
        }
    }

    fn load_supabase_stub(&mut self) -> Loaded {
        let _guard = SUPABASE_STUB.lock().unwrap_or_else(|e| e.into_inner());
        self.load_corpus("_stubs/supabase-stub.sql")
    }

    fn render(&self, diagnostic: &Diagnostic) -> String {
        render::human_string(&self.sources, std::slice::from_ref(diagnostic))
    }

    /// Tables (ordinary and partitioned, partitions not counted) per schema.
    fn tables(&mut self) -> BTreeMap<String, usize> {
        let rows = self
            .db
            .client
            .query(
                "SELECT n.nspname::text, count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition \
                   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' \
                 GROUP BY 1",
                &[],
            )
            .expect("count tables");
        rows.iter().map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as usize)).collect()
    }

    fn exists(&mut self, sql: &str) -> bool {
        self.db.client.query_one(&format!("SELECT EXISTS ({sql})"), &[]).expect(sql).get(0)
    }
}

/// The `tables` column of the manifest row for `path`.
fn manifest_tables(path: &str) -> usize {
    let manifest = std::fs::read_to_string(Path::new(CORPUS).join("MANIFEST.tsv")).expect("read MANIFEST.tsv");
    let mut lines = manifest.lines();
    let header: Vec<&str> = lines.next().expect("a header").split('\t').collect();
    let column = header.iter().position(|c| *c == "tables").expect("a tables column");
    let row = lines.map(|l| l.split('\t').collect::<Vec<_>>()).find(|r| r[0] == path);
    let row = row.unwrap_or_else(|| panic!("MANIFEST.tsv has no row {path}"));
    row[column].parse().unwrap_or_else(|_| panic!("{path}: tables is {:?}", row[column]))
}

/// The migration files of a corpus directory, in lexical order: `*.sql`
/// directly in it, or `*/migration.sql` (Prisma's layout).
fn migrations(dir: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(Path::new(CORPUS).join(dir))
        .unwrap_or_else(|e| panic!("read {dir}: {e}"))
        .map(|e| e.expect("a directory entry").path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            if p.is_dir() && p.join("migration.sql").exists() {
                Some(format!("{dir}{name}/migration.sql"))
            } else if name.ends_with(".sql") {
                Some(format!("{dir}{name}"))
            } else {
                None
            }
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no migrations in {dir}");
    files
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(s, n)| (s.to_string(), *n)).collect()
}

fn codes_of(diagnostics: &[Diagnostic]) -> Vec<Code> {
    diagnostics.iter().map(|d| d.code).collect()
}

// ------------------------------------------------------------ the corpus

#[test]
fn pagila_and_its_jsonb_tables_load_into_one_database() {
    let mut s = Session::new("dump_pagila");
    let schema = s.load_corpus("pagila/pagila-schema.sql");
    s.load_corpus("pagila/pagila-schema-jsonb.sql");
    assert!(schema.statements_run > 100, "pagila ran only {} statements", schema.statements_run);
    let expected = manifest_tables("pagila/pagila-schema.sql") + manifest_tables("pagila/pagila-schema-jsonb.sql");
    assert_eq!(s.tables(), counts(&[("public", expected)]));
    assert!(s.exists("SELECT FROM pg_class WHERE relname = 'payment_p2022_07' AND relispartition"));
}

#[test]
fn sakila_loads_with_its_inherited_payment_tables() {
    let mut s = Session::new("dump_sakila");
    s.load_corpus("sakila/postgres-sakila-schema.sql");
    assert_eq!(s.tables(), counts(&[("public", manifest_tables("sakila/postgres-sakila-schema.sql"))]));
}

#[test]
fn chinook_loads_into_the_scratch_database_instead_of_its_own() {
    for path in [
        "chinook/Chinook_PostgreSql.ddl.sql",
        "chinook/Chinook_PostgreSql_SerialPKs.ddl.sql",
        "chinook/Chinook_PostgreSql_AutoIncrementPKs.ddl.sql",
    ] {
        let mut s = Session::new("dump_chinook");
        let loaded = s.load_corpus(path);
        assert_eq!(s.tables(), counts(&[("public", manifest_tables(path))]), "{path}");
        let skipped: Vec<&str> = loaded.skipped_statements.iter().map(|k| k.what.as_str()).collect();
        assert_eq!(skipped, ["DROP DATABASE", "CREATE DATABASE"], "{path}");
        assert_eq!(loaded.skipped_meta_commands.len(), 1, "{path}");
        let connect = &loaded.skipped_meta_commands[0];
        assert_eq!((connect.what.as_str(), connect.line), ("\\c", 28), "{path}");
        assert!(connect.why.starts_with("the dump connects to database `chinook"), "{}", connect.why);
        assert_eq!(codes_of(&loaded.warnings), [codes::W1020, codes::W1020, codes::W1021], "{path}");
    }
}

#[test]
fn adventureworks_loads_with_its_extensions_and_psql_commands() {
    let mut s = Session::new("dump_adventureworks");
    let wanted = ["uuid-ossp", "tablefunc"];
    let available: Vec<String> =
        s.db.client
            .query("SELECT name::text FROM pg_available_extensions WHERE name = ANY($1)", &[&&wanted[..]])
            .expect("read pg_available_extensions")
            .iter()
            .map(|r| r.get(0))
            .collect();
    assert_eq!(
        available.len(),
        2,
        "AdventureWorks needs {wanted:?} (postgresql-contrib); the server has {available:?}"
    );
    let loaded = s.load_corpus("adventureworks/install.ddl.sql");
    let tables = s.tables();
    assert_eq!(
        tables,
        counts(&[("humanresources", 6), ("person", 13), ("production", 25), ("purchasing", 5), ("sales", 19)])
    );
    assert_eq!(tables.values().sum::<usize>(), manifest_tables("adventureworks/install.ddl.sql"));
    let meta: Vec<(&str, usize)> = loaded.skipped_meta_commands.iter().map(|m| (m.what.as_str(), m.line)).collect();
    assert_eq!(meta, [("\\pset", 50), ("\\pset", 3308), ("\\dt", 3317)]);
    // The file is UTF-8 but switches to Latin-1 before its comments; kept
    // as UTF-8, they arrive as written.
    let skipped: Vec<(&str, usize)> = loaded.skipped_statements.iter().map(|k| (k.what.as_str(), k.line)).collect();
    assert_eq!(skipped, [("SET client_encoding", 1249)]);
}

#[test]
fn temporal_schemas_load() {
    for path in ["temporal/postgresql/temporal-schema.sql", "temporal/postgresql/visibility-schema.sql"] {
        let mut s = Session::new("dump_temporal");
        s.load_corpus(path);
        assert_eq!(s.tables(), counts(&[("public", manifest_tables(path))]), "{path}");
    }
}

#[test]
fn umami_prisma_migrations_load_in_order() {
    for dir in ["umami/v2.20.2/postgresql/migrations/", "umami/v3.1.0/postgresql/migrations/"] {
        let mut s = Session::new("dump_umami");
        for file in migrations(dir) {
            s.load_corpus(&file);
        }
        assert_eq!(s.tables(), counts(&[("public", manifest_tables(dir))]), "{dir}");
    }
}

#[test]
fn supabase_slack_clone_loads_after_the_stub() {
    let mut s = Session::new("dump_slack");
    s.load_supabase_stub();
    s.load_corpus("supabase-slack-clone/full-schema.fixed.sql");
    let expected = [
        ("auth", manifest_tables("_stubs/supabase-stub.sql")),
        ("public", manifest_tables("supabase-slack-clone/full-schema.fixed.sql")),
    ];
    assert_eq!(s.tables(), counts(&expected));
    assert!(s.exists("SELECT FROM pg_publication WHERE pubname = 'supabase_realtime'"));
}

#[test]
fn basejump_migrations_load_after_the_stub() {
    let mut s = Session::new("dump_basejump");
    s.load_supabase_stub();
    for file in migrations("basejump/migrations/") {
        s.load_corpus(&file);
    }
    let expected =
        [("auth", manifest_tables("_stubs/supabase-stub.sql")), ("basejump", manifest_tables("basejump/migrations/"))];
    assert_eq!(s.tables(), counts(&expected));
}

// ------------------------------------------------------------ errors

#[test]
fn supabase_original_fails_where_the_server_points_and_renders_that_line() {
    let mut s = Session::new("dump_slack_broken");
    s.load_supabase_stub();
    let path = "supabase-slack-clone/full-schema.sql";
    let text = std::fs::read_to_string(Path::new(CORPUS).join(path)).expect("read the original");
    let e = s.load_text(path, &text).expect_err("the original has a syntax error");
    // The policy at line 197 lacks its `;` (after line 200), so the server
    // reads on and stops at `create` of line 207. psql reports line 224, where
    // the statement it sent ended (the manifest's "fails at line 224").
    assert_eq!((e.line, e.column), (207, 1), "{e}");
    assert_eq!(e.statement_line, 197);
    assert!(e.first_line.starts_with("create policy \"Allow auth admin to read user roles\""), "{}", e.first_line);
    let Cause::Rejected(server) = &e.cause else { panic!("not a rejected statement: {e:?}") };
    assert_eq!(server.sqlstate, "42601");
    assert_eq!(server.message, "syntax error at or near \"create\"");
    let diagnostic = e.diagnostic(&s.sources);
    assert_eq!(diagnostic.code, codes::E1020);
    let rendered = s.render(&diagnostic);
    assert!(
        rendered.contains("error[E1020]: PostgreSQL rejected the dump: syntax error at or near \"create\""),
        "{rendered}"
    );
    assert!(rendered.contains("supabase-slack-clone/full-schema.sql:207:1"), "{rendered}");
    assert!(rendered.contains("207 │ create or replace function public.create_user("), "{rendered}");
    assert!(rendered.contains("a `;` is probably missing here"), "{rendered}");
    assert!(rendered.contains("200 │ using (true)"), "{rendered}");
    assert!(rendered.contains("SQLSTATE 42601"), "{rendered}");
}

#[test]
fn error_positions_count_characters_not_bytes() {
    let mut s = Session::new("dump_position");
    let text = "CREATE TABLE t (a int);\n-- é\nSELECT 'ééé', 'x' AS \"ü\", nosuch\n  FROM t;\n";
    let e = s.load_text("position.sql", text).expect_err("nosuch is not a column");
    assert_eq!((e.line, e.column), (3, 27), "{e}");
    assert_eq!(s.sources.text(e.span), "nosuch");
    assert_eq!(e.server().map(|s| s.sqlstate.as_str()), Some("42703"));
}

#[test]
fn a_missing_role_names_the_role_and_the_fix() {
    let mut s = Session::new("dump_role");
    let role = format!("schemac_dump_missing_{}", std::process::id());
    let text = format!(
        "CREATE ROLE {role} NOLOGIN;\nCREATE TABLE public.notes (id int);\nALTER TABLE public.notes OWNER TO {role};\n"
    );
    let e = s.load_text("role.sql", &text).expect_err("the role does not exist");
    let Cause::MissingRole { role: named, created_at, .. } = &e.cause else { panic!("not a role error: {e:?}") };
    assert_eq!((named.as_str(), *created_at, e.line), (role.as_str(), Some(1), 3));
    let diagnostic = e.diagnostic(&s.sources);
    assert_eq!(diagnostic.code, codes::E1021);
    let rendered = s.render(&diagnostic);
    assert!(rendered.contains(&format!("the dump needs role `{role}`")), "{rendered}");
    assert!(
        rendered.contains(&format!("create the role on the server first (`CREATE ROLE {role} NOLOGIN;`)")),
        "{rendered}"
    );
    assert!(rendered.contains("the dump creates"), "{rendered}");
    let mut server = admin();
    let created: bool =
        server.query_one("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)", &[&role]).unwrap().get(0);
    assert!(!created, "CREATE ROLE ran on the server");
}

#[test]
fn a_missing_extension_names_the_extension() {
    let mut s = Session::new("dump_extension");
    let e = s
        .load_text("extension.sql", "CREATE TABLE a (id int);\n\nCREATE EXTENSION does_not_exist;\n")
        .expect_err("no such extension");
    let Cause::MissingExtension { extension, .. } = &e.cause else { panic!("not an extension error: {e:?}") };
    assert_eq!((extension.as_str(), e.line), ("does_not_exist", 3));
    let diagnostic = e.diagnostic(&s.sources);
    assert_eq!(diagnostic.code, codes::E1022);
    assert!(diagnostic.help.as_deref().is_some_and(|h| h.contains("install the extension")), "{diagnostic:?}");
}

#[test]
fn an_unterminated_dollar_quote_fails_at_its_start_and_nothing_runs() {
    let mut s = Session::new("dump_unterminated");
    let text = "CREATE TABLE before_quote (a int);\n\
                CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND;\n";
    let e = s.load_text("unterminated.sql", text).expect_err("the $$ is never closed");
    assert_eq!(e.cause, Cause::Unterminated(dump::Quote::Dollar("$$".into())));
    assert_eq!((e.line, e.column), (2, 53));
    assert!(s.sources.text(e.span).starts_with("$$"));
    assert_eq!(e.diagnostic(&s.sources).code, codes::E1023);
    assert!(!s.exists("SELECT FROM pg_class WHERE relname = 'before_quote'"), "a statement ran");
}

// ------------------------------------------------------------ what is not run

#[test]
fn connecting_and_creating_databases_is_skipped_and_no_database_is_created() {
    let mut s = Session::new("dump_skip_database");
    let other = format!("schemac_dump_must_not_exist_{}", std::process::id());
    let text = format!(
        "DROP DATABASE IF EXISTS {other};\nCREATE DATABASE {other};\n\\c other\nALTER DATABASE {other} SET search_path = x;\n\
         CREATE TABLE kept (a int);\n"
    );
    let loaded = s.load_text("databases.sql", &text).expect("loads");
    assert_eq!(codes_of(&loaded.warnings), [codes::W1020, codes::W1020, codes::W1020, codes::W1021]);
    assert_eq!(
        loaded.skipped_meta_commands[0].why,
        "the dump connects to database `other`; schemac loads everything into its scratch database"
    );
    assert_eq!(loaded.statements_run, 1);
    assert!(s.exists("SELECT FROM pg_class WHERE relname = 'kept'"));
    let mut server = admin();
    let created: bool =
        server.query_one("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", &[&other]).unwrap().get(0);
    assert!(!created, "CREATE DATABASE ran on the server");
}

#[test]
fn cluster_statements_are_skipped_with_a_reason_each() {
    let mut s = Session::new("dump_skip_cluster");
    let text = "ALTER SYSTEM SET work_mem = '64MB';\n\
                CREATE TABLESPACE fast LOCATION '/nonexistent';\n\
                GRANT pg_read_all_data TO public_reader;\n\
                COPY (SELECT 1) TO '/tmp/schemac-dump-must-not-exist';\n\
                COPY (SELECT 1) TO PROGRAM 'true';\n\
                SET client_encoding = 'LATIN1';\n\
                SET client_encoding = 'UTF8';\n";
    let loaded = s.load_text("cluster.sql", text).expect("loads");
    let skipped: Vec<(&str, usize)> = loaded.skipped_statements.iter().map(|k| (k.what.as_str(), k.line)).collect();
    assert_eq!(
        skipped,
        [
            ("ALTER SYSTEM", 1),
            ("CREATE TABLESPACE", 2),
            ("GRANT of a role", 3),
            ("COPY with a file or program", 4),
            ("COPY with a file or program", 5),
            ("SET client_encoding", 6),
        ]
    );
    assert_eq!(loaded.statements_run, 1);
    assert!(!Path::new("/tmp/schemac-dump-must-not-exist").exists());
}

#[test]
fn data_statements_run_and_copy_data_is_skipped_once_for_all_blocks() {
    let mut s = Session::new("dump_data");
    let text = "CREATE TABLE genre (id int primary key, name text);\n\
                CREATE SEQUENCE genre_seq;\n\
                COPY genre (id, name) FROM stdin;\n1\tRock; Roll\n\\.\n\
                INSERT INTO genre VALUES (3, 'Jazz');\n\
                SELECT pg_catalog.setval('genre_seq', 42, true);\n\
                COPY genre (id, name) FROM stdin;\n2\t'Blues\n\\.\n\
                UPDATE genre SET name = 'Jazz!' WHERE id = 3;\n";
    let loaded = s.load_text("data.sql", text).expect("loads");
    assert_eq!((loaded.statements_run, loaded.copy_blocks_skipped), (5, 2));
    assert_eq!(codes_of(&loaded.warnings), [codes::W1022]);
    assert!(loaded.warnings[0].message.contains("2 COPY data blocks"), "{}", loaded.warnings[0].message);
    let rows: Vec<(i32, String)> =
        s.db.client
            .query("SELECT id, name FROM genre ORDER BY id", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    assert_eq!(rows, [(3, "Jazz!".to_string())]);
    let last: i64 = s.db.client.query_one("SELECT last_value FROM genre_seq", &[]).unwrap().get(0);
    assert_eq!(last, 42);
}

#[test]
fn settings_and_transactions_of_the_dump_hold_across_statements_and_files() {
    let mut s = Session::new("dump_session");
    let first = "CREATE SCHEMA app;\nSELECT pg_catalog.set_config('search_path', 'app', false);\n\
                 BEGIN;\nCREATE TABLE gone (a int);\nROLLBACK;\nBEGIN;\nCREATE TABLE kept (a int);\nCOMMIT;\n";
    let loaded = s.load_text("first.sql", first).expect("loads");
    assert_eq!(loaded.open_transaction, None);
    s.load_text("second.sql", "CREATE TABLE second (a int);\n").expect("loads");
    assert_eq!(s.tables(), counts(&[("app", 2)]));
    assert!(s.exists("SELECT FROM pg_class WHERE relname = 'second' AND relnamespace = 'app'::regnamespace"));
    assert_eq!(dump::finish(&mut s.db.client, &loaded).expect("finish").map(|d| d.code), None);
    let path: String = s.db.client.query_one("SHOW search_path", &[]).unwrap().get(0);
    assert_eq!(path, "\"$user\", public", "finish resets the session");
}

#[test]
fn a_transaction_left_open_is_rolled_back_by_finish_with_a_warning() {
    let mut s = Session::new("dump_open_transaction");
    let loaded = s.load_text("open.sql", "CREATE TABLE kept (a int);\nBEGIN;\nCREATE TABLE lost (a int);\n").unwrap();
    assert_eq!(loaded.open_transaction.map(|span| s.sources.text(span).to_string()), Some("BEGIN;".into()));
    let warning = dump::finish(&mut s.db.client, &loaded).expect("finish").expect("a warning");
    assert_eq!(warning.code, codes::W1023);
    assert!(s.exists("SELECT FROM pg_class WHERE relname = 'kept'"));
    assert!(!s.exists("SELECT FROM pg_class WHERE relname = 'lost'"));
}

#[test]
fn slices_of_real_dumps_never_panic_the_loader() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    use std::cell::RefCell;

    let texts: Vec<String> = [
        "pagila/pagila-schema.sql",
        "adventureworks/install.ddl.sql",
        "supabase-slack-clone/full-schema.sql",
        "basejump/migrations/20240414161947_basejump-accounts.sql",
    ]
    .iter()
    .map(|p| std::fs::read_to_string(Path::new(CORPUS).join(p)).expect("read corpus file"))
    .collect();
    let session = RefCell::new(Session::new("dump_slices"));
    let mut runner = TestRunner::new(Config { cases: 48, failure_persistence: None, ..Config::default() });
    let strategy = (0..texts.len(), any::<prop::sample::Index>(), 0..6000usize);
    let outcome = runner.run(&strategy, |(file, start, len)| {
        let text = &texts[file];
        let floor = |mut i: usize| {
            i = i.min(text.len());
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let start = floor(start.index(text.len()));
        let slice = &text[start..floor(start + len)];
        let mut s = session.borrow_mut();
        let result = s.load_text("slice.sql", slice);
        if let Err(e) = &result {
            prop_assert!(e.span.end as usize <= slice.len() && e.line >= 1 && e.column >= 1, "{e:?}");
            let rendered = s.render(&e.diagnostic(&s.sources));
            prop_assert!(rendered.contains("error[E102"), "{rendered}");
        }
        let last = result.unwrap_or_default();
        let Session { db, .. } = &mut *s;
        prop_assert!(dump::finish(&mut db.client, &last).is_ok());
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

// ------------------------------------------------------------ spec/errors.md

/// The ```sql example of a section of spec/errors.md.
fn spec_example(code: &str) -> String {
    let manual = include_str!("../spec/errors.md");
    let start = manual.find(&format!("\n## {code}: ")).unwrap_or_else(|| panic!("no section {code}"));
    let section = &manual[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let body = section.split("```sql\n").nth(1).unwrap_or_else(|| panic!("{code}: no ```sql example"));
    body[..body.find("\n```").expect("a closed example") + 1].to_string()
}

#[test]
fn sql_examples_of_the_manual_show_their_codes() {
    let mut server = admin();
    let role: bool =
        server.query_one("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_owner')", &[]).unwrap().get(0);
    assert!(!role, "the E1021 example needs a server without a role app_owner");
    let postgis: bool = server
        .query_one("SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'postgis')", &[])
        .unwrap()
        .get(0);
    assert!(!postgis, "the E1022 example needs a server without postgis");
    for code in ["E1020", "E1021", "E1022", "E1023"] {
        let mut s = Session::new("dump_spec");
        let e = s.load_text(&format!("{code}.sql"), &spec_example(code)).expect_err(code);
        assert_eq!(e.diagnostic(&s.sources).code.0, code, "{e}");
    }
    for code in ["W1020", "W1021", "W1022", "W1023"] {
        let mut s = Session::new("dump_spec");
        let loaded = s.load_text(&format!("{code}.sql"), &spec_example(code)).unwrap_or_else(|e| panic!("{code}: {e}"));
        let mut warnings = loaded.warnings.clone();
        warnings.extend(dump::finish(&mut s.db.client, &loaded).expect("finish"));
        assert!(warnings.iter().any(|w| w.code.0 == code), "{code}: {:?}", codes_of(&warnings));
    }
}
