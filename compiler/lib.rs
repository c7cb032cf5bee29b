//! schemac: a compiler for database schemas written as code.
//!
//! The pipeline is visible in the module list: `syntax` (text → AST),
//! `semantic` (AST → typed IR), `passes` (IR → IR), and the CLI on top.
//! See ARCHITECTURE.md for the rules that keep the layers apart.

pub mod diagnostics;
pub mod syntax;
