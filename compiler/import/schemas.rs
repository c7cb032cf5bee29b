//! Several PostgreSQL schemas imported together (`import pg --schema a
//! --schema b`, `--all-schemas`): their catalogs merged into one the
//! importer reads, and the IR it makes placed back (`Ir::schemas`, which
//! the source says with `schema NAME` lines).
//!
//! Introspection names an object of another schema `schema.name`; where that
//! schema is imported too the reference becomes the plain name, so foreign
//! keys, columns over domains and triggers calling functions across schemas
//! are carried. The language has one namespace: an object whose name another
//! imported schema already uses is left out with W1040. The first schema is
//! the project's (`[postgres] schema` in schemac.toml). Reads models only.

use std::collections::{BTreeMap, BTreeSet};

use super::introspect::postgres::ViewDependencies;
use super::postgres::{domain_name, import_placed, pascal_case, Imported};
use crate::backends::postgres::model::Catalog;
use crate::backends::postgres::quote;
use crate::diagnostics::{codes, Diagnostic};

/// Imports `catalogs` (one per schema, the project's first) as one IR.
pub fn import(catalogs: &[Catalog], views: &BTreeMap<String, ViewDependencies>) -> (Catalog, Imported) {
    let (merged, places, mut diagnostics) = merge(catalogs);
    let mut imported = import_placed(&merged, views, &places.tables);
    let default = merged.schema.clone();
    let ir = &mut imported.ir;
    let mut placed = BTreeMap::new();
    for entity in &ir.entities {
        if let Some(schema) = places.tables.get(&entity.table) {
            placed.insert(entity.id.clone(), schema.clone());
        }
    }
    for (name, schema) in &places.enums {
        placed.insert(format!("enum:{}", pascal_case(name)), schema.clone());
    }
    for (name, schema) in &places.domains {
        placed.insert(format!("type:{}", domain_name(name)), schema.clone());
    }
    for (name, schema) in &places.views {
        placed.insert(format!("view:{}", pascal_case(name)), schema.clone());
    }
    for (name, schema) in &places.functions {
        placed.insert(format!("function:{name}"), schema.clone());
        placed.insert(format!("aggregate:{name}"), schema.clone());
    }
    let present: BTreeSet<String> = ir
        .entities
        .iter()
        .map(|e| e.id.clone())
        .chain(ir.enums.iter().map(|e| e.id.clone()))
        .chain(ir.domains.iter().map(|d| d.id.clone()))
        .chain(ir.views.iter().map(|v| v.id.clone()))
        .chain(ir.functions.iter().map(|f| f.id.clone()))
        .chain(ir.aggregates.iter().map(|a| a.id.clone()))
        .collect();
    placed.retain(|id, schema| *schema != default && present.contains(id));
    ir.schemas = placed;
    diagnostics.append(&mut imported.diagnostics);
    imported.diagnostics = diagnostics;
    (merged, imported)
}

/// Where each object of the merged catalog came from, when not the first schema.
#[derive(Default)]
struct Places {
    tables: BTreeMap<String, String>,
    enums: BTreeMap<String, String>,
    domains: BTreeMap<String, String>,
    views: BTreeMap<String, String>,
    functions: BTreeMap<String, String>,
}

/// One catalog holding every schema's objects under their plain names.
fn merge(catalogs: &[Catalog]) -> (Catalog, Places, Vec<Diagnostic>) {
    let default = catalogs.first().map(|c| c.schema.clone()).unwrap_or_else(|| "public".into());
    let imported: BTreeSet<&str> = catalogs.iter().map(|c| c.schema.as_str()).collect();
    let mut merged = Catalog { schema: default.clone(), ..Catalog::default() };
    let mut places = Places::default();
    let mut diagnostics = Vec::new();
    // (kind, name) → the schema that has it.
    let mut owner: BTreeMap<(&str, String), String> = BTreeMap::new();
    let mut clash = |kind: &'static str, schema: &str, name: &str, diagnostics: &mut Vec<Diagnostic>| -> bool {
        let key = (kind, name.to_string());
        if let Some(first) = owner.get(&key) {
            diagnostics.push(
                Diagnostic::new(
                    codes::W1040,
                    format!("{kind} `{schema}.{name}` has the name of `{first}.{name}`; not imported"),
                )
                .help("the schemas of one project share a namespace: rename one, or import the schemas apart"),
            );
            return true;
        }
        owner.insert(key, schema.to_string());
        false
    };
    // A reference `schema.name` to an imported schema, as the plain name.
    let local = |name: &str| -> String {
        if quote::is_qualified(name) {
            for schema in &imported {
                let prefix = format!("{}.", quote::ident(schema));
                if let Some(rest) = name.strip_prefix(&prefix) {
                    return rest.trim_matches('"').replace("\"\"", "\"");
                }
            }
        }
        name.to_string()
    };
    for catalog in catalogs {
        let schema = catalog.schema.as_str();
        let here = |map: &mut BTreeMap<String, String>, name: &str| {
            if schema != default {
                map.insert(name.to_string(), schema.to_string());
            }
        };
        let mut skipped: BTreeSet<String> = BTreeSet::new();
        for e in &catalog.enums {
            if !clash("type", schema, &e.name, &mut diagnostics) {
                here(&mut places.enums, &e.name);
                merged.enums.push(e.clone());
            }
        }
        for d in &catalog.domains {
            if !clash("type", schema, &d.name, &mut diagnostics) {
                here(&mut places.domains, &d.name);
                merged.domains.push(d.clone());
            }
        }
        for t in &catalog.tables {
            if clash("relation", schema, &t.name, &mut diagnostics) {
                skipped.insert(t.name.clone());
            } else {
                here(&mut places.tables, &t.name);
                merged.tables.push(t.clone());
            }
        }
        for v in &catalog.views {
            if !clash("relation", schema, &v.name, &mut diagnostics) {
                here(&mut places.views, &v.name);
                merged.views.push(v.clone());
            } else {
                skipped.insert(v.name.clone());
            }
        }
        for f in &catalog.functions {
            if f.helper || !clash("function", schema, &f.name, &mut diagnostics) {
                here(&mut places.functions, &f.name);
                merged.functions.push(f.clone());
            }
        }
        for a in &catalog.aggregates {
            if !clash("function", schema, &a.name, &mut diagnostics) {
                here(&mut places.functions, &a.name);
                let mut a = a.clone();
                a.step = local(&a.step);
                a.final_function = a.final_function.as_deref().map(local);
                merged.aggregates.push(a);
            }
        }
        let kept = |table: &str| !skipped.contains(table);
        for fk in catalog.foreign_keys.iter().filter(|fk| kept(&fk.table)) {
            let mut fk = fk.clone();
            fk.references = local(&fk.references);
            merged.foreign_keys.push(fk);
        }
        merged.indexes.extend(catalog.indexes.iter().filter(|i| kept(&i.table)).cloned());
        for t in catalog.triggers.iter().filter(|t| kept(&t.table)) {
            let mut t = t.clone();
            t.function = local(&t.function);
            merged.triggers.push(t);
        }
        merged.policies.extend(catalog.policies.iter().filter(|p| kept(&p.table)).cloned());
        merged.grants.extend(catalog.grants.iter().filter(|g| g.kind != "TABLE" || kept(&g.object)).cloned());
        for role in &catalog.roles {
            if !merged.roles.iter().any(|r| r.name == role.name) {
                merged.roles.push(role.clone());
            }
        }
        for extension in &catalog.extensions {
            if !merged.extensions.contains(extension) {
                merged.extensions.push(extension.clone());
            }
        }
    }
    // Types of other schemas, as the plain names the importer looks up.
    let types: Vec<(String, String)> = places
        .enums
        .iter()
        .chain(&places.domains)
        .map(|(name, schema)| (quote::qualified(schema, name), quote::ident(name)))
        .collect();
    if !types.is_empty() {
        for table in &mut merged.tables {
            for column in &mut table.columns {
                for (from, to) in &types {
                    if column.ty == *from || column.ty.strip_suffix("[]") == Some(from.as_str()) {
                        column.ty = column.ty.replacen(from.as_str(), to, 1);
                    }
                }
            }
        }
    }
    merged.extensions.sort();
    merged.roles.sort_by(|a, b| a.name.cmp(&b.name));
    merged.grants.sort();
    (merged, places, diagnostics)
}
