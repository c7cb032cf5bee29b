//! The PostgreSQL backend (15 and later): the IR lowered to a physical model
//! of the catalog (`lower.rs` → `model.rs`) and printed as one DDL script
//! (`render.rs`). The same model, read back from a live database, is what
//! `schemac verify` and the tests compare against (`compare.rs`).
//!
//! Reads the IR only; knows nothing of the syntax or the CLI.

mod behaviours;
pub mod compare;
pub mod expr;
mod json_shape;
pub mod lower;
pub mod model;
pub mod names;
mod pii;
pub mod placement;
pub mod quote;
pub mod render;
mod security;
pub mod types;

use crate::diagnostics::Diagnostic;
use crate::semantic::ir::{Ir, SourceMap};

pub use model::Catalog;

/// Choices about how the schema is laid out on PostgreSQL.
#[derive(Debug, Clone)]
pub struct Options {
    /// The schema (namespace) every object is created in.
    pub schema: String,
    /// Range partitions made ahead of the current period when the schema is
    /// applied (`every 1 month` with 3: this month and the next three).
    pub partitions_ahead: u32,
    /// Hash partitions when `into N partitions` is not given.
    pub hash_partitions: u32,
    /// How a migration renames a table (`[migrations] rename_tables`):
    /// in place, or behind a view under the old name until the contract
    /// phase, so clients that still use the old name keep working.
    pub rename_tables: RenameTables,
    /// How a migration changes a column's type (when PostgreSQL would
    /// rewrite the table) or renames a column (`[migrations]
    /// column_changes`): in place, or through a shadow column kept in sync
    /// by a trigger until the contract phase swaps it in.
    pub column_changes: ColumnChanges,
}

/// `[migrations] rename_tables` in schemac.toml.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RenameTables {
    /// `ALTER TABLE … RENAME`: clients using the old name fail (H0005).
    #[default]
    InPlace,
    /// Rename, then a view under the old name (expand), dropped in the
    /// contract phase.
    WithView,
}

/// `[migrations] column_changes` in schemac.toml.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ColumnChanges {
    /// `ALTER COLUMN … TYPE` (a rewrite under an exclusive lock, H0003) and
    /// `RENAME COLUMN` (clients using the old name fail, H0005).
    #[default]
    InPlace,
    /// A new column kept in sync by a trigger and filled in batches
    /// (expand, backfill); the old column is dropped in the contract phase
    /// (`migrate/shadow_column.rs`).
    WithShadow,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            schema: "public".into(),
            partitions_ahead: 3,
            hash_partitions: 4,
            rename_tables: RenameTables::InPlace,
            column_changes: ColumnChanges::InPlace,
        }
    }
}

/// The IR as a PostgreSQL script, with what stood in the way.
pub struct Output {
    /// Everything, as if in the project's schema.
    pub catalog: Catalog,
    /// When the sources place objects in other schemas (`schema NAME`): the
    /// catalog of each schema, the project's first (`placement.rs`); the
    /// script is made from these. Empty otherwise.
    pub schemas: Vec<Catalog>,
    pub sql: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// Lowers and prints. `header` becomes the script's leading comment.
pub fn generate(ir: &Ir, source_map: &SourceMap, options: &Options, header: &str) -> Output {
    let (catalog, diagnostics) = lower::lower(ir, source_map, options);
    if placement::is_split(ir, options) {
        let schemas = placement::split(catalog.clone(), ir, options);
        let sql = render::script_all(&schemas, header);
        return Output { catalog, schemas, sql, diagnostics };
    }
    let sql = render::script(&catalog, header);
    Output { catalog, schemas: Vec::new(), sql, diagnostics }
}
