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

use std::collections::BTreeMap;

use crate::backends::sqlite::model::*;
use crate::backends::sqlite::quote::ident;
use crate::migrate::rename;

/// The renames of one migration, by storage names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Renames {
    /// Old table → new table.
    pub tables: BTreeMap<String, String>,
    /// (new table, old column) → new column.
    pub columns: BTreeMap<(String, String), String>,
}

impl Renames {
    /// The storage renames of the IR's declared ones.
    pub fn from_declared(declared: &rename::Renames) -> Renames {
        Renames {
            tables: declared.tables.values().map(|(old, new)| (old.clone(), new.clone())).collect(),
            columns: declared
                .columns
                .values()
                .map(|(table, old, new)| ((table.clone(), old.clone()), new.clone()))
                .collect(),
        }
    }

    /// The renames that undo these (for the down script).
    pub fn inverse(&self) -> Renames {
        let old_table = |new: &str| {
            self.tables.iter().find(|(_, n)| n.as_str() == new).map_or_else(|| new.to_string(), |(o, _)| o.clone())
        };
        Renames {
            tables: self.tables.iter().map(|(old, new)| (new.clone(), old.clone())).collect(),
            columns: self
                .columns
                .iter()
                .map(|((table, old), new)| ((old_table(table), new.clone()), old.clone()))
                .collect(),
        }
    }

    /// The name table `old` has after the renames.
    pub fn table(&self, old: &str) -> String {
        self.tables.get(old).cloned().unwrap_or_else(|| old.to_string())
    }

    /// The name column `old` of the table now named `table` has after the renames.
    pub fn column(&self, table: &str, old: &str) -> String {
        self.columns.get(&(table.to_string(), old.to_string())).cloned().unwrap_or_else(|| old.to_string())
    }

    /// Only the renames whose old objects exist in `old` and whose new
    /// names exist in `new` (what can be run in place).
    pub fn restricted(&self, old: &Schema, new: &Schema) -> Renames {
        let tables: BTreeMap<String, String> = self
            .tables
            .iter()
            .filter(|(o, n)| o != n && old.table(o).is_some() && new.table(n).is_some() && old.table(n).is_none())
            .map(|(o, n)| (o.clone(), n.clone()))
            .collect();
        let mut kept = Renames { tables, columns: BTreeMap::new() };
        for ((table, from), to) in &self.columns {
            let old_name = kept.tables.iter().find(|(_, n)| *n == table).map_or(table.as_str(), |(o, _)| o.as_str());
            let (Some(old_table), Some(new_table)) = (old.table(old_name), new.table(table)) else { continue };
            if from != to
                && old_table.column(from).is_some()
                && old_table.column(to).is_none()
                && new_table.column(to).is_some()
            {
                kept.columns.insert((table.clone(), from.clone()), to.clone());
            }
        }
        kept
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
