//! The typed intermediate representation: the contract between the front end
//! and everything after it (passes, backends, migrate, graph, import).
//!
//! Plain serde data. Every object has a stable `id` (`entity:User`,
//! `field:User.email`, …) that depends on names only, never on source
//! positions; every list is in a deterministic order. The IR knows no backend
//! and holds no spans (those live in [`SourceMap`], outside the compiled state).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diagnostics::{Diagnostic, Span};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ir {
    pub enums: Vec<Enum>,
    pub domains: Vec<Domain>,
    pub entities: Vec<Entity>,
    pub relations: Vec<Relation>,
    pub context: Vec<ContextValue>,
    pub roles: Vec<Role>,
    pub grants: Vec<Grant>,
    /// Privileges on views and declared functions (left out of the JSON
    /// when there are none).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub object_grants: Vec<ObjectGrant>,
    pub policies: Vec<Policy>,
    pub views: Vec<View>,
    pub functions: Vec<Function>,
    /// Aggregates over declared functions (left out of the JSON when there
    /// are none).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub aggregates: Vec<Aggregate>,
    pub triggers: Vec<Trigger>,
    pub queries: Vec<Query>,
    /// Migration hazards acknowledged in the source (`allow H0002
    /// order.note`), as `--allow` spells them: `H0002:order.note`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub allows: Vec<String>,
    /// The PostgreSQL schema of each object declared after a `schema NAME`
    /// (by id: `entity:Store`, `enum:…`, `type:…`, `view:…`, `function:…`);
    /// every other object lives in the project's schema.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub schemas: BTreeMap<String, String>,
}

impl Ir {
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.entities.binary_search_by(|e| e.name.as_str().cmp(name)).ok().map(|i| &self.entities[i])
    }

    /// The database column a column grant on `view` names: a query view's
    /// field's column, an `sql` view's column as written.
    pub fn view_column(&self, view: &str, column: &str) -> String {
        let definition = self.views.iter().find(|v| v.name == view).map(|v| &v.definition);
        match definition {
            Some(ViewDefinition::Query { entity, .. }) => {
                self.entity(entity).map_or_else(|| column.to_string(), |e| e.column_of(column))
            }
            _ => column.to_string(),
        }
    }
}

/// Where an object came from, so later stages can say "added by `apply audit`".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    Declared,
    Pattern {
        pattern: String,
    },
    Relation {
        relation: String,
    },
    /// Added by the index advisor for these workload queries.
    Query {
        queries: Vec<String>,
    },
}

impl Origin {
    /// Why a generated object exists, for its database comment: `Added by
    /// pattern \`audit\`.`; none for what the source declares.
    pub fn comment(&self) -> Option<String> {
        match self {
            Origin::Declared => None,
            Origin::Pattern { pattern } => Some(format!("Added by pattern `{pattern}`.")),
            Origin::Relation { relation } => {
                Some(format!("Serves the foreign key of `{}`.", relation.trim_start_matches("relation:")))
            }
            Origin::Query { queries } => Some(format!("Serves the workload {}.", Origin::query_list(queries))),
        }
    }

    /// `query \`feed\`` or `queries \`feed\`, \`inbox\``.
    pub fn query_list(queries: &[String]) -> String {
        let names: Vec<String> = queries.iter().map(|q| format!("`{q}`")).collect();
        format!("{} {}", if queries.len() == 1 { "query" } else { "queries" }, names.join(", "))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enum {
    pub id: String,
    pub name: String,
    pub values: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

/// A named type with an optional check (`type email = text check (…)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Domain {
    pub id: String,
    pub name: String,
    pub base: Type,
    /// The keys a `json` value must have.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub shape: Option<JsonShape>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

/// A json object's declared keys, in the order written. Keys not declared
/// are allowed (documents grow); declared ones must have their kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonShape {
    pub members: Vec<ShapeMember>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapeMember {
    pub name: String,
    /// May be missing or JSON `null`.
    pub optional: bool,
    pub kind: ShapeKind,
}

/// What a json value must be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ShapeKind {
    String,
    Number,
    Boolean,
    /// Any json value but `null`.
    Any,
    /// A string that is one of the values.
    OneOf {
        values: Vec<String>,
    },
    Array {
        element: Box<ShapeKind>,
    },
    Object {
        shape: JsonShape,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Type {
    Uuid,
    Text,
    Varchar {
        length: u32,
    },
    /// Fixed length, blank-padded (`char(2)`).
    Char {
        length: u32,
    },
    SmallInt,
    Int,
    BigInt,
    Numeric {
        precision: Option<u32>,
        scale: Option<u32>,
    },
    Real,
    Double,
    Bool,
    Date,
    /// Fractional-second digits kept (0–6); `None` is the engine's default.
    Time {
        #[serde(skip_serializing_if = "Option::is_none", default)]
        precision: Option<u32>,
    },
    Timestamp {
        #[serde(skip_serializing_if = "Option::is_none", default)]
        precision: Option<u32>,
    },
    Timestamptz {
        #[serde(skip_serializing_if = "Option::is_none", default)]
        precision: Option<u32>,
    },
    Interval,
    Bytes,
    Json,
    Enum {
        name: String,
    },
    Domain {
        name: String,
    },
    Array {
        element: Box<Type>,
    },
    /// `sql("tsvector")`: a type the language has no name for, passed to
    /// the backend as written.
    Sql {
        sql: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    pub id: String,
    pub name: String,
    /// The storage name: the entity name in snake_case.
    pub table: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    pub fields: Vec<Field>,
    pub primary_key: Vec<String>,
    /// The primary key constraint's name when not the backend's default
    /// (`primary film_pkey (film_id)`); imported databases keep theirs.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub primary_key_name: Option<String>,
    pub uniques: Vec<Unique>,
    pub indexes: Vec<Index>,
    pub checks: Vec<Check>,
    pub foreign_keys: Vec<ForeignKey>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<Search>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<Volume>,
    pub behaviours: Vec<Behaviour>,
    pub patterns: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// `row_security enabled|forced`; none: forced when it has policies.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub row_security: Option<RowSecurityLevel>,
    pub origin: Origin,
}

/// Whom a table's row-level security policies apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowSecurityLevel {
    /// Every role but the table's owner.
    Enabled,
    /// The owner too.
    Forced,
}

impl Entity {
    /// An entity with nothing in it yet: no fields, keys or attributes.
    pub fn new(name: &str, table: &str, doc: Option<String>, origin: Origin) -> Entity {
        Entity {
            id: format!("entity:{name}"),
            name: name.to_string(),
            table: table.to_string(),
            doc,
            fields: Vec::new(),
            primary_key: Vec::new(),
            primary_key_name: None,
            uniques: Vec::new(),
            indexes: Vec::new(),
            checks: Vec::new(),
            foreign_keys: Vec::new(),
            search: None,
            partition: None,
            volume: None,
            behaviours: Vec::new(),
            patterns: Vec::new(),
            renamed_from: None,
            row_security: None,
            origin,
        }
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The column a field is stored in (the name itself when it is not a field).
    pub fn column_of(&self, field: &str) -> String {
        self.field(field).map_or_else(|| field.to_string(), |f| f.column.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub id: String,
    pub name: String,
    pub column: String,
    #[serde(rename = "type")]
    pub ty: Type,
    pub nullable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Expr>,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub identity: bool,
    /// `= identity always`: inserts may not give a value (without OVERRIDING SYSTEM VALUE).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub identity_always: bool,
    /// `= serial`: a sequence owned by the column, its next value the
    /// default (PostgreSQL's `serial`; what Prisma's `autoincrement()` makes).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub serial: bool,
    /// Boxed, like `denormalized_from`: rare, and a field is one of the
    /// most numerous objects of the IR (its size is the IR's size).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated: Option<Box<Expr>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pii: Option<Pii>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// A copy of another entity's field (`denormalized from customer.email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denormalized_from: Option<Box<Denormalized>>,
    pub origin: Origin,
}

/// Where a denormalized field's value is copied from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Denormalized {
    /// The navigation (relation field) of this entity that leads there.
    pub navigation: String,
    pub entity: String,
    pub field: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pii {
    Encrypt,
    Mask,
    Hash,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unique {
    /// The constraint's (or unique index's) name when not the default.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    pub columns: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate: Option<Expr>,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    /// The index's name when not the default (`index idx_title (title)`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// `index unique (…)`: a unique index rather than a UNIQUE constraint
    /// (what many databases and ORMs make; the same rule, another object).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub unique: bool,
    pub keys: Vec<IndexKey>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub include: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate: Option<Expr>,
    pub method: IndexMethod,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexKey {
    pub expr: Expr,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub descending: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nulls_first: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexMethod {
    Btree,
    Hash,
    Gin,
    Gist,
    Brin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The field a field-level `check` was written on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub expr: Expr,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub relation: String,
    pub columns: Vec<String>,
    pub references: String,
    pub referenced_columns: Vec<String>,
    pub on_delete: RefAction,
    pub on_update: RefAction,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub deferrable: bool,
    /// The constraint's name when not the default (`constraint fk_x`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Search {
    pub columns: Vec<SearchColumn>,
    pub language: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchColumn {
    pub field: String,
    pub weight: char,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partition {
    pub kind: PartitionKind,
    pub columns: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<PartitionInterval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partitions: Option<u32>,
    /// Partitions written out (`{ p1 from … to … }`), instead of those the
    /// scheme makes: historical ranges kept as they are, say.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub fixed: Vec<FixedPartition>,
}

/// One partition written out. Bound values are SQL literals (`'2022-01-01'`, `100`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedPartition {
    pub name: String,
    pub bound: FixedBound,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FixedBound {
    Range { from: String, to: String },
    In { values: Vec<String> },
    Hash { modulus: u32, remainder: u32 },
    Default,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionKind {
    Range,
    List,
    Hash,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionInterval {
    pub count: u32,
    pub unit: TimeUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    pub rows: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub growth_per_day: Option<u64>,
}

/// A compiler intrinsic a pattern attaches (`behaviour touch(updated_at)`);
/// each backend lowers it (triggers, history tables, policies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Behaviour {
    pub kind: BehaviourKind,
    pub args: Vec<Expr>,
    pub pattern: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BehaviourKind {
    /// Sets a timestamp column on every update.
    Touch,
    /// The columns keep the value they were inserted with.
    Immutable,
    /// DELETE marks the row instead of removing it; uniques become partial.
    SoftDelete,
    /// Every change is appended to the audit log.
    Audit,
    /// Old versions are kept in a history table, readable as of a time.
    Temporal,
    /// Rows are visible only to the session's tenant.
    TenantIsolation,
    /// A version column is bumped on every update.
    OptimisticLock,
}

impl BehaviourKind {
    pub const ALL: [(&'static str, BehaviourKind); 7] = [
        ("touch", BehaviourKind::Touch),
        ("immutable", BehaviourKind::Immutable),
        ("soft_delete", BehaviourKind::SoftDelete),
        ("audit", BehaviourKind::Audit),
        ("temporal", BehaviourKind::Temporal),
        ("tenant_isolation", BehaviourKind::TenantIsolation),
        ("optimistic_lock", BehaviourKind::OptimisticLock),
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cardinality {
    ManyToOne,
    OneToOne,
    ManyToMany,
    /// Many-to-one to exactly one of several targets (an exclusive arc): one
    /// nullable key per target and a check that at most / exactly one is set.
    Polymorphic,
}

/// A relation between two entities, with both navigation names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    pub id: String,
    pub cardinality: Cardinality,
    pub from: RelationEnd,
    pub to: RelationEnd,
    /// The other targets of a polymorphic relation.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub alternatives: Vec<RelationEnd>,
    pub required: bool,
    /// The entity holding the foreign key columns (`from`, or the junction).
    pub holder: String,
    /// Foreign key columns on the holder, per end (`to` for ->/--; both for <->).
    pub columns: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub junction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelationEnd {
    pub entity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub navigation: Option<String>,
}

/// A per-session value policies read as `ctx.name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextValue {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
    pub nullable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub inherits: Vec<String>,
    pub login: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

/// One privilege of one role on one entity (grants are flattened so they diff
/// one by one).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Grant {
    pub role: String,
    pub entity: String,
    pub privilege: Privilege,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Privilege {
    Select,
    Insert,
    Update,
    Delete,
    References,
    Truncate,
    Trigger,
    /// Calling a function (only on functions).
    Execute,
}

/// One privilege of one role on one view or declared function, flattened
/// like [`Grant`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectGrant {
    pub role: String,
    pub kind: GrantedObject,
    /// The view's or function's name.
    pub object: String,
    pub privilege: Privilege,
    /// Column privileges on a view: its fields (a query view) or its
    /// columns (an `sql` view).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
}

/// What an [`ObjectGrant`] is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantedObject {
    View,
    Function,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub id: String,
    pub name: String,
    pub entity: String,
    /// Empty means every role (PUBLIC).
    pub roles: Vec<String>,
    pub commands: Vec<PolicyCommand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub using: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<Expr>,
    pub restrictive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyCommand {
    All,
    Select,
    Insert,
    Update,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    pub id: String,
    pub name: String,
    pub materialized: bool,
    /// Reads its tables with its owner's privileges (`security definer`),
    /// not its reader's, so row-level security applies as to the owner.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub security_definer: bool,
    pub definition: ViewDefinition,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ViewDefinition {
    Query {
        entity: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        filter: Option<Expr>,
        columns: Vec<String>,
    },
    /// Hand-written SQL per backend name.
    Sql { bodies: BTreeMap<String, String> },
}

/// Hand-written procedural code, kept as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Function {
    pub id: String,
    pub name: String,
    pub params: Vec<FunctionParam>,
    pub returns: FunctionReturns,
    pub language: String,
    /// Body per backend name; `any` is the body for every backend.
    pub bodies: BTreeMap<String, String>,
    /// `immutable` or `stable`; none is volatile (the engines' default).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub volatility: Option<Volatility>,
    /// A call with a NULL argument is NULL without running the body (`strict`).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub strict: bool,
    /// Runs with its owner's privileges (`security definer`).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub security_definer: bool,
    /// The schemas names resolve in while it runs (`search_path "…"`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub search_path: Option<String>,
    /// PUBLIC may not execute it (`revoke execute on function f from
    /// public`); roles may as granted.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub revoke_public: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

/// What a function's result depends on: only its arguments (`immutable`,
/// usable in indexes and generated columns), or also the database as of the
/// statement (`stable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Volatility {
    Immutable,
    Stable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionParam {
    /// Empty for a parameter without a name, which the body reads by
    /// position (`$1`).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
    /// The value when a call leaves it out (trailing parameters only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub default: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FunctionReturns {
    Trigger,
    Value {
        #[serde(rename = "type")]
        ty: Type,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    pub id: String,
    pub name: String,
    pub entity: String,
    pub timing: TriggerTiming,
    pub events: Vec<TriggerEvent>,
    pub for_each_row: bool,
    pub function: String,
    /// The strings passed to the function (`TG_ARGV`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub arguments: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

/// An aggregate: each row's values step the state on with `step`, starting
/// from `initial` (NULL when none); `final_function` turns the last state
/// into the result, else the state is the result. PostgreSQL only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    pub id: String,
    pub name: String,
    pub params: Vec<Type>,
    pub state: Type,
    pub step: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub final_function: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub initial: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerTiming {
    Before,
    After,
    InsteadOf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerEvent {
    Insert,
    Update,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    pub id: String,
    pub name: String,
    pub entity: String,
    /// Related rows read with each row (`join items`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub joins: Vec<Join>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<Expr>,
    /// The columns the application reads (`select (…)`); empty: every column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub select: Vec<String>,
    pub order_by: Vec<IndexKey>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_second: Option<f64>,
}

/// A workload query's join along a relation: the rows of `entity` whose
/// fields `on.1` equal the query's row's fields `on.0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Join {
    /// The navigation name the query wrote.
    pub navigation: String,
    pub entity: String,
    /// (field of the query's entity, field of the joined entity), per key column.
    pub on: Vec<(String, String)>,
    /// Many rows per query row (a back reference).
    pub many: bool,
}

/// A typed expression, names resolved: columns are field names of the entity
/// the expression belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expr {
    Null,
    Bool {
        value: bool,
    },
    Int {
        value: String,
    },
    Decimal {
        value: String,
    },
    String {
        value: String,
    },
    Column {
        name: String,
    },
    EnumValue {
        enum_name: String,
        value: String,
    },
    Context {
        name: String,
        #[serde(rename = "type")]
        ty: Type,
    },
    Param {
        name: String,
    },
    Call {
        function: String,
        args: Vec<Expr>,
    },
    Array {
        items: Vec<Expr>,
    },
    Object {
        members: Vec<(String, Expr)>,
    },
    Not {
        expr: Box<Expr>,
    },
    Neg {
        expr: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    /// `sql("…")`: text passed to the backend as written.
    Sql {
        text: String,
    },
}

impl Expr {
    /// Calls `f` on this expression and every expression inside it, outer
    /// before inner.
    pub fn visit(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Call { args: items, .. } | Expr::Array { items } => items.iter().for_each(|e| e.visit(f)),
            Expr::Object { members } => members.iter().for_each(|(_, e)| e.visit(f)),
            Expr::Not { expr } | Expr::Neg { expr } | Expr::IsNull { expr, .. } => expr.visit(f),
            Expr::Binary { left, right, .. } => {
                left.visit(f);
                right.visit(f);
            }
            Expr::InList { expr, list, .. } => {
                expr.visit(f);
                list.iter().for_each(|e| e.visit(f));
            }
            Expr::Between { expr, low, high, .. } => {
                expr.visit(f);
                low.visit(f);
                high.visit(f);
            }
            _ => {}
        }
    }

    /// The fields it names, in order of first appearance.
    pub fn columns(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        self.visit(&mut |e| {
            if let Expr::Column { name } = e {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        });
        names
    }

    /// [`Expr::visit`] with the right to change each expression.
    pub fn visit_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        f(self);
        match self {
            Expr::Call { args: items, .. } | Expr::Array { items } => items.iter_mut().for_each(|e| e.visit_mut(f)),
            Expr::Object { members } => members.iter_mut().for_each(|(_, e)| e.visit_mut(f)),
            Expr::Not { expr } | Expr::Neg { expr } | Expr::IsNull { expr, .. } => expr.visit_mut(f),
            Expr::Binary { left, right, .. } => {
                left.visit_mut(f);
                right.visit_mut(f);
            }
            Expr::InList { expr, list, .. } => {
                expr.visit_mut(f);
                list.iter_mut().for_each(|e| e.visit_mut(f));
            }
            Expr::Between { expr, low, high, .. } => {
                expr.visit_mut(f);
                low.visit_mut(f);
                high.visit_mut(f);
            }
            _ => {}
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Match,
    Like,
    ILike,
    Concat,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// Where each IR object was written, by id. Kept beside the IR (never in the
/// compiled state) so later stages can point diagnostics at the source.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    pub spans: BTreeMap<String, Span>,
}

impl SourceMap {
    pub fn get(&self, id: &str) -> Option<Span> {
        self.spans.get(id).copied()
    }

    /// `d` with its primary label at where `id` was written, when known
    /// (objects a pass or pattern made have no place of their own).
    pub fn at(&self, d: Diagnostic, id: &str, label: &str) -> Diagnostic {
        match self.get(id) {
            Some(span) => d.at(span, label.to_string()),
            None => d,
        }
    }
}
