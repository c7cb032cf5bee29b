//! `temporal(valid_from)` on MySQL/MariaDB: every past version of a row is
//! kept in `<table>_history`.
//!
//! - `<table>_history` has the table's columns (plain: no keys, defaults,
//!   AUTO_INCREMENT or generation; nullable but for the key and
//!   `valid_from`) plus `valid_to`; a version was current from `valid_from`
//!   (inclusive) to `valid_to` (exclusive). An index on (key, `valid_from`)
//!   finds one row's versions. MariaDB's system-versioned tables would do
//!   this natively but do not exist on MySQL, so both get the triggers.
//! - The table's BEFORE UPDATE trigger starts the new version now (UTC), or
//!   at the old version's start when that is later; AFTER UPDATE and AFTER
//!   DELETE triggers (`<table>_history_update`, `_delete`) file the old
//!   version unless it lived for no time. Triggers run with their definer's
//!   privileges, so writers need none on the history.
//! - There is no as-of function (MySQL functions return no rows): the rows
//!   as of a time are the history's versions current then plus the table's
//!   rows whose `valid_from` is not later (spec/backends/mysql.md).

use super::expr;
use super::lower::{block, Lowering};
use super::model::{Column, Index, Table, Trigger};
use super::quote::{ident, ident_list};
use crate::semantic::ir;

/// The column that closes a version in the history table.
pub const VALID_TO: &str = "valid_to";

impl Lowering<'_> {
    /// Files the old versions of `entity`'s rows; returns the statement the
    /// table's BEFORE UPDATE trigger runs to start a new version.
    pub(super) fn lower_temporal(&mut self, entity: &ir::Entity, valid_from: &str, pattern: &str) -> Option<String> {
        let history = format!("{}_history", entity.table);
        let what = format!("the history table of entity `{}` (pattern `{pattern}`)", entity.name);
        if !self.claim_relation(&history, &what, &entity.id) {
            return None;
        }
        let table = self.schema.tables.iter().find(|t| t.name == entity.table)?.clone();
        let key: Vec<String> = table.primary_key.clone();
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
            ty: "datetime(6)".into(),
            not_null: true,
            comment: Some("When this version stopped being current (exclusive).".into()),
            ..Column::default()
        });
        let mut keys: Vec<String> = key.iter().map(|c| ident(c)).collect();
        keys.push(ident(valid_from));
        let index = super::names::fit(&format!("{history}_{}_{valid_from}_idx", key.join("_")));
        self.schema.tables.push(Table {
            name: history.clone(),
            columns,
            indexes: vec![Index {
                name: index,
                unique: false,
                keys,
                implicit: false,
                comment: Some("Finds one row's versions.".into()),
            }],
            collation: table.collation.clone(),
            comment: Some(format!(
                "Past versions of `{}` (pattern `{pattern}`), each current from {valid_from} to {VALID_TO}.",
                entity.table
            )),
            ..Table::default()
        });
        let names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
        let old: Vec<String> = names.iter().map(|c| format!("OLD.{}", ident(c))).collect();
        let from = ident(valid_from);
        let file = |until: &str| {
            format!(
                "IF OLD.{from} < {until} THEN INSERT INTO {} ({}, {}) VALUES ({}, {until}); END IF;",
                ident(&history),
                ident_list(&names),
                ident(VALID_TO),
                old.join(", ")
            )
        };
        for (event, done, until) in
            [("UPDATE", "updated", format!("NEW.{from}")), ("DELETE", "deleted", expr::NOW.to_string())]
        {
            let name =
                Self::generate(&mut self.triggers, &format!("{history}_{}", event.to_ascii_lowercase()), "a trigger");
            self.schema.triggers.push(Trigger {
                name,
                table: entity.table.clone(),
                timing: "AFTER".into(),
                event: event.into(),
                body: block(&[file(&until)]),
                comment: Some(format!("Files the old version of each {done} row in `{history}`.")),
            });
        }
        Some(format!("SET NEW.{from} = greatest({}, OLD.{from});", expr::NOW))
    }
}
