//! The two parsers agree. Well-formed files are read by the hand-written
//! parser (`syntax/descent.rs`), everything else by the pest grammar; for
//! every input here the hand-written parser either gives up or builds the
//! very tree pest builds — the same nodes and the same spans (compared
//! through `Debug`, since spans compare equal under `==`) — and it gives up
//! on every input where pest reports anything.
//!
//! Inputs: every `.schema` file in the repository (examples, stdlib, the
//! invalid-input corpus), every fenced block of the spec, every raw string
//! literal in the test suite and the compiler, generated schemas, and
//! proptest mutations and token soups of them. The well-formed ones among
//! the files and spec blocks must actually take the fast path, so the test
//! cannot pass by the fast parser always giving up.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::select;
use schemac::diagnostics::FileId;
use schemac::syntax::{descent, parser};

#[path = "../benches/synthetic.rs"]
mod synthetic;

/// What went wrong with one input, if anything: the parser (fast path
/// first) must give exactly what the pest grammar alone gives — the same
/// tree, spans included, and the same diagnostics.
fn disagreement(text: &str) -> Option<String> {
    let file = FileId(0);
    let slow = parser::parse_with_pest(file, text);
    let real = parser::parse(file, text);
    let (slow_diagnostics, real_diagnostics) = (format!("{:?}", slow.diagnostics), format!("{:?}", real.diagnostics));
    if slow_diagnostics != real_diagnostics {
        return Some(format!("the diagnostics differ:\npest: {slow_diagnostics}\nparse: {real_diagnostics}"));
    }
    let (fast, slow) = (format!("{:#?}", real.file), format!("{:#?}", slow.file));
    if fast == slow {
        return None;
    }
    let diff = similar::TextDiff::from_lines(&slow, &fast);
    let shown: String = diff
        .unified_diff()
        .context_radius(6)
        .header("pest", "parse")
        .to_string()
        .lines()
        .take(80)
        .collect::<Vec<_>>()
        .join("\n");
    Some(format!("the trees differ:\n{shown}"))
}

fn assert_agree(name: &str, text: &str) {
    if let Some(problem) = disagreement(text) {
        panic!("{name}: {problem}\n--- input ---\n{}", text.chars().take(3000).collect::<String>());
    }
}

fn files_under(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !matches!(name, "node_modules" | "target" | "build")
                && !name.starts_with("target")
                && !name.starts_with('.')
            {
                files_under(&path, extension, out);
            }
        } else if name.ends_with(extension) {
            out.push(path);
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.schema` file of the repository, with its text.
fn schema_files() -> Vec<(String, String)> {
    let mut paths = Vec::new();
    for dir in ["examples", "stdlib", "tests"] {
        files_under(&root().join(dir), ".schema", &mut paths);
    }
    paths
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            Some((p.strip_prefix(root()).unwrap_or(&p).display().to_string(), text))
        })
        .collect()
}

/// The body of every fenced block in spec/, with its info string.
fn spec_blocks() -> Vec<(String, String, String)> {
    let mut pages = Vec::new();
    files_under(&root().join("spec"), ".md", &mut pages);
    let mut blocks = Vec::new();
    for page in pages {
        let text = std::fs::read_to_string(&page).expect("read a spec page");
        let mut open: Option<(String, usize, String)> = None;
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            match &mut open {
                None if trimmed.starts_with("```") => {
                    open = Some((trimmed.trim_start_matches('`').trim().to_string(), n + 1, String::new()))
                }
                Some((info, at, body)) if trimmed.starts_with("```") => {
                    blocks.push((format!("{}:{at}", page.display()), info.clone(), std::mem::take(body)));
                    open = None;
                }
                Some((_, _, body)) => {
                    body.push_str(line);
                    body.push('\n');
                }
                None => {}
            }
        }
    }
    blocks
}

/// The contents of every raw string literal (`r#"…"#`) in the test suite
/// and the compiler: the inline schemas of hundreds of tests.
fn raw_strings() -> Vec<(String, String)> {
    let mut paths = Vec::new();
    files_under(&root().join("tests"), ".rs", &mut paths);
    files_under(&root().join("compiler"), ".rs", &mut paths);
    let mut found = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("read a source file");
        let mut rest = text.as_str();
        while let Some(at) = rest.find("r#\"") {
            let body = &rest[at + 3..];
            let Some(end) = body.find("\"#") else { break };
            found.push((format!("{}", path.display()), body[..end].to_string()));
            rest = &body[end + 2..];
        }
    }
    found
}

#[test]
fn every_schema_file_of_the_repository() {
    let files = schema_files();
    assert!(files.len() > 100, "found only {} .schema files", files.len());
    let mut fast = 0;
    for (name, text) in &files {
        assert_agree(name, text);
        let valid = parser::parse_with_pest(FileId(0), text).diagnostics.is_empty();
        if valid {
            assert!(descent::parse(FileId(0), text).is_some(), "{name}: the fast parser gave up on a valid file");
            fast += 1;
        }
    }
    assert!(fast >= 20, "only {fast} valid files");
}

#[test]
fn every_fenced_block_of_the_spec() {
    let blocks = spec_blocks();
    let mut fast = 0;
    for (name, info, text) in &blocks {
        assert_agree(name, text);
        if info == "schema" && !name.contains("errors.md") {
            let valid = parser::parse_with_pest(FileId(0), text).diagnostics.is_empty();
            assert!(valid, "{name}: a schema block of the spec does not parse");
            assert!(descent::parse(FileId(0), text).is_some(), "{name}: the fast parser gave up on it");
            fast += 1;
        }
    }
    assert!(fast >= 40, "only {fast} schema blocks in the spec");
}

#[test]
fn every_raw_string_of_the_tests_and_the_compiler() {
    let strings = raw_strings();
    assert!(strings.len() > 50, "found only {} raw strings", strings.len());
    let mut fast = 0;
    for (name, text) in &strings {
        assert_agree(name, text);
        fast += usize::from(descent::parse(FileId(0), text).is_some_and(|d| !d.is_empty()));
    }
    assert!(fast >= 30, "the fast parser read only {fast} of the inline schemas");
}

#[test]
fn generated_schemas() {
    for (name, text) in synthetic::project(300) {
        assert_agree(&name, &text);
        assert!(descent::parse(FileId(0), &text).is_some(), "{name}: the fast parser gave up");
    }
}

// ---------------------------------------------------------------- mutations and soups

fn corpus() -> &'static Vec<String> {
    static CORPUS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut texts: Vec<String> = schema_files()
            .into_iter()
            .map(|(_, t)| t)
            .filter(|t| parser::parse_with_pest(FileId(0), t).diagnostics.is_empty() && t.len() < 20_000)
            .collect();
        texts.extend(
            spec_blocks()
                .into_iter()
                .filter(|(_, info, _)| info == "schema")
                .map(|(_, _, t)| t)
                .filter(|t| t.len() > 40),
        );
        texts
    })
}

const NOISE: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "'",
    "/",
    "//",
    "///",
    "=",
    "==",
    ",",
    ".",
    "\n",
    " ",
    "-",
    ">",
    "<",
    "?",
    "x",
    ":",
    "|",
    "not ",
    " is null",
    " in (1)",
    " between 1 and 2",
    "check (x > 0)",
    " primary",
    " unique",
    "\t",
    "$",
    "1",
    "1.5",
    "2k",
    "desc",
    " or ",
    " and ",
    "always",
    "identity",
    "serial",
    "Self",
    "=",
    "\r\n",
    "\u{feff}",
    "é",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(prop::sample::Index),
    Duplicate(prop::sample::Index),
    Insert(prop::sample::Index, &'static str),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Mutation::Delete),
        any::<prop::sample::Index>().prop_map(Mutation::Duplicate),
        (any::<prop::sample::Index>(), select(NOISE)).prop_map(|(at, s)| Mutation::Insert(at, s)),
    ]
}

fn mutate(source: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = source.chars().collect();
    for mutation in mutations {
        match mutation {
            Mutation::Delete(at) if !chars.is_empty() => {
                chars.remove(at.index(chars.len()));
            }
            Mutation::Duplicate(at) if !chars.is_empty() => {
                let at = at.index(chars.len());
                chars.insert(at, chars[at]);
            }
            Mutation::Insert(at, s) => {
                let at = at.index(chars.len() + 1);
                for (i, c) in s.chars().enumerate() {
                    chars.insert(at + i, c);
                }
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

const WORDS: &[&str] = &[
    "entity",
    "relation",
    "enum",
    "type",
    "pattern",
    "policy",
    "grant",
    "role",
    "use",
    "context",
    "workload",
    "view",
    "function",
    "trigger",
    "allow",
    "query",
    "apply",
    "index",
    "unique",
    "primary",
    "check",
    "volume",
    "rows",
    "grows",
    "on",
    "delete",
    "update",
    "set",
    "null",
    "cascade",
    "to",
    "for",
    "using",
    "select",
    "where",
    "order",
    "by",
    "limit",
    "at",
    "identity",
    "always",
    "serial",
    "generated",
    "int",
    "text",
    "bigint",
    "varchar(20)",
    "uuid?",
    "json",
    "A",
    "a",
    "b",
    "Self",
    "{",
    "}",
    "(",
    ")",
    ",",
    ".",
    "->",
    "<->",
    "--",
    "=",
    "==",
    "!=",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "not",
    "and",
    "or",
    "is",
    "in",
    "between",
    "1",
    "2.5",
    "'s'",
    "\"d\"",
    "$p",
    "[",
    "]",
    "?",
    ":",
    "///",
    "//",
    "\n",
    "renamed_from",
    "column",
    "pii",
    "doc",
    "denormalized",
    "from",
    "through",
    "required",
    "deferrable",
    "columns",
    "constraint",
    "materialized",
    "sql",
    "returns",
    "language",
    "execute",
    "before",
    "after",
    "each",
    "row",
    "search",
    "partition",
    "range",
    "every",
    "month",
    "into",
    "partitions",
    "include",
    "nulls",
    "first",
    "last",
    "asc",
    "desc",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_schemas(pick in any::<prop::sample::Index>(), mutations in prop::collection::vec(mutation(), 1..6)) {
        let corpus = corpus();
        let source = &corpus[pick.index(corpus.len())];
        let text = mutate(source, &mutations);
        let problem = disagreement(&text);
        prop_assert!(problem.is_none(), "{}\n--- input ---\n{text}", problem.unwrap_or_default());
    }

    #[test]
    fn token_soups(words in prop::collection::vec(select(WORDS), 0..60), gaps in prop::collection::vec(select(&[" ", "\n", "", "  "][..]), 60)) {
        let text: String = words.iter().zip(gaps.iter().cycle()).map(|(w, g)| format!("{w}{g}")).collect();
        let problem = disagreement(&text);
        prop_assert!(problem.is_none(), "{}\n--- input ---\n{text}", problem.unwrap_or_default());
    }
}
