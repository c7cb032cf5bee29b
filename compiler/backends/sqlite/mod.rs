//! The SQLite backend (3.37 and later, for STRICT tables): the IR lowered to
//! a physical model of the database (`lower.rs` → `model.rs`) and printed as
//! one DDL script (`render.rs`). The patterns that need more than a column
//! have a file each: `soft_delete.rs`, `audit.rs`, `temporal.rs`, and
//! `search.rs` for full-text search. The same model, read back from a live
//! database (`import::introspect::sqlite`), is what the tests and `schemac
//! verify` compare against (`compare.rs`).
//!
//! Reads the IR only; knows nothing of the syntax or the CLI.

pub mod audit;
pub mod compare;
pub mod expr;
mod json_shape;
pub mod lower;
pub mod model;
pub mod quote;
pub mod render;
mod search;
mod soft_delete;
pub mod temporal;
pub mod types;

use crate::diagnostics::Diagnostic;
use crate::semantic::ir::{Ir, SourceMap};

pub use model::Schema;

/// Choices about how the schema is laid out on SQLite.
#[derive(Debug, Clone)]
pub struct Options {
    /// Declare tables STRICT, so values must have the column's type (SQLite
    /// 3.37+). Without it SQLite stores whatever it is given.
    pub strict: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { strict: true }
    }
}

/// The IR as a SQLite script, with what stood in the way.
pub struct Output {
    pub model: Schema,
    pub sql: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// Lowers and prints. `header` becomes the script's leading comment.
pub fn generate(ir: &Ir, source_map: &SourceMap, options: &Options, header: &str) -> Output {
    let (model, diagnostics) = lower::lower(ir, source_map, options);
    let sql = render::script(&model, header);
    Output { model, sql, diagnostics }
}
