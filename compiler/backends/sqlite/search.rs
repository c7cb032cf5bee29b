//! Full-text `search (…)` on SQLite: an FTS5 table over the entity's table,
//! kept in step by triggers.
//!
//! - `<table>_search`: `CREATE VIRTUAL TABLE … USING fts5(<columns>,
//!   content='<table>', content_rowid='<key>')` — an external-content
//!   table: it stores the index only and reads the text from the table. The
//!   key is the table's INTEGER primary key (the rowid) when it has one,
//!   else the implicit rowid. `english` stems words (FTS5's `porter`
//!   tokenizer); other languages do not (SQLite has no other stemmer).
//!   Weights are not stored in FTS5: they are `bm25()` arguments at query
//!   time (spec/backends/sqlite.md gives PostgreSQL's: A 1.0, B 0.4, C 0.2,
//!   D 0.1).
//! - The three triggers of the FTS5 documentation ("External Content
//!   Tables"): `<table>_search_insert` (AFTER INSERT) indexes the new row;
//!   `_delete` (AFTER DELETE) removes the old one with the `'delete'`
//!   command, which must be given the values indexed; `_update` does both,
//!   and only when a searched column or the key changed, so the inner
//!   updates of other patterns' triggers never hand it values that were not
//!   indexed.
//!
//! Decides the SQL; statements are printed by `render.rs`.

use super::lower::Lowering;
use super::model::VirtualTable;
use super::quote::{ident, ident_list, literal};
use crate::semantic::ir;

/// FTS5's own tables beside a virtual table `<name>`: names it takes.
const SHADOW_TABLES: [&str; 4] = ["data", "idx", "docsize", "config"];

impl Lowering<'_> {
    pub(super) fn lower_search(&mut self, entity: &ir::Entity, search: &ir::Search) {
        let name = format!("{}_search", entity.table);
        let what = format!("the full-text index of entity `{}`", entity.name);
        if !self.claim(&name, &what, &entity.id) {
            return;
        }
        for shadow in SHADOW_TABLES {
            if !self.claim(&format!("{name}_{shadow}"), &format!("a table of {what}"), &entity.id) {
                return;
            }
        }
        let Some(table) = self.schema.table(&entity.table) else { return };
        let key = table.columns.iter().find(|c| c.rowid_alias).map_or_else(|| "rowid".to_string(), |c| c.name.clone());
        let columns: Vec<String> = search.columns.iter().map(|c| entity.column_of(&c.field)).collect();
        let tokenizer = if search.language == "english" {
            "porter unicode61 remove_diacritics 2"
        } else {
            "unicode61 remove_diacritics 2"
        };
        let mut arguments: Vec<String> = columns.iter().map(|c| ident(c)).collect();
        arguments.push(format!("content={}", literal(&entity.table)));
        if key != "rowid" {
            arguments.push(format!("content_rowid={}", literal(&key)));
        }
        arguments.push(format!("tokenize={}", literal(tokenizer)));
        let weights: Vec<String> = search.columns.iter().map(|c| format!("{} weight {}", c.field, c.weight)).collect();
        let mut comment = format!(
            "Full-text index of `{}` ({}, language {}); weights are bm25() arguments when querying.",
            entity.table,
            weights.join(", "),
            search.language
        );
        if !matches!(search.language.as_str(), "english" | "simple") {
            comment.push_str(" SQLite stems English only: words are matched as written.");
        }
        self.schema.virtual_tables.push(VirtualTable {
            sql: format!("CREATE VIRTUAL TABLE {} USING fts5({})", ident(&name), arguments.join(", ")),
            name: name.clone(),
            comment: Some(comment),
        });

        let fts = ident(&name);
        let list = format!("rowid, {}", ident_list(&columns));
        let values = |record: &str| {
            let mut v = vec![format!("{record}.{}", ident(&key))];
            v.extend(columns.iter().map(|c| format!("{record}.{}", ident(c))));
            v.join(", ")
        };
        let insert = format!("INSERT INTO {fts} ({list}) VALUES ({});", values("NEW"));
        let delete = format!("INSERT INTO {fts} ({fts}, {list}) VALUES ('delete', {});", values("OLD"));
        let mut changed: Vec<String> = vec![format!("NEW.{0} IS NOT OLD.{0}", ident(&key))];
        changed.extend(columns.iter().map(|c| format!("NEW.{0} IS NOT OLD.{0}", ident(c))));
        let table = entity.table.clone();
        let triggers = [
            ("search_insert", "INSERT", None, vec![insert.clone()], "Indexes each new row"),
            ("search_delete", "DELETE", None, vec![delete.clone()], "Removes each deleted row"),
            (
                "search_update",
                "UPDATE",
                Some(changed.join(" OR ")),
                vec![delete, insert],
                "Re-indexes each changed row",
            ),
        ];
        for (what, event, when, body, done) in triggers {
            self.push_trigger(&table, what, "AFTER", event, when.as_deref(), &body, format!("{done} in `{name}`."));
        }
    }
}
