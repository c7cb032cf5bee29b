//! Declared renames (`renamed_from`, see `migrate::rename`) in the MySQL
//! model's terms, and the old model as it reads once `ALTER TABLE … RENAME
//! TO` and `RENAME COLUMN` have run: the planner diffs that prediction
//! against the new model.
//!
//! The prediction follows what InnoDB rewrites on a rename: table and column
//! names, the keys of indexes, the columns of foreign keys and the tables
//! foreign keys of other tables point at. Index, constraint and trigger
//! names stay as they were, so the diff sees them change; CHECK expressions
//! are not rewritten here either (the planner drops a check whose text
//! changes before the rename and adds B's after it). Model in, model out; no
//! SQL is run here.

use std::collections::BTreeMap;

use crate::backends::mysql::lower::key_column;
use crate::backends::mysql::model::*;
use crate::backends::mysql::quote::ident;
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

    /// The name table `old` has after the renames.
    pub fn table(&self, old: &str) -> String {
        self.tables.get(old).cloned().unwrap_or_else(|| old.to_string())
    }

    /// The name table `new` had before the renames.
    pub fn original(&self, new: &str) -> String {
        self.tables.iter().find(|(_, n)| n.as_str() == new).map_or_else(|| new.to_string(), |(o, _)| o.clone())
    }

    /// The name column `old` of the table now named `table` has after the renames.
    pub fn column(&self, table: &str, old: &str) -> String {
        self.columns.get(&(table.to_string(), old.to_string())).cloned().unwrap_or_else(|| old.to_string())
    }

    /// Only the renames whose old objects exist in `old` and whose new names
    /// exist in `new` and are free in `old` (what can run in place).
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

/// `old` as the in-place renames leave it.
pub fn predicted(old: &Schema, renames: &Renames) -> Schema {
    let mut schema = old.clone();
    for table in &mut schema.tables {
        table.name = renames.table(&table.name);
        let name = table.name.clone();
        let column = |c: &str| renames.column(&name, c);
        for c in &mut table.columns {
            c.name = column(&c.name);
        }
        table.primary_key.iter_mut().for_each(|c| *c = column(c));
        for index in &mut table.indexes {
            for key in &mut index.keys {
                let descending = key.ends_with(" DESC");
                let renamed = ident(&column(&key_column(key)));
                *key = if descending { format!("{renamed} DESC") } else { renamed };
            }
        }
        for fk in &mut table.foreign_keys {
            fk.columns.iter_mut().for_each(|c| *c = column(c));
            fk.references = renames.table(&fk.references);
            let target = fk.references.clone();
            fk.referenced_columns.iter_mut().for_each(|c| *c = renames.column(&target, c));
        }
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
    fn a_renamed_column_is_renamed_in_its_table_its_index_keys_and_foreign_keys() {
        let table = Table {
            name: "a".into(),
            columns: vec![Column { name: "x".into(), ty: "int".into(), ..Column::default() }],
            indexes: vec![Index {
                name: "a_x_idx".into(),
                unique: false,
                keys: vec!["`x` DESC".into()],
                implicit: false,
                comment: None,
            }],
            ..Table::default()
        };
        let old = Schema { tables: vec![table], ..Schema::default() };
        let mut r = Renames::default();
        r.tables.insert("a".into(), "b".into());
        r.columns.insert(("b".into(), "x".into()), "y".into());
        let p = predicted(&old, &r);
        assert_eq!(p.tables[0].name, "b");
        assert_eq!(p.tables[0].columns[0].name, "y");
        assert_eq!(p.tables[0].indexes[0].keys, ["`y` DESC"]);
        assert_eq!(p.tables[0].indexes[0].name, "a_x_idx");
    }
}
