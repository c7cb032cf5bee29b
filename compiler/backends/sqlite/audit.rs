//! `audit` on SQLite: every insert, update and delete of an audited table is
//! appended to one `audit_log` table, by triggers.
//!
//! - `audit_log` has PostgreSQL's columns but `txid` and `actor`: SQLite has
//!   no transaction ids and no session settings to read `ctx.user_id` from.
//!   The rows are JSON text (`json_object`), booleans as `true`/`false`,
//!   json columns nested, `bytes` as `"\x…"` hex strings (PostgreSQL's
//!   spelling); `changed` is a JSON array of column names, sorted.
//! - AFTER INSERT and AFTER DELETE triggers (`<table>_audit_insert`,
//!   `_delete`) write one row each; an update is logged by the table's one
//!   AFTER UPDATE trigger (`lower.rs`), after the columns other patterns set,
//!   so one update is one log row holding the row as it ends up.
//! - The log is append-only: BEFORE UPDATE and BEFORE DELETE triggers on it
//!   abort. Whoever opens the file can still drop them (SQLite has no
//!   privileges); that is the capability table's note, not hidden here.
//!
//! Decides the SQL; the statements are printed by `render.rs`.

use super::lower::Lowering;
use super::model::{Check, Column, Index, Table};
use super::quote::{ident, literal};
use super::{expr, types};
use crate::semantic::ir;

/// The log every audited table writes to.
pub const AUDIT_LOG: &str = "audit_log";

const COLUMNS: &str = "table_name, op, row_key, old_row, new_row, changed";

impl Lowering<'_> {
    /// Creates `audit_log` and its guards when some entity is audited;
    /// false when there is none or its name is taken (reported).
    pub(super) fn audit_log(&mut self, audited: &[&ir::Entity]) -> bool {
        let Some(first) = audited.first() else { return false };
        if !self.claim(AUDIT_LOG, "the audit log of pattern `audit`", &first.id) {
            return false;
        }
        let column = |name: &str, ty: &str, not_null: bool, comment: &str| Column {
            name: name.into(),
            ty: ty.into(),
            not_null,
            comment: Some(comment.into()),
            ..Column::default()
        };
        let columns = vec![
            Column { rowid_alias: true, ..column("id", "INTEGER", true, "Order of writing.") },
            Column { default: Some(expr::NOW.into()), ..column("at", "TEXT", true, "When the row was written (UTC).") },
            column("table_name", "TEXT", true, "The table the row belongs to."),
            column("op", "TEXT", true, "INSERT, UPDATE or DELETE."),
            column("row_key", "TEXT", true, "The row's primary key as a JSON object, column → value."),
            column("old_row", "TEXT", false, "The row before (UPDATE, DELETE), a JSON object."),
            column("new_row", "TEXT", false, "The row after (INSERT, UPDATE), a JSON object."),
            column("changed", "TEXT", false, "Columns an UPDATE changed, a JSON array of names, sorted."),
        ];
        self.schema.tables.push(Table {
            name: AUDIT_LOG.into(),
            columns,
            primary_key: vec!["id".into()],
            checks: vec![Check {
                name: format!("{AUDIT_LOG}_op_check"),
                expr: "\"op\" IN ('INSERT', 'UPDATE', 'DELETE')".into(),
            }],
            strict: self.options.strict,
            comment: Some(
                "Every change to the tables with pattern `audit`, one row per changed row. Append-only. Made by \
                 schemac."
                    .into(),
            ),
            ..Table::default()
        });
        let index = self.generate(&format!("{AUDIT_LOG}_table_name_row_key_idx"), "an index");
        self.schema.indexes.push(Index {
            name: index,
            table: AUDIT_LOG.into(),
            unique: false,
            keys: vec![ident("table_name"), ident("row_key")],
            predicate: None,
            comment: Some("Finds the history of one row.".into()),
        });
        let refuse = "SELECT RAISE(ABORT, 'audit_log is append-only: audit rows are never changed or removed');";
        for event in ["UPDATE", "DELETE"] {
            self.push_trigger(
                AUDIT_LOG,
                &format!("append_only_{}", event.to_ascii_lowercase()),
                "BEFORE",
                event,
                None,
                &[refuse.to_string()],
                "Refuses to change or remove audit rows.".into(),
            );
        }
        true
    }

    /// `<table>_audit_insert` and `<table>_audit_delete`.
    pub(super) fn audit_insert_and_delete(&mut self, entity: &ir::Entity) {
        let table = literal(&entity.table);
        for (event, record) in [("INSERT", "NEW"), ("DELETE", "OLD")] {
            let row = self.row_json(entity, record, false);
            let (old_row, new_row) = if event == "INSERT" { ("NULL".into(), row) } else { (row, "NULL".into()) };
            let statement = format!(
                "INSERT INTO {} ({COLUMNS}) VALUES ({table}, '{event}', {}, {old_row}, {new_row}, NULL);",
                ident(AUDIT_LOG),
                self.row_json(entity, record, true),
            );
            self.push_trigger(
                &entity.table,
                &format!("audit_{}", event.to_ascii_lowercase()),
                "AFTER",
                event,
                None,
                &[statement],
                format!("Appends every {event} of `{}` to `{AUDIT_LOG}`.", entity.table),
            );
        }
    }

    /// The statement of the AFTER UPDATE trigger that logs an update: the
    /// row as it is after the trigger's own inner update (read back as `r`).
    pub(super) fn audit_update(&self, entity: &ir::Entity) -> String {
        let changed: Vec<String> = {
            let mut columns: Vec<&str> = entity.fields.iter().map(|f| f.column.as_str()).collect();
            columns.sort_unstable();
            columns
                .iter()
                .map(|c| {
                    let name = serde_json::to_string(c).unwrap_or_default();
                    format!(
                        "CASE WHEN r.{0} IS NOT OLD.{0} THEN {1} ELSE '' END",
                        ident(c),
                        literal(&format!(",{name}"))
                    )
                })
                .collect()
        };
        let changed = if changed.is_empty() {
            "json('[]')".to_string()
        } else {
            format!("json('[' || substr({}, 2) || ']')", changed.join(" || "))
        };
        format!(
            "INSERT INTO {} ({COLUMNS}) SELECT {}, 'UPDATE', {}, {}, {}, {changed} FROM {} AS r WHERE {};",
            ident(AUDIT_LOG),
            literal(&entity.table),
            self.row_json(entity, "r", true),
            self.row_json(entity, "OLD", false),
            self.row_json(entity, "r", false),
            ident(&entity.table),
            same_row(entity),
        )
    }

    /// `json_object(…)` of the row `record` (`NEW`, `OLD` or an alias): every
    /// column, or the primary key's (`key_only`; the rowid when none).
    fn row_json(&self, entity: &ir::Entity, record: &str, key_only: bool) -> String {
        if key_only && entity.primary_key.is_empty() {
            return format!("json_object('rowid', {record}.rowid)");
        }
        let fields: Vec<&ir::Field> = if key_only {
            entity.primary_key.iter().filter_map(|k| entity.fields.iter().find(|f| &f.name == k)).collect()
        } else {
            entity.fields.iter().collect()
        };
        let pairs: Vec<String> = fields
            .iter()
            .map(|f| {
                format!("{}, {}", literal(&f.column), self.json_value(f, &format!("{record}.{}", ident(&f.column))))
            })
            .collect();
        format!("json_object({})", pairs.join(", "))
    }

    /// A column's value as PostgreSQL's `to_jsonb` would show it.
    fn json_value(&self, field: &ir::Field, value: &str) -> String {
        let Ok(mapped) = types::map(&field.ty, self.ir) else { return value.to_string() };
        if mapped.implied.contains(&types::Implied::Boolean) {
            format!("CASE {value} WHEN 1 THEN json('true') WHEN 0 THEN json('false') END")
        } else if mapped.implied.iter().any(|i| matches!(i, types::Implied::Json | types::Implied::JsonArray)) {
            format!("json({value})")
        } else if mapped.declared == "BLOB" {
            format!("'\\x' || lower(hex({value}))")
        } else {
            value.to_string()
        }
    }
}

/// `r` is the row the trigger fired for (`NEW`): by primary key, else rowid.
fn same_row(entity: &ir::Entity) -> String {
    if entity.primary_key.is_empty() {
        return "r.rowid = NEW.rowid".into();
    }
    Lowering::columns_of(entity, &entity.primary_key)
        .iter()
        .map(|c| format!("r.{0} = NEW.{0}", ident(c)))
        .collect::<Vec<_>>()
        .join(" AND ")
}
