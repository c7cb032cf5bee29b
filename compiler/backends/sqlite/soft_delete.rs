//! `soft_delete(deleted_at)` on SQLite: DELETE marks a live row instead of
//! removing it; a marked row stays until it is purged.
//!
//! - `<table>_soft_delete`, a BEFORE DELETE row trigger on live rows
//!   (`deleted_at IS NULL`): sets `deleted_at`, deletes the children that
//!   soft-delete too and whose foreign key cascades (which marks them), then
//!   `SELECT RAISE(IGNORE)` skips the row's delete — the design's rule for
//!   SQLite. Changes a trigger made before RAISE(IGNORE) stay.
//! - `<table>_keep_deleted`, a BEFORE DELETE row trigger on marked rows:
//!   skips their delete too, unless the purge switch is on — a row in
//!   `schemac_purge`, the one-row table that stands in for PostgreSQL's
//!   session setting (SQLite has none, and a trigger cannot see a TEMP
//!   table). A purge sets it, deletes and clears it in one transaction;
//!   SQLite has one writer at a time, so no other connection's delete ever
//!   sees it on. So a second delete changes nothing, as on PostgreSQL.
//! - A hard delete cascading from a parent that is gone (a purge, or a
//!   parent that does not soft-delete) goes through, as on PostgreSQL:
//!   neither trigger fires when a cascading parent no longer exists.
//! - `<table>_live`, a view of the live rows, and `<table>_live_delete`, an
//!   INSTEAD OF DELETE trigger on it that deletes (so marks) the row.
//! - Unique keys hold among live rows only: done in the IR
//!   (`semantic/behaviours.rs`), they arrive here as partial unique indexes.
//!
//! A cascading foreign key of the entity to itself is E0802: SQLite does not
//! re-fire a trigger from its own statements (`recursive_triggers` is off by
//! default), so the children would be deleted for good while the parent is
//! only marked.

use super::expr::NOW;
use super::lower::Lowering;
use super::model::{Check, Column, Table, View};
use super::quote::ident;
use super::render;
use crate::semantic::ir::{self, BehaviourKind, RefAction};

/// The purge switch's table.
pub const PURGE: &str = "schemac_purge";

impl Lowering<'_> {
    pub(super) fn lower_soft_delete(&mut self, entity: &ir::Entity, deleted_at: &str, pattern: &str) {
        if entity.foreign_keys.iter().any(|fk| fk.references == entity.name && fk.on_delete == RefAction::Cascade) {
            self.unsupported(
                &format!(
                    "pattern `{pattern}` (soft delete) on `{}` with an `on delete cascade` to itself",
                    entity.name
                ),
                &entity.id,
                "SQLite does not fire a trigger from its own statements, so marking a row could not mark its \
                 children and would delete them for good: make the relation `on delete restrict` or `set null` for a \
                 SQLite target",
            );
            return;
        }
        let d = ident(deleted_at);
        let parents_exist: Vec<String> =
            self.cascading_parents(entity).into_iter().map(|gone| format!("NOT {gone}")).collect();
        let mut when = vec![format!("OLD.{d} IS NULL")];
        when.extend(parents_exist.iter().cloned());
        let mut body = vec![format!(
            "UPDATE {} SET {d} = {NOW} WHERE {};",
            ident(&entity.table),
            Self::row_condition(entity, "OLD")
        )];
        body.extend(self.soft_deleting_children(entity));
        body.push("SELECT RAISE(IGNORE);".into());
        self.push_trigger(
            &entity.table,
            "soft_delete",
            "BEFORE",
            "DELETE",
            Some(&when.join(" AND ")),
            &body,
            format!(
                "Turns DELETE of a live row into setting `{deleted_at}` (pattern `{pattern}`); deleting a marked row \
                 deletes it for good."
            ),
        );
        if self.purge_switch(entity) {
            let mut keep = vec![format!("OLD.{d} IS NOT NULL"), format!("NOT EXISTS (SELECT 1 FROM {})", ident(PURGE))];
            keep.extend(parents_exist);
            self.push_trigger(
                &entity.table,
                "keep_deleted",
                "BEFORE",
                "DELETE",
                Some(&keep.join(" AND ")),
                &["SELECT RAISE(IGNORE);".to_string()],
                format!(
                    "Keeps rows marked by `{deleted_at}` (pattern `{pattern}`) unless a purge is running \
                     (`{PURGE}` has a row)."
                ),
            );
        }
        self.live_view(entity, deleted_at, pattern);
    }

    /// Creates `schemac_purge`, the purge switch, the first time an entity
    /// soft-deletes; false when its name is taken (reported).
    fn purge_switch(&mut self, entity: &ir::Entity) -> bool {
        if self.schema.table(PURGE).is_some() {
            return true;
        }
        if !self.claim(PURGE, "the purge switch of pattern `soft_delete`", &entity.id) {
            return false;
        }
        self.schema.tables.push(Table {
            name: PURGE.into(),
            columns: vec![Column {
                name: "active".into(),
                ty: "INTEGER".into(),
                not_null: true,
                rowid_alias: true,
                comment: Some("1 while a purge runs.".into()),
                ..Column::default()
            }],
            primary_key: vec!["active".into()],
            checks: vec![Check { name: format!("{PURGE}_active_check"), expr: "\"active\" = 1".into() }],
            strict: self.options.strict,
            comment: Some(
                "The purge switch of pattern `soft_delete`: empty, except inside the transaction of a purge, which \
                 lets deleting a marked row remove it. Made by schemac."
                    .into(),
            ),
            ..Table::default()
        });
        true
    }

    /// One condition per `on delete cascade` foreign key: true when the
    /// parent row the key names is gone.
    fn cascading_parents(&self, entity: &ir::Entity) -> Vec<String> {
        let mut out = Vec::new();
        for fk in entity.foreign_keys.iter().filter(|fk| fk.on_delete == RefAction::Cascade) {
            let Some(parent) = self.ir.entity(&fk.references) else { continue };
            let columns = Self::columns_of(entity, &fk.columns);
            let referenced = Self::columns_of(parent, &fk.referenced_columns);
            let set: Vec<String> = columns.iter().map(|c| format!("OLD.{} IS NOT NULL", ident(c))).collect();
            let matches: Vec<String> =
                referenced.iter().zip(&columns).map(|(p, c)| format!("p.{} = OLD.{}", ident(p), ident(c))).collect();
            out.push(format!(
                "({} AND NOT EXISTS (SELECT 1 FROM {} AS p WHERE {}))",
                set.join(" AND "),
                ident(&parent.table),
                matches.join(" AND ")
            ));
        }
        out
    }

    /// `DELETE FROM child WHERE fk = OLD.key AND <child live>` for every
    /// other entity that soft-deletes too and whose foreign key to this one
    /// cascades: its own trigger marks the rows.
    fn soft_deleting_children(&self, entity: &ir::Entity) -> Vec<String> {
        let mut out = Vec::new();
        for child in self.ir.entities.iter().filter(|c| c.name != entity.name) {
            let Some(marker) = child.behaviours.iter().find(|b| b.kind == BehaviourKind::SoftDelete) else { continue };
            let Some(ir::Expr::Column { name }) = marker.args.first() else { continue };
            let child_deleted_at = child.column_of(name);
            let cascading = child
                .foreign_keys
                .iter()
                .filter(|fk| fk.references == entity.name && fk.on_delete == RefAction::Cascade);
            for fk in cascading {
                let columns = Self::columns_of(child, &fk.columns);
                let referenced = Self::columns_of(entity, &fk.referenced_columns);
                let mut matches: Vec<String> =
                    columns.iter().zip(&referenced).map(|(c, p)| format!("{} = OLD.{}", ident(c), ident(p))).collect();
                matches.push(format!("{} IS NULL", ident(&child_deleted_at)));
                out.push(format!("DELETE FROM {} WHERE {};", ident(&child.table), matches.join(" AND ")));
            }
        }
        out
    }

    /// `<table>_live`: the rows not marked deleted, every column; DELETE
    /// through it marks the row.
    fn live_view(&mut self, entity: &ir::Entity, deleted_at: &str, pattern: &str) {
        let name = format!("{}_live", entity.table);
        let what = format!("the live view of `{}` (pattern `{pattern}`)", entity.name);
        if !self.claim(&name, &what, &entity.id) {
            return;
        }
        let columns: Vec<String> = self
            .schema
            .table(&entity.table)
            .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default();
        let list: Vec<String> = columns.iter().map(|c| ident(c)).collect();
        let query =
            format!("SELECT {} FROM {} WHERE {} IS NULL", list.join(", "), ident(&entity.table), ident(deleted_at));
        self.schema.views.push(View {
            sql: render::view_statement(&name, &query),
            name: name.clone(),
            columns,
            comment: Some(format!(
                "The rows of `{}` not deleted; DELETE here marks them (pattern `{pattern}`).",
                entity.table
            )),
        });
        if entity.primary_key.is_empty() {
            return;
        }
        let body = [format!("DELETE FROM {} WHERE {};", ident(&entity.table), Self::row_condition(entity, "OLD"))];
        self.push_trigger(
            &name,
            "delete",
            "INSTEAD OF",
            "DELETE",
            None,
            &body,
            format!("DELETE on `{name}` marks the row deleted."),
        );
    }
}
