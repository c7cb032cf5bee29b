//! Prints a [`Schema`] as one script for the `mysql`/`mariadb` client: the
//! session settings, the tables (each with its keys, indexes, checks and
//! foreign keys, foreign key checks off while they are made so tables may
//! refer to tables created later), views, then procedures and triggers
//! between `DELIMITER` lines (their bodies hold semicolons). Doc comments become
//! `COMMENT` on tables and columns and `--` lines before other statements.
//! Names and literals are quoted by `quote.rs`; this module adds no user
//! text of its own. Byte-identical for the same schema.

use std::fmt::Write;

use super::model::*;
use super::quote::{ident, ident_list, literal};

/// The delimiter the script uses around trigger bodies.
pub const DELIMITER: &str = "//";

pub fn script(schema: &Schema, header: &str) -> String {
    let mut out = String::with_capacity(4096 + schema.tables.len() * 1024);
    for line in header.lines() {
        let _ = writeln!(out, "-- {line}");
    }
    out.push_str(
        "\n-- MySQL commits each statement by itself: apply this to an empty database, and if it\n\
         -- stops halfway, drop the database and start again.\n\
         SET NAMES utf8mb4;\n\
         SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';\n\
         SET FOREIGN_KEY_CHECKS = 0;\n",
    );
    section(&mut out, "Tables", &schema.tables, |out, t| {
        let notes: Vec<String> =
            t.indexes.iter().filter_map(|i| i.comment.as_ref().map(|c| format!("{}: {c}", i.name))).collect();
        comment(out, &(!notes.is_empty()).then(|| notes.join("\n")));
        let _ = writeln!(out, "{};", table_statement(t));
    });
    out.push_str("\nSET FOREIGN_KEY_CHECKS = 1;\n");
    section(&mut out, "Views", &schema.views, |out, v| {
        comment(out, &v.comment);
        let _ = writeln!(out, "{};", view_statement(v));
    });
    if !schema.roles.is_empty() {
        out.push_str("\n-- Roles (the server's, shared by every database: created when missing)\n\n");
        for role in &schema.roles {
            let _ = writeln!(out, "CREATE ROLE IF NOT EXISTS {};", ident(&role.name));
        }
        for role in &schema.roles {
            if role.login {
                let _ = writeln!(
                    out,
                    "-- {0} may sign in on PostgreSQL; a MySQL role cannot. Make a user that holds it:\n\
                     --   CREATE USER 'name'@'%' IDENTIFIED BY '…'; GRANT {0} TO 'name'@'%'; SET DEFAULT ROLE {0} FOR 'name'@'%';",
                    ident(&role.name)
                );
            }
            for parent in &role.inherits {
                let _ = writeln!(out, "GRANT {} TO {};", ident(parent), ident(&role.name));
            }
        }
        for role in &schema.roles {
            for statement in grant_statements(role) {
                let _ = writeln!(out, "{statement};");
            }
        }
    }
    if !schema.triggers.is_empty() || !schema.procedures.is_empty() {
        let title = if schema.procedures.is_empty() { "Triggers" } else { "Procedures and triggers" };
        let _ = writeln!(out, "\n-- {title}\n\nDELIMITER {DELIMITER}");
        for p in &schema.procedures {
            out.push('\n');
            comment(&mut out, &p.comment);
            let _ = writeln!(out, "{}{DELIMITER}", procedure_statement(p));
        }
        for t in &schema.triggers {
            out.push('\n');
            comment(&mut out, &t.comment);
            let _ = writeln!(out, "{}{DELIMITER}", trigger_statement(t));
        }
        out.push_str("\nDELIMITER ;\n");
    }
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

/// Text as `--` lines (a line break inside one would end it early).
fn comment(out: &mut String, text: &Option<String>) {
    for line in text.iter().flat_map(|t| t.lines()).flat_map(|l| l.split('\r')) {
        let _ = writeln!(out, "-- {line}");
    }
}

/// Whether a default must be written in parentheses: expressions, and any
/// default of a TEXT, BLOB or JSON column (MySQL 8 allows those only as
/// expressions).
fn parenthesised(c: &Column, default: &str) -> bool {
    let literal = default.starts_with('\'') || default.parse::<f64>().is_ok() || default.eq_ignore_ascii_case("null");
    let blob = c.ty.ends_with("text") || c.ty.ends_with("blob") || c.ty == "json";
    !literal || blob
}

/// `` `name` type [GENERATED ALWAYS AS (…) STORED] [NOT NULL] [DEFAULT …] [AUTO_INCREMENT] [COMMENT '…'] ``.
pub fn column(c: &Column) -> String {
    let mut out = format!("{} {}", ident(&c.name), c.ty);
    if let Some(generated) = &c.generated {
        let _ = write!(out, " GENERATED ALWAYS AS ({generated}) STORED");
    }
    if c.not_null {
        out.push_str(" NOT NULL");
    }
    if let Some(default) = &c.default {
        if parenthesised(c, default) {
            let _ = write!(out, " DEFAULT ({default})");
        } else {
            let _ = write!(out, " DEFAULT {default}");
        }
    }
    if c.auto_increment {
        out.push_str(" AUTO_INCREMENT");
    }
    if let Some(text) = &c.comment {
        let _ = write!(out, " COMMENT {}", literal(text));
    }
    out
}

/// `` CONSTRAINT `name` FOREIGN KEY (…) REFERENCES `t` (…) ON DELETE … ON UPDATE … ``.
pub fn foreign_key(fk: &ForeignKey) -> String {
    format!(
        "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {} ON UPDATE {}",
        ident(&fk.name),
        ident_list(&fk.columns),
        ident(&fk.references),
        ident_list(&fk.referenced_columns),
        fk.on_delete,
        fk.on_update
    )
}

/// The `CREATE TABLE` statement, without the semicolon.
pub fn table_statement(t: &Table) -> String {
    let mut lines: Vec<String> = t.columns.iter().map(column).collect();
    if !t.primary_key.is_empty() {
        lines.push(format!("PRIMARY KEY ({})", ident_list(&t.primary_key)));
    }
    for index in t.indexes.iter().filter(|i| !i.implicit) {
        let kind = if index.unique { "UNIQUE KEY" } else { "KEY" };
        lines.push(format!("{kind} {} ({})", ident(&index.name), index.keys.join(", ")));
    }
    for check in &t.checks {
        lines.push(format!("CONSTRAINT {} CHECK ({})", ident(&check.name), check.expr));
    }
    for fk in &t.foreign_keys {
        lines.push(foreign_key(fk));
    }
    let mut out = format!(
        "CREATE TABLE {} (\n  {}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={}",
        ident(&t.name),
        lines.join(",\n  "),
        t.collation
    );
    if let Some(text) = &t.comment {
        let _ = write!(out, " COMMENT={}", literal(text));
    }
    out
}

/// The role's privileges as GRANT statements: one per table for table
/// privileges, one per table and privilege for column privileges.
pub fn grant_statements(role: &Role) -> Vec<String> {
    let mut tables: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut columns: Vec<((&str, &str), Vec<&str>)> = Vec::new();
    for p in &role.privileges {
        match &p.column {
            None => match tables.iter_mut().find(|(t, _)| *t == p.table) {
                Some((_, privileges)) => privileges.push(&p.privilege),
                None => tables.push((&p.table, vec![&p.privilege])),
            },
            Some(column) => match columns.iter_mut().find(|(k, _)| *k == (p.table.as_str(), p.privilege.as_str())) {
                Some((_, list)) => list.push(column),
                None => columns.push(((&p.table, &p.privilege), vec![column])),
            },
        }
    }
    let mut out: Vec<String> = tables
        .into_iter()
        .map(|(table, privileges)| {
            format!("GRANT {} ON {} TO {}", privileges.join(", "), ident(table), ident(&role.name))
        })
        .collect();
    out.extend(columns.into_iter().map(|((table, privilege), list)| {
        format!("GRANT {privilege} ({}) ON {} TO {}", ident_list(&list), ident(table), ident(&role.name))
    }));
    out
}

/// `CREATE SQL SECURITY INVOKER VIEW `name` AS …`, without the semicolon.
pub fn view_statement(v: &View) -> String {
    format!("CREATE SQL SECURITY {} VIEW {} AS {}", v.security, ident(&v.name), v.query)
}

/// `CREATE PROCEDURE `name`(…) MODIFIES SQL DATA SQL SECURITY … BEGIN … END`, without a delimiter.
pub fn procedure_statement(p: &Procedure) -> String {
    format!(
        "CREATE PROCEDURE {}({})\nMODIFIES SQL DATA SQL SECURITY {}\n{}",
        ident(&p.name),
        p.parameters.join(", "),
        p.security,
        p.body
    )
}

/// `CREATE TRIGGER `name` BEFORE UPDATE ON `t` FOR EACH ROW …`, without a delimiter.
pub fn trigger_statement(t: &Trigger) -> String {
    format!(
        "CREATE TRIGGER {} {} {} ON {} FOR EACH ROW\n{}",
        ident(&t.name),
        t.timing,
        t.event,
        ident(&t.table),
        t.body
    )
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
                    ty: "bigint".into(),
                    not_null: true,
                    auto_increment: true,
                    ..Column::default()
                },
                Column { name: "n".into(), ty: "varchar(3)".into(), default: Some("'x'".into()), ..Column::default() },
                Column { name: "j".into(), ty: "json".into(), default: Some("'{}'".into()), ..Column::default() },
            ],
            primary_key: vec!["id".into()],
            indexes: vec![Index {
                name: "order_n_key".into(),
                unique: true,
                keys: vec!["`n`".into()],
                implicit: false,
                comment: None,
            }],
            checks: vec![Check { name: "order_n_check".into(), expr: "char_length(`n`) > 1".into() }],
            foreign_keys: vec![ForeignKey {
                name: "order_n_fkey".into(),
                columns: vec!["n".into()],
                references: "other".into(),
                referenced_columns: vec!["k".into()],
                on_delete: "CASCADE".into(),
                on_update: "RESTRICT".into(),
            }],
            collation: "utf8mb4_bin".into(),
            comment: Some("it's".into()),
        };
        assert_eq!(
            table_statement(&t),
            "CREATE TABLE `order` (\n  `id` bigint NOT NULL AUTO_INCREMENT,\n  `n` varchar(3) DEFAULT 'x',\n  \
             `j` json DEFAULT ('{}'),\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `order_n_key` (`n`),\n  \
             CONSTRAINT `order_n_check` CHECK (char_length(`n`) > 1),\n  CONSTRAINT `order_n_fkey` FOREIGN KEY \
             (`n`) REFERENCES `other` (`k`) ON DELETE CASCADE ON UPDATE RESTRICT\n) ENGINE=InnoDB DEFAULT \
             CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT='it''s'"
        );
    }
}
