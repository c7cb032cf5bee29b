//! IR → PostgreSQL physical model ([`Catalog`]): storage names, types,
//! generated constraint and index names, partitions, the helper routines the
//! schema needs, and comments from doc comments.
//!
//! Everything PostgreSQL would refuse or silently change at apply time is
//! reported here instead, at the source: names over 63 bytes (E0800), two
//! objects with one name (E0801), constructs PostgreSQL cannot express in the
//! chosen form (E0802). This module decides names and types; printing SQL
//! text is `render.rs`'s job, and behaviours of patterns are lowered in
//! `behaviours/`.

use std::collections::{BTreeMap, HashMap};

use super::expr::{self, Scope};
use super::model::*;
use super::names::{self, Namespace, MAX_IDENTIFIER};
use super::{pii, quote, types, Options};
use crate::diagnostics::{codes, Diagnostic, Span};
use crate::semantic::ir::{self, Expr, Ir, PartitionKind, SourceMap, Type};

/// Built-in text search configurations of PostgreSQL 15 (`\dF`).
pub const TEXT_SEARCH_CONFIGS: &[&str] = &[
    "arabic",
    "armenian",
    "basque",
    "catalan",
    "danish",
    "dutch",
    "english",
    "finnish",
    "french",
    "german",
    "greek",
    "hindi",
    "hungarian",
    "indonesian",
    "irish",
    "italian",
    "lithuanian",
    "nepali",
    "norwegian",
    "portuguese",
    "romanian",
    "russian",
    "serbian",
    "simple",
    "spanish",
    "swedish",
    "tamil",
    "turkish",
    "yiddish",
];

/// The generated column full-text `search` adds.
pub const SEARCH_COLUMN: &str = "search_vector";

/// The name of an object a pattern makes for a table: `<table>_<what>`.
pub fn generated_name(table: &str, what: &str) -> String {
    names::fit(&format!("{table}_{what}"))
}

/// The procedure that keeps range partitions ahead of time.
pub const ENSURE_PARTITIONS: &str = "schemac_ensure_partitions";

pub fn lower(ir: &Ir, source_map: &SourceMap, options: &Options) -> (Catalog, Vec<Diagnostic>) {
    let mut lowering = Lowering {
        ir,
        source_map,
        options,
        catalog: Catalog { schema: options.schema.clone(), ..Catalog::default() },
        diagnostics: Vec::new(),
        relations: Namespace::default(),
        routines: Namespace::default(),
        triggers: Namespace::default(),
        histories: BTreeMap::new(),
        tables: HashMap::new(),
        soft_children: BTreeMap::new(),
        owners: HashMap::new(),
    };
    lowering.run();
    (lowering.catalog, lowering.diagnostics)
}

pub(super) struct Lowering<'a> {
    pub(super) ir: &'a Ir,
    source_map: &'a SourceMap,
    pub(super) options: &'a Options,
    pub(super) catalog: Catalog,
    diagnostics: Vec<Diagnostic>,
    /// pg_class: tables, partitions, views, indexes.
    pub(super) relations: Namespace,
    /// pg_proc: every routine's name (overloads are never generated).
    pub(super) routines: Namespace,
    /// Trigger names (per table in PostgreSQL; kept apart schema-wide).
    pub(super) triggers: Namespace,
    /// Entity name → the history table `temporal` made for it.
    pub(super) histories: BTreeMap<String, String>,
    /// Table name → its place in `catalog.tables` (lookups stay O(1) on
    /// schemas of thousands of tables).
    tables: HashMap<String, usize>,
    /// Parent entity → (soft-deleting child, its cascading foreign key).
    pub(super) soft_children: BTreeMap<String, Vec<(&'a ir::Entity, &'a ir::ForeignKey)>>,
    /// Who claimed a user-chosen name first, per namespace (`relation`:
    /// pg_class; `type`: pg_type, which holds the row type of every table
    /// and view too; `column`, `function`, `trigger`, `schema`), for E0801.
    owners: HashMap<(&'static str, String), (String, String)>,
}

impl<'a> Lowering<'a> {
    fn span(&self, id: &str) -> Option<Span> {
        self.source_map.get(id)
    }

    pub(super) fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub(super) fn at(&self, diagnostic: Diagnostic, id: &str, label: &str) -> Diagnostic {
        self.source_map.at(diagnostic, id, label)
    }

    /// Checks a name the user chose (directly or through a naming rule)
    /// against the 63-byte limit and the other names of its namespace.
    /// Returns false when it reported a problem.
    pub(super) fn claim_user_name(&mut self, namespace: &'static str, name: &str, what: &str, id: &str) -> bool {
        let stored = names::truncated(name).to_string();
        let key = (namespace, stored.clone());
        let owner = self.owners.get(&key).cloned();
        if owner.is_none() {
            self.owners.insert(key, (what.to_string(), id.to_string()));
            if namespace == "relation" {
                self.relations.claim(&stored);
            }
        }
        if name.len() > MAX_IDENTIFIER {
            let mut d = Diagnostic::new(
                codes::E0800,
                format!("{what} would be named `{name}`: {} bytes, but PostgreSQL keeps {MAX_IDENTIFIER}", name.len()),
            );
            d = self.at(d, id, "name too long for PostgreSQL");
            d = d.note(format!("PostgreSQL would store it as `{stored}`"));
            if let Some((other_what, other_id)) = owner {
                d = d.note(format!("which is what {other_what} is stored as already"));
                if let Some(span) = self.span(&other_id) {
                    d = d.also(span, "stored under the same name");
                }
            }
            self.report(d.help("choose a shorter name (use `renamed_from` to keep existing data)"));
            return false;
        }
        if let Some((other_what, other_id)) = owner {
            let mut d = Diagnostic::new(
                codes::E0801,
                format!("{what} and {other_what} would both be `{stored}` on PostgreSQL"),
            );
            d = self.at(d, id, "this one");
            if let Some(span) = self.span(&other_id) {
                d = d.also(span, "the other");
            }
            self.report(d.note(namespace_note(namespace)).help("rename one of them"));
            return false;
        }
        true
    }

    fn run(&mut self) {
        if self.options.schema != "public" {
            let schema = self.options.schema.clone();
            self.claim_user_name("schema", &schema, "the schema in schemac.toml", "");
        }
        self.claim_names();
        self.lower_types();
        for entity in &self.ir.entities {
            let table = self.lower_table(entity);
            self.add_table(table);
        }
        let relation_docs: BTreeMap<&str, &str> =
            self.ir.relations.iter().filter_map(|r| Some((r.id.as_str(), r.doc.as_deref()?))).collect();
        for (position, entity) in self.ir.entities.iter().enumerate() {
            self.lower_foreign_keys(entity, position, &relation_docs);
        }
        for entity in &self.ir.entities {
            self.lower_indexes(entity);
        }
        self.lower_routines();
        self.lower_behaviours();
        self.lower_security();
        self.lower_pii();
        self.add_helpers();
        if self
            .ir
            .entities
            .iter()
            .flat_map(|e| &e.fields)
            .any(|f| matches!(f.pii, Some(ir::Pii::Encrypt | ir::Pii::Hash)))
        {
            self.require_extension("pgcrypto");
        }
    }

    pub(super) fn add_table(&mut self, table: Table) {
        self.tables.insert(table.name.clone(), self.catalog.tables.len());
        self.catalog.tables.push(table);
    }

    pub(super) fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name).map(|&i| &self.catalog.tables[i])
    }

    pub(super) fn table_mut(&mut self, name: &str) -> Option<&mut Table> {
        self.tables.get(name).map(|&i| &mut self.catalog.tables[i])
    }

    /// Raises a table's row-level security to at least `level`.
    pub(super) fn secure(&mut self, table: &str, level: RowSecurity) {
        if let Some(t) = self.table_mut(table) {
            t.row_security = t.row_security.max(level);
        }
    }

    /// Adds `CREATE EXTENSION` for `name` once; extensions stay sorted.
    pub(super) fn require_extension(&mut self, name: &str) {
        if !self.catalog.extensions.iter().any(|e| e == name) {
            self.catalog.extensions.push(name.into());
            self.catalog.extensions.sort();
        }
    }

    /// User-chosen names first, so generated names steer clear of them.
    fn claim_names(&mut self) {
        let ir = self.ir;
        for e in &ir.enums {
            self.claim_user_name("type", &types::type_name(&e.name), &format!("enum `{}`", e.name), &e.id);
            for label in &e.values {
                if label.len() > MAX_IDENTIFIER {
                    let d = Diagnostic::new(
                        codes::E0800,
                        format!("enum value `{label}` is {} bytes; PostgreSQL allows {MAX_IDENTIFIER}", label.len()),
                    );
                    let d = self.at(d, &e.id, "in this enum");
                    self.report(d.help("use a shorter value"));
                }
            }
        }
        for d in &ir.domains {
            self.claim_user_name("type", &types::type_name(&d.name), &format!("type `{}`", d.name), &d.id);
        }
        for entity in &ir.entities {
            let what = format!("the table of entity `{}`", entity.name);
            if self.claim_user_name("relation", &entity.table, &what, &entity.id) {
                let what = format!("the row type of entity `{}`", entity.name);
                self.claim_user_name("type", &entity.table, &what, &entity.id);
            }
            let long: Vec<&ir::Field> = entity.fields.iter().filter(|f| f.column.len() > MAX_IDENTIFIER).collect();
            for field in &long {
                let what = format!("the column of `{}.{}`", entity.name, field.name);
                self.claim_user_name("column", &field.column, &what, &field.id);
            }
            if !long.is_empty() {
                // Column names are per table.
                self.owners.retain(|(namespace, _), _| *namespace != "column");
            }
            // Keys and indexes named in the source, before any name is generated.
            let named = entity.primary_key_name.iter().map(|n| (n, "primary key"));
            let named = named.chain(entity.uniques.iter().filter_map(|u| u.name.as_ref().map(|n| (n, "unique key"))));
            let named = named.chain(entity.indexes.iter().filter_map(|i| i.name.as_ref().map(|n| (n, "index"))));
            for (name, kind) in named {
                let what = format!("the {kind} `{name}` of entity `{}`", entity.name);
                self.claim_user_name("relation", name, &what, &entity.id);
            }
        }
        for view in &ir.views {
            let name = types::type_name(&view.name);
            if self.claim_user_name("relation", &name, &format!("view `{}`", view.name), &view.id) {
                self.claim_user_name("type", &name, &format!("the row type of view `{}`", view.name), &view.id);
            }
        }
        for function in &ir.functions {
            self.claim_user_name("function", &function.name, &format!("function `{}`", function.name), &function.id);
            self.routines.claim(&function.name);
        }
        self.routines.claim(expr::UUID_V7);
        self.routines.claim(ENSURE_PARTITIONS);
        for trigger in &ir.triggers {
            self.triggers.claim(&trigger.name);
            if trigger.name.len() > MAX_IDENTIFIER {
                self.claim_user_name("trigger", &trigger.name, &format!("trigger `{}`", trigger.name), &trigger.id);
                // Trigger names are per table: only the length matters here.
                self.owners.retain(|(namespace, _), _| *namespace != "trigger");
            }
        }
    }

    pub(super) fn scope(&self, entity: Option<&'a ir::Entity>) -> Scope<'a> {
        Scope { schema: &self.options.schema, entity, domain_value: false }
    }

    fn lower_types(&mut self) {
        for e in &self.ir.enums {
            self.catalog.enums.push(EnumType {
                name: types::type_name(&e.name),
                labels: e.values.clone(),
                comment: e.doc.clone(),
            });
        }
        for d in &self.ir.domains {
            let name = types::type_name(&d.name);
            let scope = Scope { schema: &self.options.schema, entity: None, domain_value: true };
            // A declared shape and the alias's own check, in one condition.
            let shape = d.shape.as_ref().map(super::json_shape::check);
            let own = d.check.as_ref().map(|c| expr::print(c, &scope));
            let expr = match (shape, own) {
                (Some(s), Some(o)) => Some(format!("{s} AND ({o})")),
                (s, o) => s.or(o),
            };
            let check = expr.map(|expr| Check {
                name: names::fit(&format!("{name}_check")),
                expr,
                raw: d.check.as_ref().is_some_and(expr::is_raw),
            });
            self.catalog.domains.push(DomainType {
                name,
                base: types::sql(&d.base, &self.options.schema),
                check,
                comment: d.doc.clone(),
            });
        }
    }

    pub(super) fn column_of(entity: &ir::Entity, field: &str) -> String {
        entity.column_of(field)
    }

    pub(super) fn columns_of(entity: &ir::Entity, fields: &[String]) -> Vec<String> {
        fields.iter().map(|f| Self::column_of(entity, f)).collect()
    }

    fn lower_table(&mut self, entity: &'a ir::Entity) -> Table {
        let schema = self.options.schema.clone();
        let scope = self.scope(Some(entity));
        let mut columns = Vec::with_capacity(entity.fields.len() + 1);
        self.check_pii_uses(entity);
        for field in &entity.fields {
            if let Some(generated) = &field.generated {
                self.check_immutable(entity, generated, &field.id, "a generated column");
            }
            // Encrypted and hashed values are bytes; the doc says how to use them.
            let (ty, default) = if pii::opaque(field) {
                ("bytea".to_string(), None)
            } else {
                (
                    types::sql(&field.ty, &schema),
                    match &field.default {
                        _ if field.serial => Some(serial_default(&schema, &entity.table, &field.column)),
                        default => default.as_ref().map(|d| expr::default_value(d, &field.ty, &scope)),
                    },
                )
            };
            columns.push(Column {
                name: field.column.clone(),
                ty,
                not_null: !field.nullable,
                default,
                identity: field.identity,
                identity_always: field.identity_always,
                serial: field.serial,
                generated: field.generated.as_ref().map(|g| expr::print(g, &scope)),
                comment: pii::column_comment(field),
            });
        }
        if let Some(search) = &entity.search {
            columns.push(self.search_column(entity, search));
        }
        let mut constraints = Namespace::default();
        let primary_key = (!entity.primary_key.is_empty()).then(|| {
            let name = match &entity.primary_key_name {
                Some(name) => name.clone(),
                None => self.relations.generate(&[&entity.table, "pkey"]),
            };
            constraints.claim(&name);
            Key { name, columns: Self::columns_of(entity, &entity.primary_key) }
        });
        let mut uniques = Vec::new();
        for unique in entity.uniques.iter().filter(|u| u.predicate.is_none()) {
            let cols = Self::columns_of(entity, &unique.columns);
            let mut parts = vec![entity.table.as_str()];
            parts.extend(cols.iter().map(String::as_str));
            parts.push("key");
            let name = match &unique.name {
                Some(name) => name.clone(),
                None => self.relations.generate(&parts),
            };
            constraints.claim(&name);
            uniques.push(Key { name, columns: cols });
        }
        let mut checks = Vec::new();
        for check in &entity.checks {
            let name = match &check.name {
                Some(name) => {
                    if !constraints.claim(name) || name.len() > MAX_IDENTIFIER {
                        let d = Diagnostic::new(
                            codes::E0800,
                            format!(
                                "check name `{name}` is taken or longer than {MAX_IDENTIFIER} bytes on `{}`",
                                entity.table
                            ),
                        );
                        let d = self.at(d, &entity.id, "in this entity");
                        self.report(d.help("choose a shorter, unique check name"));
                    }
                    name.clone()
                }
                None => {
                    let fields = match &check.field {
                        Some(field) => vec![field.clone()],
                        None => check.expr.columns(),
                    };
                    let cols = Self::columns_of(entity, &fields);
                    let mut parts = vec![entity.table.as_str()];
                    parts.extend(cols.iter().map(String::as_str));
                    parts.push("check");
                    constraints.generate(&parts)
                }
            };
            checks.push(Check { name, expr: expr::print(&check.expr, &scope), raw: expr::is_raw(&check.expr) });
        }
        let (partition, partitions) = match &entity.partition {
            Some(p) => self.lower_partition(entity, p),
            None => (None, Vec::new()),
        };
        Table {
            name: entity.table.clone(),
            columns,
            primary_key,
            uniques,
            checks,
            partition,
            partitions,
            comment: entity.doc.clone(),
            ..Table::default()
        }
    }

    fn search_column(&mut self, entity: &ir::Entity, search: &ir::Search) -> Column {
        if entity.fields.iter().any(|f| f.column == SEARCH_COLUMN) {
            let d = Diagnostic::new(
                codes::E0801,
                format!(
                    "`search` on `{}` adds the column `{SEARCH_COLUMN}`, which the entity has already",
                    entity.name
                ),
            );
            let d = self.at(d, &entity.id, "this entity");
            self.report(d.help(format!("rename the field `{SEARCH_COLUMN}`")));
        }
        if !TEXT_SEARCH_CONFIGS.contains(&search.language.as_str()) {
            let d = Diagnostic::new(
                codes::E0802,
                format!("PostgreSQL has no text search configuration `{}`", search.language),
            );
            let d = self.at(d, &entity.id, "in this entity's `search`");
            let help = match crate::diagnostics::did_you_mean(&search.language, TEXT_SEARCH_CONFIGS.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("use one of: {}", TEXT_SEARCH_CONFIGS.join(", ")),
            };
            self.report(d.help(help));
        }
        let config = quote::literal(&search.language);
        let parts: Vec<String> = search
            .columns
            .iter()
            .map(|c| {
                format!(
                    "setweight(to_tsvector({config}::regconfig, COALESCE({}, '')), '{}')",
                    quote::ident(&Self::column_of(entity, &c.field)),
                    c.weight
                )
            })
            .collect();
        Column {
            name: SEARCH_COLUMN.into(),
            ty: "tsvector".into(),
            not_null: false,
            default: None,
            identity: false,
            identity_always: false,
            serial: false,
            generated: Some(parts.join(" || ")),
            comment: Some(format!(
                "Full-text search document ({}), kept up to date by PostgreSQL.",
                search
                    .columns
                    .iter()
                    .map(|c| format!("{} weight {}", c.field, c.weight))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    fn lower_partition(&mut self, entity: &ir::Entity, p: &ir::Partition) -> (Option<PartitionBy>, Vec<Partition>) {
        let strategy = match p.kind {
            PartitionKind::Range => "RANGE",
            PartitionKind::List => "LIST",
            PartitionKind::Hash => "HASH",
        };
        let by = PartitionBy { strategy: strategy.into(), columns: Self::columns_of(entity, &p.columns) };
        let mut children = Vec::new();
        if !p.fixed.is_empty() {
            for f in &p.fixed {
                let bound = match &f.bound {
                    ir::FixedBound::Range { from, to } => PartitionBound::Range { from: from.clone(), to: to.clone() },
                    ir::FixedBound::In { values } => PartitionBound::List(values.clone()),
                    ir::FixedBound::Hash { modulus, remainder } => {
                        PartitionBound::Hash { modulus: *modulus, remainder: *remainder }
                    }
                    ir::FixedBound::Default => PartitionBound::Default,
                };
                children.push(Partition { name: f.name.clone(), bound });
            }
            return (Some(by), children);
        }
        let child = |lowering: &mut Self, children: &mut Vec<Partition>, suffix: &str, bound: PartitionBound| {
            let name = lowering.relations.generate(&[&entity.table, suffix]);
            children.push(Partition { name, bound });
        };
        match p.kind {
            PartitionKind::Range => {
                if let Some(interval) = &p.interval {
                    let temporal = p.columns.first().and_then(|c| entity.field(c)).is_some_and(|f| {
                        matches!(self.base_type(&f.ty), Type::Date | Type::Timestamp { .. } | Type::Timestamptz { .. })
                    });
                    if !temporal || p.columns.len() != 1 {
                        let d = Diagnostic::new(
                            codes::E0802,
                            "`every N unit` needs one partition column of type date, timestamp or timestamptz",
                        );
                        let d = self.at(d, &entity.id, "partitioned entity");
                        self.report(
                            d.help("partition by a time column, or drop `every` and manage partitions yourself"),
                        );
                    }
                    let unit = format!("{:?}", interval.unit).to_lowercase();
                    // The children of a range series are named when the schema is applied.
                    children.push(Partition {
                        name: format!("{}_p", entity.table),
                        bound: PartitionBound::RangeSeries {
                            step: format!("{} {unit}", interval.count),
                            unit,
                            ahead: self.options.partitions_ahead,
                        },
                    });
                }
                child(self, &mut children, "default", PartitionBound::Default);
            }
            PartitionKind::List => {
                let enum_type = p.columns.first().and_then(|c| entity.field(c)).and_then(|f| match &f.ty {
                    Type::Enum { name } if p.columns.len() == 1 => self.ir.enums.iter().find(|e| &e.name == name),
                    _ => None,
                });
                if let Some(e) = enum_type {
                    let ty = types::sql(&Type::Enum { name: e.name.clone() }, &self.options.schema);
                    for label in &e.values {
                        child(
                            self,
                            &mut children,
                            label,
                            PartitionBound::List(vec![format!("{}::{ty}", quote::literal(label))]),
                        );
                    }
                }
                child(self, &mut children, "default", PartitionBound::Default);
            }
            PartitionKind::Hash => {
                let modulus = p.partitions.unwrap_or(self.options.hash_partitions);
                for remainder in 0..modulus {
                    child(self, &mut children, &format!("p{remainder}"), PartitionBound::Hash { modulus, remainder });
                }
            }
        }
        (Some(by), children)
    }

    fn base_type(&self, ty: &Type) -> Type {
        match ty {
            Type::Domain { name } => match self.ir.domains.iter().find(|d| &d.name == name) {
                Some(d) => self.base_type(&d.base),
                None => ty.clone(),
            },
            other => other.clone(),
        }
    }

    /// Index expressions, index predicates and generated columns must be
    /// immutable on PostgreSQL; say so at compile time.
    fn check_immutable(&mut self, entity: &ir::Entity, e: &Expr, id: &str, place: &str) {
        let mut problem = None;
        e.visit(&mut |x| {
            if let Expr::Call { function, args } = x {
                match function.as_str() {
                    "now" | "current_date" | "uuid_v4" | "uuid_v7" => {
                        problem = Some(format!("`{function}()` changes from call to call"));
                    }
                    "date" => {
                        let timestamptz = matches!(args.first(), Some(Expr::Column { name })
                            if entity.field(name).is_some_and(|f| matches!(self.base_type(&f.ty), Type::Timestamptz { .. })));
                        if timestamptz {
                            problem = Some("`date()` of a timestamptz depends on the session's time zone".into());
                        }
                    }
                    _ => {}
                }
            }
        });
        if let Some(problem) = problem {
            let d = Diagnostic::new(codes::E0802, format!("PostgreSQL needs {place} to be immutable: {problem}"));
            let d = self.at(d, id, "here");
            self.report(
                d.help("compute the value in the application, or store a timestamp (without time zone) instead"),
            );
        }
    }

    /// `position`: the entity's place in the IR, which is its table's place
    /// in the catalog.
    /// Whether PostgreSQL has an operator class of `method` for the key's
    /// type, possibly from an extension (which is then created).
    fn check_operator_class(&mut self, entity: &ir::Entity, method: ir::IndexMethod, key: &Expr) {
        let Expr::Column { name } = key else { return };
        let Some(field) = entity.field(name) else { return };
        let ty = self.base_type(&field.ty);
        let array_or_json = matches!(ty, Type::Array { .. } | Type::Json);
        let needs = match method {
            ir::IndexMethod::Btree | ir::IndexMethod::Hash => Ok(None),
            ir::IndexMethod::Gin if array_or_json => Ok(None),
            ir::IndexMethod::Gin => Ok(Some("btree_gin")),
            ir::IndexMethod::Gist if array_or_json => Err("GiST has no operator class for arrays or json"),
            ir::IndexMethod::Gist => Ok(Some("btree_gist")),
            ir::IndexMethod::Brin if array_or_json || ty == Type::Bool => {
                Err("BRIN has no operator class for arrays, json or booleans")
            }
            ir::IndexMethod::Brin => Ok(None),
        };
        match needs {
            Ok(Some(extension)) => self.require_extension(extension),
            Ok(None) => {}
            Err(why) => {
                let d = Diagnostic::new(
                    codes::E0802,
                    format!("PostgreSQL cannot index `{}.{}` with this method: {why}", entity.name, field.name),
                );
                let d = self.at(d, &field.id, "this field");
                self.report(d.help("use `using gin` for arrays and json, btree for scalars"));
            }
        }
    }

    fn lower_foreign_keys(&mut self, entity: &ir::Entity, position: usize, relation_docs: &BTreeMap<&str, &str>) {
        let mut taken: Namespace = Namespace::default();
        if let Some(table) = self.catalog.tables.get(position) {
            for c in table.checks.iter().map(|c| &c.name).chain(table.uniques.iter().map(|u| &u.name)) {
                taken.claim(c);
            }
            if let Some(pk) = &table.primary_key {
                taken.claim(&pk.name);
            }
        }
        for name in entity.foreign_keys.iter().filter_map(|fk| fk.name.as_ref()) {
            if !taken.claim(name) || name.len() > MAX_IDENTIFIER {
                let d = Diagnostic::new(
                    codes::E0800,
                    format!(
                        "foreign key name `{name}` is taken or longer than {MAX_IDENTIFIER} bytes on `{}`",
                        entity.table
                    ),
                );
                let d = self.at(d, &entity.id, "in this entity");
                self.report(d.help("choose a shorter name, unique among the table's constraints"));
            }
        }
        for fk in &entity.foreign_keys {
            let Some(target) = self.ir.entity(&fk.references) else { continue };
            let columns = Self::columns_of(entity, &fk.columns);
            let mut parts = vec![entity.table.as_str()];
            parts.extend(columns.iter().map(String::as_str));
            parts.push("fkey");
            let name = fk.name.clone().unwrap_or_else(|| taken.generate(&parts));
            let comment = relation_docs.get(fk.relation.as_str()).map(|d| d.to_string());
            self.catalog.foreign_keys.push(ForeignKey {
                table: entity.table.clone(),
                name,
                columns,
                references: target.table.clone(),
                referenced_columns: Self::columns_of(target, &fk.referenced_columns),
                on_delete: action(fk.on_delete).into(),
                on_update: action(fk.on_update).into(),
                deferrable: fk.deferrable,
                comment,
            });
        }
    }

    fn lower_indexes(&mut self, entity: &'a ir::Entity) {
        let scope = self.scope(Some(entity));
        for unique in entity.uniques.iter().filter(|u| u.predicate.is_some()) {
            let columns = Self::columns_of(entity, &unique.columns);
            let predicate = unique.predicate.as_ref().expect("filtered on predicate");
            self.check_immutable(entity, predicate, &entity.id, "a partial unique index's condition");
            let mut parts = vec![entity.table.as_str()];
            parts.extend(columns.iter().map(String::as_str));
            parts.push("key");
            let name = match &unique.name {
                Some(name) => name.clone(),
                None => self.relations.generate(&parts),
            };
            self.catalog.indexes.push(Index {
                name,
                table: entity.table.clone(),
                unique: true,
                method: "btree".into(),
                keys: columns.iter().map(|c| quote::ident(c)).collect(),
                include: Vec::new(),
                predicate: Some(expr::print(predicate, &scope)),
                comment: unique.origin.comment(),
            });
        }
        for index in &entity.indexes {
            let mut parts = vec![entity.table.clone()];
            let mut keys = Vec::with_capacity(index.keys.len());
            for key in &index.keys {
                self.check_immutable(entity, &key.expr, &entity.id, "an index expression");
                self.check_operator_class(entity, index.method, &key.expr);
                let text = match &key.expr {
                    Expr::Column { name } => {
                        let column = Self::column_of(entity, name);
                        parts.push(column.clone());
                        quote::ident(&column)
                    }
                    other => {
                        let cols = other.columns();
                        if cols.is_empty() {
                            parts.push("expr".into());
                        }
                        parts.extend(cols.iter().map(|c| Self::column_of(entity, c)));
                        format!("({})", expr::print(other, &scope))
                    }
                };
                keys.push(text + &ordering(key.descending, key.nulls_first));
            }
            if let Some(predicate) = &index.predicate {
                self.check_immutable(entity, predicate, &entity.id, "an index's condition");
            }
            parts.push("idx".into());
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            let name = match &index.name {
                Some(name) => name.clone(),
                None => self.relations.generate(&parts),
            };
            self.catalog.indexes.push(Index {
                name,
                table: entity.table.clone(),
                unique: index.unique,
                method: method(index.method).into(),
                keys,
                include: Self::columns_of(entity, &index.include),
                predicate: index.predicate.as_ref().map(|p| expr::print(p, &scope)),
                comment: index.origin.comment(),
            });
        }
        if entity.search.is_some() {
            let name = self.relations.generate(&[&entity.table, SEARCH_COLUMN, "idx"]);
            self.catalog.indexes.push(Index {
                name,
                table: entity.table.clone(),
                unique: false,
                method: "gin".into(),
                keys: vec![SEARCH_COLUMN.into()],
                include: Vec::new(),
                predicate: None,
                comment: Some("Serves full-text `search`.".into()),
            });
        }
    }

    fn lower_routines(&mut self) {
        let schema = self.options.schema.clone();
        for function in &self.ir.functions {
            let Some(body) = function.bodies.get("postgres").or_else(|| function.bodies.get("any")) else {
                let d =
                    Diagnostic::new(codes::E0802, format!("function `{}` has no body for PostgreSQL", function.name));
                let d = self.at(d, &function.id, "declared here");
                self.report(d.help("add `sql postgres '…'` (or a body for every backend: `sql '…'`)"));
                continue;
            };
            self.catalog.functions.push(Function {
                name: function.name.clone(),
                params: function.params.iter().map(|p| (p.name.clone(), types::sql(&p.ty, &schema))).collect(),
                defaults: if function.params.iter().any(|p| p.default.is_some()) {
                    let scope = self.scope(None);
                    function.params.iter().map(|p| p.default.as_ref().map(|d| expr::print(d, &scope))).collect()
                } else {
                    Vec::new()
                },
                returns: match &function.returns {
                    ir::FunctionReturns::Trigger => "trigger".into(),
                    ir::FunctionReturns::Value { ty } => types::sql(ty, &schema),
                },
                language: function.language.clone(),
                body: body.clone(),
                volatility: function.volatility.map(|v| {
                    match v {
                        ir::Volatility::Immutable => "IMMUTABLE",
                        ir::Volatility::Stable => "STABLE",
                    }
                    .into()
                }),
                strict: function.strict,
                security_definer: function.security_definer,
                search_path: function.search_path.clone(),
                revoke_public: function.revoke_public,
                helper: false,
                comment: function.doc.clone(),
            });
        }
        for view in &self.ir.views {
            let name = types::type_name(&view.name);
            let (query, columns) = match &view.definition {
                ir::ViewDefinition::Query { entity, filter, columns } => {
                    let Some(e) = self.ir.entity(entity) else { continue };
                    let scope = self.scope(Some(e));
                    let cols = Self::columns_of(e, columns);
                    let mut query =
                        format!("SELECT {} FROM {}", quote::ident_list(&cols), quote::qualified(&schema, &e.table));
                    if let Some(filter) = filter {
                        query.push_str(" WHERE ");
                        query.push_str(&expr::print(filter, &scope));
                    }
                    (query, cols)
                }
                ir::ViewDefinition::Sql { bodies } => {
                    let Some(body) = bodies.get("postgres").or_else(|| bodies.get("any")) else {
                        let d =
                            Diagnostic::new(codes::E0802, format!("view `{}` has no SQL for PostgreSQL", view.name));
                        let d = self.at(d, &view.id, "declared here");
                        self.report(d.help("add `sql postgres '…'`"));
                        continue;
                    };
                    (body.trim().trim_end_matches(';').to_string(), Vec::new())
                }
            };
            self.catalog.views.push(View {
                name,
                materialized: view.materialized,
                security_invoker: !view.materialized && !view.security_definer,
                query,
                columns,
                comment: view.doc.clone(),
            });
        }
        for trigger in &self.ir.triggers {
            let Some(entity) = self.ir.entity(&trigger.entity) else { continue };
            let events = trigger
                .events
                .iter()
                .map(|e| match e {
                    ir::TriggerEvent::Insert => "INSERT",
                    ir::TriggerEvent::Update => "UPDATE",
                    ir::TriggerEvent::Delete => "DELETE",
                })
                .map(String::from)
                .collect();
            self.catalog.triggers.push(Trigger {
                name: trigger.name.clone(),
                table: entity.table.clone(),
                timing: match trigger.timing {
                    ir::TriggerTiming::Before => "BEFORE",
                    ir::TriggerTiming::After => "AFTER",
                    ir::TriggerTiming::InsteadOf => "INSTEAD OF",
                }
                .into(),
                events,
                for_each_row: trigger.for_each_row,
                function: if self.ir.functions.iter().any(|f| f.name == trigger.function) {
                    trigger.function.clone()
                } else {
                    // One of PostgreSQL's own trigger functions (`routines.rs`).
                    format!("pg_catalog.{}", trigger.function)
                },
                arguments: trigger.arguments.clone(),
                comment: trigger.doc.clone(),
            });
        }
        for aggregate in &self.ir.aggregates {
            self.catalog.aggregates.push(Aggregate {
                name: aggregate.name.clone(),
                params: aggregate.params.iter().map(|t| types::sql(t, &schema)).collect(),
                state: types::sql(&aggregate.state, &schema),
                step: aggregate.step.clone(),
                final_function: aggregate.final_function.clone(),
                initial: aggregate.initial.clone(),
                other_options: false,
                comment: aggregate.doc.clone(),
            });
        }
    }

    /// Helper routines, only when something uses them.
    fn add_helpers(&mut self) {
        let uses_v7 = self.ir.entities.iter().flat_map(|e| &e.fields).any(|f| {
            f.default.as_ref().is_some_and(expr::uses_uuid_v7) || f.generated.as_deref().is_some_and(expr::uses_uuid_v7)
        });
        let mut helpers = Vec::new();
        if uses_v7 {
            helpers.push(Function {
                name: expr::UUID_V7.into(),
                params: Vec::new(),
                returns: "uuid".into(),
                language: "sql".into(),
                body: UUID_V7_BODY.into(),
                volatility: Some("VOLATILE".into()),
                helper: true,
                comment: Some(
                    "A time-ordered UUID (RFC 9562 version 7): 48 bits of Unix milliseconds, then random bits. \
                     Made by schemac for `uuid_v7()`."
                        .into(),
                ),
                ..Function::default()
            });
        }
        let ranges = self
            .catalog
            .tables
            .iter()
            .any(|t| t.partitions.iter().any(|p| matches!(p.bound, PartitionBound::RangeSeries { .. })));
        if ranges {
            helpers.push(Function {
                name: ENSURE_PARTITIONS.into(),
                params: vec![
                    ("parent".into(), "regclass".into()),
                    ("step".into(), "interval".into()),
                    ("unit".into(), "text".into()),
                    ("ahead".into(), "integer".into()),
                ],
                returns: "procedure".into(),
                language: "plpgsql".into(),
                body: ENSURE_PARTITIONS_BODY.into(),
                volatility: None,
                helper: true,
                comment: Some(
                    "Creates the range partitions of `parent` from the current period to `ahead` periods ahead, \
                     each `step` long, named <table>_pYYYYMMDD[HH24MISS]. Made by schemac; run it from a scheduler \
                     to stay ahead."
                        .into(),
                ),
                ..Function::default()
            });
        }
        helpers.append(&mut self.catalog.functions);
        self.catalog.functions = helpers;
    }
}

fn namespace_note(namespace: &str) -> &'static str {
    match namespace {
        "relation" => "tables, views, partitions and indexes share one namespace in a PostgreSQL schema",
        "type" => "enums, domains and the row types of tables and views share one namespace in a PostgreSQL schema",
        _ => "PostgreSQL needs these names to be distinct",
    }
}

fn ordering(descending: bool, nulls_first: Option<bool>) -> String {
    let mut out = String::new();
    if descending {
        out.push_str(" DESC");
    }
    // PostgreSQL's defaults: NULLS LAST ascending, NULLS FIRST descending.
    match nulls_first {
        Some(true) if !descending => out.push_str(" NULLS FIRST"),
        Some(false) if descending => out.push_str(" NULLS LAST"),
        _ => {}
    }
    out
}

/// The default of a `serial` column as PostgreSQL prints it: the next value
/// of the sequence it makes, `<table>_<column>_seq` (qualified outside
/// `public`, which is on every default search path).
pub fn serial_default(schema: &str, table: &str, column: &str) -> String {
    let sequence = names::identity_sequence(table, column);
    let name = if schema == "public" { quote::ident(&sequence) } else { quote::qualified(schema, &sequence) };
    format!("nextval({}::regclass)", quote::literal(&name))
}

pub fn action(action: ir::RefAction) -> &'static str {
    match action {
        ir::RefAction::NoAction => "NO ACTION",
        ir::RefAction::Restrict => "RESTRICT",
        ir::RefAction::Cascade => "CASCADE",
        ir::RefAction::SetNull => "SET NULL",
        ir::RefAction::SetDefault => "SET DEFAULT",
    }
}

pub fn method(method: ir::IndexMethod) -> &'static str {
    match method {
        ir::IndexMethod::Btree => "btree",
        ir::IndexMethod::Hash => "hash",
        ir::IndexMethod::Gin => "gin",
        ir::IndexMethod::Gist => "gist",
        ir::IndexMethod::Brin => "brin",
    }
}

/// RFC 9562 version 7: the first 48 bits of a random (version 4) UUID are
/// replaced by the Unix time in milliseconds, and the version nibble turned
/// from 4 (0100) into 7 (0111) by setting bits 52 and 53.
const UUID_V7_BODY: &str = "
  SELECT encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
              PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
              FROM 1 FOR 6),
      52, 1), 53, 1),
    'hex')::uuid
";

/// Creates missing range partitions, one per period, from the period that
/// contains now (UTC) to `ahead` periods later.
const ENSURE_PARTITIONS_BODY: &str = "
DECLARE
  parent_schema text;
  parent_table text;
  lower_bound timestamp := date_trunc(unit, now() AT TIME ZONE 'UTC');
  upper_bound timestamp;
  child text;
BEGIN
  SELECT n.nspname, c.relname INTO parent_schema, parent_table
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = parent;
  FOR i IN 0..ahead LOOP
    upper_bound := lower_bound + step;
    child := left(parent_table, 45) || '_p' || to_char(lower_bound,
      CASE WHEN unit IN ('hour', 'minute', 'second') THEN 'YYYYMMDD\"t\"HH24MISS' ELSE 'YYYYMMDD' END);
    IF to_regclass(format('%I.%I', parent_schema, child)) IS NULL THEN
      EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',
        parent_schema, child, parent_schema, parent_table,
        to_char(lower_bound, 'YYYY-MM-DD HH24:MI:SS') || '+00',
        to_char(upper_bound, 'YYYY-MM-DD HH24:MI:SS') || '+00');
    END IF;
    lower_bound := upper_bound;
  END LOOP;
END
";
