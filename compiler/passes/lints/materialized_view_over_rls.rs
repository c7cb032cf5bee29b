//! W0302: a materialized view reads an entity whose rows are guarded by
//! row-level security. A materialized view is filled by whoever refreshes
//! it and read without the table's policies: every reader sees every row
//! it holds, other tenants' included.

use super::at;
use crate::diagnostics::{codes, Diagnostic};
use crate::passes::Context;
use crate::semantic::ir::{Ir, ViewDefinition};

pub fn run(ir: &Ir, cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let policed = super::policed(ir);
    for view in ir.views.iter().filter(|v| v.materialized) {
        let ViewDefinition::Query { entity, .. } = &view.definition else { continue };
        let Some(e) = ir.entity(entity) else { continue };
        if super::guarded(&policed, e) {
            let d = Diagnostic::new(
                codes::W0302,
                format!("materialized view `{}` shows rows of `{entity}` without its row-level security", view.name),
            );
            out.push(
                at(d, cx, &view.id, "bypasses the policies of the table it reads")
                    .help("use a plain view (it keeps the policies), or grant it only to roles that may see every row"),
            );
        }
    }
    out
}
