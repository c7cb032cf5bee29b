//! Import: schemas that already exist, read back into schemac's models.
//!
//! `introspect` reads a live database's catalog into a backend's physical
//! model, so it can be compared with what the compiler lowered. `postgres`
//! turns such a catalog into the IR, `prisma` does the same for a
//! `schema.prisma`, and `dump` loads an SQL dump into a scratch database so
//! the server itself parses it. `recognise` then says `apply timestamps` or
//! `<->` where the imported tables are what those patterns make, proven by
//! building the edited IR and comparing it with the catalog. Importing reads
//! only: it never changes the database it looks at (a dump goes into a
//! scratch database the caller made), and it knows nothing of the CLI.

pub mod dump;
pub mod introspect;
pub mod postgres;
pub mod prisma;
pub mod recognise;
pub mod schemas;
mod sql_expr;
