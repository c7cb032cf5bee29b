//! Renames declared with `renamed_from`: which entities and fields of the
//! previous state the new IR renames, and the previous state with those
//! renames applied (so the diff sees one object, not a drop and an add).
//!
//! A rename is taken only when it is declared and unambiguous: the old name
//! exists in the previous state and the new name does not. Nothing here
//! guesses a rename from similar shapes. The storage names follow: a table
//! or column whose name in the database changes — by the rename, or by a
//! `table "…"` / `column "…"` of an entity or field that stays — is renamed
//! in place.

use std::collections::BTreeMap;

use crate::semantic::ir::{Expr, Ir};

#[derive(Debug, Default, Clone)]
pub struct Renames {
    /// New entity name → old entity name.
    pub entities: BTreeMap<String, String>,
    /// (new entity name, new field name) → old field name.
    pub fields: BTreeMap<(String, String), String>,
    /// New entity name → (old table, new table), where the table's name changes.
    pub tables: BTreeMap<String, (String, String)>,
    /// (new entity name, new field name) → (new table, old column, new
    /// column), where the column's name changes.
    pub columns: BTreeMap<(String, String), (String, String, String)>,
}

impl Renames {
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty() && self.fields.is_empty() && self.tables.is_empty() && self.columns.is_empty()
    }
}

/// The renames the new IR declares that apply to the old one.
pub fn declared(old: &Ir, new: &Ir) -> Renames {
    let mut renames = Renames::default();
    for entity in &new.entities {
        let old_name = match &entity.renamed_from {
            Some(from) if old.entity(from).is_some() && old.entity(&entity.name).is_none() => {
                renames.entities.insert(entity.name.clone(), from.clone());
                from.as_str()
            }
            _ => entity.name.as_str(),
        };
        let Some(old_entity) = old.entity(old_name) else { continue };
        if old_entity.table != entity.table {
            renames.tables.insert(entity.name.clone(), (old_entity.table.clone(), entity.table.clone()));
        }
        for field in &entity.fields {
            let mut old_field = old_entity.field(&field.name);
            if let Some(from) = &field.renamed_from {
                if old_entity.field(from).is_some() && old_field.is_none() {
                    renames.fields.insert((entity.name.clone(), field.name.clone()), from.clone());
                    old_field = old_entity.field(from);
                }
            }
            if let Some(old_field) = old_field.filter(|f| f.column != field.column) {
                renames.columns.insert(
                    (entity.name.clone(), field.name.clone()),
                    (entity.table.clone(), old_field.column.clone(), field.column.clone()),
                );
            }
        }
    }
    renames
}

/// The old state as it reads after the renames: entities, tables, fields,
/// columns, and every reference to them (foreign keys, keys, indexes,
/// checks, expressions, relations, views, grants, policies, triggers).
pub fn apply(old: &Ir, renames: &Renames) -> Ir {
    if renames.is_empty() {
        return old.clone();
    }
    let entity_of: BTreeMap<&str, &str> =
        renames.entities.iter().map(|(new, old)| (old.as_str(), new.as_str())).collect();
    let new_entity = |name: &str| entity_of.get(name).map_or_else(|| name.to_string(), |n| n.to_string());
    // (new entity, old field) → new field
    let field_of: BTreeMap<(String, String), String> =
        renames.fields.iter().map(|((e, new), old)| ((e.clone(), old.clone()), new.clone())).collect();
    let rename_field = |entity: &str, field: &str| {
        field_of.get(&(entity.to_string(), field.to_string())).cloned().unwrap_or_else(|| field.to_string())
    };
    let mut ir = old.clone();
    for entity in &mut ir.entities {
        let renamed = new_entity(&entity.name);
        if renamed != entity.name {
            entity.id = format!("entity:{renamed}");
            entity.name = renamed;
        }
        // The table follows only when its name in the database changes.
        if let Some((_, table)) = renames.tables.get(&entity.name) {
            entity.table = table.clone();
        }
        let name = entity.name.clone();
        let f = |field: &str| rename_field(&name, field);
        for field in &mut entity.fields {
            let new_name = f(&field.name);
            if new_name != field.name {
                field.name = new_name;
            }
            if let Some((_, _, column)) = renames.columns.get(&(name.clone(), field.name.clone())) {
                field.column = column.clone();
            }
            field.id = format!("field:{name}.{}", field.name);
            for e in field.default.iter_mut().chain(field.generated.as_deref_mut()) {
                rename_columns(e, &f);
            }
        }
        rename_list(&mut entity.primary_key, &f);
        for u in &mut entity.uniques {
            rename_list(&mut u.columns, &f);
            u.predicate.iter_mut().for_each(|e| rename_columns(e, &f));
        }
        for i in &mut entity.indexes {
            i.keys.iter_mut().for_each(|k| rename_columns(&mut k.expr, &f));
            rename_list(&mut i.include, &f);
            i.predicate.iter_mut().for_each(|e| rename_columns(e, &f));
        }
        for c in &mut entity.checks {
            c.field = c.field.as_deref().map(&f);
            rename_columns(&mut c.expr, &f);
        }
        for fk in &mut entity.foreign_keys {
            rename_list(&mut fk.columns, &f);
            fk.references = new_entity(&fk.references);
        }
        if let Some(s) = &mut entity.search {
            s.columns.iter_mut().for_each(|c| c.field = f(&c.field));
        }
        if let Some(p) = &mut entity.partition {
            rename_list(&mut p.columns, &f);
        }
    }
    // Referenced columns follow the renames of the referenced entity.
    for entity in &mut ir.entities {
        for fk in &mut entity.foreign_keys {
            let target = fk.references.clone();
            rename_list(&mut fk.referenced_columns, &|c| rename_field(&target, c));
        }
    }
    for relation in &mut ir.relations {
        relation.holder = new_entity(&relation.holder);
        relation.from.entity = new_entity(&relation.from.entity);
        relation.to.entity = new_entity(&relation.to.entity);
        relation.alternatives.iter_mut().for_each(|a| a.entity = new_entity(&a.entity));
        let holder = relation.holder.clone();
        rename_list(&mut relation.columns, &|c| rename_field(&holder, c));
    }
    for view in &mut ir.views {
        if let crate::semantic::ir::ViewDefinition::Query { entity, filter, columns } = &mut view.definition {
            *entity = new_entity(entity);
            let e = entity.clone();
            rename_list(columns, &|c| rename_field(&e, c));
            filter.iter_mut().for_each(|x| rename_columns(x, &|c| rename_field(&e, c)));
        }
    }
    for trigger in &mut ir.triggers {
        trigger.entity = new_entity(&trigger.entity);
    }
    for policy in &mut ir.policies {
        policy.entity = new_entity(&policy.entity);
        let e = policy.entity.clone();
        for x in policy.using.iter_mut().chain(policy.check.iter_mut()) {
            rename_columns(x, &|c| rename_field(&e, c));
        }
    }
    for grant in &mut ir.grants {
        grant.entity = new_entity(&grant.entity);
        let e = grant.entity.clone();
        if let Some(columns) = &mut grant.columns {
            rename_list(columns, &|c| rename_field(&e, c));
        }
    }
    ir.entities.sort_by(|a, b| a.name.cmp(&b.name));
    ir
}

fn rename_list(list: &mut [String], f: &dyn Fn(&str) -> String) {
    for name in list {
        *name = f(name);
    }
}

/// Renames the column references of an expression.
pub fn rename_columns(expr: &mut Expr, f: &dyn Fn(&str) -> String) {
    expr.visit_mut(&mut |e| {
        if let Expr::Column { name } = e {
            *name = f(name);
        }
    });
}
