//! Column type changes that rewrite the table, and declared column renames,
//! through a shadow column (`[migrations] column_changes = "with_shadow"`).
//!
//! Expand: the column as the new state has it is added (nullable, at the
//! end of the table; for a type change under a free name, `<column>_new`),
//! a trigger copies every write of either column into the other (the
//! conversion is an explicit cast both ways), old rows are filled in
//! batches, NOT NULL goes through a validated check, and the column's
//! indexes and uniques are built CONCURRENTLY under temporary names.
//! Contract, in one transaction: the trigger and the old column go, the
//! shadow takes the column's name, default, comment, and its indexes and
//! uniques take their names.
//!
//! This module picks the changes that can go that way — the others stay in
//! place, and say why — and writes the trigger and the backfill. It does
//! not order or lock anything (the planner does).

use std::collections::BTreeSet;

use super::diff::{Change, States};
use super::plan::binary_coercible;
use crate::backends::postgres::model::*;
use crate::backends::postgres::names::fit;
use crate::backends::postgres::quote::{ident, literal};

/// One column changed through a shadow column.
#[derive(Debug, Clone, PartialEq)]
pub struct Shadow {
    pub table: String,
    /// The column as the database has it before the plan (old name, old type).
    pub old: Column,
    /// The column as the new state has it (its name, type, default, NOT
    /// NULL, comment).
    pub new: Column,
    /// The column's name until the contract: the new name for a rename, a
    /// free `<column>_new` for a type change.
    pub shadow: String,
    /// The trigger (and its function) that keeps both columns in step.
    pub trigger: String,
    /// The new state's indexes on the column, their keys on the shadow
    /// column, each with the temporary name it is built under.
    pub indexes: Vec<(Index, String)>,
    /// The new state's unique constraints on the column, likewise.
    pub uniques: Vec<(Key, String)>,
    /// The old state's indexes and uniques on the column (what undoing the
    /// contract makes again).
    pub old_indexes: Vec<Index>,
    pub old_uniques: Vec<Key>,
    /// A declared rename (otherwise a type change).
    pub rename: bool,
}

impl Shadow {
    /// `expr` (a value of the old column) as the new type: the USING of the change.
    pub fn to_new(&self, expr: &str) -> String {
        cast(expr, &self.old.ty, &self.new.ty)
    }

    /// `expr` (a value of the shadow column) as the old type.
    pub fn to_old(&self, expr: &str) -> String {
        cast(expr, &self.new.ty, &self.old.ty)
    }

    /// The trigger function: a write to the old column (old clients) is
    /// copied into the shadow, a write to the shadow alone (new clients)
    /// into the old column.
    pub fn sync_function(&self, function: &str) -> String {
        let (o, s) = (format!("NEW.{}", ident(&self.old.name)), format!("NEW.{}", ident(&self.shadow)));
        let (old_o, old_s) = (format!("OLD.{}", ident(&self.old.name)), format!("OLD.{}", ident(&self.shadow)));
        format!(
            "CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $shadow$\nBEGIN\n  \
             IF TG_OP = 'INSERT' THEN\n    \
             IF {s} IS NULL THEN\n      {s} := {to_new};\n    ELSE\n      {o} := {to_old};\n    END IF;\n  \
             ELSIF {s} IS DISTINCT FROM {old_s} AND {o} IS NOT DISTINCT FROM {old_o} AND {s} IS DISTINCT FROM {to_new} THEN\n    \
             {o} := {to_old};\n  \
             ELSE\n    {s} := {to_new};\n  END IF;\n  RETURN NEW;\nEND\n$shadow$",
            to_new = self.to_new(&o),
            to_old = self.to_old(&s),
        )
    }

    /// Fills the shadow for the rows there before the trigger, a range of
    /// pages per transaction (a TID range scan: each batch reads only its
    /// pages). Safe to run again.
    pub fn backfill(&self, table: &str, pages: u32) -> String {
        let (o, s) = (ident(&self.old.name), ident(&self.shadow));
        let value = self.to_new(&o);
        format!(
            "DO $backfill$\nDECLARE\n  last bigint := pg_relation_size({}::regclass) / current_setting('block_size')::bigint;\n  \
             page bigint := 0;\nBEGIN\n  WHILE page <= last LOOP\n    \
             UPDATE {table} SET {s} = {value}\n      \
             WHERE ctid >= format('(%s,0)', page)::tid AND ctid < format('(%s,0)', page + {pages})::tid\n      \
             AND {s} IS DISTINCT FROM {value};\n    \
             COMMIT;\n    page := page + {pages};\n  END LOOP;\nEND\n$backfill$",
            literal(table),
        )
    }
}

fn cast(expr: &str, from: &str, to: &str) -> String {
    if from == to {
        expr.to_string()
    } else {
        format!("{expr}::{to}")
    }
}

/// The changes with every rewriting type change and every declared column
/// rename that can go through a shadow column replaced by one
/// ([`Change::ShadowColumn`], which takes the column's other changes
/// along); the rest marked [`Change::InPlace`] with the reason.
pub fn choose(states: &States, changes: Vec<Change>) -> Vec<Change> {
    let renamed_tables: BTreeSet<&str> = changes
        .iter()
        .filter_map(|c| match c {
            Change::RenameTable { new, .. } => Some(new.as_str()),
            _ => None,
        })
        .collect();
    let renamed_columns: BTreeSet<(&str, &str)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::RenameColumn { table, new, .. } => Some((table.as_str(), new.as_str())),
            _ => None,
        })
        .collect();
    let mut shadows: Vec<Shadow> = Vec::new();
    let mut in_place: std::collections::BTreeMap<usize, String> = std::collections::BTreeMap::new();
    for (i, change) in changes.iter().enumerate() {
        let chosen = match change {
            Change::ChangeColumnType { table, old, new } if !binary_coercible(&old.ty, &new.ty) => {
                // Renamed in the same plan: the rename takes the type change along.
                if renamed_columns.contains(&(table.as_str(), new.name.as_str())) {
                    continue;
                }
                shadow_for(states, table, old, new, false)
            }
            Change::RenameColumn { table, old, new } => {
                if renamed_tables.contains(table.as_str()) {
                    Err("its table is renamed by the same migration".to_string())
                } else {
                    rename_columns(states, table, old, new).and_then(|(o, n)| shadow_for(states, table, &o, &n, true))
                }
            }
            _ => continue,
        };
        match chosen {
            Ok(shadow) => shadows.push(shadow),
            Err(why) => {
                in_place.insert(i, why);
            }
        }
    }
    let mut out = Vec::with_capacity(changes.len());
    for (i, change) in changes.into_iter().enumerate() {
        if let Some(why) = in_place.remove(&i) {
            out.push(Change::InPlace { change: Box::new(change), why });
            continue;
        }
        if shadows.iter().any(|s| absorbs(s, &change)) {
            continue;
        }
        out.push(change);
    }
    out.extend(shadows.into_iter().map(|s| Change::ShadowColumn(Box::new(s))));
    out
}

/// The column before (old name, old type, from the database's state) and
/// after a declared rename.
fn rename_columns(states: &States, table: &str, old: &str, new: &str) -> Result<(Column, Column), String> {
    let before = states.old.table(table).and_then(|t| t.column(old));
    let after = states.new.table(table).and_then(|t| t.column(new));
    match (before, after) {
        (Some(b), Some(a)) => Ok((b.clone(), a.clone())),
        _ => Err("the column is not found in both states".into()),
    }
}

/// Whether `change` is one of the column's changes the shadow makes itself.
fn absorbs(s: &Shadow, change: &Change) -> bool {
    let t = &s.table;
    let column = |table: &str, c: &str| table == t && (c == s.new.name || c == s.old.name);
    let index = |i: &Index| {
        i.table == *t
            && (s.indexes.iter().any(|(n, _)| n.name == i.name) || s.old_indexes.iter().any(|o| o.name == i.name))
    };
    let unique = |table: &str, k: &Key| {
        table == t
            && (s.uniques.iter().any(|(u, _)| u.name == k.name) || s.old_uniques.iter().any(|o| o.name == k.name))
    };
    match change {
        Change::ChangeColumnType { table, new, .. } => column(table, &new.name),
        Change::RenameColumn { table, old, .. } => s.rename && table == t && *old == s.old.name,
        Change::ChangeDefault { table, column: c, .. }
        | Change::SetNotNull { table, column: c }
        | Change::DropNotNull { table, column: c } => column(table, c),
        Change::Comment { object, .. } => *object == format!("{t}.{}", s.new.name),
        Change::CreateIndex { index: i, .. } | Change::DropIndex { index: i, .. } => index(i),
        Change::AddUnique { table, key } | Change::DropUnique { table, key } => unique(table, key),
        Change::RenameIndex { old, .. } => s.rename && s.old_indexes.iter().any(|i| i.name == *old),
        Change::RenameConstraint { table, old, .. } => {
            s.rename && table == t && s.old_uniques.iter().any(|u| u.name == *old)
        }
        Change::Replace { drop, add } => absorbs(s, drop) || absorbs(s, add),
        _ => false,
    }
}

/// The shadow for a column of `table`, or why the change stays in place.
fn shadow_for(states: &States, table: &str, old: &Column, new: &Column, rename: bool) -> Result<Shadow, String> {
    // For a type change, the old column as the renamed state has it; for a
    // rename, as the database has it (by its old name).
    let before = if rename { &states.old } else { states.renamed() };
    let after = &states.new;
    let (Some(old_table), Some(new_table)) = (before.table(table), after.table(table)) else {
        return Err("the table is not found in both states".into());
    };
    let (o, n) = (old.name.as_str(), new.name.as_str());
    if old_table.partition.is_some() {
        return Err("the table is partitioned (no concurrent index builds)".into());
    }
    for c in [old, new] {
        if c.identity || c.serial || c.generated.is_some() {
            return Err("it is an identity, serial or generated column".into());
        }
    }
    let keys = |t: &Table, c: &str| t.primary_key.as_ref().is_some_and(|k| k.columns.iter().any(|k| k == c));
    if keys(old_table, o) || keys(new_table, n) {
        return Err("it is part of the primary key".into());
    }
    for (catalog, c) in [(before, o), (after, n)] {
        let fk = catalog.foreign_keys.iter().find(|f| {
            (f.table == table && f.columns.iter().any(|x| x == c))
                || (f.references == table && f.referenced_columns.iter().any(|x| x == c))
        });
        if let Some(f) = fk {
            return Err(format!("foreign key {} uses it", f.name));
        }
    }
    for (catalog, t, c) in [(before, old_table, o), (after, new_table, n)] {
        let schema = &catalog.schema;
        if let Some(g) = t.columns.iter().find(|x| x.generated.as_deref().is_some_and(|g| mentions(g, c))) {
            return Err(format!("the generated column {} is computed from it", g.name));
        }
        if let Some(check) = t.checks.iter().find(|k| mentions(&k.expr, c)) {
            return Err(format!("check {} uses it", check.name));
        }
        if let Some(x) = t.exclusions.iter().find(|x| x.elements.iter().any(|(e, _)| mentions(e, c))) {
            return Err(format!("exclusion constraint {} uses it", x.name));
        }
        let qualified = crate::backends::postgres::quote::qualified(schema, table);
        if let Some(v) = catalog.views.iter().find(|v| v.query.contains(&qualified)) {
            return Err(format!("view {} reads the table", v.name));
        }
        let policy = catalog.policies.iter().find(|p| {
            p.table == table && [&p.using, &p.check].iter().any(|e| e.as_deref().is_some_and(|e| mentions(e, c)))
        });
        if let Some(p) = policy {
            return Err(format!("policy {} uses it", p.name));
        }
        for trigger in catalog.triggers.iter().filter(|tr| tr.table == table) {
            let body = catalog.functions.iter().find(|f| f.name == trigger.function).map(|f| f.body.as_str());
            if body.is_none_or(|b| mentions(b, c)) {
                return Err(format!("trigger {} may write it", trigger.name));
            }
        }
        if let Some(g) = catalog.grants.iter().find(|g| g.object == table && g.columns.iter().any(|x| x == c)) {
            return Err(format!("{} holds a privilege on the column", g.role));
        }
    }
    // Names: the shadow column, the trigger, the temporary index names.
    let taken_column = |name: &str| old_table.column(name).is_some() || new_table.column(name).is_some();
    let shadow = if rename { n.to_string() } else { free(&format!("{n}_new"), |name| taken_column(name)) };
    if rename && old_table.column(n).is_some() {
        return Err(format!("`{n}` is already a column of the table"));
    }
    if rename && new_table.column(o).is_some() {
        return Err(format!("a new column takes the name `{o}`"));
    }
    let relations: BTreeSet<String> = [before, after]
        .iter()
        .flat_map(|c| {
            let tables = c.tables.iter().map(|t| t.name.clone());
            let constraints = c
                .tables
                .iter()
                .flat_map(|t| t.primary_key.iter().chain(&t.uniques).map(|k| k.name.clone()).collect::<Vec<_>>());
            tables
                .chain(constraints)
                .chain(c.indexes.iter().map(|i| i.name.clone()))
                .chain(c.views.iter().map(|v| v.name.clone()))
        })
        .collect();
    let functions: BTreeSet<&str> =
        [before, after].iter().flat_map(|c| c.functions.iter().map(|f| f.name.as_str())).collect();
    let trigger = free(&format!("{table}_{o}_shadow_sync"), |name| functions.contains(name));
    let temporary = |name: &str, used: &mut BTreeSet<String>| {
        let chosen = free(&format!("{name}_shadow"), |x| relations.contains(x) || used.contains(x));
        used.insert(chosen.clone());
        chosen
    };
    let mut used = BTreeSet::new();
    let mut indexes = Vec::new();
    for i in after.indexes.iter().filter(|i| i.table == table) {
        let on_column = i.keys.iter().any(|k| mentions(k, n))
            || i.include.iter().any(|x| x == n)
            || i.predicate.as_deref().is_some_and(|p| mentions(p, n));
        if !on_column {
            continue;
        }
        let keys: Option<Vec<String>> = i.keys.iter().map(|k| on_shadow(k, n, &shadow)).collect();
        let (Some(keys), false, false) =
            (keys, i.include.iter().any(|x| x == n), i.predicate.as_deref().is_some_and(|p| mentions(p, n)))
        else {
            return Err(format!("index {} uses it in an expression, INCLUDE or WHERE", i.name));
        };
        let name = temporary(&i.name, &mut used);
        indexes.push((Index { keys, ..i.clone() }, name));
    }
    let mut uniques = Vec::new();
    for u in new_table.uniques.iter().filter(|u| u.columns.iter().any(|c| c == n)) {
        uniques.push((u.clone(), temporary(&u.name, &mut used)));
    }
    let old_indexes = before
        .indexes
        .iter()
        .filter(|i| i.table == table && i.keys.iter().chain(&i.include).any(|k| mentions(k, o)))
        .cloned()
        .collect();
    let old_uniques = old_table.uniques.iter().filter(|u| u.columns.iter().any(|c| c == o)).cloned().collect();
    Ok(Shadow {
        table: table.to_string(),
        old: old.clone(),
        new: new.clone(),
        shadow,
        trigger,
        indexes,
        uniques,
        old_indexes,
        old_uniques,
        rename,
    })
}

/// `name`, or `name_2`, `name_3`… : the first that is not taken (all
/// within PostgreSQL's 63 bytes).
fn free(name: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut candidate = fit(name);
    let mut n = 2;
    while taken(&candidate) {
        candidate = fit(&format!("{name}_{n}"));
        n += 1;
    }
    candidate
}

/// An index key on `column` as a key on `shadow`: the column itself,
/// possibly followed by its ordering, collation or operator class
/// (`code DESC`). Any other mention (an expression) is `None`.
fn on_shadow(key: &str, column: &str, shadow: &str) -> Option<String> {
    if !mentions(key, column) {
        return Some(key.to_string());
    }
    let quoted = ident(column);
    let rest = key.strip_prefix(quoted.as_str())?;
    if !(rest.is_empty() || rest.starts_with(' ')) || mentions(rest, column) {
        return None;
    }
    Some(format!("{}{rest}", ident(shadow)))
}

/// Whether the SQL text `sql` names `column` (as a whole word, bare or
/// quoted). Errs on the side of yes: a string literal with the word counts.
fn mentions(sql: &str, column: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let mut from = 0;
    while let Some(at) = sql[from..].find(column) {
        let start = from + at;
        let end = start + column.len();
        let before = sql[..start].chars().next_back();
        let after = sql[end..].chars().next();
        if !before.is_some_and(word) && !after.is_some_and(word) {
            return true;
        }
        from = end;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mention_is_a_whole_word() {
        assert!(mentions("lower(code)", "code"));
        assert!(mentions("\"code\" DESC", "code"));
        assert!(!mentions("zip_code", "code"));
        assert!(!mentions("codes", "code"));
    }

    #[test]
    fn an_index_key_moves_to_the_shadow_only_when_it_is_the_column() {
        assert_eq!(on_shadow("total", "total", "total_new").as_deref(), Some("total_new"));
        assert_eq!(on_shadow("total DESC", "total", "total_new").as_deref(), Some("total_new DESC"));
        assert_eq!(on_shadow("kind", "total", "total_new").as_deref(), Some("kind"));
        assert_eq!(on_shadow("abs(total)", "total", "total_new"), None);
    }
}
