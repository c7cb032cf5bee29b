//! The syntax layer: grammar, syntax tree, parser and printer (the formatter).
//! It depends on diagnostics only; it knows no types and resolves no names.

pub mod ast;
pub mod descent;
pub mod lexical;
pub mod parser;
pub mod printer;

pub use parser::{parse, Parsed};
