//! The syntax tree of one `.schema` file, exactly as written.
//!
//! Every node carries a [`Span`]; declarations and fields carry their `///` doc
//! comments. The tree knows no types and resolves no names (that is
//! `semantic/`). Two spans always compare equal, so `==` on nodes means "the same
//! source modulo layout" — the property the formatter's round trip relies on.

use crate::diagnostics::{FileId, Span};

/// A parsed file: its declarations in source order, plus the plain `//`
/// comments the formatter must put back.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFile {
    pub file: FileId,
    pub declarations: Vec<Declaration>,
    pub comments: Vec<Comment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Declaration {
    Use(Use),
    Enum(Enum),
    TypeAlias(TypeAlias),
    Entity(Entity),
    Relation(Relation),
    Pattern(Pattern),
    Role(Role),
    Grant(Grant),
    Policy(Policy),
    Context(Context),
    Workload(Workload),
    View(View),
    Function(Function),
    Aggregate(Aggregate),
    Trigger(Trigger),
    Revoke(Revoke),
    Allow(Allow),
    Schema(SchemaDecl),
}

impl Declaration {
    pub fn span(&self) -> Span {
        match self {
            Declaration::Use(d) => d.span,
            Declaration::Enum(d) => d.span,
            Declaration::TypeAlias(d) => d.span,
            Declaration::Entity(d) => d.span,
            Declaration::Relation(d) => d.span,
            Declaration::Pattern(d) => d.span,
            Declaration::Role(d) => d.span,
            Declaration::Grant(d) => d.span,
            Declaration::Allow(d) => d.span,
            Declaration::Schema(d) => d.span,
            Declaration::Policy(d) => d.span,
            Declaration::Context(d) => d.span,
            Declaration::Workload(d) => d.span,
            Declaration::View(d) => d.span,
            Declaration::Function(d) => d.span,
            Declaration::Aggregate(d) => d.span,
            Declaration::Trigger(d) => d.span,
            Declaration::Revoke(d) => d.span,
        }
    }
}

/// `use std::patterns::{timestamps, audit}` / `use std::types::email` / `use std::types::*`
#[derive(Debug, Clone, PartialEq)]
pub struct Use {
    pub path: Vec<Ident>,
    pub imports: Imports,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Imports {
    /// `use a::b::c` imports `c` from `a::b` (the last path segment).
    Single,
    Group(Vec<Ident>),
    Glob,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Enum {
    pub docs: Vec<String>,
    pub name: Ident,
    pub values: Vec<EnumValue>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumValue {
    pub docs: Vec<String>,
    pub name: Ident,
}

/// `type email = text check (value ~ '…')`
#[derive(Debug, Clone, PartialEq)]
pub struct TypeAlias {
    pub docs: Vec<String>,
    pub name: Ident,
    pub target: TypeRef,
    /// The declared keys of a `json` alias.
    pub shape: Option<JsonShape>,
    pub check: Option<Expr>,
    pub span: Span,
}

/// `{ key type, … }` after `json`: the keys a json object must have.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonShape {
    pub members: Vec<ShapeMember>,
    pub span: Span,
}

/// `theme text`, `tags text[]?`, `address json? { zip text }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapeMember {
    pub name: Ident,
    pub ty: TypeRef,
    pub shape: Option<JsonShape>,
    pub span: Span,
}

/// A written type: `varchar(200)`, `text[]?`, `Plan`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeRef {
    pub name: Ident,
    /// `sql("tsvector")`: the backend's own spelling (`name` is then `sql`).
    pub raw: Option<String>,
    pub args: Vec<u64>,
    pub array_dims: u8,
    pub optional: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub docs: Vec<String>,
    pub name: Ident,
    pub members: Vec<Member>,
    pub span: Span,
}

/// What may stand inside an entity, a `through` body or a pattern body.
#[derive(Debug, Clone, PartialEq)]
pub enum Member {
    Field(Field),
    Primary(KeyList),
    Unique(UniqueAttr),
    Index(IndexAttr),
    Check(CheckAttr),
    Search(SearchAttr),
    Partition(PartitionAttr),
    Apply(ApplyAttr),
    Volume(VolumeAttr),
    RenamedFrom(Ident),
    /// `table "film_actor"`: the table's name in the database.
    Table(StringLit),
    /// `row_security enabled` (false) or `row_security forced` (true).
    RowSecurity(bool, Span),
    /// Only in pattern bodies.
    Behaviour(Behaviour),
    /// Only in pattern bodies: `relation Self.tenant -> Tenant { … }`.
    Relation(Relation),
}

impl Member {
    pub fn span(&self) -> Span {
        match self {
            Member::Field(m) => m.span,
            Member::Primary(m) => m.span,
            Member::Unique(m) => m.span,
            Member::Index(m) => m.span,
            Member::Check(m) => m.span,
            Member::Search(m) => m.span,
            Member::Partition(m) => m.span,
            Member::Apply(m) => m.span,
            Member::Volume(m) => m.span,
            Member::RenamedFrom(m) => m.span,
            Member::Table(m) => m.span,
            Member::RowSecurity(_, s) => *s,
            Member::Behaviour(m) => m.span,
            Member::Relation(m) => m.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub docs: Vec<String>,
    pub name: Ident,
    pub ty: TypeRef,
    pub default: Option<DefaultValue>,
    pub modifiers: Vec<Modifier>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    Expr(Expr),
    /// `= identity`: a database-generated integer sequence.
    Identity(Span),
    /// `= identity always`: the same, and a value may not be given on insert.
    IdentityAlways(Span),
    /// `= serial`: a sequence owned by the column, its next value the default.
    Serial(Span),
    /// `= generated (expr)`: a stored generated column.
    Generated(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Modifier {
    Primary(Span),
    Unique(Span),
    Check(Expr),
    Pii(Ident),
    RenamedFrom(Ident),
    /// `denormalized from customer.email`: a copy of a field of the entity a
    /// navigation leads to (navigation, field).
    Denormalized(Ident, Ident),
    /// `column "createdAt"`: the column's name in the database.
    Column(StringLit),
    Doc(StringLit),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StringLit {
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyList {
    /// `primary film_pkey (…)`: the constraint's database name.
    pub name: Option<Ident>,
    pub columns: Vec<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UniqueAttr {
    pub name: Option<Ident>,
    pub columns: Vec<Ident>,
    pub predicate: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexAttr {
    /// `index unique (…)`
    pub unique: bool,
    pub name: Option<Ident>,
    pub keys: Vec<IndexKey>,
    pub include: Vec<Ident>,
    pub predicate: Option<Expr>,
    pub method: Option<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexKey {
    pub expr: Expr,
    pub descending: Option<bool>,
    pub nulls_first: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckAttr {
    pub name: Option<Ident>,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchAttr {
    pub columns: Vec<SearchColumn>,
    pub language: Option<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchColumn {
    pub column: Ident,
    pub weight: Option<char>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PartitionAttr {
    pub kind: PartitionKind,
    pub columns: Vec<Ident>,
    pub scheme: Option<PartitionScheme>,
    /// Partitions written out, in order (none: made by the scheme).
    pub fixed: Vec<FixedPartition>,
    pub span: Span,
}

/// `p2022_01 from '2022-01-01' to '2022-02-01'`: one partition and its bound.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedPartition {
    pub name: Ident,
    pub bound: FixedBound,
}

/// A bound's values as written: a string (quoted) or a number (bare).
#[derive(Debug, Clone, PartialEq)]
pub enum FixedBound {
    Range { from: BoundValue, to: BoundValue },
    In(Vec<BoundValue>),
    Hash { modulus: u64, remainder: u64 },
    Default,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BoundValue {
    String(String),
    Number(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionKind {
    Range,
    List,
    Hash,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PartitionScheme {
    /// `every 1 month`
    Every { count: u64, unit: String },
    /// `into 8 partitions`
    Into(u64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApplyAttr {
    pub patterns: Vec<PatternUse>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatternUse {
    pub name: Ident,
    /// `None` when written without parentheses.
    pub args: Option<Vec<PatternArg>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatternArg {
    pub name: Ident,
    pub value: Expr,
}

/// `volume 2M rows, grows 5k/day`
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeAttr {
    pub rows: Quantity,
    pub growth: Option<(Quantity, String)>,
    pub span: Span,
}

/// A count as written (`2M`) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub text: String,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Behaviour {
    pub name: Ident,
    pub args: Option<Vec<Expr>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    pub docs: Vec<String>,
    pub from: RelationEnd,
    pub cardinality: Cardinality,
    pub to: RelationEnd,
    /// Further targets of a polymorphic relation: `-> Post | Photo | Video`.
    pub alternatives: Vec<RelationEnd>,
    /// `None` when the relation has no `{ … }` body.
    pub body: Option<Vec<RelationItem>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RelationEnd {
    pub entity: Ident,
    pub field: Option<Ident>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cardinality {
    /// `->` many-to-one
    ManyToOne,
    /// `--` one-to-one
    OneToOne,
    /// `<->` many-to-many
    ManyToMany,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RelationItem {
    Required(Span),
    OnDelete(RefAction, Span),
    OnUpdate(RefAction, Span),
    Deferrable(Span),
    Through(Through),
    /// `columns (customer_id)`: the foreign key columns' names, one per key
    /// column of the target (instead of `<field>_<key>`).
    Columns(Vec<Ident>, Span),
    /// `constraint album_artist_fk`: the foreign key constraint's database name.
    Constraint(Ident, Span),
}

impl RelationItem {
    pub fn span(&self) -> Span {
        match self {
            RelationItem::Required(s)
            | RelationItem::OnDelete(_, s)
            | RelationItem::OnUpdate(_, s)
            | RelationItem::Deferrable(s)
            | RelationItem::Columns(_, s)
            | RelationItem::Constraint(_, s) => *s,
            RelationItem::Through(t) => t.span,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefAction {
    Cascade,
    Restrict,
    SetNull,
    SetDefault,
    NoAction,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Through {
    pub entity: Ident,
    /// `None` when the junction entity is declared elsewhere or generated.
    pub members: Option<Vec<Member>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    pub docs: Vec<String>,
    pub name: Ident,
    pub params: Option<Vec<PatternParam>>,
    pub members: Vec<Member>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatternParam {
    pub name: Ident,
    pub default: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
/// `allow H0002 order.note`: a migration hazard acknowledged in the source;
/// the doc comment says why.
pub struct Allow {
    pub docs: Vec<String>,
    pub code: Ident,
    /// The hazard's object as plans name it (`order.note`).
    pub object: Ident,
    pub span: Span,
}

/// `schema sales`: the entities, enums, type aliases, views and functions
/// declared after it in the same file live in that PostgreSQL schema.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaDecl {
    pub name: Ident,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub docs: Vec<String>,
    pub name: Ident,
    pub inherits: Vec<Ident>,
    pub login: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    pub privileges: Vec<Privilege>,
    /// `on function f, …`: the objects are declared functions.
    pub on_functions: bool,
    /// Entities or views, or functions when `on_functions`.
    pub objects: Vec<Ident>,
    pub roles: Vec<Ident>,
    pub span: Span,
}

/// `revoke execute on function f, … from public`: the functions PUBLIC may
/// not execute (PostgreSQL's default lets it).
#[derive(Debug, Clone, PartialEq)]
pub struct Revoke {
    pub functions: Vec<Ident>,
    /// The role revoked from: `public`, the only one the language revokes from.
    pub role: Ident,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Privilege {
    pub kind: PrivilegeKind,
    pub columns: Option<Vec<Ident>>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrivilegeKind {
    Select,
    Insert,
    Update,
    Delete,
    References,
    Truncate,
    /// Creating triggers on the table.
    Trigger,
    /// Calling a function.
    Execute,
    All,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub docs: Vec<String>,
    pub name: Ident,
    pub entities: Vec<Ident>,
    pub items: Vec<PolicyItem>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PolicyItem {
    To(Vec<Ident>, Span),
    For(Vec<PolicyCommand>, Span),
    Using(Expr, Span),
    Check(Expr, Span),
    Restrictive(bool, Span),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PolicyCommand {
    Select,
    Insert,
    Update,
    Delete,
    All,
}

/// `context { tenant_id uuid  user_id uuid? }`: the typed per-session values `ctx.*` reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub docs: Vec<String>,
    pub fields: Vec<Field>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub docs: Vec<String>,
    pub name: Option<Ident>,
    pub queries: Vec<Query>,
    pub span: Span,
}

/// `query feed: Post join author where … select (…) order by … limit 20 at 500/s`
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub docs: Vec<String>,
    pub name: Ident,
    pub entity: Ident,
    /// `join items, customer`: related rows read with each row, by navigation name.
    pub joins: Vec<Ident>,
    pub filter: Option<Expr>,
    /// `select (a, b)`: the fields the application reads (None: all of them).
    pub select: Option<Vec<Ident>>,
    pub order_by: Vec<OrderKey>,
    pub limit: Option<u64>,
    pub rate: Option<(Quantity, String)>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    pub expr: Expr,
    pub descending: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub docs: Vec<String>,
    pub materialized: bool,
    pub name: Ident,
    /// `security definer`: reads with its owner's privileges (not its reader's).
    pub security_definer: bool,
    pub definition: ViewDefinition,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ViewDefinition {
    /// `= Post where published select (id, title)`
    Query { entity: Ident, filter: Option<Expr>, columns: Option<Vec<Ident>> },
    /// `{ sql postgres "…" }`, one body per backend.
    Sql(Vec<(Ident, StringLit)>),
}

/// `function name(a type, …) returns T language plpgsql { sql "…" }`: hand-written
/// procedural code, kept as written (one body for all backends, or one per backend).
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub docs: Vec<String>,
    pub name: Ident,
    /// Name, type and default (`role text = 'member'`); a parameter
    /// without a name (`text`) is read by position (`$1`).
    pub params: Vec<(Option<Ident>, TypeRef, Option<Expr>)>,
    pub returns: TypeRef,
    pub language: Ident,
    /// `immutable`, `stable` or `volatile`, as written.
    pub volatility: Option<Ident>,
    /// `strict`: a call with a NULL argument is NULL, the body not run.
    pub strict: bool,
    /// `security definer`: runs with its owner's privileges.
    pub security_definer: bool,
    /// `search_path "…"`: the schemas it resolves names in while it runs.
    pub search_path: Option<StringLit>,
    pub bodies: Vec<(Option<Ident>, StringLit)>,
    pub span: Span,
}

/// `trigger name on Entity before insert or update [for each row] execute function`
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    pub docs: Vec<String>,
    pub name: Ident,
    pub entity: Ident,
    pub timing: TriggerTiming,
    pub events: Vec<TriggerEvent>,
    /// `Some(true)` for `for each row`, `Some(false)` for `for each statement`.
    pub for_each_row: Option<bool>,
    pub function: Ident,
    /// The strings passed to the function (`execute f('a', 'b')`), if any.
    pub arguments: Vec<StringLit>,
    pub span: Span,
}

/// `aggregate name(types) state T step f [final g] [initial "…"]`: an
/// aggregate whose state, of type T, each row's values step on with `f`.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub docs: Vec<String>,
    pub name: Ident,
    /// The types of the aggregated values.
    pub params: Vec<TypeRef>,
    pub state: TypeRef,
    pub step: Ident,
    /// The function turning the last state into the result.
    pub final_function: Option<Ident>,
    /// The state before the first row, as the state type's text.
    pub initial: Option<StringLit>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerTiming {
    Before,
    After,
    InsteadOf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TriggerEvent {
    Insert,
    Update,
    Delete,
}

/// An expression of the small typed language used by defaults, checks,
/// predicates, policies and workload queries.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Int(String),
    Decimal(String),
    String(String),
    Bool(bool),
    Null,
    /// `$user` — a workload query parameter.
    Param(String),
    /// `a`, `author.name`, `ctx.tenant_id`.
    Path(Vec<Ident>),
    Call(Ident, Vec<Expr>),
    Array(Vec<Expr>),
    Object(Vec<(StringLit, Expr)>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
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
    /// `( … )` kept so the formatter prints what was written.
    Paren(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Match => "~",
            BinaryOp::Like => "like",
            BinaryOp::ILike => "ilike",
            BinaryOp::Concat => "||",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }

    /// Binding power; higher binds tighter. Mirrors the Pratt table in parser.rs.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::Match
            | BinaryOp::Like
            | BinaryOp::ILike => 4,
            BinaryOp::Concat => 5,
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 7,
        }
    }
}
