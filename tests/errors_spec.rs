//! spec/errors.md is the manual of the diagnostic codes, and this proves it
//! is true and complete:
//! - its `## CODE: title` headings are exactly `codes::ALL`, same titles, same
//!   order (the table and the manual agree);
//! - every ```schema example, compiled with the standard library and built for
//!   PostgreSQL (passes and backend included), reports its
//!   section's code as its first error (W sections: as the first warning, and
//!   there is no error);
//! - the examples that are not `.schema` text are true as well (E0003's bytes,
//!   E0900's schemac.toml), and only the sections listed here lack a ```schema
//!   example;
//! - `schemac explain CODE` prints each entry with its title.

mod support;

use std::path::PathBuf;
use std::process::Command;

use schemac::diagnostics::{codes, Code, Severity};
use schemac::{driver, pipeline};

const ERRORS_MD: &str = include_str!("../spec/errors.md");

/// Sections whose example is not `.schema` text, with the fence tag it uses.
const WITHOUT_SCHEMA_EXAMPLE: &[(&str, &str)] = &[
    ("E0003", "text"), // the input is bytes that are not UTF-8: shown in a ```text block
    ("E0900", "toml"), // about schemac.toml: shown in a ```toml block
    // `schemac import prisma`: the input is a Prisma schema, shown in a ```prisma block.
    ("E1000", "prisma"),
    ("E1001", "prisma"),
    ("E1002", "prisma"),
    ("E1003", "prisma"),
    ("E1004", "prisma"),
    ("W1000", "prisma"),
    ("W1001", "prisma"),
    ("W1002", "prisma"),
    ("W1003", "prisma"),
    ("W1004", "prisma"),
    ("W1005", "prisma"),
    ("W1006", "prisma"),
    ("W1007", "prisma"),
    ("W1008", "prisma"),
    ("E1020", "sql"), // SQL dumps (E1020–E1023, W1020–W1023): shown as the dump's SQL
    ("E1021", "sql"),
    ("E1022", "sql"),
    ("E1023", "sql"),
    ("W1020", "sql"),
    ("W1021", "sql"),
    ("W1022", "sql"),
    ("W1023", "sql"),
    ("W1040", "sql"), // live PostgreSQL (W1040–W1047): shown as the database's SQL
    ("W1041", "sql"),
    ("W1042", "sql"),
    ("W1043", "sql"),
    ("W1044", "sql"),
    ("W1045", "sql"),
    ("W1046", "sql"),
    ("W1047", "sql"),
    ("W1048", "sql"),
    ("W1049", "sql"),
    ("W1050", "sql"),
];

// Migration hazards (H codes) are shown as a change: a ```schema-before and
// a ```schema-after block, whose plan must carry the hazard.

struct Section {
    code: String,
    title: String,
    body: String,
}

struct Example {
    tag: String,
    text: String,
}

fn sections() -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for line in ERRORS_MD.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            let (code, title) = heading.split_once(": ").unwrap_or((heading, ""));
            out.push(Section { code: code.to_string(), title: title.to_string(), body: String::new() });
        } else if let Some(section) = out.last_mut() {
            section.body.push_str(line);
            section.body.push('\n');
        }
    }
    out
}

fn examples(body: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut current: Option<Example> = None;
    for line in body.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(tag)) => current = Some(Example { tag: tag.trim().to_string(), text: String::new() }),
            (Some(_), Some("")) => out.extend(current.take()),
            (Some(example), _) => {
                example.text.push_str(line);
                example.text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(current.is_none(), "unterminated code block in:\n{body}");
    out
}

fn section(code: &str) -> Section {
    sections().into_iter().find(|s| s.code == code).unwrap_or_else(|| panic!("no section for {code}"))
}

#[test]
fn headings_are_exactly_the_code_table_with_its_titles_in_order() {
    let table: Vec<(String, String)> = codes::ALL.iter().map(|(c, t)| (c.0.to_string(), t.to_string())).collect();
    let manual: Vec<(String, String)> = sections().into_iter().map(|s| (s.code, s.title)).collect();
    let missing: Vec<_> = table.iter().filter(|t| !manual.contains(t)).collect();
    let unknown: Vec<_> = manual.iter().filter(|m| !table.contains(m)).collect();
    assert!(missing.is_empty(), "codes without a `## CODE: title` heading (or with another title): {missing:?}");
    assert!(unknown.is_empty(), "headings that are not in codes::ALL (or have another title): {unknown:?}");
    assert_eq!(manual, table, "the headings are not in code order");
}

#[test]
fn every_section_explains_the_code_and_says_how_to_fix_it() {
    for s in sections() {
        let prose = s.body.lines().take_while(|l| !l.starts_with("```")).collect::<String>();
        assert!(prose.trim().len() > 40, "{}: no explanation before the example", s.code);
        assert!(s.body.lines().any(|l| l.starts_with("Fix:")), "{}: no `Fix:` line", s.code);
    }
}

#[test]
fn every_section_has_a_schema_example_unless_its_input_is_not_schema_text() {
    for s in sections().into_iter().filter(|s| !s.code.starts_with('H')) {
        let examples = examples(&s.body);
        let schema = examples.iter().filter(|e| e.tag == "schema").count();
        match WITHOUT_SCHEMA_EXAMPLE.iter().find(|(c, _)| *c == s.code) {
            None => assert!(schema > 0, "{}: no ```schema example", s.code),
            Some((_, tag)) => {
                assert_eq!(schema, 0, "{}: listed as having no .schema example, but has one", s.code);
                let tags: Vec<&str> = examples.iter().map(|e| e.tag.as_str()).collect();
                assert_eq!(tags, [*tag], "{}: expected one ```{tag} example", s.code);
            }
        }
    }
}

#[test]
fn every_schema_example_reports_its_sections_code_first() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for s in sections() {
        let code = Code::parse(&s.code).unwrap_or_else(|| panic!("{} is not a code", s.code));
        for example in examples(&s.body).into_iter().filter(|e| e.tag == "schema") {
            checked += 1;
            let mut compilation = driver::compile_str(&format!("{}.schema", s.code), &example.text);
            if !compilation.has_errors() {
                // Passes and backends report codes too (W02xx, E08xx).
                let mut options = pipeline::Options::default();
                options.passes.fk_indexes = s.code != "W0201"; // W0201 is about turning inference off
                let output = pipeline::build(&mut compilation, &options);
                compilation.diagnostics.extend(output.diagnostics);
            }
            let first_error = compilation.diagnostics.iter().find(|d| d.severity == Severity::Error).map(|d| d.code);
            let ok = match code.default_severity() {
                Severity::Error => first_error == Some(code),
                Severity::Warning => {
                    let first_warning = compilation.diagnostics.iter().find(|d| d.severity == Severity::Warning);
                    first_error.is_none() && first_warning.map(|d| d.code) == Some(code)
                }
            };
            if !ok {
                let got: Vec<&str> = compilation.diagnostics.iter().map(|d| d.code.0).collect();
                failures.push(format!("{}: got {got:?} for\n{}", s.code, example.text));
            }
        }
    }
    let hazards = codes::ALL.iter().filter(|(c, _)| c.0.starts_with('H')).count();
    assert!(checked >= codes::ALL.len() - WITHOUT_SCHEMA_EXAMPLE.len() - hazards, "only {checked} examples found");
    assert!(failures.is_empty(), "examples that do not show their code:\n{}", failures.join("\n"));
}

#[test]
fn e0004_states_the_limits_the_parser_enforces() {
    use schemac::syntax::parser::{MAX_EXPRESSION_NODES, MAX_NESTING};
    let body = section("E0004").body;
    assert!(
        body.contains(&format!("more than {MAX_NESTING} levels deep")),
        "E0004 misstates the nesting limit:\n{body}"
    );
    assert!(
        body.contains(&format!("more than\n{MAX_EXPRESSION_NODES} operands")),
        "E0004 misstates the expression size limit:\n{body}"
    );
}

#[test]
fn e0003_example_latin1_byte_is_reported_as_not_utf8() {
    // The bytes the E0003 section describes: `é` saved as Latin-1 (0xE9).
    let text = &examples(&section("E0003").body)[0].text;
    assert!(text.starts_with("entity Caf<0xE9> {"), "the E0003 example changed: {text}");
    let bytes = b"entity Caf\xE9 {\n  id bigint = identity primary\n}\n".to_vec();
    let compilation = driver::compile(&[driver::Input { name: "cafe.schema".into(), bytes }]);
    let found: Vec<&str> = compilation.diagnostics.iter().map(|d| d.code.0).collect();
    assert_eq!(found, ["E0003"]);
    let span = compilation.diagnostics[0].primary_span().expect("E0003 points somewhere");
    assert_eq!(span.start as usize, "entity Caf".len(), "E0003 should point at the first bad byte");
}

/// A fresh empty directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("schemac-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn e0900_example_manifest_is_rejected_by_schemac_check() {
    let manifest = &examples(&section("E0900").body)[0].text;
    let dir = TempDir::new("errors-spec-e0900");
    std::fs::write(dir.0.join("schemac.toml"), manifest).expect("write manifest");
    std::fs::create_dir_all(dir.0.join("schema")).expect("create schema dir");
    std::fs::write(dir.0.join("schema/app.schema"), "entity A {\n  id bigint = identity primary\n}\n")
        .expect("write schema");
    let output = Command::new(env!("CARGO_BIN_EXE_schemac")).arg("check").arg(&dir.0).output().expect("run schemac");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error[E0900]"), "{stderr}");
}

#[test]
fn explain_prints_every_code_with_its_title() {
    for (code, title) in codes::ALL {
        let output =
            Command::new(env!("CARGO_BIN_EXE_schemac")).args(["explain", code.0]).output().expect("run schemac");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "schemac explain {code} failed: {}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout.starts_with(&format!("## {code}: {title}\n")), "schemac explain {code} printed:\n{stdout}");
        assert!(stdout.contains("Fix:"), "schemac explain {code} stops before the fix:\n{stdout}");
        assert!(!stdout.contains("\n## "), "schemac explain {code} runs into the next entry:\n{stdout}");
    }
}

#[test]
fn explain_accepts_lowercase_and_refuses_unknown_codes() {
    let output = Command::new(env!("CARGO_BIN_EXE_schemac")).args(["explain", "e0102"]).output().expect("run schemac");
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("## E0102: unknown entity"));
    let output = Command::new(env!("CARGO_BIN_EXE_schemac")).args(["explain", "E9999"]).output().expect("run schemac");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a schemac diagnostic code"));
}

#[test]
fn every_hazard_example_plans_a_step_with_its_code() {
    let mut checked = 0;
    for s in sections().into_iter().filter(|s| s.code.starts_with('H')) {
        let examples = examples(&s.body);
        let tags: Vec<&str> = examples.iter().map(|e| e.tag.as_str()).collect();
        assert_eq!(tags, ["schema-before", "schema-after"], "{}: a hazard is shown as a before and an after", s.code);
        let (before, _, _) = support::build_state(&format!("{}-before.schema", s.code), &examples[0].text, None);
        let (after, _, _) = support::build_state(&format!("{}-after.schema", s.code), &examples[1].text, Some(&before));
        let plan = schemac::migrate::plan(&before, &after, &Default::default());
        let found: Vec<&str> = plan.hazards().map(|h| h.code.0).collect();
        assert!(found.contains(&s.code.as_str()), "{}: the plan's hazards are {found:?}", s.code);
        checked += 1;
    }
    assert_eq!(checked, codes::ALL.iter().filter(|(c, _)| c.0.starts_with('H')).count());
}
