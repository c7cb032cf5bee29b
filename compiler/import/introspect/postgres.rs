//! Reads one namespace of a live PostgreSQL (15+) database into the backend's
//! physical model ([`Catalog`]), so `backends::postgres::compare` can hold it
//! against what schemac lowered.
//!
//! Everything comes from `pg_catalog`, printed by PostgreSQL itself
//! (`format_type`, `pg_get_expr`, `pg_get_constraintdef`, `pg_get_indexdef`,
//! `pg_get_viewdef`), with user types schema-qualified the way `types.rs`
//! spells them. Every query is a constant with the schema name as `$1`: no
//! user text is ever formatted into SQL. This module only reads; it must not
//! change the database, and it does not judge what it reads. Every list is
//! sorted by name, so two reads of one database are equal.
//!
//! Roles are the cluster's: only those the schema's grants and policies name
//! are read, with the roles they are members of.
//!
//! Not read (the model has no place for them): partitions of partitions,
//! non-default operator classes and collations of index keys and exclusion
//! elements, domain defaults and NOT NULL, trigger conditions and column
//! lists, `INITIALLY DEFERRED` apart from `DEFERRABLE`, row-level security
//! that is forced but not enabled, function settings other than
//! `search_path`, privileges of PUBLIC on tables and views, privileges on the
//! schema and on sequences, grantors and grant options, role attributes
//! other than LOGIN.

use std::collections::{BTreeMap, BTreeSet};

use postgres::types::Oid;
use postgres::{Client, Error, Row};

use crate::backends::postgres::compare::used_roles;
use crate::backends::postgres::model::*;
use crate::backends::postgres::quote;

/// Reads every object schemac models in `schema`.
pub fn read_catalog(client: &mut Client, schema: &str) -> Result<Catalog, Error> {
    let mut catalog = Catalog {
        schema: schema.to_string(),
        extensions: read_extensions(client)?,
        enums: read_enums(client, schema)?,
        domains: read_domains(client, schema)?,
        tables: read_tables(client, schema)?,
        foreign_keys: read_foreign_keys(client, schema)?,
        indexes: read_indexes(client, schema)?,
        views: read_views(client, schema)?,
        functions: Vec::new(),
        aggregates: read_aggregates(client, schema)?,
        triggers: read_triggers(client, schema)?,
        policies: read_policies(client, schema)?,
        roles: Vec::new(),
        grants: Vec::new(),
    };
    let functions = read_functions(client, schema)?;
    catalog.grants = read_grants(client, schema, &functions)?;
    catalog.functions = functions.into_values().collect();
    catalog.roles = read_roles(client, &catalog)?;
    sort(&mut catalog);
    Ok(catalog)
}

/// The database's schemas but PostgreSQL's own (`pg_*`, `information_schema`)
/// and those an extension made, by name.
pub fn read_schemas(client: &mut Client) -> Result<Vec<String>, Error> {
    let rows = client.query(
        "SELECT n.nspname::text FROM pg_namespace n \
         WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' \
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass \
                           AND d.objid = n.oid AND d.deptype = 'e') \
         ORDER BY convert_to(n.nspname, 'UTF8')",
        &[],
    )?;
    rows.iter().map(|r| r.try_get(0)).collect()
}

/// Byte order, not the server's collation: two reads on any server agree.
fn sort(catalog: &mut Catalog) {
    catalog.extensions.sort();
    catalog.enums.sort_by(|a, b| a.name.cmp(&b.name));
    catalog.domains.sort_by(|a, b| a.name.cmp(&b.name));
    catalog.tables.sort_by(|a, b| a.name.cmp(&b.name));
    for table in &mut catalog.tables {
        table.uniques.sort_by(|a, b| a.name.cmp(&b.name));
        table.checks.sort_by(|a, b| a.name.cmp(&b.name));
        table.exclusions.sort_by(|a, b| a.name.cmp(&b.name));
        table.partitions.sort_by(|a, b| a.name.cmp(&b.name));
    }
    catalog.foreign_keys.sort_by(|a, b| (&a.table, &a.name).cmp(&(&b.table, &b.name)));
    catalog.indexes.sort_by(|a, b| (&a.name, &a.table).cmp(&(&b.name, &b.table)));
    catalog.views.sort_by(|a, b| a.name.cmp(&b.name));
    catalog.functions.sort_by(|a, b| (&a.name, &a.params).cmp(&(&b.name, &b.params)));
    catalog.triggers.sort_by(|a, b| (&a.name, &a.table).cmp(&(&b.name, &b.table)));
    catalog.aggregates.sort_by(|a, b| (&a.name, &a.params).cmp(&(&b.name, &b.params)));
    for policy in &mut catalog.policies {
        policy.roles.sort();
    }
    catalog.policies.sort_by(|a, b| (&a.table, &a.name).cmp(&(&b.table, &b.name)));
    // As lowering orders them (`Grant` derives `Ord`); columns stay in attnum order.
    catalog.grants.sort();
    for role in &mut catalog.roles {
        role.member_of.sort();
    }
    catalog.roles.sort_by(|a, b| a.name.cmp(&b.name));
}

/// SQL for a type as `types.rs` spells it: `format_type` for built-in
/// (`pg_catalog`) types, `schema.name` for every other type, and for an
/// array of such a type its element qualified that way plus `[]`.
/// `oid` and `typmod` are SQL expressions of the calling query (constants of
/// this module, never user text).
fn type_sql(oid: &str, typmod: &str) -> String {
    format!(
        "(SELECT CASE \
           WHEN tn.nspname = 'pg_catalog' THEN format_type(ty.oid, {typmod}) \
           WHEN ty.typcategory = 'A' AND ty.typelem <> 0 THEN \
             (SELECT CASE WHEN en.nspname = 'pg_catalog' THEN format_type(ty.oid, {typmod}) \
                     ELSE quote_ident(en.nspname) || '.' || quote_ident(et.typname) || '[]' END \
                FROM pg_type et JOIN pg_namespace en ON en.oid = et.typnamespace WHERE et.oid = ty.typelem) \
           ELSE quote_ident(tn.nspname) || '.' || quote_ident(ty.typname) END \
         FROM pg_type ty JOIN pg_namespace tn ON tn.oid = ty.typnamespace WHERE ty.oid = {oid})"
    )
}

/// SQL: whether the object `oid` of the system catalog `class` was created
/// by an extension (and so is the extension's, not the schema's).
fn from_extension(class: &str, oid: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '{class}'::regclass \
         AND dep.objid = {oid} AND dep.deptype = 'e')"
    )
}

/// SQL: the names of the columns `attnums` (an `int2[]`) of relation `rel`, in array order.
fn column_names(attnums: &str, rel: &str) -> String {
    format!(
        "ARRAY(SELECT a.attname::text FROM unnest({attnums}) WITH ORDINALITY k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.attnum ORDER BY k.ord)"
    )
}

/// SQL: the tables schemac models (alias `c`): ordinary and partitioned,
/// not partitions, not an extension's.
const TABLE_FILTER: &str = "c.relkind IN ('r', 'p') AND NOT c.relispartition AND NOT EXISTS \
     (SELECT 1 FROM pg_depend dep WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid AND dep.deptype = 'e')";

fn read_extensions(client: &mut Client) -> Result<Vec<String>, Error> {
    let rows = client.query("SELECT extname::text FROM pg_extension WHERE extname <> 'plpgsql'", &[])?;
    rows.iter().map(|r| r.try_get(0)).collect()
}

fn read_enums(client: &mut Client, schema: &str) -> Result<Vec<EnumType>, Error> {
    let sql = format!(
        "SELECT t.typname::text, \
                ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder), \
                obj_description(t.oid, 'pg_type') \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE n.nspname = $1 AND t.typtype = 'e' AND NOT {}",
        from_extension("pg_type", "t.oid")
    );
    let rows = client.query(&sql, &[&schema])?;
    rows.iter().map(|r| Ok(EnumType { name: r.try_get(0)?, labels: r.try_get(1)?, comment: r.try_get(2)? })).collect()
}

fn read_domains(client: &mut Client, schema: &str) -> Result<Vec<DomainType>, Error> {
    // The model holds one check per domain: the first by name.
    let sql = format!(
        "SELECT t.typname::text, {}, con.conname::text, pg_get_constraintdef(con.oid), \
                obj_description(t.oid, 'pg_type') \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         LEFT JOIN LATERAL (SELECT c.oid, c.conname FROM pg_constraint c \
                            WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname LIMIT 1) con ON true \
         WHERE n.nspname = $1 AND t.typtype = 'd' AND NOT {}",
        type_sql("t.typbasetype", "t.typtypmod"),
        from_extension("pg_type", "t.oid")
    );
    let rows = client.query(&sql, &[&schema])?;
    rows.iter()
        .map(|r| {
            let check = match (r.try_get::<_, Option<String>>(2)?, r.try_get::<_, Option<String>>(3)?) {
                (Some(name), Some(def)) => Some(Check { name, expr: check_expr(&def), raw: false }),
                _ => None,
            };
            Ok(DomainType { name: r.try_get(0)?, base: r.try_get(1)?, check, comment: r.try_get(4)? })
        })
        .collect()
}

/// The condition of `CHECK (…)` as `pg_get_constraintdef` prints it.
pub fn check_expr(definition: &str) -> String {
    let mut text = definition.trim();
    for suffix in [" NOT VALID", " NO INHERIT"] {
        text = text.strip_suffix(suffix).unwrap_or(text).trim_end();
    }
    match text.strip_prefix("CHECK (").and_then(|t| t.strip_suffix(')')) {
        Some(inner) => inner.to_string(),
        None => text.to_string(),
    }
}

fn read_tables(client: &mut Client, schema: &str) -> Result<Vec<Table>, Error> {
    let sql = format!(
        "SELECT c.oid, c.relname::text, obj_description(c.oid, 'pg_class'), \
                c.relrowsecurity, c.relforcerowsecurity \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND {TABLE_FILTER}"
    );
    let mut tables: BTreeMap<Oid, Table> = BTreeMap::new();
    for row in client.query(&sql, &[&schema])? {
        let table = Table {
            name: row.try_get(1)?,
            columns: Vec::new(),
            primary_key: None,
            uniques: Vec::new(),
            checks: Vec::new(),
            partition: None,
            partitions: Vec::new(),
            row_security: match (row.try_get(3)?, row.try_get(4)?) {
                (false, _) => RowSecurity::Off,
                (true, false) => RowSecurity::Enabled,
                (true, true) => RowSecurity::Forced,
            },
            comment: row.try_get(2)?,
            ..Table::default()
        };
        tables.insert(row.try_get(0)?, table);
    }
    read_columns(client, schema, &mut tables)?;
    read_constraints(client, schema, &mut tables)?;
    read_exclusions(client, schema, &mut tables)?;
    read_partition_keys(client, schema, &mut tables)?;
    read_partitions(client, schema, &mut tables)?;
    Ok(tables.into_values().collect())
}

fn read_columns(client: &mut Client, schema: &str, tables: &mut BTreeMap<Oid, Table>) -> Result<(), Error> {
    let sql = format!(
        "SELECT a.attrelid, a.attname::text, {}, a.attnotnull, \
                CASE WHEN a.attgenerated = '' AND a.attidentity = '' THEN pg_get_expr(d.adbin, d.adrelid) END, \
                a.attidentity <> '', a.attidentity = 'a', \
                CASE WHEN a.attgenerated = 's' THEN pg_get_expr(d.adbin, d.adrelid) END, \
                col_description(a.attrelid, a.attnum), \
                (SELECT s.oid::regclass::text FROM pg_depend dep JOIN pg_class s ON s.oid = dep.objid \
                  WHERE dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass \
                    AND dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum \
                    AND dep.deptype = 'a' AND s.relkind = 'S' LIMIT 1) \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE n.nspname = $1 AND {TABLE_FILTER} AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attrelid, a.attnum",
        type_sql("a.atttypid", "a.atttypmod")
    );
    for row in client.query(&sql, &[&schema])? {
        let Some(table) = tables.get_mut(&row.try_get(0)?) else { continue };
        let default: Option<String> = row.try_get(4)?;
        let owned_sequence: Option<String> = row.try_get(9)?;
        // A serial column: its default is the next value of the sequence it
        // owns, or of one named as `serial` names it (`<table>_<column>_seq`;
        // whether the column owns it is not part of the model).
        let column: String = row.try_get(1)?;
        let standard = crate::backends::postgres::names::identity_sequence(&table.name, &column);
        let serial = match &default {
            Some(default) => {
                owned_sequence.is_some_and(|s| *default == format!("nextval({}::regclass)", quote::literal(&s)))
                    || default.strip_prefix("nextval('").and_then(|d| d.strip_suffix("'::regclass)")).is_some_and(
                        |name| name.rsplit('.').next().map(|n| n.trim_matches('"')) == Some(standard.as_str()),
                    )
            }
            None => false,
        };
        table.columns.push(Column {
            name: column,
            ty: row.try_get(2)?,
            not_null: row.try_get(3)?,
            default,
            identity: row.try_get(5)?,
            identity_always: row.try_get(6)?,
            serial,
            generated: row.try_get(7)?,
            comment: row.try_get(8)?,
        });
    }
    Ok(())
}

/// Primary keys, UNIQUE constraints and the table's own CHECK constraints.
fn read_constraints(client: &mut Client, schema: &str, tables: &mut BTreeMap<Oid, Table>) -> Result<(), Error> {
    let sql = format!(
        "SELECT con.conrelid, con.contype::text, con.conname::text, {}, pg_get_constraintdef(con.oid) \
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND {TABLE_FILTER} \
           AND (con.contype IN ('p', 'u') OR (con.contype = 'c' AND con.conislocal))",
        column_names("con.conkey", "con.conrelid")
    );
    for row in client.query(&sql, &[&schema])? {
        let Some(table) = tables.get_mut(&row.try_get(0)?) else { continue };
        let kind: String = row.try_get(1)?;
        let name: String = row.try_get(2)?;
        match kind.as_str() {
            "p" => table.primary_key = Some(Key { name, columns: row.try_get(3)? }),
            "u" => table.uniques.push(Key { name, columns: row.try_get(3)? }),
            _ => {
                let definition: String = row.try_get(4)?;
                table.checks.push(Check { name, expr: check_expr(&definition), raw: false });
            }
        }
    }
    Ok(())
}

/// EXCLUDE constraints (`contype = 'x'`; `read_constraints` and
/// `read_indexes` leave them and their indexes out). Each element is the
/// index key as `pg_get_indexdef` prints it, written the way lowering writes
/// one: a column quoted by `quote::ident`, an expression in parentheses.
fn read_exclusions(client: &mut Client, schema: &str, tables: &mut BTreeMap<Oid, Table>) -> Result<(), Error> {
    // A key that is an expression has attnum 0: its name comes back empty.
    let sql = format!(
        "SELECT con.conrelid, con.conname::text, am.amname::text, \
                ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) \
                      FROM generate_series(1, x.indnkeyatts::int4) k ORDER BY k), \
                ARRAY(SELECT COALESCE(a.attname::text, '') \
                      FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord) \
                      LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum \
                      WHERE k.ord <= x.indnkeyatts ORDER BY k.ord), \
                ARRAY(SELECT o.oprname::text FROM unnest(con.conexclop) WITH ORDINALITY u(op, ord) \
                      JOIN pg_operator o ON o.oid = u.op ORDER BY u.ord), \
                pg_get_expr(x.indpred, x.indrelid) \
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_index x ON x.indexrelid = con.conindid \
         JOIN pg_class ic ON ic.oid = x.indexrelid JOIN pg_am am ON am.oid = ic.relam \
         WHERE n.nspname = $1 AND {TABLE_FILTER} AND con.contype = 'x'"
    );
    for row in client.query(&sql, &[&schema])? {
        let Some(table) = tables.get_mut(&row.try_get(0)?) else { continue };
        let keys: Vec<String> = row.try_get(3)?;
        let names: Vec<String> = row.try_get(4)?;
        let operators: Vec<String> = row.try_get(5)?;
        let elements = keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let name = names.get(i).map(String::as_str).unwrap_or("");
                (exclusion_element(key, name), operators.get(i).cloned().unwrap_or_default())
            })
            .collect();
        table.exclusions.push(Exclusion {
            name: row.try_get(1)?,
            method: row.try_get(2)?,
            elements,
            predicate: row.try_get(6)?,
        });
    }
    Ok(())
}

/// An exclusion element as lowering writes it, from the key's
/// `pg_get_indexdef` text and its column name (empty for an expression).
/// PostgreSQL parenthesises every expression key except one that prints as
/// a function call, so a key that starts with `(` is already wrapped.
fn exclusion_element(key: &str, column: &str) -> String {
    if !column.is_empty() {
        quote::ident(column)
    } else if key.starts_with('(') {
        key.to_string()
    } else {
        format!("({key})")
    }
}

fn read_partition_keys(client: &mut Client, schema: &str, tables: &mut BTreeMap<Oid, Table>) -> Result<(), Error> {
    // A key that is an expression has attnum 0: its name comes back empty and
    // the expression is taken from pg_get_partkeydef instead.
    let sql = "SELECT pt.partrelid, pg_get_partkeydef(pt.partrelid), \
                      ARRAY(SELECT COALESCE(a.attname::text, '') \
                            FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY k(attnum, ord) \
                            LEFT JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = k.attnum \
                            ORDER BY k.ord) \
               FROM pg_partitioned_table pt JOIN pg_class c ON c.oid = pt.partrelid \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE n.nspname = $1";
    for row in client.query(sql, &[&schema])? {
        let Some(table) = tables.get_mut(&row.try_get(0)?) else { continue };
        let definition: String = row.try_get(1)?;
        let names: Vec<String> = row.try_get(2)?;
        table.partition = Some(partition_by(&definition, &names));
    }
    Ok(())
}

/// `RANGE (created_at)` → strategy and columns; expression keys keep their text.
fn partition_by(definition: &str, names: &[String]) -> PartitionBy {
    let (strategy, rest) = definition.split_once(' ').unwrap_or((definition, ""));
    let inner = rest.trim().strip_prefix('(').and_then(|r| r.strip_suffix(')')).unwrap_or(rest);
    let items = split_top_level(inner);
    let columns = names
        .iter()
        .enumerate()
        .map(|(i, name)| match (name.is_empty(), items.get(i)) {
            (true, Some(item)) => item.clone(),
            _ => name.clone(),
        })
        .collect();
    PartitionBy { strategy: strategy.to_ascii_uppercase(), columns }
}

fn read_partitions(client: &mut Client, schema: &str, tables: &mut BTreeMap<Oid, Table>) -> Result<(), Error> {
    let sql = "SELECT i.inhparent, c.relname::text, pg_get_expr(c.relpartbound, c.oid) \
               FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
               JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace \
               WHERE n.nspname = $1 AND c.relispartition AND c.relkind IN ('r', 'p')";
    for row in client.query(sql, &[&schema])? {
        let Some(table) = tables.get_mut(&row.try_get(0)?) else { continue };
        let bound: Option<String> = row.try_get(2)?;
        table
            .partitions
            .push(Partition { name: row.try_get(1)?, bound: partition_bound(bound.as_deref().unwrap_or("")) });
    }
    Ok(())
}

/// A partition bound as `pg_get_expr(relpartbound, oid)` prints it. A form
/// this does not know is kept whole as the `from` of a range with an empty
/// `to`, so a comparison shows it rather than losing it.
pub fn partition_bound(text: &str) -> PartitionBound {
    let text = text.trim();
    if text == "DEFAULT" {
        return PartitionBound::Default;
    }
    let unknown = || PartitionBound::Range { from: text.to_string(), to: String::new() };
    if let Some(list) = text.strip_prefix("FOR VALUES IN (").and_then(|t| t.strip_suffix(')')) {
        return PartitionBound::List(split_top_level(list));
    }
    if let Some(hash) = text.strip_prefix("FOR VALUES WITH (").and_then(|t| t.strip_suffix(')')) {
        let mut modulus = None;
        let mut remainder = None;
        for part in split_top_level(hash) {
            match part.split_once(' ') {
                Some(("modulus", n)) => modulus = n.trim().parse().ok(),
                Some(("remainder", n)) => remainder = n.trim().parse().ok(),
                _ => {}
            }
        }
        return match (modulus, remainder) {
            (Some(modulus), Some(remainder)) => PartitionBound::Hash { modulus, remainder },
            _ => unknown(),
        };
    }
    if let Some(range) = text.strip_prefix("FOR VALUES FROM (").and_then(|t| t.strip_suffix(')')) {
        if let Some(at) = find_top_level(range, ") TO (") {
            return PartitionBound::Range { from: range[..at].to_string(), to: range[at + 6..].to_string() };
        }
    }
    unknown()
}

/// Calls `visit(offset, char, depth)` for every character outside quotes,
/// with the bracket depth before it; stops when `visit` returns true. A
/// doubled quote inside a literal closes and reopens it, which changes nothing.
fn outside_quotes(text: &str, mut visit: impl FnMut(usize, char, i32) -> bool) {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => {
                if visit(i, c, depth) {
                    return;
                }
                match c {
                    '\'' | '"' => quote = Some(c),
                    '(' | '[' => depth += 1,
                    ')' | ']' => depth -= 1,
                    _ => {}
                }
            }
        }
    }
}

/// The byte offset of the `)` that starts `needle` (`) TO (`), outside
/// quotes and nested brackets.
fn find_top_level(text: &str, needle: &str) -> Option<usize> {
    let mut found = None;
    outside_quotes(text, |i, c, depth| {
        if c == ')' && depth == 0 && text[i..].starts_with(needle) {
            found = Some(i);
        }
        found.is_some()
    });
    found
}

/// Splits at commas outside quotes and brackets; items trimmed.
pub fn split_top_level(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut start = 0;
    outside_quotes(text, |i, c, depth| {
        if c == ',' && depth == 0 {
            items.push(text[start..i].trim().to_string());
            start = i + 1;
        }
        false
    });
    let last = text[start..].trim();
    if !last.is_empty() || !items.is_empty() {
        items.push(last.to_string());
    }
    items
}

/// SQL: a relation's name, qualified when it lives outside the schema read.
fn relation_name(class: &str) -> String {
    format!(
        "(SELECT CASE WHEN rn.nspname = $1 THEN rc.relname::text \
                 ELSE quote_ident(rn.nspname) || '.' || quote_ident(rc.relname) END \
          FROM pg_class rc JOIN pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = {class})"
    )
}

fn read_foreign_keys(client: &mut Client, schema: &str) -> Result<Vec<ForeignKey>, Error> {
    let sql = format!(
        "SELECT c.relname::text, con.conname::text, {}, {}, {}, \
                con.confdeltype::text, con.confupdtype::text, con.condeferrable, \
                obj_description(con.oid, 'pg_constraint') \
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND {TABLE_FILTER} AND con.contype = 'f' AND con.conparentid = 0",
        column_names("con.conkey", "con.conrelid"),
        relation_name("con.confrelid"),
        column_names("con.confkey", "con.confrelid"),
    );
    let rows = client.query(&sql, &[&schema])?;
    rows.iter()
        .map(|r| {
            Ok(ForeignKey {
                table: r.try_get(0)?,
                name: r.try_get(1)?,
                columns: r.try_get(2)?,
                references: r.try_get::<_, Option<String>>(3)?.unwrap_or_default(),
                referenced_columns: r.try_get(4)?,
                on_delete: action(&r.try_get::<_, String>(5)?),
                on_update: action(&r.try_get::<_, String>(6)?),
                deferrable: r.try_get(7)?,
                comment: r.try_get(8)?,
            })
        })
        .collect()
}

/// `confdeltype` / `confupdtype` as the SQL words.
fn action(code: &str) -> String {
    match code {
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        _ => "NO ACTION",
    }
    .into()
}

fn read_indexes(client: &mut Client, schema: &str) -> Result<Vec<Index>, Error> {
    let sql = format!(
        "SELECT ic.relname::text, c.relname::text, x.indisunique, am.amname::text, x.indnkeyatts::int4, \
                x.indoption::int2[], \
                ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) \
                      FROM generate_series(1, x.indnkeyatts::int4) k ORDER BY k), \
                ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord) \
                      JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum \
                      WHERE k.ord > x.indnkeyatts ORDER BY k.ord), \
                pg_get_expr(x.indpred, x.indrelid), obj_description(ic.oid, 'pg_class') \
         FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid \
         JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_am am ON am.oid = ic.relam \
         WHERE n.nspname = $1 AND {TABLE_FILTER} \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conrelid = x.indrelid \
                           AND con.conindid = x.indexrelid AND con.contype IN ('p', 'u', 'x'))"
    );
    let rows = client.query(&sql, &[&schema])?;
    rows.iter().map(index).collect()
}

fn index(row: &Row) -> Result<Index, Error> {
    let options: Vec<i16> = row.try_get(5)?;
    let definitions: Vec<String> = row.try_get(6)?;
    let keys = definitions
        .into_iter()
        .enumerate()
        .map(|(i, key)| key + &ordering(options.get(i).copied().unwrap_or(0)))
        .collect();
    Ok(Index {
        name: row.try_get(0)?,
        table: row.try_get(1)?,
        unique: row.try_get(2)?,
        method: row.try_get(3)?,
        keys,
        include: row.try_get(7)?,
        predicate: row.try_get(8)?,
        comment: row.try_get(9)?,
    })
}

/// `indoption` bits (1 = DESC, 2 = NULLS FIRST) as the words PostgreSQL
/// needs beyond its defaults (NULLS LAST ascending, NULLS FIRST descending).
fn ordering(option: i16) -> String {
    let descending = option & 1 != 0;
    let nulls_first = option & 2 != 0;
    match (descending, nulls_first) {
        (false, false) => "",
        (false, true) => " NULLS FIRST",
        (true, true) => " DESC",
        (true, false) => " DESC NULLS LAST",
    }
    .into()
}

fn read_views(client: &mut Client, schema: &str) -> Result<Vec<View>, Error> {
    let sql = format!(
        "SELECT c.relname::text, c.relkind = 'm', pg_get_viewdef(c.oid, true), \
                ARRAY(SELECT a.attname::text FROM pg_attribute a \
                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum), \
                obj_description(c.oid, 'pg_class'), \
                COALESCE('security_invoker=true' = ANY (c.reloptions), false) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relkind IN ('v', 'm') AND NOT {}",
        from_extension("pg_class", "c.oid")
    );
    let rows = client.query(&sql, &[&schema])?;
    rows.iter()
        .map(|r| {
            let query: Option<String> = r.try_get(2)?;
            Ok(View {
                name: r.try_get(0)?,
                materialized: r.try_get(1)?,
                // As lowering writes it: no surrounding space, no semicolon.
                query: query.unwrap_or_default().trim().trim_end_matches(';').trim_end().to_string(),
                columns: r.try_get(3)?,
                comment: r.try_get(4)?,
                security_invoker: r.try_get(5)?,
            })
        })
        .collect()
}

/// What each view of `schema` reads besides tables: the schema's routines
/// (aggregates included) and its other views, by name. Not part of the
/// model (lowering cannot know it for SQL views); importing uses it to carry
/// only views whose dependencies it carries too.
pub fn read_view_dependencies(client: &mut Client, schema: &str) -> Result<BTreeMap<String, ViewDependencies>, Error> {
    let sql = "SELECT c.relname::text, \
                ARRAY(SELECT DISTINCT p.proname::text FROM pg_rewrite rw \
                      JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid \
                       AND d.refclassid = 'pg_proc'::regclass \
                      JOIN pg_proc p ON p.oid = d.refobjid JOIN pg_namespace pn ON pn.oid = p.pronamespace \
                      WHERE rw.ev_class = c.oid AND pn.nspname = $1 ORDER BY 1), \
                ARRAY(SELECT DISTINCT v.relname::text FROM pg_rewrite rw \
                      JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid \
                       AND d.refclassid = 'pg_class'::regclass \
                      JOIN pg_class v ON v.oid = d.refobjid AND v.oid <> c.oid AND v.relkind IN ('v', 'm') \
                      WHERE rw.ev_class = c.oid ORDER BY 1) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relkind IN ('v', 'm')";
    let mut out = BTreeMap::new();
    for row in client.query(sql, &[&schema])? {
        out.insert(row.try_get(0)?, ViewDependencies { routines: row.try_get(1)?, views: row.try_get(2)? });
    }
    Ok(out)
}

/// What one view reads besides tables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewDependencies {
    pub routines: Vec<String>,
    pub views: Vec<String>,
}

/// The schema's routines by oid (their grants name them by it).
fn read_functions(client: &mut Client, schema: &str) -> Result<BTreeMap<Oid, Function>, Error> {
    // Parameters are the IN, INOUT and VARIADIC arguments; when every argument
    // is IN, proallargtypes and proargmodes are NULL. A NULL proacl is the
    // default, where PUBLIC may execute; otherwise PUBLIC may when the list
    // says so (grantee 0).
    let sql = format!(
        "SELECT p.proname::text, p.prokind::text, p.proretset, \
                CASE WHEN p.prorettype = 'trigger'::regtype THEN 'trigger' ELSE {} END, \
                ARRAY(SELECT {} FROM unnest(COALESCE(p.proallargtypes, p.proargtypes::oid[])) \
                      WITH ORDINALITY u(t, ord) ORDER BY ord), \
                COALESCE(p.proargmodes::text[], '{{}}'), COALESCE(p.proargnames, '{{}}'), \
                l.lanname::text, p.prosrc, obj_description(p.oid, 'pg_proc'), \
                p.prosecdef, COALESCE(p.proconfig, '{{}}'), \
                p.proacl IS NOT NULL AND NOT EXISTS (SELECT 1 FROM aclexplode(p.proacl) acl \
                                                     WHERE acl.grantee = 0 AND acl.privilege_type = 'EXECUTE'), \
                p.oid, p.provolatile::text, COALESCE(pg_get_expr(p.proargdefaults, 0), ''), p.proisstrict \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang \
         WHERE n.nspname = $1 AND p.prokind IN ('f', 'p') AND NOT {}",
        type_sql("p.prorettype", "NULL"),
        type_sql("u.t", "NULL"),
        from_extension("pg_proc", "p.oid")
    );
    let rows = client.query(&sql, &[&schema])?;
    rows.iter().map(|r| Ok((r.try_get(13)?, function(r)?))).collect()
}

fn function(row: &Row) -> Result<Function, Error> {
    let name: String = row.try_get(0)?;
    let kind: String = row.try_get(1)?;
    let set: bool = row.try_get(2)?;
    let return_type: Option<String> = row.try_get(3)?;
    let types: Vec<Option<String>> = row.try_get(4)?;
    let modes: Vec<Option<String>> = row.try_get(5)?;
    let names: Vec<Option<String>> = row.try_get(6)?;
    let params: Vec<(String, String)> = types
        .into_iter()
        .enumerate()
        .filter(|(i, _)| matches!(modes.get(*i).cloned().flatten().as_deref(), None | Some("i" | "b" | "v")))
        .map(|(i, ty)| (names.get(i).cloned().flatten().unwrap_or_default(), ty.unwrap_or_default()))
        .collect();
    // The defaults of the last input parameters, as one comma-separated list.
    let given: String = row.try_get(15)?;
    let given = if given.is_empty() { Vec::new() } else { split_top_level(&given) };
    let defaults = if given.is_empty() {
        Vec::new()
    } else {
        let first = params.len().saturating_sub(given.len());
        (0..params.len()).map(|i| i.checked_sub(first).and_then(|j| given.get(j).cloned())).collect()
    };
    let returns = match (kind.as_str(), return_type) {
        ("p", _) => "procedure".to_string(),
        (_, Some(ty)) if set => format!("SETOF {ty}"),
        (_, ty) => ty.unwrap_or_default(),
    };
    Ok(Function {
        helper: name.starts_with("schemac_"),
        name,
        params,
        defaults,
        returns,
        language: row.try_get(7)?,
        body: row.try_get(8)?,
        volatility: match row.try_get::<_, String>(14)?.as_str() {
            "i" => Some("IMMUTABLE".into()),
            "s" => Some("STABLE".into()),
            _ => None,
        },
        strict: row.try_get(16)?,
        security_definer: row.try_get(10)?,
        search_path: search_path(&row.try_get::<_, Vec<String>>(11)?),
        revoke_public: row.try_get(12)?,
        comment: row.try_get(9)?,
    })
}

/// The value of the `search_path=…` entry of `proconfig` (`SET search_path
/// = …` on the function), as the server flattened it.
fn search_path(config: &[String]) -> Option<String> {
    config.iter().find_map(|entry| entry.strip_prefix("search_path=")).map(str::to_string)
}

fn read_triggers(client: &mut Client, schema: &str) -> Result<Vec<Trigger>, Error> {
    let sql = format!(
        "SELECT tg.tgname::text, c.relname::text, tg.tgtype::int4, {}, obj_description(tg.oid, 'pg_trigger'), \
                tg.tgnargs::int4, tg.tgargs \
         FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND NOT tg.tgisinternal AND tg.tgparentid = 0 \
           AND c.relkind IN ('r', 'p', 'v', 'f') AND NOT c.relispartition",
        function_name("tg.tgfoid")
    );
    let rows = client.query(&sql, &[&schema])?;
    rows.iter()
        .map(|r| {
            let tgtype: i32 = r.try_get(2)?;
            // tgargs: each argument ended by a NUL byte.
            let count: i32 = r.try_get(5)?;
            let bytes: Vec<u8> = r.try_get(6)?;
            let arguments = bytes
                .split(|b| *b == 0)
                .take(usize::try_from(count).unwrap_or(0))
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            Ok(Trigger {
                name: r.try_get(0)?,
                table: r.try_get(1)?,
                timing: timing(tgtype).into(),
                events: events(tgtype),
                for_each_row: tgtype & TRIGGER_ROW != 0,
                function: r.try_get::<_, Option<String>>(3)?.unwrap_or_default(),
                arguments,
                comment: r.try_get(4)?,
            })
        })
        .collect()
}

/// The schema's aggregates (not an extension's): their step and final
/// functions by name (qualified when in another schema), the state's type
/// and the initial state.
fn read_aggregates(client: &mut Client, schema: &str) -> Result<Vec<Aggregate>, Error> {
    let sql = format!(
        "SELECT p.proname::text, \
                ARRAY(SELECT {} FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, ord) ORDER BY ord), \
                {}, {}, CASE WHEN a.aggfinalfn = 0 THEN NULL ELSE {} END, a.agginitval, \
                obj_description(p.oid, 'pg_proc'), \
                a.aggkind <> 'n' OR a.aggcombinefn <> 0 OR a.aggserialfn <> 0 OR a.aggmtransfn <> 0 \
                  OR a.aggsortop <> 0 OR a.aggfinalextra OR a.aggfinalmodify <> 'r' OR a.aggtransspace <> 0 \
                  OR p.proparallel <> 'u' \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         JOIN pg_aggregate a ON a.aggfnoid = p.oid \
         WHERE n.nspname = $1 AND p.prokind = 'a' AND NOT {}",
        type_sql("u.t", "NULL"),
        type_sql("a.aggtranstype", "NULL"),
        function_name("a.aggtransfn"),
        function_name("a.aggfinalfn"),
        from_extension("pg_proc", "p.oid")
    );
    let rows = client.query(&sql, &[&schema])?;
    rows.iter()
        .map(|r| {
            Ok(Aggregate {
                name: r.try_get(0)?,
                params: r.try_get::<_, Vec<Option<String>>>(1)?.into_iter().map(Option::unwrap_or_default).collect(),
                state: r.try_get::<_, Option<String>>(2)?.unwrap_or_default(),
                step: r.try_get::<_, Option<String>>(3)?.unwrap_or_default(),
                final_function: r.try_get(4)?,
                initial: r.try_get(5)?,
                other_options: r.try_get(7)?,
                comment: r.try_get(6)?,
            })
        })
        .collect()
}

/// Row-level security policies on the tables schemac models. `polroles`
/// holds oid 0 alone for PUBLIC, which no role has: the list comes back empty.
fn read_policies(client: &mut Client, schema: &str) -> Result<Vec<Policy>, Error> {
    let sql = format!(
        "SELECT pol.polname::text, c.relname::text, pol.polpermissive, pol.polcmd::text, \
                ARRAY(SELECT r.rolname::text FROM pg_roles r WHERE r.oid = ANY (pol.polroles)), \
                pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid), \
                obj_description(pol.oid, 'pg_policy') \
         FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND {TABLE_FILTER}"
    );
    let rows = client.query(&sql, &[&schema])?;
    rows.iter()
        .map(|r| {
            Ok(Policy {
                name: r.try_get(0)?,
                table: r.try_get(1)?,
                permissive: r.try_get(2)?,
                command: policy_command(&r.try_get::<_, String>(3)?).into(),
                roles: r.try_get(4)?,
                using: r.try_get(5)?,
                check: r.try_get(6)?,
                comment: r.try_get(7)?,
            })
        })
        .collect()
}

/// SQL: the relations whose privileges schemac models (alias `c`): the
/// tables of [`TABLE_FILTER`], views and materialized views, none an extension's.
const GRANTED_FILTER: &str = "(c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition) AND NOT EXISTS \
     (SELECT 1 FROM pg_depend dep WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid AND dep.deptype = 'e')";

/// Privileges granted to roles on the schema's tables, views and routines
/// (`functions`, by oid), one [`Grant`] per object, role and privilege; a
/// privilege on columns is one grant with those columns in attnum order.
/// Not grants: PUBLIC's (grantee 0; for routines see `revoke_public`) and
/// the owner's own, which the list spells out once anything is granted.
/// Grantors and grant options are not read.
fn read_grants(client: &mut Client, schema: &str, functions: &BTreeMap<Oid, Function>) -> Result<Vec<Grant>, Error> {
    let grant = |kind: &str, object: String, params: Vec<String>, role: String, privilege: String| Grant {
        kind: kind.into(),
        object,
        params,
        role,
        privilege,
        columns: Vec::new(),
    };
    let mut grants: BTreeSet<Grant> = BTreeSet::new();

    let sql = format!(
        "SELECT c.relname::text, r.rolname::text, acl.privilege_type \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         CROSS JOIN LATERAL aclexplode(c.relacl) acl JOIN pg_roles r ON r.oid = acl.grantee \
         WHERE n.nspname = $1 AND {GRANTED_FILTER} AND acl.grantee <> 0 AND acl.grantee <> c.relowner"
    );
    for row in client.query(&sql, &[&schema])? {
        grants.insert(grant("TABLE", row.try_get(0)?, Vec::new(), row.try_get(1)?, row.try_get(2)?));
    }

    let sql = format!(
        "SELECT c.relname::text, r.rolname::text, acl.privilege_type, a.attnum, a.attname::text \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         CROSS JOIN LATERAL aclexplode(a.attacl) acl JOIN pg_roles r ON r.oid = acl.grantee \
         WHERE n.nspname = $1 AND {GRANTED_FILTER} AND acl.grantee <> 0 AND acl.grantee <> c.relowner"
    );
    // (object, role, privilege) → the columns by attnum (several grantors: once).
    let mut columns: BTreeMap<(String, String, String), BTreeMap<i16, String>> = BTreeMap::new();
    for row in client.query(&sql, &[&schema])? {
        let key = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        columns.entry(key).or_default().insert(row.try_get(3)?, row.try_get(4)?);
    }
    for ((object, role, privilege), names) in columns {
        grants.insert(Grant {
            columns: names.into_values().collect(),
            ..grant("TABLE", object, Vec::new(), role, privilege)
        });
    }

    let sql = format!(
        "SELECT p.oid, r.rolname::text, acl.privilege_type \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         CROSS JOIN LATERAL aclexplode(p.proacl) acl JOIN pg_roles r ON r.oid = acl.grantee \
         WHERE n.nspname = $1 AND p.prokind IN ('f', 'p') AND NOT {} \
           AND acl.grantee <> 0 AND acl.grantee <> p.proowner",
        from_extension("pg_proc", "p.oid")
    );
    for row in client.query(&sql, &[&schema])? {
        let Some(f) = functions.get(&row.try_get(0)?) else { continue };
        let params = f.params.iter().map(|(_, ty)| ty.clone()).collect();
        grants.insert(grant("FUNCTION", f.name.clone(), params, row.try_get(1)?, row.try_get(2)?));
    }
    Ok(grants.into_iter().collect())
}

/// The roles `catalog`'s grants and policies name, and, transitively, the
/// roles those are members of: whether each may log in, its memberships and
/// its comment.
fn read_roles(client: &mut Client, catalog: &Catalog) -> Result<Vec<Role>, Error> {
    let named = used_roles(catalog);
    if named.is_empty() {
        return Ok(Vec::new());
    }
    let named: Vec<&str> = named.into_iter().collect();
    let sql = "WITH RECURSIVE used(oid) AS ( \
                   SELECT oid FROM pg_roles WHERE rolname = ANY ($1) \
                   UNION SELECT m.roleid FROM pg_auth_members m JOIN used ON used.oid = m.member) \
               SELECT r.rolname::text, r.rolcanlogin, \
                      ARRAY(SELECT DISTINCT p.rolname::text FROM pg_auth_members m \
                            JOIN pg_roles p ON p.oid = m.roleid WHERE m.member = r.oid), \
                      shobj_description(r.oid, 'pg_authid') \
               FROM pg_roles r JOIN used ON used.oid = r.oid";
    let rows = client.query(sql, &[&named])?;
    rows.iter()
        .map(|r| {
            Ok(Role { name: r.try_get(0)?, login: r.try_get(1)?, member_of: r.try_get(2)?, comment: r.try_get(3)? })
        })
        .collect()
}

/// `polcmd` as the SQL word.
fn policy_command(code: &str) -> &'static str {
    match code {
        "r" => "SELECT",
        "a" => "INSERT",
        "w" => "UPDATE",
        "d" => "DELETE",
        _ => "ALL",
    }
}

/// SQL: a function's name, qualified when it lives outside the schema read.
fn function_name(oid: &str) -> String {
    format!(
        "(SELECT CASE WHEN fn.nspname = $1 THEN fp.proname::text \
                 ELSE quote_ident(fn.nspname) || '.' || quote_ident(fp.proname) END \
          FROM pg_proc fp JOIN pg_namespace fn ON fn.oid = fp.pronamespace WHERE fp.oid = {oid})"
    )
}

// pg_trigger.tgtype bits (src/include/catalog/pg_trigger.h).
const TRIGGER_ROW: i32 = 1 << 0;
const TRIGGER_BEFORE: i32 = 1 << 1;
const TRIGGER_INSERT: i32 = 1 << 2;
const TRIGGER_DELETE: i32 = 1 << 3;
const TRIGGER_UPDATE: i32 = 1 << 4;
const TRIGGER_TRUNCATE: i32 = 1 << 5;
const TRIGGER_INSTEAD: i32 = 1 << 6;

fn timing(tgtype: i32) -> &'static str {
    if tgtype & TRIGGER_INSTEAD != 0 {
        "INSTEAD OF"
    } else if tgtype & TRIGGER_BEFORE != 0 {
        "BEFORE"
    } else {
        "AFTER"
    }
}

fn events(tgtype: i32) -> Vec<String> {
    [(TRIGGER_INSERT, "INSERT"), (TRIGGER_UPDATE, "UPDATE"), (TRIGGER_DELETE, "DELETE"), (TRIGGER_TRUNCATE, "TRUNCATE")]
        .iter()
        .filter(|(bit, _)| tgtype & bit != 0)
        .map(|(_, event)| event.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_bounds_parse() {
        assert_eq!(partition_bound("DEFAULT"), PartitionBound::Default);
        assert_eq!(
            partition_bound("FOR VALUES IN ('placed', 'a,b', 'it''s')"),
            PartitionBound::List(vec!["'placed'".into(), "'a,b'".into(), "'it''s'".into()])
        );
        assert_eq!(
            partition_bound("FOR VALUES WITH (modulus 4, remainder 3)"),
            PartitionBound::Hash { modulus: 4, remainder: 3 }
        );
        assert_eq!(
            partition_bound("FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00')"),
            PartitionBound::Range { from: "'2024-01-01 00:00:00+00'".into(), to: "'2024-02-01 00:00:00+00'".into() }
        );
        assert_eq!(
            partition_bound("FOR VALUES FROM (1, ') TO (') TO (MAXVALUE, MAXVALUE)"),
            PartitionBound::Range { from: "1, ') TO ('".into(), to: "MAXVALUE, MAXVALUE".into() }
        );
        assert_eq!(partition_bound("nonsense"), PartitionBound::Range { from: "nonsense".into(), to: String::new() });
    }

    #[test]
    fn check_definitions_lose_their_wrapper() {
        assert_eq!(check_expr("CHECK ((price >= (0)::numeric))"), "(price >= (0)::numeric)");
        assert_eq!(check_expr("CHECK ((x > 0)) NOT VALID"), "(x > 0)");
        assert_eq!(check_expr("CHECK ((x > 0)) NO INHERIT"), "(x > 0)");
    }

    #[test]
    fn partition_keys_keep_expressions() {
        let by = partition_by("RANGE (a, lower(b))", &["a".into(), String::new()]);
        assert_eq!(by, PartitionBy { strategy: "RANGE".into(), columns: vec!["a".into(), "lower(b)".into()] });
    }

    #[test]
    fn trigger_types_decode() {
        // BEFORE INSERT OR UPDATE FOR EACH ROW
        let t = TRIGGER_ROW | TRIGGER_BEFORE | TRIGGER_INSERT | TRIGGER_UPDATE;
        assert_eq!((timing(t), events(t)), ("BEFORE", vec!["INSERT".to_string(), "UPDATE".to_string()]));
        assert_eq!(timing(TRIGGER_INSTEAD | TRIGGER_ROW), "INSTEAD OF");
        assert_eq!(timing(TRIGGER_DELETE), "AFTER");
        assert_eq!(ordering(3), " DESC");
        assert_eq!(ordering(1), " DESC NULLS LAST");
        assert_eq!(ordering(2), " NULLS FIRST");
    }

    #[test]
    fn exclusion_elements_read_as_lowering_writes_them() {
        assert_eq!(exclusion_element("id", "id"), "id");
        assert_eq!(exclusion_element("\"Room\"", "Room"), "\"Room\"");
        assert_eq!(exclusion_element("tstzrange(valid_from, valid_to)", ""), "(tstzrange(valid_from, valid_to))");
        assert_eq!(exclusion_element("(a + 1)", ""), "(a + 1)");
    }

    #[test]
    fn settings_and_commands_decode() {
        let config = ["work_mem=64MB".to_string(), "search_path=pg_catalog, public, pg_temp".to_string()];
        assert_eq!(search_path(&config).as_deref(), Some("pg_catalog, public, pg_temp"));
        assert_eq!(search_path(&config[..1]), None);
        let commands: Vec<&str> = ["*", "r", "a", "w", "d"].into_iter().map(policy_command).collect();
        assert_eq!(commands, ["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"]);
    }
}
