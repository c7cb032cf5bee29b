//! Reads a live MySQL 8 / MariaDB 10.11 database into the MySQL backend's
//! physical model ([`Schema`]), so `backends::mysql::compare` can hold it
//! against what schemac lowered.
//!
//! Everything comes from `information_schema` (TABLES, COLUMNS, STATISTICS,
//! TABLE_CONSTRAINTS, CHECK_CONSTRAINTS, KEY_COLUMN_USAGE,
//! REFERENTIAL_CONSTRAINTS, VIEWS, TRIGGERS, ROUTINES) and, for roles, the grant
//! tables (`mysql.tables_priv`, `columns_priv`, `roles_mapping` on MariaDB,
//! `role_edges` on MySQL), with the database name bound as a parameter. What the two engines report differently is normalised to
//! the model's spelling: integer display widths (`int(11)`) are dropped,
//! MariaDB's `json` (a `longtext` with a column-level `json_valid` check
//! named as the column) reads as `json`, the string `NULL` MariaDB reports
//! for "no default" reads as none, and InnoDB's NO ACTION as RESTRICT. This
//! module only reads and does not judge what it reads. Lists are sorted by
//! name, so two reads of one database are equal.

use std::collections::BTreeMap;

use mysql::prelude::Queryable;
use mysql::{Conn, Result};

use crate::backends::mysql::lower::key_column;
use crate::backends::mysql::model::*;
use crate::backends::mysql::quote::ident;

/// A procedure's parameter: routine, mode, name, type.
type ParameterRow = (String, Option<String>, Option<String>, Option<String>);

/// Reads every table, view, trigger and procedure of `database`.
pub fn read_schema(conn: &mut Conn, database: &str) -> Result<Schema> {
    let version: String = conn.query_first("SELECT version()")?.unwrap_or_default();
    let mariadb = version.contains("MariaDB");
    let mut schema = Schema::default();
    let relations: Vec<(String, String, Option<String>, Option<String>)> = conn.exec(
        "SELECT TABLE_NAME, TABLE_TYPE, TABLE_COLLATION, TABLE_COMMENT FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME",
        (database,),
    )?;
    let mut columns = read_columns(conn, database, mariadb)?;
    let views: BTreeMap<String, String> = conn
        .exec::<(String, String), _, _>(
            "SELECT TABLE_NAME, SECURITY_TYPE FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?",
            (database,),
        )?
        .into_iter()
        .collect();
    let mut checks = read_checks(conn, database, mariadb)?;
    let mut indexes = read_indexes(conn, database)?;
    let mut foreign_keys = read_foreign_keys(conn, database)?;
    for (name, kind, collation, comment) in relations {
        let mut cols = columns.remove(&name).unwrap_or_default();
        if kind == "VIEW" {
            schema.views.push(View {
                columns: cols.into_iter().map(|c| c.name).collect(),
                security: views.get(&name).cloned().unwrap_or_default(),
                query: String::new(),
                comment: None,
                name,
            });
            continue;
        }
        let mut table_checks = checks.remove(&name).unwrap_or_default();
        // MariaDB's json: longtext with `CONSTRAINT <column> CHECK (json_valid(<column>))`.
        for column in cols.iter_mut().filter(|c| c.ty == "longtext") {
            let json_check = format!("json_valid({})", ident(&column.name));
            if let Some(at) = table_checks.iter().position(|c| c.name == column.name && c.expr == json_check) {
                table_checks.remove(at);
                column.ty = "json".into();
            }
        }
        let mut table_indexes = indexes.remove(&name).unwrap_or_default();
        let primary_key = match table_indexes.iter().position(|i| i.name == "PRIMARY") {
            Some(at) => table_indexes.remove(at).keys.iter().map(|k| key_column(k)).collect(),
            None => Vec::new(),
        };
        let table_fks = foreign_keys.remove(&name).unwrap_or_default();
        for index in &mut table_indexes {
            let columns: Vec<String> = index.keys.iter().map(|k| key_column(k)).collect();
            index.implicit = table_fks.iter().any(|fk| fk.name == index.name && fk.columns == columns);
        }
        schema.tables.push(Table {
            name,
            columns: cols,
            primary_key,
            indexes: table_indexes,
            checks: table_checks,
            foreign_keys: table_fks,
            collation: collation.unwrap_or_default(),
            comment: comment.filter(|c| !c.is_empty()),
        });
    }
    let triggers: Vec<(String, String, String, String, String)> = conn.exec(
        "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_STATEMENT \
         FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY TRIGGER_NAME",
        (database,),
    )?;
    for (name, table, timing, event, body) in triggers {
        schema.triggers.push(Trigger { name, table, timing, event, body, comment: None });
    }
    let procedures: Vec<(String, String, Option<String>)> = conn.exec(
        "SELECT ROUTINE_NAME, SECURITY_TYPE, ROUTINE_DEFINITION FROM information_schema.ROUTINES \
         WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE = 'PROCEDURE' ORDER BY ROUTINE_NAME",
        (database,),
    )?;
    let mut parameters: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let listed: Vec<ParameterRow> = conn.exec(
        "SELECT SPECIFIC_NAME, PARAMETER_MODE, PARAMETER_NAME, DTD_IDENTIFIER FROM information_schema.PARAMETERS \
         WHERE SPECIFIC_SCHEMA = ? AND ROUTINE_TYPE = 'PROCEDURE' ORDER BY SPECIFIC_NAME, ORDINAL_POSITION",
        (database,),
    )?;
    for (routine, mode, name, ty) in listed {
        let (mode, name, ty) = (mode.unwrap_or_default(), name.unwrap_or_default(), ty.unwrap_or_default());
        let ty = column_type(ty.split(" CHARSET").next().unwrap_or_default());
        parameters.entry(routine).or_default().push(format!("{mode} {} {ty}", ident(&name)));
    }
    for (name, security, body) in procedures {
        let body = body.unwrap_or_default();
        let parameters = parameters.remove(&name).unwrap_or_default();
        schema.procedures.push(Procedure { name, parameters, security, body, comment: None });
    }
    schema.roles = read_roles(conn, database, mariadb)?;
    Ok(schema)
}

/// The accounts (roles) holding privileges on `database`'s tables, with
/// the roles granted to them, sorted by name. Read from the grant tables
/// (`mysql.tables_priv`, `mysql.columns_priv`): information_schema shows a
/// role's privileges together with those it inherits.
fn read_roles(conn: &mut Conn, database: &str, mariadb: bool) -> Result<Vec<Role>> {
    let mut roles: BTreeMap<String, Role> = BTreeMap::new();
    let tables: Vec<(String, String, String)> = conn.exec(
        "SELECT User, Table_name, CAST(Table_priv AS CHAR) FROM mysql.tables_priv WHERE Db = ? \
         ORDER BY User, Table_name",
        (database,),
    )?;
    for (user, table, privileges) in tables {
        let role = roles.entry(user.clone()).or_insert_with(|| empty_role(&user));
        for privilege in privileges.split(',').filter(|p| !p.is_empty()) {
            role.privileges.push(Privilege {
                privilege: privilege.to_ascii_uppercase(),
                table: table.clone(),
                column: None,
            });
        }
    }
    let columns: Vec<(String, String, String, String)> = conn.exec(
        "SELECT User, Table_name, Column_name, CAST(Column_priv AS CHAR) FROM mysql.columns_priv WHERE Db = ? \
         ORDER BY User, Table_name, Column_name",
        (database,),
    )?;
    for (user, table, column, privileges) in columns {
        let role = roles.entry(user.clone()).or_insert_with(|| empty_role(&user));
        for privilege in privileges.split(',').filter(|p| !p.is_empty()) {
            role.privileges.push(Privilege {
                privilege: privilege.to_ascii_uppercase(),
                table: table.clone(),
                column: Some(column.clone()),
            });
        }
    }
    // (role, the role granted to it)
    let edges: Vec<(String, String)> = if mariadb {
        conn.query("SELECT User, Role FROM mysql.roles_mapping WHERE Host = '' ORDER BY User, Role")?
    } else {
        conn.query("SELECT TO_USER, FROM_USER FROM mysql.role_edges ORDER BY TO_USER, FROM_USER")?
    };
    for (user, parent) in edges {
        if let Some(role) = roles.get_mut(&user) {
            role.inherits.push(parent);
        }
    }
    let mut roles: Vec<Role> = roles.into_values().collect();
    for role in &mut roles {
        role.privileges.sort();
        role.privileges.dedup();
    }
    Ok(roles)
}

fn empty_role(name: &str) -> Role {
    Role { name: name.to_string(), inherits: Vec::new(), login: false, privileges: Vec::new() }
}

type ColumnRow = (String, String, String, String, Option<String>, String, Option<String>, String);

/// The columns of each table and view, in order.
fn read_columns(conn: &mut Conn, database: &str, mariadb: bool) -> Result<BTreeMap<String, Vec<Column>>> {
    let rows: Vec<ColumnRow> = conn.exec(
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, \
         GENERATION_EXPRESSION, COLUMN_COMMENT FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION",
        (database,),
    )?;
    let mut out: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for (table, name, ty, nullable, default, extra, generation, comment) in rows {
        let ty = column_type(&ty);
        let extra_lower = extra.to_ascii_lowercase();
        let generated = (extra_lower.contains("generated") && !extra_lower.contains("default_generated"))
            .then(|| generation.unwrap_or_default())
            .filter(|g| !g.is_empty());
        let default = match default {
            Some(d) if mariadb && d == "NULL" => None,
            Some(d) if !mariadb && !extra_lower.contains("default_generated") && quoted_default(&ty) => {
                Some(crate::backends::mysql::quote::literal(&d))
            }
            d => d,
        };
        out.entry(table).or_default().push(Column {
            name,
            ty,
            not_null: nullable == "NO",
            default: if generated.is_some() { None } else { default },
            generated,
            auto_increment: extra_lower.contains("auto_increment"),
            comment: Some(comment).filter(|c| !c.is_empty()),
        });
    }
    Ok(out)
}

/// Whether MySQL 8 reports this type's literal default without its quotes.
fn quoted_default(ty: &str) -> bool {
    ["char", "varchar", "enum", "set", "date", "time", "datetime", "timestamp", "binary", "varbinary"]
        .iter()
        .any(|t| ty == *t || ty.starts_with(&format!("{t}(")))
}

/// `COLUMN_TYPE` as MySQL 8 spells it: no display width on integers but
/// `tinyint(1)` (the boolean).
pub fn column_type(ty: &str) -> String {
    // Enum and set values keep their case.
    if let Some(open) = ty.find('(').filter(|_| {
        let lower = ty.to_ascii_lowercase();
        lower.starts_with("enum(") || lower.starts_with("set(")
    }) {
        return format!("{}{}", ty[..open].to_ascii_lowercase(), &ty[open..]);
    }
    let ty = ty.to_ascii_lowercase();
    for int in ["bigint", "mediumint", "smallint", "int", "tinyint"] {
        if let Some(rest) = ty.strip_prefix(int).and_then(|r| r.strip_prefix('(')) {
            if let Some((width, tail)) = rest.split_once(')') {
                if int == "tinyint" && width == "1" {
                    return ty;
                }
                return format!("{int}{tail}");
            }
        }
    }
    ty
}

/// CHECK constraints by table, sorted by name.
fn read_checks(conn: &mut Conn, database: &str, mariadb: bool) -> Result<BTreeMap<String, Vec<Check>>> {
    // MariaDB names checks per table (and reports the table); MySQL per database.
    let query = if mariadb {
        "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS \
         WHERE CONSTRAINT_SCHEMA = ? ORDER BY TABLE_NAME, CONSTRAINT_NAME"
    } else {
        "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE FROM information_schema.TABLE_CONSTRAINTS tc \
         JOIN information_schema.CHECK_CONSTRAINTS cc ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA \
         AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME \
         WHERE tc.CONSTRAINT_TYPE = 'CHECK' AND tc.TABLE_SCHEMA = ? ORDER BY tc.TABLE_NAME, cc.CONSTRAINT_NAME"
    };
    let rows: Vec<(String, String, String)> = conn.exec(query, (database,))?;
    let mut out: BTreeMap<String, Vec<Check>> = BTreeMap::new();
    for (table, name, expr) in rows {
        out.entry(table).or_default().push(Check { name, expr });
    }
    Ok(out)
}

/// Indexes by table (PRIMARY among them), sorted by name.
fn read_indexes(conn: &mut Conn, database: &str) -> Result<BTreeMap<String, Vec<Index>>> {
    let rows: Vec<(String, String, i64, String, Option<String>)> = conn.exec(
        "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, COLLATION FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        (database,),
    )?;
    let mut out: BTreeMap<String, Vec<Index>> = BTreeMap::new();
    for (table, name, non_unique, column, collation) in rows {
        let key = if collation.as_deref() == Some("D") { format!("{} DESC", ident(&column)) } else { ident(&column) };
        let indexes = out.entry(table).or_default();
        match indexes.last_mut() {
            Some(last) if last.name == name => last.keys.push(key),
            _ => indexes.push(Index { name, unique: non_unique == 0, keys: vec![key], implicit: false, comment: None }),
        }
    }
    Ok(out)
}

type ForeignKeyRow = (String, String, String, String, String, String, String);

/// Foreign keys by table, sorted by name.
fn read_foreign_keys(conn: &mut Conn, database: &str) -> Result<BTreeMap<String, Vec<ForeignKey>>> {
    let rows: Vec<ForeignKeyRow> = conn.exec(
        "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, \
         r.DELETE_RULE, r.UPDATE_RULE FROM information_schema.KEY_COLUMN_USAGE k \
         JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA \
         AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME \
         WHERE k.TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL \
         ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
        (database,),
    )?;
    let rule = |r: String| if r == "NO ACTION" { "RESTRICT".to_string() } else { r };
    let mut out: BTreeMap<String, Vec<ForeignKey>> = BTreeMap::new();
    for (table, name, column, references, referenced, on_delete, on_update) in rows {
        let keys = out.entry(table).or_default();
        match keys.last_mut() {
            Some(last) if last.name == name => {
                last.columns.push(column);
                last.referenced_columns.push(referenced);
            }
            _ => keys.push(ForeignKey {
                name,
                columns: vec![column],
                references,
                referenced_columns: vec![referenced],
                on_delete: rule(on_delete),
                on_update: rule(on_update),
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_display_widths_are_dropped_but_the_boolean_keeps_its_own() {
        assert_eq!(column_type("int(11)"), "int");
        assert_eq!(column_type("bigint(20) unsigned"), "bigint unsigned");
        assert_eq!(column_type("tinyint(1)"), "tinyint(1)");
        assert_eq!(column_type("varchar(255)"), "varchar(255)");
        assert_eq!(column_type("DECIMAL(19,4)"), "decimal(19,4)");
        assert_eq!(column_type("enum('G','PG')"), "enum('G','PG')");
    }
}
