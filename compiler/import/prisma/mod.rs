//! Imports Prisma schemas (`schema.prisma`, or every `*.prisma` file of a
//! `prismaSchemaFolder` directory) into the IR, so that the imported schema
//! builds the database Prisma Migrate builds: the same tables, columns,
//! types, keys, indexes and constraint names.
//!
//! [`import`] parses each file (`parse`, with error recovery: every syntax
//! error is reported with its place, E1000) and, when they all parse,
//! lowers them together (`lower`): models become entities named as the
//! model, stored under the `@@map`/`@map` names or the names as written
//! (Prisma keeps their case); field names become snake_case in the language
//! only. What cannot be kept
//! is a warning (W1000–W1019) at its line; what Prisma itself would refuse
//! is an error (E1000–E1019), and then there is no IR.
//!
//! The caller gathers the files and renders the diagnostics; this module
//! reads the text it is given and nothing else: no files, no database, and
//! nothing of the `.schema` syntax (turning the IR into source is
//! `semantic::raise`'s job).

mod ast;
mod defaults;
mod enums;
mod lexer;
mod lower;
mod model;
mod names;
mod parse;
mod relations;
mod types;

use crate::diagnostics::{Diagnostic, FileId, Sources};
use crate::semantic::ir::Ir;

/// The result of an import: the IR (`None` when there are errors) and
/// every diagnostic, errors and warnings, in the order of the text.
#[derive(Debug)]
pub struct Imported {
    pub ir: Option<Ir>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Imports the Prisma schema made of `files` (one file, or each file of a
/// schema folder; their blocks share one namespace).
pub fn import(sources: &Sources, files: &[FileId]) -> Imported {
    let mut schema = ast::Schema::default();
    let mut diagnostics = Vec::new();
    for &file in files {
        let (blocks, found) = parse::parse(file, &sources.get(file).text);
        schema.blocks.extend(blocks);
        diagnostics.extend(found);
    }
    // A line the parser skipped would make lowering report what it lacks
    // (a key, a field) as if it were missing: syntax errors come alone.
    let ir = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        let (ir, found) = lower::lower(&schema);
        diagnostics.extend(found);
        ir
    };
    // In the order of the text, as the files were given.
    diagnostics.sort_by_key(|d| d.primary_span().map(|s| (files.iter().position(|f| *f == s.file), s.start)));
    Imported { ir, diagnostics }
}
