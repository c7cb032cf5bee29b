//! `temporal(valid_from)` on SQLite: every past version of a row is kept in
//! `<table>_history`, by triggers.
//!
//! - `<table>_history` has the table's columns (plain: no keys, defaults,
//!   checks or generation; optional but for the key and `valid_from`) plus
//!   `valid_to`; a version was current from `valid_from` (inclusive) to
//!   `valid_to` (exclusive), as on PostgreSQL. An index on (key,
//!   `valid_from`) finds one row's versions. SQLite has no exclusion
//!   constraints: nothing but the triggers keeps periods from overlapping.
//! - An update files the old version and starts the new one at `now()` (or
//!   at the old version's start when that is later) in the table's one
//!   AFTER UPDATE trigger (`lower.rs`: SQLite cannot change NEW in a BEFORE
//!   trigger, so the new start is set by an inner UPDATE). `now()` is one
//!   value for a whole statement, triggers included, so `valid_to` of the
//!   filed version equals `valid_from` of the new one. A delete files the
//!   old version from `<table>_history_delete` (AFTER DELETE). A version
//!   that lived for no time is not filed.
//! - An update that sets `valid_from` itself keeps it and files nothing.
//! - There is no as-of function (SQLite has no functions); the as-of query
//!   is in spec/backends/sqlite.md.
//!
//! Decides the SQL; statements are printed by `render.rs`.

use super::expr::NOW;
use super::lower::Lowering;
use super::model::{Column, Index, Table};
use super::quote::{ident, ident_list};
use crate::semantic::ir;

/// The column that closes a version in the history table.
pub const VALID_TO: &str = "valid_to";

/// What the table's AFTER UPDATE trigger needs to version a row.
pub struct Versioning {
    pub history: String,
    pub valid_from: String,
    /// The statement that files the old version on an update.
    pub file_on_update: String,
}

impl Lowering<'_> {
    pub(super) fn lower_temporal(
        &mut self,
        entity: &ir::Entity,
        valid_from: &str,
        pattern: &str,
    ) -> Option<Versioning> {
        let history = format!("{}_history", entity.table);
        let what = format!("the history table of entity `{}` (pattern `{pattern}`)", entity.name);
        if !self.claim(&history, &what, &entity.id) {
            return None;
        }
        let table = self.schema.table(&entity.table)?.clone();
        let key = table.primary_key.clone();
        let mut columns: Vec<Column> = table
            .columns
            .iter()
            .map(|c| Column {
                name: c.name.clone(),
                ty: c.ty.clone(),
                not_null: key.contains(&c.name) || c.name == valid_from,
                comment: c.comment.clone(),
                ..Column::default()
            })
            .collect();
        columns.push(Column {
            name: VALID_TO.into(),
            ty: "TEXT".into(),
            not_null: true,
            comment: Some("When this version stopped being current (exclusive).".into()),
            ..Column::default()
        });
        self.schema.tables.push(Table {
            name: history.clone(),
            columns,
            strict: table.strict,
            comment: Some(format!(
                "Past versions of `{}` (pattern `{pattern}`), each current from {valid_from} to {VALID_TO}.",
                entity.table
            )),
            ..Table::default()
        });
        let mut parts = vec![history.clone()];
        parts.extend(key.iter().cloned());
        parts.extend([valid_from.to_string(), "idx".into()]);
        let index = self.generate(&parts.join("_"), "an index");
        let mut keys: Vec<String> = key.iter().map(|c| ident(c)).collect();
        keys.push(ident(valid_from));
        self.schema.indexes.push(Index {
            name: index,
            table: history.clone(),
            unique: false,
            keys,
            predicate: None,
            comment: Some("Finds one row's versions.".into()),
        });

        let names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
        let old: Vec<String> = names.iter().map(|c| format!("OLD.{}", ident(c))).collect();
        let from = ident(valid_from);
        let file = |condition: &str| {
            format!(
                "INSERT INTO {} ({}, {}) SELECT {}, {NOW} WHERE {condition};",
                ident(&history),
                ident_list(&names),
                ident(VALID_TO),
                old.join(", ")
            )
        };
        let on_delete = file(&format!("OLD.{from} < {NOW}"));
        self.push_trigger(
            &entity.table,
            "history_delete",
            "AFTER",
            "DELETE",
            None,
            &[on_delete],
            format!("Files the old version of each deleted row in `{history}`."),
        );
        Some(Versioning {
            file_on_update: file(&format!("NEW.{from} IS OLD.{from} AND OLD.{from} < {NOW}")),
            history,
            valid_from: valid_from.to_string(),
        })
    }
}
