//! The invalid-input corpus: schemac's answer to broken input is pinned down.
//!
//! Every file in tests/invalid/ goes through the whole pipeline
//! (`driver::compile`, standard library included) and must
//! - report exactly the codes its first line `// expect: E…, W…` lists, in
//!   order of first appearance (an empty list: no diagnostic at all), and, when
//!   a `// lines: …` line follows, report on exactly those lines;
//! - point every diagnostic inside its file, on character boundaries;
//! - render (human format, no colour) exactly like its reviewed snapshot in
//!   tests/snapshots/invalid/.
//!
//! A file whose second line starts with `KNOWN GAP` is broken input the
//! compiler accepts today; its header records what it reports now, so the test
//! fails (and the header and snapshot are updated) once the gap is closed.
//!
//! Inputs that are not stored .schema text — bytes that are not UTF-8, an
//! empty file, a 5 MB file, nesting and expressions at and past the limits,
//! long chains of patterns and roles, several files at once — are built here
//! and held to the same rules. Those
//! that could abort the process (a stack overflow does) or hang run in a child
//! process of this test binary, on a thread with the default 2 MiB stack and
//! under a time limit, so a crash is reported as that test's own failure. This
//! file must not raise the stack size or the time limits to make an input pass.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use schemac::diagnostics::{render, Diagnostic, FileId};
use schemac::driver::{self, Compilation, Input};
use schemac::syntax::parser::{MAX_EXPRESSION_NODES, MAX_NESTING};

/// Generous for a debug build on a busy machine; a hang takes far longer.
const LIMIT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------- helpers

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid")
}

/// (file name, bytes) of every stored corpus file, by name.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("tests/invalid exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "schema"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).expect("readable file")))
        .collect()
}

/// The codes of a `// expect: …` line (empty for `// expect:`).
fn expected_codes(name: &str, text: &str) -> Vec<String> {
    let first = text.lines().next().unwrap_or("");
    let list =
        first.strip_prefix("// expect:").unwrap_or_else(|| panic!("{name}: the first line is not `// expect: …`"));
    list.split(',').map(str::trim).filter(|c| !c.is_empty()).map(String::from).collect()
}

/// The line numbers of a `// lines: …` header line, if the file has one.
fn expected_lines(text: &str) -> Option<Vec<usize>> {
    let line = text.lines().take(3).find_map(|l| l.strip_prefix("// lines:"))?;
    Some(line.split(',').map(|n| n.trim().parse().expect("`// lines:` lists numbers")).collect())
}

fn compile_one(name: &str, bytes: &[u8]) -> Compilation {
    driver::compile(&[Input { name: name.to_string(), bytes: bytes.to_vec() }])
}

/// Codes in order of first appearance.
fn codes(diagnostics: &[Diagnostic]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in diagnostics {
        if !out.iter().any(|c| c == d.code.0) {
            out.push(d.code.0.to_string());
        }
    }
    out
}

/// Every primary label is in one of `files`; every label lies inside its own
/// file's text, on character boundaries. Returns the problems found.
fn span_problems(compilation: &Compilation, files: &[FileId]) -> Vec<String> {
    let mut problems = Vec::new();
    for d in &compilation.diagnostics {
        let Some(primary) = d.primary_span() else {
            problems.push(format!("{} `{}` has no location", d.code, d.message));
            continue;
        };
        if !files.contains(&primary.file) {
            let name = &compilation.sources.get(primary.file).name;
            problems.push(format!("{} `{}` points into {name}, not the input", d.code, d.message));
        }
        for label in &d.labels {
            let text = &compilation.sources.get(label.span.file).text;
            let (start, end) = (label.span.start as usize, label.span.end as usize);
            if start > end || end > text.len() {
                problems.push(format!("{} label {start}..{end} outside a {}-byte file", d.code, text.len()));
            } else if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
                problems.push(format!("{} label {start}..{end} splits a character", d.code));
            }
        }
    }
    problems
}

/// 1-based lines of the primary spans, sorted, without repeats.
fn reported_lines(compilation: &Compilation) -> Vec<usize> {
    let mut lines: Vec<usize> = compilation
        .diagnostics
        .iter()
        .filter_map(Diagnostic::primary_span)
        .map(|s| compilation.sources.get(s.file).line_col(s.start as usize).0)
        .collect();
    lines.sort_unstable();
    lines.dedup();
    lines
}

fn rendered(compilation: &Compilation) -> String {
    render::human_string(&compilation.sources, &compilation.diagnostics)
}

/// Control characters (other than newlines) are written as `\u{…}` escapes,
/// so snapshots stay printable text even when the input was not.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\n' { format!("\\u{{{:x}}}", c as u32) } else { c.to_string() })
        .collect()
}

fn snapshot(name: &str, text: &str) {
    let text = printable(text);
    insta::with_settings!({ snapshot_path => "snapshots/invalid", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name.to_string(), text);
    });
}

/// Compiles one generated input and holds it to the corpus rules: exactly
/// `expected` codes, every location inside the file, the reviewed rendering.
fn check_generated(name: &str, bytes: &[u8], expected: &[&str]) -> Compilation {
    let compilation = compile_one(&format!("{name}.schema"), bytes);
    assert_eq!(codes(&compilation.diagnostics), expected, "{name}: reported codes\n{}", rendered(&compilation));
    let problems = span_problems(&compilation, &[FileId(0)]);
    assert!(problems.is_empty(), "{name}: {problems:#?}");
    compilation
}

use support::isolated;

fn check_source(inner: &str) -> String {
    format!("entity Deep {{\n  id int primary\n  n  int\n  b  bool\n  check ({inner})\n}}\n")
}

// ---------------------------------------------------------------- the stored corpus

#[test]
fn corpus_has_at_least_sixty_files_each_starting_with_an_expect_line() {
    let files = corpus();
    assert!(files.len() >= 60, "only {} files in tests/invalid", files.len());
    for (name, bytes) in &files {
        let stem = name.trim_end_matches(".schema");
        let (number, rest) = stem.split_once('_').unwrap_or((stem, ""));
        assert!(
            number.len() == 3 && number.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty(),
            "{name}: not NNN_name.schema"
        );
        let text = std::str::from_utf8(bytes).unwrap_or_else(|_| panic!("{name}: stored corpus files are UTF-8"));
        for code in expected_codes(name, text) {
            assert!(schemac::diagnostics::Code::parse(&code).is_some(), "{name}: `{code}` is not a diagnostic code");
        }
    }
}

#[test]
fn each_corpus_file_reports_exactly_the_codes_on_its_expect_line() {
    let mut failures = Vec::new();
    for (name, bytes) in corpus() {
        let text = String::from_utf8_lossy(&bytes);
        let expected = expected_codes(&name, &text);
        let compilation = compile_one(&name, &bytes);
        let found = codes(&compilation.diagnostics);
        if found != expected {
            failures.push(format!("{name}: expected {expected:?}, found {found:?}\n{}", rendered(&compilation)));
        }
        if let Some(lines) = expected_lines(&text) {
            let reported = reported_lines(&compilation);
            if reported != lines {
                failures.push(format!("{name}: expected reports on lines {lines:?}, found {reported:?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} corpus file(s) disagree with their header:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn each_corpus_diagnostic_points_inside_its_file() {
    let mut failures = Vec::new();
    for (name, bytes) in corpus() {
        let compilation = compile_one(&name, &bytes);
        for problem in span_problems(&compilation, &[FileId(0)]) {
            failures.push(format!("{name}: {problem}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn each_corpus_file_renders_like_its_reviewed_snapshot() {
    for (name, bytes) in corpus() {
        let compilation = compile_one(&name, &bytes);
        snapshot(name.trim_end_matches(".schema"), &rendered(&compilation));
    }
}

// ---------------------------------------------------------------- bytes that are not .schema text

#[test]
fn binary_garbage_is_refused_as_not_utf8() {
    // Deterministic noise with every byte value, so it is never valid UTF-8.
    let mut state: u32 = 0x9E37_79B9;
    let mut bytes: Vec<u8> = (0..=255u8).collect();
    bytes.extend((0..4096).map(|_| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state >> 24) as u8
    }));
    let compilation = check_generated("binary_garbage", &bytes, &["E0003"]);
    let valid = std::str::from_utf8(&bytes).unwrap_err().valid_up_to();
    assert_eq!(compilation.diagnostics[0].primary_span().map(|s| s.start as usize), Some(valid));
    snapshot("gen_binary_garbage", &rendered(&compilation));
}

#[test]
fn a_latin1_byte_is_located_at_its_offset() {
    let bytes = b"entity Caf\xE9 {\n  id bigint = identity primary\n}\n";
    let compilation = check_generated("latin1", bytes, &["E0003"]);
    assert_eq!(compilation.diagnostics[0].primary_span().map(|s| s.start), Some(10));
    snapshot("gen_latin1_byte", &rendered(&compilation));
}

#[test]
fn nul_and_control_characters_are_syntax_errors() {
    let bytes = b"entity User {\n  id bigint = identity primary\n  \x00\x07\x1b[31m\n}\n\x00\n";
    let compilation = check_generated("control_characters", bytes, &["E0001"]);
    assert_eq!(reported_lines(&compilation), [3, 5]);
    snapshot("gen_control_characters", &rendered(&compilation));
}

#[test]
fn an_empty_file_and_a_whitespace_file_declare_nothing() {
    let empty = check_generated("empty", b"", &["W0001"]);
    snapshot("gen_empty_file", &rendered(&empty));
    let blank = check_generated("blank", b"\n\n   \t\r\n\n", &["W0001"]);
    snapshot("gen_whitespace_file", &rendered(&blank));
}

#[test]
fn a_byte_order_mark_and_crlf_line_endings_keep_positions_right() {
    let text = "\u{FEFF}entity User {\r\n  id   bigint = identity primary\r\n  name strng\r\n}\r\n";
    let compilation = check_generated("bom_crlf", text.as_bytes(), &["E0101"]);
    assert_eq!(reported_lines(&compilation), [3]);
    snapshot("gen_bom_crlf", &rendered(&compilation));
}

#[test]
fn a_duplicate_across_two_files_points_at_both() {
    let inputs = [
        Input { name: "users.schema".into(), bytes: b"entity User {\n  id bigint = identity primary\n}\n".to_vec() },
        Input { name: "people.schema".into(), bytes: b"// people\nentity User {\n  id uuid primary\n}\n".to_vec() },
    ];
    let compilation = driver::compile(&inputs);
    assert_eq!(codes(&compilation.diagnostics), ["E0100"]);
    let problems = span_problems(&compilation, &[FileId(0), FileId(1)]);
    assert!(problems.is_empty(), "{problems:#?}");
    let files: Vec<u32> = compilation.diagnostics[0].labels.iter().map(|l| l.span.file.0).collect();
    assert_eq!(files, [1, 0], "the second declaration is the error, the first its context");
    snapshot("gen_duplicate_across_files", &rendered(&compilation));
}

// ---------------------------------------------------------------- size and depth

#[test]
fn a_five_megabyte_file_is_checked_to_its_end() {
    isolated("a_five_megabyte_file_is_checked_to_its_end", LIMIT, || {
        // Real declarations (about a tenth), padded with comments to 5 MB,
        // with one mistake on the very last line.
        let mut text = String::with_capacity(5 * 1024 * 1024 + 200);
        let mut n = 0;
        while text.len() < 512 * 1024 {
            text.push_str(&format!(
                "/// Entity number {n}.\nentity E{n} {{\n  id    bigint = identity primary\n  name  text\n  email text unique\n  at    timestamptz = now()\n}}\n\n"
            ));
            n += 1;
        }
        while text.len() < 5 * 1024 * 1024 {
            text.push_str("// padding: a long comment line that the compiler has to skip, and nothing else at all\n");
        }
        text.push_str("entity Last {\n  id bigint = identity primary\n  x  strng\n}\n");
        let lines = text.lines().count();
        let compilation = check_generated("five_megabytes", text.as_bytes(), &["E0101"]);
        assert_eq!(reported_lines(&compilation), [lines - 1], "the mistake is on the last line but one");
        assert_eq!(compilation.ir.entities.len(), n + 1, "every declaration before the padding is kept");
        snapshot("gen_five_megabytes", &rendered(&compilation));
    });
}

#[test]
fn two_hundred_levels_of_parentheses_are_refused() {
    isolated("two_hundred_levels_of_parentheses_are_refused", LIMIT, || {
        let source = check_source(&format!("{}n > 0{}", "(".repeat(200), ")".repeat(200)));
        let compilation = check_generated("parens_200", source.as_bytes(), &["E0004"]);
        snapshot("gen_parens_200_levels", &rendered(&compilation));
    });
}

#[test]
fn nesting_at_the_limit_is_accepted_and_one_more_level_is_refused() {
    isolated("nesting_at_the_limit_is_accepted_and_one_more_level_is_refused", LIMIT, || {
        // The entity's `{` and the check's `(` are two levels already.
        let at_limit = check_source(&format!("{}n > 0{}", "(".repeat(MAX_NESTING - 2), ")".repeat(MAX_NESTING - 2)));
        check_generated("parens_at_limit", at_limit.as_bytes(), &[]);
        let over = check_source(&format!("{}n > 0{}", "(".repeat(MAX_NESTING - 1), ")".repeat(MAX_NESTING - 1)));
        check_generated("parens_over_limit", over.as_bytes(), &["E0004"]);
    });
}

#[test]
fn a_three_thousand_term_expression_is_refused() {
    isolated("a_three_thousand_term_expression_is_refused", LIMIT, || {
        // Ten terms a line, so the report shows one readable line.
        let terms: Vec<String> = (0..3000).map(|i| format!("n * {}", i % 10)).collect();
        let lines: Vec<String> = terms.chunks(10).map(|c| c.join(" + ")).collect();
        let source = check_source(&format!("{} > 0", lines.join("\n    + ")));
        let compilation = check_generated("terms_3000", source.as_bytes(), &["E0004"]);
        snapshot("gen_terms_3000", &rendered(&compilation));
    });
}

/// The largest expressions the size limit lets through must compile — parse
/// and type-check — on an ordinary stack, as they do on the CLI's.
#[test]
fn a_sum_just_under_the_size_limit_compiles_on_the_default_stack() {
    isolated("a_sum_just_under_the_size_limit_compiles_on_the_default_stack", LIMIT, || {
        let terms = (MAX_EXPRESSION_NODES - 2) / 2; // `n + … + n > 0`: 2·terms + 1 parts
        let source = check_source(&format!("{} > 0", vec!["n"; terms].join(" + ")));
        check_generated("sum_under_limit", source.as_bytes(), &[]);
    });
}

#[test]
fn a_not_chain_just_under_the_size_limit_compiles_on_the_default_stack() {
    isolated("a_not_chain_just_under_the_size_limit_compiles_on_the_default_stack", LIMIT, || {
        let source = check_source(&format!("{}b", "not ".repeat(MAX_EXPRESSION_NODES - 2)));
        check_generated("not_chain_under_limit", source.as_bytes(), &[]);
    });
}

// ---------------------------------------------------------------- deep declarations

/// Applying a pattern recurses once per nested `apply`; a long but finite
/// chain must still fit an ordinary stack.
#[test]
fn a_chain_of_two_hundred_nested_patterns_compiles_on_the_default_stack() {
    isolated("a_chain_of_two_hundred_nested_patterns_compiles_on_the_default_stack", LIMIT, || {
        let mut source: String =
            (0..200).map(|i| format!("pattern p{i} {{\n  f{i} int?\n  apply p{}\n}}\n", i + 1)).collect();
        source
            .push_str("pattern p200 {\n  last int?\n}\nentity Deep {\n  id bigint = identity primary\n  apply p0\n}\n");
        let compilation = check_generated("pattern_chain", source.as_bytes(), &[]);
        assert_eq!(compilation.ir.entities[0].fields.len(), 202);
    });
}

/// Role inheritance is checked for cycles; a lattice where every role inherits
/// both roles of the next layer has 2^layers paths but only 60 roles, and must
/// be checked as fast as any 60 roles.
#[test]
fn a_lattice_of_sixty_roles_is_checked_quickly() {
    isolated("a_lattice_of_sixty_roles_is_checked_quickly", Duration::from_secs(20), || {
        let layers = 30;
        let mut source = String::new();
        for i in 0..layers {
            for side in ["a", "b"] {
                if i + 1 < layers {
                    source.push_str(&format!("role r{i}{side} inherits r{}a, r{}b\n", i + 1, i + 1));
                } else {
                    source.push_str(&format!("role r{i}{side}\n"));
                }
            }
        }
        check_generated("role_lattice", source.as_bytes(), &[]);
    });
}
