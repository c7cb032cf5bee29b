//! `audit` on MySQL/MariaDB: every insert, update and delete of an audited
//! table is appended to one `audit_log` table.
//!
//! - Each audited table gets three AFTER row triggers
//!   (`<table>_audit_insert`, `_update`, `_delete`: MySQL triggers have one
//!   event each). They run with their definer's privileges, so writers need
//!   none on the log. Each writes one row per changed row: the table, the
//!   operation, the primary key, the old and new rows as JSON objects, the
//!   names of the columns an update changed (a JSON array), the acting user
//!   from the session variable `` @`app.user_id` `` (`ctx.user_id`; NULL when
//!   unset) and the time (UTC).
//! - The log is append-only: BEFORE UPDATE and BEFORE DELETE triggers on it
//!   refuse every change. TRUNCATE fires no trigger on MySQL; grant DROP on
//!   the log to nobody.
//! - InnoDB fires no triggers for the rows a foreign key's `on delete
//!   cascade` / `set null` changes: those changes are not logged (the
//!   capability table says so).

use super::expr;
use super::lower::{block, Lowering, COLLATION};
use super::model::{Column, Index, Table, Trigger};
use super::quote::{ident, literal};
use super::types;
use crate::semantic::ir::{self, Type};

/// The log every audited table writes to.
pub const AUDIT_LOG: &str = "audit_log";

/// The session variable that names the acting user (`ctx.user_id`).
pub const ACTOR: &str = "@`app.user_id`";

impl Lowering<'_> {
    pub(super) fn lower_audit(&mut self, audited: &[&ir::Entity]) {
        let Some(first) = audited.first() else { return };
        if !self.claim_relation(AUDIT_LOG, "the audit log of pattern `audit`", &first.id) {
            return;
        }
        let actor_type = self.ir.context.iter().find(|c| c.name == "user_id").map_or(Type::Text, |c| c.ty.clone());
        let actor_column =
            types::map(&actor_type, self.ir, true).map_or_else(|_| "varchar(255)".into(), |m| m.declared);
        self.audit_log_table(&actor_column);
        for entity in audited {
            self.audit_triggers(entity);
        }
    }

    fn audit_log_table(&mut self, actor_type: &str) {
        let column = |name: &str, ty: &str, not_null: bool, comment: &str| Column {
            name: name.into(),
            ty: ty.into(),
            not_null,
            comment: Some(comment.into()),
            ..Column::default()
        };
        let columns = vec![
            Column { auto_increment: true, ..column("id", "bigint", true, "Order of writing.") },
            Column {
                default: Some(expr::NOW.into()),
                ..column("at", "datetime(6)", true, "When the row was written (UTC).")
            },
            column("actor", actor_type, false, "The session's @`app.user_id` (ctx.user_id), if set."),
            column("table_name", "varchar(64)", true, "The table the row belongs to."),
            column("op", "enum('INSERT','UPDATE','DELETE')", true, "INSERT, UPDATE or DELETE."),
            column("row_key", "json", true, "The row's primary key, column → value."),
            column("old_row", "json", false, "The row before (UPDATE, DELETE)."),
            column("new_row", "json", false, "The row after (INSERT, UPDATE)."),
            column("changed", "json", false, "Columns an UPDATE changed, by name."),
        ];
        self.schema.tables.push(Table {
            name: AUDIT_LOG.into(),
            columns,
            primary_key: vec!["id".into()],
            indexes: vec![Index {
                name: "audit_log_table_name_at_idx".into(),
                unique: false,
                keys: vec![ident("table_name"), ident("at")],
                implicit: false,
                comment: Some("Finds the history of one table.".into()),
            }],
            collation: COLLATION.into(),
            comment: Some(
                "Every change to the tables with pattern `audit`, one row per changed row. Append-only. Made by \
                 schemac."
                    .into(),
            ),
            ..Table::default()
        });
        let refuse = "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only: audit rows are never \
                      changed or removed';";
        for event in ["UPDATE", "DELETE"] {
            let name = Self::generate(
                &mut self.triggers,
                &format!("{AUDIT_LOG}_append_only_{}", event.to_ascii_lowercase()),
                "a trigger",
            );
            self.schema.triggers.push(Trigger {
                name,
                table: AUDIT_LOG.into(),
                timing: "BEFORE".into(),
                event: event.into(),
                body: block(&[refuse.to_string()]),
                comment: Some("Refuses to change or remove audit rows.".into()),
            });
        }
    }

    fn audit_triggers(&mut self, entity: &ir::Entity) {
        let columns: Vec<String> = entity.fields.iter().map(|f| f.column.clone()).collect();
        let key: Vec<String> = entity.primary_key.iter().map(|f| entity.column_of(f)).collect();
        let object = |record: &str, names: &[String]| {
            let pairs: Vec<String> = names.iter().map(|c| format!("{}, {record}.{}", literal(c), ident(c))).collect();
            format!("json_object({})", pairs.join(", "))
        };
        let changed: Vec<String> = columns
            .iter()
            .map(|c| format!("IF(NOT (NEW.{0} <=> OLD.{0}), json_quote({1}), NULL)", ident(c), literal(c)))
            .collect();
        let changed = format!("concat('[', concat_ws(',', {}), ']')", changed.join(", "));
        let table = literal(&entity.table);
        for (event, record, old_row, new_row, changed) in [
            ("INSERT", "NEW", "NULL".to_string(), object("NEW", &columns), "NULL".to_string()),
            ("UPDATE", "NEW", object("OLD", &columns), object("NEW", &columns), changed),
            ("DELETE", "OLD", object("OLD", &columns), "NULL".to_string(), "NULL".to_string()),
        ] {
            let statement = format!(
                "INSERT INTO {} (actor, table_name, op, row_key, old_row, new_row, changed) VALUES ({ACTOR}, \
                 {table}, '{event}', {}, {old_row}, {new_row}, {changed});",
                ident(AUDIT_LOG),
                object(record, &key),
            );
            let name = Self::generate(
                &mut self.triggers,
                &format!("{}_audit_{}", entity.table, event.to_ascii_lowercase()),
                "a trigger",
            );
            self.schema.triggers.push(Trigger {
                name,
                table: entity.table.clone(),
                timing: "AFTER".into(),
                event: event.into(),
                body: block(&[statement]),
                comment: Some(format!("Appends every {event} of `{}` to `{AUDIT_LOG}`.", entity.table)),
            });
        }
    }
}
