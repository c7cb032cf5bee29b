//! The language reference cannot drift from the compiler: every example in
//! spec/*.md fenced as ```` ```schema ```` compiles on its own (one file plus the
//! standard library, as `schemac check` would) with no diagnostic at all —
//! no error and no warning, from the analysis, the passes or the PostgreSQL
//! backend — and applies to a fresh PostgreSQL database whose catalog, read
//! back, equals what the IR lowers to. A failure names the page, the block
//! number and its line, and shows the start of the rendered diagnostics.
//!
//! Blocks fenced as ```` ```schema-error ```` show a mistake on purpose and are
//! not compiled; spec/errors.md is skipped (its examples fail by design). The
//! test also requires a minimum number of compiled blocks, so it cannot pass
//! by finding none.

use std::path::{Path, PathBuf};

mod support;

use schemac::backends::postgres::compare::compare;
use schemac::diagnostics::render::human_string;
use schemac::driver::{compile_str, Compilation};
use schemac::pipeline;

/// Fewer compiled examples than this means the pages or the extractor broke.
const MIN_BLOCKS: usize = 40;
/// Rendered diagnostic lines shown per failing block.
const SHOWN_LINES: usize = 12;

/// A ```schema block: its 1-based number among the page's schema blocks, the
/// line its body starts on, and the body.
#[derive(Debug, PartialEq)]
struct Block {
    number: usize,
    line: usize,
    text: String,
}

/// Every fenced block whose info string is exactly `schema`. Other fenced
/// blocks are skipped whole, so a fence shown inside them is not mistaken for
/// an example. A closing fence is a line of at least as many backticks.
fn schema_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    // (fence length, is a schema block, first body line, body)
    let mut open: Option<(usize, bool, usize, String)> = None;
    for (index, line) in markdown.lines().enumerate() {
        let trimmed = line.trim();
        let ticks = trimmed.chars().take_while(|c| *c == '`').count();
        match &mut open {
            None if ticks >= 3 => {
                let info = trimmed[ticks..].trim();
                open = Some((ticks, info == "schema", index + 2, String::new()));
            }
            None => {}
            Some((fence, is_schema, start, body)) => {
                if ticks >= *fence && trimmed.len() == ticks {
                    if *is_schema {
                        blocks.push(Block { number: blocks.len() + 1, line: *start, text: std::mem::take(body) });
                    }
                    open = None;
                } else if *is_schema {
                    body.push_str(line);
                    body.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "a fenced block is never closed");
    blocks
}

/// The reference pages whose examples must compile, in name order.
fn pages() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .filter(|p| p.file_name().is_some_and(|n| n != "errors.md"))
        .collect();
    pages.sort();
    pages
}

#[test]
fn every_schema_example_in_the_reference_compiles_cleanly() {
    let mut compiled = 0;
    let mut failures = Vec::new();
    for path in pages() {
        let page = path.file_name().expect("file name").to_string_lossy().into_owned();
        let markdown = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {page}: {e}"));
        for block in schema_blocks(&markdown) {
            compiled += 1;
            let c = compiled_for_postgres(&format!("{page}#{}", block.number), &block.text).0;
            if c.diagnostics.is_empty() {
                continue;
            }
            let rendered = human_string(&c.sources, &c.diagnostics);
            let shown: Vec<&str> = rendered.lines().take(SHOWN_LINES).collect();
            failures.push(format!(
                "{page}, block {} (line {}): {} diagnostic(s)\n{}",
                block.number,
                block.line,
                c.diagnostics.len(),
                shown.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {compiled} spec examples do not compile cleanly:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(compiled >= MIN_BLOCKS, "found only {compiled} ```schema blocks in spec/, expected at least {MIN_BLOCKS}");
}

/// Compiles a block and builds it for PostgreSQL; every diagnostic of every
/// stage ends up in the compilation.
fn compiled_for_postgres(name: &str, text: &str) -> (Compilation, Option<pipeline::Output>) {
    let mut c = compile_str(name, text);
    if c.has_errors() {
        return (c, None);
    }
    let output = pipeline::build(&mut c, &pipeline::Options::default());
    c.diagnostics.extend(output.diagnostics.iter().cloned());
    (c, Some(output))
}

#[test]
fn every_schema_example_in_the_reference_applies_to_postgres_as_its_ir_says() {
    let mut applied = 0;
    let mut failures = Vec::new();
    for path in pages() {
        let page = path.file_name().expect("file name").to_string_lossy().into_owned();
        let markdown = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {page}: {e}"));
        for block in schema_blocks(&markdown) {
            let (c, output) = compiled_for_postgres(&format!("{page}#{}", block.number), &block.text);
            let Some(output) = output.filter(|_| !c.has_errors()) else { continue };
            let sql =
                &output.artifacts.iter().find(|a| a.path == "postgres/schema.sql").expect("postgres artifact").contents;
            let expected = output.postgres.as_ref().expect("postgres catalog");
            let mut db = support::pg::TestDb::new(&format!("spec_{}_{}", page.trim_end_matches(".md"), block.number));
            applied += 1;
            if let Err(e) = db.client.batch_execute(sql) {
                failures.push(format!(
                    "{page}, block {} (line {}): {}",
                    block.number,
                    block.line,
                    support::pg::describe(&e, sql)
                ));
                continue;
            }
            let differences = compare(expected, &db.catalog(&expected.schema));
            let notices = db.notices();
            if !differences.is_empty() || !notices.is_empty() {
                let listed: Vec<String> = differences.iter().map(ToString::to_string).chain(notices).collect();
                failures.push(format!(
                    "{page}, block {} (line {}):\n  {}",
                    block.number,
                    block.line,
                    listed.join("\n  ")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} spec examples fail on PostgreSQL:\n\n{}", failures.len(), failures.join("\n\n"));
    assert!(applied >= MIN_BLOCKS, "applied only {applied} examples");
}

#[test]
fn only_blocks_fenced_as_schema_are_extracted() {
    let markdown = "\
intro
```schema
entity A {}
```
```schema-error
entity B {
```
````markdown
```schema
not an example: inside another block
```
````
```toml
[project]
```
```schema
enum C { x }
```
";
    let blocks = schema_blocks(markdown);
    assert_eq!(
        blocks,
        vec![
            Block { number: 1, line: 3, text: "entity A {}\n".into() },
            Block { number: 2, line: 17, text: "enum C { x }\n".into() },
        ]
    );
}
