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
        let columns = self.entities[&query.entity.name].columns(|t| self.value_type(t));
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
        if query.limit == Some(0) {
            self.report(
                Diagnostic::new(codes::E0700, "`limit 0` returns nothing").at(query.span, "query reads no rows"),
            );
        }
        self.ir.queries.push(ir::Query {
            id,
            name: query.name.name.clone(),
            entity: query.entity.name.clone(),
            filter,
            select,
            order_by,
            limit: query.limit,
            per_second,
        });
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
                let available = build.columns(|t| self.value_type(t));
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
            definition,
            doc: doc(&view.docs),
        });
    }
}
