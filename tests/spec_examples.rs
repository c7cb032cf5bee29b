//! The language reference cannot drift from the compiler: every example in
//! spec/ (spec/*.md and the pages in its subdirectories, such as
//! spec/patterns/) fenced as ```` ```schema ```` compiles on its own (one file
//! plus the standard library, as `schemac check` would) with no diagnostic at
//! all — no error and no warning, from the analysis, the passes or the
//! PostgreSQL backend — and applies to a fresh PostgreSQL database whose
//! catalog, read back, equals what the IR lowers to. A failure names the page,
//! the block number and its line, and shows the start of the rendered
//! diagnostics.
//!
//! Blocks fenced as ```` ```schema-error ```` show a mistake on purpose and are
//! not compiled; spec/errors.md is skipped (its examples fail by design). The
//! test also requires a minimum number of compiled blocks, so it cannot pass
//! by finding none.
//!
//! The pattern pages (spec/patterns/) show the SQL a pattern generates: each
//! block fenced as ```` ```sql ```` there must be a contiguous excerpt (whole
//! lines, in order, trailing whitespace ignored) of the PostgreSQL DDL built
//! from the nearest ```` ```schema ```` block above it on the same page.
//! Statements you type (queries, sessions) are fenced as ```` ```psql ````
//! and not checked.

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

/// A fenced block of any kind: its info string, the line its body starts on,
/// and the body.
#[derive(Debug, PartialEq)]
struct Fenced {
    info: String,
    line: usize,
    text: String,
}

/// Every fenced block, in order. A fence shown inside another block is part
/// of that block's body, not a block of its own. A closing fence is a line of
/// at least as many backticks. As in CommonMark, a fence indented by n spaces
/// (a block inside a list item) has up to n spaces removed from each line of
/// its body.
fn fenced_blocks(markdown: &str) -> Vec<Fenced> {
    let mut blocks = Vec::new();
    // (fence length, fence indentation, the block so far)
    let mut open: Option<(usize, usize, Fenced)> = None;
    for (index, line) in markdown.lines().enumerate() {
        let trimmed = line.trim();
        let ticks = trimmed.chars().take_while(|c| *c == '`').count();
        match &mut open {
            None if ticks >= 3 => {
                let info = trimmed[ticks..].trim().to_string();
                let indent = line.len() - line.trim_start_matches(' ').len();
                open = Some((ticks, indent, Fenced { info, line: index + 2, text: String::new() }));
            }
            None => {}
            Some((fence, indent, block)) => {
                if ticks >= *fence && trimmed.len() == ticks {
                    if let Some((_, _, block)) = open.take() {
                        blocks.push(block);
                    }
                } else {
                    let spaces = line.len() - line.trim_start_matches(' ').len();
                    block.text.push_str(&line[spaces.min(*indent)..]);
                    block.text.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "a fenced block is never closed");
    blocks
}

/// Every fenced block whose info string is exactly `schema`. Other fenced
/// blocks are skipped whole, so a fence shown inside them is not mistaken for
/// an example.
fn schema_blocks(markdown: &str) -> Vec<Block> {
    fenced_blocks(markdown)
        .into_iter()
        .filter(|b| b.info == "schema")
        .enumerate()
        .map(|(i, b)| Block { number: i + 1, line: b.line, text: b.text })
        .collect()
}

/// The reference pages whose examples must compile, in path order: the
/// pages of spec/ and of its subdirectories, each named by its path relative
/// to spec/ (`patterns/audit.md`).
fn pages() -> Vec<(String, PathBuf)> {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec");
    let mut pages = Vec::new();
    let mut dirs = vec![spec.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") && path != spec.join("errors.md") {
                let page = path.strip_prefix(&spec).expect("under spec/").to_string_lossy().replace('\\', "/");
                pages.push((page, path));
            }
        }
    }
    pages.sort();
    pages
}

/// The pages that show generated SQL (spec/patterns/).
fn pattern_pages() -> Vec<(String, PathBuf)> {
    pages().into_iter().filter(|(page, _)| page.starts_with("patterns/")).collect()
}

#[test]
fn every_schema_example_in_the_reference_compiles_cleanly() {
    let mut compiled = 0;
    let mut failures = Vec::new();
    for (page, path) in pages() {
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
    for (page, path) in pages() {
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
            // Several PostgreSQL schemas (`schema NAME`): each compared with its own.
            let schemas = if output.postgres_schemas.is_empty() {
                std::slice::from_ref(expected)
            } else {
                output.postgres_schemas.as_slice()
            };
            let differences: Vec<_> =
                schemas.iter().flat_map(|expected| compare(expected, &db.catalog(&expected.schema))).collect();
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

/// Fewer ```sql blocks than this in spec/patterns/ means the pages or the
/// extractor broke.
const MIN_SQL_BLOCKS: usize = 12;

/// The lines of a text with trailing whitespace removed, without the blank
/// lines at its start and end.
fn trimmed_lines(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let start = lines.iter().position(|l| !l.is_empty()).unwrap_or(lines.len());
    let end = lines.iter().rposition(|l| !l.is_empty()).map_or(start, |i| i + 1);
    lines[start..end].to_vec()
}

/// `Ok` when `excerpt` is a contiguous run of whole lines of `ddl` (trailing
/// whitespace ignored); otherwise the 0-based index of the first excerpt line
/// that does not follow on from the longest matching run.
fn excerpt_of(ddl: &str, excerpt: &str) -> Result<(), usize> {
    let ddl = trimmed_lines(ddl);
    let excerpt = trimmed_lines(excerpt);
    if excerpt.is_empty() {
        return Err(0);
    }
    let mut longest = 0;
    for start in 0..ddl.len() {
        let matched = excerpt.iter().zip(&ddl[start..]).take_while(|(a, b)| a == b).count();
        if matched == excerpt.len() {
            return Ok(());
        }
        longest = longest.max(matched);
    }
    Err(longest)
}

#[test]
fn every_sql_block_in_the_pattern_pages_is_an_excerpt_of_the_generated_ddl() {
    let mut checked = 0;
    let mut failures = Vec::new();
    let pages = pattern_pages();
    assert!(!pages.is_empty(), "no pages in spec/patterns/");
    for (page, path) in pages {
        let markdown = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {page}: {e}"));
        // The DDL of the nearest ```schema block above: its number and line,
        // and the script (None when the block does not build).
        let mut schema: Option<(usize, usize, Option<String>)> = None;
        let mut schemas = 0;
        let mut on_page = 0;
        for block in fenced_blocks(&markdown) {
            match block.info.as_str() {
                "schema" => {
                    schemas += 1;
                    let (c, output) = compiled_for_postgres(&format!("{page}#{schemas}"), &block.text);
                    let ddl = output.filter(|_| !c.has_errors()).and_then(|o| {
                        o.artifacts.into_iter().find(|a| a.path == "postgres/schema.sql").map(|a| a.contents)
                    });
                    schema = Some((schemas, block.line, ddl));
                }
                "sql" => {
                    checked += 1;
                    on_page += 1;
                    let at = format!("{page}, sql block at line {}", block.line);
                    match &schema {
                        None => failures.push(format!("{at}: no ```schema block above it on the page")),
                        Some((number, line, None)) => failures
                            .push(format!("{at}: schema block {number} (line {line}) does not build for PostgreSQL")),
                        Some((number, line, Some(ddl))) => {
                            if let Err(i) = excerpt_of(ddl, &block.text) {
                                let lines = trimmed_lines(&block.text);
                                let shown = lines.get(i).copied().unwrap_or("(the block is empty)");
                                failures.push(format!(
                                    "{at}: not an excerpt of the DDL of schema block {number} (line {line}); \
                                     its line {} does not follow:\n    {shown}",
                                    i + 1
                                ));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if on_page == 0 {
            failures.push(format!("{page}: shows no ```sql block"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} SQL excerpts in spec/patterns/ differ from what the compiler generates:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(checked >= MIN_SQL_BLOCKS, "found only {checked} ```sql blocks in spec/patterns/");
}

#[test]
fn an_excerpt_is_whole_lines_in_order_ignoring_trailing_whitespace() {
    let ddl = "BEGIN;\nCREATE TABLE t (\n  id int\n);  \n\nCOMMIT;\n";
    assert_eq!(excerpt_of(ddl, "CREATE TABLE t (\n  id int\n);\n"), Ok(()));
    assert_eq!(excerpt_of(ddl, "\n);\n\nCOMMIT;   \n\n"), Ok(()));
    // Not whole lines, out of order, or with a line left out.
    assert_eq!(excerpt_of(ddl, "TABLE t (\n"), Err(0));
    assert_eq!(excerpt_of(ddl, "CREATE TABLE t (\n);\n"), Err(1));
    assert_eq!(excerpt_of(ddl, "COMMIT;\nBEGIN;\n"), Err(1));
    assert_eq!(excerpt_of(ddl, "\n\n"), Err(0));
}

#[test]
fn fenced_blocks_keep_their_info_string_and_nested_fences() {
    let markdown = "\
```sql
SELECT 1;
```
````markdown
```sql
inside
```
````
- a list item:

  ```sql
  SELECT 2
      FROM t;
 SELECT 3;
  ```
";
    assert_eq!(
        fenced_blocks(markdown),
        vec![
            Fenced { info: "sql".into(), line: 2, text: "SELECT 1;\n".into() },
            Fenced { info: "markdown".into(), line: 5, text: "```sql\ninside\n```\n".into() },
            Fenced { info: "sql".into(), line: 12, text: "SELECT 2\n    FROM t;\nSELECT 3;\n".into() },
        ]
    );
}
