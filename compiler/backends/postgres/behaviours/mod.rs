//! Pattern behaviours on PostgreSQL: trigger functions in plpgsql, history
//! tables and as-of functions, the live view and purge function of soft
//! delete, the audit log, row-level security for tenant isolation. One file
//! per behaviour.
//!
//! Every object is named from its table (`post_touch`, `post_history`), so
//! the same schema always gives the same names and the migration planner
//! diffs them like any other object. Names users query (history tables, live
//! views, as-of and purge functions, the audit log) are claimed like
//! user-chosen names: a clash is E0801, never a silent `post_history1`.
//!
//! This module builds model objects and routine bodies; statements are
//! printed by `render.rs`. Every name and literal in a body goes through
//! `quote`.

mod audit;
mod immutable;
mod optimistic_lock;
mod soft_delete;
mod temporal;
mod tenant_isolation;
mod touch;

use super::lower::Lowering;
use super::model::{Function, Trigger};
use super::quote;
use crate::semantic::ir::{self, BehaviourKind, Expr};

/// The order behaviours are lowered in: tenant isolation last, so it also
/// covers the history table `temporal` made.
const ORDER: [BehaviourKind; 7] = [
    BehaviourKind::Touch,
    BehaviourKind::Immutable,
    BehaviourKind::OptimisticLock,
    BehaviourKind::SoftDelete,
    BehaviourKind::Temporal,
    BehaviourKind::Audit,
    BehaviourKind::TenantIsolation,
];

/// The session setting a purge turns on so that soft-delete triggers let
/// the delete through.
pub const PURGE_SETTING: &str = "schemac.purge";

impl<'a> Lowering<'a> {
    pub(super) fn lower_behaviours(&mut self) {
        let ir = self.ir;
        self.find_soft_children();
        let mut audited = Vec::new();
        for entity in &ir.entities {
            for kind in ORDER {
                let Some(behaviour) = entity.behaviours.iter().find(|b| b.kind == kind) else { continue };
                match kind {
                    BehaviourKind::Touch => self.lower_touch(entity, behaviour),
                    BehaviourKind::Immutable => self.lower_immutable(entity, behaviour),
                    BehaviourKind::OptimisticLock => self.lower_optimistic_lock(entity, behaviour),
                    BehaviourKind::SoftDelete => self.lower_soft_delete(entity, behaviour),
                    BehaviourKind::Temporal => self.lower_temporal(entity, behaviour),
                    BehaviourKind::Audit => audited.push(entity),
                    BehaviourKind::TenantIsolation => self.lower_tenant_isolation(entity, behaviour),
                }
            }
        }
        if !audited.is_empty() {
            self.lower_audit(&audited);
        }
    }

    /// The column a behaviour's argument names.
    fn argument(entity: &ir::Entity, behaviour: &ir::Behaviour, position: usize) -> String {
        match behaviour.args.get(position) {
            Some(Expr::Column { name }) => Self::column_of(entity, name),
            _ => String::new(),
        }
    }

    fn table_name(&self, table: &str) -> String {
        quote::qualified(&self.options.schema, table)
    }

    /// A row trigger and its function, both named `<table>_<what>`.
    fn row_trigger(
        &mut self,
        entity: &ir::Entity,
        what: &str,
        timing: &str,
        events: &[&str],
        body: String,
        comment: String,
    ) -> String {
        let name = self.routines.generate(&[&entity.table, what]);
        let trigger = self.triggers.generate(&[&entity.table, what]);
        self.catalog.functions.push(trigger_function(&name, body, comment.clone()));
        self.catalog.triggers.push(Trigger {
            name: trigger,
            table: entity.table.clone(),
            timing: timing.into(),
            events: events.iter().map(|e| e.to_string()).collect(),
            for_each_row: true,
            function: name.clone(),
            arguments: Vec::new(),
            comment: Some(comment),
        });
        name
    }

    /// Makes a generated function SECURITY DEFINER, with a `search_path`
    /// nothing a caller controls comes first in (bodies qualify every name
    /// anyway).
    fn run_as_owner(&mut self, function: &str) {
        let search_path = format!("pg_catalog, {}, pg_temp", quote::ident(&self.options.schema));
        // Just made: search from the end.
        if let Some(f) = self.catalog.functions.iter_mut().rev().find(|f| f.name == function) {
            f.security_definer = true;
            f.search_path = Some(search_path);
        }
    }
}

fn trigger_function(name: &str, body: String, comment: String) -> Function {
    Function {
        name: name.to_string(),
        returns: "trigger".into(),
        language: "plpgsql".into(),
        body,
        comment: Some(comment),
        ..Function::default()
    }
}

/// `Added by pattern `x` on `Entity`: …` — every generated object says
/// where it came from.
fn provenance(entity: &ir::Entity, behaviour: &ir::Behaviour, what: &str) -> String {
    if behaviour.pattern.is_empty() {
        format!("{what} (behaviour on `{}`).", entity.name)
    } else {
        format!("{what} Added by pattern `{}` on `{}`.", behaviour.pattern, entity.name)
    }
}

/// `"a" = OLD."a" AND "b" = OLD."b"`: the row `OLD` is, by primary key.
fn same_key(columns: &[String], row: &str) -> String {
    columns.iter().map(|c| format!("{0} = {row}.{0}", quote::ident(c))).collect::<Vec<_>>().join(" AND ")
}
