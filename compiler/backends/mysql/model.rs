//! The MySQL/MariaDB physical model: what `information_schema` of a database
//! built from the IR reports — InnoDB tables with their columns (type as
//! `COLUMN_TYPE` spells it, NOT NULL, default, stored generated expression,
//! AUTO_INCREMENT, comment), primary key, unique keys and indexes (one
//! namespace per table), named CHECK constraints and foreign keys; views
//! (their output columns), triggers (timing, event and body) and stored
//! procedures (security and body).
//!
//! Produced two ways and compared: from the IR by `lower.rs`, and from a live
//! database by `import/introspect/mysql.rs`. `render.rs` prints it. It holds
//! names and SQL text only; no spans, no language-level concepts.

use serde::Serialize;

/// Everything schemac creates in one MySQL/MariaDB database.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Schema {
    pub tables: Vec<Table>,
    pub views: Vec<View>,
    pub triggers: Vec<Trigger>,
    /// Stored procedures (soft delete's marking and purging).
    pub procedures: Vec<Procedure>,
    /// Roles (server-wide) and the privileges they hold on this database.
    pub roles: Vec<Role>,
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
    /// Unique keys and plain indexes, each with its name (MySQL names every
    /// index, in a namespace of its table).
    pub indexes: Vec<Index>,
    pub checks: Vec<Check>,
    pub foreign_keys: Vec<ForeignKey>,
    /// The table's collation; its text columns use it.
    pub collation: String,
    /// `COMMENT '…'` (at most 2048 characters).
    pub comment: Option<String>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|i| i.name == name)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    /// The type as `COLUMN_TYPE` reports it on MySQL 8, lowercase, without
    /// integer display widths: `bigint`, `varchar(255)`, `decimal(19,4)`,
    /// `enum('a','b')`, `tinyint(1)`, `datetime(6)`, `json`.
    pub ty: String,
    pub not_null: bool,
    /// The default as SQL: a literal (`'x'`, `0.0000`) or an expression
    /// (`utc_timestamp(6)`), without surrounding parentheses.
    pub default: Option<String>,
    /// A stored generated column's expression.
    pub generated: Option<String>,
    pub auto_increment: bool,
    /// `COMMENT '…'` (at most 1024 characters).
    pub comment: Option<String>,
}

/// A named CHECK constraint (MySQL and MariaDB name it in the error they raise).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub name: String,
    /// The condition, without the surrounding `CHECK (…)`.
    pub expr: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForeignKey {
    /// Constraint names are unique in the whole database on MySQL.
    pub name: String,
    pub columns: Vec<String>,
    pub references: String,
    pub referenced_columns: Vec<String>,
    /// `RESTRICT`, `CASCADE` or `SET NULL` (InnoDB's NO ACTION is RESTRICT).
    pub on_delete: String,
    pub on_update: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    /// Each key as SQL: a quoted column, then ` DESC` when descending.
    pub keys: Vec<String>,
    /// Made by InnoDB for a foreign key no other index serves (named as the
    /// constraint); the script does not create it.
    pub implicit: bool,
    /// Written as an SQL comment before the statement.
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct View {
    pub name: String,
    /// The SELECT after `AS`, as written (the server keeps a rewritten form,
    /// so it is not compared).
    pub query: String,
    /// Output column names, in order.
    pub columns: Vec<String>,
    /// `INVOKER` (the reader's privileges, as on PostgreSQL) or `DEFINER`.
    pub security: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trigger {
    pub name: String,
    pub table: String,
    /// `BEFORE` or `AFTER`.
    pub timing: String,
    /// `INSERT`, `UPDATE` or `DELETE`.
    pub event: String,
    /// The statement after `FOR EACH ROW`, as written (the server keeps it
    /// as written).
    pub body: String,
    pub comment: Option<String>,
}

/// A stored procedure: `CREATE PROCEDURE name(params) SQL SECURITY … body`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Procedure {
    pub name: String,
    /// Each parameter as written: `IN `p_id` bigint`.
    pub parameters: Vec<String>,
    /// `INVOKER` or `DEFINER`.
    pub security: String,
    /// The `BEGIN … END` block, as written (the server keeps it as written).
    pub body: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Role {
    pub name: String,
    /// Roles granted to this one (it inherits their privileges).
    pub inherits: Vec<String>,
    /// May sign in on PostgreSQL; on MySQL a user must be made to hold it
    /// (the script says how). Not read back.
    pub login: bool,
    /// Its privileges on this database's tables, sorted.
    pub privileges: Vec<Privilege>,
}

/// One privilege on one table (`column` none) or one column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Privilege {
    pub privilege: String,
    pub table: String,
    pub column: Option<String>,
}
