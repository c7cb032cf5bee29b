//! Reads a live SQLite database (its `main` schema) into the backend's
//! physical model ([`Schema`]), so `backends::sqlite::compare` can hold it
//! against what schemac lowered.
//!
//! Virtual tables (FTS5) are read as the statement SQLite stores; their
//! shadow tables (`pragma table_list` type `shadow`) are skipped.
//! Columns, keys, foreign keys and indexes come from the pragmas
//! (`table_list`, `table_xinfo`, `foreign_key_list`, `index_list`,
//! `index_info`); what SQLite keeps only in the statement it stores in
//! `sqlite_schema` — CHECK constraints, generated expressions, whether a
//! foreign key is deferrable, index keys that are expressions and partial
//! index conditions — is read from that text. Every query is a constant with
//! names bound as parameters. This module only reads and does not judge
//! what it reads; objects SQLite makes itself (`sqlite_…`) are skipped.
//! Lists are sorted by name, so two reads of one database are equal.

use rusqlite::{Connection, Result};

use crate::backends::sqlite::model::*;
use crate::backends::sqlite::quote::unquote;

/// Reads every table, index, view and trigger of the `main` schema.
pub fn read_schema(conn: &Connection) -> Result<Schema> {
    let mut statement = conn.prepare(
        "SELECT type, name, tbl_name, sql FROM sqlite_schema \
         WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql IS NOT NULL ORDER BY name",
    )?;
    let objects: Vec<(String, String, String, String)> = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?
        .collect::<Result<_>>()?;
    let mut schema = Schema::default();
    for (kind, name, table, sql) in objects {
        match kind.as_str() {
            "table" => match table_kind(conn, &name)?.as_str() {
                "virtual" => schema.virtual_tables.push(VirtualTable { name, sql, comment: None }),
                // An FTS5 table's storage (`<name>_data`, `_idx`, …): SQLite's own.
                "shadow" => {}
                _ => schema.tables.push(read_table(conn, &name, &sql)?),
            },
            "index" => schema.indexes.push(read_index(conn, &name, &table, &sql)?),
            "view" => {
                let columns = conn
                    .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?
                    .query_map([&name], |row| row.get(0))?
                    .collect::<Result<_>>()?;
                schema.views.push(View { name, sql, columns, comment: None });
            }
            "trigger" => schema.triggers.push(Trigger { name, table, sql, comment: None }),
            _ => {}
        }
    }
    Ok(schema)
}

/// `table`, `virtual` or `shadow` (the storage of a virtual table), as `pragma table_list` says.
fn table_kind(conn: &Connection, name: &str) -> Result<String> {
    conn.prepare("SELECT type FROM pragma_table_list WHERE schema = 'main' AND name = ?1")?
        .query_row([name], |row| row.get(0))
}

fn read_table(conn: &Connection, name: &str, sql: &str) -> Result<Table> {
    let strict: bool = conn
        .prepare("SELECT strict FROM pragma_table_list WHERE schema = 'main' AND name = ?1")?
        .query_row([name], |row| row.get::<_, i64>(0))
        .map(|s| s != 0)?;
    let parsed = Statement::new(sql).table_items();
    let mut columns = Vec::new();
    let mut keyed: Vec<(i64, String)> = Vec::new();
    let mut rows = conn
        .prepare("SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1) ORDER BY cid")?;
    let read = rows.query_map([name], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, i64>(2)?,
            row.get::<_, Option<String>>(3)?,
            row.get::<_, i64>(4)?,
            row.get::<_, i64>(5)?,
        ))
    })?;
    for column in read {
        let (column, ty, not_null, default, pk, hidden) = column?;
        if pk > 0 {
            keyed.push((pk, column.clone()));
        }
        let generated = if hidden >= 2 {
            parsed.generated.iter().find(|(c, _)| *c == column).map(|(_, g)| g.clone())
        } else {
            None
        };
        columns.push(Column {
            name: column,
            ty,
            not_null: not_null != 0,
            default,
            generated,
            rowid_alias: false,
            comment: None,
        });
    }
    keyed.sort();
    let primary_key: Vec<String> = keyed.into_iter().map(|(_, c)| c).collect();
    if let [only] = primary_key.as_slice() {
        for c in columns.iter_mut().filter(|c| &c.name == only) {
            c.rowid_alias = c.ty.eq_ignore_ascii_case("INTEGER");
        }
    }
    Ok(Table {
        name: name.to_string(),
        columns,
        primary_key,
        uniques: read_uniques(conn, name)?,
        checks: parsed.checks,
        foreign_keys: read_foreign_keys(conn, name, &parsed.deferrable)?,
        strict,
        comment: None,
    })
}

/// UNIQUE constraints: the indexes SQLite made for them (origin `u`).
fn read_uniques(conn: &Connection, table: &str) -> Result<Vec<Vec<String>>> {
    let names: Vec<String> = conn
        .prepare("SELECT name FROM pragma_index_list(?1) WHERE origin = 'u' ORDER BY name")?
        .query_map([table], |row| row.get(0))?
        .collect::<Result<_>>()?;
    names.iter().map(|index| index_columns(conn, index)).collect()
}

fn index_columns(conn: &Connection, index: &str) -> Result<Vec<String>> {
    conn.prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")?
        .query_map([index], |row| Ok(row.get::<_, Option<String>>(0)?.unwrap_or_default()))?
        .collect()
}

fn read_foreign_keys(conn: &Connection, table: &str, deferrable: &[Vec<String>]) -> Result<Vec<ForeignKey>> {
    let mut statement = conn.prepare(
        "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
    )?;
    let rows = statement.query_map([table], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, Option<String>>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, String>(5)?,
        ))
    })?;
    let mut keys: Vec<(i64, ForeignKey)> = Vec::new();
    for row in rows {
        let (id, references, from, to, on_update, on_delete) = row?;
        match keys.last_mut() {
            Some((last, fk)) if *last == id => {
                fk.columns.push(from);
                fk.referenced_columns.push(to.unwrap_or_default());
            }
            _ => keys.push((
                id,
                ForeignKey {
                    columns: vec![from],
                    references,
                    referenced_columns: vec![to.unwrap_or_default()],
                    on_delete,
                    on_update,
                    deferrable: false,
                },
            )),
        }
    }
    let mut keys: Vec<ForeignKey> = keys.into_iter().map(|(_, fk)| fk).collect();
    for fk in &mut keys {
        fk.deferrable = deferrable.contains(&fk.columns);
    }
    keys.sort_by(|a, b| (&a.references, &a.columns).cmp(&(&b.references, &b.columns)));
    Ok(keys)
}

fn read_index(conn: &Connection, name: &str, table: &str, sql: &str) -> Result<Index> {
    let unique: bool = conn
        .prepare("SELECT \"unique\" FROM pragma_index_list(?1) WHERE name = ?2")?
        .query_row([table, name], |row| row.get::<_, i64>(0))
        .map(|u| u != 0)?;
    let (keys, predicate) = Statement::new(sql).index_parts();
    Ok(Index { name: name.to_string(), table: table.to_string(), unique, keys, predicate, comment: None })
}

/// What the stored `CREATE TABLE` says that no pragma does.
#[derive(Default)]
struct TableItems {
    checks: Vec<Check>,
    /// (column, generated expression).
    generated: Vec<(String, String)>,
    /// The columns of each foreign key declared DEFERRABLE INITIALLY DEFERRED.
    deferrable: Vec<Vec<String>>,
}

/// A stored statement with quoted text and comments masked out, so
/// keywords, commas and parentheses are found only where they are syntax.
struct Statement<'a> {
    text: &'a str,
    /// `text` byte for byte: ASCII uppercased, quoted text and comments as `_`.
    masked: Vec<u8>,
}

impl<'a> Statement<'a> {
    fn new(text: &'a str) -> Statement<'a> {
        let bytes = text.as_bytes();
        let mut masked = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let close = match b {
                b'\'' | b'"' | b'`' => Some(b),
                b'[' => Some(b']'),
                _ => None,
            };
            if let Some(close) = close {
                masked.push(b);
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == close {
                        if close != b']' && bytes.get(i + 1) == Some(&close) {
                            masked.extend([b'_', b'_']);
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    masked.push(b'_');
                    i += 1;
                }
                if i < bytes.len() {
                    masked.push(close);
                    i += 1;
                }
            } else if bytes[i..].starts_with(b"--") {
                while i < bytes.len() && bytes[i] != b'\n' {
                    masked.push(b' ');
                    i += 1;
                }
            } else if bytes[i..].starts_with(b"/*") {
                let end = text[i + 2..].find("*/").map_or(bytes.len(), |e| i + 2 + e + 2);
                masked.extend(std::iter::repeat_n(b' ', end - i));
                i = end;
            } else {
                masked.push(b.to_ascii_uppercase());
                i += 1;
            }
        }
        Statement { text, masked }
    }

    /// Where `keyword` (uppercase) starts as a whole word in `from..to`.
    fn find(&self, keyword: &str, from: usize, to: usize) -> Option<usize> {
        let k = keyword.as_bytes();
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        (from..to.saturating_sub(k.len() - 1)).find(|&i| {
            self.masked[i..].starts_with(k)
                && (i == 0 || !word(self.masked[i - 1]))
                && self.masked.get(i + k.len()).is_none_or(|&b| !word(b))
        })
    }

    /// The span inside the parentheses opened at or after `from`.
    fn parens(&self, from: usize) -> Option<(usize, usize)> {
        let open = (from..self.masked.len()).find(|&i| self.masked[i] == b'(')?;
        let mut depth = 0usize;
        for i in open..self.masked.len() {
            match self.masked[i] {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some((open + 1, i));
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The comma-separated parts of `start..end` at depth 0, trimmed.
    fn split(&self, start: usize, end: usize) -> Vec<(usize, usize)> {
        let mut parts = Vec::new();
        let mut depth = 0i32;
        let mut from = start;
        for i in start..end {
            match self.masked[i] {
                b'(' => depth += 1,
                b')' => depth -= 1,
                b',' if depth == 0 => {
                    parts.push((from, i));
                    from = i + 1;
                }
                _ => {}
            }
        }
        parts.push((from, end));
        parts.into_iter().map(|(s, e)| self.trimmed(s, e)).filter(|(s, e)| s < e).collect()
    }

    fn trimmed(&self, mut start: usize, mut end: usize) -> (usize, usize) {
        while start < end && self.masked[start].is_ascii_whitespace() {
            start += 1;
        }
        while end > start && self.masked[end - 1].is_ascii_whitespace() {
            end -= 1;
        }
        (start, end)
    }

    fn slice(&self, (start, end): (usize, usize)) -> &'a str {
        self.text[start..end].trim()
    }

    /// The first token at `start`: a quoted name or a bare word. Returns the
    /// name and where it ends.
    fn name_at(&self, start: usize, end: usize) -> (String, usize) {
        let (start, _) = self.trimmed(start, end);
        let close = match self.masked.get(start) {
            Some(b'[') => Some(b']'),
            Some(&q @ (b'"' | b'\'' | b'`')) => Some(q),
            _ => None,
        };
        let stop = match close {
            Some(c) => (start + 1..end).find(|&i| self.masked[i] == c).map_or(end, |i| i + 1),
            None => (start..end).find(|&i| self.masked[i].is_ascii_whitespace()).unwrap_or(end),
        };
        (unquote(&self.text[start..stop]), stop)
    }

    fn table_items(&self) -> TableItems {
        let mut items = TableItems::default();
        let Some((start, end)) = self.parens(0) else { return items };
        for (s, e) in self.split(start, end) {
            let mut at = s;
            let mut constraint = None;
            if self.find("CONSTRAINT", s, s + 10) == Some(s) {
                let (name, stop) = self.name_at(s + 10, e);
                constraint = Some(name);
                at = self.trimmed(stop, e).0;
            }
            let starts = |keyword: &str| self.find(keyword, at, at + keyword.len()) == Some(at);
            if starts("CHECK") {
                if let Some(inner) = self.parens(at) {
                    let name = constraint.unwrap_or_default();
                    items.checks.push(Check { name, expr: self.slice(inner).to_string() });
                }
            } else if starts("FOREIGN") {
                let columns = self.parens(at).map(|(a, b)| self.split(a, b)).unwrap_or_default();
                let clause = String::from_utf8_lossy(&self.masked[at..e]);
                let clause = clause.split_whitespace().collect::<Vec<_>>().join(" ");
                let deferred = clause.contains("DEFERRABLE INITIALLY DEFERRED") && !clause.contains("NOT DEFERRABLE");
                if deferred {
                    items.deferrable.push(columns.into_iter().map(|p| unquote(self.slice(p))).collect());
                }
            } else if !(starts("PRIMARY") || starts("UNIQUE")) && constraint.is_none() {
                let (column, stop) = self.name_at(s, e);
                if let Some(generated) = self.find("GENERATED", stop, e).and_then(|g| self.find("AS", g, e)) {
                    if let Some(inner) = self.parens(generated) {
                        items.generated.push((column, self.slice(inner).to_string()));
                    }
                }
            }
        }
        items
    }

    /// The keys (as written) and the condition of a `CREATE INDEX`.
    fn index_parts(&self) -> (Vec<String>, Option<String>) {
        let len = self.masked.len();
        let Some(on) = self.find("ON", 0, len) else { return (Vec::new(), None) };
        let Some((start, end)) = self.parens(on) else { return (Vec::new(), None) };
        let keys = self.split(start, end).into_iter().map(|p| self.slice(p).to_string()).collect();
        let predicate = self.find("WHERE", end, len).map(|w| self.slice((w + 5, len)).to_string());
        (keys, predicate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_create_table_text_gives_checks_generated_columns_and_deferrable_keys() {
        let sql = "CREATE TABLE \"t\" (\n  \"a\" TEXT DEFAULT ('x, (y)'),\n  \"b\" REAL GENERATED ALWAYS AS (\"a\" * 2) STORED,\n  \
                   CONSTRAINT \"t_\"\"c\" CHECK (\"a\" IN ('CHECK (', 'b')),\n  FOREIGN KEY (\"a\") REFERENCES \"u\" (\"k\") \
                   DEFERRABLE INITIALLY DEFERRED\n) STRICT";
        let items = Statement::new(sql).table_items();
        assert_eq!(items.checks, [Check { name: "t_\"c".into(), expr: "\"a\" IN ('CHECK (', 'b')".into() }]);
        assert_eq!(items.generated, [("b".to_string(), "\"a\" * 2".to_string())]);
        assert_eq!(items.deferrable, [vec!["a".to_string()]]);
    }

    #[test]
    fn stored_create_index_text_gives_keys_and_condition() {
        let sql = "CREATE UNIQUE INDEX \"on\" ON \"t\" (\"a\" DESC, (lower(\"b\"))) WHERE \"c\" = 'WHERE'";
        let (keys, predicate) = Statement::new(sql).index_parts();
        assert_eq!(keys, ["\"a\" DESC", "(lower(\"b\"))"]);
        assert_eq!(predicate.as_deref(), Some("\"c\" = 'WHERE'"));
    }
}
