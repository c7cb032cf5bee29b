//! `schema NAME` lines: which PostgreSQL schema each entity, enum, type
//! alias, view and function lives in (`Ir::schemas`, by object id).
//!
//! A `schema` line places the declarations after it in the same file, up to
//! the next `schema` line; the rest stay in the project's schema. Relations
//! live with the entity holding the foreign key, triggers, indexes and
//! policies with their table; roles belong to the cluster. This pass only
//! records places and checks the names; the backends decide what a place
//! means (spec/README.md#postgresql-schemas).

use super::lower::Analyzer;
use crate::diagnostics::{codes, Diagnostic};
use crate::syntax::ast::Declaration;

/// PostgreSQL keeps identifiers to 63 bytes.
const MAX_NAME: usize = 63;

impl Analyzer<'_> {
    pub(super) fn place(&mut self) {
        let mut placed = Vec::new();
        for unit in self.units {
            let mut current: Option<String> = None;
            for declaration in &unit.ast.declarations {
                let id = match declaration {
                    Declaration::Schema(d) => {
                        let name = &d.name.name;
                        let reserved = name.starts_with("pg_") || name == "information_schema";
                        if reserved || name.is_empty() || name.len() > MAX_NAME {
                            let why = if reserved {
                                "PostgreSQL keeps this name for itself".to_string()
                            } else {
                                format!("{} bytes; PostgreSQL allows 1 to {MAX_NAME}", name.len())
                            };
                            self.report(
                                Diagnostic::new(codes::E0113, format!("`{name}` cannot be a schema: {why}"))
                                    .at(d.name.span, "this schema")
                                    .help("choose another name"),
                            );
                            current = None;
                        } else {
                            current = Some(name.clone());
                        }
                        continue;
                    }
                    Declaration::Entity(d) => format!("entity:{}", d.name.name),
                    Declaration::Enum(d) => format!("enum:{}", d.name.name),
                    Declaration::TypeAlias(d) => format!("type:{}", d.name.name),
                    Declaration::View(d) => format!("view:{}", d.name.name),
                    Declaration::Function(d) => format!("function:{}", d.name.name),
                    Declaration::Aggregate(d) => format!("aggregate:{}", d.name.name),
                    _ => continue,
                };
                if let Some(schema) = &current {
                    placed.push((id, schema.clone()));
                }
            }
        }
        // Only objects that made it into the IR (a type alias no field uses is not emitted).
        let ir = &self.ir;
        let present = |id: &str| -> bool {
            let (kind, name) = id.split_once(':').unwrap_or_default();
            match kind {
                "entity" => self.entities.contains_key(name) || ir.entity(name).is_some(),
                "enum" => ir.enums.iter().any(|e| e.name == name),
                "type" => ir.domains.iter().any(|d| d.name == name),
                "view" => ir.views.iter().any(|v| v.name == name),
                "function" => ir.functions.iter().any(|f| f.name == name),
                "aggregate" => ir.aggregates.iter().any(|a| a.name == name),
                _ => false,
            }
        };
        let kept: Vec<(String, String)> = placed.into_iter().filter(|(id, _)| present(id)).collect();
        self.ir.schemas.extend(kept);
    }
}
