//! Import: schemas that already exist, read back into schemac's models.
//!
//! `introspect` reads a live database's catalog into a backend's physical
//! model, so it can be compared with what the compiler lowered. Importing
//! reads only: it never changes the database it looks at, and it knows
//! nothing of the syntax, the semantic IR or the CLI.

pub mod introspect;
