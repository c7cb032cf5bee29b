//! The `schemac` binary as users meet it: exit codes (0 ok, 1 schema errors,
//! 2 usage or I/O), messages for missing files and projects, the output
//! formats, deterministic artifacts, `--emit ir`, `fmt --check` and `explain`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::pg::TestDb;
use support::{scratch, text};

fn schemac(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemac")).args(args).current_dir(dir).output().expect("run schemac")
}

fn project(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = scratch(name);
    std::fs::write(dir.join("schemac.toml"), "[project]\nname = \"t\"\n").unwrap();
    for (file, contents) in files {
        std::fs::write(dir.join(file), contents).unwrap();
    }
    dir
}

const GOOD: &str = "entity User {\n  id int primary\n  name text\n}\n";
const BAD: &str = "entity User {\n  id int primary\n  name strng\n}\n";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_example_checks_clean() {
    for example in ["examples/saas", "examples/ecommerce", "examples/rental"] {
        let out = schemac(&["check", example], &repo());
        assert!(out.status.success(), "{example}:\n{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("no problems"), "{example}: {}", text(&out.stderr));
    }
}

#[test]
fn build_writes_the_same_ir_twice_and_emit_prints_it() {
    let dir = project("build_twice", &[("app.schema", GOOD)]);
    let first = schemac(&["build", "--emit", "ir"], &dir);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let written = std::fs::read(dir.join("build/ir.json")).unwrap();
    assert_eq!(written, first.stdout, "--emit ir prints what build writes");
    let second = schemac(&["build"], &dir);
    assert!(second.status.success());
    assert_eq!(std::fs::read(dir.join("build/ir.json")).unwrap(), written, "byte-identical artifacts");
    let ir: serde_json::Value = serde_json::from_slice(&written).unwrap();
    assert_eq!(ir["entities"][0]["id"], "entity:User");
}

#[test]
fn schema_errors_exit_1_with_the_code_and_place() {
    let dir = project("errors_exit_1", &[("app.schema", BAD)]);
    let out = schemac(&["check"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("error[E0101]: unknown type `strng`"), "{err}");
    assert!(err.contains("app.schema:3:8"), "{err}");
    assert!(err.contains("help: schemac spells this `text`"), "{err}");
    assert!(!dir.join("build").exists(), "check writes nothing");
}

#[test]
fn build_with_errors_writes_nothing() {
    let dir = project("build_errors", &[("app.schema", BAD)]);
    let out = schemac(&["build"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.join("build/ir.json").exists());
}

#[test]
fn a_missing_path_is_a_usage_error_without_backtrace() {
    let out = schemac(&["check", "does/not/exist"], &repo());
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("does/not/exist does not exist"), "{err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
}

#[test]
fn a_directory_without_a_project_says_how_to_make_one() {
    let dir = scratch("no_project");
    let out = schemac(&["build", "."], &dir);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("no schemac.toml"), "{err}");
    assert!(err.contains("help:"), "{err}");
}

#[test]
fn a_single_file_compiles_without_a_project() {
    let dir = scratch("single_file");
    std::fs::write(dir.join("one.schema"), GOOD).unwrap();
    let out = schemac(&["check", "one.schema"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn invalid_utf8_is_reported_as_e0003() {
    let dir = project("not_utf8", &[]);
    std::fs::write(dir.join("bad.schema"), b"entity A {\n  id int primary\n}\n\xff\xfe garbage").unwrap();
    let out = schemac(&["check"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("E0003"), "{}", text(&out.stderr));
}

#[test]
fn a_broken_manifest_is_reported_as_e0900_with_its_place() {
    let dir = scratch("bad_manifest");
    std::fs::write(dir.join("schemac.toml"), "[project]\nname = \"x\"\n[build]\ntargets = [\"oracle\"]\n").unwrap();
    std::fs::write(dir.join("a.schema"), GOOD).unwrap();
    let out = schemac(&["check"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("E0900") && err.contains("unknown target `oracle`") && err.contains("schemac.toml:4"),
        "{err}"
    );
}

#[test]
fn json_format_is_one_parseable_document() {
    let dir = project("json_format", &[("app.schema", BAD)]);
    let out = schemac(&["check", "--format", "json"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON on stdout");
    assert_eq!(report["errors"], 1);
    assert_eq!(report["diagnostics"][0]["code"], "E0101");
    assert_eq!(report["diagnostics"][0]["location"]["file"], "app.schema");
    assert_eq!(report["diagnostics"][0]["location"]["line"], 3);
}

#[test]
fn github_format_prints_workflow_annotations() {
    let dir = project("github_format", &[("app.schema", BAD)]);
    let out = schemac(&["check", "--format", "github"], &dir);
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("::error file=app.schema,line=3,col=8,"), "{stdout}");
    assert!(stdout.contains("title=E0101::unknown type `strng`"), "{stdout}");
}

#[test]
fn denied_warnings_fail_the_check_and_allowed_ones_vanish() {
    let unused = "use std::types::email\nentity A {\n  id int primary\n}\n";
    let dir = project("lint_levels", &[("a.schema", unused)]);
    let warn = schemac(&["check"], &dir);
    assert!(warn.status.success());
    assert!(text(&warn.stderr).contains("W0101"));
    std::fs::write(dir.join("schemac.toml"), "[lint]\nW0101 = \"deny\"\n").unwrap();
    let deny = schemac(&["check"], &dir);
    assert_eq!(deny.status.code(), Some(1));
    std::fs::write(dir.join("schemac.toml"), "[lint]\nW0101 = \"allow\"\n").unwrap();
    let allow = schemac(&["check"], &dir);
    assert!(allow.status.success());
    assert!(!text(&allow.stderr).contains("W0101"));
}

#[test]
fn fmt_check_flags_unformatted_files_and_fmt_fixes_them() {
    let dir = project("fmt_check", &[("a.schema", "entity   A {\n      id int   primary\n}\n")]);
    let check = schemac(&["fmt", "--check", "a.schema"], &dir);
    assert_eq!(check.status.code(), Some(1));
    assert!(text(&check.stdout).contains("would reformat a.schema"), "{}", text(&check.stdout));
    let fix = schemac(&["fmt", "a.schema"], &dir);
    assert!(fix.status.success(), "{}", text(&fix.stderr));
    assert_eq!(std::fs::read_to_string(dir.join("a.schema")).unwrap(), "entity A {\n  id int primary\n}\n");
    assert!(schemac(&["fmt", "--check", "a.schema"], &dir).status.success());
}

#[test]
fn fmt_refuses_files_with_syntax_errors() {
    let broken = "entity A {\n  id int primary\n  oops (\n}\n";
    let dir = project("fmt_broken", &[("a.schema", broken)]);
    let out = schemac(&["fmt", "a.schema"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(dir.join("a.schema")).unwrap(), broken, "file untouched");
}

#[test]
fn examples_are_formatted() {
    let out = schemac(&["fmt", "--check", "examples", "stdlib"], &repo());
    assert!(out.status.success(), "{}", text(&out.stdout));
}

#[test]
fn explain_prints_the_spec_entry_and_rejects_unknown_codes() {
    let out = schemac(&["explain", "E0102"], &repo());
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with("## E0102: unknown entity"), "{}", text(&out.stdout));
    let unknown = schemac(&["explain", "E9999"], &repo());
    assert_eq!(unknown.status.code(), Some(2));
    let list = schemac(&["explain", "--list"], &repo());
    assert!(text(&list.stdout).lines().count() >= 50);
}

#[test]
fn help_teaches_the_commands() {
    let out = schemac(&["--help"], &repo());
    let help = text(&out.stdout);
    for command in ["build", "check", "fmt", "explain", "--format"] {
        assert!(help.contains(command), "{help}");
    }
}

#[test]
fn build_writes_the_postgres_schema_and_emit_prints_it() {
    let dir = project("build_postgres", &[("app.schema", GOOD)]);
    let out = schemac(&["build", "--emit", "postgres"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read(dir.join("build/postgres/schema.sql")).unwrap();
    assert_eq!(written, out.stdout, "--emit postgres prints what build writes");
    assert!(text(&written).contains("CREATE TABLE public.\"user\" ("), "{}", text(&written));
}

#[test]
fn check_fails_on_stale_committed_artifacts() {
    let dir = project("stale", &[("app.schema", GOOD)]);
    std::fs::write(dir.join("schemac.toml"), "[project]\nname = \"t\"\n\n[build]\ncommitted = true\n").unwrap();
    let missing = schemac(&["check"], &dir);
    assert_eq!(missing.status.code(), Some(1), "nothing built yet: {}", text(&missing.stderr));
    assert!(text(&missing.stderr).contains("out of date"), "{}", text(&missing.stderr));
    assert!(schemac(&["build"], &dir).status.success());
    assert!(schemac(&["check"], &dir).status.success(), "fresh after a build");
    std::fs::write(dir.join("app.schema"), format!("{GOOD}\nentity Extra {{\n  id int primary\n}}\n")).unwrap();
    let stale = schemac(&["check"], &dir);
    assert_eq!(stale.status.code(), Some(1));
    assert!(text(&stale.stderr).contains("build/postgres/schema.sql"), "{}", text(&stale.stderr));
}

#[test]
fn build_writes_diagrams_and_docs_and_prunes_removed_entities() {
    let two = format!("{GOOD}\nentity Team {{\n  id int primary\n}}\n\nrelation User.team -> Team.members\n");
    let dir = project("docs_build", &[("app.schema", &two)]);
    assert!(schemac(&["build"], &dir).status.success());
    for file in ["docs/index.html", "docs/entities/User.html", "docs/entities/Team.html", "docs/assets/site.js"] {
        assert!(dir.join("build").join(file).is_file(), "{file} written");
    }
    let mermaid = std::fs::read_to_string(dir.join("build/diagrams/schema.mmd")).unwrap();
    assert!(mermaid.contains("Team |o--o{ User : \"team / members\""), "{mermaid}");
    let svg = std::fs::read(dir.join("build/diagrams/schema.svg")).unwrap();
    // A file the user keeps next to the pages is left alone; the removed entity's page goes.
    std::fs::write(dir.join("build/docs/notes.txt"), "mine").unwrap();
    std::fs::write(dir.join("app.schema"), GOOD).unwrap();
    assert!(schemac(&["build"], &dir).status.success());
    assert!(!dir.join("build/docs/entities/Team.html").exists(), "the page of a removed entity is removed");
    assert!(dir.join("build/docs/notes.txt").is_file());
    std::fs::write(dir.join("app.schema"), &two).unwrap();
    assert!(schemac(&["build"], &dir).status.success());
    assert_eq!(std::fs::read(dir.join("build/diagrams/schema.svg")).unwrap(), svg, "same input, same bytes");
    // `docs = false` draws nothing.
    let off = project("docs_off", &[("app.schema", GOOD)]);
    std::fs::write(off.join("schemac.toml"), "[project]\nname = \"t\"\n\n[build]\ndocs = false\n").unwrap();
    assert!(schemac(&["build"], &off).status.success());
    assert!(!off.join("build/docs").exists() && !off.join("build/diagrams").exists());
}

#[test]
fn check_fails_when_committed_docs_are_stale() {
    let dir = project("docs_stale", &[("app.schema", GOOD)]);
    std::fs::write(dir.join("schemac.toml"), "[project]\nname = \"t\"\n\n[build]\ncommitted = true\n").unwrap();
    assert!(schemac(&["build"], &dir).status.success());
    assert!(schemac(&["check"], &dir).status.success());
    std::fs::write(dir.join("build/docs/entities/User.html"), "edited by hand").unwrap();
    let stale = schemac(&["check"], &dir);
    assert_eq!(stale.status.code(), Some(1));
    assert!(text(&stale.stderr).contains("docs/entities/User.html"), "{}", text(&stale.stderr));
}

#[test]
fn diagram_selects_and_explains_what_it_cannot_find() {
    let out = schemac(&["diagram", "examples/saas", "--as", "dot", "--focus", "Profile", "--depth", "1"], &repo());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dot = text(&out.stdout);
    assert!(dot.starts_with("digraph \"saas\" {"), "{dot}");
    assert!(dot.contains("\"Profile\"") && dot.contains("\"User\"") && !dot.contains("\"Team\""), "{dot}");
    let typo = schemac(&["diagram", "examples/saas", "--focus", "Usr"], &repo());
    assert_eq!(typo.status.code(), Some(2));
    assert!(text(&typo.stderr).contains("did you mean `User`?"), "{}", text(&typo.stderr));
    let module = schemac(&["diagram", "examples/saas", "--module", "billing"], &repo());
    assert_eq!(module.status.code(), Some(2));
    assert!(text(&module.stderr).contains("the modules are: content, tenancy"), "{}", text(&module.stderr));
    let only = schemac(&["diagram", "examples/saas", "--module", "content"], &repo());
    let mermaid = text(&only.stdout);
    assert!(mermaid.contains("  Post {") && !mermaid.contains("  User {"), "{mermaid}");
}

#[test]
fn no_reorder_keeps_the_declared_column_order() {
    let dir =
        project("no_reorder", &[("app.schema", "entity Row {\n  id int primary\n  flag bool\n  at timestamptz\n}\n")]);
    let reordered = text(&schemac(&["build", "--emit", "postgres"], &dir).stdout);
    assert!(reordered.find("  at ").unwrap() < reordered.find("  flag ").unwrap(), "{reordered}");
    let declared = text(&schemac(&["build", "--no-reorder", "--emit", "postgres"], &dir).stdout);
    assert!(declared.find("  flag ").unwrap() < declared.find("  at ").unwrap(), "{declared}");
}

fn pg_url() -> String {
    support::pg::connect_url()
}

#[test]
fn verify_proves_the_examples_on_postgres() {
    for example in ["examples/saas", "examples/ecommerce", "examples/rental"] {
        let out = schemac(&["verify", example, "--pg", &pg_url()], &repo());
        assert!(out.status.success(), "{example}:\n{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("match the IR"), "{}", text(&out.stderr));
    }
    // ecommerce keeps migrations: verify applies them too.
    let out = schemac(&["verify", "examples/ecommerce", "--pg", &pg_url()], &repo());
    assert!(text(&out.stderr).contains("verified migrations/: 2 migration(s)"), "{}", text(&out.stderr));
}

#[test]
fn verify_without_a_server_says_how_to_start_one() {
    let out = schemac(&["verify", "examples/saas", "--pg", "host=127.0.0.1 port=1 user=postgres dbname=test"], &repo());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("pg_ctlcluster"), "{}", text(&out.stderr));
}

/// The generated script as users apply it: psql, stop on the first error,
/// and not a single notice on stderr.
#[test]
fn psql_applies_each_example_without_a_notice() {
    for example in ["saas", "ecommerce", "rental"] {
        let dir = scratch(&format!("psql_{example}"));
        let out = schemac(&["build", &format!("examples/{example}"), "--emit", "postgres"], &repo());
        assert!(out.status.success());
        std::fs::write(dir.join("schema.sql"), &out.stdout).unwrap();
        let db = TestDb::new(&format!("psql_{example}"));
        let psql = Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
            .arg(dir.join("schema.sql"))
            .arg(db.url())
            .output()
            .expect("psql is installed with PostgreSQL (Debian package postgresql-client)");
        assert!(psql.status.success(), "{example}: {}", text(&psql.stderr));
        assert_eq!(text(&psql.stderr), "", "{example}: psql printed notices or warnings");
    }
}

#[test]
fn a_reserved_postgres_schema_name_is_a_manifest_error() {
    let dir = project("pg_schema", &[("app.schema", GOOD)]);
    std::fs::write(dir.join("schemac.toml"), "[project]\nname = \"t\"\n\n[postgres]\nschema = \"pg_app\"\n").unwrap();
    let out = schemac(&["check"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("E0900") && text(&out.stderr).contains("pg_"), "{}", text(&out.stderr));
}

#[test]
fn diff_reports_no_drift_then_the_plan_that_reconciles_a_changed_database() {
    let mut db = TestDb::new("drift");
    let url = db.url();
    let ddl = schemac(&["build", "examples/saas", "--emit", "postgres"], &repo());
    db.apply(&text(&ddl.stdout));
    let same = schemac(&["diff", "examples/saas", "--pg", &url], &repo());
    assert!(same.status.success(), "{}", text(&same.stderr));
    assert!(text(&same.stderr).contains("no drift"), "{}", text(&same.stderr));
    db.apply("ALTER TABLE post ALTER COLUMN title DROP NOT NULL; CREATE INDEX stray ON post (body)");
    let drift = schemac(&["diff", "examples/saas", "--pg", &url], &repo());
    assert_eq!(drift.status.code(), Some(1));
    let out = text(&drift.stdout);
    assert!(out.contains("require post.title") && out.contains("drop index stray"), "{out}");
}

#[test]
fn json_output_of_check_and_plan_is_one_document_even_when_every_stage_reports() {
    // A warning from the analysis (W0100) and one from a lint pass (W0202).
    let dir = project("json_stages", &[("app.schema", "entity row_item {\n  id int primary\n  flag bool?\n}\n")]);
    let check = schemac(&["check", "--format", "json"], &dir);
    let doc: serde_json::Value = serde_json::from_slice(&check.stdout).expect("one JSON document");
    assert_eq!(doc["warnings"], 2, "{doc}");
    let plan = schemac(&["plan", "--format", "json"], &dir);
    let doc: serde_json::Value = serde_json::from_slice(&plan.stdout).expect("one JSON document");
    assert_eq!(doc["diagnostics"]["warnings"], 2);
    assert_eq!(doc["plan"]["steps"][0]["summary"], "create table row_item");
}

#[test]
fn the_example_migrations_apply_resume_and_leave_no_drift() {
    let db = TestDb::new("migrate");
    let url = db.url();
    let first = schemac(&["migrate", "apply", "examples/ecommerce", "--pg", &url], &repo());
    let again = schemac(&["migrate", "apply", "examples/ecommerce", "--pg", &url], &repo());
    let drift = schemac(&["diff", "examples/ecommerce", "--pg", &url], &repo());
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stderr).contains("applied 0001_init"), "{}", text(&first.stderr));
    assert!(text(&again.stderr).contains("0 migration(s) applied now, 2 already"), "{}", text(&again.stderr));
    assert!(
        drift.status.success(),
        "the migrated database is the compiled state:\n{}{}",
        text(&drift.stdout),
        text(&drift.stderr)
    );
}

#[test]
fn an_allow_line_in_the_sources_acknowledges_a_hazard() {
    let dir = project("allow_line", &[("app.schema", "entity Order {\n  id int primary\n  note text?\n}\n")]);
    assert!(schemac(&["migrate", "new", "init"], &dir).status.success());
    let dropped = "entity Order {\n  id int primary\n}\n";
    std::fs::write(dir.join("app.schema"), dropped).unwrap();
    assert_eq!(schemac(&["migrate", "new", "drop_note"], &dir).status.code(), Some(1), "refused without consent");
    let with_allow = format!("{dropped}\n/// Notes moved to the Note entity.\nallow H0002 order.note\n");
    std::fs::write(dir.join("app.schema"), &with_allow).unwrap();
    let fmt = schemac(&["fmt", "--check"], &dir);
    assert!(fmt.status.success(), "the allow line is formatted: {}", text(&fmt.stdout));
    let out = schemac(&["migrate", "new", "drop_note"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(dir.join("app.schema"), format!("{dropped}\nallow H2 order.note\n")).unwrap();
    let bad = schemac(&["check"], &dir);
    assert!(text(&bad.stderr).contains("E0112"), "{}", text(&bad.stderr));
}

/// A change the database never sees (a workload query) needs no migration:
/// `check` says the lock is behind and `build` brings it up to date.
#[test]
fn a_workload_change_moves_the_lock_without_a_migration() {
    let dir = project("workload_lock", &[("app.schema", GOOD)]);
    let first = schemac(&["migrate", "new", "init"], &dir);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let with_query = format!("{GOOD}workload w {{\n  query by_id: User where id == $id at 5/s\n}}\n");
    std::fs::write(dir.join("app.schema"), with_query).unwrap();
    let check = schemac(&["check"], &dir);
    assert!(!check.status.success());
    assert!(
        text(&check.stderr).contains("the database needs no change: run `schemac build`"),
        "{}",
        text(&check.stderr)
    );
    let nothing = schemac(&["migrate", "new", "query"], &dir);
    assert!(text(&nothing.stderr).contains("nothing to migrate"), "{}", text(&nothing.stderr));
    assert!(schemac(&["build"], &dir).status.success());
    let again = schemac(&["check"], &dir);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(std::fs::read_dir(dir.join("migrations")).unwrap().count(), 1, "no migration was written");
}

#[test]
fn a_table_renamed_with_a_view_is_applied_in_two_runs_around_the_deploy() {
    let dir = project("rename_with_view", &[("app.schema", "entity Customer {\n  id int primary\n  name text\n}\n")]);
    std::fs::write(
        dir.join("schemac.toml"),
        "[project]\nname = \"t\"\n\n[migrations]\nrename_tables = \"with_view\"\n",
    )
    .unwrap();
    assert!(schemac(&["migrate", "new", "init"], &dir).status.success());
    std::fs::write(
        dir.join("app.schema"),
        "entity Client {\n  renamed_from Customer\n  id int primary\n  name text\n}\n",
    )
    .unwrap();
    let new = schemac(&["migrate", "new", "rename"], &dir);
    assert!(new.status.success(), "no H0005 to acknowledge: {}", text(&new.stderr));
    let mut db = TestDb::new("cli_rename_view");
    let url = db.url();
    let expand = schemac(&["migrate", "apply", "--pg", &url, "--expand-only"], &dir);
    assert!(expand.status.success(), "{}", text(&expand.stderr));
    assert!(
        text(&expand.stderr).contains("stopped before the contract phase of 0002_rename"),
        "{}",
        text(&expand.stderr)
    );
    db.apply("INSERT INTO customer VALUES (1, 'written by the old application')");
    let contract = schemac(&["migrate", "apply", "--pg", &url], &dir);
    assert!(contract.status.success(), "{}", text(&contract.stderr));
    let count: i64 = db.client.query_one("SELECT count(*) FROM client", &[]).unwrap().get(0);
    assert_eq!(count, 1);
    let view: bool = db.client.query_one("SELECT to_regclass('public.customer') IS NULL", &[]).unwrap().get(0);
    assert!(view, "the view is gone after the contract");
    let drift = schemac(&["diff", "--pg", &url], &dir);
    assert!(drift.status.success(), "{}{}", text(&drift.stdout), text(&drift.stderr));

    assert_setting_refused(&dir, "rename_tables = \"view\"", "with_view");
}

/// `[migrations] SETTING` is refused by `schemac check` with E0900, whose
/// help names the valid value `valid`.
fn assert_setting_refused(dir: &Path, setting: &str, valid: &str) {
    std::fs::write(dir.join("schemac.toml"), format!("[project]\nname = \"t\"\n\n[migrations]\n{setting}\n")).unwrap();
    let bad = schemac(&["check"], dir);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stderr));
    assert!(text(&bad.stderr).contains("E0900") && text(&bad.stderr).contains(valid), "{}", text(&bad.stderr));
}

#[test]
fn a_column_type_change_with_a_shadow_is_applied_in_two_runs_around_the_deploy() {
    let source = "entity Item {\n  id int primary\n  qty int\n  label text\n  index (qty)\n}\n";
    let dir = project("type_with_shadow", &[("app.schema", source)]);
    std::fs::write(
        dir.join("schemac.toml"),
        "[project]\nname = \"t\"\n\n[migrations]\ncolumn_changes = \"with_shadow\"\n",
    )
    .unwrap();
    assert!(schemac(&["migrate", "new", "init"], &dir).status.success());
    let mut db = TestDb::new("cli_shadow");
    let url = db.url();
    let init = schemac(&["migrate", "apply", "--pg", &url], &dir);
    assert!(init.status.success(), "{}", text(&init.stderr));
    db.apply("INSERT INTO item (id, qty, label) VALUES (1, 5, 'written by the old application')");
    std::fs::write(
        dir.join("app.schema"),
        source.replace("  qty int\n  label text\n", "  qty bigint\n  title text renamed_from label\n"),
    )
    .unwrap();
    let new = schemac(&["migrate", "new", "widen"], &dir);
    assert!(new.status.success(), "no H0003 or H0005 to acknowledge: {}", text(&new.stderr));
    let expand = schemac(&["migrate", "apply", "--pg", &url, "--expand-only"], &dir);
    assert!(expand.status.success(), "{}", text(&expand.stderr));
    assert!(
        text(&expand.stderr).contains("stopped before the contract phase of 0002_widen"),
        "{}",
        text(&expand.stderr)
    );
    db.apply("INSERT INTO item (id, qty, label) VALUES (2, 6, 'old client, after the expand')");
    db.apply("INSERT INTO item (id, qty_new, title) VALUES (3, 7, 'new client')");
    let contract = schemac(&["migrate", "apply", "--pg", &url], &dir);
    assert!(contract.status.success(), "{}", text(&contract.stderr));
    let rows: Vec<(i32, i64, String)> = db
        .client
        .query("SELECT id, qty, title FROM item ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        rows,
        vec![
            (1, 5, "written by the old application".to_string()),
            (2, 6, "old client, after the expand".to_string()),
            (3, 7, "new client".to_string())
        ]
    );
    let drift = schemac(&["diff", "--pg", &url], &dir);
    assert!(drift.status.success(), "{}{}", text(&drift.stdout), text(&drift.stderr));
    // schema.lock says the re-created columns are now last, so a fresh
    // build's DDL has the migrated database's column order: verify applies
    // both and compares them, order included.
    let build = schemac(&["build"], &dir);
    assert!(build.status.success(), "{}", text(&build.stderr));
    let ddl = std::fs::read_to_string(dir.join("build/postgres/schema.sql")).unwrap();
    let (id, qty, title) = (ddl.find("\"id\"").or(ddl.find(" id ")), ddl.find(" qty "), ddl.find(" title "));
    assert!(id.is_some() && id < title && title < qty, "columns id, title, qty in this order:\n{ddl}");
    let verify = schemac(&["verify", "--pg", &pg_url()], &dir);
    assert!(verify.status.success(), "{}", text(&verify.stderr));
    assert!(text(&verify.stderr).contains("verified migrations/"), "{}", text(&verify.stderr));

    assert_setting_refused(&dir, "column_changes = \"shadow\"", "with_shadow");
}

#[test]
fn a_table_split_in_two_keeps_its_data_through_a_data_step() {
    let before = "entity Customer {\n  id bigint = identity primary\n  name text\n  street text?\n  city text?\n}\n";
    let after = "entity Customer {\n  id bigint = identity primary\n  name text\n}\n\
                 entity Address {\n  id bigint = identity primary\n  street text?\n  city text?\n}\n\
                 relation Address.customer -> Customer.addresses {\n  required\n  on delete cascade\n}\n";
    let dir = project("split_with_data", &[("app.schema", before)]);
    assert!(schemac(&["migrate", "new", "init"], &dir).status.success());
    let mut db = TestDb::new("cli_split");
    let url = db.url();
    assert!(schemac(&["migrate", "apply", "--pg", &url], &dir).status.success());
    db.apply(
        "INSERT INTO customer (name, street, city) VALUES ('Ada', '1 Main St', 'Leeds'), ('Bo', NULL, 'York'), ('Cy', NULL, NULL)",
    );
    std::fs::write(dir.join("app.schema"), after).unwrap();
    std::fs::write(
        dir.join("move_addresses.sql"),
        "INSERT INTO address (customer_id, street, city)\n  SELECT id, street, city FROM customer\n  WHERE street IS NOT NULL OR city IS NOT NULL;\n",
    )
    .unwrap();
    let allow = ["--allow", "H0002:customer.street", "--allow", "H0002:customer.city"];

    // A data file that is not there: an error, and nothing written.
    let missing = schemac(&[&["migrate", "new", "split", "--data", "nope.sql"][..], &allow[..]].concat(), &dir);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stderr));
    assert!(text(&missing.stderr).contains("cannot read the data step nope.sql"), "{}", text(&missing.stderr));
    assert_eq!(std::fs::read_dir(dir.join("migrations")).unwrap().count(), 1, "only the first migration");

    let new = schemac(&[&["migrate", "new", "split", "--data", "move_addresses.sql"][..], &allow[..]].concat(), &dir);
    assert!(new.status.success(), "{}", text(&new.stderr));
    let up = std::fs::read_to_string(dir.join("migrations/0002_split/up.sql")).unwrap();
    let (create, data, drop) = (
        up.find("CREATE TABLE public.address"),
        up.find("SELECT id, street, city FROM customer"),
        up.find("DROP COLUMN"),
    );
    assert!(
        create.is_some() && create < data && data < drop,
        "the data step runs between the expand and the contract:\n{up}"
    );
    assert!(up.contains("move data: move_addresses.sql (written by hand) [backfill"), "{up}");

    let apply = schemac(&["migrate", "apply", "--pg", &url], &dir);
    assert!(apply.status.success(), "{}", text(&apply.stderr));
    let rows: Vec<(String, Option<String>, Option<String>)> = db
        .client
        .query(
            "SELECT c.name, a.street, a.city FROM address a JOIN customer c ON c.id = a.customer_id ORDER BY c.name",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("Ada".to_string(), Some("1 Main St".to_string()), Some("Leeds".to_string())),
            ("Bo".to_string(), None, Some("York".to_string())),
        ]
    );
    let drift = schemac(&["diff", "--pg", &url], &dir);
    assert!(drift.status.success(), "{}{}", text(&drift.stdout), text(&drift.stderr));
}
