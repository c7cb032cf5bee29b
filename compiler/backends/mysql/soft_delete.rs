//! `soft_delete` on MySQL/MariaDB. A MySQL trigger cannot turn a DELETE
//! into an UPDATE (it may not change its own table), so the pattern lowers to
//! objects that keep every row unless a purge is asked for:
//!
//! - `<table>_soft_delete(key…)`, a procedure that marks one row (sets the
//!   marker to `utc_timestamp(6)`) and, when it marked it, marks the rows of
//!   children that soft-delete too and whose foreign key cascades (each
//!   through its own procedure, so the cascade goes down every level);
//! - `<table>_purge(deleted_before, OUT purged)`, a procedure that deletes
//!   for good the rows marked before a time, with the session variable
//!   `` @`schemac.purge` `` set to `on` while it runs;
//! - `<table>_soft_delete`, a BEFORE DELETE trigger that refuses a plain
//!   DELETE (SIGNAL) unless that variable is `on`: a DELETE written for
//!   PostgreSQL fails instead of losing the row;
//! - `<table>_live`, a view of the rows not marked;
//! - each unique key the pattern made partial (`where deleted_at is null`)
//!   becomes a unique key over its columns and `live_key`, a stored
//!   generated column that is 1 on live rows and NULL on marked ones: NULLs
//!   never collide in a unique key, so the key holds among live rows only.
//!
//! A cascade that leads back to the same table (a cycle of soft-deleting
//! entities) is E0802: the procedures would call themselves, which MySQL
//! allows only with `max_sp_recursion_depth` raised. An entity without a
//! primary key is E0802 too (the procedure marks a row by its key).
//!
//! Part of the lowering (`lower.rs`): it fills the model and reports; it
//! prints no statements.

use super::expr;
use super::lower::{block, Lowering, Names};
use super::model::{Column, Index, Procedure, Table, Trigger, View};
use super::quote::{ident, ident_list};
use super::triggers::signal_if;
use crate::semantic::ir::{self, BehaviourKind, Expr};

/// The generated column unique keys add to hold among live rows only.
pub const LIVE_KEY: &str = "live_key";

/// The session variable the purge procedures set; the BEFORE DELETE
/// triggers let a DELETE through only while it is `on`.
pub const PURGE_SWITCH: &str = "@`schemac.purge`";

/// The soft delete marker column of an entity (the behaviour's argument).
pub(super) fn marker(entity: &ir::Entity) -> Option<String> {
    let behaviour = entity.behaviours.iter().find(|b| b.kind == BehaviourKind::SoftDelete)?;
    match behaviour.args.first() {
        Some(Expr::Column { name }) => Some(name.clone()),
        _ => None,
    }
}

impl<'a> Lowering<'a> {
    /// The name of the table's `live_key` column, added when missing: 1 on
    /// live rows, NULL on marked ones (`marker` is the marker's column).
    pub(super) fn live_key(table: &mut Table, marker: &str) -> String {
        let generated = format!("if({} is null,1,NULL)", ident(marker));
        if let Some(c) = table.columns.iter().find(|c| c.generated.as_deref() == Some(generated.as_str())) {
            return c.name.clone();
        }
        let mut name = LIVE_KEY.to_string();
        let mut n = 0;
        while table.column(&name).is_some() {
            n += 1;
            name = format!("{LIVE_KEY}{n}");
        }
        table.columns.push(Column {
            name: name.clone(),
            ty: "tinyint".into(),
            generated: Some(generated),
            comment: Some(format!(
                "1 while the row is live, NULL once `{marker}` is set: unique keys hold among live rows."
            )),
            ..Column::default()
        });
        name
    }

    /// A unique key made partial by soft delete: its columns and `live_key`.
    pub(super) fn live_unique(
        &mut self,
        entity: &ir::Entity,
        table: &mut Table,
        names: &mut Names,
        columns: &[String],
    ) {
        let Some(marker) = marker(entity).map(|m| entity.column_of(&m)) else { return };
        let live = Self::live_key(table, &marker);
        let mut keys = columns.to_vec();
        keys.push(live);
        if !self.key_fits(entity, table, &keys, &format!("the unique key ({})", columns.join(", "))) {
            return;
        }
        let name = Self::generate(names, &format!("{}_{}_key", entity.table, columns.join("_")), "a unique key");
        table.indexes.push(Index {
            name,
            unique: true,
            keys: keys.iter().map(|c| ident(c)).collect(),
            implicit: false,
            comment: Some("Unique among live rows: `live_key` is NULL on soft-deleted ones.".into()),
        });
    }

    /// The procedures, the trigger and the view of `entity`'s soft delete.
    pub(super) fn lower_soft_delete(&mut self, entity: &ir::Entity, pattern: &str) {
        let Some(marker) = marker(entity).map(|m| entity.column_of(&m)) else { return };
        if entity.primary_key.is_empty() {
            self.unsupported(
                &format!("pattern `{pattern}` (soft delete) on `{}`, which has no primary key", entity.name),
                &entity.id,
                "the soft delete procedure marks a row by its primary key: give the entity one",
            );
            return;
        }
        if self.soft_delete_cycle(entity) {
            self.unsupported(
                &format!("pattern `{pattern}` (soft delete) on `{}`, whose cascade leads back to it", entity.name),
                &entity.id,
                "marking a row would call its own procedure again, which MySQL refuses unless \
                 max_sp_recursion_depth is raised: make one of the relations `restrict` or `set null`",
            );
            return;
        }
        let Some(table) = self.schema.table(&entity.table).cloned() else { return };
        let t = ident(&entity.table);
        let qualified = |c: &str| format!("{t}.{}", ident(c));
        let parameters: Vec<String> = table
            .primary_key
            .iter()
            .map(|c| format!("IN {} {}", ident(&format!("p_{c}")), table.column(c).map_or("text", |c| c.ty.as_str())))
            .collect();
        let by_key: Vec<String> =
            table.primary_key.iter().map(|c| format!("{} = {}", qualified(c), ident(&format!("p_{c}")))).collect();
        let soft_delete = format!("{}_soft_delete", entity.table);
        let purge = format!("{}_purge", entity.table);
        let live = format!("{}_live", entity.table);
        let what = format!("pattern `{pattern}` on `{}`", entity.name);
        let mut statements = vec![format!(
            "UPDATE {t} SET {} = {} WHERE {} AND {} IS NULL;",
            qualified(&marker),
            expr::NOW,
            by_key.join(" AND "),
            qualified(&marker)
        )];
        let cascades = self.soft_delete_cascades(entity, &by_key);
        if !cascades.is_empty() {
            statements.push(format!("IF ROW_COUNT() > 0 THEN\n{}\n  END IF;", cascades.join("\n")));
        }
        let fits = self.fits(&soft_delete, &format!("the soft delete procedure of {what}"), &entity.id)
            && self.fits(&purge, &format!("the purge procedure of {what}"), &entity.id);
        if !fits {
            return;
        }
        self.schema.procedures.push(Procedure {
            name: soft_delete.clone(),
            parameters,
            security: "INVOKER".into(),
            body: block(&statements),
            comment: Some(format!(
                "Marks one row of `{}` deleted (sets `{marker}`), and the rows of soft-deleting children whose \
                 foreign key cascades. Added by {what}.",
                entity.table
            )),
        });
        self.schema.procedures.push(Procedure {
            name: purge.clone(),
            parameters: vec!["IN `deleted_before` datetime(6)".into(), "OUT `purged` bigint".into()],
            security: "INVOKER".into(),
            body: block(&[
                format!("DECLARE previous text DEFAULT {PURGE_SWITCH};"),
                format!("DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN SET {PURGE_SWITCH} = previous; RESIGNAL; END;"),
                format!("SET {PURGE_SWITCH} = 'on';"),
                format!("DELETE FROM {t} WHERE {} < `deleted_before`;", qualified(&marker)),
                "SET `purged` = ROW_COUNT();".into(),
                format!("SET {PURGE_SWITCH} = previous;"),
            ]),
            comment: Some(format!(
                "Deletes for good the rows of `{}` marked before `deleted_before`; `purged` is how many. Added by \
                 {what}.",
                entity.table
            )),
        });
        if self.claim_trigger(&soft_delete, &format!("the soft delete trigger of {what}"), &entity.id) {
            let message =
                format!("{} is soft-deleted: CALL {soft_delete}(…) marks a row, {purge}(…) deletes", entity.table);
            self.schema.triggers.push(Trigger {
                name: soft_delete.clone(),
                table: entity.table.clone(),
                timing: "BEFORE".into(),
                event: "DELETE".into(),
                body: block(&[signal_if(&format!("NOT ({PURGE_SWITCH} <=> 'on')"), &message)]),
                comment: Some(format!(
                    "Refuses a plain DELETE, which MySQL cannot turn into marking the row: CALL `{soft_delete}`. \
                     Added by {what}."
                )),
            });
        }
        if self.claim_relation(&live, &format!("the live view of {what}"), &entity.id) {
            let columns: Vec<String> = entity.fields.iter().map(|f| f.column.clone()).collect();
            self.schema.views.push(View {
                name: live,
                query: format!("SELECT {} FROM {t} WHERE {} IS NULL", ident_list(&columns), ident(&marker)),
                columns,
                security: "INVOKER".into(),
                comment: Some(format!("The rows of `{}` not deleted. Added by {what}.", entity.table)),
            });
        }
    }

    /// One block per soft-deleting child whose foreign key to `entity`
    /// cascades: a cursor over its live rows of the marked row, each marked
    /// by the child's own procedure.
    fn soft_delete_cascades(&self, entity: &ir::Entity, by_key: &[String]) -> Vec<String> {
        let mut blocks = Vec::new();
        for child in self.ir.entities.iter().filter(|c| marker(c).is_some()) {
            let Some(child_table) = self.schema.table(&child.table) else { continue };
            for fk in child.foreign_keys.iter().filter(|fk| fk.references == entity.name) {
                if fk.on_delete != ir::RefAction::Cascade {
                    continue;
                }
                let n = blocks.len() + 1;
                let c = ident(&child.table);
                let child_marker = marker(child).map(|m| child.column_of(&m)).unwrap_or_default();
                let join: Vec<String> = fk
                    .columns
                    .iter()
                    .zip(&fk.referenced_columns)
                    .map(|(own, theirs)| {
                        format!(
                            "{c}.{} = {}.{}",
                            ident(&child.column_of(own)),
                            ident(&entity.table),
                            ident(&entity.column_of(theirs))
                        )
                    })
                    .collect();
                let key = &child_table.primary_key;
                let variables: Vec<String> = key.iter().map(|k| ident(&format!("child{n}_{k}"))).collect();
                let mut lines = Vec::new();
                lines.push("    BEGIN".to_string());
                lines.push(format!("      DECLARE done{n} INT DEFAULT 0;"));
                for (k, v) in key.iter().zip(&variables) {
                    let ty = child_table.column(k).map_or("text", |c| c.ty.as_str());
                    lines.push(format!("      DECLARE {v} {ty};"));
                }
                let selected: Vec<String> = key.iter().map(|k| format!("{c}.{}", ident(k))).collect();
                lines.push(format!(
                    "      DECLARE children{n} CURSOR FOR SELECT {} FROM {c} JOIN {} ON {} WHERE {} AND {c}.{} IS NULL;",
                    selected.join(", "),
                    ident(&entity.table),
                    join.join(" AND "),
                    by_key.join(" AND "),
                    ident(&child_marker)
                ));
                lines.push(format!("      DECLARE CONTINUE HANDLER FOR NOT FOUND SET done{n} = 1;"));
                lines.push(format!("      OPEN children{n};"));
                lines.push(format!("      mark{n}: LOOP"));
                lines.push(format!("        FETCH children{n} INTO {};", variables.join(", ")));
                lines.push(format!("        IF done{n} THEN LEAVE mark{n}; END IF;"));
                lines.push(format!(
                    "        CALL {}({});",
                    ident(&format!("{}_soft_delete", child.table)),
                    variables.join(", ")
                ));
                lines.push(format!("      END LOOP mark{n};"));
                lines.push(format!("      CLOSE children{n};"));
                lines.push("    END;".to_string());
                blocks.push(lines.join("\n"));
            }
        }
        blocks
    }

    /// Whether marking a row of `entity` would, through cascading foreign
    /// keys between soft-deleting entities, come back to `entity`.
    fn soft_delete_cycle(&self, entity: &ir::Entity) -> bool {
        let children = |name: &str| -> Vec<String> {
            self.ir
                .entities
                .iter()
                .filter(|c| marker(c).is_some())
                .filter(|c| {
                    c.foreign_keys.iter().any(|fk| fk.references == name && fk.on_delete == ir::RefAction::Cascade)
                })
                .map(|c| c.name.clone())
                .collect()
        };
        let mut seen: Vec<String> = Vec::new();
        let mut todo = children(&entity.name);
        while let Some(next) = todo.pop() {
            if next == entity.name {
                return true;
            }
            if !seen.contains(&next) {
                todo.extend(children(&next));
                seen.push(next);
            }
        }
        false
    }
}
