//! Several PostgreSQL schemas (`schema NAME` in the sources, `Ir::schemas`):
//! the catalog lowered for the project's schema, split into one catalog per
//! schema, each object where its declaration placed it.
//!
//! Lowering itself knows one schema; this pass moves what it made. Tables
//! take their foreign keys, indexes, triggers, policies and grants along; a
//! foreign key to a table of another schema names it `schema.table`, and a
//! column, domain or routine over an enum or domain of another schema names
//! that schema — the spelling introspection reads back
//! (`import/introspect/postgres.rs`). Objects schemac makes for patterns and
//! helpers stay in the project's schema. It changes no name and adds nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::model::Catalog;
use super::{lower, quote, types, Options};
use crate::semantic::ir::Ir;

/// Where each object of `ir` lives, by its PostgreSQL name.
struct Places<'a> {
    default: &'a str,
    tables: HashMap<String, String>,
    types: HashMap<String, String>,
    views: HashMap<String, String>,
    functions: HashMap<String, String>,
}

impl Places<'_> {
    fn of<'m>(&'m self, map: &'m HashMap<String, String>, name: &str) -> &'m str {
        map.get(name).map(String::as_str).unwrap_or(self.default)
    }
}

/// True when the sources place anything outside the project's schema.
pub fn is_split(ir: &Ir, options: &Options) -> bool {
    ir.schemas.values().any(|s| *s != options.schema)
}

/// `catalog` (lowered for `options.schema`) as one catalog per schema, the
/// project's schema first, then the others by name; empty ones left out
/// (but the project's schema, which holds the roles and extensions).
pub fn split(catalog: Catalog, ir: &Ir, options: &Options) -> Vec<Catalog> {
    let default = options.schema.as_str();
    let mut places = Places {
        default,
        tables: HashMap::new(),
        types: HashMap::new(),
        views: HashMap::new(),
        functions: HashMap::new(),
    };
    for (id, schema) in &ir.schemas {
        let Some((kind, name)) = id.split_once(':') else { continue };
        match kind {
            "entity" => {
                if let Some(entity) = ir.entity(name) {
                    places.tables.insert(entity.table.clone(), schema.clone());
                }
            }
            "enum" | "type" => {
                places.types.insert(types::type_name(name), schema.clone());
            }
            "view" => {
                places.views.insert(types::type_name(name), schema.clone());
            }
            // Aggregates are routines too (one namespace, pg_proc).
            "function" | "aggregate" => {
                places.functions.insert(name.to_string(), schema.clone());
            }
            _ => {}
        }
    }
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for map in [&places.tables, &places.types, &places.views, &places.functions] {
        names.extend(map.values().map(String::as_str).filter(|s| *s != default));
    }
    let mut out: BTreeMap<&str, Catalog> = BTreeMap::new();
    for name in &names {
        out.insert(name, Catalog { schema: name.to_string(), ..Catalog::default() });
    }
    let Catalog {
        schema: _,
        extensions,
        enums,
        domains,
        tables,
        foreign_keys,
        indexes,
        views,
        functions,
        aggregates,
        triggers,
        policies,
        roles,
        grants,
    } = catalog;
    let mut first = Catalog { schema: default.to_string(), extensions, roles, ..Catalog::default() };
    macro_rules! target {
        ($schema:expr) => {{
            let schema: &str = $schema;
            if schema == default {
                &mut first
            } else {
                out.get_mut(schema).expect("every placed schema has a catalog")
            }
        }};
    }
    for e in enums {
        target!(places.of(&places.types, &e.name)).enums.push(e);
    }
    for d in domains {
        target!(places.of(&places.types, &d.name)).domains.push(d);
    }
    for mut t in tables {
        let schema = places.of(&places.tables, &t.name).to_string();
        if schema != default {
            for column in t.columns.iter_mut().filter(|c| c.serial) {
                let before = lower::serial_default(default, &t.name, &column.name);
                if column.default.as_deref() == Some(before.as_str()) {
                    column.default = Some(lower::serial_default(&schema, &t.name, &column.name));
                }
            }
        }
        target!(&schema).tables.push(t);
    }
    for mut fk in foreign_keys {
        let schema = places.of(&places.tables, &fk.table).to_string();
        let referenced = places.of(&places.tables, &fk.references);
        if referenced != schema {
            fk.references = quote::qualified(referenced, &fk.references);
        }
        target!(&schema).foreign_keys.push(fk);
    }
    for i in indexes {
        target!(places.of(&places.tables, &i.table)).indexes.push(i);
    }
    for v in views {
        target!(places.of(&places.views, &v.name)).views.push(v);
    }
    for f in functions {
        target!(places.of(&places.functions, &f.name)).functions.push(f);
    }
    for mut a in aggregates {
        let schema = places.of(&places.functions, &a.name).to_string();
        for f in std::iter::once(&mut a.step).chain(a.final_function.as_mut()) {
            let home = places.of(&places.functions, f);
            if home != schema {
                *f = quote::qualified(home, f);
            }
        }
        target!(&schema).aggregates.push(a);
    }
    for mut t in triggers {
        let schema = places.of(&places.tables, &t.table).to_string();
        let function = places.of(&places.functions, &t.function);
        if function != schema {
            t.function = quote::qualified(function, &t.function);
        }
        target!(&schema).triggers.push(t);
    }
    for p in policies {
        target!(places.of(&places.tables, &p.table)).policies.push(p);
    }
    for g in grants {
        let schema = match g.kind.as_str() {
            "FUNCTION" | "PROCEDURE" => places.of(&places.functions, &g.object),
            _ if places.views.contains_key(&g.object) => places.of(&places.views, &g.object),
            _ => places.of(&places.tables, &g.object),
        };
        target!(schema).grants.push(g);
    }
    let mut catalogs = vec![first];
    catalogs.extend(out.into_values());
    // Types of other schemas, named where they live: lowering spelled every
    // enum and domain `<project schema>.<type>`.
    let moved: Vec<(String, String)> = places
        .types
        .iter()
        .filter(|(_, schema)| schema.as_str() != default)
        .map(|(name, schema)| (quote::qualified(default, name), quote::qualified(schema, name)))
        .collect();
    if !moved.is_empty() {
        for catalog in &mut catalogs {
            retype(catalog, &moved);
        }
    }
    catalogs
}

/// Replaces each `from` spelling of a type with its `to` in every piece of
/// SQL the catalog holds that can name a type.
fn retype(catalog: &mut Catalog, moved: &[(String, String)]) {
    let fix = |text: &mut String| {
        for (from, to) in moved {
            if text.contains(from.as_str()) {
                *text = replace_name(text, from, to);
            }
        }
    };
    for d in &mut catalog.domains {
        fix(&mut d.base);
        if let Some(c) = &mut d.check {
            fix(&mut c.expr);
        }
    }
    for t in &mut catalog.tables {
        for c in &mut t.columns {
            fix(&mut c.ty);
            c.default.iter_mut().for_each(&fix);
            c.generated.iter_mut().for_each(&fix);
        }
        for c in &mut t.checks {
            fix(&mut c.expr);
        }
    }
    for i in &mut catalog.indexes {
        i.keys.iter_mut().for_each(&fix);
        i.predicate.iter_mut().for_each(&fix);
    }
    for v in &mut catalog.views {
        fix(&mut v.query);
    }
    for f in &mut catalog.functions {
        for (_, ty) in &mut f.params {
            fix(ty);
        }
        f.defaults.iter_mut().flatten().for_each(&fix);
        fix(&mut f.returns);
    }
    for a in &mut catalog.aggregates {
        a.params.iter_mut().for_each(&fix);
        fix(&mut a.state);
    }
    for p in &mut catalog.policies {
        p.using.iter_mut().for_each(&fix);
        p.check.iter_mut().for_each(&fix);
    }
    for g in &mut catalog.grants {
        g.params.iter_mut().for_each(&fix);
    }
}

/// `text` with each whole occurrence of the qualified name `from` (not part
/// of a longer name) replaced by `to`.
fn replace_name(text: &str, from: &str, to: &str) -> String {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '"' || c == '$');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let before = out.chars().last().or_else(|| rest[..at].chars().last());
        let before = if at > 0 { rest[..at].chars().last() } else { before };
        let after = rest[at + from.len()..].chars().next();
        out.push_str(&rest[..at]);
        if word(before) || word(after) && !from.ends_with('"') {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::replace_name;
    use crate::backends::postgres::quote::{is_qualified, qualified};

    #[test]
    fn a_name_of_another_schema_reads_as_qualified() {
        assert!(is_qualified(&qualified("sales", "order")));
        assert!(is_qualified(&qualified("Sales", "Order Line")));
        assert!(is_qualified("\"a\"\"b\".c"));
        assert!(!is_qualified("order"));
        assert!(!is_qualified("\"Order\""));
        assert!(!is_qualified("sales.order.line"));
        assert!(!is_qualified("sales."));
        assert!(!is_qualified(".order"));
    }

    #[test]
    fn replaces_whole_qualified_names_only() {
        assert_eq!(replace_name("public.name", "public.name", "people.name"), "people.name");
        assert_eq!(replace_name("public.name[]", "public.name", "people.name"), "people.name[]");
        assert_eq!(replace_name("'x'::public.name)", "public.name", "people.name"), "'x'::people.name)");
        assert_eq!(replace_name("public.names", "public.name", "people.name"), "public.names");
        assert_eq!(replace_name("xpublic.name", "public.name", "people.name"), "xpublic.name");
    }
}
