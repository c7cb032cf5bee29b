//! The random schema and edit generator shared by the migration property
//! tests (`migrate_roundtrip.rs` on PostgreSQL, `sqlite_migrations.rs`,
//! `mysql_migrations.rs`): a model of a schema A (entities with typed
//! fields, defaults, uniques, checks, indexes, doc comments, an enum,
//! many-to-one relations, and where the backend has them `touch` triggers
//! and a view), the edits that turn it into B (fields and entities added,
//! dropped and renamed with `renamed_from`, type widenings, nullability,
//! defaults, indexes, uniques, checks, relations, enum values, docs), the
//! rows inserted into A and the columns of A that B keeps.
//!
//! [`Backend`] says what a backend's test draws; for a given seed the
//! PostgreSQL and SQLite draws are those the two tests made before the
//! generator was shared. Text only: it never touches a database.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write;

use proptest::prelude::*;

/// Rows inserted into every table of A.
pub const ROWS: usize = 3;

/// The engine a generator serves: what it may generate and how values are
/// written. `Postgres` and `Sqlite` draw exactly what `migrate_roundtrip.rs`
/// and `sqlite_migrations.rs` drew before the generator was shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
    Mysql,
}

impl Backend {
    /// Entities with `touch` triggers, and the view over the first entity.
    fn triggers_and_views(self) -> bool {
        self != Backend::Postgres
    }

    /// Can index a json field (MySQL cannot: E0802).
    fn indexes_json(self) -> bool {
        self != Backend::Mysql
    }

    /// The edits drawn from, in order (the order decides what a seed draws).
    fn edits(self) -> &'static [EditKind] {
        match self {
            Backend::Postgres => &EDITS[..19],
            Backend::Sqlite | Backend::Mysql => &EDITS[..],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
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
    pub fn source(self) -> String {
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

    pub fn numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::BigInt | Ty::Numeric)
    }

    pub fn distinct_rows(self) -> bool {
        !matches!(self, Ty::Bool | Ty::Json)
    }

    pub fn default(self, choice: usize, colors: &[String]) -> String {
        match self {
            Ty::Int | Ty::BigInt | Ty::Numeric => ["0", "7"][choice % 2].into(),
            Ty::Text | Ty::Varchar(_) => ["'x'", "''"][choice % 2].into(),
            Ty::Bool => ["true", "false"][choice % 2].into(),
            Ty::Timestamptz => "now()".into(),
            Ty::Date => "current_date()".into(),
            Ty::Uuid => ["uuid_v4()", "uuid_v7()"][choice % 2].into(),
            Ty::Color => colors[choice % colors.len()].clone(),
            Ty::Json => "{}".into(),
        }
    }

    /// The SQL value of row `row` (0-based) on `backend`: never null,
    /// non-negative for numbers, distinct per row where the type allows.
    pub fn value(self, row: usize, colors: &[String], backend: Backend) -> String {
        match self {
            Ty::Int => format!("{}", row * 7 + 1),
            Ty::BigInt => format!("{}", row * 1_000_003 + 2),
            Ty::Numeric => format!("{row}.25"),
            Ty::Text => format!("'t{row}'"),
            Ty::Varchar(_) => format!("'v{row}'"),
            Ty::Bool if backend == Backend::Postgres => row.is_multiple_of(2).to_string(),
            Ty::Bool => if row.is_multiple_of(2) { "1" } else { "0" }.into(),
            Ty::Timestamptz if backend == Backend::Postgres => format!("'2024-01-0{} 10:00:00+00'", row + 1),
            Ty::Timestamptz => format!("'2024-01-0{} 10:00:00.000'", row + 1),
            Ty::Date => format!("'2024-02-0{}'", row + 1),
            Ty::Uuid => format!("'00000000-0000-4000-8000-00000000000{row}'"),
            Ty::Color => format!("'{}'", colors[row % colors.len()]),
            Ty::Json => format!("'{{\"r\": {row}}}'"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Default,
    Cascade,
    Restrict,
    SetNull,
}

impl Action {
    pub fn pick(n: usize, required: bool) -> Action {
        match n % 4 {
            1 => Action::Cascade,
            2 => Action::Restrict,
            3 if !required => Action::SetNull,
            _ => Action::Default,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub origin: Option<String>,
    pub ty: Ty,
    pub nullable: bool,
    pub default: Option<String>,
    pub unique: bool,
    pub check: bool,
    pub index: bool,
    pub doc: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Entity {
    pub name: String,
    pub origin: Option<String>,
    pub doc: Option<String>,
    pub fields: Vec<Field>,
    /// Has `updated_at`, kept by the `touch` behaviour's trigger.
    pub touched: bool,
}

#[derive(Debug, Clone)]
pub struct Relation {
    pub holder: String,
    pub field: String,
    pub target: String,
    pub required: bool,
    pub on_delete: Action,
    pub in_a: bool,
    pub doc: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Model {
    pub backend: Backend,
    pub colors: Vec<String>,
    /// The enum's doc comment (toggled on PostgreSQL only).
    pub colors_doc: Option<String>,
    pub entities: Vec<Entity>,
    pub relations: Vec<Relation>,
    /// A view over the first entity (`view Listing = E0`).
    pub view: bool,
    pub next: usize,
}

impl Model {
    pub fn fresh(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }

    pub fn source(&self) -> String {
        let mut s = String::new();
        if let Some(doc) = &self.colors_doc {
            let _ = writeln!(s, "/// {doc}");
        }
        let _ = writeln!(s, "enum Color {{ {} }}", self.colors.join(", "));
        if self.backend.triggers_and_views() {
            s.push_str("\npattern touched {\n  behaviour touch(updated_at)\n}\n");
        }
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
            if e.touched {
                s.push_str("  updated_at timestamptz = now()\n  apply touched\n");
            }
            for f in e.fields.iter().filter(|f| f.index) {
                let _ = writeln!(s, "  index ({})", f.name);
            }
            if let Some(from) = e.origin.as_ref().filter(|o| **o != e.name) {
                let _ = writeln!(s, "  renamed_from {from}");
            }
            s.push_str("}\n");
        }
        if self.view {
            if let Some(e) = self.entities.first() {
                let _ = writeln!(s, "\nview Listing = {} where id > 0", e.name);
            }
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

    pub fn fields(&self, keep: impl Fn(&Field) -> bool) -> Vec<(usize, usize)> {
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

    pub fn field_mut(&mut self, pick: usize, keep: impl Fn(&Field) -> bool) -> Option<&mut Field> {
        let candidates = self.fields(keep);
        let (i, j) = *candidates.get(pick % candidates.len().max(1))?;
        Some(&mut self.entities[i].fields[j])
    }

    /// The INSERTs of A's rows, `ROWS` per table with every field and
    /// reference set, `table` and `column` quoting names for the backend.
    /// Entities go in order, which puts each relation's target first: A's
    /// relations point from later entities to earlier ones.
    pub fn insert_rows(&self, table: &dyn Fn(&str) -> String, column: &dyn Fn(&str) -> String) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.entities {
            let relations: Vec<&Relation> = self.relations.iter().filter(|r| r.holder == e.name).collect();
            let mut columns: Vec<String> = e.fields.iter().map(|f| column(&f.name)).collect();
            columns.extend(relations.iter().map(|r| column(&format!("{}_id", r.field))));
            for row in 0..ROWS {
                let mut values: Vec<String> =
                    e.fields.iter().map(|f| f.ty.value(row, &self.colors, self.backend)).collect();
                values.extend(relations.iter().map(|_| format!("{}", row % ROWS + 1)));
                let table = table(&snake(&e.name));
                out.push(if columns.is_empty() {
                    match self.backend {
                        Backend::Mysql => format!("INSERT INTO {table} () VALUES ()"),
                        _ => format!("INSERT INTO {table} DEFAULT VALUES"),
                    }
                } else {
                    format!("INSERT INTO {table} ({}) VALUES ({})", columns.join(", "), values.join(", "))
                });
            }
        }
        out
    }
}

pub fn snake(entity: &str) -> String {
    schemac::semantic::snake_case(entity)
}

// ------------------------------------------------------------- strategies

#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub ty: Ty,
    pub nullable: bool,
    pub default: Option<usize>,
    pub unique: bool,
    pub check: bool,
    pub index: bool,
    pub doc: bool,
}

#[derive(Debug, Clone)]
pub struct RelationSpec {
    pub holder: usize,
    pub target: usize,
    pub required: bool,
    pub on_delete: usize,
}

#[derive(Debug, Clone)]
pub struct SchemaSpec {
    pub entities: Vec<(bool, bool, Vec<FieldSpec>)>,
    pub relations: Vec<RelationSpec>,
    pub view: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    AddField,
    DropField,
    RenameField,
    /// `int` → `bigint`, `varchar` wider or `text`; on SQLite also
    /// `bigint` → `text`.
    ChangeType,
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
    ToggleView,
    ToggleTouched,
}

const EDITS: [EditKind; 21] = [
    EditKind::AddField,
    EditKind::DropField,
    EditKind::RenameField,
    EditKind::ChangeType,
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
    // Only where `Backend::triggers_and_views`: the last two.
    EditKind::ToggleView,
    EditKind::ToggleTouched,
];

#[derive(Debug, Clone)]
pub struct Edit {
    pub kind: EditKind,
    pub a: usize,
    pub b: usize,
    pub c: usize,
    pub ty: Ty,
    pub flag: bool,
}

pub fn ty() -> impl Strategy<Value = Ty> {
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

pub fn field_spec() -> impl Strategy<Value = FieldSpec> {
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

pub fn schema_spec(backend: Backend) -> BoxedStrategy<SchemaSpec> {
    let relation = (0usize..4, 0usize..4, any::<bool>(), 0usize..4)
        .prop_map(|(holder, target, required, on_delete)| RelationSpec { holder, target, required, on_delete });
    if !backend.triggers_and_views() {
        let entity = (prop::bool::weighted(0.1), prop::collection::vec(field_spec(), 1..=5))
            .prop_map(|(doc, fields)| (doc, false, fields));
        return (prop::collection::vec(entity, 1..=4), prop::collection::vec(relation, 0..=3))
            .prop_map(|(entities, relations)| SchemaSpec { entities, relations, view: false })
            .boxed();
    }
    let entity = (prop::bool::weighted(0.1), prop::bool::weighted(0.2), prop::collection::vec(field_spec(), 1..=5));
    (prop::collection::vec(entity, 1..=4), prop::collection::vec(relation, 0..=3), prop::bool::weighted(0.3))
        .prop_map(|(entities, relations, view)| SchemaSpec { entities, relations, view })
        .boxed()
}

/// An edit's intent; the indices pick among what the model has when the
/// edit is applied (modulo), so edits stay valid while the case shrinks.
pub fn edit(backend: Backend) -> impl Strategy<Value = Edit> {
    (prop::sample::select(backend.edits()), 0usize..16, 0usize..16, 0usize..16, ty(), any::<bool>())
        .prop_map(|(kind, a, b, c, ty, flag)| Edit { kind, a, b, c, ty, flag })
}

/// Schema A as a model.
pub fn model_a(spec: &SchemaSpec, backend: Backend) -> Model {
    let mut m = Model {
        backend,
        colors: vec!["red".into(), "green".into(), "blue".into()],
        colors_doc: None,
        entities: Vec::new(),
        relations: Vec::new(),
        view: spec.view,
        next: 0,
    };
    for (n, (doc, touched, fields)) in spec.entities.iter().enumerate() {
        let name = format!("E{n}");
        let mut entity = Entity {
            name: name.clone(),
            origin: Some(name),
            doc: doc.then(|| "an entity".into()),
            fields: Vec::new(),
            touched: *touched,
        };
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
                index: f.index && (backend.indexes_json() || f.ty != Ty::Json),
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
pub fn edit_model(m: &mut Model, e: &Edit) {
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
                index: e.c.is_multiple_of(3) && (m.backend.indexes_json() || e.ty != Ty::Json),
                doc: (e.c.is_multiple_of(5)).then(|| "added".into()),
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
        EditKind::ChangeType => {
            // Types whose values convert: integers widen, text lengths
            // grow; on SQLite numbers also become text.
            let sqlite = m.backend == Backend::Sqlite;
            if let Some(f) =
                m.field_mut(e.a, |f| matches!(f.ty, Ty::Int | Ty::Varchar(_)) || (sqlite && f.ty == Ty::BigInt))
            {
                f.ty = match f.ty {
                    Ty::Varchar(_) if e.flag => Ty::Text,
                    Ty::Varchar(n) => Ty::Varchar(n + 50),
                    Ty::BigInt if !f.check && !f.unique && f.default.is_none() => Ty::Text,
                    Ty::BigInt => Ty::BigInt,
                    _ => Ty::BigInt,
                };
            }
        }
        EditKind::MakeRequired => {
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
            if let Some(f) = m.field_mut(e.a, |f| f.nullable || f.origin.is_some() || f.default.is_none()) {
                f.default = match &f.default {
                    Some(_) if !e.flag => None,
                    _ => Some(f.ty.default(e.b, &colors)),
                };
            }
        }
        EditKind::ToggleIndex => {
            let json_keys = m.backend.indexes_json();
            if let Some(f) = m.field_mut(e.a, |f| json_keys || f.ty != Ty::Json) {
                f.index = !f.index;
            }
        }
        EditKind::ToggleUnique => {
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
                touched: m.backend.triggers_and_views() && e.b.is_multiple_of(4),
                fields: vec![Field {
                    name: field,
                    origin: None,
                    ty: e.ty,
                    nullable: e.b.is_multiple_of(2),
                    default: (e.c.is_multiple_of(2)).then(|| e.ty.default(e.c, &colors)),
                    unique: e.ty.distinct_rows() && e.b.is_multiple_of(3),
                    check: e.ty.numeric(),
                    index: e.c.is_multiple_of(3) && (m.backend.indexes_json() || e.ty != Ty::Json),
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
            // PostgreSQL documents the enum too.
            let places = if m.backend == Backend::Postgres { 4 } else { 3 };
            match e.c % places {
                0 if !m.entities.is_empty() => {
                    let n = m.entities.len();
                    toggle(&mut m.entities[e.a % n].doc);
                }
                1 if !m.relations.is_empty() => {
                    let n = m.relations.len();
                    toggle(&mut m.relations[e.a % n].doc);
                }
                2 if places == 4 => toggle(&mut m.colors_doc),
                _ => {
                    if let Some(f) = m.field_mut(e.a, |_| true) {
                        toggle(&mut f.doc);
                    }
                }
            }
        }
        EditKind::ToggleView => m.view = !m.view,
        EditKind::ToggleTouched => {
            if !m.entities.is_empty() {
                let n = m.entities.len();
                let entity = &mut m.entities[e.a % n];
                entity.touched = !entity.touched;
            }
        }
    }
}

/// The columns of A that B keeps: (A's table, column) → (B's table, column).
pub fn survivors(a: &Model, b: &Model) -> BTreeMap<(String, String), (String, String)> {
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
    out.retain(|(table, _), _| a.entities.iter().any(|e| snake(&e.name) == *table));
    out
}
