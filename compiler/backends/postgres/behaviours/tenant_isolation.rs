//! `tenant_isolation(tenant)`: row-level security on the tenant key.
//!
//! The table (and its history, when `temporal` made one) gets ENABLE and
//! FORCE ROW LEVEL SECURITY and one policy for every command: a row is
//! visible and writable only when its tenant is the session's
//! `ctx.tenant_id` (`current_setting('app.tenant_id')`). With no tenant set
//! the setting reads as NULL and no row matches — never every row.

use super::provenance;
use crate::backends::postgres::expr;
use crate::backends::postgres::lower::Lowering;
use crate::backends::postgres::model::Policy;
use crate::semantic::ir::{self, BinaryOp, Expr};

/// The context value that names the session's tenant.
pub const TENANT_CONTEXT: &str = "tenant_id";

impl Lowering<'_> {
    pub(super) fn lower_tenant_isolation(&mut self, entity: &ir::Entity, behaviour: &ir::Behaviour) {
        let Some(Expr::Column { name: field }) = behaviour.args.first() else { return };
        let Some(tenant) = entity.field(field) else { return };
        // The declared context type if there is one, else the key's own.
        let ty = self
            .ir
            .context
            .iter()
            .find(|c| c.name == TENANT_CONTEXT)
            .map_or_else(|| tenant.ty.clone(), |c| c.ty.clone());
        let condition = Expr::Binary {
            op: BinaryOp::Eq,
            left: Box::new(Expr::Column { name: field.clone() }),
            right: Box::new(Expr::Context { name: TENANT_CONTEXT.into(), ty }),
        };
        let condition = expr::print(&condition, &self.scope(Some(entity)));
        let mut tables = vec![entity.table.clone()];
        tables.extend(self.histories.get(&entity.name).cloned());
        for table in tables {
            if let Some(t) = self.catalog.tables.iter_mut().find(|t| t.name == table) {
                t.row_security = true;
            }
            self.catalog.policies.push(Policy {
                name: super::fit(&[&table, "tenant_isolation"]),
                table: table.clone(),
                permissive: true,
                command: "ALL".into(),
                roles: Vec::new(),
                using: Some(condition.clone()),
                check: Some(condition.clone()),
                comment: Some(provenance(
                    entity,
                    behaviour,
                    &format!(
                        "Rows of `{table}` are visible and writable only for the session's `ctx.{TENANT_CONTEXT}`."
                    ),
                )),
            });
        }
    }
}
