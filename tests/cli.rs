//! The `schemac` binary as users meet it: exit codes (0 ok, 1 schema errors,
//! 2 usage or I/O), messages for missing files and projects, the output
//! formats, deterministic artifacts, `--emit ir`, `fmt --check` and `explain`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn schemac(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemac")).args(args).current_dir(dir).output().expect("run schemac")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh directory under the target dir, removed first if it exists.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
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
    for example in ["examples/saas", "examples/ecommerce"] {
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
