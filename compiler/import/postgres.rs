//! A PostgreSQL catalog (read by `introspect::postgres`) as the IR that
//! compiles back to it: `schemac import pg` and `schemac import sql`.
//!
//! The aim is the same database, not a prettier one: every table, column,
//! key, index and constraint keeps its name (written out where the compiler
//! would generate another), columns keep their order, foreign keys become
//! relations that name their columns. Expressions become the language's own
//! when printing them back gives what PostgreSQL printed, else they stay SQL
//! (`sql("…")`). What the language cannot say is a warning naming the object
//! (W1040–W1049), never dropped in silence. It reads the model only: no
//! database, no files.

use std::collections::{BTreeMap, BTreeSet};

use super::introspect::postgres::ViewDependencies;
use super::sql_expr;
use crate::backends::postgres::compare::normalize;
use crate::backends::postgres::model::{self, Catalog};
use crate::backends::postgres::{expr as pg_expr, quote};
use crate::backends::postgres::{lower, names};
use crate::diagnostics::{codes, Diagnostic};
use crate::semantic::ir::{self, Expr, Ir, Origin, Type};
use crate::semantic::raise::fresh_name;
use crate::semantic::routines::BUILT_IN_TRIGGER_FUNCTIONS;
use crate::semantic::snake_case;
use crate::syntax::lexical::is_identifier;

pub struct Imported {
    pub ir: Ir,
    /// Warnings: what could not be imported as it is.
    pub diagnostics: Vec<Diagnostic>,
}

/// The IR of `catalog`; `views` says what each view reads besides tables
/// (`introspect::postgres::read_view_dependencies`).
pub fn import(catalog: &Catalog, views: &BTreeMap<String, ViewDependencies>) -> Imported {
    import_placed(catalog, views, &BTreeMap::new())
}

/// `import` for a catalog `schemas::merge` made of several schemas: `places`
/// gives each table's schema (others are in `catalog.schema`).
pub fn import_placed(
    catalog: &Catalog,
    views: &BTreeMap<String, ViewDependencies>,
    places: &BTreeMap<String, String>,
) -> Imported {
    let mut importer =
        Importer { catalog, ir: Ir::default(), diagnostics: Vec::new(), tables: BTreeMap::new(), places };
    importer.enums();
    importer.domains();
    importer.name_tables();
    for table in &catalog.tables {
        if importer.tables.contains_key(&table.name) {
            importer.table(table);
        }
    }
    for index in &catalog.indexes {
        importer.index(index);
    }
    for fk in &catalog.foreign_keys {
        importer.foreign_key(fk);
    }
    for function in catalog.functions.iter().filter(|f| !f.helper) {
        importer.function(function);
    }
    for aggregate in &catalog.aggregates {
        importer.aggregate(aggregate);
    }
    for trigger in &catalog.triggers {
        importer.trigger(trigger);
    }
    importer.views(views);
    importer.security();
    importer.unsupported();
    let mut ir = importer.ir;
    ir.entities.sort_by(|a, b| a.name.cmp(&b.name));
    ir.relations.sort_by(|a, b| a.id.cmp(&b.id));
    Imported { ir, diagnostics: importer.diagnostics }
}

struct Importer<'c> {
    catalog: &'c Catalog,
    /// Table → its schema, when not `catalog.schema` (several schemas imported).
    places: &'c BTreeMap<String, String>,
    ir: Ir,
    diagnostics: Vec<Diagnostic>,
    /// Table name → (entity name, column name → field name).
    tables: BTreeMap<String, (String, BTreeMap<String, String>)>,
}

impl Importer<'_> {
    fn schema_of(&self, table: &str) -> &str {
        self.places.get(table).map_or(self.catalog.schema.as_str(), String::as_str)
    }

    fn warn(&mut self, code: crate::diagnostics::Code, message: String, help: &str) {
        self.diagnostics.push(Diagnostic::new(code, message).help(help.to_string()));
    }

    fn enums(&mut self) {
        for e in &self.catalog.enums {
            let name = pascal_case(&e.name);
            if snake_case(&name) != e.name {
                self.warn(
                    codes::W1040,
                    format!("enum type `{}` cannot keep its name: schemac names it `{}`", e.name, snake_case(&name)),
                    "rename the type in the database first, or accept the new name (the migration renames it)",
                );
            }
            self.ir.enums.push(ir::Enum {
                id: format!("enum:{name}"),
                name,
                values: e.labels.clone(),
                doc: e.comment.clone(),
            });
        }
    }

    fn domains(&mut self) {
        for d in &self.catalog.domains {
            let name = domain_name(&d.name);
            if snake_case(&name) != d.name {
                self.warn(
                    codes::W1040,
                    format!("domain `{}` cannot keep its name: schemac names it `{}`", d.name, snake_case(&name)),
                    "rename the domain in the database first, or accept the new name (the migration renames it)",
                );
            }
            let base = self.type_of(&d.base).unwrap_or_else(|| {
                self.warn(
                    codes::W1041,
                    format!(
                        "domain `{}` is over `{}`, which the language has no name for; kept as raw SQL",
                        d.name, d.base
                    ),
                    "the schema builds on PostgreSQL only, until the type has a name in the language",
                );
                Type::Sql { sql: d.base.clone() }
            });
            let check = d.check.as_ref().map(|c| {
                let field = |column: &str| (column == "value").then(|| "value".to_string());
                self.expression_in(&c.expr, &field, &base, true)
            });
            self.ir.domains.push(ir::Domain {
                id: format!("type:{name}"),
                name,
                base,
                shape: None,
                check,
                doc: d.comment.clone(),
            });
        }
    }

    /// Chooses every entity's and field's name before any is used.
    fn name_tables(&mut self) {
        let mut taken = BTreeSet::new();
        for table in &self.catalog.tables {
            if table.primary_key.is_none() {
                self.warn(
                    codes::W1048,
                    format!("table `{}` has no primary key; not imported", table.name),
                    "give it a primary key (every schemac entity has one), then import again",
                );
                continue;
            }
            let entity = fresh_name(&taken, &pascal_case(&table.name));
            taken.insert(entity.clone());
            let mut fields = BTreeMap::new();
            let mut field_names = BTreeSet::new();
            for column in &table.columns {
                let base = snake_case(&sanitize(&column.name));
                let field = fresh_name(&field_names, &base);
                field_names.insert(field.clone());
                fields.insert(column.name.clone(), field);
            }
            self.tables.insert(table.name.clone(), (entity, fields));
        }
    }

    fn table(&mut self, table: &model::Table) {
        let (entity_name, fields) = self.tables[&table.name].clone();
        let field_of = |c: &str| fields.get(c).cloned();
        let mut entity = ir::Entity::new(&entity_name, &table.name, table.comment.clone(), Origin::Declared);
        for column in &table.columns {
            let name = fields[&column.name].clone();
            let known = self.type_of(&column.ty);
            let ty = known.clone().unwrap_or_else(|| {
                self.warn(
                    codes::W1042,
                    format!(
                        "column `{}.{}` has type `{}`, which the language has no name for; kept as raw SQL",
                        table.name, column.name, column.ty
                    ),
                    "the schema builds on PostgreSQL only, until the type has a name in the language",
                );
                Type::Sql { sql: column.ty.clone() }
            });
            let serial = column.serial
                && column.default.as_deref()
                    == Some(lower::serial_default(self.schema_of(&table.name), &table.name, &column.name).as_str());
            if column.serial && !serial {
                self.warn(
                    codes::W1043,
                    format!("column `{}.{}` takes its default from a sequence not named `{}`", table.name, column.name, names::identity_sequence(&table.name, &column.name)),
                    "the import makes it `serial`, whose sequence has the usual name: rename the sequence to match before migrating",
                );
            }
            let default = match &column.default {
                Some(_) if column.serial => None,
                // Over a type schemac does not know, only the SQL says what it means.
                Some(sql) if known.is_none() => Some(Expr::Sql { text: sql.clone() }),
                Some(sql) => Some(self.expression(sql, &field_of, &ty)),
                None => None,
            };
            let generated = column.generated.as_ref().map(|g| self.expression(g, &field_of, &ty));
            entity.fields.push(ir::Field {
                id: format!("field:{entity_name}.{name}"),
                name: name.clone(),
                column: column.name.clone(),
                ty,
                nullable: !column.not_null,
                default,
                identity: column.identity,
                identity_always: column.identity_always,
                serial: column.serial,
                generated: generated.map(Box::new),
                pii: None,
                doc: column.comment.clone(),
                renamed_from: None,
                denormalized_from: None,
                origin: Origin::Declared,
            });
        }
        if let Some(pk) = &table.primary_key {
            entity.primary_key = pk.columns.iter().filter_map(|c| field_of(c)).collect();
            if pk.name != names::fit(&format!("{}_pkey", table.name)) {
                entity.primary_key_name = Some(pk.name.clone());
            }
        }
        for key in &table.uniques {
            let generated = names::fit(&format!("{}_{}_key", table.name, key.columns.join("_")));
            entity.uniques.push(ir::Unique {
                name: (key.name != generated).then(|| key.name.clone()),
                columns: key.columns.iter().filter_map(|c| field_of(c)).collect(),
                predicate: None,
                origin: Origin::Declared,
            });
        }
        for check in &table.checks {
            // A check that reads the clock is not one the language accepts
            // (E0206); the database's is kept as SQL.
            let expr = if check.expr.contains("now()") {
                Expr::Sql { text: check.expr.clone() }
            } else {
                self.expression(&check.expr, &field_of, &Type::Bool)
            };
            let columns: Vec<String> = expr.columns().iter().map(|f| column_of(&fields, f)).collect();
            let generated = names::fit(&format!(
                "{}_{}check",
                table.name,
                columns.iter().map(|c| format!("{c}_")).collect::<String>()
            ));
            entity.checks.push(ir::Check {
                name: (check.name != generated).then(|| check.name.clone()),
                field: None,
                expr,
                origin: Origin::Declared,
            });
        }
        if let Some(by) = &table.partition {
            match partition(by, &table.partitions, &field_of) {
                Some(p) => entity.partition = Some(p),
                None => self.warn(
                    codes::W1044,
                    format!(
                        "table `{}` is partitioned by an expression or a multi-column range; not carried",
                        table.name
                    ),
                    "add `partition by …` with its partitions to the entity by hand",
                ),
            }
        }
        if !table.exclusions.is_empty() {
            self.warn(
                codes::W1044,
                format!("table `{}` has exclusion constraints; the import does not carry them", table.name),
                "exclusion constraints come from the `temporal` pattern only",
            );
        }
        entity.row_security = match table.row_security {
            model::RowSecurity::Off => None,
            model::RowSecurity::Enabled => Some(ir::RowSecurityLevel::Enabled),
            model::RowSecurity::Forced => Some(ir::RowSecurityLevel::Forced),
        };
        self.ir.entities.push(entity);
    }

    fn entity_mut(&mut self, table: &str) -> Option<&mut ir::Entity> {
        let name = self.tables.get(table)?.0.clone();
        self.ir.entities.iter_mut().find(|e| e.name == name)
    }

    fn index(&mut self, index: &model::Index) {
        let Some((_, fields)) = self.tables.get(&index.table).cloned() else { return };
        let field_of = |c: &str| fields.get(c).cloned();
        let method = match index.method.as_str() {
            "btree" => ir::IndexMethod::Btree,
            "hash" => ir::IndexMethod::Hash,
            "gin" => ir::IndexMethod::Gin,
            "gist" => ir::IndexMethod::Gist,
            "brin" => ir::IndexMethod::Brin,
            other => {
                self.warn(
                    codes::W1045,
                    format!("index `{}` uses the `{other}` method; not imported", index.name),
                    "recreate it by hand",
                );
                return;
            }
        };
        let mut keys = Vec::new();
        for key in &index.keys {
            let (text, descending, nulls_first) = split_ordering(key);
            let expr = match sql_expr::parse(text, &field_of) {
                Some(e @ Expr::Column { .. }) => e,
                _ => self.expression(text, &field_of, &Type::Text),
            };
            keys.push(ir::IndexKey { expr, descending, nulls_first });
        }
        let include: Vec<String> = index.include.iter().filter_map(|c| field_of(c)).collect();
        let predicate = index.predicate.as_ref().map(|p| self.expression(p, &field_of, &Type::Bool));
        let mut generated = vec![index.table.clone()];
        for key in &keys {
            match &key.expr {
                Expr::Column { name } => generated.push(column_of(&fields, name)),
                other => {
                    let cols = other.columns();
                    if cols.is_empty() {
                        generated.push("expr".into());
                    }
                    generated.extend(cols.iter().map(|c| column_of(&fields, c)));
                }
            }
        }
        generated.push(if index.unique && index.predicate.is_some() { "key" } else { "idx" }.into());
        let name = (index.name != names::fit(&generated.join("_"))).then(|| index.name.clone());
        let Some(entity) = self.entity_mut(&index.table) else { return };
        let plain_columns: Option<Vec<String>> = keys
            .iter()
            .map(|k| match &k.expr {
                Expr::Column { name } if !k.descending && k.nulls_first.is_none() => Some(name.clone()),
                _ => None,
            })
            .collect();
        match plain_columns {
            // A partial unique index is the language's `unique (…) where …`.
            Some(columns)
                if index.unique && predicate.is_some() && include.is_empty() && method == ir::IndexMethod::Btree =>
            {
                entity.uniques.push(ir::Unique { name, columns, predicate, origin: Origin::Declared });
            }
            _ => entity.indexes.push(ir::Index {
                name,
                unique: index.unique,
                keys,
                include,
                predicate,
                method,
                origin: Origin::Declared,
            }),
        }
    }

    fn foreign_key(&mut self, fk: &model::ForeignKey) {
        let (Some((from, from_fields)), Some((to, to_fields))) =
            (self.tables.get(&fk.table).cloned(), self.tables.get(&fk.references).cloned())
        else {
            if self.tables.contains_key(&fk.table) {
                self.warn(
                    codes::W1046,
                    format!(
                        "foreign key `{}` on `{}` references `{}`, which is not imported (another schema, or a table without a key); not imported",
                        fk.name, fk.table, fk.references
                    ),
                    "its columns stay plain fields; import the referenced table's schema too, or add the constraint by hand",
                );
            }
            return;
        };
        let target_key =
            self.catalog.table(&fk.references).and_then(|t| t.primary_key.as_ref()).map(|k| k.columns.clone());
        if target_key.as_ref() != Some(&fk.referenced_columns) {
            self.warn(
                codes::W1046,
                format!(
                    "foreign key `{}` on `{}` references ({}) of `{}`, not its primary key; not imported",
                    fk.name,
                    fk.table,
                    fk.referenced_columns.join(", "),
                    fk.references
                ),
                "schemac relations reference primary keys: make the referenced columns the key, or add the constraint by hand",
            );
            return;
        }
        // A relation's columns are typed like the key they reference.
        let column_type =
            |table: &str, column: &str| self.catalog.table(table).and_then(|t| t.column(column)).map(|c| c.ty.clone());
        let retyped = fk
            .columns
            .iter()
            .zip(&fk.referenced_columns)
            .find(|(c, r)| column_type(&fk.table, c) != column_type(&fk.references, r));
        if let Some((column, referenced)) = retyped {
            self.warn(
                codes::W1046,
                format!(
                    "foreign key `{}` on `{}`: `{column}` is not typed like `{}.{referenced}`; not imported",
                    fk.name, fk.table, fk.references
                ),
                "a relation's columns are typed like the key they reference: change the column's type, or add the constraint by hand",
            );
            return;
        }
        let columns: Vec<String> = fk.columns.iter().filter_map(|c| from_fields.get(c).cloned()).collect();
        let referenced: Vec<String> = fk.referenced_columns.iter().filter_map(|c| to_fields.get(c).cloned()).collect();
        let (navigation, back) = self.navigation_names(&from, &to, &columns);
        let id = format!("relation:{from}.{navigation}");
        let holder = self.ir.entities.iter().find(|e| e.name == from);
        // `set null` on required columns is legal SQL (it fails when it
        // fires); the language refuses it on a required relation, and the
        // fields keep their NOT NULL without `required`.
        let required = holder.is_some_and(|h| columns.iter().all(|c| h.field(c).is_some_and(|f| !f.nullable)))
            && fk.on_delete != "SET NULL"
            && fk.on_update != "SET NULL";
        let generated = names::fit(&format!("{}_{}_fkey", fk.table, fk.columns.join("_")));
        let foreign_key = ir::ForeignKey {
            relation: id.clone(),
            columns: columns.clone(),
            references: to.clone(),
            referenced_columns: referenced,
            on_delete: action(&fk.on_delete),
            on_update: action(&fk.on_update),
            deferrable: fk.deferrable,
            name: (fk.name != generated).then(|| fk.name.clone()),
        };
        if let Some(entity) = self.entity_mut(&fk.table) {
            entity.foreign_keys.push(foreign_key);
        }
        self.ir.relations.push(ir::Relation {
            id,
            cardinality: ir::Cardinality::ManyToOne,
            from: ir::RelationEnd { entity: from.clone(), navigation: Some(navigation) },
            to: ir::RelationEnd { entity: to, navigation: back },
            alternatives: Vec::new(),
            required,
            holder: from,
            columns,
            junction: None,
            doc: fk.comment.clone(),
            origin: Origin::Declared,
        });
    }

    /// (navigation on the holder, back reference on the target): the key
    /// column without `_id` (`artist_id` → `artist`), and the holder's name
    /// in the plural; made unique against fields and other navigations.
    fn navigation_names(&self, from: &str, to: &str, columns: &[String]) -> (String, Option<String>) {
        let taken_on = |entity: &str| -> BTreeSet<String> {
            let mut taken: BTreeSet<String> = self
                .ir
                .entities
                .iter()
                .filter(|e| e.name == entity)
                .flat_map(|e| e.fields.iter().map(|f| f.name.clone()))
                .collect();
            for r in &self.ir.relations {
                if r.from.entity == entity {
                    taken.extend(r.from.navigation.clone());
                }
                if r.to.entity == entity {
                    taken.extend(r.to.navigation.clone());
                }
            }
            taken
        };
        let base = match columns {
            [one] => one.strip_suffix("_id").filter(|b| !b.is_empty()).unwrap_or(one).to_string(),
            _ => snake_case(to),
        };
        let taken = taken_on(from);
        let navigation = if taken.contains(&base) {
            fresh_name(&taken, &format!("{base}_{}", snake_case(to)))
        } else {
            base.clone()
        };
        let mut taken = taken_on(to);
        if from == to {
            taken.insert(navigation.clone());
        }
        let plural = plural(&snake_case(from));
        let back = if taken.contains(&plural) { format!("{plural}_by_{navigation}") } else { plural };
        (navigation.clone(), (!taken.contains(&back)).then_some(back))
    }

    /// A function as the language's `function`, its body kept as written.
    fn function(&mut self, f: &model::Function) {
        let skip = |why: String| {
            Diagnostic::new(codes::W1049, format!("function `{}` is not imported: {why}", f.name))
                .help("declare it by hand (`function … { sql postgres \"…\" }`) or keep it outside schemac")
        };
        if !is_identifier(&f.name) {
            self.diagnostics.push(skip("its name is not an identifier".into()));
            return;
        }
        if f.returns == "procedure" {
            self.diagnostics.push(skip("it is a procedure; the language declares functions".into()));
            return;
        }
        // A parameter without a name stays without one (`$1` in the body).
        if let Some((i, _)) =
            f.params.iter().enumerate().find(|(_, (name, _))| !name.is_empty() && !is_identifier(name))
        {
            self.diagnostics.push(skip(format!("parameter {} has no name the language can write", i + 1)));
            return;
        }
        let raw = |sql: &str| Type::Sql { sql: sql.to_string() };
        let params = f
            .params
            .iter()
            .enumerate()
            .map(|(i, (name, ty))| ir::FunctionParam {
                name: name.clone(),
                ty: self.type_of(ty).unwrap_or_else(|| raw(ty)),
                default: f.defaults.get(i).cloned().flatten().map(|text| Expr::Sql { text }),
            })
            .collect();
        let returns = match f.returns.as_str() {
            "trigger" => ir::FunctionReturns::Trigger,
            other => ir::FunctionReturns::Value { ty: self.type_of(other).unwrap_or_else(|| raw(other)) },
        };
        self.ir.functions.push(ir::Function {
            id: format!("function:{}", f.name),
            name: f.name.clone(),
            params,
            returns,
            language: f.language.clone(),
            bodies: [("postgres".to_string(), f.body.clone())].into_iter().collect(),
            volatility: match f.volatility.as_deref() {
                Some("IMMUTABLE") => Some(ir::Volatility::Immutable),
                Some("STABLE") => Some(ir::Volatility::Stable),
                _ => None,
            },
            strict: f.strict,
            security_definer: f.security_definer,
            search_path: f.search_path.clone(),
            revoke_public: f.revoke_public,
            doc: f.comment.clone(),
        });
    }

    /// An aggregate over imported functions as `aggregate … state … step …`.
    fn aggregate(&mut self, a: &model::Aggregate) {
        let imported =
            |name: &Option<String>| name.as_ref().is_none_or(|n| self.ir.functions.iter().any(|f| &f.name == n));
        let why = if !is_identifier(&a.name) {
            Some("its name is not an identifier".to_string())
        } else if self.ir.functions.iter().any(|f| f.name == a.name) {
            Some("a function has its name; the language keeps one routine per name".to_string())
        } else if !imported(&Some(a.step.clone())) || !imported(&a.final_function) {
            Some("its step or final function is not imported".to_string())
        } else if a.other_options {
            Some(
                "it is set with options the language does not declare (ordered-set, combine, moving, parallel, …)"
                    .into(),
            )
        } else {
            None
        };
        if let Some(why) = why {
            self.diagnostics.push(
                Diagnostic::new(codes::W1049, format!("aggregate `{}` is not imported: {why}", a.name))
                    .help("declare it by hand (`aggregate … state … step …`) or keep it outside schemac"),
            );
            return;
        }
        let raw = |sql: &str| Type::Sql { sql: sql.to_string() };
        self.ir.aggregates.push(ir::Aggregate {
            id: format!("aggregate:{}", a.name),
            name: a.name.clone(),
            params: a.params.iter().map(|t| self.type_of(t).unwrap_or_else(|| raw(t))).collect(),
            state: self.type_of(&a.state).unwrap_or_else(|| raw(&a.state)),
            step: a.step.clone(),
            final_function: a.final_function.clone(),
            initial: a.initial.clone(),
            doc: a.comment.clone(),
        });
    }

    fn trigger(&mut self, t: &model::Trigger) {
        let entity = self.tables.get(&t.table).map(|(e, _)| e.clone());
        // A declared function, or one of PostgreSQL's own the language knows.
        let built_in = t
            .function
            .strip_prefix("pg_catalog.")
            .filter(|f| BUILT_IN_TRIGGER_FUNCTIONS.contains(f) && !self.ir.functions.iter().any(|d| d.name == *f));
        let function = built_in.is_some() || self.ir.functions.iter().any(|f| f.name == t.function);
        let mut events = Vec::new();
        for event in &t.events {
            events.push(match event.as_str() {
                "INSERT" => ir::TriggerEvent::Insert,
                "UPDATE" => ir::TriggerEvent::Update,
                "DELETE" => ir::TriggerEvent::Delete,
                _ => {
                    events.clear();
                    break;
                }
            });
        }
        let (Some(entity), true, false) = (entity, function, events.is_empty()) else {
            self.diagnostics.push(
                Diagnostic::new(
                    codes::W1049,
                    format!(
                        "trigger `{}` on `{}` is not imported: its table, its function or an event (TRUNCATE) is not",
                        t.name, t.table
                    ),
                )
                .help("declare it by hand once its function and table are in the source"),
            );
            return;
        };
        self.ir.triggers.push(ir::Trigger {
            id: format!("trigger:{entity}.{}", t.name),
            name: t.name.clone(),
            entity,
            timing: match t.timing.as_str() {
                "BEFORE" => ir::TriggerTiming::Before,
                "AFTER" => ir::TriggerTiming::After,
                _ => ir::TriggerTiming::InsteadOf,
            },
            events,
            for_each_row: t.for_each_row,
            function: built_in.unwrap_or(&t.function).to_string(),
            arguments: t.arguments.clone(),
            doc: t.comment.clone(),
        });
    }

    /// Views as the SQL form (`view Name { sql postgres "…" }`), those a
    /// view reads first; a view that reads a routine or view not carried is
    /// not carried either.
    fn views(&mut self, dependencies: &BTreeMap<String, ViewDependencies>) {
        let mut pending: Vec<&model::View> = self.catalog.views.iter().collect();
        let mut carried: BTreeSet<String> = BTreeSet::new();
        let mut refused: BTreeSet<String> = BTreeSet::new();
        let none = ViewDependencies::default();
        let is_view = |name: &str| self.catalog.views.iter().any(|o| o.name == name);
        while !pending.is_empty() {
            let ready = pending.iter().position(|v| {
                let deps = dependencies.get(&v.name).unwrap_or(&none);
                deps.views.iter().all(|d| carried.contains(d) || refused.contains(d) || !is_view(d))
            });
            // PostgreSQL cannot make a cycle of views; take the first left if one shows.
            let view = pending.remove(ready.unwrap_or(0));
            let deps = dependencies.get(&view.name).unwrap_or(&none);
            let name = pascal_case(&view.name);
            let missing_routine = deps.routines.iter().find(|r| {
                !self.ir.functions.iter().any(|f| &f.name == *r) && !self.ir.aggregates.iter().any(|a| &a.name == *r)
            });
            let why = if snake_case(&name) != view.name {
                Some(format!("its name cannot be kept (schemac would call it `{}`)", snake_case(&name)))
            } else if let Some(missing) = missing_routine {
                Some(format!("it calls `{missing}`, which is not imported"))
            } else {
                deps.views
                    .iter()
                    .find(|d| refused.contains(*d))
                    .map(|d| format!("it reads view `{d}`, which is not imported"))
            };
            if let Some(why) = why {
                self.diagnostics.push(
                    Diagnostic::new(codes::W1049, format!("view `{}` is not imported: {why}", view.name)).help(
                        "declare it by hand (`view … { sql postgres \"…\" }`) once what it reads is in the source",
                    ),
                );
                refused.insert(view.name.clone());
                continue;
            }
            carried.insert(view.name.clone());
            self.ir.views.push(ir::View {
                id: format!("view:{name}"),
                name,
                materialized: view.materialized,
                security_definer: !view.materialized && !view.security_invoker,
                definition: ir::ViewDefinition::Sql {
                    bodies: [("postgres".to_string(), view.query.clone())].into_iter().collect(),
                },
                doc: view.comment.clone(),
            });
        }
    }

    /// Roles, table privileges and row-level security policies.
    fn security(&mut self) {
        let c = self.catalog;
        for role in &c.roles {
            if !is_identifier(&role.name) {
                self.warn(
                    codes::W1040,
                    format!("role `{}` cannot be written in the language; not imported", role.name),
                    "rename the role, or keep its grants and policies outside schemac",
                );
                continue;
            }
            self.ir.roles.push(ir::Role {
                id: format!("role:{}", role.name),
                name: role.name.clone(),
                inherits: role.member_of.iter().filter(|r| c.roles.iter().any(|o| &o.name == *r)).cloned().collect(),
                login: role.login,
                doc: None,
            });
        }
        let known_role = |name: &str| is_identifier(name) && c.roles.iter().any(|r| r.name == name);
        for grant in &c.grants {
            let Some((entity, fields)) = self.tables.get(&grant.object).cloned().filter(|_| grant.kind == "TABLE")
            else {
                continue;
            };
            let Some(privilege) = object_privilege(&grant.privilege).filter(|p| *p != ir::Privilege::Execute) else {
                continue;
            };
            if !known_role(&grant.role) {
                continue;
            }
            let columns = (!grant.columns.is_empty())
                .then(|| grant.columns.iter().filter_map(|c| fields.get(c).cloned()).collect());
            self.ir.grants.push(ir::Grant { role: grant.role.clone(), entity, privilege, columns });
        }
        self.ir.grants.sort();
        self.ir.grants.dedup();
        for grant in c.grants.iter().filter(|g| known_role(&g.role)) {
            let Some((kind, object)) = self.granted_object(grant) else { continue };
            let Some(privilege) = object_privilege(&grant.privilege) else { continue };
            let columns = (!grant.columns.is_empty()).then(|| grant.columns.clone());
            self.ir.object_grants.push(ir::ObjectGrant { role: grant.role.clone(), kind, object, privilege, columns });
        }
        self.ir.object_grants.sort();
        self.ir.object_grants.dedup();
        for policy in &c.policies {
            let Some((entity, fields)) = self.tables.get(&policy.table).cloned() else { continue };
            let field_of = |column: &str| fields.get(column).cloned();
            let command = match policy.command.as_str() {
                "SELECT" => ir::PolicyCommand::Select,
                "INSERT" => ir::PolicyCommand::Insert,
                "UPDATE" => ir::PolicyCommand::Update,
                "DELETE" => ir::PolicyCommand::Delete,
                _ => ir::PolicyCommand::All,
            };
            if let Some(role) = policy.roles.iter().find(|r| !known_role(r)) {
                self.warn(
                    codes::W1049,
                    format!("policy `{}` on `{}` is not imported: role `{role}` is not", policy.name, policy.table),
                    "declare the role and the policy by hand",
                );
                continue;
            }
            self.ir.policies.push(ir::Policy {
                id: format!("policy:{entity}.{}", policy.name),
                name: policy.name.clone(),
                entity,
                roles: policy.roles.clone(),
                commands: vec![command],
                using: policy.using.as_ref().map(|e| self.expression(e, &field_of, &Type::Bool)),
                check: policy.check.as_ref().map(|e| self.expression(e, &field_of, &Type::Bool)),
                restrictive: !policy.permissive,
                doc: policy.comment.clone(),
            });
        }
    }

    /// The view or imported function a grant is on, as the language names
    /// it; `None` for a table or an object not imported.
    fn granted_object(&self, grant: &model::Grant) -> Option<(ir::GrantedObject, String)> {
        if grant.kind == "FUNCTION" {
            // One imported function per name: the grant must be on that one
            // (an overload left out keeps its grants out too).
            let declared = self.ir.functions.iter().any(|f| f.name == grant.object);
            let mut same_name = self.catalog.functions.iter().filter(|f| f.name == grant.object);
            let only = same_name.next().filter(|_| same_name.next().is_none())?;
            let params: Vec<&String> = only.params.iter().map(|(_, t)| t).collect();
            let same = params.len() == grant.params.len() && params.iter().zip(&grant.params).all(|(a, b)| *a == b);
            return (declared && same).then(|| (ir::GrantedObject::Function, grant.object.clone()));
        }
        let view = self.ir.views.iter().find(|v| snake_case(&v.name) == grant.object)?;
        Some((ir::GrantedObject::View, view.name.clone()))
    }

    fn unsupported(&mut self) {
        let c = self.catalog;
        let carried = |g: &&model::Grant| {
            let table = g.kind == "TABLE" && self.tables.contains_key(&g.object);
            let role = is_identifier(&g.role) && c.roles.iter().any(|r| r.name == g.role);
            table || (role && self.granted_object(g).is_some() && object_privilege(&g.privilege).is_some())
        };
        let counts = [(c.grants.iter().filter(|g| !carried(g)).count(), "grants on objects not imported")];
        if !c.extensions.is_empty() {
            self.warn(
                codes::W1047,
                format!(
                    "the database uses the extensions {}; the schema needs them installed",
                    c.extensions.join(", ")
                ),
                "create them on every server the schema is applied to (`CREATE EXTENSION …`) before applying it",
            );
        }
        for (count, what) in counts {
            if count > 0 {
                self.warn(
                    codes::W1047,
                    format!("{count} {what} are not imported yet"),
                    "declare them in the source (views and functions have an `sql` form) before the next migration, or the plan will drop them",
                );
            }
        }
    }

    /// `sql` as a language expression when printing that back gives what
    /// PostgreSQL printed, else as `sql("…")`.
    fn expression(&self, sql: &str, field_of: &dyn Fn(&str) -> Option<String>, ty: &Type) -> Expr {
        self.expression_in(sql, field_of, ty, false)
    }

    /// [`Importer::expression`]; in a domain's check (`domain_value`),
    /// `value` is the value checked (PostgreSQL's `VALUE`).
    fn expression_in(
        &self,
        sql: &str,
        field_of: &dyn Fn(&str) -> Option<String>,
        ty: &Type,
        domain_value: bool,
    ) -> Expr {
        let raw = Expr::Sql { text: sql.to_string() };
        let Some(parsed) = sql_expr::parse(sql, field_of) else { return raw };
        let schema = &self.catalog.schema;
        // Fields print under their own names: where a column is named
        // otherwise the texts differ, and the SQL stays as written.
        let scope = pg_expr::Scope { schema, entity: None, domain_value };
        let printed = pg_expr::default_value(&parsed, ty, &scope);
        if normalize(&printed, schema) == normalize(sql, schema) {
            parsed
        } else {
            raw
        }
    }

    /// The language type `format_type` text names, if it has one.
    fn type_of(&self, sql: &str) -> Option<Type> {
        if let Some(element) = sql.strip_suffix("[]") {
            return Some(Type::Array { element: Box::new(self.type_of(element)?) });
        }
        let (name, args) = match sql.find('(') {
            Some(open) => {
                let close = sql[open..].find(')')? + open;
                let args: Vec<u32> =
                    sql[open + 1..close].split(',').map(|a| a.trim().parse().ok()).collect::<Option<_>>()?;
                (format!("{}{}", &sql[..open], &sql[close + 1..]), args)
            }
            None => (sql.to_string(), Vec::new()),
        };
        let precision = args.first().copied();
        Some(match (name.as_str(), args.as_slice()) {
            ("uuid", []) => Type::Uuid,
            ("text", []) => Type::Text,
            ("character varying", [n]) => Type::Varchar { length: *n },
            ("character", [n]) => Type::Char { length: *n },
            ("smallint", []) => Type::SmallInt,
            ("integer", []) => Type::Int,
            ("bigint", []) => Type::BigInt,
            ("numeric", []) => Type::Numeric { precision: None, scale: None },
            ("numeric", [p, s]) => Type::Numeric { precision: Some(*p), scale: Some(*s) },
            ("real", []) => Type::Real,
            ("double precision", []) => Type::Double,
            ("boolean", []) => Type::Bool,
            ("date", []) => Type::Date,
            ("time without time zone", _) => Type::Time { precision },
            ("timestamp without time zone", _) => Type::Timestamp { precision },
            ("timestamp with time zone", _) => Type::Timestamptz { precision },
            ("interval", []) => Type::Interval,
            ("bytea", []) => Type::Bytes,
            ("jsonb", []) => Type::Json,
            _ => {
                let unqualified = sql.rsplit_once('.').map_or(sql, |(schema, name)| {
                    if quote::ident(schema.trim_matches('"')) == schema || schema == self.catalog.schema {
                        name
                    } else {
                        sql
                    }
                });
                let unqualified = unqualified.trim_matches('"');
                if let Some(e) = self.catalog.enums.iter().find(|e| e.name == unqualified) {
                    return Some(Type::Enum { name: pascal_case(&e.name) });
                }
                let d = self.ir.domains.iter().find(|d| snake_case(&d.name) == unqualified || d.name == unqualified)?;
                Type::Domain { name: d.name.clone() }
            }
        })
    }
}

/// The language's name for a domain named `name` in the database.
pub(super) fn domain_name(name: &str) -> String {
    if is_identifier(name) && snake_case(name) == name {
        name.to_string()
    } else {
        pascal_case(name)
    }
}

/// A partitioned table's key and its partitions, written out; `None` when
/// a key is an expression or a range bound has several values.
fn partition(
    by: &model::PartitionBy,
    partitions: &[model::Partition],
    field_of: &dyn Fn(&str) -> Option<String>,
) -> Option<ir::Partition> {
    let kind = match by.strategy.as_str() {
        "RANGE" => ir::PartitionKind::Range,
        "LIST" => ir::PartitionKind::List,
        _ => ir::PartitionKind::Hash,
    };
    let columns: Vec<String> = by.columns.iter().map(|c| field_of(c)).collect::<Option<_>>()?;
    let single = |v: &str| {
        (!v.contains(',') && !v.eq_ignore_ascii_case("minvalue") && !v.eq_ignore_ascii_case("maxvalue"))
            .then(|| v.to_string())
    };
    let mut fixed = Vec::new();
    for p in partitions {
        let bound = match &p.bound {
            model::PartitionBound::Default => ir::FixedBound::Default,
            model::PartitionBound::List(values) => ir::FixedBound::In { values: values.clone() },
            model::PartitionBound::Hash { modulus, remainder } => {
                ir::FixedBound::Hash { modulus: *modulus, remainder: *remainder }
            }
            model::PartitionBound::Range { from, to } => ir::FixedBound::Range { from: single(from)?, to: single(to)? },
            model::PartitionBound::RangeSeries { .. } => return None,
        };
        fixed.push(ir::FixedPartition { name: p.name.clone(), bound });
    }
    Some(ir::Partition { kind, columns, interval: None, partitions: None, fixed })
}

fn column_of(fields: &BTreeMap<String, String>, field: &str) -> String {
    fields.iter().find(|(_, f)| *f == field).map_or_else(|| field.to_string(), |(c, _)| c.clone())
}

/// An index key's text without `DESC` / `NULLS FIRST|LAST`.
fn split_ordering(key: &str) -> (&str, bool, Option<bool>) {
    let mut text = key;
    let mut nulls_first = None;
    if let Some(rest) = text.strip_suffix(" NULLS FIRST") {
        text = rest;
        nulls_first = Some(true);
    } else if let Some(rest) = text.strip_suffix(" NULLS LAST") {
        text = rest;
        nulls_first = Some(false);
    }
    let descending = text.ends_with(" DESC");
    if descending {
        text = &text[..text.len() - 5];
    }
    // The language's defaults: NULLS LAST ascending, NULLS FIRST descending.
    if nulls_first == Some(descending) {
        nulls_first = None;
    }
    (text, descending, nulls_first)
}

fn action(sql: &str) -> ir::RefAction {
    match sql {
        "CASCADE" => ir::RefAction::Cascade,
        "RESTRICT" => ir::RefAction::Restrict,
        "SET NULL" => ir::RefAction::SetNull,
        "SET DEFAULT" => ir::RefAction::SetDefault,
        _ => ir::RefAction::NoAction,
    }
}

/// A name made of letters, digits and `_` (others become `_`), not starting with a digit.
fn sanitize(name: &str) -> String {
    let mut out: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

/// A privilege PostgreSQL lists on a table, view or routine, as the IR's.
fn object_privilege(privilege: &str) -> Option<ir::Privilege> {
    Some(match privilege {
        "SELECT" => ir::Privilege::Select,
        "INSERT" => ir::Privilege::Insert,
        "UPDATE" => ir::Privilege::Update,
        "DELETE" => ir::Privilege::Delete,
        "REFERENCES" => ir::Privilege::References,
        "TRUNCATE" => ir::Privilege::Truncate,
        "TRIGGER" => ir::Privilege::Trigger,
        "EXECUTE" => ir::Privilege::Execute,
        _ => return None,
    })
}

/// `film_actor` → `FilmActor`; `_AToB` → `AToB`.
pub fn pascal_case(name: &str) -> String {
    let mut out = String::new();
    for part in sanitize(name).split('_').filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert(0, 'T');
    }
    out
}

/// English plural, good enough for back-reference names.
pub(super) fn plural(word: &str) -> String {
    if word.ends_with('s') || word.ends_with('x') || word.ends_with("ch") || word.ends_with("sh") {
        format!("{word}es")
    } else if let Some(stem) = word.strip_suffix('y').filter(|s| !s.ends_with(['a', 'e', 'i', 'o', 'u'])) {
        format!("{stem}ies")
    } else {
        format!("{word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(pascal_case("film_actor"), "FilmActor");
        assert_eq!(pascal_case("_AToB"), "AToB");
        assert_eq!(pascal_case("2fa"), "T2fa");
        assert_eq!(plural("address"), "addresses");
        assert_eq!(plural("category"), "categories");
        assert_eq!(plural("day"), "days");
        assert_eq!(split_ordering("\"a\" DESC"), ("\"a\"", true, None));
        assert_eq!(split_ordering("a DESC NULLS LAST"), ("a", true, Some(false)));
    }
}
