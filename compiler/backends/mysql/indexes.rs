//! Keys and indexes on InnoDB: unique keys, indexes (desc, include as
//! trailing keys, partial ones over every row), the index an AUTO_INCREMENT
//! column needs, the one InnoDB makes itself for a foreign key no index
//! serves, and the 3072-byte key limit. Index names are unique per table.
//! Keys soft delete made partial hold among live rows (`soft_delete.rs`);
//! other partial unique keys, expression keys and gin/gist are E0802 here.
//!
//! Part of the lowering (`lower.rs`): it fills the model's tables and
//! reports; it prints no statements.

use super::lower::{key_column, Lowering, Names};
use super::model::{Index, Table};
use super::quote::ident;
use super::types;
use crate::semantic::ir::{self, BehaviourKind, Expr};

impl<'a> Lowering<'a> {
    /// Index names are unique per table.
    pub(super) fn claim_index(&mut self, names: &mut Names, name: &str, entity: &ir::Entity) -> bool {
        let what = format!("the index `{name}` of entity `{}`", entity.name);
        self.fits(name, &what, &entity.id)
            && Self::claim(
                names,
                &mut self.diagnostics,
                self.source_map,
                &what,
                name,
                &entity.id,
                "index and unique key names are unique per table in MySQL (PRIMARY is the primary key's)",
            )
    }

    pub(super) fn lower_uniques(&mut self, entity: &ir::Entity, table: &mut Table, names: &mut Names) {
        for unique in &entity.uniques {
            let columns = Self::columns_of(entity, &unique.columns);
            if let Some(predicate) = &unique.predicate {
                // Made partial by soft delete: unique among live rows (`soft_delete.rs`).
                let deleted = entity.behaviours.iter().find(|b| b.kind == BehaviourKind::SoftDelete);
                let marker = deleted.and_then(|b| match b.args.first() {
                    Some(Expr::Column { name }) => Some(name.clone()),
                    _ => None,
                });
                if marker.is_some_and(|m| predicate.columns() == [m]) {
                    self.live_unique(entity, table, names, &columns);
                    continue;
                }
                self.unsupported(
                    &format!("the partial unique key ({}) of entity `{}`", columns.join(", "), entity.name),
                    &entity.id,
                    "MySQL/MariaDB have no partial indexes: make the key unique over every row, or enforce it in \
                     the application",
                );
                continue;
            }
            if !self.key_fits(entity, table, &columns, &format!("the unique key ({})", columns.join(", "))) {
                continue;
            }
            let name = match &unique.name {
                Some(name) => {
                    if !self.claim_index(names, name, entity) {
                        continue;
                    }
                    name.clone()
                }
                None => Self::generate(names, &format!("{}_{}_key", entity.table, columns.join("_")), "a unique key"),
            };
            table.indexes.push(Index {
                name,
                unique: true,
                keys: columns.iter().map(|c| ident(c)).collect(),
                implicit: false,
                comment: unique.origin.comment(),
            });
        }
    }

    pub(super) fn lower_index(
        &mut self,
        entity: &'a ir::Entity,
        index: &ir::Index,
        names: &mut Names,
    ) -> Option<Index> {
        let described: Vec<String> = index
            .keys
            .iter()
            .map(|k| match &k.expr {
                Expr::Column { name } => name.clone(),
                _ => "…".into(),
            })
            .collect();
        let owner = format!("the index ({}) of entity `{}`", described.join(", "), entity.name);
        let mut notes: Vec<String> = index.origin.comment().into_iter().collect();
        match index.method {
            ir::IndexMethod::Gin | ir::IndexMethod::Gist => {
                let method = if index.method == ir::IndexMethod::Gin { "gin" } else { "gist" };
                self.unsupported(
                    &format!("`using {method}` on {owner}"),
                    &entity.id,
                    "InnoDB has B-tree indexes (and FULLTEXT, SPATIAL), which serve no containment or overlap \
                     search: remove this index for a MySQL target",
                );
                return None;
            }
            ir::IndexMethod::Hash | ir::IndexMethod::Brin => {
                notes.push("A B-tree index: InnoDB has no other kind for this; it serves the same lookups.".into());
            }
            ir::IndexMethod::Btree => {}
        }
        if index.predicate.is_some() {
            if index.unique {
                self.unsupported(
                    &format!("the condition (`where`) of the unique {}", owner.trim_start_matches("the ")),
                    &entity.id,
                    "MySQL/MariaDB have no partial indexes: make the key unique over every row, or enforce it in \
                     the application",
                );
                return None;
            }
            notes.push(
                "MySQL/MariaDB have no partial indexes: this one covers every row, so it serves the same queries \
                 and is larger."
                    .into(),
            );
        }
        let mut parts = vec![entity.table.clone()];
        let mut keys = Vec::with_capacity(index.keys.len() + index.include.len());
        for key in &index.keys {
            let Expr::Column { name } = &key.expr else {
                self.unsupported(
                    &format!("an expression key of {owner}"),
                    &entity.id,
                    "MariaDB has no expression indexes (MySQL 8.0.13+ has, MariaDB not): add a generated column \
                     holding the value and index that column",
                );
                return None;
            };
            let column = entity.column_of(name);
            parts.push(column.clone());
            if key.nulls_first.is_some() {
                notes.push(
                    "MySQL sorts NULLs first ascending and last descending, whatever `nulls` says; the order of rows \
                     returned is the query's business."
                        .into(),
                );
            }
            let text = ident(&column);
            keys.push(if key.descending { format!("{text} DESC") } else { text });
        }
        if !index.include.is_empty() {
            let include = Self::columns_of(entity, &index.include);
            notes.push(format!(
                "INCLUDE ({}) has no MySQL equivalent: those columns are trailing keys, so the index still covers \
                 them.",
                include.join(", ")
            ));
            keys.extend(include.iter().map(|c| ident(c)));
        }
        parts.push("idx".into());
        let name = match &index.name {
            Some(name) => {
                if !self.claim_index(names, name, entity) {
                    return None;
                }
                name.clone()
            }
            None => Self::generate(names, &parts.join("_"), "an index"),
        };
        notes.dedup();
        Some(Index {
            name,
            unique: index.unique,
            keys,
            implicit: false,
            comment: (!notes.is_empty()).then(|| notes.join(" ")),
        })
    }

    /// E0802 when InnoDB could not index `columns` of `table` (over 3072
    /// bytes, utf8mb4 text counted at 4 bytes a character).
    pub(super) fn key_fits(&mut self, entity: &ir::Entity, table: &Table, columns: &[String], what: &str) -> bool {
        let bytes: usize =
            columns.iter().map(|c| table.column(&key_column(c)).map_or(0, |c| types::index_bytes(&c.ty))).sum();
        if bytes <= types::MAX_KEY_BYTES {
            return true;
        }
        self.unsupported(
            &format!("{what} of entity `{}`, {bytes} bytes long", entity.name),
            &entity.id,
            &format!(
                "InnoDB keys are at most {} bytes (a utf8mb4 character counts 4): give its text columns a \
                 shorter `varchar(n)`, or key fewer columns",
                types::MAX_KEY_BYTES
            ),
        );
        false
    }

    /// Whether an index of the table (or its primary key) starts with `columns`.
    pub(super) fn served(table: &Table, columns: &[String]) -> bool {
        let starts = |keys: Vec<String>| keys.len() >= columns.len() && keys[..columns.len()] == *columns;
        starts(table.primary_key.clone())
            || table.indexes.iter().any(|i| starts(i.keys.iter().map(|k| key_column(k)).collect()))
    }

    /// InnoDB numbers only a column that leads an index: an AUTO_INCREMENT
    /// column that leads none gets one.
    pub(super) fn index_auto_increment(&mut self, entity: &ir::Entity, table: &mut Table, names: &mut Names) {
        let Some(column) = table.columns.iter().find(|c| c.auto_increment).map(|c| c.name.clone()) else { return };
        if Self::served(table, std::slice::from_ref(&column)) {
            return;
        }
        let name = Self::generate(names, &format!("{}_{column}_idx", entity.table), "an index");
        table.indexes.push(Index {
            name,
            unique: false,
            keys: vec![ident(&column)],
            implicit: false,
            comment: Some(format!(
                "InnoDB numbers an AUTO_INCREMENT column only when an index starts with it ({column})."
            )),
        });
    }

    /// The index InnoDB makes itself for a foreign key no index serves,
    /// named as the constraint.
    pub(super) fn implicit_foreign_key_indexes(&mut self, table: &mut Table) {
        let mut added = Vec::new();
        for fk in &table.foreign_keys {
            if !Self::served(table, &fk.columns)
                && !added.iter().any(|i: &Index| i.keys.iter().map(|k| key_column(k)).collect::<Vec<_>>() == fk.columns)
            {
                added.push(Index {
                    name: fk.name.clone(),
                    unique: false,
                    keys: fk.columns.iter().map(|c| ident(c)).collect(),
                    implicit: true,
                    comment: None,
                });
            }
        }
        table.indexes.extend(added);
    }
}
