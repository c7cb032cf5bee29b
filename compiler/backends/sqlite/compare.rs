//! Compares two SQLite models — what schemac lowered (`expected`) and what a
//! live database holds (`actual`, read by `import::introspect::sqlite`) —
//! object by object, matched by name (foreign keys by their columns and
//! target, unique constraints by their columns, which is all SQLite keeps
//! of them).
//!
//! SQLite stores the text of each statement as it was written, so
//! expressions, views and triggers compare as text with runs of white space
//! made one space. Comments are not compared: SQLite keeps none. This module
//! reports differences; it never touches a database.

use super::model::*;

use crate::backends::comparison::{matched, Comparison};
pub use crate::backends::Difference;
use std::collections::BTreeSet;

/// Every difference between the two schemas.
pub fn compare(expected: &Schema, actual: &Schema) -> Vec<Difference> {
    let mut c = Comparison::<Sqlite>::default();
    for (e, a) in matched(&expected.tables, &actual.tables, |t| t.name.clone()) {
        match (e, a) {
            (Some(e), Some(a)) => c.table(e, a),
            (e, a) => c.presence(format!("table {}", e.or(a).map_or("", |t| &t.name)), e.is_some()),
        }
    }
    for (e, a) in matched(&expected.indexes, &actual.indexes, |i| i.name.clone()) {
        match (e, a) {
            (Some(e), Some(a)) => {
                let object = format!("index {}", e.name);
                c.text(&object, &describe_index(e), &describe_index(a));
            }
            (e, a) => c.presence(format!("index {}", e.or(a).map_or("", |i| &i.name)), e.is_some()),
        }
    }
    for (e, a) in matched(&expected.views, &actual.views, |v| v.name.clone()) {
        match (e, a) {
            (Some(e), Some(a)) => {
                let object = format!("view {}", e.name);
                c.text(&object, &squeeze(&e.sql), &squeeze(&a.sql));
                if !e.columns.is_empty() {
                    c.text(&format!("columns of {object}"), &e.columns.join(", "), &a.columns.join(", "));
                }
            }
            (e, a) => c.presence(format!("view {}", e.or(a).map_or("", |v| &v.name)), e.is_some()),
        }
    }
    for (e, a) in matched(&expected.virtual_tables, &actual.virtual_tables, |v| v.name.clone()) {
        match (e, a) {
            (Some(e), Some(a)) => c.text(&format!("virtual table {}", e.name), &squeeze(&e.sql), &squeeze(&a.sql)),
            (e, a) => c.presence(format!("virtual table {}", e.or(a).map_or("", |v| &v.name)), e.is_some()),
        }
    }
    for (e, a) in matched(&expected.triggers, &actual.triggers, |t| t.name.clone()) {
        match (e, a) {
            (Some(e), Some(a)) => {
                let object = format!("trigger {}", e.name);
                c.text(&format!("table of {object}"), &e.table, &a.table);
                c.text(&object, &squeeze(&e.sql), &squeeze(&a.sql));
            }
            (e, a) => c.presence(format!("trigger {}", e.or(a).map_or("", |t| &t.name)), e.is_some()),
        }
    }
    c.differences.found
}

/// Runs of white space as one space, ends trimmed.
pub fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn describe_index(i: &Index) -> String {
    let mut out = format!("{}{} ({})", if i.unique { "UNIQUE ON " } else { "ON " }, i.table, i.keys.join(", "));
    if let Some(p) = &i.predicate {
        out.push_str(" WHERE ");
        out.push_str(p);
    }
    squeeze(&out)
}

fn describe_column(c: &Column) -> String {
    let mut out = c.ty.clone();
    if c.not_null {
        out.push_str(" NOT NULL");
    }
    if let Some(d) = &c.default {
        out.push_str(&format!(" DEFAULT ({d})"));
    }
    if let Some(g) = &c.generated {
        out.push_str(&format!(" GENERATED ({g})"));
    }
    if c.rowid_alias {
        out.push_str(" (rowid)");
    }
    squeeze(&out)
}

fn describe_fk(fk: &ForeignKey) -> String {
    format!(
        "({}) REFERENCES {} ({}) ON UPDATE {} ON DELETE {}{}",
        fk.columns.join(", "),
        fk.references,
        fk.referenced_columns.join(", "),
        fk.on_update,
        fk.on_delete,
        if fk.deferrable { " DEFERRABLE INITIALLY DEFERRED" } else { "" }
    )
}

/// Marks this backend's rules on the shared [`Comparison`].
struct Sqlite;

impl Comparison<Sqlite> {
    fn table(&mut self, e: &Table, a: &Table) {
        let object = format!("table {}", e.name);
        self.text(&format!("STRICT of {object}"), &e.strict.to_string(), &a.strict.to_string());
        let names = |t: &Table| t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>().join(", ");
        self.text(&format!("column order of {object}"), &names(e), &names(a));
        for (ec, ac) in matched(&e.columns, &a.columns, |c| c.name.clone()) {
            let column = format!("column {}.{}", e.name, ec.or(ac).map_or("", |c| &c.name));
            match (ec, ac) {
                (Some(ec), Some(ac)) => self.text(&column, &describe_column(ec), &describe_column(ac)),
                (ec, _) => self.presence(column, ec.is_some()),
            }
        }
        self.text(&format!("primary key of {object}"), &e.primary_key.join(", "), &a.primary_key.join(", "));
        let uniques = |t: &Table| {
            let set: BTreeSet<String> = t.uniques.iter().map(|u| format!("({})", u.join(", "))).collect();
            set.into_iter().collect::<Vec<_>>().join(", ")
        };
        self.text(&format!("unique constraints of {object}"), &uniques(e), &uniques(a));
        for (ec, ac) in matched(&e.checks, &a.checks, |c| c.name.clone()) {
            let check = format!("check {} on {object}", ec.or(ac).map_or("", |c| &c.name));
            match (ec, ac) {
                (Some(ec), Some(ac)) => self.text(&check, &squeeze(&ec.expr), &squeeze(&ac.expr)),
                (ec, _) => self.presence(check, ec.is_some()),
            }
        }
        let key = |fk: &ForeignKey| (fk.columns.clone(), fk.references.clone());
        for (ef, af) in matched(&e.foreign_keys, &a.foreign_keys, key) {
            let Some(fk) = ef.or(af) else { continue };
            let name = format!("foreign key ({}) of {object}", fk.columns.join(", "));
            match (ef, af) {
                (Some(ef), Some(af)) => self.text(&name, &describe_fk(ef), &describe_fk(af)),
                (ef, _) => self.presence(name, ef.is_some()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_schema_has_no_differences_and_a_changed_column_has_one() {
        let table = Table {
            name: "t".into(),
            columns: vec![Column { name: "a".into(), ty: "TEXT".into(), ..Column::default() }],
            strict: true,
            ..Table::default()
        };
        let expected = Schema { tables: vec![table.clone()], ..Schema::default() };
        assert!(compare(&expected, &expected).is_empty());
        let mut actual = expected.clone();
        actual.tables[0].columns[0].not_null = true;
        let differences = compare(&expected, &actual);
        assert_eq!(differences.len(), 1, "{differences:?}");
        assert_eq!(differences[0].object, "column t.a");
    }
}
