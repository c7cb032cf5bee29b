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

use crate::backends::mysql::lower::key_column;
use crate::backends::mysql::model::*;
use crate::backends::mysql::quote::ident;
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
