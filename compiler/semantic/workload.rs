//! Workload queries and views: the entity and columns they read, their
//! filters typed like any condition, rates normalised to per second.

use std::collections::{BTreeMap, BTreeSet};

use super::expr::{self, ExprEnv};
use super::ir;
use super::lower::{doc, Analyzer, BACKENDS};
use crate::diagnostics::{codes, Diagnostic};
use crate::syntax::ast;

impl<'a> Analyzer<'a> {
    pub(super) fn lower_query(&mut self, query: &ast::Query) {
        let id = format!("query:{}", query.name.name);
        if !self.claim_id(
            &id,
            query.name.span,
            || format!("query `{}` is declared twice", query.name.name),
            "declared again",
        ) {
            return;
        }
        if !self.known_entity(&query.entity) {
            return;
        }
        let columns = std::rc::Rc::clone(&self.entities[&query.entity.name].finished_columns);
        let enums = self.enum_values.clone();
        let env = ExprEnv {
            columns: Some(&columns),
            entity: &query.entity.name,
            context: None,
            params: true,
            value: None,
            enums: &enums,
            what: "a query filter",
        };
        let filter = query.filter.as_ref().map(|f| expr::lower_condition(&env, f, &mut self.diagnostics));
        let order_by: Vec<ir::IndexKey> = query
            .order_by
            .iter()
            .map(|k| ir::IndexKey {
                expr: expr::lower(
                    &ExprEnv { what: "an order key", ..env.clone() },
                    &k.expr,
                    None,
                    &mut self.diagnostics,
                )
                .expr,
                descending: k.descending.unwrap_or(false),
                nulls_first: None,
            })
            .collect();
        let per_second = query.rate.as_ref().map(|(q, unit)| {
            q.value
                / match unit.as_str() {
                    "min" => 60.0,
                    "h" => 3_600.0,
                    "day" => 86_400.0,
                    _ => 1.0,
                }
        });
        let select = match &query.select {
            Some(names) => {
                let build = self.entities.remove(&query.entity.name).expect("entity checked");
                let columns = self.resolve_columns(&build, names, None);
                self.entities.insert(query.entity.name.clone(), build);
                columns.unwrap_or_default()
            }
            None => Vec::new(),
        };
        let joins = query.joins.iter().filter_map(|nav| self.resolve_join(&query.entity.name, nav)).collect();
        if query.limit == Some(0) {
            self.report(
                Diagnostic::new(codes::E0700, "`limit 0` returns nothing").at(query.span, "query reads no rows"),
            );
        }
        self.ir.queries.push(ir::Query {
            id,
            name: query.name.name.clone(),
            entity: query.entity.name.clone(),
            joins,
            filter,
            select,
            order_by,
            limit: query.limit,
            per_second,
        });
    }

    /// A join along the relation whose navigation `nav` is on `entity`:
    /// to the one row a foreign key here names (matched by its key), or to
    /// the rows whose foreign key names this one. Many-to-many navigations
    /// go through their junction, which the query names instead.
    fn resolve_join(&mut self, entity: &str, nav: &ast::Ident) -> Option<ir::Join> {
        // A relation field here (a junction's too): its foreign key leads to one row.
        let forward = self.entities.get(entity).and_then(|build| {
            let columns = &build.navigations.get(&nav.name)?.columns;
            build.entity.foreign_keys.iter().find(|fk| !columns.is_empty() && &fk.columns == columns)
        });
        if let Some(fk) = forward {
            return Some(ir::Join {
                navigation: nav.name.clone(),
                entity: fk.references.clone(),
                on: fk.columns.iter().cloned().zip(fk.referenced_columns.iter().cloned()).collect(),
                many: false,
            });
        }
        let relation = self.ir.relations.iter().find(|r| {
            (r.from.entity == entity && r.from.navigation.as_deref() == Some(nav.name.as_str()))
                || (r.to.entity == entity && r.to.navigation.as_deref() == Some(nav.name.as_str()))
        });
        let Some(relation) = relation.cloned() else {
            let names: Vec<String> = self
                .ir
                .relations
                .iter()
                .flat_map(|r| [(&r.from, &r.to), (&r.to, &r.from)])
                .filter(|(here, _)| here.entity == entity)
                .filter_map(|(here, _)| here.navigation.clone())
                .collect();
            let mut d =
                Diagnostic::new(codes::E0700, format!("`{entity}` has no relation field `{}` to join", nav.name))
                    .at(nav.span, "not a navigation of this entity");
            if let Some(s) = crate::diagnostics::did_you_mean(&nav.name, names.iter().map(String::as_str)) {
                d = d.help(format!("did you mean `{s}`?"));
            }
            self.report(d);
            return None;
        };
        if let Some(junction) = &relation.junction {
            self.report(
                Diagnostic::new(codes::E0700, format!("`{}` is many-to-many: join through `{junction}`", nav.name))
                    .at(nav.span, "a many-to-many navigation")
                    .help(format!("query `{junction}` and join its navigations")),
            );
            return None;
        }
        if relation.cardinality == ir::Cardinality::Polymorphic {
            self.report(
                Diagnostic::new(
                    codes::E0700,
                    format!("`{}` leads to one of several entities: a join needs one", nav.name),
                )
                .at(nav.span, "a polymorphic navigation"),
            );
            return None;
        }
        // A back reference: the rows whose foreign key names this one.
        let holder = self.entities.get(relation.from.entity.as_str())?;
        let fk = holder.entity.foreign_keys.iter().find(|fk| fk.relation == relation.id)?;
        Some(ir::Join {
            navigation: nav.name.clone(),
            entity: relation.from.entity.clone(),
            on: fk.referenced_columns.iter().cloned().zip(fk.columns.iter().cloned()).collect(),
            many: relation.cardinality != ir::Cardinality::OneToOne,
        })
    }

    pub(super) fn lower_view(&mut self, view: &ast::View) {
        let id = format!("view:{}", view.name.name);
        let first = self.entities.get(&view.name.name).map(|e| e.name_span).or_else(|| self.source_map.get(&id));
        if let Some(first) = first {
            self.report(
                Diagnostic::new(codes::E0100, format!("`{}` is declared twice", view.name.name))
                    .at(view.name.span, "a view needs its own name")
                    .also(first, "first declared here"),
            );
            return;
        }
        self.source_map.spans.insert(id.clone(), view.name.span);
        let definition = match &view.definition {
            ast::ViewDefinition::Query { entity, filter, columns } => {
                if !self.known_entity(entity) {
                    return;
                }
                let build = self.entities.remove(&entity.name).expect("entity checked");
                let available = std::rc::Rc::clone(&build.finished_columns);
                let selected = match columns {
                    Some(cols) => self.resolve_columns(&build, cols, None),
                    None => Some(build.entity.fields.iter().map(|f| f.name.clone()).collect()),
                };
                self.entities.insert(entity.name.clone(), build);
                let enums = self.enum_values.clone();
                let env = ExprEnv {
                    columns: Some(&available),
                    entity: &entity.name,
                    context: None,
                    params: false,
                    value: None,
                    enums: &enums,
                    what: "a view filter",
                };
                let filter = filter.as_ref().map(|f| expr::lower_condition(&env, f, &mut self.diagnostics));
                let Some(columns) = selected else { return };
                ir::ViewDefinition::Query { entity: entity.name.clone(), filter, columns }
            }
            ast::ViewDefinition::Sql(bodies) => {
                let mut out = BTreeMap::new();
                let mut seen = BTreeSet::new();
                for (backend, sql) in bodies {
                    if !BACKENDS.contains(&backend.name.as_str()) {
                        self.report(
                            Diagnostic::new(codes::E0701, format!("`{}` is not a backend", backend.name))
                                .at(backend.span, "expected postgres, mysql, sqlite or mongodb"),
                        );
                        continue;
                    }
                    if !seen.insert(backend.name.clone()) {
                        self.report(
                            Diagnostic::new(codes::E0701, format!("two `{}` bodies", backend.name))
                                .at(backend.span, "given again"),
                        );
                        continue;
                    }
                    out.insert(backend.name.clone(), sql.value.clone());
                }
                if out.is_empty() {
                    self.report(
                        Diagnostic::new(codes::E0701, format!("view `{}` has no SQL body", view.name.name))
                            .at(view.name.span, "empty view")
                            .help("write `sql postgres \"select …\"`"),
                    );
                    return;
                }
                self.report(
                    Diagnostic::new(
                        codes::W0102,
                        format!("view `{}` is raw SQL, passed to the database unchecked", view.name.name),
                    )
                    .at(view.name.span, "not type-checked, not portable"),
                );
                ir::ViewDefinition::Sql { bodies: out }
            }
        };
        self.ir.views.push(ir::View {
            id,
            name: view.name.name.clone(),
            materialized: view.materialized,
            security_definer: view.security_definer,
            definition,
            doc: doc(&view.docs),
        });
    }
}
