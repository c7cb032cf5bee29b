//! W0300: an entity points at the tenant (a `tenant_id` field, or a relation
//! to an entity named `Tenant`) but nothing isolates its rows: no
//! `tenant_scoped` (tenant_isolation) and no policy. Every session then sees
//! every tenant's rows of it.

use super::at;
use crate::diagnostics::{codes, Diagnostic};
use crate::passes::Context;
use crate::semantic::ir::Ir;

pub fn run(ir: &Ir, cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let tenant = ir.entities.iter().find(|e| e.name == "Tenant").map(|e| e.name.as_str());
    for entity in &ir.entities {
        let points_at_tenant = entity.fields.iter().any(|f| f.column == "tenant_id")
            || entity.foreign_keys.iter().any(|fk| Some(fk.references.as_str()) == tenant);
        if points_at_tenant && !super::guarded(ir, entity) && Some(entity.name.as_str()) != tenant {
            let d = Diagnostic::new(
                codes::W0300,
                format!("`{}` belongs to a tenant, but every session sees every tenant's rows", entity.name),
            );
            out.push(
                at(d, cx, &entity.id, "tenant data without row-level security")
                    .help("apply `tenant_scoped`, or declare a policy on it"),
            );
        }
    }
    out
}
