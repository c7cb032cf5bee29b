//! `soft_delete(deleted_at)`: DELETE marks the row instead of removing it.
//!
//! - A BEFORE DELETE row trigger sets `deleted_at` and returns NULL, so the
//!   row stays (the client sees `DELETE 0` on the table). Deleting a row
//!   already marked does nothing. Children that also soft-delete and whose
//!   foreign key says `on delete cascade` are deleted in turn — and so
//!   marked too. The function is SECURITY DEFINER: deleting takes the
//!   DELETE privilege only (like a real delete and its cascades), not
//!   UPDATE on the table or SELECT on the parents it checks.
//! - A hard delete cascading from a parent that does not soft-delete goes
//!   through: keeping the row would leave it pointing at a parent that is
//!   gone (PostgreSQL does not check rows a trigger kept).
//! - `<table>_live` shows the unmarked rows; DELETE through it has an
//!   INSTEAD OF trigger that marks the row and reports it deleted.
//! - `<table>_purge(deleted_before)` removes for good the rows marked before a time
//!   (it turns on the `schemac.purge` session setting, which the trigger
//!   lets through).
//!
//! Unique keys holding among live rows only is done in the IR
//! (`semantic/behaviours.rs`), for every backend.

use super::{provenance, same_key, PURGE_SETTING};
use crate::backends::postgres::lower::{self, Lowering};
use crate::backends::postgres::model::{Function, Trigger, View};
use crate::backends::postgres::quote;
use crate::semantic::ir::{self, BehaviourKind, RefAction};

impl Lowering<'_> {
    pub(super) fn lower_soft_delete(&mut self, entity: &ir::Entity, behaviour: &ir::Behaviour) {
        let deleted_at = Self::argument(entity, behaviour, 0);
        let d = quote::ident(&deleted_at);
        let table = self.table_name(&entity.table);
        let key = Self::columns_of(entity, &entity.primary_key);
        let purge = quote::literal(PURGE_SETTING);

        let mut body =
            format!("\nBEGIN\n  IF current_setting({purge}, true) = 'on' THEN\n    RETURN OLD;\n  END IF;\n");
        let parents = self.cascading_parents(entity);
        if !parents.is_empty() {
            body.push_str("  -- A hard delete cascading from a parent that is gone: keeping the row\n  -- would leave it pointing nowhere.\n  IF pg_trigger_depth() > 1 AND (");
            body.push_str(&parents.join("\n      OR "));
            body.push_str(") THEN\n    RETURN OLD;\n  END IF;\n");
        }
        body.push_str(&format!("  UPDATE {table} SET {d} = now() WHERE {} AND {d} IS NULL;\n", same_key(&key, "OLD")));
        let children = self.soft_deleting_children(entity);
        if !children.is_empty() {
            body.push_str("  IF FOUND THEN\n");
            for child in &children {
                body.push_str(&format!("    {child};\n"));
            }
            body.push_str("  END IF;\n");
        }
        body.push_str("  RETURN NULL;\nEND\n");
        let comment = provenance(
            entity,
            behaviour,
            &format!("Turns DELETE into setting `{deleted_at}`; `{}_purge` deletes for good.", entity.table),
        );
        let function = self.row_trigger(entity, "soft_delete", "BEFORE", &["DELETE"], body, comment);
        // DELETE privilege (and the row passing the DELETE policies) is what
        // deleting takes: marking the row, cascading to the children and
        // looking for the parents run as the owner, as a foreign key's
        // cascade does — not with the deleter's UPDATE or SELECT privileges.
        self.run_as_owner(&function);

        self.live_view(entity, behaviour, &deleted_at, &key);
        self.purge_function(entity, behaviour, &deleted_at);
    }

    /// Conditions, one per `on delete cascade` foreign key of the entity,
    /// true when the parent row the key names no longer exists.
    fn cascading_parents(&self, entity: &ir::Entity) -> Vec<String> {
        let mut out = Vec::new();
        for fk in entity.foreign_keys.iter().filter(|fk| fk.on_delete == RefAction::Cascade) {
            let Some(parent) = self.ir.entity(&fk.references) else { continue };
            let columns = Self::columns_of(entity, &fk.columns);
            let referenced = Self::columns_of(parent, &fk.referenced_columns);
            let set: Vec<String> = columns.iter().map(|c| format!("OLD.{} IS NOT NULL", quote::ident(c))).collect();
            let matches: Vec<String> = referenced
                .iter()
                .zip(&columns)
                .map(|(p, c)| format!("p.{} = OLD.{}", quote::ident(p), quote::ident(c)))
                .collect();
            out.push(format!(
                "({} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {}))",
                set.join(" AND "),
                self.table_name(&parent.table),
                matches.join(" AND ")
            ));
        }
        out
    }

    /// `DELETE FROM child WHERE fk = OLD.key` for every entity that soft-deletes
    /// too and whose foreign key to this one cascades.
    fn soft_deleting_children(&self, entity: &ir::Entity) -> Vec<String> {
        let children = self.soft_children.get(&entity.name).into_iter().flatten();
        children
            .map(|(child, fk)| {
                let columns = Self::columns_of(child, &fk.columns);
                let referenced = Self::columns_of(entity, &fk.referenced_columns);
                let matches: Vec<String> = columns
                    .iter()
                    .zip(&referenced)
                    .map(|(c, p)| format!("{} = OLD.{}", quote::ident(c), quote::ident(p)))
                    .collect();
                format!("DELETE FROM {} WHERE {}", self.table_name(&child.table), matches.join(" AND "))
            })
            .collect()
    }

    /// Parent entity → the soft-deleting entities whose foreign keys to it
    /// cascade (once for the schema, not once per parent).
    pub(super) fn find_soft_children(&mut self) {
        let ir = self.ir;
        for child in ir.entities.iter().filter(|e| e.behaviours.iter().any(|b| b.kind == BehaviourKind::SoftDelete)) {
            for fk in child.foreign_keys.iter().filter(|fk| fk.on_delete == RefAction::Cascade) {
                self.soft_children.entry(fk.references.clone()).or_default().push((child, fk));
            }
        }
    }

    /// `<table>_live`: the rows not marked deleted, every column; DELETE
    /// through it marks the row and counts it.
    fn live_view(&mut self, entity: &ir::Entity, behaviour: &ir::Behaviour, deleted_at: &str, key: &[String]) {
        let name = lower::generated_name(&entity.table, "live");
        let what = format!("the live view of `{}` (pattern `soft_delete`)", entity.name);
        if !self.claim_user_name("relation", &name, &what, &entity.id) {
            return;
        }
        let columns: Vec<String> =
            self.table(&entity.table).map(|t| t.columns.iter().map(|c| c.name.clone()).collect()).unwrap_or_default();
        let query = format!(
            "SELECT {} FROM {} WHERE {} IS NULL",
            quote::ident_list(&columns),
            self.table_name(&entity.table),
            quote::ident(deleted_at)
        );
        self.catalog.views.push(View {
            name: name.clone(),
            materialized: false,
            security_invoker: true,
            query,
            columns,
            comment: Some(provenance(
                entity,
                behaviour,
                &format!("The rows of `{}` not deleted; DELETE here marks them.", entity.table),
            )),
        });
        let function = self.routines.generate(&[&name, "delete"]);
        let body = format!(
            "\nBEGIN\n  DELETE FROM {} WHERE {};\n  RETURN OLD;\nEND\n",
            self.table_name(&entity.table),
            same_key(key, "OLD")
        );
        let comment = provenance(entity, behaviour, &format!("DELETE on `{name}` marks the row deleted."));
        self.catalog.functions.push(super::trigger_function(&function, body, comment.clone()));
        let trigger = self.triggers.generate(&[&name, "delete"]);
        self.catalog.triggers.push(Trigger {
            name: trigger,
            table: name,
            timing: "INSTEAD OF".into(),
            events: vec!["DELETE".into()],
            for_each_row: true,
            function,
            arguments: Vec::new(),
            comment: Some(comment),
        });
    }

    /// `<table>_purge(deleted_before timestamptz) RETURNS bigint`: deletes for good
    /// the rows marked deleted before `deleted_before`; returns how many.
    fn purge_function(&mut self, entity: &ir::Entity, behaviour: &ir::Behaviour, deleted_at: &str) {
        let name = lower::generated_name(&entity.table, "purge");
        let what = format!("the purge function of `{}` (pattern `soft_delete`)", entity.name);
        if !self.claim_user_name("function", &name, &what, &entity.id) {
            return;
        }
        self.routines.claim(&name);
        let purge = quote::literal(PURGE_SETTING);
        let body = format!(
            "\nDECLARE\n  previous text := coalesce(current_setting({purge}, true), '');\n  purged bigint;\nBEGIN\n  PERFORM set_config({purge}, 'on', true);\n  DELETE FROM {} WHERE {} < deleted_before;\n  GET DIAGNOSTICS purged = ROW_COUNT;\n  PERFORM set_config({purge}, previous, true);\n  RETURN purged;\nEND\n",
            self.table_name(&entity.table),
            quote::ident(deleted_at)
        );
        self.catalog.functions.push(Function {
            name,
            params: vec![("deleted_before".into(), "timestamp with time zone".into())],
            returns: "bigint".into(),
            language: "plpgsql".into(),
            body,
            comment: Some(provenance(
                entity,
                behaviour,
                &format!(
                    "Deletes for good the rows of `{}` marked deleted before `deleted_before`; returns how many.",
                    entity.table
                ),
            )),
            ..Function::default()
        });
    }
}
