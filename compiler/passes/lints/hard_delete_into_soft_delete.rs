//! W0206: a relation cascades deletes from a parent that is deleted for good
//! into a child that soft-deletes. The child's soft-deleted (and live) rows
//! are then removed for good with the parent — a soft-deleted row cannot
//! outlive its parent without pointing nowhere — which is rarely what
//! `soft_delete` on the child was meant to promise.
//!
//! Relations a pattern declares (`tenant_scoped`'s cascade from `Tenant`)
//! are not reported: the pattern's author chose that deleting the parent
//! erases everything under it.

use super::at;
use crate::diagnostics::{codes, Diagnostic};
use crate::passes::Context;
use crate::semantic::ir::{BehaviourKind, Entity, Ir, Origin, RefAction};

fn soft_deletes(entity: &Entity) -> bool {
    entity.behaviours.iter().any(|b| b.kind == BehaviourKind::SoftDelete)
}

pub fn run(ir: &Ir, cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let from_patterns: std::collections::BTreeSet<&str> =
        ir.relations.iter().filter(|r| r.origin != Origin::Declared).map(|r| r.id.as_str()).collect();
    for child in ir.entities.iter().filter(|e| soft_deletes(e)) {
        for fk in child.foreign_keys.iter().filter(|fk| fk.on_delete == RefAction::Cascade) {
            let Some(parent) = ir.entity(&fk.references) else { continue };
            if soft_deletes(parent) || from_patterns.contains(fk.relation.as_str()) {
                continue;
            }
            let d = Diagnostic::new(
                codes::W0206,
                format!(
                    "deleting a `{}` removes its `{}` rows for good, though `{}` soft-deletes",
                    parent.name, child.name, child.name
                ),
            );
            out.push(
                at(d, cx, &fk.relation, "on delete cascade")
                    .note(format!("`{}` has no soft_delete: its DELETE is real, and so is the cascade", parent.name))
                    .help(format!(
                        "apply soft_delete to `{}` too, use `on delete restrict`, or set `W0206 = \"allow\"` in [lint] if that is intended",
                        parent.name
                    )),
            );
        }
    }
    out
}
