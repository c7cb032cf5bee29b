//! Parser robustness: `schemac::syntax::parse` must return — never panic, never
//! hang, never overflow the stack — on any input: arbitrary bytes, token soup,
//! mutated valid schemas, pathologically deep or long input, and very large
//! files. Whatever it returns for bad input must be diagnostics, and those must
//! point inside the text.
//!
//! Inputs that could abort the process (a stack overflow does) or hang run in
//! a child process of this test binary, on a thread with the default 2 MiB
//! stack and under a time limit, so each failure is reported as that test's
//! own failure. Tests only: this file must not raise the stack size or the
//! time limits to make a failing input pass.

mod support;

use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::select;
use schemac::diagnostics::{render, FileId, Sources};
use schemac::syntax::parse;

use support::SAMPLE;

/// A second valid schema exercising the declarations the sample lacks.
const MORE: &str = r#"type money = numeric(12, 2) check (value >= 0)

pattern soft_delete(column = 'deleted_at') {
  deleted_at timestamptz?
  behaviour hide_deleted(column)
  relation Self.deleted_by -> User { deferrable }
}

context {
  tenant_id uuid
  user_id   uuid?
}

materialized view recent {
  sql postgres "select * from post\nwhere published"
}

view active = User where deleted_at is null select (id, name)

workload reports {
  /// Monthly totals.
  query totals: Invoice where amount not between -1 and 10 and status not in ('void', 'draft') limit 5 at 2/min
}
"#;

// ---------------------------------------------------------------- harness

/// Parses `text` and checks what came back: every diagnostic label must lie
/// inside the text on character boundaries, and the diagnostics must render.
fn parse_and_check(text: &str) -> usize {
    let parsed = parse(FileId(0), text);
    for diagnostic in &parsed.diagnostics {
        for label in &diagnostic.labels {
            let (start, end) = (label.span.start as usize, label.span.end as usize);
            assert!(start <= end && end <= text.len(), "label {start}..{end} outside a {}-byte text", text.len());
            assert!(
                text.is_char_boundary(start) && text.is_char_boundary(end),
                "label {start}..{end} splits a character"
            );
        }
    }
    let mut sources = Sources::new();
    sources.add("input.schema", text);
    render::human_string(&sources, &parsed.diagnostics);
    parsed.diagnostics.len()
}

use support::isolated;

fn check_source(inner: &str) -> String {
    format!("entity Deep {{\n  id int\n  check ({inner})\n}}\n")
}

// ---------------------------------------------------------------- (a) arbitrary input

const TOKENS: &[&str] = &[
    "entity", "enum", "relation", "pattern", "policy", "workload", "context", "view", "use", "type", "role", "grant",
    "check", "primary", "unique", "index", "apply", "volume", "through", "on", "delete", "not", "and", "or", "in",
    "between", "is", "null", "A", "b", "Self", "::", ".", ",", ":", "=", "==", "->", "--", "<->", "-", "+", "/", "(",
    ")", "[", "]", "{", "}", "'", "\"", "//", "///", "?", "$x", "1", "2.5", "2M", " ", " ", "\n", "\t", "é",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        parse_and_check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soup_never_panics(tokens in prop::collection::vec(select(TOKENS), 0..200)) {
        parse_and_check(&tokens.join(""));
    }
}

// ---------------------------------------------------------------- (b) mutated schemas

const NOISE: &[char] = &['{', '}', '(', ')', '[', ']', '"', '\'', '/', '=', ',', '.', '\n', '-', '>', '<', '?', 'x'];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(prop::sample::Index),
    Duplicate(prop::sample::Index),
    Insert(prop::sample::Index, char),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Mutation::Delete),
        any::<prop::sample::Index>().prop_map(Mutation::Duplicate),
        (any::<prop::sample::Index>(), select(NOISE)).prop_map(|(at, c)| Mutation::Insert(at, c)),
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
            Mutation::Insert(at, c) => {
                let at = at.index(chars.len() + 1);
                chars.insert(at, *c);
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_valid_schemas_never_panic(
        source in select(&[SAMPLE, MORE][..]),
        mutations in prop::collection::vec(mutation(), 1..12),
    ) {
        parse_and_check(&mutate(source, &mutations));
    }
}

#[test]
fn the_unmutated_schemas_are_valid() {
    assert_eq!(parse_and_check(SAMPLE), 0);
    assert_eq!(parse_and_check(MORE), 0);
}

// ---------------------------------------------------------------- (c) deep and long input

const DEEP_LIMIT: Duration = Duration::from_secs(60);

#[test]
fn ten_thousand_nested_parentheses_in_a_check_are_refused() {
    isolated("ten_thousand_nested_parentheses_in_a_check_are_refused", DEEP_LIMIT, || {
        let source = check_source(&format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000)));
        assert!(parse_and_check(&source) > 0, "expected a nesting diagnostic");
    });
}

#[test]
fn a_hundred_thousand_chained_nots_are_refused() {
    isolated("a_hundred_thousand_chained_nots_are_refused", DEEP_LIMIT, || {
        let source = check_source(&format!("{}a", "not ".repeat(100_000)));
        assert!(parse_and_check(&source) > 0, "expected an expression-size diagnostic");
    });
}

#[test]
fn a_hundred_thousand_term_sum_is_refused() {
    isolated("a_hundred_thousand_term_sum_is_refused", DEEP_LIMIT, || {
        let source = check_source(&vec!["a"; 100_000].join(" + "));
        assert!(parse_and_check(&source) > 0, "expected an expression-size diagnostic");
    });
}

#[test]
fn a_hundred_thousand_open_braces_are_refused() {
    isolated("a_hundred_thousand_open_braces_are_refused", DEEP_LIMIT, || {
        assert!(parse_and_check(&"{".repeat(100_000)) > 0, "expected a nesting diagnostic");
        assert!(parse_and_check(&format!("entity A {}", "{".repeat(100_000))) > 0, "expected a nesting diagnostic");
    });
}

/// The longest prefix chains the expression-size limit lets through must fit
/// the stack too: converting them recurses once per operator.
#[test]
fn a_not_chain_just_under_the_size_limit_fits_the_stack() {
    isolated("a_not_chain_just_under_the_size_limit_fits_the_stack", DEEP_LIMIT, || {
        let budget = schemac::syntax::parser::MAX_EXPRESSION_NODES;
        assert_eq!(parse_and_check(&check_source(&format!("{}a", "not ".repeat(budget - 2)))), 0);
    });
}

#[test]
fn a_minus_chain_just_under_the_size_limit_fits_the_stack() {
    isolated("a_minus_chain_just_under_the_size_limit_fits_the_stack", DEEP_LIMIT, || {
        let budget = schemac::syntax::parser::MAX_EXPRESSION_NODES;
        assert_eq!(parse_and_check(&check_source(&format!("{}a", "- ".repeat(budget - 2)))), 0);
    });
}

#[test]
fn a_sum_just_under_the_size_limit_fits_the_stack() {
    isolated("a_sum_just_under_the_size_limit_fits_the_stack", DEEP_LIMIT, || {
        let budget = schemac::syntax::parser::MAX_EXPRESSION_NODES;
        assert_eq!(parse_and_check(&check_source(&vec!["a"; budget / 2].join(" + "))), 0);
    });
}

#[test]
fn nesting_at_the_limit_is_accepted() {
    isolated("nesting_at_the_limit_is_accepted", DEEP_LIMIT, || {
        // The entity's own brace is one level.
        let depth = schemac::syntax::parser::MAX_NESTING - 1;
        let source = check_source(&format!("{}a{}", "(".repeat(depth - 1), ")".repeat(depth - 1)));
        assert_eq!(parse_and_check(&source), 0);
    });
}

/// Braces the nesting check does not see (inside a string or a comment) on a
/// line that is not a declaration: error recovery (`brace_block`) recurses
/// once per brace, so this must not overflow the stack.
#[test]
fn a_hundred_thousand_braces_inside_a_string_on_a_bad_line_are_survived() {
    isolated("a_hundred_thousand_braces_inside_a_string_on_a_bad_line_are_survived", DEEP_LIMIT, || {
        assert!(parse_and_check(&format!("oops '{}'\n", "{".repeat(100_000))) > 0);
    });
}

#[test]
fn a_hundred_thousand_braces_inside_a_comment_on_a_bad_line_are_survived() {
    isolated("a_hundred_thousand_braces_inside_a_comment_on_a_bad_line_are_survived", DEEP_LIMIT, || {
        assert!(parse_and_check(&format!("oops // {}\n", "{".repeat(100_000))) > 0);
    });
}

/// Unclosed braces on a bad line: recovery must not backtrack exponentially
/// in their number — neither within the nesting limit nor where the nesting
/// check cannot see them (inside a string).
#[test]
fn unclosed_braces_inside_a_string_on_a_bad_line_parse_quickly() {
    isolated("unclosed_braces_inside_a_string_on_a_bad_line_parse_quickly", Duration::from_secs(20), || {
        assert!(parse_and_check(&format!("oops '{}'\n", "{".repeat(40))) > 0);
    });
}

#[test]
fn unclosed_braces_on_a_bad_top_level_line_parse_quickly() {
    isolated("unclosed_braces_on_a_bad_top_level_line_parse_quickly", Duration::from_secs(20), || {
        assert!(parse_and_check(&format!("oops {}\n", "{".repeat(40))) > 0);
    });
}

#[test]
fn unclosed_braces_on_a_bad_member_line_parse_quickly() {
    isolated("unclosed_braces_on_a_bad_member_line_parse_quickly", Duration::from_secs(20), || {
        assert!(parse_and_check(&format!("entity A {{\n  oops {}\n}}\n", "{".repeat(40))) > 0);
    });
}

#[test]
fn a_megabyte_long_line_is_parsed() {
    isolated("a_megabyte_long_line_is_parsed", DEEP_LIMIT, || {
        assert!(parse_and_check(&"x".repeat(1 << 20)) > 0);
        assert_eq!(parse_and_check(&format!("// {}\nrole r\n", "c".repeat(1 << 20))), 0);
    });
}

// ---------------------------------------------------------------- size

/// About 5 MB of valid schema: thousands of entities, relations and policies.
fn large_schema() -> (String, usize) {
    let mut text = String::with_capacity(5_300_000);
    let mut declarations = 0;
    let mut i: usize = 0;
    while text.len() < 5_000_000 {
        text.push_str(&format!(
            "/// Entity number {i}.\n\
             entity E{i} {{\n\
             \x20 id         uuid = uuid_v7() primary\n\
             \x20 name       text check (length(name) between 1 and 200)  // bounded\n\
             \x20 email      text? unique\n\
             \x20 score      int = 0 check (score >= 0 and score <= 100)\n\
             \x20 created_at timestamptz = now()\n\
             \x20 index (name, created_at desc) where score > 10\n\
             \x20 apply timestamps, audit\n\
             }}\n\n\
             relation E{i}.owner -> E{}.owned {{\n\
             \x20 required\n\
             \x20 on delete cascade\n\
             }}\n\n\
             policy own{i} on E{i} {{\n\
             \x20 to app_user\n\
             \x20 using (owner == ctx.user_id or ctx.role in ('admin', 'support'))\n\
             }}\n\n",
            i.saturating_sub(1)
        ));
        declarations += 3;
        i += 1;
    }
    (text, declarations)
}

#[test]
fn a_five_megabyte_schema_parses() {
    isolated("a_five_megabyte_schema_parses", Duration::from_secs(240), || {
        let (text, declarations) = large_schema();
        let parsed = parse(FileId(0), &text);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics.first());
        assert_eq!(parsed.file.declarations.len(), declarations);
        assert_eq!(parsed.file.comments.len(), declarations / 3);
    });
}
