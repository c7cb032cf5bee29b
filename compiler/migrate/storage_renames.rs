//! Declared renames (`renamed_from`, see `migrate::rename`) by storage
//! names — tables and columns as a backend's model spells them — for the
//! planners that predict the old model after in-place renames (MySQL,
//! SQLite). A backend's model says which tables and columns it has through
//! [`Tables`]; this module knows nothing else of it.

use std::collections::BTreeMap;

use crate::migrate::rename;

/// What [`StorageRenames::restricted`] needs to know of a model.
pub trait Tables {
    fn has_table(&self, table: &str) -> bool;
    fn has_column(&self, table: &str, column: &str) -> bool;
}

/// The renames of one migration, by storage names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageRenames {
    /// Old table → new table.
    pub tables: BTreeMap<String, String>,
    /// (new table, old column) → new column.
    pub columns: BTreeMap<(String, String), String>,
}

impl StorageRenames {
    /// The storage renames of the IR's declared ones.
    pub fn from_declared(declared: &rename::Renames) -> StorageRenames {
        StorageRenames {
            tables: declared.tables.values().map(|(old, new)| (old.clone(), new.clone())).collect(),
            columns: declared
                .columns
                .values()
                .map(|(table, old, new)| ((table.clone(), old.clone()), new.clone()))
                .collect(),
        }
    }

    /// The renames that undo these (for the down script).
    pub fn inverse(&self) -> StorageRenames {
        StorageRenames {
            tables: self.tables.iter().map(|(old, new)| (new.clone(), old.clone())).collect(),
            columns: self
                .columns
                .iter()
                .map(|((table, old), new)| ((self.original(table), new.clone()), old.clone()))
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
    pub fn restricted(&self, old: &impl Tables, new: &impl Tables) -> StorageRenames {
        let tables: BTreeMap<String, String> = self
            .tables
            .iter()
            .filter(|(o, n)| o != n && old.has_table(o) && new.has_table(n) && !old.has_table(n))
            .map(|(o, n)| (o.clone(), n.clone()))
            .collect();
        let mut kept = StorageRenames { tables, columns: BTreeMap::new() };
        for ((table, from), to) in &self.columns {
            let old_name = kept.original(table);
            if from != to
                && old.has_table(&old_name)
                && new.has_table(table)
                && old.has_column(&old_name, from)
                && !old.has_column(&old_name, to)
                && new.has_column(table, to)
            {
                kept.columns.insert((table.clone(), from.clone()), to.clone());
            }
        }
        kept
    }
}
