//! Declared renames (`renamed_from`, see `migrate::rename`) in the SQLite
//! model's terms, and the old model as it reads once the in-place renames
//! (`ALTER TABLE … RENAME TO`, `… RENAME COLUMN`) have run: the planner
//! diffs that prediction against the new model.
//!
//! The prediction follows what SQLite itself rewrites on a rename: the
//! table's and columns' names, the foreign keys of other tables that point
//! at them, and the quoted identifiers in the table's checks, defaults,
//! generated columns and index keys. Names SQLite keeps (constraint, index
//! and trigger names) stay as they were, so the diff sees them change.
//! Views and triggers are not predicted: the planner recreates every one
//! that mentions a renamed table. Text and model in, model out; no SQL is
//! run here.

use crate::backends::sqlite::model::*;
use crate::backends::sqlite::quote::ident;
use crate::migrate::storage_renames::Tables;

pub use crate::migrate::storage_renames::StorageRenames as Renames;

impl Tables for Schema {
    fn has_table(&self, table: &str) -> bool {
        self.table(table).is_some()
    }

    fn has_column(&self, table: &str, column: &str) -> bool {
        self.table(table).is_some_and(|t| t.column(column).is_some())
    }
}

/// Quoted identifiers in `sql` renamed by `rename` (string literals and
/// everything else are left alone).
pub fn rename_identifiers(sql: &str, rename: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                out.push(c);
                while let Some(d) = chars.next() {
                    out.push(d);
                    if d == '\'' {
                        if chars.peek() == Some(&'\'') {
                            out.push(chars.next().unwrap_or('\''));
                        } else {
                            break;
                        }
                    }
                }
            }
            '"' => {
                let mut name = String::new();
                while let Some(d) = chars.next() {
                    if d == '"' {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            name.push('"');
                        } else {
                            break;
                        }
                    } else {
                        name.push(d);
                    }
                }
                out.push_str(&ident(&rename(&name).unwrap_or(name)));
            }
            _ => out.push(c),
        }
    }
    out
}

/// `old` as the in-place renames leave it.
pub fn predicted(old: &Schema, renames: &Renames) -> Schema {
    let mut schema = old.clone();
    for table in &mut schema.tables {
        table.name = renames.table(&table.name);
        let name = table.name.clone();
        let column = |c: &str| renames.column(&name, c);
        let in_text = |sql: &str| rename_identifiers(sql, &|c| Some(column(c)));
        for c in &mut table.columns {
            c.name = column(&c.name);
            c.default = c.default.as_deref().map(in_text);
            c.generated = c.generated.as_deref().map(in_text);
        }
        table.primary_key.iter_mut().for_each(|c| *c = column(c));
        table.uniques.iter_mut().flatten().for_each(|c| *c = column(c));
        for check in &mut table.checks {
            check.expr = in_text(&check.expr);
        }
        for fk in &mut table.foreign_keys {
            fk.columns.iter_mut().for_each(|c| *c = column(c));
            fk.references = renames.table(&fk.references);
            let target = fk.references.clone();
            fk.referenced_columns.iter_mut().for_each(|c| *c = renames.column(&target, c));
        }
    }
    for index in &mut schema.indexes {
        index.table = renames.table(&index.table);
        let table = index.table.clone();
        let in_text = |sql: &str| rename_identifiers(sql, &|c| Some(renames.column(&table, c)));
        index.keys = index.keys.iter().map(|k| in_text(k)).collect();
        index.predicate = index.predicate.as_deref().map(in_text);
    }
    for trigger in &mut schema.triggers {
        trigger.table = renames.table(&trigger.table);
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_identifiers_are_renamed_and_literals_are_not() {
        let renamed = rename_identifiers("\"a\" >= 0 AND \"b\" <> '\"a\"' AND \"x\"\"y\" = 1", &|n| {
            (n == "a").then(|| "c".to_string())
        });
        assert_eq!(renamed, "\"c\" >= 0 AND \"b\" <> '\"a\"' AND \"x\"\"y\" = 1");
    }

    #[test]
    fn the_inverse_undoes_table_and_column_renames() {
        let mut r = Renames::default();
        r.tables.insert("a".into(), "b".into());
        r.columns.insert(("b".into(), "x".into()), "y".into());
        let back = r.inverse();
        assert_eq!(back.table("b"), "a");
        assert_eq!(back.column("a", "y"), "x");
    }
}
