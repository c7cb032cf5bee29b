//! Semantic analysis: names resolved, types checked, patterns expanded,
//! relations turned into keys — the AST becomes the typed IR (`ir.rs`).
//! Depends on syntax and diagnostics; knows no backend.

mod allow;
pub mod behaviours;
mod entity;
pub mod expr;
pub mod ir;
mod json_shape;
mod lower;
mod patterns;
mod placement;
pub mod raise;
mod relations;
pub mod resolve;
pub mod routines;
mod security;
pub mod types;
mod workload;

pub use lower::{analyze, snake_case, Analysis};
pub use resolve::Unit;
