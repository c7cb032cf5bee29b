//! schemac: a compiler for database schemas written as code.
//!
//! The pipeline is visible in the module list: `syntax` (text → AST),
//! `semantic` (AST → typed IR), and `driver`, which runs them over a set of
//! files with the embedded `stdlib`. The CLI (compiler/cli, used by main.rs)
//! does all file and terminal I/O, `schemac.toml` included.
//! ARCHITECTURE.md states the rules that keep the layers apart.

pub mod backends;
pub mod cli;
pub mod diagnostics;
pub mod driver;
pub mod graph;
pub mod import;
pub mod migrate;
pub mod passes;
pub mod performance;
pub mod pipeline;
pub mod semantic;
pub mod stdlib;
pub mod syntax;
