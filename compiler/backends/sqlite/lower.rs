//! IR → SQLite physical model ([`Schema`]): STRICT tables with their keys,
//! checks (declared ones, and those the types need: enums, booleans, json,
//! `varchar(n)`, type alias checks), foreign keys, indexes, views and the
//! triggers of source `trigger`s and of the `touch`, `immutable` and
//! `optimistic_lock` behaviours; the soft delete, audit, temporal and
//! full-text search lowerings are in their own files and called from here.
//!
//! Whatever SQLite cannot honour is reported here, one E0802 per construct,
//! naming SQLite and the construct, never dropped: partitioning, `pii`,
//! regular expressions, roles, grants, policies, tenant isolation,
//! functions. Two objects with one name in `sqlite_schema` are E0801. This
//! module decides names, types and SQL text of expressions; statements are
//! printed by `render.rs`.

use std::collections::{BTreeMap, BTreeSet};

use super::expr::{self, Place, Scope, Unsupported};
use super::model::*;
use super::quote::{ident, literal};
use super::{render, types, Options};
use crate::diagnostics::{codes, Diagnostic};
use crate::semantic::ir::{self, BehaviourKind, Expr, Ir, SourceMap, Type};
use crate::semantic::snake_case;

pub fn lower(ir: &Ir, source_map: &SourceMap, options: &Options) -> (Schema, Vec<Diagnostic>) {
    let mut lowering = Lowering {
        ir,
        source_map,
        options,
        schema: Schema::default(),
        diagnostics: Vec::new(),
        names: BTreeMap::new(),
        domains_reported: BTreeSet::new(),
    };
    lowering.run();
    (lowering.schema, lowering.diagnostics)
}

pub(super) struct Lowering<'a> {
    pub(super) ir: &'a Ir,
    source_map: &'a SourceMap,
    pub(super) options: &'a Options,
    pub(super) schema: Schema,
    diagnostics: Vec<Diagnostic>,
    /// `sqlite_schema`: tables, indexes, views and triggers share one
    /// namespace, compared without ASCII case. Lowercased name → (what, id).
    names: BTreeMap<String, (String, String)>,
    /// Type aliases whose check was reported already (once per alias).
    domains_reported: BTreeSet<String>,
}

/// What the one AFTER UPDATE trigger of a table does.
struct AfterUpdate<'a> {
    touch: Option<&'a str>,
    version: Option<&'a str>,
    temporal: Option<super::temporal::Versioning>,
    audit: bool,
}

impl AfterUpdate<'_> {
    fn is_empty(&self) -> bool {
        self.touch.is_none() && self.version.is_none() && self.temporal.is_none() && !self.audit
    }
}

impl<'a> Lowering<'a> {
    fn report(&mut self, d: Diagnostic, id: &str, label: &str) {
        let d = self.source_map.at(d, id, label);
        self.diagnostics.push(d);
    }

    /// E0802 for `construct`, at the object `id`.
    pub(super) fn unsupported(&mut self, construct: &str, id: &str, help: &str) {
        let d = Diagnostic::new(codes::E0802, format!("{construct}: not expressible on SQLite"));
        self.report(d.help(help.to_string()), id, "not expressible on SQLite");
    }

    fn unsupported_expr(&mut self, u: Unsupported, owner: &str, id: &str) {
        self.unsupported(&format!("{} in {owner}", u.construct), id, &u.help);
    }

    /// Claims a name the user chose; false (reported) when taken or reserved.
    pub(super) fn claim(&mut self, name: &str, what: &str, id: &str) -> bool {
        if name.to_ascii_lowercase().starts_with("sqlite_") {
            self.unsupported(
                &format!("{what} named `{name}`"),
                id,
                "SQLite reserves names that start with `sqlite_` for itself: choose another name",
            );
            return false;
        }
        let key = name.to_ascii_lowercase();
        if let Some((other, other_id)) = self.names.get(&key).cloned() {
            let mut d = Diagnostic::new(codes::E0801, format!("{what} and {other} would both be `{name}` on SQLite"));
            d = self.source_map.at(d, id, "this one");
            if let Some(span) = self.source_map.get(&other_id) {
                d = d.also(span, "the other");
            }
            d = d.note("tables, views, indexes and triggers share one namespace in SQLite, and case does not matter");
            self.diagnostics.push(d.help("rename one of them"));
            return false;
        }
        self.names.insert(key, (what.to_string(), id.to_string()));
        true
    }

    /// `base`, or `base1`, `base2`… when taken.
    pub(super) fn generate(&mut self, base: &str, what: &str) -> String {
        let mut name = base.to_string();
        let mut n = 0;
        while self.names.contains_key(&name.to_ascii_lowercase()) {
            n += 1;
            name = format!("{base}{n}");
        }
        self.names.insert(name.to_ascii_lowercase(), (what.to_string(), String::new()));
        name
    }

    fn run(&mut self) {
        let ir = self.ir;
        self.claim_names();
        for entity in &ir.entities {
            let table = self.lower_table(entity);
            self.schema.tables.push(table);
        }
        for entity in &ir.entities {
            self.lower_indexes(entity);
        }
        self.lower_views();
        self.lower_triggers();
        self.lower_behaviours();
        for entity in &ir.entities {
            if let Some(search) = &entity.search {
                self.lower_search(entity, search);
            }
        }
        self.reject_security();
    }

    fn claim_names(&mut self) {
        let ir = self.ir;
        for entity in &ir.entities {
            self.claim(&entity.table, &format!("the table of entity `{}`", entity.name), &entity.id);
        }
        for view in &ir.views {
            self.claim(&snake_case(&view.name), &format!("view `{}`", view.name), &view.id);
        }
        for entity in &ir.entities {
            let named = entity.uniques.iter().filter(|u| u.predicate.is_some()).filter_map(|u| u.name.as_ref());
            for name in named.chain(entity.indexes.iter().filter_map(|i| i.name.as_ref())) {
                self.claim(name, &format!("the index `{name}` of entity `{}`", entity.name), &entity.id);
            }
        }
    }

    fn lower_table(&mut self, entity: &'a ir::Entity) -> Table {
        if let Some(partition) = &entity.partition {
            let columns = partition.columns.join(", ");
            self.unsupported(
                &format!("`partition by` ({columns}) of entity `{}`", entity.name),
                &entity.id,
                "SQLite has no table partitioning: remove `partition by` for a SQLite target (one table holds \
                 every row), or keep this entity on PostgreSQL",
            );
        }
        if entity.row_security.is_some() {
            self.unsupported(
                &format!("`row_security` of entity `{}`", entity.name),
                &entity.id,
                "SQLite has no row-level security: whoever opens the file reads every row; leave it out for a \
                 SQLite target",
            );
        }
        let single_key = match entity.primary_key.as_slice() {
            [only] => Some(only.as_str()),
            _ => None,
        };
        let mut table = Table {
            name: entity.table.clone(),
            primary_key: Self::columns_of(entity, &entity.primary_key),
            strict: self.options.strict,
            comment: entity.doc.clone(),
            ..Table::default()
        };
        let mut check_names = BTreeSet::new();
        let mut checks = Vec::new();
        for field in &entity.fields {
            let column = self.lower_column(entity, field, single_key, &mut checks);
            table.columns.push(column);
        }
        for check in &entity.checks {
            let scope = Scope { entity: Some(entity), value: None, place: Place::Check };
            match expr::print(&check.expr, &scope) {
                Ok(text) => {
                    let base = match &check.name {
                        Some(name) => name.clone(),
                        None => {
                            let mut parts = vec![entity.table.clone()];
                            parts.extend(check.expr.columns().iter().map(|c| entity.column_of(c)));
                            parts.push("check".into());
                            parts.join("_")
                        }
                    };
                    checks.push((base, text));
                }
                Err(u) => self.unsupported_expr(u, &format!("a check of entity `{}`", entity.name), &entity.id),
            }
        }
        for (base, expr) in checks {
            let mut name = base.clone();
            let mut n = 0;
            while !check_names.insert(name.clone()) {
                n += 1;
                name = format!("{base}{n}");
            }
            table.checks.push(Check { name, expr });
        }
        for unique in entity.uniques.iter().filter(|u| u.predicate.is_none()) {
            table.uniques.push(Self::columns_of(entity, &unique.columns));
        }
        for fk in &entity.foreign_keys {
            let Some(target) = self.ir.entity(&fk.references) else { continue };
            table.foreign_keys.push(ForeignKey {
                columns: Self::columns_of(entity, &fk.columns),
                references: target.table.clone(),
                referenced_columns: Self::columns_of(target, &fk.referenced_columns),
                on_delete: action(fk.on_delete).into(),
                on_update: action(fk.on_update).into(),
                deferrable: fk.deferrable,
            });
        }
        table
    }

    pub(super) fn columns_of(entity: &ir::Entity, fields: &[String]) -> Vec<String> {
        fields.iter().map(|f| entity.column_of(f)).collect()
    }

    /// One column; the checks its type needs go to `checks` as (name, condition).
    fn lower_column(
        &mut self,
        entity: &'a ir::Entity,
        field: &'a ir::Field,
        single_key: Option<&str>,
        checks: &mut Vec<(String, String)>,
    ) -> Column {
        let owner = format!("field `{}.{}`", entity.name, field.name);
        if let Some(pii) = field.pii {
            let (what, help) = match pii {
                ir::Pii::Encrypt | ir::Pii::Hash => (
                    if pii == ir::Pii::Encrypt { "pii(encrypt)" } else { "pii(hash)" },
                    "SQLite has no built-in cryptography: encrypt or hash the value in the application and store \
                     it as `bytes`",
                ),
                ir::Pii::Mask => (
                    "pii(mask)",
                    "SQLite has no roles, so a masked view would protect nothing: mask the value in the application",
                ),
            };
            self.unsupported(&format!("`{what}` on {owner}"), &field.id, help);
        }
        let mapped = match types::map(&field.ty, self.ir) {
            Ok(mapped) => mapped,
            Err(why) => {
                self.unsupported(&format!("the type of {owner}"), &field.id, &format!("{why}: use a language type"));
                types::Mapped { declared: "ANY", implied: Vec::new() }
            }
        };
        let quoted = ident(&field.column);
        let is_key = single_key == Some(field.name.as_str());
        let integer = matches!(field.ty, Type::SmallInt | Type::Int | Type::BigInt);
        let mut declared = mapped.declared;
        if field.identity || field.serial {
            if !(is_key && integer) {
                let kind = if field.identity { "identity" } else { "serial" };
                self.unsupported(
                    &format!("`= {kind}` on {owner}"),
                    &field.id,
                    "SQLite numbers rows by itself only for a table's single INTEGER primary key (the rowid): make \
                     this field the only primary key, or give it values from the application",
                );
            }
        } else if is_key && declared == "INTEGER" {
            // A single INTEGER primary key is the rowid: an insert without a
            // value would be given one. `INT` has the same storage but is not
            // the rowid, so NOT NULL keeps refusing a missing key.
            declared = "INT";
        }
        for rule in &mapped.implied {
            let suffix = match rule {
                types::Implied::Boolean => "bool",
                types::Implied::Json => "json",
                types::Implied::JsonArray => "array",
                types::Implied::MaxLength(_) => "length",
                types::Implied::OneOf(_) => "enum",
            };
            checks.push((format!("{}_{}_{suffix}", entity.table, field.column), rule.condition(&quoted)));
        }
        if let Type::Domain { name } = &field.ty {
            if let Some(condition) = self.domain_check(name, &quoted) {
                checks.push((format!("{}_{}_check", entity.table, field.column), condition));
            }
        }
        let scope = Scope { entity: Some(entity), value: None, place: Place::Default };
        let default = match field.default.as_ref().map(|d| expr::default_value(d, &scope)) {
            Some(Ok(text)) => Some(text),
            Some(Err(u)) => {
                self.unsupported_expr(u, &format!("the default of {owner}"), &field.id);
                None
            }
            None => None,
        };
        let scope = Scope { entity: Some(entity), value: None, place: Place::Generated };
        let generated = match field.generated.as_ref().map(|g| expr::print(g, &scope)) {
            Some(Ok(text)) => Some(text),
            Some(Err(u)) => {
                self.unsupported_expr(u, &format!("the generated value of {owner}"), &field.id);
                None
            }
            None => None,
        };
        Column {
            name: field.column.clone(),
            ty: declared.to_string(),
            not_null: !field.nullable,
            default,
            generated,
            rowid_alias: is_key && declared == "INTEGER",
            comment: field.doc.clone(),
        }
    }

    /// A type alias's check (and json shape) on `column`; none when it has
    /// none or SQLite cannot evaluate it (reported once per alias).
    fn domain_check(&mut self, name: &str, column: &str) -> Option<String> {
        let domain = self.ir.domains.iter().find(|d| d.name == name)?;
        let mut parts = Vec::new();
        let scope = Scope { entity: None, value: Some(column), place: Place::Check };
        let shape = domain.shape.as_ref().map(|shape| super::json_shape::check(shape, column));
        let check = domain.check.as_ref().map(|check| expr::print(check, &scope));
        for part in [shape, check].into_iter().flatten() {
            match part {
                Ok(text) => parts.push(text),
                Err(u) => {
                    if self.domains_reported.insert(domain.name.clone()) {
                        self.unsupported_expr(u, &format!("type `{}`", domain.name), &domain.id);
                    }
                    return None;
                }
            }
        }
        match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(parts.iter().map(|p| format!("({p})")).collect::<Vec<_>>().join(" AND ")),
        }
    }

    fn lower_indexes(&mut self, entity: &'a ir::Entity) {
        let scope = Scope { entity: Some(entity), value: None, place: Place::Index };
        for unique in entity.uniques.iter().filter(|u| u.predicate.is_some()) {
            let columns = Self::columns_of(entity, &unique.columns);
            let predicate = match unique.predicate.as_ref().map(|p| expr::print(p, &scope)) {
                Some(Ok(text)) => text,
                Some(Err(u)) => {
                    self.unsupported_expr(u, &format!("a unique key of entity `{}`", entity.name), &entity.id);
                    continue;
                }
                None => continue,
            };
            let name = match &unique.name {
                Some(name) => name.clone(),
                None => self.generate(&format!("{}_{}_key", entity.table, columns.join("_")), "a unique index"),
            };
            self.schema.indexes.push(Index {
                name,
                table: entity.table.clone(),
                unique: true,
                keys: columns.iter().map(|c| ident(c)).collect(),
                predicate: Some(predicate),
                comment: unique.origin.comment(),
            });
        }
        for index in &entity.indexes {
            if let Some(index) = self.lower_index(entity, index, &scope) {
                self.schema.indexes.push(index);
            }
        }
    }

    fn lower_index(&mut self, entity: &'a ir::Entity, index: &ir::Index, scope: &Scope) -> Option<Index> {
        let described: Vec<String> = index
            .keys
            .iter()
            .map(|k| match &k.expr {
                Expr::Column { name } => name.clone(),
                _ => "…".into(),
            })
            .collect();
        let owner = format!("the index ({}) of entity `{}`", described.join(", "), entity.name);
        let mut notes: Vec<String> = index.origin.comment().into_iter().collect();
        match index.method {
            ir::IndexMethod::Gin | ir::IndexMethod::Gist => {
                let method = if index.method == ir::IndexMethod::Gin { "gin" } else { "gist" };
                self.unsupported(
                    &format!("`using {method}` on {owner}"),
                    &entity.id,
                    "SQLite has B-tree indexes only, which serve no containment or overlap search: remove this \
                     index for a SQLite target",
                );
                return None;
            }
            ir::IndexMethod::Hash | ir::IndexMethod::Brin => {
                notes.push("A B-tree index: SQLite has no other kind; it serves the same lookups.".into());
            }
            ir::IndexMethod::Btree => {}
        }
        let mut parts = vec![entity.table.clone()];
        let mut keys = Vec::with_capacity(index.keys.len() + index.include.len());
        for key in &index.keys {
            let text = match &key.expr {
                Expr::Column { name } => {
                    let column = entity.column_of(name);
                    parts.push(column.clone());
                    ident(&column)
                }
                other => match expr::print(other, scope) {
                    Ok(text) => {
                        let columns = other.columns();
                        if columns.is_empty() {
                            parts.push("expr".into());
                        }
                        parts.extend(columns.iter().map(|c| entity.column_of(c)));
                        format!("({text})")
                    }
                    Err(u) => {
                        self.unsupported_expr(u, &owner, &entity.id);
                        return None;
                    }
                },
            };
            if key.nulls_first.is_some() {
                notes.push(
                    "SQLite sorts NULLs first ascending and last descending, whatever `nulls` says; the order of \
                     rows returned is the query's business."
                        .into(),
                );
            }
            keys.push(if key.descending { format!("{text} DESC") } else { text });
        }
        if !index.include.is_empty() {
            let include = Self::columns_of(entity, &index.include);
            notes.push(format!(
                "INCLUDE ({}) has no SQLite equivalent: those columns are trailing keys, so the index still covers them.",
                include.join(", ")
            ));
            keys.extend(include.iter().map(|c| ident(c)));
        }
        let predicate = match index.predicate.as_ref().map(|p| expr::print(p, scope)) {
            Some(Ok(text)) => Some(text),
            Some(Err(u)) => {
                self.unsupported_expr(u, &format!("the condition of {owner}"), &entity.id);
                return None;
            }
            None => None,
        };
        parts.push("idx".into());
        let name = match &index.name {
            Some(name) => name.clone(),
            None => self.generate(&parts.join("_"), "an index"),
        };
        notes.dedup();
        Some(Index {
            name,
            table: entity.table.clone(),
            unique: index.unique,
            keys,
            predicate,
            comment: (!notes.is_empty()).then(|| notes.join(" ")),
        })
    }

    fn lower_views(&mut self) {
        for view in &self.ir.views {
            let name = snake_case(&view.name);
            let (query, columns) = match &view.definition {
                ir::ViewDefinition::Query { entity, filter, columns } => {
                    let Some(e) = self.ir.entity(entity) else { continue };
                    let cols = Self::columns_of(e, columns);
                    let list: Vec<String> = cols.iter().map(|c| ident(c)).collect();
                    let mut query = format!("SELECT {} FROM {}", list.join(", "), ident(&e.table));
                    if let Some(filter) = filter {
                        let scope = Scope { entity: Some(e), value: None, place: Place::Query };
                        match expr::print(filter, &scope) {
                            Ok(text) => {
                                query.push_str(" WHERE ");
                                query.push_str(&text);
                            }
                            Err(u) => {
                                self.unsupported_expr(u, &format!("view `{}`", view.name), &view.id);
                                continue;
                            }
                        }
                    }
                    (query, cols)
                }
                ir::ViewDefinition::Sql { bodies } => {
                    let Some(body) = bodies.get("sqlite").or_else(|| bodies.get("any")) else {
                        self.unsupported(
                            &format!("view `{}` written in SQL for other backends", view.name),
                            &view.id,
                            "add `sql sqlite '…'` with the SELECT for SQLite",
                        );
                        continue;
                    };
                    (body.trim().trim_end_matches(';').to_string(), Vec::new())
                }
            };
            let mut comment = view.doc.clone();
            if view.materialized {
                let note = "A plain view: SQLite has no materialized views, so it always shows the current rows.";
                comment = Some(comment.map_or_else(|| note.to_string(), |c| format!("{c}\n{note}")));
            }
            self.schema.views.push(View { sql: render::view_statement(&name, &query), name, columns, comment });
        }
    }

    /// Source triggers: the body is the function's `sqlite` SQL, the
    /// statements of the trigger program. SQLite triggers have one event
    /// each, so `on insert or update` is one trigger per event.
    fn lower_triggers(&mut self) {
        let ir = self.ir;
        for function in &ir.functions {
            if let ir::FunctionReturns::Value { .. } = function.returns {
                self.unsupported(
                    &format!("function `{}`", function.name),
                    &function.id,
                    "SQLite has no stored functions: register it on each connection from the application \
                     (sqlite3_create_function), or keep it on PostgreSQL",
                );
            }
        }
        for aggregate in &ir.aggregates {
            self.unsupported(
                &format!("aggregate `{}`", aggregate.name),
                &aggregate.id,
                "aggregates are PostgreSQL's: compute the value in the application, or keep it on PostgreSQL",
            );
        }
        for trigger in &ir.triggers {
            let Some(entity) = ir.entity(&trigger.entity) else { continue };
            let what = format!("trigger `{}`", trigger.name);
            if !trigger.arguments.is_empty() {
                self.unsupported(
                    &format!("{what} with arguments"),
                    &trigger.id,
                    "SQLite triggers run their statements without arguments: write the values into the function's `sql sqlite` body",
                );
                continue;
            }
            let body = ir
                .functions
                .iter()
                .find(|f| f.name == trigger.function)
                .and_then(|f| f.bodies.get("sqlite").or_else(|| f.bodies.get("any")));
            let Some(body) = body else {
                self.unsupported(
                    &format!("{what}, whose function `{}` has no SQL for SQLite", trigger.function),
                    &trigger.id,
                    "add `sql sqlite '…'` to the function: the statements the trigger runs (NEW and OLD name the row)",
                );
                continue;
            };
            let timing = match trigger.timing {
                ir::TriggerTiming::Before => "BEFORE",
                ir::TriggerTiming::After => "AFTER",
                ir::TriggerTiming::InsteadOf => {
                    self.unsupported(
                        &format!("`instead of` {what}"),
                        &trigger.id,
                        "SQLite runs INSTEAD OF triggers on views only: use `before` or `after`",
                    );
                    continue;
                }
            };
            if !trigger.for_each_row {
                self.unsupported(
                    &format!("statement-level {what}"),
                    &trigger.id,
                    "SQLite triggers run for each row: declare it `for each row`",
                );
                continue;
            }
            let statements: Vec<String> =
                body.split_terminator(';').map(str::trim).filter(|s| !s.is_empty()).map(|s| format!("{s};")).collect();
            for event in &trigger.events {
                let event = match event {
                    ir::TriggerEvent::Insert => "INSERT",
                    ir::TriggerEvent::Update => "UPDATE",
                    ir::TriggerEvent::Delete => "DELETE",
                };
                let name = if trigger.events.len() == 1 {
                    trigger.name.clone()
                } else {
                    format!("{}_{}", trigger.name, event.to_ascii_lowercase())
                };
                if !self.claim(&name, &what, &trigger.id) {
                    continue;
                }
                let sql = render::trigger_statement(&name, timing, event, &entity.table, None, &statements);
                self.schema.triggers.push(Trigger {
                    name,
                    table: entity.table.clone(),
                    sql,
                    comment: trigger.doc.clone(),
                });
            }
        }
    }

    fn lower_behaviours(&mut self) {
        let ir = self.ir;
        let audited: Vec<&ir::Entity> =
            ir.entities.iter().filter(|e| e.behaviours.iter().any(|b| b.kind == BehaviourKind::Audit)).collect();
        let logged = self.audit_log(&audited);
        let mut isolated: Vec<&ir::Entity> = Vec::new();
        let mut isolation_pattern = String::new();
        for entity in &ir.entities {
            let find = |kind| entity.behaviours.iter().find(|b| b.kind == kind);
            let touch = find(BehaviourKind::Touch).and_then(|b| argument(entity, b, 0));
            let version = find(BehaviourKind::OptimisticLock).and_then(|b| argument(entity, b, 0));
            if let Some(b) = find(BehaviourKind::Immutable) {
                let columns: Vec<String> = (0..b.args.len()).filter_map(|i| argument(entity, b, i)).collect();
                self.immutable(entity, &columns, &b.pattern);
            }
            if let Some(v) = &version {
                self.stale_version(entity, v);
            }
            let temporal = find(BehaviourKind::Temporal)
                .and_then(|b| Some((argument(entity, b, 0)?, b)))
                .and_then(|(valid_from, b)| self.lower_temporal(entity, &valid_from, &b.pattern));
            let audit = logged && find(BehaviourKind::Audit).is_some();
            if audit {
                self.audit_insert_and_delete(entity);
            }
            let after = AfterUpdate { touch: touch.as_deref(), version: version.as_deref(), temporal, audit };
            if !after.is_empty() {
                self.after_update(entity, &after);
            }
            if let Some(b) = find(BehaviourKind::SoftDelete) {
                if let Some(deleted_at) = argument(entity, b, 0) {
                    self.lower_soft_delete(entity, &deleted_at, &b.pattern);
                }
            }
            if let Some(b) = find(BehaviourKind::TenantIsolation) {
                isolated.push(entity);
                isolation_pattern = b.pattern.clone();
            }
        }
        if let Some(first) = isolated.first() {
            let names: Vec<String> = isolated.iter().map(|e| format!("`{}`", e.name)).collect();
            let construct = format!("pattern `{isolation_pattern}` (tenant isolation) on {}", names.join(", "));
            self.unsupported(
                &construct,
                &first.id,
                "SQLite has no row-level security or sessions: a schema that looked isolated would not be; filter \
                 by tenant in the application, or keep this schema on PostgreSQL",
            );
        }
    }

    /// The row's key in a trigger's inner statement: the primary key, else the rowid.
    pub(super) fn row_condition(entity: &ir::Entity, record: &str) -> String {
        if entity.primary_key.is_empty() {
            return format!("rowid = {record}.rowid");
        }
        Self::columns_of(entity, &entity.primary_key)
            .iter()
            .map(|c| format!("{} = {record}.{}", ident(c), ident(c)))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// A row trigger named `<table>_<what>` (a number added when taken).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push_trigger(
        &mut self,
        table: &str,
        what: &str,
        timing: &str,
        event: &str,
        when: Option<&str>,
        body: &[String],
        comment: String,
    ) {
        let name = self.generate(&format!("{table}_{what}"), "a trigger");
        let sql = render::trigger_statement(&name, timing, event, table, when, body);
        self.schema.triggers.push(Trigger { name, table: table.to_string(), sql, comment: Some(comment) });
    }

    fn immutable(&mut self, entity: &ir::Entity, columns: &[String], pattern: &str) {
        if columns.is_empty() {
            return;
        }
        let when: Vec<String> = columns.iter().map(|c| format!("NEW.{} IS NOT OLD.{}", ident(c), ident(c))).collect();
        let message = format!(
            "{} of {} cannot be changed: it keeps the value the row was inserted with",
            columns.join(", "),
            entity.table
        );
        let body = [format!("SELECT RAISE(ABORT, {});", literal(&message))];
        let comment = format!("Refuses updates that change {} (pattern `{pattern}`).", columns.join(", "));
        self.push_trigger(&entity.table, "immutable", "BEFORE", "UPDATE", Some(&when.join(" OR ")), &body, comment);
    }

    /// An update that carries a version other than the current one or the
    /// next is from a stale read: it changes nothing (as on PostgreSQL).
    fn stale_version(&mut self, entity: &ir::Entity, column: &str) {
        let v = ident(column);
        let when = format!("NEW.{v} IS NOT OLD.{v} AND NEW.{v} IS NOT OLD.{v} + 1");
        let comment = format!("Skips updates that carry a stale `{column}` (optimistic locking).");
        let body = ["SELECT RAISE(IGNORE);".to_string()];
        self.push_trigger(&entity.table, "stale_version", "BEFORE", "UPDATE", Some(&when), &body, comment);
    }

    /// One AFTER UPDATE trigger does everything that follows an update, in
    /// this order: files the old version (`temporal`), sets the touched
    /// timestamp, bumps the version and starts the new version (each when
    /// the update left it alone) in a single inner UPDATE, and logs the
    /// change with the row as it ends up (`audit`). Separate triggers would
    /// fire each other's updates (SQLite stops a trigger from re-firing
    /// itself only): the version would be bumped twice and the audit log
    /// would get a row for the inner update.
    fn after_update(&mut self, entity: &ir::Entity, after: &AfterUpdate) {
        let mut sets = Vec::new();
        let mut when = Vec::new();
        let mut what = Vec::new();
        let mut body = Vec::new();
        if let Some(temporal) = &after.temporal {
            body.push(temporal.file_on_update.clone());
            let c = ident(&temporal.valid_from);
            when.push(format!("NEW.{c} IS OLD.{c}"));
            sets.push(format!("{c} = CASE WHEN NEW.{c} IS OLD.{c} THEN max({}, {c}) ELSE {c} END", expr::NOW));
            what.push(format!("files the old version in `{}` and starts the new one", temporal.history));
        }
        if let Some(t) = after.touch {
            let c = ident(t);
            when.push(format!("NEW.{c} IS OLD.{c}"));
            sets.push(format!("{c} = CASE WHEN NEW.{c} IS OLD.{c} THEN {} ELSE {c} END", expr::NOW));
            what.push(format!("sets `{t}` to the current time"));
        }
        if let Some(v) = after.version {
            let c = ident(v);
            when.push(format!("NEW.{c} IS OLD.{c}"));
            sets.push(format!("{c} = CASE WHEN NEW.{c} IS OLD.{c} THEN {c} + 1 ELSE {c} END"));
            what.push(format!("bumps `{v}`"));
        }
        if !sets.is_empty() {
            let mut condition = Self::row_condition(entity, "NEW");
            if after.audit {
                // The trigger runs for every update; the inner one only when needed.
                condition = format!("{condition} AND ({})", when.join(" OR "));
            }
            body.push(format!("UPDATE {} SET {} WHERE {condition};", ident(&entity.table), sets.join(", ")));
        }
        if after.audit {
            body.push(self.audit_update(entity));
            what.push(format!("appends the change to `{}`", super::audit::AUDIT_LOG));
        }
        let comment = if after.audit {
            format!("After each update, {}.", what.join(", "))
        } else {
            format!("After each update that did not set it itself, {}.", what.join(" and "))
        };
        let condition = (!after.audit).then(|| when.join(" OR "));
        self.push_trigger(&entity.table, "after_update", "AFTER", "UPDATE", condition.as_deref(), &body, comment);
    }

    fn reject_security(&mut self) {
        let ir = self.ir;
        for role in &ir.roles {
            let grants = ir.grants.iter().filter(|g| g.role == role.name).count()
                + ir.object_grants.iter().filter(|g| g.role == role.name).count();
            let construct = if grants == 0 {
                format!("role `{}`", role.name)
            } else {
                format!("role `{}` and its {grants} grant(s)", role.name)
            };
            self.unsupported(
                &construct,
                &role.id,
                "SQLite has no users, roles or privileges: whoever opens the file may do everything; leave roles \
                 out for a SQLite target",
            );
        }
        for policy in &ir.policies {
            self.unsupported(
                &format!("policy `{}`", policy.name),
                &policy.id,
                "SQLite has no row-level security: filter rows in the application",
            );
        }
    }
}

/// The column a behaviour's argument names.
fn argument(entity: &ir::Entity, behaviour: &ir::Behaviour, position: usize) -> Option<String> {
    match behaviour.args.get(position) {
        Some(Expr::Column { name }) => Some(entity.column_of(name)),
        _ => None,
    }
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
