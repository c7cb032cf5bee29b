//! The migration planner, proven on the real server by a property test.
//!
//! Each case draws a random schema A (entities with typed fields, defaults,
//! uniques, checks, indexes, doc comments, an enum, many-to-one relations)
//! and a random sequence of edits that turns it into B (fields and entities
//! added, dropped and renamed with `renamed_from`, safe type widenings,
//! nullability, defaults, indexes, uniques, checks, relations, their
//! `required` and `on delete`, enum values, doc comments). Then, in a fresh
//! PostgreSQL schema:
//!
//! 1. DDL(A) is applied and rows are inserted into every table;
//! 2. plan(A→B) is applied with `migrate::apply` (journal and all);
//! 3. the introspected catalog equals the catalog B lowers to — which
//!    `postgres_backend.rs` proves is what DDL(B) gives an empty database —
//!    and so are what the catalog model does not show: identity sequences
//!    named as `CREATE TABLE` names them, every constraint validated, every
//!    index valid;
//! 4. every row is still there: per surviving table the row count, and per
//!    surviving column (renames followed) the values of every row, as text;
//! 5. a plan with no step that claims a rewrite left every table's storage
//!    (`relfilenode`) as it was;
//! 6. where the plan says it is reversible, `migrate::apply::revert` returns
//!    the catalog to A's and the rows to what they were.
//!
//! Also: the self-diffs plan(A→A) and plan(B→B) are empty, and no generated
//! edit needs a manual migration (H0008). A failure shrinks to a minimal
//! schema and edit list and shows A, B, the up script and the differences.
//!
//! `SCHEMAC_MIGRATE_CASES` sets the number of cases (default 500, shared out
//! among one worker per core, each with its own database);
//! `SCHEMAC_MIGRATE_EDITS` the longest edit sequence (default 4).

mod support;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;
use std::time::Instant;

use postgres::Client;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use schemac::backends::postgres::compare::compare;
use schemac::backends::postgres::quote::{ident, qualified};
use schemac::backends::postgres::Catalog;
use schemac::diagnostics::codes;
use schemac::driver;
use schemac::migrate::apply::JOURNAL;
use schemac::migrate::plan::Timeouts;
use schemac::migrate::{self, script};
use schemac::pipeline;
use schemac::semantic::ir::Ir;
use support::pg::{describe, TestDb};

// ------------------------------------------------------------------ model

/// Rows inserted into every table of A.
const ROWS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Int,
    BigInt,
    Text,
    Varchar(u32),
    Bool,
    Numeric,
    Timestamptz,
    Date,
    Uuid,
    Color,
    Json,
}

impl Ty {
    fn source(self) -> String {
        match self {
            Ty::Int => "int".into(),
            Ty::BigInt => "bigint".into(),
            Ty::Text => "text".into(),
            Ty::Varchar(n) => format!("varchar({n})"),
            Ty::Bool => "bool".into(),
            Ty::Numeric => "numeric(10, 2)".into(),
            Ty::Timestamptz => "timestamptz".into(),
            Ty::Date => "date".into(),
            Ty::Uuid => "uuid".into(),
            Ty::Color => "Color".into(),
            Ty::Json => "json".into(),
        }
    }

    /// Can carry `check (f >= 0)`.
    fn numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::BigInt | Ty::Numeric)
    }

    /// The inserted rows hold distinct values (a unique can be added).
    fn distinct_rows(self) -> bool {
        !matches!(self, Ty::Bool | Ty::Json)
    }

    /// A default, in source syntax; `choice` picks among the options.
    fn default(self, choice: usize, colors: &[String]) -> String {
        match self {
            Ty::Int | Ty::BigInt | Ty::Numeric => ["0", "7"][choice % 2].into(),
            Ty::Text | Ty::Varchar(_) => ["'x'", "''"][choice % 2].into(),
            Ty::Bool => ["true", "false"][choice % 2].into(),
            Ty::Timestamptz => "now()".into(),
            Ty::Date => "current_date()".into(),
            // uuid_v4() is volatile: adding a column with it backfills.
            Ty::Uuid => ["uuid_v4()", "uuid_v7()"][choice % 2].into(),
            Ty::Color => colors[choice % colors.len()].clone(),
            Ty::Json => "{}".into(),
        }
    }

    /// The SQL value of row `row` (0-based): never null, non-negative for
    /// numbers, distinct per row where the type allows.
    fn value(self, row: usize, colors: &[String]) -> String {
        match self {
            Ty::Int => format!("{}", row * 7 + 1),
            Ty::BigInt => format!("{}", row * 1_000_003 + 2),
            Ty::Numeric => format!("{row}.25"),
            Ty::Text => format!("'t{row}'"),
            Ty::Varchar(_) => format!("'v{row}'"),
            Ty::Bool => row.is_multiple_of(2).to_string(),
            Ty::Timestamptz => format!("'2024-01-0{} 10:00:00+00'", row + 1),
            Ty::Date => format!("'2024-02-0{}'", row + 1),
            Ty::Uuid => format!("'00000000-0000-4000-8000-00000000000{row}'"),
            Ty::Color => format!("'{}'", colors[row % colors.len()]),
            Ty::Json => format!("'{{\"r\": {row}}}'"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// No `on delete`: NO ACTION.
    Default,
    Cascade,
    Restrict,
    SetNull,
}

impl Action {
    fn pick(n: usize, required: bool) -> Action {
        match n % 4 {
            1 => Action::Cascade,
            2 => Action::Restrict,
            3 if !required => Action::SetNull,
            _ => Action::Default,
        }
    }
}

#[derive(Debug, Clone)]
struct Field {
    name: String,
    /// Its name in A; none when B adds it.
    origin: Option<String>,
    ty: Ty,
    nullable: bool,
    default: Option<String>,
    unique: bool,
    check: bool,
    index: bool,
    doc: Option<String>,
}

#[derive(Debug, Clone)]
struct Entity {
    name: String,
    origin: Option<String>,
    doc: Option<String>,
    fields: Vec<Field>,
}

#[derive(Debug, Clone)]
struct Relation {
    holder: String,
    field: String,
    target: String,
    required: bool,
    on_delete: Action,
    /// A has it (its rows hold references).
    in_a: bool,
    doc: Option<String>,
}

#[derive(Debug, Clone)]
struct Model {
    colors: Vec<String>,
    colors_doc: Option<String>,
    entities: Vec<Entity>,
    relations: Vec<Relation>,
    /// The next fresh name number (names are never reused).
    next: usize,
}

impl Model {
    fn fresh(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }

    fn source(&self) -> String {
        let mut s = String::new();
        if let Some(doc) = &self.colors_doc {
            let _ = writeln!(s, "/// {doc}");
        }
        let _ = writeln!(s, "enum Color {{ {} }}", self.colors.join(", "));
        for e in &self.entities {
            s.push('\n');
            if let Some(doc) = &e.doc {
                let _ = writeln!(s, "/// {doc}");
            }
            let _ = writeln!(s, "entity {} {{\n  id bigint = identity primary", e.name);
            for f in &e.fields {
                if let Some(doc) = &f.doc {
                    let _ = writeln!(s, "  /// {doc}");
                }
                let _ = write!(s, "  {} {}{}", f.name, f.ty.source(), if f.nullable { "?" } else { "" });
                if let Some(d) = &f.default {
                    let _ = write!(s, " = {d}");
                }
                if f.unique {
                    s.push_str(" unique");
                }
                if f.check {
                    let _ = write!(s, " check ({} >= 0)", f.name);
                }
                if let Some(from) = f.origin.as_ref().filter(|o| **o != f.name) {
                    let _ = write!(s, " renamed_from {from}");
                }
                s.push('\n');
            }
            for f in e.fields.iter().filter(|f| f.index) {
                let _ = writeln!(s, "  index ({})", f.name);
            }
            if let Some(from) = e.origin.as_ref().filter(|o| **o != e.name) {
                let _ = writeln!(s, "  renamed_from {from}");
            }
            s.push_str("}\n");
        }
        for r in &self.relations {
            s.push('\n');
            if let Some(doc) = &r.doc {
                let _ = writeln!(s, "/// {doc}");
            }
            let _ = write!(s, "relation {}.{} -> {}.{}s", r.holder, r.field, r.target, r.field);
            let mut items = Vec::new();
            if r.required {
                items.push("required".to_string());
            }
            match r.on_delete {
                Action::Default => {}
                Action::Cascade => items.push("on delete cascade".into()),
                Action::Restrict => items.push("on delete restrict".into()),
                Action::SetNull => items.push("on delete set null".into()),
            }
            if !items.is_empty() {
                let _ = write!(s, " {{\n  {}\n}}", items.join("\n  "));
            }
            s.push('\n');
        }
        s
    }

    /// Every (entity, field) position.
    fn fields(&self, keep: impl Fn(&Field) -> bool) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (i, e) in self.entities.iter().enumerate() {
            for (j, f) in e.fields.iter().enumerate() {
                if keep(f) {
                    out.push((i, j));
                }
            }
        }
        out
    }

    fn field_mut(&mut self, pick: usize, keep: impl Fn(&Field) -> bool) -> Option<&mut Field> {
        let candidates = self.fields(keep);
        let (i, j) = *candidates.get(pick % candidates.len().max(1))?;
        Some(&mut self.entities[i].fields[j])
    }

    /// The INSERTs of A's rows, `ROWS` per table with every field and
    /// reference set. Entities go in order, which puts each relation's
    /// target first: A's relations point from later entities to earlier ones.
    fn insert_rows(&self, schema: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.entities {
            let relations: Vec<&Relation> = self.relations.iter().filter(|r| r.holder == e.name).collect();
            let mut columns: Vec<String> = e.fields.iter().map(|f| ident(&f.name)).collect();
            columns.extend(relations.iter().map(|r| ident(&format!("{}_id", r.field))));
            for row in 0..ROWS {
                let mut values: Vec<String> = e.fields.iter().map(|f| f.ty.value(row, &self.colors)).collect();
                values.extend(relations.iter().map(|_| format!("{}", row % ROWS + 1)));
                let table = qualified(schema, &snake(&e.name));
                out.push(if columns.is_empty() {
                    format!("INSERT INTO {table} DEFAULT VALUES")
                } else {
                    format!("INSERT INTO {table} ({}) VALUES ({})", columns.join(", "), values.join(", "))
                });
            }
        }
        out
    }
}

fn snake(entity: &str) -> String {
    schemac::semantic::snake_case(entity)
}

// ------------------------------------------------------------- strategies

#[derive(Debug, Clone)]
struct FieldSpec {
    ty: Ty,
    nullable: bool,
    default: Option<usize>,
    unique: bool,
    check: bool,
    index: bool,
    doc: bool,
}

#[derive(Debug, Clone)]
struct RelationSpec {
    holder: usize,
    target: usize,
    required: bool,
    on_delete: usize,
}

#[derive(Debug, Clone)]
struct SchemaSpec {
    entities: Vec<(bool, Vec<FieldSpec>)>,
    relations: Vec<RelationSpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EditKind {
    AddField,
    DropField,
    RenameField,
    WidenType,
    MakeRequired,
    MakeNullable,
    ToggleDefault,
    ToggleIndex,
    ToggleUnique,
    ToggleCheck,
    AddEntity,
    DropEntity,
    RenameEntity,
    AddRelation,
    DropRelation,
    ChangeOnDelete,
    ToggleRequired,
    AddEnumValue,
    ToggleDoc,
}

const EDITS: [EditKind; 19] = [
    EditKind::AddField,
    EditKind::DropField,
    EditKind::RenameField,
    EditKind::WidenType,
    EditKind::MakeRequired,
    EditKind::MakeNullable,
    EditKind::ToggleDefault,
    EditKind::ToggleIndex,
    EditKind::ToggleUnique,
    EditKind::ToggleCheck,
    EditKind::AddEntity,
    EditKind::DropEntity,
    EditKind::RenameEntity,
    EditKind::AddRelation,
    EditKind::DropRelation,
    EditKind::ChangeOnDelete,
    EditKind::ToggleRequired,
    EditKind::AddEnumValue,
    EditKind::ToggleDoc,
];

/// An edit's intent; the indices pick among what the model has when the
/// edit is applied (modulo), so edits stay valid while the case shrinks.
#[derive(Debug, Clone)]
struct Edit {
    kind: EditKind,
    a: usize,
    b: usize,
    c: usize,
    ty: Ty,
    flag: bool,
}

fn ty() -> impl Strategy<Value = Ty> {
    prop_oneof![
        Just(Ty::Int),
        Just(Ty::Text),
        (4u32..40).prop_map(Ty::Varchar),
        Just(Ty::BigInt),
        Just(Ty::Bool),
        Just(Ty::Numeric),
        Just(Ty::Timestamptz),
        Just(Ty::Date),
        Just(Ty::Uuid),
        Just(Ty::Color),
        Just(Ty::Json),
    ]
}

fn field_spec() -> impl Strategy<Value = FieldSpec> {
    (
        ty(),
        prop::bool::weighted(0.3),
        prop::option::weighted(0.3, 0usize..4),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(ty, nullable, default, unique, check, index, doc)| FieldSpec {
            ty,
            nullable,
            default,
            unique: unique && ty.distinct_rows(),
            check: check && ty.numeric(),
            index,
            doc,
        })
}

fn schema_spec() -> impl Strategy<Value = SchemaSpec> {
    let entity = (prop::bool::weighted(0.1), prop::collection::vec(field_spec(), 1..=5));
    let relation = (0usize..4, 0usize..4, any::<bool>(), 0usize..4)
        .prop_map(|(holder, target, required, on_delete)| RelationSpec { holder, target, required, on_delete });
    (prop::collection::vec(entity, 1..=4), prop::collection::vec(relation, 0..=3))
        .prop_map(|(entities, relations)| SchemaSpec { entities, relations })
}

fn edit() -> impl Strategy<Value = Edit> {
    (prop::sample::select(&EDITS[..]), 0usize..16, 0usize..16, 0usize..16, ty(), any::<bool>())
        .prop_map(|(kind, a, b, c, ty, flag)| Edit { kind, a, b, c, ty, flag })
}

/// Schema A as a model.
fn model_a(spec: &SchemaSpec) -> Model {
    let mut m = Model {
        colors: vec!["red".into(), "green".into(), "blue".into()],
        colors_doc: None,
        entities: Vec::new(),
        relations: Vec::new(),
        next: 0,
    };
    for (n, (doc, fields)) in spec.entities.iter().enumerate() {
        let name = format!("E{n}");
        let mut entity =
            Entity { name: name.clone(), origin: Some(name), doc: doc.then(|| "an entity".into()), fields: Vec::new() };
        for f in fields {
            let name = m.fresh("f");
            entity.fields.push(Field {
                origin: Some(name.clone()),
                name,
                ty: f.ty,
                nullable: f.nullable,
                default: f.default.map(|d| f.ty.default(d, &m.colors)),
                unique: f.unique,
                check: f.check,
                index: f.index,
                doc: f.doc.then(|| "a field".into()),
            });
        }
        m.entities.push(entity);
    }
    let n = m.entities.len();
    for r in &spec.relations {
        let (x, y) = (r.holder % n, r.target % n);
        if x == y {
            continue;
        }
        // From a later entity to an earlier one: rows are inserted in order.
        let (holder, target) = (x.max(y), x.min(y));
        let field = m.fresh("r");
        m.relations.push(Relation {
            holder: m.entities[holder].name.clone(),
            field,
            target: m.entities[target].name.clone(),
            required: r.required,
            on_delete: Action::pick(r.on_delete, r.required),
            in_a: true,
            doc: None,
        });
    }
    m
}

/// Applies one edit to the model, keeping the source valid and every
/// change one the rows of A survive. An edit with nothing to act on does
/// nothing.
fn edit_model(m: &mut Model, e: &Edit) {
    let colors = m.colors.clone();
    match e.kind {
        EditKind::AddField => {
            if m.entities.is_empty() {
                return;
            }
            let name = m.fresh("f");
            let mode = e.b % 3;
            let field = Field {
                name,
                origin: None,
                ty: e.ty,
                nullable: mode != 2,
                default: (mode != 0).then(|| e.ty.default(e.c, &colors)),
                unique: false,
                check: e.flag && e.ty.numeric(),
                index: e.c.is_multiple_of(3),
                doc: e.c.is_multiple_of(5).then(|| "added".into()),
            };
            let n = m.entities.len();
            m.entities[e.a % n].fields.push(field);
        }
        EditKind::DropField => {
            let candidates = m.fields(|_| true);
            if let Some(&(i, j)) = candidates.get(e.a % candidates.len().max(1)) {
                m.entities[i].fields.remove(j);
            }
        }
        EditKind::RenameField => {
            let name = m.fresh("f");
            if let Some(f) = m.field_mut(e.a, |_| true) {
                f.name = name;
            }
        }
        EditKind::WidenType => {
            if let Some(f) = m.field_mut(e.a, |f| matches!(f.ty, Ty::Int | Ty::Varchar(_))) {
                f.ty = match f.ty {
                    Ty::Varchar(_) if e.flag => Ty::Text,
                    Ty::Varchar(n) => Ty::Varchar(n + 50),
                    _ => Ty::BigInt,
                };
            }
        }
        EditKind::MakeRequired => {
            // Rows of A hold values in every field; a field B adds is
            // filled by its default.
            if let Some(f) = m.field_mut(e.a, |f| f.nullable && (f.default.is_some() || f.origin.is_some())) {
                f.nullable = false;
            }
        }
        EditKind::MakeNullable => {
            if let Some(f) = m.field_mut(e.a, |f| !f.nullable) {
                f.nullable = true;
            }
        }
        EditKind::ToggleDefault => {
            // A required field B adds needs its default for the rows of A.
            if let Some(f) = m.field_mut(e.a, |f| f.nullable || f.origin.is_some() || f.default.is_none()) {
                f.default = match &f.default {
                    Some(_) if !e.flag => None,
                    _ => Some(f.ty.default(e.b, &colors)),
                };
            }
        }
        EditKind::ToggleIndex => {
            if let Some(f) = m.field_mut(e.a, |_| true) {
                f.index = !f.index;
            }
        }
        EditKind::ToggleUnique => {
            // Only the rows of A are known to be distinct.
            if let Some(f) = m.field_mut(e.a, |f| f.unique || (f.origin.is_some() && f.ty.distinct_rows())) {
                f.unique = !f.unique;
            }
        }
        EditKind::ToggleCheck => {
            if let Some(f) = m.field_mut(e.a, |f| f.ty.numeric()) {
                f.check = !f.check;
            }
        }
        EditKind::AddEntity => {
            let name = m.fresh("E");
            let field = m.fresh("f");
            m.entities.push(Entity {
                name,
                origin: None,
                doc: e.flag.then(|| "new".into()),
                fields: vec![Field {
                    name: field,
                    origin: None,
                    ty: e.ty,
                    nullable: e.b.is_multiple_of(2),
                    default: e.c.is_multiple_of(2).then(|| e.ty.default(e.c, &colors)),
                    unique: e.ty.distinct_rows() && e.b.is_multiple_of(3),
                    check: e.ty.numeric(),
                    index: e.c.is_multiple_of(3),
                    doc: None,
                }],
            });
        }
        EditKind::DropEntity => {
            let candidates: Vec<usize> = (0..m.entities.len())
                .filter(|&i| {
                    let name = &m.entities[i].name;
                    !m.relations.iter().any(|r| r.target == *name && r.holder != *name)
                })
                .collect();
            if let Some(&i) = candidates.get(e.a % candidates.len().max(1)) {
                let gone = m.entities.remove(i).name;
                m.relations.retain(|r| r.holder != gone);
            }
        }
        EditKind::RenameEntity => {
            if m.entities.is_empty() {
                return;
            }
            let name = m.fresh("E");
            let n = m.entities.len();
            let entity = &mut m.entities[e.a % n];
            let old = std::mem::replace(&mut entity.name, name.clone());
            for r in &mut m.relations {
                if r.holder == old {
                    r.holder = name.clone();
                }
                if r.target == old {
                    r.target = name.clone();
                }
            }
        }
        EditKind::AddRelation => {
            if m.entities.is_empty() {
                return;
            }
            let n = m.entities.len();
            let field = m.fresh("r");
            m.relations.push(Relation {
                holder: m.entities[e.a % n].name.clone(),
                field,
                target: m.entities[e.b % n].name.clone(),
                required: false,
                on_delete: Action::pick(e.c, false),
                in_a: false,
                doc: e.flag.then(|| "added".into()),
            });
        }
        EditKind::DropRelation => {
            if !m.relations.is_empty() {
                let n = m.relations.len();
                m.relations.remove(e.a % n);
            }
        }
        EditKind::ChangeOnDelete => {
            if !m.relations.is_empty() {
                let n = m.relations.len();
                let r = &mut m.relations[e.a % n];
                r.on_delete = Action::pick(e.b, r.required);
            }
        }
        EditKind::ToggleRequired => {
            let candidates: Vec<usize> = (0..m.relations.len())
                .filter(|&i| {
                    let r = &m.relations[i];
                    r.required || (r.in_a && r.on_delete != Action::SetNull)
                })
                .collect();
            if let Some(&i) = candidates.get(e.a % candidates.len().max(1)) {
                m.relations[i].required = !m.relations[i].required;
            }
        }
        EditKind::AddEnumValue => {
            let value = m.fresh("c");
            let at = e.a % (m.colors.len() + 1);
            m.colors.insert(at, value);
        }
        EditKind::ToggleDoc => {
            let text = format!("doc {}", e.b);
            let toggle = |doc: &mut Option<String>| *doc = if doc.is_some() { None } else { Some(text) };
            match e.c % 4 {
                0 if !m.entities.is_empty() => {
                    let n = m.entities.len();
                    toggle(&mut m.entities[e.a % n].doc);
                }
                1 if !m.relations.is_empty() => {
                    let n = m.relations.len();
                    toggle(&mut m.relations[e.a % n].doc);
                }
                2 => toggle(&mut m.colors_doc),
                _ => {
                    if let Some(f) = m.field_mut(e.a, |_| true) {
                        toggle(&mut f.doc);
                    }
                }
            }
        }
    }
}

// ------------------------------------------------------------------- case

struct Built {
    ir: Ir,
    sql: String,
    catalog: Catalog,
}

fn build(source: &str, schema: &str, previous: Option<Arc<Ir>>) -> Result<Built, String> {
    let mut compilation = driver::compile_str("m.schema", source);
    let errors = |d: &[schemac::diagnostics::Diagnostic]| -> Vec<String> {
        d.iter().filter(|d| d.is_error()).map(|d| format!("{}: {}", d.code, d.message)).collect()
    };
    let e = errors(&compilation.diagnostics);
    if !e.is_empty() {
        return Err(format!("the source does not compile: {e:#?}"));
    }
    let mut options = pipeline::Options::default();
    options.postgres.schema = schema.to_string();
    options.previous = previous;
    let output = pipeline::build(&mut compilation, &options);
    let e = errors(&output.diagnostics);
    if !e.is_empty() {
        return Err(format!("the backend reports errors: {e:#?}"));
    }
    let sql = output.artifacts.iter().find(|a| a.path == "postgres/schema.sql").map(|a| a.contents.clone());
    Ok(Built {
        ir: compilation.ir,
        sql: sql.ok_or("no postgres/schema.sql")?,
        catalog: output.postgres.ok_or("no postgres catalog")?,
    })
}

/// Row counts per table and each column's values (as text, in id order).
#[derive(Debug, PartialEq)]
struct Rows {
    counts: BTreeMap<String, i64>,
    columns: BTreeMap<(String, String), String>,
}

fn read_rows(client: &mut Client, schema: &str, catalog: &Catalog) -> Result<Rows, String> {
    let mut rows = Rows { counts: BTreeMap::new(), columns: BTreeMap::new() };
    for table in &catalog.tables {
        let mut select = String::from("SELECT count(*)");
        for c in &table.columns {
            let c = ident(&c.name);
            let _ = write!(select, ", coalesce(string_agg(coalesce({c}::text, 'NULL'), ' | ' ORDER BY id), '')");
        }
        let _ = write!(select, " FROM {}", qualified(schema, &table.name));
        let row = client.query_one(&select, &[]).map_err(|e| describe(&e, &select))?;
        rows.counts.insert(table.name.clone(), row.get(0));
        for (i, c) in table.columns.iter().enumerate() {
            rows.columns.insert((table.name.clone(), c.name.clone()), row.get(i + 1));
        }
    }
    Ok(rows)
}

/// How the schema differs from what DDL gives an empty database in ways the
/// catalog model does not show: identity sequences not named as `CREATE
/// TABLE` names them (`<table>_<column>_seq`), constraints left NOT VALID,
/// indexes left invalid by a concurrent build.
fn hidden_differences(client: &mut Client, schema: &str, catalog: &Catalog) -> Result<Vec<String>, String> {
    let sql = "SELECT 'constraint ' || con.conname || ' is NOT VALID' FROM pg_constraint con \
               JOIN pg_namespace n ON n.oid = con.connamespace WHERE n.nspname = $1 AND NOT con.convalidated \
               UNION ALL \
               SELECT 'index ' || c.relname || ' is invalid' FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE n.nspname = $1 AND NOT (x.indisvalid AND x.indisready)";
    let rows = client.query(sql, &[&schema]).map_err(|e| describe(&e, sql))?;
    let mut out: Vec<String> = rows.iter().map(|r| format!("  {}", r.get::<_, String>(0))).collect();
    for table in &catalog.tables {
        for column in table.columns.iter().filter(|c| c.identity) {
            let sql = "SELECT pg_get_serial_sequence($1, $2)";
            let row = client
                .query_one(sql, &[&qualified(schema, &table.name), &column.name])
                .map_err(|e| describe(&e, sql))?;
            let actual: Option<String> = row.get(0);
            let expected = qualified(schema, &format!("{}_{}_seq", table.name, column.name));
            if actual.as_deref() != Some(expected.as_str()) {
                out.push(format!(
                    "  sequence of {}.{}: expected {expected}, found {actual:?}",
                    table.name, column.name
                ));
            }
        }
    }
    Ok(out)
}

/// Each table's storage (`relfilenode`): a rewrite gives a table a new one.
fn storage(client: &mut Client, schema: &str) -> Result<BTreeMap<String, u32>, String> {
    let sql = "SELECT c.relname::text, c.relfilenode FROM pg_class c \
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'";
    let rows = client.query(sql, &[&schema]).map_err(|e| describe(&e, sql))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// The catalog of a schema without the migrations journal.
fn introspect(client: &mut Client, schema: &str) -> Result<Catalog, String> {
    let mut catalog = schemac::import::introspect::postgres::read_catalog(client, schema)
        .map_err(|e| format!("read_catalog({schema}): {}", describe(&e, "")))?;
    catalog.tables.retain(|t| t.name != JOURNAL);
    catalog.indexes.retain(|i| i.table != JOURNAL);
    Ok(catalog)
}

fn differences(expected: &Catalog, actual: &Catalog) -> Option<String> {
    let d = compare(expected, actual);
    (!d.is_empty()).then(|| d.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n"))
}

/// The rows of A that B keeps, under B's names: (table, column) of A →
/// (table, column) of B.
fn survivors(a: &Model, b: &Model) -> BTreeMap<(String, String), (String, String)> {
    let mut out = BTreeMap::new();
    for e in &b.entities {
        let Some(origin) = &e.origin else { continue };
        let (old, new) = (snake(origin), snake(&e.name));
        out.insert((old.clone(), "id".to_string()), (new.clone(), "id".to_string()));
        for f in &e.fields {
            if let Some(from) = &f.origin {
                out.insert((old.clone(), from.clone()), (new.clone(), f.name.clone()));
            }
        }
        for r in b.relations.iter().filter(|r| r.in_a && r.holder == e.name) {
            let column = format!("{}_id", r.field);
            out.insert((old.clone(), column.clone()), (new.clone(), column));
        }
    }
    // Only what A really had (a relation of A keeps its field name).
    out.retain(|(table, _), _| a.entities.iter().any(|e| snake(&e.name) == *table));
    out
}

struct Case {
    a: String,
    b: String,
    up: String,
}

impl Case {
    fn fail(&self, what: &str, details: &str) -> TestCaseError {
        TestCaseError::fail(format!(
            "{what}\n{details}\n\n--- A ---\n{}\n--- B ---\n{}\n--- plan (up.sql) ---\n{}",
            self.a, self.b, self.up
        ))
    }
}

fn run_case(db: &mut TestDb, number: usize, spec: &SchemaSpec, edits: &[Edit]) -> Result<(), TestCaseError> {
    let model_a = model_a(spec);
    let mut model_b = model_a.clone();
    for e in edits {
        edit_model(&mut model_b, e);
    }
    let mut case = Case { a: model_a.source(), b: model_b.source(), up: String::new() };
    let schema = format!("m{number}");
    let a = build(&case.a, &schema, None).map_err(|e| case.fail("A does not build", &e))?;
    let b = build(&case.b, &schema, Some(Arc::new(a.ir.clone()))).map_err(|e| case.fail("B does not build", &e))?;
    let options = schemac::backends::postgres::Options { schema: schema.clone(), ..Default::default() };

    for (name, ir) in [("A", &a.ir), ("B", &b.ir)] {
        let same = migrate::plan(ir, ir, &options);
        if !same.is_empty() {
            let steps: Vec<&str> = same.steps.iter().map(|s| s.summary.as_str()).collect();
            return Err(case.fail(&format!("the self-diff of {name} is not empty"), &format!("{steps:#?}")));
        }
    }
    let plan = migrate::plan(&a.ir, &b.ir, &options);
    let stored = script::stored("m", &plan, &Timeouts::default());
    case.up = script::up_sql(&stored);
    if let Some(h) = plan.hazards().find(|h| h.code == codes::H0008) {
        return Err(case.fail("the plan needs a manual migration", &format!("{h:?}")));
    }

    let client = &mut db.client;
    client.batch_execute(&a.sql).map_err(|e| case.fail("DDL(A) fails", &describe(&e, &a.sql)))?;
    for insert in model_a.insert_rows(&schema) {
        client
            .batch_execute(&insert)
            .map_err(|e| case.fail("inserting the rows of A fails", &describe(&e, &insert)))?;
    }
    let rows_a = read_rows(client, &schema, &a.catalog).map_err(|e| case.fail("reading rows", &e))?;
    let storage_a = storage(client, &schema).map_err(|e| case.fail("reading storage", &e))?;

    migrate::apply::apply(client, &schema, std::slice::from_ref(&stored))
        .map_err(|e| case.fail("applying the plan fails", &e.to_string()))?;
    let after = introspect(client, &schema).map_err(|e| case.fail("introspection", &e))?;
    if let Some(d) = differences(&b.catalog, &after) {
        return Err(case.fail("after the plan, the catalog is not B's", &d));
    }
    let hidden = hidden_differences(client, &schema, &b.catalog).map_err(|e| case.fail("reading", &e))?;
    if !hidden.is_empty() {
        return Err(case.fail("after the plan, the schema is not what DDL(B) gives", &hidden.join("\n")));
    }
    let rows_b = read_rows(client, &schema, &b.catalog).map_err(|e| case.fail("reading rows", &e))?;
    let mut lost = Vec::new();
    let kept = survivors(&model_a, &model_b);
    for ((table, column), (new_table, new_column)) in &kept {
        if rows_a.counts.get(table) != rows_b.counts.get(new_table) {
            lost.push(format!(
                "  rows of {table} → {new_table}: {:?} → {:?}",
                rows_a.counts.get(table),
                rows_b.counts.get(new_table)
            ));
        }
        let (old, new) = (
            rows_a.columns.get(&(table.clone(), column.clone())),
            rows_b.columns.get(&(new_table.clone(), new_column.clone())),
        );
        if old != new {
            lost.push(format!("  {table}.{column} → {new_table}.{new_column}: {old:?} → {new:?}"));
        }
    }
    if !lost.is_empty() {
        lost.dedup();
        return Err(case.fail("the plan changed rows of A", &lost.join("\n")));
    }
    // "No rewrite" is a claim the plan makes: check it on the tables.
    if !plan.steps.iter().any(|s| s.rewrite) {
        let storage_b = storage(client, &schema).map_err(|e| case.fail("reading storage", &e))?;
        let tables: BTreeMap<&String, &String> = kept.iter().map(|((old, _), (new, _))| (old, new)).collect();
        let rewritten: Vec<String> = tables
            .iter()
            .filter(|(old, new)| storage_a.get(**old) != storage_b.get(**new))
            .map(|(old, new)| format!("  {old} → {new}"))
            .collect();
        if !rewritten.is_empty() {
            return Err(case.fail("tables were rewritten by a plan that claims no rewrite", &rewritten.join("\n")));
        }
    }

    if plan.reversible() {
        migrate::apply::revert(client, &schema, &stored).map_err(|e| case.fail("down fails", &e.to_string()))?;
        let back = introspect(client, &schema).map_err(|e| case.fail("introspection", &e))?;
        if let Some(d) = differences(&a.catalog, &back) {
            return Err(case.fail("after down, the catalog is not A's", &d));
        }
        let hidden = hidden_differences(client, &schema, &a.catalog).map_err(|e| case.fail("reading", &e))?;
        if !hidden.is_empty() {
            return Err(case.fail("after down, the schema is not what DDL(A) gives", &hidden.join("\n")));
        }
        let rows = read_rows(client, &schema, &a.catalog).map_err(|e| case.fail("reading rows", &e))?;
        if rows != rows_a {
            return Err(case.fail("after down, the rows are not A's", &format!("{rows_a:#?}\n→\n{rows:#?}")));
        }
    }
    let drop = format!("DROP SCHEMA {} CASCADE", ident(&schema));
    client.batch_execute(&drop).map_err(|e| case.fail("dropping the schema", &describe(&e, &drop)))?;
    Ok(())
}

/// One worker: its own database and runner, `cases` cases; how many case
/// runs it made (shrinking included) and the failure, if any.
fn worker(worker: usize, cases: u32) -> (usize, Result<(), String>) {
    let mut db = TestDb::new(&format!("migrate_roundtrip_{worker}"));
    // Hundreds of small transactions: not waiting for each commit's WAL
    // flush changes nothing the test looks at and saves most of the time.
    db.apply("SET synchronous_commit = off");
    let db = RefCell::new(db);
    let runs = Cell::new(0usize);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    // SCHEMAC_MIGRATE_EDITS=8 for longer edit sequences in a longer hunt.
    let edits = std::env::var("SCHEMAC_MIGRATE_EDITS").ok().and_then(|n| n.parse().ok()).unwrap_or(4usize).max(1);
    let strategy = (schema_spec(), prop::collection::vec(edit(), 1..=edits));
    let result = runner.run(&strategy, |(spec, edits)| {
        runs.set(runs.get() + 1);
        run_case(&mut db.borrow_mut(), runs.get(), &spec, &edits)
    });
    (runs.get(), result.map_err(|e| e.to_string()))
}

#[test]
fn random_plans_migrate_the_catalog_and_keep_the_rows() {
    let cases: u32 = std::env::var("SCHEMAC_MIGRATE_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(500);
    // The server does most of the work: one worker (database, connection,
    // runner) per core, the cases shared out.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4) as u32;
    let started = Instant::now();
    let results: Vec<(usize, Result<(), String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| scope.spawn(move || worker(w as usize, cases / workers + u32::from(w < cases % workers))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    let runs: usize = results.iter().map(|(n, _)| n).sum();
    eprintln!(
        "migrate_roundtrip: {cases} cases ({runs} runs with shrinking) on {workers} worker(s) in {:.1?}",
        started.elapsed()
    );
    for (_, result) in results {
        if let Err(e) = result {
            panic!("{e}");
        }
    }
}
