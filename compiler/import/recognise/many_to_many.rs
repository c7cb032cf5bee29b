//! `relation A.bs <-> B.as`: an entity that is nothing but the junction a
//! many-to-many relation makes — two fields, both its composite key, each
//! the whole of a `on delete cascade` foreign key to a single-column key,
//! named `<end>_<key>`, and nothing else on it (no index, unique, check,
//! comment, trigger, policy or grant; nothing refers to it).
//!
//! It finds candidates and edits a copy of the IR for one: the junction
//! entity and its two `->` relations give way to one `<->` relation (with
//! `through` when the junction's name is not the default). Whether that
//! builds the same database is proven by the caller (`recognise`).

use std::collections::BTreeSet;

use crate::import::postgres::plural;
use crate::semantic::ir::{self, Ir, Origin};
use crate::semantic::raise::fresh_name;
use crate::semantic::snake_case;

#[derive(Debug, Clone)]
pub(super) struct Candidate {
    /// The junction entity and its table.
    pub junction: String,
    pub table: String,
    /// The entity its first column refers to, and the second's.
    pub from: String,
    pub to: String,
    /// For a relation of an entity with itself, the navigations the
    /// columns' names fix: (on `from`, back on `to`).
    fixed: Option<(String, String)>,
}

pub(super) fn candidates(ir: &Ir) -> Vec<Candidate> {
    ir.entities.iter().filter_map(|e| candidate(ir, e)).collect()
}

fn candidate(ir: &Ir, junction: &ir::Entity) -> Option<Candidate> {
    let [first, second] = junction.fields.as_slice() else { return None };
    let bare = junction.primary_key_name.is_none()
        && junction.primary_key == [first.name.clone(), second.name.clone()]
        && junction.uniques.is_empty()
        && junction.indexes.is_empty()
        && junction.checks.is_empty()
        && junction.doc.is_none()
        && junction.search.is_none()
        && junction.partition.is_none()
        && junction.behaviours.is_empty()
        && junction.patterns.is_empty()
        && junction.row_security.is_none()
        && junction.origin == Origin::Declared
        && junction.table == snake_case(&junction.name)
        && junction.foreign_keys.len() == 2;
    if !bare {
        return None;
    }
    let mentioned = ir.triggers.iter().any(|t| t.entity == junction.name)
        || ir.policies.iter().any(|p| p.entity == junction.name)
        || ir.grants.iter().any(|g| g.entity == junction.name)
        || ir
            .relations
            .iter()
            .any(|r| r.to.entity == junction.name || r.alternatives.iter().any(|a| a.entity == junction.name))
        || ir.entities.iter().any(|e| e.foreign_keys.iter().any(|fk| fk.references == junction.name))
        || ir
            .views
            .iter()
            .any(|v| matches!(&v.definition, ir::ViewDefinition::Query { entity, .. } if *entity == junction.name));
    if mentioned {
        return None;
    }
    let mut ends = Vec::new();
    for field in [first, second] {
        let plain = field.column == field.name
            && !field.nullable
            && field.default.is_none()
            && !field.identity
            && !field.serial
            && field.generated.is_none()
            && field.doc.is_none()
            && field.pii.is_none();
        let fk = junction.foreign_keys.iter().find(|fk| fk.columns == [field.name.clone()])?;
        let target = ir.entity(&fk.references)?;
        let [key] = target.primary_key.as_slice() else { return None };
        let relation = ir.relations.iter().find(|r| r.id == fk.relation)?;
        let faithful = plain
            && fk.referenced_columns == [key.clone()]
            && fk.on_delete == ir::RefAction::Cascade
            && fk.on_update == ir::RefAction::NoAction
            && !fk.deferrable
            && fk.name.is_none()
            && relation.cardinality == ir::Cardinality::ManyToOne
            && relation.doc.is_none()
            && relation.holder == junction.name;
        if !faithful {
            return None;
        }
        // The field is `<prefix>_<key>`: the prefix is the end's name in the junction.
        let prefix = field.name.strip_suffix(&format!("_{key}")).filter(|p| !p.is_empty())?;
        ends.push((target.name.clone(), prefix.to_string()));
    }
    let [(from, from_prefix), (to, to_prefix)] = <[(String, String); 2]>::try_from(ends).ok()?;
    let fixed = if from == to {
        // The junction of `A.x <-> A.y` has the fields `y_<key>` and `x_<key>`.
        if from_prefix == to_prefix {
            return None;
        }
        Some((to_prefix, from_prefix))
    } else {
        if from_prefix != snake_case(&from) || to_prefix != snake_case(&to) {
            return None;
        }
        None
    };
    Some(Candidate { junction: junction.name.clone(), table: junction.table.clone(), from, to, fixed })
}

impl Candidate {
    /// Replaces the junction entity and its two relations by one `<->`
    /// relation; false when they are not there as found.
    pub(super) fn apply(&self, ir: &mut Ir) -> bool {
        let Some(index) = ir.entities.iter().position(|e| e.name == self.junction) else { return false };
        let junction = ir.entities.remove(index);
        let old: Vec<&str> = junction.foreign_keys.iter().map(|fk| fk.relation.as_str()).collect();
        ir.relations.retain(|r| !old.contains(&r.id.as_str()));
        let (navigation, back) = match &self.fixed {
            Some((navigation, back)) => {
                let taken = taken_on(ir, &self.from);
                if taken.contains(navigation) || taken.contains(back) {
                    return false;
                }
                (navigation.clone(), back.clone())
            }
            None => {
                let navigation = fresh_name(&taken_on(ir, &self.from), &plural(&snake_case(&self.to)));
                let back = fresh_name(&taken_on(ir, &self.to), &plural(&snake_case(&self.from)));
                (navigation, back)
            }
        };
        let id = format!("relation:{}.{navigation}", self.from);
        if ir.relations.iter().any(|r| r.id == id) {
            return false;
        }
        ir.relations.push(ir::Relation {
            id,
            cardinality: ir::Cardinality::ManyToMany,
            from: ir::RelationEnd { entity: self.from.clone(), navigation: Some(navigation) },
            to: ir::RelationEnd { entity: self.to.clone(), navigation: Some(back) },
            alternatives: Vec::new(),
            required: false,
            holder: self.junction.clone(),
            columns: junction.fields.iter().map(|f| f.name.clone()).collect(),
            junction: Some(self.junction.clone()),
            doc: None,
            origin: Origin::Declared,
        });
        ir.relations.sort_by(|a, b| a.id.cmp(&b.id));
        true
    }
}

/// Names an entity's fields and navigations use.
fn taken_on(ir: &Ir, entity: &str) -> BTreeSet<String> {
    let mut taken: BTreeSet<String> =
        ir.entity(entity).map(|e| e.fields.iter().map(|f| f.name.clone()).collect()).unwrap_or_default();
    for r in &ir.relations {
        if r.from.entity == entity {
            taken.extend(r.from.navigation.clone());
        }
        if r.to.entity == entity {
            taken.extend(r.to.navigation.clone());
        }
        for a in r.alternatives.iter().filter(|a| a.entity == entity) {
            taken.extend(a.navigation.clone());
        }
    }
    taken
}
