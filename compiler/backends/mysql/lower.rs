//! IR → MySQL/MariaDB physical model ([`Schema`]): drives the lowering and
//! holds what is shared — the namespaces names are claimed in (E0800 over
//! 64 characters, E0801 for two objects with one name), the tables with
//! their columns, types, defaults, generated columns, checks (declared
//! ones, type alias checks and json shapes, the array check) and foreign
//! keys, and the views. The other parts are in their own files: keys and
//! indexes (`indexes.rs`), triggers and behaviours (`triggers.rs`), the
//! audit log (`audit.rs`), history tables (`temporal.rs`), roles, grants
//! and policies (`security.rs`).
//!
//! Whatever MySQL/MariaDB cannot honour is reported, one E0802 per
//! construct, naming the backend and the construct, never dropped; here:
//! partitioning, full-text search, `pii`, deferrable keys, `set default`,
//! checks MySQL 8 refuses, json in keys, `interval`. This module decides
//! names, types and SQL text of expressions; statements are printed by
//! `render.rs`.

use std::collections::{BTreeMap, BTreeSet};

use super::expr::{self, Place, Scope, Unsupported};
use super::model::*;
use super::names::{self, MAX_IDENTIFIER};
use super::quote::{ident, literal};
use super::triggers::signal_if;
use super::types;
use crate::diagnostics::{codes, Diagnostic};
use crate::semantic::ir::{self, Expr, Ir, SourceMap, Type};
use crate::semantic::snake_case;

/// The collation of every table: text compares and sorts by code point and
/// case matters, as on PostgreSQL.
pub const COLLATION: &str = "utf8mb4_bin";

/// The longest comment MySQL keeps on a table and on a column.
const TABLE_COMMENT: usize = 2048;
const COLUMN_COMMENT: usize = 1024;

pub fn lower(ir: &Ir, source_map: &SourceMap) -> (Schema, Vec<Diagnostic>) {
    let mut lowering = Lowering {
        ir,
        source_map,
        schema: Schema::default(),
        diagnostics: Vec::new(),
        relations: BTreeMap::new(),
        constraints: BTreeMap::new(),
        triggers: BTreeMap::new(),
        domains_reported: BTreeSet::new(),
    };
    lowering.run();
    (lowering.schema, lowering.diagnostics)
}

/// A namespace: lowercased name → (what, source id).
pub(super) type Names = BTreeMap<String, (String, String)>;

pub(super) struct Lowering<'a> {
    pub(super) ir: &'a Ir,
    pub(super) source_map: &'a SourceMap,
    pub(super) schema: Schema,
    pub(super) diagnostics: Vec<Diagnostic>,
    /// Tables and views share one namespace per database.
    pub(super) relations: Names,
    /// Foreign key and CHECK constraint names are unique per database on MySQL 8.
    pub(super) constraints: Names,
    /// Trigger names are unique per database.
    pub(super) triggers: Names,
    /// Type aliases whose check was reported already (once per alias).
    pub(super) domains_reported: BTreeSet<String>,
}

/// Why MySQL 8 would refuse a CHECK.
enum Refused {
    /// It reads this AUTO_INCREMENT column.
    AutoIncrement(String),
    /// It reads a column a foreign key's `on delete`/`on update` changes.
    ReferentialAction,
}

impl<'a> Lowering<'a> {
    pub(super) fn report(&mut self, d: Diagnostic, id: &str, label: &str) {
        let d = self.source_map.at(d, id, label);
        self.diagnostics.push(d);
    }

    /// E0802 for `construct`, at the object `id`.
    pub(super) fn unsupported(&mut self, construct: &str, id: &str, help: &str) {
        let d = Diagnostic::new(codes::E0802, format!("{construct}: not expressible on MySQL/MariaDB"));
        self.report(d.help(help.to_string()), id, "not expressible on MySQL/MariaDB");
    }

    pub(super) fn unsupported_expr(&mut self, u: Unsupported, owner: &str, id: &str) {
        self.unsupported(&format!("{} in {owner}", u.construct), id, &u.help);
    }

    /// E0800 when a name the user chose is over 64 characters.
    pub(super) fn fits(&mut self, name: &str, what: &str, id: &str) -> bool {
        let length = name.chars().count();
        if length <= MAX_IDENTIFIER {
            return true;
        }
        let d = Diagnostic::new(
            codes::E0800,
            format!("{what} would be named `{name}`: {length} characters, but MySQL allows {MAX_IDENTIFIER}"),
        );
        let d = self.source_map.at(d, id, "name too long for MySQL/MariaDB");
        self.diagnostics.push(d.help("choose a shorter name (use `renamed_from` to keep existing data)"));
        false
    }

    /// Claims a name the user chose in `names`; false (E0801 reported) when
    /// taken. Names compare without case (as on case-insensitive file
    /// systems, where MySQL table names do too).
    pub(super) fn claim(
        names: &mut Names,
        diagnostics: &mut Vec<Diagnostic>,
        sm: &SourceMap,
        what: &str,
        name: &str,
        id: &str,
        note: &str,
    ) -> bool {
        let key = name.to_lowercase();
        if let Some((other, other_id)) = names.get(&key).cloned() {
            let mut d =
                Diagnostic::new(codes::E0801, format!("{what} and {other} would both be `{name}` on MySQL/MariaDB"));
            d = sm.at(d, id, "this one");
            if let Some(span) = sm.get(&other_id) {
                d = d.also(span, "the other");
            }
            diagnostics.push(d.note(note.to_string()).help("rename one of them"));
            return false;
        }
        names.insert(key, (what.to_string(), id.to_string()));
        true
    }

    pub(super) fn claim_relation(&mut self, name: &str, what: &str, id: &str) -> bool {
        self.fits(name, what, id)
            && Self::claim(
                &mut self.relations,
                &mut self.diagnostics,
                self.source_map,
                what,
                name,
                id,
                "tables and views share one namespace in a MySQL database",
            )
    }

    fn claim_constraint(&mut self, name: &str, what: &str, id: &str) -> bool {
        self.fits(name, what, id)
            && Self::claim(
                &mut self.constraints,
                &mut self.diagnostics,
                self.source_map,
                what,
                name,
                id,
                "foreign key and CHECK constraint names are unique in a whole MySQL database",
            )
    }

    pub(super) fn claim_trigger(&mut self, name: &str, what: &str, id: &str) -> bool {
        self.fits(name, what, id)
            && Self::claim(
                &mut self.triggers,
                &mut self.diagnostics,
                self.source_map,
                what,
                name,
                id,
                "trigger names are unique in a MySQL database",
            )
    }

    /// A free generated name in `names`: `base` fitted, or with a number.
    pub(super) fn generate(names: &mut Names, base: &str, what: &str) -> String {
        let mut name = names::fit(base);
        let mut n = 0;
        while names.contains_key(&name.to_lowercase()) {
            n += 1;
            name = names::fit(&format!("{base}{n}"));
        }
        names.insert(name.to_lowercase(), (what.to_string(), String::new()));
        name
    }

    fn run(&mut self) {
        let ir = self.ir;
        for entity in &ir.entities {
            self.claim_relation(&entity.table, &format!("the table of entity `{}`", entity.name), &entity.id);
        }
        for view in &ir.views {
            self.claim_relation(&snake_case(&view.name), &format!("view `{}`", view.name), &view.id);
        }
        for entity in &ir.entities {
            let table = self.lower_table(entity);
            self.schema.tables.push(table);
        }
        self.lower_views();
        self.lower_triggers();
        self.lower_behaviours();
        self.lower_security();
    }

    /// The fields that take part in a key, an index or a foreign key (InnoDB
    /// cannot index whole TEXT or BLOB columns).
    fn keyed_fields(&self, entity: &ir::Entity) -> BTreeSet<String> {
        let mut keyed: BTreeSet<String> = entity.primary_key.iter().cloned().collect();
        for unique in &entity.uniques {
            keyed.extend(unique.columns.iter().cloned());
        }
        let searchable = |i: &&ir::Index| matches!(i.method, ir::IndexMethod::Gin | ir::IndexMethod::Gist);
        for index in entity.indexes.iter().filter(|i| !searchable(i)) {
            for key in &index.keys {
                if let Expr::Column { name } = &key.expr {
                    keyed.insert(name.clone());
                }
            }
            keyed.extend(index.include.iter().cloned());
        }
        for fk in &entity.foreign_keys {
            keyed.extend(fk.columns.iter().cloned());
        }
        for other in &self.ir.entities {
            for fk in other.foreign_keys.iter().filter(|fk| fk.references == entity.name) {
                keyed.extend(fk.referenced_columns.iter().cloned());
            }
        }
        keyed
    }

    fn lower_table(&mut self, entity: &'a ir::Entity) -> Table {
        self.reject_table_features(entity);
        let keyed = self.keyed_fields(entity);
        let mut table = Table {
            name: entity.table.clone(),
            primary_key: Self::columns_of(entity, &entity.primary_key),
            collation: COLLATION.into(),
            comment: entity.doc.as_deref().map(|d| clip(d, TABLE_COMMENT)),
            ..Table::default()
        };
        let mut checks = Vec::new();
        for field in &entity.fields {
            if let Some(column) = self.lower_column(entity, field, keyed.contains(&field.name), &mut checks) {
                table.columns.push(column);
            }
        }
        for check in &entity.checks {
            let refused = Self::check_refused_by_mysql8(entity, &check.expr.columns());
            if let Some(Refused::AutoIncrement(column)) = &refused {
                self.unsupported(
                    &format!("a check of entity `{}` on the AUTO_INCREMENT column `{column}`", entity.name),
                    &entity.id,
                    "MySQL 8 refuses a CHECK on an AUTO_INCREMENT column, and a trigger sees no value before it \
                     is numbered: enforce the rule in the application",
                );
                continue;
            }
            let place = if refused.is_some() { Place::Row } else { Place::Check };
            let scope = Scope { entity: Some(entity), value: None, place };
            match expr::print(&check.expr, &scope) {
                Ok(text) => {
                    let name = match &check.name {
                        Some(name) => {
                            if !self.claim_constraint(name, &format!("check `{name}`"), &entity.id) {
                                continue;
                            }
                            name.clone()
                        }
                        None => {
                            let mut parts = vec![entity.table.clone()];
                            parts.extend(check.expr.columns().iter().map(|c| entity.column_of(c)));
                            parts.push("check".into());
                            Self::generate(&mut self.constraints, &parts.join("_"), "a check")
                        }
                    };
                    if refused.is_some() {
                        self.check_trigger(entity, &name, &text);
                    } else {
                        table.checks.push(Check { name, expr: text });
                    }
                }
                Err(u) => self.unsupported_expr(u, &format!("a check of entity `{}`", entity.name), &entity.id),
            }
        }
        for (base, expr) in checks {
            let name = Self::generate(&mut self.constraints, &base, "a check");
            table.checks.push(Check { name, expr });
        }
        let mut index_names = Names::new();
        index_names.insert("primary".into(), ("the primary key".into(), entity.id.clone()));
        if !table.primary_key.is_empty() {
            let key = table.primary_key.clone();
            self.key_fits(entity, &table, &key, &format!("the primary key ({})", key.join(", ")));
        }
        self.lower_uniques(entity, &mut table, &mut index_names);
        for index in &entity.indexes {
            if let Some(index) = self.lower_index(entity, index, &mut index_names) {
                let columns: Vec<String> = index.keys.iter().map(|k| key_column(k)).collect();
                let what = format!("the index `{}` ({})", index.name, columns.join(", "));
                if self.key_fits(entity, &table, &columns, &what) {
                    table.indexes.push(index);
                }
            }
        }
        self.lower_foreign_keys(entity, &mut table);
        self.index_auto_increment(entity, &mut table, &mut index_names);
        self.implicit_foreign_key_indexes(&mut table);
        table
    }

    fn reject_table_features(&mut self, entity: &ir::Entity) {
        if let Some(partition) = &entity.partition {
            let columns = partition.columns.join(", ");
            self.unsupported(
                &format!("`partition by` ({columns}) of entity `{}`", entity.name),
                &entity.id,
                "InnoDB allows no foreign keys on a partitioned table and needs the partition key in every unique \
                 key, and schemac does not generate MySQL partitions yet: remove `partition by` for a MySQL \
                 target (one table holds every row), or keep this entity on PostgreSQL",
            );
        }
        if entity.row_security.is_some() {
            self.unsupported(
                &format!("`row_security` of entity `{}`", entity.name),
                &entity.id,
                "MySQL/MariaDB have no row-level security; leave it out for a MySQL target",
            );
        }
        if entity.search.is_some() {
            self.unsupported(
                &format!("full-text `search` of entity `{}`", entity.name),
                &entity.id,
                "a FULLTEXT index has neither weights nor a language: remove `search` for a MySQL target and add \
                 the FULLTEXT index by hand if it serves",
            );
        }
    }

    /// Why MySQL 8 refuses a CHECK on these fields: an AUTO_INCREMENT
    /// column, or a column a foreign key's referential action changes.
    fn check_refused_by_mysql8(entity: &ir::Entity, fields: &[String]) -> Option<Refused> {
        let acts = |a: ir::RefAction| matches!(a, ir::RefAction::Cascade | ir::RefAction::SetNull);
        let mut refused = None;
        for name in fields {
            let Some(field) = entity.field(name) else { continue };
            if field.identity || field.serial {
                return Some(Refused::AutoIncrement(field.column.clone()));
            }
            if entity
                .foreign_keys
                .iter()
                .any(|fk| fk.columns.contains(name) && (acts(fk.on_delete) || acts(fk.on_update)))
            {
                refused = Some(Refused::ReferentialAction);
            }
        }
        refused
    }

    /// A CHECK MySQL 8 refuses (on a column a foreign key's action changes)
    /// as BEFORE INSERT and BEFORE UPDATE triggers that refuse the row.
    fn check_trigger(&mut self, entity: &ir::Entity, check: &str, condition: &str) {
        let message = format!("check {check} failed on {}", entity.table);
        for event in ["INSERT", "UPDATE"] {
            let name =
                Self::generate(&mut self.triggers, &format!("{check}_{}", event.to_ascii_lowercase()), "a trigger");
            self.schema.triggers.push(Trigger {
                name,
                table: entity.table.clone(),
                timing: "BEFORE".into(),
                event: event.into(),
                body: block(&[signal_if(&format!("NOT ({condition})"), &message)]),
                comment: Some(format!(
                    "The check `{check}`: MySQL 8 allows no CHECK on a column a foreign key's action changes."
                )),
            });
        }
    }

    pub(super) fn columns_of(entity: &ir::Entity, fields: &[String]) -> Vec<String> {
        fields.iter().map(|f| entity.column_of(f)).collect()
    }

    /// One column; the checks its type needs go to `checks` as (name, condition).
    fn lower_column(
        &mut self,
        entity: &'a ir::Entity,
        field: &'a ir::Field,
        keyed: bool,
        checks: &mut Vec<(String, String)>,
    ) -> Option<Column> {
        let owner = format!("field `{}.{}`", entity.name, field.name);
        if !self.fits(&field.column, &format!("the column of {owner}"), &field.id) {
            return None;
        }
        if let Some(pii) = field.pii {
            let (what, help) = match pii {
                ir::Pii::Encrypt => (
                    "pii(encrypt)",
                    "schemac does not generate MySQL encryption (AES_ENCRYPT needs a key the schema must not \
                     hold): encrypt the value in the application and store it as `bytes`",
                ),
                ir::Pii::Hash => ("pii(hash)", "hash the value in the application and store it as `bytes`"),
                ir::Pii::Mask => (
                    "pii(mask)",
                    "the masked view and its privileges are not generated for MySQL yet: mask the value in the \
                     application",
                ),
            };
            self.unsupported(&format!("`{what}` on {owner}"), &field.id, help);
        }
        let mapped = match types::map(&field.ty, self.ir, keyed) {
            Ok(mapped) => mapped,
            Err(why) => {
                self.unsupported(&format!("the type of {owner}"), &field.id, &format!("{why}: use another type"));
                types::Mapped { declared: "text".into(), implied: Vec::new() }
            }
        };
        let quoted = ident(&field.column);
        let auto_increment = field.identity || field.serial;
        if auto_increment && !types::is_integer(&mapped.declared) {
            let kind = if field.identity { "identity" } else { "serial" };
            self.unsupported(
                &format!("`= {kind}` on {owner}"),
                &field.id,
                "AUTO_INCREMENT numbers integer columns only: make the field an integer",
            );
        }
        for rule in &mapped.implied {
            checks.push((format!("{}_{}_{}", entity.table, field.column, rule.suffix()), rule.condition(&quoted)));
        }
        if let Type::Domain { name } = &field.ty {
            if let Some(condition) = self.domain_check(name, &quoted) {
                checks.push((format!("{}_{}_check", entity.table, field.column), condition));
            }
        }
        let default = match &field.default {
            Some(d) if !auto_increment => self.default_value(d, entity, &mapped.declared, &owner, &field.id),
            _ => None,
        };
        if keyed && mapped.declared == "json" {
            self.unsupported(
                &format!("the json {owner} in a key or an index"),
                &field.id,
                "InnoDB cannot index a whole JSON value: index a generated column that extracts the part queries \
                 use",
            );
        }
        if let Some(generated) = &field.generated {
            let numbered = generated.columns().iter().any(|c| entity.field(c).is_some_and(|f| f.identity || f.serial));
            if numbered {
                self.unsupported(
                    &format!("the generated value of {owner}, computed from an AUTO_INCREMENT column"),
                    &field.id,
                    "MySQL refuses generated columns that read an AUTO_INCREMENT column (its value is not known \
                     when the row is computed): compute the value in the application",
                );
            }
        }
        let scope = Scope { entity: Some(entity), value: None, place: Place::Generated };
        let generated = match field.generated.as_ref().map(|g| expr::print(g, &scope)) {
            Some(Ok(text)) => Some(text),
            Some(Err(u)) => {
                self.unsupported_expr(u, &format!("the generated value of {owner}"), &field.id);
                None
            }
            None => None,
        };
        Some(Column {
            name: field.column.clone(),
            // MariaDB allows no NOT NULL on a generated column; its
            // expression's operands decide whether it can be NULL.
            not_null: !field.nullable && generated.is_none(),
            ty: mapped.declared,
            default,
            generated,
            auto_increment,
            comment: field.doc.as_deref().map(|d| clip(d, COLUMN_COMMENT)),
        })
    }

    /// A column default as the server reports it: a literal (decimals with
    /// the column's scale), or an expression.
    fn default_value(
        &mut self,
        d: &Expr,
        entity: &ir::Entity,
        declared: &str,
        owner: &str,
        id: &str,
    ) -> Option<String> {
        let number = |text: &str| match types::decimal_scale(declared) {
            Some(scale) => format_decimal(text, scale),
            None => text.to_string(),
        };
        match d {
            Expr::Null => None,
            Expr::Bool { value } => Some(if *value { "1" } else { "0" }.into()),
            Expr::Int { value } | Expr::Decimal { value } => Some(number(value)),
            Expr::Neg { expr } => match &**expr {
                Expr::Int { value } | Expr::Decimal { value } => Some(format!("-{}", number(value))),
                _ => self.default_expr(d, entity, owner, id),
            },
            Expr::String { value } | Expr::EnumValue { value, .. } => Some(literal(value)),
            Expr::Array { .. } | Expr::Object { .. } => match expr::json_value(d) {
                Some(json) => Some(literal(&json.to_string())),
                None => self.default_expr(d, entity, owner, id),
            },
            _ => self.default_expr(d, entity, owner, id),
        }
    }

    fn default_expr(&mut self, d: &Expr, entity: &ir::Entity, owner: &str, id: &str) -> Option<String> {
        let scope = Scope { entity: Some(entity), value: None, place: Place::Default };
        match expr::print(d, &scope) {
            Ok(text) => Some(text),
            Err(u) => {
                self.unsupported_expr(u, &format!("the default of {owner}"), id);
                None
            }
        }
    }

    /// A type alias's check (and json shape) on `column`; none when it has none or MySQL
    /// cannot evaluate it (reported once per alias).
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

    fn lower_foreign_keys(&mut self, entity: &ir::Entity, table: &mut Table) {
        for fk in &entity.foreign_keys {
            let Some(target) = self.ir.entity(&fk.references) else { continue };
            let columns = Self::columns_of(entity, &fk.columns);
            let owner = format!("the foreign key ({}) of entity `{}`", columns.join(", "), entity.name);
            if fk.deferrable {
                self.unsupported(
                    &format!("`deferrable` on {owner}"),
                    &entity.id,
                    "InnoDB checks foreign keys row by row and cannot defer them to COMMIT: insert rows in \
                     dependency order instead",
                );
            }
            // SET NULL on a NOT NULL column can only fail on PostgreSQL (the
            // delete is refused with a not-null violation); InnoDB refuses
            // the constraint itself, so it is RESTRICT: the delete is refused too.
            let required = fk.columns.iter().any(|c| entity.field(c).is_some_and(|f| !f.nullable));
            let mut actions = Vec::with_capacity(2);
            for (which, a) in [("on delete", fk.on_delete), ("on update", fk.on_update)] {
                actions.push(match a {
                    ir::RefAction::SetNull if required => "RESTRICT",
                    ir::RefAction::SetDefault => {
                        self.unsupported(
                            &format!("`{which} set default` on {owner}"),
                            &entity.id,
                            "InnoDB refuses SET DEFAULT: use `set null`, `cascade` or `restrict`",
                        );
                        "RESTRICT"
                    }
                    // InnoDB's NO ACTION is RESTRICT (checked at once).
                    ir::RefAction::NoAction | ir::RefAction::Restrict => "RESTRICT",
                    ir::RefAction::Cascade => "CASCADE",
                    ir::RefAction::SetNull => "SET NULL",
                });
            }
            let name = match &fk.name {
                Some(name) => {
                    if !self.claim_constraint(name, &format!("the foreign key `{name}`"), &entity.id) {
                        continue;
                    }
                    name.clone()
                }
                None => Self::generate(
                    &mut self.constraints,
                    &format!("{}_{}_fkey", entity.table, columns.join("_")),
                    "a foreign key",
                ),
            };
            table.foreign_keys.push(ForeignKey {
                name,
                columns,
                references: target.table.clone(),
                referenced_columns: Self::columns_of(target, &fk.referenced_columns),
                on_delete: actions[0].into(),
                on_update: actions[1].into(),
            });
        }
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
                    let Some(body) = bodies.get("mysql").or_else(|| bodies.get("any")) else {
                        self.unsupported(
                            &format!("view `{}` written in SQL for other backends", view.name),
                            &view.id,
                            "add `sql mysql '…'` with the SELECT for MySQL/MariaDB",
                        );
                        continue;
                    };
                    (body.trim().trim_end_matches(';').to_string(), Vec::new())
                }
            };
            let mut comment = view.doc.clone();
            if view.materialized {
                let note = "A plain view: MySQL has no materialized views, so it always shows the current rows.";
                comment = Some(comment.map_or_else(|| note.to_string(), |c| format!("{c}\n{note}")));
            }
            let security = if view.security_definer { "DEFINER" } else { "INVOKER" };
            self.schema.views.push(View { name, query, columns, security: security.into(), comment });
        }
    }
}

/// Statements as one compound statement: `BEGIN … END`.
pub(super) fn block(statements: &[String]) -> String {
    let mut out = String::from("BEGIN\n");
    for s in statements {
        out.push_str("  ");
        out.push_str(s);
        out.push('\n');
    }
    out.push_str("END");
    out
}

/// `text` cut to `limit` characters.
pub(super) fn clip(text: &str, limit: usize) -> String {
    text.chars().take(limit).collect()
}

/// The column a key (`` `a` DESC ``) names.
pub fn key_column(key: &str) -> String {
    super::quote::unquote(key.strip_suffix(" DESC").unwrap_or(key))
}

/// `value` with exactly `scale` fractional digits, as MySQL shows a decimal.
fn format_decimal(value: &str, scale: usize) -> String {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if scale == 0 {
        return whole.to_string();
    }
    let mut fraction: String = fraction.chars().take(scale).collect();
    while fraction.len() < scale {
        fraction.push('0');
    }
    format!("{whole}.{fraction}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_shown_with_the_column_scale() {
        assert_eq!(format_decimal("0", 4), "0.0000");
        assert_eq!(format_decimal("4.99", 2), "4.99");
        assert_eq!(format_decimal("19.9", 2), "19.90");
        assert_eq!(format_decimal("3", 0), "3");
    }

    #[test]
    fn key_columns_drop_quotes_and_direction() {
        assert_eq!(key_column("`a` DESC"), "a");
        assert_eq!(key_column("`b`"), "b");
    }
}
