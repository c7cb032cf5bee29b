//! The MySQL/MariaDB backend (MySQL 8.0, MariaDB 10.11): the IR lowered to a
//! physical model of the database (`lower.rs` → `model.rs`) and printed as
//! one script for the `mysql`/`mariadb` client (`render.rs`). The same
//! model, read back from a live database (`import::introspect::mysql`), is
//! what the tests compare against (`compare.rs`).
//!
//! Reads the IR only; knows nothing of the syntax or the CLI.

mod audit;
pub mod compare;
pub mod expr;
mod indexes;
mod json_shape;
pub mod lower;
pub mod model;
pub mod names;
pub mod quote;
pub mod render;
mod security;
pub mod soft_delete;
pub mod statements;
mod temporal;
mod triggers;
pub mod types;

use crate::diagnostics::Diagnostic;
use crate::semantic::ir::{Ir, SourceMap};

pub use model::Schema;

/// The IR as a MySQL/MariaDB script, with what stood in the way.
pub struct Output {
    pub model: Schema,
    pub sql: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// Lowers and prints. `header` becomes the script's leading comment.
pub fn generate(ir: &Ir, source_map: &SourceMap, header: &str) -> Output {
    let (model, diagnostics) = lower::lower(ir, source_map);
    let sql = render::script(&model, header);
    Output { model, sql, diagnostics }
}
