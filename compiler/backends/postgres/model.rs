//! The PostgreSQL physical model: what the catalog of a database built from the
//! IR holds — tables with their column types as `format_type` prints them,
//! named constraints, indexes, views, routines and comments.
//!
//! The model is produced two ways and compared: from the IR by this backend's
//! lowering (`lower.rs`), and from a live database by introspection
//! (`import/introspect/postgres.rs`). `render.rs` prints it as DDL. It holds
//! names and SQL text only; it must not hold spans or language-level concepts.

use serde::Serialize;

/// Everything schemac creates in one PostgreSQL schema (namespace).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Catalog {
    /// The namespace every object lives in (`public` unless configured).
    pub schema: String,
    pub extensions: Vec<String>,
    pub enums: Vec<EnumType>,
    pub domains: Vec<DomainType>,
    pub tables: Vec<Table>,
    pub foreign_keys: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
    pub views: Vec<View>,
    pub functions: Vec<Function>,
    /// Aggregates over the schema's functions (none: left out of the JSON).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aggregates: Vec<Aggregate>,
    pub triggers: Vec<Trigger>,
    pub policies: Vec<Policy>,
    /// Roles are the cluster's, not the schema's: the script creates the
    /// ones missing and leaves existing ones as they are.
    pub roles: Vec<Role>,
    pub grants: Vec<Grant>,
}

impl Catalog {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnumType {
    pub name: String,
    pub labels: Vec<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainType {
    pub name: String,
    /// The base type as `format_type` prints it.
    pub base: String,
    pub check: Option<Check>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub primary_key: Option<Key>,
    /// UNIQUE constraints (partial uniques are unique indexes instead).
    pub uniques: Vec<Key>,
    pub checks: Vec<Check>,
    pub exclusions: Vec<Exclusion>,
    pub partition: Option<PartitionBy>,
    pub partitions: Vec<Partition>,
    pub row_security: RowSecurity,
    pub comment: Option<String>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    /// The type as `format_type` prints it; user types schema-qualified.
    pub ty: String,
    pub not_null: bool,
    pub default: Option<String>,
    pub identity: bool,
    /// GENERATED ALWAYS (not BY DEFAULT) AS IDENTITY.
    pub identity_always: bool,
    /// A `serial` column: its default takes the next value of a sequence the
    /// column owns (named `<table>_<column>_seq`); the type is the integer.
    pub serial: bool,
    /// A stored generated column's expression.
    pub generated: Option<String>,
    pub comment: Option<String>,
}

/// A PRIMARY KEY or UNIQUE constraint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Key {
    pub name: String,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub name: String,
    /// The condition, without the surrounding `CHECK (…)`.
    pub expr: String,
    /// The expression is hand-written SQL (`sql("…")`): PostgreSQL's own
    /// rendering of it is not expected to match the text character for character.
    pub raw: bool,
}

/// An EXCLUDE constraint: no two rows whose elements all match by their
/// operators (`id WITH =, period WITH &&`: no overlapping periods per id).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exclusion {
    pub name: String,
    /// `gist` (the only method that takes `&&`).
    pub method: String,
    /// (element as SQL — a quoted column or a parenthesised expression, operator).
    pub elements: Vec<(String, String)>,
    pub predicate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForeignKey {
    pub table: String,
    pub name: String,
    pub columns: Vec<String>,
    pub references: String,
    pub referenced_columns: Vec<String>,
    /// `NO ACTION`, `RESTRICT`, `CASCADE`, `SET NULL` or `SET DEFAULT`.
    pub on_delete: String,
    pub on_update: String,
    pub deferrable: bool,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Index {
    pub name: String,
    pub table: String,
    pub unique: bool,
    /// `btree`, `hash`, `gin`, `gist` or `brin`.
    pub method: String,
    /// Each key as SQL: a quoted column or a parenthesised expression, then
    /// `DESC` / `NULLS FIRST|LAST` when not the default.
    pub keys: Vec<String>,
    pub include: Vec<String>,
    pub predicate: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionBy {
    /// `RANGE`, `LIST` or `HASH`.
    pub strategy: String,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Partition {
    pub name: String,
    pub bound: PartitionBound,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum PartitionBound {
    Default,
    /// `FOR VALUES IN (…)`, values as SQL literals.
    List(Vec<String>),
    Hash {
        modulus: u32,
        remainder: u32,
    },
    /// Range partitions made when the schema is applied, relative to that day:
    /// the current period and `ahead` more, each `step` long (an interval
    /// literal such as `1 month`), by `schemac_ensure_partitions`.
    RangeSeries {
        step: String,
        unit: String,
        ahead: u32,
    },
    /// A range partition seen in a live database.
    Range {
        from: String,
        to: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct View {
    pub name: String,
    pub materialized: bool,
    /// Reads its tables with the privileges and policies of whoever reads
    /// the view (every view schemac makes, but a masked one).
    pub security_invoker: bool,
    /// The SELECT statement.
    pub query: String,
    /// Output column names, in order (what introspection can compare).
    pub columns: Vec<String>,
    pub comment: Option<String>,
}

impl View {
    /// `MATERIALIZED VIEW` or `VIEW`, as DDL names the kind.
    pub fn kind(&self) -> &'static str {
        if self.materialized {
            "MATERIALIZED VIEW"
        } else {
            "VIEW"
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Function {
    pub name: String,
    /// `name type` pairs, as SQL.
    pub params: Vec<(String, String)>,
    /// Each parameter's default as SQL, in parameter order; empty when none
    /// has one.
    pub defaults: Vec<Option<String>>,
    /// `trigger` or a type.
    pub returns: String,
    pub language: String,
    pub body: String,
    pub volatility: Option<String>,
    /// STRICT (RETURNS NULL ON NULL INPUT).
    pub strict: bool,
    /// SECURITY DEFINER: runs with its owner's privileges (always with a
    /// fixed `search_path`).
    pub security_definer: bool,
    /// `SET search_path = …` for the function's duration.
    pub search_path: Option<String>,
    /// EXECUTE is revoked from PUBLIC (granted to roles by `grants`).
    pub revoke_public: bool,
    /// Created by schemac itself (a helper), not declared in the sources.
    pub helper: bool,
    pub comment: Option<String>,
}

impl Function {
    /// `PROCEDURE` or `FUNCTION`, as DDL names the kind.
    pub fn kind(&self) -> &'static str {
        if self.returns == "procedure" {
            "PROCEDURE"
        } else {
            "FUNCTION"
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Trigger {
    pub name: String,
    pub table: String,
    /// `BEFORE`, `AFTER` or `INSTEAD OF`.
    pub timing: String,
    /// `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE`, in that order.
    pub events: Vec<String>,
    pub for_each_row: bool,
    pub function: String,
    /// The strings passed to the function (`TG_ARGV`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
    pub comment: Option<String>,
}

/// `CREATE AGGREGATE name(params) (SFUNC = step, STYPE = state, …)`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Aggregate {
    pub name: String,
    /// The aggregated values' types, as `format_type` prints them.
    pub params: Vec<String>,
    /// The state's type.
    pub state: String,
    /// The step (transition) function's name.
    pub step: String,
    pub final_function: Option<String>,
    /// The initial state as text (INITCOND); none is NULL.
    pub initial: Option<String>,
    /// Set with options the language does not declare (an ordered-set or
    /// hypothetical-set aggregate, COMBINEFUNC, SERIALFUNC, a moving-aggregate
    /// MSFUNC, SORTOP, FINALFUNC_EXTRA, FINALFUNC_MODIFY, SSPACE, PARALLEL):
    /// what schemac makes never is, so an import refuses it (W1049).
    pub other_options: bool,
    pub comment: Option<String>,
}

/// A row-level security policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    pub name: String,
    pub table: String,
    /// PERMISSIVE policies are OR-ed together; RESTRICTIVE ones AND-ed onto them.
    pub permissive: bool,
    /// `ALL`, `SELECT`, `INSERT`, `UPDATE` or `DELETE`.
    pub command: String,
    /// Role names; none means PUBLIC.
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub check: Option<String>,
    pub comment: Option<String>,
}

/// A database role the schema uses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Role {
    pub name: String,
    pub login: bool,
    /// Roles it is a member of (whose privileges it inherits).
    pub member_of: Vec<String>,
    pub comment: Option<String>,
}

/// One privilege of one role on one table, view or routine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Grant {
    /// `TABLE` (tables and views) or `FUNCTION`.
    pub kind: String,
    /// The table or view's name, or the routine's name.
    pub object: String,
    /// A routine's parameter types (how GRANT names it).
    pub params: Vec<String>,
    pub role: String,
    /// `SELECT`, `INSERT`, `UPDATE`, `DELETE`, `REFERENCES`, `TRUNCATE` or `EXECUTE`.
    pub privilege: String,
    /// Column privileges; empty for the whole table.
    pub columns: Vec<String>,
}

/// Whether rows are visible only through policies, and to whom.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum RowSecurity {
    #[default]
    Off,
    /// ENABLE ROW LEVEL SECURITY: every role but the table's owner (and
    /// superusers) sees rows only through a policy.
    Enabled,
    /// ENABLE and FORCE: the owner too.
    Forced,
}

impl RowSecurity {
    pub fn describe(self) -> &'static str {
        match self {
            RowSecurity::Off => "off",
            RowSecurity::Enabled => "enabled",
            RowSecurity::Forced => "enabled and forced",
        }
    }
}
