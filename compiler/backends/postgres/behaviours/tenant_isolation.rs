//! `tenant_isolation(tenant)`: row-level security on the tenant key.
//!
//! The table gets ENABLE and FORCE ROW LEVEL SECURITY and two policies for
//! every command: a restrictive one, so no other policy can let another
//! tenant's rows through, and a permissive twin (PostgreSQL shows no rows
//! unless a permissive policy allows them). A row is visible and writable
//! only when its tenant is the session's `ctx.tenant_id`
//! (`current_setting('app.tenant_id')`). With no tenant set the setting reads
//! as NULL and no row matches — never every row. The history `temporal`
//! made gets the same pair for reading, with row-level security enabled but
//! not forced: its trigger writes it as the owner.
//!
//! Foreign keys ignore row-level security, so a row could point at another
//! tenant's row (and learn that it exists). A BEFORE INSERT OR UPDATE
//! trigger, `<table>_same_tenant`, refuses a reference to a row of another
//! tenant of every entity that is tenant-isolated too, with the same error
//! as a reference to no row at all.

use super::provenance;
use crate::backends::postgres::lower::{self, Lowering};
use crate::backends::postgres::model::{Policy, RowSecurity};
use crate::backends::postgres::{expr, quote};
use crate::semantic::ir::{self, BinaryOp, Expr};

/// The context value that names the session's tenant.
pub const TENANT_CONTEXT: &str = "tenant_id";

impl Lowering<'_> {
    /// `tenant_id = <ctx.tenant_id>` as SQL, for an entity with
    /// `tenant_isolation(tenant)` (none without it): the condition its
    /// policies, and anything that reads its rows as the owner, hold rows to.
    pub(crate) fn tenant_condition(&self, entity: &ir::Entity) -> Option<String> {
        let behaviour = entity.behaviours.iter().find(|b| b.kind == ir::BehaviourKind::TenantIsolation)?;
        let Some(Expr::Column { name: field }) = behaviour.args.first() else { return None };
        let tenant = entity.field(field)?;
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
        Some(expr::print(&condition, &self.scope(Some(entity))))
    }

    pub(super) fn lower_tenant_isolation(&mut self, entity: &ir::Entity, behaviour: &ir::Behaviour) {
        let Some(Expr::Column { name: field }) = behaviour.args.first() else { return };
        let Some(condition) = self.tenant_condition(entity) else { return };
        // Restrictive, so no other policy can let another tenant's rows
        // through; and a permissive twin, as PostgreSQL shows no rows unless
        // some permissive policy allows them. The history (read only, and
        // written by its trigger as the owner) is filtered for reading.
        let history = self.histories.get(&entity.name).cloned();
        let tables = [(entity.table.clone(), RowSecurity::Forced, "ALL")]
            .into_iter()
            .chain(history.map(|h| (h, RowSecurity::Enabled, "SELECT")));
        for (table, security, command) in tables {
            self.secure(&table, security);
            let check = (command == "ALL").then(|| condition.clone());
            for (what, permissive) in [("tenant_isolation", false), ("tenant_rows", true)] {
                let says = if permissive {
                    format!("Rows of `{table}` of the session's `ctx.{TENANT_CONTEXT}` are allowed (narrow them with restrictive policies).")
                } else {
                    format!("No row of `{table}` outside the session's `ctx.{TENANT_CONTEXT}`, whatever other policies allow.")
                };
                self.catalog.policies.push(Policy {
                    name: lower::generated_name(&table, what),
                    table: table.clone(),
                    permissive,
                    command: command.into(),
                    roles: Vec::new(),
                    using: Some(condition.clone()),
                    check: check.clone(),
                    comment: Some(provenance(entity, behaviour, &says)),
                });
            }
        }
        self.same_tenant(entity, behaviour, field);
    }

    /// `<table>_same_tenant`: the rows this one references by a foreign key
    /// belong to its tenant, where the referenced entity is tenant-isolated.
    fn same_tenant(&mut self, entity: &ir::Entity, behaviour: &ir::Behaviour, field: &str) {
        let tenant_of = |e: &ir::Entity| {
            e.behaviours.iter().find(|b| b.kind == ir::BehaviourKind::TenantIsolation).and_then(|b| {
                match b.args.first() {
                    Some(Expr::Column { name }) => Some(Self::column_of(e, name)),
                    _ => None,
                }
            })
        };
        let tenant = quote::ident(&Self::column_of(entity, field));
        let mut checks = Vec::new();
        for fk in &entity.foreign_keys {
            let Some(parent) = self.ir.entity(&fk.references) else { continue };
            let Some(parent_tenant) = tenant_of(parent) else { continue };
            let columns = Self::columns_of(entity, &fk.columns);
            if columns.iter().any(|c| quote::ident(c) == tenant) {
                continue; // the key carries the tenant already
            }
            let referenced = Self::columns_of(parent, &fk.referenced_columns);
            let set: Vec<String> = columns.iter().map(|c| format!("NEW.{} IS NOT NULL", quote::ident(c))).collect();
            let changed: Vec<String> =
                columns.iter().map(|c| format!("NEW.{0} IS DISTINCT FROM OLD.{0}", quote::ident(c))).collect();
            let matches: Vec<String> = referenced
                .iter()
                .zip(&columns)
                .map(|(p, c)| format!("p.{} = NEW.{}", quote::ident(p), quote::ident(c)))
                .collect();
            let shown: Vec<String> = columns.iter().map(|c| format!("NEW.{}", quote::ident(c))).collect();
            checks.push(format!(
                "  IF {} AND (TG_OP = 'INSERT' OR {} OR NEW.{tenant} IS DISTINCT FROM OLD.{tenant})\n     \
                 AND NOT EXISTS (SELECT 1 FROM {} p WHERE {} AND p.{} = NEW.{tenant}) THEN\n    \
                 RAISE EXCEPTION 'no row of % with key % in this tenant', {}, concat_ws(', ', {})\n      \
                 USING ERRCODE = 'foreign_key_violation';\n  END IF;\n",
                set.join(" AND "),
                changed.join(" OR "),
                self.table_name(&parent.table),
                matches.join(" AND "),
                quote::ident(&parent_tenant),
                quote::literal(&parent.table),
                shown.join(", ")
            ));
        }
        if checks.is_empty() {
            return;
        }
        let body = format!("\nBEGIN\n{}  RETURN NEW;\nEND\n", checks.concat());
        let comment = provenance(
            entity,
            behaviour,
            &format!("Refuses references from `{}` to rows of another tenant.", entity.table),
        );
        let function = self.row_trigger(entity, "same_tenant", "BEFORE", &["INSERT", "UPDATE"], body, comment);
        // Like a foreign key check: whatever the writer may see.
        self.run_as_owner(&function);
    }
}
