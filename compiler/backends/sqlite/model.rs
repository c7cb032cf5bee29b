//! The SQLite physical model: what `sqlite_schema` and the table pragmas of a
//! database built from the IR report — STRICT tables with their columns
//! (declared type as written, NOT NULL, default, generated expression), primary
//! key, UNIQUE constraints, named CHECK constraints and foreign keys; indexes;
//! views, triggers and virtual (FTS5) tables as the statements SQLite stores.
//!
//! Produced two ways and compared: from the IR by `lower.rs`, and from a live
//! database by `import/introspect/sqlite.rs`. `render.rs` prints it. It holds
//! names and SQL text only; no spans, no language-level concepts.

use serde::Serialize;

/// Everything schemac creates in one SQLite database (the `main` schema).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Schema {
    pub tables: Vec<Table>,
    pub indexes: Vec<Index>,
    pub views: Vec<View>,
    pub triggers: Vec<Trigger>,
    /// FTS5 tables (full-text `search`); their shadow tables (`<name>_data`,
    /// `_idx`, `_docsize`, `_config`) are SQLite's and not listed.
    pub virtual_tables: Vec<VirtualTable>,
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    /// The PRIMARY KEY columns, in key order (empty: none).
    pub primary_key: Vec<String>,
    /// UNIQUE constraints, each a list of columns (partial uniques are
    /// unique indexes instead). SQLite keeps no name for them.
    pub uniques: Vec<Vec<String>>,
    pub checks: Vec<Check>,
    pub foreign_keys: Vec<ForeignKey>,
    /// Declared `STRICT`: values must have the column's declared type.
    pub strict: bool,
    /// Written as an SQL comment before the statement (SQLite has no COMMENT).
    pub comment: Option<String>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    /// The declared type as SQLite stores it: `INTEGER`, `INT`, `REAL`, `TEXT`
    /// or `BLOB` (what a STRICT table accepts).
    pub ty: String,
    pub not_null: bool,
    /// The default expression without the surrounding parentheses (as
    /// `pragma table_xinfo` reports it).
    pub default: Option<String>,
    /// A stored generated column's expression.
    pub generated: Option<String>,
    /// The table's only primary key column, declared `INTEGER`: an alias of
    /// the rowid, so an insert without a value gets the next one.
    pub rowid_alias: bool,
    pub comment: Option<String>,
}

/// A named CHECK constraint (SQLite names it in the error it raises).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub name: String,
    /// The condition, without the surrounding `CHECK (…)`.
    pub expr: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub references: String,
    pub referenced_columns: Vec<String>,
    /// `NO ACTION`, `RESTRICT`, `CASCADE`, `SET NULL` or `SET DEFAULT`.
    pub on_delete: String,
    pub on_update: String,
    /// `DEFERRABLE INITIALLY DEFERRED`: checked at COMMIT.
    pub deferrable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Index {
    pub name: String,
    pub table: String,
    pub unique: bool,
    /// Each key as SQL: a quoted column or a parenthesised expression, then
    /// ` DESC` when descending.
    pub keys: Vec<String>,
    /// A partial index's condition.
    pub predicate: Option<String>,
    /// Written as an SQL comment before the statement.
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct View {
    pub name: String,
    /// The whole `CREATE VIEW … AS SELECT …` statement, as SQLite stores it.
    pub sql: String,
    /// Output column names, in order.
    pub columns: Vec<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trigger {
    pub name: String,
    pub table: String,
    /// The whole `CREATE TRIGGER … END` statement, as SQLite stores it.
    pub sql: String,
    pub comment: Option<String>,
}

/// A virtual table: `CREATE VIRTUAL TABLE "name" USING fts5(…)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VirtualTable {
    pub name: String,
    /// The whole statement, as SQLite stores it.
    pub sql: String,
    pub comment: Option<String>,
}
