//! Prints a [`Schema`] as one SQLite script: the foreign-key pragma, then in
//! one transaction the tables (each with its keys, uniques, checks and
//! foreign keys — SQLite accepts a reference to a table created later in
//! the script, so tables come in the model's order: the entities' by name,
//! then those patterns add), indexes, FTS5 tables, views and triggers.
//! Doc comments become `--` lines before their statement (SQLite has no
//! COMMENT). Names and literals are quoted by `quote.rs`; this module adds
//! no user text of its own. Byte-identical for the same schema.

use std::fmt::Write;

use super::model::*;
use super::quote::{ident, ident_list};

pub fn script(schema: &Schema, header: &str) -> String {
    let mut out = String::with_capacity(4096 + schema.tables.len() * 1024);
    for line in header.lines() {
        let _ = writeln!(out, "-- {line}");
    }
    out.push_str(
        "\n-- SQLite checks foreign keys only on connections that turn them on; so must every\n\
         -- connection of the application (it is not stored in the database).\n\
         PRAGMA foreign_keys = ON;\n\nBEGIN;\n",
    );
    section(&mut out, "Tables", &schema.tables, table);
    section(&mut out, "Indexes", &schema.indexes, |out, i| {
        comment(out, &i.comment);
        let _ = writeln!(out, "{};", index_statement(i));
    });
    section(&mut out, "Full-text search", &schema.virtual_tables, |out, v| {
        comment(out, &v.comment);
        let _ = writeln!(out, "{};", v.sql);
    });
    section(&mut out, "Views", &schema.views, |out, v| {
        comment(out, &v.comment);
        let _ = writeln!(out, "{};", v.sql);
    });
    section(&mut out, "Triggers", &schema.triggers, |out, t| {
        comment(out, &t.comment);
        let _ = writeln!(out, "{};", t.sql);
    });
    out.push_str("\nCOMMIT;\n");
    out
}

fn section<T>(out: &mut String, title: &str, items: &[T], mut render: impl FnMut(&mut String, &T)) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n-- {title}");
    for item in items {
        out.push('\n');
        render(out, item);
    }
}

/// A doc comment as `--` lines (a line break inside one would end it early).
fn comment(out: &mut String, text: &Option<String>) {
    for line in text.iter().flat_map(|t| t.lines()).flat_map(|l| l.split('\r')) {
        let _ = writeln!(out, "-- {line}");
    }
}

/// `"name" TYPE [GENERATED ALWAYS AS (…) STORED] [NOT NULL] [DEFAULT (…)]`.
pub fn column(c: &Column) -> String {
    let mut out = format!("{} {}", ident(&c.name), c.ty);
    if let Some(generated) = &c.generated {
        let _ = write!(out, " GENERATED ALWAYS AS ({generated}) STORED");
    }
    if c.not_null {
        out.push_str(" NOT NULL");
    }
    if let Some(default) = &c.default {
        let _ = write!(out, " DEFAULT ({default})");
    }
    out
}

/// `FOREIGN KEY (…) REFERENCES "t" (…) [ON UPDATE …] [ON DELETE …] [DEFERRABLE INITIALLY DEFERRED]`.
pub fn foreign_key(fk: &ForeignKey) -> String {
    let mut out = format!(
        "FOREIGN KEY ({}) REFERENCES {} ({})",
        ident_list(&fk.columns),
        ident(&fk.references),
        ident_list(&fk.referenced_columns)
    );
    if fk.on_update != "NO ACTION" {
        let _ = write!(out, " ON UPDATE {}", fk.on_update);
    }
    if fk.on_delete != "NO ACTION" {
        let _ = write!(out, " ON DELETE {}", fk.on_delete);
    }
    if fk.deferrable {
        out.push_str(" DEFERRABLE INITIALLY DEFERRED");
    }
    out
}

/// The `CREATE TABLE` statement, without the semicolon (as SQLite stores it).
pub fn table_statement(t: &Table) -> String {
    let mut lines: Vec<String> = t.columns.iter().map(column).collect();
    if !t.primary_key.is_empty() {
        lines.push(format!("PRIMARY KEY ({})", ident_list(&t.primary_key)));
    }
    for unique in &t.uniques {
        lines.push(format!("UNIQUE ({})", ident_list(unique)));
    }
    for check in &t.checks {
        lines.push(format!("CONSTRAINT {} CHECK ({})", ident(&check.name), check.expr));
    }
    for fk in &t.foreign_keys {
        lines.push(foreign_key(fk));
    }
    format!("CREATE TABLE {} (\n  {}\n){}", ident(&t.name), lines.join(",\n  "), if t.strict { " STRICT" } else { "" })
}

fn table(out: &mut String, t: &Table) {
    comment(out, &t.comment);
    for c in &t.columns {
        if let Some(text) = &c.comment {
            comment(out, &Some(format!("{}: {text}", c.name)));
        }
    }
    let _ = writeln!(out, "{};", table_statement(t));
}

/// `CREATE [UNIQUE] INDEX "name" ON "table" (…) [WHERE …]`, without the semicolon.
pub fn index_statement(i: &Index) -> String {
    let mut out = format!(
        "CREATE {}INDEX {} ON {} ({})",
        if i.unique { "UNIQUE " } else { "" },
        ident(&i.name),
        ident(&i.table),
        i.keys.join(", ")
    );
    if let Some(predicate) = &i.predicate {
        let _ = write!(out, " WHERE {predicate}");
    }
    out
}

/// `CREATE VIEW "name" AS …`, without the semicolon.
pub fn view_statement(name: &str, query: &str) -> String {
    format!("CREATE VIEW {} AS {query}", ident(name))
}

/// A row trigger: `CREATE TRIGGER "name" BEFORE UPDATE ON "t" FOR EACH ROW
/// [WHEN …] BEGIN … END`, without the semicolon. Each statement of `body`
/// ends with `;`.
pub fn trigger_statement(
    name: &str,
    timing: &str,
    event: &str,
    table: &str,
    when: Option<&str>,
    body: &[String],
) -> String {
    let mut out = format!("CREATE TRIGGER {} {timing} {event} ON {} FOR EACH ROW", ident(name), ident(table));
    if let Some(condition) = when {
        let _ = write!(out, " WHEN {condition}");
    }
    out.push_str(" BEGIN\n");
    for statement in body {
        let _ = writeln!(out, "  {statement}");
    }
    out.push_str("END");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_prints_its_keys_checks_and_foreign_keys_inline() {
        let t = Table {
            name: "order".into(),
            columns: vec![
                Column {
                    name: "id".into(),
                    ty: "INTEGER".into(),
                    not_null: true,
                    rowid_alias: true,
                    ..Column::default()
                },
                Column { name: "n".into(), ty: "TEXT".into(), default: Some("'x'".into()), ..Column::default() },
            ],
            primary_key: vec!["id".into()],
            uniques: vec![vec!["n".into()]],
            checks: vec![Check { name: "order_n_check".into(), expr: "length(\"n\") <= 3".into() }],
            foreign_keys: vec![ForeignKey {
                columns: vec!["n".into()],
                references: "other".into(),
                referenced_columns: vec!["k".into()],
                on_delete: "CASCADE".into(),
                on_update: "NO ACTION".into(),
                deferrable: true,
            }],
            strict: true,
            comment: None,
        };
        assert_eq!(
            table_statement(&t),
            "CREATE TABLE \"order\" (\n  \"id\" INTEGER NOT NULL,\n  \"n\" TEXT DEFAULT ('x'),\n  PRIMARY KEY (\"id\"),\n  \
             UNIQUE (\"n\"),\n  CONSTRAINT \"order_n_check\" CHECK (length(\"n\") <= 3),\n  FOREIGN KEY (\"n\") \
             REFERENCES \"other\" (\"k\") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED\n) STRICT"
        );
    }
}
